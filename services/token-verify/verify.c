/*
 * token-verify's decisions: see verify.h for the contract.  Everything
 * here is driven from a struct sg_req, so tests/unit/check_verify.c runs
 * it without sockets.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "b64url.h"
#include "cache.h"
#include "cfg.h"
#include "claims.h"
#include "compat.h"
#include "crypto.h"
#include "sgerr.h"
#include "hosts.h"
#include "http.h"
#include "json.h"
#include "keys.h"
#include "clock.h"
#include "log.h"
#include "metrics.h"
#include "session.h"
#include "token.h"
#include "verify.h"

#define CHALLENGE_PROXY		"Basic realm=\"sandgate\""
#define CHALLENGE_BEARER	"Bearer error=\"invalid_token\""

#define PREFIX_USER		"container_"
#define PREFIX_PASS		"jwt_"

static time_t
wall_now(const struct sg_verify *v)
{
	return v->fixed_now != 0 ? v->fixed_now : time(NULL);
}

static int64_t
mono_us(const struct sg_verify *v)
{
	return v->fixed_mono_us != 0 ? v->fixed_mono_us : sg_now_us();
}

/* ---- key files ---------------------------------------------------- */

static enum sg_rc
keyfiles_parse(struct sg_verify *v, struct sg_err *err)
{
	const char	*p = v->cfg.verify_keys, *comma;
	size_t		 len;

	v->nfiles = 0;
	while (*p != '\0') {
		comma = strchr(p, ',');
		len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (len == 0 || len >= PATH_MAX)
			return sg_err_set(err, SG_EINVAL, "bad_config",
			    "SANDGATE_VERIFY_KEYS: bad path list");
		if (v->nfiles == SG_VERIFY_KEYFILES)
			return sg_err_set(err, SG_EINVAL, "bad_config",
			    "SANDGATE_VERIFY_KEYS: more than %d files",
			    SG_VERIFY_KEYFILES);
		memcpy(v->files[v->nfiles].path, p, len);
		v->files[v->nfiles].path[len] = '\0';
		v->nfiles++;
		if (comma == NULL)
			break;
		p = comma + 1;
		if (*p == '\0')
			return sg_err_set(err, SG_EINVAL, "bad_config",
			    "SANDGATE_VERIFY_KEYS: bad path list");
	}
	if (v->nfiles == 0)
		return sg_err_set(err, SG_EINVAL, "bad_config",
		    "SANDGATE_VERIFY_KEYS: not set");
	return SG_OK;
}

static void
keyfile_stat(struct sg_verify_keyfile *f)
{
	struct stat	 sb;

	if (stat(f->path, &sb) == -1) {
		f->ok = 0;
		f->dev = 0;
		f->ino = 0;
		f->size = 0;
		memset(&f->mtime, 0, sizeof(f->mtime));
		memset(&f->ctime, 0, sizeof(f->ctime));
		return;
	}
	f->ok = 1;
	f->dev = sb.st_dev;
	f->ino = sb.st_ino;
	f->size = sb.st_size;
	f->mtime = sb.st_mtim;
	f->ctime = sb.st_ctim;
}

static int
keyfile_same(const struct sg_verify_keyfile *a,
    const struct sg_verify_keyfile *b)
{
	return a->ok == b->ok && a->dev == b->dev && a->ino == b->ino &&
	    a->size == b->size &&
	    a->mtime.tv_sec == b->mtime.tv_sec &&
	    a->mtime.tv_nsec == b->mtime.tv_nsec &&
	    a->ctime.tv_sec == b->ctime.tv_sec &&
	    a->ctime.tv_nsec == b->ctime.tv_nsec;
}

int
sg_verify_reload(struct sg_verify *v, int force, struct sg_err *err)
{
	struct sg_verify_keyfile nf[SG_VERIFY_KEYFILES];
	struct sg_keyset	*ks = NULL;
	int64_t			 now = mono_us(v);
	size_t			 i;
	int			 changed = 0;

	if (!force && v->last_stat_us != 0 && now >= v->last_stat_us &&
	    now - v->last_stat_us < SG_VERIFY_STAT_US)
		return 0;
	v->last_stat_us = now;
	for (i = 0; i < v->nfiles; i++) {
		nf[i] = v->files[i];
		keyfile_stat(&nf[i]);
		if (!keyfile_same(&nf[i], &v->files[i]))
			changed = 1;
	}
	if (!force && !changed)
		return 0;
	/*
	 * Remember what was seen even if the load fails, so a broken file
	 * is tried again when it changes, not every second.  A writer that
	 * is half done changes the file again when it finishes.
	 */
	for (i = 0; i < v->nfiles; i++)
		v->files[i] = nf[i];
	if (sg_keyset_load(v->cfg.verify_keys, &ks, err) != SG_OK ||
	    ks == NULL || sg_keyset_count(ks) == 0) {
		sg_keyset_free(ks);
		v->st.reload_failures++;
		sg_err_set(err, SG_EINVAL, "bad_keys", "no usable key");
		return -1;
	}
	/* Build first, swap on success: requests never see no keys. */
	sg_keyset_free(v->keys);
	v->keys = ks;
	/* Tokens verified under a removed kid must not live on. */
	sg_tcache_flush(v->cache);
	v->st.reloads++;
	return 1;
}

/* ---- setup ------------------------------------------------------------ */

enum sg_rc
sg_verify_init(struct sg_verify *v, const struct sg_cfg *cfg,
    struct sg_err *err)
{
	enum sg_rc	 rc;
	size_t		 i;

	memset(v, 0, sizeof(*v));
	v->cfg = *cfg;
	if ((rc = keyfiles_parse(v, err)) != SG_OK)
		goto out;
	for (i = 0; i < v->nfiles; i++)
		keyfile_stat(&v->files[i]);
	if ((rc = sg_keyset_load(v->cfg.verify_keys, &v->keys, err)) !=
	    SG_OK) {
		rc = SG_EINVAL;
		goto out;
	}
	if (v->keys == NULL || sg_keyset_count(v->keys) == 0) {
		rc = sg_err_set(err, SG_EINVAL, "bad_config",
		    "SANDGATE_VERIFY_KEYS: no key");
		goto out;
	}
	if ((rc = sg_redis_new(v->cfg.redis, v->cfg.redis_timeout_ms,
	    &v->redis, err)) != SG_OK)
		goto out;
	if ((v->cache = sg_tcache_new(SG_TCACHE_DEFAULT)) == NULL) {
		rc = sg_err_set(err, SG_ENOMEM, "out_of_memory",
		    "token cache");
		goto out;
	}
	v->last_stat_us = mono_us(v);
	rc = SG_OK;
out:
	if (rc != SG_OK)
		sg_verify_clear(v);
	return rc;
}

void
sg_verify_clear(struct sg_verify *v)
{
	sg_tcache_free(v->cache);
	v->cache = NULL;
	sg_keyset_free(v->keys);
	v->keys = NULL;
	sg_redis_free(v->redis);
	v->redis = NULL;
}

/* ---- parsing ---------------------------------------------------------- */

static int
is_token_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

enum sg_rc
sg_verify_parse_bearer(const char *hdr, const char **tok, size_t *toklen,
    struct sg_err *err)
{
	size_t	 n, i;

	if (hdr == NULL || *hdr == '\0')
		return sg_err_set(err, SG_EAUTH, "missing_token",
		    "no bearer token");
	n = strlen(hdr);
	if (n > SG_VERIFY_MAX_AUTH)
		return sg_err_set(err, SG_EAUTH, "bad_authorization",
		    "authorization too long");
	/* RFC 6750 2.1: the scheme is case-insensitive; one SP follows. */
	if (n < 8 || strncasecmp(hdr, "Bearer", 6) != 0 || hdr[6] != ' ')
		return sg_err_set(err, SG_EAUTH, "bad_authorization",
		    "not a bearer credential");
	hdr += 7;
	n -= 7;
	/*
	 * One JWS compact token and nothing else: a second token, a comma
	 * (nginx joins duplicate headers with ", "), whitespace or padding
	 * all fall outside [A-Za-z0-9_.-] (notes/security.md E13/E14).
	 */
	for (i = 0; i < n; i++)
		if (!is_token_char((unsigned char)hdr[i]))
			return sg_err_set(err, SG_EAUTH, "bad_authorization",
			    "malformed bearer credential");
	*tok = hdr;
	*toklen = n;
	return SG_OK;
}

/* "container_<id>" and "jwt_<token>" out of user and password. */
static enum sg_rc
split_userpass(const char *user, size_t ulen, const char *pass, size_t plen,
    char cid[SG_ID_MAX + 1], const char **tok, size_t *toklen,
    struct sg_err *err)
{
	size_t	 plu = sizeof(PREFIX_USER) - 1, plp = sizeof(PREFIX_PASS) - 1;
	size_t	 idlen;

	if (ulen <= plu || memcmp(user, PREFIX_USER, plu) != 0)
		return sg_err_set(err, SG_EAUTH, "bad_credentials",
		    "user is not container_<id>");
	idlen = ulen - plu;
	if (idlen > SG_ID_MAX)
		return sg_err_set(err, SG_EAUTH, "bad_credentials",
		    "container id too long");
	memcpy(cid, user + plu, idlen);
	cid[idlen] = '\0';
	if (strlen(cid) != idlen || !sg_id_valid(cid))
		return sg_err_set(err, SG_EAUTH, "bad_credentials",
		    "bad container id");
	if (plen <= plp || memcmp(pass, PREFIX_PASS, plp) != 0)
		return sg_err_set(err, SG_EAUTH, "bad_credentials",
		    "password is not jwt_<token>");
	if (memchr(pass, '\0', plen) != NULL)
		return sg_err_set(err, SG_EAUTH, "bad_credentials",
		    "NUL in password");
	*tok = pass + plp;
	*toklen = plen - plp;
	return SG_OK;
}

enum sg_rc
sg_verify_parse_basic(const char *hdr, char *buf, size_t size,
    char cid[SG_ID_MAX + 1], const char **tok, size_t *toklen,
    struct sg_err *err)
{
	const char	*colon;
	size_t		 n, outlen = 0;

	if (hdr == NULL || *hdr == '\0')
		return sg_err_set(err, SG_EAUTH, "missing_credentials",
		    "no proxy credentials");
	n = strlen(hdr);
	if (n > SG_VERIFY_MAX_AUTH)
		return sg_err_set(err, SG_EAUTH, "bad_credentials",
		    "credentials too long");
	/* RFC 7617 2, RFC 9110 11.1: case-insensitive scheme, one SP. */
	if (n < 7 || strncasecmp(hdr, "Basic", 5) != 0 || hdr[5] != ' ')
		return sg_err_set(err, SG_EAUTH, "bad_credentials",
		    "not a Basic credential");
	hdr += 6;
	n -= 6;
	if (SG_B64URL_DECLEN(n) + 1 > size)
		return sg_err_set(err, SG_EAUTH, "bad_credentials",
		    "credentials too long");
	/* Strict: padding required, canonical bits, no whitespace. */
	if (sg_b64_decode(hdr, n, (uint8_t *)buf, size - 1, &outlen, NULL) !=
	    SG_OK)
		return sg_err_set(err, SG_EAUTH, "bad_credentials",
		    "bad base64 in credentials");
	buf[outlen] = '\0';
	if ((colon = memchr(buf, ':', outlen)) == NULL)
		return sg_err_set(err, SG_EAUTH, "bad_credentials",
		    "no ':' in credentials");
	return split_userpass(buf, (size_t)(colon - buf), colon + 1,
	    outlen - (size_t)(colon + 1 - buf), cid, tok, toklen, err);
}

int
sg_verify_addr_eq(const char *a, const char *b)
{
	uint8_t		 x[16], y[16];
	int		 fx, fy;
	static const uint8_t mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};
	const char	*s[2] = { a, b };
	uint8_t		*o[2] = { x, y };
	int		*f[2] = { &fx, &fy };
	int		 i;

	if (a == NULL || b == NULL || *a == '\0' || *b == '\0')
		return 0;
	for (i = 0; i < 2; i++) {
		if (inet_pton(AF_INET, s[i], o[i]) == 1) {
			*f[i] = AF_INET;
			continue;
		}
		if (inet_pton(AF_INET6, s[i], o[i]) != 1)
			return 0;
		/* ::ffff:a.b.c.d is the IPv4 address a.b.c.d */
		if (memcmp(o[i], mapped, sizeof(mapped)) == 0) {
			memmove(o[i], o[i] + 12, 4);
			*f[i] = AF_INET;
		} else
			*f[i] = AF_INET6;
	}
	if (fx != fy)
		return 0;
	return memcmp(x, y, fx == AF_INET ? 4 : 16) == 0;
}

/* The id after prefix when path is exactly prefix + a valid id. */
static int
path_id(const char *path, const char *prefix, char id[SG_ID_MAX + 1])
{
	size_t	 pl = strlen(prefix), n;

	if (strncmp(path, prefix, pl) != 0)
		return 0;
	path += pl;
	n = strlen(path);
	if (n == 0 || n > SG_ID_MAX)
		return 0;
	memcpy(id, path, n + 1);
	return sg_id_valid(id);
}

/* The id of "/v1/sessions/{id}/decisions" (the audit trail). */
static int
decisions_id(const char *path, char id[SG_ID_MAX + 1])
{
	static const char	 pre[] = "/v1/sessions/", suf[] = "/decisions";
	size_t			 n, pl = sizeof(pre) - 1, sl = sizeof(suf) - 1;

	n = strlen(path);
	if (n <= pl + sl || n - pl - sl > SG_ID_MAX ||
	    strncmp(path, pre, pl) != 0 || strcmp(path + n - sl, suf) != 0)
		return 0;
	memcpy(id, path + pl, n - pl - sl);
	id[n - pl - sl] = '\0';
	return sg_id_valid(id);
}

enum sg_route
sg_verify_route(const char *method, const char *path, unsigned *scope,
    char id[SG_ID_MAX + 1])
{
	*scope = 0;
	id[0] = '\0';
	if (method == NULL || path == NULL)
		return SG_ROUTE_UNKNOWN;
	/* HEAD is GET without the body (RFC 9110 9.3.2): the same rights */
	if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) {
		if (strcmp(path, "/.well-known/jwks.json") == 0)
			return SG_ROUTE_PUBLIC;
		if (strcmp(path, "/metrics") == 0) {
			*scope = SG_SCOPE_METRICS_READ;
			return SG_ROUTE_METRICS;
		}
		if (strcmp(path, "/v1/sessions") == 0) {
			*scope = SG_SCOPE_SESSIONS_READ;
			return SG_ROUTE_SESSION_LIST;
		}
		if (path_id(path, "/v1/sessions/", id)) {
			*scope = SG_SCOPE_SESSIONS_READ;
			return SG_ROUTE_SESSION_GET;
		}
		if (decisions_id(path, id)) {
			*scope = SG_SCOPE_SESSIONS_READ;
			return SG_ROUTE_SESSION_DECISIONS;
		}
	} else if (strcmp(method, "POST") == 0) {
		if (strcmp(path, "/v1/tokens") == 0) {
			*scope = SG_SCOPE_TOKENS_ISSUE;
			return SG_ROUTE_TOKENS_ISSUE;
		}
		if (strcmp(path, "/v1/sandboxes") == 0) {
			*scope = SG_SCOPE_SANDBOXES_CREATE;
			return SG_ROUTE_SANDBOX_CREATE;
		}
	} else if (strcmp(method, "DELETE") == 0) {
		if (path_id(path, "/v1/sandboxes/", id)) {
			*scope = SG_SCOPE_SANDBOXES_DESTROY;
			return SG_ROUTE_SANDBOX_DESTROY;
		}
	}
	id[0] = '\0';
	return SG_ROUTE_UNKNOWN;
}

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
token_check(struct sg_verify *v, const char *tok, size_t len, time_t now,
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
	if ((rc = sg_token_verify(v->keys, tok, len, &opts, scratch, err)) !=
	    SG_OK)
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
static int
session_check(struct sg_verify *v, const struct sg_claims *c,
    struct sg_tcache_ent *e, int deny_status, char ip[64], int *unchecked,
    struct sg_verdict *vd)
{
	struct sg_session	 s;
	struct sg_err		 err;
	int64_t			 now = mono_us(v);
	int			 ret = 0;
	enum sg_rc		 rc;

	ip[0] = '\0';
	*unchecked = 0;
	if (e != NULL && e->sess_valid && v->cfg.session_cache_ms > 0 &&
	    now - e->sess_at_us >= 0 &&
	    now - e->sess_at_us < v->cfg.session_cache_ms * 1000) {
		(void)strlcpy(ip, e->sess_ip, 64);
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
		if (e != NULL) {
			e->sess_valid = 1;
			e->sess_at_us = now;
			(void)strlcpy(e->sess_ip, s.container_ip,
			    sizeof(e->sess_ip));
		}
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
		if (e != NULL && e->sess_valid)
			(void)strlcpy(ip, e->sess_ip, 64);
		break;
	}
	sg_session_clear(&s);
	return ret;
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

/* Egress credentials: Proxy-Authorization, else REMOTE_USER/PASSWD. */
static enum sg_rc
egress_creds(const struct sg_req *req, char *buf, size_t size,
    char cid[SG_ID_MAX + 1], const char **tok, size_t *toklen,
    struct sg_err *err)
{
	const char	*hdr, *user, *pass;
	size_t		 ulen, plen;

	hdr = sg_req_param(req, "HTTP_PROXY_AUTHORIZATION");
	if (hdr != NULL)
		return sg_verify_parse_basic(hdr, buf, size, cid, tok, toklen,
		    err);
	/* AuthType Basic: Apache decoded the header itself. */
	user = sg_req_param(req, "REMOTE_USER");
	pass = sg_req_param(req, "REMOTE_PASSWD");
	if (user == NULL || pass == NULL)
		return sg_err_set(err, SG_EAUTH, "missing_credentials",
		    "no proxy credentials");
	ulen = strlen(user);
	plen = strlen(pass);
	if (ulen + plen + 2 > size)
		return sg_err_set(err, SG_EAUTH, "bad_credentials",
		    "credentials too long");
	memcpy(buf, pass, plen + 1);
	return split_userpass(user, ulen, buf, plen, cid, tok, toklen, err);
}

static void
decide_egress(struct sg_verify *v, const struct sg_req *req,
    struct sg_verdict *vd)
{
	char			 buf[SG_VERIFY_MAX_AUTH + 8];
	char			 cid[SG_ID_MAX + 1], ip[64];
	struct sg_target	 t;
	struct sg_claims	 scratch;
	const struct sg_claims	*c = NULL;
	struct sg_tcache_ent	*e = NULL;
	struct sg_err		 err, terr;
	const char		*tok = NULL, *remote;
	size_t			 toklen = 0;
	enum sg_rc		 trc;
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
	if (egress_creds(req, buf, sizeof(buf), cid, &tok, &toklen, &err) !=
	    SG_OK) {
		deny(vd, 407, err.code != NULL ? err.code : "bad_credentials");
		goto out;
	}
	set_str(vd->container_id, sizeof(vd->container_id), cid);
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
	if (session_check(v, c, e, 407, ip, &unchecked, vd) != 0)
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
	if (v->cfg.deny_private) {
		sg_err_clear(&terr);
		if (sg_target_check_public(&t, &terr) != SG_OK) {
			deny(vd, 403, terr.code != NULL ? terr.code :
			    "private_target");
			goto out;
		}
	}
	if (vd->decision == NULL)
		verdict(vd, 200, "allow", unchecked ? "session_unchecked" :
		    "ok");
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
decide_api(struct sg_verify *v, const struct sg_req *req,
    struct sg_verdict *vd)
{
	char			 id[SG_ID_MAX + 1], ip[64];
	struct sg_claims	 scratch;
	const struct sg_claims	*c = NULL;
	struct sg_tcache_ent	*e = NULL;
	struct sg_err		 err;
	const char		*auth, *tok = NULL, *xcid, *q;
	size_t			 toklen = 0;
	enum sg_route		 route;
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
	/* A token offered twice is refused (notes/security.md E14). */
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
		verdict(vd, 200, "allow", "ok");
		goto out;
	}
	/* A container token reads its own session, nothing else. */
	if (route != SG_ROUTE_SESSION_GET || !sg_streq(id, c->container_id)) {
		deny(vd, 403, "not_permitted");
		goto out;
	}
	/*
	 * X-Container-ID is attribution, not proof (DESIGN.md): exact,
	 * one value (nginx joins duplicates into "a, b"), and required
	 * when the token asks for binding (notes/security.md X1-X4, C3/C4).
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
	if (session_check(v, c, e, 401, ip, &unchecked, vd) != 0)
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
sg_verify_decide(struct sg_verify *v, const struct sg_req *req,
    struct sg_verdict *vd)
{
	memset(vd, 0, sizeof(*vd));
	if (is_proxy_request(req))
		decide_egress(v, req, vd);
	else
		decide_api(v, req, vd);
	if (vd->status == 0 || vd->decision == NULL) {
		/* every path above sets a verdict; never answer without one */
		deny(vd, 500, "internal_error");
	}
}

/* ---- responses -------------------------------------------------------- */

static const char *
message_of(const struct sg_verdict *vd)
{
	switch (vd->status) {
	case 401:
		return "bearer token missing or not valid";
	case 403:
		return strcmp(vd->mode, "egress") == 0 ?
		    "target not allowed for this token" :
		    "not permitted for this token";
	case 407:
		return "proxy credentials missing or not valid";
	case 503:
		return "session store unavailable";
	default:
		return "internal error";
	}
}

static const char *
scope_name(unsigned bit)
{
	switch (bit) {
	case SG_SCOPE_TOKENS_ISSUE:	return "tokens:issue";
	case SG_SCOPE_SANDBOXES_CREATE:	return "sandboxes:create";
	case SG_SCOPE_SANDBOXES_DESTROY: return "sandboxes:destroy";
	case SG_SCOPE_SESSIONS_READ:	return "sessions:read";
	case SG_SCOPE_METRICS_READ:	return "metrics:read";
	default:			return NULL;
	}
}

static void
respond_allow(const struct sg_verdict *vd, int authorizer,
    struct sg_resp *resp)
{
	const char	*kind = vd->kind != NULL ? vd->kind : "anonymous";
	int		 bad = 0;

	/*
	 * Claims were checked for control bytes by claims.c and sg_resp
	 * refuses CR/LF/NUL anyway; check first so that a refused value
	 * never leaves half the headers on an error (notes/security.md X7).
	 */
	if (!sg_str_printable(vd->sub) || !sg_str_printable(vd->scope) ||
	    !sg_str_printable(vd->container_id)) {
		sg_resp_error(resp, 500, "internal_error", "internal error");
		return;
	}
	resp->status = 200;
	if (authorizer) {
		/* Status and Variable-* only: anything else leaks (Apache). */
		bad |= sg_resp_header(resp, "Variable-SG_SUB", "%s",
		    vd->sub) != 0;
		bad |= sg_resp_header(resp, "Variable-SG_SCOPE", "%s",
		    vd->scope) != 0;
		bad |= sg_resp_header(resp, "Variable-SG_CONTAINER_ID", "%s",
		    vd->container_id) != 0;
		bad |= sg_resp_header(resp, "Variable-SG_KIND", "%s",
		    kind) != 0;
	} else {
		bad |= sg_resp_header(resp, "X-SG-Sub", "%s", vd->sub) != 0;
		bad |= sg_resp_header(resp, "X-SG-Scope", "%s",
		    vd->scope) != 0;
		bad |= sg_resp_header(resp, "X-SG-Container-Id", "%s",
		    vd->container_id) != 0;
		bad |= sg_resp_header(resp, "X-SG-Kind", "%s", kind) != 0;
	}
	if (bad) {
		sg_resp_clear(resp);
		sg_resp_init(resp);
		sg_resp_error(resp, 500, "internal_error", "internal error");
	}
}

void
sg_verify_respond(const struct sg_verdict *vd, int authorizer,
    struct sg_resp *resp)
{
	const char	*sn;

	if (vd->status == 200) {
		respond_allow(vd, authorizer, resp);
		return;
	}
	sg_resp_error(resp, vd->status, vd->reason, "%s", message_of(vd));
	switch (vd->status) {
	case 407:
		/* RFC 9110 11.7.1; a 401 here would reach clients as a 407
		 * without a usable challenge (notes/web-servers.md 1.4) */
		(void)sg_resp_header(resp, "Proxy-Authenticate", "%s",
		    CHALLENGE_PROXY);
		break;
	case 401:
		(void)sg_resp_header(resp, "WWW-Authenticate", "%s",
		    CHALLENGE_BEARER);
		break;
	case 403:
		/* RFC 6750 3.1 */
		if (strcmp(vd->reason, "insufficient_scope") == 0 &&
		    (sn = scope_name(vd->need_scope)) != NULL)
			(void)sg_resp_header(resp, "WWW-Authenticate",
			    "Bearer error=\"insufficient_scope\", "
			    "scope=\"%s\"", sn);
		break;
	default:
		break;
	}
}

/* ---- the handler ------------------------------------------------------ */

/* v is absent, empty, or path itself or a prefix of it ending at a '/'. */
static int
names_path(const char *v, const char *path)
{
	size_t	 n;

	if (v == NULL || *v == '\0')
		return 1;
	n = strlen(v);
	return strncmp(path, v, n) == 0 &&
	    (path[n] == '\0' || path[n] == '/' || v[n - 1] == '/');
}

/*
 * GET /healthz or /healthz/token-verify sent to token-verify as an
 * ordinary request (the gateways route it so).  Never under the
 * AUTHORIZER role, and only when SCRIPT_NAME and DOCUMENT_URI (when
 * present) belong to that path: an nginx auth subrequest carries the
 * auth location's (SCRIPT_NAME=/_sg_auth), so a client cannot turn an
 * authorization into a health answer.
 */
static int
is_health(const struct sg_req *req)
{
	if (req->authorizer || req->path == NULL ||
	    (strcmp(req->method, "GET") != 0 &&
	    strcmp(req->method, "HEAD") != 0))
		return 0;
	if (strcmp(req->path, "/healthz") != 0 &&
	    strcmp(req->path, "/healthz/token-verify") != 0)
		return 0;
	return names_path(sg_req_param(req, "SCRIPT_NAME"), req->path) &&
	    names_path(sg_req_param(req, "DOCUMENT_URI"), req->path);
}

static void
health(struct sg_verify *v, struct sg_resp *resp)
{
	struct sg_tcache_stats	 st;
	cJSON			*o = NULL;
	const char		*redis;

	/* this process's figures (each worker has its own cache) */
	sg_tcache_stats(v->cache, &st);
	redis = sg_redis_ping(v->redis, NULL) == SG_OK ? "ok" : "unavailable";
	if ((o = cJSON_CreateObject()) == NULL ||
	    sg_json_add_str(o, "status", "ok") != 0 ||
	    sg_json_add_str(o, "service", "token-verify") != 0 ||
	    sg_json_add_int(o, "keys", (int64_t)sg_keyset_count(v->keys)) !=
	    0 ||
	    sg_json_add_str(o, "redis", redis) != 0 ||
	    sg_json_add_str(o, "egress_mode", v->cfg.report_mode ? "report" :
	    "enforce") != 0 ||
	    sg_json_add_int(o, "requests", (int64_t)v->st.requests) != 0 ||
	    sg_json_add_int(o, "verifies", (int64_t)v->st.verifies) != 0 ||
	    sg_json_add_int(o, "cache_hits", (int64_t)st.hits) != 0 ||
	    sg_json_add_int(o, "cache_entries", (int64_t)st.count) != 0 ||
	    sg_json_add_int(o, "session_lookups",
	    (int64_t)v->st.session_lookups) != 0 ||
	    sg_json_add_int(o, "key_reloads", (int64_t)v->st.reloads) != 0) {
		cJSON_Delete(o);
		sg_resp_error(resp, 500, "out_of_memory", "Out of memory.");
		return;
	}
	sg_resp_json(resp, 200, o);
}

void
sg_verify_handle(void *arg, struct sg_req *req, struct sg_resp *resp)
{
	struct sg_verify	*v = arg;
	struct sg_verdict	 vd;
	struct sg_decision	 d;
	struct sg_err		 err;
	int64_t			 t0 = sg_now_us();
	int			 r;

	v->st.requests++;
	sg_err_clear(&err);
	r = sg_verify_reload(v, sg_serve_hup(), &err);
	if (r == 1)
		sg_log(SG_LOG_INFO, "keys_reloaded", (char *)NULL);
	else if (r == -1)
		sg_log(SG_LOG_WARN, "keys_reload_failed", "reason",
		    err.code != NULL ? err.code : "bad_keys", "message",
		    err.msg, (char *)NULL);

	if (is_health(req)) {
		health(v, resp);
		return;
	}
	sg_verify_decide(v, req, &vd);
	sg_verify_respond(&vd, req->authorizer, resp);

	memset(&d, 0, sizeof(d));
	d.mode = vd.mode;
	d.decision = resp->status == vd.status ? vd.decision : "error";
	d.reason = resp->status == vd.status ? vd.reason : "internal_error";
	d.status = resp->status;
	d.container_id = vd.container_id[0] != '\0' ? vd.container_id : NULL;
	d.jti = vd.jti[0] != '\0' ? vd.jti : NULL;
	d.sub = vd.sub[0] != '\0' ? vd.sub : NULL;
	d.target = vd.target[0] != '\0' ? vd.target : NULL;
	d.latency_us = sg_now_us() - t0;
	sg_log_decision(&d);
}
