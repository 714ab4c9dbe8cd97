/* SPDX-License-Identifier: ISC */
/*
 * A bounded cache of verified tokens for token-verify, so that the
 * repeated requests of one container cost a hash lookup instead of an
 * ECDSA verification.
 *
 * The key is the whole token text (never the signature alone: a high-S
 * twin is a different string and simply misses, docs/security.md S8);
 * lookups compare the full token with sg_memeq.  An entry holds a deep
 * copy of the validated claims until it is evicted, flushed (on a key
 * swap) or found past its exp.  The table is set-associative (4 ways per
 * set) with LRU eviction inside a set, so memory is bounded by the
 * capacity given to sg_tcache_new.
 *
 * Each entry can also remember the last positive session lookup made for
 * its token (SANDGATE_SESSION_CACHE_MS).  Revocation never depends on the
 * token cache itself: a missing session is never cached.
 *
 * Not thread-safe: one cache per FastCGI worker process.
 */
#ifndef SG_TCACHE_H
#define SG_TCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "claims.h"
#include "policy.h"
#include "sgerr.h"

#define SG_TCACHE_WAYS		4
#define SG_TCACHE_DEFAULT	4096	/* entries */

struct sg_tcache_ent {
	uint64_t	 hash;
	char		*tok;		/* malloc'd copy; wiped on drop */
	size_t		 len;		/* 0: slot empty */
	uint64_t	 used;		/* LRU tick */
	struct sg_claims claims;
	/* the last positive session lookup for this token */
	int		 sess_valid;
	int64_t		 sess_at_us;	/* monotonic */
	char		 sess_ip[64];
	/* that session's overlay and grants (lib/policy.h), or NULL */
	struct sg_policy *sess_policy;
};

struct sg_tcache_stats {
	uint64_t	 hits;
	uint64_t	 misses;
	uint64_t	 inserts;
	uint64_t	 evictions;
	uint64_t	 flushes;
	size_t		 count;
	size_t		 capacity;
};

struct sg_tcache;

/* capacity is rounded up to a power of two, at least SG_TCACHE_WAYS. */
struct sg_tcache *sg_tcache_new(size_t capacity);
void		 sg_tcache_free(struct sg_tcache *);
/* The entry holding exactly tok, or NULL.  Counts a hit or a miss. */
struct sg_tcache_ent *sg_tcache_get(struct sg_tcache *, const char *tok,
		    size_t len);
/*
 * Insert tok with a deep copy of claims (sg_claims_copy), evicting the
 * least recently used entry of its set if needed.  Returns the entry or
 * NULL with err set (SG_ENOMEM, or SG_EINVAL for an empty token).
 */
struct sg_tcache_ent *sg_tcache_put(struct sg_tcache *, const char *tok,
		    size_t len, const struct sg_claims *, struct sg_err *);
/* Remove one entry (e.g. found expired). */
void		 sg_tcache_drop(struct sg_tcache *, struct sg_tcache_ent *);
/* Remove every entry (after a key swap). */
void		 sg_tcache_flush(struct sg_tcache *);
void		 sg_tcache_stats(const struct sg_tcache *,
		    struct sg_tcache_stats *);

#endif
