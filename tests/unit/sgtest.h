/* SPDX-License-Identifier: ISC */
/*
 * What the Check tests share (sgtest.c): the fixed clock the claim and
 * token tests run at, the monotonic clock in milliseconds, and a real
 * redis-server child per test binary (no persistence, on a unix socket
 * in the test's own temporary directory, dying with the process that
 * started it).  Allocation failures on demand are in sgtest_failalloc.h.
 */
#ifndef SGTEST_H
#define SGTEST_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

/* The wall clock the tests fix: 2026-01-01T00:00:00Z. */
#define SGTEST_NOW	INT64_C(1767225600)

/* Milliseconds on the monotonic clock. */
int64_t	 sgtest_ms(void);

/* A free TCP port on 127.0.0.1 (bind port 0, read it, close), or -1. */
int	 sgtest_free_port(void);

/* buf = dir "/" name ".sock", the socket sgtest_redis_start uses. */
void	 sgtest_redis_sock(char *buf, size_t size, const char *dir,
	    const char *name);

/*
 * redis-server on dir/name.sock (mode 700) logging to dir/name.log and,
 * if port > 0, on 127.0.0.1:port (and [::1]:port where IPv6 is up);
 * extra: further arguments, NULL-terminated, or NULL.  Returns its PID
 * once it answers PING (any answer: NOAUTH counts), else -1 (nothing
 * left running).
 */
pid_t	 sgtest_redis_start(const char *dir, const char *name, int port,
	    const char *const *extra);

/* Whether the server on sock answers PING within secs seconds. */
int	 sgtest_redis_wait(const char *sock, int secs);

/*
 * Stop pid with sig (SIGCONT first, so a SIGSTOPped server dies too) and
 * reap it; SIGKILL after 5 s.  pid <= 0 does nothing.
 */
void	 sgtest_redis_stop(pid_t pid, int sig);

struct sg_redis;

/*
 * Whether the library's own handle rd reaches the server (sg_redis_ping
 * answers SG_OK) within 5 s: the handle reconnects by itself.
 */
int	 sgtest_redis_ready(struct sg_redis *rd);

/*
 * Metrics in a fresh directory (dir: at least 64 bytes), for a test that
 * checks what a service counts; sgtest_metrics_off closes and removes it.
 * 0 on success.
 */
int	 sgtest_metrics_on(char *dir, size_t size, const char *service);
void	 sgtest_metrics_off(const char *dir);

#endif
