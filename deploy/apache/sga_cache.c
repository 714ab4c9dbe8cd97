/* SPDX-License-Identifier: ISC */
/*
 * mod_sandgate_authz's decision cache (sga_cache.h).  The set is the
 * digest's first four bytes; the digest is SHA-256 of what is sent to
 * token-verify, so its bytes are as good as random and a key is never
 * mistaken for another.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sga_cache.h"

struct sga_cache_ent {
	unsigned char	 key[SGA_CACHE_KEY];
	int64_t		 until;		/* 0: free */
	uint16_t	 len;
	char		 val[SGA_CACHE_VAL];
};

struct sga_cache {
	pthread_mutex_t		 mu;
	unsigned		 mask;	/* sets - 1 */
	struct sga_cache_stats	 st;
	struct sga_cache_ent	*ent;	/* sets * SGA_CACHE_WAYS */
};

struct sga_cache *
sga_cache_new(unsigned ents)
{
	struct sga_cache	*c;
	unsigned		 sets = 1;

	if (ents == 0 || ents > SGA_CACHE_MAX) {
		errno = EINVAL;
		return NULL;
	}
	while (sets * SGA_CACHE_WAYS < ents)
		sets <<= 1;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if ((c->ent = calloc((size_t)sets * SGA_CACHE_WAYS,
	    sizeof(*c->ent))) == NULL ||
	    pthread_mutex_init(&c->mu, NULL) != 0) {
		free(c->ent);
		free(c);
		return NULL;
	}
	c->mask = sets - 1;
	return c;
}

void
sga_cache_free(struct sga_cache *c)
{
	if (c == NULL)
		return;
	(void)pthread_mutex_destroy(&c->mu);
	free(c->ent);
	free(c);
}

static struct sga_cache_ent *
set_of(struct sga_cache *c, const unsigned char key[SGA_CACHE_KEY])
{
	uint32_t	 h;

	h = (uint32_t)key[0] | (uint32_t)key[1] << 8 |
	    (uint32_t)key[2] << 16 | (uint32_t)key[3] << 24;
	return c->ent + (size_t)(h & c->mask) * SGA_CACHE_WAYS;
}

int
sga_cache_get(struct sga_cache *c, const unsigned char key[SGA_CACHE_KEY],
    int64_t now_us, char *val, size_t *len)
{
	struct sga_cache_ent	*e;
	int			 i, found = 0;

	(void)pthread_mutex_lock(&c->mu);
	e = set_of(c, key);
	for (i = 0; i < SGA_CACHE_WAYS; i++, e++) {
		if (e->until == 0 || memcmp(e->key, key, SGA_CACHE_KEY) != 0)
			continue;
		if (now_us >= e->until) {
			/* An allow may hold a secret (the broker's): wiped. */
			e->until = 0;
			memset(e->val, 0, e->len);
			break;
		}
		memcpy(val, e->val, e->len);
		*len = e->len;
		found = 1;
		break;
	}
	if (found)
		c->st.hits++;
	else
		c->st.misses++;
	(void)pthread_mutex_unlock(&c->mu);
	return found;
}

int
sga_cache_put(struct sga_cache *c, const unsigned char key[SGA_CACHE_KEY],
    int64_t until_us, const char *val, size_t len)
{
	struct sga_cache_ent	*set, *e, *victim = NULL;
	int			 i;

	if (len > SGA_CACHE_VAL || until_us <= 0)
		return -1;
	(void)pthread_mutex_lock(&c->mu);
	set = set_of(c, key);
	for (i = 0, e = set; i < SGA_CACHE_WAYS; i++, e++) {
		if (e->until != 0 && memcmp(e->key, key, SGA_CACHE_KEY) == 0) {
			victim = e;	/* the same request: replaced */
			break;
		}
		if (victim == NULL || e->until < victim->until)
			victim = e;	/* free (0) first, then the oldest */
	}
	if (victim->until != 0 && memcmp(victim->key, key, SGA_CACHE_KEY) != 0)
		c->st.evicted++;
	memcpy(victim->key, key, SGA_CACHE_KEY);
	memcpy(victim->val, val, len);
	if (victim->len > len)		/* nothing of the one before left */
		memset(victim->val + len, 0, victim->len - len);
	victim->len = (uint16_t)len;
	victim->until = until_us;
	c->st.puts++;
	(void)pthread_mutex_unlock(&c->mu);
	return 0;
}

void
sga_cache_flush(struct sga_cache *c)
{
	(void)pthread_mutex_lock(&c->mu);
	memset(c->ent, 0, ((size_t)c->mask + 1) * SGA_CACHE_WAYS *
	    sizeof(*c->ent));
	(void)pthread_mutex_unlock(&c->mu);
}

void
sga_cache_stats(struct sga_cache *c, struct sga_cache_stats *st)
{
	(void)pthread_mutex_lock(&c->mu);
	*st = c->st;
	(void)pthread_mutex_unlock(&c->mu);
}
