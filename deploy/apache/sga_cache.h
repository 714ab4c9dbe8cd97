/* SPDX-License-Identifier: ISC */
/*
 * mod_sandgate_authz's decision cache: token-verify's allows, each kept
 * under the digest of the whole request it answered, for as long as
 * token-verify said it may be reused (Variable-SG_REUSE_MS), so that
 * the same request again is let through without the round trip.
 *
 * One table per Apache process (its threads share it under one mutex),
 * set-associative: SGA_CACHE_WAYS entries per set, a full set evicting
 * the entry that would expire first.  What an entry keeps is the
 * Variable-* names and values of the allow, for the environment.
 *
 * No Apache header here: tests/unit/check_cache.c drives it directly.
 */
#ifndef SGA_CACHE_H
#define SGA_CACHE_H

#include <stddef.h>
#include <stdint.h>

#define SGA_CACHE_KEY	32	/* a SHA-256 digest */
#define SGA_CACHE_VAL	768	/* "NAME\0VALUE\0..." of one allow */
#define SGA_CACHE_WAYS	4
#define SGA_CACHE_MAX	(1u << 20)	/* entries at most */

struct sga_cache;

struct sga_cache_stats {
	uint64_t	 hits;
	uint64_t	 misses;	/* absent or expired */
	uint64_t	 puts;
	uint64_t	 evicted;	/* entries of other keys pushed out */
};

/* A table of about ents entries (a power of two, at least the ways). */
struct sga_cache	*sga_cache_new(unsigned ents);
void			 sga_cache_free(struct sga_cache *);
/*
 * The value kept under key if it lives at now_us (any clock, the same
 * as put's): copied into val (SGA_CACHE_VAL bytes), its length in
 * *len, 1.  0 when there is none; an expired entry is freed.
 */
int			 sga_cache_get(struct sga_cache *,
			    const unsigned char key[SGA_CACHE_KEY],
			    int64_t now_us, char *val, size_t *len);
/*
 * Keep val (len bytes, at most SGA_CACHE_VAL) under key until until_us.
 * -1 when len is too large: nothing kept.
 */
int			 sga_cache_put(struct sga_cache *,
			    const unsigned char key[SGA_CACHE_KEY],
			    int64_t until_us, const char *val, size_t len);
/* Every entry gone (a test's reset). */
void			 sga_cache_flush(struct sga_cache *);
void			 sga_cache_stats(struct sga_cache *,
			    struct sga_cache_stats *);

#endif
