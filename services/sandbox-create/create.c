/* SPDX-License-Identifier: ISC */
/*
 * sandbox-create: validate the request, mint the container token, create
 * and start a hardened container, check that the hardening took effect,
 * record the session.  Any failure part-way undoes what was done: no
 * container, no session and no index entry is left behind (docs/contract.md
 * §5.2).  A crash part-way leaves a labelled container without
 * a session, which `sandgate reap` removes.  GET /healthz is health.c's.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claims.h"
#include "compat.h"
#include "create.h"
#include "create-int.h"
#include "crypto.h"
#include "json.h"
#include "clock.h"
#include "log.h"
#include "metrics.h"
#include "route.h"
#include "sandbox.h"
#include "token.h"

#define ROUTE		SG_PATH_SANDBOXES

static enum sg_rc
runtime_check(struct app *app, struct sg_engine *eng, struct sg_err *err)
{
	enum sg_rc	 rc;

	if (sg_now_us() < eng->runtime_ok_until)
		return SG_OK;
	rc = sg_docker_runtime_check(eng->docker, app->cfg->runtime, err);
	if (rc == SG_OK)
		eng->runtime_ok_until = sg_now_us() + CREATE_RUNTIME_CACHE_US;
	return rc;
}

/* Answer for a failure of a dependency: 503 when down, 502 when wrong. */
static void
fail_resp(struct sg_resp *resp, const char *step, const struct sg_err *err)
{
	const char	*code;

	code = err->code != NULL ? err->code : "internal_error";

	switch (sg_rc_http_dep(err->rc)) {
	case 503:
		sg_resp_error(resp, 503, code,
		    "a dependency is unavailable (%s); try again later", step);
		break;
	case 500:
		sg_resp_error(resp, 500, code,
		    "the sandbox could not be created (%s)", step);
		break;
	default:
		sg_resp_error(resp, 502, code,
		    "the sandbox could not be created (%s)", step);
		break;
	}
}

/* "secrets": name, host and base URL of each; never a value. */
static int
answer_secrets(const struct app *app, const char *engine, cJSON *a,
    const struct create_spec *s)
{
	cJSON	*arr, *o;
	char	 url[400];
	size_t	 i;

	if (s->nsecrets == 0)
		return 0;
	if ((arr = cJSON_AddArrayToObject(a, "secrets")) == NULL)
		return -1;
	for (i = 0; i < s->nsecrets; i++) {
		if (create_secret_base_url(app, engine, s->secrets[i].name,
		    url, sizeof(url)) == -1 ||
		    (o = cJSON_CreateObject()) == NULL)
			return -1;
		if (!cJSON_AddItemToArray(arr, o) ||
		    sg_json_add_str(o, "name", s->secrets[i].name) == -1 ||
		    sg_json_add_str(o, "host", s->secrets[i].host) == -1 ||
		    sg_json_add_str(o, "base_url", url) == -1)
			return -1;
	}
	return 0;
}

static cJSON *
answer(const struct app *app, const char *engine, const char *id,
    const struct sg_minted *m, const struct create_spec *s)
{
	cJSON	*a, *arr;
	char	 pat[SG_HOST_MAX + 16];
	size_t	 i;

	if ((a = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(a, "container_id", id) == NULL ||
	    cJSON_AddStringToObject(a, "token", m->token) == NULL ||
	    cJSON_AddStringToObject(a, "status", "running") == NULL ||
	    sg_json_add_int(a, "expires_at", m->exp) == -1 ||
	    (arr = cJSON_AddArrayToObject(a, "allowed_hosts")) == NULL)
		goto fail;
	for (i = 0; i < s->hosts.n; i++) {
		if (sg_hostpat_format(&s->hosts.v[i], pat, sizeof(pat)) < 0 ||
		    !cJSON_AddItemToArray(arr, cJSON_CreateString(pat)))
			goto fail;
	}
	if ((engine[0] != '\0' && sg_json_add_str(a, "engine", engine) == -1) ||
	    answer_secrets(app, engine, a, s) == -1)
		goto fail;
	return a;
fail:
	cJSON_Delete(a);
	return NULL;
}

/* One request's progress, so that any step can fail into the undo. */
struct run {
	struct create_spec	 spec;
	struct sg_minted	 minted;
	struct sg_session	 sess;
	struct sg_err		 err;
	cJSON			*body, *config, *warn, *ins;
	const char		*step, *sub;
	char			 id[SG_CONTAINER_ID_LEN + 1];
	char			 did[SG_DOCKER_ID_MAX + 1];
	char			 ip[64];
	char			*hostsj;
	struct sg_engine	*eng;		/* where it goes (placement) */
	struct sg_docker	*docker;	/* eng's */
	int64_t			 t0, t1, t2, t3;
	time_t			 now;
	int			 created, put_tried, ok, reserved;
};

/* How a step ended: go on, fail (answer from err), or answered already. */
enum step { STEP_GO, STEP_FAIL, STEP_LOGFAIL, STEP_DONE };

/* Route, method, scope, body: answered here when the request is wrong. */
static enum step
accept_request(struct app *app, struct run *r, struct sg_req *req,
    struct sg_resp *resp)
{
	if (req->path == NULL || strcmp(req->path, ROUTE) != 0) {
		sg_resp_error(resp, 404, "not_found", "no such route");
		return STEP_DONE;
	}
	if (strcmp(req->method, "POST") != 0) {
		sg_resp_method(resp, "POST");
		return STEP_DONE;
	}
	if (sg_req_auth(req, resp, "operator", "sandboxes:create") != 0)
		return STEP_DONE;
	if (req->bodylen > SG_HTTP_MAX_BODY) {
		sg_resp_error(resp, 413, "payload_too_large",
		    "the body is over %d bytes", SG_HTTP_MAX_BODY);
		return STEP_DONE;
	}
	if ((r->body = sg_req_json(req, resp)) == NULL)
		return STEP_DONE;
	if (create_spec_parse(app->cfg, r->body, &r->spec, &r->err) != SG_OK) {
		if (r->err.rc == SG_ENOMEM)
			sg_resp_error(resp, 500, "out_of_memory",
			    "out of memory");
		else
			sg_resp_error(resp, 400, r->err.code, "%s", r->err.msg);
		return STEP_DONE;
	}
	if (r->spec.nsecrets > 0 && !app->has_seal) {
		sg_resp_error(resp, 503, "secrets_unavailable",
		    "this server has no secret key (SANDGATE_SECRET_KEYS); "
		    "create the sandbox without secrets or configure one");
		return STEP_DONE;
	}
	return STEP_GO;
}

/* The id, the token, the user's slot, the runtime, the directories. */
static enum step
prepare(struct app *app, struct run *r, struct sg_resp *resp)
{
	struct sg_mint_container mc;
	size_t			 count = 0;

	r->step = "token";
	if (sg_random_container_id(r->id, sizeof(r->id), &r->err) != SG_OK)
		return STEP_FAIL;
	/*
	 * The token first: a request whose token cannot be issued (its
	 * egress credential over the proxy's header limit, "token_too_large")
	 * is the caller's error, a 400 before any slot, directory or
	 * container exists.
	 */
	memset(&mc, 0, sizeof(mc));
	mc.issuer = app->cfg->issuer;
	mc.sub = r->spec.user_id;
	mc.container_id = r->id;
	mc.org = r->spec.org;
	mc.hosts = &r->spec.hosts;
	mc.binding = 1;
	mc.hipaa = r->spec.hipaa;
	mc.pci = r->spec.pci;
	mc.ttl = r->spec.ttl;
	mc.now = r->now;
	if (sg_token_mint_container(app->key, &mc, &r->minted, &r->err) !=
	    SG_OK) {
		if (r->err.rc != SG_EINVAL)
			return STEP_FAIL;
		sg_resp_error(resp, 400, r->err.code != NULL ? r->err.code :
		    "invalid_request", "%s", r->err.msg);
		return STEP_DONE;
	}

	/*
	 * The count and the claim of a slot are one step in Redis
	 * (lib/session.h, reserve): concurrent creates for one user, in
	 * any number of processes, never pass the limit together.
	 */
	r->step = "limit";
	if (app->cfg->max_per_user > 0) {
		if (sg_session_reserve(app->redis, r->spec.user_id, r->id,
		    (size_t)app->cfg->max_per_user, CREATE_RESERVE_MS(app->cfg),
		    &count, &r->err) != SG_OK) {
			if (r->err.rc != SG_ELIMIT)
				return STEP_FAIL;
			sg_resp_error(resp, 429, "too_many_sandboxes",
			    "user %s has %zu sandboxes, the limit is %d",
			    r->spec.user_id, count, app->cfg->max_per_user);
			return STEP_DONE;
		}
		r->reserved = 1;
	}

	/* The engine with the most room (lib/engines.h). */
	r->step = "placement";
	if (sg_engines_place(app->engines, &r->eng, &r->err) != SG_OK) {
		if (r->err.rc != SG_ELIMIT)
			return STEP_FAIL;
		sg_resp_error(resp, 503, "engines_full", "every Docker engine "
		    "holds its limit of %ld sandboxes; try again later",
		    app->engines->limit);
		return STEP_LOGFAIL;
	}
	r->docker = r->eng->docker;

	r->step = "runtime";
	if (runtime_check(app, r->eng, &r->err) != SG_OK) {
		if (r->err.rc != SG_ENOENT)
			return STEP_FAIL;
		sg_resp_error(resp, 503, "runtime_unavailable",
		    "the Docker daemon has no runtime \"%s\": register "
		    "it or change SANDGATE_RUNTIME", app->cfg->runtime);
		return STEP_LOGFAIL;
	}

	r->step = "directories";
	if (create_dirs(app->cfg->data_root, r->spec.user_id, &r->err) !=
	    SG_OK)
		return STEP_FAIL;

	return STEP_GO;
}

/* Create, start and inspect the container; check its hardening. */
static enum step
launch(struct app *app, struct run *r, struct sg_resp *resp)
{
	struct sg_err	 e2;

	r->step = "create";
	if ((r->config = create_config(app, r->eng->name, &r->spec, r->id,
	    r->minted.token, r->minted.exp)) == NULL) {
		sg_err_set(&r->err, SG_ENOMEM, NULL, "out of memory");
		return STEP_FAIL;
	}
	r->t1 = sg_now_us();
	if (sg_docker_container_create(r->docker, r->id, r->config, r->did,
	    sizeof(r->did), &r->warn, &r->err) != SG_OK) {
		if (r->err.rc != SG_ENOENT)
			return STEP_FAIL;
		/* 404 is a missing image or a missing network. */
		sg_err_clear(&e2);
		if (sg_docker_image_inspect(r->docker, r->spec.image, NULL,
		    &e2) == SG_ENOENT) {
			sg_resp_error(resp, 503, "image_unavailable",
			    "image %s is not on the Docker host and sandgate "
			    "never pulls", r->spec.image);
			return STEP_LOGFAIL;
		}
		sg_resp_error(resp, 503, "network_unavailable",
		    "the Docker daemon could not attach the sandbox network: "
		    "check SANDGATE_NETWORK");
		return STEP_LOGFAIL;
	}
	r->created = 1;
	if (r->warn != NULL) {
		/* e.g. a limit the kernel cannot enforce: refuse. */
		const cJSON	*w0 = cJSON_GetArrayItem(r->warn, 0);

		sg_err_set(&r->err, SG_EUPSTREAM, "docker_warning",
		    "docker warned: %.90s", cJSON_IsString(w0) &&
		    sg_str_printable(w0->valuestring) ? w0->valuestring : "?");
		return STEP_FAIL;
	}

	r->step = "start";
	r->t2 = sg_now_us();
	if (sg_docker_container_start(r->docker, r->did, &r->err) != SG_OK) {
		/* Docker 20.10 checks the network only at start. */
		if (r->err.rc == SG_ENOENT && r->spec.hosts.n > 0) {
			sg_resp_error(resp, 503, "network_unavailable",
			    "the Docker daemon could not attach the sandbox "
			    "network: check SANDGATE_NETWORK");
			return STEP_LOGFAIL;
		}
		return STEP_FAIL;
	}

	r->step = "inspect";
	r->t3 = sg_now_us();
	if (sg_docker_container_inspect(r->docker, r->did, &r->ins,
	    &r->err) != SG_OK ||
	    create_check_inspect(app, &r->spec, r->id, r->ins, r->ip,
	    sizeof(r->ip), &r->err) != SG_OK)
		return STEP_FAIL;
	return STEP_GO;
}

/* Write the session: from now on the sandbox exists. */
static enum step
record(struct app *app, struct run *r)
{
	struct sg_session	*sess = &r->sess;

	r->step = "session";
	(void)strlcpy(sess->container_id, r->id, sizeof(sess->container_id));
	(void)strlcpy(sess->user_id, r->spec.user_id, sizeof(sess->user_id));
	(void)strlcpy(sess->org, r->spec.org, sizeof(sess->org));
	(void)strlcpy(sess->jti, r->minted.jti, sizeof(sess->jti));
	sg_sha256_hex(r->minted.token, strlen(r->minted.token),
	    sess->token_sha256);
	if (r->spec.hosts.n > 0)
		r->hostsj = sg_hostlist_join(&r->spec.hosts);
	else
		r->hostsj = strdup("");
	if (r->hostsj == NULL) {
		sg_err_set(&r->err, SG_ENOMEM, NULL, "out of memory");
		return STEP_FAIL;
	}
	sess->allowed_hosts = r->hostsj;
	r->hostsj = NULL;
	(void)strlcpy(sess->container_ip, r->ip, sizeof(sess->container_ip));
	(void)strlcpy(sess->docker_id, r->did, sizeof(sess->docker_id));
	(void)strlcpy(sess->image, r->spec.image, sizeof(sess->image));
	(void)strlcpy(sess->engine, r->eng->name, sizeof(sess->engine));
	sess->created_at = r->now;
	sess->expires_at = r->minted.exp;
	sess->budget_requests = r->spec.budget_requests;
	sess->budget_bytes = r->spec.budget_bytes;
	/*
	 * The secrets just before the session: the broker serves nothing
	 * before the session exists, and from put_tried on the undo's
	 * sg_sandbox_forget deletes them with the session.
	 */
	r->put_tried = 1;
	r->step = "secrets";
	if (create_secrets_store(app, &r->spec, r->id,
	    (long)(r->minted.exp - r->now), &r->err) != SG_OK)
		return STEP_FAIL;
	r->step = "session";
	if (sg_session_put(app->redis, sess, r->now, &r->err) != SG_OK)
		return STEP_FAIL;
	return STEP_GO;
}

/* The 201 and its log line, with where the time went. */
static enum step
reply(struct app *app, struct run *r, struct sg_resp *resp)
{
	cJSON	*ans;
	char	 lat[32], us_prep[24], us_create[24], us_start[24];
	char	 us_inspect[24];

	r->step = "answer";
	if ((ans = answer(app, r->eng->name, r->id, &r->minted, &r->spec)) ==
	    NULL) {
		sg_err_set(&r->err, SG_ENOMEM, NULL, "out of memory");
		return STEP_FAIL;
	}
	sg_resp_json(resp, 201, ans);
	r->ok = 1;
	sg_metrics_add(SG_M_TOKENS_ISSUED, 1, "sandbox");
	(void)snprintf(lat, sizeof(lat), "%" PRId64, sg_now_us() - r->t0);
	/* Where the time goes: Docker's create and start dominate. */
	(void)snprintf(us_prep, sizeof(us_prep), "%" PRId64, r->t1 - r->t0);
	(void)snprintf(us_create, sizeof(us_create), "%" PRId64,
	    r->t2 - r->t1);
	(void)snprintf(us_start, sizeof(us_start), "%" PRId64, r->t3 - r->t2);
	(void)snprintf(us_inspect, sizeof(us_inspect), "%" PRId64,
	    sg_now_us() - r->t3);
	sg_log(SG_LOG_INFO, "sandbox_created", "container_id", r->id,
	    "user_id", r->spec.user_id, "docker_id", r->did, "jti",
	    r->minted.jti, "sub", r->sub != NULL ? r->sub : "", "image",
	    r->spec.image, "container_ip", r->ip, "runtime",
	    app->cfg->runtime, "engine", r->eng->name, "latency_us", lat,
	    "prepare_us", us_prep, "docker_create_us", us_create,
	    "docker_start_us", us_start, "inspect_session_us", us_inspect,
	    NULL);
	return STEP_DONE;
}

/*
 * Undo a failed create: the container first, so no token outlives it
 * (lib/sandbox.h).  Then the slot goes back, after the undo; once the
 * session is written it holds the slot itself.  A failure of the
 * unreserve only keeps the slot until the reservation's deadline.
 *
 * The user's data directories stay, even when this create made them:
 * they are the user's uploads and outputs, shared by all of that user's
 * sandboxes, and a concurrent create for the same user may have bound
 * them already; removing them under it would detach its outputs.  A
 * refused create leaves them as they were (t-sandbox.sh: empty for a
 * new user).
 */
static void
undo(struct app *app, struct run *r)
{
	struct sg_err	 e2;

	if (!r->ok && r->created) {
		sg_err_clear(&e2);
		if (sg_sandbox_remove(r->docker, r->did, 0, &e2) != SG_OK)
			sg_log(SG_LOG_ERROR, "sandbox_undo_failed",
			    "container_id", r->id, "docker_id", r->did,
			    "reason", e2.code != NULL ? e2.code : "",
			    "detail", e2.msg, NULL);
	}
	if (!r->ok && r->put_tried) {
		sg_err_clear(&e2);
		if (sg_sandbox_forget(app->redis, r->id, r->spec.user_id,
		    &e2) != SG_OK)
			sg_log(SG_LOG_ERROR, "sandbox_undo_failed",
			    "container_id", r->id, "step", "session",
			    "reason", e2.code != NULL ? e2.code : "",
			    "detail", e2.msg, NULL);
	}
	if (r->reserved) {
		sg_err_clear(&e2);
		if (sg_session_unreserve(app->redis, r->spec.user_id, r->id,
		    &e2) != SG_OK)
			sg_log(SG_LOG_WARN, "sandbox_unreserve_failed",
			    "container_id", r->id, "user_id", r->spec.user_id,
			    "reason", e2.code != NULL ? e2.code : "",
			    "detail", e2.msg, NULL);
	}
}

void
create_handle(void *arg, struct sg_req *req, struct sg_resp *resp)
{
	struct app	*app = arg;
	struct run		 r;
	enum step		 st;
	char			 lat[32];

	if (req->path != NULL && (strcmp(req->path, "/healthz") == 0 ||
	    strcmp(req->path, "/healthz/sandbox-create") == 0)) {
		create_healthz(app, req, resp);
		return;
	}
	if (create_secrets_handle(app, req, resp))
		return;
	memset(&r, 0, sizeof(r));
	r.t0 = sg_now_us();
	r.now = app_now(app);
	r.step = "validate";
	create_spec_init(&r.spec);
	sg_session_init(&r.sess);
	sg_err_clear(&r.err);
	r.sub = sg_req_param(req, "SG_SUB");

	if ((st = accept_request(app, &r, req, resp)) == STEP_GO &&
	    (st = prepare(app, &r, resp)) == STEP_GO &&
	    (st = launch(app, &r, resp)) == STEP_GO &&
	    (st = record(app, &r)) == STEP_GO)
		st = reply(app, &r, resp);
	if (st == STEP_FAIL)
		fail_resp(resp, r.step, &r.err);
	if (st == STEP_FAIL || st == STEP_LOGFAIL) {
		(void)snprintf(lat, sizeof(lat), "%" PRId64,
		    sg_now_us() - r.t0);
		sg_log(SG_LOG_WARN, "sandbox_create_failed", "container_id",
		    r.id, "user_id", r.spec.user_id, "sub",
		    r.sub != NULL ? r.sub : "", "step", r.step, "reason",
		    r.err.code != NULL ? r.err.code : r.step,
		    "detail", r.err.msg, "latency_us", lat, NULL);
	}
	undo(app, &r);
	free(r.hostsj);
	create_config_free(r.ins);
	cJSON_Delete(r.warn);
	create_config_free(r.config);
	create_secrets_wipe(r.body);
	cJSON_Delete(r.body);
	sg_session_clear(&r.sess);
	if (r.minted.token != NULL)
		sg_minted_clear(&r.minted);
	create_spec_clear(&r.spec);
}
