/* SPDX-License-Identifier: ISC */
/*
 * sandbox-destroy: revocation first, teardown second.  The session is
 * deleted before Docker is asked anything, so the token dies at
 * token-verify within SANDGATE_SESSION_CACHE_MS however slow or broken
 * the engine is.  A container left running when Docker then fails has
 * no session: it is an orphan to `sandgate reap` (tools/sandgate/reap.c),
 * which removes it on its next pass; a repeat of the request finishes
 * the job too (idempotent).  The answer says which happened: 204 when the
 * container is gone, 202 {"revoked":true,"teardown":"pending"} when only
 * the revocation is done.
 *
 * Tunnels: the proxy checked the token when a CONNECT began, so a tunnel
 * opened before the revocation would keep flowing.  Right after the
 * revocation every host socket whose peer is the sandbox's recorded
 * address is cut (lib/tunnel.h), and once more after the Docker step,
 * for tunnels a token-verify worker let through from its session cache
 * in between.  When the container is gone that second cut only tidies
 * up; when it may still run (teardown pending) the second cut waits
 * until the cache period since the revocation is over (at most
 * CUT_WAIT_MAX_MS), so that no tunnel admitted on a cached lookup
 * survives the DELETE.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "claims.h"
#include "compat.h"
#include "destroy.h"
#include "json.h"
#include "clock.h"
#include "log.h"
#include "route.h"
#include "sandbox.h"
#include "tunnel.h"

#define ROUTE_PREFIX	SG_PATH_SANDBOXES "/"
#define CUT_WAIT_MAX_MS	5000	/* longest wait for the second cut */

static void
keep_err(struct sg_err *err, const struct sg_err *e)
{
	if (err != NULL && err->rc == SG_OK)
		*err = *e;
}

/*
 * Step 1: read the session (its user, for the index entry) and delete
 * it.  Any Redis failure stops here with nothing done: the token may
 * still work, so the caller must hear a 5xx.
 */
static enum sg_rc
revoke(struct app *app, const char *id, struct destroy_result *res,
    char user[SG_ID_MAX + 1], struct sg_err *err)
{
	struct sg_session	 sess;
	struct sg_err		 e;
	enum sg_rc		 rc;

	sg_session_init(&sess);
	sg_err_clear(&e);
	rc = sg_session_get(app->redis, id, &sess, &e);
	if (rc == SG_ENOENT) {
		rc = SG_OK;
		goto out;
	}
	if (rc != SG_OK) {
		keep_err(err, &e);
		goto out;
	}
	res->had_session = 1;
	if (sg_id_valid(sess.user_id))
		(void)strlcpy(user, sess.user_id, SG_ID_MAX + 1);
	(void)strlcpy(res->ip, sess.container_ip, sizeof(res->ip));
	(void)strlcpy(res->engine, sess.engine, sizeof(res->engine));
	if ((rc = sg_sandbox_forget(app->redis, id,
	    user[0] != '\0' ? user : NULL, err)) != SG_OK)
		goto out;
	res->revoked = 1;
	res->revoked_us = sg_now_us();
	sg_log(SG_LOG_INFO, "sandbox_revoked", "container_id", id,
	    "user_id", user, (char *)NULL);
out:
	sg_session_clear(&sess);
	return rc;
}

/*
 * Step 2 on one engine: the container, only one that carries our label
 * for exactly this id (Docker resolves a name or an id prefix too).
 * *found: it was there.
 */
static enum sg_rc
teardown_on(struct sg_docker *d, const char *id, int *found,
    struct sg_err *err)
{
	struct sg_err	 e;
	cJSON		*ins = NULL;
	const cJSON	*labels;
	const char	*v;
	char		 did[SG_DOCKER_ID_MAX + 1] = "";
	enum sg_rc	 rc;

	*found = 0;
	sg_err_clear(&e);
	rc = sg_docker_container_inspect(d, id, &ins, &e);
	if (rc == SG_ENOENT) {
		rc = SG_OK;
		goto out;
	}
	if (rc != SG_OK) {
		keep_err(err, &e);
		goto out;
	}
	labels = sg_json_get(sg_json_get(ins, "Config"), "Labels");
	v = sg_json_str(labels, SG_LABEL_CONTAINER_ID);
	if (v == NULL || strcmp(v, id) != 0)
		goto out;		/* not ours: rc is SG_OK */
	v = sg_json_str(ins, "Id");
	if (v == NULL || !sg_docker_name_valid(v) ||
	    strlcpy(did, v, sizeof(did)) >= sizeof(did)) {
		rc = sg_err_set(err, SG_EUPSTREAM, "docker_error",
		    "docker inspect has no usable Id");
		goto out;
	}
	*found = 1;
	sg_err_clear(&e);
	rc = sg_sandbox_remove(d, did, 1, &e);
	if (rc == SG_ECONFLICT)
		/* "removal already in progress": Docker is on it. */
		rc = sg_err_set(err, SG_EUNAVAIL, "docker_busy",
		    "the container is being removed");
	else if (rc != SG_OK)
		keep_err(err, &e);
out:
	cJSON_Delete(ins);
	return rc;
}

/*
 * Step 2: on the session's engine when there was a session; without one
 * (a repeat, an orphan) on every engine, until one had it.  An engine
 * that did not answer makes the call fail (the container may be there),
 * unless another had it.
 */
static enum sg_rc
teardown(struct app *app, const char *id, struct destroy_result *res,
    struct sg_err *err)
{
	struct sg_engine	*eng;
	struct sg_err		 e1;
	enum sg_rc		 rc, first = SG_OK;
	size_t			 i;
	int			 found = 0;

	if (res->had_session) {
		if ((eng = sg_engines_find(app->engines, res->engine)) == NULL)
			return sg_err_set(err, SG_EUNAVAIL, "engine_unknown",
			    "the session names engine \"%s\", which "
			    "SANDGATE_DOCKER_HOSTS does not list", res->engine);
		rc = teardown_on(eng->docker, id, &found, err);
		res->had_container = found;
		return rc;
	}
	for (i = 0; i < app->engines->n && !found; i++) {
		sg_err_clear(&e1);
		rc = teardown_on(app->engines->e[i].docker, id, &found, &e1);
		if (found) {
			res->had_container = 1;
			if (rc != SG_OK)
				*err = e1;
			return rc;
		}
		if (rc != SG_OK && first == SG_OK) {
			first = rc;
			keep_err(err, &e1);
		}
	}
	return first;
}

/*
 * Cut the sandbox's connections (see the top of the file).  A failure is
 * logged, never fatal: the token is dead already, and the tunnels end
 * with the container at the latest.
 */
static void
cut(const char *id, struct destroy_result *res)
{
	struct sg_err	 e;
	size_t		 n = 0;
	char		 num[24];

	if (res->ip[0] == '\0')
		return;			/* network none: nothing to cut */
	sg_err_clear(&e);
	if (sg_tunnel_cut(res->ip, &n, &e) != SG_OK) {
		res->cut_failed = 1;
		sg_log(SG_LOG_WARN, "tunnel_cut_failed", "container_id", id,
		    "reason", e.code != NULL ? e.code : "", "detail", e.msg,
		    (char *)NULL);
	}
	res->cut += n;
	if (n > 0) {
		(void)snprintf(num, sizeof(num), "%zu", n);
		sg_log(SG_LOG_INFO, "tunnels_cut", "container_id", id,
		    "sockets", num, (char *)NULL);
	}
}

/* Sleep until the monotonic clock reads at least until_us. */
static void
sleep_until(int64_t until_us)
{
	struct timespec	 ts;
	int64_t		 d;

	while ((d = until_us - sg_now_us()) > 0) {
		ts.tv_sec = (time_t)(d / 1000000);
		ts.tv_nsec = (long)(d % 1000000) * 1000;
		(void)nanosleep(&ts, NULL);
	}
}

enum sg_rc
destroy_sandbox(struct app *app, const char *id,
    struct destroy_result *res, struct sg_err *err)
{
	char		 user[SG_ID_MAX + 1] = "";
	enum sg_rc	 rc;

	memset(res, 0, sizeof(*res));
	if (!sg_id_valid(id))
		return sg_err_set(err, SG_EINVAL, "bad_container_id",
		    "the container id must match ^[A-Za-z0-9_-]{1,128}$");
	if ((rc = revoke(app, id, res, user, err)) != SG_OK) {
		res->revoke_failed = 1;
		return rc;
	}
	if (res->revoked)
		cut(id, res);
	if ((rc = teardown(app, id, res, err)) != SG_OK && res->revoked)
		res->pending = 1;
	if (res->revoked) {
		if (res->pending && app->cfg != NULL)
			sleep_until(res->revoked_us + 1000 *
			    (app->cfg->session_cache_ms < CUT_WAIT_MAX_MS ?
			    app->cfg->session_cache_ms : CUT_WAIT_MAX_MS));
		cut(id, res);
	}
	return rc;
}

/* 202: revoked, the container is left to the reaper or a repeat. */
static void
reply_pending(struct sg_resp *resp, const char *id, const struct sg_err *err)
{
	cJSON	*o;

	if ((o = cJSON_CreateObject()) == NULL ||
	    sg_json_add_str(o, "container_id", id) == -1 ||
	    cJSON_AddTrueToObject(o, "revoked") == NULL ||
	    sg_json_add_str(o, "teardown", "pending") == -1 ||
	    sg_json_add_str(o, "reason", err->code != NULL ? err->code :
	    "docker_error") == -1) {
		cJSON_Delete(o);
		sg_resp_error(resp, 500, "internal_error", "out of memory");
		return;
	}
	sg_resp_json(resp, 202, o);
}

static void
reply_failed(struct sg_resp *resp, const struct destroy_result *res,
    const struct sg_err *err)
{
	switch (sg_rc_http_dep(err->rc)) {
	case 503:
		if (res->revoke_failed)
			sg_resp_error(resp, 503, err->code, "the session "
			    "could not be revoked, so the token may still "
			    "work: try again later");
		else
			sg_resp_error(resp, 503, err->code, "no session of "
			    "this id exists (no token for it works), but "
			    "Docker could not be asked about its container: "
			    "try again later");
		break;
	case 500:
		sg_resp_error(resp, 500, err->code != NULL ? err->code :
		    "internal_error", "the sandbox could not be destroyed");
		break;
	default:
		sg_resp_error(resp, 502, err->code != NULL ? err->code :
		    "bad_gateway", "the sandbox could not be destroyed");
		break;
	}
}

/*
 * GET /healthz (also /healthz/sandbox-destroy, as the gateways route it):
 * 200 when both Docker (GET /_ping) and Redis (PING) answer, the two
 * things a destroy needs; else 503 naming the first that does not.  No
 * token: it says nothing about any sandbox.
 */
static void
destroy_healthz(struct app *app, struct sg_req *req, struct sg_resp *resp)
{
	cJSON		*o;
	const char	*docker, *redis, *code = NULL, *msg = NULL;
	size_t		 i, up = 0;

	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
		sg_resp_method(resp, "GET");
		return;
	}
	for (i = 0; i < app->engines->n; i++)
		up += sg_docker_ping(app->engines->e[i].docker, NULL) == SG_OK;
	docker = up == app->engines->n ? "ok" : up > 0 ? "degraded" :
	    "unavailable";
	redis = sg_redis_ping(app->redis, NULL) == SG_OK ? "ok" :
	    "unavailable";
	if (up == 0) {
		code = "docker_unavailable";
		msg = "The Docker daemon does not answer.";
	} else if (strcmp(redis, "ok") != 0) {
		code = "redis_unavailable";
		msg = "Redis does not answer.";
	}
	if ((o = cJSON_CreateObject()) == NULL ||
	    sg_json_add_str(o, "status", code == NULL ? "ok" :
	    "unavailable") != 0 ||
	    sg_json_add_str(o, "service", "sandbox-destroy") != 0 ||
	    sg_json_add_str(o, "docker", docker) != 0 ||
	    sg_json_add_str(o, "redis", redis) != 0 ||
	    (app->engines->n > 1 && sg_json_add_int(o, "engines_up",
	    (int64_t)up) != 0) ||
	    (code != NULL && (sg_json_add_str(o, "error", code) != 0 ||
	    sg_json_add_str(o, "message", msg) != 0))) {
		cJSON_Delete(o);
		sg_resp_error(resp, 500, "out_of_memory", "Out of memory.");
		return;
	}
	sg_resp_json(resp, code == NULL ? 200 : 503, o);
}

void
destroy_handle(void *arg, struct sg_req *req, struct sg_resp *resp)
{
	struct app	*app = arg;
	struct destroy_result	 res;
	struct sg_err		 err;
	const char		*id, *sub;
	char			 lat[32];
	int64_t			 t0 = sg_now_us();

	sg_err_clear(&err);
	sub = sg_req_param(req, "SG_SUB");
	if (sub == NULL)
		sub = "";
	if (req->path != NULL && (strcmp(req->path, "/healthz") == 0 ||
	    strcmp(req->path, "/healthz/sandbox-destroy") == 0)) {
		destroy_healthz(app, req, resp);
		return;
	}
	if (req->path == NULL || strncmp(req->path, ROUTE_PREFIX,
	    strlen(ROUTE_PREFIX)) != 0) {
		sg_resp_error(resp, 404, "not_found", "no such route");
		return;
	}
	if (strcmp(req->method, "DELETE") != 0) {
		sg_resp_method(resp, "DELETE");
		return;
	}
	if (sg_req_auth(req, resp, "operator", "sandboxes:destroy") != 0)
		return;
	id = req->path + strlen(ROUTE_PREFIX);
	if (!sg_id_valid(id)) {
		sg_resp_error(resp, 400, "bad_container_id",
		    "the container id must match ^[A-Za-z0-9_-]{1,128}$");
		return;
	}

	if (destroy_sandbox(app, id, &res, &err) != SG_OK) {
		if (res.pending)
			reply_pending(resp, id, &err);
		else
			reply_failed(resp, &res, &err);
		(void)snprintf(lat, sizeof(lat), "%" PRId64,
		    sg_now_us() - t0);
		sg_log(SG_LOG_WARN, "sandbox_destroy_failed", "container_id",
		    id, "sub", sub, "reason", err.code != NULL ? err.code : "",
		    "detail", err.msg, "revoked", res.revoked ? "yes" : "no",
		    "teardown", res.pending ? "pending" : "failed",
		    "latency_us", lat, (char *)NULL);
		return;
	}
	if (!res.had_container && !res.had_session) {
		sg_resp_error(resp, 404, "not_found", "no such sandbox");
		return;
	}
	sg_resp_json(resp, 204, NULL);
	(void)snprintf(lat, sizeof(lat), "%" PRId64, sg_now_us() - t0);
	sg_log(SG_LOG_INFO, "sandbox_destroyed", "container_id", id,
	    "sub", sub,
	    "container", res.had_container ? "removed" : "absent",
	    "session", res.had_session ? "deleted" : "absent",
	    "tunnels", res.cut_failed ? "cut_failed" : "cut",
	    "latency_us", lat, (char *)NULL);
	sg_sandbox_seal(app->redis, app->key, id, "sandbox-destroy",
	    "sandbox_destroyed");
}
