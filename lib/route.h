/* SPDX-License-Identifier: ISC */
/*
 * The routes of the management API (docs/contract.md §5.2), in one
 * table: the path each service answers and the scope an operator token
 * needs for it.  token-verify decides by sg_route_match; the services
 * check their own path against the same SG_PATH_* names.
 */
#ifndef SG_ROUTE_H
#define SG_ROUTE_H

#include "claims.h"

#define SG_PATH_JWKS		"/.well-known/jwks.json"
#define SG_PATH_TOKENS		"/v1/tokens"
#define SG_PATH_SANDBOXES	"/v1/sandboxes"
#define SG_PATH_SESSIONS	"/v1/sessions"
#define SG_PATH_DECISIONS	"/decisions"	/* after SESSIONS/{id} */
#define SG_PATH_METRICS		"/metrics"
#define SG_PATH_POLICY		"/policy"	/* after SANDBOXES/{id} */
#define SG_PATH_GRANTS		"/grants"	/* after SANDBOXES/{id} */
#define SG_PATH_SECRETS		"/secrets"	/* after SANDBOXES/{id} */
/* The {name} segment of SANDBOXES/{id}/secrets/{name}: 1 to this, no '/'. */
#define SG_PATH_NAME_MAX	64

enum sg_route {
	SG_ROUTE_UNKNOWN,
	/* GET routes also match HEAD */
	SG_ROUTE_PUBLIC,		/* GET /.well-known/jwks.json */
	SG_ROUTE_TOKENS_ISSUE,		/* POST /v1/tokens */
	SG_ROUTE_SANDBOX_CREATE,	/* POST /v1/sandboxes */
	SG_ROUTE_SANDBOX_DESTROY,	/* DELETE /v1/sandboxes/{id} */
	SG_ROUTE_SESSION_GET,		/* GET /v1/sessions/{id} */
	SG_ROUTE_SESSION_LIST,		/* GET /v1/sessions?user_id= */
	SG_ROUTE_METRICS,		/* GET /metrics */
	SG_ROUTE_SESSION_DECISIONS,	/* GET /v1/sessions/{id}/decisions */
	SG_ROUTE_POLICY_GET,		/* GET /v1/sandboxes/{id}/policy */
	SG_ROUTE_POLICY_SET,		/* PATCH /v1/sandboxes/{id}/policy */
	SG_ROUTE_POLICY_DELETE,		/* DELETE /v1/sandboxes/{id}/policy */
	SG_ROUTE_GRANT_ADD,		/* POST /v1/sandboxes/{id}/grants */
	SG_ROUTE_SECRET_LIST,		/* GET /v1/sandboxes/{id}/secrets */
	SG_ROUTE_SECRET_PUT,	/* PUT /v1/sandboxes/{id}/secrets/{name} */
	SG_ROUTE_SECRET_DELETE	/* DELETE /v1/sandboxes/{id}/secrets/{name} */
};

/*
 * The route of a request and the scope it needs (SG_SCOPE_* bit, 0 for
 * none); id receives {id} of the routes that have one ("" otherwise).
 */
enum sg_route	 sg_route_match(const char *method, const char *path,
		    unsigned *scope, char id[SG_ID_MAX + 1]);

#endif
