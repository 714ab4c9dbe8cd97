/*
 * Minting and verifying sandgate tokens: jwt.c plus claims.c.
 */
#ifndef SG_TOKEN_H
#define SG_TOKEN_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "claims.h"
#include "err.h"
#include "hosts.h"
#include "keys.h"

/* What a container token says (DESIGN.md, Tokens). */
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
 * Sign a container token.  Every value is checked with the verifier's
 * own validators first: a token the verifier would refuse is never
 * signed (SG_EINVAL with the reason).
 */
enum sg_rc	 sg_token_mint_container(const struct sg_key *,
		    const struct sg_mint_container *, struct sg_minted *,
		    struct sg_err *);
/* Sign an operator token for sub with the given scope string. */
enum sg_rc	 sg_token_mint_operator(const struct sg_key *,
		    const char *issuer, const char *sub, const char *scope,
		    int64_t ttl, time_t now, struct sg_minted *,
		    struct sg_err *);
/* sg_jwt_verify then sg_claims_validate. */
enum sg_rc	 sg_token_verify(const struct sg_keyset *, const char *tok,
		    size_t len, const struct sg_verify_opts *,
		    struct sg_claims *, struct sg_err *);

#endif
