/* SPDX-License-Identifier: ISC */
/*
 * session-query's handler (docs/contract.md §5.2):
 *
 *   GET /v1/sessions/{id}        operator with sessions:read, or the
 *                                container whose verified id is {id}
 *                                -> 200 the session object, 404
 *   GET /v1/sessions?user_id=U   operator with sessions:read
 *                                -> 200 {"sessions":[...]}
 *   GET /v1/sessions/{id}/decisions?limit=N
 *                                operator with sessions:read -> 200
 *                                {"container_id","decisions":[...],
 *                                "scanned","complete"}: the audit trail
 *                                of that container, newest first
 *                                (lib/audit.h; N 1..1000, default 100)
 *   GET /v1/sessions/{id}/decisions?export=1
 *                                the same scope -> 200, JSON lines
 *                                (application/x-ndjson): the whole
 *                                chained trail, oldest first (lib/chain.h)
 *   GET /metrics                 operator with metrics:read -> 200
 *                                Prometheus text (lib/metrics.h) plus
 *                                gauges read from Redis at scrape time;
 *                                503 when SANDGATE_METRICS_DIR is unset
 *   GET|PATCH|DELETE /v1/sandboxes/{id}/policy,
 *   POST /v1/sandboxes/{id}/grants  the narrow-only policy (policy.c)
 *   GET /healthz                 open -> 200, or 503 when Redis is down
 *        (also /healthz/session-query, as the lighttpd gateway routes it)
 *
 * The identity comes only from the authorizer's SG_* params (request.h);
 * the scope is checked here again (defence in depth).  Ids are checked
 * against ^[A-Za-z0-9_-]{1,128}$ before they reach Redis.  The session
 * object is the contract's (sg_session_to_json): it holds the token's
 * SHA-256, never the token.  When Redis cannot answer the reply is 503
 * with Retry-After: never a 200 with empty data.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "chain.h"
#include "claims.h"
#include "request.h"
#include "response.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "num.h"
#include "policy.h"
#include "query.h"
#include "route.h"
#include "budget.h"
#include "session.h"

#define SESSIONS	SG_PATH_SESSIONS
#define DECISIONS	SG_PATH_DECISIONS
#define ID_RULE		"^[A-Za-z0-9_-]{1,128}$"
/*
 * SCAN rounds of COUNT 1000 for the live-sessions gauge: the whole
 * keyspace up to about 100,000 keys (two per sandbox), a few ms of Redis
 * time per scrape; past that the gauge is a lower bound and
 * sandgate_live_sessions_scan_complete says 0.
 */
#define LIVE_SCAN_ROUNDS	100
#define METRICS_TYPE	"text/plain; version=0.0.4; charset=utf-8"

enum sg_rc
query_init(struct app *q, const struct sg_cfg *cfg, struct sg_err *err)
{
	struct sg_err	 e;

	(void)memset(q, 0, sizeof(*q));
	q->cfg = cfg;
	sg_err_clear(&e);
	if (sg_redis_new(cfg->redis, cfg->redis_timeout_ms, &q->redis, &e) !=
	    SG_OK)
		return sg_err_set(err, e.rc == SG_ENOMEM ? SG_ENOMEM :
		    SG_EINVAL, "bad_config", "SANDGATE_REDIS: %s", e.msg);
	return SG_OK;
}

void
query_clear(struct app *q)
{
	if (q == NULL)
		return;
	sg_redis_free(q->redis);
	(void)memset(q, 0, sizeof(*q));
}

/*
 * A failed Redis call: 503 when it is down (fail closed), else 502/500
 * (sg_rc_http_dep).
 */
static void
store_error(struct sg_resp *resp, const struct sg_err *err)
{
	switch (sg_rc_http_dep(err->rc)) {
	case 503:
		sg_resp_error(resp, 503, "redis_unavailable",
		    "The session store is unavailable; retry later.");
		break;
	case 502:
		sg_resp_error(resp, 502, err->code != NULL ? err->code :
		    "bad_gateway", "The session store answered with an error.");
		break;
	default:
		if (err->rc == SG_ENOMEM)
			sg_resp_error(resp, 500, "out_of_memory",
			    "Out of memory.");
		else
			sg_resp_error(resp, 500, "internal_error",
			    "The sessions could not be read.");
		break;
	}
	sg_log(SG_LOG_WARN, "store_error", "reason",
	    err->code != NULL ? err->code : sg_rc_str(err->rc),
	    "detail", err->msg, NULL);
}

/* The contract's object never holds the token; make sure of it. */
static void
strip_token(cJSON *o)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, "token");
}

static void
healthz(struct app *q, struct sg_req *req, struct sg_resp *resp)
{
	struct sg_err	 err;
	cJSON		*o = NULL;
	int		 up;

	if (!sg_req_is_get(req)) {
		sg_resp_method(resp, "GET, HEAD");
		return;
	}
	sg_err_clear(&err);
	up = sg_redis_ping(q->redis, &err) == SG_OK;
	if ((o = cJSON_CreateObject()) == NULL ||
	    sg_json_add_str(o, "status", up ? "ok" : "unavailable") != 0 ||
	    sg_json_add_str(o, "service", "session-query") != 0 ||
	    sg_json_add_str(o, "redis", up ? "ok" : "down") != 0 ||
	    (!up && (sg_json_add_str(o, "error", "redis_unavailable") != 0 ||
	    sg_json_add_str(o, "message", "Redis does not answer.") != 0))) {
		cJSON_Delete(o);
		sg_resp_error(resp, 500, "out_of_memory", "Out of memory.");
		return;
	}
	/* A 503 goes out with Retry-After (sg_resp_serialize). */
	sg_resp_json(resp, up ? 200 : 503, o);
}

/*
 * What every read checks first, in this order: the caller (kind and
 * scope as sg_req_auth; NULL: any token), GET or HEAD, and a valid
 * session id when id is not NULL.  0 to go on, else resp has the answer.
 */
static int
read_checks(struct sg_req *req, struct sg_resp *resp, const char *kind,
    const char *scope, const char *id)
{
	if (sg_req_auth(req, resp, kind, scope) != 0)
		return -1;
	if (!sg_req_is_get(req)) {
		sg_resp_method(resp, "GET, HEAD");
		return -1;
	}
	if (id != NULL && !sg_id_valid(id)) {
		sg_resp_error(resp, 400, "invalid_id",
		    "The session id must match " ID_RULE ".");
		return -1;
	}
	return 0;
}

/*
 * 200 with the object o, or 500 when building it failed (!ok); what is
 * left of it (o, and orphan, a member not yet attached) is freed then.
 */
static void
reply_object(struct sg_resp *resp, int ok, cJSON *o, cJSON *orphan)
{
	if (!ok) {
		cJSON_Delete(orphan);
		cJSON_Delete(o);
		sg_resp_error(resp, 500, "out_of_memory", "Out of memory.");
		return;
	}
	sg_resp_json(resp, 200, o);
}

/*
 * A sandbox with a budget: what it has used so far, next to the limits
 * ("budget" of the session object), as "budget_used".  0 to go on.
 */
static int
add_used(struct app *q, const struct sg_session *s, cJSON *o,
    struct sg_resp *resp)
{
	struct sg_budget_use	 use;
	struct sg_err		 err;
	cJSON			*u;

	if (s->budget_requests <= 0 && s->budget_bytes <= 0)
		return 0;
	sg_err_clear(&err);
	if (sg_budget_get(q->redis, s->container_id, &use, &err) != SG_OK) {
		store_error(resp, &err);
		return -1;
	}
	if ((u = cJSON_AddObjectToObject(o, "budget_used")) == NULL ||
	    sg_json_add_int(u, "requests", use.requests) != 0 ||
	    sg_json_add_int(u, "bytes", use.bytes) != 0) {
		sg_resp_error(resp, 500, "out_of_memory", "Out of memory.");
		return -1;
	}
	return 0;
}

static void
get_one(struct app *q, struct sg_req *req, struct sg_resp *resp,
    const char *id)
{
	struct sg_session	 s;
	struct sg_err		 err;
	const char		*kind, *cid;
	cJSON			*o = NULL, *pol = NULL;

	if (read_checks(req, resp, NULL, NULL, id) != 0)
		return;
	kind = sg_req_param(req, "SG_KIND");
	if (strcmp(kind, "operator") == 0) {
		if (!sg_scope_has(sg_req_param(req, "SG_SCOPE"),
		    "sessions:read")) {
			sg_resp_error(resp, 403, "insufficient_scope",
			    "This resource needs the scope sessions:read.");
			return;
		}
	} else if (strcmp(kind, "container") == 0) {
		/* A container token reads its own session, nothing else. */
		cid = sg_req_param(req, "SG_CONTAINER_ID");
		if (cid == NULL || *cid == '\0' || strcmp(cid, id) != 0) {
			sg_resp_error(resp, 403, "forbidden",
			    "A container may read only its own session.");
			return;
		}
	} else {
		sg_resp_error(resp, 403, "forbidden",
		    "This identity may not read sessions.");
		return;
	}

	sg_session_init(&s);
	sg_err_clear(&err);
	switch (sg_session_get(q->redis, id, &s, &err)) {
	case SG_OK:
		break;
	case SG_ENOENT:
		sg_resp_error(resp, 404, "not_found",
		    "There is no session with this id.");
		goto out;
	default:
		store_error(resp, &err);
		goto out;
	}
	if ((o = sg_session_to_json(&s)) == NULL) {
		sg_resp_error(resp, 500, "out_of_memory", "Out of memory.");
		goto out;
	}
	strip_token(o);
	/* the policy as it stands now: grants that expired left out */
	if (s.policy != NULL && ((pol = sg_policy_to_json(s.policy,
	    (int64_t)time(NULL))) == NULL ||
	    !cJSON_ReplaceItemInObjectCaseSensitive(o, "policy", pol))) {
		cJSON_Delete(pol);
		cJSON_Delete(o);
		sg_resp_error(resp, 500, "out_of_memory", "Out of memory.");
		goto out;
	}
	if (add_used(q, &s, o, resp) != 0) {
		cJSON_Delete(o);
		goto out;
	}
	sg_resp_json(resp, 200, o);
out:
	sg_session_clear(&s);
}

static void
list(struct app *q, struct sg_req *req, struct sg_resp *resp)
{
	struct sg_err	 err;
	char		 user[SG_ID_MAX + 1];
	cJSON		*arr = NULL, *o = NULL, *it;
	int		 ok;

	if (read_checks(req, resp, "operator", "sessions:read", NULL) != 0)
		return;
	switch (sg_req_query(req, "user_id", user, sizeof(user))) {
	case 1:
		break;
	case 0:
		sg_resp_error(resp, 400, "missing_parameter",
		    "The query parameter user_id is required.");
		return;
	default:
		sg_resp_error(resp, 400, "invalid_parameter",
		    "The query string is malformed, repeats user_id, or "
		    "user_id is too long.");
		return;
	}
	if (!sg_id_valid(user)) {
		sg_resp_error(resp, 400, "invalid_parameter",
		    "user_id must match " ID_RULE ".");
		return;
	}
	sg_err_clear(&err);
	if (sg_session_list(q->redis, user, &arr, &err) != SG_OK) {
		store_error(resp, &err);
		return;
	}
	cJSON_ArrayForEach(it, arr)
		strip_token(it);
	ok = (o = cJSON_CreateObject()) != NULL &&
	    cJSON_AddItemToObjectCS(o, "sessions", arr);
	reply_object(resp, ok, o, ok ? NULL : arr);
}

/* "1".."1000" without sign, space or leading zero; -1 if not. */
static int
parse_limit(const char *s)
{
	int	 v = 0;
	size_t	 i;

	if (s[0] < '1' || s[0] > '9' || strlen(s) > 4)
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v <= SG_AUDIT_LIMIT_MAX ? v : -1;
}

/*
 * ?export=1: the sandbox's whole chained trail, oldest first, as JSON
 * lines (lib/chain.h), for `sandgate audit verify --file`.  Bounded by
 * SG_CHAIN_READ_MAX entries (413 beyond: export from Redis directly).
 */
static void
export(struct app *q, struct sg_resp *resp, const char *id)
{
	struct sg_err	 err;
	cJSON		*arr = NULL;
	char		*text;
	size_t		 len = 0;

	sg_err_clear(&err);
	if (sg_audit_trail(q->redis, id, SG_CHAIN_READ_MAX, &arr, &err) !=
	    SG_OK) {
		if (err.rc == SG_ETOOBIG)
			sg_resp_error(resp, 413, "trail_too_long", "%s",
			    err.msg);
		else
			store_error(resp, &err);
		return;
	}
	if (cJSON_GetArraySize(arr) == 0) {
		cJSON_Delete(arr);
		sg_resp_error(resp, 404, "not_found",
		    "This sandbox has no audit trail.");
		return;
	}
	text = sg_chain_export(arr, &len);
	cJSON_Delete(arr);
	if (text == NULL) {
		sg_resp_error(resp, 500, "out_of_memory", "Out of memory.");
		return;
	}
	resp->status = 200;
	resp->body = text;
	resp->bodylen = len;
	(void)sg_resp_header(resp, "Content-Type", "application/x-ndjson");
	(void)sg_resp_header(resp, "Cache-Control", "no-store");
}

static void
decisions(struct app *q, struct sg_req *req, struct sg_resp *resp,
    const char *id)
{
	struct sg_err	 err;
	char		 buf[16];
	cJSON		*arr = NULL, *o = NULL;
	size_t		 scanned = 0;
	int		 limit = SG_AUDIT_LIMIT_DEFAULT, complete = 0, ok;

	/* The audit trail is the operators': sessions:read, no container. */
	if (read_checks(req, resp, "operator", "sessions:read", id) != 0)
		return;
	switch (sg_req_query(req, "export", buf, sizeof(buf))) {
	case 0:
		break;
	case 1:
		if (strcmp(buf, "1") == 0) {
			export(q, resp, id);
			return;
		}
		/* FALLTHROUGH */
	default:
		sg_resp_error(resp, 400, "invalid_parameter",
		    "export must be 1.");
		return;
	}
	switch (sg_req_query(req, "limit", buf, sizeof(buf))) {
	case 0:
		break;
	case 1:
		if ((limit = parse_limit(buf)) > 0)
			break;
		/* FALLTHROUGH */
	default:
		sg_resp_error(resp, 400, "invalid_parameter",
		    "limit must be a number from 1 to %d.",
		    SG_AUDIT_LIMIT_MAX);
		return;
	}
	sg_err_clear(&err);
	if (sg_audit_read(q->redis, id, (size_t)limit, SG_AUDIT_SCAN_MAX,
	    &arr, &scanned, &complete, &err) != SG_OK) {
		store_error(resp, &err);
		return;
	}
	ok = (o = cJSON_CreateObject()) != NULL &&
	    sg_json_add_str(o, "container_id", id) == 0 &&
	    cJSON_AddItemToObjectCS(o, "decisions", arr) &&
	    (arr = NULL, sg_json_add_int(o, "scanned", (int64_t)scanned)) ==
	    0 && cJSON_AddBoolToObject(o, "complete", complete) != NULL;
	reply_object(resp, ok, o, arr);
}

/*
 * A scrape on the gateway's loopback metrics listener needs no token: the
 * web server says which of its sockets took the request (SERVER_ADDR and
 * SERVER_PORT, which no client header can set), and only that port
 * (SANDGATE_METRICS_PORT) on a loopback address is open.  The API's own
 * port still goes through the authorizer.
 */
static int
scrape_open(const struct app *q, const struct sg_req *req)
{
	const char	*a, *p;
	int64_t		 port;

	if (q->cfg->metrics_port == 0 ||
	    (a = sg_req_param(req, "SERVER_ADDR")) == NULL ||
	    (p = sg_req_param(req, "SERVER_PORT")) == NULL ||
	    sg_num_parse(p, 1, 65535, &port) == -1 ||
	    port != q->cfg->metrics_port)
		return 0;
	return strncmp(a, "127.", 4) == 0 || strcmp(a, "::1") == 0;
}

static void
metrics(struct app *q, struct sg_req *req, struct sg_resp *resp)
{
	struct sg_metrics_gauge	 g[3];
	struct sg_err		 err;
	char			*text = NULL;
	size_t			 len = 0, n = 0, ng = 0;
	int			 complete = 0, up;

	if (!scrape_open(q, req) &&
	    sg_req_auth(req, resp, "operator", "metrics:read") != 0)
		return;
	if (!sg_req_is_get(req)) {
		sg_resp_method(resp, "GET, HEAD");
		return;
	}
	if (!sg_metrics_enabled()) {
		sg_resp_error(resp, 503, "metrics_disabled",
		    "Metrics are off: SANDGATE_METRICS_DIR is not set.");
		return;
	}
	/*
	 * Live sessions are counted in Redis at scrape time rather than
	 * kept as created - destroyed: sessions also end by expiry (TTL),
	 * which no process sees, so a maintained gauge would drift.
	 */
	sg_err_clear(&err);
	up = sg_session_count_live(q->redis, LIVE_SCAN_ROUNDS, &n, &complete,
	    &err) == SG_OK;
	g[ng].name = "sandgate_session_store_up";
	g[ng].help = "1 if Redis answered the scrape's session count.";
	g[ng++].value = up;
	if (up) {
		g[ng].name = "sandgate_live_sessions";
		g[ng].help = "Sessions (live sandboxes) in Redis, counted "
		    "with a bounded SCAN at scrape time.";
		g[ng++].value = (double)n;
		g[ng].name = "sandgate_live_sessions_scan_complete";
		g[ng].help = "1 if the live-session count covered the whole "
		    "keyspace, 0 if it is a lower bound.";
		g[ng++].value = complete;
	}
	sg_err_clear(&err);
	if ((text = sg_metrics_render(g, ng, &len, &err)) == NULL) {
		sg_resp_error(resp, err.rc == SG_ENOMEM ? 500 : 503,
		    err.code != NULL ? err.code : "internal_error",
		    "The metrics could not be read.");
		return;
	}
	resp->status = 200;
	resp->body = text;
	resp->bodylen = len;
	(void)sg_resp_header(resp, "Content-Type", "%s", METRICS_TYPE);
	(void)sg_resp_header(resp, "Cache-Control", "no-store");
}

/* p is SESSIONS "/{id}" DECISIONS; id receives {id} (may be invalid). */
static int
is_decisions(const char *p, char *id, size_t size)
{
	size_t	 n = strlen(p), pl = sizeof(SESSIONS), sl;

	sl = sizeof(DECISIONS) - 1;
	if (strncmp(p, SESSIONS "/", pl) != 0 || n <= pl + sl ||
	    strcmp(p + n - sl, DECISIONS) != 0 || n - pl - sl >= size)
		return 0;
	memcpy(id, p + pl, n - pl - sl);
	id[n - pl - sl] = '\0';
	return 1;
}

void
query_handle(void *app, struct sg_req *req, struct sg_resp *resp)
{
	struct app	*q = app;
	const char	*p = req->path;
	char		 id[SG_HTTP_MAX_PATH + 1];

	if (p == NULL)
		sg_resp_error(resp, 404, "not_found", "No such resource.");
	else if (policy_handle(q, req, resp))
		return;
	else if (strcmp(p, SESSIONS) == 0)
		list(q, req, resp);
	else if (is_decisions(p, id, sizeof(id)))
		decisions(q, req, resp, id);
	else if (strcmp(p, SG_PATH_METRICS) == 0)
		metrics(q, req, resp);
	else if (strncmp(p, SESSIONS "/", sizeof(SESSIONS)) == 0)
		get_one(q, req, resp, p + sizeof(SESSIONS));
	else if (strcmp(p, "/healthz") == 0 ||
	    strcmp(p, "/healthz/session-query") == 0)
		healthz(q, req, resp);
	else
		sg_resp_error(resp, 404, "not_found", "No such resource.");
}
