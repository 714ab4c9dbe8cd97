/* SPDX-License-Identifier: ISC */
/*
 * FastCGI requests as handlers see them: parameters, the routed path,
 * CONTENT_LENGTH, a JSON body, the query string and the verified
 * identity.  No libfcgi here: sg_req_init takes a plain environment, so
 * unit tests and fuzzers build requests by hand.
 *
 * The path comes from REQUEST_URI, which lighttpd, nginx and Apache all
 * pass as the client sent it; SCRIPT_NAME + PATH_INFO is the fallback.
 * Nothing is decoded: a path holding '%' is refused, since no route
 * needs one and decoding is how "..%2f" reaches a place a prefix check
 * did not expect.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "compat.h"
#include "json.h"
#include "num.h"
#include "request.h"

#define REQ_MAX_QUERY		4096	/* bytes of QUERY_STRING */
#define REQ_MAX_QNAME		64	/* bytes of a decoded query name */

/*
 * The value of name in env.  *conflict is set when name appears more
 * than once with different values: which one is meant is then unknown,
 * so callers treat it as absent (and an authorizer's variables cannot be
 * shadowed by a second definition).
 */
const char *
sg_req_env_get(char *const *env, const char *name, int *conflict)
{
	const char	*v = NULL;
	size_t		 n;

	*conflict = 0;
	if (env == NULL || name == NULL)
		return NULL;
	n = strlen(name);
	for (; *env != NULL; env++) {
		if (strncmp(*env, name, n) != 0 || (*env)[n] != '=')
			continue;
		if (v == NULL)
			v = *env + n + 1;
		else if (strcmp(v, *env + n + 1) != 0)
			*conflict = 1;
	}
	return v;
}

const char *
sg_req_param(const struct sg_req *req, const char *name)
{
	const char	*v;
	int		 conflict;

	if (req == NULL)
		return NULL;
	v = sg_req_env_get(req->env, name, &conflict);
	return conflict ? NULL : v;
}

static const char *
param_or_empty(const struct sg_req *req, const char *name)
{
	const char	*v;

	v = sg_req_param(req, name);
	return v != NULL ? v : "";
}

/*
 * An origin-form path we are willing to route on: starts with '/',
 * printable ASCII only, no '%', '\\' or '#', no empty segment ("//")
 * and no "." or ".." segment.
 */
static int
path_ok(const char *p)
{
	const char	*seg;
	size_t		 n;

	if (p[0] != '/')
		return 0;
	for (seg = p; *seg != '\0';) {
		seg++;			/* past '/' */
		n = strcspn(seg, "/");
		if (n == 0 && seg[0] == '/')
			return 0;	/* "//" */
		if ((n == 1 && seg[0] == '.') ||
		    (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return 0;
		seg += n;
	}
	for (; *p != '\0'; p++) {
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f ||
		    *p == '%' || *p == '\\' || *p == '#')
			return 0;
	}
	return 1;
}

static enum sg_rc
req_path(struct sg_req *req, struct sg_err *err)
{
	const char	*u = req->raw_uri, *sn, *pi;
	size_t		 n;
	int		 w;

	/* Proxy requests: CONNECT or absolute-form (RFC 9112 3.2.2, 3.2.3). */
	if (strcmp(req->method, "CONNECT") == 0 ||
	    (u[0] != '\0' && u[0] != '/'))
		return SG_OK;
	if (u[0] == '/') {
		n = strcspn(u, "?");
		if (n > SG_HTTP_MAX_PATH)
			return sg_err_set(err, SG_EINVAL, "bad_path",
			    "The request path is too long.");
		(void)memcpy(req->pathbuf, u, n);
		req->pathbuf[n] = '\0';
	} else {
		sn = param_or_empty(req, "SCRIPT_NAME");
		pi = param_or_empty(req, "PATH_INFO");
		if (*sn == '\0' && *pi == '\0')
			return sg_err_set(err, SG_EINVAL, "bad_path",
			    "The request has no path.");
		w = snprintf(req->pathbuf, sizeof(req->pathbuf), "%s%s", sn,
		    pi);
		if (w < 0 || (size_t)w >= sizeof(req->pathbuf))
			return sg_err_set(err, SG_EINVAL, "bad_path",
			    "The request path is too long.");
	}
	if (!path_ok(req->pathbuf))
		return sg_err_set(err, SG_EINVAL, "bad_path",
		    "The request path is not acceptable.");
	req->path = req->pathbuf;
	return SG_OK;
}

enum sg_rc
sg_req_init(struct sg_req *req, char **env, const char *body, size_t bodylen,
    struct sg_err *err)
{
	const char	*role;
	enum sg_rc	 rc;

	(void)memset(req, 0, sizeof(*req));
	req->env = env;
	req->method = param_or_empty(req, "REQUEST_METHOD");
	req->raw_uri = param_or_empty(req, "REQUEST_URI");
	req->query = param_or_empty(req, "QUERY_STRING");
	role = sg_req_param(req, "FCGI_ROLE");
	req->authorizer = role != NULL && strcmp(role, "AUTHORIZER") == 0;
	if ((rc = req_path(req, err)) != SG_OK)
		return rc;
	if (bodylen > 0) {
		if (body == NULL)
			return sg_err_set(err, SG_EINVAL, "bad_body",
			    "The request body is missing.");
		if (bodylen == SIZE_MAX ||
		    (req->body = malloc(bodylen + 1)) == NULL)
			return sg_err_set(err, SG_ENOMEM, "out_of_memory",
			    "Out of memory.");
		(void)memcpy(req->body, body, bodylen);
		req->body[bodylen] = '\0';
		req->bodylen = bodylen;
	}
	return SG_OK;
}

void
sg_req_clear(struct sg_req *req)
{
	if (req == NULL)
		return;
	if (req->body != NULL) {
		explicit_bzero(req->body, req->bodylen);
		free(req->body);
	}
	(void)memset(req, 0, sizeof(*req));
}

enum sg_rc
sg_req_content_length(const char *s, size_t max, size_t *len,
    struct sg_err *err)
{
	int64_t		 v;
	size_t		 n;

	*len = 0;
	if (s == NULL || *s == '\0')
		return SG_OK;
	/* RFC 3875 4.1.2 and RFC 9110 8.6: 1*DIGIT, nothing else. */
	n = strlen(s);
	if (!sg_num_is_digits(s, n))
		return sg_err_set(err, SG_EINVAL, "bad_content_length",
		    "CONTENT_LENGTH is not a decimal number.");
	/*
	 * More than 19 digits is too large even when they are mostly
	 * leading zeros; what overflows is too large as well.
	 */
	if (n > 19 || sg_num_parse(s, 0, max > INT64_MAX ? INT64_MAX :
	    (int64_t)max, &v) != 0)
		return sg_err_set(err, SG_ETOOBIG, "payload_too_large",
		    "The request body is larger than %zu bytes.", max);
	*len = (size_t)v;
	return SG_OK;
}

/*
 * application/json, optionally with one charset parameter naming UTF-8
 * (RFC 8259 11 defines no parameters; clients send charset anyway).
 * Type, subtype, parameter name and charset value are case-insensitive
 * (RFC 9110 8.3.1, 8.3.2).
 */
static int
content_type_json(const char *ct)
{
	static const char	 type[] = "application/json";

	if (ct == NULL || strncasecmp(ct, type, sizeof(type) - 1) != 0)
		return 0;
	ct += sizeof(type) - 1;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	if (*ct == '\0')
		return 1;
	if (*ct++ != ';')
		return 0;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	if (strncasecmp(ct, "charset=", 8) != 0)
		return 0;
	ct += 8;
	if (strncasecmp(ct, "utf-8", 5) == 0)
		ct += 5;
	else if (strncasecmp(ct, "\"utf-8\"", 7) == 0)
		ct += 7;
	else
		return 0;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0';
}

cJSON *
sg_req_json(const struct sg_req *req, struct sg_resp *resp)
{
	struct sg_err	 err;
	cJSON		*j = NULL;

	sg_err_clear(&err);
	if (!content_type_json(sg_req_param(req, "CONTENT_TYPE"))) {
		sg_resp_error(resp, 415, "unsupported_media_type",
		    "The request body must be application/json.");
		return NULL;
	}
	if (req->bodylen > SG_HTTP_MAX_BODY) {
		sg_resp_error(resp, 413, "payload_too_large",
		    "The request body is larger than %d bytes.",
		    SG_HTTP_MAX_BODY);
		return NULL;
	}
	if (req->body == NULL || req->bodylen == 0) {
		sg_resp_error(resp, 400, "bad_json",
		    "The request body is empty.");
		return NULL;
	}
	if ((j = sg_json_parse_object(req->body, req->bodylen, &err)) == NULL) {
		if (err.rc == SG_ENOMEM)
			sg_resp_error(resp, 500, "out_of_memory",
			    "Out of memory.");
		else
			sg_resp_error(resp, 400, "bad_json",
			    "The request body is not a strict JSON object: %s",
			    err.msg[0] != '\0' ? err.msg : "parse error.");
		return NULL;
	}
	return j;
}

/*
 * Decode n bytes of application/x-www-form-urlencoded text into out
 * (NUL-terminated).  -1 on a bad escape, a control byte (raw or
 * escaped, NUL included) or when it does not fit.
 */
static int
form_decode(const char *s, size_t n, char *out, size_t size)
{
	size_t	 i, o = 0;
	int	 c, hi, lo;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '%') {
			if (i + 2 >= n)
				return -1;
			if ((hi = sg_hexval(s[i + 1])) < 0 ||
			    (lo = sg_hexval(s[i + 2])) < 0)
				return -1;
			c = hi * 16 + lo;
			i += 2;
		} else if (c == '+')
			c = ' ';
		if (c < 0x20 || c == 0x7f)
			return -1;
		if (o + 1 >= size)
			return -1;
		out[o++] = (char)c;
	}
	if (size == 0)
		return -1;
	out[o] = '\0';
	return 0;
}

static int
query_find(const struct sg_req *req, const char *name, char *buf,
    size_t size)
{
	const char	*p, *end, *eq;
	char		 key[REQ_MAX_QNAME + 1];
	char		 val[REQ_MAX_QUERY + 1];
	size_t		 klen;
	int		 found = 0;

	if (buf != NULL && size > 0)
		buf[0] = '\0';
	if (req == NULL || req->query == NULL || name == NULL)
		return 0;
	if (strlen(req->query) > REQ_MAX_QUERY)
		return -1;
	/*
	 * The whole query must parse, and every name is compared decoded,
	 * so "user_id=a&user%5Fid=b" is the duplicate it is.
	 */
	for (p = req->query; *p != '\0'; p = *end == '&' ? end + 1 : end) {
		end = p + strcspn(p, "&");
		if (end == p)
			continue;	/* "a=1&&b=2", trailing '&' */
		eq = memchr(p, '=', (size_t)(end - p));
		klen = (size_t)((eq != NULL ? eq : end) - p);
		if (klen == 0 || form_decode(p, klen, key, sizeof(key)) != 0)
			return -1;
		if (eq == NULL)
			val[0] = '\0';
		else if (form_decode(eq + 1, (size_t)(end - eq - 1), val,
		    sizeof(val)) != 0)
			return -1;
		if (strcmp(key, name) != 0)
			continue;
		if (found)
			return -1;
		found = 1;
		if (buf == NULL || strlcpy(buf, val, size) >= size)
			return -1;
	}
	return found;
}

int
sg_req_query(const struct sg_req *req, const char *name, char *buf,
    size_t size)
{
	int	 rc;

	/* Nothing of a refused query is left in buf. */
	if ((rc = query_find(req, name, buf, size)) < 0 && buf != NULL &&
	    size > 0)
		buf[0] = '\0';
	return rc;
}

/* Identity, as the authorizer handed it on. */

int
sg_scope_has(const char *list, const char *scope)
{
	size_t	 n, m;

	if (list == NULL || scope == NULL || (m = strlen(scope)) == 0)
		return 0;
	while (*list != '\0') {
		n = strcspn(list, " ");
		if (n == m && strncmp(list, scope, m) == 0)
			return 1;
		list += n;
		while (*list == ' ')
			list++;
	}
	return 0;
}

int
sg_req_auth(const struct sg_req *req, struct sg_resp *resp, const char *kind,
    const char *scope)
{
	const char	*k;

	k = sg_req_param(req, "SG_KIND");
	if (k == NULL || *k == '\0') {
		/* Did not pass the authorizer (or it is not configured). */
		sg_resp_error(resp, 401, "invalid_token",
		    "The request carries no verified identity.");
		(void)sg_resp_header(resp, "WWW-Authenticate",
		    "Bearer error=\"invalid_token\"");
		return -1;
	}
	if (kind != NULL && strcmp(k, kind) != 0) {
		sg_resp_error(resp, 403, "forbidden",
		    "This identity may not use this resource.");
		return -1;
	}
	if (scope != NULL &&
	    !sg_scope_has(sg_req_param(req, "SG_SCOPE"), scope)) {
		sg_resp_error(resp, 403, "insufficient_scope",
		    "This resource needs the scope %s.", scope);
		return -1;
	}
	return 0;
}


int
sg_req_is_get(const struct sg_req *req)
{
	return req->method != NULL && (strcmp(req->method, "GET") == 0 ||
	    strcmp(req->method, "HEAD") == 0);
}
