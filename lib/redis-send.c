/* SPDX-License-Identifier: ISC */
/*
 * The non-blocking Redis sender (redis.h, sg_redis_send): fire-and-forget
 * commands for the audit trail.  Its own type, so that a non-blocking
 * context never reaches the blocking calls of redis.c.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "redis-private.h"

struct sg_redis_sender {
	struct sg_redis_conn	 conn;		/* first: sg_redis_conn_new */
	int64_t		 retry_at_us;	/* no connect before (backoff) */
	unsigned	 undrained;	/* commands since the last drain */
};

/* ---- fire-and-forget sender (the audit trail) ----------------------- */

#define SEND_BACKOFF_US	1000000	/* no reconnect within 1 s of a failure */
#define SEND_READS	8	/* reads of up to 16 KiB per drain */
/*
 * Replies (about 25 bytes each) are read every SEND_DRAIN_EVERY commands,
 * not after each: one read(2) less per command.  They wait in the
 * socket's receive buffer meanwhile; a dead server still shows at the
 * next write.
 */
#define SEND_DRAIN_EVERY 32

static enum sg_rc	 send_cmd(struct sg_redis_sender *, int,
			    const char **, const size_t *, size_t, int,
			    size_t *, struct sg_err *);

enum sg_rc
sg_redis_sender_new(const char *url, int timeout_ms,
    struct sg_redis_sender **out, struct sg_err *err)
{
	void		*p = NULL;
	enum sg_rc	 rc;

	if (out == NULL)
		return sg_err_set(err, SG_EINVAL, NULL, "no result pointer");
	/* conn is the first member (redis-private.h). */
	rc = sg_redis_conn_new(sizeof(struct sg_redis_sender), url,
	    timeout_ms, &p, err);
	*out = p;
	return rc;
}

void
sg_redis_sender_free(struct sg_redis_sender *rs)
{
	sg_redis_conn_free(rs);
}

static void
send_fail(struct sg_redis_sender *rs)
{
	sg_redis_conn_drop(&rs->conn);
	rs->retry_at_us = sg_now_us() + SEND_BACKOFF_US;
}

/*
 * Connect (bounded by timeout_ms), queue AUTH and SELECT without waiting
 * for their answers, then make the socket non-blocking.  On a loopback
 * or unix socket the connect itself does not wait even when the server
 * is stopped (the kernel completes it); an unreachable host costs at
 * most timeout_ms, then nothing for SEND_BACKOFF_US.
 */
static enum sg_rc
send_connect(struct sg_redis_sender *rs, struct sg_err *err)
{
	struct sg_redis_conn *r = &rs->conn;
	struct sg_redis_hello h;
	size_t		 i;
	int		 fl;
	enum sg_rc	 rc;

	if (r->c != NULL && r->pid == sg_redis_self())
		return SG_OK;
	sg_redis_conn_drop(r);
	if (rs->retry_at_us != 0 && sg_now_us() < rs->retry_at_us)
		return sg_err_set(err, SG_EUNAVAIL, "redis_backoff",
		    "redis failed recently; not retrying yet");
	if ((rc = sg_redis_conn_open(r, err)) != SG_OK) {
		/* Out of memory is no reason to wait for the server. */
		if (rc != SG_ENOMEM)
			send_fail(rs);
		return rc;
	}
	/* Behind sentinels the open has sent AUTH, SELECT and ROLE already. */
	h.n = 0;
	if (!r->ready)
		sg_redis_conn_hello(r, &h);
	for (i = 0; i < h.n; i++)
		if (redisAppendCommandArgv(r->c, h.cmd[i].argc, h.cmd[i].argv,
		    NULL) != REDIS_OK)
			goto fail;
	/* From here on no call may wait: hiredis honours REDIS_BLOCK. */
	if ((fl = fcntl(r->c->fd, F_GETFL)) == -1 ||
	    fcntl(r->c->fd, F_SETFL, fl | O_NONBLOCK) == -1)
		goto fail;
	r->c->flags &= ~REDIS_BLOCK;
	return SG_OK;
fail:
	send_fail(rs);
	return sg_err_set(err, SG_EUNAVAIL, "redis_connect",
	    "cannot set up the redis connection");
}

/* Read and discard the replies that have arrived; count error replies. */
static enum sg_rc
send_drain(struct sg_redis_sender *rs, size_t *failed,
    struct sg_err *err)
{
	struct sg_redis_conn *r = &rs->conn;
	void		*v;
	redisReply	*rep;
	int		 i, got;

	for (i = 0; i < SEND_READS; i++) {
		errno = 0;
		if (redisBufferRead(r->c) != REDIS_OK) {
			(void)sg_redis_conn_error(r, errno, 0, err);
			send_fail(rs);
			return err != NULL ? err->rc : SG_EUNAVAIL;
		}
		got = 0;
		for (;;) {
			v = NULL;
			if (redisGetReplyFromReader(r->c, &v) != REDIS_OK) {
				(void)sg_redis_conn_error(r, errno, 0, err);
				send_fail(rs);
				return err != NULL ? err->rc : SG_EUPSTREAM;
			}
			if (v == NULL)
				break;
			rep = v;
			if (rep->type == REDIS_REPLY_ERROR && failed != NULL)
				(*failed)++;
			freeReplyObject(rep);
			got++;
		}
		if (got == 0)
			break;
	}
	return SG_OK;
}

enum sg_rc
sg_redis_send(struct sg_redis_sender *rs, int argc, const char **argv,
    const size_t *len, size_t max_pending, size_t *failed,
    struct sg_err *err)
{
	return send_cmd(rs, argc, argv, len, max_pending, 1, failed, err);
}

enum sg_rc
sg_redis_queue(struct sg_redis_sender *rs, int argc, const char **argv,
    const size_t *len, size_t max_pending, size_t *failed,
    struct sg_err *err)
{
	return send_cmd(rs, argc, argv, len, max_pending, 0, failed, err);
}

/* Queue one command; with flush, write what the socket takes. */
static enum sg_rc
send_cmd(struct sg_redis_sender *rs, int argc, const char **argv,
    const size_t *len, size_t max_pending, int flush, size_t *failed,
    struct sg_err *err)
{
	struct sg_redis_conn *r;
	struct sg_redis_pipeguard g;
	enum sg_rc	 rc;
	int		 done = 0;

	if (failed != NULL)
		*failed = 0;
	if (rs == NULL || argc < 1)
		return sg_err_set(err, SG_EINVAL, NULL, "no command");
	r = &rs->conn;
	sg_redis_guard_on(&g);
	if ((rc = send_connect(rs, err)) != SG_OK)
		goto out;
	if (++rs->undrained >= SEND_DRAIN_EVERY) {
		rs->undrained = 0;
		if ((rc = send_drain(rs, failed, err)) != SG_OK)
			goto out;
	}
	/* Redis stopped or slow: the backlog is capped, the line dropped. */
	if (sdslen(r->c->obuf) > max_pending) {
		rc = sg_err_set(err, SG_ETOOBIG, "redis_backlog",
		    "redis is not reading; %zu bytes pending",
		    sdslen(r->c->obuf));
		goto out;
	}
	errno = 0;
	if (redisAppendCommandArgv(r->c, argc, argv, len) != REDIS_OK ||
	    (flush && redisBufferWrite(r->c, &done) != REDIS_OK)) {
		rc = sg_redis_conn_error(r, errno, 0, err);
		send_fail(rs);
		goto out;
	}
	rc = SG_OK;
out:
	sg_redis_guard_off(&g);
	return rc;
}

/* A connection of this process to flush or write to. */
static int
send_live(const struct sg_redis_sender *rs)
{
	return rs != NULL && rs->conn.c != NULL &&
	    rs->conn.pid == sg_redis_self();
}

/* Write what the socket takes (inside the pipe guard). */
static enum sg_rc
send_write(struct sg_redis_sender *rs, struct sg_err *err)
{
	struct sg_redis_conn *r = &rs->conn;
	enum sg_rc	 rc = SG_OK;
	int		 done = 0;

	errno = 0;
	if (sdslen(r->c->obuf) > 0 && redisBufferWrite(r->c, &done) !=
	    REDIS_OK) {
		rc = sg_redis_conn_error(r, errno, 0, err);
		send_fail(rs);
	}
	return rc;
}

enum sg_rc
sg_redis_flush(struct sg_redis_sender *rs, size_t *failed,
    struct sg_err *err)
{
	struct sg_redis_pipeguard g;
	enum sg_rc	 rc;

	if (failed != NULL)
		*failed = 0;
	if (!send_live(rs))
		return SG_OK;
	sg_redis_guard_on(&g);
	if ((rc = send_drain(rs, failed, err)) == SG_OK)
		rc = send_write(rs, err);
	sg_redis_guard_off(&g);
	return rc;
}

enum sg_rc
sg_redis_write(struct sg_redis_sender *rs, struct sg_err *err)
{
	struct sg_redis_pipeguard g;
	enum sg_rc	 rc;

	if (!send_live(rs) || sdslen(rs->conn.c->obuf) == 0)
		return SG_OK;
	sg_redis_guard_on(&g);
	rc = send_write(rs, err);
	sg_redis_guard_off(&g);
	return rc;
}

size_t
sg_redis_pending(const struct sg_redis_sender *rs)
{
	const struct sg_redis_conn *r;

	if (rs == NULL || (r = &rs->conn)->c == NULL ||
	    r->c->obuf == NULL)
		return 0;
	return sdslen(r->c->obuf);
}

