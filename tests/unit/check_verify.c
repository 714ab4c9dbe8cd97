/* SPDX-License-Identifier: ISC */
/*
 * token-verify's decisions (services/token-verify): driven with hand-built
 * FastCGI environments taken from the dumps in docs/web-servers.md
 * (Apache egress GET and CONNECT, lighttpd and nginx API), against a real
 * redis-server started here on a unix socket, or a dead socket for the
 * fail-closed cases.  Covers every status and challenge, the Variable-
 * and X-SG- header sets, the header hygiene of an AUTHORIZER 200,
 * docs/security.md E13/E14, the 4.1 bypasses through the egress path,
 * X1-X7, 4.4 (explicit Status on every deny), the token and session
 * caches, report mode and key reload.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "b64url.h"
#include "budget.h"
#include "cache.h"
#include "cfg.h"
#include "claims.h"
#include "compat.h"
#include "crypto.h"
#include "sgtest.h"
#include "sgtest_failalloc.h"
#include "hosts.h"
#include "jwt.h"
#include "request.h"
#include "response.h"
#include "keys.h"
#include "log.h"
#include "metrics.h"
#include "revoke.h"
#include "session.h"
#include "token.h"
#include "verify.h"

#define NOW	((time_t)SGTEST_NOW)
#define MONO0	INT64_C(1000000000)
#define ISS	"https://sandgate.test"
#define ORG	"3f2504e0-4f89-41d3-9a0c-0305e82c3301"
#define CID	"sandbox_AAAAAAAAAAAAAAAAAAAAAA"
#define CID2	"sandbox_BBBBBBBBBBBBBBBBBBBBBB"
#define USER	"user_1"
#define CIP	"172.30.0.5"
#define HOSTS	"github.com,*.example.org,140.82.112.3,10.1.2.3,api.x.com:8443"

static char		 tmpdir[] = "/tmp/check_verify.XXXXXX";
static char		 redis_sock[256], redis_url[300], keysfile[300];
static pid_t		 redis_pid = -1;
static struct sg_key	*key1, *key2;
static struct sg_redis	*tr;		/* the test's own connection */

/* ---- fixtures --------------------------------------------------------- */

static void
write_file(const char *path, const char *text)
{
	char	 tmp[400];
	FILE	*f;

	/* rename over, as an operator rotating keys would */
	(void)snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	ck_assert_ptr_nonnull(f = fopen(tmp, "w"));
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(rename(tmp, path), 0);
}

static void
keys_use(const struct sg_key *k)
{
	char	*pem;

	ck_assert_ptr_nonnull(pem = sg_key_pem(k, 0));
	write_file(keysfile, pem);
	free(pem);
}

static void
redis_start(void)
{
	sgtest_redis_sock(redis_sock, sizeof(redis_sock), tmpdir, "redis");
	(void)snprintf(redis_url, sizeof(redis_url), "unix:%s", redis_sock);
	if ((redis_pid = sgtest_redis_start(tmpdir, "redis", 0, NULL)) <= 0) {
		fprintf(stderr, "redis-server did not start (%s/redis.log)\n",
		    tmpdir);
		exit(1);
	}
	if (sg_redis_new(redis_url, 1000, &tr, NULL) != SG_OK ||
	    !sgtest_redis_ready(tr)) {
		fprintf(stderr, "redis-server does not answer\n");
		sgtest_redis_stop(redis_pid, SIGTERM);
		exit(1);
	}
	/* each test (a forked child) opens its own */
	sg_redis_free(tr);
	tr = NULL;
}

static void
cleanup(void)
{
	char	 cmd[400];

	sgtest_redis_stop(redis_pid, SIGTERM);
	redis_pid = -1;
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
}

/* ---- tokens and sessions ---------------------------------------------- */

struct tok {
	char	*s;
	char	 jti[SG_ID_MAX + 1];
	int64_t	 exp;
};

static void
tok_free(struct tok *t)
{
	free(t->s);
	t->s = NULL;
}

static struct tok
mint_c(const struct sg_key *k, const char *cid, const char *hosts,
    int binding, time_t now, int64_t ttl)
{
	struct sg_mint_container mc;
	struct sg_hostlist	 hl;
	struct sg_minted	 m;
	struct sg_err		 err;
	struct tok		 t;

	sg_err_clear(&err);
	sg_hostlist_init(&hl);
	ck_assert_int_eq(sg_hosts_parse(hosts, strlen(hosts), &hl, &err),
	    SG_OK);
	memset(&mc, 0, sizeof(mc));
	mc.issuer = ISS;
	mc.sub = USER;
	mc.container_id = cid;
	mc.org = ORG;
	mc.hosts = &hl;
	mc.binding = binding;
	mc.ttl = ttl;
	mc.now = now;
	memset(&m, 0, sizeof(m));
	ck_assert_msg(sg_token_mint_container(k, &mc, &m, &err) == SG_OK,
	    "mint: %s", err.msg);
	t.s = strdup(m.token);
	(void)strlcpy(t.jti, m.jti, sizeof(t.jti));
	t.exp = m.exp;
	sg_minted_clear(&m);
	sg_hostlist_clear(&hl);
	return t;
}

static struct tok
mint_o(const struct sg_key *k, const char *scope, time_t now, int64_t ttl)
{
	struct sg_minted	 m;
	struct sg_err		 err;
	struct tok		 t;

	sg_err_clear(&err);
	memset(&m, 0, sizeof(m));
	ck_assert_msg(sg_token_mint_operator(k, ISS, "ops", scope, ttl, now,
	    &m, &err) == SG_OK, "mint: %s", err.msg);
	t.s = strdup(m.token);
	(void)strlcpy(t.jti, m.jti, sizeof(t.jti));
	t.exp = m.exp;
	sg_minted_clear(&m);
	return t;
}

static void
session_put_budget(const char *cid, const char *jti, const char *ip,
    int64_t requests, int64_t bytes)
{
	struct sg_session	 s;
	struct sg_err		 err;

	sg_err_clear(&err);
	sg_session_init(&s);
	(void)strlcpy(s.container_id, cid, sizeof(s.container_id));
	(void)strlcpy(s.user_id, USER, sizeof(s.user_id));
	(void)strlcpy(s.org, ORG, sizeof(s.org));
	(void)strlcpy(s.jti, jti, sizeof(s.jti));
	memset(s.token_sha256, 'a', 64);
	s.token_sha256[64] = '\0';
	s.allowed_hosts = strdup(HOSTS);
	(void)strlcpy(s.container_ip, ip, sizeof(s.container_ip));
	(void)strlcpy(s.docker_id, "d0c", sizeof(s.docker_id));
	(void)strlcpy(s.image, "sandgate-sandbox:latest", sizeof(s.image));
	s.created_at = (int64_t)NOW;
	s.expires_at = (int64_t)NOW + 3600;
	s.budget_requests = requests;
	s.budget_bytes = bytes;
	ck_assert_msg(sg_session_put(tr, &s, NOW, &err) == SG_OK,
	    "session_put: %s", err.msg);
	sg_session_clear(&s);
}

static void
session_put(const char *cid, const char *jti, const char *ip)
{
	session_put_budget(cid, jti, ip, 0, 0);
}

static void
session_del(const char *cid)
{
	ck_assert_int_eq(sg_session_del(tr, cid, USER, NULL), SG_OK);
}

/* "Basic base64(user:pass)" */
static char *
basic(const char *user, const char *pass)
{
	char	*raw, *out;
	size_t	 n, size;

	n = strlen(user) + 1 + strlen(pass);
	ck_assert_ptr_nonnull(raw = malloc(n + 1));
	(void)snprintf(raw, n + 1, "%s:%s", user, pass);
	size = 6 + (n + 2) / 3 * 4 + 1;
	ck_assert_ptr_nonnull(out = malloc(size));
	memcpy(out, "Basic ", 6);
	ck_assert_uint_gt(sg_b64_encode(raw, n, out + 6, size - 6), 0);
	free(raw);
	return out;
}

static char *
creds(const char *cid, const char *token)
{
	char	 user[200], *pass, *r;
	size_t	 n = strlen(token) + 5;

	(void)snprintf(user, sizeof(user), "container_%s", cid);
	ck_assert_ptr_nonnull(pass = malloc(n));
	(void)snprintf(pass, n, "jwt_%s", token);
	r = basic(user, pass);
	free(pass);
	return r;
}

/* ---- environments ----------------------------------------------------- */

struct env {
	char	*v[64];
	size_t	 n;
};

static void
env_free(struct env *e)
{
	size_t	 i;

	for (i = 0; i < e->n; i++)
		free(e->v[i]);
	e->n = 0;
}

static void __attribute__((format(printf, 3, 4)))
env_set(struct env *e, const char *name, const char *fmt, ...)
{
	va_list	 ap;
	char	 val[16384], *s;
	size_t	 i, nl = strlen(name), n;

	va_start(ap, fmt);
	(void)vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	n = nl + 1 + strlen(val) + 1;
	ck_assert_ptr_nonnull(s = malloc(n));
	(void)snprintf(s, n, "%s=%s", name, val);
	for (i = 0; i < e->n; i++) {
		if (strncmp(e->v[i], name, nl) == 0 && e->v[i][nl] == '=') {
			free(e->v[i]);
			e->v[i] = s;
			return;
		}
	}
	ck_assert_uint_lt(e->n, 63);
	e->v[e->n++] = s;
	e->v[e->n] = NULL;
}

static void
env_del(struct env *e, const char *name)
{
	size_t	 i, nl = strlen(name);

	for (i = 0; i < e->n; i++) {
		if (strncmp(e->v[i], name, nl) == 0 && e->v[i][nl] == '=') {
			free(e->v[i]);
			e->v[i] = e->v[--e->n];
			e->v[e->n] = NULL;
			return;
		}
	}
}

/* Apache mod_authnz_fcgi, absolute-URI GET (docs/web-servers.md 1.2). */
static void
env_apache_get(struct env *e, const char *uri, const char *auth)
{
	memset(e, 0, sizeof(*e));
	env_set(e, "FCGI_APACHE_ROLE", "AUTHENTICATOR");
	env_set(e, "FCGI_ROLE", "AUTHORIZER");
	env_set(e, "HTTP_CONNECTION", "close");
	env_set(e, "HTTP_HOST", "github.com");
	if (auth != NULL)
		env_set(e, "HTTP_PROXY_AUTHORIZATION", "%s", auth);
	env_set(e, "HTTP_PROXY_CONNECTION", "Keep-Alive");
	env_set(e, "QUERY_STRING", "q=1");
	env_set(e, "REQUEST_METHOD", "GET");
	env_set(e, "REQUEST_SCHEME", "http");
	env_set(e, "REQUEST_URI", "%s", uri);
	env_set(e, "SCRIPT_FILENAME", "proxy:%s", uri);
	env_set(e, "SERVER_NAME", "github.com");
	env_set(e, "SERVER_PORT", "8443");
	env_set(e, "SERVER_PROTOCOL", "HTTP/1.1");
	env_set(e, "REMOTE_ADDR", CIP);
	env_set(e, "REMOTE_PORT", "40000");
}

/* Apache CONNECT (docs/web-servers.md 1.2). */
static void
env_apache_connect(struct env *e, const char *authority, const char *auth)
{
	memset(e, 0, sizeof(*e));
	env_set(e, "FCGI_APACHE_ROLE", "AUTHENTICATOR");
	env_set(e, "FCGI_ROLE", "AUTHORIZER");
	env_set(e, "HTTP_HOST", "%s", authority);
	if (auth != NULL)
		env_set(e, "HTTP_PROXY_AUTHORIZATION", "%s", auth);
	env_set(e, "QUERY_STRING", "%s", "");
	env_set(e, "REQUEST_METHOD", "CONNECT");
	env_set(e, "REQUEST_URI", "%s", authority);
	env_set(e, "SCRIPT_FILENAME", "proxy:%s", authority);
	env_set(e, "SERVER_NAME", "127.0.0.1");
	env_set(e, "SERVER_PORT", "443");
	env_set(e, "REMOTE_ADDR", CIP);
}

/* lighttpd authorizer (docs/web-servers.md 2.2). */
static void
env_lighttpd(struct env *e, const char *method, const char *uri,
    const char *auth)
{
	const char	*q;

	memset(e, 0, sizeof(*e));
	env_set(e, "FCGI_ROLE", "AUTHORIZER");
	if (auth != NULL)
		env_set(e, "HTTP_AUTHORIZATION", "%s", auth);
	env_set(e, "HTTP_HOST", "127.0.0.1:18020");
	q = strchr(uri, '?');
	env_set(e, "QUERY_STRING", "%s", q != NULL ? q + 1 : "");
	env_set(e, "REDIRECT_STATUS", "200");
	env_set(e, "REQUEST_METHOD", "%s", method);
	env_set(e, "REQUEST_URI", "%s", uri);
	env_set(e, "SCRIPT_FILENAME", "/srv/docroot%.*s",
	    (int)(q != NULL ? (size_t)(q - uri) : strlen(uri)), uri);
	env_set(e, "SERVER_NAME", "127.0.0.1");
	env_set(e, "SERVER_PORT", "18020");
	env_set(e, "REMOTE_ADDR", "127.0.0.1");
}

/* nginx auth_request (docs/web-servers.md 3.2). */
static void
env_nginx(struct env *e, const char *method, const char *uri,
    const char *auth)
{
	const char	*q;

	memset(e, 0, sizeof(*e));
	env_set(e, "FCGI_ROLE", "RESPONDER");
	env_set(e, "DOCUMENT_URI", "/_sg_auth");
	env_set(e, "SCRIPT_NAME", "/_sg_auth");
	env_set(e, "REQUEST_URI", "%s", uri);
	env_set(e, "REQUEST_METHOD", "%s", method);
	q = strchr(uri, '?');
	env_set(e, "QUERY_STRING", "%s", q != NULL ? q + 1 : "");
	if (auth != NULL)
		env_set(e, "HTTP_AUTHORIZATION", "%s", auth);
	env_set(e, "HTTP_HOST", "127.0.0.1");
	env_set(e, "CONTENT_LENGTH", "%s", "");
	env_set(e, "SERVER_NAME", "%s", "");
	env_set(e, "REMOTE_ADDR", "127.0.0.1");
}

/* ---- running one request ---------------------------------------------- */

static struct app	 app;
static char		*last;		/* serialized response */
static size_t		 lastlen;

static void
app_init(const char *url, int deny_private, int64_t cache_ms)
{
	struct sg_cfg	 cfg;
	struct sg_err	 err;

	sg_err_clear(&err);
	sg_cfg_defaults(&cfg);
	(void)strlcpy(cfg.issuer, ISS, sizeof(cfg.issuer));
	(void)strlcpy(cfg.verify_keys, keysfile, sizeof(cfg.verify_keys));
	(void)strlcpy(cfg.redis, url, sizeof(cfg.redis));
	ck_assert_int_eq(sg_ports_parse("80,443", &cfg.egress_ports, &err),
	    SG_OK);
	cfg.deny_private = deny_private;
	cfg.session_cache_ms = cache_ms;
	cfg.redis_timeout_ms = 300;
	cfg.leeway = 30;
	cfg.token_max_ttl = 86400;
	ck_assert_msg(sg_verify_init(&app, &cfg, &err) == SG_OK, "init: %s",
	    err.msg);
	app.fixed_now = NOW;
	app.fixed_mono_us = MONO0;
	app.last_stat_us = MONO0;
}

static void
setup(void)
{
	ck_assert_int_eq(sg_redis_new(redis_url, 1000, &tr, NULL), SG_OK);
	keys_use(key1);
	/* no DNS in unit tests: names are never resolved unless asked */
	app_init(redis_url, 0, 1000);
}

static void
app_fini(void)
{
	sg_verify_clear(&app);
}

static void
teardown(void)
{
	app_fini();
	sg_redis_free(tr);
	tr = NULL;
	free(last);
	last = NULL;
}

/* The value of header name in the last response, or NULL. */
static const char *
hdr(const char *name)
{
	static char	 val[16384];
	const char	*p = last, *eol, *end;
	size_t		 nl = strlen(name);

	end = strstr(last, "\r\n\r\n");
	ck_assert_ptr_nonnull(end);
	while (p < end) {
		eol = strstr(p, "\r\n");
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':' &&
		    p[nl + 1] == ' ') {
			(void)snprintf(val, sizeof(val), "%.*s",
			    (int)(eol - p - nl - 2), p + nl + 2);
			return val;
		}
		p = eol + 2;
	}
	return NULL;
}

static size_t
nheaders(void)
{
	const char	*p = last, *end = strstr(last, "\r\n\r\n");
	size_t		 n = 0;

	while (p < end) {
		n++;
		p = strstr(p, "\r\n") + 2;
	}
	return n;
}

static const char *
body(void)
{
	return strstr(last, "\r\n\r\n") + 4;
}

/*
 * Run a request through the handler and return its status.  Every
 * response must start with an explicit Status (docs/security.md 4.4);
 * an AUTHORIZER 200 must carry nothing but Status and Variable-*
 * (docs/web-servers.md 1.4) and no body.
 */
static int
run(struct env *e)
{
	struct sg_req	 req;
	struct sg_resp	 resp;
	struct sg_err	 err;
	const char	*p, *end;
	int		 st;

	sg_err_clear(&err);
	e->v[e->n] = NULL;
	sg_resp_init(&resp);
	/* as sg_serve does: a request it cannot take is refused (400) */
	if (sg_req_init(&req, e->v, NULL, 0, &err) != SG_OK)
		sg_resp_from_err(&resp, &err);
	else
		sg_verify_handle(&app, &req, &resp);
	free(last);
	last = sg_resp_serialize(&resp, &lastlen);
	ck_assert_ptr_nonnull(last);
	ck_assert_msg(strncmp(last, "Status: ", 8) == 0,
	    "no explicit Status: %s", last);
	st = (int)strtol(last + 8, NULL, 10);
	ck_assert_int_eq(st, resp.status);
	ck_assert_ptr_nonnull(end = strstr(last, "\r\n\r\n"));
	if (st == 200 && req.authorizer) {
		p = strstr(last, "\r\n") + 2;
		while (p < end) {
			ck_assert_msg(strncmp(p, "Variable-", 9) == 0,
			    "header other than Variable-* on 200: %s", p);
			p = strstr(p, "\r\n") + 2;
		}
		ck_assert_str_eq(body(), "");
		/* UserExpr "%{reqenv:SG_CONTAINER_ID}" needs it */
		ck_assert_ptr_nonnull(hdr("Variable-SG_CONTAINER_ID"));
	}
	if (st != 200) {
		/* a short JSON body saying why */
		ck_assert_msg(strstr(body(), "\"error\"") != NULL,
		    "deny without a JSON body: %s", last);
	}
	/* no header value may split the response (X7) */
	ck_assert_ptr_null(memchr(last, '\0', (size_t)(end - last)));
	sg_req_clear(&req);
	sg_resp_clear(&resp);
	return st;
}

static void
assert_proxy_challenge(void)
{
	ck_assert_ptr_nonnull(hdr("Proxy-Authenticate"));
	ck_assert_str_eq(hdr("Proxy-Authenticate"), "Basic realm=\"sandgate\"");
	ck_assert_ptr_null(hdr("WWW-Authenticate"));
}

static void
assert_bearer_challenge(void)
{
	ck_assert_ptr_nonnull(hdr("WWW-Authenticate"));
	ck_assert_str_eq(hdr("WWW-Authenticate"),
	    "Bearer error=\"invalid_token\"");
	ck_assert_ptr_null(hdr("Proxy-Authenticate"));
}

static void
assert_reason(const char *code)
{
	char	 want[128];

	(void)snprintf(want, sizeof(want), "\"error\":\"%s\"", code);
	ck_assert_msg(strstr(body(), want) != NULL, "want %s in %s", want,
	    body());
}

/* ---- pure helpers ----------------------------------------------------- */

START_TEST(t_parse_bearer)
{
	/* E13: case-insensitive scheme, exactly one SP, one token */
	static const struct {
		const char	*h;
		int		 ok;
	} c[] = {
		{ "Bearer a.b.c", 1 },
		{ "bearer a.b.c", 1 },
		{ "BEARER a.b.c", 1 },
		{ "Bearer  a.b.c", 0 },
		{ "Bearer\ta.b.c", 0 },
		{ "Bearer", 0 },
		{ "Bearer ", 0 },
		{ "Basic a.b.c", 0 },
		{ "a.b.c", 0 },
		{ "Bearer a.b.c a.b.c", 0 },
		{ "Bearer a.b.c, Bearer d.e.f", 0 },
		{ "Bearer a.b.c,d.e.f", 0 },
		{ "Bearer a.b.c ", 0 },
		{ " Bearer a.b.c", 0 },
		{ "Bearer a.b.c=", 0 },
		{ "Bearer a+b.c", 0 },
		{ "Bearera.b.c", 0 },
		{ "Bearer a.b.c\r\nX: y", 0 },
	};
	const char	*tok;
	size_t		 i, len;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		tok = NULL;
		ck_assert_msg((sg_verify_parse_bearer(c[i].h, &tok, &len,
		    NULL) == SG_OK) == c[i].ok, "case %zu: %s", i, c[i].h);
		if (c[i].ok) {
			ck_assert_uint_eq(len, 5);
			ck_assert_int_eq(strncmp(tok, "a.b.c", 5), 0);
		}
	}
}
END_TEST

START_TEST(t_parse_basic)
{
	char		 buf[SG_VERIFY_MAX_AUTH + 8], cid[SG_ID_MAX + 1];
	const char	*tok;
	size_t		 len;
	char		*h;
	struct sg_err	 err;

	h = basic("container_" CID, "jwt_a.b.c");
	ck_assert_int_eq(sg_verify_parse_basic(h, buf, sizeof(buf), cid, &tok,
	    &len, NULL), SG_OK);
	ck_assert_str_eq(cid, CID);
	ck_assert_uint_eq(len, 5);
	ck_assert_int_eq(strncmp(tok, "a.b.c", 5), 0);
	/* case-insensitive scheme */
	h[0] = 'b';
	ck_assert_int_eq(sg_verify_parse_basic(h, buf, sizeof(buf), cid, &tok,
	    &len, NULL), SG_OK);
	h[0] = 'B';
	free(h);
	/* wrong user or password prefix, bad id, empty token */
	h = basic("user_" CID, "jwt_a.b.c");
	ck_assert_int_eq(sg_verify_parse_basic(h, buf, sizeof(buf), cid, &tok,
	    &len, NULL), SG_EAUTH);
	free(h);
	h = basic("container_" CID, "a.b.c");
	ck_assert_int_eq(sg_verify_parse_basic(h, buf, sizeof(buf), cid, &tok,
	    &len, NULL), SG_EAUTH);
	free(h);
	h = basic("container_a b", "jwt_a.b.c");
	ck_assert_int_eq(sg_verify_parse_basic(h, buf, sizeof(buf), cid, &tok,
	    &len, NULL), SG_EAUTH);
	free(h);
	h = basic("container_", "jwt_a.b.c");
	ck_assert_int_eq(sg_verify_parse_basic(h, buf, sizeof(buf), cid, &tok,
	    &len, NULL), SG_EAUTH);
	free(h);
	h = basic("container_" CID, "jwt_");
	ck_assert_int_eq(sg_verify_parse_basic(h, buf, sizeof(buf), cid, &tok,
	    &len, NULL), SG_EAUTH);
	free(h);
	/* no colon */
	ck_assert_int_eq(sg_verify_parse_basic("Basic YWJj", buf, sizeof(buf),
	    cid, &tok, &len, NULL), SG_EAUTH);
	/* strict base64: no missing padding, no whitespace, two SP */
	ck_assert_int_eq(sg_verify_parse_basic("Basic YTpi", buf, sizeof(buf),
	    cid, &tok, &len, NULL), SG_EAUTH);	/* a:b, wrong prefixes */
	ck_assert_int_eq(sg_verify_parse_basic("Basic  YTpi", buf,
	    sizeof(buf), cid, &tok, &len, NULL), SG_EAUTH);
	ck_assert_int_eq(sg_verify_parse_basic("Basic YTpi ", buf,
	    sizeof(buf), cid, &tok, &len, NULL), SG_EAUTH);
	ck_assert_int_eq(sg_verify_parse_basic("Bearer YTpi", buf,
	    sizeof(buf), cid, &tok, &len, NULL), SG_EAUTH);
	ck_assert_int_eq(sg_verify_parse_basic("Basic", buf, sizeof(buf), cid,
	    &tok, &len, NULL), SG_EAUTH);
	/* duplicated header joined by the server: "Basic x, Basic y" */
	h = basic("container_" CID, "jwt_a.b.c");
	{
		char	 two[600];

		(void)snprintf(two, sizeof(two), "%s, %s", h, h);
		sg_err_clear(&err);
		ck_assert_int_eq(sg_verify_parse_basic(two, buf, sizeof(buf),
		    cid, &tok, &len, &err), SG_EAUTH);
		ck_assert_str_eq(err.code, "bad_credentials");
	}
	free(h);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_verify_parse_basic(NULL, buf, sizeof(buf), cid,
	    &tok, &len, &err), SG_EAUTH);
	ck_assert_str_eq(err.code, "missing_credentials");
}
END_TEST

START_TEST(t_route)
{
	static const struct {
		const char	*m, *p;
		enum sg_route	 r;
		unsigned	 scope;
	} c[] = {
		{ "POST", "/v1/tokens", SG_ROUTE_TOKENS_ISSUE,
		    SG_SCOPE_TOKENS_ISSUE },
		{ "POST", "/v1/sandboxes", SG_ROUTE_SANDBOX_CREATE,
		    SG_SCOPE_SANDBOXES_CREATE },
		{ "DELETE", "/v1/sandboxes/" CID, SG_ROUTE_SANDBOX_DESTROY,
		    SG_SCOPE_SANDBOXES_DESTROY },
		{ "GET", "/v1/sessions/" CID, SG_ROUTE_SESSION_GET,
		    SG_SCOPE_SESSIONS_READ },
		{ "GET", "/v1/sessions", SG_ROUTE_SESSION_LIST,
		    SG_SCOPE_SESSIONS_READ },
		{ "GET", "/metrics", SG_ROUTE_METRICS, SG_SCOPE_METRICS_READ },
		{ "GET", "/v1/sessions/" CID "/decisions",
		    SG_ROUTE_SESSION_DECISIONS, SG_SCOPE_SESSIONS_READ },
		{ "HEAD", "/v1/sessions/" CID "/decisions",
		    SG_ROUTE_SESSION_DECISIONS, SG_SCOPE_SESSIONS_READ },
		{ "POST", "/v1/sessions/" CID "/decisions", SG_ROUTE_UNKNOWN,
		    0 },
		{ "GET", "/v1/sessions//decisions", SG_ROUTE_UNKNOWN, 0 },
		{ "GET", "/v1/sessions/a.b/decisions", SG_ROUTE_UNKNOWN, 0 },
		{ "GET", "/v1/sessions/a/b/decisions", SG_ROUTE_UNKNOWN, 0 },
		{ "GET", "/v1/sessions/" CID "/decisions/", SG_ROUTE_UNKNOWN,
		    0 },
		{ "GET", "/v1/sessions/decisions", SG_ROUTE_SESSION_GET,
		    SG_SCOPE_SESSIONS_READ },
		{ "GET", "/metrics/", SG_ROUTE_UNKNOWN, 0 },
		{ "GET", "/.well-known/jwks.json", SG_ROUTE_PUBLIC, 0 },
		{ "GET", "/v1/tokens", SG_ROUTE_UNKNOWN, 0 },
		{ "DELETE", "/v1/sandboxes", SG_ROUTE_UNKNOWN, 0 },
		{ "DELETE", "/v1/sandboxes/", SG_ROUTE_UNKNOWN, 0 },
		{ "GET", "/v1/sessions/", SG_ROUTE_UNKNOWN, 0 },
		{ "GET", "/v1/sessions/a/b", SG_ROUTE_UNKNOWN, 0 },
		{ "GET", "/v1/sessions/a.b", SG_ROUTE_UNKNOWN, 0 },
		{ "get", "/v1/sessions", SG_ROUTE_UNKNOWN, 0 },
		{ "HEAD", "/v1/sessions", SG_ROUTE_SESSION_LIST,
		    SG_SCOPE_SESSIONS_READ },
		{ "HEAD", "/v1/tokens", SG_ROUTE_UNKNOWN, 0 },
		{ "OPTIONS", "/v1/sessions", SG_ROUTE_UNKNOWN, 0 },
		{ "POST", "/v1/tokens/", SG_ROUTE_UNKNOWN, 0 },
		{ "PUT", "/v1/tokens", SG_ROUTE_UNKNOWN, 0 },
		{ "GET", "/", SG_ROUTE_UNKNOWN, 0 },
	};
	char		 id[SG_ID_MAX + 1];
	unsigned	 scope;
	size_t		 i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		ck_assert_msg(sg_verify_route(c[i].m, c[i].p, &scope, id) ==
		    c[i].r, "case %zu: %s %s", i, c[i].m, c[i].p);
		ck_assert_uint_eq(scope, c[i].scope);
	}
	ck_assert_int_eq(sg_verify_route("GET", "/v1/sessions/" CID, &scope,
	    id), SG_ROUTE_SESSION_GET);
	ck_assert_str_eq(id, CID);
	ck_assert_int_eq(sg_verify_route("GET", "/v1/sessions/" CID
	    "/decisions", &scope, id), SG_ROUTE_SESSION_DECISIONS);
	ck_assert_str_eq(id, CID);
}
END_TEST

START_TEST(t_addr_eq)
{
	ck_assert(sg_verify_addr_eq("172.30.0.5", "172.30.0.5"));
	ck_assert(sg_verify_addr_eq("::ffff:172.30.0.5", "172.30.0.5"));
	ck_assert(sg_verify_addr_eq("2001:db8::1", "2001:DB8:0::1"));
	ck_assert(!sg_verify_addr_eq("172.30.0.5", "172.30.0.50"));
	ck_assert(!sg_verify_addr_eq("172.30.0.5", ""));
	ck_assert(!sg_verify_addr_eq("", ""));
	ck_assert(!sg_verify_addr_eq(NULL, "172.30.0.5"));
	ck_assert(!sg_verify_addr_eq("172.30.0.5 ", "172.30.0.5"));
	ck_assert(!sg_verify_addr_eq("172.030.0.5", "172.30.0.5"));
	ck_assert(!sg_verify_addr_eq("fe80::1%eth0", "fe80::1"));
	ck_assert(!sg_verify_addr_eq("::1", "127.0.0.1"));
}
END_TEST

START_TEST(t_cache_basic)
{
	struct sg_tcache	*c;
	struct sg_tcache_stats	 st;
	struct sg_claims	 cl;
	struct sg_tcache_ent	*e;
	char			 tok[64];
	int			 i;

	sg_claims_init(&cl);
	(void)strlcpy(cl.sub, "s", sizeof(cl.sub));
	ck_assert_ptr_nonnull(c = sg_tcache_new(8));
	ck_assert_ptr_null(sg_tcache_get(c, "a.b.c", 5));
	ck_assert_ptr_nonnull(e = sg_tcache_put(c, "a.b.c", 5, &cl, NULL));
	ck_assert_str_eq(e->claims.sub, "s");
	ck_assert_ptr_eq(sg_tcache_get(c, "a.b.c", 5), e);
	/* a prefix or a different token of the same length misses */
	ck_assert_ptr_null(sg_tcache_get(c, "a.b.", 4));
	ck_assert_ptr_null(sg_tcache_get(c, "a.b.d", 5));
	/* bounded: 100 inserts into 8 slots */
	for (i = 0; i < 100; i++) {
		(void)snprintf(tok, sizeof(tok), "tok.%d.x", i);
		ck_assert_ptr_nonnull(sg_tcache_put(c, tok, strlen(tok), &cl,
		    NULL));
	}
	sg_tcache_stats(c, &st);
	ck_assert_uint_le(st.count, 8);
	ck_assert_uint_eq(st.capacity, 8);
	ck_assert_uint_gt(st.evictions, 0);
	/* the last one is there */
	ck_assert_ptr_nonnull(sg_tcache_get(c, tok, strlen(tok)));
	sg_tcache_flush(c);
	sg_tcache_stats(c, &st);
	ck_assert_uint_eq(st.count, 0);
	ck_assert_ptr_null(sg_tcache_get(c, tok, strlen(tok)));
	sg_tcache_free(c);
	sg_claims_clear(&cl);
}
END_TEST

START_TEST(t_cache_lru)
{
	struct sg_tcache	*c;
	struct sg_claims	 cl;
	char			 tok[64];
	int			 i;

	/* one set of 4: the least recently used goes first */
	sg_claims_init(&cl);
	ck_assert_ptr_nonnull(c = sg_tcache_new(4));
	for (i = 0; i < 4; i++) {
		(void)snprintf(tok, sizeof(tok), "t%d", i);
		ck_assert_ptr_nonnull(sg_tcache_put(c, tok, 2, &cl, NULL));
	}
	ck_assert_ptr_nonnull(sg_tcache_get(c, "t0", 2));
	ck_assert_ptr_nonnull(sg_tcache_put(c, "t4", 2, &cl, NULL));
	ck_assert_ptr_nonnull(sg_tcache_get(c, "t0", 2));
	ck_assert_ptr_null(sg_tcache_get(c, "t1", 2));
	ck_assert_ptr_nonnull(sg_tcache_get(c, "t4", 2));
	sg_tcache_free(c);
}
END_TEST

/* ---- egress ----------------------------------------------------------- */

START_TEST(t_egress_get_allowed)
{
	struct tok	 t;
	struct env	 e;
	char		*a;

	t = mint_c(key1, CID, HOSTS, 1, NOW, 3600);
	session_put(CID, t.jti, CIP);
	a = creds(CID, t.s);
	env_apache_get(&e, "http://github.com/some/path?q=1", a);
	ck_assert_int_eq(run(&e), 200);
	ck_assert_str_eq(hdr("Variable-SG_CONTAINER_ID"), CID);
	ck_assert_str_eq(hdr("Variable-SG_SUB"), USER);
	ck_assert_str_eq(hdr("Variable-SG_KIND"), "container");
	ck_assert_str_eq(hdr("Variable-SG_SCOPE"), "-");
	/* a fresh lookup, SESSION_CACHE_MS 1000, less the margin */
	ck_assert_str_eq(hdr("Variable-SG_REUSE_MS"), "999");
	ck_assert_str_eq(hdr("Variable-SG_TARGET"), "github.com:80");
	ck_assert_uint_eq(nheaders(), 7);
	ck_assert_ptr_null(hdr("Content-Type"));
	ck_assert_ptr_null(hdr("Cache-Control"));
	/* wildcard subdomain, explicit port entry, IP literal entry */
	env_set(&e, "REQUEST_URI", "https://a.b.example.org/");
	ck_assert_int_eq(run(&e), 200);
	env_set(&e, "REQUEST_URI", "http://api.x.com:8443/");
	ck_assert_int_eq(run(&e), 200);
	env_set(&e, "REQUEST_URI", "http://140.82.112.3/");
	ck_assert_int_eq(run(&e), 200);
	/* H4: case and one trailing dot normalise */
	env_set(&e, "REQUEST_URI", "http://GitHub.COM./x");
	ck_assert_int_eq(run(&e), 200);
	env_free(&e);
	free(a);
	tok_free(&t);
}
END_TEST

/* A budget of 3 requests: 3 allowed, then 429 budget_exhausted; bytes. */
START_TEST(t_egress_budget)
{
	struct tok	 t;
	struct env	 e;
	struct sg_err	 err;
	char		*a;
	int		 i;

	t = mint_c(key1, CID, HOSTS, 1, NOW, 3600);
	session_put_budget(CID, t.jti, CIP, 3, 0);
	a = creds(CID, t.s);
	env_apache_get(&e, "http://github.com/x", a);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(run(&e), 200);
	ck_assert_int_eq(run(&e), 429);
	assert_reason("budget_exhausted");
	ck_assert_msg(strstr(body(), "budget of requests") != NULL, "%s",
	    body());
	/* a denied target is not counted and still says 403 */
	env_set(&e, "REQUEST_URI", "http://evil.example.net/");
	ck_assert_int_eq(run(&e), 403);

	/* bytes: refused once the counter reached the limit */
	session_put_budget(CID, t.jti, CIP, 0, 100);
	app.fixed_mono_us += 2000000;	/* past the session cache */
	(void)sg_budget_del(tr, CID, NULL);
	env_set(&e, "REQUEST_URI", "http://github.com/x");
	ck_assert_int_eq(run(&e), 200);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_budget_add_bytes(tr, CID, 100, NULL, &err), SG_OK);
	ck_assert_int_eq(run(&e), 429);
	ck_assert_msg(strstr(body(), "budget of bytes") != NULL, "%s", body());
	env_free(&e);
	free(a);
	tok_free(&t);
}
END_TEST

START_TEST(t_egress_connect_allowed)
{
	struct tok	 t;
	struct env	 e;
	char		*a;

	t = mint_c(key1, CID, HOSTS, 1, NOW, 3600);
	session_put(CID, t.jti, CIP);
	a = creds(CID, t.s);
	env_apache_connect(&e, "github.com:443", a);
	ck_assert_int_eq(run(&e), 200);
	ck_assert_str_eq(hdr("Variable-SG_CONTAINER_ID"), CID);
	env_set(&e, "REQUEST_URI", "api.x.com:8443");
	ck_assert_int_eq(run(&e), 200);
	/* the port of a CONNECT is explicit: 80 is an egress port, 22 not */
	env_set(&e, "REQUEST_URI", "github.com:22");
	ck_assert_int_eq(run(&e), 403);
	assert_reason("host_not_allowed");
	env_set(&e, "REQUEST_URI", "api.x.com:443");
	ck_assert_int_eq(run(&e), 403);
	env_free(&e);
	free(a);
	tok_free(&t);
}
END_TEST

START_TEST(t_egress_no_credentials)
{
	struct env	 e;

	env_apache_get(&e, "http://github.com/", NULL);
	ck_assert_int_eq(run(&e), 407);
	assert_proxy_challenge();
	assert_reason("missing_credentials");
	env_free(&e);
	env_apache_connect(&e, "github.com:443", NULL);
	ck_assert_int_eq(run(&e), 407);
	assert_proxy_challenge();
	env_free(&e);
}
END_TEST

START_TEST(t_egress_bad_credentials)
{
	static const char *bad[] = {
		"Basic", "Basic ", "Basic !!!!", "Basic YWJj",
		"Bearer abc", "Digest x", "basicYWJj",
	};
	struct tok	 t;
	struct env	 e;
	char		*a, two[20000];
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		env_apache_get(&e, "http://github.com/", bad[i]);
		ck_assert_int_eq(run(&e), 407);
		assert_proxy_challenge();
		env_free(&e);
	}
	t = mint_c(key1, CID, HOSTS, 0, NOW, 3600);
	session_put(CID, t.jti, CIP);
	/* E14: two Proxy-Authorization headers joined by the server */
	a = creds(CID, t.s);
	(void)snprintf(two, sizeof(two), "%s, %s", a, a);
	env_apache_get(&e, "http://github.com/", two);
	ck_assert_int_eq(run(&e), 407);
	/* the same credentials alone pass */
	env_set(&e, "HTTP_PROXY_AUTHORIZATION", "%s", a);
	ck_assert_int_eq(run(&e), 200);
	/* two spaces after the scheme */
	(void)snprintf(two, sizeof(two), "Basic  %s", a + 6);
	env_set(&e, "HTTP_PROXY_AUTHORIZATION", "%s", two);
	ck_assert_int_eq(run(&e), 407);
	/* lowercase scheme is fine (RFC 9110 11.1) */
	(void)snprintf(two, sizeof(two), "basic %s", a + 6);
	env_set(&e, "HTTP_PROXY_AUTHORIZATION", "%s", two);
	ck_assert_int_eq(run(&e), 200);
	env_free(&e);
	free(a);
	tok_free(&t);
}
END_TEST

START_TEST(t_egress_bad_token)
{
	struct tok	 t;
	struct env	 e;
	char		*a, *bad;
	size_t		 n;

	t = mint_c(key1, CID, HOSTS, 0, NOW, 3600);
	session_put(CID, t.jti, CIP);
	/* flip one signature character (S6) */
	bad = strdup(t.s);
	n = strlen(bad);
	bad[n - 3] = bad[n - 3] == 'A' ? 'B' : 'A';
	a = creds(CID, bad);
	env_apache_get(&e, "http://github.com/", a);
	ck_assert_int_eq(run(&e), 407);
	assert_proxy_challenge();
	free(a);
	/* not a JWT at all */
	a = creds(CID, "good.fake");
	env_set(&e, "HTTP_PROXY_AUTHORIZATION", "%s", a);
	ck_assert_int_eq(run(&e), 407);
	free(a);
	/* signed by a key not in the set */
	tok_free(&t);
	t = mint_c(key2, CID, HOSTS, 0, NOW, 3600);
	session_put(CID, t.jti, CIP);
	a = creds(CID, t.s);
	env_set(&e, "HTTP_PROXY_AUTHORIZATION", "%s", a);
	ck_assert_int_eq(run(&e), 407);
	assert_proxy_challenge();
	env_free(&e);
	free(a);
	free(bad);
	tok_free(&t);
}
END_TEST

/*
 * Capture stderr while fn runs the requests; the text in buf.  (The
 * decision lines are what the audit hook writes to the trail.)
 */
static void
capture_log(char *buf, size_t size, void (*fn)(void *), void *arg)
{
	char	 logf[400];
	int	 fd, saved;
	ssize_t	 n;

	(void)snprintf(logf, sizeof(logf), "%s/log-capture.txt", tmpdir);
	ck_assert_int_ge(fd = open(logf, O_RDWR | O_CREAT | O_TRUNC, 0600),
	    0);
	fflush(stderr);
	saved = dup(2);
	ck_assert_int_ge(dup2(fd, 2), 0);
	fn(arg);
	fflush(stderr);
	ck_assert_int_ge(dup2(saved, 2), 0);
	close(saved);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	n = read(fd, buf, size - 1);
	close(fd);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
}

struct claimed_case {
	struct env	*e;
	int		 status;
};

static void
claimed_run(void *arg)
{
	struct claimed_case	*c = arg;

	c->status = run(c->e);
}

/*
 * docs/security.md 4.5: the credentials' container name is not the
 * record's until the token proves it.  A garbage token under CID's name
 * writes nothing attributed to CID; a valid token of CID under CID2's
 * name is CID's (proven), with CID2 as the claim.
 */
START_TEST(t_egress_claimed_not_proven)
{
	struct claimed_case	 c;
	struct tok		 t;
	struct env		 e;
	char			*a, buf[8192];

	sg_log_init("check_verify", SG_LOG_INFO);
	t = mint_c(key1, CID, HOSTS, 0, NOW, 3600);
	session_put(CID, t.jti, CIP);

	a = creds(CID, "eyJhbGciOiJFUzI1NiJ9.e30.AAAA");
	env_apache_get(&e, "http://github.com/", a);
	c.e = &e;
	capture_log(buf, sizeof(buf), claimed_run, &c);
	ck_assert_int_eq(c.status, 407);
	ck_assert_msg(strstr(buf, "\"claimed_container_id\":\"" CID "\"") !=
	    NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "\"container_id\":\"" CID "\"") == NULL,
	    "a refused token was attributed to the name it gave: %s", buf);
	free(a);

	a = creds(CID2, t.s);
	env_set(&e, "HTTP_PROXY_AUTHORIZATION", "%s", a);
	capture_log(buf, sizeof(buf), claimed_run, &c);
	ck_assert_int_eq(c.status, 407);
	ck_assert_ptr_nonnull(strstr(buf, "container_mismatch"));
	ck_assert_ptr_nonnull(strstr(buf, "\"container_id\":\"" CID "\""));
	ck_assert_ptr_nonnull(strstr(buf,
	    "\"claimed_container_id\":\"" CID2 "\""));
	free(a);

	/* An allowed request: proven, and no separate claim. */
	a = creds(CID, t.s);
	env_set(&e, "HTTP_PROXY_AUTHORIZATION", "%s", a);
	capture_log(buf, sizeof(buf), claimed_run, &c);
	ck_assert_int_eq(c.status, 200);
	ck_assert_ptr_nonnull(strstr(buf, "\"container_id\":\"" CID "\""));
	ck_assert_ptr_null(strstr(buf, "claimed_container_id"));
	env_free(&e);
	free(a);
	tok_free(&t);
}
END_TEST

START_TEST(t_egress_expired)
{
	struct tok	 t;
	struct env	 e;
	char		*a;

	t = mint_c(key1, CID, HOSTS, 0, NOW - 7200, 3600);
	session_put(CID, t.jti, CIP);
	a = creds(CID, t.s);
	env_apache_get(&e, "http://github.com/", a);
	ck_assert_int_eq(run(&e), 407);
	assert_proxy_challenge();
	assert_reason("token_expired");
	env_free(&e);
	free(a);
	tok_free(&t);
}
END_TEST

START_TEST(t_egress_operator_token)
{
	struct tok	 t;
	struct env	 e;
	char		*a;

	/* an operator token is never an egress credential */
	t = mint_o(key1, "sessions:read tokens:issue", NOW, 3600);
	a = creds(CID, t.s);
	env_apache_get(&e, "http://github.com/", a);
	ck_assert_int_eq(run(&e), 407);
	assert_reason("wrong_token_kind");
	env_free(&e);
	free(a);
	tok_free(&t);
}
END_TEST

START_TEST(t_egress_other_container)
{
	struct tok	 t;
	struct env	 e;
	char		*a;

	t = mint_c(key1, CID, HOSTS, 0, NOW, 3600);
	session_put(CID, t.jti, CIP);
	session_put(CID2, t.jti, CIP);
	/* the user part names another container (C3) */
	a = creds(CID2, t.s);
	env_apache_get(&e, "http://github.com/", a);
	ck_assert_int_eq(run(&e), 407);
	assert_reason("container_mismatch");
	free(a);
	/* a prefix of the real id */
	a = creds("sandbox_AAAA", t.s);
	env_set(&e, "HTTP_PROXY_AUTHORIZATION", "%s", a);
	ck_assert_int_eq(run(&e), 407);
	env_free(&e);
	free(a);
	tok_free(&t);
}
END_TEST

START_TEST(t_egress_session)
{
	struct tok	 t, t2;
	struct env	 e;
	char		*a;

	app.cfg.session_cache_ms = 0;
	t = mint_c(key1, CID, HOSTS, 0, NOW, 3600);
	a = creds(CID, t.s);
	env_apache_get(&e, "http://github.com/", a);
	/* no session: revoked */
	session_del(CID);
	ck_assert_int_eq(run(&e), 407);
	assert_proxy_challenge();
	assert_reason("session_revoked");
	session_put(CID, t.jti, CIP);
	ck_assert_int_eq(run(&e), 200);
	/* a session for the same id with another jti (a newer token) */
	t2 = mint_c(key1, CID, HOSTS, 0, NOW, 3600);
	session_put(CID, t2.jti, CIP);
	ck_assert_int_eq(run(&e), 407);
	assert_reason("session_mismatch");
	/* destroying the sandbox kills its token at once (cache 0) */
	session_put(CID, t.jti, CIP);
	ck_assert_int_eq(run(&e), 200);
	session_del(CID);
	ck_assert_int_eq(run(&e), 407);
	env_free(&e);
	free(a);
	tok_free(&t);
	tok_free(&t2);
}
END_TEST

START_TEST(t_egress_session_cache)
{
	struct tok	 t;
	struct env	 e;
	char		*a;
	uint64_t	 n;

	/* SANDGATE_SESSION_CACHE_MS=1000: a delete is seen within 1 s */
	t = mint_c(key1, CID, HOSTS, 0, NOW, 3600);
	session_put(CID, t.jti, CIP);
	a = creds(CID, t.s);
	env_apache_get(&e, "http://github.com/", a);
	ck_assert_int_eq(run(&e), 200);
	n = app.st.session_lookups;
	ck_assert_int_eq(run(&e), 200);
	ck_assert_uint_eq(app.st.session_lookups, n);
	session_del(CID);
	app.fixed_mono_us += 500000;
	ck_assert_int_eq(run(&e), 200);	/* still cached */
	app.fixed_mono_us += 600000;
	ck_assert_int_eq(run(&e), 407);	/* 1.1 s later: gone */
	assert_reason("session_revoked");
	/* a negative answer is never cached */
	session_put(CID, t.jti, CIP);
	ck_assert_int_eq(run(&e), 200);
	env_free(&e);
	free(a);
	tok_free(&t);
}
END_TEST

/*
 * How long Apache may reuse an allow (Variable-SG_REUSE_MS, the module's
 * decision cache): what is left of the session lookup's bound, never
 * past the token's end; none with a budget, without a session cache,
 * for a would_deny or for any denial.
 */
START_TEST(t_egress_reuse)
{
	struct tok	 t, t2;
	struct env	 e;
	char		*a, *a2;

	t = mint_c(key1, CID, HOSTS, 0, NOW, 3600);
	session_put(CID, t.jti, CIP);
	a = creds(CID, t.s);
	env_apache_get(&e, "http://github.com/", a);
	ck_assert_int_eq(run(&e), 200);
	ck_assert_str_eq(hdr("Variable-SG_REUSE_MS"), "999");
	/* 400 ms later, from the cached lookup: what is left of it */
	app.fixed_mono_us += 400000;
	ck_assert_int_eq(run(&e), 200);
	ck_assert_str_eq(hdr("Variable-SG_REUSE_MS"), "599");
	/* the last millisecond is not given out */
	app.fixed_mono_us += 599000;
	ck_assert_int_eq(run(&e), 200);
	ck_assert_ptr_null(hdr("Variable-SG_REUSE_MS"));
	/* a denial carries none */
	env_set(&e, "REQUEST_URI", "http://evil.example.net/");
	ck_assert_int_eq(run(&e), 403);
	ck_assert_ptr_null(hdr("Variable-SG_REUSE_MS"));

	/* the token's end (exp + leeway 30 s) comes before the cache's */
	app.cfg.session_cache_ms = 60000;
	t2 = mint_c(key1, CID2, HOSTS, 0, NOW, 5);
	session_put(CID2, t2.jti, CIP);
	a2 = creds(CID2, t2.s);
	env_set(&e, "HTTP_PROXY_AUTHORIZATION", "%s", a2);
	env_set(&e, "REQUEST_URI", "http://github.com/");
	ck_assert_int_eq(run(&e), 200);
	ck_assert_str_eq(hdr("Variable-SG_REUSE_MS"), "34999");

	/* a budget: every request is counted here, none reused */
	session_put_budget(CID2, t2.jti, CIP, 100, 0);
	app.fixed_mono_us += 61000000;
	ck_assert_int_eq(run(&e), 200);
	ck_assert_ptr_null(hdr("Variable-SG_REUSE_MS"));

	/* no session cache: no bound to give */
	app.cfg.session_cache_ms = 0;
	env_set(&e, "HTTP_PROXY_AUTHORIZATION", "%s", a);
	ck_assert_int_eq(run(&e), 200);
	ck_assert_ptr_null(hdr("Variable-SG_REUSE_MS"));

	/* report mode: a would_deny is not an allow to keep */
	app.cfg.session_cache_ms = 1000;
	app.cfg.report_mode = 1;
	env_set(&e, "REQUEST_URI", "http://140.82.112.99/");
	ck_assert_int_eq(run(&e), 200);
	ck_assert_ptr_null(hdr("Variable-SG_REUSE_MS"));
	env_free(&e);
	free(a);
	free(a2);
	tok_free(&t);
	tok_free(&t2);
}
END_TEST

START_TEST(t_egress_binding)
{
	struct tok	 t;
	struct env	 e;
	char		*a;

	t = mint_c(key1, CID, HOSTS, 1, NOW, 3600);
	session_put(CID, t.jti, CIP);
	a = creds(CID, t.s);
	env_apache_get(&e, "http://github.com/", a);
	ck_assert_int_eq(run(&e), 200);
	/* another container on the network using a stolen token */
	env_set(&e, "REMOTE_ADDR", "172.30.0.6");
	ck_assert_int_eq(run(&e), 407);
	assert_proxy_challenge();
	assert_reason("binding_mismatch");
	env_del(&e, "REMOTE_ADDR");
	ck_assert_int_eq(run(&e), 407);
	env_set(&e, "REMOTE_ADDR", "::ffff:" CIP);
	ck_assert_int_eq(run(&e), 200);
	/* a session recorded without an address cannot be bound */
	app.cfg.session_cache_ms = 0;
	session_put(CID, t.jti, "");
	env_set(&e, "REMOTE_ADDR", CIP);
	ck_assert_int_eq(run(&e), 407);
	free(a);
	tok_free(&t);
	/* binding "false": any address */
	t = mint_c(key1, CID, HOSTS, 0, NOW, 3600);
	session_put(CID, t.jti, CIP);
	a = creds(CID, t.s);
	env_set(&e, "HTTP_PROXY_AUTHORIZATION", "%s", a);
	env_set(&e, "REMOTE_ADDR", "172.30.0.99");
	ck_assert_int_eq(run(&e), 200);
	env_free(&e);
	free(a);
	tok_free(&t);
}
END_TEST

/*
 * C12 through the egress path: a token signed with "*.co.uk" in
 * allowed_hosts (by an issuer that did not check, e.g. an older one) is a
 * bad credential, 407, even for a target it also lists; the same token
 * with "*.example.co.uk" instead passes.
 */
static char *
sign_hosts(const char *hosts, const char *jti)
{
	struct sg_err	 err;
	cJSON		*c;
	char		*tok = NULL;

	ck_assert_ptr_nonnull(c = cJSON_CreateObject());
	cJSON_AddStringToObject(c, "iss", ISS);
	cJSON_AddStringToObject(c, "sub", USER);
	cJSON_AddStringToObject(c, "aud", SG_AUD_EGRESS);
	cJSON_AddNumberToObject(c, "iat", (double)NOW);
	cJSON_AddNumberToObject(c, "nbf", (double)NOW);
	cJSON_AddNumberToObject(c, "exp", (double)NOW + 3600);
	cJSON_AddStringToObject(c, "jti", jti);
	cJSON_AddStringToObject(c, "container_id", CID);
	cJSON_AddStringToObject(c, "organization_uuid", ORG);
	cJSON_AddStringToObject(c, "allowed_hosts", hosts);
	cJSON_AddStringToObject(c, "enforce_container_binding", "true");
	cJSON_AddStringToObject(c, "use_egress_gateway", "true");
	cJSON_AddStringToObject(c, "enforce_centralized_egress", "true");
	cJSON_AddStringToObject(c, "is_hipaa_regulated", "false");
	cJSON_AddStringToObject(c, "is_pci_compliant", "false");
	sg_err_clear(&err);
	ck_assert_msg(sg_jwt_sign(key1, c, &tok, &err) == SG_OK, "%s",
	    err.msg);
	cJSON_Delete(c);
	return tok;
}

START_TEST(t_egress_public_suffix)
{
	struct env	 e;
	char		*tok, *a;

	tok = sign_hosts("github.com,*.co.uk", "jti_c12_bad");
	session_put(CID, "jti_c12_bad", CIP);
	a = creds(CID, tok);
	env_apache_get(&e, "http://github.com/", a);
	ck_assert_int_eq(run(&e), 407);
	assert_proxy_challenge();
	assert_reason("bad_claim");
	env_free(&e);
	free(a);
	free(tok);

	tok = sign_hosts("github.com,*.example.co.uk", "jti_c12_good");
	session_put(CID, "jti_c12_good", CIP);
	a = creds(CID, tok);
	env_apache_get(&e, "http://github.com/", a);
	ck_assert_int_eq(run(&e), 200);
	env_free(&e);
	free(a);
	free(tok);
}
END_TEST

START_TEST(t_egress_target_denied)
{
	struct tok	 t;
	struct env	 e;
	char		*a;

	t = mint_c(key1, CID, HOSTS, 0, NOW, 3600);
	session_put(CID, t.jti, CIP);
	a = creds(CID, t.s);
	env_apache_get(&e, "http://gitlab.com/", a);
	ck_assert_int_eq(run(&e), 403);
	assert_reason("host_not_allowed");
	ck_assert_ptr_null(hdr("Proxy-Authenticate"));
	ck_assert_ptr_null(hdr("WWW-Authenticate"));
	/* wrong port for a name without one */
	env_set(&e, "REQUEST_URI", "http://github.com:8080/");
	ck_assert_int_eq(run(&e), 403);
	/* the apex of a wildcard (H10) */
	env_set(&e, "REQUEST_URI", "http://example.org/");
	ck_assert_int_eq(run(&e), 403);
	/* listed private literal: denied by DENY_PRIVATE=1 */
	app.cfg.deny_private = 1;
	env_set(&e, "REQUEST_URI", "http://10.1.2.3/");
	ck_assert_int_eq(run(&e), 403);
	assert_reason("private_target");
	/* ... and allowed when DENY_PRIVATE=0 */
	app.cfg.deny_private = 0;
	ck_assert_int_eq(run(&e), 200);
	/* unlisted loopback stays denied by the list */
	env_set(&e, "REQUEST_URI", "http://127.0.0.1/");
	ck_assert_int_eq(run(&e), 403);
	env_free(&e);
	free(a);
	tok_free(&t);
}
END_TEST

START_TEST(t_egress_host_header_ignored)
{
	struct tok	 t;
	struct env	 e;
	char		*a;

	/* 4.2: the target comes from REQUEST_URI, never Host/SERVER_PORT */
	t = mint_c(key1, CID, HOSTS, 0, NOW, 3600);
	session_put(CID, t.jti, CIP);
	a = creds(CID, t.s);
	env_apache_get(&e, "http://evil.com/", a);
	env_set(&e, "HTTP_HOST", "github.com");
	env_set(&e, "SERVER_NAME", "github.com");
	env_set(&e, "SERVER_PORT", "443");
	ck_assert_int_eq(run(&e), 403);
	/* no port in the URI: 80 from the scheme, not SERVER_PORT 8443 */
	env_set(&e, "REQUEST_URI", "http://github.com/x");
	env_set(&e, "HTTP_HOST", "evil.com");
	env_set(&e, "SERVER_PORT", "8443");
	ck_assert_int_eq(run(&e), 200);
	env_set(&e, "REQUEST_URI", "http://github.com:8443/x");
	env_set(&e, "SERVER_PORT", "443");
	ck_assert_int_eq(run(&e), 403);
	/* MATCH_ variables are not trusted either */
	env_set(&e, "REQUEST_URI", "http://evil.com/");
	env_set(&e, "MATCH_SGHOST", "github.com");
	ck_assert_int_eq(run(&e), 403);
	env_free(&e);
	free(a);
	tok_free(&t);
}
END_TEST

/*
 * docs/security.md 4.1 and 4.2: every one denied, as a CONNECT
 * authority ("C") or an absolute URI ("G"); allowed: github.com and
 * *.example.org.
 */
static const struct {
	char		 m;
	const char	*uri;
} bypass[] = {
	/* H1 */
	{ 'C', "evilgithub.com:443" }, { 'C', "github.com.evil.com:443" },
	{ 'G', "http://evilgithub.com/" }, { 'G', "http://github.com.evil.com/" },
	{ 'G', "http://evil.com/github.com" }, { 'G', "http://evil.com?github.com" },
	/* H2 */
	{ 'C', "github.com@evil.com:443" }, { 'C', "user@github.com:443" },
	{ 'G', "http://github.com@evil.com/" },
	{ 'G', "http://github.com:443@evil.com/" },
	{ 'G', "http://user:pass@evil.com/" },
	{ 'G', "http://user:pass@github.com/" },
	/* H3 */
	{ 'G', "http://evil.com#@github.com/" },
	{ 'G', "http://evil.com\\@github.com/" },
	{ 'G', "http://evil.com%23github.com/" },
	{ 'G', "http://evil.com%2F@github.com/" },
	{ 'C', "evil.com%2Fgithub.com:443" }, { 'C', "evil.com#github.com:443" },
	/* H4 */
	{ 'C', "github.com..:443" }, { 'G', "http://github.com../" },
	/* H5 */
	{ 'C', "github.com:22" }, { 'C', "github.com:0443" },
	{ 'C', "github.com:+443" }, { 'C', "github.com:65979" },
	{ 'C', "github.com:" }, { 'C', "github.com:443:80" },
	{ 'C', "github.com" }, { 'C', "github.com:0" },
	{ 'G', "http://github.com:0443/" }, { 'G', "http://github.com:/" },
	{ 'G', "http://github.com:65979/" }, { 'G', "http://github.com:22/" },
	/* H6 */
	{ 'C', "[::1]:443" }, { 'C', "[::ffff:127.0.0.1]:443" },
	{ 'C', "[::ffff:7f00:1]:443" }, { 'C', "[64:ff9b::7f00:1]:443" },
	{ 'C', "[2002:7f00:1::]:443" }, { 'C', "[fe80::1%25eth0]:443" },
	{ 'C', "::1:443" }, { 'G', "http://[::1]/" },
	/* H7 */
	{ 'C', "2130706433:443" }, { 'C', "017700000001:443" },
	{ 'C', "0x7f000001:443" }, { 'C', "0x7f.1:443" },
	{ 'C', "0177.0.0.1:443" }, { 'C', "127.1:443" },
	{ 'C', "127.000.000.001:443" }, { 'C', "0:443" },
	{ 'C', "0.0.0.0:443" }, { 'C', "127.0.0.1:443" },
	{ 'G', "http://2130706433/" }, { 'G', "http://127.1/" },
	/* H8 */
	{ 'C', "140.82.112.4:443" },
	/* H9 */
	{ 'C', "g\xd1\x96thub.com:443" }, { 'C', "\xef\xbd\x87ithub.com:443" },
	{ 'C', "github\xe3\x80\x82" "com:443" }, { 'C', "xn--gthub-n4a.com:443" },
	/* H10 */
	{ 'C', "example.org:443" }, { 'C', "evil-example.org:443" },
	{ 'C', "x.example.org.evil.com:443" }, { 'C', "xexample.org:443" },
	/* 4.2: CONNECT oddities */
	{ 'C', "github.com:443/x" }, { 'C', "http://github.com:443" },
	{ 'C', "/" }, { 'C', "" },
	/* schemes other than http and https, relative forms */
	{ 'G', "ftp://github.com/" }, { 'G', "gopher://github.com/" },
	{ 'G', "file:///etc/passwd" }, { 'G', "//github.com/" },
	{ 'G', "github.com/" }, { 'G', "http:/github.com/" },
	{ 'G', "HTTP://evil.com/" },
	/* whitespace and control bytes */
	{ 'C', "github.com :443" }, { 'G', "http://github.com /" },
	{ 'G', "http://git\thub.com/" }, { 'G', "http://github.com\r\n/" },
};

/* One egress request with a fresh container token and session. */
static int
egress_req(char m, const char *uri, const char *hosts)
{
	struct tok	 t;
	struct env	 e;
	char		*a;
	int		 st;

	t = mint_c(key1, CID, hosts, 0, NOW, 3600);
	session_put(CID, t.jti, CIP);
	a = creds(CID, t.s);
	if (m == 'C')
		env_apache_connect(&e, uri, a);
	else
		env_apache_get(&e, uri, a);
	st = run(&e);
	env_free(&e);
	free(a);
	tok_free(&t);
	return st;
}

START_TEST(t_egress_bypasses)
{
	size_t	 i;
	int	 st;

	/* DENY_PRIVATE=0 so that only the list decides (the loopback case) */
	app.cfg.deny_private = 0;
	for (i = 0; i < sizeof(bypass) / sizeof(bypass[0]); i++) {
		st = egress_req(bypass[i].m, bypass[i].uri,
		    "github.com,*.example.org");
		/* 400: sg_serve refuses the path before the decision */
		ck_assert_msg(st == 403 || st == 400,
		    "bypass %zu '%s' not denied: %s", i, bypass[i].uri, last);
	}
	/* the baseline passes, so the 403s above are the target's */
	ck_assert_int_eq(egress_req('C', "github.com:443",
	    "github.com,*.example.org"), 200);
	ck_assert_int_eq(egress_req('G', "https://a.example.org/",
	    "github.com,*.example.org"), 200);
	/* lowercase connect is not CONNECT */
	{
		struct tok	 t;
		struct env	 e;
		char		*a;

		t = mint_c(key1, CID, "github.com", 0, NOW, 3600);
		session_put(CID, t.jti, CIP);
		a = creds(CID, t.s);
		env_apache_connect(&e, "github.com:443", a);
		env_set(&e, "REQUEST_METHOD", "connect");
		ck_assert_int_eq(run(&e), 403);
		env_free(&e);
		free(a);
		tok_free(&t);
	}
}
END_TEST

START_TEST(t_egress_private_names)
{
	app.cfg.deny_private = 1;
	/* a listed name that does not resolve (no DNS here) or is private */
	ck_assert_int_eq(egress_req('C', "localhost.localdomain:443",
	    "localhost.localdomain"), 403);
	/* a listed IP literal in the metadata range */
	ck_assert_int_eq(egress_req('G', "http://169.254.169.254/",
	    "169.254.169.254"), 403);
	assert_reason("private_target");
	ck_assert_int_eq(egress_req('C', "[::ffff:10.0.0.1]:443",
	    "[::ffff:10.0.0.1]"), 403);
	/* a public literal passes */
	ck_assert_int_eq(egress_req('C', "140.82.112.3:443",
	    "140.82.112.3"), 200);
}
END_TEST

START_TEST(t_egress_remote_user)
{
	struct tok	 t;
	struct env	 e;
	char		 pass[9000];

	/* AuthType Basic: Apache hands over REMOTE_USER / REMOTE_PASSWD */
	t = mint_c(key1, CID, HOSTS, 1, NOW, 3600);
	session_put(CID, t.jti, CIP);
	env_apache_get(&e, "http://github.com/", NULL);
	env_set(&e, "AUTH_TYPE", "Basic");
	env_set(&e, "REMOTE_USER", "container_%s", CID);
	(void)snprintf(pass, sizeof(pass), "jwt_%s", t.s);
	env_set(&e, "REMOTE_PASSWD", "%s", pass);
	ck_assert_int_eq(run(&e), 200);
	env_set(&e, "REMOTE_USER", "container_%s", CID2);
	ck_assert_int_eq(run(&e), 407);
	env_del(&e, "REMOTE_PASSWD");
	ck_assert_int_eq(run(&e), 407);
	env_free(&e);
	tok_free(&t);
}
END_TEST

START_TEST(t_egress_redis_down)
{
	struct tok	 t;
	struct env	 e;
	char		*a, dead[300];

	/* Redis cannot answer: 503, fail closed */
	app_fini();
	(void)snprintf(dead, sizeof(dead), "unix:%s/nothing.sock", tmpdir);
	app_init(dead, 0, 0);
	t = mint_c(key1, CID, HOSTS, 0, NOW, 3600);
	a = creds(CID, t.s);
	env_apache_get(&e, "http://github.com/", a);
	ck_assert_int_eq(run(&e), 503);
	assert_reason("session_store_unavailable");
	ck_assert_ptr_null(hdr("Variable-SG_CONTAINER_ID"));
	/* bad credentials are still 407 first */
	env_set(&e, "HTTP_PROXY_AUTHORIZATION", "Basic YWJj");
	ck_assert_int_eq(run(&e), 407);
	/* SANDGATE_REDIS_FAILURE=open relaxes the session lookup only */
	app.cfg.redis_fail_open = 1;
	env_set(&e, "HTTP_PROXY_AUTHORIZATION", "%s", a);
	ck_assert_int_eq(run(&e), 200);
	env_set(&e, "REQUEST_URI", "http://gitlab.com/");
	ck_assert_int_eq(run(&e), 403);
	free(a);
	tok_free(&t);
	/* ... but an address binding without any known address: 503 */
	t = mint_c(key1, CID, HOSTS, 1, NOW, 3600);
	a = creds(CID, t.s);
	env_set(&e, "HTTP_PROXY_AUTHORIZATION", "%s", a);
	env_set(&e, "REQUEST_URI", "http://github.com/");
	ck_assert_int_eq(run(&e), 503);
	env_free(&e);
	free(a);
	tok_free(&t);
}
END_TEST

START_TEST(t_egress_report_mode)
{
	struct tok	 t;
	struct env	 e;
	char		*a;

	app.cfg.report_mode = 1;
	app.cfg.deny_private = 1;
	t = mint_c(key1, CID, HOSTS, 0, NOW, 3600);
	session_put(CID, t.jti, CIP);
	a = creds(CID, t.s);
	/* a target mismatch passes as would_deny */
	env_apache_get(&e, "http://140.82.112.99/", a);
	ck_assert_int_eq(run(&e), 200);
	/* credentials are still enforced */
	env_set(&e, "HTTP_PROXY_AUTHORIZATION", "Basic YWJj");
	ck_assert_int_eq(run(&e), 407);
	/* private and unparseable targets are still denied */
	env_set(&e, "HTTP_PROXY_AUTHORIZATION", "%s", a);
	env_set(&e, "REQUEST_URI", "http://169.254.169.254/");
	ck_assert_int_eq(run(&e), 403);
	env_set(&e, "REQUEST_URI", "http://user@gitlab.com/");
	ck_assert_int_eq(run(&e), 403);
	env_free(&e);
	free(a);
	tok_free(&t);
}
END_TEST

static char	*bearer(const char *);

/*
 * Report mode relaxes only the allowed_hosts check: a bad, expired,
 * revoked or replaced token, another container's credentials and a
 * binding mismatch are still denied (407), and the API is unchanged.
 */
START_TEST(t_report_mode_never_credentials)
{
	struct tok	 t, old, t2, op;
	struct env	 e;
	char		*a, *b;

	app.cfg.report_mode = 1;
	app.cfg.session_cache_ms = 0;
	t = mint_c(key1, CID, HOSTS, 1, NOW, 3600);
	session_put(CID, t.jti, CIP);
	a = creds(CID, t.s);
	env_apache_get(&e, "http://not-listed.example/", a);
	env_set(&e, "REMOTE_ADDR", CIP);
	ck_assert_int_eq(run(&e), 200);
	/* binding: another address */
	env_set(&e, "REMOTE_ADDR", "172.30.0.99");
	ck_assert_int_eq(run(&e), 407);
	assert_reason("binding_mismatch");
	env_set(&e, "REMOTE_ADDR", CIP);
	/* revoked: the sandbox was destroyed */
	session_del(CID);
	ck_assert_int_eq(run(&e), 407);
	assert_reason("session_revoked");
	/* replaced: the session names a newer token */
	t2 = mint_c(key1, CID, HOSTS, 1, NOW, 3600);
	session_put(CID, t2.jti, CIP);
	ck_assert_int_eq(run(&e), 407);
	assert_reason("session_mismatch");
	session_put(CID, t.jti, CIP);
	ck_assert_int_eq(run(&e), 200);
	free(a);
	/* expired */
	old = mint_c(key1, CID, HOSTS, 1, NOW - 7200, 3600);
	a = creds(CID, old.s);
	env_set(&e, "HTTP_PROXY_AUTHORIZATION", "%s", a);
	ck_assert_int_eq(run(&e), 407);
	assert_reason("token_expired");
	free(a);
	/* someone else's credentials */
	a = creds(CID2, t.s);
	env_set(&e, "HTTP_PROXY_AUTHORIZATION", "%s", a);
	ck_assert_int_eq(run(&e), 407);
	assert_reason("container_mismatch");
	free(a);
	/* a token that does not verify (one signature bit flipped) */
	t.s[strlen(t.s) - 2] ^= 0x01;
	a = creds(CID, t.s);
	env_set(&e, "HTTP_PROXY_AUTHORIZATION", "%s", a);
	ck_assert_int_eq(run(&e), 407);
	free(a);
	/* no credentials at all */
	env_del(&e, "HTTP_PROXY_AUTHORIZATION");
	ck_assert_int_eq(run(&e), 407);
	env_free(&e);
	/* the API decision knows no report mode */
	op = mint_o(key1, "tokens:issue", NOW, 3600);
	b = bearer(op.s);
	env_nginx(&e, "GET", "/metrics", b);
	ck_assert_int_eq(run(&e), 403);
	assert_reason("insufficient_scope");
	env_free(&e);
	free(b);
	tok_free(&op);
	tok_free(&t);
	tok_free(&t2);
	tok_free(&old);
}
END_TEST

START_TEST(t_egress_token_cache)
{
	struct tok	 t;
	struct env	 e;
	char		*a;

	t = mint_c(key1, CID, HOSTS, 0, NOW, 3600);
	session_put(CID, t.jti, CIP);
	a = creds(CID, t.s);
	env_apache_get(&e, "http://github.com/", a);
	ck_assert_int_eq(run(&e), 200);
	ck_assert_int_eq(run(&e), 200);
	ck_assert_int_eq(run(&e), 200);
	ck_assert_uint_eq(app.st.verifies, 1);
	/* the target is decided per request, not cached */
	env_set(&e, "REQUEST_URI", "http://gitlab.com/");
	ck_assert_int_eq(run(&e), 403);
	ck_assert_uint_eq(app.st.verifies, 1);
	/* exp is re-checked on a hit */
	env_set(&e, "REQUEST_URI", "http://github.com/");
	app.fixed_now = NOW + 3599;
	ck_assert_int_eq(run(&e), 200);
	ck_assert_uint_eq(app.st.verifies, 1);
	app.fixed_now = NOW + 3600 + 30;
	ck_assert_int_eq(run(&e), 407);
	assert_reason("token_expired");
	/* the session ends at its expires_at even if Redis still has it */
	app.fixed_now = NOW + 3600 + 29;	/* token within the leeway */
	ck_assert_int_eq(run(&e), 407);
	assert_reason("session_revoked");
	/* a token minted for the future: nbf/iat re-checked as well */
	free(a);
	tok_free(&t);
	t = mint_c(key1, CID, HOSTS, 0, NOW + 600, 3600);
	session_put(CID, t.jti, CIP);
	a = creds(CID, t.s);
	env_set(&e, "HTTP_PROXY_AUTHORIZATION", "%s", a);
	app.fixed_now = NOW + 600;
	ck_assert_msg(run(&e) == 200, "%s", last);
	app.fixed_now = NOW;
	ck_assert_int_eq(run(&e), 407);
	env_free(&e);
	free(a);
	tok_free(&t);
}
END_TEST

/* Write a JWKS holding the public halves of the given keys. */
static void
keys_use_jwks(const struct sg_key *k1, const struct sg_key *k2)
{
	cJSON	*doc, *arr;
	char	*text;

	ck_assert_ptr_nonnull(doc = cJSON_CreateObject());
	ck_assert_ptr_nonnull(arr = cJSON_AddArrayToObject(doc, "keys"));
	cJSON_AddItemToArray(arr, sg_key_jwk(k1));
	if (k2 != NULL)
		cJSON_AddItemToArray(arr, sg_key_jwk(k2));
	ck_assert_ptr_nonnull(text = cJSON_PrintUnformatted(doc));
	write_file(keysfile, text);
	free(text);
	cJSON_Delete(doc);
}

START_TEST(t_key_reload)
{
	struct tok	 t1, t2;
	struct env	 e;
	char		 mdir[64];
	char		*a1, *a2;

	ck_assert_int_eq(sgtest_metrics_on(mdir, sizeof(mdir),
	    "token-verify"), 0);
	app.cfg.session_cache_ms = 0;
	t1 = mint_c(key1, CID, HOSTS, 0, NOW, 3600);
	t2 = mint_c(key2, CID2, HOSTS, 0, NOW, 3600);
	session_put(CID, t1.jti, CIP);
	session_put(CID2, t2.jti, CIP);
	a1 = creds(CID, t1.s);
	a2 = creds(CID2, t2.s);
	env_apache_get(&e, "http://github.com/", a1);
	ck_assert_int_eq(run(&e), 200);
	env_set(&e, "HTTP_PROXY_AUTHORIZATION", "%s", a2);
	ck_assert_int_eq(run(&e), 407);
	assert_reason("unknown_kid");

	/* rotation with overlap: a JWKS with both keys */
	keys_use_jwks(key1, key2);
	app.fixed_mono_us += 200000;
	/* within a second of the last look: not seen yet */
	ck_assert_int_eq(run(&e), 407);
	app.fixed_mono_us += SG_VERIFY_STAT_US;
	ck_assert_int_eq(run(&e), 200);
	ck_assert_uint_eq(app.st.reloads, 1);
	env_set(&e, "HTTP_PROXY_AUTHORIZATION", "%s", a1);
	ck_assert_int_eq(run(&e), 200);

	/* key 1 removed: refused at once, although its token was cached */
	keys_use(key2);
	app.fixed_mono_us += SG_VERIFY_STAT_US;
	ck_assert_int_eq(run(&e), 407);
	assert_reason("unknown_kid");
	ck_assert_uint_eq(app.st.reloads, 2);
	env_set(&e, "HTTP_PROXY_AUTHORIZATION", "%s", a2);
	ck_assert_int_eq(run(&e), 200);

	/* a broken file: the old keys stay in use */
	write_file(keysfile, "-----BEGIN PUBLIC KEY-----\ngarbage\n");
	app.fixed_mono_us += SG_VERIFY_STAT_US;
	ck_assert_int_eq(run(&e), 200);
	ck_assert_uint_eq(app.st.reload_failures, 1);
	/* and not tried again until the file changes */
	app.fixed_mono_us += SG_VERIFY_STAT_US;
	ck_assert_int_eq(run(&e), 200);
	ck_assert_uint_eq(app.st.reload_failures, 1);
	/* /metrics counts each attempt, by result */
	ck_assert_uint_eq(sg_metrics_get(SG_M_KEY_RELOADS, "ok"), 2);
	ck_assert_uint_eq(sg_metrics_get(SG_M_KEY_RELOADS, "failed"), 1);

	/* forced (SIGHUP): back to key 1 only */
	keys_use(key1);
	ck_assert_int_eq(sg_verify_reload(&app, 1, NULL), 1);
	ck_assert_int_eq(run(&e), 407);
	env_set(&e, "HTTP_PROXY_AUTHORIZATION", "%s", a1);
	ck_assert_int_eq(run(&e), 200);
	/* nothing changed: no reload */
	app.fixed_mono_us += SG_VERIFY_STAT_US;
	ck_assert_int_eq(sg_verify_reload(&app, 0, NULL), 0);
	ck_assert_uint_eq(sg_metrics_get(SG_M_KEY_RELOADS, "ok"), 3);
	ck_assert_uint_eq(sg_metrics_get(SG_M_KEY_RELOADS, "failed"), 1);
	sgtest_metrics_off(mdir);
	env_free(&e);
	free(a1);
	free(a2);
	tok_free(&t1);
	tok_free(&t2);
}
END_TEST

START_TEST(t_key_reload_two_files)
{
	struct sg_cfg	 cfg;
	struct sg_err	 err;
	struct tok	 t2;
	struct env	 e;
	char		*a2, *pem, f2[400], list[1000];

	/* SANDGATE_VERIFY_KEYS=a,b */
	app_fini();
	(void)snprintf(f2, sizeof(f2), "%s/second.pem", tmpdir);
	/* key 1 in both files: a duplicate kid is refused at start */
	ck_assert_ptr_nonnull(pem = sg_key_pem(key1, 0));
	write_file(f2, pem);
	free(pem);
	sg_err_clear(&err);
	sg_cfg_defaults(&cfg);
	(void)strlcpy(cfg.issuer, ISS, sizeof(cfg.issuer));
	(void)snprintf(list, sizeof(list), "%s,%s", keysfile, f2);
	(void)strlcpy(cfg.verify_keys, list, sizeof(cfg.verify_keys));
	(void)strlcpy(cfg.redis, redis_url, sizeof(cfg.redis));
	ck_assert_int_eq(sg_ports_parse("80,443", &cfg.egress_ports, &err),
	    SG_OK);
	cfg.session_cache_ms = 0;
	cfg.deny_private = 0;
	ck_assert_int_ne(sg_verify_init(&app, &cfg, &err), SG_OK);
	ck_assert_ptr_nonnull(pem = sg_key_pem(key2, 0));
	write_file(f2, pem);
	free(pem);
	sg_err_clear(&err);
	ck_assert_msg(sg_verify_init(&app, &cfg, &err) == SG_OK, "%s",
	    err.msg);
	app.fixed_now = NOW;
	app.fixed_mono_us = MONO0;
	app.last_stat_us = MONO0;
	t2 = mint_c(key2, CID2, HOSTS, 0, NOW, 3600);
	session_put(CID2, t2.jti, CIP);
	a2 = creds(CID2, t2.s);
	env_apache_get(&e, "http://github.com/", a2);
	ck_assert_int_eq(run(&e), 200);
	/* the second file vanishes: the load fails, the old set stays */
	ck_assert_int_eq(unlink(f2), 0);
	app.fixed_mono_us += SG_VERIFY_STAT_US;
	ck_assert_int_eq(run(&e), 200);
	ck_assert_uint_eq(app.st.reload_failures, 1);
	/* bad lists stop the service at start */
	app_fini();
	(void)strlcpy(cfg.verify_keys, "", sizeof(cfg.verify_keys));
	ck_assert_int_ne(sg_verify_init(&app, &cfg, &err), SG_OK);
	(void)snprintf(list, sizeof(list), "%s,", keysfile);
	(void)strlcpy(cfg.verify_keys, list, sizeof(cfg.verify_keys));
	ck_assert_int_ne(sg_verify_init(&app, &cfg, &err), SG_OK);
	(void)snprintf(list, sizeof(list), "%s/none.pem", tmpdir);
	(void)strlcpy(cfg.verify_keys, list, sizeof(cfg.verify_keys));
	ck_assert_int_ne(sg_verify_init(&app, &cfg, &err), SG_OK);
	env_free(&e);
	free(a2);
	tok_free(&t2);
}
END_TEST

/* stderr into a file while a test runs requests, to read the log back */
static int	 cap_saved = -1;
static char	 cap_path[400];

static void
capture_start(void)
{
	int	 fd;

	sg_log_init("check_verify", SG_LOG_INFO);
	(void)snprintf(cap_path, sizeof(cap_path), "%s/cap.%d", tmpdir,
	    (int)getpid());
	ck_assert_int_ge(fd = open(cap_path, O_WRONLY | O_CREAT | O_TRUNC,
	    0600), 0);
	fflush(stderr);
	cap_saved = dup(2);
	ck_assert_int_ge(dup2(fd, 2), 0);
	close(fd);
}

/* The captured text (static buffer). */
static const char *
capture_end(void)
{
	static char	 buf[65536];
	FILE		*f;
	size_t		 n;

	fflush(stderr);
	ck_assert_int_ge(dup2(cap_saved, 2), 0);
	close(cap_saved);
	ck_assert_ptr_nonnull(f = fopen(cap_path, "r"));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

START_TEST(t_report_mode_log)
{
	struct tok	 t;
	struct env	 e;
	const char	*log;
	char		*a;

	/* SANDGATE_EGRESS_MODE=report: allowed, logged as would_deny */
	app.cfg.report_mode = 1;
	t = mint_c(key1, CID, HOSTS, 0, NOW, 3600);
	session_put(CID, t.jti, CIP);
	a = creds(CID, t.s);
	env_apache_get(&e, "http://140.82.112.99/", a);
	capture_start();
	ck_assert_int_eq(run(&e), 200);
	env_set(&e, "REQUEST_URI", "http://github.com/");
	ck_assert_int_eq(run(&e), 200);
	log = capture_end();
	ck_assert_ptr_nonnull(strstr(log, "\"decision\":\"would_deny\""));
	ck_assert_ptr_nonnull(strstr(log, "\"reason\":\"host_not_allowed\""));
	ck_assert_ptr_nonnull(strstr(log, "\"target\":\"140.82.112.99:80\""));
	ck_assert_ptr_nonnull(strstr(log, "\"decision\":\"allow\""));
	env_free(&e);
	free(a);
	tok_free(&t);
}
END_TEST

/* X7/C10: a value with CR/LF never becomes a header, even if it got in */
START_TEST(t_respond_crlf)
{
	struct sg_verdict	 vd;
	struct sg_resp		 resp;
	char			*out;
	size_t			 len;
	int			 role;

	for (role = 0; role < 2; role++) {
		memset(&vd, 0, sizeof(vd));
		vd.mode = "api";
		vd.status = 200;
		vd.decision = "allow";
		vd.reason = "ok";
		vd.kind = "operator";
		(void)strlcpy(vd.sub, "ops\r\nX-Container-ID: victim",
		    sizeof(vd.sub));
		(void)strlcpy(vd.scope, "sessions:read", sizeof(vd.scope));
		(void)strlcpy(vd.container_id, "-", sizeof(vd.container_id));
		sg_resp_init(&resp);
		sg_verify_respond(&vd, role, &resp);
		ck_assert_ptr_nonnull(out = sg_resp_serialize(&resp, &len));
		ck_assert_int_eq(strncmp(out, "Status: 500", 11), 0);
		ck_assert_ptr_null(strstr(out, "victim"));
		ck_assert_ptr_null(strstr(out, "Variable-"));
		ck_assert_ptr_null(strstr(out, "X-SG-"));
		free(out);
		sg_resp_clear(&resp);
		/* the same with NUL-free but control-laden container id */
		memset(&vd, 0, sizeof(vd));
		vd.mode = "egress";
		vd.status = 200;
		vd.decision = "allow";
		vd.reason = "ok";
		vd.kind = "container";
		(void)strlcpy(vd.sub, "u", sizeof(vd.sub));
		(void)strlcpy(vd.scope, "-", sizeof(vd.scope));
		(void)strlcpy(vd.container_id, "a\nb", sizeof(vd.container_id));
		sg_resp_init(&resp);
		sg_verify_respond(&vd, role, &resp);
		ck_assert_ptr_nonnull(out = sg_resp_serialize(&resp, &len));
		ck_assert_int_eq(strncmp(out, "Status: 500", 11), 0);
		free(out);
		sg_resp_clear(&resp);
	}
}
END_TEST

/* Readable denials (docs/contract.md §10.3): reason header, target, body */
START_TEST(t_respond_denial)
{
	struct sg_verdict	 vd;
	struct sg_resp		 resp;
	char			*out;
	size_t			 len;
	int			 role;

	for (role = 0; role < 2; role++) {
		memset(&vd, 0, sizeof(vd));
		vd.mode = "egress";
		vd.status = 403;
		vd.decision = "deny";
		vd.reason = "path_not_allowed";
		(void)strlcpy(vd.target, "github.com:443", sizeof(vd.target));
		sg_resp_init(&resp);
		sg_verify_respond(&vd, role, &resp);
		ck_assert_ptr_nonnull(out = sg_resp_serialize(&resp, &len));
		ck_assert_int_eq(strncmp(out, "Status: 403", 11), 0);
		ck_assert_ptr_nonnull(strstr(out,
		    "X-Sandgate-Reason: path_not_allowed\r\n"));
		ck_assert_ptr_nonnull(strstr(out,
		    "X-Sandgate-Target: github.com:443\r\n"));
		ck_assert_ptr_nonnull(strstr(out, "{\"error\":\"path_not_allowed\","
		    "\"message\":\"the policy does not allow this path on this "
		    "host\",\"target\":\"github.com:443\"}"));
		free(out);
		sg_resp_clear(&resp);
		/* no parsed target: no target at all, the code still */
		vd.reason = "bad_target";
		vd.target[0] = '\0';
		sg_resp_init(&resp);
		sg_verify_respond(&vd, role, &resp);
		ck_assert_ptr_nonnull(out = sg_resp_serialize(&resp, &len));
		ck_assert_ptr_nonnull(strstr(out,
		    "X-Sandgate-Reason: bad_target\r\n"));
		ck_assert_ptr_null(strstr(out, "X-Sandgate-Target"));
		ck_assert_ptr_null(strstr(out, "\"target\""));
		free(out);
		sg_resp_clear(&resp);
		/* 503 keeps Retry-After; 407 keeps its challenge */
		vd.status = 503;
		vd.decision = "error";
		vd.reason = "session_store_unavailable";
		(void)strlcpy(vd.target, "github.com:443", sizeof(vd.target));
		sg_resp_init(&resp);
		sg_verify_respond(&vd, role, &resp);
		ck_assert_ptr_nonnull(out = sg_resp_serialize(&resp, &len));
		ck_assert_ptr_nonnull(strstr(out, "Retry-After: "));
		ck_assert_ptr_nonnull(strstr(out, "\"target\":\"github.com:443\""));
		free(out);
		sg_resp_clear(&resp);
		vd.status = 407;
		vd.decision = "deny";
		vd.reason = "session_revoked";
		sg_resp_init(&resp);
		sg_verify_respond(&vd, role, &resp);
		ck_assert_ptr_nonnull(out = sg_resp_serialize(&resp, &len));
		ck_assert_ptr_nonnull(strstr(out, "Proxy-Authenticate: Basic"));
		ck_assert_ptr_nonnull(strstr(out,
		    "X-Sandgate-Reason: session_revoked\r\n"));
		free(out);
		sg_resp_clear(&resp);
		/* API denials are unchanged: no reason header */
		vd.mode = "api";
		vd.status = 403;
		vd.reason = "insufficient_scope";
		sg_resp_init(&resp);
		sg_verify_respond(&vd, role, &resp);
		ck_assert_ptr_nonnull(out = sg_resp_serialize(&resp, &len));
		ck_assert_ptr_null(strstr(out, "X-Sandgate-"));
		free(out);
		sg_resp_clear(&resp);
	}
}
END_TEST

START_TEST(t_log_line)
{
	struct tok	 t;
	struct env	 e;
	char		*a, logf[400], buf[8192], *sig;
	int		 fd, saved;
	ssize_t		 n;
	FILE		*f;
	size_t		 lines = 0;

	/* one JSON line per request; never the token (docs/contract.md §9) */
	sg_log_init("check_verify", SG_LOG_INFO);
	t = mint_c(key1, CID, HOSTS, 0, NOW, 3600);
	session_put(CID, t.jti, CIP);
	a = creds(CID, t.s);
	env_apache_get(&e, "http://github.com/", a);
	(void)snprintf(logf, sizeof(logf), "%s/log.txt", tmpdir);
	ck_assert_int_ge(fd = open(logf, O_WRONLY | O_CREAT | O_TRUNC, 0600),
	    0);
	fflush(stderr);
	saved = dup(2);
	ck_assert_int_ge(dup2(fd, 2), 0);
	ck_assert_int_eq(run(&e), 200);
	env_set(&e, "REQUEST_URI", "http://gitlab.com/");
	ck_assert_int_eq(run(&e), 403);
	fflush(stderr);
	ck_assert_int_ge(dup2(saved, 2), 0);
	close(saved);
	close(fd);
	ck_assert_ptr_nonnull(f = fopen(logf, "r"));
	n = (ssize_t)fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	sig = strrchr(t.s, '.') + 1;
	ck_assert_ptr_null(strstr(buf, sig));
	ck_assert_ptr_null(strstr(buf, a + 6));
	ck_assert_ptr_nonnull(strstr(buf, "\"decision\""));
	ck_assert_ptr_nonnull(strstr(buf, "\"latency_us\""));
	ck_assert_ptr_nonnull(strstr(buf, t.jti));
	ck_assert_ptr_nonnull(strstr(buf, "github.com:80"));
	ck_assert_ptr_nonnull(strstr(buf, "host_not_allowed"));
	for (sig = buf; (sig = strchr(sig, '\n')) != NULL; sig++)
		lines++;
	ck_assert_uint_eq(lines, 2);
	env_free(&e);
	free(a);
	tok_free(&t);
}
END_TEST

/* ---- API -------------------------------------------------------------- */

static char *
bearer(const char *tok)
{
	char	*s;
	size_t	 n = strlen(tok) + 8;

	ck_assert_ptr_nonnull(s = malloc(n));
	(void)snprintf(s, n, "Bearer %s", tok);
	return s;
}

START_TEST(t_api_operator_lighttpd)
{
	struct tok	 t;
	struct env	 e;
	char		*b;

	t = mint_o(key1, "sessions:read", NOW, 3600);
	b = bearer(t.s);
	env_lighttpd(&e, "GET", "/v1/sessions/" CID, b);
	ck_assert_int_eq(run(&e), 200);
	ck_assert_str_eq(hdr("Variable-SG_SUB"), "ops");
	ck_assert_str_eq(hdr("Variable-SG_SCOPE"), "sessions:read");
	ck_assert_str_eq(hdr("Variable-SG_KIND"), "operator");
	ck_assert_str_eq(hdr("Variable-SG_CONTAINER_ID"), "-");
	ck_assert_uint_eq(nheaders(), 5);
	env_set(&e, "REQUEST_URI", "/v1/sessions?user_id=u1");
	env_set(&e, "QUERY_STRING", "user_id=u1");
	ck_assert_int_eq(run(&e), 200);
	/* scope not held */
	env_set(&e, "REQUEST_METHOD", "POST");
	env_set(&e, "REQUEST_URI", "/v1/tokens");
	env_set(&e, "QUERY_STRING", "%s", "");
	env_set(&e, "HTTP_CONTENT_LENGTH", "13");
	ck_assert_int_eq(run(&e), 403);
	assert_reason("insufficient_scope");
	ck_assert_str_eq(hdr("WWW-Authenticate"),
	    "Bearer error=\"insufficient_scope\", scope=\"tokens:issue\"");
	/* unknown route */
	env_set(&e, "REQUEST_METHOD", "GET");
	env_set(&e, "REQUEST_URI", "/v1/admin");
	ck_assert_int_eq(run(&e), 403);
	assert_reason("unknown_route");
	env_free(&e);
	free(b);
	tok_free(&t);
}
END_TEST

/* The secrets routes' shapes (lib/route.c, ID_NAME). */
START_TEST(t_route_secrets)
{
	static const char *const no[] = {
		"/v1/sandboxes/" CID "/secrets/",
		"/v1/sandboxes/" CID "/secrets",
		"/v1/sandboxes//secrets/A",
		"/v1/sandboxes/" CID "/secrets/A/B",
		"/v1/sandboxes/" CID "/secretsA",
		"/v1/sandboxes/" CID "/x/A",
		"/v1/sandboxes/a.b/secrets/A",
		"/v1/sandboxes/" CID "/secrets/"
		    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	};
	char		 id[SG_ID_MAX + 1];
	unsigned	 scope;
	size_t		 i;

	ck_assert_int_eq(sg_route_match("PUT", "/v1/sandboxes/" CID
	    "/secrets/lower", &scope, id), SG_ROUTE_SECRET_PUT);
	ck_assert_str_eq(id, CID);
	ck_assert_uint_eq(scope, SG_SCOPE_SECRETS_WRITE);
	ck_assert_int_eq(sg_route_match("HEAD", "/v1/sandboxes/" CID
	    "/secrets", &scope, id), SG_ROUTE_SECRET_LIST);
	ck_assert_int_eq(sg_route_match("POST", "/v1/sandboxes/" CID
	    "/secrets/A", &scope, id), SG_ROUTE_UNKNOWN);
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		ck_assert_msg(sg_route_match("PUT", no[i], &scope, id) ==
		    SG_ROUTE_UNKNOWN, "%s", no[i]);
		ck_assert_str_eq(id, "");
	}
}
END_TEST

START_TEST(t_api_scopes)
{
	static const struct {
		const char	*m, *uri, *scope;
	} r[] = {
		{ "POST", "/v1/tokens", "tokens:issue" },
		{ "POST", "/v1/sandboxes", "sandboxes:create" },
		{ "DELETE", "/v1/sandboxes/" CID, "sandboxes:destroy" },
		{ "GET", "/v1/sessions/" CID, "sessions:read" },
		{ "GET", "/v1/sessions?user_id=u1", "sessions:read" },
		{ "GET", "/metrics", "metrics:read" },
		{ "GET", "/v1/sessions/" CID "/decisions", "sessions:read" },
		{ "PUT", "/v1/sandboxes/" CID "/secrets/EXAMPLE",
		    "secrets:write" },
		{ "DELETE", "/v1/sandboxes/" CID "/secrets/EXAMPLE",
		    "secrets:write" },
		{ "GET", "/v1/sandboxes/" CID "/secrets", "sessions:read" },
	};
	static const char *all = "tokens:issue sandboxes:create "
	    "sandboxes:destroy sessions:read metrics:read secrets:write";
	struct tok	 t;
	struct env	 e;
	char		*b;
	size_t		 i, j;

	for (i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		for (j = 0; j < sizeof(r) / sizeof(r[0]); j++) {
			if (strcmp(r[i].scope, r[j].scope) == 0)
				continue;
			t = mint_o(key1, r[j].scope, NOW, 3600);
			b = bearer(t.s);
			env_nginx(&e, r[i].m, r[i].uri, b);
			ck_assert_msg(run(&e) == 403, "%s %s with %s",
			    r[i].m, r[i].uri, r[j].scope);
			env_free(&e);
			free(b);
			tok_free(&t);
		}
		t = mint_o(key1, r[i].scope, NOW, 3600);
		b = bearer(t.s);
		env_nginx(&e, r[i].m, r[i].uri, b);
		ck_assert_int_eq(run(&e), 200);
		env_free(&e);
		free(b);
		tok_free(&t);
	}
	t = mint_o(key1, all, NOW, 3600);
	b = bearer(t.s);
	for (i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		env_lighttpd(&e, r[i].m, r[i].uri, b);
		ck_assert_int_eq(run(&e), 200);
		ck_assert_str_eq(hdr("Variable-SG_SCOPE"), all);
		env_free(&e);
	}
	free(b);
	tok_free(&t);
}
END_TEST

START_TEST(t_api_nginx_responder)
{
	struct tok	 t;
	struct env	 e;
	char		*b;

	t = mint_o(key1, "sessions:read", NOW, 3600);
	b = bearer(t.s);
	env_nginx(&e, "GET", "/v1/sessions/" CID, b);
	ck_assert_int_eq(run(&e), 200);
	ck_assert_str_eq(hdr("X-SG-Sub"), "ops");
	ck_assert_str_eq(hdr("X-SG-Scope"), "sessions:read");
	ck_assert_str_eq(hdr("X-SG-Kind"), "operator");
	ck_assert_str_eq(hdr("X-SG-Container-Id"), "-");
	ck_assert_ptr_null(hdr("Variable-SG_SUB"));
	/* 401 and 403 only: nginx turns anything else into 500 */
	env_del(&e, "HTTP_AUTHORIZATION");
	ck_assert_int_eq(run(&e), 401);
	assert_bearer_challenge();
	env_set(&e, "HTTP_AUTHORIZATION", "%s", b);
	env_set(&e, "REQUEST_URI", "/v1/tokens");
	env_set(&e, "REQUEST_METHOD", "POST");
	ck_assert_int_eq(run(&e), 403);
	env_free(&e);
	free(b);
	tok_free(&t);
}
END_TEST

START_TEST(t_api_missing_and_bad)
{
	struct tok	 t;
	struct env	 e;
	char		*b;

	env_lighttpd(&e, "GET", "/v1/sessions/" CID, NULL);
	ck_assert_int_eq(run(&e), 401);
	assert_bearer_challenge();
	assert_reason("missing_token");
	env_set(&e, "HTTP_AUTHORIZATION", "Bearer good.fake.jwt");
	ck_assert_int_eq(run(&e), 401);
	assert_bearer_challenge();
	/* expired */
	t = mint_o(key1, "sessions:read", NOW - 7200, 3600);
	b = bearer(t.s);
	env_set(&e, "HTTP_AUTHORIZATION", "%s", b);
	ck_assert_int_eq(run(&e), 401);
	assert_reason("token_expired");
	free(b);
	tok_free(&t);
	/* unknown key */
	t = mint_o(key2, "sessions:read", NOW, 3600);
	b = bearer(t.s);
	env_set(&e, "HTTP_AUTHORIZATION", "%s", b);
	ck_assert_int_eq(run(&e), 401);
	env_free(&e);
	free(b);
	tok_free(&t);
}
END_TEST

START_TEST(t_api_scheme_e13_e14)
{
	struct tok	 t;
	struct env	 e;
	char		 h[12000];

	t = mint_o(key1, "sessions:read", NOW, 3600);
	env_lighttpd(&e, "GET", "/v1/sessions/" CID, NULL);
	/* E13 */
	env_set(&e, "HTTP_AUTHORIZATION", "bearer %s", t.s);
	ck_assert_int_eq(run(&e), 200);
	env_set(&e, "HTTP_AUTHORIZATION", "BEARER %s", t.s);
	ck_assert_int_eq(run(&e), 200);
	env_set(&e, "HTTP_AUTHORIZATION", "Bearer  %s", t.s);
	ck_assert_int_eq(run(&e), 401);
	assert_bearer_challenge();
	env_set(&e, "HTTP_AUTHORIZATION", "Bearer\t%s", t.s);
	ck_assert_int_eq(run(&e), 401);
	env_set(&e, "HTTP_AUTHORIZATION", "Basic %s", t.s);
	ck_assert_int_eq(run(&e), 401);
	env_set(&e, "HTTP_AUTHORIZATION", "%s", t.s);
	ck_assert_int_eq(run(&e), 401);
	env_set(&e, "HTTP_AUTHORIZATION", "Bearer %s %s", t.s, t.s);
	ck_assert_int_eq(run(&e), 401);
	/* E14: joined duplicate headers, or a second channel */
	(void)snprintf(h, sizeof(h), "Bearer %s, Bearer %s", t.s, t.s);
	env_set(&e, "HTTP_AUTHORIZATION", "%s", h);
	ck_assert_int_eq(run(&e), 401);
	env_set(&e, "HTTP_AUTHORIZATION", "Bearer %s", t.s);
	ck_assert_int_eq(run(&e), 200);
	env_set(&e, "HTTP_PROXY_AUTHORIZATION", "Bearer %s", t.s);
	ck_assert_int_eq(run(&e), 401);
	assert_reason("ambiguous_credentials");
	env_del(&e, "HTTP_PROXY_AUTHORIZATION");
	env_set(&e, "REQUEST_URI", "/v1/sessions/" CID "?access_token=%s",
	    t.s);
	env_set(&e, "QUERY_STRING", "access_token=%s", t.s);
	ck_assert_int_eq(run(&e), 401);
	env_set(&e, "REQUEST_URI", "/v1/sessions/" CID "?x=1&access_token=");
	env_set(&e, "QUERY_STRING", "x=1&access_token=");
	ck_assert_int_eq(run(&e), 401);
	/* nginx: the subrequest's QUERY_STRING is empty, REQUEST_URI not */
	env_set(&e, "REQUEST_URI", "/v1/sessions/" CID "?access_token=x");
	env_set(&e, "QUERY_STRING", "%s", "");
	ck_assert_int_eq(run(&e), 401);
	assert_reason("ambiguous_credentials");
	env_set(&e, "REQUEST_URI", "/v1/sessions/" CID "?my_access_token=1");
	env_set(&e, "QUERY_STRING", "my_access_token=1");
	ck_assert_int_eq(run(&e), 200);
	env_free(&e);
	tok_free(&t);
}
END_TEST

START_TEST(t_api_container)
{
	struct tok	 t;
	struct env	 e;
	char		*b;

	t = mint_c(key1, CID, HOSTS, 1, NOW, 3600);
	session_put(CID, t.jti, CIP);
	b = bearer(t.s);
	env_lighttpd(&e, "GET", "/v1/sessions/" CID, b);
	env_set(&e, "HTTP_X_CONTAINER_ID", CID);
	ck_assert_int_eq(run(&e), 200);
	ck_assert_str_eq(hdr("Variable-SG_CONTAINER_ID"), CID);
	ck_assert_str_eq(hdr("Variable-SG_KIND"), "container");
	ck_assert_str_eq(hdr("Variable-SG_SUB"), USER);
	/* another container's session */
	env_set(&e, "REQUEST_URI", "/v1/sessions/" CID2);
	ck_assert_int_eq(run(&e), 403);
	assert_reason("not_permitted");
	/* the audit trail is for operators, even its own */
	env_set(&e, "REQUEST_URI", "/v1/sessions/" CID "/decisions");
	ck_assert_int_eq(run(&e), 403);
	assert_reason("not_permitted");
	env_set(&e, "REQUEST_URI", "/metrics");
	ck_assert_int_eq(run(&e), 403);
	/* any other route */
	env_set(&e, "REQUEST_URI", "/v1/sessions?user_id=" USER);
	env_set(&e, "QUERY_STRING", "user_id=" USER);
	ck_assert_int_eq(run(&e), 403);
	env_set(&e, "QUERY_STRING", "%s", "");
	env_set(&e, "REQUEST_METHOD", "POST");
	env_set(&e, "REQUEST_URI", "/v1/tokens");
	ck_assert_int_eq(run(&e), 403);
	env_set(&e, "REQUEST_METHOD", "DELETE");
	env_set(&e, "REQUEST_URI", "/v1/sandboxes/" CID);
	ck_assert_int_eq(run(&e), 403);
	env_set(&e, "REQUEST_METHOD", "GET");
	env_set(&e, "REQUEST_URI", "/v1/sessions/" CID);
	/* X1: a victim's id; X2: duplicated; X5/C3: whitespace, prefix, case */
	env_set(&e, "HTTP_X_CONTAINER_ID", CID2);
	ck_assert_int_eq(run(&e), 403);
	env_set(&e, "HTTP_X_CONTAINER_ID", "%s, %s", CID, CID);
	ck_assert_int_eq(run(&e), 403);
	assert_reason("bad_container_header");
	env_set(&e, "HTTP_X_CONTAINER_ID", "%s,%s", CID, CID2);
	ck_assert_int_eq(run(&e), 403);
	env_set(&e, "HTTP_X_CONTAINER_ID", " %s", CID);
	ck_assert_int_eq(run(&e), 403);
	env_set(&e, "HTTP_X_CONTAINER_ID", "%s ", CID);
	ck_assert_int_eq(run(&e), 403);
	env_set(&e, "HTTP_X_CONTAINER_ID", "%s\t", CID);
	ck_assert_int_eq(run(&e), 403);
	env_set(&e, "HTTP_X_CONTAINER_ID", "sandbox_AAAA");
	ck_assert_int_eq(run(&e), 403);
	env_set(&e, "HTTP_X_CONTAINER_ID", "SANDBOX_AAAAAAAAAAAAAAAAAAAAAA");
	ck_assert_int_eq(run(&e), 403);
	env_set(&e, "HTTP_X_CONTAINER_ID", "%s", "");
	ck_assert_int_eq(run(&e), 403);
	/* C4/X4: binding enforced and the header stripped */
	env_del(&e, "HTTP_X_CONTAINER_ID");
	ck_assert_int_eq(run(&e), 403);
	assert_reason("container_header_missing");
	/* the session is gone: the token is dead here too */
	env_set(&e, "HTTP_X_CONTAINER_ID", CID);
	app.cfg.session_cache_ms = 0;
	session_del(CID);
	ck_assert_int_eq(run(&e), 401);
	assert_bearer_challenge();
	env_free(&e);
	free(b);
	tok_free(&t);
	/* binding false: the header may be absent, but must match if sent */
	t = mint_c(key1, CID, HOSTS, 0, NOW, 3600);
	session_put(CID, t.jti, CIP);
	b = bearer(t.s);
	env_nginx(&e, "GET", "/v1/sessions/" CID, b);
	ck_assert_int_eq(run(&e), 200);
	ck_assert_str_eq(hdr("X-SG-Container-Id"), CID);
	ck_assert_str_eq(hdr("X-SG-Kind"), "container");
	env_set(&e, "HTTP_X_CONTAINER_ID", CID2);
	ck_assert_int_eq(run(&e), 403);
	/* the parameter twice in the environment, even without binding */
	env_set(&e, "HTTP_X_CONTAINER_ID", CID);
	ck_assert_int_eq(run(&e), 200);
	e.v[e.n++] = strdup("HTTP_X_CONTAINER_ID=" CID2);
	ck_assert_int_eq(run(&e), 403);
	assert_reason("bad_container_header");
	env_free(&e);
	free(b);
	tok_free(&t);
}
END_TEST

START_TEST(t_api_public_and_redis_down)
{
	struct tok	 t;
	struct env	 e;
	char		*b, dead[300];

	env_lighttpd(&e, "GET", "/.well-known/jwks.json", NULL);
	ck_assert_int_eq(run(&e), 200);
	ck_assert_str_eq(hdr("Variable-SG_KIND"), "anonymous");
	env_set(&e, "REQUEST_METHOD", "POST");
	ck_assert_int_eq(run(&e), 401);
	env_free(&e);
	/*
	 * Operator decisions need Redis too (the revocation list): 503, and
	 * let through as revocation_unchecked only with
	 * SANDGATE_REDIS_FAILURE=open; container ones 503.
	 */
	app_fini();
	(void)snprintf(dead, sizeof(dead), "unix:%s/nothing.sock", tmpdir);
	app_init(dead, 0, 0);
	t = mint_o(key1, "sessions:read", NOW, 3600);
	b = bearer(t.s);
	env_nginx(&e, "GET", "/v1/sessions/" CID, b);
	ck_assert_int_eq(run(&e), 503);
	app.cfg.redis_fail_open = 1;
	ck_assert_int_eq(run(&e), 200);
	app.cfg.redis_fail_open = 0;
	free(b);
	tok_free(&t);
	t = mint_c(key1, CID, HOSTS, 0, NOW, 3600);
	b = bearer(t.s);
	env_set(&e, "HTTP_AUTHORIZATION", "%s", b);
	ck_assert_int_eq(run(&e), 503);
	env_free(&e);
	free(b);
	tok_free(&t);
}
END_TEST

/* `sandgate token revoke`: the jti on the list, seen within the cache bound. */
START_TEST(t_api_operator_revoked)
{
	struct tok	 t, t2;
	struct env	 e;
	struct sg_err	 err;
	char		*b;
	uint64_t	 n;

	t = mint_o(key1, "sessions:read", NOW, 3600);
	t2 = mint_o(key1, "sessions:read", NOW, 3600);
	b = bearer(t.s);
	env_nginx(&e, "GET", "/v1/sessions/" CID, b);
	ck_assert_int_eq(run(&e), 200);
	n = app.st.verifies;
	sg_err_clear(&err);
	/* Redis expires the entry by its own clock, not the fixed one */
	ck_assert_msg(sg_revoke_put(tr, t.jti, (int64_t)time(NULL) + 3600,
	    NOW, "test", &err) == SG_OK, "%s", err.msg);
	app.fixed_mono_us += 500000;
	ck_assert_int_eq(run(&e), 200);	/* cached "not revoked": < 1 s */
	app.fixed_mono_us += 600000;
	ck_assert_int_eq(run(&e), 401);
	assert_reason("token_revoked");
	ck_assert_uint_eq(app.st.verifies, n);	/* the signature was cached */
	/* and stays refused: a revoked answer is not cached as good */
	ck_assert_int_eq(run(&e), 401);
	free(b);
	/* another token of the same operator is not affected */
	b = bearer(t2.s);
	env_set(&e, "HTTP_AUTHORIZATION", "%s", b);
	ck_assert_int_eq(run(&e), 200);
	env_free(&e);
	free(b);
	/* the entry dies when the token would have */
	ck_assert_int_eq(sg_revoke_put(tr, t.jti, NOW, NOW, "test", &err),
	    SG_EINVAL);
	ck_assert_int_eq(sg_revoke_put(tr, "bad jti", NOW + 9, NOW, "test",
	    &err), SG_EINVAL);
	ck_assert_int_eq(sg_revoke_put(tr, t.jti, NOW + 9, NOW, "a\nb", &err),
	    SG_EINVAL);
	tok_free(&t);
	tok_free(&t2);
}
END_TEST

/*
 * SANDGATE_OPERATOR_KEYS: each kind of token only under its own keys, so
 * the sandbox-signing key (token-issuer, sandbox-create) mints no
 * operator token; a key in both sets stops the start.
 */
START_TEST(t_operator_keys_apart)
{
	struct sg_cfg	 cfg;
	struct sg_err	 err;
	struct tok	 t;
	struct env	 e;
	char		 opfile[300], *pem, *a;

	(void)snprintf(opfile, sizeof(opfile), "%s/operator.pem", tmpdir);
	ck_assert_ptr_nonnull(pem = sg_key_pem(key2, 0));
	write_file(opfile, pem);
	free(pem);
	cfg = app.cfg;
	(void)strlcpy(cfg.operator_keys, opfile, sizeof(cfg.operator_keys));
	app_fini();
	sg_err_clear(&err);
	ck_assert_msg(sg_verify_init(&app, &cfg, &err) == SG_OK, "%s", err.msg);
	app.fixed_now = NOW;
	app.fixed_mono_us = MONO0;
	app.last_stat_us = MONO0;

	/* operator token under the operator key: allowed */
	t = mint_o(key2, "sessions:read", NOW, 3600);
	a = bearer(t.s);
	env_nginx(&e, "GET", "/v1/sessions/" CID, a);
	ck_assert_int_eq(run(&e), 200);
	free(a);
	tok_free(&t);
	/* operator token under the sandbox key: refused */
	t = mint_o(key1, "sessions:read", NOW, 3600);
	a = bearer(t.s);
	env_set(&e, "HTTP_AUTHORIZATION", "%s", a);
	ck_assert_int_eq(run(&e), 401);
	ck_assert_ptr_nonnull(strstr(hdr("WWW-Authenticate"), "invalid_token"));
	env_free(&e);
	free(a);
	tok_free(&t);
	/* container token under the sandbox key: allowed */
	t = mint_c(key1, CID, HOSTS, 0, NOW, 3600);
	session_put(CID, t.jti, CIP);
	a = creds(CID, t.s);
	env_apache_get(&e, "http://github.com/", a);
	ck_assert_int_eq(run(&e), 200);
	env_free(&e);
	free(a);
	tok_free(&t);
	/* container token under the operator key: refused */
	t = mint_c(key2, CID, HOSTS, 0, NOW, 3600);
	session_put(CID, t.jti, CIP);
	a = creds(CID, t.s);
	env_apache_get(&e, "http://github.com/", a);
	ck_assert_int_eq(run(&e), 407);
	assert_reason("wrong_key");
	env_free(&e);
	free(a);
	tok_free(&t);

	/* one key in both sets: no start */
	app_fini();
	(void)strlcpy(cfg.operator_keys, keysfile, sizeof(cfg.operator_keys));
	sg_err_clear(&err);
	ck_assert_int_eq(sg_verify_init(&app, &cfg, &err), SG_EINVAL);
	ck_assert_msg(strstr(err.msg, "need their own") != NULL, "%s", err.msg);
	app_init(redis_url, 0, 1000);
}
END_TEST

START_TEST(t_api_host_ignored)
{
	struct tok	 t;
	struct env	 e;
	char		*b;

	/* routing uses REQUEST_URI; Host, SERVER_PORT, SCRIPT_NAME ignored */
	t = mint_o(key1, "sessions:read", NOW, 3600);
	b = bearer(t.s);
	env_nginx(&e, "POST", "/v1/tokens", b);
	env_set(&e, "SCRIPT_NAME", "/v1/sessions/x");
	env_set(&e, "HTTP_HOST", "internal");
	env_set(&e, "SERVER_PORT", "1");
	ck_assert_int_eq(run(&e), 403);
	env_free(&e);
	free(b);
	tok_free(&t);
}
END_TEST

START_TEST(t_api_operator_cannot_egress_container_cannot_api)
{
	struct tok	 t;
	struct env	 e;
	char		*b;

	/* a container token carries no operator scope */
	t = mint_c(key1, CID, HOSTS, 0, NOW, 3600);
	session_put(CID, t.jti, CIP);
	b = bearer(t.s);
	env_lighttpd(&e, "GET", "/metrics", b);
	ck_assert_int_eq(run(&e), 403);
	env_free(&e);
	free(b);
	tok_free(&t);
}
END_TEST

START_TEST(t_health)
{
	struct env	 e;

	/* routed to token-verify directly (responder): a health answer */
	env_nginx(&e, "GET", "/healthz/token-verify", NULL);
	env_set(&e, "SCRIPT_NAME", "/healthz/token-verify");
	env_set(&e, "DOCUMENT_URI", "/healthz/token-verify");
	ck_assert_int_eq(run(&e), 200);
	ck_assert_ptr_nonnull(strstr(body(), "\"redis\":\"ok\""));
	ck_assert_ptr_null(hdr("X-SG-Kind"));
	/* the same URI in an auth subrequest is a decision: no token, 401 */
	env_set(&e, "SCRIPT_NAME", "/_sg_auth");
	env_set(&e, "DOCUMENT_URI", "/_sg_auth");
	ck_assert_int_eq(run(&e), 401);
	/* never under the AUTHORIZER role */
	env_free(&e);
	env_lighttpd(&e, "GET", "/healthz/token-verify", NULL);
	ck_assert_int_eq(run(&e), 401);
	env_free(&e);
}
END_TEST

/* ---- failures of our own: 500, never a verdict ------------------------- */

/*
 * OpenSSL failing on demand: lib/jwt.c's i2d_ECDSA_SIG (linked with
 * ld --wrap, tests/unit/local.mk) fails while crypto_fail is set, and
 * sg_jwt_verify answers SG_EINTERNAL "crypto_failed".
 */
struct ECDSA_SIG_st;
int	 __real_i2d_ECDSA_SIG(const struct ECDSA_SIG_st *, unsigned char **);
int	 __wrap_i2d_ECDSA_SIG(const struct ECDSA_SIG_st *, unsigned char **);
static int	 crypto_fail;

int
__wrap_i2d_ECDSA_SIG(const struct ECDSA_SIG_st *sig, unsigned char **pp)
{
	if (crypto_fail)
		return -1;
	return __real_i2d_ECDSA_SIG(sig, pp);
}

/*
 * Pins: token-verify mapped only SG_ENOMEM to 500, so lib/jwt.c's
 * crypto_failed (SG_EINTERNAL) became a 407/401 for a valid token.
 */
START_TEST(t_crypto_failed_500)
{
	struct tok	 t, o;
	struct env	 e;
	char		*a, *b;

	t = mint_c(key1, CID, HOSTS, 1, NOW, 3600);
	session_put(CID, t.jti, CIP);
	a = creds(CID, t.s);
	env_apache_get(&e, "http://github.com/", a);
	crypto_fail = 1;
	ck_assert_int_eq(run(&e), 500);
	crypto_fail = 0;
	assert_reason("crypto_failed");
	ck_assert_ptr_null(hdr("Proxy-Authenticate"));
	ck_assert_ptr_null(hdr("Variable-SG_CONTAINER_ID"));
	/* nothing of the failure is remembered */
	ck_assert_int_eq(run(&e), 200);
	env_free(&e);

	o = mint_o(key1, "sessions:read", NOW, 3600);
	b = bearer(o.s);
	env_lighttpd(&e, "GET", "/v1/sessions/" CID, b);
	crypto_fail = 1;
	ck_assert_int_eq(run(&e), 500);
	crypto_fail = 0;
	assert_reason("crypto_failed");
	ck_assert_ptr_null(hdr("WWW-Authenticate"));
	ck_assert_int_eq(run(&e), 200);
	env_free(&e);
	free(a);
	free(b);
	tok_free(&t);
	tok_free(&o);
}
END_TEST

/* One decision with the at-th allocation failing; its status. */
static int
decide_failing_at(struct env *e, long at, int *hit)
{
	struct sg_req		 req;
	struct sg_verdict	 vd;

	e->v[e->n] = NULL;
	ck_assert_int_eq(sg_req_init(&req, e->v, NULL, 0, NULL), SG_OK);
	memset(&vd, 0, sizeof(vd));
	sgtest_failalloc_at(at);
	sg_verify_decide(&app, &req, &vd);
	sgtest_failalloc_off();
	*hit = sgtest_failalloc_hit(at);
	sg_req_clear(&req);
	return vd.status;
}

/*
 * Pins: with SANDGATE_REDIS_FAILURE=open, an allocation failure reading
 * the session (SG_ENOMEM since lib/json.c tells it from bad JSON) was
 * taken for Redis failing and let a revoked token through unchecked.
 * Each allocation (sandgate's and cJSON's) of the decision fails in turn:
 * a 407 or a 5xx, never a 200.
 */
START_TEST(t_enomem_never_fail_open)
{
	struct tok	 t, newer;
	struct env	 e;
	char		*a;
	long		 at, hits = 0, e500 = 0;
	int		 st, hit;

	app_fini();
	app_init(redis_url, 0, 0);		/* no session cache */
	app.cfg.redis_fail_open = 1;
	t = mint_c(key1, CID, HOSTS, 0, NOW, 3600);
	newer = mint_c(key1, CID, HOSTS, 0, NOW, 3600);
	/* the session is a newer token's: t is revoked */
	session_put(CID, newer.jti, CIP);
	a = creds(CID, t.s);
	env_apache_get(&e, "http://github.com/", a);
	ck_assert_int_eq(run(&e), 407);
	sgtest_failalloc_cjson();
	for (at = 0; ; at++) {
		st = decide_failing_at(&e, at, &hit);
		if (!hit) {
			ck_assert_int_eq(st, 407);
			break;
		}
		ck_assert_msg(st == 407 || st == 500 || st == 503,
		    "allocation %ld failed: status %d", at, st);
		if (st == 500)
			e500++;
		hits++;
	}
	cJSON_InitHooks(NULL);
	ck_assert_int_ge(hits, 3);
	ck_assert_int_ge(e500, 1);
	env_free(&e);
	free(a);
	tok_free(&t);
	tok_free(&newer);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("verify");
	TCase	*tc;

	tc = tcase_create("pure");
	tcase_add_test(tc, t_parse_bearer);
	tcase_add_test(tc, t_parse_basic);
	tcase_add_test(tc, t_route);
	tcase_add_test(tc, t_addr_eq);
	tcase_add_test(tc, t_cache_basic);
	tcase_add_test(tc, t_cache_lru);
	tcase_add_test(tc, t_respond_crlf);
	tcase_add_test(tc, t_respond_denial);
	suite_add_tcase(s, tc);

	tc = tcase_create("egress");
	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, t_egress_get_allowed);
	tcase_add_test(tc, t_egress_connect_allowed);
	tcase_add_test(tc, t_egress_budget);
	tcase_add_test(tc, t_egress_no_credentials);
	tcase_add_test(tc, t_egress_bad_credentials);
	tcase_add_test(tc, t_egress_bad_token);
	tcase_add_test(tc, t_egress_claimed_not_proven);
	tcase_add_test(tc, t_egress_expired);
	tcase_add_test(tc, t_egress_operator_token);
	tcase_add_test(tc, t_egress_other_container);
	tcase_add_test(tc, t_egress_session);
	tcase_add_test(tc, t_egress_session_cache);
	tcase_add_test(tc, t_egress_reuse);
	tcase_add_test(tc, t_egress_binding);
	tcase_add_test(tc, t_egress_target_denied);
	tcase_add_test(tc, t_egress_public_suffix);
	tcase_add_test(tc, t_egress_host_header_ignored);
	tcase_add_test(tc, t_egress_bypasses);
	tcase_add_test(tc, t_egress_private_names);
	tcase_add_test(tc, t_egress_remote_user);
	tcase_add_test(tc, t_egress_redis_down);
	tcase_add_test(tc, t_egress_report_mode);
	tcase_add_test(tc, t_report_mode_never_credentials);
	tcase_add_test(tc, t_egress_token_cache);
	tcase_add_test(tc, t_key_reload);
	tcase_add_test(tc, t_key_reload_two_files);
	tcase_add_test(tc, t_log_line);
	tcase_add_test(tc, t_report_mode_log);
	tcase_add_test(tc, t_crypto_failed_500);
	tcase_add_test(tc, t_enomem_never_fail_open);
	suite_add_tcase(s, tc);

	tc = tcase_create("api");
	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, t_api_operator_lighttpd);
	tcase_add_test(tc, t_api_scopes);
	tcase_add_test(tc, t_route_secrets);
	tcase_add_test(tc, t_api_nginx_responder);
	tcase_add_test(tc, t_api_missing_and_bad);
	tcase_add_test(tc, t_api_scheme_e13_e14);
	tcase_add_test(tc, t_api_container);
	tcase_add_test(tc, t_api_public_and_redis_down);
	tcase_add_test(tc, t_api_operator_revoked);
	tcase_add_test(tc, t_operator_keys_apart);
	tcase_add_test(tc, t_api_host_ignored);
	tcase_add_test(tc, t_api_operator_cannot_egress_container_cannot_api);
	tcase_add_test(tc, t_health);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner		*sr;
	struct sg_err	 err;
	int		 failed;

	sg_err_clear(&err);
	sg_log_init("check_verify", SG_LOG_WARN);
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	(void)snprintf(keysfile, sizeof(keysfile), "%s/verify-keys.pem",
	    tmpdir);
	if (sg_key_load_pem(SG_TESTDATA "/test-key-1.pem", &key1, &err) !=
	    SG_OK || sg_key_load_pem(SG_TESTDATA "/test-key-2.pem", &key2,
	    &err) != SG_OK) {
		fprintf(stderr, "test keys: %s\n", err.msg);
		return 1;
	}
	redis_start();
	sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	sg_key_free(key1);
	sg_key_free(key2);
	cleanup();
	return failed == 0 ? 0 : 1;
}
