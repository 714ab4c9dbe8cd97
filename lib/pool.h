/* SPDX-License-Identifier: ISC */
/*
 * The worker pool of one service (SANDGATE_WORKERS > 1): the process
 * started by systemd or spawn-fcgi -n becomes a small manager that forks
 * the workers on the listening socket it inherited on fd 0, replaces a
 * worker that dies, and stops -- with a failure status, so that systemd
 * sees the unit fail -- when one crash-loops.  It replaces multiwatch,
 * which exits 0 after its crash-loop limit and stops its whole pool on
 * SIGHUP.
 */
#ifndef SG_POOL_H
#define SG_POOL_H

#include "sgerr.h"

/* A worker that dies this soon after its start counts as a crash. */
#define SG_POOL_CRASH_MS	10000
/* Crashes in a row of one worker slot that make the pool give up. */
#define SG_POOL_RETRIES		3
/* Exit status of a pool that gave up (sysexits(3) EX_SOFTWARE). */
#define SG_POOL_EXIT_CRASH	70

/*
 * Fork n workers (2..SG_CFG_WORKERS_MAX) and supervise them.  Returns
 * 0 in each worker, with the signal mask and handlers as they were
 * before the call, to go on with its start-up and serve fd 0.  The
 * manager never returns; it exits:
 *   0			after SIGTERM, SIGINT or SIGUSR1 (passed on to the
 *			workers as SIGTERM; it waits for them);
 *   EX_CONFIG (78)	when a worker exits with it (a configuration fault
 *			found at start-up is the same for every worker);
 *   SG_POOL_EXIT_CRASH	when a slot's worker died SG_POOL_RETRIES times in
 *			a row, each within SG_POOL_CRASH_MS of its start.
 * SIGHUP is passed on to every worker (each reloads what it reloads on
 * SIGHUP); the pool keeps running.  -1 with err set when fork fails at
 * the start.
 */
int	sg_pool_run(int n, struct sg_err *err);

#endif
