/* SPDX-License-Identifier: ISC */
/*
 * Claims of sandgate's two kinds of token (docs/contract.md §2), validated
 * into a plain struct.  The audience decides the kind: "sandgate-egress"
 * is a container token, "sandgate-api" an operator token; a token without
 * aud is a container token only where accept_no_aud is set (tokens of the
 * original Python service).  A container token is never accepted as an
 * operator token, nor the reverse.
 *
 * Rules: iss equals the configured issuer exactly; exp, iat and jti are
 * required; exp, iat, nbf are integral JSON numbers in (0, 2^40);
 * now < exp + leeway; nbf <= now + leeway; iat <= now + leeway;
 * iat <= exp; exp - iat <= max_ttl.  Container tokens need sub (except
 * a token without aud, whose sub may be absent and is then ""), a valid
 * container_id, organization_uuid (a UUID), allowed_hosts (a string that
 * sg_hosts_parse accepts; "" means no hosts), and every flag present is
 * exactly "true" or "false" (a missing flag is "false", except
 * enforce_container_binding whose absence means "true").  Operator tokens
 * need sub and scope, a space-separated list of known scopes.  Every
 * string claim is free of control characters.  Unknown claims are
 * ignored.
 */
#ifndef SG_CLAIMS_H
#define SG_CLAIMS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "sgerr.h"
#include "hosts.h"

#define SG_AUD_EGRESS	"sandgate-egress"
#define SG_AUD_API	"sandgate-api"

#define SG_ID_MAX	128	/* ids: ^[A-Za-z0-9_-]{1,128}$ */
#define SG_SUB_MAX	128
#define SG_ISS_MAX	256
#define SG_UUID_LEN	36

enum sg_kind {
	SG_KIND_CONTAINER,
	SG_KIND_OPERATOR
};

/* Scopes of operator tokens, as bits. */
#define SG_SCOPE_TOKENS_ISSUE		0x01u
#define SG_SCOPE_SANDBOXES_CREATE	0x02u
#define SG_SCOPE_SANDBOXES_DESTROY	0x04u
#define SG_SCOPE_SESSIONS_READ		0x08u
#define SG_SCOPE_METRICS_READ		0x10u
#define SG_SCOPE_SANDBOXES_UPDATE	0x20u
#define SG_SCOPE_SECRETS_WRITE		0x40u

struct sg_verify_opts {
	const char	*issuer;
	int		 accept_no_aud;
	int64_t		 leeway;	/* seconds */
	int64_t		 max_ttl;	/* seconds, exp - iat */
	time_t		 now;
};

struct sg_claims {
	enum sg_kind	 kind;
	int		 has_aud;		/* 0: accept_no_aud let it in */
	char		 iss[SG_ISS_MAX + 1];
	char		 sub[SG_SUB_MAX + 1];
	char		 jti[SG_ID_MAX + 1];
	int64_t		 iat, nbf, exp;		/* nbf 0 when absent */
	/* operator */
	unsigned	 scopes;
	char		 scope[256];
	/* container */
	char		 container_id[SG_ID_MAX + 1];
	char		 org[SG_UUID_LEN + 1];
	char		*allowed_hosts;		/* the claim as signed */
	struct sg_hostlist hosts;		/* parsed */
	int		 binding;		/* enforce_container_binding */
	int		 use_egress_gateway;
	int		 enforce_centralized_egress;
	int		 hipaa;
	int		 pci;
};

void		 sg_claims_init(struct sg_claims *);
void		 sg_claims_clear(struct sg_claims *);
/* Deep copy (for caches); SG_ENOMEM on failure. */
enum sg_rc	 sg_claims_copy(struct sg_claims *dst, const struct sg_claims *,
		    struct sg_err *);
/*
 * Validate a parsed payload.  Errors are SG_EAUTH with a reason code such
 * as "token_expired", "token_not_yet_valid", "bad_issuer", "bad_audience",
 * "missing_claim", "bad_claim", "lifetime_too_long".
 */
enum sg_rc	 sg_claims_validate(const cJSON *payload,
		    const struct sg_verify_opts *, struct sg_claims *,
		    struct sg_err *);

/* ^[A-Za-z0-9_-]{1,128}$ */
int		 sg_id_valid(const char *);
/* Lowercase or uppercase 8-4-4-4-12 hex. */
int		 sg_uuid_valid(const char *);
/* "tokens:issue sessions:read" into bits; -1 on an unknown or empty one. */
int		 sg_scope_parse(const char *, unsigned *);
/* The name of one SG_SCOPE_* bit, NULL for anything else. */
const char	*sg_scope_name(unsigned bit);
/* 1 if s has no byte < 0x20 or 0x7f (so it is safe in a header). */
int		 sg_str_printable(const char *);

#endif
