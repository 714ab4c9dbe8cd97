/* SPDX-License-Identifier: ISC */
/*
 * The Redis client (docs/contract.md §7), on the hiredis 0.14 API,
 * without hiredis in this header (lib/redis-private.h has it).  Two
 * kinds of handle, each with its own type so that one cannot be used as
 * the other: struct sg_redis, blocking, for commands whose answer the
 * caller needs (the session store, the audit reader, PING); and struct
 * sg_redis_sender, non-blocking, fire-and-forget (the audit trail).
 * Both parse the same URL and keep one connection per process, opened
 * lazily; after any error the context is dropped and the next call
 * reconnects (a hiredis context is dead after an error).  Values go to
 * Redis only as arguments (redisCommandArgv), never inside a format.
 *
 * Behaviour (decisions made here):
 *
 * - URL.  "redis://[[user]:password@]host[:port][/db]": host is a
 *   dotted-quad IPv4, "[IPv6]" or a DNS name such as "localhost"
 *   (resolved at connect time, outside timeout_ms); port defaults to
 *   6379, db to 0.  Userinfo ends at the last '@' and is percent-decoded
 *   (RFC 3986 2.1), so a password may hold any printable byte.
 *   "unix:/abs/path[?db=N]".  SANDGATE_REDIS_PASSWORD (preferred: keeps
 *   the password out of a URL that may be logged) is used when non-empty;
 *   a password in both places is SG_EINVAL.  A user needs a password
 *   (AUTH user pass, Redis 6 ACLs).  rediss:// (TLS) is refused: hiredis
 *   0.14 has no TLS.  Errors never echo the URL.
 * - Connection.  Opened on first use with timeout_ms for connect and for
 *   every command (SO_RCVTIMEO/SO_SNDTIMEO: it bounds each socket read
 *   or write, so a server that trickles bytes could take longer), then
 *   AUTH and SELECT, pipelined.  After ANY failure - I/O, EOF, protocol
 *   error, timeout, or any error reply - the context is freed and the
 *   next call reconnects; the sg_redis object stays valid.  A call that
 *   finds the connection an earlier call opened closed by the server
 *   (EOF or an I/O error on the first write or read: Redis restarted)
 *   reconnects and runs its commands once more, so a restart costs no
 *   request; never after a timeout or an error reply.  Every command
 *   sequence here is therefore safe to run twice.  A context
 *   opened before fork() is not reused by the child.  SIGPIPE raised by
 *   our own writes is blocked and consumed (the process's dispositions
 *   are not changed).  Not thread-safe: one sg_redis per thread.
 * - Errors.  Connect/IO/EOF: SG_EUNAVAIL "redis_connect", "redis_io",
 *   "redis_eof"; timeouts: SG_ETIMEOUT "redis_timeout".  Error replies:
 *   READONLY, LOADING, BUSY, MASTERDOWN, OOM, MISCONF -> SG_EUNAVAIL
 *   "redis_readonly", "redis_loading", "redis_busy", "redis_masterdown",
 *   "redis_oom", "redis_misconf"; NOAUTH, WRONGPASS and any error to AUTH
 *   -> SG_EUNAVAIL "redis_auth"; NOPERM -> "redis_noperm"; an error to
 *   SELECT -> "redis_select"; TRYAGAIN/CLUSTERDOWN -> SG_EUNAVAIL
 *   "redis_cluster", MOVED/ASK -> SG_EUPSTREAM "redis_cluster" (cluster
 *   is not supported); anything else (WRONGTYPE, ERR) -> SG_EUPSTREAM
 *   "redis_error".  A reply of the wrong type: SG_EUPSTREAM
 *   "redis_reply"; a protocol error: SG_EUPSTREAM "redis_protocol".
 *   Messages carry only the first word of an error reply.
 */
#ifndef SG_REDIS_H
#define SG_REDIS_H

#include <stddef.h>

#include "sgerr.h"

#define SG_REDIS_URL_MAX	1024
#define SG_REDIS_MAX_TIMEOUT_MS	60000
#define SG_REDIS_MAX_DB		1000000

struct sg_redis;
struct sg_redis_sender;

/*
 * url: "redis://[:password@]host:port[/db]" or "unix:/path[?db=N]"
 * (a password may also come from SANDGATE_REDIS_PASSWORD).  Does not
 * connect yet.  timeout_ms bounds connect and each command.
 */
enum sg_rc	 sg_redis_new(const char *url, int timeout_ms,
		    struct sg_redis **, struct sg_err *);
void		 sg_redis_free(struct sg_redis *);
/*
 * After a session write (sg_session_put), WAIT until replicas replicas
 * have it, at most timeout_ms (below the client's timeout); fewer is
 * SG_EUNAVAIL "redis_not_replicated", so that a create is acknowledged
 * only once a failover cannot lose it.  replicas 0 (the default): no
 * WAIT.
 */
void		 sg_redis_set_wait(struct sg_redis *, int replicas,
		    int timeout_ms);
/*
 * The process ignores SIGPIPE (yes 1; 0: not any more): the calls need
 * not block it around their writes.  Said by whoever set SIG_IGN.
 */
void		 sg_redis_pipe_ignored(int yes);
/* PING; SG_EUNAVAIL when Redis cannot answer. */
enum sg_rc	 sg_redis_ping(struct sg_redis *, struct sg_err *);

/*
 * Fire-and-forget commands (the audit trail, lib/audit.h): a sender has
 * its own connection, non-blocking after a connect bounded by
 * timeout_ms (same URL rules as sg_redis_new).  Each send reads and
 * discards the replies that have arrived (*failed counts the error
 * replies among them), queues the command and writes what the socket
 * takes, never waiting.  When more than max_pending bytes are queued
 * (Redis stopped or slow) the command is refused: SG_ETOOBIG
 * "redis_backlog".  After a failure no reconnect is tried for a second:
 * SG_EUNAVAIL "redis_backoff".  What was queued when a connection fails
 * is lost: the trail is best effort, stderr is the log of record.
 */
enum sg_rc	 sg_redis_sender_new(const char *url, int timeout_ms,
		    struct sg_redis_sender **, struct sg_err *);
void		 sg_redis_sender_free(struct sg_redis_sender *);
enum sg_rc	 sg_redis_send(struct sg_redis_sender *, int argc,
		    const char **argv, const size_t *len, size_t max_pending,
		    size_t *failed, struct sg_err *);
/* sg_redis_send without the write: the next send or flush writes it. */
enum sg_rc	 sg_redis_queue(struct sg_redis_sender *, int argc,
		    const char **argv, const size_t *len, size_t max_pending,
		    size_t *failed, struct sg_err *);
/* The queue written as far as the socket takes it; no reply read. */
enum sg_rc	 sg_redis_write(struct sg_redis_sender *, struct sg_err *);
/*
 * The queue written as far as the socket takes it and the replies
 * read, without waiting (no-op on a sender that never sent).
 */
enum sg_rc	 sg_redis_flush(struct sg_redis_sender *, size_t *failed,
		    struct sg_err *);
/* Bytes queued and not yet taken by the socket. */
size_t		 sg_redis_pending(const struct sg_redis_sender *);

#endif
