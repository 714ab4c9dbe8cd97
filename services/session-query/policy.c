/* SPDX-License-Identifier: ISC */
/*
 * session-query: the narrow-only policy of a running sandbox
 * (docs/contract.md §10; lib/policy.h):
 *
 *   GET    /v1/sandboxes/{id}/policy   sessions:read -> 200 effective
 *   PATCH  /v1/sandboxes/{id}/policy   sandboxes:update, an overlay
 *                                      -> 200 effective, 400 widening
 *   DELETE /v1/sandboxes/{id}/policy   sandboxes:update -> 200 effective
 *                                      (overlay and grants removed)
 *   POST   /v1/sandboxes/{id}/grants   sandboxes:update,
 *                                      {"host","minutes"} -> 201
 *
 * The policy lives in the session (so it ends with it) and is written
 * with a compare-and-set (sg_session_replace): never onto a destroyed
 * session, never over a concurrent change (409 after a few tries).
 * Each change is a "policy_changed" line in the log and the audit trail
 * with the operator's sub.  token-verify sees it within
 * SANDGATE_SESSION_CACHE_MS.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "claims.h"
#include "compat.h"
#include "hosts.h"
#include "json.h"
#include "log.h"
#include "policy.h"
#include "query.h"
#include "request.h"
#include "response.h"
#include "route.h"
#include "session.h"

#define TRIES		3	/* compare-and-set attempts */

enum op { OP_GET, OP_SET, OP_DELETE, OP_GRANT };

static void
store_fail(struct sg_resp *resp, const struct sg_err *err)
{
	switch (err->rc) {
	case SG_ENOENT:
		sg_resp_error(resp, 404, "not_found",
		    "There is no sandbox with this id.");
		break;
	case SG_ECONFLICT:
		sg_resp_error(resp, 409, "policy_conflict",
		    "The policy was changed concurrently; retry.");
		break;
	default:
		sg_resp_store_error(resp, err);
		break;
	}
}

/* The effective policy of s at now (token AND (overlay OR grants)). */
static cJSON *
effective_json(const struct sg_session *s, int64_t now)
{
	cJSON		*o, *tok, *pol = NULL, *arr;
	int64_t		 exp = s->expires_at;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (sg_json_add_str(o, "container_id", s->container_id) == -1 ||
	    (tok = sg_session_to_json(s)) == NULL)
		goto fail;
	/* the token's ceiling, from the session (same hosts, same exp) */
	arr = cJSON_DetachItemFromObjectCaseSensitive(tok, "allowed_hosts");
	cJSON_Delete(tok);
	if (arr == NULL)
		goto fail;
	cJSON_AddItemToObject(o, "token_allowed_hosts", arr);
	if (sg_json_add_int(o, "token_expires_at", s->expires_at) == -1)
		goto fail;
	if (s->policy != NULL && s->policy->overlay) {
		if ((pol = sg_policy_to_json(s->policy, now)) == NULL)
			goto fail;
		if (s->policy->expires_at != 0 && s->policy->expires_at < exp)
			exp = s->policy->expires_at;
		cJSON_AddItemToObject(o, "overlay", pol);
	} else if (cJSON_AddNullToObject(o, "overlay") == NULL)
		goto fail;
	if (sg_json_add_int(o, "expires_at", exp) == -1 ||
	    cJSON_AddBoolToObject(o, "expired", now >= exp) == NULL)
		goto fail;
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

static void
reply_effective(struct sg_resp *resp, int status, const struct sg_session *s,
    int64_t now)
{
	cJSON	*o;

	if ((o = effective_json(s, now)) == NULL) {
		sg_resp_error(resp, 500, "out_of_memory", "Out of memory.");
		return;
	}
	sg_resp_json(resp, status, o);
}

/* {"host": pattern, "minutes": 1..SG_POLICY_GRANT_MIN_MAX} */
static int
parse_grant(const cJSON *b, struct sg_policy_grant *g, int64_t *minutes,
    struct sg_resp *resp)
{
	const cJSON	*it, *h;
	struct sg_err	 e;
	int		 n = 0;

	cJSON_ArrayForEach(it, b) {
		n++;
		if (it->string == NULL || (strcmp(it->string, "host") != 0 &&
		    strcmp(it->string, "minutes") != 0)) {
			sg_resp_error(resp, 400, "unknown_field",
			    "A grant takes only host and minutes.");
			return -1;
		}
	}
	h = sg_json_get(b, "host");
	sg_err_clear(&e);
	memset(g, 0, sizeof(*g));
	if (n != 2 || !cJSON_IsString(h) || h->valuestring == NULL ||
	    strlen(h->valuestring) > SG_HOST_MAX + 8 ||
	    sg_hostpat_parse(h->valuestring, strlen(h->valuestring), &g->pat,
	    &e) != SG_OK) {
		sg_resp_error(resp, 400, "bad_host",
		    "host must be one host pattern, given once with minutes.");
		return -1;
	}
	sg_err_clear(&e);
	if (sg_json_int(b, "minutes", 1, SG_POLICY_GRANT_MIN_MAX, minutes,
	    &e) != SG_OK) {
		sg_resp_error(resp, 400, "bad_minutes",
		    "minutes must be a whole number from 1 to %d.",
		    SG_POLICY_GRANT_MIN_MAX);
		return -1;
	}
	return 0;
}

/*
 * The new policy of s for op and body into *np (malloc'd; NULL for
 * none).  0 to write it, -1 with resp set.
 */
static int
build(enum op op, const struct sg_session *s, const cJSON *body,
    const char *sub, int64_t now, struct sg_policy **np, struct sg_resp *resp)
{
	struct sg_policy	*p;
	struct sg_hostlist	 hosts;
	struct sg_policy_grant	 g;
	struct sg_err		 err;
	int64_t			 minutes = 0, rev;
	int			 ret = -1;

	*np = NULL;
	rev = s->policy != NULL ? s->policy->rev : 0;
	if (op == OP_DELETE)
		return 0;
	sg_err_clear(&err);
	if ((p = calloc(1, sizeof(*p))) == NULL || (s->policy != NULL &&
	    sg_policy_copy(p, s->policy, &err) != SG_OK)) {
		free(p);
		sg_resp_error(resp, 500, "out_of_memory", "Out of memory.");
		return -1;
	}
	sg_policy_prune(p, now);
	sg_hostlist_init(&hosts);
	sg_err_clear(&err);
	if (sg_hosts_parse(s->allowed_hosts != NULL ? s->allowed_hosts : "",
	    s->allowed_hosts != NULL ? strlen(s->allowed_hosts) : 0, &hosts,
	    &err) != SG_OK) {
		sg_resp_error(resp, 500, "internal_error",
		    "The session's hosts do not parse.");
		goto out;
	}
	if (op == OP_SET) {
		sg_err_clear(&err);
		if (sg_policy_parse_overlay(body, p, &err) != SG_OK) {
			sg_resp_from_err(resp, &err);
			goto out;
		}
		if (p->expires_at != 0 && p->expires_at <= now) {
			sg_resp_error(resp, 400, "bad_expires_at",
			    "expires_at must be in the future.");
			goto out;
		}
		(void)strlcpy(p->set_by, sub, sizeof(p->set_by));
		p->set_at = now;
	} else {
		if (parse_grant(body, &g, &minutes, resp) != 0)
			goto out;
		if (!p->overlay) {
			sg_resp_error(resp, 409, "no_overlay",
			    "Without an overlay the token already allows "
			    "every host in it; set an overlay first.");
			goto out;
		}
		if (p->ngrants >= SG_POLICY_MAX_GRANTS) {
			sg_resp_error(resp, 409, "too_many_grants",
			    "A sandbox has at most %d live grants.",
			    SG_POLICY_MAX_GRANTS);
			goto out;
		}
		g.expires_at = now + minutes * 60;
		if (g.expires_at > s->expires_at)
			g.expires_at = s->expires_at;
		(void)strlcpy(g.by, sub, sizeof(g.by));
		p->grants[p->ngrants++] = g;
	}
	sg_err_clear(&err);
	if (sg_policy_narrows(p, &hosts, s->expires_at, &err) != SG_OK) {
		sg_resp_from_err(resp, &err);
		goto out;
	}
	p->rev = rev + 1;
	*np = p;
	p = NULL;
	ret = 0;
out:
	sg_hostlist_clear(&hosts);
	sg_policy_free(p);
	return ret;
}

/* The audit entry of a change: who, what, and the new stored form. */
static void
audit(enum op op, const struct sg_session *s, const char *sub)
{
	static const char *const names[] = { "get", "set", "delete", "grant" };
	cJSON	*pol = NULL;
	char	*txt = NULL;

	if (s->policy != NULL && (pol = sg_policy_to_json(s->policy, 0)) !=
	    NULL)
		txt = sg_json_print(pol);
	sg_log(SG_LOG_INFO, "policy_changed", "container_id",
	    s->container_id, "user_id", s->user_id, "sub", sub, "action",
	    names[op], "policy", txt != NULL ? txt : "", (char *)NULL);
	free(txt);
	cJSON_Delete(pol);
}

static void
policy_do(struct app *q, struct sg_req *req, struct sg_resp *resp,
    const char *id, enum op op)
{
	struct sg_session	 s;
	struct sg_policy	*np = NULL;
	struct sg_err		 err;
	const char		*sub;
	cJSON			*body = NULL;
	int64_t			 now = (int64_t)time(NULL), rev;
	int			 i;

	sg_session_init(&s);
	if (sg_req_auth(req, resp, "operator", op == OP_GET ?
	    "sessions:read" : "sandboxes:update") != 0)
		return;
	sub = sg_req_param(req, "SG_SUB");
	if (sub == NULL || !sg_str_printable(sub))
		sub = "-";
	if (op == OP_SET || op == OP_GRANT) {
		if (req->bodylen > SG_POLICY_MAX_BODY) {
			sg_resp_error(resp, 413, "payload_too_large",
			    "The body is over %d bytes.", SG_POLICY_MAX_BODY);
			return;
		}
		if ((body = sg_req_json(req, resp)) == NULL)
			return;
	}
	for (i = 0; i < TRIES; i++) {
		sg_session_clear(&s);
		sg_err_clear(&err);
		if (sg_session_get(q->redis, id, &s, &err) != SG_OK) {
			store_fail(resp, &err);
			goto out;
		}
		if (s.expires_at <= now) {
			sg_resp_error(resp, 404, "not_found",
			    "There is no sandbox with this id.");
			goto out;
		}
		if (op == OP_GET) {
			reply_effective(resp, 200, &s, now);
			goto out;
		}
		if (build(op, &s, body, sub, now, &np, resp) != 0)
			goto out;
		rev = s.policy != NULL ? s.policy->rev : 0;
		sg_policy_free(s.policy);
		s.policy = np;
		np = NULL;
		sg_err_clear(&err);
		if (sg_session_replace(q->redis, &s, rev, &err) == SG_OK) {
			audit(op, &s, sub);
			reply_effective(resp, op == OP_GRANT ? 201 : 200, &s,
			    now);
			goto out;
		}
		if (err.rc != SG_ECONFLICT)
			break;
	}
	store_fail(resp, &err);
out:
	sg_policy_free(np);
	cJSON_Delete(body);
	sg_session_clear(&s);
}

int
policy_handle(struct app *q, struct sg_req *req, struct sg_resp *resp)
{
	char		 id[SG_ID_MAX + 1];
	unsigned	 scope;
	enum sg_route	 r;
	const char	*p = req->path;
	size_t		 pl = sizeof(SG_PATH_SANDBOXES);

	if (p == NULL || strncmp(p, SG_PATH_SANDBOXES "/", pl) != 0 ||
	    (strstr(p + pl, SG_PATH_POLICY) == NULL &&
	    strstr(p + pl, SG_PATH_GRANTS) == NULL))
		return 0;
	r = sg_route_match(req->method, p, &scope, id);
	switch (r) {
	case SG_ROUTE_POLICY_GET:
		policy_do(q, req, resp, id, OP_GET);
		break;
	case SG_ROUTE_POLICY_SET:
		policy_do(q, req, resp, id, OP_SET);
		break;
	case SG_ROUTE_POLICY_DELETE:
		policy_do(q, req, resp, id, OP_DELETE);
		break;
	case SG_ROUTE_GRANT_ADD:
		policy_do(q, req, resp, id, OP_GRANT);
		break;
	default:
		if (sg_route_match("GET", p, &scope, id) ==
		    SG_ROUTE_POLICY_GET)
			sg_resp_method(resp, "GET, HEAD, PATCH, DELETE");
		else if (sg_route_match("POST", p, &scope, id) ==
		    SG_ROUTE_GRANT_ADD)
			sg_resp_method(resp, "POST");
		else
			return 0;
		break;
	}
	return 1;
}
