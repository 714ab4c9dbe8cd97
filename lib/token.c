/* SPDX-License-Identifier: ISC */
/*
 * Minting and verifying sandgate tokens (lib/token.h; docs/contract.md §2).
 *
 * The verifier trusts whatever the issuer signs (docs/security.md 3.7,
 * "Issuer-side tests"), so minting runs the verifier's own checks on the
 * claims it is about to sign: a value the verifier would refuse (a CR/LF
 * in a claim, an empty or over-broad host pattern, a wildcard on a public
 * suffix, a lifetime over the limit) is refused here with SG_EINVAL
 * instead of being signed.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "claims.h"
#include "compat.h"
#include "crypto.h"
#include "json.h"
#include "jwt.h"
#include "log.h"
#include "metrics.h"
#include "psl.h"
#include "token.h"

/* Times stay below 2^40, the verifier's range (claims.c). */
#define TIME_MAX	((INT64_C(1) << 40) - 1)

void
sg_minted_clear(struct sg_minted *m)
{
	if (m == NULL)
		return;
	if (m->token != NULL) {
		sg_cleanse(m->token, strlen(m->token));
		free(m->token);
	}
	sg_cleanse(m, sizeof(*m));
	m->token = NULL;
}

static int
str_ok(const char *s, size_t max)
{
	size_t	 n;

	if (s == NULL || (n = strlen(s)) == 0 || n > max)
		return 0;
	return sg_str_printable(s);
}

/* ttl in [1, max] and now + ttl a valid NumericDate. */
static enum sg_rc
check_times(int64_t ttl, int64_t max, time_t now, struct sg_err *err)
{
	if (max <= 0 || max > SG_TOKEN_TTL_LIMIT)
		max = SG_TOKEN_TTL_LIMIT;
	if (ttl < 1 || ttl > max)
		return sg_err_set(err, SG_EINVAL, "bad_ttl",
		    "token lifetime must be 1 to %lld seconds",
		    (long long)max);
	if ((int64_t)now < 1 || (int64_t)now > TIME_MAX - ttl)
		return sg_err_set(err, SG_EINVAL, "bad_ttl",
		    "clock out of range");
	return SG_OK;
}

/*
 * The canonical text of hosts, checked by parsing it back with the
 * verifier's parser: it must parse and print the same ("" when empty).
 */
static enum sg_rc
hosts_text(const struct sg_hostlist *hosts, char **out, struct sg_err *err)
{
	struct sg_hostlist	 back;
	char			*s = NULL, *again = NULL;
	enum sg_rc		 rc = SG_EINVAL, prc = SG_EINVAL;
	size_t			 len;

	*out = NULL;
	sg_hostlist_init(&back);
	if (hosts == NULL || hosts->n > SG_HOSTS_MAX ||
	    (hosts->n > 0 && hosts->v == NULL))
		return sg_err_set(err, SG_EINVAL, "bad_allowed_hosts",
		    "bad host list");
	if (hosts->n == 0) {
		if ((*out = strdup("")) == NULL)
			return sg_err_set(err, SG_ENOMEM, NULL,
			    "out of memory");
		return SG_OK;
	}
	if ((s = sg_hostlist_join(hosts)) == NULL) {
		rc = sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
		goto out;
	}
	len = strlen(s);
	if (len > 0 && len <= SG_HOSTS_STR_MAX)
		prc = sg_hosts_parse(s, len, &back, NULL);
	if (prc == SG_ENOMEM) {
		/* Ours, not the caller's: a 500, never bad_allowed_hosts. */
		rc = sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
		goto out;
	}
	if (prc != SG_OK || back.n != hosts->n) {
		rc = sg_err_set(err, SG_EINVAL, "bad_allowed_hosts",
		    "allowed hosts the verifier would refuse");
		goto out;
	}
	if ((again = sg_hostlist_join(&back)) == NULL) {
		rc = sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
		goto out;
	}
	if (strcmp(again, s) != 0) {
		rc = sg_err_set(err, SG_EINVAL, "bad_allowed_hosts",
		    "allowed hosts not in canonical form");
		goto out;
	}
	*out = s;
	s = NULL;
	rc = SG_OK;
out:
	free(again);
	free(s);
	sg_hostlist_clear(&back);
	return rc;
}

/* The claims every token has; jti is written to jti. */
static cJSON *
common_claims(const char *issuer, const char *sub, const char *aud,
    int64_t iat, int64_t exp, char *jti, size_t jtisize, struct sg_err *err)
{
	cJSON	*c = NULL;

	if (sg_random_jti(jti, jtisize, err) != SG_OK)
		return NULL;
	if ((c = cJSON_CreateObject()) == NULL ||
	    sg_json_add_str(c, "iss", issuer) == -1 ||
	    sg_json_add_str(c, "sub", sub) == -1 ||
	    sg_json_add_str(c, "aud", aud) == -1 ||
	    sg_json_add_int(c, "iat", iat) == -1 ||
	    sg_json_add_int(c, "nbf", iat) == -1 ||
	    sg_json_add_int(c, "exp", exp) == -1 ||
	    sg_json_add_str(c, "jti", jti) == -1) {
		cJSON_Delete(c);
		sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
		return NULL;
	}
	return c;
}

/* The egress credential's parts around the id and the token. */
#define CRED_PREFIX	"Proxy-Authorization: Basic "
#define CRED_USER	"container_"
#define CRED_PASS	":jwt_"

size_t
sg_token_proxy_credential_len(size_t idlen, size_t toklen)
{
	size_t	 n;

	/* RFC 7617 2: base64 (RFC 4648 4, padded) of user-id ":" password. */
	n = sizeof(CRED_USER) - 1 + idlen + sizeof(CRED_PASS) - 1 + toklen;
	return sizeof(CRED_PREFIX) - 1 + (n + 2) / 3 * 4;
}

/*
 * A container token whose egress credential would be over the proxy's
 * header limit is refused here, at issue: otherwise it would be issued
 * and then every request with it would be a 400 from Apache, which the
 * sandbox cannot tell from anything else.  The hosts are what grows it.
 */
static enum sg_rc
check_cred_len(const struct sg_key *key, const cJSON *c, const char *cid,
    struct sg_err *err)
{
	size_t	 tl, cl;

	if ((tl = sg_jwt_sign_len(key, c)) == 0)
		return sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
	cl = sg_token_proxy_credential_len(strlen(cid), tl);
	if (cl > SG_TOKEN_CRED_MAX)
		return sg_err_set(err, SG_EINVAL, "token_too_large",
		    "the proxy credential would be %zu bytes, %zu over "
		    "Apache's LimitRequestFieldSize %d: allow fewer hosts or "
		    "use wildcards", cl, cl - SG_TOKEN_CRED_MAX,
		    SG_TOKEN_CRED_MAX);
	return SG_OK;
}

/*
 * Run the verifier's claim checks on c, then sign it into out (with the
 * iat and exp it carries).  max is the lifetime limit the verifiers
 * apply; cid, for a container token, the id its egress credential
 * carries (check_cred_len).
 */
static enum sg_rc
check_and_sign(const struct sg_key *key, const cJSON *c, const char *issuer,
    const char *cid, int64_t max, time_t now, int64_t iat, int64_t exp,
    struct sg_minted *out, struct sg_err *err)
{
	struct sg_verify_opts	 vo;
	struct sg_claims	 vc;
	struct sg_err		 e;
	const char		*kid;
	enum sg_rc		 rc;

	memset(&vo, 0, sizeof(vo));
	vo.issuer = issuer;
	vo.accept_no_aud = 0;
	vo.leeway = 0;
	vo.max_ttl = max;
	vo.now = now;
	sg_claims_init(&vc);
	sg_err_clear(&e);
	rc = sg_claims_validate(c, &vo, &vc, &e);
	sg_claims_clear(&vc);
	if (rc == SG_ENOMEM)
		return sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
	if (rc != SG_OK)
		return sg_err_set(err, SG_EINVAL, e.code,
		    "the verifier would refuse this token: %s", e.msg);
	if (cid != NULL && (rc = check_cred_len(key, c, cid, err)) != SG_OK)
		return rc;
	if ((rc = sg_jwt_sign(key, c, &out->token, err)) != SG_OK)
		return rc;
	if ((kid = sg_key_kid(key)) != NULL)
		(void)strlcpy(out->kid, kid, sizeof(out->kid));
	out->iat = iat;
	out->exp = exp;
	return SG_OK;
}

enum sg_rc
sg_token_mint_container(const struct sg_key *key,
    const struct sg_mint_container *mc, struct sg_minted *out,
    struct sg_err *err)
{
	cJSON		*c = NULL;
	char		*hosts = NULL;
	struct sg_err	 e;
	int64_t		 max, iat, exp;
	enum sg_rc	 rc;

	if (out == NULL)
		return sg_err_set(err, SG_EINTERNAL, NULL, "bad arguments");
	memset(out, 0, sizeof(*out));
	if (key == NULL || mc == NULL)
		return sg_err_set(err, SG_EINTERNAL, NULL, "bad arguments");
	if (!str_ok(mc->issuer, SG_ISS_MAX))
		return sg_err_set(err, SG_EINVAL, "bad_issuer",
		    "issuer must be 1 to %d printable bytes", SG_ISS_MAX);
	if (!str_ok(mc->sub, SG_SUB_MAX))
		return sg_err_set(err, SG_EINVAL, "bad_sub",
		    "user id must be 1 to %d printable bytes", SG_SUB_MAX);
	if (!sg_id_valid(mc->container_id))
		return sg_err_set(err, SG_EINVAL, "bad_container_id",
		    "container id must match ^[A-Za-z0-9_-]{1,128}$");
	if (!sg_uuid_valid(mc->org))
		return sg_err_set(err, SG_EINVAL, "bad_organization_uuid",
		    "organization_uuid must be a UUID");
	max = mc->max_ttl > 0 && mc->max_ttl < SG_TOKEN_TTL_LIMIT ?
	    mc->max_ttl : SG_TOKEN_TTL_LIMIT;
	if ((rc = check_times(mc->ttl, max, mc->now, err)) != SG_OK)
		return rc;
	if ((rc = hosts_text(mc->hosts, &hosts, err)) != SG_OK)
		return rc;
	/* The verifier checks this too (claims.c); said here in full. */
	sg_err_clear(&e);
	if (sg_psl_check_hosts(mc->hosts, &e) != SG_OK) {
		rc = sg_err_set(err, SG_EINVAL, "bad_allowed_hosts", "%s",
		    e.msg);
		goto out;
	}
	iat = (int64_t)mc->now;
	exp = iat + mc->ttl;
	if ((c = common_claims(mc->issuer, mc->sub, SG_AUD_EGRESS, iat, exp,
	    out->jti, sizeof(out->jti), err)) == NULL) {
		rc = err != NULL && err->rc != SG_OK ? err->rc : SG_ENOMEM;
		goto out;
	}
	if (sg_json_add_str(c, "container_id", mc->container_id) == -1 ||
	    sg_json_add_str(c, "organization_uuid", mc->org) == -1 ||
	    sg_json_add_str(c, "allowed_hosts", hosts) == -1 ||
	    sg_json_add_str(c, "enforce_container_binding",
	    mc->binding ? "true" : "false") == -1 ||
	    sg_json_add_str(c, "use_egress_gateway", "true") == -1 ||
	    sg_json_add_str(c, "enforce_centralized_egress", "true") == -1 ||
	    sg_json_add_str(c, "is_hipaa_regulated",
	    mc->hipaa ? "true" : "false") == -1 ||
	    sg_json_add_str(c, "is_pci_compliant",
	    mc->pci ? "true" : "false") == -1) {
		rc = sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
		goto out;
	}
	rc = check_and_sign(key, c, mc->issuer, mc->container_id, max,
	    mc->now, iat, exp, out, err);
out:
	if (rc != SG_OK)
		sg_minted_clear(out);
	cJSON_Delete(c);
	free(hosts);
	return rc;
}

enum sg_rc
sg_token_mint_operator(const struct sg_key *key, const char *issuer,
    const char *sub, const char *scope, int64_t ttl, time_t now,
    struct sg_minted *out, struct sg_err *err)
{
	cJSON		*c = NULL;
	unsigned	 bits;
	int64_t		 iat, exp;
	enum sg_rc	 rc;

	if (out == NULL)
		return sg_err_set(err, SG_EINTERNAL, NULL, "bad arguments");
	memset(out, 0, sizeof(*out));
	if (key == NULL)
		return sg_err_set(err, SG_EINTERNAL, NULL, "bad arguments");
	if (!str_ok(issuer, SG_ISS_MAX))
		return sg_err_set(err, SG_EINVAL, "bad_issuer",
		    "issuer must be 1 to %d printable bytes", SG_ISS_MAX);
	if (!str_ok(sub, SG_SUB_MAX))
		return sg_err_set(err, SG_EINVAL, "bad_sub",
		    "operator name must be 1 to %d printable bytes",
		    SG_SUB_MAX);
	/* The claims struct keeps the scope in 256 bytes. */
	if (scope == NULL || strlen(scope) > 255 ||
	    sg_scope_parse(scope, &bits) == -1)
		return sg_err_set(err, SG_EINVAL, "bad_scope",
		    "scope must be known scopes separated by single spaces");
	if ((rc = check_times(ttl, SG_TOKEN_TTL_LIMIT, now, err)) != SG_OK)
		return rc;
	iat = (int64_t)now;
	exp = iat + ttl;
	if ((c = common_claims(issuer, sub, SG_AUD_API, iat, exp, out->jti,
	    sizeof(out->jti), err)) == NULL) {
		rc = err != NULL && err->rc != SG_OK ? err->rc : SG_ENOMEM;
		goto out;
	}
	if (sg_json_add_str(c, "scope", scope) == -1) {
		rc = sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
		goto out;
	}
	rc = check_and_sign(key, c, issuer, NULL, SG_TOKEN_TTL_LIMIT, now,
	    iat, exp, out, err);
out:
	if (rc != SG_OK)
		sg_minted_clear(out);
	cJSON_Delete(c);
	return rc;
}

enum sg_rc
sg_token_verify(const struct sg_keyset *ks, const char *tok, size_t len,
    const struct sg_verify_opts *opts, struct sg_claims *claims,
    struct sg_err *err)
{
	cJSON		*payload = NULL;
	enum sg_rc	 rc;

	if (ks == NULL || tok == NULL || opts == NULL || claims == NULL)
		return sg_err_set(err, SG_EINTERNAL, NULL, "bad arguments");
	/* Signature first: nothing in the claims is read before it holds. */
	if ((rc = sg_jwt_verify(ks, tok, len, &payload, NULL, err)) != SG_OK)
		return rc;
	rc = sg_claims_validate(payload, opts, claims, err);
	cJSON_Delete(payload);
	return rc;
}

/* Signature under ks, then the claims; *payload kept if asked for. */
static enum sg_rc
verify_under(const struct sg_keyset *ks, const char *tok, size_t len,
    const struct sg_verify_opts *opts, struct sg_claims *claims,
    cJSON **payload, struct sg_err *err)
{
	cJSON		*p = NULL;
	enum sg_rc	 rc;

	if ((rc = sg_jwt_verify(ks, tok, len, &p, NULL, err)) != SG_OK)
		return rc;
	rc = sg_claims_validate(p, opts, claims, err);
	if (rc == SG_OK && payload != NULL)
		*payload = p;
	else
		cJSON_Delete(p);
	return rc;
}

enum sg_rc
sg_token_verify_kinds(const struct sg_keyset *ks, const struct sg_keyset *op,
    const char *tok, size_t len, const struct sg_verify_opts *opts,
    struct sg_claims *claims, cJSON **payload, struct sg_err *err)
{
	struct sg_err	 first;
	enum sg_kind	 want = SG_KIND_CONTAINER;
	enum sg_rc	 rc;

	if (payload != NULL)
		*payload = NULL;
	if (ks == NULL || tok == NULL || opts == NULL || claims == NULL)
		return sg_err_set(err, SG_EINTERNAL, NULL, "bad arguments");
	if (op == NULL)
		return verify_under(ks, tok, len, opts, claims, payload, err);
	/* The kid picks the set: unknown under one, try the other. */
	sg_err_clear(&first);
	rc = verify_under(ks, tok, len, opts, claims, payload, &first);
	if (rc != SG_OK && first.code != NULL &&
	    strcmp(first.code, "unknown_kid") == 0) {
		want = SG_KIND_OPERATOR;
		sg_claims_clear(claims);
		sg_claims_init(claims);
		sg_err_clear(&first);
		rc = verify_under(op, tok, len, opts, claims, payload, &first);
	}
	if (rc != SG_OK)
		return sg_err_set(err, first.rc, first.code, "%s", first.msg);
	if (claims->kind == want)
		return SG_OK;
	sg_claims_clear(claims);
	sg_claims_init(claims);
	if (payload != NULL) {
		cJSON_Delete(*payload);
		*payload = NULL;
	}
	return sg_err_set(err, SG_EAUTH, "wrong_key", want == SG_KIND_OPERATOR ?
	    "a container token signed with an operator key" :
	    "an operator token signed with a sandbox key");
}

enum sg_rc
sg_token_keys_apart(const struct sg_keyset *ks, const struct sg_keyset *op,
    struct sg_err *err)
{
	const char	*kid;
	size_t		 i;

	if (ks == NULL || op == NULL)
		return SG_OK;
	for (i = 0; i < sg_keyset_count(op); i++) {
		kid = sg_key_kid(sg_keyset_at(op, i));
		if (sg_keyset_find(ks, kid) != NULL)
			return sg_err_set(err, SG_EINVAL, "bad_config",
			    "SANDGATE_OPERATOR_KEYS: %s is also a sandbox key; "
			    "operator tokens need their own", kid);
	}
	return SG_OK;
}

int
sg_token_compat_note(const struct sg_claims *c, int verified)
{
	if (c == NULL || c->has_aud)
		return 0;
	/* Per accepted use, so the rate shows when the last one is gone. */
	sg_metrics_add(SG_M_COMPAT_TOKENS, 1);
	if (verified)
		sg_log(SG_LOG_INFO, "compat_token_accepted", "jti", c->jti,
		    "container_id", c->container_id, (char *)NULL);
	return 1;
}
