/* SPDX-License-Identifier: ISC */
/*
 * The worker pool (pool.h).  The manager does nothing but fork, wait and
 * pass signals on: it holds no Redis, Docker or key handle (the workers
 * make their own after the fork, as exec'd workers would), and it never
 * accepts on the socket.
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "cfg.h"
#include "clock.h"
#include "log.h"
#include "notify.h"
#include "pool.h"
#include "sgerr.h"

struct slot {
	pid_t		 pid;		/* 0: not running */
	int64_t		 started_ms;
	int		 crashes;	/* in a row, each soon after start */
};

static volatile sig_atomic_t	 pool_stop, pool_hup, pool_chld;
static struct slot		 slots[SG_CFG_WORKERS_MAX];
static int			 nslots;
static sigset_t			 pool_orig;
static pid_t			 pool_pid;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		pool_hup = 1;
	else if (sig == SIGCHLD)
		pool_chld = 1;
	else
		pool_stop = 1;
}

static const int pool_sigs[] = { SIGTERM, SIGINT, SIGUSR1, SIGHUP, SIGCHLD };
#define NSIGS	(sizeof(pool_sigs) / sizeof(pool_sigs[0]))
static struct sigaction	 pool_old[NSIGS];

/* In a new worker: the signals as the service found them. */
static void
worker_reset(void)
{
	size_t	 i;

	for (i = 0; i < NSIGS; i++)
		(void)sigaction(pool_sigs[i], &pool_old[i], NULL);
	(void)sigprocmask(SIG_SETMASK, &pool_orig, NULL);
	/*
	 * A manager killed outright (SIGKILL, not systemd's stop, which
	 * signals the whole cgroup) must not leave workers serving alone.
	 */
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != pool_pid)
		_exit(0);
}

/* Start slot i's worker: 1 in the new worker, 0 in the manager, -1. */
static int
spawn(int i)
{
	char	 num[16], pid[16];
	pid_t	 p;

	if ((p = fork()) < 0)
		return -1;
	if (p == 0) {
		worker_reset();
		return 1;
	}
	slots[i].pid = p;
	slots[i].started_ms = sg_now_us() / 1000;
	(void)snprintf(num, sizeof(num), "%d", i);
	(void)snprintf(pid, sizeof(pid), "%ld", (long)p);
	sg_log(SG_LOG_DEBUG, "worker_start", "slot", num, "pid", pid,
	    (char *)NULL);
	return 0;
}

static void
signal_all(int sig)
{
	int	 i;

	for (i = 0; i < nslots; i++)
		if (slots[i].pid > 0)
			(void)kill(slots[i].pid, sig);
}

/* Stop every worker with SIGTERM, wait for them all, exit with status. */
static void
stop_all(int status)
{
	pid_t	 p;
	int	 i, left;

	(void)sg_notify("STOPPING=1");
	signal_all(SIGTERM);
	for (;;) {
		for (left = 0, i = 0; i < nslots; i++)
			left += slots[i].pid > 0;
		if (left == 0)
			break;
		p = waitpid(-1, NULL, 0);
		if (p < 0 && errno != EINTR)
			break;
		for (i = 0; i < nslots; i++)
			if (slots[i].pid == p)
				slots[i].pid = 0;
	}
	sg_log(SG_LOG_INFO, "pool_stop", (char *)NULL);
	sg_log_flush();
	exit(status);
}

/*
 * Reap the dead workers and start their replacements: 1 in a new
 * worker, 0 in the manager.  A configuration fault or a crash loop
 * stops the pool (no return).
 */
static int
reap(void)
{
	char	 num[16], st[16];
	pid_t	 p;
	int	 i, ws, code, r;

	while ((p = waitpid(-1, &ws, WNOHANG)) > 0) {
		for (i = 0; i < nslots && slots[i].pid != p; i++)
			;
		if (i == nslots)
			continue;
		slots[i].pid = 0;
		code = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
		(void)snprintf(num, sizeof(num), "%d", i);
		(void)snprintf(st, sizeof(st), "%d", code);
		sg_log(SG_LOG_WARN, "worker_exit", "slot", num, "status", st,
		    (char *)NULL);
		if (WIFEXITED(ws) && code == EX_CONFIG) {
			sg_log(SG_LOG_ERROR, "pool_config", "detail",
			    "a worker found the configuration bad at start-up; "
			    "stopping the pool", (char *)NULL);
			(void)sg_notify("STATUS=configuration error");
			stop_all(EX_CONFIG);
		}
		if (sg_now_us() / 1000 - slots[i].started_ms < SG_POOL_CRASH_MS)
			slots[i].crashes++;
		else
			slots[i].crashes = 1;
		if (slots[i].crashes > SG_POOL_RETRIES) {
			sg_log(SG_LOG_ERROR, "pool_crash_loop", "slot", num,
			    "detail", "a worker keeps dying soon after its "
			    "start; stopping the pool so that the service "
			    "fails", (char *)NULL);
			(void)sg_notify("STATUS=worker pool crash loop");
			stop_all(SG_POOL_EXIT_CRASH);
		}
		if ((r = spawn(i)) == 1)
			return 1;	/* the new worker */
		if (r < 0) {
			sg_log(SG_LOG_ERROR, "pool_fork_failed", "detail",
			    strerror(errno), (char *)NULL);
			stop_all(EX_OSERR);
		}
	}
	return 0;
}

int
sg_pool_run(int n, struct sg_err *err)
{
	struct sigaction	 sa;
	sigset_t		 block, wait;
	size_t			 k;
	char			 num[16];
	int			 i, r;

	nslots = n < 1 ? 1 : n > SG_CFG_WORKERS_MAX ? SG_CFG_WORKERS_MAX : n;
	pool_pid = getpid();
	(void)sigemptyset(&block);
	for (k = 0; k < NSIGS; k++)
		(void)sigaddset(&block, pool_sigs[k]);
	(void)sigprocmask(SIG_BLOCK, &block, &pool_orig);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	(void)sigemptyset(&sa.sa_mask);
	for (k = 0; k < NSIGS; k++)
		(void)sigaction(pool_sigs[k], &sa, &pool_old[k]);
	(void)snprintf(num, sizeof(num), "%d", nslots);
	sg_log(SG_LOG_INFO, "pool_start", "workers", num, (char *)NULL);
	for (i = 0; i < nslots; i++) {
		if ((r = spawn(i)) == 1)
			return 0;
		if (r < 0 && i == 0) {
			for (k = 0; k < NSIGS; k++)
				(void)sigaction(pool_sigs[k], &pool_old[k],
				    NULL);
			(void)sigprocmask(SIG_SETMASK, &pool_orig, NULL);
			(void)sg_err_set(err, SG_EINTERNAL, "fork_failed",
			    "cannot start a worker: %s", strerror(errno));
			return -1;
		}
		if (r < 0)
			stop_all(EX_OSERR);
	}
	wait = pool_orig;
	for (k = 0; k < NSIGS; k++)
		(void)sigdelset(&wait, pool_sigs[k]);
	for (;;) {
		if (!pool_stop && !pool_hup && !pool_chld)
			(void)sigsuspend(&wait);
		if (pool_stop)
			stop_all(0);
		if (pool_hup) {
			pool_hup = 0;
			sg_log(SG_LOG_INFO, "pool_reload", (char *)NULL);
			signal_all(SIGHUP);
		}
		if (pool_chld) {
			pool_chld = 0;
			if (reap() != 0)
				break;
		}
	}
	/* Here only in a replacement worker. */
	return 0;
}
