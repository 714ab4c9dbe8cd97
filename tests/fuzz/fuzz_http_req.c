/* SPDX-License-Identifier: ISC */
/*
 * The FastCGI request reader (lib/request.c) on fuzzed parameters and body:
 * sg_req_init, sg_req_param, sg_req_content_length, sg_req_json,
 * sg_req_query, sg_req_auth, and a response echoing a client value
 * (sg_resp_header) through sg_resp_serialize.  Input: "NAME=value"
 * lines, an empty line, the body.  Checked: the normalised path is one
 * sandgate routes on (origin-form, printable, no "//", ".", "..", '%');
 * a refused query leaves nothing behind; a JSON body is a strict object;
 * an error answer is one of the documented statuses; the serialised
 * response starts with a Status line and no header line holds a bare CR
 * or LF (security.md 4.4, X7).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"
#include "response.h"
#include "json.h"
#include "fuzz.h"

static void
check_path(const char *p)
{
	size_t	 i;

	FZ_ASSERT(p[0] == '/', "path %s", p);
	FZ_ASSERT(strlen(p) <= SG_HTTP_MAX_PATH, "path too long");
	FZ_ASSERT(strstr(p, "//") == NULL, "// in %s", p);
	FZ_ASSERT(strstr(p, "/./") == NULL && strstr(p, "/../") == NULL,
	    "dot segment in %s", p);
	i = strlen(p);
	FZ_ASSERT(!(i >= 2 && strcmp(p + i - 2, "/.") == 0) &&
	    !(i >= 3 && strcmp(p + i - 3, "/..") == 0), "dot end in %s", p);
	for (i = 0; p[i] != '\0'; i++)
		FZ_ASSERT((unsigned char)p[i] > 0x20 &&
		    (unsigned char)p[i] < 0x7f && p[i] != '%' && p[i] != '\\' &&
		    p[i] != '#', "byte 0x%02x in the path",
		    (unsigned char)p[i]);
}

static void
check_serialized(const struct sg_resp *resp)
{
	char	*s, *end, *line;
	size_t	 len = 0, i;

	s = sg_resp_serialize(resp, &len);
	FZ_ASSERT(s != NULL, "serialize");
	FZ_ASSERT(strncmp(s, "Status: ", 8) == 0, "no Status line first");
	end = strstr(s, "\r\n\r\n");
	FZ_ASSERT(end != NULL, "no end of headers");
	for (line = s; line < end; line = strstr(line, "\r\n") + 2) {
		for (i = 0; line + i < end && line[i] != '\r'; i++)
			FZ_ASSERT(line[i] != '\n' && line[i] != '\0',
			    "bare LF or NUL in a header line");
		FZ_ASSERT(line[i] == '\r' && line[i + 1] == '\n',
		    "bare CR in a header line");
		FZ_ASSERT(strncasecmp(line, "Status:", 7) != 0 || line == s,
		    "second Status header");
	}
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static const char *const qnames[] = { "user_id", "a", "", "user id" };
	struct fz_env	 e;
	struct sg_req	 req;
	struct sg_resp	 resp;
	struct sg_err	 err;
	cJSON		*j;
	const char	*v;
	char		 buf[256];
	size_t		 cl, i;
	enum sg_rc	 rc;
	int		 q;

	if (n > 2 * SG_HTTP_MAX_BODY)
		return 0;
	fz_env_parse(d, n, &e);
	sg_err_clear(&err);
	rc = sg_req_init(&req, e.env, (const char *)e.body, e.bodylen, &err);
	if (rc != SG_OK) {
		FZ_ASSERT(rc == SG_EINVAL || rc == SG_ENOMEM, "rc %d",
		    (int)rc);
		sg_req_clear(&req);
		fz_env_free(&e);
		return 0;
	}
	FZ_ASSERT(req.method != NULL && req.raw_uri != NULL &&
	    req.query != NULL, "NULL fields");
	if (req.path != NULL)
		check_path(req.path);
	else
		FZ_ASSERT(strcmp(req.method, "CONNECT") == 0 ||
		    (req.raw_uri[0] != '\0' && req.raw_uri[0] != '/'),
		    "no path for an origin-form request");
	FZ_ASSERT(req.bodylen == e.bodylen && (e.bodylen == 0 ||
	    (memcmp(req.body, e.body, e.bodylen) == 0 &&
	    req.body[e.bodylen] == '\0')), "body copy");

	/* CONTENT_LENGTH: digits only, never over max */
	v = sg_req_param(&req, "CONTENT_LENGTH");
	if (v != NULL && sg_req_content_length(v, SG_HTTP_MAX_BODY, &cl,
	    NULL) == SG_OK) {
		FZ_ASSERT(cl <= SG_HTTP_MAX_BODY, "length %zu", cl);
		FZ_ASSERT(strspn(v, "0123456789") == strlen(v), "'%s'", v);
	}

	/* JSON body */
	sg_resp_init(&resp);
	j = sg_req_json(&req, &resp);
	if (j != NULL) {
		FZ_ASSERT(cJSON_IsObject(j), "not an object");
		FZ_ASSERT(resp.status == 0, "status set on success");
		cJSON_Delete(j);
	} else
		FZ_ASSERT(resp.status == 400 || resp.status == 413 ||
		    resp.status == 415 || resp.status == 500, "status %d",
		    resp.status);
	check_serialized(&resp);
	sg_resp_clear(&resp);

	/* query parameters */
	for (i = 0; i < sizeof(qnames) / sizeof(qnames[0]); i++) {
		memset(buf, 'x', sizeof(buf));
		q = sg_req_query(&req, qnames[i], buf, sizeof(buf));
		FZ_ASSERT(q >= -1 && q <= 1, "query %d", q);
		if (q == 1) {
			FZ_ASSERT(memchr(buf, '\0', sizeof(buf)) != NULL,
			    "value not terminated");
			for (v = buf; *v != '\0'; v++)
				FZ_ASSERT((unsigned char)*v >= 0x20 &&
				    *v != 0x7f, "control byte in a value");
		} else
			FZ_ASSERT(buf[0] == '\0', "refused query left data");
	}
	/* a too-small buffer is refused, never overflowed */
	q = sg_req_query(&req, "user_id", buf, 2);
	FZ_ASSERT(q != 1 || strlen(buf) < 2, "overflow");

	/* the authorizer's facts */
	sg_resp_init(&resp);
	if (sg_req_auth(&req, &resp, "operator", "sessions:read") == 0) {
		v = sg_req_param(&req, "SG_KIND");
		FZ_ASSERT(v != NULL && strcmp(v, "operator") == 0, "kind");
		FZ_ASSERT(sg_scope_has(sg_req_param(&req, "SG_SCOPE"),
		    "sessions:read"), "scope");
	} else
		FZ_ASSERT(resp.status == 401 || resp.status == 403,
		    "auth status %d", resp.status);
	check_serialized(&resp);
	sg_resp_clear(&resp);

	/* a client value echoed into a header: refused when unsafe */
	sg_resp_init(&resp);
	sg_resp_json(&resp, 200, NULL);
	v = sg_req_param(&req, "HTTP_X_ECHO");
	if (v != NULL && sg_resp_header(&resp, "X-Echo", "%s", v) != 0)
		FZ_ASSERT(resp.status == 500 && resp.failed, "refused header "
		    "did not fail the response");
	check_serialized(&resp);
	sg_resp_clear(&resp);

	sg_req_clear(&req);
	fz_env_free(&e);
	return 0;
}
