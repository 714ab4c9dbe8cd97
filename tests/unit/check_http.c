/* SPDX-License-Identifier: ISC */
/*
 * FastCGI requests, responses and the accept loop (lib/request.c,
 * lib/response.c, lib/serve.c) and logging (lib/log.c): path
 * normalisation for the environments lighttpd, nginx and Apache really
 * send (docs/web-servers.md 1.2, 2.2, 3.2), hostile
 * paths, strict CONTENT_LENGTH, content types, query decoding, header
 * injection, the response shape, and the accept loop itself driven over
 * a unix socket by a small FastCGI client (413 without reading, signals).
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "compat.h"
#include "request.h"
#include "response.h"
#include "serve.h"
#include "json.h"
#include "log.h"

/* An environment built from string literals. */
struct env {
	char	*v[64];
	size_t	 n;
};

static void
env_set(struct env *e, const char *kv)
{
	ck_assert_uint_lt(e->n, 63);
	e->v[e->n] = strdup(kv);
	ck_assert_ptr_nonnull(e->v[e->n]);
	e->n++;
	e->v[e->n] = NULL;
}

static char **
env_make(struct env *e, ...)
{
	va_list		 ap;
	const char	*kv;

	e->n = 0;
	e->v[0] = NULL;
	va_start(ap, e);
	while ((kv = va_arg(ap, const char *)) != NULL)
		env_set(e, kv);
	va_end(ap);
	return e->v;
}

static void
env_free(struct env *e)
{
	size_t	 i;

	for (i = 0; i < e->n; i++)
		free(e->v[i]);
	e->n = 0;
	e->v[0] = NULL;
}

/* Path of a request with REQUEST_URI u (GET), or NULL if refused. */
static int
path_of(const char *u, char *out, size_t size)
{
	struct env	 e;
	struct sg_req	 req;
	struct sg_err	 err;
	char		 kv[2048];
	enum sg_rc	 rc;

	(void)snprintf(kv, sizeof(kv), "REQUEST_URI=%s", u);
	env_make(&e, "REQUEST_METHOD=GET", kv, NULL);
	sg_err_clear(&err);
	rc = sg_req_init(&req, e.v, NULL, 0, &err);
	if (rc == SG_OK && req.path != NULL)
		(void)strlcpy(out, req.path, size);
	else if (rc != SG_OK) {
		ck_assert_int_eq(rc, SG_EINVAL);
		ck_assert_str_eq(err.code, "bad_path");
	}
	sg_req_clear(&req);
	env_free(&e);
	return rc == SG_OK ? 0 : -1;
}

/* lighttpd 1.4 backend (docs/web-servers.md 2.2). */
START_TEST(path_lighttpd)
{
	struct env	 e;
	struct sg_req	 req;

	env_make(&e, "FCGI_ROLE=RESPONDER", "REQUEST_METHOD=GET",
	    "REQUEST_URI=/v1/sessions/sandbox_abc?x=1",
	    "SCRIPT_NAME=/v1/sessions/sandbox_abc", "QUERY_STRING=x=1",
	    "SCRIPT_FILENAME=/srv/docroot/v1/sessions/sandbox_abc",
	    "HTTP_HOST=127.0.0.1:18020", NULL);
	ck_assert_int_eq(sg_req_init(&req, e.v, NULL, 0, NULL), SG_OK);
	ck_assert_str_eq(req.path, "/v1/sessions/sandbox_abc");
	ck_assert_str_eq(req.method, "GET");
	ck_assert_str_eq(req.query, "x=1");
	ck_assert_str_eq(req.raw_uri, "/v1/sessions/sandbox_abc?x=1");
	ck_assert_int_eq(req.authorizer, 0);
	ck_assert_ptr_null(req.body);
	sg_req_clear(&req);
	env_free(&e);

	/* The authorizer call: FCGI_ROLE=AUTHORIZER, no CONTENT_LENGTH. */
	env_make(&e, "FCGI_ROLE=AUTHORIZER", "REQUEST_METHOD=POST",
	    "REQUEST_URI=/v1/tokens", "HTTP_CONTENT_LENGTH=13",
	    "SCRIPT_FILENAME=/srv/docroot/v1/tokens", NULL);
	ck_assert_int_eq(sg_req_init(&req, e.v, NULL, 0, NULL), SG_OK);
	ck_assert_str_eq(req.path, "/v1/tokens");
	ck_assert_int_eq(req.authorizer, 1);
	sg_req_clear(&req);
	env_free(&e);
}
END_TEST

/* nginx auth_request: SCRIPT_NAME is the auth location (3.2). */
START_TEST(path_nginx)
{
	struct env	 e;
	struct sg_req	 req;

	env_make(&e, "FCGI_ROLE=RESPONDER", "DOCUMENT_URI=/_tv_auth",
	    "SCRIPT_NAME=/_tv_auth", "REQUEST_URI=/v1/sandboxes?limit=5",
	    "REQUEST_METHOD=GET", "CONTENT_LENGTH=", "CONTENT_LENGTH=",
	    "HTTP_HOST=127.0.0.1", "SERVER_NAME=", NULL);
	ck_assert_int_eq(sg_req_init(&req, e.v, NULL, 0, NULL), SG_OK);
	ck_assert_str_eq(req.path, "/v1/sandboxes");
	ck_assert_str_eq(req.query, "");
	/* Identical duplicates are not a conflict. */
	ck_assert_str_eq(sg_req_param(&req, "CONTENT_LENGTH"), "");
	sg_req_clear(&req);
	env_free(&e);
}
END_TEST

/* Apache mod_authnz_fcgi: no SCRIPT_NAME/PATH_INFO; proxy requests (1.2). */
START_TEST(path_apache)
{
	struct env	 e;
	struct sg_req	 req;

	env_make(&e, "FCGI_APACHE_ROLE=AUTHENTICATOR", "FCGI_ROLE=AUTHORIZER",
	    "HTTP_AUTHORIZATION=Bearer good.fake.jwt", "QUERY_STRING=limit=5",
	    "REQUEST_METHOD=GET", "REQUEST_URI=/v1/sandboxes?limit=5",
	    "SCRIPT_FILENAME=proxy:fcgi://127.0.0.1:18003/sandboxes", NULL);
	ck_assert_int_eq(sg_req_init(&req, e.v, NULL, 0, NULL), SG_OK);
	ck_assert_str_eq(req.path, "/v1/sandboxes");
	ck_assert_int_eq(req.authorizer, 1);
	ck_assert_str_eq(sg_req_param(&req, "HTTP_AUTHORIZATION"),
	    "Bearer good.fake.jwt");
	sg_req_clear(&req);
	env_free(&e);

	/* CONNECT: path NULL, raw_uri is the authority. */
	env_make(&e, "FCGI_ROLE=AUTHORIZER", "REQUEST_METHOD=CONNECT",
	    "REQUEST_URI=127.0.0.1:18090",
	    "SCRIPT_FILENAME=proxy:127.0.0.1:18090", NULL);
	ck_assert_int_eq(sg_req_init(&req, e.v, NULL, 0, NULL), SG_OK);
	ck_assert_ptr_null(req.path);
	ck_assert_str_eq(req.raw_uri, "127.0.0.1:18090");
	sg_req_clear(&req);
	env_free(&e);

	/* Absolute-form GET: path NULL. */
	env_make(&e, "REQUEST_METHOD=GET", "REQUEST_URI=http://LOCALHOST/m4",
	    NULL);
	ck_assert_int_eq(sg_req_init(&req, e.v, NULL, 0, NULL), SG_OK);
	ck_assert_ptr_null(req.path);
	ck_assert_str_eq(req.raw_uri, "http://LOCALHOST/m4");
	sg_req_clear(&req);
	env_free(&e);

	/* CONNECT with an origin-form-looking target is still a proxy request. */
	env_make(&e, "REQUEST_METHOD=CONNECT", "REQUEST_URI=/v1/tokens", NULL);
	ck_assert_int_eq(sg_req_init(&req, e.v, NULL, 0, NULL), SG_OK);
	ck_assert_ptr_null(req.path);
	sg_req_clear(&req);
	env_free(&e);
}
END_TEST

/* Without REQUEST_URI: SCRIPT_NAME + PATH_INFO, checked the same way. */
START_TEST(path_fallback)
{
	struct env	 e;
	struct sg_req	 req;
	struct sg_err	 err;

	env_make(&e, "REQUEST_METHOD=GET", "SCRIPT_NAME=/v1",
	    "PATH_INFO=/sessions/abc", NULL);
	ck_assert_int_eq(sg_req_init(&req, e.v, NULL, 0, NULL), SG_OK);
	ck_assert_str_eq(req.path, "/v1/sessions/abc");
	sg_req_clear(&req);
	env_free(&e);

	env_make(&e, "REQUEST_METHOD=GET", "SCRIPT_NAME=/v1",
	    "PATH_INFO=/../etc/passwd", NULL);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_req_init(&req, e.v, NULL, 0, &err), SG_EINVAL);
	ck_assert_str_eq(err.code, "bad_path");
	sg_req_clear(&req);
	env_free(&e);

	/* Nothing to route on at all. */
	env_make(&e, "REQUEST_METHOD=GET", NULL);
	ck_assert_int_eq(sg_req_init(&req, e.v, NULL, 0, NULL), SG_EINVAL);
	sg_req_clear(&req);
	env_free(&e);
	ck_assert_int_eq(sg_req_init(&req, NULL, NULL, 0, NULL), SG_EINVAL);
	sg_req_clear(&req);
}
END_TEST

START_TEST(path_hostile)
{
	static const char *const bad[] = {
		"/v1/%2e%2e/etc/passwd", "/v1/sessions/%2E%2E", "/v1/..%2f",
		"/v1/sessions/abc%00", "/v1//sessions", "//v1/sessions",
		"/v1/../v1/sessions", "/v1/./sessions", "/v1/sessions/..",
		"/v1/sessions/.", "/..", "/.", "/v1/a\tb", "/v1/a b",
		"/v1/a\rb", "/v1/a\nb", "/v1/a\x01" "b", "/v1/a\x7f" "b",
		"/v1/a\\b", "/v1/a#b", "/v1/\xc3\xa9t\xc3\xa9",
		"/v1/sessions/abc\r\nX-Injected: 1",
	};
	char	 out[SG_HTTP_MAX_PATH + 1], big[SG_HTTP_MAX_PATH + 16];
	size_t	 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(path_of(bad[i], out, sizeof(out)) == -1,
		    "accepted %s", bad[i]);
	/* Dots inside a segment are fine; so is a query with anything. */
	ck_assert_int_eq(path_of("/v1/a..b/.x/x.", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "/v1/a..b/.x/x.");
	ck_assert_int_eq(path_of("/v1/sessions?user_id=%2e%2e/..", out,
	    sizeof(out)), 0);
	ck_assert_str_eq(out, "/v1/sessions");
	ck_assert_int_eq(path_of("/", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "/");
	/* Length: SG_HTTP_MAX_PATH is the most. */
	big[0] = '/';
	(void)memset(big + 1, 'a', SG_HTTP_MAX_PATH - 1);
	big[SG_HTTP_MAX_PATH] = '\0';
	ck_assert_int_eq(path_of(big, out, sizeof(out)), 0);
	big[SG_HTTP_MAX_PATH] = 'a';
	big[SG_HTTP_MAX_PATH + 1] = '\0';
	ck_assert_int_eq(path_of(big, out, sizeof(out)), -1);
}
END_TEST

START_TEST(req_body_copy)
{
	struct env	 e;
	struct sg_req	 req;
	const char	 body[] = { 'a', '\0', 'b' };

	env_make(&e, "REQUEST_METHOD=POST", "REQUEST_URI=/v1/tokens", NULL);
	ck_assert_int_eq(sg_req_init(&req, e.v, body, 3, NULL), SG_OK);
	ck_assert_uint_eq(req.bodylen, 3);
	ck_assert(memcmp(req.body, body, 3) == 0);
	ck_assert_int_eq(req.body[3], '\0');
	sg_req_clear(&req);
	ck_assert_ptr_null(req.body);
	/* bodylen without a body is a caller bug, not a crash. */
	ck_assert_int_eq(sg_req_init(&req, e.v, NULL, 3, NULL), SG_EINVAL);
	sg_req_clear(&req);
	env_free(&e);
}
END_TEST

/* A name given twice with different values is ambiguous: absent. */
START_TEST(param_conflict)
{
	struct env	 e;
	struct sg_req	 req;

	env_make(&e, "REQUEST_METHOD=GET", "REQUEST_URI=/x",
	    "SG_KIND=container", "SG_KIND=operator", "SG_SUB=a", "SG_SUB=a",
	    "SG_KINDX=1", NULL);
	ck_assert_int_eq(sg_req_init(&req, e.v, NULL, 0, NULL), SG_OK);
	ck_assert_ptr_null(sg_req_param(&req, "SG_KIND"));
	ck_assert_str_eq(sg_req_param(&req, "SG_SUB"), "a");
	ck_assert_ptr_null(sg_req_param(&req, "SG_KI"));
	ck_assert_ptr_null(sg_req_param(&req, "NOPE"));
	sg_req_clear(&req);
	env_free(&e);
}
END_TEST

START_TEST(content_length)
{
	static const char *const bad[] = {
		"-1", "+5", "1e3", " 5", "5 ", "0x10", "5.0", "1,2", "\t5",
		"five", "-0", "99999999999999999999x",
	};
	struct sg_err	 err;
	size_t		 len, i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sg_err_clear(&err);
		len = 99;
		ck_assert_msg(sg_req_content_length(bad[i], 65536, &len, &err) ==
		    SG_EINVAL, "accepted '%s'", bad[i]);
		ck_assert_str_eq(err.code, "bad_content_length");
		ck_assert_uint_eq(len, 0);
	}
	ck_assert_int_eq(sg_req_content_length(NULL, 10, &len, NULL), SG_OK);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(sg_req_content_length("", 10, &len, NULL), SG_OK);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(sg_req_content_length("0", 10, &len, NULL), SG_OK);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(sg_req_content_length("65536", 65536, &len, NULL),
	    SG_OK);
	ck_assert_uint_eq(len, 65536);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_req_content_length("65537", 65536, &len, &err),
	    SG_ETOOBIG);
	ck_assert_int_eq(sg_rc_http(err.rc), 413);
	/* Overflowing values are too big, never wrapped to something small. */
	sg_err_clear(&err);
	ck_assert_int_eq(sg_req_content_length("99999999999999999999", 65536,
	    &len, &err), SG_ETOOBIG);
	ck_assert_int_eq(sg_req_content_length("18446744073709551617", 65536,
	    &len, NULL), SG_ETOOBIG);
	ck_assert_uint_eq(len, 0);
}
END_TEST

/* A JSON request with content type ct and body b; resp gets the outcome. */
static cJSON *
json_req(const char *ct, const char *b, struct sg_resp *resp)
{
	struct env	 e;
	struct sg_req	 req;
	char		 kv[256];
	cJSON		*j;

	env_make(&e, "REQUEST_METHOD=POST", "REQUEST_URI=/v1/tokens", NULL);
	if (ct != NULL) {
		(void)snprintf(kv, sizeof(kv), "CONTENT_TYPE=%s", ct);
		env_set(&e, kv);
	}
	ck_assert_int_eq(sg_req_init(&req, e.v, b, b != NULL ? strlen(b) : 0,
	    NULL), SG_OK);
	sg_resp_init(resp);
	j = sg_req_json(&req, resp);
	sg_req_clear(&req);
	env_free(&e);
	return j;
}

/* The error code of resp's JSON body. */
static const char *
resp_code(const struct sg_resp *resp, char *buf, size_t size)
{
	cJSON		*j;
	const char	*c;

	buf[0] = '\0';
	ck_assert_ptr_nonnull(resp->body);
	j = sg_json_parse_object(resp->body, resp->bodylen, NULL);
	ck_assert_ptr_nonnull(j);
	/* Exactly {"error","message"}. */
	ck_assert_int_eq(cJSON_GetArraySize(j), 2);
	ck_assert_ptr_nonnull(sg_json_str(j, "message"));
	c = sg_json_str(j, "error");
	ck_assert_ptr_nonnull(c);
	(void)strlcpy(buf, c, size);
	cJSON_Delete(j);
	return buf;
}

START_TEST(content_type)
{
	static const char *const good[] = {
		"application/json", "application/json; charset=utf-8",
		"Application/JSON;charset=UTF-8", "application/json ; charset=\"utf-8\"",
		"application/json;  charset=utf-8  ",
	};
	static const char *const bad[] = {
		"text/plain", "", "application/jsonx", "application/json-patch+json",
		"application/json; charset=latin1", "application/json; x=y",
		"application/json; charset=utf-8; x=y", "application/x-www-form-urlencoded",
		"multipart/form-data; boundary=x", "application/json;charset=utf-88",
		" application/json",
	};
	struct sg_resp	 resp;
	cJSON		*j;
	char		 code[64];
	size_t		 i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		j = json_req(good[i], "{\"a\":1}", &resp);
		ck_assert_msg(j != NULL, "refused %s", good[i]);
		cJSON_Delete(j);
		sg_resp_clear(&resp);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		j = json_req(bad[i], "{\"a\":1}", &resp);
		ck_assert_msg(j == NULL, "accepted %s", bad[i]);
		ck_assert_int_eq(resp.status, 415);
		ck_assert_str_eq(resp_code(&resp, code, sizeof(code)),
		    "unsupported_media_type");
		sg_resp_clear(&resp);
	}
	/* No CONTENT_TYPE at all. */
	ck_assert_ptr_null(json_req(NULL, "{}", &resp));
	ck_assert_int_eq(resp.status, 415);
	sg_resp_clear(&resp);
}
END_TEST

START_TEST(json_body)
{
	static const char *const bad[] = {
		"", "[]", "\"x\"", "1", "{\"a\":1}x", "{\"a\":1,\"a\":2}",
		"{\"a\":\"\\u0000\"}", "\xef\xbb\xbf{}", "{'a':1}", "{\"a\":01}",
		"{\"a\":1,}", "{\"a\":\"\xff\"}",
	};
	struct sg_resp	 resp;
	cJSON		*j;
	char		 code[64], big[SG_HTTP_MAX_BODY + 16];
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		j = json_req("application/json", bad[i], &resp);
		ck_assert_msg(j == NULL, "accepted %s", bad[i]);
		ck_assert_int_eq(resp.status, 400);
		ck_assert_str_eq(resp_code(&resp, code, sizeof(code)),
		    "bad_json");
		sg_resp_clear(&resp);
	}
	j = json_req("application/json", " {\"a\" : [1, 2]}\n", &resp);
	ck_assert_ptr_nonnull(j);
	cJSON_Delete(j);
	sg_resp_clear(&resp);
	/* A body over the limit handed in by hand is still 413. */
	(void)memset(big, ' ', sizeof(big) - 1);
	big[0] = '{';
	big[sizeof(big) - 2] = '}';
	big[sizeof(big) - 1] = '\0';
	ck_assert_ptr_null(json_req("application/json", big, &resp));
	ck_assert_int_eq(resp.status, 413);
	sg_resp_clear(&resp);
}
END_TEST

/* sg_req_query on query string q. */
static int
query(const char *q, const char *name, char *buf, size_t size)
{
	struct env	 e;
	struct sg_req	 req;
	char		 kv[8192];
	int		 rc;

	(void)snprintf(kv, sizeof(kv), "QUERY_STRING=%s", q);
	env_make(&e, "REQUEST_METHOD=GET", "REQUEST_URI=/v1/sessions", kv,
	    NULL);
	ck_assert_int_eq(sg_req_init(&req, e.v, NULL, 0, NULL), SG_OK);
	rc = sg_req_query(&req, name, buf, size);
	sg_req_clear(&req);
	env_free(&e);
	return rc;
}

START_TEST(query_decoding)
{
	char	 b[32], big[5000];

	ck_assert_int_eq(query("user_id=abc", "user_id", b, sizeof(b)), 1);
	ck_assert_str_eq(b, "abc");
	ck_assert_int_eq(query("x=1&user_id=a%20b&y", "user_id", b,
	    sizeof(b)), 1);
	ck_assert_str_eq(b, "a b");
	ck_assert_int_eq(query("user_id=a+b", "user_id", b, sizeof(b)), 1);
	ck_assert_str_eq(b, "a b");
	ck_assert_int_eq(query("user_id=%41%62c", "user_id", b, sizeof(b)), 1);
	ck_assert_str_eq(b, "Abc");
	ck_assert_int_eq(query("user%5Fid=u1", "user_id", b, sizeof(b)), 1);
	ck_assert_str_eq(b, "u1");
	ck_assert_int_eq(query("&&user_id=u1&", "user_id", b, sizeof(b)), 1);
	ck_assert_str_eq(b, "u1");
	ck_assert_int_eq(query("user_id=", "user_id", b, sizeof(b)), 1);
	ck_assert_str_eq(b, "");
	ck_assert_int_eq(query("user_id", "user_id", b, sizeof(b)), 1);
	ck_assert_str_eq(b, "");
	ck_assert_int_eq(query("user_id=a=b", "user_id", b, sizeof(b)), 1);
	ck_assert_str_eq(b, "a=b");
	/* Absent. */
	ck_assert_int_eq(query("", "user_id", b, sizeof(b)), 0);
	ck_assert_str_eq(b, "");
	ck_assert_int_eq(query("user_ids=1&user=2", "user_id", b, sizeof(b)),
	    0);
	/* Malformed anywhere, duplicated, control bytes, too long. */
	ck_assert_int_eq(query("user_id=a&user_id=b", "user_id", b,
	    sizeof(b)), -1);
	ck_assert_str_eq(b, "");
	ck_assert_int_eq(query("user_id=a&user_id=a", "user_id", b,
	    sizeof(b)), -1);
	ck_assert_int_eq(query("user_id=a&user%5fid=b", "user_id", b,
	    sizeof(b)), -1);
	ck_assert_int_eq(query("user_id=%zz", "user_id", b, sizeof(b)), -1);
	ck_assert_int_eq(query("user_id=%4", "user_id", b, sizeof(b)), -1);
	ck_assert_int_eq(query("user_id=%", "user_id", b, sizeof(b)), -1);
	ck_assert_int_eq(query("user_id=a%00b", "user_id", b, sizeof(b)), -1);
	ck_assert_int_eq(query("user_id=a%0d%0ab", "user_id", b, sizeof(b)),
	    -1);
	ck_assert_int_eq(query("user_id=a%7fb", "user_id", b, sizeof(b)), -1);
	ck_assert_int_eq(query("x=%zz&user_id=a", "user_id", b, sizeof(b)),
	    -1);
	ck_assert_int_eq(query("=a&user_id=b", "user_id", b, sizeof(b)), -1);
	ck_assert_int_eq(query("user_id=0123456789012345678901234567890123456789",
	    "user_id", b, sizeof(b)), -1);
	ck_assert_str_eq(b, "");
	(void)memset(big, 'a', sizeof(big) - 1);
	(void)memcpy(big, "user_id=", 8);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(query(big, "user_id", b, sizeof(b)), -1);
}
END_TEST

/* The serialised response as a string. */
static char *
ser(const struct sg_resp *resp)
{
	char	*s;
	size_t	 len;

	s = sg_resp_serialize(resp, &len);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(strlen(s), len);
	return s;
}

static int
starts(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* Header injection: CR, LF, NUL or another CTL in a value is a 500. */
START_TEST(header_injection)
{
	static const char *const bad[] = {
		"a\r\nSet-Cookie: x=1", "a\nb", "a\rb", "a\x01" "b", "a\x7f",
		"\r\n",
	};
	struct sg_resp	 resp;
	char		*s;
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sg_resp_init(&resp);
		ck_assert_int_eq(sg_resp_header(&resp, "Location", "%s", "/ok"),
		    0);
		ck_assert_int_eq(sg_resp_header(&resp, "X-Test", "%s", bad[i]),
		    -1);
		ck_assert_int_eq(resp.status, 500);
		/* Setting a status and body afterwards does not undo it. */
		sg_resp_json(&resp, 200, cJSON_CreateObject());
		s = ser(&resp);
		ck_assert_msg(starts(s, "Status: 500 "), "%s", s);
		ck_assert_ptr_null(strstr(s, "Set-Cookie"));
		ck_assert_ptr_null(strstr(s, "Location"));
		ck_assert_ptr_nonnull(strstr(s, "\"internal_error\""));
		free(s);
		sg_resp_clear(&resp);
	}
	/* A NUL through %c. */
	sg_resp_init(&resp);
	ck_assert_int_eq(sg_resp_header(&resp, "X-Test", "a%cb", 0), -1);
	ck_assert_int_eq(resp.status, 500);
	sg_resp_clear(&resp);
	/* Bad names, a second Status, and too many headers. */
	sg_resp_init(&resp);
	ck_assert_int_eq(sg_resp_header(&resp, "Status", "200"), -1);
	sg_resp_clear(&resp);
	sg_resp_init(&resp);
	ck_assert_int_eq(sg_resp_header(&resp, "X Y", "1"), -1);
	sg_resp_clear(&resp);
	sg_resp_init(&resp);
	ck_assert_int_eq(sg_resp_header(&resp, "X:Y", "1"), -1);
	sg_resp_clear(&resp);
	sg_resp_init(&resp);
	ck_assert_int_eq(sg_resp_header(&resp, "", "1"), -1);
	sg_resp_clear(&resp);
	sg_resp_init(&resp);
	for (i = 0; i < SG_RESP_MAX_HEADERS; i++)
		ck_assert_int_eq(sg_resp_header(&resp, "X-N", "%zu", i), 0);
	ck_assert_int_eq(sg_resp_header(&resp, "X-N", "x"), -1);
	s = ser(&resp);
	ck_assert(starts(s, "Status: 500 "));
	free(s);
	sg_resp_clear(&resp);
	/* A tab is a legal field value character. */
	sg_resp_init(&resp);
	ck_assert_int_eq(sg_resp_header(&resp, "X-Tab", "a\tb"), 0);
	resp.status = 204;
	s = ser(&resp);
	ck_assert_str_eq(s, "Status: 204 No Content\r\nX-Tab: a\tb\r\n\r\n");
	free(s);
	sg_resp_clear(&resp);
}
END_TEST

/* Every serialised response starts with an explicit Status. */
START_TEST(serialize_status)
{
	static const int	 codes[] = { 200, 201, 204, 400, 401, 403, 404,
	    405, 407, 409, 413, 415, 429, 500, 502, 503 };
	struct sg_resp		 resp;
	char			*s, want[32];
	size_t			 i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		sg_resp_init(&resp);
		resp.status = codes[i];
		s = ser(&resp);
		(void)snprintf(want, sizeof(want), "Status: %d ", codes[i]);
		ck_assert_msg(starts(s, want), "%s", s);
		ck_assert_ptr_nonnull(strstr(s, "\r\n\r\n"));
		free(s);
		sg_resp_clear(&resp);
	}
	/* A handler that set nothing: 500, never an implicit 200. */
	sg_resp_init(&resp);
	s = ser(&resp);
	ck_assert(starts(s, "Status: 500 Internal Server Error\r\n"));
	free(s);
	resp.status = 42;
	s = ser(&resp);
	ck_assert(starts(s, "Status: 500 "));
	free(s);
	resp.status = 600;
	s = ser(&resp);
	ck_assert(starts(s, "Status: 500 "));
	free(s);
	sg_resp_clear(&resp);
	/* 204 never carries a body or its Content-Type. */
	sg_resp_init(&resp);
	sg_resp_json(&resp, 204, cJSON_CreateObject());
	s = ser(&resp);
	ck_assert_str_eq(s, "Status: 204 No Content\r\n\r\n");
	free(s);
	sg_resp_clear(&resp);
}
END_TEST

START_TEST(serialize_json)
{
	struct sg_resp	 resp;
	cJSON		*o;
	char		*s;

	sg_resp_init(&resp);
	o = cJSON_CreateObject();
	ck_assert_int_eq(sg_json_add_str(o, "status", "ok"), 0);
	sg_resp_json(&resp, 200, o);
	s = ser(&resp);
	ck_assert_str_eq(s, "Status: 200 OK\r\n"
	    "Content-Type: application/json\r\n"
	    "Cache-Control: no-store\r\n\r\n"
	    "{\"status\":\"ok\"}");
	free(s);
	/* A handler's own Cache-Control wins, and is not doubled. */
	ck_assert_int_eq(sg_resp_header(&resp, "Cache-Control",
	    "public, max-age=300"), 0);
	s = ser(&resp);
	ck_assert_ptr_nonnull(strstr(s, "Cache-Control: public, max-age=300"));
	ck_assert_ptr_null(strstr(s, "no-store"));
	free(s);
	/* Replacing the body keeps one Content-Type. */
	sg_resp_json(&resp, 201, cJSON_CreateObject());
	s = ser(&resp);
	ck_assert(starts(s, "Status: 201 Created\r\n"));
	ck_assert_ptr_eq(strstr(s, "Content-Type"),
	    strstr(s, "Content-Type: application/json"));
	ck_assert_ptr_null(strstr(strstr(s, "Content-Type") + 1,
	    "Content-Type"));
	free(s);
	sg_resp_clear(&resp);
}
END_TEST

START_TEST(error_shape)
{
	struct sg_resp	 resp;
	struct sg_err	 err;
	char		 code[64], *s;
	cJSON		*j;

	sg_resp_init(&resp);
	sg_resp_error(&resp, 400, "invalid_field",
	    "Field %s is \"bad\"\n.", "x");
	ck_assert_int_eq(resp.status, 400);
	ck_assert_str_eq(resp_code(&resp, code, sizeof(code)), "invalid_field");
	j = sg_json_parse_object(resp.body, resp.bodylen, NULL);
	ck_assert_str_eq(sg_json_str(j, "message"), "Field x is \"bad\"\n.");
	cJSON_Delete(j);
	sg_resp_clear(&resp);

	/* 503 carries Retry-After, whoever builds it. */
	sg_resp_init(&resp);
	sg_resp_error(&resp, 503, "redis_unavailable", "Redis is down.");
	s = ser(&resp);
	ck_assert(starts(s, "Status: 503 Service Unavailable\r\n"));
	ck_assert_ptr_nonnull(strstr(s, "\r\nRetry-After: 5\r\n"));
	ck_assert_ptr_null(strstr(strstr(s, "Retry-After") + 1,
	    "Retry-After"));
	free(s);
	sg_resp_clear(&resp);
	sg_resp_init(&resp);
	resp.status = 503;
	s = ser(&resp);
	ck_assert_ptr_nonnull(strstr(s, "\r\nRetry-After: 5\r\n"));
	free(s);
	sg_resp_clear(&resp);

	/* 405 with Allow. */
	sg_resp_init(&resp);
	sg_resp_method(&resp, "GET, HEAD");
	s = ser(&resp);
	ck_assert(starts(s, "Status: 405 Method Not Allowed\r\n"));
	ck_assert_ptr_nonnull(strstr(s, "\r\nAllow: GET, HEAD\r\n"));
	ck_assert_str_eq(resp_code(&resp, code, sizeof(code)),
	    "method_not_allowed");
	free(s);
	sg_resp_clear(&resp);

	/* From a library error. */
	sg_resp_init(&resp);
	sg_err_clear(&err);
	sg_err_set(&err, SG_EPERM, "not_yours", "Not your session.");
	sg_resp_from_err(&resp, &err);
	ck_assert_int_eq(resp.status, 403);
	ck_assert_str_eq(resp_code(&resp, code, sizeof(code)), "not_yours");
	sg_resp_clear(&resp);
	sg_resp_init(&resp);
	sg_resp_from_err(&resp, NULL);
	ck_assert_int_eq(resp.status, 500);
	sg_resp_clear(&resp);
}
END_TEST

static int
resp_find_hdr(const struct sg_resp *resp, const char *name)
{
	size_t	 i, n = strlen(name);

	for (i = 0; i < resp->nhdr; i++)
		if (strncasecmp(resp->hdr[i], name, n) == 0 &&
		    resp->hdr[i][n] == ':')
			return (int)i;
	return -1;
}

/* Identity handed over by the authorizer. */
static int
auth(const char *kind, const char *scope, const char *want_kind,
    const char *want_scope, int *status)
{
	struct env	 e;
	struct sg_req	 req;
	struct sg_resp	 resp;
	char		 kv[256];
	int		 rc;

	env_make(&e, "REQUEST_METHOD=GET", "REQUEST_URI=/v1/x", NULL);
	if (kind != NULL) {
		(void)snprintf(kv, sizeof(kv), "SG_KIND=%s", kind);
		env_set(&e, kv);
	}
	if (scope != NULL) {
		(void)snprintf(kv, sizeof(kv), "SG_SCOPE=%s", scope);
		env_set(&e, kv);
	}
	ck_assert_int_eq(sg_req_init(&req, e.v, NULL, 0, NULL), SG_OK);
	sg_resp_init(&resp);
	rc = sg_req_auth(&req, &resp, want_kind, want_scope);
	*status = resp.status;
	if (rc == 0)
		ck_assert_int_eq(resp.status, 0);
	else if (resp.status == 401)
		ck_assert_int_ge(resp_find_hdr(&resp, "WWW-Authenticate"), 0);
	sg_resp_clear(&resp);
	sg_req_clear(&req);
	env_free(&e);
	return rc;
}

START_TEST(identity)
{
	int	 st;

	ck_assert_int_eq(auth(NULL, NULL, "operator", NULL, &st), -1);
	ck_assert_int_eq(st, 401);
	ck_assert_int_eq(auth("", "tokens:issue", "operator", NULL, &st), -1);
	ck_assert_int_eq(st, 401);
	ck_assert_int_eq(auth("container", NULL, "operator", NULL, &st), -1);
	ck_assert_int_eq(st, 403);
	ck_assert_int_eq(auth("operator", "", "operator", "tokens:issue",
	    &st), -1);
	ck_assert_int_eq(st, 403);
	ck_assert_int_eq(auth("operator", "tokens:issuer sessions:read",
	    "operator", "tokens:issue", &st), -1);
	ck_assert_int_eq(st, 403);
	ck_assert_int_eq(auth("operator", "sessions:read tokens:issue",
	    "operator", "tokens:issue", &st), 0);
	ck_assert_int_eq(auth("operator", "tokens:issue", NULL, NULL, &st), 0);
	ck_assert_int_eq(auth("Operator", "tokens:issue", "operator", NULL,
	    &st), -1);

	ck_assert_int_eq(sg_scope_has("a b  c", "c"), 1);
	ck_assert_int_eq(sg_scope_has("a b c", "b c"), 0);
	ck_assert_int_eq(sg_scope_has("abc", "ab"), 0);
	ck_assert_int_eq(sg_scope_has("", "a"), 0);
	ck_assert_int_eq(sg_scope_has(NULL, "a"), 0);
	ck_assert_int_eq(sg_scope_has("a", ""), 0);
}
END_TEST

/* Logging: capture stderr in a temporary file. */
static char *
capture_log(void (*fn)(void))
{
	char	 path[] = "/tmp/check_http_log.XXXXXX";
	char	*buf;
	int	 fd, saved;
	ssize_t	 n;

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	(void)unlink(path);
	saved = dup(STDERR_FILENO);
	ck_assert_int_ge(dup2(fd, STDERR_FILENO), 0);
	fn();
	ck_assert_int_ge(dup2(saved, STDERR_FILENO), 0);
	(void)close(saved);
	buf = calloc(1, 65536);
	ck_assert_ptr_nonnull(buf);
	n = pread(fd, buf, 65535, 0);
	ck_assert_int_ge(n, 0);
	(void)close(fd);
	return buf;
}

static void
log_some(void)
{
	struct sg_decision	 d;

	sg_log_init("check-http", SG_LOG_INFO);
	sg_log(SG_LOG_DEBUG, "hidden", "k", "v", NULL);
	sg_log(SG_LOG_INFO, "hello", "target", "evil\n{\"forged\":1}\"",
	    "bytes", "a\xff\xc0\xafz", "none", (const char *)NULL,
	    "event", "overridden", NULL);
	(void)memset(&d, 0, sizeof(d));
	d.mode = "egress";
	d.decision = "deny";
	d.reason = "host_not_allowed";
	d.status = 403;
	d.container_id = "sandbox_x";
	d.jti = "j1";
	d.sub = "u1";
	d.target = "evil.com:443";
	d.latency_us = 1234;
	sg_log_decision(&d);
	sg_log_init("check-http", SG_LOG_WARN);
	sg_log_decision(&d);
	sg_log(SG_LOG_WARN, "warned", NULL);
}

static cJSON *
next_line(char **p)
{
	char	*nl;
	cJSON	*j;

	nl = strchr(*p, '\n');
	ck_assert_ptr_nonnull(nl);
	j = sg_json_parse_object(*p, (size_t)(nl - *p), NULL);
	ck_assert_msg(j != NULL, "not JSON: %.*s", (int)(nl - *p), *p);
	*p = nl + 1;
	return j;
}

START_TEST(log_lines)
{
	char		*buf, *p;
	const char	*ts;
	cJSON		*j;
	int64_t		 v;
	int		 lines = 0;

	buf = capture_log(log_some);
	for (p = buf; *p != '\0'; p++)
		lines += *p == '\n';
	ck_assert_int_eq(lines, 3);
	p = buf;
	j = next_line(&p);
	ts = sg_json_str(j, "ts");
	ck_assert_ptr_nonnull(ts);
	/* 2026-01-01T00:00:00.000Z */
	ck_assert_uint_eq(strlen(ts), 24);
	ck_assert(ts[4] == '-' && ts[10] == 'T' && ts[19] == '.' &&
	    ts[23] == 'Z');
	ck_assert_str_eq(sg_json_str(j, "service"), "check-http");
	ck_assert_str_eq(sg_json_str(j, "level"), "info");
	ck_assert_str_eq(sg_json_str(j, "event"), "hello");
	ck_assert_str_eq(sg_json_str(j, "target"), "evil\n{\"forged\":1}\"");
	ck_assert_str_eq(sg_json_str(j, "bytes"), "a???z");
	ck_assert(cJSON_IsNull(sg_json_get(j, "none")));
	cJSON_Delete(j);
	j = next_line(&p);
	ck_assert_str_eq(sg_json_str(j, "event"), "decision");
	ck_assert_str_eq(sg_json_str(j, "mode"), "egress");
	ck_assert_str_eq(sg_json_str(j, "decision"), "deny");
	ck_assert_str_eq(sg_json_str(j, "reason"), "host_not_allowed");
	ck_assert_str_eq(sg_json_str(j, "container_id"), "sandbox_x");
	ck_assert_str_eq(sg_json_str(j, "jti"), "j1");
	ck_assert_str_eq(sg_json_str(j, "sub"), "u1");
	ck_assert_str_eq(sg_json_str(j, "target"), "evil.com:443");
	ck_assert_int_eq(sg_json_int(j, "status", 0, 999, &v, NULL), SG_OK);
	ck_assert_int_eq(v, 403);
	ck_assert_int_eq(sg_json_int(j, "latency_us", 0, 1 << 30, &v, NULL),
	    SG_OK);
	ck_assert_int_eq(v, 1234);
	cJSON_Delete(j);
	j = next_line(&p);
	ck_assert_str_eq(sg_json_str(j, "event"), "warned");
	ck_assert_str_eq(sg_json_str(j, "level"), "warn");
	cJSON_Delete(j);
	free(buf);
}
END_TEST

static void
log_long(void)
{
	char	 v[5000];

	(void)memset(v, 'x', sizeof(v) - 1);
	v[sizeof(v) - 1] = '\0';
	/* A multi-byte character right at the cut. */
	(void)memcpy(v + 510, "\xe2\x82\xac", 3);
	sg_log_init("check-http", SG_LOG_DEBUG);
	sg_log(SG_LOG_ERROR, "long", "v", v, NULL);
}

static void
log_flood(void)
{
	int	 i;
	char	 n[16];

	sg_log_init("check-http", SG_LOG_INFO);
	sg_log_set_rate(10);		/* bursts of 20 */
	for (i = 0; i < 200; i++) {
		(void)snprintf(n, sizeof(n), "%d", i);
		sg_log(SG_LOG_INFO, "flood", "n", n, NULL);
	}
	(void)usleep(250000);		/* 2.5 lines' worth */
	sg_log(SG_LOG_INFO, "after", NULL);
	sg_log_set_rate(0);
}

/*
 * The rate limit: a flood is cut to the burst, nothing is lost without
 * a count (printed + dropped = sent), and the count comes first in the
 * next line printed after the gap.
 */
START_TEST(log_rate_limit)
{
	char		*buf, *p;
	cJSON		*j;
	const char	*ev;
	int64_t		 dropped = -1;
	int		 flood = 0, after = 0, summary_then_after = 0, prev = 0;

	buf = capture_log(log_flood);
	p = buf;
	while (*p != '\0') {
		j = next_line(&p);
		ev = sg_json_str(j, "event");
		ck_assert_ptr_nonnull(ev);
		if (strcmp(ev, "flood") == 0)
			flood++;
		else if (strcmp(ev, "after") == 0) {
			after++;
			summary_then_after = prev;
		} else if (strcmp(ev, "log_suppressed") == 0) {
			ck_assert_str_eq(sg_json_str(j, "level"), "warn");
			ck_assert_ptr_nonnull(sg_json_str(j, "since"));
			ck_assert(cJSON_IsNumber(sg_json_get(j, "dropped")));
			dropped = (int64_t)sg_json_get(j, "dropped")->valuedouble;
		}
		prev = strcmp(ev, "log_suppressed") == 0;
		cJSON_Delete(j);
	}
	ck_assert_msg(flood >= 20 && flood <= 25, "%d flood lines", flood);
	ck_assert_int_eq(after, 1);
	ck_assert_msg(summary_then_after, "no count right before the next line");
	ck_assert_int_eq(flood + dropped, 200);
	free(buf);
}
END_TEST

START_TEST(log_truncates)
{
	char		*buf, *p;
	const char	*v;
	cJSON		*j;

	buf = capture_log(log_long);
	p = buf;
	j = next_line(&p);
	v = sg_json_str(j, "v");
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_le(strlen(v), 520);
	ck_assert_str_eq(v + strlen(v) - 3, "...");
	ck_assert_str_eq(sg_json_str(j, "level"), "error");
	cJSON_Delete(j);
	free(buf);
}
END_TEST

/* "DEV:INO" of fd, as systemd writes JOURNAL_STREAM. */
static void
stream_of(int fd, char *buf, size_t size)
{
	struct stat	 sb;

	ck_assert_int_eq(fstat(fd, &sb), 0);
	(void)snprintf(buf, size, "%ju:%ju", (uintmax_t)sb.st_dev,
	    (uintmax_t)sb.st_ino);
}

/* Only the very stream JOURNAL_STREAM names is the journal. */
START_TEST(log_journal_decision)
{
	struct stat	 sb;
	char		 path[] = "/tmp/check_http_j.XXXXXX", js[64], bad[96];
	int		 fd, p[2];

	ck_assert_int_ge(fd = mkstemp(path), 0);
	(void)unlink(path);
	ck_assert_int_eq(pipe(p), 0);
	stream_of(fd, js, sizeof(js));
	ck_assert_int_eq(sg_log_journal(js, fd), 1);
	/* another file: stderr redirected by whatever inherited the value */
	ck_assert_int_eq(sg_log_journal(js, p[1]), 0);
	ck_assert_int_eq(sg_log_journal(NULL, fd), 0);
	ck_assert_int_eq(sg_log_journal(js, -1), 0);
	ck_assert_int_eq(fstat(fd, &sb), 0);
	(void)snprintf(bad, sizeof(bad), "%ju:%ju", (uintmax_t)sb.st_dev,
	    (uintmax_t)sb.st_ino + 1);
	ck_assert_int_eq(sg_log_journal(bad, fd), 0);
	(void)snprintf(bad, sizeof(bad), "%ju:%ju", (uintmax_t)sb.st_dev + 1,
	    (uintmax_t)sb.st_ino);
	ck_assert_int_eq(sg_log_journal(bad, fd), 0);
	(void)snprintf(bad, sizeof(bad), "%s ", js);
	ck_assert_int_eq(sg_log_journal(bad, fd), 0);
	(void)snprintf(bad, sizeof(bad), "%s:1", js);
	ck_assert_int_eq(sg_log_journal(bad, fd), 0);
	(void)snprintf(bad, sizeof(bad), " %s", js);
	ck_assert_int_eq(sg_log_journal(bad, fd), 0);
	(void)snprintf(bad, sizeof(bad), "%ju", (uintmax_t)sb.st_dev);
	ck_assert_int_eq(sg_log_journal(bad, fd), 0);
	(void)snprintf(bad, sizeof(bad), "%ju:", (uintmax_t)sb.st_dev);
	ck_assert_int_eq(sg_log_journal(bad, fd), 0);
	(void)snprintf(bad, sizeof(bad), ":%ju", (uintmax_t)sb.st_ino);
	ck_assert_int_eq(sg_log_journal(bad, fd), 0);
	ck_assert_int_eq(sg_log_journal("", fd), 0);
	ck_assert_int_eq(sg_log_journal("a:b", fd), 0);
	ck_assert_int_eq(sg_log_journal("-1:-1", fd), 0);
	ck_assert_int_eq(sg_log_journal(
	    "999999999999999999999999999999:1", fd), 0);
	(void)close(fd);
	(void)close(p[0]);
	(void)close(p[1]);
}
END_TEST

static void
log_journald(void)
{
	struct sg_decision	 d;
	char			 js[64];

	stream_of(STDERR_FILENO, js, sizeof(js));
	ck_assert_int_eq(setenv("JOURNAL_STREAM", js, 1), 0);
	sg_log_init("check-http", SG_LOG_DEBUG);
	sg_log(SG_LOG_DEBUG, "d", NULL);
	sg_log(SG_LOG_INFO, "i", NULL);
	sg_log(SG_LOG_WARN, "w", NULL);
	sg_log(SG_LOG_ERROR, "e", NULL);
	(void)memset(&d, 0, sizeof(d));
	d.mode = "egress";
	d.decision = "error";
	d.reason = "internal_error";
	d.status = 500;
	sg_log_decision(&d);
	d.decision = "deny";
	sg_log_decision(&d);
	/* a value naming another stream: no prefix */
	ck_assert_int_eq(setenv("JOURNAL_STREAM", "1:1", 1), 0);
	sg_log_init("check-http", SG_LOG_DEBUG);
	sg_log(SG_LOG_WARN, "plain", NULL);
	ck_assert_int_eq(unsetenv("JOURNAL_STREAM"), 0);
	sg_log_init("check-http", SG_LOG_DEBUG);
	sg_log(SG_LOG_ERROR, "plain", NULL);
}

/*
 * On the journal every line starts with its syslog priority, and what
 * follows is the same JSON line; elsewhere no prefix.
 */
START_TEST(log_journal_prefix)
{
	static const char *const want[][2] = {
		{ "<7>", "d" }, { "<6>", "i" }, { "<4>", "w" }, { "<3>", "e" },
		{ "<3>", "decision" }, { "<6>", "decision" }, { "", "plain" },
		{ "", "plain" }
	};
	char		*buf, *p;
	cJSON		*j;
	size_t		 i, n;

	buf = capture_log(log_journald);
	p = buf;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		n = strlen(want[i][0]);
		ck_assert_msg(strncmp(p, want[i][0], n) == 0 && p[n] == '{',
		    "line %zu: want '%s{', got %.20s", i, want[i][0], p);
		p += n;
		j = next_line(&p);
		ck_assert_str_eq(sg_json_str(j, "event"), want[i][1]);
		cJSON_Delete(j);
	}
	ck_assert_str_eq(p, "");
	free(buf);
}
END_TEST

/*
 * The accept loop, over a unix socket, with a small FastCGI client
 * (FastCGI 1.0 spec, section 3 and 8).
 */
#define FCGI_BEGIN	1
#define FCGI_END	3
#define FCGI_PARAMS	4
#define FCGI_STDIN	5
#define FCGI_STDOUT	6

struct wbuf {
	unsigned char	 p[256 * 1024];
	size_t		 n;
};

static void
rec(struct wbuf *w, int type, const void *data, size_t len)
{
	unsigned char	*h;

	ck_assert_uint_le(len, 65535);
	ck_assert_uint_le(w->n + 8 + len, sizeof(w->p));
	h = w->p + w->n;
	h[0] = 1;
	h[1] = (unsigned char)type;
	h[2] = 0;
	h[3] = 1;			/* request id 1 */
	h[4] = (unsigned char)(len >> 8);
	h[5] = (unsigned char)len;
	h[6] = 0;
	h[7] = 0;
	if (len > 0)
		(void)memcpy(h + 8, data, len);
	w->n += 8 + len;
}

static size_t
nv_len(unsigned char *p, size_t n)
{
	if (n < 128) {
		p[0] = (unsigned char)n;
		return 1;
	}
	p[0] = (unsigned char)((n >> 24) | 0x80);
	p[1] = (unsigned char)(n >> 16);
	p[2] = (unsigned char)(n >> 8);
	p[3] = (unsigned char)n;
	return 4;
}

/* Params from "NAME=value" strings (NULL-ended). */
static void
params(struct wbuf *w, const char *const *kv)
{
	unsigned char	 p[16384];
	size_t		 n = 0, nl, vl;
	const char	*eq;

	for (; *kv != NULL; kv++) {
		eq = strchr(*kv, '=');
		ck_assert_ptr_nonnull(eq);
		nl = (size_t)(eq - *kv);
		vl = strlen(eq + 1);
		ck_assert_uint_lt(n + 8 + nl + vl, sizeof(p));
		n += nv_len(p + n, nl);
		n += nv_len(p + n, vl);
		(void)memcpy(p + n, *kv, nl);
		n += nl;
		(void)memcpy(p + n, eq + 1, vl);
		n += vl;
	}
	if (n > 0)
		rec(w, FCGI_PARAMS, p, n);
	rec(w, FCGI_PARAMS, NULL, 0);
}

static int
fcgi_connect(const char *path)
{
	struct sockaddr_un	 sun;
	int			 fd, i;

	(void)memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	(void)strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	for (i = 0; i < 100; i++) {
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		ck_assert_int_ge(fd, 0);
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
			return fd;
		(void)close(fd);
		(void)usleep(20000);
	}
	ck_abort_msg("cannot connect to %s", path);
	return -1;
}

static int
read_full(int fd, unsigned char *p, size_t n)
{
	struct pollfd	 pfd;
	ssize_t		 r;
	size_t		 got = 0;

	while (got < n) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 5000) != 1)
			return -1;
		r = read(fd, p + got, n - got);
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

/*
 * One request on fd: params kv, then body (stdin_close: send the empty
 * STDIN record; keep: set FCGI_KEEP_CONN).  Returns the STDOUT text
 * (malloc'd) once END_REQUEST arrives.
 */
static char *
fcgi_exchange(int fd, const char *const *kv, const char *body,
    size_t bodylen, int stdin_close, int keep)
{
	static struct wbuf	 w;
	unsigned char		 h[8], c[65536 + 256];
	unsigned char		 begin[8] = { 0, 1, 0, 0, 0, 0, 0, 0 };
	char			*out;
	size_t			 outn = 0, cl, off;

	begin[2] = keep ? 1 : 0;
	w.n = 0;
	rec(&w, FCGI_BEGIN, begin, sizeof(begin));
	params(&w, kv);
	for (off = 0; off < bodylen; off += cl) {
		cl = bodylen - off > 32768 ? 32768 : bodylen - off;
		rec(&w, FCGI_STDIN, body + off, cl);
	}
	if (stdin_close)
		rec(&w, FCGI_STDIN, NULL, 0);
	ck_assert_int_eq(write(fd, w.p, w.n), (ssize_t)w.n);
	out = calloc(1, 1 << 20);
	ck_assert_ptr_nonnull(out);
	for (;;) {
		ck_assert_msg(read_full(fd, h, 8) == 0, "no END_REQUEST");
		cl = (size_t)h[4] << 8 | h[5];
		ck_assert_int_eq(read_full(fd, c, cl + h[6]), 0);
		if (h[1] == FCGI_STDOUT) {
			ck_assert_uint_lt(outn + cl, 1 << 20);
			(void)memcpy(out + outn, c, cl);
			outn += cl;
		} else if (h[1] == FCGI_END)
			break;
	}
	return out;
}

/* One request on a connection of its own. */
static char *
fcgi_call(const char *path, const char *const *kv, const char *body,
    size_t bodylen, int stdin_close)
{
	char	*out;
	int	 fd;

	fd = fcgi_connect(path);
	out = fcgi_exchange(fd, kv, body, bodylen, stdin_close, 0);
	(void)close(fd);
	return out;
}

static unsigned	 echo_count;		/* requests the child served */

/* The test service: echoes what it saw. */
static void
echo_handler(void *app, struct sg_req *req, struct sg_resp *resp)
{
	cJSON	*o;
	char	 n[32];

	(void)app;
	echo_count++;
	if (req->path != NULL && strcmp(req->path, "/slow") == 0)
		(void)usleep(500000);
	o = cJSON_CreateObject();
	(void)sg_json_add_str(o, "method", req->method);
	(void)sg_json_add_str(o, "path", req->path != NULL ? req->path : "");
	(void)snprintf(n, sizeof(n), "%zu", req->bodylen);
	(void)sg_json_add_str(o, "bodylen", n);
	(void)sg_json_add_str(o, "body", req->body != NULL ? req->body : "");
	(void)sg_json_add_str(o, "hup", sg_serve_hup() ? "1" : "0");
	sg_resp_json(resp, 200, o);
}

static char	 sockdir[64];
static char	 sockpath[128];
static int	 serve_timeout;		/* start_server's deadline, ms */

static pid_t
start_server(const char *listen)
{
	struct sg_err	 err;
	pid_t		 pid;
	int		 devnull;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* Never outlive a test that failed half-way. */
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		devnull = open("/dev/null", O_WRONLY);
		if (devnull >= 0)
			(void)dup2(devnull, STDERR_FILENO);
		sg_log_init("check-http", SG_LOG_ERROR);
		sg_err_clear(&err);
		_exit(sg_serve(listen, 65536, serve_timeout, echo_handler, NULL,
		    &err) == 0 ?
		    0 : 3);
	}
	return pid;
}

static int
wait_exit(pid_t pid)
{
	int	 st, i;

	for (i = 0; i < 500; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 +
			    WTERMSIG(st);
		(void)usleep(10000);
	}
	(void)kill(pid, SIGKILL);
	(void)waitpid(pid, &st, 0);
	return -1;
}

/*
 * The before-wait hook of serve_due_*: after each request it asks to be
 * called again HOOK_US later, and then writes a byte to hook_fd.
 */
#define HOOK_US		100000
static int	 hook_fd = -1;
static unsigned	 hook_seen;
static int64_t	 hook_due;

static int64_t
hook_wait(void)
{
	int64_t		 now = sg_now_us();

	if (hook_due != 0 && now >= hook_due) {
		if (write(hook_fd, "d", 1) != 1)
			_exit(4);
		hook_due = 0;
	}
	if (echo_count != hook_seen) {
		hook_seen = echo_count;
		hook_due = now + HOOK_US;
	}
	return hook_due;
}

static pid_t
start_hooked(const char *listen, int fd, int conns)
{
	struct sg_err	 err;
	pid_t		 pid;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		sg_log_init("check-http", SG_LOG_ERROR);
		sg_err_clear(&err);
		hook_fd = fd;
		sg_serve_before_wait(hook_wait);
		sg_serve_conns(conns);
		_exit(sg_serve(listen, 65536, 0, echo_handler, NULL, &err) ==
		    0 ? 0 : 3);
	}
	return pid;
}

/*
 * The wait for requests ends when the before-wait hook is due, with no
 * request and no idle function to wake it: in the one-connection loop
 * and in the several-connection one.
 */
static void
due_check(int conns)
{
	static const char *const get[] = { "REQUEST_METHOD=GET",
	    "REQUEST_URI=/x", NULL };
	struct pollfd	 pfd;
	struct timespec	 a, b;
	char		*out, c = 0;
	int64_t		 ms;
	int		 p[2];
	pid_t		 pid;

	ck_assert_int_eq(pipe(p), 0);
	pid = start_hooked(sockpath, p[1], conns);
	(void)close(p[1]);
	out = fcgi_call(sockpath, get, NULL, 0, 1);
	ck_assert_msg(starts(out, "Status: 200 OK\r\n"), "%s", out);
	free(out);
	(void)clock_gettime(CLOCK_MONOTONIC, &a);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	ck_assert_int_eq(poll(&pfd, 1, 5000), 1);
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	(void)clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (int64_t)(b.tv_sec - a.tv_sec) * 1000 +
	    (b.tv_nsec - a.tv_nsec) / 1000000;
	ck_assert_int_eq(c, 'd');
	ck_assert_int_le(ms, 4000);
	(void)close(p[0]);
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	ck_assert_int_eq(wait_exit(pid), 0);
}

START_TEST(serve_due_one)
{
	due_check(1);
}
END_TEST

START_TEST(serve_due_mux)
{
	due_check(4);
}
END_TEST

static void
serve_setup(void)
{
	(void)strlcpy(sockdir, "/tmp/check_http.XXXXXX", sizeof(sockdir));
	ck_assert_ptr_nonnull(mkdtemp(sockdir));
	(void)snprintf(sockpath, sizeof(sockpath), "%s/s.sock", sockdir);
}

static void
serve_teardown(void)
{
	char	 p[192];

	serve_timeout = 0;
	(void)unlink(sockpath);
	(void)snprintf(p, sizeof(p), "%s/file", sockdir);
	(void)unlink(p);
	(void)rmdir(sockdir);
}

START_TEST(serve_requests)
{
	static const char *const get[] = { "REQUEST_METHOD=GET",
	    "REQUEST_URI=/v1/x?y=1", "QUERY_STRING=y=1", NULL };
	static const char *const post[] = { "REQUEST_METHOD=POST",
	    "REQUEST_URI=/v1/tokens", "CONTENT_LENGTH=11",
	    "CONTENT_TYPE=application/json", NULL };
	static const char *const big[] = { "REQUEST_METHOD=POST",
	    "REQUEST_URI=/v1/tokens", "CONTENT_LENGTH=70000", NULL };
	static const char *const huge[] = { "REQUEST_METHOD=POST",
	    "REQUEST_URI=/v1/tokens",
	    "CONTENT_LENGTH=99999999999999999999", NULL };
	static const char *const neg[] = { "REQUEST_METHOD=POST",
	    "REQUEST_URI=/v1/tokens", "CONTENT_LENGTH=-1", NULL };
	static const char *const dup[] = { "REQUEST_METHOD=POST",
	    "REQUEST_URI=/v1/tokens", "CONTENT_LENGTH=1",
	    "CONTENT_LENGTH=2", NULL };
	static const char *const hostile[] = { "REQUEST_METHOD=GET",
	    "REQUEST_URI=/v1/%2e%2e/x", NULL };
	struct stat	 st;
	char		*out;
	pid_t		 pid;

	pid = start_server(sockpath);
	out = fcgi_call(sockpath, get, NULL, 0, 1);
	ck_assert_msg(starts(out, "Status: 200 OK\r\n"), "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "\"path\":\"/v1/x\""));
	free(out);
	/* The default mode is 0660. */
	ck_assert_int_eq(stat(sockpath, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_int_eq(st.st_mode & 0777, 0660);

	out = fcgi_call(sockpath, post, "{\"a\":\"b c\"}", 11, 1);
	ck_assert_msg(starts(out, "Status: 200 OK\r\n"), "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "\"bodylen\":\"11\""));
	ck_assert_ptr_nonnull(strstr(out, "\"body\":\"{\\\"a\\\":\\\"b c\\\"}\""));
	free(out);

	/* Over the limit: 413 at once, no body sent and none awaited. */
	out = fcgi_call(sockpath, big, NULL, 0, 0);
	ck_assert_msg(starts(out, "Status: 413 "), "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "payload_too_large"));
	free(out);
	out = fcgi_call(sockpath, huge, NULL, 0, 0);
	ck_assert_msg(starts(out, "Status: 413 "), "%s", out);
	free(out);
	out = fcgi_call(sockpath, neg, NULL, 0, 0);
	ck_assert_msg(starts(out, "Status: 400 "), "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "bad_content_length"));
	free(out);
	out = fcgi_call(sockpath, dup, "x", 1, 1);
	ck_assert_msg(starts(out, "Status: 400 "), "%s", out);
	free(out);
	/* A body shorter than announced. */
	out = fcgi_call(sockpath, post, "{}", 2, 1);
	ck_assert_msg(starts(out, "Status: 400 "), "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "bad_body"));
	free(out);
	/* A hostile path never reaches the handler. */
	out = fcgi_call(sockpath, hostile, NULL, 0, 1);
	ck_assert_msg(starts(out, "Status: 400 "), "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "bad_path"));
	ck_assert_ptr_null(strstr(out, "\"method\""));
	free(out);

	/* SIGHUP: the loop goes on, the flag is seen once. */
	ck_assert_int_eq(kill(pid, SIGHUP), 0);
	(void)usleep(50000);
	out = fcgi_call(sockpath, get, NULL, 0, 1);
	ck_assert_msg(strstr(out, "\"hup\":\"1\"") != NULL, "%s", out);
	free(out);
	out = fcgi_call(sockpath, get, NULL, 0, 1);
	ck_assert_ptr_nonnull(strstr(out, "\"hup\":\"0\""));
	free(out);

	/* SIGTERM: a clean stop, the socket file removed. */
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	ck_assert_int_eq(wait_exit(pid), 0);
	ck_assert_int_eq(stat(sockpath, &st), -1);
}
END_TEST

/*
 * FCGI_KEEP_CONN: a kept connection serves several requests, and while
 * it is idle another client is still served (regression: the loop used
 * to wait on the kept connection alone).
 */
START_TEST(serve_keep_conn)
{
	static const char *const get[] = { "REQUEST_METHOD=GET",
	    "REQUEST_URI=/x", NULL };
	char	*out;
	pid_t	 pid;
	int	 fd;

	pid = start_server(sockpath);
	fd = fcgi_connect(sockpath);
	out = fcgi_exchange(fd, get, NULL, 0, 1, 1);
	ck_assert_msg(starts(out, "Status: 200 OK\r\n"), "%s", out);
	free(out);
	out = fcgi_exchange(fd, get, NULL, 0, 1, 1);
	ck_assert_msg(starts(out, "Status: 200 OK\r\n"), "%s", out);
	free(out);
	out = fcgi_call(sockpath, get, NULL, 0, 1);
	ck_assert_msg(starts(out, "Status: 200 OK\r\n"), "%s", out);
	free(out);
	(void)close(fd);
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	ck_assert_int_eq(wait_exit(pid), 0);
}
END_TEST

/* SIGTERM during a request: the reply is complete, then the loop ends. */
START_TEST(serve_term_in_flight)
{
	static const char *const slow[] = { "REQUEST_METHOD=GET",
	    "REQUEST_URI=/slow", NULL };
	static const char *const get[] = { "REQUEST_METHOD=GET",
	    "REQUEST_URI=/x", NULL };
	char	*out;
	pid_t	 pid, cpid;
	int	 st;

	pid = start_server(sockpath);
	/* Wait until it answers. */
	out = fcgi_call(sockpath, get, NULL, 0, 1);
	free(out);
	cpid = fork();
	ck_assert_int_ge(cpid, 0);
	if (cpid == 0) {
		(void)usleep(150000);
		(void)kill(pid, SIGTERM);
		_exit(0);
	}
	out = fcgi_call(sockpath, slow, NULL, 0, 1);
	ck_assert_msg(starts(out, "Status: 200 OK\r\n"), "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "\"path\":\"/slow\""));
	free(out);
	(void)waitpid(cpid, &st, 0);
	ck_assert_int_eq(wait_exit(pid), 0);
}
END_TEST

static int64_t
ms_since(const struct timespec *t0)
{
	struct timespec	 t;

	(void)clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)(t.tv_sec - t0->tv_sec) * 1000 +
	    (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/*
 * Wait up to 5 s for the server to close fd, writing one byte every
 * drip_ms (0: write nothing): the milliseconds it took, or -1.
 */
static int64_t
closed_after(int fd, int drip_ms)
{
	struct timespec	 t0;
	struct pollfd	 pfd;
	char		 c;
	int		 n;

	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	while (ms_since(&t0) < 5000) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		n = poll(&pfd, 1, drip_ms > 0 ? drip_ms : 100);
		if (n == 1 && (read(fd, &c, 1) <= 0 ||
		    (pfd.revents & (POLLHUP | POLLERR))))
			return ms_since(&t0);
		/* A byte of the parameters, never the whole record. */
		if (drip_ms > 0 && send(fd, "\001", 1, MSG_NOSIGNAL) != 1)
			return ms_since(&t0);
	}
	return -1;
}

/*
 * Start a request and stop half-way: a BEGIN_REQUEST record, then the
 * header of a PARAMS record whose 100 bytes never come.  (libfcgi itself
 * drops a unix-socket client that sends nothing at all.)
 */
static void
stall(int fd)
{
	static const unsigned char	 part[] = {
		1, FCGI_BEGIN, 0, 1, 0, 8, 0, 0,  0, 1, 0, 0, 0, 0, 0, 0,
		1, FCGI_PARAMS, 0, 1, 0, 100, 0, 0 };

	ck_assert_int_eq(write(fd, part, sizeof(part)), (ssize_t)sizeof(part));
}

/*
 * The read deadline: a client that connects and sends nothing, or
 * drips a byte at a time (each read well inside any per-read timeout),
 * loses its connection after the deadline, and the one process goes on
 * serving others.  Without the deadline the idle client holds the
 * process for ever and the call behind it times out.
 */
START_TEST(serve_deadline)
{
	static const char *const get[] = { "REQUEST_METHOD=GET",
	    "REQUEST_URI=/x", NULL };
	char	*out;
	pid_t	 pid;
	int	 idle, drip;
	int64_t	 ms;

	serve_timeout = 300;
	pid = start_server(sockpath);
	out = fcgi_call(sockpath, get, NULL, 0, 1);
	ck_assert_msg(starts(out, "Status: 200 OK\r\n"), "%s", out);
	free(out);

	idle = fcgi_connect(sockpath);
	stall(idle);
	(void)usleep(50000);		/* the server is now reading it */
	out = fcgi_call(sockpath, get, NULL, 0, 1);
	ck_assert_msg(starts(out, "Status: 200 OK\r\n"), "%s", out);
	free(out);
	ms = closed_after(idle, 0);
	ck_assert_msg(ms >= 0, "the idle connection was never closed");
	(void)close(idle);

	drip = fcgi_connect(sockpath);
	stall(drip);
	ms = closed_after(drip, 50);
	ck_assert_msg(ms >= 0 && ms < 2000,
	    "a slow drip held the connection for %lld ms", (long long)ms);
	(void)close(drip);
	out = fcgi_call(sockpath, get, NULL, 0, 1);
	ck_assert_msg(starts(out, "Status: 200 OK\r\n"), "%s", out);
	free(out);
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	ck_assert_int_eq(wait_exit(pid), 0);
}
END_TEST

/* A handler slower than the deadline is not cut: only I/O is timed. */
START_TEST(serve_deadline_not_handler)
{
	static const char *const slow[] = { "REQUEST_METHOD=GET",
	    "REQUEST_URI=/slow", NULL };
	char	*out;
	pid_t	 pid;

	serve_timeout = 100;
	pid = start_server(sockpath);
	out = fcgi_call(sockpath, slow, NULL, 0, 1);
	ck_assert_msg(starts(out, "Status: 200 OK\r\n"), "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "\"path\":\"/slow\""));
	free(out);
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	ck_assert_int_eq(wait_exit(pid), 0);
}
END_TEST

START_TEST(serve_socket_mode)
{
	static const char *const get[] = { "REQUEST_METHOD=GET",
	    "REQUEST_URI=/x", NULL };
	struct sg_err	 err;
	struct stat	 st;
	char		*out, spec[160];
	pid_t		 pid;

	ck_assert_int_eq(setenv("SANDGATE_SOCKET_MODE", "0600", 1), 0);
	(void)snprintf(spec, sizeof(spec), "unix:%s", sockpath);
	pid = start_server(spec);
	out = fcgi_call(sockpath, get, NULL, 0, 1);
	free(out);
	ck_assert_int_eq(stat(sockpath, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	/* A live socket is not taken over by a second process. */
	sg_err_clear(&err);
	ck_assert_int_eq(sg_serve(sockpath, 10, 0, echo_handler, NULL, &err), -1);
	ck_assert_str_eq(err.code, "socket_in_use");
	/* USR1, the graceful stop of multiwatch and libfcgi, stops it too. */
	ck_assert_int_eq(kill(pid, SIGUSR1), 0);
	ck_assert_int_eq(wait_exit(pid), 0);

	ck_assert_int_eq(setenv("SANDGATE_SOCKET_MODE", "0999", 1), 0);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_serve(sockpath, 10, 0, echo_handler, NULL, &err), -1);
	ck_assert_str_eq(err.code, "bad_config");
	ck_assert_ptr_nonnull(strstr(err.msg, "SANDGATE_SOCKET_MODE"));
	ck_assert_int_eq(unsetenv("SANDGATE_SOCKET_MODE"), 0);
}
END_TEST

START_TEST(serve_bad_listen)
{
	static const char *const bad[] = {
		"nohost", "127.0.0.1:", "127.0.0.1:99999", "127.0.0.1:+80",
		":80", "127.0.0.1:0", "127.0.0.1:08", "[::1:80", "relative.sock",
		"unix:relative",
	};
	struct sg_err	 err;
	struct stat	 st;
	char		 p[192];
	size_t		 i;
	int		 fd;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sg_err_clear(&err);
		ck_assert_msg(sg_serve(bad[i], 10, 0, echo_handler, NULL, &err) ==
		    -1, "accepted %s", bad[i]);
		ck_assert_ptr_nonnull(strstr(err.msg, "SANDGATE_SOCKET"));
	}
	/* A regular file in the way is never removed. */
	(void)snprintf(p, sizeof(p), "%s/file", sockdir);
	fd = open(p, O_CREAT | O_WRONLY, 0600);
	ck_assert_int_ge(fd, 0);
	(void)close(fd);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_serve(p, 10, 0, echo_handler, NULL, &err), -1);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
}
END_TEST

/* fd 0 that is not a listening socket: a clear error, not a busy loop. */
START_TEST(serve_fd0_not_socket)
{
	struct sg_err	 err;
	int		 fd, saved;

	saved = dup(0);
	fd = open("/dev/null", O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(dup2(fd, 0), 0);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_serve(NULL, 10, 0, echo_handler, NULL, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "SANDGATE_SOCKET"));
	sg_err_clear(&err);
	ck_assert_int_eq(sg_serve("", 10, 0, echo_handler, NULL, &err), -1);
	(void)dup2(saved, 0);
	(void)close(saved);
	(void)close(fd);
}
END_TEST

/* TCP on loopback. */
START_TEST(serve_tcp)
{
	struct sockaddr_in	 sin;
	socklen_t		 sl = sizeof(sin);
	char			 spec[64];
	pid_t			 pid;
	int			 fd, i, ok = 0;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	(void)memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	(void)close(fd);
	(void)snprintf(spec, sizeof(spec), "127.0.0.1:%d", ntohs(sin.sin_port));
	pid = start_server(spec);
	for (i = 0; i < 100 && !ok; i++) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		ok = connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
		(void)close(fd);
		if (!ok)
			(void)usleep(20000);
	}
	ck_assert(ok);
	ck_assert_int_eq(kill(pid, SIGINT), 0);
	ck_assert_int_eq(wait_exit(pid), 0);
}
END_TEST

static Suite *
http_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("http");
	tc = tcase_create("request");
	tcase_add_test(tc, path_lighttpd);
	tcase_add_test(tc, path_nginx);
	tcase_add_test(tc, path_apache);
	tcase_add_test(tc, path_fallback);
	tcase_add_test(tc, path_hostile);
	tcase_add_test(tc, req_body_copy);
	tcase_add_test(tc, param_conflict);
	tcase_add_test(tc, content_length);
	tcase_add_test(tc, content_type);
	tcase_add_test(tc, json_body);
	tcase_add_test(tc, query_decoding);
	tcase_add_test(tc, identity);
	suite_add_tcase(s, tc);
	tc = tcase_create("response");
	tcase_add_test(tc, header_injection);
	tcase_add_test(tc, serialize_status);
	tcase_add_test(tc, serialize_json);
	tcase_add_test(tc, error_shape);
	suite_add_tcase(s, tc);
	tc = tcase_create("log");
	tcase_add_test(tc, log_lines);
	tcase_add_test(tc, log_truncates);
	tcase_add_test(tc, log_journal_decision);
	tcase_add_test(tc, log_journal_prefix);
	tcase_add_test(tc, log_rate_limit);
	suite_add_tcase(s, tc);
	tc = tcase_create("serve");
	tcase_add_checked_fixture(tc, serve_setup, serve_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, serve_requests);
	tcase_add_test(tc, serve_term_in_flight);
	tcase_add_test(tc, serve_keep_conn);
	tcase_add_test(tc, serve_due_one);
	tcase_add_test(tc, serve_due_mux);
	tcase_add_test(tc, serve_deadline);
	tcase_add_test(tc, serve_deadline_not_handler);
	tcase_add_test(tc, serve_socket_mode);
	tcase_add_test(tc, serve_bad_listen);
	tcase_add_test(tc, serve_fd0_not_socket);
	tcase_add_test(tc, serve_tcp);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(http_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
