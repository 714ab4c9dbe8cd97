/* SPDX-License-Identifier: ISC */
/*
 * The Redis client's insides, shared by the lib files that speak to
 * Redis: redis.c (URL, connection, blocking commands), redis-send.c
 * (the non-blocking sender), session-store.c, revoke.c and audit.c (the
 * stream reader).  Only lib/ includes this header, and it is the only one that
 * pulls in hiredis: services, tools and tests see lib/redis.h.
 */
#ifndef SG_REDIS_PRIVATE_H
#define SG_REDIS_PRIVATE_H

#include <sys/types.h>
#include <sys/time.h>

#include <signal.h>
#include <stddef.h>

#include <hiredis/hiredis.h>

#include "redis.h"

#define SG_REDIS_MAX_SENTINELS	8

/*
 * What both client kinds hold: the parsed URL and one context.  c is
 * NULL until the first call and after every failure; pid is the process
 * that opened it.  host is a name or address, or the socket path when
 * is_unix.  user (Redis 6 ACL) and password are NULL when not set; both
 * are wiped by sg_redis_conn_clear.
 */
struct sg_redis_conn {
	redisContext	*c;
	pid_t		 pid;
	int		 is_unix;
	char		*host;
	int		 port;
	long		 db;
	char		*user;
	char		*password;
	int		 timeout_ms;
	struct timeval	 tv;
	/* set by sg_redis_conn_error: the server closed the connection */
	int		 lost;
	/*
	 * sentinel:// (redis-sentinel.c): the sentinels to ask, the master
	 * name; host and port then hold the master last found.  ready: the
	 * open already sent AUTH and SELECT (and ROLE) on c.
	 */
	int		 is_sentinel;
	size_t		 n_sentinels;
	char		*sentinel_host[SG_REDIS_MAX_SENTINELS];
	int		 sentinel_port[SG_REDIS_MAX_SENTINELS];
	char		*master_name;
	size_t		 sentinel_next;
	int		 ready;
	/* sg_redis_set_wait: WAIT after a session write (0: none) */
	int		 wait_replicas;
	int		 wait_ms;
};

/* URL pieces shared by redis.c and redis-sentinel.c (redis.c). */
enum sg_rc	 sg_redis_bad_url(struct sg_err *, const char *why);
long		 sg_redis_url_num(const char *, size_t, long lo, long hi);
enum sg_rc	 sg_redis_parse_userinfo(struct sg_redis_conn *,
		    const char *p, const char **rest, struct sg_err *);
enum sg_rc	 sg_redis_parse_hostport(const char *hp, const char *stops,
		    int dflt, char **host, int *port, const char **rest,
		    struct sg_err *);
/*
 * "sentinel://[[user]:password@]host[:port][,host[:port]...]/name[/db]"
 * after the scheme (redis-sentinel.c); no connect.
 */
enum sg_rc	 sg_redis_sentinel_parse(struct sg_redis_conn *,
		    const char *p, struct sg_err *);
/*
 * Ask the sentinels for the master, connect to it, send AUTH/SELECT and
 * check with ROLE that it is a master; sets c (blocking, command
 * timeout set) and ready.  SG_EUNAVAIL "redis_no_master" when no
 * sentinel names a reachable master.
 */
enum sg_rc	 sg_redis_sentinel_open(struct sg_redis_conn *,
		    struct sg_err *);
void		 sg_redis_sentinel_clear(struct sg_redis_conn *);

/*
 * The credentials from the environment (redis-creds.c):
 * SANDGATE_REDIS_PASSWORD, SANDGATE_REDIS_PASSWORD_FILE,
 * SANDGATE_REDIS_USER, merged with what the URL carries.
 */
enum sg_rc	 sg_redis_creds_env(struct sg_redis_conn *, struct sg_err *);

/* One command of a pipeline. */
struct sg_redis_cmd {
	int		 argc;
	const char	**argv;
	const size_t	*len;
};

/* SIGPIPE held off around our own I/O (redis.c explains why). */
struct sg_redis_pipeguard {
	sigset_t	 old;
	int		 pending;
	int		 off;	/* SIGPIPE is ignored: nothing to guard */
};

void		 sg_redis_guard_on(struct sg_redis_pipeguard *);
void		 sg_redis_guard_off(struct sg_redis_pipeguard *);
/*
 * This process's pid, from a copy reset in a forked child (getpid(2) is
 * a system call, and every Redis call asks whether its connection is
 * this process's).
 */
pid_t		 sg_redis_self(void);

/* Parse url (session.h's URL rules) into a zeroed conn; no connect. */
enum sg_rc	 sg_redis_conn_parse(struct sg_redis_conn *, const char *url,
		    int timeout_ms, struct sg_err *);
/* Close the context and free (and wipe) what parse stored. */
void		 sg_redis_conn_clear(struct sg_redis_conn *);
/*
 * *out = a zeroed object of size bytes whose first member is a struct
 * sg_redis_conn parsed from url (a pointer to a struct is a pointer to
 * its first member, C11 6.7.2.1); sg_redis_conn_free frees it.
 */
enum sg_rc	 sg_redis_conn_new(size_t size, const char *url,
		    int timeout_ms, void **out, struct sg_err *);
void		 sg_redis_conn_free(void *);
/* Close the context only; the next call reconnects. */
void		 sg_redis_conn_drop(struct sg_redis_conn *);
/*
 * Open a blocking context bounded by timeout_ms (no AUTH/SELECT yet):
 * SG_OK, or the classified error with the context dropped.
 */
enum sg_rc	 sg_redis_conn_open(struct sg_redis_conn *, struct sg_err *);
/*
 * The commands a new connection starts with: AUTH when the URL has a
 * password, SELECT when it names a database other than 0; cmd[0..n).
 * auth_first: cmd[0] is the AUTH.  Points into itself: do not copy.
 */
struct sg_redis_hello {
	struct sg_redis_cmd	 cmd[2];
	size_t			 n;
	int			 auth_first;
	const char		*auth[3], *sel[2];
	char			 db[16];
};
void		 sg_redis_conn_hello(const struct sg_redis_conn *,
		    struct sg_redis_hello *);
/*
 * Classify the context's error (e: errno right after the call) and drop
 * the context; sets lost when the server closed an established one.
 */
enum sg_rc	 sg_redis_conn_error(struct sg_redis_conn *, int e,
		    int connecting, struct sg_err *);

/* Blocking commands on a struct sg_redis (redis.c). */
enum sg_rc	 sg_redis_run(struct sg_redis *, const struct sg_redis_cmd *,
		    size_t n, redisReply **, struct sg_err *);
enum sg_rc	 sg_redis_run1(struct sg_redis *, int argc, const char **argv,
		    redisReply **, struct sg_err *);
/* sg_redis_set_wait's replicas (0: none) and *timeout_ms. */
int		 sg_redis_wait_replicas(const struct sg_redis *,
		    int *timeout_ms);
/* A reply of the wrong shape: drop the connection, SG_EUPSTREAM. */
enum sg_rc	 sg_redis_unexpected(struct sg_redis *, const char *what,
		    struct sg_err *);
int		 sg_redis_is_status(const redisReply *, const char *want);
void		 sg_redis_free_replies(redisReply **, size_t n);

#endif
