/* SPDX-License-Identifier: ISC */
/*
 * Operator tokens revoked one by one (docs/contract.md §7.1): a denylist
 * of jti values in Redis, each key living until the token it names would
 * have expired anyway (its exp plus the leeway), so the list never grows
 * beyond the tokens still alive.  token-verify consults it for every
 * operator token on the API (cached no longer than
 * SANDGATE_SESSION_CACHE_MS, as sessions are).
 */
#ifndef SG_REVOKE_H
#define SG_REVOKE_H

#include <stdint.h>

#include "redis.h"
#include "sgerr.h"

#define SG_REVOKED_PREFIX	"sandgate:revoked:"	/* + jti */
#define SG_REVOKED_WHO_MAX	255

/*
 * Deny jti (an id: sg_id_valid) until the Unix time until (after now);
 * who (printable, at most SG_REVOKED_WHO_MAX bytes) is stored as the
 * value for the audit.  SG_EINVAL "bad_jti" / "bad_until" / "bad_who".
 */
enum sg_rc	 sg_revoke_put(struct sg_redis *, const char *jti, int64_t until,
		    int64_t now, const char *who, struct sg_err *);
/* *revoked = 1 when jti is on the list, 0 when not. */
enum sg_rc	 sg_revoke_check(struct sg_redis *, const char *jti,
		    int *revoked, struct sg_err *);

#endif
