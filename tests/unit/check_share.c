/* SPDX-License-Identifier: ISC */
/*
 * Each sandbox's share of the egress proxy (deploy/apache/sga_share.c,
 * mod_sandgate_authz's table of open requests and tunnels): the cap per
 * container, across real forked processes sharing the mapping as
 * Apache's children do; the counts a dead process left in its row taken
 * away when its slot is claimed again; the table against a plain array
 * through random churn on a small, colliding table (backward-shift
 * deletion); the lock under contention from two processes, and after
 * a process died holding it, also at each store of a deletion (the
 * table is repaired: nothing lost, no slot kept, no count high).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "sga_share.h"

/* sga_share.c built with -DSGA_SHARE_FAULTS: _exit at this STEP. */
extern unsigned	sga_share_fault;

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

/* sga_share.c's hash, to pick ids whose homes collide. */
static unsigned
home(const char *id, unsigned mask)
{
	uint32_t	 h = 2166136261u;

	while (*id != '\0')
		h = (h ^ (unsigned char)*id++) * 16777619u;
	return h & mask;
}

/*
 * "sandbox_<n>" ids: want[0] with home h, want[1..] with home h or h+1,
 * so that deleting want[0] shifts every later one back a slot.
 */
static void
colliding(char ids[][24], unsigned nids, unsigned mask)
{
	unsigned	 n, k = 0, h = 0;

	for (n = 0; k < nids && n < 1000000; n++) {
		snprintf(ids[k], sizeof(ids[k]), "sandbox_%u", n);
		if (k == 0) {
			h = home(ids[0], mask);
			k++;
		} else if (home(ids[k], mask) == h ||
		    home(ids[k], mask) == ((h + 1) & mask))
			k++;
	}
	ck_assert_uint_eq(k, nids);
}

#define KILL_IDS	6	/* the victim and 5 behind it */
#define KILL_ENTS	8	/* 16 slots */

/*
 * The child releases the victim, whose deletion shifts the 5 behind it,
 * and is killed (sga_share_fault) at each of the deletion's stores in
 * turn, holding the lock.  After each death the table must hold exactly
 * the 5 with their counts, every one found, and once they are released
 * it must be empty and take KILL_ENTS new ids: no slot kept by a copy
 * or a hole, no count left high.  Without repair() a death after a
 * copy leaves used one high and a later fill short.
 */
START_TEST(test_killed_mid_delete)
{
	struct sga_share *s;
	char		 ids[KILL_IDS][24], id[24];
	unsigned	 k, i, killed = 0;
	pid_t		 pid;
	int		 st, done = 0;

	colliding(ids, KILL_IDS, 15);
	for (k = 1; !done && k < 400; k++) {
		s = sga_share_new(4, KILL_ENTS);
		ck_assert_ptr_nonnull(s);
		ck_assert_int_eq(sga_share_acquire(s, 1, ids[0], 0),
		    SGA_SHARE_OK);
		for (i = 1; i < KILL_IDS; i++) {
			ck_assert_int_eq(sga_share_acquire(s, 2, ids[i], 0),
			    SGA_SHARE_OK);
			ck_assert_int_eq(sga_share_acquire(s, 3, ids[i], 0),
			    SGA_SHARE_OK);
		}
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			sga_share_fault = k;
			sga_share_release(s, 1, ids[0]);
			_exit(3);	/* the deletion had fewer stores */
		}
		ck_assert_int_eq(waitpid(pid, &st, 0), pid);
		ck_assert(WIFEXITED(st));
		if (WEXITSTATUS(st) == 3)
			done = 1;
		else {
			ck_assert_int_eq(WEXITSTATUS(st), 0);
			killed++;
		}
		ck_assert_uint_eq(sga_share_count(s, ids[0]), 0);
		for (i = 1; i < KILL_IDS; i++)
			ck_assert_msg(sga_share_count(s, ids[i]) == 2,
			    "killed at store %u: %s counts %u", k, ids[i],
			    sga_share_count(s, ids[i]));
		ck_assert_msg(sga_share_used(s) == KILL_IDS - 1,
		    "killed at store %u: %u used", k, sga_share_used(s));
		for (i = 1; i < KILL_IDS; i++) {
			sga_share_release(s, 2, ids[i]);
			sga_share_release(s, 3, ids[i]);
		}
		ck_assert_msg(sga_share_used(s) == 0,
		    "killed at store %u: %u left", k, sga_share_used(s));
		for (i = 0; i < KILL_ENTS; i++) {
			snprintf(id, sizeof(id), "fill_%u", i);
			ck_assert_int_eq(sga_share_acquire(s, 1, id, 0),
			    SGA_SHARE_OK);
		}
		ck_assert_int_eq(sga_share_acquire(s, 1, "fill_x", 0),
		    SGA_SHARE_NOROOM);
		sga_share_free(s);
	}
	ck_assert(done);
	/* Every store of 5 shifts and the wipes: far more than a few. */
	ck_assert_uint_ge(killed, 5 * 4);
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
	tcase_add_test(tc, test_killed_mid_delete);
	tcase_add_test(tc, test_race);
	suite_add_tcase(su, tc);
	sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
