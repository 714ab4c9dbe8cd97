/* SPDX-License-Identifier: ISC */
/*
 * token-issuer's handler (services/token-issuer/issuer.c) on fuzzed
 * requests: POST /v1/tokens bodies, the authorizer's SG_* facts, paths
 * and methods.  The issuer signs what the verifier trusts, so every 201
 * is checked here (docs/security.md 3.7, issuer-side tests): the caller
 * was an operator with tokens:issue, the token verifies under the
 * verifier's rules at the same clock, and its claims are exactly the
 * body's (ids, UUID, the canonical host list, binding, lifetime).  Every
 * answer has a documented status and a safe serialisation.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg.h"
#include "claims.h"
#include "hosts.h"
#include "request.h"
#include "response.h"
#include "issuer.h"
#include "json.h"
#include "keys.h"
#include "log.h"
#include "token.h"
#include "fuzz.h"

static struct sg_cfg	 cfg;
static struct app	 is;
static struct sg_keyset	*vks;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sg_err	 err;
	char		 path[512];

	sg_log_init("fuzz_issuer", SG_LOG_ERROR);
	sg_cfg_defaults(&cfg);
	(void)snprintf(cfg.issuer, sizeof(cfg.issuer), "%s", FZ_ISSUER);
	(void)snprintf(cfg.signing_key, sizeof(cfg.signing_key),
	    "%s/test-key-1.pem", SG_TESTDATA);
	(void)snprintf(cfg.verify_keys, sizeof(cfg.verify_keys),
	    "%s/test-key-2.pub.pem", SG_TESTDATA);
	sg_err_clear(&err);
	if (issuer_init(&is, &cfg, &err) != SG_OK)
		FZ_FAIL("issuer_init: %s", err.msg);
	is.now = FZ_NOW;
	(void)snprintf(path, sizeof(path), "%s/test-key-1.pub.pem",
	    SG_TESTDATA);
	if (sg_keyset_load(path, &vks, &err) != SG_OK)
		FZ_FAIL("keys: %s", err.msg);
	return 0;
}

/* The 201's token against the request body. */
static void
check_token(const struct sg_req *req, const cJSON *ans)
{
	struct sg_verify_opts	 o;
	struct sg_claims	 c;
	struct sg_hostlist	 hl;
	struct sg_hostpat	 p;
	struct sg_err		 err;
	const cJSON		*body_hosts, *h, *eb;
	cJSON			*body;
	const char		*tok;
	int64_t			 hours = 0, exp = 0;
	char			*want;
	size_t			 i;

	tok = sg_json_str(ans, "token");
	FZ_ASSERT(tok != NULL, "201 without a token");
	memset(&o, 0, sizeof(o));
	o.issuer = cfg.issuer;
	o.leeway = cfg.leeway;
	o.max_ttl = cfg.token_max_ttl;
	o.now = FZ_NOW;
	sg_claims_init(&c);
	sg_err_clear(&err);
	FZ_ASSERT(sg_token_verify(vks, tok, strlen(tok), &o, &c, &err) ==
	    SG_OK, "issued token refused by the verifier: %s", err.msg);
	FZ_ASSERT(c.kind == SG_KIND_CONTAINER && c.has_aud,
	    "issued token is not a container token");
	FZ_ASSERT(sg_json_int(ans, "expires_at", 0, INT64_MAX, &exp, NULL) ==
	    SG_OK && exp == c.exp, "expires_at");
	FZ_ASSERT(strcmp(sg_json_str(ans, "jti"), c.jti) == 0, "jti");

	body = sg_json_parse_object(req->body, req->bodylen, NULL);
	FZ_ASSERT(body != NULL, "201 for a body that is no strict object");
	FZ_ASSERT(strcmp(sg_json_str(body, "container_id"), c.container_id) ==
	    0, "container_id");
	FZ_ASSERT(strcmp(sg_json_str(body, "user_id"), c.sub) == 0, "sub");
	FZ_ASSERT(strcasecmp(sg_json_str(body, "organization_uuid"), c.org) ==
	    0, "organization_uuid");
	/* the claim is the canonical form of the body's list, in order */
	body_hosts = sg_json_get(body, "allowed_hosts");
	FZ_ASSERT(cJSON_IsArray(body_hosts), "allowed_hosts not an array");
	sg_hostlist_init(&hl);
	cJSON_ArrayForEach(h, body_hosts) {
		FZ_ASSERT(cJSON_IsString(h) && sg_hostpat_parse(h->valuestring,
		    strlen(h->valuestring), &p, NULL) == SG_OK,
		    "bad host signed");
		FZ_ASSERT(sg_hostlist_add(&hl, &p, NULL) == SG_OK, "add");
	}
	want = sg_hostlist_join(&hl);
	FZ_ASSERT(want != NULL && strcmp(want, c.allowed_hosts) == 0,
	    "allowed_hosts %s signed for %s", c.allowed_hosts, want);
	FZ_ASSERT(c.hosts.n == hl.n, "host count");
	for (i = 0; i < hl.n; i++)
		FZ_ASSERT(memcmp(&c.hosts.v[i], &hl.v[i], sizeof(p)) == 0,
		    "host %zu", i);
	free(want);
	sg_hostlist_clear(&hl);
	eb = sg_json_get(body, "enforce_binding");
	FZ_ASSERT(c.binding == (eb == NULL || cJSON_IsTrue(eb)), "binding");
	if (sg_json_int(body, "duration_hours", 1, 10000, &hours, NULL) ==
	    SG_OK)
		FZ_ASSERT(c.exp - c.iat == hours * 3600, "lifetime");
	else
		FZ_ASSERT(c.exp - c.iat == cfg.token_ttl, "default lifetime");
	FZ_ASSERT(c.iat == (int64_t)FZ_NOW, "iat");
	cJSON_Delete(body);
	sg_claims_clear(&c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct fz_env	 e;
	struct sg_req	 req;
	struct sg_resp	 resp;
	cJSON		*ans = NULL;
	char		*s, *end, *line;
	size_t		 len = 0, i;

	if (n > 2 * SG_HTTP_MAX_BODY)
		return 0;
	fz_env_parse(d, n, &e);
	if (sg_req_init(&req, e.env, (const char *)e.body, e.bodylen, NULL) !=
	    SG_OK) {
		sg_req_clear(&req);
		fz_env_free(&e);
		return 0;
	}
	sg_resp_init(&resp);
	issuer_handle(&is, &req, &resp);
	FZ_ASSERT(resp.status == 200 || resp.status == 201 ||
	    resp.status == 400 || resp.status == 401 || resp.status == 403 ||
	    resp.status == 404 || resp.status == 405 || resp.status == 413 ||
	    resp.status == 415 || resp.status == 500, "status %d",
	    resp.status);
	if (resp.status == 201) {
		FZ_ASSERT(req.path != NULL && strcmp(req.path, "/v1/tokens") ==
		    0 && strcmp(req.method, "POST") == 0, "201 for %s %s",
		    req.method, req.path ? req.path : "-");
		FZ_ASSERT(strcmp(sg_req_param(&req, "SG_KIND"), "operator") ==
		    0 && sg_scope_has(sg_req_param(&req, "SG_SCOPE"),
		    "tokens:issue"), "201 without tokens:issue");
		ans = sg_json_parse_object(resp.body, resp.bodylen, NULL);
		FZ_ASSERT(ans != NULL, "201 body");
		check_token(&req, ans);
		cJSON_Delete(ans);
	}
	s = sg_resp_serialize(&resp, &len);
	FZ_ASSERT(s != NULL && strncmp(s, "Status: ", 8) == 0, "serialise");
	end = strstr(s, "\r\n\r\n");
	FZ_ASSERT(end != NULL, "end of headers");
	for (line = s; line < end; line = strstr(line, "\r\n") + 2)
		for (i = 0; line + i < end && line[i] != '\r'; i++)
			FZ_ASSERT(line[i] != '\n' && line[i] != '\0',
			    "bare LF or NUL in a header");
	free(s);
	sg_resp_clear(&resp);
	sg_req_clear(&req);
	fz_env_free(&e);
	return 0;
}
