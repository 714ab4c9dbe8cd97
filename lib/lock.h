/* SPDX-License-Identifier: ISC */
/*
 * A lock in Redis shared by every gateway node (docs/scaling.md): the
 * key "sandgate:lock:<name>" set with SET NX PX to a random token, so
 * that it ends by itself when its holder dies (the TTL), and released
 * only by its owner (a script compares the token before the DEL: a
 * holder whose TTL ran out and whose lock another took does not free
 * the other's).  The single-instance algorithm of
 * https://redis.io/docs/manual/patterns/distributed-locks/; behind
 * Sentinel a failover can lose a lock (replication is asynchronous), so
 * what it guards must stay safe to run twice - it only keeps two
 * reapers from doing the same work at once.
 */
#ifndef SG_LOCK_H
#define SG_LOCK_H

#include "redis.h"
#include "sgerr.h"

#define SG_LOCK_NAME_MAX	96
#define SG_LOCK_TOKEN_LEN	32	/* hex of 16 random bytes */
#define SG_LOCK_MAX_TTL_MS	3600000

/*
 * Take the lock name for ttl_ms (1..SG_LOCK_MAX_TTL_MS): *got 1 and
 * token filled when taken, *got 0 when someone holds it.  name: 1..96
 * of [A-Za-z0-9_:.-].
 */
enum sg_rc	 sg_lock_take(struct sg_redis *, const char *name, int ttl_ms,
		    char token[SG_LOCK_TOKEN_LEN + 1], int *got,
		    struct sg_err *);
/* Release it if token still holds it; *released says whether it did. */
enum sg_rc	 sg_lock_release(struct sg_redis *, const char *name,
		    const char *token, int *released, struct sg_err *);

#endif
