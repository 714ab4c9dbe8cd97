/* SPDX-License-Identifier: ISC */
/*
 * mod_sandgate_authz: the egress proxy's check_authn hook, as
 * mod_authnz_fcgi's AuthnzFcgiCheckAuthnProvider does it, but over kept
 * FastCGI connections (FCGI_KEEP_CONN) to token-verify on a unix socket.
 *
 * Why: mod_authnz_fcgi opens a new TCP connection for every request and
 * closes it after one FastCGI round trip (docs/performance.md has the
 * figures).  This module keeps a small pool of connections per Apache
 * process and sends each request's authorizer call on one of them.
 * token-verify still makes every decision: the module sends the CGI
 * variables token-verify reads (FCGI_ROLE=AUTHORIZER,
 * FCGI_APACHE_ROLE=AUTHENTICATOR, method, URI, host, peer, the
 * X-Container-ID header; SandgateAuthzVars Full sends every one
 * mod_authnz_fcgi would, for an authorizer that wants them) and
 * applies the answer as mod_authnz_fcgi does: 200 sets r->user from
 * Variable-SG_CONTAINER_ID; any other status goes to the client with
 * the authorizer's headers and body unchanged (ap_custom_response).
 *
 * A kept connection may have been closed by token-verify while idle
 * (serve.c closes an idle kept connection when another one waits): a
 * request that fails before any byte of the answer came back is sent
 * once more on a new connection.  token-verify read nothing of it, so
 * nothing was decided twice (unless a worker died after deciding and
 * before its first byte: then the decision is logged twice, the client
 * gets one answer).
 *
 *   LoadModule sandgate_authz_module .../mod_sandgate_authz.so
 *   <Proxy "*">
 *     AuthType SandgateToken
 *     AuthName sandgate
 *     SandgateAuthz unix:/run/sandgate/token-verify-egress.sock
 *     Require valid-user
 *   </Proxy>
 *
 * Each sandbox's share: with SandgateMaxTunnels N in the same section, a
 * container that token-verify vouched for may have at most N requests
 * and CONNECT tunnels open at once in the whole server (every process
 * and thread; sga_share.c counts them in shared memory).  The one after
 * is refused with 429 tunnels_exhausted, in the body an agent can read
 * (docs/contract.md §10.3), and SG_REFUSED=tunnels_exhausted for the
 * logs.  A tunnel counts until it closes, a request until its answer
 * is sent.  This works whichever module authenticated the request: it
 * reads r->user, which both set from Variable-SG_CONTAINER_ID.
 *
 *     SandgateMaxTunnels 32
 *
 * The decision cache: with SandgateDecisionCache N, each process keeps up
 * to N of token-verify's allows (sga_cache.c), under the SHA-256 of every
 * variable sent but REMOTE_PORT, and answers the same request again from
 * one, without the round trip, until the time token-verify gave with it
 * (Variable-SG_REUSE_MS: what is left of its session lookup's bound, so
 * revocation is seen as soon as without the cache).  A request let
 * through so has SG_REUSED=1 in its environment for the logs; the piped
 * budget log writes them to the audit trail (docs/contract.md §7.3).
 *
 *     SandgateDecisionCache 1024
 *
 * The secrets broker inside Apache (sga_broker.c): in a location with
 * SandgateBroker On, whose SandgateAuthz is secret-broker's socket, the
 * allow carries the secret's host, checked addresses, header and value
 * (Variable-SG_BROKER_*); those stay in the request's own config, never
 * in its environment (where a log format or a CGI would see them), and
 * the module's handler makes the call.  SandgateBrokerCA names the CA
 * file for the upstream's certificate (default: the system's).
 *
 *     <Location "/broker/">
 *       AuthType SandgateToken
 *       AuthName sandgate
 *       SandgateAuthz unix:/run/sandgate/broker.sock
 *       SandgateBroker On
 *       Require valid-user
 *     </Location>
 *
 * Built by `make` when configure finds apxs (Debian: apache2-dev); the
 * Apache and libcurl headers are the only ones it includes, nothing of
 * libsandgate but lib/relay.c, which depends on nothing.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>

#include <sys/time.h>

#include <time.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "ap_mpm.h"
#include "mod_auth.h"
#include "scoreboard.h"
#include "util_fcgi.h"
#include "util_script.h"
#include "apr_strings.h"
#include "apr_thread_mutex.h"

#include <openssl/evp.h>

#include "sga_broker.h"
#include "sga_cache.h"
#include "sga_share.h"

#define SGA_IO_MS	10000	/* per read/write, as mod_authnz_fcgi's 10 s */
#define SGA_MAX_OUT	65536	/* an answer larger than this is an error */
#define SGA_IDLE_MAX	64	/* kept connections per Apache process */
#define SGA_USER_VAR	"SG_CONTAINER_ID"
#define SGA_TUNNELS_MAX	1000000	/* SandgateMaxTunnels at most */
#define SGA_REUSE_VAR	"SG_REUSE_MS"
#define SGA_REUSE_MAX	60000	/* ms, SANDGATE_SESSION_CACHE_MS at most */
#define SGA_BROKER_VAR	"SG_BROKER_"	/* the broker's: not in the env */

module AP_MODULE_DECLARE_DATA sandgate_authz_module;

struct sga_dir {
	const char		*path;	/* unix socket, or NULL: off */
	int			 max;	/* SandgateMaxTunnels; -1 unset, 0 off */
	int			 full;	/* SandgateAuthzVars; -1 unset, 0, 1 */
	int			 reuse;	/* SandgateDecisionCache; -1, 0, 1 */
	int			 broker;	/* SandgateBroker; -1, 0, 1 */
	const char		*ca;	/* SandgateBrokerCA, or NULL */
};

/*
 * One process's idle connections, each with the socket path it is
 * connected to (several vhosts may name several token-verify pools).
 */
struct sga_conn {
	int		 fd;
	const char	*path;		/* the directory config's string */
};
static apr_thread_mutex_t	*sga_mu;
static struct sga_conn		 sga_idle[SGA_IDLE_MAX];
static int			 sga_nidle;

/*
 * The open requests and tunnels per container: made by the parent in
 * post_config (one table per generation: after a graceful restart the
 * old children count in the old one until they are gone), used by the
 * children it forks.  sga_row: this process's row, once its scoreboard
 * slot is known (0, the shared row, until then).
 */
static struct sga_share		*sga_tab;
static pid_t			 sga_tab_owner;
static int			 sga_tab_wanted;
static unsigned			 sga_row;
static int			 sga_row_known;

/*
 * The decision cache (sga_cache.h): one per process, of the largest
 * size any SandgateDecisionCache asked for, made in child_init.
 */
static unsigned			 sga_dc_size;
static struct sga_cache		*sga_dc;
/* SHA-256 for the cache's keys, fetched once per process (child_init). */
static EVP_MD			*sga_sha256;
/* Some location has SandgateBroker On: libcurl in child_init. */
static int			 sga_broker_wanted;

struct sga_held {
	unsigned	 row;
	const char	*id;
};

static void *
sga_dir_create(apr_pool_t *p, char *d)
{
	struct sga_dir	*dc = apr_pcalloc(p, sizeof(*dc));

	(void)d;
	dc->max = -1;
	dc->full = -1;
	dc->reuse = -1;
	dc->broker = -1;
	return dc;
}

static void *
sga_dir_merge(apr_pool_t *p, void *basev, void *addv)
{
	struct sga_dir	*m = apr_pcalloc(p, sizeof(*m));
	struct sga_dir	*base = basev, *add = addv;

	m->path = add->path != NULL ? add->path : base->path;
	m->max = add->max >= 0 ? add->max : base->max;
	m->full = add->full >= 0 ? add->full : base->full;
	m->reuse = add->reuse >= 0 ? add->reuse : base->reuse;
	m->broker = add->broker >= 0 ? add->broker : base->broker;
	m->ca = add->ca != NULL ? add->ca : base->ca;
	return m;
}

static const char *
sga_cmd_socket(cmd_parms *cmd, void *dv, const char *arg)
{
	struct sga_dir	*d = dv;
	struct sockaddr_un sun;

	if (strcasecmp(arg, "None") == 0) {
		d->path = NULL;
		return NULL;
	}
	if (strncmp(arg, "unix:", 5) == 0)
		arg += 5;
	if (*arg != '/' || strlen(arg) >= sizeof(sun.sun_path))
		return apr_psprintf(cmd->pool, "SandgateAuthz: expected "
		    "unix:/absolute/path (under %zu bytes) or None, got '%s'",
		    sizeof(sun.sun_path), arg);
	d->path = apr_pstrdup(cmd->pool, arg);
	return NULL;
}

/* A decimal 0 to max: 0 with *n, or -1. */
static int
sga_num(const char *arg, long max, long *n)
{
	char	*end;

	errno = 0;
	*n = strtol(arg, &end, 10);
	return errno != 0 || end == arg || *end != '\0' || *n < 0 ||
	    *n > max ? -1 : 0;
}

static const char *
sga_cmd_tunnels(cmd_parms *cmd, void *dv, const char *arg)
{
	struct sga_dir	*d = dv;
	long		 n;

	if (sga_num(arg, SGA_TUNNELS_MAX, &n) != 0)
		return apr_psprintf(cmd->pool, "SandgateMaxTunnels: expected "
		    "a number of requests and tunnels per sandbox, 0 (no "
		    "limit) to %d, got '%s'", SGA_TUNNELS_MAX, arg);
	d->max = (int)n;
	if (n > 0)
		sga_tab_wanted = 1;
	return NULL;
}

static const char *
sga_cmd_vars(cmd_parms *cmd, void *dv, const char *arg)
{
	struct sga_dir	*d = dv;

	if (strcasecmp(arg, "Minimal") == 0)
		d->full = 0;
	else if (strcasecmp(arg, "Full") == 0)
		d->full = 1;
	else
		return apr_psprintf(cmd->pool, "SandgateAuthzVars: expected "
		    "Minimal (what token-verify reads) or Full (every CGI "
		    "variable, as mod_authnz_fcgi), got '%s'", arg);
	return NULL;
}

static const char *
sga_cmd_reuse(cmd_parms *cmd, void *dv, const char *arg)
{
	struct sga_dir	*d = dv;
	long		 n = 0;

	if (strcasecmp(arg, "Off") != 0 &&
	    sga_num(arg, (long)SGA_CACHE_MAX, &n) != 0)
		return apr_psprintf(cmd->pool, "SandgateDecisionCache: "
		    "expected Off or the entries each Apache process keeps, "
		    "1 to %u, got '%s'", SGA_CACHE_MAX, arg);
	d->reuse = n > 0;
	if ((unsigned long)n > sga_dc_size)
		sga_dc_size = (unsigned)n;
	return NULL;
}

static const char *
sga_cmd_broker(cmd_parms *cmd, void *dv, int on)
{
	struct sga_dir	*d = dv;

	(void)cmd;
	d->broker = on != 0;
	if (on)
		sga_broker_wanted = 1;
	return NULL;
}

static const char *
sga_cmd_ca(cmd_parms *cmd, void *dv, const char *arg)
{
	struct sga_dir	*d = dv;

	if (*arg != '/')
		return apr_psprintf(cmd->pool, "SandgateBrokerCA: expected an "
		    "absolute path of a PEM CA file, got '%s'", arg);
	d->ca = apr_pstrdup(cmd->pool, arg);
	return NULL;
}

/* Wait for fd to be ready for events, SGA_IO_MS at most: 0, or -1. */
static int
sga_wait(int fd, short events)
{
	struct pollfd	 pfd;
	int		 n;

	pfd.fd = fd;
	pfd.events = events;
	do
		n = poll(&pfd, 1, SGA_IO_MS);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		errno = ETIMEDOUT;
	return n > 0 ? 0 : -1;
}

static int
sga_connect(const char *path)
{
	struct sockaddr_un	 sun;
	struct timeval		 tv = { SGA_IO_MS / 1000, 0 };
	int			 fd, fl;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	apr_cpystrn(sun.sun_path, path, sizeof(sun.sun_path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	/*
	 * Blocking, bounded by SO_SNDTIMEO: a non-blocking unix connect
	 * fails with EAGAIN when the backlog is full instead of waiting.
	 */
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    (fl = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * A kept connection, or -1: make a new one.  One that token-verify has
 * closed while it was idle reads as ready (EOF) and is dropped here.
 */
static int
sga_take(const char *path)
{
	struct pollfd	 pfd;
	int		 fd, i;

	if (sga_mu == NULL)
		return -1;
	for (;;) {
		fd = -1;
		apr_thread_mutex_lock(sga_mu);
		for (i = sga_nidle - 1; i >= 0; i--) {
			if (strcmp(sga_idle[i].path, path) != 0)
				continue;
			fd = sga_idle[i].fd;
			sga_idle[i] = sga_idle[--sga_nidle];
			break;
		}
		apr_thread_mutex_unlock(sga_mu);
		if (fd < 0)
			return -1;
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 0) == 0)
			return fd;
		close(fd);
	}
}

static void
sga_give(int fd, const char *path)
{
	if (sga_mu != NULL) {
		apr_thread_mutex_lock(sga_mu);
		if (sga_nidle < SGA_IDLE_MAX) {
			sga_idle[sga_nidle].fd = fd;
			sga_idle[sga_nidle++].path = path;
			fd = -1;
		}
		apr_thread_mutex_unlock(sga_mu);
	}
	if (fd >= 0)
		close(fd);
}

static int
sga_write(int fd, const char *p, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (errno == EAGAIN && sga_wait(fd, POLLOUT) != 0)
				return -1;
			continue;
		}
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Exactly len bytes: 0; -1 on error, EOF or timeout (*got: bytes read). */
static int
sga_read(int fd, char *p, size_t len, size_t *got)
{
	ssize_t	 n;

	while (len > 0) {
		n = recv(fd, p, len, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (errno == EAGAIN && sga_wait(fd, POLLIN) != 0)
				return -1;
			continue;
		}
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
		*got += (size_t)n;
	}
	return 0;
}

/*
 * The request headers token-verify reads besides the credentials (set
 * below in either mode), as HTTP_* variables: the container id header
 * of the API's routes, and Host for the logs.
 */
static const char *const sga_hdrs[][2] = {
	{ "X-Container-Id",		"HTTP_X_CONTAINER_ID" },
	{ "Host",			"HTTP_HOST" },
};

/*
 * The CGI variables of the call.  Minimal (the default): only those
 * token-verify reads, built directly: ap_add_common_vars and
 * ap_add_cgi_vars make some thirty of them from every header and the
 * server's settings, and token-verify then parses them all, on every
 * request (docs/performance.md has what it saved).  Full: those two,
 * less what an authorizer must not get, as mod_authnz_fcgi sends them,
 * for an authorizer other than token-verify.
 */
static apr_table_t *
sga_env(request_rec *r, int full)
{
	apr_table_t	*saved = r->subprocess_env, *env;
	const char	*v;
	static const char *const drop[] = { "CONTENT_LENGTH", "PATH_INFO",
	    "PATH_TRANSLATED", "SCRIPT_NAME", "HTTP_KEEP_ALIVE", "HTTP_TE",
	    "HTTP_TRAILER", "HTTP_TRANSFER_ENCODING", "HTTP_UPGRADE", NULL };
	size_t		 i;

	if (full) {
		r->subprocess_env = apr_table_copy(r->pool, saved);
		ap_add_common_vars(r);
		ap_add_cgi_vars(r);
		env = r->subprocess_env;
		r->subprocess_env = saved;
		for (i = 0; drop[i] != NULL; i++)
			apr_table_unset(env, drop[i]);
	} else {
		env = apr_table_make(r->pool, 12);
		apr_table_setn(env, "GATEWAY_INTERFACE", "CGI/1.1");
		apr_table_setn(env, "SERVER_PROTOCOL", r->protocol);
		apr_table_setn(env, "REQUEST_METHOD", r->method);
		apr_table_setn(env, "REQUEST_URI", r->unparsed_uri);
		apr_table_setn(env, "QUERY_STRING",
		    r->args != NULL ? r->args : "");
		apr_table_setn(env, "REMOTE_ADDR", r->useragent_ip);
		apr_table_setn(env, "REMOTE_PORT", apr_itoa(r->pool,
		    r->useragent_addr != NULL ? r->useragent_addr->port : 0));
		for (i = 0; i < sizeof(sga_hdrs) / sizeof(sga_hdrs[0]); i++)
			if ((v = apr_table_get(r->headers_in,
			    sga_hdrs[i][0])) != NULL)
				apr_table_setn(env, sga_hdrs[i][1], v);
	}
	/*
	 * The credentials, whatever CGIPassAuth says: without them every
	 * decision would be a 407 (mod_authnz_fcgi needs CGIPassAuth On).
	 */
	if ((v = apr_table_get(r->headers_in, "Proxy-Authorization")) != NULL)
		apr_table_setn(env, "HTTP_PROXY_AUTHORIZATION", v);
	if ((v = apr_table_get(r->headers_in, "Authorization")) != NULL)
		apr_table_setn(env, "HTTP_AUTHORIZATION", v);
	apr_table_setn(env, "FCGI_ROLE", AP_FCGI_AUTHORIZER_STR);
	apr_table_setn(env, "FCGI_APACHE_ROLE",
	    AP_FCGI_APACHE_ROLE_AUTHENTICATOR_STR);
	apr_table_setn(env, "HTTP_CONNECTION", "close");
	return env;
}

/* BEGIN_REQUEST (keep the connection), PARAMS..., empty PARAMS. */
static char *
sga_request(request_rec *r, apr_table_t *env, size_t *len)
{
	const apr_array_header_t *arr = apr_table_elts(env);
	ap_fcgi_header		 h;
	ap_fcgi_begin_request_body brb;
	apr_size_t		 need, cap, off = 0;
	int			 next = 0, start;
	char			*buf, *body;

	/* At most 16 kB per PARAMS record; a header each plus the ends. */
	cap = 3 * AP_FCGI_HEADER_LEN;
	while (next < arr->nelts) {
		need = ap_fcgi_encoded_env_len(env, 16384, &next);
		if (need == 0) {
			if (next < arr->nelts) {
				next++;		/* one too large: skip */
				continue;
			}
			break;
		}
		cap += need + AP_FCGI_HEADER_LEN;
	}
	buf = apr_palloc(r->pool, cap);
	ap_fcgi_fill_in_header(&h, AP_FCGI_BEGIN_REQUEST, 1,
	    sizeof(ap_fcgi_begin_request_body), 0);
	ap_fcgi_header_to_array(&h, (unsigned char *)buf + off);
	off += AP_FCGI_HEADER_LEN;
	ap_fcgi_fill_in_request_body(&brb, AP_FCGI_AUTHORIZER,
	    AP_FCGI_KEEP_CONN);
	ap_fcgi_begin_request_body_to_array(&brb, (unsigned char *)buf + off);
	off += AP_FCGI_HEADER_LEN;
	next = 0;
	while (next < arr->nelts) {
		start = next;
		need = ap_fcgi_encoded_env_len(env, 16384, &next);
		if (need == 0) {
			if (next < arr->nelts) {
				next++;
				continue;
			}
			break;
		}
		body = buf + off + AP_FCGI_HEADER_LEN;
		if (ap_fcgi_encode_env(r, env, body, need, &start) !=
		    APR_SUCCESS)
			return NULL;
		ap_fcgi_fill_in_header(&h, AP_FCGI_PARAMS, 1,
		    (apr_uint16_t)need, 0);
		ap_fcgi_header_to_array(&h, (unsigned char *)buf + off);
		off += AP_FCGI_HEADER_LEN + need;
	}
	ap_fcgi_fill_in_header(&h, AP_FCGI_PARAMS, 1, 0, 0);
	ap_fcgi_header_to_array(&h, (unsigned char *)buf + off);
	off += AP_FCGI_HEADER_LEN;
	*len = off;
	return buf;
}

/*
 * Read the answer to request 1 on fd: STDOUT into out (*outlen), until
 * END_REQUEST.  0; -1 on error (*got: bytes read before it).
 */
static int
sga_answer(request_rec *r, int fd, char *out, size_t *outlen, size_t *got)
{
	unsigned char	 hdr[AP_FCGI_HEADER_LEN], type, ver, plen;
	apr_uint16_t	 rid, clen;
	char		 pad[256], *sink;

	*outlen = 0;
	for (;;) {
		if (sga_read(fd, (char *)hdr, sizeof(hdr), got) != 0)
			return -1;
		ap_fcgi_header_fields_from_array(&ver, &type, &rid, &clen,
		    &plen, hdr);
		if (ver != AP_FCGI_VERSION_1 || rid != 1) {
			errno = EPROTO;
			return -1;
		}
		if (type == AP_FCGI_STDOUT) {
			if (*outlen + clen > SGA_MAX_OUT) {
				errno = EMSGSIZE;
				return -1;
			}
			if (sga_read(fd, out + *outlen, clen, got) != 0)
				return -1;
			*outlen += clen;
		} else {
			sink = apr_palloc(r->pool, (apr_size_t)clen + 1);
			if (sga_read(fd, sink, clen, got) != 0)
				return -1;
			sink[clen] = '\0';
			if (type == AP_FCGI_STDERR && clen > 0)
				ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
				    "sandgate_authz: authorizer stderr: %s",
				    sink);
		}
		if (plen > 0 && sga_read(fd, pad, plen, got) != 0)
			return -1;
		if (type == AP_FCGI_END_REQUEST)
			return 0;
	}
}

/*
 * One round trip on a kept or new connection: 0 with out filled, or -1.
 * A kept connection that fails before any byte of the answer is closed
 * and the next one tried (at most every idle one, then a new one); a
 * new connection that fails is the end.
 */
static int
sga_call(request_rec *r, const char *path, const char *req, size_t reqlen,
    char *out, size_t *outlen)
{
	size_t	 got;
	int	 fd, reused, tries;

	for (tries = 0; tries <= SGA_IDLE_MAX; tries++) {
		reused = (fd = sga_take(path)) >= 0;
		if (!reused && (fd = sga_connect(path)) < 0) {
			ap_log_rerror(APLOG_MARK, APLOG_ERR, errno, r,
			    "sandgate_authz: cannot connect to %s", path);
			return -1;
		}
		got = 0;
		if (sga_write(fd, req, reqlen) == 0 &&
		    sga_answer(r, fd, out, outlen, &got) == 0) {
			sga_give(fd, path);
			return 0;
		}
		close(fd);
		if (!reused || got > 0)
			break;
	}
	ap_log_rerror(APLOG_MARK, APLOG_ERR, errno, r,
	    "sandgate_authz: FastCGI call to %s failed", path);
	return -1;
}

static int
sga_var(void *vars, const char *key, const char *val)
{
	if (strncasecmp(key, "Variable-", 9) == 0 && key[9] != '\0')
		apr_table_setn(vars, key, val);
	return 1;
}

/*
 * An allow's variable NAME into the request: the broker's (SG_BROKER_*,
 * a secret among them) into the request's own table for the handler,
 * every other into the environment.
 */
static void
sga_set(request_rec *r, const char *name, const char *val)
{
	apr_table_t	*b;

	if (strncmp(name, SGA_BROKER_VAR, strlen(SGA_BROKER_VAR)) != 0) {
		apr_table_set(r->subprocess_env, name, val);
		return;
	}
	if ((b = ap_get_module_config(r->request_config,
	    &sandgate_authz_module)) == NULL) {
		b = apr_table_make(r->pool, 6);
		ap_set_module_config(r->request_config, &sandgate_authz_module,
		    b);
	}
	apr_table_set(b, name, val);
}

static int
sga_move(void *rv, const char *key, const char *val)
{
	request_rec	*r = rv;

	apr_table_unset(r->err_headers_out, key);
	sga_set(r, key + 9, val);
	return 1;
}

static int64_t
sga_mono_us(void)
{
	struct timespec	 ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * The decision cache's key: SHA-256 of the socket and of every variable
 * sent to token-verify, in the order they are sent, but REMOTE_PORT
 * (token-verify decides nothing from it, and a client's every new
 * connection has another).  Two requests with the same key are the
 * same question to token-verify: the same credentials, peer address,
 * method, request target, Host and X-Container-ID.  0, or -1.
 */
static int
sga_key(const char *path, apr_table_t *env,
    unsigned char key[SGA_CACHE_KEY])
{
	const apr_array_header_t *arr = apr_table_elts(env);
	const apr_table_entry_t	*te = (const apr_table_entry_t *)arr->elts;
	EVP_MD_CTX		*ctx;
	unsigned int		 n = 0;
	int			 i, ok;

	if (sga_sha256 == NULL || (ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	ok = EVP_DigestInit_ex(ctx, sga_sha256, NULL) == 1 &&
	    EVP_DigestUpdate(ctx, path, strlen(path) + 1) == 1;
	for (i = 0; ok && i < arr->nelts; i++) {
		if (te[i].key == NULL || te[i].val == NULL ||
		    strcmp(te[i].key, "REMOTE_PORT") == 0)
			continue;
		/* NUL-ended both: no two tables give the same bytes */
		ok = EVP_DigestUpdate(ctx, te[i].key,
		    strlen(te[i].key) + 1) == 1 &&
		    EVP_DigestUpdate(ctx, te[i].val,
		    strlen(te[i].val) + 1) == 1;
	}
	ok = ok && EVP_DigestFinal_ex(ctx, key, &n) == 1 &&
	    n == SGA_CACHE_KEY;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -1;
}

/*
 * A kept allow for this request: its variables into the environment,
 * the user from SG_CONTAINER_ID, SG_REUSED=1 for the logs.  1, or 0 (no
 * live entry: ask token-verify).
 */
static int
sga_reused(request_rec *r, const unsigned char key[SGA_CACHE_KEY])
{
	char		 val[SGA_CACHE_VAL + 1];
	const char	*p, *end, *name, *user;
	size_t		 len;

	if (!sga_cache_get(sga_dc, key, sga_mono_us(), val, &len))
		return 0;
	val[len] = '\0';
	for (p = val, end = val + len; p < end; p += strlen(p) + 1) {
		name = p;
		p += strlen(p) + 1;
		if (p >= end)
			break;
		sga_set(r, name, p);
	}
	explicit_bzero(val, sizeof(val));	/* a broker allow's secret */
	user = apr_table_get(r->subprocess_env, SGA_USER_VAR);
	if (user == NULL || *user == '\0')
		return 0;	/* not kept without one: never here */
	apr_table_setn(r->subprocess_env, "SG_REUSED", "1");
	r->user = apr_pstrdup(r->pool, user);
	return 1;
}

/*
 * Keep token-verify's allow when it says how long it may be reused:
 * the Variable-* values (vars, "Variable-NAME" keys), until now plus
 * SG_REUSE_MS.  Nothing kept when the values do not fit.
 */
static void
sga_keep(request_rec *r, const unsigned char key[SGA_CACHE_KEY],
    apr_table_t *vars)
{
	const apr_array_header_t *arr = apr_table_elts(vars);
	const apr_table_entry_t	*te = (const apr_table_entry_t *)arr->elts;
	const char		*ms;
	char			 val[SGA_CACHE_VAL];
	size_t			 len = 0, kl, vl;
	long			 n;
	int			 i;

	if ((ms = apr_table_get(vars, "Variable-" SGA_REUSE_VAR)) == NULL ||
	    sga_num(ms, LONG_MAX, &n) != 0 || n == 0)
		return;
	if (n > SGA_REUSE_MAX)
		n = SGA_REUSE_MAX;
	for (i = 0; i < arr->nelts; i++) {
		if (strcasecmp(te[i].key + 9, SGA_REUSE_VAR) == 0)
			continue;
		kl = strlen(te[i].key + 9) + 1;
		vl = strlen(te[i].val) + 1;
		if (len + kl + vl > sizeof(val)) {
			ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
			    "sandgate_authz: an allow too large to keep");
			explicit_bzero(val, len);
			return;
		}
		memcpy(val + len, te[i].key + 9, kl);
		memcpy(val + len + kl, te[i].val, vl);
		len += kl + vl;
	}
	(void)sga_cache_put(sga_dc, key, sga_mono_us() + (int64_t)n * 1000,
	    val, len);
	explicit_bzero(val, len);
}

static int
sga_check_authn(request_rec *r)
{
	struct sga_dir	*d = ap_get_module_config(r->per_dir_config,
	    &sandgate_authz_module);
	apr_bucket_brigade *bb;
	apr_table_t	*vars, *env;
	const char	*user;
	char		*req, *out, *body;
	unsigned char	 key[SGA_CACHE_KEY];
	size_t		 reqlen, outlen;
	apr_size_t	 blen;
	int		 st, reuse;

	if (d == NULL || d->path == NULL)
		return DECLINED;
	env = sga_env(r, d->full == 1);
	reuse = d->reuse == 1 && sga_dc != NULL && sga_key(d->path, env,
	    key) == 0;
	if (reuse && sga_reused(r, key))
		return OK;
	if ((req = sga_request(r, env, &reqlen)) == NULL)
		return HTTP_INTERNAL_SERVER_ERROR;
	out = apr_palloc(r->pool, SGA_MAX_OUT + 1);
	if (sga_call(r, d->path, req, reqlen, out, &outlen) != 0)
		return HTTP_INTERNAL_SERVER_ERROR;
	out[outlen] = '\0';
	/* Status, headers into r->err_headers_out, as for a CGI script. */
	bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
	APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_pool_create(out, outlen,
	    r->pool, r->connection->bucket_alloc));
	r->status = HTTP_OK;
	st = ap_scan_script_header_err_brigade_ex(r, bb, NULL,
	    APLOG_MODULE_INDEX);
	if (st != OK) {
		ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
		    "sandgate_authz: bad answer headers from %s", d->path);
		return HTTP_INTERNAL_SERVER_ERROR;
	}
	if (r->status != HTTP_OK) {
		/* The authorizer's body, as the client's (FastCGI 6.3). */
		blen = outlen;
		body = apr_palloc(r->pool, blen + 1);
		if (apr_brigade_flatten(bb, body, &blen) == APR_SUCCESS &&
		    blen > 0) {
			body[blen] = '\0';
			ap_custom_response(r, r->status, body);
		}
		return r->status;
	}
	/*
	 * Variable-NAME headers of a 200 are for the server, not the
	 * client (FastCGI 6.3): into the environment as NAME.
	 */
	vars = apr_table_make(r->pool, 4);
	apr_table_do(sga_var, vars, r->err_headers_out, NULL);
	apr_table_do(sga_move, r, vars, NULL);
	apr_table_unset(r->subprocess_env, SGA_REUSE_VAR);
	user = apr_table_get(r->subprocess_env, SGA_USER_VAR);
	if (user == NULL || *user == '\0') {
		ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
		    "sandgate_authz: 200 without Variable-" SGA_USER_VAR);
		return HTTP_INTERNAL_SERVER_ERROR;
	}
	r->user = apr_pstrdup(r->pool, user);
	if (reuse)
		sga_keep(r, key, vars);
	return OK;
}

static apr_status_t
sga_tab_free(void *arg)
{
	/* Only the parent: a child's tunnels may still be closing. */
	if (sga_tab == arg && sga_tab_owner == getpid()) {
		sga_share_free(sga_tab);
		sga_tab = NULL;
	}
	return APR_SUCCESS;
}

/*
 * Sized so that it cannot fill: no more containers can have something
 * open than there are threads to serve them (ServerLimit x ThreadLimit,
 * the hard limits), one row per process slot and the shared row.
 */
static int
sga_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
    server_rec *s)
{
	int	 daemons = 0, threads = 0;
	long	 ents;

	(void)plog;
	(void)ptemp;
	sga_tab = NULL;
	if (!sga_tab_wanted)
		return OK;
	if (ap_mpm_query(AP_MPMQ_HARD_LIMIT_DAEMONS, &daemons) != APR_SUCCESS ||
	    daemons < 1)
		daemons = 1;
	if (ap_mpm_query(AP_MPMQ_HARD_LIMIT_THREADS, &threads) != APR_SUCCESS ||
	    threads < 1)
		threads = 1;
	ents = (long)daemons * threads;
	if (ents > 1L << 19)
		ents = 1L << 19;
	if (daemons > 4095)
		daemons = 4095;
	if ((sga_tab = sga_share_new((unsigned)daemons + 1,
	    (unsigned)ents)) == NULL) {
		ap_log_error(APLOG_MARK, APLOG_CRIT, errno, s,
		    "sandgate_authz: no shared table for SandgateMaxTunnels "
		    "(%d processes, %ld containers)", daemons, ents);
		return HTTP_INTERNAL_SERVER_ERROR;
	}
	sga_tab_owner = getpid();
	apr_pool_cleanup_register(pconf, sga_tab, sga_tab_free,
	    apr_pool_cleanup_null);
	return OK;
}

/*
 * This process's row: its scoreboard slot's, found at the first request
 * (in child_init the parent may not have written the slot's pid yet).
 * The row's previous holder is gone, so what it counted is taken away.
 */
static unsigned
sga_my_row(void)
{
	apr_proc_t	 me;
	int		 slot;

	if (sga_row_known)
		return sga_row;
	me.pid = getpid();
	if ((slot = ap_find_child_by_pid(&me)) < 0)
		return 0;
	apr_thread_mutex_lock(sga_mu);
	if (!sga_row_known) {
		sga_row = sga_share_claim(sga_tab, slot, me.pid);
		sga_row_known = 1;
	}
	apr_thread_mutex_unlock(sga_mu);
	return sga_row;
}

static apr_status_t
sga_held_end(void *arg)
{
	struct sga_held	*h = arg;

	if (sga_tab != NULL)
		sga_share_release(sga_tab, h->row, h->id);
	return APR_SUCCESS;
}

/* The refusal, in the form of token-verify's (docs/contract.md §10.3). */
static int
sga_refuse(request_rec *r, int status, const char *reason, const char *msg)
{
	apr_table_setn(r->err_headers_out, "X-Sandgate-Reason", reason);
	apr_table_setn(r->subprocess_env, "SG_REFUSED", reason);
	if (status == HTTP_TOO_MANY_REQUESTS)
		apr_table_setn(r->err_headers_out, "Retry-After", "1");
	ap_custom_response(r, status, apr_psprintf(r->pool,
	    "{\"error\":\"%s\",\"message\":\"%s\"}\n", reason, msg));
	return status;
}

/*
 * After every access check, so only what is let through counts: one
 * more open for the container, until r's pool goes (the answer sent,
 * the tunnel closed).
 */
static int
sga_fixups(request_rec *r)
{
	struct sga_dir	*d = ap_get_module_config(r->per_dir_config,
	    &sandgate_authz_module);
	struct sga_held	*h;

	if (d == NULL || d->max <= 0 || sga_tab == NULL || sga_mu == NULL ||
	    r->main != NULL || r->prev != NULL || r->user == NULL)
		return DECLINED;
	h = apr_palloc(r->pool, sizeof(*h));
	h->row = sga_my_row();
	h->id = r->user;
	switch (sga_share_acquire(sga_tab, h->row, h->id, (unsigned)d->max)) {
	case SGA_SHARE_OK:
		apr_pool_cleanup_register(r->pool, h, sga_held_end,
		    apr_pool_cleanup_null);
		return DECLINED;
	case SGA_SHARE_FULL:
		return sga_refuse(r, HTTP_TOO_MANY_REQUESTS,
		    "tunnels_exhausted", apr_psprintf(r->pool, "the sandbox "
		    "already has %d requests and tunnels open through the "
		    "proxy, its limit; retry when one has closed", d->max));
	case SGA_SHARE_NOROOM:
		ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "sandgate_authz: "
		    "SandgateMaxTunnels table full; refusing");
		return sga_refuse(r, HTTP_SERVICE_UNAVAILABLE,
		    "tunnels_unavailable", "the proxy cannot count this "
		    "sandbox's tunnels now; retry later");
	default:
		ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "sandgate_authz: "
		    "user is not a container id; refusing");
		return HTTP_INTERNAL_SERVER_ERROR;
	}
}

/*
 * SandgateBroker On serves nothing from disk: no directory walk for it
 * (the location walk before this hook found the location; mod_proxy
 * skips it so for its requests too).
 */
static int
sga_map(request_rec *r)
{
	struct sga_dir	*d = ap_get_module_config(r->per_dir_config,
	    &sandgate_authz_module);

	return d != NULL && d->broker == 1 ? OK : DECLINED;
}

/* SandgateBroker On: the call, from what the allow said. */
static int
sga_handler(request_rec *r)
{
	struct sga_dir	*d = ap_get_module_config(r->per_dir_config,
	    &sandgate_authz_module);
	apr_table_t	*b;
	struct sga_brokered bk;

	if (d == NULL || d->broker != 1 || r->main != NULL)
		return DECLINED;
	b = ap_get_module_config(r->request_config, &sandgate_authz_module);
	memset(&bk, 0, sizeof(bk));
	if (b != NULL) {
		bk.name = apr_table_get(b, "SG_BROKER_SECRET");
		bk.host = apr_table_get(b, "SG_BROKER_HOST");
		bk.resolve = apr_table_get(b, "SG_BROKER_RESOLVE");
		bk.header = apr_table_get(b, "SG_BROKER_HEADER");
		bk.value = apr_table_get(b, "SG_BROKER_VALUE");
	}
	bk.ca = d->ca;
	return sga_broker_handle(r, &bk);
}

static apr_status_t
sga_md_free(void *md)
{
	EVP_MD_free(md);
	sga_sha256 = NULL;
	return APR_SUCCESS;
}

static void
sga_child_init(apr_pool_t *p, server_rec *s)
{
	if (apr_thread_mutex_create(&sga_mu, APR_THREAD_MUTEX_DEFAULT, p) !=
	    APR_SUCCESS) {
		ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
		    "sandgate_authz: no mutex; connections are not kept");
		sga_mu = NULL;
	}
	sga_nidle = 0;
	sga_row = 0;
	sga_row_known = 0;
	sga_dc = NULL;
	sga_sha256 = NULL;
	if (sga_broker_wanted)
		sga_broker_child_init(p, s);
	if (sga_dc_size == 0)
		return;
	if ((sga_dc = sga_cache_new(sga_dc_size)) == NULL) {
		ap_log_error(APLOG_MARK, APLOG_CRIT, errno, s,
		    "sandgate_authz: no decision cache of %u entries; every "
		    "request is asked", sga_dc_size);
		return;
	}
	/*
	 * Fetched once: EVP_sha256() in EVP_DigestInit_ex looks the
	 * algorithm up again on every request (OpenSSL 3).
	 */
	if ((sga_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL)
		ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
		    "sandgate_authz: no SHA-256; every request is asked");
	else
		apr_pool_cleanup_register(p, sga_sha256, sga_md_free,
		    apr_pool_cleanup_null);
}

static void
sga_register_hooks(apr_pool_t *p)
{
	(void)p;
	ap_hook_post_config(sga_post_config, NULL, NULL, APR_HOOK_MIDDLE);
	ap_hook_child_init(sga_child_init, NULL, NULL, APR_HOOK_MIDDLE);
	ap_hook_fixups(sga_fixups, NULL, NULL, APR_HOOK_FIRST);
	ap_hook_check_authn(sga_check_authn, NULL, NULL, APR_HOOK_MIDDLE,
	    AP_AUTH_INTERNAL_PER_CONF);
	ap_hook_map_to_storage(sga_map, NULL, NULL, APR_HOOK_FIRST);
	ap_hook_handler(sga_handler, NULL, NULL, APR_HOOK_FIRST);
}

static const command_rec sga_cmds[] = {
	AP_INIT_TAKE1("SandgateAuthz", sga_cmd_socket, NULL, OR_AUTHCFG,
	    "unix:/path of token-verify's FastCGI socket, or None"),
	AP_INIT_TAKE1("SandgateMaxTunnels", sga_cmd_tunnels, NULL, OR_AUTHCFG,
	    "requests and CONNECT tunnels one sandbox may have open at once "
	    "(0: no limit)"),
	AP_INIT_TAKE1("SandgateDecisionCache", sga_cmd_reuse, NULL, OR_AUTHCFG,
	    "Off (the default), or the allows each Apache process keeps "
	    "for as long as token-verify says they may be reused"),
	AP_INIT_TAKE1("SandgateAuthzVars", sga_cmd_vars, NULL, OR_AUTHCFG,
	    "Minimal (the variables token-verify reads; default) or Full "
	    "(every CGI variable)"),
	AP_INIT_FLAG("SandgateBroker", sga_cmd_broker, NULL, OR_AUTHCFG,
	    "On: this location is the secrets broker (its SandgateAuthz is "
	    "secret-broker's socket)"),
	AP_INIT_TAKE1("SandgateBrokerCA", sga_cmd_ca, NULL, OR_AUTHCFG,
	    "the PEM CA file the broker verifies upstreams with (default: "
	    "the system's)"),
	{ NULL }
};

AP_DECLARE_MODULE(sandgate_authz) = {
	STANDARD20_MODULE_STUFF,
	sga_dir_create,
	sga_dir_merge,
	NULL,
	NULL,
	sga_cmds,
	sga_register_hooks,
	AP_MODULE_FLAG_NONE
};
