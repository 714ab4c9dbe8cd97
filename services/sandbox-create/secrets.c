/* SPDX-License-Identifier: ISC */
/*
 * sandbox-create: the secrets of a sandbox (docs/secrets.md,
 * docs/contract.md §5.2):
 *
 *   PUT    /v1/sandboxes/{id}/secrets/{name}  secrets:write,
 *          {"host","header","value"} -> 201 new, 200 replaced
 *   DELETE /v1/sandboxes/{id}/secrets/{name}  secrets:write -> 200
 *   GET    /v1/sandboxes/{id}/secrets         sessions:read -> 200
 *          {"container_id","secrets":[{"name","host","base_url"}]}
 *
 * This service holds the sealing key (the first of SANDGATE_SECRET_KEYS)
 * because it already seals the secrets of a create; no answer and no log
 * line carries a value.  A record is written with the session's
 * remaining lifetime, so it dies with the session; the broker reads it
 * on every request, so a PUT or a DELETE takes effect at once.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "claims.h"
#include "compat.h"
#include "create.h"
#include "create-int.h"
#include "crypto.h"
#include "json.h"
#include "log.h"
#include "route.h"
#include "secret.h"

/* {"host","header","value"} with JSON around it; the value is 4 KiB. */
#define SECRET_MAX_BODY	(SG_SECRET_VALUE_MAX * 2 + 1024)

enum op { OP_LIST, OP_PUT, OP_DELETE };

/* The live session of id into s; 0, or -1 with resp set (404...). */
static int
live_session(struct app *app, const char *id, struct sg_session *s,
    struct sg_resp *resp)
{
	struct sg_err	 err;

	sg_err_clear(&err);
	if (sg_session_get(app->redis, id, s, &err) != SG_OK) {
		if (err.rc == SG_ENOENT)
			sg_resp_error(resp, 404, "not_found",
			    "There is no sandbox with this id.");
		else
			sg_resp_store_error(resp, &err);
		return -1;
	}
	if (s->expires_at <= app_now(app)) {
		sg_resp_error(resp, 404, "not_found",
		    "There is no sandbox with this id.");
		return -1;
	}
	return 0;
}

/* GET: names, hosts and base URLs, sorted by name; never a value. */
static void
list(struct app *app, const char *id, const struct sg_session *s,
    struct sg_resp *resp)
{
	cJSON		*arr = NULL, *o, *it;
	struct sg_err	 err;
	char		 url[400];

	sg_err_clear(&err);
	if (sg_secret_list(app->redis, id, &arr, &err) != SG_OK) {
		sg_resp_store_error(resp, &err);
		return;
	}
	cJSON_ArrayForEach(it, arr) {
		if (create_secret_base_url(app, s->engine,
		    sg_json_str(it, "name"), url, sizeof(url)) == -1 ||
		    sg_json_add_str(it, "base_url", url) == -1)
			goto fail;
	}
	if ((o = cJSON_CreateObject()) == NULL ||
	    sg_json_add_str(o, "container_id", id) == -1) {
		cJSON_Delete(o);
		goto fail;
	}
	cJSON_AddItemToObject(o, "secrets", arr);
	sg_resp_json(resp, 200, o);
	return;
fail:
	cJSON_Delete(arr);
	sg_resp_error(resp, 500, "out_of_memory", "Out of memory.");
}

/* The PUT body with the path's name into sec; 0, or -1 with resp set. */
static int
put_parse(struct app *app, const struct sg_session *s, cJSON *body,
    const char *name, struct sg_secret *sec, struct sg_resp *resp)
{
	struct sg_hostlist	 hosts;
	struct sg_err		 err;
	int			 ret = -1;

	if (!cJSON_IsObject(body)) {
		sg_resp_error(resp, 400, "bad_json",
		    "The body must be a JSON object.");
		return -1;
	}
	if (sg_json_get(body, "name") != NULL) {
		sg_resp_error(resp, 400, "bad_secret",
		    "The name is the last segment of the path, not a field.");
		return -1;
	}
	if (sg_json_add_str(body, "name", name) == -1) {
		sg_resp_error(resp, 500, "out_of_memory", "Out of memory.");
		return -1;
	}
	sg_hostlist_init(&hosts);
	sg_err_clear(&err);
	if (sg_hosts_parse(s->allowed_hosts != NULL ? s->allowed_hosts : "",
	    s->allowed_hosts != NULL ? strlen(s->allowed_hosts) : 0, &hosts,
	    &err) != SG_OK) {
		sg_resp_error(resp, 500, "internal_error",
		    "The session's hosts do not parse.");
		goto out;
	}
	sg_err_clear(&err);
	if (create_secret_parse(app->cfg, &hosts, body, sec, &err) != SG_OK) {
		sg_resp_error(resp, 400, err.code != NULL ? err.code :
		    "bad_secret", "%s", err.msg);
		goto out;
	}
	ret = 0;
out:
	sg_hostlist_clear(&hosts);
	return ret;
}

/* PUT: seal under the first key, store with the session's lifetime. */
static void
put(struct app *app, struct sg_req *req, const char *id, const char *name,
    const struct sg_session *s, const char *sub, struct sg_resp *resp)
{
	struct sg_secret *sec;
	struct sg_err	 err;
	cJSON		*body = NULL, *o;
	char		*rec = NULL, *old = NULL, url[400];
	size_t		 oldlen;
	int		 existed;

	if ((sec = calloc(1, sizeof(*sec))) == NULL) {
		sg_resp_error(resp, 500, "out_of_memory", "Out of memory.");
		return;
	}
	if ((body = sg_req_json(req, resp)) == NULL ||
	    put_parse(app, s, body, name, sec, resp) != 0)
		goto out;
	sg_err_clear(&err);
	existed = sg_secret_get(app->redis, id, name, &old, &oldlen, &err) ==
	    SG_OK;
	free(old);
	sg_err_clear(&err);
	if (sg_secret_seal(&app->seal, id, sec, &rec, &err) != SG_OK) {
		sg_resp_error(resp, 500, "internal_error",
		    "The secret could not be sealed.");
		goto out;
	}
	sg_err_clear(&err);
	if (sg_secret_put(app->redis, id, name, rec,
	    (long)(s->expires_at - app_now(app)), &err) != SG_OK) {
		if (err.rc == SG_ELIMIT)
			sg_resp_error(resp, 409, "too_many_secrets",
			    "A sandbox holds at most %d secrets; delete one "
			    "first.", SG_SECRET_PER_SANDBOX);
		else if (err.rc == SG_ENOENT)
			sg_resp_error(resp, 404, "not_found",
			    "There is no sandbox with this id.");
		else
			sg_resp_store_error(resp, &err);
		goto out;
	}
	sg_log(SG_LOG_INFO, "secret_put", "container_id", id, "secret", name,
	    "host", sec->host, "header", sec->header, "sub", sub, "replaced",
	    existed ? "true" : "false", (char *)NULL);
	if (create_secret_base_url(app, s->engine, name, url, sizeof(url)) ==
	    -1 ||
	    (o = cJSON_CreateObject()) == NULL) {
		sg_resp_error(resp, 500, "out_of_memory", "Out of memory.");
		goto out;
	}
	if (sg_json_add_str(o, "container_id", id) == -1 ||
	    sg_json_add_str(o, "name", name) == -1 ||
	    sg_json_add_str(o, "host", sec->host) == -1 ||
	    sg_json_add_str(o, "base_url", url) == -1) {
		cJSON_Delete(o);
		sg_resp_error(resp, 500, "out_of_memory", "Out of memory.");
		goto out;
	}
	sg_resp_json(resp, existed ? 200 : 201, o);
out:
	free(rec);
	sg_cleanse(sec, sizeof(*sec));
	free(sec);
	if (body != NULL) {
		create_secrets_wipe(body);
		cJSON_Delete(body);
	}
}

static void
del(struct app *app, const char *id, const char *name, const char *sub,
    struct sg_resp *resp)
{
	struct sg_err	 err;
	cJSON		*o;

	sg_err_clear(&err);
	if (sg_secret_del(app->redis, id, name, &err) != SG_OK) {
		if (err.rc == SG_ENOENT)
			sg_resp_error(resp, 404, "secret_not_found",
			    "This sandbox has no secret of that name.");
		else
			sg_resp_store_error(resp, &err);
		return;
	}
	sg_log(SG_LOG_INFO, "secret_deleted", "container_id", id, "secret",
	    name, "sub", sub, (char *)NULL);
	if ((o = cJSON_CreateObject()) == NULL ||
	    sg_json_add_str(o, "container_id", id) == -1 ||
	    sg_json_add_str(o, "name", name) == -1 ||
	    cJSON_AddBoolToObject(o, "deleted", 1) == NULL) {
		cJSON_Delete(o);
		sg_resp_error(resp, 500, "out_of_memory", "Out of memory.");
		return;
	}
	sg_resp_json(resp, 200, o);
}

static void
secrets_do(struct app *app, struct sg_req *req, struct sg_resp *resp,
    const char *id, enum op op)
{
	struct sg_session s;
	const char	*sub, *name = NULL;

	if (sg_req_auth(req, resp, "operator", op == OP_LIST ?
	    "sessions:read" : "secrets:write") != 0)
		return;
	sub = sg_req_param(req, "SG_SUB");
	if (sub == NULL || !sg_str_printable(sub))
		sub = "-";
	if (op != OP_LIST) {
		name = strrchr(req->path, '/') + 1;
		if (!sg_secret_name_ok(name)) {
			sg_resp_error(resp, 400, "bad_secret",
			    "A secret name must match ^[A-Z][A-Z0-9_]{0,31}$.");
			return;
		}
	}
	if (op == OP_PUT && !app->has_seal) {
		sg_resp_error(resp, 503, "secrets_unavailable",
		    "This server has no secret key (SANDGATE_SECRET_KEYS).");
		return;
	}
	if (op == OP_PUT && req->bodylen > SECRET_MAX_BODY) {
		sg_resp_error(resp, 413, "payload_too_large",
		    "The body is over %d bytes.", SECRET_MAX_BODY);
		return;
	}
	sg_session_init(&s);
	if (live_session(app, id, &s, resp) == 0) {
		if (op == OP_LIST)
			list(app, id, &s, resp);
		else if (op == OP_PUT)
			put(app, req, id, name, &s, sub, resp);
		else
			del(app, id, name, sub, resp);
	}
	sg_session_clear(&s);
}

int
create_secrets_handle(struct app *app, struct sg_req *req,
    struct sg_resp *resp)
{
	char		 id[SG_ID_MAX + 1];
	unsigned	 scope;
	const char	*p = req->path;
	size_t		 pl = sizeof(SG_PATH_SANDBOXES);

	if (p == NULL || req->method == NULL ||
	    strncmp(p, SG_PATH_SANDBOXES "/", pl) != 0 ||
	    strstr(p + pl, SG_PATH_SECRETS) == NULL)
		return 0;
	switch (sg_route_match(req->method, p, &scope, id)) {
	case SG_ROUTE_SECRET_LIST:
		secrets_do(app, req, resp, id, OP_LIST);
		break;
	case SG_ROUTE_SECRET_PUT:
		secrets_do(app, req, resp, id, OP_PUT);
		break;
	case SG_ROUTE_SECRET_DELETE:
		secrets_do(app, req, resp, id, OP_DELETE);
		break;
	default:
		if (sg_route_match("GET", p, &scope, id) ==
		    SG_ROUTE_SECRET_LIST)
			sg_resp_method(resp, "GET, HEAD");
		else if (sg_route_match("PUT", p, &scope, id) ==
		    SG_ROUTE_SECRET_PUT)
			sg_resp_method(resp, "PUT, DELETE");
		else
			return 0;
		break;
	}
	return 1;
}

enum sg_rc
create_secrets_store(struct app *app, const struct create_spec *spec,
    const char *id, long ttl_s, struct sg_err *err)
{
	char	*rec = NULL;
	size_t	 i;

	if (spec->nsecrets > 0 && !app->has_seal)
		return sg_err_set(err, SG_EINTERNAL, "secrets_unavailable",
		    "no secret key (SANDGATE_SECRET_KEYS)");
	for (i = 0; i < spec->nsecrets; i++) {
		if (sg_secret_seal(&app->seal, id, &spec->secrets[i], &rec,
		    err) != SG_OK ||
		    sg_secret_put(app->redis, id, spec->secrets[i].name, rec,
		    ttl_s, err) != SG_OK) {
			free(rec);
			return err->rc;
		}
		free(rec);
		rec = NULL;
	}
	return SG_OK;
}

void
create_secrets_wipe(cJSON *body)
{
	cJSON	*arr, *it, *v;

	if (body == NULL)
		return;
	if ((v = cJSON_GetObjectItemCaseSensitive(body, "value")) != NULL &&
	    cJSON_IsString(v) && v->valuestring != NULL)
		sg_cleanse(v->valuestring, strlen(v->valuestring));
	if ((arr = cJSON_GetObjectItemCaseSensitive(body, "secrets")) == NULL ||
	    !cJSON_IsArray(arr))
		return;
	cJSON_ArrayForEach(it, arr) {
		v = cJSON_GetObjectItemCaseSensitive(it, "value");
		if (cJSON_IsString(v) && v->valuestring != NULL)
			sg_cleanse(v->valuestring, strlen(v->valuestring));
	}
}
