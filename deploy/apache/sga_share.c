/* SPDX-License-Identifier: ISC */
/*
 * Each sandbox's share of the egress proxy (sga_share.h): an open-
 * addressing table of container ids in one anonymous shared mapping,
 * linear probing with backward-shift deletion (no tombstones, so a
 * table that churns through ids stays as fast as a fresh one), at most
 * half full.  Every call takes the one lock; what it does under it is a
 * probe and a few stores, so the lock is held for well under a
 * microsecond.
 *
 * A process killed holding the lock (SIGKILL, the OOM killer, a crash in
 * another module between two of these stores) leaves the table as it was
 * between two of them; the next caller gets EOWNERDEAD and repairs it
 * (repair()) before it goes on.  Every store is ordered so that what can
 * be left is one of: a count low, an entry half written but still marked
 * free, a whole entry twice (a deletion's shift stopped after a copy), a
 * run with a hole in it, a stale `used'.  repair() rebuilds the table
 * from the entries that are whole, merging copies of one id by the lower
 * count of each row, so nothing is lost, no slot stays taken, and no
 * container is left counting high (which would refuse it a tunnel until
 * Apache restarts).
 */
#include <sys/mman.h>
#include <sys/types.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sga_share.h"

#define SGA_ROWS_MAX	4096		/* process slots (Apache: 20000 max) */
#define SGA_ENTS_MAX	(1u << 20)

struct sga_ent {
	uint32_t	 hash;
	uint32_t	 total;		/* 0: a free entry */
	char		 id[SGA_SHARE_ID_MAX + 1];
	uint32_t	 cnt[];		/* per row */
};

struct sga_share {
	/* First: tests/unit/check_share.c takes it from a dying child. */
	pthread_mutex_t	 mu;
	size_t		 len;		/* of the mapping */
	size_t		 entsz;
	size_t		 ent_off;	/* from the start of the mapping */
	unsigned	 rows;
	unsigned	 mask;		/* entries - 1 */
	unsigned	 used;
	pid_t		 pid[];		/* per row: who holds it (0: nobody) */
};

static struct sga_ent *
ent(struct sga_share *s, unsigned i)
{
	return (struct sga_ent *)((char *)s + s->ent_off + (size_t)i *
	    s->entsz);
}

#define ORDER()	atomic_signal_fence(memory_order_seq_cst)

/*
 * Fault injection for tests/unit/check_share.c (built with
 * -DSGA_SHARE_FAULTS): the process exits, holding the lock, at the
 * sga_share_fault'th STEP of a deletion.  Nothing in a module build.
 */
#ifdef SGA_SHARE_FAULTS
unsigned	sga_share_fault;
#define STEP()	do {						\
	if (sga_share_fault != 0 && --sga_share_fault == 0)		\
		_exit(0);						\
} while (0)
#else
#define STEP()	do { } while (0)
#endif

static uint32_t
hash(const char *id)
{
	uint32_t	 h = 2166136261u;

	while (*id != '\0')
		h = (h ^ (unsigned char)*id++) * 16777619u;
	return h;
}

static void	repair(struct sga_share *);

static void
lock(struct sga_share *s)
{
	/*
	 * The stores of acquire, release and claim are ordered so that a
	 * process killed between two of them leaves counts low, never
	 * high: a row's count before the total on the way up, the total
	 * before the row's count on the way down.  A container is then let
	 * one more through than its cap until its entry empties or the row
	 * is claimed again; a total left high would have refused it one
	 * until Apache restarts.  A deletion's stores are ordered for
	 * repair() (see the top of this file).  ORDER keeps the compiler
	 * to that order: a SIGKILL stops the process between two
	 * instructions, as a signal handler would see it.
	 */
	if (pthread_mutex_lock(&s->mu) == EOWNERDEAD) {
		repair(s);
		(void)pthread_mutex_consistent(&s->mu);
	}
}

static void
unlock(struct sga_share *s)
{
	(void)pthread_mutex_unlock(&s->mu);
}

struct sga_share *
sga_share_new(unsigned rows, unsigned ents)
{
	pthread_mutexattr_t	 ma;
	struct sga_share	*s;
	size_t			 hdr, entsz, len;
	unsigned		 n = 16;
	void			*m;

	if (rows == 0 || rows > SGA_ROWS_MAX || ents == 0 ||
	    ents > SGA_ENTS_MAX) {
		errno = EINVAL;
		return NULL;
	}
	while (n < ents * 2)
		n <<= 1;
	hdr = offsetof(struct sga_share, pid) + rows * sizeof(pid_t);
	hdr = (hdr + 63) & ~(size_t)63;
	entsz = offsetof(struct sga_ent, cnt) + rows * sizeof(uint32_t);
	entsz = (entsz + 7) & ~(size_t)7;
	len = hdr + (size_t)n * entsz;
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	    -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	s = m;		/* zero-filled: every entry and row free */
	if (pthread_mutexattr_init(&ma) != 0 ||
	    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED) != 0 ||
	    pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST) != 0 ||
	    pthread_mutex_init(&s->mu, &ma) != 0) {
		(void)munmap(m, len);
		errno = ENOTSUP;
		return NULL;
	}
	(void)pthread_mutexattr_destroy(&ma);
	s->len = len;
	s->entsz = entsz;
	s->ent_off = hdr;
	s->rows = rows;
	s->mask = n - 1;
	return s;
}

void
sga_share_free(struct sga_share *s)
{
	if (s != NULL)
		(void)munmap(s, s->len);
}

/* The entry of id, or the free one where it would go (*found 0). */
static unsigned
find(struct sga_share *s, const char *id, uint32_t h, int *found)
{
	struct sga_ent	*e;
	unsigned	 i;

	for (i = h & s->mask;; i = (i + 1) & s->mask) {
		e = ent(s, i);
		if (e->total == 0) {
			*found = 0;
			return i;
		}
		if (e->hash == h && strcmp(e->id, id) == 0) {
			*found = 1;
			return i;
		}
	}
}

/*
 * dst = src, in an order a kill cannot turn into a wrong entry: marked
 * free first, written, then marked in use with src's total.  Stopped
 * half-way it is a free entry; after, a copy of src, which is still in
 * its own place (repair() keeps one of the two).
 */
static void
copy(struct sga_share *s, struct sga_ent *dst, const struct sga_ent *src)
{
	unsigned	 r;

	dst->total = 0;
	ORDER();
	STEP();
	dst->hash = src->hash;
	memcpy(dst->id, src->id, sizeof(dst->id));
	STEP();
	for (r = 0; r < s->rows; r++) {
		dst->cnt[r] = src->cnt[r];
		STEP();
	}
	ORDER();
	dst->total = src->total;
	ORDER();
	STEP();
}

/*
 * Free entry i, moving back each later entry of its run that would no
 * longer be found past the hole (Knuth's algorithm R).  The entry
 * freed is wiped first, so no part of it can come back.
 */
static void
del(struct sga_share *s, unsigned i)
{
	struct sga_ent	*e = ent(s, i);
	unsigned	 j = i, home;

	e->total = 0;
	ORDER();
	STEP();
	memset(e, 0, s->entsz);
	ORDER();
	STEP();
	for (;;) {
		j = (j + 1) & s->mask;
		e = ent(s, j);
		if (e->total == 0)
			break;
		home = e->hash & s->mask;
		/* Stays when its home is cyclically in (i, j]. */
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		copy(s, ent(s, i), e);
		i = j;
	}
	e = ent(s, i);
	e->total = 0;
	ORDER();
	STEP();
	memset(e, 0, s->entsz);
	s->used--;
}

/*
 * An entry as a dead writer may have left it, made whole or refused:
 * its id must be a string whose hash it holds, and its total at most
 * what its rows add up to (so never counting high).  0: drop it.
 */
static int
sound(struct sga_share *s, struct sga_ent *e)
{
	uint64_t	 sum = 0;
	unsigned	 r;

	if (e->total == 0 || memchr(e->id, '\0', sizeof(e->id)) == NULL ||
	    e->id[0] == '\0' || hash(e->id) != e->hash)
		return 0;
	for (r = 0; r < s->rows; r++)
		sum += e->cnt[r];
	if (sum == 0)
		return 0;
	if (e->total > sum)
		e->total = (uint32_t)sum;
	return 1;
}

/* Put e (sound) back into the emptied table, merging a second copy. */
static void
reinsert(struct sga_share *s, const struct sga_ent *e)
{
	struct sga_ent	*d;
	unsigned	 i, r;
	int		 found;

	i = find(s, e->id, e->hash, &found);
	d = ent(s, i);
	if (!found) {
		memcpy(d, e, s->entsz);
		s->used++;
		return;
	}
	/* Two copies of one entry: the lower count of each, as the rule. */
	for (r = 0; r < s->rows; r++)
		if (e->cnt[r] < d->cnt[r])
			d->cnt[r] = e->cnt[r];
	if (e->total < d->total)
		d->total = e->total;
}

/*
 * The table after its last writer died holding the lock: every sound
 * entry taken out, the entries cleared, and put back from their homes,
 * so that holes in a run and copies left by a deletion cut short go,
 * and `used' is counted again.  Without memory for that (it is what the
 * table holds, once), everything is forgotten instead: every count
 * drops to 0, low, as the rule wants; what was open is not refused.
 */
static void
repair(struct sga_share *s)
{
	struct sga_ent	*e;
	char		*keep;
	size_t		 n = 0, k;
	unsigned	 i;

	for (i = 0; i <= s->mask; i++)
		if (ent(s, i)->total != 0)
			n++;
	keep = n > 0 ? malloc(n * s->entsz) : NULL;
	for (i = 0, k = 0; keep != NULL && i <= s->mask; i++) {
		e = ent(s, i);
		if (e->total != 0 && sound(s, e))
			memcpy(keep + k++ * s->entsz, e, s->entsz);
	}
	memset(ent(s, 0), 0, (size_t)(s->mask + 1) * s->entsz);
	s->used = 0;
	for (i = 0; keep != NULL && i < k; i++)
		reinsert(s, (const struct sga_ent *)(void *)
		    (keep + (size_t)i * s->entsz));
	free(keep);
}

unsigned
sga_share_claim(struct sga_share *s, int slot, pid_t pid)
{
	struct sga_ent	*e;
	unsigned	 row, i;

	if (slot < 0 || (unsigned)slot >= s->rows - 1)
		return 0;
	row = (unsigned)slot + 1;
	lock(s);
	if (s->pid[row] != pid) {
		/* What the row's last holder left open is closed. */
		for (i = 0; i <= s->mask;) {
			e = ent(s, i);
			if (e->total == 0 || e->cnt[row] == 0) {
				i++;
				continue;
			}
			e->total -= e->cnt[row] < e->total ? e->cnt[row] :
			    e->total;
			ORDER();
			e->cnt[row] = 0;
			if (e->total == 0)
				del(s, i);	/* i again: another may be here */
			else
				i++;
		}
		s->pid[row] = pid;
	}
	unlock(s);
	return row;
}

enum sga_share_rc
sga_share_acquire(struct sga_share *s, unsigned row, const char *id,
    unsigned max)
{
	struct sga_ent	*e;
	size_t		 len = strlen(id);
	uint32_t	 h = hash(id);
	unsigned	 i;
	int		 found;
	enum sga_share_rc rc = SGA_SHARE_OK;

	if (len == 0 || len > SGA_SHARE_ID_MAX || row >= s->rows)
		return SGA_SHARE_BADID;
	lock(s);
	i = find(s, id, h, &found);
	e = ent(s, i);
	if (found) {
		if (max > 0 && e->total >= max)
			rc = SGA_SHARE_FULL;
		else {
			e->cnt[row]++;
			ORDER();
			e->total++;
		}
	} else if (s->used >= (s->mask + 1) / 2)
		rc = SGA_SHARE_NOROOM;
	else {
		/* Free is total 0; a dead writer may have left the rest. */
		memset(e, 0, s->entsz);
		e->hash = h;
		memcpy(e->id, id, len + 1);
		e->cnt[row] = 1;
		ORDER();
		e->total = 1;		/* last: the entry is in use */
		s->used++;
	}
	unlock(s);
	return rc;
}

void
sga_share_release(struct sga_share *s, unsigned row, const char *id)
{
	struct sga_ent	*e;
	unsigned	 i;
	int		 found;

	if (row >= s->rows)
		return;
	lock(s);
	i = find(s, id, hash(id), &found);
	e = ent(s, i);
	/* Not found, or 0 here: its row was claimed since (taken away). */
	if (found && e->cnt[row] > 0) {
		if (--e->total == 0)
			del(s, i);
		else {
			ORDER();
			e->cnt[row]--;
		}
	}
	unlock(s);
}

unsigned
sga_share_count(struct sga_share *s, const char *id)
{
	unsigned	 i, n;
	int		 found;

	lock(s);
	i = find(s, id, hash(id), &found);
	n = found ? ent(s, i)->total : 0;
	unlock(s);
	return n;
}

unsigned
sga_share_used(struct sga_share *s)
{
	unsigned	 n;

	lock(s);
	n = s->used;
	unlock(s);
	return n;
}
