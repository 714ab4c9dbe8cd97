/* SPDX-License-Identifier: ISC */
/*
 * token-issuer's handler (docs/contract.md §5.2):
 *
 *   POST /v1/tokens              operator with tokens:issue -> 201
 *        {"container_id","user_id","organization_uuid","allowed_hosts":[..],
 *         "duration_hours"?, "enforce_binding"?}
 *        -> {"token","jti","expires_at","kid"}
 *   GET  /.well-known/jwks.json  open -> 200 {"keys":[...]}
 *   GET  /healthz                open -> 200 {"status":"ok",...}
 *        (also /healthz/token-issuer, as the lighttpd gateway routes it)
 *
 * The identity comes only from the authorizer's SG_* params (request.h).
 * The body is strict: every field has one type, unknown fields are
 * refused, and every value goes through the validators the verifier
 * uses (sg_id_valid, sg_uuid_valid, sg_hostpat_parse), then
 * sg_token_mint_container checks the whole claim set once more, so a
 * token the verifier would refuse is never signed (docs/security.md
 * 3.7, issuer-side tests).  The token is in the response only: never
 * in a log.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "claims.h"
#include "compat.h"
#include "hosts.h"
#include "issuer.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "route.h"
#include "serve.h"
#include "token.h"

#define JWKS_CACHE	"public, max-age=300"

/* The members POST /v1/tokens accepts. */
static const char *const token_fields[] = {
	"container_id", "user_id", "organization_uuid", "allowed_hosts",
	"duration_hours", "enforce_binding", NULL
};

static enum sg_rc
add_signer(struct app *is, struct sg_err *err)
{
	const struct sg_key	*have;
	struct sg_key		*pub = NULL;
	cJSON			*a = NULL, *b = NULL;
	const char		*kid;
	int			 same;
	enum sg_rc		 rc;

	kid = sg_key_kid(is->key);
	if ((have = sg_keyset_find(is->keys, kid)) == NULL) {
		if ((rc = sg_key_public(is->key, &pub, err)) != SG_OK)
			return rc;
		/* sg_keyset_add owns pub from here, also on error. */
		if ((rc = sg_keyset_add(is->keys, pub, err)) != SG_OK)
			return sg_err_set(err, SG_EINVAL, "bad_config",
			    "SANDGATE_VERIFY_KEYS: cannot add the signing key");
		return SG_OK;
	}
	/* The same kid must be the same key, or tokens would not verify. */
	a = sg_key_jwk(have);
	b = sg_key_jwk(is->key);
	same = a != NULL && b != NULL &&
	    sg_json_str(a, "x") != NULL && sg_json_str(b, "x") != NULL &&
	    sg_json_str(a, "y") != NULL && sg_json_str(b, "y") != NULL &&
	    strcmp(sg_json_str(a, "x"), sg_json_str(b, "x")) == 0 &&
	    strcmp(sg_json_str(a, "y"), sg_json_str(b, "y")) == 0;
	cJSON_Delete(a);
	cJSON_Delete(b);
	if (!same)
		return sg_err_set(err, SG_EINVAL, "bad_config",
		    "SANDGATE_VERIFY_KEYS: kid %.64s names a key other than "
		    "SANDGATE_SIGNING_KEY", kid);
	return SG_OK;
}

enum sg_rc
issuer_init(struct app *is, const struct sg_cfg *cfg, struct sg_err *err)
{
	struct sg_err	 e;
	enum sg_rc	 rc;

	(void)memset(is, 0, sizeof(*is));
	is->cfg = cfg;
	sg_err_clear(&e);
	if (cfg->signing_key[0] == '\0') {
		rc = sg_err_set(err, SG_EINVAL, "bad_config",
		    "SANDGATE_SIGNING_KEY: required (a PEM P-256 private key)");
		goto fail;
	}
	if (sg_key_load_signing(cfg->signing_key, &is->key, &e) != SG_OK) {
		rc = sg_err_set(err, SG_EINVAL, "bad_config",
		    "SANDGATE_SIGNING_KEY: %s", e.msg);
		goto fail;
	}
	if (cfg->token_ttl < 1 || cfg->token_ttl > cfg->token_max_ttl) {
		rc = sg_err_set(err, SG_EINVAL, "bad_config",
		    "SANDGATE_TOKEN_TTL: must be 1 to SANDGATE_TOKEN_MAX_TTL "
		    "(%" PRId64 ")", cfg->token_max_ttl);
		goto fail;
	}
	if (cfg->verify_keys[0] != '\0') {
		if (sg_keyset_load(cfg->verify_keys, &is->keys, &e) != SG_OK) {
			rc = sg_err_set(err, SG_EINVAL, "bad_config",
			    "SANDGATE_VERIFY_KEYS: %s", e.msg);
			goto fail;
		}
	} else if ((is->keys = sg_keyset_new()) == NULL) {
		rc = sg_err_set(err, SG_ENOMEM, "out_of_memory",
		    "out of memory");
		goto fail;
	}
	if ((rc = add_signer(is, err)) != SG_OK)
		goto fail;
	if ((is->jwks = sg_keyset_jwks(is->keys)) == NULL) {
		rc = sg_err_set(err, SG_ENOMEM, "out_of_memory",
		    "out of memory");
		goto fail;
	}
	return SG_OK;
fail:
	issuer_clear(is);
	return rc;
}

void
issuer_clear(struct app *is)
{
	if (is == NULL)
		return;
	cJSON_Delete(is->jwks);
	sg_keyset_free(is->keys);
	sg_key_free(is->key);
	(void)memset(is, 0, sizeof(*is));
}

static void
healthz(struct app *is, struct sg_req *req, struct sg_resp *resp)
{
	cJSON	*o = NULL;

	if (!sg_req_is_get(req)) {
		sg_resp_method(resp, "GET, HEAD");
		return;
	}
	if (is->key == NULL || is->jwks == NULL) {
		sg_resp_error(resp, 503, "keys_unavailable",
		    "The signing key is not loaded.");
		return;
	}
	if ((o = cJSON_CreateObject()) == NULL ||
	    sg_json_add_str(o, "status", "ok") != 0 ||
	    sg_json_add_str(o, "service", "token-issuer") != 0 ||
	    sg_json_add_str(o, "kid", sg_key_kid(is->key)) != 0 ||
	    sg_json_add_int(o, "keys", (int64_t)sg_keyset_count(is->keys)) !=
	    0) {
		cJSON_Delete(o);
		sg_resp_error(resp, 500, "out_of_memory", "Out of memory.");
		return;
	}
	sg_resp_json(resp, 200, o);
}

static void
jwks(struct app *is, struct sg_req *req, struct sg_resp *resp)
{
	cJSON	*o;

	if (!sg_req_is_get(req)) {
		sg_resp_method(resp, "GET, HEAD");
		return;
	}
	if ((o = cJSON_Duplicate(is->jwks, 1)) == NULL) {
		sg_resp_error(resp, 500, "out_of_memory", "Out of memory.");
		return;
	}
	sg_resp_json(resp, 200, o);
	/* Public keys: caches may keep them a while (rotation overlaps). */
	(void)sg_resp_header(resp, "Cache-Control", JWKS_CACHE);
}

/* A member name fit to quote in a message, else NULL. */
static const char *
quotable(const char *s)
{
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= 64 || s[i] < 0x20 || s[i] >= 0x7f)
			return NULL;
	return s;
}

/* 0 if every member of body is one we know; else a 400 in resp. */
static int
check_fields(const cJSON *body, struct sg_resp *resp)
{
	const cJSON	*m;
	size_t		 i;

	for (m = body->child; m != NULL; m = m->next) {
		for (i = 0; token_fields[i] != NULL; i++)
			if (m->string != NULL &&
			    strcmp(m->string, token_fields[i]) == 0)
				break;
		if (token_fields[i] != NULL)
			continue;
		if (m->string != NULL && quotable(m->string) != NULL)
			sg_resp_error(resp, 400, "unknown_field",
			    "Unknown field \"%s\".", m->string);
		else
			sg_resp_error(resp, 400, "unknown_field",
			    "The body has an unknown field.");
		return -1;
	}
	return 0;
}

/*
 * A required string member that valid() accepts, into buf; else a 400
 * naming the field.
 */
static int
get_str(const cJSON *body, const char *name, int (*valid)(const char *),
    const char *what, char *buf, size_t size, struct sg_resp *resp)
{
	const cJSON	*m;

	if ((m = sg_json_get(body, name)) == NULL) {
		sg_resp_error(resp, 400, "missing_field",
		    "Field \"%s\" is required.", name);
		return -1;
	}
	if (!cJSON_IsString(m) || m->valuestring == NULL) {
		sg_resp_error(resp, 400, "invalid_field",
		    "Field \"%s\" must be a string.", name);
		return -1;
	}
	if (!valid(m->valuestring) ||
	    strlcpy(buf, m->valuestring, size) >= size) {
		sg_resp_error(resp, 400, "invalid_field",
		    "Field \"%s\" must be %s.", name, what);
		return -1;
	}
	return 0;
}

/* allowed_hosts: an array of host patterns, each parsed on its own. */
static int
get_hosts(const cJSON *body, struct sg_hostlist *hl, struct sg_resp *resp)
{
	const cJSON		*a, *m;
	struct sg_hostpat	 pat;
	struct sg_err		 err;
	int			 i = 0;

	if ((a = sg_json_get(body, "allowed_hosts")) == NULL) {
		sg_resp_error(resp, 400, "missing_field",
		    "Field \"allowed_hosts\" is required.");
		return -1;
	}
	if (!cJSON_IsArray(a)) {
		sg_resp_error(resp, 400, "invalid_field",
		    "Field \"allowed_hosts\" must be an array of strings.");
		return -1;
	}
	if (cJSON_GetArraySize(a) > SG_HOSTS_MAX) {
		sg_resp_error(resp, 400, "invalid_field",
		    "Field \"allowed_hosts\" has more than %d entries.",
		    SG_HOSTS_MAX);
		return -1;
	}
	cJSON_ArrayForEach(m, a) {
		sg_err_clear(&err);
		if (!cJSON_IsString(m) || m->valuestring == NULL) {
			sg_resp_error(resp, 400, "invalid_field",
			    "Field \"allowed_hosts[%d]\" must be a string.", i);
			return -1;
		}
		if (sg_hostpat_parse(m->valuestring, strlen(m->valuestring),
		    &pat, &err) != SG_OK) {
			sg_resp_error(resp, 400, "invalid_field",
			    "Field \"allowed_hosts[%d]\" is not a host pattern "
			    "(name, *.name or IP literal, optional :port).", i);
			return -1;
		}
		if (sg_hostlist_add(hl, &pat, &err) != SG_OK) {
			/* A failed allocation is ours, not the client's. */
			if (err.rc == SG_ENOMEM)
				sg_resp_error(resp, 500, "out_of_memory",
				    "Out of memory.");
			else
				sg_resp_error(resp, 400, "invalid_field",
				    "Field \"allowed_hosts\" is too long.");
			return -1;
		}
		i++;
	}
	return 0;
}

static int
uuid_ok(const char *s)
{
	return sg_uuid_valid(s);
}

static int
id_ok(const char *s)
{
	return sg_id_valid(s);
}

static void
tokens(struct app *is, struct sg_req *req, struct sg_resp *resp)
{
	struct sg_mint_container m;
	struct sg_minted	 minted;
	struct sg_hostlist	 hl;
	struct sg_err		 err;
	const cJSON		*eb;
	cJSON			*body = NULL, *o = NULL;
	char			 cid[SG_ID_MAX + 1], uid[SG_ID_MAX + 1];
	char			 org[SG_UUID_LEN + 1], exp[24];
	int64_t			 hours, maxh;
	int			 binding = 1;

	(void)memset(&minted, 0, sizeof(minted));
	sg_hostlist_init(&hl);
	sg_err_clear(&err);
	if (sg_req_auth(req, resp, "operator", "tokens:issue") != 0)
		goto out;
	if (strcmp(req->method, "POST") != 0) {
		sg_resp_method(resp, "POST");
		goto out;
	}
	if ((body = sg_req_json(req, resp)) == NULL)
		goto out;
	if (check_fields(body, resp) != 0 ||
	    get_str(body, "container_id", id_ok,
	    "an id matching ^[A-Za-z0-9_-]{1,128}$", cid, sizeof(cid),
	    resp) != 0 ||
	    get_str(body, "user_id", id_ok,
	    "an id matching ^[A-Za-z0-9_-]{1,128}$", uid, sizeof(uid),
	    resp) != 0 ||
	    get_str(body, "organization_uuid", uuid_ok, "a UUID", org,
	    sizeof(org), resp) != 0 ||
	    get_hosts(body, &hl, resp) != 0)
		goto out;

	maxh = is->cfg->token_max_ttl / 3600;
	switch (sg_json_int(body, "duration_hours", 1, maxh, &hours, &err)) {
	case SG_OK:
		break;
	case SG_ENOENT:
		hours = 0;
		break;
	default:
		sg_resp_error(resp, 400, "invalid_field",
		    "Field \"duration_hours\" must be an integer from 1 to "
		    "%" PRId64 ".", maxh);
		goto out;
	}
	if ((eb = sg_json_get(body, "enforce_binding")) != NULL) {
		if (!cJSON_IsBool(eb)) {
			sg_resp_error(resp, 400, "invalid_field",
			    "Field \"enforce_binding\" must be true or false.");
			goto out;
		}
		binding = cJSON_IsTrue(eb);
	}

	(void)memset(&m, 0, sizeof(m));
	m.issuer = is->cfg->issuer;
	m.sub = uid;
	m.container_id = cid;
	m.org = org;
	m.hosts = &hl;
	m.binding = binding;
	m.hipaa = 0;
	m.pci = 0;
	m.ttl = hours > 0 ? hours * 3600 : is->cfg->token_ttl;
	m.now = is->now != 0 ? is->now : time(NULL);
	m.max_ttl = is->cfg->token_max_ttl;
	if (sg_token_mint_container(is->key, &m, &minted, &err) != SG_OK) {
		if (err.rc == SG_EINVAL)
			sg_resp_error(resp, 400, err.code != NULL ? err.code :
			    "invalid_request", "The token cannot be issued: %s",
			    err.msg);
		else
			sg_resp_from_err(resp, &err);
		goto out;
	}
	if ((o = cJSON_CreateObject()) == NULL ||
	    sg_json_add_str(o, "token", minted.token) != 0 ||
	    sg_json_add_str(o, "jti", minted.jti) != 0 ||
	    sg_json_add_int(o, "expires_at", minted.exp) != 0 ||
	    sg_json_add_str(o, "kid", minted.kid) != 0) {
		sg_resp_error(resp, 500, "out_of_memory", "Out of memory.");
		goto out;
	}
	sg_resp_json(resp, 201, o);
	o = NULL;
	sg_metrics_add(SG_M_TOKENS_ISSUED, 1, "sandbox");
	(void)snprintf(exp, sizeof(exp), "%" PRId64, minted.exp);
	sg_log(SG_LOG_INFO, "token_issued", "sub", sg_req_param(req, "SG_SUB"),
	    "container_id", cid, "user_id", uid, "jti", minted.jti,
	    "kid", minted.kid, "exp", exp, NULL);
out:
	if (o != NULL) {
		/* It may hold the token: wipe before freeing. */
		const cJSON	*t = sg_json_get(o, "token");

		if (cJSON_IsString(t) && t->valuestring != NULL)
			explicit_bzero(t->valuestring, strlen(t->valuestring));
		cJSON_Delete(o);
	}
	cJSON_Delete(body);
	sg_hostlist_clear(&hl);
	sg_minted_clear(&minted);
}

void
issuer_handle(void *app, struct sg_req *req, struct sg_resp *resp)
{
	struct app	*is = app;

	if (req->path == NULL)
		sg_resp_error(resp, 404, "not_found", "No such resource.");
	else if (strcmp(req->path, SG_PATH_TOKENS) == 0)
		tokens(is, req, resp);
	else if (strcmp(req->path, SG_PATH_JWKS) == 0)
		jwks(is, req, resp);
	else if (strcmp(req->path, "/healthz") == 0 ||
	    strcmp(req->path, "/healthz/token-issuer") == 0)
		healthz(is, req, resp);
	else
		sg_resp_error(resp, 404, "not_found", "No such resource.");
}

void
issuer_serve(void *arg, struct sg_req *req, struct sg_resp *resp)
{
	struct app	*is = arg, fresh;
	struct sg_err	 err;

	if (sg_serve_hup()) {
		sg_err_clear(&err);
		if (issuer_init(&fresh, is->cfg, &err) == SG_OK) {
			issuer_clear(is);
			*is = fresh;
			sg_metrics_add(SG_M_KEY_RELOADS, 1, "ok");
			sg_log(SG_LOG_INFO, "keys_reloaded", "kid",
			    sg_key_kid(is->key), NULL);
		} else {
			sg_metrics_add(SG_M_KEY_RELOADS, 1, "failed");
			sg_log(SG_LOG_ERROR, "keys_reload_failed", "reason",
			    err.code, "detail", err.msg, NULL);
		}
	}
	issuer_handle(is, req, resp);
}
