/* SPDX-License-Identifier: ISC */
/*
 * Token cache of token-verify: see cache.h.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "claims.h"
#include "crypto.h"
#include "sgerr.h"

struct sg_tcache {
	size_t			 nsets;		/* power of two */
	uint64_t		 seed;
	uint64_t		 tick;
	struct sg_tcache_ent	*ent;		/* nsets * SG_TCACHE_WAYS */
	struct sg_tcache_stats	 st;
};

/*
 * FNV-1a, 64 bits, from a per-process random seed.  Only tokens that
 * verified under our keys are ever inserted, so an attacker cannot fill
 * one set on purpose; the seed just keeps the layout unpredictable.
 */
static uint64_t
hash_token(uint64_t seed, const char *tok, size_t len)
{
	uint64_t	 h = 0xcbf29ce484222325ULL ^ seed;
	size_t		 i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)tok[i];
		h *= 0x100000001b3ULL;
	}
	/* final avalanche (from MurmurHash3's fmix64) so low bits mix */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

static void
ent_reset(struct sg_tcache_ent *e)
{
	if (e->tok != NULL) {
		sg_cleanse(e->tok, e->len);
		free(e->tok);
	}
	sg_claims_clear(&e->claims);
	sg_policy_free(e->sess_policy);
	memset(e, 0, sizeof(*e));
	sg_claims_init(&e->claims);
}

struct sg_tcache *
sg_tcache_new(size_t capacity)
{
	struct sg_tcache	*c = NULL;
	size_t			 nsets = 1, i;

	if (capacity < SG_TCACHE_WAYS)
		capacity = SG_TCACHE_WAYS;
	if (capacity > (1u << 20))
		capacity = 1u << 20;
	while (nsets * SG_TCACHE_WAYS < capacity)
		nsets <<= 1;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->nsets = nsets;
	if ((c->ent = calloc(nsets * SG_TCACHE_WAYS, sizeof(*c->ent))) ==
	    NULL) {
		free(c);
		return NULL;
	}
	for (i = 0; i < nsets * SG_TCACHE_WAYS; i++)
		sg_claims_init(&c->ent[i].claims);
	if (sg_random(&c->seed, sizeof(c->seed), NULL) != SG_OK)
		c->seed = 0x9e3779b97f4a7c15ULL;
	c->st.capacity = nsets * SG_TCACHE_WAYS;
	return c;
}

void
sg_tcache_free(struct sg_tcache *c)
{
	if (c == NULL)
		return;
	sg_tcache_flush(c);
	free(c->ent);
	free(c);
}

static struct sg_tcache_ent *
set_of(struct sg_tcache *c, uint64_t h)
{
	return &c->ent[(h & (c->nsets - 1)) * SG_TCACHE_WAYS];
}

/*
 * The entry of tok in its set (the hash h picks the set), or NULL.  The
 * hash only picks candidates; the whole token decides, in constant time
 * for equal lengths.
 */
static struct sg_tcache_ent *
find(struct sg_tcache_ent *set, uint64_t h, const char *tok, size_t len)
{
	size_t	 i;

	for (i = 0; i < SG_TCACHE_WAYS; i++)
		if (set[i].len == len && set[i].hash == h &&
		    sg_memeq(set[i].tok, tok, len))
			return &set[i];
	return NULL;
}

struct sg_tcache_ent *
sg_tcache_get(struct sg_tcache *c, const char *tok, size_t len)
{
	struct sg_tcache_ent	*e;
	uint64_t		 h;

	if (c == NULL || len == 0)
		return NULL;
	h = hash_token(c->seed, tok, len);
	if ((e = find(set_of(c, h), h, tok, len)) != NULL) {
		e->used = ++c->tick;
		c->st.hits++;
		return e;
	}
	c->st.misses++;
	return NULL;
}

struct sg_tcache_ent *
sg_tcache_put(struct sg_tcache *c, const char *tok, size_t len,
    const struct sg_claims *claims, struct sg_err *err)
{
	struct sg_tcache_ent	*set, *e = NULL;
	char			*copy = NULL;
	uint64_t		 h;
	size_t			 i;

	if (c == NULL || len == 0) {
		sg_err_set(err, SG_EINVAL, "bad_token", "empty token");
		return NULL;
	}
	h = hash_token(c->seed, tok, len);
	set = set_of(c, h);
	e = find(set, h, tok, len);	/* replace in place */
	if (e == NULL) {
		for (i = 0; i < SG_TCACHE_WAYS; i++) {
			if (set[i].len == 0) {
				e = &set[i];
				break;
			}
			if (e == NULL || set[i].used < e->used)
				e = &set[i];
		}
		if (e->len != 0)
			c->st.evictions++;
	}
	if (e->len != 0) {
		ent_reset(e);
		c->st.count--;
	}
	if ((copy = malloc(len)) == NULL) {
		sg_err_set(err, SG_ENOMEM, "out_of_memory", "token cache");
		return NULL;
	}
	memcpy(copy, tok, len);
	if (sg_claims_copy(&e->claims, claims, err) != SG_OK) {
		sg_cleanse(copy, len);
		free(copy);
		ent_reset(e);
		return NULL;
	}
	e->tok = copy;
	e->len = len;
	e->hash = h;
	e->used = ++c->tick;
	c->st.count++;
	c->st.inserts++;
	return e;
}

void
sg_tcache_drop(struct sg_tcache *c, struct sg_tcache_ent *e)
{
	if (c == NULL || e == NULL || e->len == 0)
		return;
	ent_reset(e);
	c->st.count--;
}

void
sg_tcache_flush(struct sg_tcache *c)
{
	size_t	 i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nsets * SG_TCACHE_WAYS; i++)
		if (c->ent[i].len != 0)
			ent_reset(&c->ent[i]);
	c->st.count = 0;
	c->st.flushes++;
}

void
sg_tcache_stats(const struct sg_tcache *c, struct sg_tcache_stats *st)
{
	if (c == NULL) {
		memset(st, 0, sizeof(*st));
		return;
	}
	*st = c->st;
}
