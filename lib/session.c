/*
 * Sessions in Redis on the hiredis 0.14 synchronous API.  See session.h
 * for the contract and the behaviour decisions; DESIGN.md (Sessions) for
 * the key layout, and notes/security.md 6.3 for the error replies a
 * client must classify.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "compat.h"
#include "crypto.h"
#include "hosts.h"
#include "json.h"
#include "clock.h"
#include "log.h"
#include "metrics.h"
#include "session.h"

#define KEY_MAX		(sizeof(SG_SESSION_KEY_PREFIX) + SG_ID_MAX + 1)
#define TS_MAX		((int64_t)1 << 40)	/* times in (0, 2^40) */
#define DFLT_PORT	6379

/*
 * c is NULL until the first call and after every failure; pid is the
 * process that opened it.  host is a name or address, or the socket path
 * when is_unix.  user (Redis 6 ACL) and password are NULL when not set;
 * both are wiped on free.
 */
struct sg_redis {
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
	/* sg_redis_send only: the context is non-blocking */
	int		 async;
	int64_t		 retry_at_us;	/* no connect before (backoff) */
	unsigned	 undrained;	/* commands since the last drain */
	/* set by ctx_error: the server closed the connection (EOF, I/O) */
	int		 lost;
};

/* One command of a pipeline. */
struct cmd {
	int		 argc;
	const char	**argv;
	const size_t	*len;
};

/* The members of the stored object, in the contract's order. */
enum member {
	M_CONTAINER_ID,
	M_USER_ID,
	M_ORG,
	M_JTI,
	M_TOKEN_SHA256,
	M_ALLOWED_HOSTS,
	M_CONTAINER_IP,
	M_DOCKER_ID,
	M_IMAGE,
	M_CREATED_AT,
	M_EXPIRES_AT,
	M_COUNT
};

static const char *const member_names[M_COUNT] = {
	"container_id",
	"user_id",
	"organization_uuid",
	"jti",
	"token_sha256",
	"allowed_hosts",
	"container_ip",
	"docker_id",
	"image",
	"created_at",
	"expires_at"
};

/*
 * Error replies that say something about the server or the connection
 * (notes/security.md 6.3).  Matched on the whole first word, so that
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
 * as libcurl does.
 */
struct pipeguard {
	sigset_t	 old;
	int		 pending;
};

static void
guard_on(struct pipeguard *g)
{
	sigset_t	 set, pend;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	(void)pthread_sigmask(SIG_BLOCK, &set, &g->old);
	sigemptyset(&pend);
	g->pending = sigpending(&pend) == 0 && sigismember(&pend, SIGPIPE);
}

static void
guard_off(struct pipeguard *g)
{
	sigset_t	 set, pend;
	struct timespec	 zero = { 0, 0 };

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

/* ---- URL ------------------------------------------------------------ */

static int
is_digits(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* Decimal without sign or leading zero, lo..hi; -1 if not. */
static long
parse_dec(const char *s, size_t len, long lo, long hi)
{
	long	 v = 0;
	size_t	 i;

	if (!is_digits(s, len) || len > 9 || (len > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < len; i++)
		v = v * 10 + (s[i] - '0');
	return v < lo || v > hi ? -1 : v;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

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
			if ((hi = hexval(s[i + 1])) < 0 ||
			    (lo = hexval(s[i + 2])) < 0 || (hi == 0 && lo == 0))
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

static enum sg_rc
bad_url(struct sg_err *err, const char *why)
{
	/* Never echo the URL: it may carry a password. */
	return sg_err_set(err, SG_EINVAL, "bad_redis_url", "SANDGATE_REDIS: %s",
	    why);
}

/* "unix:/path[?db=N]" */
static enum sg_rc
parse_unix(struct sg_redis *r, const char *p, struct sg_err *err)
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
		if ((r->db = parse_dec(q + 4, strlen(q + 4), 0,
		    SG_REDIS_MAX_DB)) < 0)
			return bad_url(err, "bad database number");
	}
	if ((r->host = strndup(p, len)) == NULL)
		return sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
	r->is_unix = 1;
	return SG_OK;
}

/* "redis://[[user]:password@]host[:port][/db]" */
static enum sg_rc
parse_tcp(struct sg_redis *r, const char *p, struct sg_err *err)
{
	const char	*at, *hp, *he, *rest, *colon;
	char		 buf[SG_HOST_MAX + 1];
	unsigned char	 addr[16];
	struct in_addr	 ia;
	char		*host = NULL;
	size_t		 n;
	int		 bad;

	/*
	 * Userinfo ends at the last '@': a database number cannot hold
	 * one, so a password may even carry a raw '@' or '/'.
	 */
	if ((at = strrchr(p, '@')) != NULL) {
		if ((colon = memchr(p, ':', (size_t)(at - p))) == NULL)
			return bad_url(err, "userinfo must be [user]:password");
		if (colon > p) {
			r->user = pct_decode(p, (size_t)(colon - p), &bad);
			if (r->user == NULL)
				return bad ? bad_url(err, "bad user name") :
				    sg_err_set(err, SG_ENOMEM, NULL,
				    "out of memory");
		}
		if (at > colon + 1) {
			r->password = pct_decode(colon + 1,
			    (size_t)(at - colon - 1), &bad);
			if (r->password == NULL)
				return bad ? bad_url(err, "bad password "
				    "encoding") : sg_err_set(err, SG_ENOMEM,
				    NULL, "out of memory");
		}
		hp = at + 1;
	} else
		hp = p;

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
		rest = he + 1;
	} else {
		he = hp + strcspn(hp, ":/");
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
		rest = he;
	}
	if ((host = strdup(buf)) == NULL)
		return sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
	r->host = host;
	r->port = DFLT_PORT;
	if (*rest == ':') {
		he = rest + 1 + strcspn(rest + 1, "/");
		if ((r->port = (int)parse_dec(rest + 1,
		    (size_t)(he - rest - 1), 1, 65535)) < 0)
			return bad_url(err, "bad port");
		rest = he;
	}
	if (*rest == '/') {
		rest++;
		if (*rest != '\0' && (r->db = parse_dec(rest, strlen(rest), 0,
		    SG_REDIS_MAX_DB)) < 0)
			return bad_url(err, "bad database number");
	} else if (*rest != '\0')
		return bad_url(err, "unexpected text after the host");
	return SG_OK;
}

enum sg_rc
sg_redis_new(const char *url, int timeout_ms, struct sg_redis **out,
    struct sg_err *err)
{
	struct sg_redis	*r = NULL;
	const char	*envpw;
	enum sg_rc	 rc;

	if (out == NULL)
		return sg_err_set(err, SG_EINVAL, NULL, "no result pointer");
	*out = NULL;
	if (url == NULL || *url == '\0')
		return bad_url(err, "empty");
	if (strlen(url) > SG_REDIS_URL_MAX)
		return bad_url(err, "too long");
	if (timeout_ms < 1 || timeout_ms > SG_REDIS_MAX_TIMEOUT_MS)
		return sg_err_set(err, SG_EINVAL, "bad_redis_timeout",
		    "redis timeout must be 1..%d ms", SG_REDIS_MAX_TIMEOUT_MS);
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
	r->timeout_ms = timeout_ms;
	r->tv.tv_sec = timeout_ms / 1000;
	r->tv.tv_usec = (timeout_ms % 1000) * 1000;

	if (strncmp(url, "redis://", 8) == 0)
		rc = parse_tcp(r, url + 8, err);
	else if (strncmp(url, "unix:", 5) == 0)
		rc = parse_unix(r, url + 5, err);
	else
		rc = bad_url(err, "scheme must be redis:// or unix:");
	if (rc != SG_OK)
		goto out;

	/* The environment keeps the password out of URLs that get logged. */
	envpw = getenv("SANDGATE_REDIS_PASSWORD");
	if (envpw != NULL && *envpw != '\0') {
		if (r->password != NULL) {
			rc = sg_err_set(err, SG_EINVAL, "bad_redis_url",
			    "SANDGATE_REDIS_PASSWORD is set and SANDGATE_REDIS "
			    "carries a password too");
			goto out;
		}
		if (strlen(envpw) > SG_REDIS_URL_MAX) {
			rc = sg_err_set(err, SG_EINVAL, "bad_redis_url",
			    "SANDGATE_REDIS_PASSWORD is too long");
			goto out;
		}
		if ((r->password = strdup(envpw)) == NULL) {
			rc = sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
			goto out;
		}
	}
	if (r->user != NULL && r->password == NULL) {
		rc = bad_url(err, "a user name needs a password");
		goto out;
	}
	*out = r;
	r = NULL;
	rc = SG_OK;
out:
	sg_redis_free(r);
	return rc;
}

static void
drop(struct sg_redis *r)
{
	if (r->c != NULL) {
		/* In a forked child this only closes our copy of the fd. */
		redisFree(r->c);
		r->c = NULL;
	}
}

void
sg_redis_free(struct sg_redis *r)
{
	if (r == NULL)
		return;
	drop(r);
	if (r->password != NULL) {
		sg_cleanse(r->password, strlen(r->password));
		free(r->password);
	}
	if (r->user != NULL) {
		sg_cleanse(r->user, strlen(r->user));
		free(r->user);
	}
	free(r->host);
	free(r);
}


/* ---- connection and commands ----------------------------------------- */

/*
 * A context error (hiredis sets c->err; the context is then unusable):
 * classify it and drop the context.  e is errno right after the call.
 */
static enum sg_rc
ctx_error(struct sg_redis *r, int e, int connecting, struct sg_err *err)
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
	drop(r);
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

static int
is_status(const redisReply *rep, const char *want)
{
	return rep != NULL && rep->type == REDIS_REPLY_STATUS &&
	    rep->len == strlen(want) && memcmp(rep->str, want, rep->len) == 0;
}

static enum sg_rc
unexpected(struct sg_redis *r, const char *what, struct sg_err *err)
{
	/* The reply stream may be out of step with us now: start afresh. */
	drop(r);
	return sg_err_set(err, SG_EUPSTREAM, "redis_reply",
	    "unexpected redis reply to %s", what);
}

static void
free_replies(redisReply **rep, size_t n)
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
pipeline(struct sg_redis *r, const struct cmd *cmds, size_t n,
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
			rc = ctx_error(r, errno, connecting, err);
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		v = NULL;
		errno = 0;
		if (redisGetReply(r->c, &v) != REDIS_OK || v == NULL) {
			rc = ctx_error(r, errno, connecting, err);
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
			drop(r);
			goto out;
		}
		if (rep[i]->type != REDIS_REPLY_ARRAY)
			continue;
		for (j = 0; j < rep[i]->elements; j++) {
			if (rep[i]->element[j] != NULL &&
			    rep[i]->element[j]->type == REDIS_REPLY_ERROR) {
				rc = reply_error(rep[i]->element[j],
				    SG_EUPSTREAM, "redis_error", err);
				drop(r);
				goto out;
			}
		}
	}
out:
	if (rc != SG_OK)
		free_replies(rep, n);
	return rc;
}

/*
 * Connect if there is no live context: connect timeout, command timeout,
 * then AUTH and SELECT, pipelined.
 */
static enum sg_rc
connect_ctx(struct sg_redis *r, struct sg_err *err)
{
	redisReply	*rep[2] = { NULL, NULL };
	struct cmd	 cmds[2];
	const char	*auth[3], *sel[2];
	char		 dbbuf[16];
	size_t		 n = 0, i;
	int		 e, a = 0;
	enum sg_rc	 rc = SG_OK;

	if (r->c != NULL && r->pid == getpid())
		return SG_OK;
	/* A context inherited over fork() would share the parent's socket. */
	drop(r);
	errno = 0;
	if (r->is_unix)
		r->c = redisConnectUnixWithTimeout(r->host, r->tv);
	else
		r->c = redisConnectWithTimeout(r->host, r->port, r->tv);
	e = errno;
	if (r->c == NULL)
		return sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
	r->pid = getpid();
	if (r->c->err != 0)
		return ctx_error(r, e, 1, err);
	errno = 0;
	if (redisSetTimeout(r->c, r->tv) != REDIS_OK)
		return ctx_error(r, errno, 1, err);

	if (r->password != NULL) {
		auth[a++] = "AUTH";
		if (r->user != NULL)
			auth[a++] = r->user;
		auth[a++] = r->password;
		cmds[n].argc = a;
		cmds[n].argv = auth;
		cmds[n].len = NULL;
		n++;
	}
	if (r->db != 0) {
		(void)snprintf(dbbuf, sizeof(dbbuf), "%ld", r->db);
		sel[0] = "SELECT";
		sel[1] = dbbuf;
		cmds[n].argc = 2;
		cmds[n].argv = sel;
		cmds[n].len = NULL;
		n++;
	}
	if (n == 0)
		return SG_OK;
	if ((rc = pipeline(r, cmds, n, rep, 1, err)) != SG_OK)
		return rc;
	for (i = 0; i < n; i++) {
		int	 is_auth = i == 0 && r->password != NULL;

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
			drop(r);
			break;
		}
		if (!is_status(rep[i], "OK")) {
			rc = unexpected(r, is_auth ? "AUTH" : "SELECT", err);
			break;
		}
	}
	free_replies(rep, n);
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
static enum sg_rc
run(struct sg_redis *r, const struct cmd *cmds, size_t n, redisReply **rep,
    struct sg_err *err)
{
	struct pipeguard g;
	struct sg_err	 e;
	int64_t		 t0 = sg_now_us();
	enum sg_rc	 rc;
	size_t		 i;
	int		 reused;

	for (i = 0; i < n; i++)
		rep[i] = NULL;
	if (r->async) {
		/* a sender's context is non-blocking: never read from it */
		return sg_err_set(err, SG_EINVAL, NULL,
		    "redis handle is a sender");
	}
	sg_err_clear(&e);
	guard_on(&g);
	reused = r->c != NULL && r->pid == getpid();
	r->lost = 0;
	if ((rc = connect_ctx(r, &e)) == SG_OK)
		rc = pipeline(r, cmds, n, rep, 0, &e);
	if (rc != SG_OK && reused && r->lost) {
		sg_err_clear(&e);
		if ((rc = connect_ctx(r, &e)) == SG_OK)
			rc = pipeline(r, cmds, n, rep, 0, &e);
	}
	r->lost = 0;
	guard_off(&g);
	sg_metrics_add(SG_M_REDIS_CALLS, 1);
	sg_metrics_observe(SG_M_REDIS_SECONDS, sg_now_us() - t0);
	if (rc != SG_OK) {
		sg_metrics_add(SG_M_REDIS_ERRORS, 1, e.code);
		(void)sg_err_set(err, e.rc, e.code, "%s", e.msg);
	}
	return rc;
}

static enum sg_rc
run1(struct sg_redis *r, int argc, const char **argv, redisReply **rep,
    struct sg_err *err)
{
	struct cmd	 c;

	c.argc = argc;
	c.argv = argv;
	c.len = NULL;
	return run(r, &c, 1, rep, err);
}

enum sg_rc
sg_redis_ping(struct sg_redis *r, struct sg_err *err)
{
	const char	*argv[] = { "PING" };
	redisReply	*rep = NULL;
	enum sg_rc	 rc;

	if (r == NULL)
		return sg_err_set(err, SG_EINVAL, NULL, "no redis");
	if ((rc = run1(r, 1, argv, &rep, err)) != SG_OK)
		return rc;
	if (!is_status(rep, "PONG"))
		rc = unexpected(r, "PING", err);
	freeReplyObject(rep);
	return rc;
}

/* ---- the session object ---------------------------------------------- */

void
sg_session_init(struct sg_session *s)
{
	memset(s, 0, sizeof(*s));
	s->allowed_hosts = NULL;
}

void
sg_session_clear(struct sg_session *s)
{
	if (s == NULL)
		return;
	free(s->allowed_hosts);
	sg_session_init(s);
}

static int
is_hex_lower(const char *s, size_t min, size_t max)
{
	size_t	 i, len = strlen(s);

	if (len < min || len > max)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* A Docker image reference: [A-Za-z0-9._/:@-], no spaces or controls. */
static int
image_valid(const char *s)
{
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++) {
		char	 c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == '/' || c == ':' || c == '@' || c == '-'))
			return 0;
	}
	return i < sizeof(((struct sg_session *)NULL)->image);
}

static int
ip_valid(const char *s)
{
	unsigned char	 a[16];

	if (*s == '\0')
		return 1;
	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

/* One allowed_hosts element, as sg_hostpat_parse accepts it. */
static int
hostpat_valid(const char *s, size_t len)
{
	struct sg_hostpat	 pat;

	if (len == 0 || len > SG_HOST_MAX + 8)
		return 0;
	return sg_hostpat_parse(s, len, &pat, NULL) == SG_OK;
}

/* A comma list of patterns, "" or NULL for none. */
static int
hosts_valid(const char *s)
{
	const char	*p, *e;
	size_t		 n = 0;

	if (s == NULL || *s == '\0')
		return 1;
	if (strlen(s) > SG_HOSTS_STR_MAX)
		return 0;
	for (p = s;; p = e + 1) {
		e = p + strcspn(p, ",");
		if (++n > SG_HOSTS_MAX || !hostpat_valid(p, (size_t)(e - p)))
			return 0;
		if (*e == '\0')
			return 1;
	}
}

/*
 * Every field of a session against the contract; the same rules for what
 * we write (put: SG_EINVAL) and what we read (SG_EUPSTREAM bad_session).
 */
static enum sg_rc
session_check(const struct sg_session *s, enum sg_rc bad, const char *code,
    struct sg_err *err)
{
	const char	*what = NULL;

	if (!sg_id_valid(s->container_id))
		what = "container_id";
	else if (!sg_id_valid(s->user_id))
		what = "user_id";
	else if (!sg_uuid_valid(s->org))
		what = "organization_uuid";
	else if (!sg_id_valid(s->jti))
		what = "jti";
	else if (!is_hex_lower(s->token_sha256, 64, 64))
		what = "token_sha256";
	else if (!hosts_valid(s->allowed_hosts))
		what = "allowed_hosts";
	else if (!ip_valid(s->container_ip))
		what = "container_ip";
	else if (!is_hex_lower(s->docker_id, 0, 64))
		what = "docker_id";
	else if (!image_valid(s->image))
		what = "image";
	else if (s->created_at <= 0 || s->created_at >= TS_MAX)
		what = "created_at";
	else if (s->expires_at <= 0 || s->expires_at >= TS_MAX ||
	    s->expires_at < s->created_at)
		what = "expires_at";
	if (what != NULL)
		return sg_err_set(err, bad, code, "session: bad %s", what);
	return SG_OK;
}

cJSON *
sg_session_to_json(const struct sg_session *s)
{
	cJSON		*o = NULL, *arr = NULL, *str;
	const char	*p, *e;
	char		 buf[SG_HOST_MAX + 16];
	size_t		 n;

	if (s == NULL || (o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (sg_json_add_str(o, "container_id", s->container_id) == -1 ||
	    sg_json_add_str(o, "user_id", s->user_id) == -1 ||
	    sg_json_add_str(o, "organization_uuid", s->org) == -1 ||
	    sg_json_add_str(o, "jti", s->jti) == -1 ||
	    sg_json_add_str(o, "token_sha256", s->token_sha256) == -1 ||
	    (arr = cJSON_AddArrayToObject(o, "allowed_hosts")) == NULL)
		goto fail;
	if (s->allowed_hosts != NULL && *s->allowed_hosts != '\0') {
		for (p = s->allowed_hosts;; p = e + 1) {
			e = p + strcspn(p, ",");
			n = (size_t)(e - p);
			/* Longer than any valid pattern: put refuses it. */
			if (n >= sizeof(buf))
				n = sizeof(buf) - 1;
			memcpy(buf, p, n);
			buf[n] = '\0';
			if ((str = cJSON_CreateString(buf)) == NULL)
				goto fail;
			cJSON_AddItemToArray(arr, str);
			if (*e == '\0')
				break;
		}
	}
	if (sg_json_add_str(o, "container_ip", s->container_ip) == -1 ||
	    sg_json_add_str(o, "docker_id", s->docker_id) == -1 ||
	    sg_json_add_str(o, "image", s->image) == -1 ||
	    sg_json_add_int(o, "created_at", s->created_at) == -1 ||
	    sg_json_add_int(o, "expires_at", s->expires_at) == -1)
		goto fail;
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

/* A string member into buf; 0 unless it is a string that fits. */
static int
get_str(const cJSON *it, char *buf, size_t size)
{
	if (!cJSON_IsString(it) || it->valuestring == NULL)
		return 0;
	return strlcpy(buf, it->valuestring, size) < size;
}

/* An integral JSON number in (0, 2^40), without cJSON's valueint. */
static int
get_int(const cJSON *it, int64_t *v)
{
	double	 d;

	if (!cJSON_IsNumber(it))
		return 0;
	d = it->valuedouble;
	if (!(d > 0 && d < (double)TS_MAX))	/* also false for NaN */
		return 0;
	*v = (int64_t)d;
	return (double)*v == d;
}

/* The allowed_hosts array, joined with ',' into a malloc'd string. */
static int
get_hosts(const cJSON *it, char **out)
{
	const cJSON	*h;
	char		*buf = NULL;
	size_t		 n = 0, len = 0, l;

	if (!cJSON_IsArray(it))
		return 0;
	if ((buf = malloc(SG_HOSTS_STR_MAX + 1)) == NULL)
		return -1;
	buf[0] = '\0';
	cJSON_ArrayForEach(h, it) {
		if (!cJSON_IsString(h) || h->valuestring == NULL ||
		    ++n > SG_HOSTS_MAX)
			goto bad;
		l = strlen(h->valuestring);
		/* No ',' in an element, else the join would split it. */
		if (!hostpat_valid(h->valuestring, l) ||
		    strchr(h->valuestring, ',') != NULL ||
		    len + (len > 0) + l > SG_HOSTS_STR_MAX)
			goto bad;
		if (len > 0)
			buf[len++] = ',';
		memcpy(buf + len, h->valuestring, l);
		len += l;
		buf[len] = '\0';
	}
	*out = buf;
	return 1;
bad:
	free(buf);
	return 0;
}

/*
 * Strict: every contract member exactly once (case-sensitive names), of
 * its type, within its limits and format (session_check).  Unknown
 * members are ignored: they never reach the output, which is always
 * rebuilt from the struct.  On failure *out is untouched.
 */
enum sg_rc
sg_session_from_json(const cJSON *o, struct sg_session *out,
    struct sg_err *err)
{
	struct sg_session	 s;
	const cJSON		*it;
	unsigned		 seen = 0;
	size_t			 i;
	int			 ok;
	enum sg_rc		 rc;

	sg_session_init(&s);
	if (out == NULL || !cJSON_IsObject(o))
		return sg_err_set(err, SG_EUPSTREAM, "bad_session",
		    "session is not a JSON object");
	cJSON_ArrayForEach(it, o) {
		if (it->string == NULL) {
			rc = sg_err_set(err, SG_EUPSTREAM, "bad_session",
			    "session member without a name");
			goto out;
		}
		for (i = 0; i < M_COUNT; i++)
			if (strcmp(it->string, member_names[i]) == 0)
				break;
		if (i == M_COUNT)
			continue;
		if (seen & (1u << i)) {
			rc = sg_err_set(err, SG_EUPSTREAM, "bad_session",
			    "session: duplicate %s", member_names[i]);
			goto out;
		}
		seen |= 1u << i;
		switch ((enum member)i) {
		case M_CONTAINER_ID:
			ok = get_str(it, s.container_id,
			    sizeof(s.container_id));
			break;
		case M_USER_ID:
			ok = get_str(it, s.user_id, sizeof(s.user_id));
			break;
		case M_ORG:
			ok = get_str(it, s.org, sizeof(s.org));
			break;
		case M_JTI:
			ok = get_str(it, s.jti, sizeof(s.jti));
			break;
		case M_TOKEN_SHA256:
			ok = get_str(it, s.token_sha256,
			    sizeof(s.token_sha256));
			break;
		case M_ALLOWED_HOSTS:
			ok = get_hosts(it, &s.allowed_hosts);
			if (ok == -1) {
				rc = sg_err_set(err, SG_ENOMEM, NULL,
				    "out of memory");
				goto out;
			}
			break;
		case M_CONTAINER_IP:
			ok = get_str(it, s.container_ip,
			    sizeof(s.container_ip));
			break;
		case M_DOCKER_ID:
			ok = get_str(it, s.docker_id, sizeof(s.docker_id));
			break;
		case M_IMAGE:
			ok = get_str(it, s.image, sizeof(s.image));
			break;
		case M_CREATED_AT:
			ok = get_int(it, &s.created_at);
			break;
		case M_EXPIRES_AT:
			ok = get_int(it, &s.expires_at);
			break;
		default:
			ok = 0;
			break;
		}
		if (!ok) {
			rc = sg_err_set(err, SG_EUPSTREAM, "bad_session",
			    "session: bad %s", member_names[i]);
			goto out;
		}
	}
	for (i = 0; i < M_COUNT; i++) {
		if (!(seen & (1u << i))) {
			rc = sg_err_set(err, SG_EUPSTREAM, "bad_session",
			    "session: missing %s", member_names[i]);
			goto out;
		}
	}
	if ((rc = session_check(&s, SG_EUPSTREAM, "bad_session", err)) !=
	    SG_OK)
		goto out;
	sg_session_clear(out);
	*out = s;
	sg_session_init(&s);
	rc = SG_OK;
out:
	sg_session_clear(&s);
	return rc;
}

/* ---- operations ------------------------------------------------------ */

static enum sg_rc
mkkey(char *buf, const char *prefix, const char *id, struct sg_err *err)
{
	int	 n;

	/* Ids reach a key only after this check (DESIGN.md, ids). */
	if (id == NULL || !sg_id_valid(id))
		return sg_err_set(err, SG_EINVAL, "bad_id",
		    "id must match ^[A-Za-z0-9_-]{1,128}$");
	n = snprintf(buf, KEY_MAX, "%s%s", prefix, id);
	if (n < 0 || (size_t)n >= KEY_MAX)
		return sg_err_set(err, SG_EINTERNAL, NULL, "key too long");
	return SG_OK;
}

/* Stored text of session id into a fresh struct: bad_session if wrong. */
static enum sg_rc
decode(const char *id, const char *buf, size_t len, struct sg_session *out,
    struct sg_err *err)
{
	struct sg_session	 s;
	struct sg_err		 tmp;
	cJSON			*j = NULL;
	enum sg_rc		 rc;

	sg_session_init(&s);
	sg_err_clear(&tmp);
	if (len == 0 || len > SG_SESSION_MAX_JSON)
		return sg_err_set(err, SG_EUPSTREAM, "bad_session",
		    "session %s: %zu bytes", id, len);
	if ((j = sg_json_parse_object(buf, len, &tmp)) == NULL) {
		if (tmp.rc == SG_ENOMEM)
			return sg_err_set(err, SG_ENOMEM, NULL,
			    "out of memory");
		return sg_err_set(err, SG_EUPSTREAM, "bad_session",
		    "session %s: not a valid JSON object", id);
	}
	if ((rc = sg_session_from_json(j, &s, err)) != SG_OK)
		goto out;
	/* A session stored under another container's key is corrupt. */
	if (strcmp(s.container_id, id) != 0) {
		rc = sg_err_set(err, SG_EUPSTREAM, "bad_session",
		    "session %s: container_id differs from the key", id);
		goto out;
	}
	sg_session_clear(out);
	*out = s;
	sg_session_init(&s);
out:
	sg_session_clear(&s);
	cJSON_Delete(j);
	return rc;
}

/*
 * Read the stored text of n session keys, bounded and atomically: MULTI,
 * EXISTS and GETRANGE 0 SG_SESSION_MAX_JSON per key, EXEC.  GET or MGET
 * would have hiredis read a value of any size (Redis allows 512 MB)
 * before we could refuse it; GETRANGE returns at most
 * SG_SESSION_MAX_JSON + 1 bytes, which decode() then refuses as too big.
 * EXISTS tells a missing key from an empty value, which GETRANGE cannot.
 * On SG_OK *out is the EXEC reply (the caller frees it): 2n elements, an
 * integer and a string per key.
 */
static enum sg_rc
fetch(struct sg_redis *r, const char *const *keys, size_t n,
    redisReply **out, struct sg_err *err)
{
	static const char *multi[] = { "MULTI" }, *exec[] = { "EXEC" };
	struct cmd	*cmds = NULL;
	const char	**av = NULL, **e;
	redisReply	**rep = NULL;
	const redisReply *x;
	char		 maxbuf[16];
	size_t		 i, nc = 2 * n + 2;
	int		 ok;
	enum sg_rc	 rc;

	*out = NULL;
	(void)snprintf(maxbuf, sizeof(maxbuf), "%d", SG_SESSION_MAX_JSON);
	if ((cmds = calloc(nc, sizeof(*cmds))) == NULL ||
	    (av = calloc(6 * n, sizeof(*av))) == NULL ||
	    (rep = calloc(nc, sizeof(*rep))) == NULL) {
		rc = sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
		goto out;
	}
	cmds[0].argc = 1;
	cmds[0].argv = multi;
	for (i = 0; i < n; i++) {
		e = av + 6 * i;
		e[0] = "EXISTS";
		e[1] = keys[i];
		e[2] = "GETRANGE";
		e[3] = keys[i];
		e[4] = "0";
		e[5] = maxbuf;
		cmds[1 + 2 * i].argc = 2;
		cmds[1 + 2 * i].argv = e;
		cmds[2 + 2 * i].argc = 4;
		cmds[2 + 2 * i].argv = e + 2;
	}
	cmds[nc - 1].argc = 1;
	cmds[nc - 1].argv = exec;
	if ((rc = run(r, cmds, nc, rep, err)) != SG_OK)
		goto out;
	x = rep[nc - 1];
	ok = is_status(rep[0], "OK") && x->type == REDIS_REPLY_ARRAY &&
	    x->elements == 2 * n;
	for (i = 1; ok && i < nc - 1; i++)
		ok = is_status(rep[i], "QUEUED");
	for (i = 0; ok && i < n; i++)
		ok = x->element[2 * i]->type == REDIS_REPLY_INTEGER &&
		    x->element[2 * i + 1]->type == REDIS_REPLY_STRING;
	if (!ok) {
		rc = unexpected(r, "MULTI/EXISTS/GETRANGE/EXEC", err);
		goto out;
	}
	*out = rep[nc - 1];
	rep[nc - 1] = NULL;
out:
	if (rep != NULL)
		free_replies(rep, nc);
	free(rep);
	free(av);
	free(cmds);
	return rc;
}

enum sg_rc
sg_session_put(struct sg_redis *r, const struct sg_session *s, time_t now,
    struct sg_err *err)
{
	char		 skey[KEY_MAX], ukey[KEY_MAX], ttlbuf[24];
	cJSON		*j = NULL;
	char		*txt = NULL;
	redisReply	*rep[4] = { NULL, NULL, NULL, NULL };
	const char	*multi[] = { "MULTI" };
	const char	*set[] = { "SET", skey, NULL, "EX", ttlbuf };
	const char	*sadd[] = { "SADD", ukey, NULL };
	const char	*exec[] = { "EXEC" };
	struct cmd	 cmds[4] = {
		{ 1, multi, NULL }, { 5, set, NULL }, { 3, sadd, NULL },
		{ 1, exec, NULL }
	};
	const redisReply *x;
	int64_t		 ttl;
	enum sg_rc	 rc;

	if (r == NULL || s == NULL)
		return sg_err_set(err, SG_EINVAL, NULL, "no session");
	if ((rc = session_check(s, SG_EINVAL, "bad_session", err)) != SG_OK)
		return rc;
	if ((rc = mkkey(skey, SG_SESSION_KEY_PREFIX, s->container_id,
	    err)) != SG_OK ||
	    (rc = mkkey(ukey, SG_SESSION_USER_PREFIX, s->user_id, err)) !=
	    SG_OK)
		return rc;
	/* EX with a non-positive TTL would delete the key (or fail). */
	ttl = s->expires_at - (int64_t)now;
	if (ttl <= 0)
		return sg_err_set(err, SG_EINVAL, "session_expired",
		    "session expires_at is not in the future");
	(void)snprintf(ttlbuf, sizeof(ttlbuf), "%lld", (long long)ttl);
	if ((j = sg_session_to_json(s)) == NULL ||
	    (txt = sg_json_print(j)) == NULL) {
		rc = sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
		goto out;
	}
	if (strlen(txt) > SG_SESSION_MAX_JSON) {
		rc = sg_err_set(err, SG_ETOOBIG, "session_too_big",
		    "session JSON over %d bytes", SG_SESSION_MAX_JSON);
		goto out;
	}
	set[2] = txt;
	sadd[2] = s->container_id;
	if ((rc = run(r, cmds, 4, rep, err)) != SG_OK)
		goto out;
	x = rep[3];
	if (!is_status(rep[0], "OK") || !is_status(rep[1], "QUEUED") ||
	    !is_status(rep[2], "QUEUED") || x->type != REDIS_REPLY_ARRAY ||
	    x->elements != 2 || !is_status(x->element[0], "OK") ||
	    x->element[1]->type != REDIS_REPLY_INTEGER) {
		rc = unexpected(r, "MULTI/SET/SADD/EXEC", err);
		goto out;
	}
	rc = SG_OK;
out:
	free_replies(rep, 4);
	free(txt);
	cJSON_Delete(j);
	return rc;
}

enum sg_rc
sg_session_get(struct sg_redis *r, const char *id, struct sg_session *s,
    struct sg_err *err)
{
	char		 key[KEY_MAX];
	const char	*keys[] = { key };
	redisReply	*x = NULL;
	enum sg_rc	 rc;

	if (r == NULL || s == NULL)
		return sg_err_set(err, SG_EINVAL, NULL, "no session");
	if ((rc = mkkey(key, SG_SESSION_KEY_PREFIX, id, err)) != SG_OK)
		return rc;
	if ((rc = fetch(r, keys, 1, &x, err)) != SG_OK)
		return rc;
	if (x->element[0]->integer == 0)
		rc = sg_err_set(err, SG_ENOENT, "session_not_found",
		    "no session %s", id);
	else
		rc = decode(id, x->element[1]->str, x->element[1]->len, s,
		    err);
	freeReplyObject(x);
	return rc;
}

enum sg_rc
sg_session_del(struct sg_redis *r, const char *id, const char *user,
    struct sg_err *err)
{
	struct sg_session s;
	struct sg_err	 tmp;
	char		 skey[KEY_MAX], ukey[KEY_MAX];
	redisReply	*rep[4] = { NULL, NULL, NULL, NULL };
	const char	*multi[] = { "MULTI" };
	const char	*del[] = { "DEL", skey };
	const char	*srem[] = { "SREM", ukey, NULL };
	const char	*exec[] = { "EXEC" };
	struct cmd	 cmds[4] = {
		{ 1, multi, NULL }, { 2, del, NULL }, { 3, srem, NULL },
		{ 1, exec, NULL }
	};
	const redisReply *x;
	size_t		 n = 4, i;
	enum sg_rc	 rc;

	sg_session_init(&s);
	if (r == NULL)
		return sg_err_set(err, SG_EINVAL, NULL, "no redis");
	if ((rc = mkkey(skey, SG_SESSION_KEY_PREFIX, id, err)) != SG_OK)
		return rc;
	if (user != NULL && (rc = mkkey(ukey, SG_SESSION_USER_PREFIX, user,
	    err)) != SG_OK)
		return rc;
	if (user == NULL) {
		sg_err_clear(&tmp);
		rc = sg_session_get(r, id, &s, &tmp);
		if (rc == SG_OK) {
			user = s.user_id;
			(void)mkkey(ukey, SG_SESSION_USER_PREFIX, user, NULL);
		} else if (!(rc == SG_EUPSTREAM && tmp.code != NULL &&
		    strcmp(tmp.code, "bad_session") == 0)) {
			rc = sg_err_set(err, tmp.rc, tmp.code, "%s", tmp.msg);
			goto out;
		}
		/*
		 * A corrupt session names no user we can trust: delete the
		 * key alone and leave the index entry to pruning.
		 */
	}
	srem[2] = id;
	if (user == NULL) {
		cmds[2] = cmds[3];
		n = 3;
	}
	if ((rc = run(r, cmds, n, rep, err)) != SG_OK)
		goto out;
	x = rep[n - 1];
	if (!is_status(rep[0], "OK") || x->type != REDIS_REPLY_ARRAY ||
	    x->elements != n - 2) {
		rc = unexpected(r, "MULTI/DEL/SREM/EXEC", err);
		goto out;
	}
	for (i = 1; i < n - 1; i++) {
		if (!is_status(rep[i], "QUEUED") ||
		    x->element[i - 1]->type != REDIS_REPLY_INTEGER) {
			rc = unexpected(r, "MULTI/DEL/SREM/EXEC", err);
			goto out;
		}
	}
	if (x->element[0]->integer == 0)
		rc = sg_err_set(err, SG_ENOENT, "session_not_found",
		    "no session %s", id);
	else
		rc = SG_OK;
out:
	free_replies(rep, 4);
	sg_session_clear(&s);
	return rc;
}

static int
session_cmp(const void *a, const void *b)
{
	const struct sg_session	*x = a, *y = b;

	if (x->created_at != y->created_at)
		return x->created_at < y->created_at ? -1 : 1;
	return strcmp(x->container_id, y->container_id);
}

/*
 * The live sessions of user.  With v, they are returned in *v (sorted
 * by created_at, then id; the caller clears and frees them), else only
 * counted.  Ids whose session is gone, that are no valid id, or whose
 * session names another user are removed from the set (best effort);
 * *removed counts those that SREM took out.
 *
 * SRANDMEMBER with a positive count returns distinct members, all of
 * them when the set is smaller: one round trip whose reply is bounded
 * even when the set is huge, unlike SMEMBERS.
 */
static enum sg_rc
collect(struct sg_redis *r, const char *user, struct sg_session **v,
    size_t *count, size_t *removed, struct sg_err *err)
{
	char		 ukey[KEY_MAX], limit[16];
	const char	*sample[] = { "SRANDMEMBER", ukey, limit };
	redisReply	*mem = NULL, *got = NULL, *rem = NULL;
	const char	**kp = NULL, **dargv = NULL;
	size_t		*dlen = NULL;
	char		*keys = NULL;
	struct sg_session *out = NULL, s;
	struct cmd	 c;
	struct sg_err	 tmp;
	size_t		 n, i, nk = 0, nd = 2, no = 0;
	enum sg_rc	 rc;

	sg_session_init(&s);
	*count = 0;
	if (removed != NULL)
		*removed = 0;
	if (v != NULL)
		*v = NULL;
	if (r == NULL)
		return sg_err_set(err, SG_EINVAL, NULL, "no redis");
	if ((rc = mkkey(ukey, SG_SESSION_USER_PREFIX, user, err)) != SG_OK)
		return rc;
	(void)snprintf(limit, sizeof(limit), "%d", SG_SESSION_MAX_PER_USER + 1);
	if ((rc = run1(r, 3, sample, &mem, err)) != SG_OK)
		goto out;
	if (mem->type != REDIS_REPLY_ARRAY) {
		rc = unexpected(r, "SRANDMEMBER", err);
		goto out;
	}
	n = mem->elements;
	if (n > SG_SESSION_MAX_PER_USER) {
		rc = sg_err_set(err, SG_ETOOBIG, "too_many_sessions",
		    "user has more than %d sessions", SG_SESSION_MAX_PER_USER);
		goto out;
	}
	if (n == 0) {
		rc = SG_OK;
		goto out;
	}
	if ((kp = calloc(n, sizeof(*kp))) == NULL ||
	    (dargv = calloc(n + 2, sizeof(*dargv))) == NULL ||
	    (dlen = calloc(n + 2, sizeof(*dlen))) == NULL ||
	    (keys = calloc(n, KEY_MAX)) == NULL ||
	    (v != NULL && (out = calloc(n, sizeof(*out))) == NULL)) {
		rc = sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
		goto out;
	}
	dargv[0] = "SREM";
	dlen[0] = 4;
	dargv[1] = ukey;
	dlen[1] = strlen(ukey);
	for (i = 0; i < n; i++) {
		const redisReply *m = mem->element[i];

		if (m->type != REDIS_REPLY_STRING) {
			rc = unexpected(r, "SRANDMEMBER", err);
			goto out;
		}
		/* Garbage in the index (not from us): drop it. */
		if (m->len > SG_ID_MAX || memchr(m->str, '\0', m->len) ||
		    !sg_id_valid(m->str)) {
			dargv[nd] = m->str;
			dlen[nd++] = m->len;
			continue;
		}
		(void)mkkey(keys + nk * KEY_MAX, SG_SESSION_KEY_PREFIX, m->str,
		    NULL);
		kp[nk] = keys + nk * KEY_MAX;
		nk++;
	}
	if (nk > 0 && (rc = fetch(r, kp, nk, &got, err)) != SG_OK)
		goto out;
	for (i = 0; i < nk; i++) {
		const redisReply *g = got->element[2 * i + 1];
		const char	*id = kp[i] + strlen(SG_SESSION_KEY_PREFIX);

		if (got->element[2 * i]->integer == 0) {
			/* Expired or evicted: treat as gone. */
			dargv[nd] = id;
			dlen[nd++] = strlen(id);
			continue;
		}
		if ((rc = decode(id, g->str, g->len, &s, err)) != SG_OK)
			goto out;
		if (strcmp(s.user_id, user) != 0) {
			/* The session says it is someone else's. */
			dargv[nd] = id;
			dlen[nd++] = strlen(id);
			sg_session_clear(&s);
			continue;
		}
		if (out != NULL) {
			out[no] = s;
			sg_session_init(&s);
		} else
			sg_session_clear(&s);
		no++;
	}
	if (nd > 2) {
		/*
		 * Best effort: a failed SREM (a read-only replica, say) does
		 * not fail the read; the next list or prune retries.
		 */
		c.argc = (int)nd;
		c.argv = dargv;
		c.len = dlen;
		sg_err_clear(&tmp);
		if (run(r, &c, 1, &rem, &tmp) == SG_OK && removed != NULL &&
		    rem->type == REDIS_REPLY_INTEGER && rem->integer > 0)
			*removed = (size_t)rem->integer;
	}
	if (out != NULL && no > 1)
		qsort(out, no, sizeof(*out), session_cmp);
	*count = no;
	if (v != NULL) {
		*v = out;
		out = NULL;
	}
	rc = SG_OK;
out:
	if (out != NULL) {
		for (i = 0; i < no; i++)
			sg_session_clear(&out[i]);
		free(out);
	}
	sg_session_clear(&s);
	if (rem != NULL)
		freeReplyObject(rem);
	if (got != NULL)
		freeReplyObject(got);
	if (mem != NULL)
		freeReplyObject(mem);
	free(keys);
	free(dlen);
	free(dargv);
	free(kp);
	return rc;
}

enum sg_rc
sg_session_list(struct sg_redis *r, const char *user, cJSON **out,
    struct sg_err *err)
{
	struct sg_session *v = NULL;
	cJSON		*arr = NULL, *o;
	size_t		 n = 0, i;
	enum sg_rc	 rc;

	if (out == NULL)
		return sg_err_set(err, SG_EINVAL, NULL, "no result pointer");
	*out = NULL;
	if ((rc = collect(r, user, &v, &n, NULL, err)) != SG_OK)
		return rc;
	if ((arr = cJSON_CreateArray()) == NULL) {
		rc = sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((o = sg_session_to_json(&v[i])) == NULL) {
			rc = sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
			goto out;
		}
		cJSON_AddItemToArray(arr, o);
	}
	*out = arr;
	arr = NULL;
	rc = SG_OK;
out:
	cJSON_Delete(arr);
	for (i = 0; i < n; i++)
		sg_session_clear(&v[i]);
	free(v);
	return rc;
}

enum sg_rc
sg_session_count(struct sg_redis *r, const char *user, size_t *n,
    struct sg_err *err)
{
	size_t	 dummy;

	return collect(r, user, NULL, n != NULL ? n : &dummy, NULL, err);
}

/*
 * The per-user limit as one atomic step (session.h, sg_session_reserve).
 * KEYS: the user's set, the user's reservations.  ARGV: id, limit, ttl
 * (ms), the session key prefix, the most members read.  Redis's clock
 * (TIME) dates the reservations, so that services on hosts whose clocks
 * differ agree.  Returns {1, n} when id is reserved (n counting it),
 * {0, n} at the limit, {-1, n} when the set is over the bound.  Every
 * value is an argument, never part of the script text.
 */
static const char reserve_lua[] =
"if redis.replicate_commands then pcall(redis.replicate_commands) end\n"
"local t = redis.call('TIME')\n"
"local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
"local id, limit, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])\n"
"local pfx, max = ARGV[4], tonumber(ARGV[5])\n"
"local function keep()\n"
"  redis.call('ZADD', KEYS[2], now + ttl, id)\n"
"  if redis.call('PTTL', KEYS[2]) < ttl then\n"
"    redis.call('PEXPIRE', KEYS[2], ttl)\n"
"  end\n"
"end\n"
"redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)\n"
"local nm = redis.call('SCARD', KEYS[1])\n"
"local nr = redis.call('ZCARD', KEYS[2])\n"
"if nm > max or nr > max then return {-1, nm + nr} end\n"
/* run() may send this twice: holding the reservation already is a yes */
"if redis.call('ZSCORE', KEYS[2], id) then keep() return {1, nr} end\n"
"local n = 0\n"
"for _, m in ipairs(redis.call('SMEMBERS', KEYS[1])) do\n"
"  if redis.call('EXISTS', pfx .. m) == 1 then n = n + 1 end\n"
"end\n"
/* a reservation whose session is written is counted once, above */
"for _, m in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do\n"
"  if redis.call('SISMEMBER', KEYS[1], m) == 0 or\n"
"      redis.call('EXISTS', pfx .. m) == 0 then n = n + 1 end\n"
"end\n"
"if n >= limit then return {0, n} end\n"
"keep()\n"
"return {1, n + 1}\n";

enum sg_rc
sg_session_reserve(struct sg_redis *r, const char *user, const char *id,
    size_t limit, int64_t ttl_ms, size_t *count, struct sg_err *err)
{
	char		 ukey[KEY_MAX], rkey[KEY_MAX], idk[KEY_MAX];
	char		 lim[24], ttl[24], max[24];
	const char	*argv[] = { "EVAL", reserve_lua, "2", ukey, rkey, id,
	    lim, ttl, SG_SESSION_KEY_PREFIX, max };
	redisReply	*rep = NULL;
	const redisReply *a, *b;
	enum sg_rc	 rc;

	if (count != NULL)
		*count = 0;
	if (r == NULL)
		return sg_err_set(err, SG_EINVAL, NULL, "no redis");
	if ((rc = mkkey(ukey, SG_SESSION_USER_PREFIX, user, err)) != SG_OK ||
	    (rc = mkkey(rkey, SG_SESSION_RESERVE_PREFIX, user, err)) !=
	    SG_OK ||
	    (rc = mkkey(idk, SG_SESSION_KEY_PREFIX, id, err)) != SG_OK)
		return rc;
	if (limit == 0 || ttl_ms <= 0 || ttl_ms > SG_SESSION_RESERVE_MAX_MS)
		return sg_err_set(err, SG_EINVAL, NULL,
		    "the limit must be positive, the reservation 1..%lld ms",
		    (long long)SG_SESSION_RESERVE_MAX_MS);
	(void)snprintf(lim, sizeof(lim), "%zu", limit);
	(void)snprintf(ttl, sizeof(ttl), "%lld", (long long)ttl_ms);
	(void)snprintf(max, sizeof(max), "%d", SG_SESSION_MAX_PER_USER);
	if ((rc = run1(r, 10, argv, &rep, err)) != SG_OK)
		return rc;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 ||
	    (a = rep->element[0])->type != REDIS_REPLY_INTEGER ||
	    (b = rep->element[1])->type != REDIS_REPLY_INTEGER ||
	    b->integer < 0) {
		rc = unexpected(r, "EVAL (reserve)", err);
		goto out;
	}
	if (count != NULL)
		*count = (size_t)b->integer;
	if (a->integer == 1)
		rc = SG_OK;
	else if (a->integer == 0)
		rc = sg_err_set(err, SG_ELIMIT, "too_many_sandboxes",
		    "user has %lld sandboxes, the limit is %zu",
		    b->integer, limit);
	else
		rc = sg_err_set(err, SG_ETOOBIG, "too_many_sessions",
		    "user has more than %d sessions", SG_SESSION_MAX_PER_USER);
out:
	freeReplyObject(rep);
	return rc;
}

enum sg_rc
sg_session_unreserve(struct sg_redis *r, const char *user, const char *id,
    struct sg_err *err)
{
	char		 rkey[KEY_MAX], idk[KEY_MAX];
	const char	*argv[] = { "ZREM", rkey, id };
	redisReply	*rep = NULL;
	enum sg_rc	 rc;

	if (r == NULL)
		return sg_err_set(err, SG_EINVAL, NULL, "no redis");
	if ((rc = mkkey(rkey, SG_SESSION_RESERVE_PREFIX, user, err)) !=
	    SG_OK ||
	    (rc = mkkey(idk, SG_SESSION_KEY_PREFIX, id, err)) != SG_OK)
		return rc;
	if ((rc = run1(r, 3, argv, &rep, err)) != SG_OK)
		return rc;
	if (rep->type != REDIS_REPLY_INTEGER)
		rc = unexpected(r, "ZREM", err);
	freeReplyObject(rep);
	return rc;
}

/*
 * Whether id holds a live reservation (session.h, sg_session_reserved).
 * KEYS: the user's reservations.  ARGV: id.  Live means a deadline
 * later than Redis's clock (TIME), the clock reserve_lua dates them by;
 * an expired one that reserve_lua has not removed yet is not live.
 * Read-only: nothing is written, so TIME needs no effects replication.
 */
static const char reserved_lua[] =
"local s = redis.call('ZSCORE', KEYS[1], ARGV[1])\n"
"if not s then return 0 end\n"
"local t = redis.call('TIME')\n"
"local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
"if tonumber(s) > now then return 1 end\n"
"return 0\n";

enum sg_rc
sg_session_reserved(struct sg_redis *r, const char *user, const char *id,
    int *live, struct sg_err *err)
{
	char		 rkey[KEY_MAX], idk[KEY_MAX];
	const char	*argv[] = { "EVAL", reserved_lua, "1", rkey, id };
	redisReply	*rep = NULL;
	enum sg_rc	 rc;

	if (live != NULL)
		*live = 0;
	if (r == NULL || live == NULL)
		return sg_err_set(err, SG_EINVAL, NULL, "no redis");
	if ((rc = mkkey(rkey, SG_SESSION_RESERVE_PREFIX, user, err)) !=
	    SG_OK ||
	    (rc = mkkey(idk, SG_SESSION_KEY_PREFIX, id, err)) != SG_OK)
		return rc;
	if ((rc = run1(r, 5, argv, &rep, err)) != SG_OK)
		return rc;
	if (rep->type != REDIS_REPLY_INTEGER ||
	    (rep->integer != 0 && rep->integer != 1)) {
		rc = unexpected(r, "EVAL (reserved)", err);
		goto out;
	}
	*live = (int)rep->integer;
out:
	freeReplyObject(rep);
	return rc;
}

/*
 * SCAN (COUNT 100) over the user index keys, at most
 * SG_SESSION_PRUNE_MAX_SCAN rounds, cleaning each set as collect() does.
 * Redis deletes a set when its last member goes, so an index whose
 * sessions are all gone disappears without a DEL that could race with a
 * concurrent SADD.  A set that cannot be cleaned (too big, not a set,
 * a corrupt session) is skipped; a dead or slow server stops the scan.
 */
enum sg_rc
sg_session_prune(struct sg_redis *r, size_t *pruned, struct sg_err *err)
{
	char		 cursor[32] = "0";
	const char	*scan[] = { "SCAN", cursor, "MATCH",
	    SG_SESSION_USER_PREFIX "*", "COUNT", "100" };
	redisReply	*rep = NULL;
	const redisReply *cur, *keys, *k;
	struct sg_err	 tmp;
	size_t		 total = 0, rounds, i, cnt, rem;
	size_t		 plen = strlen(SG_SESSION_USER_PREFIX);
	enum sg_rc	 rc = SG_OK;

	if (pruned != NULL)
		*pruned = 0;
	if (r == NULL)
		return sg_err_set(err, SG_EINVAL, NULL, "no redis");
	for (rounds = 0; rounds < SG_SESSION_PRUNE_MAX_SCAN; rounds++) {
		if ((rc = run1(r, 6, scan, &rep, err)) != SG_OK)
			break;
		if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 ||
		    (cur = rep->element[0])->type != REDIS_REPLY_STRING ||
		    !is_digits(cur->str, cur->len) ||
		    cur->len >= sizeof(cursor) ||
		    (keys = rep->element[1])->type != REDIS_REPLY_ARRAY) {
			rc = unexpected(r, "SCAN", err);
			break;
		}
		memcpy(cursor, cur->str, cur->len);
		cursor[cur->len] = '\0';
		for (i = 0; i < keys->elements; i++) {
			k = keys->element[i];
			if (k->type != REDIS_REPLY_STRING || k->len <= plen ||
			    k->len > plen + SG_ID_MAX ||
			    memchr(k->str, '\0', k->len) != NULL ||
			    !sg_id_valid(k->str + plen))
				continue;
			sg_err_clear(&tmp);
			rc = collect(r, k->str + plen, NULL, &cnt, &rem, &tmp);
			total += rem;
			if (rc == SG_EUNAVAIL || rc == SG_ETIMEOUT ||
			    rc == SG_ENOMEM) {
				rc = sg_err_set(err, tmp.rc, tmp.code, "%s",
				    tmp.msg);
				goto out;
			}
			rc = SG_OK;
		}
		freeReplyObject(rep);
		rep = NULL;
		if (strcmp(cursor, "0") == 0)
			break;
	}
out:
	if (rep != NULL)
		freeReplyObject(rep);
	if (pruned != NULL)
		*pruned = total;
	return rc;
}

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

static void
send_fail(struct sg_redis *r)
{
	drop(r);
	r->retry_at_us = sg_now_us() + SEND_BACKOFF_US;
}

/*
 * Connect (bounded by timeout_ms), queue AUTH and SELECT without waiting
 * for their answers, then make the socket non-blocking.  On a loopback
 * or unix socket the connect itself does not wait even when the server
 * is stopped (the kernel completes it); an unreachable host costs at
 * most timeout_ms, then nothing for SEND_BACKOFF_US.
 */
static enum sg_rc
send_connect(struct sg_redis *r, struct sg_err *err)
{
	const char	*auth[3], *sel[2];
	char		 dbbuf[16];
	int		 a = 0, fl, e;

	if (r->c != NULL && r->pid == getpid())
		return SG_OK;
	drop(r);
	if (r->retry_at_us != 0 && sg_now_us() < r->retry_at_us)
		return sg_err_set(err, SG_EUNAVAIL, "redis_backoff",
		    "redis failed recently; not retrying yet");
	errno = 0;
	if (r->is_unix)
		r->c = redisConnectUnixWithTimeout(r->host, r->tv);
	else
		r->c = redisConnectWithTimeout(r->host, r->port, r->tv);
	e = errno;
	if (r->c == NULL)
		return sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
	r->pid = getpid();
	if (r->c->err != 0) {
		(void)ctx_error(r, e, 1, err);
		send_fail(r);
		return err != NULL ? err->rc : SG_EUNAVAIL;
	}
	if (r->password != NULL) {
		auth[a++] = "AUTH";
		if (r->user != NULL)
			auth[a++] = r->user;
		auth[a++] = r->password;
		if (redisAppendCommandArgv(r->c, a, auth, NULL) != REDIS_OK)
			goto fail;
	}
	if (r->db != 0) {
		(void)snprintf(dbbuf, sizeof(dbbuf), "%ld", r->db);
		sel[0] = "SELECT";
		sel[1] = dbbuf;
		if (redisAppendCommandArgv(r->c, 2, sel, NULL) != REDIS_OK)
			goto fail;
	}
	/* From here on no call may wait: hiredis honours REDIS_BLOCK. */
	if ((fl = fcntl(r->c->fd, F_GETFL)) == -1 ||
	    fcntl(r->c->fd, F_SETFL, fl | O_NONBLOCK) == -1)
		goto fail;
	r->c->flags &= ~REDIS_BLOCK;
	return SG_OK;
fail:
	send_fail(r);
	return sg_err_set(err, SG_EUNAVAIL, "redis_connect",
	    "cannot set up the redis connection");
}

/* Read and discard the replies that have arrived; count error replies. */
static enum sg_rc
send_drain(struct sg_redis *r, size_t *failed, struct sg_err *err)
{
	void		*v;
	redisReply	*rep;
	int		 i, got;

	for (i = 0; i < SEND_READS; i++) {
		errno = 0;
		if (redisBufferRead(r->c) != REDIS_OK) {
			(void)ctx_error(r, errno, 0, err);
			send_fail(r);
			return err != NULL ? err->rc : SG_EUNAVAIL;
		}
		got = 0;
		for (;;) {
			v = NULL;
			if (redisGetReplyFromReader(r->c, &v) != REDIS_OK) {
				(void)ctx_error(r, errno, 0, err);
				send_fail(r);
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
sg_redis_send(struct sg_redis *r, int argc, const char **argv,
    const size_t *len, size_t max_pending, size_t *failed,
    struct sg_err *err)
{
	struct pipeguard g;
	enum sg_rc	 rc;
	int		 done = 0;

	if (failed != NULL)
		*failed = 0;
	if (r == NULL || argc < 1)
		return sg_err_set(err, SG_EINVAL, NULL, "no command");
	r->async = 1;
	guard_on(&g);
	if ((rc = send_connect(r, err)) != SG_OK)
		goto out;
	if (++r->undrained >= SEND_DRAIN_EVERY) {
		r->undrained = 0;
		if ((rc = send_drain(r, failed, err)) != SG_OK)
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
	    redisBufferWrite(r->c, &done) != REDIS_OK) {
		rc = ctx_error(r, errno, 0, err);
		send_fail(r);
		goto out;
	}
	rc = SG_OK;
out:
	guard_off(&g);
	return rc;
}

enum sg_rc
sg_redis_flush(struct sg_redis *r, size_t *failed, struct sg_err *err)
{
	struct pipeguard g;
	enum sg_rc	 rc = SG_OK;
	int		 done = 0;

	if (failed != NULL)
		*failed = 0;
	if (r == NULL || !r->async || r->c == NULL || r->pid != getpid())
		return SG_OK;
	guard_on(&g);
	if ((rc = send_drain(r, failed, err)) != SG_OK)
		goto out;
	errno = 0;
	if (sdslen(r->c->obuf) > 0 && redisBufferWrite(r->c, &done) !=
	    REDIS_OK) {
		rc = ctx_error(r, errno, 0, err);
		send_fail(r);
	}
out:
	guard_off(&g);
	return rc;
}

size_t
sg_redis_pending(const struct sg_redis *r)
{
	if (r == NULL || r->c == NULL || r->c->obuf == NULL)
		return 0;
	return sdslen(r->c->obuf);
}

/* ---- streams and counts (the audit trail, /metrics) ------------------ */

/* One XREVRANGE entry [id, [field, value, ...]] as {"id", "fields"}. */
static cJSON *
stream_entry(const redisReply *e)
{
	const redisReply	*id, *fv, *f, *v;
	cJSON			*o = NULL, *fields = NULL;
	char			 name[64];
	size_t			 i;

	if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
	    (id = e->element[0])->type != REDIS_REPLY_STRING ||
	    id->len == 0 || id->len > 64 ||
	    (fv = e->element[1])->type != REDIS_REPLY_ARRAY ||
	    fv->elements % 2 != 0)
		return NULL;
	if ((o = cJSON_CreateObject()) == NULL ||
	    (fields = cJSON_AddObjectToObject(o, "fields")) == NULL ||
	    cJSON_AddStringToObject(o, "id", id->str) == NULL)
		goto bad;
	for (i = 0; i + 1 < fv->elements; i += 2) {
		f = fv->element[i];
		v = fv->element[i + 1];
		/* Names: short, NUL-free; the first of a repeated one wins. */
		if (f->type != REDIS_REPLY_STRING ||
		    v->type != REDIS_REPLY_STRING || f->len == 0 ||
		    f->len >= sizeof(name) ||
		    memchr(f->str, '\0', f->len) != NULL ||
		    memchr(v->str, '\0', v->len) != NULL)
			continue;
		memcpy(name, f->str, f->len);
		name[f->len] = '\0';
		if (cJSON_GetObjectItemCaseSensitive(fields, name) != NULL)
			continue;
		if (cJSON_AddStringToObject(fields, name, v->str) == NULL)
			goto bad;
	}
	return o;
bad:
	cJSON_Delete(o);
	return NULL;
}

enum sg_rc
sg_redis_stream_page(struct sg_redis *r, const char *key, const char *end,
    size_t count, cJSON **out, struct sg_err *err)
{
	char		 cnt[24];
	const char	*argv[] = { "XREVRANGE", key, end, "-", "COUNT", cnt };
	redisReply	*rep = NULL;
	cJSON		*arr = NULL, *o;
	size_t		 i;
	enum sg_rc	 rc;

	*out = NULL;
	if (r == NULL || key == NULL || end == NULL || count == 0 ||
	    count > SG_REDIS_STREAM_PAGE_MAX)
		return sg_err_set(err, SG_EINVAL, NULL, "bad stream read");
	(void)snprintf(cnt, sizeof(cnt), "%zu", count);
	if ((rc = run1(r, 6, argv, &rep, err)) != SG_OK)
		return rc;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements > count) {
		rc = unexpected(r, "XREVRANGE", err);
		goto out;
	}
	if ((arr = cJSON_CreateArray()) == NULL) {
		rc = sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
		goto out;
	}
	for (i = 0; i < rep->elements; i++) {
		if ((o = stream_entry(rep->element[i])) == NULL) {
			rc = unexpected(r, "XREVRANGE", err);
			goto out;
		}
		cJSON_AddItemToArray(arr, o);
	}
	*out = arr;
	arr = NULL;
	rc = SG_OK;
out:
	cJSON_Delete(arr);
	freeReplyObject(rep);
	return rc;
}

/*
 * SCAN MATCH sandgate:session:* COUNT 1000, at most max_rounds rounds.
 * SCAN may return a key twice while Redis rehashes, so the count is
 * approximate by a little; it is exact on a stable keyspace.
 */
enum sg_rc
sg_session_count_live(struct sg_redis *r, size_t max_rounds, size_t *n,
    int *complete, struct sg_err *err)
{
	char		 cursor[32] = "0";
	const char	*scan[] = { "SCAN", cursor, "MATCH",
	    SG_SESSION_KEY_PREFIX "*", "COUNT", "1000" };
	redisReply	*rep = NULL;
	const redisReply *cur, *keys;
	size_t		 rounds;
	enum sg_rc	 rc = SG_OK;

	*n = 0;
	*complete = 0;
	if (r == NULL)
		return sg_err_set(err, SG_EINVAL, NULL, "no redis");
	for (rounds = 0; rounds < max_rounds; rounds++) {
		if ((rc = run1(r, 6, scan, &rep, err)) != SG_OK)
			break;
		if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 ||
		    (cur = rep->element[0])->type != REDIS_REPLY_STRING ||
		    !is_digits(cur->str, cur->len) ||
		    cur->len >= sizeof(cursor) ||
		    (keys = rep->element[1])->type != REDIS_REPLY_ARRAY) {
			rc = unexpected(r, "SCAN", err);
			break;
		}
		memcpy(cursor, cur->str, cur->len);
		cursor[cur->len] = '\0';
		*n += keys->elements;
		freeReplyObject(rep);
		rep = NULL;
		if (strcmp(cursor, "0") == 0) {
			*complete = 1;
			break;
		}
	}
	if (rep != NULL)
		freeReplyObject(rep);
	return rc;
}
