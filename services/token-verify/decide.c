/* SPDX-License-Identifier: ISC */
/*
 * token-verify: the egress and API decisions (see verify.h for the
 * order of the checks).  Everything is driven from a struct sg_req, so
 * tests/unit/check_verify.c runs it without sockets.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "budget.h"
#include "cache.h"
#include "cfg.h"
#include "claims.h"
#include "compat.h"
#include "crypto.h"
#include "sgerr.h"
#include "hosts.h"
#include "request.h"
#include "keys.h"
#include "clock.h"
#include "log.h"
#include "metrics.h"
#include "policy.h"
#include "route.h"
#include "revoke.h"
#include "session.h"
#include "token.h"
#include "verify.h"
#include "verify-int.h"

/* ---- verdicts --------------------------------------------------------- */

static void
verdict(struct sg_verdict *vd, int status, const char *decision,
    const char *reason)
{
	vd->status = status;
	vd->decision = decision;
	vd->reason = reason;
}

static void
deny(struct sg_verdict *vd, int status, const char *reason)
{
	verdict(vd, status, "deny", reason);
}

/*
 * A failure of ours (out of memory, the crypto library failing: lib/jwt.c
 * "crypto_failed"): a 500, never a verdict on the client's credentials.
 */
static int
server_fault(enum sg_rc rc)
{
	return rc == SG_ENOMEM || rc == SG_EINTERNAL;
}

static void
set_str(char *dst, size_t size, const char *src)
{
	if (src == NULL || *src == '\0')
		src = SG_VERIFY_NONE;
	(void)strlcpy(dst, src, size);
}

static void
fill_claims(struct sg_verdict *vd, const struct sg_claims *c)
{
	set_str(vd->sub, sizeof(vd->sub), c->sub);
	set_str(vd->jti, sizeof(vd->jti), c->jti);
	if (c->kind == SG_KIND_CONTAINER) {
		vd->kind = "container";
		set_str(vd->container_id, sizeof(vd->container_id),
		    c->container_id);
		set_str(vd->scope, sizeof(vd->scope), NULL);
	} else {
		vd->kind = "operator";
		set_str(vd->container_id, sizeof(vd->container_id), NULL);
		set_str(vd->scope, sizeof(vd->scope), c->scope);
	}
}

/* Whether the time-dependent claims still hold (the rules of claims.h). */
static int
times_ok(const struct sg_claims *c, time_t now, int64_t leeway)
{
	int64_t	 t = (int64_t)now;

	if (!(t < c->exp + leeway))
		return 0;
	if (c->nbf != 0 && c->nbf > t + leeway)
		return 0;
	if (c->iat > t + leeway)
		return 0;
	return 1;
}

/*
 * The verified claims of tok: from the cache when the token is there and
 * its times still hold, else by a full verification whose result is
 * cached.  *out points at the cache entry's claims or at scratch; *ent is
 * the cache entry or NULL.
 */
static enum sg_rc
token_check(struct app *v, const char *tok, size_t len, time_t now,
    struct sg_claims *scratch, const struct sg_claims **out,
    struct sg_tcache_ent **ent, int *hit, struct sg_err *err)
{
	struct sg_verify_opts	 opts;
	struct sg_tcache_ent	*e;
	struct sg_err		 cerr;
	enum sg_rc		 rc;

	*ent = NULL;
	*hit = 0;
	if ((e = sg_tcache_get(v->cache, tok, len)) != NULL) {
		if (times_ok(&e->claims, now, v->cfg.leeway)) {
			*out = &e->claims;
			*ent = e;
			*hit = 1;
			sg_metrics_add(SG_M_TOKEN_CACHE, 1, "hit");
			(void)sg_token_compat_note(&e->claims, 0);
			return SG_OK;
		}
		/* expired (or clock went back): verify again to say why */
		sg_tcache_drop(v->cache, e);
	}
	memset(&opts, 0, sizeof(opts));
	opts.issuer = v->cfg.issuer;
	opts.accept_no_aud = v->cfg.accept_no_aud;
	opts.leeway = v->cfg.leeway;
	opts.max_ttl = v->cfg.token_max_ttl;
	opts.now = now;
	sg_metrics_add(SG_M_TOKEN_CACHE, 1, "miss");
	v->st.verifies++;
	if ((rc = sg_token_verify_kinds(v->keys, v->op_keys, tok, len, &opts,
	    scratch, NULL, err)) != SG_OK)
		return rc;
	*out = scratch;
	(void)sg_token_compat_note(scratch, 1);
	sg_err_clear(&cerr);
	/* A failed insert (ENOMEM) only costs the next request a verify. */
	if ((e = sg_tcache_put(v->cache, tok, len, scratch, &cerr)) != NULL) {
		*out = &e->claims;
		*ent = e;
	}
	return SG_OK;
}

/*
 * The session of a container token: present, same jti.  ip receives the
 * recorded container address ("" when unknown).  Returns 0 to go on, or
 * fills vd (deny_status for a missing or different session, 503 when
 * Redis cannot answer).  *unchecked is set when SANDGATE_REDIS_FAILURE=
 * open let a Redis failure through.
 */
/* The budget the cached session lookup saw. */
static void
cached_budget(const struct sg_tcache_ent *e, int64_t budget[2])
{
	budget[0] = e->sess_budget_requests;
	budget[1] = e->sess_budget_bytes;
}

static int
session_check(struct app *v, const struct sg_claims *c,
    struct sg_tcache_ent *e, int deny_status, char ip[64], int *unchecked,
    int64_t budget[2], struct sg_policy **pol, struct sg_verdict *vd)
{
	struct sg_session	 s;
	struct sg_err		 err;
	int64_t			 now = mono_us(v);
	int			 ret = 0;
	enum sg_rc		 rc;

	ip[0] = '\0';
	*unchecked = 0;
	budget[0] = budget[1] = 0;
	*pol = NULL;
	if (e != NULL && e->sess_valid && v->cfg.session_cache_ms > 0 &&
	    now - e->sess_at_us >= 0 &&
	    now - e->sess_at_us < v->cfg.session_cache_ms * 1000) {
		/* the overlay is as old as the lookup: SESSION_CACHE_MS */
		(void)strlcpy(ip, e->sess_ip, 64);
		cached_budget(e, budget);
		*pol = e->sess_policy;
		return 0;
	}
	sg_session_init(&s);
	sg_err_clear(&err);
	v->st.session_lookups++;
	rc = sg_session_get(v->redis, c->container_id, &s, &err);
	switch (rc) {
	case SG_OK:
		if (s.expires_at <= (int64_t)wall_now(v)) {
			/* Redis has not expired it yet; it is dead anyway */
			if (e != NULL)
				e->sess_valid = 0;
			deny(vd, deny_status, "session_revoked");
			ret = -1;
			break;
		}
		if (!sg_streq(s.jti, c->jti)) {
			/* a newer token for this id, or a forged session */
			if (e != NULL)
				e->sess_valid = 0;
			deny(vd, deny_status, "session_mismatch");
			ret = -1;
			break;
		}
		(void)strlcpy(ip, s.container_ip, 64);
		budget[0] = s.budget_requests;
		budget[1] = s.budget_bytes;
		if (e != NULL) {
			e->sess_valid = 1;
			e->sess_at_us = now;
			e->sess_budget_requests = s.budget_requests;
			e->sess_budget_bytes = s.budget_bytes;
			(void)strlcpy(e->sess_ip, s.container_ip,
			    sizeof(e->sess_ip));
			sg_policy_free(e->sess_policy);
			e->sess_policy = s.policy;
			*pol = s.policy;
		} else {
			/* no cache entry: the caller frees it */
			*pol = s.policy;
			v->own_policy = s.policy;
		}
		s.policy = NULL;
		break;
	case SG_ENOENT:
		/* destroyed, expired or never created: the token is dead */
		if (e != NULL)
			e->sess_valid = 0;
		deny(vd, deny_status, "session_revoked");
		ret = -1;
		break;
	case SG_EINVAL:
	case SG_EUPSTREAM:
		/*
		 * A session that is there but does not parse (session.h:
		 * SG_EUPSTREAM "bad_session") cannot vouch for the token;
		 * other upstream errors are Redis failing, below.
		 */
		if (rc == SG_EINVAL || (err.code != NULL &&
		    strcmp(err.code, "bad_session") == 0)) {
			if (e != NULL)
				e->sess_valid = 0;
			deny(vd, deny_status, "bad_session");
			ret = -1;
			break;
		}
		/* FALLTHROUGH */
	default:
		if (server_fault(rc)) {
			/*
			 * Our own failure (e.g. out of memory parsing the
			 * session), not Redis's: fail-open does not cover it.
			 */
			verdict(vd, 500, "error", err.code != NULL ? err.code :
			    "internal_error");
			ret = -1;
			break;
		}
		if (!v->cfg.redis_fail_open) {
			verdict(vd, 503, "error", "session_store_unavailable");
			ret = -1;
			break;
		}
		/*
		 * Fail open (SANDGATE_REDIS_FAILURE=open) relaxes the session
		 * lookup only; the address binding still needs an address,
		 * which a stale lookup may still provide.
		 */
		*unchecked = 1;
		if (e != NULL && e->sess_valid) {
			(void)strlcpy(ip, e->sess_ip, 64);
			cached_budget(e, budget);
			*pol = e->sess_policy;
		}
		break;
	}
	sg_session_clear(&s);
	return ret;
}

/*
 * A sandbox with a budget (docs/contract.md §7): count this allowed
 * request, or refuse it with 429 once a counter reached its limit.
 * Returns 0 to go on, or fills vd.  Redis failing is the session
 * lookup's rule: 503, or through under SANDGATE_REDIS_FAILURE=open.
 */
static int
budget_check(struct app *v, const char *id, const int64_t budget[2],
    struct sg_verdict *vd)
{
	enum sg_budget_verdict	 bv;
	struct sg_budget_use	 use;
	struct sg_err		 err;
	enum sg_rc		 rc;

	if (budget[0] <= 0 && budget[1] <= 0)
		return 0;
	sg_err_clear(&err);
	rc = sg_budget_take(v->redis, id, budget[0], budget[1], &bv, &use,
	    &err);
	if (rc == SG_ENOENT) {
		deny(vd, 407, "session_revoked");
		return -1;
	}
	if (rc != SG_OK) {
		if (server_fault(rc)) {
			verdict(vd, 500, "error", "internal_error");
			return -1;
		}
		if (v->cfg.redis_fail_open)
			return 0;
		verdict(vd, 503, "error", "session_store_unavailable");
		return -1;
	}
	if (bv == SG_BUDGET_OK)
		return 0;
	vd->budget = bv == SG_BUDGET_BYTES ? "bytes" : "requests";
	deny(vd, 429, "budget_exhausted");
	sg_metrics_add(SG_M_BUDGET_EXHAUSTED, 1, vd->budget);
	return -1;
}

/*
 * An operator token on the revocation list (lib/revoke.h, `sandgate token
 * revoke`) is refused with 401 "token_revoked".  A "not revoked" answer
 * is reused for SANDGATE_SESSION_CACHE_MS, the bound sessions have too
 * (an operator token has no session: the cache entry's session fields
 * hold this answer instead).  Redis failing is a 503 unless
 * SANDGATE_REDIS_FAILURE=open, which lets it through as *unchecked.
 */
static int
revoked_check(struct app *v, const struct sg_claims *c,
    struct sg_tcache_ent *e, int *unchecked, struct sg_verdict *vd)
{
	struct sg_err	 err;
	int64_t		 now = mono_us(v);
	int		 revoked = 0;
	enum sg_rc	 rc;

	*unchecked = 0;
	if (e != NULL && e->sess_valid && v->cfg.session_cache_ms > 0 &&
	    now - e->sess_at_us >= 0 &&
	    now - e->sess_at_us < v->cfg.session_cache_ms * 1000)
		return 0;
	sg_err_clear(&err);
	rc = sg_revoke_check(v->redis, c->jti, &revoked, &err);
	if (rc == SG_OK && revoked) {
		if (e != NULL)
			e->sess_valid = 0;
		deny(vd, 401, "token_revoked");
		return -1;
	}
	if (rc == SG_OK) {
		if (e != NULL) {
			e->sess_valid = 1;
			e->sess_at_us = now;
			e->sess_ip[0] = '\0';
		}
		return 0;
	}
	if (rc == SG_EINVAL) {
		/* a jti that cannot be a key was never issued by us */
		deny(vd, 401, "bad_jti");
		return -1;
	}
	if (server_fault(rc)) {
		verdict(vd, 500, "error", err.code != NULL ? err.code :
		    "internal_error");
		return -1;
	}
	if (!v->cfg.redis_fail_open) {
		/* the code the API services answer a Redis outage with */
		verdict(vd, 503, "error", "redis_unavailable");
		return -1;
	}
	*unchecked = 1;
	return 0;
}

/*
 * How long the web server may reuse this allow for the same request
 * (mod_sandgate_authz's decision cache, docs/performance.md option (h)),
 * in ms: what is left of the bound the session lookup behind it has
 * (SANDGATE_SESSION_CACHE_MS from the lookup, so a revocation, a
 * replaced token or a narrowed policy is seen as soon as it would be
 * here), never past the token's expiry or a policy's or grant's end,
 * less a millisecond for the answer's way to the web server.  None for
 * a sandbox with a budget (each request is counted here) or without a
 * cache entry (no bound to give).
 */
static int64_t
reuse_ms(struct app *v, const struct sg_claims *c,
    const struct sg_tcache_ent *e, const struct sg_policy *pol,
    const int64_t budget[2])
{
	int64_t		 left, wall = (int64_t)wall_now(v), end;
	size_t		 i;

	if (e == NULL || !e->sess_valid || v->cfg.session_cache_ms <= 0 ||
	    budget[0] > 0 || budget[1] > 0)
		return 0;
	left = e->sess_at_us + v->cfg.session_cache_ms * 1000 - mono_us(v);
	end = c->exp + v->cfg.leeway;
	if (pol != NULL && pol->expires_at > 0 && pol->expires_at < end)
		end = pol->expires_at;
	for (i = 0; pol != NULL && i < pol->ngrants; i++)
		if (pol->grants[i].expires_at > wall &&
		    pol->grants[i].expires_at < end)
			end = pol->grants[i].expires_at;
	if ((end - wall) * 1000000 < left)
		left = (end - wall) * 1000000;
	left -= 1000;
	return left > 0 ? left / 1000 : 0;
}

/*
 * Private, and local to this host: an allowed name pointing at the proxy
 * host's own public address would reach its services (lib/localaddr.h).
 * The list is re-read every SG_LOCALADDR_TTL_US; without one, fail
 * closed.  0, or -1 with vd filled.
 */
static int
outside_check(struct app *v, const struct sg_target *t,
    struct sg_verdict *vd)
{
	struct sg_err	 err;

	sg_err_clear(&err);
	if (sg_localaddrs_refresh(&v->local, mono_us(v), &err) != SG_OK) {
		verdict(vd, 503, "error", err.code != NULL ? err.code :
		    "local_addresses_unavailable");
		return -1;
	}
	sg_err_clear(&err);
	if (sg_target_check_outside(t, &v->local, &err) != SG_OK) {
		deny(vd, 403, err.code != NULL ? err.code : "private_target");
		return -1;
	}
	return 0;
}

static void
format_target(const struct sg_target *t, char *buf, size_t size)
{
	if (t->kind == SG_HOST_IPV6)
		(void)snprintf(buf, size, "[%s]:%u", t->host,
		    (unsigned)t->port);
	else
		(void)snprintf(buf, size, "%s:%u", t->host, (unsigned)t->port);
}

static void
decide_egress(struct app *v, const struct sg_req *req,
    struct sg_verdict *vd)
{
	char			 buf[SG_VERIFY_MAX_AUTH + 8];
	char			 cid[SG_ID_MAX + 1], ip[64];
	struct sg_target	 t;
	struct sg_claims	 scratch;
	const struct sg_claims	*c = NULL;
	struct sg_tcache_ent	*e = NULL;
	struct sg_err		 err, terr;
	const char		*tok = NULL, *remote, *why;
	struct sg_policy	*pol = NULL;
	size_t			 toklen = 0;
	enum sg_rc		 trc;
	int64_t			 budget[2];
	int			 unchecked = 0;

	sg_claims_init(&scratch);
	vd->mode = "egress";
	/* The target comes from REQUEST_URI only (never Host, SERVER_PORT). */
	sg_err_clear(&terr);
	memset(&t, 0, sizeof(t));
	trc = sg_target_parse(req->method, req->raw_uri, &t, &terr);
	if (trc == SG_OK)
		format_target(&t, vd->target, sizeof(vd->target));

	sg_err_clear(&err);
	if (sg_verify_egress_creds(req, buf, sizeof(buf), cid, &tok, &toklen,
	    &err) != SG_OK) {
		deny(vd, 407, err.code != NULL ? err.code : "bad_credentials");
		goto out;
	}
	/* Not vd->container_id: the name is the victim's until the token says. */
	set_str(vd->claimed_container_id, sizeof(vd->claimed_container_id),
	    cid);
	if (token_check(v, tok, toklen, wall_now(v), &scratch, &c, &e,
	    &vd->cache_hit, &err) != SG_OK) {
		deny(vd, server_fault(err.rc) ? 500 : 407,
		    err.code != NULL ? err.code : "invalid_token");
		goto out;
	}
	fill_claims(vd, c);
	if (c->kind != SG_KIND_CONTAINER) {
		/* an operator token is never an egress credential */
		deny(vd, 407, "wrong_token_kind");
		goto out;
	}
	if (!sg_streq(cid, c->container_id)) {
		deny(vd, 407, "container_mismatch");
		goto out;
	}
	if (session_check(v, c, e, 407, ip, &unchecked, budget, &pol,
	    vd) != 0)
		goto out;
	if (c->binding) {
		remote = sg_req_param(req, "REMOTE_ADDR");
		if (unchecked && ip[0] == '\0') {
			/* Redis down, fail-open, and no address known */
			verdict(vd, 503, "error", "session_store_unavailable");
			goto out;
		}
		if (!sg_verify_addr_eq(remote, ip)) {
			/* the credentials are not valid for this client */
			deny(vd, 407, "binding_mismatch");
			goto out;
		}
	}
	if (trc != SG_OK) {
		deny(vd, 403, "bad_target");
		goto out;
	}
	if (!sg_hosts_match(&c->hosts, &t, &v->cfg.egress_ports)) {
		if (!v->cfg.report_mode) {
			deny(vd, 403, "host_not_allowed");
			goto out;
		}
		/* report mode: let it through, log what enforce would do */
		verdict(vd, 200, "would_deny", "host_not_allowed");
	}
	/* The overlay narrows what the token allows (lib/policy.h). */
	if (vd->decision == NULL && (why = sg_policy_decide(pol, req->method,
	    req->raw_uri, &t, &v->cfg.egress_ports,
	    (int64_t)wall_now(v))) != NULL) {
		if (!v->cfg.report_mode) {
			deny(vd, 403, why);
			goto out;
		}
		verdict(vd, 200, "would_deny", why);
	}
	if (v->cfg.deny_private && outside_check(v, &t, vd) != 0)
		goto out;
	/* Last: only a request that would pass is counted. */
	if (budget_check(v, c->container_id, budget, vd) != 0)
		goto out;
	if (vd->decision == NULL) {
		verdict(vd, 200, "allow", unchecked ? "session_unchecked" :
		    "ok");
		if (!unchecked)
			vd->reuse_ms = reuse_ms(v, c, e, pol, budget);
	}
out:
	sg_cleanse(buf, sizeof(buf));
	sg_claims_clear(&scratch);
}

/* How many times a parameter appears in the environment. */
static size_t
env_count(const struct sg_req *req, const char *name)
{
	char	**p;
	size_t	 n = 0, l = strlen(name);

	for (p = req->env; p != NULL && *p != NULL; p++)
		if (strncmp(*p, name, l) == 0 && (*p)[l] == '=')
			n++;
	return n;
}

/* Whether the query string carries a token too (RFC 6750 2.3). */
static int
query_has_token(const char *q)
{
	const char	*p = q;

	if (q == NULL)
		return 0;
	while ((p = strstr(p, "access_token")) != NULL) {
		if ((p == q || p[-1] == '&') && (p[12] == '=' ||
		    p[12] == '&' || p[12] == '\0'))
			return 1;
		p += 12;
	}
	return 0;
}

static void
decide_api(struct app *v, const struct sg_req *req,
    struct sg_verdict *vd)
{
	char			 id[SG_ID_MAX + 1], ip[64];
	int64_t			 budget[2];
	struct sg_claims	 scratch;
	const struct sg_claims	*c = NULL;
	struct sg_tcache_ent	*e = NULL;
	struct sg_err		 err;
	const char		*auth, *tok = NULL, *xcid, *q;
	size_t			 toklen = 0;
	enum sg_route		 route;
	struct sg_policy	*pol = NULL;
	unsigned		 need = 0;
	int			 unchecked = 0;

	sg_claims_init(&scratch);
	vd->mode = "api";
	(void)snprintf(vd->target, sizeof(vd->target), "%.16s %.200s",
	    req->method != NULL ? req->method : "-",
	    req->path != NULL ? req->path : "-");
	route = sg_verify_route(req->method, req->path, &need, id);
	vd->need_scope = need;
	if (route == SG_ROUTE_PUBLIC) {
		/* the JWKS is public: no token needed, none looked at */
		vd->kind = "anonymous";
		set_str(vd->sub, sizeof(vd->sub), NULL);
		set_str(vd->scope, sizeof(vd->scope), NULL);
		set_str(vd->container_id, sizeof(vd->container_id), NULL);
		verdict(vd, 200, "allow", "public_route");
		goto out;
	}
	sg_err_clear(&err);
	auth = sg_req_param(req, "HTTP_AUTHORIZATION");
	if (auth == NULL || *auth == '\0') {
		deny(vd, 401, "missing_token");
		goto out;
	}
	/* A token offered twice is refused (docs/security.md E14). */
	/*
	 * The query of REQUEST_URI too: an nginx auth subrequest has its
	 * own (empty) QUERY_STRING and only REQUEST_URI is the client's.
	 */
	q = strchr(req->raw_uri, '?');
	if (sg_req_param(req, "HTTP_PROXY_AUTHORIZATION") != NULL ||
	    query_has_token(req->query) ||
	    (q != NULL && query_has_token(q + 1))) {
		deny(vd, 401, "ambiguous_credentials");
		goto out;
	}
	if (sg_verify_parse_bearer(auth, &tok, &toklen, &err) != SG_OK) {
		deny(vd, 401, err.code != NULL ? err.code :
		    "bad_authorization");
		goto out;
	}
	if (token_check(v, tok, toklen, wall_now(v), &scratch, &c, &e,
	    &vd->cache_hit, &err) != SG_OK) {
		deny(vd, server_fault(err.rc) ? 500 : 401,
		    err.code != NULL ? err.code : "invalid_token");
		goto out;
	}
	fill_claims(vd, c);
	if (req->path == NULL) {
		deny(vd, 403, "bad_path");
		goto out;
	}
	if (c->kind == SG_KIND_OPERATOR) {
		if (route == SG_ROUTE_UNKNOWN) {
			deny(vd, 403, "unknown_route");
			goto out;
		}
		if ((c->scopes & need) == 0) {
			deny(vd, 403, "insufficient_scope");
			goto out;
		}
		if (revoked_check(v, c, e, &unchecked, vd) != 0)
			goto out;
		verdict(vd, 200, "allow", unchecked ? "revocation_unchecked" :
		    "ok");
		goto out;
	}
	/* A container token reads its own session, nothing else. */
	if (route != SG_ROUTE_SESSION_GET || !sg_streq(id, c->container_id)) {
		deny(vd, 403, "not_permitted");
		goto out;
	}
	/*
	 * X-Container-ID is attribution, not proof (docs/contract.md §4):
	 * exact, one value (nginx joins duplicates into "a, b"), and required
	 * when the token asks for binding (docs/security.md X1-X4, C3/C4).
	 */
	xcid = sg_req_param(req, "HTTP_X_CONTAINER_ID");
	if (env_count(req, "HTTP_X_CONTAINER_ID") > 1) {
		/* given twice (sg_req_param hides a conflict as absent) */
		deny(vd, 403, "bad_container_header");
		goto out;
	}
	if (xcid != NULL) {
		if (!sg_id_valid(xcid)) {
			deny(vd, 403, "bad_container_header");
			goto out;
		}
		if (!sg_streq(xcid, c->container_id)) {
			deny(vd, 403, "container_header_mismatch");
			goto out;
		}
	} else if (c->binding) {
		deny(vd, 403, "container_header_missing");
		goto out;
	}
	/* A destroyed sandbox's token is dead here too. */
	if (session_check(v, c, e, 401, ip, &unchecked, budget, &pol,
	    vd) != 0)
		goto out;
	verdict(vd, 200, "allow", unchecked ? "session_unchecked" : "ok");
out:
	sg_claims_clear(&scratch);
}

static int
is_proxy_request(const struct sg_req *req)
{
	if (req->method != NULL && strcmp(req->method, "CONNECT") == 0)
		return 1;
	/* as sg_req_init: an empty REQUEST_URI falls back to SCRIPT_NAME */
	return req->raw_uri != NULL && req->raw_uri[0] != '\0' &&
	    req->raw_uri[0] != '/';
}

void
sg_verify_decide(struct app *v, const struct sg_req *req,
    struct sg_verdict *vd)
{
	memset(vd, 0, sizeof(*vd));
	v->own_policy = NULL;
	if (is_proxy_request(req))
		decide_egress(v, req, vd);
	else
		decide_api(v, req, vd);
	sg_policy_free(v->own_policy);
	v->own_policy = NULL;
	if (vd->status == 0 || vd->decision == NULL) {
		/* every path above sets a verdict; never answer without one */
		deny(vd, 500, "internal_error");
	}
}

enum sg_route
sg_verify_route(const char *method, const char *path, unsigned *scope,
    char id[SG_ID_MAX + 1])
{
	return sg_route_match(method, path, scope, id);
}
