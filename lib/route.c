/* SPDX-License-Identifier: ISC */
/*
 * The routes of the management API (route.h).
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "claims.h"
#include "route.h"

/* How a table entry's path is matched. */
enum shape {
	EXACT,		/* path */
	ID,		/* path "/" {id} */
	ID_SUFFIX,	/* path "/" {id} suffix */
	ID_NAME		/* path "/" {id} suffix "/" {name} */
};

static const struct {
	const char	*method;	/* "GET" matches HEAD too */
	const char	*path;
	enum shape	 shape;
	const char	*suffix;	/* ID_SUFFIX */
	enum sg_route	 route;
	unsigned	 scope;
} routes[] = {
	{ "GET", SG_PATH_JWKS, EXACT, "", SG_ROUTE_PUBLIC, 0 },
	{ "GET", SG_PATH_METRICS, EXACT, "", SG_ROUTE_METRICS,
	    SG_SCOPE_METRICS_READ },
	{ "GET", SG_PATH_SESSIONS, EXACT, "", SG_ROUTE_SESSION_LIST,
	    SG_SCOPE_SESSIONS_READ },
	{ "GET", SG_PATH_SESSIONS, ID, "", SG_ROUTE_SESSION_GET,
	    SG_SCOPE_SESSIONS_READ },
	{ "GET", SG_PATH_SESSIONS, ID_SUFFIX, SG_PATH_DECISIONS,
	    SG_ROUTE_SESSION_DECISIONS, SG_SCOPE_SESSIONS_READ },
	{ "POST", SG_PATH_TOKENS, EXACT, "", SG_ROUTE_TOKENS_ISSUE,
	    SG_SCOPE_TOKENS_ISSUE },
	{ "POST", SG_PATH_SANDBOXES, EXACT, "", SG_ROUTE_SANDBOX_CREATE,
	    SG_SCOPE_SANDBOXES_CREATE },
	{ "DELETE", SG_PATH_SANDBOXES, ID, "", SG_ROUTE_SANDBOX_DESTROY,
	    SG_SCOPE_SANDBOXES_DESTROY },
	/* the narrow-only overlay and grants (lib/policy.h) */
	{ "GET", SG_PATH_SANDBOXES, ID_SUFFIX, SG_PATH_POLICY,
	    SG_ROUTE_POLICY_GET, SG_SCOPE_SESSIONS_READ },
	{ "PATCH", SG_PATH_SANDBOXES, ID_SUFFIX, SG_PATH_POLICY,
	    SG_ROUTE_POLICY_SET, SG_SCOPE_SANDBOXES_UPDATE },
	{ "DELETE", SG_PATH_SANDBOXES, ID_SUFFIX, SG_PATH_POLICY,
	    SG_ROUTE_POLICY_DELETE, SG_SCOPE_SANDBOXES_UPDATE },
	{ "POST", SG_PATH_SANDBOXES, ID_SUFFIX, SG_PATH_GRANTS,
	    SG_ROUTE_GRANT_ADD, SG_SCOPE_SANDBOXES_UPDATE },
	/* sealed secrets (docs/secrets.md): names and hosts, never values */
	{ "GET", SG_PATH_SANDBOXES, ID_SUFFIX, SG_PATH_SECRETS,
	    SG_ROUTE_SECRET_LIST, SG_SCOPE_SESSIONS_READ },
	{ "PUT", SG_PATH_SANDBOXES, ID_NAME, SG_PATH_SECRETS,
	    SG_ROUTE_SECRET_PUT, SG_SCOPE_SECRETS_WRITE },
	{ "DELETE", SG_PATH_SANDBOXES, ID_NAME, SG_PATH_SECRETS,
	    SG_ROUTE_SECRET_DELETE, SG_SCOPE_SECRETS_WRITE },
};

/*
 * Whether path is prefix "/" {id} suffix with a valid id; id receives
 * it.  suffix is "" for none.
 */
static int
path_id(const char *path, const char *prefix, const char *suffix,
    char id[SG_ID_MAX + 1])
{
	size_t	 pl = strlen(prefix), sl = strlen(suffix), n;

	if (strncmp(path, prefix, pl) != 0 || path[pl] != '/')
		return 0;
	path += pl + 1;
	n = strlen(path);
	if (n <= sl || n - sl > SG_ID_MAX || strcmp(path + n - sl, suffix) != 0)
		return 0;
	memcpy(id, path, n - sl);
	id[n - sl] = '\0';
	if (sg_id_valid(id))
		return 1;
	id[0] = '\0';
	return 0;
}

/*
 * Whether path is prefix "/" {id} suffix "/" {name}: a valid id and a
 * name of 1 to SG_PATH_NAME_MAX bytes without '/' (the service checks
 * the name's own form, so a bad one is its 400, not a 404).
 */
static int
path_id_name(const char *path, const char *prefix, const char *suffix,
    char id[SG_ID_MAX + 1])
{
	size_t		 pl = strlen(prefix), sl = strlen(suffix), n;
	const char	*e, *name;

	if (strncmp(path, prefix, pl) != 0 || path[pl] != '/')
		return 0;
	path += pl + 1;
	if ((e = strchr(path, '/')) == NULL || (n = (size_t)(e - path)) == 0 ||
	    n > SG_ID_MAX || strncmp(e, suffix, sl) != 0 || e[sl] != '/')
		return 0;
	name = e + sl + 1;
	if (name[0] == '\0' || strlen(name) > SG_PATH_NAME_MAX ||
	    strchr(name, '/') != NULL)
		return 0;
	memcpy(id, path, n);
	id[n] = '\0';
	if (sg_id_valid(id))
		return 1;
	id[0] = '\0';
	return 0;
}

enum sg_route
sg_route_match(const char *method, const char *path, unsigned *scope,
    char id[SG_ID_MAX + 1])
{
	size_t	 i;
	int	 hit;

	*scope = 0;
	id[0] = '\0';
	if (method == NULL || path == NULL)
		return SG_ROUTE_UNKNOWN;
	/* HEAD is GET without the body (RFC 9110 9.3.2): the same rights */
	if (strcmp(method, "HEAD") == 0)
		method = "GET";
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (strcmp(method, routes[i].method) != 0)
			continue;
		switch (routes[i].shape) {
		case EXACT:
			hit = strcmp(path, routes[i].path) == 0;
			break;
		case ID:
			hit = path_id(path, routes[i].path, "", id);
			break;
		case ID_SUFFIX:
			hit = path_id(path, routes[i].path, routes[i].suffix,
			    id);
			break;
		default:
			hit = path_id_name(path, routes[i].path,
			    routes[i].suffix, id);
			break;
		}
		if (hit) {
			*scope = routes[i].scope;
			return routes[i].route;
		}
	}
	id[0] = '\0';
	return SG_ROUTE_UNKNOWN;
}
