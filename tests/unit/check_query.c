/* SPDX-License-Identifier: ISC */
/*
 * session-query's handler (services/session-query/query.c) with
 * hand-built requests against a real redis-server started here on a
 * unix socket in a temporary directory: who may read what, hostile ids,
 * the list, and Redis down (dead socket, killed and restarted mid-run):
 * 503 with Retry-After, never a crash, never a 200 with empty data.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "cfg.h"
#include "claims.h"
#include "compat.h"
#include "request.h"
#include "response.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "query.h"
#include "session.h"
#include "sgtest.h"

#define ORG	"3fa85f64-5717-4562-b3fc-2c963f66afa6"
#define SHA	"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
#define DOCKER	"4f66ad9a0b2e4a47c2c1b3e0a1f1f0e3d2c1b0a99887766554433221100ffeed"
#define CID_A	"sandbox_AAAAAAAAAAAAAAAAAAAAAA"
#define CID_B	"sandbox_BBBBBBBBBBBBBBBBBBBBBB"
#define CID_C	"sandbox_CCCCCCCCCCCCCCCCCCCCCC"
#define OPS	"sessions:read"

static char		 tmpdir[64];
static char		 sock[128];
static pid_t		 redis_pid = -1;
static struct sg_cfg	 cfg;
static struct app	 q;

static void
redis_stop(void)
{
	sgtest_redis_stop(redis_pid, SIGKILL);
	redis_pid = -1;
	(void)unlink(sock);
}

static void
put(const char *cid, const char *user, int64_t created)
{
	struct sg_session	 s;
	struct sg_err		 err;
	time_t			 now = time(NULL);

	sg_session_init(&s);
	(void)strlcpy(s.container_id, cid, sizeof(s.container_id));
	(void)strlcpy(s.user_id, user, sizeof(s.user_id));
	(void)strlcpy(s.org, ORG, sizeof(s.org));
	(void)strlcpy(s.jti, "jti-1", sizeof(s.jti));
	(void)strlcpy(s.token_sha256, SHA, sizeof(s.token_sha256));
	s.allowed_hosts = strdup("github.com,*.example.com:8443");
	(void)strlcpy(s.container_ip, "172.30.0.5", sizeof(s.container_ip));
	(void)strlcpy(s.docker_id, DOCKER, sizeof(s.docker_id));
	(void)strlcpy(s.image, "sandgate-sandbox:latest", sizeof(s.image));
	s.created_at = created;
	s.expires_at = (int64_t)now + 3600;
	sg_err_clear(&err);
	ck_assert_msg(sg_session_put(q.redis, &s, now, &err) == SG_OK, "%s",
	    err.msg);
	sg_session_clear(&s);
}

static void
setup(void)
{
	struct sg_err	 err;
	time_t		 now = time(NULL);

	sg_log_init("check-query", SG_LOG_ERROR);
	(void)strlcpy(tmpdir, "/tmp/check_query.XXXXXX", sizeof(tmpdir));
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	sgtest_redis_sock(sock, sizeof(sock), tmpdir, "redis");
	sg_cfg_defaults(&cfg);
	(void)snprintf(cfg.redis, sizeof(cfg.redis), "unix:%s", sock);
	cfg.redis_timeout_ms = 300;
	sg_err_clear(&err);
	ck_assert_msg(query_init(&q, &cfg, &err) == SG_OK, "%s", err.msg);
	redis_pid = sgtest_redis_start(tmpdir, "redis", 0, NULL);
	ck_assert_msg(redis_pid > 0, "redis-server did not start");
	ck_assert(sgtest_redis_ready(q.redis));
	put(CID_A, "user-1", (int64_t)now - 10);
	put(CID_B, "user-1", (int64_t)now - 5);
	put(CID_C, "user-2", (int64_t)now);
}

static void
teardown(void)
{
	char	 p[192];

	query_clear(&q);
	redis_stop();
	(void)snprintf(p, sizeof(p), "%s/redis.log", tmpdir);
	(void)unlink(p);
	(void)rmdir(tmpdir);
}

/* One request; kind/scope/cid NULL leave the param out. */
static void
call(const char *method, const char *uri, const char *kind,
    const char *scope, const char *cid, struct sg_resp *resp)
{
	char		*env[16], kv[8][512];
	const char	*qs;
	struct sg_req	 req;
	size_t		 n = 0;

	(void)snprintf(kv[0], sizeof(kv[0]), "REQUEST_METHOD=%s", method);
	(void)snprintf(kv[1], sizeof(kv[1]), "REQUEST_URI=%s", uri);
	qs = strchr(uri, '?');
	(void)snprintf(kv[2], sizeof(kv[2]), "QUERY_STRING=%s",
	    qs != NULL ? qs + 1 : "");
	env[n++] = kv[0];
	env[n++] = kv[1];
	env[n++] = kv[2];
	if (kind != NULL) {
		(void)snprintf(kv[3], sizeof(kv[3]), "SG_KIND=%s", kind);
		env[n++] = kv[3];
	}
	if (scope != NULL) {
		(void)snprintf(kv[4], sizeof(kv[4]), "SG_SCOPE=%s", scope);
		env[n++] = kv[4];
	}
	if (cid != NULL) {
		(void)snprintf(kv[5], sizeof(kv[5]), "SG_CONTAINER_ID=%s", cid);
		env[n++] = kv[5];
	}
	env[n] = NULL;
	sg_resp_init(resp);
	ck_assert_int_eq(sg_req_init(&req, env, NULL, 0, NULL), SG_OK);
	query_handle(&q, &req, resp);
	sg_req_clear(&req);
}

static cJSON *
body_of(const struct sg_resp *resp)
{
	cJSON	*j;

	ck_assert_ptr_nonnull(resp->body);
	j = sg_json_parse_object(resp->body, resp->bodylen, NULL);
	ck_assert_ptr_nonnull(j);
	return j;
}

static void
expect(const char *method, const char *uri, const char *kind,
    const char *scope, const char *cid, int status, const char *code)
{
	struct sg_resp	 resp;
	cJSON		*j;

	call(method, uri, kind, scope, cid, &resp);
	ck_assert_msg(resp.status == status, "%s %s: status %d, want %d: %.*s",
	    method, uri, resp.status, status, (int)resp.bodylen,
	    resp.body != NULL ? resp.body : "");
	if (code != NULL) {
		j = body_of(&resp);
		ck_assert_str_eq(sg_json_str(j, "error"), code);
		ck_assert_ptr_nonnull(sg_json_str(j, "message"));
		cJSON_Delete(j);
	}
	sg_resp_clear(&resp);
}

/* The serialised reply. */
static char *
ser(const struct sg_resp *resp)
{
	char	*s;
	size_t	 len;

	s = sg_resp_serialize(resp, &len);
	ck_assert_ptr_nonnull(s);
	return s;
}

START_TEST(operator_reads)
{
	struct sg_resp	 resp;
	cJSON		*j;
	const cJSON	*h;
	int64_t		 v;

	call("GET", "/v1/sessions/" CID_A, "operator", "tokens:issue " OPS,
	    NULL, &resp);
	ck_assert_int_eq(resp.status, 200);
	j = body_of(&resp);
	ck_assert_str_eq(sg_json_str(j, "container_id"), CID_A);
	ck_assert_str_eq(sg_json_str(j, "user_id"), "user-1");
	ck_assert_str_eq(sg_json_str(j, "organization_uuid"), ORG);
	ck_assert_str_eq(sg_json_str(j, "jti"), "jti-1");
	ck_assert_str_eq(sg_json_str(j, "token_sha256"), SHA);
	ck_assert_str_eq(sg_json_str(j, "container_ip"), "172.30.0.5");
	ck_assert_str_eq(sg_json_str(j, "docker_id"), DOCKER);
	ck_assert_str_eq(sg_json_str(j, "image"), "sandgate-sandbox:latest");
	h = sg_json_get(j, "allowed_hosts");
	ck_assert(cJSON_IsArray(h));
	ck_assert_int_eq(cJSON_GetArraySize(h), 2);
	ck_assert_int_eq(sg_json_int(j, "expires_at", 1, INT64_C(1) << 40, &v,
	    NULL), SG_OK);
	ck_assert_int_eq(sg_json_int(j, "created_at", 1, INT64_C(1) << 40, &v,
	    NULL), SG_OK);
	/* Never the token. */
	ck_assert_ptr_null(sg_json_get(j, "token"));
	cJSON_Delete(j);
	{
		char	*s = ser(&resp);

		ck_assert(strncmp(s, "Status: 200 OK\r\n", 16) == 0);
		ck_assert_ptr_nonnull(strstr(s, "Cache-Control: no-store\r\n"));
		free(s);
	}
	sg_resp_clear(&resp);
	expect("GET", "/v1/sessions/sandbox_nope", "operator", OPS, NULL, 404,
	    "not_found");
	expect("HEAD", "/v1/sessions/" CID_B, "operator", OPS, NULL, 200,
	    NULL);
}
END_TEST

START_TEST(who_reads)
{
	/* Did not pass the authorizer. */
	expect("GET", "/v1/sessions/" CID_A, NULL, OPS, CID_A, 401,
	    "invalid_token");
	expect("GET", "/v1/sessions/" CID_A, "", OPS, CID_A, 401,
	    "invalid_token");
	expect("GET", "/v1/sessions?user_id=user-1", NULL, OPS, NULL, 401,
	    "invalid_token");
	/* Operator without the scope; a look-alike scope. */
	expect("GET", "/v1/sessions/" CID_A, "operator", "tokens:issue",
	    NULL, 403, "insufficient_scope");
	expect("GET", "/v1/sessions/" CID_A, "operator", NULL, NULL, 403,
	    "insufficient_scope");
	expect("GET", "/v1/sessions/" CID_A, "operator", "sessions:reader",
	    NULL, 403, "insufficient_scope");
	/* A container reads its own session only. */
	expect("GET", "/v1/sessions/" CID_A, "container", NULL, CID_A, 200,
	    NULL);
	expect("GET", "/v1/sessions/" CID_B, "container", NULL, CID_A, 403,
	    "forbidden");
	expect("GET", "/v1/sessions/" CID_A, "container", NULL, NULL, 403,
	    "forbidden");
	expect("GET", "/v1/sessions/" CID_A, "container", NULL, "", 403,
	    "forbidden");
	/* Prefix, case and the container's scope claim prove nothing. */
	expect("GET", "/v1/sessions/" CID_A, "container", NULL,
	    "sandbox_AAAAAAAAAAAAAAAAAAAAA", 403, "forbidden");
	expect("GET", "/v1/sessions/sandbox_AAAAAAAAAAAAAAAAAAAAA",
	    "container", NULL, CID_A, 403, "forbidden");
	expect("GET", "/v1/sessions/" CID_A, "container", NULL,
	    "sandbox_aaaaaaaaaaaaaaaaaaaaaa", 403, "forbidden");
	expect("GET", "/v1/sessions/" CID_B, "container", OPS, CID_A, 403,
	    "forbidden");
	/* A container never lists. */
	expect("GET", "/v1/sessions?user_id=user-1", "container", OPS, CID_A,
	    403, "forbidden");
	/* An unknown kind is nobody. */
	expect("GET", "/v1/sessions/" CID_A, "admin", OPS, CID_A, 403,
	    "forbidden");
	expect("GET", "/v1/sessions/" CID_A, "Operator", OPS, NULL, 403,
	    "forbidden");
}
END_TEST

/* Hostile ids: refused before Redis, by the path check or the id rule. */
START_TEST(hostile_ids)
{
	static const char *const refused_path[] = {
		"/v1/sessions/" CID_A "%0d%0aFLUSHALL", "/v1/sessions/%2e%2e",
		"/v1/sessions/../sessions/" CID_A, "/v1/sessions/./" CID_A,
		"/v1/sessions//" CID_A, "/v1/sessions/a\r\nb", "/v1/sessions/a b",
		"/v1/sessions/a\x01", "/v1/sessions/a\\b",
	};
	struct sg_req	 req;
	char		*env[3], e0[] = "REQUEST_METHOD=GET", e1[256];
	char		 big[300];
	size_t		 i;

	for (i = 0; i < sizeof(refused_path) / sizeof(refused_path[0]); i++) {
		(void)snprintf(e1, sizeof(e1), "REQUEST_URI=%s",
		    refused_path[i]);
		env[0] = e0;
		env[1] = e1;
		env[2] = NULL;
		ck_assert_msg(sg_req_init(&req, env, NULL, 0, NULL) ==
		    SG_EINVAL, "path accepted: %s", refused_path[i]);
		sg_req_clear(&req);
	}
	expect("GET", "/v1/sessions/", "operator", OPS, NULL, 400,
	    "invalid_id");
	expect("GET", "/v1/sessions/a.b", "operator", OPS, NULL, 400,
	    "invalid_id");
	expect("GET", "/v1/sessions/a/b", "operator", OPS, NULL, 400,
	    "invalid_id");
	expect("GET", "/v1/sessions/*", "operator", OPS, NULL, 400,
	    "invalid_id");
	expect("GET", "/v1/sessions/a:b", "operator", OPS, NULL, 400,
	    "invalid_id");
	expect("GET", "/v1/sessions/" CID_A "?x=1", "operator", OPS, NULL,
	    200, NULL);
	(void)memset(big, 'a', sizeof(big));
	(void)memcpy(big, "/v1/sessions/", 13);
	big[13 + 129] = '\0';
	expect("GET", big, "operator", OPS, NULL, 400, "invalid_id");
	big[13 + 128] = '\0';
	expect("GET", big, "operator", OPS, NULL, 404, "not_found");
}
END_TEST

START_TEST(list_sessions)
{
	struct sg_resp	 resp;
	cJSON		*j, *it;
	const cJSON	*a;
	int		 n = 0;

	call("GET", "/v1/sessions?user_id=user-1", "operator", OPS, NULL,
	    &resp);
	ck_assert_int_eq(resp.status, 200);
	j = body_of(&resp);
	ck_assert_int_eq(cJSON_GetArraySize(j), 1);
	a = sg_json_get(j, "sessions");
	ck_assert(cJSON_IsArray(a));
	ck_assert_int_eq(cJSON_GetArraySize(a), 2);
	cJSON_ArrayForEach(it, a) {
		ck_assert_str_eq(sg_json_str(it, "user_id"), "user-1");
		ck_assert_ptr_null(sg_json_get(it, "token"));
		n++;
	}
	/* Sorted by created_at. */
	ck_assert_str_eq(sg_json_str(cJSON_GetArrayItem(a, 0), "container_id"),
	    CID_A);
	cJSON_Delete(j);
	sg_resp_clear(&resp);

	call("GET", "/v1/sessions?user_id=nobody", "operator", OPS, NULL,
	    &resp);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_str_eq(resp.body, "{\"sessions\":[]}");
	sg_resp_clear(&resp);

	expect("GET", "/v1/sessions?user%5Fid=user-2&x=y", "operator", OPS,
	    NULL, 200, NULL);
	expect("GET", "/v1/sessions", "operator", OPS, NULL, 400,
	    "missing_parameter");
	expect("GET", "/v1/sessions?userid=user-1", "operator", OPS, NULL, 400,
	    "missing_parameter");
	expect("GET", "/v1/sessions?user_id=user-1&user_id=user-2", "operator",
	    OPS, NULL, 400, "invalid_parameter");
	expect("GET", "/v1/sessions?user_id=user-1&user%5Fid=user-2",
	    "operator", OPS, NULL, 400, "invalid_parameter");
	expect("GET", "/v1/sessions?user_id=", "operator", OPS, NULL, 400,
	    "invalid_parameter");
	expect("GET", "/v1/sessions?user_id=a+b", "operator", OPS, NULL, 400,
	    "invalid_parameter");
	expect("GET", "/v1/sessions?user_id=user-1%00", "operator", OPS, NULL,
	    400, "invalid_parameter");
	expect("GET", "/v1/sessions?user_id=user-1%0d%0aFLUSHALL", "operator",
	    OPS, NULL, 400, "invalid_parameter");
	expect("GET", "/v1/sessions?user_id=*", "operator", OPS, NULL, 400,
	    "invalid_parameter");
	expect("GET", "/v1/sessions?user_id=%zz", "operator", OPS, NULL, 400,
	    "invalid_parameter");
	expect("GET", "/v1/sessions?user_id=user-1", "operator",
	    "tokens:issue", NULL, 403, "insufficient_scope");
	/* Nothing above changed what is stored. */
	call("GET", "/v1/sessions?user_id=user-1", "operator", OPS, NULL,
	    &resp);
	j = body_of(&resp);
	ck_assert_int_eq(cJSON_GetArraySize(sg_json_get(j, "sessions")), 2);
	cJSON_Delete(j);
	sg_resp_clear(&resp);
	ck_assert_int_eq(n, 2);
}
END_TEST

START_TEST(methods_routes)
{
	struct sg_resp	 resp;

	call("POST", "/v1/sessions/" CID_A, "operator", OPS, NULL, &resp);
	ck_assert_int_eq(resp.status, 405);
	ck_assert_int_eq(resp.nhdr >= 1, 1);
	{
		char	*s = ser(&resp);

		ck_assert_ptr_nonnull(strstr(s, "\r\nAllow: GET, HEAD\r\n"));
		free(s);
	}
	sg_resp_clear(&resp);
	expect("DELETE", "/v1/sessions/" CID_A, "operator", OPS, NULL, 405,
	    "method_not_allowed");
	expect("PUT", "/v1/sessions?user_id=u", "operator", OPS, NULL, 405,
	    "method_not_allowed");
	expect("POST", "/healthz", NULL, NULL, NULL, 405, "method_not_allowed");
	expect("GET", "/v1/session/" CID_A, "operator", OPS, NULL, 404,
	    "not_found");
	expect("GET", "/v1/sessionsx", "operator", OPS, NULL, 404, "not_found");
	expect("GET", "/", "operator", OPS, NULL, 404, "not_found");
	expect("GET", "http://127.0.0.1/v1/sessions/" CID_A, "operator", OPS,
	    NULL, 404, "not_found");
}
END_TEST

/* A request with a JSON body, as an operator with scope (SG_SUB "alice"). */
static int
callb(const char *method, const char *uri, const char *scope,
    const char *body, char *out, size_t outsize)
{
	char		*env[8], kv[6][512];
	struct sg_req	 req;
	struct sg_resp	 resp;
	size_t		 n = 0;
	int		 st;

	(void)snprintf(kv[0], sizeof(kv[0]), "REQUEST_METHOD=%s", method);
	(void)snprintf(kv[1], sizeof(kv[1]), "REQUEST_URI=%s", uri);
	(void)snprintf(kv[2], sizeof(kv[2]), "SG_KIND=operator");
	(void)snprintf(kv[3], sizeof(kv[3]), "SG_SCOPE=%s", scope);
	(void)snprintf(kv[4], sizeof(kv[4]), "SG_SUB=alice");
	(void)snprintf(kv[5], sizeof(kv[5]), "CONTENT_TYPE=application/json");
	for (n = 0; n < 6; n++)
		env[n] = kv[n];
	env[n] = NULL;
	sg_resp_init(&resp);
	ck_assert_int_eq(sg_req_init(&req, env, body, body != NULL ?
	    strlen(body) : 0, NULL), SG_OK);
	query_handle(&q, &req, &resp);
	sg_req_clear(&req);
	st = resp.status;
	(void)snprintf(out, outsize, "%.*s", (int)resp.bodylen,
	    resp.body != NULL ? resp.body : "");
	sg_resp_clear(&resp);
	return st;
}

#define POL	"/v1/sandboxes/" CID_A "/policy"
#define GRANTS	"/v1/sandboxes/" CID_A "/grants"
#define UPD	"sandboxes:update"

/* The policy routes (policy.c; docs/contract.md §10). */
START_TEST(policy_routes)
{
	char	 b[16384], big[20000];

	ck_assert_int_eq(callb("GET", POL, OPS, NULL, b, sizeof(b)), 200);
	ck_assert_ptr_nonnull(strstr(b, "\"overlay\":null"));
	ck_assert_ptr_nonnull(strstr(b, "\"token_allowed_hosts\":"
	    "[\"github.com\",\"*.example.com:8443\"]"));
	/* scope, kind */
	ck_assert_int_eq(callb("PATCH", POL, OPS, "{\"hosts\":[]}", b,
	    sizeof(b)), 403);
	expect("PATCH", POL, "container", NULL, CID_A, 403, NULL);
	ck_assert_int_eq(callb("GET", POL, UPD, NULL, b, sizeof(b)), 403);
	/* widening, bad input, unknown sandbox, methods */
	ck_assert_int_eq(callb("PATCH", POL, UPD, "{\"hosts\":[\"gitlab.com\"]}",
	    b, sizeof(b)), 400);
	ck_assert_ptr_nonnull(strstr(b, "\"error\":\"host_not_in_token\""));
	ck_assert_int_eq(callb("PATCH", POL, UPD,
	    "{\"hosts\":[\"*.example.com\"]}", b, sizeof(b)), 400);
	ck_assert_ptr_nonnull(strstr(b, "\"error\":\"host_not_in_token\""));
	ck_assert_int_eq(callb("PATCH", POL, UPD, "{\"hosts\":[],"
	    "\"expires_at\":9999999999}", b, sizeof(b)), 400);
	ck_assert_ptr_nonnull(strstr(b, "\"error\":\"expiry_after_token\""));
	ck_assert_int_eq(callb("PATCH", POL, UPD, "{\"hosts\":[],"
	    "\"expires_at\":1000}", b, sizeof(b)), 400);
	ck_assert_ptr_nonnull(strstr(b, "\"error\":\"bad_expires_at\""));
	ck_assert_int_eq(callb("PATCH", POL, UPD, "{\"hosts\":[", b,
	    sizeof(b)), 400);
	memset(big, ' ', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[0] = '{';
	big[sizeof(big) - 2] = '}';
	ck_assert_int_eq(callb("PATCH", POL, UPD, big, b, sizeof(b)), 413);
	ck_assert_int_eq(callb("PATCH", "/v1/sandboxes/sandbox_nope/policy",
	    UPD, "{\"hosts\":[]}", b, sizeof(b)), 404);
	ck_assert_int_eq(callb("PUT", POL, UPD, "{}", b, sizeof(b)), 405);
	ck_assert_int_eq(callb("GET", GRANTS, UPD, NULL, b, sizeof(b)), 405);
	/* a grant needs an overlay */
	ck_assert_int_eq(callb("POST", GRANTS, UPD,
	    "{\"host\":\"github.com\",\"minutes\":5}", b, sizeof(b)), 409);
	ck_assert_ptr_nonnull(strstr(b, "\"error\":\"no_overlay\""));
	/* narrowing */
	ck_assert_int_eq(callb("PATCH", POL, UPD, "{\"hosts\":[{\"host\":"
	    "\"a.example.com:8443\",\"methods\":[\"GET\"]}]}", b, sizeof(b)),
	    200);
	ck_assert_ptr_nonnull(strstr(b, "\"set_by\":\"alice\""));
	ck_assert_int_eq(callb("POST", GRANTS, UPD,
	    "{\"host\":\"github.com\",\"minutes\":5}", b, sizeof(b)), 201);
	ck_assert_ptr_nonnull(strstr(b, "\"grants\":[{\"host\":\"github.com\""));
	ck_assert_int_eq(callb("POST", GRANTS, UPD,
	    "{\"host\":\"gitlab.com\",\"minutes\":5}", b, sizeof(b)), 400);
	ck_assert_int_eq(callb("POST", GRANTS, UPD,
	    "{\"host\":\"github.com\",\"minutes\":1441}", b, sizeof(b)), 400);
	ck_assert_ptr_nonnull(strstr(b, "\"error\":\"bad_minutes\""));
	/* shown in the session, which another tool can still read */
	ck_assert_int_eq(callb("GET", "/v1/sessions/" CID_A, OPS, NULL, b,
	    sizeof(b)), 200);
	ck_assert_ptr_nonnull(strstr(b, "\"policy\":{\"hosts\":"));
	ck_assert_ptr_nonnull(strstr(b, "\"rev\":2"));
	/* DELETE: the token alone, no policy left in the session */
	ck_assert_int_eq(callb("DELETE", POL, UPD, NULL, b, sizeof(b)), 200);
	ck_assert_ptr_nonnull(strstr(b, "\"overlay\":null"));
	ck_assert_int_eq(callb("GET", "/v1/sessions/" CID_A, OPS, NULL, b,
	    sizeof(b)), 200);
	ck_assert_ptr_null(strstr(b, "\"policy\""));
}
END_TEST

START_TEST(healthz_up)
{
	struct sg_resp	 resp;
	cJSON		*j;

	call("GET", "/healthz", NULL, NULL, NULL, &resp);
	ck_assert_int_eq(resp.status, 200);
	j = body_of(&resp);
	ck_assert_str_eq(sg_json_str(j, "status"), "ok");
	ck_assert_str_eq(sg_json_str(j, "redis"), "ok");
	cJSON_Delete(j);
	sg_resp_clear(&resp);
	expect("GET", "/healthz/session-query", NULL, NULL, NULL, 200, NULL);
}
END_TEST

/* A 503 with Retry-After and the error shape, whatever was asked. */
static void
expect_503(const char *uri, const char *kind, const char *scope,
    const char *cid)
{
	struct sg_resp	 resp;
	char		*s;
	cJSON		*j;

	call("GET", uri, kind, scope, cid, &resp);
	ck_assert_msg(resp.status == 503, "%s: %d", uri, resp.status);
	s = ser(&resp);
	ck_assert(strncmp(s, "Status: 503 ", 12) == 0);
	ck_assert_ptr_nonnull(strstr(s, "\r\nRetry-After: "));
	free(s);
	j = body_of(&resp);
	ck_assert_str_eq(sg_json_str(j, "error"), "redis_unavailable");
	ck_assert_ptr_null(sg_json_get(j, "sessions"));
	cJSON_Delete(j);
	sg_resp_clear(&resp);
}

/* Redis at a socket nobody listens on. */
START_TEST(redis_dead_socket)
{
	struct app	 dead;
	struct sg_cfg	 c;
	struct sg_err	 err;
	struct app	 saved;

	c = cfg;
	(void)snprintf(c.redis, sizeof(c.redis), "unix:%s/dead.sock", tmpdir);
	sg_err_clear(&err);
	ck_assert_int_eq(query_init(&dead, &c, &err), SG_OK);
	saved = q;
	q = dead;
	expect_503("/v1/sessions/" CID_A, "operator", OPS, NULL);
	expect_503("/v1/sessions/" CID_A, "container", NULL, CID_A);
	expect_503("/v1/sessions?user_id=user-1", "operator", OPS, NULL);
	{
		struct sg_resp	 resp;
		cJSON		*j;

		call("GET", "/healthz", NULL, NULL, NULL, &resp);
		ck_assert_int_eq(resp.status, 503);
		j = body_of(&resp);
		ck_assert_str_eq(sg_json_str(j, "redis"), "down");
		ck_assert_str_eq(sg_json_str(j, "error"), "redis_unavailable");
		cJSON_Delete(j);
		sg_resp_clear(&resp);
	}
	/* Access checks still come first: no identity is still 401. */
	expect("GET", "/v1/sessions/" CID_A, NULL, NULL, NULL, 401,
	    "invalid_token");
	q = saved;
	query_clear(&dead);
}
END_TEST

/* Redis killed mid-run, then back: 503 meanwhile, then recovery. */
START_TEST(redis_restart)
{
	expect("GET", "/v1/sessions/" CID_A, "operator", OPS, NULL, 200, NULL);
	redis_stop();
	expect_503("/v1/sessions/" CID_A, "operator", OPS, NULL);
	expect_503("/v1/sessions?user_id=user-1", "operator", OPS, NULL);
	expect_503("/v1/sessions/" CID_A, "operator", OPS, NULL);
	redis_pid = sgtest_redis_start(tmpdir, "redis", 0, NULL);
	ck_assert_int_gt(redis_pid, 0);
	ck_assert(sgtest_redis_ready(q.redis));
	/* An empty Redis (no persistence here): 404, not a stale 200. */
	expect("GET", "/v1/sessions/" CID_A, "operator", OPS, NULL, 404,
	    "not_found");
	put(CID_A, "user-1", (int64_t)time(NULL));
	expect("GET", "/v1/sessions/" CID_A, "operator", OPS, NULL, 200, NULL);
}
END_TEST

/* Redis stopped (SIGSTOP) beyond the command timeout: 503, not a hang. */
START_TEST(redis_stalled)
{
	struct timespec	 a, b;
	int64_t		 ms;

	expect("GET", "/v1/sessions/" CID_A, "operator", OPS, NULL, 200, NULL);
	ck_assert_int_eq(kill(redis_pid, SIGSTOP), 0);
	(void)clock_gettime(CLOCK_MONOTONIC, &a);
	expect_503("/v1/sessions/" CID_A, "operator", OPS, NULL);
	(void)clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (int64_t)(b.tv_sec - a.tv_sec) * 1000 +
	    (b.tv_nsec - a.tv_nsec) / 1000000;
	ck_assert_int_lt(ms, 3000);
	ck_assert_int_eq(kill(redis_pid, SIGCONT), 0);
	ck_assert(sgtest_redis_ready(q.redis));
	expect("GET", "/v1/sessions/" CID_A, "operator", OPS, NULL, 200, NULL);
}
END_TEST

/* Audit entries for the decisions endpoint, written as the trail does. */
static void
audit_put(const char *cid, int n)
{
	struct sg_audit	*a = NULL;
	struct sg_err	 err;
	cJSON		*o;
	char		 tgt[32];
	int		 i;

	sg_err_clear(&err);
	ck_assert(sg_audit_new(cfg.redis, 1000, &a, &err) == SG_OK);
	for (i = 0; i < n; i++) {
		ck_assert_ptr_nonnull(o = cJSON_CreateObject());
		cJSON_AddStringToObject(o, "event", "decision");
		cJSON_AddStringToObject(o, "decision", "deny");
		cJSON_AddStringToObject(o, "container_id", cid);
		cJSON_AddNumberToObject(o, "status", 403);
		cJSON_AddNumberToObject(o, "latency_us", i);
		/* each its own target: identical denials are aggregated */
		(void)snprintf(tgt, sizeof(tgt), "t%d.example:443", i);
		cJSON_AddStringToObject(o, "target", tgt);
		ck_assert(sg_audit_send(a, o, NULL, NULL) == SG_OK);
		cJSON_Delete(o);
	}
	for (i = 0; i < 500 && sg_audit_pending(a) > 0; i++) {
		(void)sg_audit_flush(a, NULL, NULL);
		(void)usleep(2000);
	}
	/* the last reply read means Redis has them all */
	(void)usleep(50000);
	sg_audit_free(a);
}

/* GET /v1/sessions/{id}/decisions: operators with sessions:read only. */
START_TEST(decisions_endpoint)
{
	struct sg_resp	 resp;
	cJSON		*j;
	const cJSON	*d;
	int64_t		 v;

	audit_put(CID_A, 5);
	audit_put(CID_B, 3);
	call("GET", "/v1/sessions/" CID_A "/decisions", "operator", OPS, NULL,
	    &resp);
	ck_assert_int_eq(resp.status, 200);
	j = body_of(&resp);
	ck_assert_str_eq(sg_json_str(j, "container_id"), CID_A);
	d = sg_json_get(j, "decisions");
	ck_assert_int_eq(cJSON_GetArraySize(d), 5);
	ck_assert_str_eq(sg_json_str(cJSON_GetArrayItem(d, 0), "container_id"),
	    CID_A);
	/* newest first */
	ck_assert_int_eq(sg_json_int(cJSON_GetArrayItem(d, 0), "latency_us",
	    0, 100, &v, NULL), SG_OK);
	ck_assert_int_eq(v, 4);
	ck_assert(cJSON_IsTrue(sg_json_get(j, "complete")));
	/* read from A's own stream: exactly its entries */
	ck_assert_int_eq(sg_json_int(j, "scanned", 0, 100, &v, NULL), SG_OK);
	ck_assert_int_eq(v, 5);
	cJSON_Delete(j);
	sg_resp_clear(&resp);
	call("GET", "/v1/sessions/" CID_B "/decisions?limit=2", "operator", OPS,
	    NULL, &resp);
	ck_assert_int_eq(resp.status, 200);
	j = body_of(&resp);
	ck_assert_int_eq(cJSON_GetArraySize(sg_json_get(j, "decisions")), 2);
	cJSON_Delete(j);
	sg_resp_clear(&resp);
	/* a sandbox with no trail (or long gone): an empty list */
	call("GET", "/v1/sessions/sandbox_gone/decisions", "operator", OPS,
	    NULL, &resp);
	ck_assert_int_eq(resp.status, 200);
	j = body_of(&resp);
	ck_assert_int_eq(cJSON_GetArraySize(sg_json_get(j, "decisions")), 0);
	cJSON_Delete(j);
	sg_resp_clear(&resp);
	/* who may read it */
	expect("GET", "/v1/sessions/" CID_A "/decisions", NULL, NULL, NULL, 401,
	    "invalid_token");
	expect("GET", "/v1/sessions/" CID_A "/decisions", "operator",
	    "tokens:issue metrics:read", NULL, 403, "insufficient_scope");
	expect("GET", "/v1/sessions/" CID_A "/decisions", "container", NULL,
	    CID_A, 403, "forbidden");
	/* bad input */
	expect("POST", "/v1/sessions/" CID_A "/decisions", "operator", OPS,
	    NULL, 405, "method_not_allowed");
	expect("GET", "/v1/sessions/a.b/decisions", "operator", OPS, NULL, 400,
	    "invalid_id");
	expect("GET", "/v1/sessions/" CID_A "/decisions?limit=0", "operator",
	    OPS, NULL, 400, "invalid_parameter");
	expect("GET", "/v1/sessions/" CID_A "/decisions?limit=1001",
	    "operator", OPS, NULL, 400, "invalid_parameter");
	expect("GET", "/v1/sessions/" CID_A "/decisions?limit=-1", "operator",
	    OPS, NULL, 400, "invalid_parameter");
	expect("GET", "/v1/sessions/" CID_A "/decisions?limit=1&limit=2",
	    "operator", OPS, NULL, 400, "invalid_parameter");
	expect("GET", "/v1/sessions/" CID_A "/decisions?limit=1000",
	    "operator", OPS, NULL, 200, NULL);
	/* Redis down: 503, never an empty 200 */
	redis_stop();
	expect("GET", "/v1/sessions/" CID_A "/decisions", "operator", OPS,
	    NULL, 503, "redis_unavailable");
}
END_TEST

/* GET /metrics: metrics:read, Prometheus text, live sessions gauge. */
START_TEST(metrics_endpoint)
{
	struct sg_resp	 resp;
	struct sg_err	 err;
	char		*s;

	/* off without SANDGATE_METRICS_DIR */
	sg_metrics_close();
	expect("GET", "/metrics", "operator", "metrics:read", NULL, 503,
	    "metrics_disabled");
	sg_err_clear(&err);
	ck_assert(sg_metrics_open(tmpdir, "session-query", &err) == SG_OK);
	expect("GET", "/metrics", NULL, NULL, NULL, 401, "invalid_token");
	expect("GET", "/metrics", "operator", OPS, NULL, 403,
	    "insufficient_scope");
	expect("GET", "/metrics", "container", "metrics:read", CID_A, 403,
	    "forbidden");
	expect("DELETE", "/metrics", "operator", "metrics:read", NULL, 405,
	    "method_not_allowed");
	call("GET", "/metrics", "operator", "metrics:read", NULL, &resp);
	ck_assert_int_eq(resp.status, 200);
	s = ser(&resp);
	ck_assert_ptr_nonnull(strstr(s, "Content-Type: text/plain; "
	    "version=0.0.4; charset=utf-8\r\n"));
	ck_assert_ptr_nonnull(strstr(s, "Cache-Control: no-store\r\n"));
	ck_assert_ptr_nonnull(strstr(s, "\nsandgate_live_sessions 3\n"));
	ck_assert_ptr_nonnull(strstr(s, "\nsandgate_session_store_up 1\n"));
	ck_assert_ptr_nonnull(strstr(s,
	    "\nsandgate_live_sessions_scan_complete 1\n"));
	/* the SCAN itself went through run(): counted */
	ck_assert_ptr_nonnull(strstr(s, "sandgate_redis_calls_total"
	    "{service=\"session-query\"} "));
	free(s);
	sg_resp_clear(&resp);
	/* Redis down: the counters still, the store marked down */
	redis_stop();
	call("GET", "/metrics", "operator", "metrics:read", NULL, &resp);
	ck_assert_int_eq(resp.status, 200);
	s = ser(&resp);
	ck_assert_ptr_nonnull(strstr(s, "\nsandgate_session_store_up 0\n"));
	ck_assert_ptr_null(strstr(s, "\nsandgate_live_sessions "));
	ck_assert_ptr_nonnull(strstr(s, "sandgate_redis_errors_total"
	    "{service=\"session-query\",reason=\"redis_"));
	free(s);
	sg_resp_clear(&resp);
	sg_metrics_close();
	{
		char	 p[192];

		(void)snprintf(p, sizeof(p), "%s/%s", tmpdir,
		    SG_METRICS_FILE);
		(void)unlink(p);
	}
}
END_TEST

START_TEST(init_bad_url)
{
	struct sg_cfg	 c;
	struct app	 x;
	struct sg_err	 err;

	sg_cfg_defaults(&c);
	(void)strlcpy(c.redis, "http://nope", sizeof(c.redis));
	sg_err_clear(&err);
	ck_assert_int_eq(query_init(&x, &c, &err), SG_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "SANDGATE_REDIS"));
}
END_TEST

static Suite *
query_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("query");
	tc = tcase_create("query");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, operator_reads);
	tcase_add_test(tc, who_reads);
	tcase_add_test(tc, hostile_ids);
	tcase_add_test(tc, list_sessions);
	tcase_add_test(tc, methods_routes);
	tcase_add_test(tc, policy_routes);
	tcase_add_test(tc, healthz_up);
	tcase_add_test(tc, redis_dead_socket);
	tcase_add_test(tc, redis_restart);
	tcase_add_test(tc, redis_stalled);
	tcase_add_test(tc, decisions_endpoint);
	tcase_add_test(tc, metrics_endpoint);
	suite_add_tcase(s, tc);
	tc = tcase_create("config");
	tcase_add_test(tc, init_bad_url);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(query_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
