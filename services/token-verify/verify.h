/* SPDX-License-Identifier: ISC */
/*
 * token-verify: the one authorizer for the API gateway and the egress
 * proxy (docs/contract.md §3 and §4;
 * docs/web-servers.md section 4).
 *
 * Dialect by FCGI_ROLE.  AUTHORIZER (Apache mod_authnz_fcgi, lighttpd
 * "mode" => "authorizer"): a 200 carries Status and Variable-SG_SUB,
 * Variable-SG_SCOPE, Variable-SG_CONTAINER_ID, Variable-SG_KIND and
 * nothing else (any other header on a 200 leaks to the client through
 * Apache); a denial carries Status, the challenge and a short JSON body.
 * RESPONDER (nginx auth_request): 200/401/403 with X-SG-Sub, X-SG-Scope,
 * X-SG-Container-Id, X-SG-Kind.  SG_CONTAINER_ID is always present on a
 * 200 because Apache's UserExpr needs it: for an operator token, and for
 * the public JWKS route, it is "-" (SG_KIND tells which), and an empty
 * SG_SCOPE is sent as "-" too.
 *
 * Mode by request: CONNECT or a REQUEST_URI not starting with '/' is an
 * egress decision, anything else an API decision.
 *
 * Egress, in this order: credentials (Proxy-Authorization: Basic
 * base64(container_<id>:jwt_<token>), or REMOTE_USER/REMOTE_PASSWD under
 * AuthType Basic), token valid, container kind, <id> == container_id,
 * session present with the same jti (SANDGATE_SESSION_CACHE_MS), address
 * binding, then the target from REQUEST_URI: allowed_hosts and ports,
 * then the private-address rule.  407 + Proxy-Authenticate for anything
 * about the credentials (a binding mismatch included: the credentials are
 * not valid for this client), 403 for the target, 503 when Redis cannot
 * answer (SANDGATE_REDIS_FAILURE=open relaxes only the session lookup).
 * SANDGATE_EGRESS_MODE=report lets an allowed_hosts mismatch through as
 * "would_deny"; an unparseable or private target is denied in any mode.
 *
 * API: Authorization: Bearer <token>, scope per route for operator
 * tokens (GET /metrics: metrics:read; GET /v1/sessions/{id}/decisions,
 * the audit trail: sessions:read, operators only); a container token
 * may only GET /v1/sessions/{own id}, with its
 * session alive and X-Container-ID equal to its id (required when binding
 * is enforced; when sent it must match in any case).  401 + WWW-
 * Authenticate: Bearer error="invalid_token" for a missing or bad token,
 * 403 otherwise.
 */
#ifndef SG_VERIFY_H
#define SG_VERIFY_H

#include <sys/types.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cache.h"
#include "cfg.h"
#include "claims.h"
#include "sgerr.h"
#include "request.h"
#include "response.h"
#include "keys.h"
#include "localaddr.h"
#include "route.h"
#include "session.h"

/* Longest Authorization / Proxy-Authorization value looked at. */
#define SG_VERIFY_MAX_AUTH	12288
#define SG_VERIFY_KEYFILES	16
/* How often the key files are stat'ed, at most. */
#define SG_VERIFY_STAT_US	1000000
/* SG_CONTAINER_ID / SG_SCOPE when there is none. */
#define SG_VERIFY_NONE		"-"


struct sg_verify_keyfile {
	char		 path[PATH_MAX];
	int		 ok;		/* stat succeeded */
	dev_t		 dev;
	ino_t		 ino;
	off_t		 size;
	struct timespec	 mtime;
	struct timespec	 ctime;
};

struct sg_verify_stats {
	uint64_t	 requests;
	uint64_t	 verifies;	/* full ECDSA verifications */
	uint64_t	 session_lookups;	/* Redis GETs */
	uint64_t	 reloads;	/* successful key swaps */
	uint64_t	 reload_failures;
};

struct app {
	struct sg_cfg	 cfg;
	struct sg_keyset *keys;
	/* SANDGATE_OPERATOR_KEYS; NULL: operator tokens verify under keys */
	struct sg_keyset *op_keys;
	struct sg_redis	*redis;
	struct sg_tcache *cache;
	struct sg_resolver *resolver;	/* target names (resolve.h) */
	size_t		 nfiles;
	struct sg_verify_keyfile files[SG_VERIFY_KEYFILES];
	int64_t		 last_stat_us;
	struct sg_verify_stats st;
	/* the host's own public addresses (SANDGATE_EGRESS_DENY_PRIVATE) */
	struct sg_localaddrs local;
	/* a session's policy read without a cache entry, for one decision */
	struct sg_policy *own_policy;
	/* for tests: when non-zero, used instead of the clocks */
	time_t		 fixed_now;
	int64_t		 fixed_mono_us;
};

/* Result of one decision, before it is written as a response. */
struct sg_verdict {
	const char	*mode;		/* "egress" | "api" */
	int		 status;
	const char	*decision;	/* "allow" | "deny" | "would_deny" | "error" */
	const char	*reason;	/* snake_case */
	char		 container_id[SG_ID_MAX + 1];	/* the token's, once verified */
	/*
	 * The name the credentials gave (container_<id>), which only the
	 * token can prove: kept apart, so that a request with a victim's
	 * name and no valid token is never recorded as the victim's.
	 */
	char		 claimed_container_id[SG_ID_MAX + 1];
	char		 jti[SG_ID_MAX + 1];
	char		 sub[SG_SUB_MAX + 1];
	char		 scope[256];
	const char	*kind;		/* "container" | "operator" | "anonymous" */
	char		 target[SG_HOST_MAX + 64];
	unsigned	 need_scope;	/* for insufficient_scope */
	const char	*budget;	/* budget_exhausted: "requests" | "bytes" */
	int		 cache_hit;
	/*
	 * An egress allow: how long the web server may answer the same
	 * request (every variable but the peer port equal) with it, in ms,
	 * without asking again; 0: not at all.  Never past the bound this
	 * decision's session lookup had (decide.c, reuse_ms).
	 */
	int64_t		 reuse_ms;
};

/*
 * Copy cfg, load the verification keys (SANDGATE_VERIFY_KEYS), set up the
 * Redis handle (not connected yet) and the token cache.  SG_EINVAL
 * "bad_config" when there are no keys or they do not load.
 */
enum sg_rc	 sg_verify_init(struct app *, const struct sg_cfg *,
		    struct sg_err *);
void		 sg_verify_clear(struct app *);
/* The sg_handler for sg_serve: decide, answer, log one line. */
void		 sg_verify_handle(void *, struct sg_req *, struct sg_resp *);
/* The decision alone (no response, no log); for tests and the handler. */
void		 sg_verify_decide(struct app *, const struct sg_req *,
		    struct sg_verdict *);
/* Write the verdict as a response in the dialect of the request's role. */
void		 sg_verify_respond(const struct sg_verdict *, int authorizer,
		    struct sg_resp *);
/*
 * Reload the key set: when force, or when a key file changed on disk
 * (checked at most once per SG_VERIFY_STAT_US unless force).  The new
 * set is built first and swapped in only when it loads; the token cache
 * is then flushed.  Returns 1 if swapped, 0 if nothing changed, -1 if a
 * changed set failed to load (the old keys stay in use).
 */
int		 sg_verify_reload(struct app *, int force,
		    struct sg_err *);

/*
 * "Basic <base64>" (RFC 7617; scheme case-insensitive, exactly one SP,
 * strict padded base64) holding "container_<id>:jwt_<token>".  buf (size
 * bytes) receives the decoded text; *tok points into it.  Returns SG_OK,
 * or SG_EAUTH with a reason.  The caller wipes buf.
 */
enum sg_rc	 sg_verify_parse_basic(const char *hdr, char *buf, size_t size,
		    char cid[SG_ID_MAX + 1], const char **tok, size_t *toklen,
		    struct sg_err *);
/*
 * "Bearer <token>" (RFC 6750 2.1): scheme case-insensitive, exactly one
 * SP, then one token of [A-Za-z0-9_.-] and nothing else (so no second
 * token, no comma, no whitespace).  *tok points into hdr.
 */
enum sg_rc	 sg_verify_parse_bearer(const char *hdr, const char **tok,
		    size_t *toklen, struct sg_err *);
/* sg_route_match (lib/route.h), the route of an API request. */
enum sg_route	 sg_verify_route(const char *method, const char *path,
		    unsigned *scope, char id[SG_ID_MAX + 1]);
/* Two textual IP addresses name the same address (v4-mapped = v4). */
int		 sg_verify_addr_eq(const char *, const char *);

#endif
