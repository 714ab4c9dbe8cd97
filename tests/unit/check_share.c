/* SPDX-License-Identifier: ISC */
/*
 * Each sandbox's share of the egress proxy (deploy/apache/sga_share.c,
 * mod_sandgate_authz's table of open requests and tunnels): the cap per
 * container, across real forked processes sharing the mapping as
 * Apache's children do; the counts a dead process left in its row taken
 * away when its slot is claimed again; the table against a plain array
 * through random churn on a small, colliding table (backward-shift
 * deletion); the lock under contention from two processes, and after
 * a process died holding it.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "sga_share.h"

START_TEST(test_cap)
{
	struct sga_share *s = sga_share_new(3, 64);
	unsigned	 row, i;

	ck_assert_ptr_nonnull(s);
	row = sga_share_claim(s, 0, getpid());
	ck_assert_uint_eq(row, 1);
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(sga_share_acquire(s, row, "sandbox_a", 5),
		    SGA_SHARE_OK);
	ck_assert_int_eq(sga_share_acquire(s, row, "sandbox_a", 5),
	    SGA_SHARE_FULL);
	ck_assert_uint_eq(sga_share_count(s, "sandbox_a"), 5);
	/* Another container is not touched by a's cap. */
	ck_assert_int_eq(sga_share_acquire(s, row, "sandbox_b", 5),
	    SGA_SHARE_OK);
	ck_assert_uint_eq(sga_share_count(s, "sandbox_b"), 1);
	sga_share_release(s, row, "sandbox_a");
	ck_assert_int_eq(sga_share_acquire(s, row, "sandbox_a", 5),
	    SGA_SHARE_OK);
	/* max 0: no cap */
	for (i = 0; i < 100; i++)
		ck_assert_int_eq(sga_share_acquire(s, 0, "sandbox_c", 0),
		    SGA_SHARE_OK);
	ck_assert_uint_eq(sga_share_count(s, "sandbox_c"), 100);
	for (i = 0; i < 5; i++)
		sga_share_release(s, row, "sandbox_a");
	sga_share_release(s, row, "sandbox_b");
	for (i = 0; i < 100; i++)
		sga_share_release(s, 0, "sandbox_c");
	ck_assert_uint_eq(sga_share_used(s), 0);
	/* A release of what is not held changes nothing. */
	sga_share_release(s, row, "sandbox_a");
	ck_assert_uint_eq(sga_share_used(s), 0);
	sga_share_free(s);
}
END_TEST

START_TEST(test_bad)
{
	struct sga_share *s = sga_share_new(2, 4);
	char		 id[SGA_SHARE_ID_MAX + 2];

	ck_assert_ptr_nonnull(s);
	memset(id, 'x', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';
	ck_assert_int_eq(sga_share_acquire(s, 0, "", 1), SGA_SHARE_BADID);
	ck_assert_int_eq(sga_share_acquire(s, 0, id, 1), SGA_SHARE_BADID);
	id[SGA_SHARE_ID_MAX] = '\0';
	ck_assert_int_eq(sga_share_acquire(s, 0, id, 1), SGA_SHARE_OK);
	ck_assert_int_eq(sga_share_acquire(s, 2, "a", 1), SGA_SHARE_BADID);
	/* Out-of-range slots share row 0. */
	ck_assert_uint_eq(sga_share_claim(s, 1, getpid()), 0);
	ck_assert_uint_eq(sga_share_claim(s, -1, getpid()), 0);
	ck_assert_ptr_null(sga_share_new(0, 4));
	ck_assert_ptr_null(sga_share_new(2, 0));
	sga_share_free(s);
}
END_TEST

START_TEST(test_noroom)
{
	/* 4 asked: 16 entries, at most 8 in use. */
	struct sga_share *s = sga_share_new(2, 4);
	char		 id[16];
	unsigned	 i;

	ck_assert_ptr_nonnull(s);
	for (i = 0; i < 8; i++) {
		snprintf(id, sizeof(id), "c%u", i);
		ck_assert_int_eq(sga_share_acquire(s, 0, id, 1), SGA_SHARE_OK);
	}
	ck_assert_int_eq(sga_share_acquire(s, 0, "c8", 1), SGA_SHARE_NOROOM);
	/* One already in holds its own answer. */
	ck_assert_int_eq(sga_share_acquire(s, 0, "c3", 1), SGA_SHARE_FULL);
	sga_share_release(s, 0, "c3");
	ck_assert_int_eq(sga_share_acquire(s, 0, "c8", 1), SGA_SHARE_OK);
	sga_share_free(s);
}
END_TEST

/* Random acquire/release on 30 ids in a 64-entry table, checked whole. */
START_TEST(test_churn)
{
	struct sga_share *s = sga_share_new(2, 30);
	unsigned	 ref[40] = { 0 }, i, k, step;
	char		 id[16];

	ck_assert_ptr_nonnull(s);
	srandom(7);
	for (step = 0; step < 200000; step++) {
		k = (unsigned)random() % 30;
		snprintf(id, sizeof(id), "sandbox_%u", k);
		if (random() % 2 == 0) {
			ck_assert_int_eq(sga_share_acquire(s, 1, id, 3),
			    ref[k] < 3 ? SGA_SHARE_OK : SGA_SHARE_FULL);
			if (ref[k] < 3)
				ref[k]++;
		} else {
			sga_share_release(s, 1, id);
			if (ref[k] > 0)
				ref[k]--;
		}
		if (step % 997 == 0)
			for (i = 0; i < 30; i++) {
				snprintf(id, sizeof(id), "sandbox_%u", i);
				ck_assert_uint_eq(sga_share_count(s, id),
				    ref[i]);
			}
	}
	for (k = i = 0; i < 40; i++)
		k += ref[i] > 0;
	ck_assert_uint_eq(sga_share_used(s), k);
	sga_share_free(s);
}
END_TEST

/* A child's counts are seen by the parent: one table, not a copy. */
START_TEST(test_processes)
{
	struct sga_share *s = sga_share_new(4, 64);
	unsigned	 row;
	pid_t		 pid;
	int		 st;

	ck_assert_ptr_nonnull(s);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		row = sga_share_claim(s, 1, getpid());
		_exit(sga_share_acquire(s, row, "sandbox_a", 2) ==
		    SGA_SHARE_OK && sga_share_acquire(s, row, "sandbox_a",
		    2) == SGA_SHARE_OK ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* The child died holding two: the cap still counts them... */
	ck_assert_uint_eq(sga_share_count(s, "sandbox_a"), 2);
	row = sga_share_claim(s, 0, getpid());
	ck_assert_int_eq(sga_share_acquire(s, row, "sandbox_a", 2),
	    SGA_SHARE_FULL);
	/* ...until its slot is claimed by its replacement. */
	ck_assert_uint_eq(sga_share_claim(s, 1, getpid()), 2);
	ck_assert_uint_eq(sga_share_count(s, "sandbox_a"), 0);
	ck_assert_uint_eq(sga_share_used(s), 0);
	/* The same pid claiming again keeps what it holds. */
	ck_assert_int_eq(sga_share_acquire(s, 2, "sandbox_a", 2),
	    SGA_SHARE_OK);
	ck_assert_uint_eq(sga_share_claim(s, 1, getpid()), 2);
	ck_assert_uint_eq(sga_share_count(s, "sandbox_a"), 1);
	sga_share_free(s);
}
END_TEST

/*
 * A process that dies holding the lock (Apache's child killed inside a
 * call) leaves a robust mutex whose next taker gets EOWNERDEAD: the
 * table goes on, its counts as the dead process left them, and the lock
 * still excludes (without pthread_mutex_consistent it would be
 * ENOTRECOVERABLE from then on).  The child takes the mutex directly:
 * it is the table's first member (sga_share.c).
 */
START_TEST(test_owner_dead)
{
	struct sga_share *s = sga_share_new(4, 64);
	pthread_mutex_t	*mu = (pthread_mutex_t *)(void *)s;
	unsigned	 row;
	pid_t		 pid;
	int		 st;

	ck_assert_ptr_nonnull(s);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		row = sga_share_claim(s, 1, getpid());
		if (sga_share_acquire(s, row, "sandbox_a", 3) != SGA_SHARE_OK ||
		    sga_share_acquire(s, row, "sandbox_a", 3) != SGA_SHARE_OK ||
		    pthread_mutex_lock(mu) != 0)
			_exit(1);
		_exit(0);		/* holding it */
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* The first call after takes the dead owner's lock and goes on. */
	ck_assert_uint_eq(sga_share_count(s, "sandbox_a"), 2);
	/* Made consistent: free again, and an ordinary lock. */
	ck_assert_int_eq(pthread_mutex_trylock(mu), 0);
	ck_assert_int_eq(pthread_mutex_unlock(mu), 0);
	row = sga_share_claim(s, 0, getpid());
	ck_assert_int_eq(sga_share_acquire(s, row, "sandbox_a", 3),
	    SGA_SHARE_OK);
	ck_assert_int_eq(sga_share_acquire(s, row, "sandbox_a", 3),
	    SGA_SHARE_FULL);
	/* The dead child's two go when its slot is claimed again. */
	ck_assert_uint_eq(sga_share_claim(s, 1, getpid()), 2);
	ck_assert_uint_eq(sga_share_count(s, "sandbox_a"), 1);
	sga_share_release(s, row, "sandbox_a");
	ck_assert_uint_eq(sga_share_used(s), 0);
	sga_share_free(s);
}
END_TEST

#define RACE_N	20000
#define RACE_CAP 3

struct race {
	struct sga_share *s;
	unsigned	 row;
	int		 bad;
};

static void *
racer(void *arg)
{
	struct race	*r = arg;
	int		 i;

	for (i = 0; i < RACE_N; i++) {
		if (sga_share_acquire(r->s, r->row, "sandbox_r", RACE_CAP) !=
		    SGA_SHARE_OK)
			continue;
		if (sga_share_count(r->s, "sandbox_r") > RACE_CAP)
			r->bad++;
		sga_share_release(r->s, r->row, "sandbox_r");
	}
	return NULL;
}

/* Two processes of two threads each: never over the cap, 0 at the end. */
START_TEST(test_race)
{
	struct sga_share *s = sga_share_new(3, 16);
	struct race	 r[2];
	pthread_t	 th[2];
	unsigned	 row;
	pid_t		 pid;
	int		 i, st, bad = 0;

	ck_assert_ptr_nonnull(s);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	row = sga_share_claim(s, pid == 0 ? 1 : 0, getpid());
	for (i = 0; i < 2; i++) {
		r[i].s = s;
		r[i].row = row;
		r[i].bad = 0;
		if (pthread_create(&th[i], NULL, racer, &r[i]) != 0)
			abort();
	}
	for (i = 0; i < 2; i++) {
		(void)pthread_join(th[i], NULL);
		bad += r[i].bad;
	}
	if (pid == 0)
		_exit(bad == 0 ? 0 : 1);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_assert_int_eq(bad, 0);
	ck_assert_uint_eq(sga_share_count(s, "sandbox_r"), 0);
	ck_assert_uint_eq(sga_share_used(s), 0);
	sga_share_free(s);
}
END_TEST

int
main(void)
{
	Suite	*su = suite_create("share");
	TCase	*tc = tcase_create("share");
	SRunner	*sr;
	int	 nf;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_cap);
	tcase_add_test(tc, test_bad);
	tcase_add_test(tc, test_noroom);
	tcase_add_test(tc, test_churn);
	tcase_add_test(tc, test_processes);
	tcase_add_test(tc, test_owner_dead);
	tcase_add_test(tc, test_race);
	suite_add_tcase(su, tc);
	sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
