/* SPDX-License-Identifier: ISC */
/*
 * The blocking Redis client on the hiredis 0.14 synchronous API: the
 * URL, connect and reconnect, pipelines, the classification of error
 * replies (notes in redis.h), PING.  The non-blocking sender is
 * redis-send.c; both share struct sg_redis_conn (redis-private.h).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "crypto.h"
#include "hosts.h"
#include "clock.h"
#include "metrics.h"
#include "num.h"
#include "redis-private.h"

#define DFLT_PORT	6379

/* A blocking client: one connection, reconnected after any failure. */
struct sg_redis {
	struct sg_redis_conn	 conn;		/* first: sg_redis_conn_new */
};

/*
 * Error replies that say something about the server or the connection
 * (docs/security.md 6.3).  Matched on the whole first word, so that
 * "BUSYKEY" is not "BUSY".  Anything else is SG_EUPSTREAM "redis_error".
 */
static const struct {
	const char	*word;
	enum sg_rc	 rc;
	const char	*code;
} reply_errors[] = {
	{ "READONLY",	 SG_EUNAVAIL,	"redis_readonly" },
	{ "LOADING",	 SG_EUNAVAIL,	"redis_loading" },
	{ "BUSY",	 SG_EUNAVAIL,	"redis_busy" },
	{ "MASTERDOWN",	 SG_EUNAVAIL,	"redis_masterdown" },
	{ "OOM",	 SG_EUNAVAIL,	"redis_oom" },
	{ "MISCONF",	 SG_EUNAVAIL,	"redis_misconf" },
	{ "NOAUTH",	 SG_EUNAVAIL,	"redis_auth" },
	{ "WRONGPASS",	 SG_EUNAVAIL,	"redis_auth" },
	{ "NOPERM",	 SG_EUNAVAIL,	"redis_noperm" },
	{ "TRYAGAIN",	 SG_EUNAVAIL,	"redis_cluster" },
	{ "CLUSTERDOWN", SG_EUNAVAIL,	"redis_cluster" },
	{ "MOVED",	 SG_EUPSTREAM,	"redis_cluster" },
	{ "ASK",	 SG_EUPSTREAM,	"redis_cluster" }
};

/*
 * SIGPIPE: a write to a connection whose server died (always so on a
 * unix socket) raises SIGPIPE, whose default action kills the process,
 * and hiredis 0.14 writes with write(2), not send(MSG_NOSIGNAL).  A
 * library must not change the process's signal dispositions, so block
 * SIGPIPE in this thread around our I/O and swallow one that we caused,
 * as libcurl does (struct sg_redis_pipeguard, redis-private.h).  Four
 * system calls a call: in a process that ignores SIGPIPE (every
 * service, sg_serve sets it so and says so with sg_redis_pipe_ignored)
 * there is nothing to guard, and the guard costs nothing.
 */
static volatile sig_atomic_t redis_pipe_ignored;

void
sg_redis_pipe_ignored(int yes)
{
	redis_pipe_ignored = yes != 0;
}

void
sg_redis_guard_on(struct sg_redis_pipeguard *g)
{
	sigset_t	 set, pend;

	if ((g->off = redis_pipe_ignored) != 0)
		return;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	(void)pthread_sigmask(SIG_BLOCK, &set, &g->old);
	sigemptyset(&pend);
	g->pending = sigpending(&pend) == 0 && sigismember(&pend, SIGPIPE);
}

void
sg_redis_guard_off(struct sg_redis_pipeguard *g)
{
	sigset_t	 set, pend;
	struct timespec	 zero = { 0, 0 };

	if (g->off)
		return;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigemptyset(&pend);
	if (!g->pending && sigpending(&pend) == 0 &&
	    sigismember(&pend, SIGPIPE)) {
		while (sigtimedwait(&set, NULL, &zero) == -1 && errno == EINTR)
			continue;
	}
	(void)pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

static pid_t	 redis_pid;

static void
redis_forked(void)
{
	redis_pid = 0;
}

static void
redis_atfork(void)
{
	(void)pthread_atfork(NULL, NULL, redis_forked);
}

pid_t
sg_redis_self(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	if (redis_pid == 0) {
		(void)pthread_once(&once, redis_atfork);
		redis_pid = getpid();
	}
	return redis_pid;
}

/* ---- URL ------------------------------------------------------------ */

/*
 * Percent-decode (RFC 3986 2.1) len bytes of userinfo into a malloc'd
 * string.  Control characters, space, DEL, a stray '%' and "%00" are
 * refused.  Returns NULL with *bad set, or NULL on ENOMEM.
 */
static char *
pct_decode(const char *s, size_t len, int *bad)
{
	char	*out = NULL;
	size_t	 i, o = 0;
	int	 hi, lo;

	*bad = 0;
	if ((out = malloc(len + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		unsigned char	 c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f)
			goto bad;
		if (c == '%') {
			if (i + 2 >= len)
				goto bad;
			if ((hi = sg_hexval(s[i + 1])) < 0 ||
			    (lo = sg_hexval(s[i + 2])) < 0 || (hi == 0 && lo == 0))
				goto bad;
			out[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else
			out[o++] = (char)c;
	}
	out[o] = '\0';
	return out;
bad:
	sg_cleanse(out, len + 1);
	free(out);
	*bad = 1;
	return NULL;
}

/* A DNS name of LDH labels (RFC 1123 2.1), e.g. "localhost". */
static int
host_name_valid(const char *s, size_t len)
{
	size_t	 i, lab = 0;

	if (len == 0 || len > SG_HOST_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		char	 c = s[i];

		if (c == '.') {
			if (lab == 0 || s[i - 1] == '-')
				return 0;
			lab = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-'))
			return 0;
		if (c == '-' && lab == 0)
			return 0;
		if (++lab > 63)
			return 0;
	}
	return lab > 0 && s[len - 1] != '-';
}

/* A number of the URL in its one spelling (lib/num.h), lo..hi; -1 if not. */
long
sg_redis_url_num(const char *s, size_t len, long lo, long hi)
{
	int64_t	 v;

	return sg_num_parse_canon(s, len, lo, hi, &v) == 0 ? (long)v : -1;
}

enum sg_rc
sg_redis_bad_url(struct sg_err *err, const char *why)
{
	/* Never echo the URL: it may carry a password. */
	return sg_err_set(err, SG_EINVAL, "bad_redis_url", "SANDGATE_REDIS: %s",
	    why);
}

static enum sg_rc
bad_url(struct sg_err *err, const char *why)
{
	return sg_redis_bad_url(err, why);
}

/* "unix:/path[?db=N]" */
static enum sg_rc
parse_unix(struct sg_redis_conn *r, const char *p, struct sg_err *err)
{
	const char	*q;
	size_t		 len, i;

	q = strchr(p, '?');
	len = q != NULL ? (size_t)(q - p) : strlen(p);
	if (len == 0 || p[0] != '/')
		return bad_url(err, "unix socket path must be absolute");
	if (len >= sizeof(((struct sockaddr_un *)NULL)->sun_path))
		return bad_url(err, "unix socket path too long");
	for (i = 0; i < len; i++)
		if ((unsigned char)p[i] <= 0x20 || (unsigned char)p[i] >= 0x7f)
			return bad_url(err, "bad character in socket path");
	if (q != NULL) {
		if (strncmp(q, "?db=", 4) != 0)
			return bad_url(err, "only ?db=N may follow the path");
		if ((r->db = sg_redis_url_num(q + 4, strlen(q + 4), 0,
		    SG_REDIS_MAX_DB)) < 0)
			return bad_url(err, "bad database number");
	}
	if ((r->host = strndup(p, len)) == NULL)
		return sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
	r->is_unix = 1;
	return SG_OK;
}

/*
 * "[[user]:password@]": userinfo ends at the last '@' before end (a
 * database number or a master name cannot hold one, so a password may
 * even carry a raw '@' or '/').  *rest: what follows it.
 */
enum sg_rc
sg_redis_parse_userinfo(struct sg_redis_conn *r, const char *p,
    const char **rest, struct sg_err *err)
{
	const char	*at, *colon;
	int		 bad;

	*rest = p;
	if ((at = strrchr(p, '@')) == NULL)
		return SG_OK;
	if ((colon = memchr(p, ':', (size_t)(at - p))) == NULL)
		return bad_url(err, "userinfo must be [user]:password");
	if (colon > p) {
		r->user = pct_decode(p, (size_t)(colon - p), &bad);
		if (r->user == NULL)
			return bad ? bad_url(err, "bad user name") :
			    sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
	}
	if (at > colon + 1) {
		r->password = pct_decode(colon + 1, (size_t)(at - colon - 1),
		    &bad);
		if (r->password == NULL)
			return bad ? bad_url(err, "bad password "
			    "encoding") : sg_err_set(err, SG_ENOMEM, NULL,
			    "out of memory");
	}
	*rest = at + 1;
	return SG_OK;
}

/*
 * "host[:port]" at hp, ending at the first of stops (or the string's
 * end): a dotted-quad IPv4, "[IPv6]" or a DNS name; *host malloc'd,
 * *port dflt when absent; *rest points after it.
 */
enum sg_rc
sg_redis_parse_hostport(const char *hp, const char *stops, int dflt,
    char **host, int *port, const char **rest, struct sg_err *err)
{
	const char	*he, *r;
	char		 buf[SG_HOST_MAX + 1];
	unsigned char	 addr[16];
	struct in_addr	 ia;
	char		 hstops[8];
	size_t		 n;

	*host = NULL;
	if (strlen(stops) + 2 > sizeof(hstops))
		return bad_url(err, "internal: too many stops");
	hstops[0] = ':';
	(void)strlcpy(hstops + 1, stops, sizeof(hstops) - 1);
	if (*hp == '[') {
		if ((he = strchr(hp, ']')) == NULL)
			return bad_url(err, "unterminated [IPv6] address");
		n = (size_t)(he - hp - 1);
		if (n == 0 || n >= sizeof(buf))
			return bad_url(err, "bad IPv6 address");
		memcpy(buf, hp + 1, n);
		buf[n] = '\0';
		if (inet_pton(AF_INET6, buf, addr) != 1)
			return bad_url(err, "bad IPv6 address");
		r = he + 1;
	} else {
		he = hp + strcspn(hp, hstops);
		n = (size_t)(he - hp);
		if (n >= sizeof(buf) || !host_name_valid(hp, n))
			return bad_url(err, "bad host");
		memcpy(buf, hp, n);
		buf[n] = '\0';
		/*
		 * getaddrinfo() would read "127.1" or "0x7f000001" as an
		 * IPv4 address (inet_aton); accept dotted-quad only.
		 */
		if (inet_aton(buf, &ia) != 0 &&
		    inet_pton(AF_INET, buf, addr) != 1)
			return bad_url(err, "IPv4 address not dotted-quad");
		r = he;
	}
	*port = dflt;
	if (*r == ':') {
		he = r + 1 + strcspn(r + 1, stops);
		if ((*port = (int)sg_redis_url_num(r + 1,
		    (size_t)(he - r - 1), 1, 65535)) < 0)
			return bad_url(err, "bad port");
		r = he;
	}
	if (*r != '\0' && strchr(stops, *r) == NULL)
		return bad_url(err, "unexpected text after the host");
	if ((*host = strdup(buf)) == NULL)
		return sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
	*rest = r;
	return SG_OK;
}

/* "redis://[[user]:password@]host[:port][/db]" */
static enum sg_rc
parse_tcp(struct sg_redis_conn *r, const char *p, struct sg_err *err)
{
	const char	*hp, *rest;
	enum sg_rc	 rc;

	if ((rc = sg_redis_parse_userinfo(r, p, &hp, err)) != SG_OK)
		return rc;
	if ((rc = sg_redis_parse_hostport(hp, "/", DFLT_PORT, &r->host,
	    &r->port, &rest, err)) != SG_OK)
		return rc;
	if (*rest == '/') {
		rest++;
		if (*rest != '\0' && (r->db = sg_redis_url_num(rest,
		    strlen(rest), 0, SG_REDIS_MAX_DB)) < 0)
			return bad_url(err, "bad database number");
	}
	return SG_OK;
}

enum sg_rc
sg_redis_conn_parse(struct sg_redis_conn *r, const char *url, int timeout_ms,
    struct sg_err *err)
{
	enum sg_rc	 rc;

	memset(r, 0, sizeof(*r));
	if (url == NULL || *url == '\0')
		return bad_url(err, "empty");
	if (strlen(url) > SG_REDIS_URL_MAX)
		return bad_url(err, "too long");
	if (timeout_ms < 1 || timeout_ms > SG_REDIS_MAX_TIMEOUT_MS)
		return sg_err_set(err, SG_EINVAL, "bad_redis_timeout",
		    "redis timeout must be 1..%d ms", SG_REDIS_MAX_TIMEOUT_MS);
	r->timeout_ms = timeout_ms;
	r->tv.tv_sec = timeout_ms / 1000;
	r->tv.tv_usec = (timeout_ms % 1000) * 1000;

	if (strncmp(url, "redis://", 8) == 0)
		rc = parse_tcp(r, url + 8, err);
	else if (strncmp(url, "sentinel://", 11) == 0)
		rc = sg_redis_sentinel_parse(r, url + 11, err);
	else if (strncmp(url, "unix:", 5) == 0)
		rc = parse_unix(r, url + 5, err);
	else
		rc = bad_url(err, "scheme must be redis://, sentinel:// or "
		    "unix:");
	if (rc == SG_OK)
		rc = sg_redis_creds_env(r, err);
	if (rc != SG_OK)
		sg_redis_conn_clear(r);
	return rc;
}

void
sg_redis_conn_drop(struct sg_redis_conn *r)
{
	if (r->c != NULL) {
		/* In a forked child this only closes our copy of the fd. */
		redisFree(r->c);
		r->c = NULL;
	}
	r->ready = 0;
}

void
sg_redis_conn_clear(struct sg_redis_conn *r)
{
	sg_redis_conn_drop(r);
	if (r->password != NULL) {
		sg_cleanse(r->password, strlen(r->password));
		free(r->password);
	}
	if (r->user != NULL) {
		sg_cleanse(r->user, strlen(r->user));
		free(r->user);
	}
	free(r->host);
	r->host = r->user = r->password = NULL;
	sg_redis_sentinel_clear(r);
}

enum sg_rc
sg_redis_conn_new(size_t size, const char *url, int timeout_ms, void **out,
    struct sg_err *err)
{
	struct sg_redis_conn	*conn;
	enum sg_rc		 rc;

	*out = NULL;
	if ((conn = calloc(1, size)) == NULL)
		return sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
	if ((rc = sg_redis_conn_parse(conn, url, timeout_ms, err)) != SG_OK) {
		free(conn);
		return rc;
	}
	*out = conn;
	return SG_OK;
}

void
sg_redis_conn_free(void *obj)
{
	if (obj == NULL)
		return;
	sg_redis_conn_clear(obj);
	free(obj);
}

enum sg_rc
sg_redis_new(const char *url, int timeout_ms, struct sg_redis **out,
    struct sg_err *err)
{
	void		*p = NULL;
	enum sg_rc	 rc;

	if (out == NULL)
		return sg_err_set(err, SG_EINVAL, NULL, "no result pointer");
	rc = sg_redis_conn_new(sizeof(struct sg_redis), url, timeout_ms, &p,
	    err);
	*out = p;
	return rc;
}

void
sg_redis_free(struct sg_redis *r)
{
	sg_redis_conn_free(r);
}

/* ---- connection and commands ----------------------------------------- */

/*
 * A context error (hiredis sets c->err; the context is then unusable):
 * classify it and drop the context.  e is errno right after the call.
 */
enum sg_rc
sg_redis_conn_error(struct sg_redis_conn *r, int e, int connecting,
    struct sg_err *err)
{
	enum sg_rc	 rc;
	int		 kind = r->c != NULL ? r->c->err : REDIS_ERR_OTHER;
	const char	*what = r->c != NULL ? r->c->errstr : "no context";
	/*
	 * SO_RCVTIMEO/SO_SNDTIMEO expiry reads as EAGAIN; the connect
	 * timeout (poll() in hiredis) as ETIMEDOUT.
	 */
	int		 timeout = e == EAGAIN || e == EWOULDBLOCK ||
			    e == ETIMEDOUT || e == EINPROGRESS;

	r->lost = !connecting && (kind == REDIS_ERR_EOF ||
	    (kind == REDIS_ERR_IO && !timeout));
	switch (kind) {
	case REDIS_ERR_IO:
		if (timeout)
			rc = sg_err_set(err, SG_ETIMEOUT, "redis_timeout",
			    "redis did not answer within %d ms", r->timeout_ms);
		else
			rc = sg_err_set(err, SG_EUNAVAIL, connecting ?
			    "redis_connect" : "redis_io", "redis %s: %.80s",
			    connecting ? "connect" : "i/o", what);
		break;
	case REDIS_ERR_EOF:
		rc = sg_err_set(err, SG_EUNAVAIL, "redis_eof",
		    "redis closed the connection");
		break;
	case REDIS_ERR_PROTOCOL:
		rc = sg_err_set(err, SG_EUPSTREAM, "redis_protocol",
		    "redis protocol error: %.80s", what);
		break;
	case REDIS_ERR_OOM:
		rc = sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
		break;
	default:
		rc = sg_err_set(err, SG_EUNAVAIL, connecting ?
		    "redis_connect" : "redis_io", "redis %s: %.80s",
		    connecting ? "connect" : "error", what);
		break;
	}
	sg_redis_conn_drop(r);
	return rc;
}

/*
 * Classify an error reply; dflt/dcode for words not in the table.  Only
 * the first word goes into the message: the rest may echo arguments.
 */
static enum sg_rc
reply_error(const redisReply *rep, enum sg_rc dflt, const char *dcode,
    struct sg_err *err)
{
	char	 word[24];
	size_t	 i, n = 0;

	for (i = 0; i < rep->len && n < sizeof(word) - 1; i++) {
		char	 c = rep->str[i];

		if (c == ' ')
			break;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '_'))
			c = '?';
		word[n++] = c;
	}
	word[n] = '\0';
	for (i = 0; i < sizeof(reply_errors) / sizeof(reply_errors[0]); i++)
		if (strcmp(word, reply_errors[i].word) == 0)
			return sg_err_set(err, reply_errors[i].rc,
			    reply_errors[i].code, "redis answered %s", word);
	return sg_err_set(err, dflt, dcode, "redis answered %s", word);
}

int
sg_redis_is_status(const redisReply *rep, const char *want)
{
	return rep != NULL && rep->type == REDIS_REPLY_STATUS &&
	    rep->len == strlen(want) && memcmp(rep->str, want, rep->len) == 0;
}

/* A reply of the wrong shape to what on a live connection. */
static enum sg_rc
conn_unexpected(struct sg_redis_conn *r, const char *what,
    struct sg_err *err)
{
	/* The reply stream may be out of step with us now: start afresh. */
	sg_redis_conn_drop(r);
	return sg_err_set(err, SG_EUPSTREAM, "redis_reply",
	    "unexpected redis reply to %s", what);
}

enum sg_rc
sg_redis_unexpected(struct sg_redis *r, const char *what, struct sg_err *err)
{
	return conn_unexpected(&r->conn, what, err);
}

void
sg_redis_free_replies(redisReply **rep, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (rep[i] != NULL)
			freeReplyObject(rep[i]);
		rep[i] = NULL;
	}
}

/*
 * Pipeline n commands on the live context and read n replies.  Any error
 * reply, also one inside an EXEC array, fails the whole pipeline unless
 * keep_errors is set: the first one is classified and the context is
 * dropped, so that a half-done MULTI, a demoted master or a lost AUTH
 * never outlives it.  On failure no replies are left to free.
 */
static enum sg_rc
pipeline(struct sg_redis_conn *r, const struct sg_redis_cmd *cmds, size_t n,
    redisReply **rep, int connecting, struct sg_err *err)
{
	enum sg_rc	 rc = SG_OK;
	void		*v;
	size_t		 i, j;

	for (i = 0; i < n; i++)
		rep[i] = NULL;
	for (i = 0; i < n; i++) {
		errno = 0;
		if (redisAppendCommandArgv(r->c, cmds[i].argc, cmds[i].argv,
		    cmds[i].len) != REDIS_OK) {
			rc = sg_redis_conn_error(r, errno, connecting, err);
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		v = NULL;
		errno = 0;
		if (redisGetReply(r->c, &v) != REDIS_OK || v == NULL) {
			rc = sg_redis_conn_error(r, errno, connecting, err);
			goto out;
		}
		rep[i] = v;
	}
	if (connecting)
		goto out;
	for (i = 0; i < n; i++) {
		if (rep[i]->type == REDIS_REPLY_ERROR) {
			rc = reply_error(rep[i], SG_EUPSTREAM, "redis_error",
			    err);
			sg_redis_conn_drop(r);
			goto out;
		}
		if (rep[i]->type != REDIS_REPLY_ARRAY)
			continue;
		for (j = 0; j < rep[i]->elements; j++) {
			if (rep[i]->element[j] != NULL &&
			    rep[i]->element[j]->type == REDIS_REPLY_ERROR) {
				rc = reply_error(rep[i]->element[j],
				    SG_EUPSTREAM, "redis_error", err);
				sg_redis_conn_drop(r);
				goto out;
			}
		}
	}
out:
	if (rc != SG_OK)
		sg_redis_free_replies(rep, n);
	return rc;
}

/*
 * A fresh blocking context, bounded by timeout_ms.  A context inherited
 * over fork() would share the parent's socket: it is dropped first.
 */
enum sg_rc
sg_redis_conn_open(struct sg_redis_conn *r, struct sg_err *err)
{
	int	 e;

	sg_redis_conn_drop(r);
	if (r->is_sentinel)
		return sg_redis_sentinel_open(r, err);
	errno = 0;
	if (r->is_unix)
		r->c = redisConnectUnixWithTimeout(r->host, r->tv);
	else
		r->c = redisConnectWithTimeout(r->host, r->port, r->tv);
	e = errno;
	if (r->c == NULL)
		return sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
	r->pid = sg_redis_self();
	if (r->c->err != 0)
		return sg_redis_conn_error(r, e, 1, err);
	return SG_OK;
}

void
sg_redis_conn_hello(const struct sg_redis_conn *r, struct sg_redis_hello *h)
{
	int	 a = 0;

	h->n = 0;
	h->auth_first = r->password != NULL;
	if (r->password != NULL) {
		h->auth[a++] = "AUTH";
		if (r->user != NULL)
			h->auth[a++] = r->user;
		h->auth[a++] = r->password;
		h->cmd[h->n].argc = a;
		h->cmd[h->n].argv = h->auth;
		h->cmd[h->n].len = NULL;
		h->n++;
	}
	if (r->db != 0) {
		(void)snprintf(h->db, sizeof(h->db), "%ld", r->db);
		h->sel[0] = "SELECT";
		h->sel[1] = h->db;
		h->cmd[h->n].argc = 2;
		h->cmd[h->n].argv = h->sel;
		h->cmd[h->n].len = NULL;
		h->n++;
	}
}

/*
 * Connect if there is no live context: connect timeout, command timeout,
 * then AUTH and SELECT, pipelined.
 */
static enum sg_rc
connect_ctx(struct sg_redis_conn *r, struct sg_err *err)
{
	redisReply	*rep[2] = { NULL, NULL };
	struct sg_redis_hello h;
	size_t		 i;
	enum sg_rc	 rc = SG_OK;

	if (r->c != NULL && r->pid == sg_redis_self())
		return SG_OK;
	if ((rc = sg_redis_conn_open(r, err)) != SG_OK)
		return rc;
	if (r->ready)
		return SG_OK;
	errno = 0;
	if (redisSetTimeout(r->c, r->tv) != REDIS_OK)
		return sg_redis_conn_error(r, errno, 1, err);

	sg_redis_conn_hello(r, &h);
	if (h.n == 0)
		return SG_OK;
	if ((rc = pipeline(r, h.cmd, h.n, rep, 1, err)) != SG_OK)
		return rc;
	for (i = 0; i < h.n; i++) {
		int	 is_auth = i == 0 && h.auth_first;

		if (rep[i]->type == REDIS_REPLY_ERROR) {
			/*
			 * Redis < 6 answers a wrong password with "ERR invalid
			 * password", later ones with WRONGPASS; an AUTH with
			 * no password set on the server is an ERR too.  All
			 * are redis_auth.  An error for SELECT is a database
			 * number the server does not have.
			 */
			rc = reply_error(rep[i], SG_EUNAVAIL, is_auth ?
			    "redis_auth" : "redis_select", err);
			sg_redis_conn_drop(r);
			break;
		}
		if (!sg_redis_is_status(rep[i], "OK")) {
			rc = conn_unexpected(r, is_auth ? "AUTH" : "SELECT",
			    err);
			break;
		}
	}
	sg_redis_free_replies(rep, h.n);
	return rc;
}

/*
 * Connect when needed and run a pipeline, with SIGPIPE held off.  Every
 * round trip is counted, timed and, when it fails, counted by reason
 * (lib/metrics.h; a no-op without SANDGATE_METRICS_DIR).
 *
 * A connection opened by an earlier call may have been closed by the
 * server since (Redis restarted, its idle timeout, a failover): the
 * first write or read then meets EOF or an I/O error such as EPIPE or
 * ECONNRESET.  That pipeline is run once more on a fresh connection, so
 * a restart costs no request.  Not after an error reply, a timeout (the
 * server may be busy with it) or a failure on a connection this call
 * opened.  Every pipeline here may run twice (session.h).
 */
enum sg_rc
sg_redis_run(struct sg_redis *rd, const struct sg_redis_cmd *cmds, size_t n,
    redisReply **rep, struct sg_err *err)
{
	struct sg_redis_conn *r = &rd->conn;
	struct sg_redis_pipeguard g;
	struct sg_err	 e;
	int64_t		 t0 = sg_now_us();
	enum sg_rc	 rc;
	size_t		 i;
	int		 reused;

	for (i = 0; i < n; i++)
		rep[i] = NULL;
	sg_err_clear(&e);
	sg_redis_guard_on(&g);
	reused = r->c != NULL && r->pid == sg_redis_self();
	r->lost = 0;
	if ((rc = connect_ctx(r, &e)) == SG_OK)
		rc = pipeline(r, cmds, n, rep, 0, &e);
	/*
	 * Behind sentinels, a master that was demoted answers READONLY (or
	 * MASTERDOWN): nothing of the pipeline was written (a MULTI aborts
	 * whole), so ask the sentinels again and run it on the new master.
	 */
	if (rc != SG_OK && reused && (r->lost || (r->is_sentinel &&
	    e.code != NULL && (strcmp(e.code, "redis_readonly") == 0 ||
	    strcmp(e.code, "redis_masterdown") == 0)))) {
		sg_err_clear(&e);
		if ((rc = connect_ctx(r, &e)) == SG_OK)
			rc = pipeline(r, cmds, n, rep, 0, &e);
	}
	r->lost = 0;
	sg_redis_guard_off(&g);
	sg_metrics_add(SG_M_REDIS_CALLS, 1);
	sg_metrics_observe(SG_M_REDIS_SECONDS, sg_now_us() - t0);
	if (rc != SG_OK) {
		sg_metrics_add(SG_M_REDIS_ERRORS, 1, e.code);
		(void)sg_err_set(err, e.rc, e.code, "%s", e.msg);
	}
	return rc;
}

enum sg_rc
sg_redis_run1(struct sg_redis *r, int argc, const char **argv,
    redisReply **rep, struct sg_err *err)
{
	struct sg_redis_cmd  c;

	c.argc = argc;
	c.argv = argv;
	c.len = NULL;
	return sg_redis_run(r, &c, 1, rep, err);
}

void
sg_redis_set_wait(struct sg_redis *r, int replicas, int timeout_ms)
{
	if (r == NULL)
		return;
	r->conn.wait_replicas = replicas > 0 ? replicas : 0;
	r->conn.wait_ms = timeout_ms > 0 ? timeout_ms : 1;
}

int
sg_redis_wait_replicas(const struct sg_redis *r, int *timeout_ms)
{
	*timeout_ms = r->conn.wait_ms;
	return r->conn.wait_replicas;
}

enum sg_rc
sg_redis_ping(struct sg_redis *r, struct sg_err *err)
{
	const char	*argv[] = { "PING" };
	redisReply	*rep = NULL;
	enum sg_rc	 rc;

	if (r == NULL)
		return sg_err_set(err, SG_EINVAL, NULL, "no redis");
	if ((rc = sg_redis_run1(r, 1, argv, &rep, err)) != SG_OK)
		return rc;
	if (!sg_redis_is_status(rep, "PONG"))
		rc = sg_redis_unexpected(r, "PING", err);
	freeReplyObject(rep);
	return rc;
}
