/* SPDX-License-Identifier: ISC */
/*
 * mod_sandgate_authz's decision cache (deploy/apache/sga_cache.c): an
 * entry is found only under its own key and only before its end; an
 * expired one is gone; a full set gives up the entry that ends first;
 * the same key replaces; a value too large is refused; against a plain
 * array of every put through random churn on a small table; threads
 * at once.
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "sga_cache.h"

/* A key whose set is set and whose tail is tag. */
static void
mkkey(unsigned char k[SGA_CACHE_KEY], uint32_t set, uint32_t tag)
{
	memset(k, 0, SGA_CACHE_KEY);
	k[0] = set & 0xff;
	k[1] = (set >> 8) & 0xff;
	k[2] = (set >> 16) & 0xff;
	k[3] = (set >> 24) & 0xff;
	memcpy(k + 28, &tag, sizeof(tag));
}

START_TEST(test_get_put)
{
	struct sga_cache	*c = sga_cache_new(64);
	struct sga_cache_stats	 st;
	unsigned char		 k[SGA_CACHE_KEY], k2[SGA_CACHE_KEY];
	char			 v[SGA_CACHE_VAL];
	size_t			 n = 0;

	ck_assert_ptr_nonnull(c);
	mkkey(k, 5, 1);
	mkkey(k2, 5, 2);
	ck_assert_int_eq(sga_cache_get(c, k, 100, v, &n), 0);
	ck_assert_int_eq(sga_cache_put(c, k, 1000, "A\0x\0", 4), 0);
	ck_assert_int_eq(sga_cache_get(c, k, 999, v, &n), 1);
	ck_assert_uint_eq(n, 4);
	ck_assert_int_eq(memcmp(v, "A\0x\0", 4), 0);
	/* another key of the same set is not this one */
	ck_assert_int_eq(sga_cache_get(c, k2, 999, v, &n), 0);
	/* the end is exclusive, and an expired entry is freed */
	ck_assert_int_eq(sga_cache_get(c, k, 1000, v, &n), 0);
	ck_assert_int_eq(sga_cache_get(c, k, 10, v, &n), 0);
	/* the same key replaces: one entry, the new value */
	ck_assert_int_eq(sga_cache_put(c, k, 5000, "A\0y\0", 4), 0);
	ck_assert_int_eq(sga_cache_put(c, k, 6000, "A\0z\0", 4), 0);
	ck_assert_int_eq(sga_cache_get(c, k, 5500, v, &n), 1);
	ck_assert_int_eq(memcmp(v, "A\0z\0", 4), 0);
	sga_cache_stats(c, &st);
	ck_assert_uint_eq(st.evicted, 0);
	ck_assert_uint_eq(st.hits, 2);
	ck_assert_uint_eq(st.misses, 4);
	/* too large, or no end: nothing kept */
	ck_assert_int_eq(sga_cache_put(c, k2, 9000, v, SGA_CACHE_VAL + 1), -1);
	ck_assert_int_eq(sga_cache_put(c, k2, 0, "B", 1), -1);
	ck_assert_int_eq(sga_cache_get(c, k2, 1, v, &n), 0);
	sga_cache_flush(c);
	ck_assert_int_eq(sga_cache_get(c, k, 5500, v, &n), 0);
	sga_cache_free(c);
	ck_assert_ptr_null(sga_cache_new(0));
	ck_assert_ptr_null(sga_cache_new(SGA_CACHE_MAX + 1));
}
END_TEST

START_TEST(test_evict)
{
	struct sga_cache	*c = sga_cache_new(SGA_CACHE_WAYS * 2);
	struct sga_cache_stats	 st;
	unsigned char		 k[SGA_CACHE_KEY];
	char			 v[SGA_CACHE_VAL];
	size_t			 n;
	uint32_t		 i;

	ck_assert_ptr_nonnull(c);
	/* one set filled; entry 2 ends first */
	for (i = 0; i < SGA_CACHE_WAYS; i++) {
		mkkey(k, 0, i);
		ck_assert_int_eq(sga_cache_put(c, k, i == 2 ? 500 : 1000 + i,
		    "v", 1), 0);
	}
	mkkey(k, 0, 99);
	ck_assert_int_eq(sga_cache_put(c, k, 2000, "w", 1), 0);
	for (i = 0; i < SGA_CACHE_WAYS; i++) {
		mkkey(k, 0, i);
		ck_assert_int_eq(sga_cache_get(c, k, 400, v, &n), i != 2);
	}
	mkkey(k, 0, 99);
	ck_assert_int_eq(sga_cache_get(c, k, 400, v, &n), 1);
	ck_assert_int_eq(v[0], 'w');
	/* the other set was not touched */
	mkkey(k, 1, 0);
	ck_assert_int_eq(sga_cache_get(c, k, 400, v, &n), 0);
	sga_cache_stats(c, &st);
	ck_assert_uint_eq(st.evicted, 1);
	sga_cache_free(c);
}
END_TEST

/* Random puts and gets against a model: never a wrong value. */
START_TEST(test_churn)
{
	struct sga_cache	*c = sga_cache_new(16);
	unsigned char		 k[SGA_CACHE_KEY];
	char			 v[SGA_CACHE_VAL];
	int64_t			 until[64];
	char			 val[64];
	size_t			 n;
	uint32_t		 i, t;
	int64_t			 now = 1;
	int			 got, hits = 0;

	ck_assert_ptr_nonnull(c);
	memset(until, 0, sizeof(until));
	srandom(7);
	for (i = 0; i < 200000; i++) {
		t = (uint32_t)random() % 64;
		mkkey(k, t % 8, t);
		now += random() % 3;
		if (random() % 3 == 0) {
			until[t] = now + 1 + random() % 200;
			val[t] = (char)('a' + random() % 26);
			ck_assert_int_eq(sga_cache_put(c, k, until[t], &val[t],
			    1), 0);
			continue;
		}
		got = sga_cache_get(c, k, now, v, &n);
		if (got) {
			/* found: the last value put, not yet ended */
			ck_assert_int_lt(now, until[t]);
			ck_assert_uint_eq(n, 1);
			ck_assert_int_eq(v[0], val[t]);
			hits++;
		}
	}
	ck_assert_int_gt(hits, 1000);
	sga_cache_free(c);
}
END_TEST

static struct sga_cache	*race_c;

static void *
racer(void *arg)
{
	unsigned char	 k[SGA_CACHE_KEY];
	char		 v[SGA_CACHE_VAL], mine[SGA_CACHE_VAL];
	uintptr_t	 id = (uintptr_t)arg;
	size_t		 n;
	uint32_t	 i;

	memset(mine, (int)('A' + id), sizeof(mine));
	for (i = 0; i < 100000; i++) {
		mkkey(k, i % 4, (uint32_t)id * 1000 + i % 8);
		if (i % 2 == 0)
			(void)sga_cache_put(race_c, k, 1000000, mine,
			    sizeof(mine));
		else if (sga_cache_get(race_c, k, 1, v, &n) &&
		    (n != sizeof(mine) || memcmp(v, mine, n) != 0))
			return (void *)1;	/* another thread's value */
	}
	return NULL;
}

START_TEST(test_threads)
{
	pthread_t	 th[4];
	void		*rv;
	uintptr_t	 i;
	int		 bad = 0;

	race_c = sga_cache_new(16);
	ck_assert_ptr_nonnull(race_c);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, racer,
		    (void *)i), 0);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(th[i], &rv), 0);
		bad += rv != NULL;
	}
	ck_assert_int_eq(bad, 0);
	sga_cache_free(race_c);
}
END_TEST

int
main(void)
{
	Suite	*su = suite_create("cache");
	TCase	*tc = tcase_create("cache");
	SRunner	*sr;
	int	 nf;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_get_put);
	tcase_add_test(tc, test_evict);
	tcase_add_test(tc, test_churn);
	tcase_add_test(tc, test_threads);
	suite_add_tcase(su, tc);
	sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
