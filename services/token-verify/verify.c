/* SPDX-License-Identifier: ISC */
/*
 * token-verify's handler: key reload, the health answer, then the
 * decision (decide.c), its response (reply.c) and one log line.  The
 * contract is in verify.h; the key files are in keyfiles.c, the
 * credentials in creds.c, the routes in route.c.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "b64url.h"
#include "cache.h"
#include "cfg.h"
#include "claims.h"
#include "compat.h"
#include "crypto.h"
#include "sgerr.h"
#include "hosts.h"
#include "request.h"
#include "response.h"
#include "serve.h"
#include "json.h"
#include "keys.h"
#include "clock.h"
#include "log.h"
#include "metrics.h"
#include "session.h"
#include "token.h"
#include "verify.h"

/* ---- the handler ------------------------------------------------------ */

/* v is absent, empty, or path itself or a prefix of it ending at a '/'. */
static int
names_path(const char *v, const char *path)
{
	size_t	 n;

	if (v == NULL || *v == '\0')
		return 1;
	n = strlen(v);
	return strncmp(path, v, n) == 0 &&
	    (path[n] == '\0' || path[n] == '/' || v[n - 1] == '/');
}

#define HEALTH_LIVE	1	/* /livez: the process answers */
#define HEALTH_READY	2	/* /healthz, /readyz: and can decide */

/*
 * GET /healthz, /readyz or /livez (each also with /token-verify) sent as an
 * ordinary request (the gateways route it so).  Never under the
 * AUTHORIZER role, and only when SCRIPT_NAME and DOCUMENT_URI (when
 * present) belong to that path: an nginx auth subrequest carries the
 * auth location's (SCRIPT_NAME=/_sg_auth), so a client cannot turn an
 * authorization into a health answer.
 */
static int
is_health(const struct sg_req *req)
{
	int	 kind;

	if (req->authorizer || req->path == NULL ||
	    (strcmp(req->method, "GET") != 0 &&
	    strcmp(req->method, "HEAD") != 0))
		return 0;
	if (strcmp(req->path, "/healthz") == 0 ||
	    strcmp(req->path, "/healthz/token-verify") == 0 ||
	    strcmp(req->path, "/readyz") == 0 ||
	    strcmp(req->path, "/readyz/token-verify") == 0)
		kind = HEALTH_READY;
	else if (strcmp(req->path, "/livez") == 0 ||
	    strcmp(req->path, "/livez/token-verify") == 0)
		kind = HEALTH_LIVE;
	else
		return 0;
	return names_path(sg_req_param(req, "SCRIPT_NAME"), req->path) &&
	    names_path(sg_req_param(req, "DOCUMENT_URI"), req->path) ? kind : 0;
}

static void
health(struct app *v, int kind, struct sg_resp *resp)
{
	struct sg_tcache_stats	 st;
	cJSON			*o = NULL;
	const char		*redis, *status = "ok";

	/* this process's figures (each worker has its own cache) */
	sg_tcache_stats(v->cache, &st);
	redis = sg_redis_ping(v->redis, NULL) == SG_OK ? "ok" : "unavailable";
	/*
	 * Ready means able to decide: without Redis every egress request
	 * is refused (no session), so /healthz and /readyz say 503 and a
	 * load balancer or probe takes this node out.  /livez is only
	 * "the process answers" (restart it if not).
	 */
	if (kind == HEALTH_READY && strcmp(redis, "ok") != 0)
		status = "unavailable";
	if ((o = cJSON_CreateObject()) == NULL ||
	    sg_json_add_str(o, "status", status) != 0 ||
	    sg_json_add_str(o, "service", "token-verify") != 0 ||
	    sg_json_add_int(o, "keys", (int64_t)sg_keyset_count(v->keys)) !=
	    0 ||
	    sg_json_add_str(o, "redis", redis) != 0 ||
	    sg_json_add_str(o, "egress_mode", v->cfg.report_mode ? "report" :
	    "enforce") != 0 ||
	    sg_json_add_int(o, "requests", (int64_t)v->st.requests) != 0 ||
	    sg_json_add_int(o, "verifies", (int64_t)v->st.verifies) != 0 ||
	    sg_json_add_int(o, "cache_hits", (int64_t)st.hits) != 0 ||
	    sg_json_add_int(o, "cache_entries", (int64_t)st.count) != 0 ||
	    sg_json_add_int(o, "session_lookups",
	    (int64_t)v->st.session_lookups) != 0 ||
	    sg_json_add_int(o, "key_reloads", (int64_t)v->st.reloads) != 0) {
		cJSON_Delete(o);
		sg_resp_error(resp, 500, "out_of_memory", "Out of memory.");
		return;
	}
	sg_resp_json(resp, strcmp(status, "ok") == 0 ? 200 : 503, o);
}

void
sg_verify_handle(void *arg, struct sg_req *req, struct sg_resp *resp)
{
	struct app	*v = arg;
	struct sg_verdict	 vd;
	struct sg_decision	 d;
	struct sg_err		 err;
	const char		*remote;
	char			 client[INET6_ADDRSTRLEN];
	int64_t			 t0 = sg_now_us();
	int			 r, hk;

	v->st.requests++;
	sg_err_clear(&err);
	r = sg_verify_reload(v, sg_serve_hup(), &err);
	if (r == 1)
		sg_log(SG_LOG_INFO, "keys_reloaded", (char *)NULL);
	else if (r == -1)
		sg_log(SG_LOG_WARN, "keys_reload_failed", "reason",
		    err.code != NULL ? err.code : "bad_keys", "message",
		    err.msg, (char *)NULL);

	if ((hk = is_health(req)) != 0) {
		health(v, hk, resp);
		return;
	}
	sg_verify_decide(v, req, &vd);
	sg_verify_respond(&vd, req->authorizer, resp);

	memset(&d, 0, sizeof(d));
	d.mode = vd.mode;
	d.decision = resp->status == vd.status ? vd.decision : "error";
	d.reason = resp->status == vd.status ? vd.reason : "internal_error";
	d.status = resp->status;
	d.container_id = vd.container_id[0] != '\0' ? vd.container_id : NULL;
	/* Only where it is not what the token proved (docs/security.md 4.5). */
	if (vd.claimed_container_id[0] != '\0' &&
	    (d.container_id == NULL ||
	    strcmp(vd.claimed_container_id, vd.container_id) != 0))
		d.claimed_container_id = vd.claimed_container_id;
	d.jti = vd.jti[0] != '\0' ? vd.jti : NULL;
	d.sub = vd.sub[0] != '\0' ? vd.sub : NULL;
	d.target = vd.target[0] != '\0' ? vd.target : NULL;
	/*
	 * The TCP peer as the web server saw it, never a header: nothing
	 * in front of Apache rewrites it (no mod_remoteip; the egress site
	 * refuses to load with it), so a sandbox cannot put another's
	 * address into the log or the audit trail.  Bounded: INET6 text.
	 */
	(void)strlcpy(client, (remote = sg_req_param(req, "REMOTE_ADDR"))
	    != NULL ? remote : "", sizeof(client));
	d.client = client[0] != '\0' ? client : NULL;
	d.latency_us = sg_now_us() - t0;
	d.reuse_ms = resp->status == 200 ? vd.reuse_ms : 0;
	sg_log_decision(&d);
}
