/* SPDX-License-Identifier: ISC */
/*
 * Each sandbox's share of the egress proxy: how many requests and
 * CONNECT tunnels a container has open in the whole Apache server, all
 * processes and threads together, so that mod_sandgate_authz can refuse
 * one over SandgateMaxTunnels (429 tunnels_exhausted).
 *
 * One table in anonymous shared memory, made by the parent before it
 * forks the children and locked by a process-shared robust mutex.  Each
 * entry is a container id with its open count, kept per process row:
 * a process that dies without closing what it counted (a crash, a
 * SIGKILL) leaves its counts in its own row, and the next process that
 * claims the row (Apache gives a dead child's scoreboard slot to its
 * replacement) takes them away first.  Row 0 is shared by processes
 * whose slot is unknown; its counts are not reclaimed.
 *
 * No Apache header here: tests/unit/check_share.c drives it directly.
 */
#ifndef SGA_SHARE_H
#define SGA_SHARE_H

#include <sys/types.h>

#define SGA_SHARE_ID_MAX	128	/* as SG_ID_MAX, lib/claims.h */

enum sga_share_rc {
	SGA_SHARE_OK,		/* counted: release it when it ends */
	SGA_SHARE_FULL,		/* the container is at its cap */
	SGA_SHARE_NOROOM,	/* the table has no free entry */
	SGA_SHARE_BADID		/* empty, or longer than SGA_SHARE_ID_MAX */
};

struct sga_share;

/*
 * A table for rows - 1 process slots (plus the shared row 0) and at
 * most ents containers with something open at once (rounded up to a
 * power of two, twice over for open addressing).  NULL with errno.
 */
struct sga_share	*sga_share_new(unsigned rows, unsigned ents);
void			 sga_share_free(struct sga_share *);
/*
 * The row of process slot `slot` (0-based) for process pid: the row is
 * emptied first when another pid held it.  Returns the row, or 0 (the
 * shared row) when slot is out of range or negative.
 */
unsigned		 sga_share_claim(struct sga_share *, int slot,
			    pid_t pid);
/* One more open for id unless it holds max already (max 0: no cap). */
enum sga_share_rc	 sga_share_acquire(struct sga_share *, unsigned row,
			    const char *id, unsigned max);
/* One fewer open for id in row (after an SGA_SHARE_OK acquire). */
void			 sga_share_release(struct sga_share *, unsigned row,
			    const char *id);
/* What id holds open now, all rows together. */
unsigned		 sga_share_count(struct sga_share *, const char *id);
/* Containers with something open now. */
unsigned		 sga_share_used(struct sga_share *);

#endif
