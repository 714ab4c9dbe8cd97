/*
 * token-verify: the API routes and the scope each one needs.
 */
#include "config.h"

#include <string.h>

#include "claims.h"
#include "verify.h"

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
