/* SPDX-License-Identifier: ISC */
/*
 * sandbox-destroy: container first, session second.  If the session went
 * first and the container removal then failed, a running sandbox would
 * lose its record and only the reaper would find it; the other order
 * keeps the record until the container is really gone, and a repeat of
 * the request finishes the job (idempotent).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "claims.h"
#include "compat.h"
#include "destroy.h"
#include "json.h"
#include "clock.h"
#include "log.h"
#include "route.h"
#include "sandbox.h"

#define ROUTE_PREFIX	SG_PATH_SANDBOXES "/"

static void
keep_err(struct sg_err *err, const struct sg_err *e)
{
	if (err != NULL && err->rc == SG_OK)
		*err = *e;
}

enum sg_rc
destroy_sandbox(struct app *app, const char *id,
    struct destroy_result *res, struct sg_err *err)
{
	struct sg_session	 sess;
	struct sg_err		 e;
	cJSON			*ins = NULL;
	const cJSON		*labels;
	const char		*v;
	char			 did[SG_DOCKER_ID_MAX + 1] = "";
	char			 user[SG_ID_MAX + 1] = "";
	enum sg_rc		 rc;

	memset(res, 0, sizeof(*res));
	sg_session_init(&sess);
	if (!sg_id_valid(id))
		return sg_err_set(err, SG_EINVAL, "bad_container_id",
		    "the container id must match ^[A-Za-z0-9_-]{1,128}$");

	/*
	 * Docker resolves a name or an id prefix; only a container that
	 * carries our label for exactly this id is ours to remove.
	 */
	sg_err_clear(&e);
	rc = sg_docker_container_inspect(app->docker, id, &ins, &e);
	if (rc == SG_OK) {
		labels = sg_json_get(sg_json_get(ins, "Config"), "Labels");
		v = sg_json_str(labels, SG_LABEL_CONTAINER_ID);
		if (v != NULL && strcmp(v, id) == 0) {
			v = sg_json_str(ins, "Id");
			if (v == NULL || !sg_docker_name_valid(v) ||
			    strlcpy(did, v, sizeof(did)) >= sizeof(did)) {
				rc = sg_err_set(err, SG_EUPSTREAM,
				    "docker_error",
				    "docker inspect has no usable Id");
				goto out;
			}
			res->had_container = 1;
			v = sg_json_str(labels, SG_LABEL_USER_ID);
			if (v != NULL && sg_id_valid(v))
				(void)strlcpy(user, v, sizeof(user));
		}
	} else if (rc != SG_ENOENT) {
		keep_err(err, &e);
		goto out;
	}

	if (res->had_container) {
		sg_err_clear(&e);
		rc = sg_sandbox_remove(app->docker, did, 1, &e);
		if (rc == SG_ECONFLICT) {
			/* "removal already in progress": come back later. */
			rc = sg_err_set(err, SG_EUNAVAIL, "docker_busy",
			    "the container is being removed; retry");
			goto out;
		}
		if (rc != SG_OK) {
			keep_err(err, &e);
			goto out;
		}
	}

	sg_err_clear(&e);
	rc = sg_session_get(app->redis, id, &sess, &e);
	if (rc == SG_OK) {
		res->had_session = 1;
		if (sg_id_valid(sess.user_id))
			(void)strlcpy(user, sess.user_id, sizeof(user));
	} else if (rc != SG_ENOENT) {
		keep_err(err, &e);
		goto out;
	}
	if ((res->had_session || res->had_container) &&
	    (rc = sg_sandbox_forget(app->redis, id,
	    user[0] != '\0' ? user : NULL, err)) != SG_OK)
		goto out;
	rc = SG_OK;
out:
	sg_session_clear(&sess);
	cJSON_Delete(ins);
	return rc;
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
		switch (sg_rc_http_dep(err.rc)) {
		case 503:
			sg_resp_error(resp, 503, err.code,
			    "a dependency is unavailable; the sandbox is kept, "
			    "try again later");
			break;
		case 500:
			sg_resp_error(resp, 500, err.code != NULL ? err.code :
			    "internal_error", "the sandbox could not be "
			    "destroyed");
			break;
		default:
			sg_resp_error(resp, 502, err.code != NULL ? err.code :
			    "bad_gateway", "the sandbox could not be "
			    "destroyed");
			break;
		}
		(void)snprintf(lat, sizeof(lat), "%" PRId64,
		    sg_now_us() - t0);
		sg_log(SG_LOG_WARN, "sandbox_destroy_failed", "container_id",
		    id, "sub", sub != NULL ? sub : "", "reason",
		    err.code != NULL ? err.code : "", "detail", err.msg,
		    "latency_us", lat, NULL);
		return;
	}
	if (!res.had_container && !res.had_session) {
		sg_resp_error(resp, 404, "not_found", "no such sandbox");
		return;
	}
	sg_resp_json(resp, 204, NULL);
	(void)snprintf(lat, sizeof(lat), "%" PRId64, sg_now_us() - t0);
	sg_log(SG_LOG_INFO, "sandbox_destroyed", "container_id", id,
	    "sub", sub != NULL ? sub : "",
	    "container", res.had_container ? "removed" : "absent",
	    "session", res.had_session ? "deleted" : "absent",
	    "latency_us", lat, NULL);
}
