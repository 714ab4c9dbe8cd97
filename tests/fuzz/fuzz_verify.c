/* SPDX-License-Identifier: ISC */
/*
 * token-verify's decision (services/token-verify/verify.c) on fuzzed
 * FastCGI parameters: sg_verify_decide, then sg_verify_respond and
 * sg_resp_serialize.  Redis and DNS are replaced at link time
 * (-Wl,--wrap=sg_session_get,--wrap=getaddrinfo,--wrap=freeaddrinfo) by
 * a fixed table, so the fuzzer reaches every branch behind a valid token
 * and the run is deterministic.  The token cache is flushed before every
 * input.
 *
 * The oracle: every allow (status 200) is re-derived here from the
 * request without the verifier's code (credentials, token, container
 * id, session, address binding, target and allowed_hosts, private rule;
 * scopes and routes for the API), and every answer has a documented
 * status, the right mode, and headers that are safe for the role
 * (AUTHORIZER: Status and Variable-SG_* only on a 200; never CR/LF).
 *
 * Input: "NAME=value" lines (fuzz.h); FUZZ_CFG=<n> sets bits of the
 * configuration: 1 redis_fail_open, 2 report_mode, 4 deny_private,
 * 8 session cache off, 16 accept_no_aud, 32 egress ports 8443 only;
 * bits 8-15 move the clock n minutes forward.
 */
#include "config.h"

#include <sys/socket.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "b64url.h"
#include "cache.h"
#include "cfg.h"
#include "claims.h"
#include "hosts.h"
#include "request.h"
#include "response.h"
#include "session.h"
#include "token.h"
#include "verify.h"
#include "fuzz.h"

#define SESSION_IP	"172.18.0.5"

static struct app	 app;
static struct sg_cfg	 base;
static int		 verbose;	/* FUZZ_VERBOSE=1: print each verdict */

/* ---- the stubs ---------------------------------------------------------- */

enum sg_rc	__wrap_sg_session_get(struct sg_redis *, const char *,
		    struct sg_session *, struct sg_err *);
int		__wrap_getaddrinfo(const char *, const char *,
		    const struct addrinfo *, struct addrinfo **);
void		__wrap_freeaddrinfo(struct addrinfo *);

/*
 * The sessions: FZ_CID is alive with FZ_JTI; sandbox_fuzzDOWN is Redis
 * down, sandbox_fuzzBAD a corrupt session, sandbox_fuzzOLD an expired
 * one, sandbox_fuzzJTI one of another token; anything else is absent.
 */
static int
session_of(const char *id, struct sg_session *s, time_t now)
{
	if (strcmp(id, "sandbox_fuzzDOWN") == 0)
		return SG_EUNAVAIL;
	if (strcmp(id, "sandbox_fuzzBAD") == 0)
		return SG_EUPSTREAM;
	if (strcmp(id, FZ_CID) != 0 && strcmp(id, "sandbox_fuzzOLD") != 0 &&
	    strcmp(id, "sandbox_fuzzJTI") != 0)
		return SG_ENOENT;
	if (s != NULL) {
		(void)snprintf(s->container_id, sizeof(s->container_id), "%s",
		    id);
		(void)snprintf(s->user_id, sizeof(s->user_id), "user1");
		(void)snprintf(s->org, sizeof(s->org), "%s", FZ_ORG);
		(void)snprintf(s->jti, sizeof(s->jti), "%s",
		    strcmp(id, "sandbox_fuzzJTI") == 0 ? "other-jti" : FZ_JTI);
		memset(s->token_sha256, 'a', 64);
		s->token_sha256[64] = '\0';
		(void)snprintf(s->container_ip, sizeof(s->container_ip),
		    SESSION_IP);
		s->created_at = (int64_t)FZ_NOW - 60;
		s->expires_at = strcmp(id, "sandbox_fuzzOLD") == 0 ?
		    (int64_t)FZ_NOW - 1 : (int64_t)FZ_NOW + 3600;
	}
	(void)now;
	return SG_OK;
}

enum sg_rc
__wrap_sg_session_get(struct sg_redis *r, const char *id,
    struct sg_session *s, struct sg_err *err)
{
	int	 rc;

	(void)r;
	if (id == NULL || !sg_id_valid(id))
		return sg_err_set(err, SG_EINVAL, "bad_id", "bad id");
	rc = session_of(id, s, 0);
	switch (rc) {
	case SG_OK:
		return SG_OK;
	case SG_EUNAVAIL:
		return sg_err_set(err, SG_EUNAVAIL, "redis_connect", "down");
	case SG_EUPSTREAM:
		return sg_err_set(err, SG_EUPSTREAM, "bad_session", "corrupt");
	default:
		return sg_err_set(err, SG_ENOENT, "session_not_found", "none");
	}
}

/* "private.test" and "*.internal" are private, "nx.test" does not resolve. */
static int
fake_addr(const char *name, uint8_t a[4])
{
	size_t	 n = strlen(name);

	if (strcmp(name, "nx.test") == 0)
		return -1;
	if (strcmp(name, "private.test") == 0 ||
	    (n >= 9 && strcmp(name + n - 9, ".internal") == 0)) {
		a[0] = 10; a[1] = 1; a[2] = 2; a[3] = 3;
	} else {
		a[0] = 93; a[1] = 184; a[2] = 216; a[3] = 34;
	}
	return 0;
}

int
__wrap_getaddrinfo(const char *node, const char *service,
    const struct addrinfo *hints, struct addrinfo **res)
{
	struct addrinfo		*ai;
	struct sockaddr_in	*sin;
	uint8_t			 a[4];

	(void)service;
	(void)hints;
	*res = NULL;
	if (node == NULL || fake_addr(node, a) != 0)
		return EAI_NONAME;
	ai = calloc(1, sizeof(*ai));
	sin = calloc(1, sizeof(*sin));
	sin->sin_family = AF_INET;
	memcpy(&sin->sin_addr, a, 4);
	ai->ai_family = AF_INET;
	ai->ai_socktype = SOCK_STREAM;
	ai->ai_addrlen = sizeof(*sin);
	ai->ai_addr = (struct sockaddr *)sin;
	*res = ai;
	return 0;
}

void
__wrap_freeaddrinfo(struct addrinfo *ai)
{
	struct addrinfo	*next;

	for (; ai != NULL; ai = next) {
		next = ai->ai_next;
		free(ai->ai_addr);
		free(ai);
	}
}

/* ---- set-up ------------------------------------------------------------- */

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sg_err	 err;

	sg_cfg_defaults(&base);
	(void)snprintf(base.issuer, sizeof(base.issuer), "%s", FZ_ISSUER);
	(void)snprintf(base.verify_keys, sizeof(base.verify_keys),
	    "%s/test-key-1.pub.pem,%s/test-key-2.pub.pem", SG_TESTDATA,
	    SG_TESTDATA);
	(void)snprintf(base.redis, sizeof(base.redis),
	    "unix:/nonexistent/sandgate-fuzz.sock");
	base.leeway = 30;
	base.token_max_ttl = 86400;
	sg_err_clear(&err);
	if (sg_verify_init(&app, &base, &err) != SG_OK)
		FZ_FAIL("sg_verify_init: %s", err.msg);
	app.fixed_now = FZ_NOW;
	app.fixed_mono_us = 1000000;
	verbose = getenv("FUZZ_VERBOSE") != NULL;
	return 0;
}

/* ---- the oracle --------------------------------------------------------- */

/* The token behind the egress credentials, or NULL; cid gets the id. */
static char *
egress_token(const struct sg_req *req, char *cid, size_t cidsize)
{
	const char	*h, *u, *p, *colon;
	uint8_t		*dec = NULL;
	char		*tok = NULL;
	size_t		 n, dl = 0;

	cid[0] = '\0';
	if ((h = sg_req_param(req, "HTTP_PROXY_AUTHORIZATION")) != NULL) {
		/* RFC 7617: "Basic" case-insensitively, one SP, base64 */
		if (strncasecmp(h, "Basic ", 6) != 0)
			return NULL;
		h += 6;
		n = strlen(h);
		dec = malloc(n + 1);
		if (sg_b64_decode(h, n, dec, n + 1, &dl, NULL) != SG_OK) {
			free(dec);
			return NULL;
		}
		dec[dl] = '\0';
		if (strlen((char *)dec) != dl ||
		    (colon = strchr((char *)dec, ':')) == NULL ||
		    strncmp((char *)dec, "container_", 10) != 0 ||
		    strncmp(colon + 1, "jwt_", 4) != 0 ||
		    (size_t)(colon - (char *)dec) - 10 >= cidsize) {
			free(dec);
			return NULL;
		}
		memcpy(cid, dec + 10, (size_t)(colon - (char *)dec) - 10);
		cid[colon - (char *)dec - 10] = '\0';
		tok = strdup(colon + 5);
		free(dec);
		return tok;
	}
	u = sg_req_param(req, "REMOTE_USER");
	p = sg_req_param(req, "REMOTE_PASSWD");
	if (u == NULL || p == NULL || strncmp(u, "container_", 10) != 0 ||
	    strncmp(p, "jwt_", 4) != 0 || strlen(u + 10) >= cidsize)
		return NULL;
	(void)snprintf(cid, cidsize, "%s", u + 10);
	return strdup(p + 4);
}

static int
token_ok(const char *tok, struct sg_claims *c)
{
	struct sg_verify_opts	 o;

	memset(&o, 0, sizeof(o));
	o.issuer = app.cfg.issuer;
	o.accept_no_aud = app.cfg.accept_no_aud;
	o.leeway = app.cfg.leeway;
	o.max_ttl = app.cfg.token_max_ttl;
	o.now = app.fixed_now;
	return sg_token_verify(app.keys, tok, strlen(tok), &o, c, NULL) ==
	    SG_OK;
}

/*
 * The session of c as the verifier may see it: 1 alive with c's jti, 0
 * absent or dead, -1 Redis down (only allowed to pass when fail-open).
 */
static int
session_ok(const struct sg_claims *c)
{
	struct sg_session	 s;
	int			 rc;

	memset(&s, 0, sizeof(s));
	if (!sg_id_valid(c->container_id))
		return 0;
	rc = session_of(c->container_id, &s, app.fixed_now);
	if (rc == SG_EUNAVAIL)
		return -1;
	if (rc != SG_OK)
		return 0;
	return s.expires_at > (int64_t)app.fixed_now &&
	    strcmp(s.jti, c->jti) == 0;
}

static int
addr_is(const char *remote, const char *want)
{
	uint8_t		 a[16], b[4];

	if (remote == NULL)
		return 0;
	if (inet_pton(AF_INET, want, b) != 1)
		return 0;
	if (inet_pton(AF_INET, remote, a) == 1)
		return memcmp(a, b, 4) == 0;
	if (inet_pton(AF_INET6, remote, a) == 1)
		return memcmp(a, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0 &&
		    memcmp(a + 12, b, 4) == 0;
	return 0;
}

static void
oracle_egress(const struct sg_req *req, const struct sg_verdict *vd)
{
	struct sg_claims	 c;
	struct sg_target	 t;
	char			 cid[SG_ID_MAX + 2], *tok;
	uint8_t			 a[4];
	int			 s;

	sg_claims_init(&c);
	tok = egress_token(req, cid, sizeof(cid));
	FZ_ASSERT(tok != NULL, "egress allowed without readable credentials");
	FZ_ASSERT(token_ok(tok, &c), "egress allowed with a bad token");
	FZ_ASSERT(c.kind == SG_KIND_CONTAINER, "egress with an operator token");
	FZ_ASSERT(strcmp(cid, c.container_id) == 0,
	    "credential id %s != container_id %s", cid, c.container_id);
	s = session_ok(&c);
	FZ_ASSERT(s == 1 || (s == -1 && app.cfg.redis_fail_open),
	    "egress allowed without a live session (%d)", s);
	if (c.binding)
		FZ_ASSERT(s == 1 && addr_is(sg_req_param(req, "REMOTE_ADDR"),
		    SESSION_IP), "binding not enforced");
	FZ_ASSERT(sg_target_parse(req->method, req->raw_uri, &t, NULL) ==
	    SG_OK, "egress allowed to an unparsable target");
	if (strcmp(vd->decision, "allow") == 0)
		FZ_ASSERT(sg_hosts_match(&c.hosts, &t, &app.cfg.egress_ports),
		    "egress allowed to %s:%u, not in %s", t.host,
		    (unsigned)t.port, c.allowed_hosts);
	else
		FZ_ASSERT(strcmp(vd->decision, "would_deny") == 0 &&
		    app.cfg.report_mode, "decision %s", vd->decision);
	if (app.cfg.deny_private) {
		if (t.kind == SG_HOST_NAME)
			FZ_ASSERT(fake_addr(t.host, a) == 0 &&
			    !sg_addr_is_private(AF_INET, a),
			    "private name allowed");
		else
			FZ_ASSERT(!sg_addr_is_private(t.kind == SG_HOST_IPV4 ?
			    AF_INET : AF_INET6, t.addr), "private IP allowed");
	}
	free(tok);
	sg_claims_clear(&c);
}

static void
oracle_api(const struct sg_req *req, const struct sg_verdict *vd)
{
	static const struct {
		const char	*method, *prefix;
		unsigned	 scope;
		int		 exact;
	} routes[] = {
		{ "POST", "/v1/tokens", SG_SCOPE_TOKENS_ISSUE, 1 },
		{ "POST", "/v1/sandboxes", SG_SCOPE_SANDBOXES_CREATE, 1 },
		{ "DELETE", "/v1/sandboxes/", SG_SCOPE_SANDBOXES_DESTROY, 0 },
		{ "GET", "/v1/sessions/", SG_SCOPE_SESSIONS_READ, 0 },
		{ "GET", "/v1/sessions", SG_SCOPE_SESSIONS_READ, 1 },
		{ "GET", "/metrics", SG_SCOPE_METRICS_READ, 1 },
	};
	struct sg_claims	 c;
	const char		*h, *x;
	char			*tok;
	size_t			 i, pl;
	int			 s, ok = 0;

	if (strcmp(vd->reason, "public_route") == 0) {
		FZ_ASSERT(req->path != NULL && strcmp(req->method, "GET") == 0 &&
		    strcmp(req->path, "/.well-known/jwks.json") == 0,
		    "public route %s %s", req->method,
		    req->path ? req->path : "-");
		return;
	}
	h = sg_req_param(req, "HTTP_AUTHORIZATION");
	FZ_ASSERT(h != NULL && strncasecmp(h, "Bearer ", 7) == 0,
	    "api allowed without a bearer token");
	FZ_ASSERT(sg_req_param(req, "HTTP_PROXY_AUTHORIZATION") == NULL,
	    "api allowed with two credentials");
	tok = strdup(h + 7);
	sg_claims_init(&c);
	FZ_ASSERT(strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu"
	    "vwxyz0123456789-_.") == strlen(tok) && token_ok(tok, &c),
	    "api allowed with a bad token");
	FZ_ASSERT(req->path != NULL, "api allowed without a path");
	if (c.kind == SG_KIND_OPERATOR) {
		FZ_ASSERT(c.has_aud, "operator without aud");
		for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
			if (strcmp(req->method, routes[i].method) != 0)
				continue;
			pl = strlen(routes[i].prefix);
			if (routes[i].exact ? strcmp(req->path,
			    routes[i].prefix) != 0 : (strncmp(req->path,
			    routes[i].prefix, pl) != 0 ||
			    !sg_id_valid(req->path + pl)))
				continue;
			if (c.scopes & routes[i].scope)
				ok = 1;
		}
		FZ_ASSERT(ok, "operator %s allowed %s %s", c.scope,
		    req->method, req->path);
	} else {
		pl = strlen("/v1/sessions/");
		FZ_ASSERT(strcmp(req->method, "GET") == 0 &&
		    strncmp(req->path, "/v1/sessions/", pl) == 0 &&
		    strcmp(req->path + pl, c.container_id) == 0,
		    "container token allowed %s %s", req->method, req->path);
		x = sg_req_param(req, "HTTP_X_CONTAINER_ID");
		FZ_ASSERT(x == NULL ? !c.binding :
		    strcmp(x, c.container_id) == 0, "X-Container-ID");
		s = session_ok(&c);
		FZ_ASSERT(s == 1 || (s == -1 && app.cfg.redis_fail_open),
		    "api allowed without a live session");
	}
	free(tok);
	sg_claims_clear(&c);
}

static void
check_response(const struct sg_req *req, const struct sg_verdict *vd)
{
	struct sg_resp	 resp;
	char		*s, *end, *line;
	size_t		 len = 0, i;

	sg_resp_init(&resp);
	sg_verify_respond(vd, req->authorizer, &resp);
	s = sg_resp_serialize(&resp, &len);
	FZ_ASSERT(s != NULL, "serialize");
	FZ_ASSERT(strncmp(s, "Status: ", 8) == 0, "no Status first");
	end = strstr(s, "\r\n\r\n");
	FZ_ASSERT(end != NULL, "no end of headers");
	if (vd->status == 200)
		FZ_ASSERT(strncmp(s, "Status: 200", 11) == 0 ||
		    strncmp(s, "Status: 500", 11) == 0,
		    "allow became %.12s", s);
	else
		FZ_ASSERT(strncmp(s, "Status: 200", 11) != 0,
		    "deny %d went out as 200", vd->status);
	for (line = s; line < end; line = strstr(line, "\r\n") + 2) {
		for (i = 0; line + i < end && line[i] != '\r'; i++)
			FZ_ASSERT(line[i] != '\n' && line[i] != '\0',
			    "bare LF or NUL in a header");
		if (req->authorizer && vd->status == 200 &&
		    strncmp(s, "Status: 200", 11) == 0 && line != s)
			FZ_ASSERT(strncmp(line, "Variable-SG_", 12) == 0,
			    "AUTHORIZER 200 carries %.40s", line);
	}
	if (req->authorizer && strncmp(s, "Status: 200", 11) == 0)
		FZ_ASSERT(strstr(s, "\r\nVariable-SG_CONTAINER_ID: ") != NULL,
		    "200 without SG_CONTAINER_ID");
	if (vd->status == 407)
		FZ_ASSERT(strstr(s, "\r\nProxy-Authenticate: Basic") != NULL,
		    "407 without challenge");
	if (vd->status == 401)
		FZ_ASSERT(strstr(s, "\r\nWWW-Authenticate: Bearer") != NULL,
		    "401 without challenge");
	free(s);
	sg_resp_clear(&resp);
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct fz_env		 e;
	struct sg_req		 req;
	struct sg_verdict	 vd;
	const char		*f;
	unsigned long		 bits = 0;
	char			*end;

	if (n > 3 * SG_VERIFY_MAX_AUTH)
		return 0;
	fz_env_parse(d, n, &e);
	if (sg_req_init(&req, e.env, (const char *)e.body, e.bodylen, NULL) !=
	    SG_OK) {
		sg_req_clear(&req);
		fz_env_free(&e);
		return 0;
	}
	if ((f = sg_req_param(&req, "FUZZ_CFG")) != NULL)
		bits = strtoul(f, &end, 10);
	app.cfg = base;
	app.cfg.redis_fail_open = (bits & 1) != 0;
	app.cfg.report_mode = (bits & 2) != 0;
	app.cfg.deny_private = (bits & 4) != 0;
	app.cfg.session_cache_ms = (bits & 8) ? 0 : 1000;
	app.cfg.accept_no_aud = (bits & 16) != 0;
	if (bits & 32)
		FZ_ASSERT(sg_ports_parse("8443", &app.cfg.egress_ports, NULL) ==
		    SG_OK, "ports");
	app.fixed_now = FZ_NOW + (time_t)((bits >> 8) & 0xff) * 60;
	sg_tcache_flush(app.cache);

	sg_verify_decide(&app, &req, &vd);
	if (verbose)
		fprintf(stderr, "verdict: %s %d %s %s [%s]\n", vd.mode,
		    vd.status, vd.decision, vd.reason, vd.target);
	FZ_ASSERT(vd.mode != NULL && vd.decision != NULL && vd.reason != NULL,
	    "incomplete verdict");
	FZ_ASSERT(vd.status == 200 || vd.status == 401 || vd.status == 403 ||
	    vd.status == 407 || vd.status == 500 || vd.status == 503,
	    "status %d", vd.status);
	if (strcmp(vd.mode, "egress") == 0)
		FZ_ASSERT(vd.status != 401, "401 in egress mode");
	else
		FZ_ASSERT(vd.status != 407, "407 in api mode");
	FZ_ASSERT((vd.status == 200) == (strcmp(vd.decision, "allow") == 0 ||
	    strcmp(vd.decision, "would_deny") == 0), "status %d decision %s",
	    vd.status, vd.decision);
	if (vd.status == 200) {
		if (strcmp(vd.mode, "egress") == 0)
			oracle_egress(&req, &vd);
		else
			oracle_api(&req, &vd);
	}
	check_response(&req, &vd);
	sg_req_clear(&req);
	fz_env_free(&e);
	return 0;
}
