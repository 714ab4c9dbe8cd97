/* SPDX-License-Identifier: ISC */
/*
 * token-issuer's handler (services/token-issuer/issuer.c), driven with
 * hand-built requests: identity and scope from the SG_* params only,
 * every bad body (malformed, wrong types, unknown fields, oversized,
 * hostile ids and hosts), the JWKS, and minted tokens that verify with
 * sg_token_verify and carry the claims that were asked for.
 */
#include "config.h"

#include <check.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "claims.h"
#include "cfg.h"
#include "compat.h"
#include "sgtest.h"
#include "sgtest_failalloc.h"
#include "request.h"
#include "response.h"
#include "issuer.h"
#include "json.h"
#include "keys.h"
#include "log.h"
#include "metrics.h"
#include "token.h"

#define NOW		SGTEST_NOW
#define KEY1		SG_TESTDATA "/test-key-1.pem"
#define KEY1PUB		SG_TESTDATA "/test-key-1.pub.pem"
#define KEY2		SG_TESTDATA "/test-key-2.pem"
#define KEY2PUB		SG_TESTDATA "/test-key-2.pub.pem"
#define ORG		"3fa85f64-5717-4562-b3fc-2c963f66afa6"
#define OPERATOR	"tokens:issue sessions:read"

static struct sg_cfg	 cfg;
static struct app	 is;

static void
setup(void)
{
	struct sg_err	 err;

	/* Quiet: the issuance lines are checked in t-api-lighttpd.sh. */
	sg_log_init("check-issuer", SG_LOG_WARN);
	sg_cfg_defaults(&cfg);
	(void)strlcpy(cfg.signing_key, KEY1, sizeof(cfg.signing_key));
	(void)strlcpy(cfg.verify_keys, KEY1PUB "," KEY2PUB,
	    sizeof(cfg.verify_keys));
	sg_err_clear(&err);
	ck_assert_msg(issuer_init(&is, &cfg, &err) == SG_OK, "%s", err.msg);
	is.now = (time_t)NOW;
}

static void
teardown(void)
{
	issuer_clear(&is);
}

/* The response to one request; kind/scope NULL leave the SG_* out. */
static void
call(const char *method, const char *path, const char *kind,
    const char *scope, const char *ct, const char *body, size_t bodylen,
    struct sg_resp *resp)
{
	char		*env[16], kv[8][512];
	struct sg_req	 req;
	size_t		 n = 0;

	(void)snprintf(kv[0], sizeof(kv[0]), "REQUEST_METHOD=%s", method);
	(void)snprintf(kv[1], sizeof(kv[1]), "REQUEST_URI=%s", path);
	env[n++] = kv[0];
	env[n++] = kv[1];
	if (kind != NULL) {
		(void)snprintf(kv[2], sizeof(kv[2]), "SG_KIND=%s", kind);
		env[n++] = kv[2];
		(void)snprintf(kv[3], sizeof(kv[3]), "SG_SUB=ops-alice");
		env[n++] = kv[3];
	}
	if (scope != NULL) {
		(void)snprintf(kv[4], sizeof(kv[4]), "SG_SCOPE=%s", scope);
		env[n++] = kv[4];
	}
	if (ct != NULL) {
		(void)snprintf(kv[5], sizeof(kv[5]), "CONTENT_TYPE=%s", ct);
		env[n++] = kv[5];
	}
	env[n] = NULL;
	sg_resp_init(resp);
	ck_assert_int_eq(sg_req_init(&req, env, body, bodylen, NULL), SG_OK);
	issuer_handle(&is, &req, resp);
	sg_req_clear(&req);
}

static void
post(const char *body, struct sg_resp *resp)
{
	call("POST", "/v1/tokens", "operator", OPERATOR, "application/json",
	    body, strlen(body), resp);
}

static cJSON *
body_of(const struct sg_resp *resp)
{
	cJSON	*j;

	ck_assert_ptr_nonnull(resp->body);
	j = sg_json_parse_object(resp->body, resp->bodylen, NULL);
	ck_assert_ptr_nonnull(j);
	return j;
}

static const char *
hdr(const struct sg_resp *resp, const char *name)
{
	size_t	 i, n = strlen(name);

	for (i = 0; i < resp->nhdr; i++)
		if (strncasecmp(resp->hdr[i], name, n) == 0 &&
		    resp->hdr[i][n] == ':')
			return resp->hdr[i] + n + 2;
	return NULL;
}

/* Assert status and error code; if want_in is set, the message holds it. */
static void
expect_error(const struct sg_resp *resp, int status, const char *code,
    const char *want_in)
{
	cJSON		*j;
	const char	*m;

	ck_assert_msg(resp->status == status, "status %d, want %d: %.*s",
	    resp->status, status, (int)resp->bodylen,
	    resp->body != NULL ? resp->body : "");
	j = body_of(resp);
	ck_assert_int_eq(cJSON_GetArraySize(j), 2);
	ck_assert_str_eq(sg_json_str(j, "error"), code);
	m = sg_json_str(j, "message");
	ck_assert_ptr_nonnull(m);
	if (want_in != NULL)
		ck_assert_msg(strstr(m, want_in) != NULL, "message '%s' lacks "
		    "'%s'", m, want_in);
	cJSON_Delete(j);
}

static void
post_fails(const char *body, int status, const char *code,
    const char *want_in)
{
	struct sg_resp	 resp;

	post(body, &resp);
	expect_error(&resp, status, code, want_in);
	ck_assert_ptr_null(strstr(resp.body, "\"token\""));
	sg_resp_clear(&resp);
}

#define GOOD_REST \
	"\"user_id\":\"user-1\",\"organization_uuid\":\"" ORG "\"," \
	"\"allowed_hosts\":[\"github.com\",\"*.example.com:8443\"]"

/* Verify the token in a 201 and return its claims (caller clears). */
static void
verify_minted(const struct sg_resp *resp, struct sg_claims *c,
    int64_t *expires_at)
{
	struct sg_keyset	*ks = NULL;
	struct sg_verify_opts	 o;
	struct sg_err		 err;
	cJSON			*j;
	const char		*tok;
	int64_t			 exp;

	ck_assert_msg(resp->status == 201, "status %d: %.*s", resp->status,
	    (int)resp->bodylen, resp->body != NULL ? resp->body : "");
	j = body_of(resp);
	ck_assert_int_eq(cJSON_GetArraySize(j), 4);
	tok = sg_json_str(j, "token");
	ck_assert_ptr_nonnull(tok);
	ck_assert_int_eq(sg_json_int(j, "expires_at", 1, INT64_C(1) << 40,
	    &exp, NULL), SG_OK);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_keyset_load(KEY1PUB, &ks, &err), SG_OK);
	(void)memset(&o, 0, sizeof(o));
	o.issuer = "sandgate";
	o.leeway = 30;
	o.max_ttl = 86400;
	o.now = (time_t)NOW;
	sg_claims_init(c);
	ck_assert_msg(sg_token_verify(ks, tok, strlen(tok), &o, c, &err) ==
	    SG_OK, "%s", err.msg);
	ck_assert_int_eq(c->kind, SG_KIND_CONTAINER);
	ck_assert_str_eq(sg_json_str(j, "jti"), c->jti);
	ck_assert_str_eq(sg_json_str(j, "kid"), sg_key_kid(is.key));
	ck_assert_int_eq(exp, c->exp);
	*expires_at = exp;
	cJSON_Delete(j);
	sg_keyset_free(ks);
}

START_TEST(mint_default)
{
	struct sg_resp		 resp;
	struct sg_claims	 c;
	int64_t			 exp;

	post("{\"container_id\":\"sandbox_AAAAAAAAAAAAAAAAAAAAAA\"," GOOD_REST
	    "}", &resp);
	verify_minted(&resp, &c, &exp);
	ck_assert_str_eq(c.sub, "user-1");
	ck_assert_str_eq(c.container_id, "sandbox_AAAAAAAAAAAAAAAAAAAAAA");
	ck_assert_str_eq(c.org, ORG);
	ck_assert_str_eq(c.iss, "sandgate");
	ck_assert_str_eq(c.allowed_hosts, "github.com,*.example.com:8443");
	ck_assert_uint_eq(c.hosts.n, 2);
	ck_assert_int_eq(c.binding, 1);
	ck_assert_int_eq(c.hipaa, 0);
	ck_assert_int_eq(c.pci, 0);
	ck_assert_int_eq(c.iat, NOW);
	/* SANDGATE_TOKEN_TTL's default. */
	ck_assert_int_eq(exp, NOW + 14400);
	/* Tokens are never cached on the way back. */
	ck_assert_ptr_null(hdr(&resp, "Cache-Control"));
	{
		char	*s;
		size_t	 len;

		s = sg_resp_serialize(&resp, &len);
		ck_assert_ptr_nonnull(strstr(s, "Cache-Control: no-store\r\n"));
		ck_assert(strncmp(s, "Status: 201 Created\r\n", 21) == 0);
		free(s);
	}
	sg_claims_clear(&c);
	sg_resp_clear(&resp);
}
END_TEST

/* sandgate_tokens_issued_total counts the 201s, nothing else. */
START_TEST(mint_counted)
{
	struct sg_resp	 resp;
	char		 mdir[64];

	ck_assert_int_eq(sgtest_metrics_on(mdir, sizeof(mdir),
	    "token-issuer"), 0);
	post("{\"container_id\":\"sandbox_AAAAAAAAAAAAAAAAAAAAAA\"," GOOD_REST
	    "}", &resp);
	ck_assert_int_eq(resp.status, 201);
	sg_resp_clear(&resp);
	post("{\"container_id\":\"x\"}", &resp);
	ck_assert_int_eq(resp.status, 400);
	sg_resp_clear(&resp);
	ck_assert_uint_eq(sg_metrics_get(SG_M_TOKENS_ISSUED, "sandbox"), 1);
	ck_assert_uint_eq(sg_metrics_get(SG_M_TOKENS_ISSUED, "operator"), 0);
	sgtest_metrics_off(mdir);
}
END_TEST

START_TEST(mint_options)
{
	struct sg_resp		 resp;
	struct sg_claims	 c;
	int64_t			 exp;

	post("{\"enforce_binding\":false,\"duration_hours\":2,"
	    "\"container_id\":\"c-1\"," GOOD_REST "}", &resp);
	verify_minted(&resp, &c, &exp);
	ck_assert_int_eq(c.binding, 0);
	ck_assert_int_eq(exp, NOW + 7200);
	sg_claims_clear(&c);
	sg_resp_clear(&resp);

	/* The longest allowed: SANDGATE_TOKEN_MAX_TTL / 3600 hours. */
	post("{\"enforce_binding\":true,\"duration_hours\":24,"
	    "\"container_id\":\"c-1\"," GOOD_REST "}", &resp);
	verify_minted(&resp, &c, &exp);
	ck_assert_int_eq(c.binding, 1);
	ck_assert_int_eq(exp, NOW + 86400);
	sg_claims_clear(&c);
	sg_resp_clear(&resp);

	/* No hosts at all: a token for a sandbox without egress. */
	post("{\"container_id\":\"c-2\",\"user_id\":\"u\","
	    "\"organization_uuid\":\"" ORG "\",\"allowed_hosts\":[]}", &resp);
	verify_minted(&resp, &c, &exp);
	ck_assert_str_eq(c.allowed_hosts, "");
	ck_assert_uint_eq(c.hosts.n, 0);
	sg_claims_clear(&c);
	sg_resp_clear(&resp);

	/* Hosts are normalised as the verifier will compare them. */
	post("{\"container_id\":\"c-3\",\"user_id\":\"u\","
	    "\"organization_uuid\":\"" ORG "\",\"allowed_hosts\":"
	    "[\"GitHub.COM.\",\"[::1]:8080\",\"192.0.2.1\"]}", &resp);
	verify_minted(&resp, &c, &exp);
	ck_assert_str_eq(c.allowed_hosts, "github.com,[::1]:8080,192.0.2.1");
	sg_claims_clear(&c);
	sg_resp_clear(&resp);
}
END_TEST

/* Only the authorizer's params count, and the backend checks the scope. */
START_TEST(auth_scope)
{
	static const char	 b[] =
	    "{\"container_id\":\"c-1\"," GOOD_REST "}";
	struct sg_resp		 resp;

	call("POST", "/v1/tokens", NULL, NULL, "application/json", b,
	    strlen(b), &resp);
	expect_error(&resp, 401, "invalid_token", NULL);
	ck_assert_ptr_nonnull(hdr(&resp, "WWW-Authenticate"));
	sg_resp_clear(&resp);
	/* A scope without SG_KIND did not pass the authorizer either. */
	call("POST", "/v1/tokens", NULL, "tokens:issue", "application/json", b,
	    strlen(b), &resp);
	expect_error(&resp, 401, "invalid_token", NULL);
	sg_resp_clear(&resp);
	call("POST", "/v1/tokens", "", "tokens:issue", "application/json", b,
	    strlen(b), &resp);
	expect_error(&resp, 401, "invalid_token", NULL);
	sg_resp_clear(&resp);
	call("POST", "/v1/tokens", "container", "tokens:issue",
	    "application/json", b, strlen(b), &resp);
	expect_error(&resp, 403, "forbidden", NULL);
	sg_resp_clear(&resp);
	call("POST", "/v1/tokens", "operator", "sessions:read "
	    "sandboxes:create", "application/json", b, strlen(b), &resp);
	expect_error(&resp, 403, "insufficient_scope", "tokens:issue");
	sg_resp_clear(&resp);
	call("POST", "/v1/tokens", "operator", "tokens:issuer",
	    "application/json", b, strlen(b), &resp);
	expect_error(&resp, 403, "insufficient_scope", NULL);
	sg_resp_clear(&resp);
	call("POST", "/v1/tokens", "operator", NULL, "application/json", b,
	    strlen(b), &resp);
	expect_error(&resp, 403, "insufficient_scope", NULL);
	sg_resp_clear(&resp);
	/* Client headers never stand in for the authorizer's params. */
	{
		char		*env[] = { NULL, NULL, NULL, NULL, NULL, NULL };
		char		 e0[] = "REQUEST_METHOD=POST";
		char		 e1[] = "REQUEST_URI=/v1/tokens";
		char		 e2[] = "HTTP_SG_KIND=operator";
		char		 e3[] = "HTTP_SG_SCOPE=tokens:issue";
		char		 e4[] = "CONTENT_TYPE=application/json";
		struct sg_req	 req;

		env[0] = e0;
		env[1] = e1;
		env[2] = e2;
		env[3] = e3;
		env[4] = e4;
		ck_assert_int_eq(sg_req_init(&req, env, b, strlen(b), NULL),
		    SG_OK);
		sg_resp_init(&resp);
		issuer_handle(&is, &req, &resp);
		ck_assert_int_eq(resp.status, 401);
		sg_req_clear(&req);
		sg_resp_clear(&resp);
	}
	call("POST", "/v1/tokens", "operator", "tokens:issue",
	    "application/json", b, strlen(b), &resp);
	ck_assert_int_eq(resp.status, 201);
	sg_resp_clear(&resp);
}
END_TEST

START_TEST(methods_routes)
{
	struct sg_resp	 resp;

	call("GET", "/v1/tokens", "operator", OPERATOR, NULL, NULL, 0, &resp);
	ck_assert_int_eq(resp.status, 405);
	ck_assert_str_eq(hdr(&resp, "Allow"), "POST");
	sg_resp_clear(&resp);
	call("DELETE", "/v1/tokens", "operator", OPERATOR, NULL, NULL, 0,
	    &resp);
	ck_assert_int_eq(resp.status, 405);
	sg_resp_clear(&resp);
	call("POST", "/.well-known/jwks.json", NULL, NULL, NULL, NULL, 0,
	    &resp);
	ck_assert_int_eq(resp.status, 405);
	ck_assert_str_eq(hdr(&resp, "Allow"), "GET, HEAD");
	sg_resp_clear(&resp);
	call("PUT", "/healthz", NULL, NULL, NULL, NULL, 0, &resp);
	ck_assert_int_eq(resp.status, 405);
	sg_resp_clear(&resp);
	call("GET", "/v1/tokens/", "operator", OPERATOR, NULL, NULL, 0, &resp);
	expect_error(&resp, 404, "not_found", NULL);
	sg_resp_clear(&resp);
	call("GET", "/v1/token", "operator", OPERATOR, NULL, NULL, 0, &resp);
	expect_error(&resp, 404, "not_found", NULL);
	sg_resp_clear(&resp);
	call("GET", "http://evil.example/v1/tokens", NULL, NULL, NULL, NULL, 0,
	    &resp);
	expect_error(&resp, 404, "not_found", NULL);
	sg_resp_clear(&resp);
}
END_TEST

START_TEST(jwks)
{
	struct sg_resp	 resp;
	cJSON		*j, *k;
	const cJSON	*keys;
	int		 found = 0;

	call("GET", "/.well-known/jwks.json", NULL, NULL, NULL, NULL, 0, &resp);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_str_eq(hdr(&resp, "Cache-Control"), "public, max-age=300");
	ck_assert_str_eq(hdr(&resp, "Content-Type"), "application/json");
	j = body_of(&resp);
	keys = sg_json_get(j, "keys");
	ck_assert(cJSON_IsArray(keys));
	/* key-1 (also the signer) and key-2: two, no duplicate. */
	ck_assert_int_eq(cJSON_GetArraySize(keys), 2);
	cJSON_ArrayForEach(k, keys) {
		ck_assert_ptr_null(sg_json_get(k, "d"));
		ck_assert_str_eq(sg_json_str(k, "kty"), "EC");
		ck_assert_str_eq(sg_json_str(k, "crv"), "P-256");
		if (strcmp(sg_json_str(k, "kid"), sg_key_kid(is.key)) == 0)
			found++;
	}
	ck_assert_int_eq(found, 1);
	ck_assert_ptr_null(strstr(resp.body, "\"d\""));
	cJSON_Delete(j);
	sg_resp_clear(&resp);
	call("HEAD", "/.well-known/jwks.json", NULL, NULL, NULL, NULL, 0,
	    &resp);
	ck_assert_int_eq(resp.status, 200);
	sg_resp_clear(&resp);
}
END_TEST

/* The signer's public half joins a set that lacks it; only public keys. */
START_TEST(jwks_signer_added)
{
	struct sg_resp	 resp;
	struct sg_err	 err;
	cJSON		*j;

	issuer_clear(&is);
	(void)strlcpy(cfg.verify_keys, KEY2PUB, sizeof(cfg.verify_keys));
	sg_err_clear(&err);
	ck_assert_int_eq(issuer_init(&is, &cfg, &err), SG_OK);
	call("GET", "/.well-known/jwks.json", NULL, NULL, NULL, NULL, 0, &resp);
	j = body_of(&resp);
	ck_assert_int_eq(cJSON_GetArraySize(sg_json_get(j, "keys")), 2);
	cJSON_Delete(j);
	sg_resp_clear(&resp);

	issuer_clear(&is);
	cfg.verify_keys[0] = '\0';
	ck_assert_int_eq(issuer_init(&is, &cfg, &err), SG_OK);
	call("GET", "/.well-known/jwks.json", NULL, NULL, NULL, NULL, 0, &resp);
	j = body_of(&resp);
	ck_assert_int_eq(cJSON_GetArraySize(sg_json_get(j, "keys")), 1);
	ck_assert_ptr_null(strstr(resp.body, "\"d\""));
	cJSON_Delete(j);
	sg_resp_clear(&resp);

	/* A private key in SANDGATE_VERIFY_KEYS publishes its public half. */
	issuer_clear(&is);
	(void)strlcpy(cfg.verify_keys, KEY2, sizeof(cfg.verify_keys));
	ck_assert_int_eq(issuer_init(&is, &cfg, &err), SG_OK);
	call("GET", "/.well-known/jwks.json", NULL, NULL, NULL, NULL, 0, &resp);
	ck_assert_ptr_null(strstr(resp.body, "\"d\""));
	sg_resp_clear(&resp);
}
END_TEST

START_TEST(healthz)
{
	struct sg_resp	 resp;
	cJSON		*j;

	call("GET", "/healthz", NULL, NULL, NULL, NULL, 0, &resp);
	ck_assert_int_eq(resp.status, 200);
	j = body_of(&resp);
	ck_assert_str_eq(sg_json_str(j, "status"), "ok");
	cJSON_Delete(j);
	sg_resp_clear(&resp);
	call("GET", "/healthz/token-issuer", NULL, NULL, NULL, NULL, 0, &resp);
	ck_assert_int_eq(resp.status, 200);
	sg_resp_clear(&resp);
	call("GET", "/healthz/session-query", NULL, NULL, NULL, NULL, 0, &resp);
	ck_assert_int_eq(resp.status, 404);
	sg_resp_clear(&resp);
}
END_TEST

START_TEST(init_errors)
{
	struct sg_cfg	 c;
	struct app	 x;
	struct sg_err	 err;

	sg_cfg_defaults(&c);
	sg_err_clear(&err);
	ck_assert_int_eq(issuer_init(&x, &c, &err), SG_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "SANDGATE_SIGNING_KEY"));

	(void)strlcpy(c.signing_key, KEY1PUB, sizeof(c.signing_key));
	sg_err_clear(&err);
	ck_assert_int_eq(issuer_init(&x, &c, &err), SG_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "SANDGATE_SIGNING_KEY"));

	(void)strlcpy(c.signing_key, SG_TESTDATA "/test-key-p384.pem",
	    sizeof(c.signing_key));
	sg_err_clear(&err);
	ck_assert_int_eq(issuer_init(&x, &c, &err), SG_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "SANDGATE_SIGNING_KEY"));

	(void)strlcpy(c.signing_key, SG_TESTDATA "/no-such.pem",
	    sizeof(c.signing_key));
	sg_err_clear(&err);
	ck_assert_int_eq(issuer_init(&x, &c, &err), SG_EINVAL);

	(void)strlcpy(c.signing_key, KEY1, sizeof(c.signing_key));
	(void)strlcpy(c.verify_keys, SG_TESTDATA "/test-key-rsa.pem",
	    sizeof(c.verify_keys));
	sg_err_clear(&err);
	ck_assert_int_eq(issuer_init(&x, &c, &err), SG_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "SANDGATE_VERIFY_KEYS"));

	c.verify_keys[0] = '\0';
	c.token_ttl = c.token_max_ttl + 1;
	sg_err_clear(&err);
	ck_assert_int_eq(issuer_init(&x, &c, &err), SG_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "SANDGATE_TOKEN_TTL"));
}
END_TEST

START_TEST(bad_json)
{
	static const char *const bad[] = {
		"", "{", "[]", "null", "\"x\"", "{\"container_id\":\"c\"}x",
		"{\"container_id\":\"a\",\"container_id\":\"b\"," GOOD_REST "}",
		"{\"container_id\":\"c\\u0000x\"," GOOD_REST "}",
		"{\"container_id\":\"c\"," GOOD_REST ",}",
		"\xef\xbb\xbf{\"container_id\":\"c\"," GOOD_REST "}",
		"{\"container_id\":\"\xc0\xaf\"," GOOD_REST "}",
	};
	struct sg_resp	 resp;
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		post_fails(bad[i], 400, "bad_json", NULL);
	/* Not JSON at all, by content type. */
	call("POST", "/v1/tokens", "operator", OPERATOR, "text/plain",
	    "{}", 2, &resp);
	expect_error(&resp, 415, "unsupported_media_type", NULL);
	sg_resp_clear(&resp);
	call("POST", "/v1/tokens", "operator", OPERATOR, NULL, "{}", 2, &resp);
	expect_error(&resp, 415, "unsupported_media_type", NULL);
	sg_resp_clear(&resp);
}
END_TEST

START_TEST(oversized)
{
	struct sg_resp	 resp;
	char		*b;
	size_t		 n = SG_HTTP_MAX_BODY + 100;

	b = malloc(n + 1);
	ck_assert_ptr_nonnull(b);
	(void)memset(b, ' ', n);
	(void)memcpy(b, "{\"container_id\":\"c\"," GOOD_REST "}",
	    strlen("{\"container_id\":\"c\"," GOOD_REST "}"));
	b[n] = '\0';
	call("POST", "/v1/tokens", "operator", OPERATOR, "application/json",
	    b, n, &resp);
	expect_error(&resp, 413, "payload_too_large", NULL);
	sg_resp_clear(&resp);
	free(b);
}
END_TEST

START_TEST(fields)
{
	/* Unknown fields, named in the message when they can be quoted. */
	post_fails("{\"container_id\":\"c\"," GOOD_REST ",\"admin\":true}", 400,
	    "unknown_field", "admin");
	post_fails("{\"Container_id\":\"c\"," GOOD_REST "}", 400,
	    "unknown_field", "Container_id");
	post_fails("{\"container_id\":\"c\"," GOOD_REST
	    ",\"is_hipaa_regulated\":\"true\"}", 400, "unknown_field", NULL);
	post_fails("{\"container_id\":\"c\"," GOOD_REST ",\"x\\ny\":1}", 400,
	    "unknown_field", NULL);
	/* Missing. */
	post_fails("{" GOOD_REST "}", 400, "missing_field", "container_id");
	post_fails("{\"container_id\":\"c\",\"organization_uuid\":\"" ORG
	    "\",\"allowed_hosts\":[]}", 400, "missing_field", "user_id");
	post_fails("{\"container_id\":\"c\",\"user_id\":\"u\","
	    "\"allowed_hosts\":[]}", 400, "missing_field",
	    "organization_uuid");
	post_fails("{\"container_id\":\"c\",\"user_id\":\"u\","
	    "\"organization_uuid\":\"" ORG "\"}", 400, "missing_field",
	    "allowed_hosts");
	/* Wrong types, the field named. */
	post_fails("{\"container_id\":5," GOOD_REST "}", 400, "invalid_field",
	    "container_id");
	post_fails("{\"container_id\":null," GOOD_REST "}", 400,
	    "invalid_field", "container_id");
	post_fails("{\"container_id\":[\"c\"]," GOOD_REST "}", 400,
	    "invalid_field", "container_id");
	post_fails("{\"container_id\":\"c\",\"user_id\":true,"
	    "\"organization_uuid\":\"" ORG "\",\"allowed_hosts\":[]}", 400,
	    "invalid_field", "user_id");
	post_fails("{\"container_id\":\"c\",\"user_id\":\"u\","
	    "\"organization_uuid\":{},\"allowed_hosts\":[]}", 400,
	    "invalid_field", "organization_uuid");
	post_fails("{\"container_id\":\"c\",\"user_id\":\"u\","
	    "\"organization_uuid\":\"" ORG "\",\"allowed_hosts\":"
	    "\"github.com\"}", 400, "invalid_field", "allowed_hosts");
	post_fails("{\"container_id\":\"c\",\"user_id\":\"u\","
	    "\"organization_uuid\":\"" ORG "\",\"allowed_hosts\":"
	    "[\"github.com\",1]}", 400, "invalid_field", "allowed_hosts[1]");
	post_fails("{\"container_id\":\"c\",\"user_id\":\"u\","
	    "\"organization_uuid\":\"" ORG "\",\"allowed_hosts\":"
	    "[[\"github.com\"]]}", 400, "invalid_field", "allowed_hosts[0]");
	post_fails("{\"container_id\":\"c\"," GOOD_REST
	    ",\"duration_hours\":\"4\"}", 400, "invalid_field",
	    "duration_hours");
	post_fails("{\"container_id\":\"c\"," GOOD_REST
	    ",\"duration_hours\":1.5}", 400, "invalid_field", "duration_hours");
	post_fails("{\"container_id\":\"c\"," GOOD_REST
	    ",\"duration_hours\":0}", 400, "invalid_field", "duration_hours");
	post_fails("{\"container_id\":\"c\"," GOOD_REST
	    ",\"duration_hours\":-1}", 400, "invalid_field", "duration_hours");
	post_fails("{\"container_id\":\"c\"," GOOD_REST
	    ",\"duration_hours\":25}", 400, "invalid_field", "1 to 24");
	post_fails("{\"container_id\":\"c\"," GOOD_REST
	    ",\"duration_hours\":1e400}", 400, "invalid_field",
	    "duration_hours");
	post_fails("{\"container_id\":\"c\"," GOOD_REST
	    ",\"duration_hours\":99999999999999999999}", 400, "invalid_field",
	    "duration_hours");
	post_fails("{\"container_id\":\"c\"," GOOD_REST
	    ",\"duration_hours\":null}", 400, "invalid_field",
	    "duration_hours");
	post_fails("{\"container_id\":\"c\"," GOOD_REST
	    ",\"enforce_binding\":\"true\"}", 400, "invalid_field",
	    "enforce_binding");
	post_fails("{\"container_id\":\"c\"," GOOD_REST
	    ",\"enforce_binding\":1}", 400, "invalid_field",
	    "enforce_binding");
	post_fails("{\"container_id\":\"c\"," GOOD_REST
	    ",\"enforce_binding\":null}", 400, "invalid_field",
	    "enforce_binding");
}
END_TEST

/* Hostile values never reach a signature (docs/security.md C3, C5, C6, C10). */
START_TEST(hostile_values)
{
	static const char *const ids[] = {
		"", "c\\r\\nX-Container-ID: victim", "c\\nx", "../../etc/passwd",
		"a b", "a/b", "a.b", "sandbox_\\u00e9", "c\\t", "c ", " c",
		"c,d", "*", "c%0d%0a",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	static const char *const hosts[] = {
		"*", "*.com", "evil.com/x", "user@evil.com", "github.com:0",
		"github.com:65536", "github.com:+443", "github.com:0443",
		" github.com", "github.com ", "", "github.com,evil.com",
		"https://github.com", "evil.com#@github.com", "github.com..",
		"g\\u0456thub.com", "127.1", "0x7f000001", "github.com\\r\\nx",
		"evil.com%2F@github.com",
	};
	char		 b[1024];
	size_t		 i;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		(void)snprintf(b, sizeof(b), "{\"container_id\":\"%s\","
		    GOOD_REST "}", ids[i]);
		post_fails(b, 400, "invalid_field", "container_id");
		(void)snprintf(b, sizeof(b), "{\"container_id\":\"c\","
		    "\"user_id\":\"%s\",\"organization_uuid\":\"" ORG "\","
		    "\"allowed_hosts\":[]}", ids[i]);
		post_fails(b, 400, "invalid_field", "user_id");
	}
	for (i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		(void)snprintf(b, sizeof(b), "{\"container_id\":\"c\","
		    "\"user_id\":\"u\",\"organization_uuid\":\"" ORG "\","
		    "\"allowed_hosts\":[\"github.com\",\"%s\"]}", hosts[i]);
		post_fails(b, 400, "invalid_field", "allowed_hosts[1]");
	}
	post_fails("{\"container_id\":\"c\",\"user_id\":\"u\","
	    "\"organization_uuid\":\"org\\r\\nFLUSHALL\","
	    "\"allowed_hosts\":[]}", 400, "invalid_field", "organization_uuid");
	post_fails("{\"container_id\":\"c\",\"user_id\":\"u\","
	    "\"organization_uuid\":\"" ORG "x\",\"allowed_hosts\":[]}", 400,
	    "invalid_field", "organization_uuid");
	/* 129 characters: one over the id limit. */
	post_fails("{\"container_id\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaa\"," GOOD_REST "}", 400,
	    "invalid_field", "container_id");
}
END_TEST

START_TEST(too_many_hosts)
{
	struct sg_resp	 resp;
	char		*b;
	size_t		 off = 0, size = 64 * 1024;
	int		 i;

	b = malloc(size);
	ck_assert_ptr_nonnull(b);
	off += (size_t)snprintf(b + off, size - off, "{\"container_id\":\"c\","
	    "\"user_id\":\"u\",\"organization_uuid\":\"" ORG "\","
	    "\"allowed_hosts\":[");
	for (i = 0; i <= SG_HOSTS_MAX; i++)
		off += (size_t)snprintf(b + off, size - off, "%s\"h%d.example.com\"",
		    i ? "," : "", i);
	(void)snprintf(b + off, size - off, "]}");
	post(b, &resp);
	expect_error(&resp, 400, "invalid_field", "allowed_hosts");
	sg_resp_clear(&resp);
	free(b);
}
END_TEST

/*
 * Issue 16: what would fail only when the token is used is refused here,
 * with a sentence: a wildcard on a public suffix (C12), and hosts that
 * make the egress credential longer than Apache takes (C11).
 */
START_TEST(late_failures)
{
	char	*b;
	size_t	 off = 0, size = 64 * 1024;
	int	 i;

	post_fails("{\"container_id\":\"c\"," "\"user_id\":\"u\","
	    "\"organization_uuid\":\"" ORG "\",\"allowed_hosts\":"
	    "[\"github.com\",\"*.github.io\"]}", 400, "bad_allowed_hosts",
	    "*.github.io is a wildcard on a public suffix");
	post_fails("{\"container_id\":\"c\"," "\"user_id\":\"u\","
	    "\"organization_uuid\":\"" ORG "\",\"allowed_hosts\":"
	    "[\"*.co.uk\"]}", 400, "bad_allowed_hosts", "*.co.uk");
	b = malloc(size);
	ck_assert_ptr_nonnull(b);
	off += (size_t)snprintf(b + off, size - off, "{\"container_id\":\"c\","
	    "\"user_id\":\"u\",\"organization_uuid\":\"" ORG "\","
	    "\"allowed_hosts\":[");
	for (i = 0; i < 100; i++)
		off += (size_t)snprintf(b + off, size - off,
		    "%s\"h%03d-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example.com\"",
		    i ? "," : "", i);
	(void)snprintf(b + off, size - off, "]}");
	post_fails(b, 400, "token_too_large",
	    "over Apache's LimitRequestFieldSize 8190");
	free(b);
}
END_TEST

/*
 * Pins: token-issuer called a failed allocation in sg_hostlist_add 400
 * "allowed_hosts is too long".  Each allocation of sandgate's and cJSON's
 * in handling a good request fails in turn: the answer is a 500 (or the
 * 201 when the failure was absorbed), never a 4xx.
 */
START_TEST(enomem_not_400)
{
	static const char body[] = "{\"container_id\":\"c\"," GOOD_REST "}";
	static char	 e0[] = "REQUEST_METHOD=POST";
	static char	 e1[] = "REQUEST_URI=/v1/tokens";
	static char	 e2[] = "SG_KIND=operator";
	static char	 e3[] = "SG_SUB=ops-alice";
	static char	 e4[] = "SG_SCOPE=" OPERATOR;
	static char	 e5[] = "CONTENT_TYPE=application/json";
	char		*env[] = { e0, e1, e2, e3, e4, e5, NULL };
	struct sg_req	 req;
	struct sg_resp	 resp;
	long		 at, hits = 0, e500 = 0;

	sgtest_failalloc_cjson();
	for (at = 0; ; at++) {
		sg_resp_init(&resp);
		ck_assert_int_eq(sg_req_init(&req, env, body, strlen(body),
		    NULL), SG_OK);
		sgtest_failalloc_at(at);
		issuer_handle(&is, &req, &resp);
		sgtest_failalloc_off();
		sg_req_clear(&req);
		if (!sgtest_failalloc_hit(at)) {
			ck_assert_int_eq(resp.status, 201);
			sg_resp_clear(&resp);
			break;
		}
		ck_assert_msg(resp.status == 500 || resp.status == 201,
		    "allocation %ld failed: status %d: %.*s", at, resp.status,
		    (int)resp.bodylen, resp.body != NULL ? resp.body : "");
		if (resp.status == 500)
			e500++;
		hits++;
		sg_resp_clear(&resp);
	}
	cJSON_InitHooks(NULL);
	ck_assert_int_ge(hits, 10);
	ck_assert_int_ge(e500, 5);
}
END_TEST

/* S10, issuer side: every signature is exactly 64 bytes (86 chars). */
START_TEST(signature_length)
{
	struct sg_resp	 resp;
	cJSON		*j;
	const char	*tok, *dot;
	int		 i;

	for (i = 0; i < 10000; i++) {
		post("{\"container_id\":\"c\"," GOOD_REST "}", &resp);
		ck_assert_int_eq(resp.status, 201);
		j = body_of(&resp);
		tok = sg_json_str(j, "token");
		dot = strrchr(tok, '.');
		ck_assert_uint_eq(strlen(dot + 1), 86);
		cJSON_Delete(j);
		sg_resp_clear(&resp);
	}
}
END_TEST

static Suite *
issuer_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("issuer");
	tc = tcase_create("issuer");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, mint_default);
	tcase_add_test(tc, mint_counted);
	tcase_add_test(tc, mint_options);
	tcase_add_test(tc, auth_scope);
	tcase_add_test(tc, methods_routes);
	tcase_add_test(tc, jwks);
	tcase_add_test(tc, jwks_signer_added);
	tcase_add_test(tc, healthz);
	tcase_add_test(tc, init_errors);
	tcase_add_test(tc, bad_json);
	tcase_add_test(tc, oversized);
	tcase_add_test(tc, fields);
	tcase_add_test(tc, hostile_values);
	tcase_add_test(tc, too_many_hosts);
	tcase_add_test(tc, late_failures);
	tcase_add_test(tc, signature_length);
	tcase_add_test(tc, enomem_not_400);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(issuer_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
