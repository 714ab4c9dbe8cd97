/* SPDX-License-Identifier: ISC */
/*
 * The narrow-only policy overlay and timed grants (policy.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "json.h"
#include "policy.h"

#define TS_MAX		((int64_t)1 << 40)	/* times in (0, 2^40) */

static const struct {
	const char	*name;
	unsigned	 bit;
} methods[] = {
	{ "GET", SG_PM_GET }, { "POST", SG_PM_POST }, { "PUT", SG_PM_PUT },
	{ "PATCH", SG_PM_PATCH }, { "DELETE", SG_PM_DELETE },
	{ "OPTIONS", SG_PM_OPTIONS }, { "CONNECT", SG_PM_CONNECT },
};
#define NMETHODS	(sizeof(methods) / sizeof(methods[0]))

void
sg_policy_init(struct sg_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->rules = NULL;
}

void
sg_policy_clear(struct sg_policy *p)
{
	if (p == NULL)
		return;
	free(p->rules);
	sg_policy_init(p);
}

void
sg_policy_free(struct sg_policy *p)
{
	sg_policy_clear(p);
	free(p);
}

enum sg_rc
sg_policy_copy(struct sg_policy *dst, const struct sg_policy *src,
    struct sg_err *err)
{
	struct sg_policy_rule	*r = NULL;

	if (src->n > 0) {
		if ((r = calloc(src->n, sizeof(*r))) == NULL)
			return sg_err_set(err, SG_ENOMEM, NULL,
			    "out of memory");
		memcpy(r, src->rules, src->n * sizeof(*r));
	}
	sg_policy_clear(dst);
	*dst = *src;
	dst->rules = r;
	return SG_OK;
}

/* The bit of a method name (case-sensitive, RFC 9110 9.1); HEAD is GET. */
static unsigned
method_bit(const char *m)
{
	size_t	 i;

	if (m == NULL)
		return 0;
	if (strcmp(m, "HEAD") == 0)
		return SG_PM_GET;
	for (i = 0; i < NMETHODS; i++)
		if (strcmp(m, methods[i].name) == 0)
			return methods[i].bit;
	return 0;
}

/*
 * A path prefix: "/" then RFC 3986 unreserved characters and '/' only,
 * no dot segment, so that what is compared is what the origin serves
 * (no percent-encoding, query or fragment to disagree about).
 */
static int
path_valid(const char *s)
{
	size_t	 n = strlen(s), i;

	if (n == 0 || n > SG_POLICY_PATH_MAX || s[0] != '/')
		return 0;
	for (i = 0; i < n; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || strchr("-._~/", s[i])))
			return 0;
		if (s[i] == '/' && s[i + 1] == '.' && (s[i + 2] == '/' ||
		    s[i + 2] == '\0' || (s[i + 2] == '.' &&
		    (s[i + 3] == '/' || s[i + 3] == '\0'))))
			return 0;
	}
	return 1;
}

static enum sg_rc
parse_pat(const cJSON *it, struct sg_hostpat *pat, enum sg_rc bad,
    struct sg_err *err)
{
	struct sg_err	 e;

	sg_err_clear(&e);
	if (!cJSON_IsString(it) || it->valuestring == NULL ||
	    strlen(it->valuestring) > SG_HOST_MAX + 8 ||
	    sg_hostpat_parse(it->valuestring, strlen(it->valuestring), pat,
	    &e) != SG_OK)
		return sg_err_set(err, bad, "bad_host",
		    "Each host must be a host pattern as in allowed_hosts.");
	return SG_OK;
}

static enum sg_rc
parse_methods(const cJSON *a, struct sg_policy_rule *r, enum sg_rc bad,
    struct sg_err *err)
{
	const cJSON	*m;
	size_t		 n = 0;
	unsigned	 b;

	if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) < 1 ||
	    cJSON_GetArraySize(a) > SG_POLICY_MAX_METHODS)
		return sg_err_set(err, bad, "bad_methods",
		    "methods must be an array of 1 to %d method names.",
		    SG_POLICY_MAX_METHODS);
	cJSON_ArrayForEach(m, a) {
		if (++n > SG_POLICY_MAX_METHODS || !cJSON_IsString(m) ||
		    (b = method_bit(m->valuestring)) == 0 ||
		    strcmp(m->valuestring, "HEAD") == 0)
			return sg_err_set(err, bad, "bad_method",
			    "A method must be one of GET (which includes "
			    "HEAD), POST, PUT, PATCH, DELETE, OPTIONS, "
			    "CONNECT.");
		r->methods |= b;
	}
	return SG_OK;
}

static enum sg_rc
parse_paths(const cJSON *a, struct sg_policy_rule *r, enum sg_rc bad,
    struct sg_err *err)
{
	const cJSON	*s;

	if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) < 1 ||
	    cJSON_GetArraySize(a) > SG_POLICY_MAX_PATHS)
		return sg_err_set(err, bad, "bad_paths",
		    "paths must be an array of 1 to %d path prefixes.",
		    SG_POLICY_MAX_PATHS);
	cJSON_ArrayForEach(s, a) {
		if (r->npaths >= SG_POLICY_MAX_PATHS || !cJSON_IsString(s) ||
		    s->valuestring == NULL || !path_valid(s->valuestring))
			return sg_err_set(err, bad, "bad_path",
			    "A path prefix starts with '/', has at most %d "
			    "characters of A-Z a-z 0-9 - . _ ~ / and no dot "
			    "segment.", SG_POLICY_PATH_MAX);
		(void)strlcpy(r->paths[r->npaths++], s->valuestring,
		    sizeof(r->paths[0]));
	}
	return SG_OK;
}

/* Whether every member of o is one of names (and none twice). */
static int
members_known(const cJSON *o, const char *const *names, size_t n,
    const char **unknown)
{
	const cJSON	*it, *jt;
	size_t		 i;

	cJSON_ArrayForEach(it, o) {
		for (i = 0; i < n; i++)
			if (it->string != NULL &&
			    strcmp(it->string, names[i]) == 0)
				break;
		if (i == n) {
			*unknown = it->string;
			return 0;
		}
		for (jt = it->next; jt != NULL; jt = jt->next)
			if (jt->string != NULL &&
			    strcmp(jt->string, it->string) == 0) {
				*unknown = it->string;
				return 0;
			}
	}
	return 1;
}

static enum sg_rc
parse_rule(const cJSON *it, struct sg_policy_rule *r, enum sg_rc bad,
    struct sg_err *err)
{
	static const char *const names[] = { "host", "methods", "paths" };
	const char	*u = NULL;
	const cJSON	*a;
	enum sg_rc	 rc;

	memset(r, 0, sizeof(*r));
	if (cJSON_IsString(it))
		return parse_pat(it, &r->pat, bad, err);
	if (!cJSON_IsObject(it))
		return sg_err_set(err, bad, "bad_host",
		    "Each entry of hosts is a host pattern or an object "
		    "{\"host\", \"methods\", \"paths\"}.");
	if (!members_known(it, names, 3, &u))
		return sg_err_set(err, bad, "unknown_field",
		    "A host entry takes host, methods and paths once each.");
	if ((rc = parse_pat(sg_json_get(it, "host"), &r->pat, bad, err)) !=
	    SG_OK)
		return rc;
	if ((a = sg_json_get(it, "methods")) != NULL &&
	    (rc = parse_methods(a, r, bad, err)) != SG_OK)
		return rc;
	if ((a = sg_json_get(it, "paths")) != NULL &&
	    (rc = parse_paths(a, r, bad, err)) != SG_OK)
		return rc;
	return SG_OK;
}

/* hosts and expires_at of o into p; bad is the rc for bad input. */
static enum sg_rc
parse_overlay(const cJSON *o, struct sg_policy *p, enum sg_rc bad,
    struct sg_err *err)
{
	const cJSON	*hosts, *it;
	struct sg_policy_rule *nr = NULL;
	struct sg_err	 e;
	size_t		 n = 0;
	int64_t		 exp = 0;
	enum sg_rc	 rc;

	hosts = sg_json_get(o, "hosts");
	if (!cJSON_IsArray(hosts))
		return sg_err_set(err, bad, "bad_hosts",
		    "hosts must be an array (empty: no host at all).");
	if (cJSON_GetArraySize(hosts) > SG_POLICY_MAX_HOSTS)
		return sg_err_set(err, bad, "too_many_hosts",
		    "An overlay names at most %d hosts.",
		    SG_POLICY_MAX_HOSTS);
	if (cJSON_GetArraySize(hosts) > 0 && (nr = calloc(
	    (size_t)cJSON_GetArraySize(hosts), sizeof(*nr))) == NULL)
		return sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
	cJSON_ArrayForEach(it, hosts) {
		if (n >= (size_t)cJSON_GetArraySize(hosts)) {
			rc = sg_err_set(err, bad, "too_many_hosts",
			    "An overlay names at most %d hosts.",
			    SG_POLICY_MAX_HOSTS);
			goto fail;
		}
		if ((rc = parse_rule(it, &nr[n], bad, err)) != SG_OK)
			goto fail;
		n++;
	}
	sg_err_clear(&e);
	rc = sg_json_int(o, "expires_at", 1, TS_MAX - 1, &exp, &e);
	if (rc != SG_OK && rc != SG_ENOENT) {
		rc = sg_err_set(err, bad, "bad_expires_at",
		    "expires_at must be a Unix time in seconds.");
		goto fail;
	}
	free(p->rules);
	p->rules = nr;
	p->n = n;
	p->expires_at = rc == SG_OK ? exp : 0;
	p->overlay = 1;
	return SG_OK;
fail:
	free(nr);
	return rc;
}

enum sg_rc
sg_policy_parse_overlay(const cJSON *o, struct sg_policy *p,
    struct sg_err *err)
{
	static const char *const names[] = { "hosts", "expires_at" };
	const char		*u = NULL;

	if (!cJSON_IsObject(o))
		return sg_err_set(err, SG_EINVAL, "bad_json",
		    "The body must be a JSON object.");
	if (!members_known(o, names, 2, &u))
		return sg_err_set(err, SG_EINVAL, "unknown_field",
		    "An overlay takes only hosts and expires_at, once each.");
	/* p changes only on success (parse_overlay) */
	return parse_overlay(o, p, SG_EINVAL, err);
}

/* Whether name is a subdomain of base (on a label boundary). */
static int
is_subdomain(const char *name, const char *base)
{
	size_t	 n = strlen(name), b = strlen(base);

	return n > b + 1 && name[n - b - 1] == '.' &&
	    strcmp(name + n - b, base) == 0;
}

int
sg_policy_covered(const struct sg_hostlist *l, const struct sg_hostpat *p)
{
	const struct sg_hostpat	*t;
	size_t			 i;

	for (i = 0; i < l->n; i++) {
		t = &l->v[i];
		if (t->kind != p->kind)
			continue;
		/* a token port pins it; an overlay without one is wider */
		if (t->port != 0 && t->port != p->port)
			continue;
		if (t->kind != SG_HOST_NAME) {
			if (memcmp(t->addr, p->addr, sizeof(t->addr)) == 0)
				return 1;
			continue;
		}
		if (!t->wildcard) {
			if (!p->wildcard && strcmp(t->name, p->name) == 0)
				return 1;
			continue;
		}
		/* "*.x" covers "a.x", "*.a.x" and "*.x", never "x" */
		if (is_subdomain(p->name, t->name) ||
		    (p->wildcard && strcmp(p->name, t->name) == 0))
			return 1;
	}
	return 0;
}

enum sg_rc
sg_policy_narrows(const struct sg_policy *p, const struct sg_hostlist *hosts,
    int64_t exp, struct sg_err *err)
{
	char	 buf[SG_HOST_MAX + 16];
	size_t	 i;

	for (i = 0; i < p->n; i++)
		if (!sg_policy_covered(hosts, &p->rules[i].pat)) {
			if (sg_hostpat_format(&p->rules[i].pat, buf,
			    sizeof(buf)) < 0)
				buf[0] = '\0';
			return sg_err_set(err, SG_EINVAL, "host_not_in_token",
			    "The host %s is not within the token's "
			    "allowed_hosts; an overlay can only narrow.", buf);
		}
	for (i = 0; i < p->ngrants; i++)
		if (!sg_policy_covered(hosts, &p->grants[i].pat)) {
			if (sg_hostpat_format(&p->grants[i].pat, buf,
			    sizeof(buf)) < 0)
				buf[0] = '\0';
			return sg_err_set(err, SG_EINVAL, "host_not_in_token",
			    "The host %s is not within the token's "
			    "allowed_hosts; a grant can only narrow.", buf);
		}
	if (p->expires_at != 0 && p->expires_at > exp)
		return sg_err_set(err, SG_EINVAL, "expiry_after_token",
		    "expires_at must not be later than the token's expiry "
		    "(%lld).", (long long)exp);
	return SG_OK;
}

void
sg_policy_prune(struct sg_policy *p, int64_t now)
{
	size_t	 i, j = 0;

	for (i = 0; i < p->ngrants; i++)
		if (p->grants[i].expires_at > now)
			p->grants[j++] = p->grants[i];
	p->ngrants = j;
}

/* ---- the stored form ---------------------------------------------------- */

static cJSON *
pat_json(const struct sg_hostpat *pat)
{
	char	 buf[SG_HOST_MAX + 16];

	if (sg_hostpat_format(pat, buf, sizeof(buf)) < 0)
		return NULL;
	return cJSON_CreateString(buf);
}

static cJSON *
rule_json(const struct sg_policy_rule *r)
{
	cJSON	*o, *a, *s;
	size_t	 i;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if ((s = pat_json(&r->pat)) == NULL)
		goto fail;
	cJSON_AddItemToObject(o, "host", s);
	if (r->methods != 0) {
		if ((a = cJSON_AddArrayToObject(o, "methods")) == NULL)
			goto fail;
		for (i = 0; i < NMETHODS; i++) {
			if (!(r->methods & methods[i].bit))
				continue;
			if ((s = cJSON_CreateString(methods[i].name)) == NULL)
				goto fail;
			cJSON_AddItemToArray(a, s);
		}
	}
	if (r->npaths != 0) {
		if ((a = cJSON_AddArrayToObject(o, "paths")) == NULL)
			goto fail;
		for (i = 0; i < r->npaths; i++) {
			if ((s = cJSON_CreateString(r->paths[i])) == NULL)
				goto fail;
			cJSON_AddItemToArray(a, s);
		}
	}
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

static cJSON *
grant_json(const struct sg_policy_grant *g)
{
	cJSON	*o, *s;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if ((s = pat_json(&g->pat)) == NULL)
		goto fail;
	cJSON_AddItemToObject(o, "host", s);
	if (sg_json_add_int(o, "expires_at", g->expires_at) == -1 ||
	    sg_json_add_str(o, "by", g->by) == -1)
		goto fail;
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

cJSON *
sg_policy_to_json(const struct sg_policy *p, int64_t now)
{
	cJSON	*o, *a, *it;
	size_t	 i;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (p->overlay) {
		if ((a = cJSON_AddArrayToObject(o, "hosts")) == NULL)
			goto fail;
		for (i = 0; i < p->n; i++) {
			if ((it = rule_json(&p->rules[i])) == NULL)
				goto fail;
			cJSON_AddItemToArray(a, it);
		}
		if (p->expires_at != 0 &&
		    sg_json_add_int(o, "expires_at", p->expires_at) == -1)
			goto fail;
	}
	if ((a = cJSON_AddArrayToObject(o, "grants")) == NULL)
		goto fail;
	for (i = 0; i < p->ngrants; i++) {
		if (now > 0 && p->grants[i].expires_at <= now)
			continue;
		if ((it = grant_json(&p->grants[i])) == NULL)
			goto fail;
		cJSON_AddItemToArray(a, it);
	}
	if (sg_json_add_str(o, "set_by", p->set_by) == -1 ||
	    sg_json_add_int(o, "set_at", p->set_at) == -1 ||
	    sg_json_add_int(o, "rev", p->rev) == -1)
		goto fail;
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

static enum sg_rc
grants_from_json(const cJSON *a, struct sg_policy *p, struct sg_err *err)
{
	static const char *const names[] = { "host", "expires_at", "by" };
	struct sg_policy_grant	*g;
	const cJSON		*it, *by;
	const char		*u = NULL;
	struct sg_err		 e;

	if (!cJSON_IsArray(a))
		return sg_err_set(err, SG_EUPSTREAM, "bad_session",
		    "policy: grants is not an array");
	cJSON_ArrayForEach(it, a) {
		if (p->ngrants >= SG_POLICY_MAX_GRANTS || !cJSON_IsObject(it) ||
		    !members_known(it, names, 3, &u))
			return sg_err_set(err, SG_EUPSTREAM, "bad_session",
			    "policy: bad grant");
		g = &p->grants[p->ngrants];
		memset(g, 0, sizeof(*g));
		sg_err_clear(&e);
		by = sg_json_get(it, "by");
		if (parse_pat(sg_json_get(it, "host"), &g->pat, SG_EUPSTREAM,
		    &e) != SG_OK ||
		    sg_json_int(it, "expires_at", 1, TS_MAX - 1,
		    &g->expires_at, &e) != SG_OK ||
		    !cJSON_IsString(by) || by->valuestring == NULL ||
		    strlcpy(g->by, by->valuestring, sizeof(g->by)) >=
		    sizeof(g->by) || !sg_str_printable(g->by))
			return sg_err_set(err, SG_EUPSTREAM, "bad_session",
			    "policy: bad grant");
		p->ngrants++;
	}
	return SG_OK;
}

enum sg_rc
sg_policy_from_json(const cJSON *o, struct sg_policy *out,
    struct sg_err *err)
{
	static const char *const names[] = { "hosts", "expires_at", "grants",
	    "set_by", "set_at", "rev" };
	struct sg_policy	 tmp, *p = &tmp;
	struct sg_err		 e;
	const char		*u = NULL;
	const cJSON		*by;
	enum sg_rc		 rc = SG_OK;

	if (!cJSON_IsObject(o) || !members_known(o, names, 6, &u))
		return sg_err_set(err, SG_EUPSTREAM, "bad_session",
		    "policy: not an object of known members");
	sg_policy_init(p);
	sg_err_clear(&e);
	if (sg_json_get(o, "hosts") != NULL &&
	    parse_overlay(o, p, SG_EUPSTREAM, &e) != SG_OK) {
		rc = e.rc == SG_ENOMEM ? sg_err_set(err, SG_ENOMEM, NULL,
		    "out of memory") : sg_err_set(err, SG_EUPSTREAM,
		    "bad_session", "policy: %s", e.msg);
		goto out;
	}
	if (sg_json_get(o, "hosts") == NULL &&
	    sg_json_get(o, "expires_at") != NULL) {
		rc = sg_err_set(err, SG_EUPSTREAM, "bad_session",
		    "policy: expires_at without hosts");
		goto out;
	}
	if ((rc = grants_from_json(sg_json_get(o, "grants"), p, err)) !=
	    SG_OK)
		goto out;
	by = sg_json_get(o, "set_by");
	sg_err_clear(&e);
	if (!cJSON_IsString(by) || by->valuestring == NULL ||
	    strlcpy(p->set_by, by->valuestring, sizeof(p->set_by)) >=
	    sizeof(p->set_by) || !sg_str_printable(p->set_by) ||
	    sg_json_int(o, "set_at", 0, TS_MAX - 1, &p->set_at, &e) !=
	    SG_OK ||
	    sg_json_int(o, "rev", 0, SG_JSON_INT_MAX, &p->rev, &e) != SG_OK) {
		rc = sg_err_set(err, SG_EUPSTREAM, "bad_session",
		    "policy: bad set_by, set_at or rev");
		goto out;
	}
	sg_policy_clear(out);
	*out = *p;
	sg_policy_init(p);
out:
	sg_policy_clear(p);
	return rc;
}

/* ---- the decision ------------------------------------------------------- */

/*
 * The path of an absolute-form REQUEST_URI ("http://h/p?q" -> "/p"), as
 * a pointer and length; "/" when there is none.
 */
static const char *
uri_path(const char *uri, size_t *len)
{
	const char	*p;

	if (uri == NULL || (p = strstr(uri, "://")) == NULL) {
		*len = 1;
		return "/";
	}
	p += 3;
	p += strcspn(p, "/?");
	if (*p != '/') {
		*len = 1;
		return "/";
	}
	*len = strcspn(p, "?#");
	return p;
}

/*
 * Whether a request path lies under prefix.  Paths that an origin may
 * read differently from the bytes compared (a dot segment, any '%'
 * escape, a backslash; RFC 3986 5.2.4, 2.1) never match.
 */
static int
path_under(const char *path, size_t len, const char *prefix)
{
	size_t	 pl = strlen(prefix), i;

	for (i = 0; i < len; i++) {
		if (path[i] == '%' || path[i] == '\\')
			return 0;
		if (path[i] == '/' && i + 1 < len && path[i + 1] == '.' &&
		    (i + 2 == len || path[i + 2] == '/' ||
		    (path[i + 2] == '.' && (i + 3 == len ||
		    path[i + 3] == '/'))))
			return 0;
	}
	return len >= pl && memcmp(path, prefix, pl) == 0;
}

static const char *
rule_decide(const struct sg_policy_rule *r, const char *method,
    const char *uri)
{
	const char	*path;
	size_t		 len, i;
	int		 tunnel = method != NULL && strcmp(method, "CONNECT") == 0;

	if (r->methods != 0 && !(r->methods & method_bit(method)))
		return "method_not_allowed";
	if (r->npaths == 0)
		return NULL;
	if (tunnel)
		return "path_not_allowed";
	path = uri_path(uri, &len);
	for (i = 0; i < r->npaths; i++)
		if (path_under(path, len, r->paths[i]))
			return NULL;
	return "path_not_allowed";
}

const char *
sg_policy_decide(const struct sg_policy *p, const char *method,
    const char *uri, const struct sg_target *t, const struct sg_ports *dflt,
    int64_t now)
{
	struct sg_hostlist	 one;
	const char		*why = "host_not_allowed", *r;
	size_t			 i;

	if (p == NULL || !p->overlay)
		return NULL;
	if (p->expires_at != 0 && now >= p->expires_at)
		return "policy_expired";
	for (i = 0; i < p->ngrants; i++) {
		one.n = 1;
		one.v = (struct sg_hostpat *)&p->grants[i].pat;
		if (p->grants[i].expires_at > now &&
		    sg_hosts_match(&one, t, dflt))
			return NULL;
	}
	for (i = 0; i < p->n; i++) {
		one.n = 1;
		one.v = (struct sg_hostpat *)&p->rules[i].pat;
		if (!sg_hosts_match(&one, t, dflt))
			continue;
		if ((r = rule_decide(&p->rules[i], method, uri)) == NULL)
			return NULL;
		/* the most telling reason: a path refused where the method
		 * was allowed, else the method */
		if (strcmp(why, "path_not_allowed") != 0)
			why = r;
	}
	return why;
}
