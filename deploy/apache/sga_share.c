/* SPDX-License-Identifier: ISC */
/*
 * Each sandbox's share of the egress proxy (sga_share.h): an open-
 * addressing table of container ids in one anonymous shared mapping,
 * linear probing with backward-shift deletion (no tombstones, so a
 * table that churns through ids stays as fast as a fresh one), at most
 * half full.  Every call takes the one lock; what it does under it is a
 * probe and a few stores, so the lock is held for well under a
 * microsecond.
 */
#include <sys/mman.h>
#include <sys/types.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

static uint32_t
hash(const char *id)
{
	uint32_t	 h = 2166136261u;

	while (*id != '\0')
		h = (h ^ (unsigned char)*id++) * 16777619u;
	return h;
}

static void
lock(struct sga_share *s)
{
	/*
	 * A process that died holding the lock (SIGKILL inside these few
	 * stores) leaves the table as it was between two of them.  The
	 * stores are ordered so that what is left counts low, never high:
	 * a row's count before the total on the way up, the total before
	 * the row's count on the way down.  A container is then let one
	 * more through than its cap until its entry empties or the row is
	 * claimed again; a total left high would have refused it one
	 * forever.  ORDER keeps the compiler to that order (a SIGKILL
	 * stops the process between two instructions, as a signal
	 * handler would see it).
	 */
	if (pthread_mutex_lock(&s->mu) == EOWNERDEAD)
		(void)pthread_mutex_consistent(&s->mu);
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
 * Free entry i, moving back each later entry of its run that would no
 * longer be found past the hole (Knuth's algorithm R).
 */
static void
del(struct sga_share *s, unsigned i)
{
	struct sga_ent	*e;
	unsigned	 j = i, home;

	for (;;) {
		j = (j + 1) & s->mask;
		e = ent(s, j);
		if (e->total == 0)
			break;
		home = e->hash & s->mask;
		/* Stays when its home is cyclically in (i, j]. */
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		memcpy(ent(s, i), e, s->entsz);
		i = j;
	}
	memset(ent(s, i), 0, s->entsz);
	s->used--;
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
