/* SPDX-License-Identifier: ISC */
/*
 * sandbox-create: GET /healthz (also /healthz/sandbox-create, as the
 * gateways route it), open like the other services' health checks.  It
 * answers 200 only when a create could get past its dependencies on
 * Docker: the daemon answers GET /info, its "Runtimes" has the
 * configured SANDGATE_RUNTIME, and the sandbox network exists.  Anything
 * else is 503 (with Retry-After, sg_resp_serialize) naming the first
 * check that failed.  Two Docker calls at most, each bounded by
 * SANDGATE_DOCKER_TIMEOUT; the second is made only when the daemon
 * answered the first; a worker probes at most every 2 s (the route is
 * open) and answers from its last probe in between.  The body names the
 * runtime, so a monitor sees a service that runs sandboxes without
 * gVisor (issue 14).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "create.h"
#include "create-int.h"
#include "json.h"
#include "log.h"

int
create_runtime_is_gvisor(const char *runtime)
{
	return runtime != NULL && strcmp(runtime, CREATE_GVISOR_RUNTIME) == 0;
}

void
create_runtime_warn(const struct sg_cfg *cfg)
{
	if (create_runtime_is_gvisor(cfg->runtime))
		return;
	sg_log(SG_LOG_WARN, "runtime_not_gvisor", "runtime", cfg->runtime,
	    "message", "Sandboxes run without gVisor, on the host kernel: "
	    "SANDGATE_RUNTIME is not " CREATE_GVISOR_RUNTIME ".", (char *)NULL);
}

/* Why the daemon did not answer, for a client: never its own message. */
static const char *
docker_sentence(const char *code)
{
	if (code != NULL && strcmp(code, "docker_timeout") == 0)
		return "The Docker daemon did not answer within "
		    "SANDGATE_DOCKER_TIMEOUT.";
	if (code != NULL && strcmp(code, "docker_unavailable") == 0)
		return "The Docker daemon cannot be reached on "
		    "SANDGATE_DOCKER_SOCKET.";
	return "The Docker daemon answered with an error.";
}

int
create_health_answer(const struct sg_cfg *cfg, const struct create_health *h,
    cJSON **out)
{
	cJSON		*o;
	const char	*code = NULL, *msg = NULL;
	char		 sentence[200];
	int		 answered, up;

	*out = NULL;
	answered = h->docker == SG_OK;
	if (!answered) {
		code = h->docker_code != NULL ? h->docker_code :
		    "docker_error";
		msg = docker_sentence(h->docker_code);
	} else if (!h->runtime_ok) {
		code = "runtime_unavailable";
		(void)snprintf(sentence, sizeof(sentence), "The Docker daemon "
		    "has no runtime \"%s\": register it or change "
		    "SANDGATE_RUNTIME.", cfg->runtime);
		msg = sentence;
	} else if (!h->network_ok) {
		code = "network_unavailable";
		(void)snprintf(sentence, sizeof(sentence), "The sandbox "
		    "network \"%s\" does not exist: check SANDGATE_NETWORK.",
		    cfg->network);
		msg = sentence;
	}
	up = code == NULL;

	if ((o = cJSON_CreateObject()) == NULL ||
	    sg_json_add_str(o, "status", up ? "ok" : "unavailable") != 0 ||
	    sg_json_add_str(o, "service", "sandbox-create") != 0 ||
	    sg_json_add_str(o, "runtime", cfg->runtime) != 0 ||
	    (!create_runtime_is_gvisor(cfg->runtime) &&
	    sg_json_add_str(o, "warning", "runtime_not_gvisor") != 0) ||
	    sg_json_add_str(o, "docker", answered ? "ok" : "down") != 0 ||
	    (answered && cJSON_AddBoolToObject(o, "runtime_registered",
	    h->runtime_ok) == NULL) ||
	    sg_json_add_str(o, "network", cfg->network) != 0 ||
	    (answered && cJSON_AddBoolToObject(o, "network_exists",
	    h->network_ok) == NULL) ||
	    (!up && (sg_json_add_str(o, "error", code) != 0 ||
	    sg_json_add_str(o, "message", msg) != 0))) {
		cJSON_Delete(o);
		return 500;
	}
	*out = o;
	return up ? 200 : 503;
}

/* Whether one probe's answer settles its check (*ok) or the daemon's. */
static void
probe(struct create_health *h, enum sg_rc rc, const struct sg_err *err,
    int *ok)
{
	*ok = rc == SG_OK;
	if (rc != SG_OK && rc != SG_ENOENT) {
		h->docker = rc;
		h->docker_code = err->code;
	}
}

/* Ask one engine; what it says of the runtime, creates may use too. */
static void
probe_all(struct app *app, struct sg_engine *eng, struct create_health *h)
{
	struct sg_err	 err;

	memset(h, 0, sizeof(*h));
	h->docker = SG_OK;
	sg_err_clear(&err);
	probe(h, sg_docker_runtime_check(eng->docker, app->cfg->runtime,
	    &err), &err, &h->runtime_ok);
	if (h->runtime_ok)
		eng->runtime_ok_until = sg_now_us() + CREATE_RUNTIME_CACHE_US;
	else if (h->docker == SG_OK)
		eng->runtime_ok_until = 0;
	if (h->docker == SG_OK) {
		sg_err_clear(&err);
		probe(h, sg_docker_network_inspect(eng->docker,
		    app->cfg->network, &err), &err, &h->network_ok);
	}
	/* The count too, when there is a choice to make (lib/engines.h). */
	if (h->docker == SG_OK && app->engines->n > 1) {
		sg_err_clear(&err);
		(void)sg_engine_count(eng, NULL, &err);
	}
}

/*
 * Several engines: 200 while one of them can take a sandbox, each
 * engine's own answer (as for one) under "engines" with its name and
 * its count.
 */
static int
engines_answer(struct app *app, cJSON **out)
{
	const struct sg_engine	*e;
	cJSON			*o, *arr, *one;
	size_t			 i, up = 0;
	int			 st;

	*out = NULL;
	if ((o = cJSON_CreateObject()) == NULL ||
	    (arr = cJSON_CreateArray()) == NULL) {
		cJSON_Delete(o);
		return 500;
	}
	cJSON_AddItemToObject(o, "engines", arr);
	for (i = 0; i < app->engines->n; i++) {
		e = &app->engines->e[i];
		if ((st = create_health_answer(app->cfg, &app->health[i],
		    &one)) == 500)
			goto fail;
		cJSON_AddItemToArray(arr, one);
		if (sg_json_add_str(one, "engine", e->name) != 0 ||
		    (e->sandboxes >= 0 && sg_json_add_int(one, "sandboxes",
		    e->sandboxes) != 0))
			goto fail;
		up += st == 200;
	}
	if (sg_json_add_str(o, "status", up > 0 ? "ok" : "unavailable") !=
	    0 || sg_json_add_str(o, "service", "sandbox-create") != 0 ||
	    sg_json_add_int(o, "engines_up", (int64_t)up) != 0 ||
	    (up < app->engines->n && sg_json_add_str(o, "warning",
	    "engine_down") != 0) ||
	    (up == 0 && (sg_json_add_str(o, "error", "no_engine") != 0 ||
	    sg_json_add_str(o, "message", "No Docker engine of "
	    "SANDGATE_DOCKER_HOSTS can take a sandbox.") != 0)))
		goto fail;
	*out = o;
	return up > 0 ? 200 : 503;
fail:
	cJSON_Delete(o);
	return 500;
}

void
create_healthz(struct app *app, struct sg_req *req, struct sg_resp *resp)
{
	cJSON	*o;
	size_t	 i;
	int	 status;

	if (strcmp(req->method, "GET") != 0 &&
	    strcmp(req->method, "HEAD") != 0) {
		sg_resp_method(resp, "GET, HEAD");
		return;
	}
	if (sg_now_us() >= app->health_until) {
		for (i = 0; i < app->engines->n; i++)
			probe_all(app, &app->engines->e[i], &app->health[i]);
		app->health_until = sg_now_us() + CREATE_HEALTH_CACHE_US;
	}
	if (app->engines->n == 1)
		status = create_health_answer(app->cfg, &app->health[0], &o);
	else
		status = engines_answer(app, &o);
	if (o == NULL) {
		sg_resp_error(resp, 500, "out_of_memory", "Out of memory.");
		return;
	}
	sg_resp_json(resp, status, o);
}
