/* SPDX-License-Identifier: ISC */
/*
 * Redis Sentinel discovery on hiredis 0.14, which has none: the
 * "sentinel://" URL, and the open that finds the master.  Sentinel's
 * client protocol (https://redis.io/docs/reference/sentinel-clients/):
 * ask a sentinel SENTINEL get-master-addr-by-name <name>, connect to the
 * address it gives, and check with ROLE that the server there really is
 * a master (a sentinel may be partitioned or behind, and a demoted
 * master comes back as a replica): a replica is never written to.  The
 * first sentinel that answers with an address that proves to be a
 * master wins; the next open starts with it.
 *
 * When to ask again: every open does, and redis.c opens after any
 * failure (a connection error, a timeout, any error reply; READONLY and
 * MASTERDOWN are error replies, and sg_redis_run runs the pipeline once
 * more on the new master when the connection was an old one).  So a
 * failover costs the requests that meet the gap - they fail closed, as
 * with a stopped Redis - and no restart.
 *
 * Bounds: each connect and each command is bounded by the client's
 * timeout_ms, and one open asks every sentinel at most once, so an open
 * waits at most n x (2 connects + 2 round trips) x timeout_ms; on
 * loopback or with sentinels that refuse, far less.  Sentinels are asked
 * without AUTH (their own requirepass is not supported); the master gets
 * the URL's credentials.  The master's address must be an IP literal.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "redis-private.h"

#define SENTINEL_PORT	26379	/* redis-sentinel's default */
#define MASTER_NAME_MAX	64

/* The master name: what sentinel.conf's "sentinel monitor" takes. */
static int
master_name_valid(const char *s, size_t n)
{
	size_t	 i;

	if (n == 0 || n > MASTER_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char	 c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.'))
			return 0;
	}
	return 1;
}

enum sg_rc
sg_redis_sentinel_parse(struct sg_redis_conn *r, const char *p,
    struct sg_err *err)
{
	const char	*hp, *rest, *name;
	size_t		 n;
	enum sg_rc	 rc;

	if ((rc = sg_redis_parse_userinfo(r, p, &hp, err)) != SG_OK)
		return rc;
	r->is_sentinel = 1;
	for (;;) {
		if (r->n_sentinels == SG_REDIS_MAX_SENTINELS)
			return sg_redis_bad_url(err, "more than 8 sentinels");
		if ((rc = sg_redis_parse_hostport(hp, ",/", SENTINEL_PORT,
		    &r->sentinel_host[r->n_sentinels],
		    &r->sentinel_port[r->n_sentinels], &rest, err)) != SG_OK)
			return rc;
		r->n_sentinels++;
		if (*rest != ',')
			break;
		hp = rest + 1;
	}
	if (*rest != '/')
		return sg_redis_bad_url(err, "sentinel:// needs /master-name "
		    "after the sentinels");
	name = rest + 1;
	n = strcspn(name, "/");
	if (!master_name_valid(name, n))
		return sg_redis_bad_url(err, "bad master name (1..64 of "
		    "A-Z a-z 0-9 . _ -)");
	if ((r->master_name = strndup(name, n)) == NULL)
		return sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
	rest = name + n;
	if (*rest == '/' && (r->db = sg_redis_url_num(rest + 1,
	    strlen(rest + 1), 0, SG_REDIS_MAX_DB)) < 0)
		return sg_redis_bad_url(err, "bad database number");
	return SG_OK;
}

void
sg_redis_sentinel_clear(struct sg_redis_conn *r)
{
	size_t	 i;

	for (i = 0; i < r->n_sentinels; i++) {
		free(r->sentinel_host[i]);
		r->sentinel_host[i] = NULL;
	}
	r->n_sentinels = 0;
	free(r->master_name);
	r->master_name = NULL;
}

/* A bulk string element that is an IP address literal, into buf. */
static int
reply_addr(const redisReply *e, char *buf, size_t bufsz)
{
	unsigned char	 a[16];

	if (e == NULL || e->type != REDIS_REPLY_STRING || e->len == 0 ||
	    e->len >= bufsz)
		return 0;
	memcpy(buf, e->str, e->len);
	buf[e->len] = '\0';
	return inet_pton(AF_INET, buf, a) == 1 ||
	    inet_pton(AF_INET6, buf, a) == 1;
}

/* Ask sentinel i where the master is: *host (IP literal) and *port. */
static enum sg_rc
ask(struct sg_redis_conn *r, size_t i, char *host, size_t hostsz, int *port,
    struct sg_err *err)
{
	const char	*argv[3];
	redisContext	*c;
	redisReply	*rep = NULL;
	enum sg_rc	 rc;

	argv[0] = "SENTINEL";
	argv[1] = "get-master-addr-by-name";
	argv[2] = r->master_name;
	c = redisConnectWithTimeout(r->sentinel_host[i], r->sentinel_port[i],
	    r->tv);
	if (c == NULL)
		return sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
	if (c->err != 0 || redisSetTimeout(c, r->tv) != REDIS_OK) {
		rc = sg_err_set(err, SG_EUNAVAIL, "redis_sentinel",
		    "sentinel %zu: %.60s", i + 1, c->errstr);
		goto out;
	}
	if ((rep = redisCommandArgv(c, 3, argv, NULL)) == NULL) {
		rc = sg_err_set(err, SG_EUNAVAIL, "redis_sentinel",
		    "sentinel %zu did not answer: %.60s", i + 1, c->errstr);
		goto out;
	}
	if (rep->type == REDIS_REPLY_NIL) {
		rc = sg_err_set(err, SG_EUNAVAIL, "redis_sentinel",
		    "sentinel %zu does not monitor that master", i + 1);
		goto out;
	}
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 ||
	    !reply_addr(rep->element[0], host, hostsz) ||
	    rep->element[1]->type != REDIS_REPLY_STRING ||
	    (*port = (int)sg_redis_url_num(rep->element[1]->str,
	    rep->element[1]->len, 1, 65535)) < 0) {
		rc = sg_err_set(err, SG_EUPSTREAM, "redis_sentinel",
		    "sentinel %zu: unexpected answer", i + 1);
		goto out;
	}
	rc = SG_OK;
out:
	if (rep != NULL)
		freeReplyObject(rep);
	redisFree(c);
	return rc;
}

/* ROLE's answer: an array whose first element is "master". */
static int
is_master(const redisReply *rep)
{
	const redisReply *e;

	if (rep == NULL || rep->type != REDIS_REPLY_ARRAY ||
	    rep->elements < 1)
		return 0;
	e = rep->element[0];
	return e != NULL && (e->type == REDIS_REPLY_STRING ||
	    e->type == REDIS_REPLY_STATUS) && e->len == 6 &&
	    memcmp(e->str, "master", 6) == 0;
}

/*
 * Connect to host:port, send AUTH and SELECT (sg_redis_conn_hello) and
 * ROLE in one pipeline; keep the context only when every answer is
 * right and ROLE says master.
 */
static enum sg_rc
open_master(struct sg_redis_conn *r, const char *host, int port,
    struct sg_err *err)
{
	const char	*role[] = { "ROLE" };
	struct sg_redis_hello h;
	redisReply	*rep;
	void		*v;
	size_t		 i;
	enum sg_rc	 rc = SG_OK;
	int		 e;

	errno = 0;
	r->c = redisConnectWithTimeout(host, port, r->tv);
	e = errno;
	if (r->c == NULL)
		return sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
	r->pid = sg_redis_self();
	if (r->c->err != 0)
		return sg_redis_conn_error(r, e, 1, err);
	errno = 0;
	if (redisSetTimeout(r->c, r->tv) != REDIS_OK)
		return sg_redis_conn_error(r, errno, 1, err);
	sg_redis_conn_hello(r, &h);
	for (i = 0; i < h.n; i++)
		if (redisAppendCommandArgv(r->c, h.cmd[i].argc, h.cmd[i].argv,
		    h.cmd[i].len) != REDIS_OK)
			return sg_redis_conn_error(r, errno, 1, err);
	if (redisAppendCommandArgv(r->c, 1, role, NULL) != REDIS_OK)
		return sg_redis_conn_error(r, errno, 1, err);
	for (i = 0; i <= h.n && rc == SG_OK; i++) {
		v = NULL;
		errno = 0;
		if (redisGetReply(r->c, &v) != REDIS_OK || v == NULL)
			return sg_redis_conn_error(r, errno, 1, err);
		rep = v;
		if (i < h.n && !sg_redis_is_status(rep, "OK"))
			rc = sg_err_set(err, SG_EUNAVAIL, i == 0 &&
			    h.auth_first ? "redis_auth" : "redis_select",
			    "the master refused %s", i == 0 && h.auth_first ?
			    "AUTH" : "SELECT");
		else if (i == h.n && !is_master(rep))
			rc = sg_err_set(err, SG_EUNAVAIL, "redis_not_master",
			    "the server the sentinel named is not a master");
		freeReplyObject(rep);
	}
	if (rc != SG_OK)
		sg_redis_conn_drop(r);
	return rc;
}

enum sg_rc
sg_redis_sentinel_open(struct sg_redis_conn *r, struct sg_err *err)
{
	char		 host[INET6_ADDRSTRLEN];
	struct sg_err	 e, cred;
	size_t		 k, i;
	enum sg_rc	 rc;
	int		 port = 0;

	sg_err_clear(&e);
	sg_err_clear(&cred);
	for (k = 0; k < r->n_sentinels; k++) {
		i = (r->sentinel_next + k) % r->n_sentinels;
		sg_err_clear(&e);
		if ((rc = ask(r, i, host, sizeof(host), &port, &e)) == SG_OK)
			rc = open_master(r, host, port, &e);
		if (rc == SG_ENOMEM)
			return sg_err_set(err, rc, NULL, "out of memory");
		if (rc == SG_OK) {
			r->sentinel_next = i;
			r->ready = 1;
			return SG_OK;
		}
		/* A master that refuses our credentials: say that. */
		if (e.code != NULL && strcmp(e.code, "redis_auth") == 0)
			cred = e;
	}
	if (cred.code != NULL)
		return sg_err_set(err, cred.rc, cred.code, "%s", cred.msg);
	return sg_err_set(err, SG_EUNAVAIL, "redis_no_master",
	    "no sentinel of %zu named a master that answers as one (last: "
	    "%.60s)", r->n_sentinels, e.msg);
}
