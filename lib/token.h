/* SPDX-License-Identifier: ISC */
/*
 * Minting and verifying sandgate tokens: jwt.c plus claims.c.
 */
#ifndef SG_TOKEN_H
#define SG_TOKEN_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "claims.h"
#include "sgerr.h"
#include "hosts.h"
#include "keys.h"

/* The longest lifetime any sandgate token may have (366 days). */
#define SG_TOKEN_TTL_LIMIT	INT64_C(31622400)

/*
 * The longest egress credential header line a container token may make,
 * "Proxy-Authorization: Basic " + base64("container_<id>:jwt_<token>")
 * without its CRLF.  It is the egress proxy's: Apache's
 * LimitRequestFieldSize, whose default 8190 deploy/apache/httpd.conf.in
 * sets too; a longer line is refused by Apache with a 400 before
 * token-verify sees it, so a token whose line would be longer is never
 * issued.  (Apache 2.4 takes one byte more in fact; t-issue-limits.sh pins
 * that a line of exactly this length passes it.)  A constant, not a
 * setting: token-verify's SG_VERIFY_MAX_AUTH and SG_JWT_MAX_LEN bound
 * the credential too, so raising Apache's limit would not lift it.
 */
#define SG_TOKEN_CRED_MAX	8190

/*
 * What a container token says (docs/contract.md §2.2).  Zero the struct
 * first: fields added later default to 0.
 */
struct sg_mint_container {
	const char	*issuer;
	const char	*sub;			/* user id */
	const char	*container_id;
	const char	*org;			/* organization UUID */
	const struct sg_hostlist *hosts;
	int		 binding;
	int		 hipaa;
	int		 pci;
	int64_t		 ttl;			/* seconds */
	time_t		 now;
	/*
	 * The verifiers' limit on exp - iat (SANDGATE_TOKEN_MAX_TTL): a
	 * ttl above it is refused.  0 means SG_TOKEN_TTL_LIMIT only.
	 */
	int64_t		 max_ttl;
};

struct sg_minted {
	char		*token;			/* malloc'd; wipe and free */
	char		 jti[SG_ID_MAX + 1];
	int64_t		 iat;
	int64_t		 exp;
	char		 kid[SG_KID_MAX + 1];
};

void		 sg_minted_clear(struct sg_minted *);
/*
 * Sign a container token: iss, sub, aud "sandgate-egress", iat, nbf
 * (= iat), exp, a fresh jti, container_id, organization_uuid,
 * allowed_hosts (the canonical comma list; "" for none),
 * enforce_container_binding, use_egress_gateway ("true"),
 * enforce_centralized_egress ("true"), is_hipaa_regulated and
 * is_pci_compliant, every flag the string "true" or "false".  Every value
 * is checked with the verifier's own validators first (the claims pass
 * sg_claims_validate before signing): a token the verifier would refuse
 * is never signed.  Errors are SG_EINVAL with a reason such as
 * "bad_issuer", "bad_sub", "bad_container_id", "bad_organization_uuid",
 * "bad_allowed_hosts", "bad_ttl", and "token_too_large" when the egress
 * credential it makes would be over SG_TOKEN_CRED_MAX (the sentence
 * gives its length); on any error *out holds nothing.
 */
enum sg_rc	 sg_token_mint_container(const struct sg_key *,
		    const struct sg_mint_container *, struct sg_minted *,
		    struct sg_err *);
/*
 * The length of the egress credential header line (SG_TOKEN_CRED_MAX)
 * for a token of toklen bytes and a container id of idlen bytes.
 */
size_t		 sg_token_proxy_credential_len(size_t idlen,
		    size_t toklen);
/*
 * Sign an operator token (iss, sub, aud "sandgate-api", iat, nbf, exp,
 * jti, scope) for sub with the given scope string; ttl 1 to
 * SG_TOKEN_TTL_LIMIT ("bad_ttl"), scope known words ("bad_scope").
 */
enum sg_rc	 sg_token_mint_operator(const struct sg_key *,
		    const char *issuer, const char *sub, const char *scope,
		    int64_t ttl, time_t now, struct sg_minted *,
		    struct sg_err *);
/*
 * Note a token accepted under accept_no_aud (claims without aud, the
 * original Python service's): every call adds 1 to
 * sandgate_compat_tokens_total, and when verified is set (a full
 * verification, not a cache hit) logs compat_token_accepted with its jti
 * and container_id (never the token).  Returns 1 for such a token, 0 for
 * any other (nothing noted).
 */
int		 sg_token_compat_note(const struct sg_claims *, int verified);
/* sg_jwt_verify then sg_claims_validate. */
enum sg_rc	 sg_token_verify(const struct sg_keyset *, const char *tok,
		    size_t len, const struct sg_verify_opts *,
		    struct sg_claims *, struct sg_err *);
/*
 * Each kind of token under its own keys (docs/contract.md §2.1): with op
 * NULL (SANDGATE_OPERATOR_KEYS unset) as sg_token_verify(ks).  Otherwise
 * a container token verifies only under ks and an operator token only
 * under op; a token of one kind signed by the other kind's key is
 * SG_EAUTH "wrong_key".  payload (may be NULL) receives the verified
 * payload object for the caller to free.
 */
enum sg_rc	 sg_token_verify_kinds(const struct sg_keyset *ks,
		    const struct sg_keyset *op, const char *tok, size_t len,
		    const struct sg_verify_opts *, struct sg_claims *,
		    cJSON **payload, struct sg_err *);
/* Refuse a kid present in both sets: SG_EINVAL naming it. */
enum sg_rc	 sg_token_keys_apart(const struct sg_keyset *ks,
		    const struct sg_keyset *op, struct sg_err *);

#endif
