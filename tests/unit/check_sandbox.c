/* SPDX-License-Identifier: ISC */
/*
 * sandbox-create and sandbox-destroy handlers, driven with hand-built
 * requests: caller checks, strict body validation (hostile bodies
 * included), the container settings sent to Docker, the inspect check
 * that refuses a sandbox whose hardening did not take effect, the data
 * directories, and the answers when Docker or Redis are down.  The real
 * engine is exercised by tests/integration/t-sandbox.sh.
 */
#include "config.h"

#include <sys/stat.h>

#include <check.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../services/sandbox-create/create.h"
#include "../../services/sandbox-destroy/destroy.h"
#include "cfg.h"
#include "json.h"
#include "log.h"
#include "sgtest.h"

#define NOW		SGTEST_NOW
#define ORG		"123e4567-e89b-12d3-a456-426614174000"
#define PROXY		"http://10.0.0.1:8443"

static struct sg_cfg		 cfg;
static struct app	 capp;
static struct app	 dapp;
static char			 dir[64];

static void
rm_tree(const char *path)
{
	char	 cmd[PATH_MAX + 16];

	/* Only ever our own mkdtemp directory. */
	if (strncmp(path, "/tmp/check_sandbox.", 19) != 0)
		return;
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", path);
}

static void
setup(void)
{
	struct sg_err	 err;

	(void)snprintf(dir, sizeof(dir), "/tmp/check_sandbox.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	sg_log_init("check_sandbox", SG_LOG_ERROR);
	sg_cfg_defaults(&cfg);
	(void)snprintf(cfg.issuer, sizeof(cfg.issuer), "sandgate-test");
	(void)snprintf(cfg.image, sizeof(cfg.image), "sandgate-test:latest");
	(void)snprintf(cfg.images, sizeof(cfg.images),
	    "other:1,registry.local/x:2");
	(void)snprintf(cfg.runtime, sizeof(cfg.runtime), "runc");
	(void)snprintf(cfg.network, sizeof(cfg.network), "sgnet");
	(void)snprintf(cfg.proxy_url, sizeof(cfg.proxy_url), PROXY);
	(void)snprintf(cfg.data_root, sizeof(cfg.data_root), "%s/data", dir);
	(void)snprintf(cfg.docker_socket, sizeof(cfg.docker_socket),
	    "%s/no-docker.sock", dir);
	/* Port 1 on loopback: nothing listens, Redis is "down". */
	(void)snprintf(cfg.redis, sizeof(cfg.redis), "redis://127.0.0.1:1/0");
	cfg.redis_timeout_ms = 300;
	cfg.token_ttl = 14400;
	cfg.token_max_ttl = 86400;
	cfg.max_per_user = 10;
	cfg.memory_bytes = 4LL * 1024 * 1024 * 1024;
	cfg.nano_cpus = 2000000000LL;
	cfg.pids_limit = 100;
	(void)snprintf(cfg.tmpfs_size, sizeof(cfg.tmpfs_size), "1G");

	memset(&capp, 0, sizeof(capp));
	memset(&dapp, 0, sizeof(dapp));
	capp.cfg = &cfg;
	capp.now = NOW;
	sg_err_clear(&err);
	ck_assert_int_eq(create_app_config(&capp, &err), SG_OK);
	ck_assert_str_eq(capp.proxy_hostport, "10.0.0.1:8443");
	ck_assert_int_eq(sg_key_load_pem(SG_TESTDATA "/test-key-1.pem",
	    &capp.key, &err), SG_OK);
	ck_assert_int_eq(sg_redis_new(cfg.redis, cfg.redis_timeout_ms,
	    &capp.redis, &err), SG_OK);
	cfg.docker_timeout_s = 2;
	ck_assert_int_eq(sg_engines_new(&cfg, &capp.engines, &err), SG_OK);
	dapp.cfg = &cfg;
	dapp.redis = capp.redis;
	dapp.engines = capp.engines;
}

static void
teardown(void)
{
	sg_engines_free(capp.engines);
	sg_redis_free(capp.redis);
	sg_key_free(capp.key);
	rm_tree(dir);
}

/* Run a handler on a request built from the arguments. */
static void
call(sg_handler h, void *app, const char *kind, const char *scope,
    const char *method, const char *uri, const char *ctype,
    const char *body, size_t bodylen, struct sg_resp *resp)
{
	struct sg_req	 req;
	struct sg_err	 err;
	char		*env[16];
	char		 e_kind[64], e_scope[256], e_method[32], e_uri[512];
	char		 e_ctype[128], e_len[64];
	size_t		 n = 0;

	(void)snprintf(e_method, sizeof(e_method), "REQUEST_METHOD=%s",
	    method);
	env[n++] = e_method;
	(void)snprintf(e_uri, sizeof(e_uri), "REQUEST_URI=%s", uri);
	env[n++] = e_uri;
	if (kind != NULL) {
		(void)snprintf(e_kind, sizeof(e_kind), "SG_KIND=%s", kind);
		env[n++] = e_kind;
	}
	if (scope != NULL) {
		(void)snprintf(e_scope, sizeof(e_scope), "SG_SCOPE=%s", scope);
		env[n++] = e_scope;
	}
	if (ctype != NULL) {
		(void)snprintf(e_ctype, sizeof(e_ctype), "CONTENT_TYPE=%s",
		    ctype);
		env[n++] = e_ctype;
	}
	(void)snprintf(e_len, sizeof(e_len), "CONTENT_LENGTH=%zu", bodylen);
	env[n++] = e_len;
	env[n++] = (char *)"SG_SUB=ops";
	env[n] = NULL;

	sg_resp_init(resp);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_req_init(&req, env, body, bodylen, &err), SG_OK);
	h(app, &req, resp);
	sg_req_clear(&req);
}

static int
create(const char *body, struct sg_resp *resp)
{
	call(create_handle, &capp, "operator", "sandboxes:create", "POST",
	    "/v1/sandboxes", "application/json", body, strlen(body), resp);
	return resp->status;
}

/* The "error" member of a response body, or "" */
/* budget: requests and/or bytes, strict, default. */
START_TEST(test_spec_budget)
{
	static const char *const bad[] = {
		"{}", "{\"requests\":0}", "{\"requests\":2.5}",
		"{\"requests\":\"5\"}", "{\"bytes\":0}", "[5]",
		"{\"requests\":5,\"extra\":1}"
	};
	struct create_spec	 s;
	struct sg_err		 err;
	struct sg_cfg		 c = cfg;
	char			 buf[512];
	cJSON			*b;
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		create_spec_init(&s);
		sg_err_clear(&err);
		(void)snprintf(buf, sizeof(buf), "{\"user_id\":\"u\","
		    "\"organization_uuid\":\"" ORG "\",\"allowed_hosts\":[],"
		    "\"budget\":%s}", bad[i]);
		b = cJSON_Parse(buf);
		ck_assert_msg(create_spec_parse(&cfg, b, &s, &err) == SG_EINVAL,
		    "accepted %s", bad[i]);
		ck_assert_str_eq(err.code, "bad_field");
		ck_assert_msg(strstr(err.msg, "budget") != NULL, "%s", err.msg);
		cJSON_Delete(b);
		create_spec_clear(&s);
	}
	create_spec_init(&s);
	sg_err_clear(&err);
	b = cJSON_Parse("{\"user_id\":\"u\",\"organization_uuid\":\"" ORG
	    "\",\"allowed_hosts\":[],\"budget\":{\"requests\":5}}");
	ck_assert_int_eq(create_spec_parse(&cfg, b, &s, &err), SG_OK);
	ck_assert(s.budget_requests == 5 && s.budget_bytes == 0);
	cJSON_Delete(b);
	create_spec_clear(&s);
	/* bytes: counted by sandgate-budget-log (docs/contract.md §7.2) */
	create_spec_init(&s);
	b = cJSON_Parse("{\"user_id\":\"u\",\"organization_uuid\":\"" ORG
	    "\",\"allowed_hosts\":[],\"budget\":{\"bytes\":10000}}");
	ck_assert_int_eq(create_spec_parse(&cfg, b, &s, &err), SG_OK);
	ck_assert(s.budget_requests == 0 && s.budget_bytes == 10000);
	cJSON_Delete(b);
	create_spec_clear(&s);

	/* none given: SANDGATE_BUDGET_REQUESTS (0 = unlimited) */
	c.budget_requests = 77;
	create_spec_init(&s);
	b = cJSON_Parse("{\"user_id\":\"u\",\"organization_uuid\":\"" ORG
	    "\",\"allowed_hosts\":[]}");
	ck_assert_int_eq(create_spec_parse(&c, b, &s, &err), SG_OK);
	ck_assert(s.budget_requests == 77);
	cJSON_Delete(b);
	create_spec_clear(&s);
}
END_TEST

static const char *
errcode(const struct sg_resp *resp)
{
	static char	 code[128];
	cJSON		*j;
	const char	*s;

	code[0] = '\0';
	if (resp->body == NULL)
		return code;
	j = cJSON_ParseWithLength(resp->body, resp->bodylen);
	ck_assert_ptr_nonnull(j);
	ck_assert_ptr_nonnull(sg_json_str(j, "message"));
	if ((s = sg_json_str(j, "error")) != NULL)
		(void)snprintf(code, sizeof(code), "%s", s);
	cJSON_Delete(j);
	return code;
}

static int
has_header(const struct sg_resp *resp, const char *prefix)
{
	size_t	 i;

	for (i = 0; i < resp->nhdr; i++)
		if (strncmp(resp->hdr[i], prefix, strlen(prefix)) == 0)
			return 1;
	return 0;
}

#define GOOD_BODY \
	"{\"user_id\":\"alice\",\"organization_uuid\":\"" ORG "\"," \
	"\"allowed_hosts\":[\"github.com\",\"*.pypi.org\"]}"

START_TEST(test_caller_checks)
{
	struct sg_resp	 resp;

	call(create_handle, &capp, NULL, NULL, "POST", "/v1/sandboxes",
	    "application/json", GOOD_BODY, strlen(GOOD_BODY), &resp);
	ck_assert_int_eq(resp.status, 401);
	ck_assert(has_header(&resp, "WWW-Authenticate: Bearer"));
	sg_resp_clear(&resp);

	call(create_handle, &capp, "container", "sandboxes:create", "POST",
	    "/v1/sandboxes", "application/json", GOOD_BODY,
	    strlen(GOOD_BODY), &resp);
	ck_assert_int_eq(resp.status, 403);
	sg_resp_clear(&resp);

	/* Wrong scope. */
	call(create_handle, &capp, "operator", "tokens:issue sessions:read",
	    "POST", "/v1/sandboxes", "application/json", GOOD_BODY,
	    strlen(GOOD_BODY), &resp);
	ck_assert_int_eq(resp.status, 403);
	ck_assert_str_eq(errcode(&resp), "insufficient_scope");
	sg_resp_clear(&resp);

	call(create_handle, &capp, "operator", "sandboxes:destroy", "POST",
	    "/v1/sandboxes", "application/json", GOOD_BODY,
	    strlen(GOOD_BODY), &resp);
	ck_assert_int_eq(resp.status, 403);
	sg_resp_clear(&resp);

	call(create_handle, &capp, "operator", "", "POST", "/v1/sandboxes",
	    "application/json", GOOD_BODY, strlen(GOOD_BODY), &resp);
	ck_assert_int_eq(resp.status, 403);
	sg_resp_clear(&resp);

	call(create_handle, &capp, "operator", "sandboxes:create", "GET",
	    "/v1/sandboxes", NULL, "", 0, &resp);
	ck_assert_int_eq(resp.status, 405);
	ck_assert(has_header(&resp, "Allow: POST"));
	sg_resp_clear(&resp);

	call(create_handle, &capp, "operator", "sandboxes:create", "POST",
	    "/v1/sandboxes/x", "application/json", GOOD_BODY,
	    strlen(GOOD_BODY), &resp);
	ck_assert_int_eq(resp.status, 404);
	sg_resp_clear(&resp);
}
END_TEST

START_TEST(test_media_and_json)
{
	struct sg_resp	 resp;

	call(create_handle, &capp, "operator", "sandboxes:create", "POST",
	    "/v1/sandboxes", "text/plain", GOOD_BODY, strlen(GOOD_BODY),
	    &resp);
	ck_assert_int_eq(resp.status, 415);
	sg_resp_clear(&resp);

	ck_assert_int_eq(create("{\"user_id\":", &resp), 400);
	sg_resp_clear(&resp);
	ck_assert_int_eq(create("[]", &resp), 400);
	sg_resp_clear(&resp);
	/* Duplicate member: cJSON alone would take the first. */
	ck_assert_int_eq(create("{\"user_id\":\"a\",\"user_id\":\"b\","
	    "\"organization_uuid\":\"" ORG "\",\"allowed_hosts\":[]}", &resp),
	    400);
	sg_resp_clear(&resp);
	/* Trailing garbage after the object. */
	ck_assert_int_eq(create(GOOD_BODY "x", &resp), 400);
	sg_resp_clear(&resp);
}
END_TEST

/* Each body must be refused with 400 before Docker or Redis is asked. */
static const char *const bad_bodies[] = {
	/* missing fields */
	"{}",
	"{\"organization_uuid\":\"" ORG "\",\"allowed_hosts\":[]}",
	"{\"user_id\":\"alice\",\"allowed_hosts\":[]}",
	"{\"user_id\":\"alice\",\"organization_uuid\":\"" ORG "\"}",
	/* path traversal and other unsafe user ids */
	"{\"user_id\":\"../../etc\",\"organization_uuid\":\"" ORG "\","
	    "\"allowed_hosts\":[]}",
	"{\"user_id\":\"..\",\"organization_uuid\":\"" ORG "\","
	    "\"allowed_hosts\":[]}",
	"{\"user_id\":\"a/b\",\"organization_uuid\":\"" ORG "\","
	    "\"allowed_hosts\":[]}",
	"{\"user_id\":\"/etc\",\"organization_uuid\":\"" ORG "\","
	    "\"allowed_hosts\":[]}",
	"{\"user_id\":\"a\\u0000b\",\"organization_uuid\":\"" ORG "\","
	    "\"allowed_hosts\":[]}",
	"{\"user_id\":\"\",\"organization_uuid\":\"" ORG "\","
	    "\"allowed_hosts\":[]}",
	"{\"user_id\":\"al ice\",\"organization_uuid\":\"" ORG "\","
	    "\"allowed_hosts\":[]}",
	"{\"user_id\":\"\xc3\xa9t\xc3\xa9\",\"organization_uuid\":\"" ORG "\","
	    "\"allowed_hosts\":[]}",
	"{\"user_id\":7,\"organization_uuid\":\"" ORG "\","
	    "\"allowed_hosts\":[]}",
	"{\"user_id\":\"a:b\",\"organization_uuid\":\"" ORG "\","
	    "\"allowed_hosts\":[]}",
	/* organization */
	"{\"user_id\":\"alice\",\"organization_uuid\":\"not-a-uuid\","
	    "\"allowed_hosts\":[]}",
	"{\"user_id\":\"alice\",\"organization_uuid\":\"" ORG "\\r\\nX\","
	    "\"allowed_hosts\":[]}",
	/* hosts */
	"{\"user_id\":\"alice\",\"organization_uuid\":\"" ORG "\","
	    "\"allowed_hosts\":\"github.com\"}",
	"{\"user_id\":\"alice\",\"organization_uuid\":\"" ORG "\","
	    "\"allowed_hosts\":[1]}",
	"{\"user_id\":\"alice\",\"organization_uuid\":\"" ORG "\","
	    "\"allowed_hosts\":[\"*\"]}",
	"{\"user_id\":\"alice\",\"organization_uuid\":\"" ORG "\","
	    "\"allowed_hosts\":[\"*.com\"]}",
	"{\"user_id\":\"alice\",\"organization_uuid\":\"" ORG "\","
	    "\"allowed_hosts\":[\"github.com/x\"]}",
	"{\"user_id\":\"alice\",\"organization_uuid\":\"" ORG "\","
	    "\"allowed_hosts\":[\"github.com@evil.com\"]}",
	"{\"user_id\":\"alice\",\"organization_uuid\":\"" ORG "\","
	    "\"allowed_hosts\":[\"\"]}",
	"{\"user_id\":\"alice\",\"organization_uuid\":\"" ORG "\","
	    "\"allowed_hosts\":[\"a.com,b.com\"]}",
	"{\"user_id\":\"alice\",\"organization_uuid\":\"" ORG "\","
	    "\"allowed_hosts\":[\"github.com:0\"]}",
	"{\"user_id\":\"alice\",\"organization_uuid\":\"" ORG "\","
	    "\"allowed_hosts\":[null]}",
	/* duration */
	"{\"user_id\":\"alice\",\"organization_uuid\":\"" ORG "\","
	    "\"allowed_hosts\":[],\"duration_hours\":0}",
	"{\"user_id\":\"alice\",\"organization_uuid\":\"" ORG "\","
	    "\"allowed_hosts\":[],\"duration_hours\":25}",
	"{\"user_id\":\"alice\",\"organization_uuid\":\"" ORG "\","
	    "\"allowed_hosts\":[],\"duration_hours\":1.5}",
	"{\"user_id\":\"alice\",\"organization_uuid\":\"" ORG "\","
	    "\"allowed_hosts\":[],\"duration_hours\":\"2\"}",
	"{\"user_id\":\"alice\",\"organization_uuid\":\"" ORG "\","
	    "\"allowed_hosts\":[],\"duration_hours\":-1}",
	"{\"user_id\":\"alice\",\"organization_uuid\":\"" ORG "\","
	    "\"allowed_hosts\":[],\"duration_hours\":1e400}",
	"{\"user_id\":\"alice\",\"organization_uuid\":\"" ORG "\","
	    "\"allowed_hosts\":[],\"duration_hours\":99999999999999999999}",
	/* image */
	"{\"user_id\":\"alice\",\"organization_uuid\":\"" ORG "\","
	    "\"allowed_hosts\":[],\"image\":\"alpine:latest\"}",
	"{\"user_id\":\"alice\",\"organization_uuid\":\"" ORG "\","
	    "\"allowed_hosts\":[],\"image\":\"other:1,x\"}",
	"{\"user_id\":\"alice\",\"organization_uuid\":\"" ORG "\","
	    "\"allowed_hosts\":[],\"image\":\"other\"}",
	"{\"user_id\":\"alice\",\"organization_uuid\":\"" ORG "\","
	    "\"allowed_hosts\":[],\"image\":null}",
	/* flags */
	"{\"user_id\":\"alice\",\"organization_uuid\":\"" ORG "\","
	    "\"allowed_hosts\":[],\"is_hipaa_regulated\":\"true\"}",
	"{\"user_id\":\"alice\",\"organization_uuid\":\"" ORG "\","
	    "\"allowed_hosts\":[],\"is_pci_compliant\":1}",
	/* unknown fields, including case variants */
	"{\"user_id\":\"alice\",\"organization_uuid\":\"" ORG "\","
	    "\"allowed_hosts\":[],\"privileged\":true}",
	"{\"user_id\":\"alice\",\"organization_uuid\":\"" ORG "\","
	    "\"allowed_hosts\":[],\"User_ID\":\"root\"}",
	"{\"user_id\":\"alice\",\"organization_uuid\":\"" ORG "\","
	    "\"allowed_hosts\":[],\"enforce_binding\":false}",
	NULL
};

START_TEST(test_bad_bodies)
{
	struct sg_resp	 resp;
	size_t		 i;

	for (i = 0; bad_bodies[i] != NULL; i++) {
		if (create(bad_bodies[i], &resp) != 400)
			ck_abort_msg("body %zu: status %d: %s", i, resp.status,
			    bad_bodies[i]);
		sg_resp_clear(&resp);
	}
}
END_TEST

static char *
many_hosts(size_t n)
{
	size_t	 cap = 128 + n * 24, len, i;
	char	*b = malloc(cap);

	ck_assert_ptr_nonnull(b);
	len = (size_t)snprintf(b, cap, "{\"user_id\":\"alice\","
	    "\"organization_uuid\":\"" ORG "\",\"allowed_hosts\":[");
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(b + len, cap - len,
		    "%s\"h%zu.example.com\"", i == 0 ? "" : ",", i);
	(void)snprintf(b + len, cap - len, "]}");
	return b;
}

START_TEST(test_ten_thousand_hosts)
{
	struct sg_resp	 resp;
	char		*b = many_hosts(10000);

	/* 10,000 hosts are over the body cap anyway: 413 or 400. */
	call(create_handle, &capp, "operator", "sandboxes:create", "POST",
	    "/v1/sandboxes", "application/json", b, strlen(b), &resp);
	ck_assert(resp.status == 413 || resp.status == 400);
	sg_resp_clear(&resp);
	free(b);

	/* Just over the list cap, inside the body cap: 400. */
	b = many_hosts(SG_HOSTS_MAX + 1);
	ck_assert_int_lt(strlen(b), SG_HTTP_MAX_BODY);
	ck_assert_int_eq(create(b, &resp), 400);
	ck_assert_str_eq(errcode(&resp), "bad_field");
	sg_resp_clear(&resp);
	free(b);
}
END_TEST

START_TEST(test_huge_body)
{
	struct sg_resp	 resp;
	size_t		 n = 1024 * 1024;
	char		*b = malloc(n + 1);

	ck_assert_ptr_nonnull(b);
	memset(b, ' ', n);
	b[0] = '{';
	b[n - 1] = '}';
	b[n] = '\0';
	call(create_handle, &capp, "operator", "sandboxes:create", "POST",
	    "/v1/sandboxes", "application/json", b, n, &resp);
	ck_assert_int_eq(resp.status, 413);
	sg_resp_clear(&resp);
	free(b);
}
END_TEST

START_TEST(test_valid_body_redis_down)
{
	struct sg_resp	 resp;
	struct stat	 st;
	char		 p[PATH_MAX];

	/* Validation passes; the per-user count needs Redis: 503. */
	ck_assert_int_eq(create(GOOD_BODY, &resp), 503);
	ck_assert(has_header(&resp, "Retry-After:"));
	sg_resp_clear(&resp);
	/* Nothing was made on the way. */
	(void)snprintf(p, sizeof(p), "%s/data", dir);
	ck_assert_int_eq(stat(p, &st), -1);

	ck_assert_int_eq(create("{\"user_id\":\"alice\",\"organization_uuid\":"
	    "\"" ORG "\",\"allowed_hosts\":[],\"image\":\"other:1\","
	    "\"duration_hours\":24,\"is_hipaa_regulated\":true,"
	    "\"is_pci_compliant\":false}", &resp), 503);
	sg_resp_clear(&resp);
}
END_TEST

START_TEST(test_spec_parse)
{
	struct create_spec	 s;
	struct sg_err		 err;
	cJSON			*b;

	create_spec_init(&s);
	sg_err_clear(&err);
	b = cJSON_Parse("{\"user_id\":\"bob_1-x\",\"organization_uuid\":\""
	    ORG "\",\"allowed_hosts\":[\"GitHub.COM\",\"*.x.org:8443\"],"
	    "\"duration_hours\":2,\"image\":\"registry.local/x:2\","
	    "\"is_pci_compliant\":true}");
	ck_assert_int_eq(create_spec_parse(&cfg, b, &s, &err), SG_OK);
	ck_assert_str_eq(s.user_id, "bob_1-x");
	ck_assert_str_eq(s.org, ORG);
	ck_assert_int_eq(s.hosts.n, 2);
	ck_assert_str_eq(s.hosts.v[0].name, "github.com");
	ck_assert_int_eq(s.ttl, 7200);
	ck_assert_str_eq(s.image, "registry.local/x:2");
	ck_assert_int_eq(s.pci, 1);
	ck_assert_int_eq(s.hipaa, 0);
	cJSON_Delete(b);
	create_spec_clear(&s);

	/* Defaults: SANDGATE_TOKEN_TTL and SANDGATE_IMAGE. */
	create_spec_init(&s);
	b = cJSON_Parse("{\"user_id\":\"u\",\"organization_uuid\":\"" ORG
	    "\",\"allowed_hosts\":[]}");
	ck_assert_int_eq(create_spec_parse(&cfg, b, &s, &err), SG_OK);
	ck_assert_int_eq(s.ttl, 14400);
	ck_assert_str_eq(s.image, "sandgate-test:latest");
	ck_assert_int_eq(s.hosts.n, 0);
	cJSON_Delete(b);
	create_spec_clear(&s);

	/* The maximum follows SANDGATE_TOKEN_MAX_TTL. */
	create_spec_init(&s);
	b = cJSON_Parse("{\"user_id\":\"u\",\"organization_uuid\":\"" ORG
	    "\",\"allowed_hosts\":[],\"duration_hours\":24}");
	ck_assert_int_eq(create_spec_parse(&cfg, b, &s, &err), SG_OK);
	ck_assert_int_eq(s.ttl, 86400);
	cJSON_Delete(b);
	create_spec_clear(&s);
}
END_TEST

static const char *
arr_str(const cJSON *arr, int i)
{
	const cJSON	*e = cJSON_GetArrayItem(arr, i);

	return cJSON_IsString(e) ? e->valuestring : "";
}

static int
arr_has(const cJSON *arr, const char *s)
{
	const cJSON	*e;

	cJSON_ArrayForEach(e, arr)
		if (cJSON_IsString(e) && strcmp(e->valuestring, s) == 0)
			return 1;
	return 0;
}

static void
spec_with_hosts(struct create_spec *s, int hosts)
{
	struct sg_err	 err;
	cJSON		*b;

	create_spec_init(s);
	sg_err_clear(&err);
	b = cJSON_Parse(hosts ? GOOD_BODY : "{\"user_id\":\"alice\","
	    "\"organization_uuid\":\"" ORG "\",\"allowed_hosts\":[]}");
	ck_assert_int_eq(create_spec_parse(&cfg, b, s, &err), SG_OK);
	cJSON_Delete(b);
}

/* "secrets" at create (docs/secrets.md): limits, hosts, env, no key. */
START_TEST(test_spec_secrets)
{
	struct create_spec	 s;
	struct sg_err		 err;
	struct sg_resp		 resp;
	cJSON			*b, *c;
	char			*txt;
	const char		*head = "{\"user_id\":\"u\","
	    "\"organization_uuid\":\"" ORG "\",\"allowed_hosts\":[\"api.example.com\","
	    "\"*.x.org:8443\"],\"secrets\":";
	char			 body[4096];
	static const struct {
		const char	*secrets;
		const char	*code;
	} bad[] = {
		{ "{}", "bad_secret" },
		{ "[1]", "bad_secret" },
		{ "[{\"name\":\"A\",\"host\":\"api.example.com\","
		    "\"header\":\"Authorization\",\"value\":\"v\",\"x\":1}]",
		    "bad_secret" },
		{ "[{\"name\":\"lower\",\"host\":\"api.example.com\","
		    "\"header\":\"Authorization\",\"value\":\"v\"}]",
		    "bad_secret" },
		{ "[{\"name\":\"A\",\"host\":\"evil.example.com\","
		    "\"header\":\"Authorization\",\"value\":\"v\"}]",
		    "secret_host_not_allowed" },
		/* a pattern with a port needs that port */
		{ "[{\"name\":\"A\",\"host\":\"a.x.org\","
		    "\"header\":\"Authorization\",\"value\":\"v\"}]",
		    "secret_host_not_allowed" },
		{ "[{\"name\":\"A\",\"host\":\"api.example.com\","
		    "\"header\":\"X\",\"value\":\"v\"},{\"name\":\"A\","
		    "\"host\":\"api.example.com\",\"header\":\"X\","
		    "\"value\":\"w\"}]", "bad_secret" },
		{ "[{},{},{},{},{},{},{},{},{}]", "too_many_secrets" },
	};
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		create_spec_init(&s);
		sg_err_clear(&err);
		(void)snprintf(body, sizeof(body), "%s%s}", head,
		    bad[i].secrets);
		ck_assert_ptr_nonnull(b = cJSON_Parse(body));
		ck_assert_int_eq(create_spec_parse(&cfg, b, &s, &err),
		    SG_EINVAL);
		ck_assert_msg(strcmp(err.code, bad[i].code) == 0,
		    "case %zu: %s", i, err.code);
		/* no sentence carries a value */
		ck_assert_ptr_null(strstr(err.msg, "\"v\""));
		cJSON_Delete(b);
		create_spec_clear(&s);
	}

	create_spec_init(&s);
	sg_err_clear(&err);
	(void)snprintf(body, sizeof(body), "%s%s}", head,
	    "[{\"name\":\"EXAMPLE\",\"host\":\"api.example.com\","
	    "\"header\":\"Authorization\",\"value\":\"Bearer s3cr3t\"},"
	    "{\"name\":\"X_2\",\"host\":\"a.x.org:8443\","
	    "\"header\":\"X-Key\",\"value\":\"k\"}]");
	ck_assert_ptr_nonnull(b = cJSON_Parse(body));
	ck_assert_int_eq(create_spec_parse(&cfg, b, &s, &err), SG_OK);
	ck_assert_int_eq(s.nsecrets, 2);
	ck_assert_str_eq(s.secrets[0].value, "Bearer s3cr3t");
	ck_assert_str_eq(s.secrets[1].host, "a.x.org:8443");
	create_secrets_wipe(b);
	ck_assert_ptr_nonnull(txt = cJSON_PrintUnformatted(b));
	ck_assert_ptr_null(strstr(txt, "s3cr3t"));
	free(txt);
	cJSON_Delete(b);
	c = create_config(&capp, "", &s, "sandbox_AAAAAAAAAAAAAAAAAAAAAA",
	    "aaa.bbb.ccc", NOW + 3600);
	ck_assert_ptr_nonnull(c);
	ck_assert(arr_has(sg_json_get(c, "Env"),
	    "EXAMPLE_BASE_URL=http://10.0.0.1:8443/broker/EXAMPLE"));
	ck_assert(arr_has(sg_json_get(c, "Env"),
	    "X_2_BASE_URL=http://10.0.0.1:8443/broker/X_2"));
	create_config_free(c);
	create_spec_clear(&s);

	/* Without SANDGATE_SECRET_KEYS a create with secrets is a 503. */
	ck_assert_int_eq(capp.has_seal, 0);
	ck_assert_int_eq(create(body, &resp), 503);
	ck_assert_str_eq(errcode(&resp), "secrets_unavailable");
	sg_resp_clear(&resp);
}
END_TEST

/* PUT/DELETE/GET .../secrets: scope, name, method, no key, Redis down. */
START_TEST(test_secrets_routes)
{
	struct sg_resp	 resp;
	const char	*put = "{\"host\":\"api.example.com\","
	    "\"header\":\"Authorization\",\"value\":\"v\"}";
	const char	*u = "/v1/sandboxes/sandbox_AAAAAAAAAAAAAAAAAAAAAA"
	    "/secrets";
	const char	*one = "/v1/sandboxes/sandbox_AAAAAAAAAAAAAAAAAAAAAA"
	    "/secrets/EXAMPLE";

	call(create_handle, &capp, "operator", "sessions:read", "PUT", one,
	    "application/json", put, strlen(put), &resp);
	ck_assert_int_eq(resp.status, 403);
	sg_resp_clear(&resp);
	call(create_handle, &capp, "operator", "secrets:write", "GET", u,
	    NULL, NULL, 0, &resp);
	ck_assert_int_eq(resp.status, 403);
	sg_resp_clear(&resp);
	call(create_handle, &capp, "operator", "secrets:write", "DELETE",
	    "/v1/sandboxes/sandbox_AAAAAAAAAAAAAAAAAAAAAA/secrets/lower",
	    NULL, NULL, 0, &resp);
	ck_assert_int_eq(resp.status, 400);
	ck_assert_str_eq(errcode(&resp), "bad_secret");
	sg_resp_clear(&resp);
	call(create_handle, &capp, "operator", "secrets:write", "POST", one,
	    NULL, NULL, 0, &resp);
	ck_assert_int_eq(resp.status, 405);
	sg_resp_clear(&resp);
	call(create_handle, &capp, "operator", "secrets:write", "PUT", one,
	    "application/json", put, strlen(put), &resp);
	ck_assert_int_eq(resp.status, 503);
	ck_assert_str_eq(errcode(&resp), "secrets_unavailable");
	sg_resp_clear(&resp);
	/* the key is there, Redis is not */
	capp.has_seal = 1;
	call(create_handle, &capp, "operator", "secrets:write", "PUT", one,
	    "application/json", put, strlen(put), &resp);
	ck_assert_int_eq(resp.status, 503);
	ck_assert_str_eq(errcode(&resp), "redis_unavailable");
	sg_resp_clear(&resp);
	call(create_handle, &capp, "operator", "sessions:read", "GET", u,
	    NULL, NULL, 0, &resp);
	ck_assert_int_eq(resp.status, 503);
	sg_resp_clear(&resp);
	capp.has_seal = 0;
}
END_TEST

START_TEST(test_config_settings)
{
	struct create_spec	 s;
	cJSON			*c;
	const cJSON		*hc, *env, *labels, *binds;
	struct sg_err		 err;
	int64_t			 v;
	char			 want[256];

	spec_with_hosts(&s, 1);
	c = create_config(&capp, "", &s, "sandbox_AAAAAAAAAAAAAAAAAAAAAA",
	    "aaa.bbb.ccc", NOW + 3600);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(sg_json_str(c, "Image"), "sandgate-test:latest");
	ck_assert_str_eq(sg_json_str(c, "User"), "65534:65534");
	labels = sg_json_get(c, "Labels");
	ck_assert_str_eq(sg_json_str(labels, "sandgate.container_id"),
	    "sandbox_AAAAAAAAAAAAAAAAAAAAAA");
	ck_assert_str_eq(sg_json_str(labels, "sandgate.user_id"), "alice");
	ck_assert_str_eq(sg_json_str(labels, "sandgate.expires_at"),
	    "1767229200");
	env = sg_json_get(c, "Env");
	ck_assert(arr_has(env, "CONTAINER_ID=sandbox_AAAAAAAAAAAAAAAAAAAAAA"));
	(void)snprintf(want, sizeof(want), "http://container_%s:jwt_%s@%s",
	    "sandbox_AAAAAAAAAAAAAAAAAAAAAA", "aaa.bbb.ccc", "10.0.0.1:8443");
	ck_assert_str_eq(arr_str(env, 1) + strlen("HTTP_PROXY="), want);
	ck_assert_str_eq(arr_str(env, 2) + strlen("HTTPS_PROXY="), want);
	ck_assert_str_eq(arr_str(env, 3) + strlen("http_proxy="), want);
	ck_assert_str_eq(arr_str(env, 4) + strlen("https_proxy="), want);
	ck_assert(arr_has(env, "NO_PROXY=localhost,127.0.0.1"));
	ck_assert(arr_has(env, "no_proxy=localhost,127.0.0.1"));
	ck_assert_str_eq(arr_str(env, 7) + strlen("npm_config_proxy="), want);
	ck_assert_str_eq(arr_str(env, 8) + strlen("npm_config_https_proxy="),
	    want);
	/* The JVM prints JAVA_TOOL_OPTIONS: host and port, no token. */
	ck_assert(arr_has(env, "JAVA_TOOL_OPTIONS="
	    "-Dhttp.proxyHost=10.0.0.1 -Dhttp.proxyPort=8443 "
	    "-Dhttps.proxyHost=10.0.0.1 -Dhttps.proxyPort=8443 "
	    "-Dhttp.nonProxyHosts=localhost|127.0.0.1 "
	    "-Djdk.http.auth.tunneling.disabledSchemes= "
	    "-Djdk.http.auth.proxying.disabledSchemes="));

	hc = sg_json_get(c, "HostConfig");
	ck_assert_str_eq(sg_json_str(hc, "Runtime"), "runc");
	ck_assert_int_eq(cJSON_GetArraySize(sg_json_get(hc, "CapDrop")), 1);
	ck_assert(arr_has(sg_json_get(hc, "CapDrop"), "ALL"));
	ck_assert_int_eq(cJSON_GetArraySize(sg_json_get(hc, "CapAdd")), 4);
	ck_assert(arr_has(sg_json_get(hc, "CapAdd"), "CHOWN"));
	ck_assert(arr_has(sg_json_get(hc, "CapAdd"), "SETUID"));
	ck_assert(arr_has(sg_json_get(hc, "CapAdd"), "SETGID"));
	ck_assert(arr_has(sg_json_get(hc, "CapAdd"), "NET_BIND_SERVICE"));
	ck_assert(arr_has(sg_json_get(hc, "SecurityOpt"),
	    "no-new-privileges:true"));
	ck_assert(cJSON_IsTrue(sg_json_get(hc, "ReadonlyRootfs")));
	ck_assert(cJSON_IsFalse(sg_json_get(hc, "Privileged")));
	ck_assert_str_eq(sg_json_str(sg_json_get(hc, "Tmpfs"), "/tmp"),
	    "size=1G,mode=1777");
	sg_err_clear(&err);
	ck_assert_int_eq(sg_json_int(hc, "Memory", 0, INT64_MAX, &v, &err),
	    SG_OK);
	ck_assert_int_eq(v, 4LL << 30);
	ck_assert_int_eq(sg_json_int(hc, "MemorySwap", 0, INT64_MAX, &v,
	    &err), SG_OK);
	ck_assert_int_eq(v, 4LL << 30);
	ck_assert_int_eq(sg_json_int(hc, "NanoCpus", 0, INT64_MAX, &v, &err),
	    SG_OK);
	ck_assert_int_eq(v, 2000000000LL);
	ck_assert_int_eq(sg_json_int(hc, "PidsLimit", 0, INT64_MAX, &v,
	    &err), SG_OK);
	ck_assert_int_eq(v, 100);
	ck_assert_str_eq(sg_json_str(hc, "NetworkMode"), "sgnet");
	/* Issue 9: no name server but the sandbox's own loopback. */
	ck_assert_int_eq(cJSON_GetArraySize(sg_json_get(hc, "Dns")), 1);
	ck_assert_str_eq(arr_str(sg_json_get(hc, "Dns"), 0), "127.0.0.1");
	ck_assert_int_eq(cJSON_GetArraySize(sg_json_get(hc, "DnsSearch")), 1);
	ck_assert_str_eq(arr_str(sg_json_get(hc, "DnsSearch"), 0), ".");
	ck_assert_int_eq(cJSON_GetArraySize(sg_json_get(hc, "DnsOptions")),
	    3);
	ck_assert_str_eq(arr_str(sg_json_get(hc, "DnsOptions"), 0), "ndots:0");
	ck_assert_str_eq(arr_str(sg_json_get(hc, "DnsOptions"), 1),
	    "timeout:1");
	ck_assert_str_eq(arr_str(sg_json_get(hc, "DnsOptions"), 2),
	    "attempts:1");
	/* Issue 15: IPv6 off in the sandbox. */
	ck_assert_str_eq(sg_json_str(sg_json_get(hc, "Sysctls"),
	    "net.ipv6.conf.all.disable_ipv6"), "1");
	ck_assert_str_eq(sg_json_str(sg_json_get(hc, "Sysctls"),
	    "net.ipv6.conf.default.disable_ipv6"), "1");
	binds = sg_json_get(hc, "Binds");
	ck_assert_int_eq(cJSON_GetArraySize(binds), 3);
	(void)snprintf(want, sizeof(want),
	    "%s/data/users/alice/uploads:/mnt/uploads:ro", dir);
	ck_assert_str_eq(arr_str(binds, 0), want);
	(void)snprintf(want, sizeof(want),
	    "%s/data/users/alice/outputs:/mnt/outputs:rw", dir);
	ck_assert_str_eq(arr_str(binds, 1), want);
	(void)snprintf(want, sizeof(want), "%s/data/skills:/mnt/skills:ro",
	    dir);
	ck_assert_str_eq(arr_str(binds, 2), want);
	create_config_free(c);
	create_spec_clear(&s);

	/* No hosts: no network at all. */
	spec_with_hosts(&s, 0);
	c = create_config(&capp, "", &s, "sandbox_B", "t.t.t", NOW + 60);
	hc = sg_json_get(c, "HostConfig");
	ck_assert_str_eq(sg_json_str(hc, "NetworkMode"), "none");
	ck_assert_str_eq(arr_str(sg_json_get(hc, "Dns"), 0), "127.0.0.1");
	create_config_free(c);
	create_spec_clear(&s);
}
END_TEST

/*
 * A sandbox on an engine with proxy= in SANDGATE_DOCKER_HOSTS reaches
 * that proxy (its host's own Apache), the others SANDGATE_PROXY_URL's.
 */
START_TEST(test_config_engine_proxy)
{
	struct sg_engines	*saved = capp.engines, *es = NULL;
	struct sg_cfg		 c2;
	struct create_spec	 s;
	struct sg_err		 err;
	cJSON			*c;
	const cJSON		*env;
	char			 url[400];

	c2 = *capp.cfg;
	(void)snprintf(c2.docker_hosts, sizeof(c2.docker_hosts),
	    "a=unix:///nonexistent.sock,b=unix:///nonexistent.sock;"
	    "proxy=http://172.31.99.1:3128/");
	sg_err_clear(&err);
	ck_assert_int_eq(sg_engines_new(&c2, &es, &err), SG_OK);
	ck_assert_str_eq(es->e[1].proxy, "172.31.99.1:3128");
	capp.engines = es;
	spec_with_hosts(&s, 1);
	c = create_config(&capp, "b", &s, "sandbox_P", "t.t.t", NOW + 60);
	env = sg_json_get(c, "Env");
	ck_assert_str_eq(arr_str(env, 1), "HTTP_PROXY=http://container_"
	    "sandbox_P:jwt_t.t.t@172.31.99.1:3128");
	ck_assert_ptr_nonnull(strstr(arr_str(env, 9), "JAVA_TOOL_OPTIONS="
	    "-Dhttp.proxyHost=172.31.99.1 -Dhttp.proxyPort=3128 "
	    "-Dhttps.proxyHost=172.31.99.1 -Dhttps.proxyPort=3128 "));
	create_config_free(c);
	c = create_config(&capp, "a", &s, "sandbox_P", "t.t.t", NOW + 60);
	ck_assert_str_eq(arr_str(sg_json_get(c, "Env"), 1), "HTTP_PROXY="
	    "http://container_sandbox_P:jwt_t.t.t@10.0.0.1:8443");
	create_config_free(c);
	ck_assert_int_eq(create_secret_base_url(&capp, "b", "GH", url,
	    sizeof(url)), 0);
	ck_assert_str_eq(url, "http://172.31.99.1:3128/broker/GH");
	/* An engine no longer listed: the default. */
	ck_assert_int_eq(create_secret_base_url(&capp, "gone", "GH", url,
	    sizeof(url)), 0);
	ck_assert_str_eq(url, "http://10.0.0.1:8443/broker/GH");
	create_spec_clear(&s);
	capp.engines = saved;
	sg_engines_free(es);
}
END_TEST

/* An inspect answer as Docker 20.10 gives it for a good sandbox. */
static cJSON *
good_inspect(const struct create_spec *s, const char *id)
{
	cJSON	*c, *ins, *conf, *state, *nets, *ep;
	char	 name[64];

	c = create_config(&capp, "", s, id, "t.t.t", NOW + 60);
	ck_assert_ptr_nonnull(c);
	ins = cJSON_CreateObject();
	(void)snprintf(name, sizeof(name), "/%s", id);
	cJSON_AddStringToObject(ins, "Id", "0123abcd");
	cJSON_AddStringToObject(ins, "Name", name);
	conf = cJSON_AddObjectToObject(ins, "Config");
	cJSON_AddStringToObject(conf, "User", sg_json_str(c, "User"));
	cJSON_AddItemToObject(conf, "Labels",
	    cJSON_Duplicate(sg_json_get(c, "Labels"), 1));
	cJSON_AddItemToObject(ins, "HostConfig",
	    cJSON_Duplicate(sg_json_get(c, "HostConfig"), 1));
	state = cJSON_AddObjectToObject(ins, "State");
	cJSON_AddBoolToObject(state, "Running", 1);
	nets = cJSON_AddObjectToObject(cJSON_AddObjectToObject(ins,
	    "NetworkSettings"), "Networks");
	ep = cJSON_AddObjectToObject(nets, s->hosts.n > 0 ? "sgnet" : "none");
	cJSON_AddStringToObject(ep, "IPAddress",
	    s->hosts.n > 0 ? "172.30.0.5" : "");
	create_config_free(c);
	return ins;
}

static enum sg_rc
check(const struct create_spec *s, const cJSON *ins, char *ip,
    struct sg_err *err)
{
	sg_err_clear(err);
	return create_check_inspect(&capp, s, "sandbox_C", ins, ip, 64, err);
}

START_TEST(test_inspect_check)
{
	struct create_spec	 s;
	struct sg_err		 err;
	cJSON			*ins, *hc;
	char			 ip[64];

	spec_with_hosts(&s, 1);
	ins = good_inspect(&s, "sandbox_C");
	ck_assert_int_eq(check(&s, ins, ip, &err), SG_OK);
	ck_assert_str_eq(ip, "172.30.0.5");

	/* Docker writes capabilities with a CAP_ prefix: still fine. */
	hc = cJSON_GetObjectItemCaseSensitive(ins, "HostConfig");
	cJSON_ReplaceItemInObjectCaseSensitive(hc, "CapAdd",
	    cJSON_CreateStringArray((const char *const[]){ "CAP_CHOWN",
	    "CAP_SETUID" }, 2));
	ck_assert_int_eq(check(&s, ins, ip, &err), SG_OK);
	cJSON_Delete(ins);

#define MUTATE(stmt) do {						\
	ins = good_inspect(&s, "sandbox_C");				\
	hc = cJSON_GetObjectItemCaseSensitive(ins, "HostConfig");	\
	stmt;								\
	ck_assert_int_eq(check(&s, ins, ip, &err), SG_EUPSTREAM);	\
	cJSON_Delete(ins);						\
} while (0)

	MUTATE(cJSON_ReplaceItemInObjectCaseSensitive(hc, "Privileged",
	    cJSON_CreateTrue()));
	MUTATE(cJSON_ReplaceItemInObjectCaseSensitive(hc, "ReadonlyRootfs",
	    cJSON_CreateFalse()));
	MUTATE(cJSON_DeleteItemFromObjectCaseSensitive(hc, "ReadonlyRootfs"));
	MUTATE(cJSON_ReplaceItemInObjectCaseSensitive(hc, "CapDrop",
	    cJSON_CreateArray()));
	MUTATE(cJSON_ReplaceItemInObjectCaseSensitive(hc, "CapAdd",
	    cJSON_CreateStringArray((const char *const[]){ "SYS_ADMIN" },
	    1)));
	MUTATE(cJSON_ReplaceItemInObjectCaseSensitive(hc, "SecurityOpt",
	    cJSON_CreateNull()));
	MUTATE(cJSON_ReplaceItemInObjectCaseSensitive(hc, "SecurityOpt",
	    cJSON_CreateStringArray((const char *const[]){ "seccomp=x" },
	    1)));
	MUTATE(cJSON_ReplaceItemInObjectCaseSensitive(hc, "PidsLimit",
	    cJSON_CreateNumber(0)));
	MUTATE(cJSON_ReplaceItemInObjectCaseSensitive(hc, "Memory",
	    cJSON_CreateNumber(0)));
	MUTATE(cJSON_ReplaceItemInObjectCaseSensitive(hc, "MemorySwap",
	    cJSON_CreateNumber(-1)));
	MUTATE(cJSON_ReplaceItemInObjectCaseSensitive(hc, "NanoCpus",
	    cJSON_CreateNumber(0)));
	MUTATE(cJSON_ReplaceItemInObjectCaseSensitive(hc, "NetworkMode",
	    cJSON_CreateString("bridge")));
	MUTATE(cJSON_ReplaceItemInObjectCaseSensitive(hc, "Runtime",
	    cJSON_CreateString("runc-other")));
	/*
	 * Issue 9: a daemon that dropped or changed the DNS settings would
	 * forward the sandbox's queries to its own resolvers.
	 */
	MUTATE(cJSON_DeleteItemFromObjectCaseSensitive(hc, "Dns"));
	MUTATE(cJSON_ReplaceItemInObjectCaseSensitive(hc, "Dns",
	    cJSON_CreateNull()));
	MUTATE(cJSON_ReplaceItemInObjectCaseSensitive(hc, "Dns",
	    cJSON_CreateArray()));
	MUTATE(cJSON_ReplaceItemInObjectCaseSensitive(hc, "Dns",
	    cJSON_CreateString("127.0.0.1")));
	MUTATE(cJSON_ReplaceItemInObjectCaseSensitive(hc, "Dns",
	    cJSON_CreateStringArray((const char *const[]){ "127.0.0.53" },
	    1)));
	MUTATE(cJSON_ReplaceItemInObjectCaseSensitive(hc, "Dns",
	    cJSON_CreateStringArray((const char *const[]){ "127.0.0.1",
	    "8.8.8.8" }, 2)));
	MUTATE(cJSON_DeleteItemFromObjectCaseSensitive(hc, "DnsSearch"));
	MUTATE(cJSON_ReplaceItemInObjectCaseSensitive(hc, "DnsSearch",
	    cJSON_CreateArray()));
	MUTATE(cJSON_ReplaceItemInObjectCaseSensitive(hc, "DnsSearch",
	    cJSON_CreateStringArray((const char *const[]){ "corp.example" },
	    1)));
	MUTATE(cJSON_DeleteItemFromObjectCaseSensitive(hc, "DnsOptions"));
	MUTATE(cJSON_ReplaceItemInObjectCaseSensitive(hc, "DnsOptions",
	    cJSON_CreateArray()));
	MUTATE(cJSON_ReplaceItemInObjectCaseSensitive(hc, "DnsOptions",
	    cJSON_CreateStringArray((const char *const[]){ "ndots:0",
	    "timeout:1", "attempts:1", "use-vc" }, 4)));
	MUTATE(cJSON_ReplaceItemInObjectCaseSensitive(hc, "DnsOptions",
	    cJSON_CreateStringArray((const char *const[]){ "timeout:1",
	    "ndots:0", "attempts:1" }, 3)));
	/* Issue 15: a daemon that dropped the sysctls leaves IPv6 on. */
	MUTATE(cJSON_DeleteItemFromObjectCaseSensitive(hc, "Sysctls"));
	MUTATE(cJSON_ReplaceItemInObjectCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(hc, "Sysctls"),
	    "net.ipv6.conf.all.disable_ipv6", cJSON_CreateString("0")));
	MUTATE(cJSON_DeleteItemFromObjectCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(hc, "Sysctls"),
	    "net.ipv6.conf.default.disable_ipv6"));
	MUTATE(cJSON_ReplaceItemInObjectCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(ins, "Config"), "User",
	    cJSON_CreateString("0")));
	MUTATE(cJSON_ReplaceItemInObjectCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(ins, "State"), "Running",
	    cJSON_CreateFalse()));
	MUTATE(cJSON_ReplaceItemInObjectCaseSensitive(ins, "Name",
	    cJSON_CreateString("/other")));
	MUTATE(cJSON_DeleteItemFromObjectCaseSensitive(ins, "NetworkSettings"));
	MUTATE(cJSON_DeleteItemFromObjectCaseSensitive(ins, "HostConfig"));
#undef MUTATE
	/* The refusal names the setting (the log says which one). */
	ins = good_inspect(&s, "sandbox_C");
	hc = cJSON_GetObjectItemCaseSensitive(ins, "HostConfig");
	cJSON_DeleteItemFromObjectCaseSensitive(hc, "Dns");
	ck_assert_int_eq(check(&s, ins, ip, &err), SG_EUPSTREAM);
	ck_assert_str_eq(err.code, "hardening_not_applied");
	ck_assert_str_eq(err.msg, "docker did not apply Dns");
	cJSON_Delete(ins);
	create_spec_clear(&s);

	/* network none: no address needed, but NetworkMode must be none. */
	spec_with_hosts(&s, 0);
	ins = good_inspect(&s, "sandbox_C");
	ck_assert_int_eq(check(&s, ins, ip, &err), SG_OK);
	ck_assert_str_eq(ip, "");
	hc = cJSON_GetObjectItemCaseSensitive(ins, "HostConfig");
	cJSON_ReplaceItemInObjectCaseSensitive(hc, "NetworkMode",
	    cJSON_CreateString("sgnet"));
	ck_assert_int_eq(check(&s, ins, ip, &err), SG_EUPSTREAM);
	ck_assert_str_eq(err.code, "hardening_not_applied");
	cJSON_Delete(ins);
	create_spec_clear(&s);
}
END_TEST

START_TEST(test_app_config)
{
	static const char *const bad_proxy[] = {
		"https://p:8443", "http://p", "http://p:", "http://p:0",
		"http://p:65536", "http://u:pw@p:8443", "http://p:8443/x",
		"http://p:8443?x", "http://p :8443", "http://:8443",
		"http://p:08443", "", NULL
	};
	struct sg_err	 err;
	size_t		 i;

	for (i = 0; bad_proxy[i] != NULL; i++) {
		(void)snprintf(cfg.proxy_url, sizeof(cfg.proxy_url), "%s",
		    bad_proxy[i]);
		sg_err_clear(&err);
		if (create_app_config(&capp, &err) != SG_EINVAL)
			ck_abort_msg("proxy url accepted: %s", bad_proxy[i]);
		ck_assert_ptr_nonnull(strstr(err.msg, "SANDGATE_PROXY_URL"));
	}
	(void)snprintf(cfg.proxy_url, sizeof(cfg.proxy_url),
	    "http://[fd00::1]:3128/");
	sg_err_clear(&err);
	ck_assert_int_eq(create_app_config(&capp, &err), SG_OK);
	ck_assert_str_eq(capp.proxy_hostport, "[fd00::1]:3128");

	/* A ',' in the tmpfs size would add mount options. */
	(void)snprintf(cfg.tmpfs_size, sizeof(cfg.tmpfs_size), "1G,exec");
	sg_err_clear(&err);
	ck_assert_int_eq(create_app_config(&capp, &err), SG_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "SANDGATE_TMPFS_SIZE"));
	(void)snprintf(cfg.tmpfs_size, sizeof(cfg.tmpfs_size), "1G");

	/* A ':' in the data root would change the bind mode. */
	(void)snprintf(cfg.data_root, sizeof(cfg.data_root), "/srv/a:rw");
	sg_err_clear(&err);
	ck_assert_int_eq(create_app_config(&capp, &err), SG_EINVAL);
	(void)snprintf(cfg.data_root, sizeof(cfg.data_root), "%s/data", dir);

	(void)snprintf(cfg.images, sizeof(cfg.images), "ok:1,../bad");
	sg_err_clear(&err);
	ck_assert_int_eq(create_app_config(&capp, &err), SG_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "SANDGATE_IMAGES"));
}
END_TEST

static mode_t
mode_of(const char *rel)
{
	struct stat	 st;
	char		 p[PATH_MAX];

	(void)snprintf(p, sizeof(p), "%s/data/%s", dir, rel);
	ck_assert_int_eq(lstat(p, &st), 0);
	return st.st_mode & 07777;
}

START_TEST(test_dirs)
{
	struct sg_err	 err;
	char		 root[256], p[512], q[1024];

	(void)snprintf(root, sizeof(root), "%s/data", dir);
	sg_err_clear(&err);
	ck_assert_int_eq(create_dirs(root, "alice", &err), SG_OK);
	ck_assert_int_eq(mode_of("users/alice/uploads"), 0750);
	ck_assert_int_eq(mode_of("users/alice/outputs"), 0770);
	ck_assert_int_eq(mode_of("skills"), 0750);
	/* Again: nothing changes, no error. */
	ck_assert_int_eq(create_dirs(root, "alice", &err), SG_OK);

	/* A symlinked user directory is refused, not followed. */
	(void)snprintf(p, sizeof(p), "%s/elsewhere", dir);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	(void)snprintf(q, sizeof(q), "%s/users/mallory", root);
	ck_assert_int_eq(symlink(p, q), 0);
	sg_err_clear(&err);
	ck_assert_int_ne(create_dirs(root, "mallory", &err), SG_OK);
	(void)snprintf(q, sizeof(q), "%s/uploads", p);
	ck_assert_int_eq(access(q, F_OK), -1);

	/* A world-writable outputs directory is refused. */
	(void)snprintf(p, sizeof(p), "%s/users/alice/outputs", root);
	ck_assert_int_eq(chmod(p, 0777), 0);
	sg_err_clear(&err);
	ck_assert_int_ne(create_dirs(root, "alice", &err), SG_OK);
	ck_assert_str_eq(err.code, "unsafe_data_dir");

	sg_err_clear(&err);
	ck_assert_int_eq(create_dirs(root, "..", &err), SG_EINVAL);
	sg_err_clear(&err);
	ck_assert_int_eq(create_dirs(root, "a/b", &err), SG_EINVAL);
}
END_TEST

static int
destroy(const char *kind, const char *scope, const char *method,
    const char *uri, struct sg_resp *resp)
{
	call(destroy_handle, &dapp, kind, scope, method, uri, NULL, "", 0,
	    resp);
	return resp->status;
}

START_TEST(test_destroy_checks)
{
	struct sg_resp	 resp;
	char		 uri[256];

	ck_assert_int_eq(destroy(NULL, NULL, "DELETE", "/v1/sandboxes/abc",
	    &resp), 401);
	sg_resp_clear(&resp);
	ck_assert_int_eq(destroy("container", "sandboxes:destroy", "DELETE",
	    "/v1/sandboxes/abc", &resp), 403);
	sg_resp_clear(&resp);
	ck_assert_int_eq(destroy("operator", "sandboxes:create", "DELETE",
	    "/v1/sandboxes/abc", &resp), 403);
	sg_resp_clear(&resp);
	ck_assert_int_eq(destroy("operator", "sandboxes:destroy", "GET",
	    "/v1/sandboxes/abc", &resp), 405);
	ck_assert(has_header(&resp, "Allow: DELETE"));
	sg_resp_clear(&resp);
	ck_assert_int_eq(destroy("operator", "sandboxes:destroy", "DELETE",
	    "/v1/sandboxes/a.b", &resp), 400);
	sg_resp_clear(&resp);
	ck_assert_int_eq(destroy("operator", "sandboxes:destroy", "DELETE",
	    "/v1/sandboxes/", &resp), 400);
	sg_resp_clear(&resp);
	ck_assert_int_eq(destroy("operator", "sandboxes:destroy", "DELETE",
	    "/v1/sandboxes/a:b", &resp), 400);
	sg_resp_clear(&resp);
	memset(uri, 0, sizeof(uri));
	(void)snprintf(uri, sizeof(uri), "/v1/sandboxes/");
	memset(uri + strlen(uri), 'a', 129);
	ck_assert_int_eq(destroy("operator", "sandboxes:destroy", "DELETE",
	    uri, &resp), 400);
	sg_resp_clear(&resp);
	ck_assert_int_eq(destroy("operator", "sandboxes:destroy", "DELETE",
	    "/v1/other/abc", &resp), 404);
	sg_resp_clear(&resp);

	/*
	 * Redis (and Docker) down: the session cannot be revoked, so
	 * nothing is done and the answer is 503 with Retry-After (the
	 * revocation comes first: Docker is never asked).
	 */
	ck_assert_int_eq(destroy("operator", "sandboxes:destroy", "DELETE",
	    "/v1/sandboxes/sandbox_AAAAAAAAAAAAAAAAAAAAAA", &resp), 503);
	ck_assert(has_header(&resp, "Retry-After:"));
	ck_assert_str_eq(errcode(&resp), "redis_connect");
	sg_resp_clear(&resp);
}
END_TEST

/*
 * Issue 14: a container that runs under another runtime than the one
 * configured is refused with its own code, naming both.
 */
START_TEST(test_inspect_runtime)
{
	struct create_spec	 s;
	struct sg_err		 err;
	cJSON			*ins, *hc;
	char			 ip[64];

	spec_with_hosts(&s, 1);
	ins = good_inspect(&s, "sandbox_C");
	hc = cJSON_GetObjectItemCaseSensitive(ins, "HostConfig");
	ck_assert_str_eq(sg_json_str(hc, "Runtime"), "runc");
	cJSON_ReplaceItemInObjectCaseSensitive(hc, "Runtime",
	    cJSON_CreateString("runsc"));
	ck_assert_int_eq(check(&s, ins, ip, &err), SG_EUPSTREAM);
	ck_assert_str_eq(err.code, "runtime_mismatch");
	ck_assert_str_eq(err.msg,
	    "the container runs under runtime runsc, not runc");
	/* A name Docker would not take is not echoed. */
	cJSON_ReplaceItemInObjectCaseSensitive(hc, "Runtime",
	    cJSON_CreateString("run\nc"));
	ck_assert_int_eq(check(&s, ins, ip, &err), SG_EUPSTREAM);
	ck_assert_str_eq(err.msg,
	    "the container runs under runtime ?, not runc");
	cJSON_DeleteItemFromObjectCaseSensitive(hc, "Runtime");
	ck_assert_int_eq(check(&s, ins, ip, &err), SG_EUPSTREAM);
	ck_assert_str_eq(err.code, "runtime_mismatch");
	/* The comparison is exact: no prefix, no case folding. */
	cJSON_AddStringToObject(hc, "Runtime", "RUNC");
	ck_assert_int_eq(check(&s, ins, ip, &err), SG_EUPSTREAM);
	cJSON_ReplaceItemInObjectCaseSensitive(hc, "Runtime",
	    cJSON_CreateString("runc2"));
	ck_assert_int_eq(check(&s, ins, ip, &err), SG_EUPSTREAM);
	cJSON_ReplaceItemInObjectCaseSensitive(hc, "Runtime",
	    cJSON_CreateString("runc"));
	ck_assert_int_eq(check(&s, ins, ip, &err), SG_OK);
	cJSON_Delete(ins);
	create_spec_clear(&s);
}
END_TEST

/* The answer of GET /healthz for what the probes found. */
static int
health(enum sg_rc docker, const char *code, int runtime_ok, int network_ok,
    cJSON **out)
{
	struct create_health	 h;

	memset(&h, 0, sizeof(h));
	h.docker = docker;
	h.docker_code = code;
	h.runtime_ok = runtime_ok;
	h.network_ok = network_ok;
	return create_health_answer(&cfg, &h, out);
}

static const char *
jstr(const cJSON *o, const char *name)
{
	const char	*s = sg_json_str(o, name);

	return s != NULL ? s : "(none)";
}

START_TEST(test_health_answer)
{
	cJSON	*o;

	/* All well, under runc: 200, the runtime and the warning. */
	ck_assert_int_eq(health(SG_OK, NULL, 1, 1, &o), 200);
	ck_assert_str_eq(jstr(o, "status"), "ok");
	ck_assert_str_eq(jstr(o, "service"), "sandbox-create");
	ck_assert_str_eq(jstr(o, "runtime"), "runc");
	ck_assert_str_eq(jstr(o, "warning"), "runtime_not_gvisor");
	ck_assert_str_eq(jstr(o, "docker"), "ok");
	ck_assert(cJSON_IsTrue(sg_json_get(o, "runtime_registered")));
	ck_assert_str_eq(jstr(o, "network"), "sgnet");
	ck_assert(cJSON_IsTrue(sg_json_get(o, "network_exists")));
	ck_assert_ptr_null(sg_json_get(o, "error"));
	cJSON_Delete(o);

	/* Under gVisor there is nothing to warn about. */
	(void)snprintf(cfg.runtime, sizeof(cfg.runtime), "runsc");
	ck_assert_int_eq(health(SG_OK, NULL, 1, 1, &o), 200);
	ck_assert_str_eq(jstr(o, "runtime"), "runsc");
	ck_assert_ptr_null(sg_json_get(o, "warning"));
	cJSON_Delete(o);

	/* The runtime is not registered. */
	ck_assert_int_eq(health(SG_OK, NULL, 0, 1, &o), 503);
	ck_assert_str_eq(jstr(o, "status"), "unavailable");
	ck_assert_str_eq(jstr(o, "error"), "runtime_unavailable");
	ck_assert_ptr_nonnull(strstr(jstr(o, "message"), "\"runsc\""));
	ck_assert_ptr_nonnull(strstr(jstr(o, "message"), "SANDGATE_RUNTIME"));
	ck_assert(cJSON_IsFalse(sg_json_get(o, "runtime_registered")));
	ck_assert(cJSON_IsTrue(sg_json_get(o, "network_exists")));
	cJSON_Delete(o);

	/* The network is missing. */
	ck_assert_int_eq(health(SG_OK, NULL, 1, 0, &o), 503);
	ck_assert_str_eq(jstr(o, "error"), "network_unavailable");
	ck_assert_ptr_nonnull(strstr(jstr(o, "message"), "SANDGATE_NETWORK"));
	ck_assert(cJSON_IsFalse(sg_json_get(o, "network_exists")));
	cJSON_Delete(o);

	/* Both: the first check is named, both are shown. */
	ck_assert_int_eq(health(SG_OK, NULL, 0, 0, &o), 503);
	ck_assert_str_eq(jstr(o, "error"), "runtime_unavailable");
	ck_assert(cJSON_IsFalse(sg_json_get(o, "network_exists")));
	cJSON_Delete(o);

	/* Docker down: nothing is known of the runtime or the network. */
	ck_assert_int_eq(health(SG_EUNAVAIL, "docker_unavailable", 0, 0, &o),
	    503);
	ck_assert_str_eq(jstr(o, "docker"), "down");
	ck_assert_str_eq(jstr(o, "error"), "docker_unavailable");
	ck_assert_ptr_nonnull(strstr(jstr(o, "message"),
	    "SANDGATE_DOCKER_SOCKET"));
	ck_assert_ptr_null(sg_json_get(o, "runtime_registered"));
	ck_assert_ptr_null(sg_json_get(o, "network_exists"));
	ck_assert_str_eq(jstr(o, "runtime"), "runsc");
	cJSON_Delete(o);
	ck_assert_int_eq(health(SG_ETIMEOUT, "docker_timeout", 1, 1, &o), 503);
	ck_assert_str_eq(jstr(o, "error"), "docker_timeout");
	ck_assert_ptr_nonnull(strstr(jstr(o, "message"),
	    "SANDGATE_DOCKER_TIMEOUT"));
	cJSON_Delete(o);
	/* A daemon that answered wrongly: its own words never go out. */
	ck_assert_int_eq(health(SG_EUPSTREAM, NULL, 1, 1, &o), 503);
	ck_assert_str_eq(jstr(o, "error"), "docker_error");
	cJSON_Delete(o);
}
END_TEST

static int	 warned;
static char	 warned_runtime[64];

static void
warn_hook(const char *event, const struct cJSON *line)
{
	const char	*lv = sg_json_str(line, "level");

	if (strcmp(event, "runtime_not_gvisor") != 0 || lv == NULL ||
	    strcmp(lv, "warn") != 0 ||
	    sg_json_str(line, "message") == NULL)
		return;
	warned++;
	(void)snprintf(warned_runtime, sizeof(warned_runtime), "%s",
	    jstr(line, "runtime"));
}

START_TEST(test_runtime_warning)
{
	static const char *const events[] = { "runtime_not_gvisor", NULL };

	ck_assert(create_runtime_is_gvisor("runsc"));
	ck_assert(!create_runtime_is_gvisor("runc"));
	ck_assert(!create_runtime_is_gvisor("runsc-other"));
	ck_assert(!create_runtime_is_gvisor(NULL));
	warned = 0;
	sg_log_set_hook(warn_hook, events);
	create_runtime_warn(&cfg);			/* runc */
	ck_assert_int_eq(warned, 1);
	ck_assert_str_eq(warned_runtime, "runc");
	(void)snprintf(cfg.runtime, sizeof(cfg.runtime), "runsc");
	create_runtime_warn(&cfg);
	ck_assert_int_eq(warned, 1);
	sg_log_set_hook(NULL, NULL);
}
END_TEST

/* GET /healthz is open; with Docker down it says so (503). */
START_TEST(test_healthz_route)
{
	struct sg_resp	 resp;
	static const char *const paths[] = {
		"/healthz", "/healthz/sandbox-create", NULL
	};
	cJSON		*j;
	size_t		 i;

	for (i = 0; paths[i] != NULL; i++) {
		call(create_handle, &capp, NULL, NULL, "GET", paths[i], NULL,
		    "", 0, &resp);
		ck_assert_int_eq(resp.status, 503);
		ck_assert_str_eq(errcode(&resp), "docker_unavailable");
		j = cJSON_ParseWithLength(resp.body, resp.bodylen);
		ck_assert_ptr_nonnull(j);
		ck_assert_str_eq(jstr(j, "runtime"), "runc");
		ck_assert_str_eq(jstr(j, "docker"), "down");
		cJSON_Delete(j);
		sg_resp_clear(&resp);
	}
	call(create_handle, &capp, NULL, NULL, "HEAD", "/healthz", NULL, "",
	    0, &resp);
	ck_assert_int_eq(resp.status, 503);
	sg_resp_clear(&resp);
	call(create_handle, &capp, NULL, NULL, "POST", "/healthz",
	    "application/json", "{}", 2, &resp);
	ck_assert_int_eq(resp.status, 405);
	ck_assert(has_header(&resp, "Allow: GET, HEAD"));
	sg_resp_clear(&resp);
	/* Within CREATE_HEALTH_CACHE_US the last probe answers... */
	ck_assert(capp.health_until > 0);
	capp.health[0].docker = SG_OK;
	capp.health[0].runtime_ok = 1;
	capp.health[0].network_ok = 1;
	call(create_handle, &capp, NULL, NULL, "GET", "/healthz", NULL, "", 0,
	    &resp);
	ck_assert_int_eq(resp.status, 200);
	sg_resp_clear(&resp);
	/* ...and after it Docker is asked again. */
	capp.health_until = 0;
	call(create_handle, &capp, NULL, NULL, "GET", "/healthz", NULL, "", 0,
	    &resp);
	ck_assert_int_eq(resp.status, 503);
	ck_assert_str_eq(errcode(&resp), "docker_unavailable");
	sg_resp_clear(&resp);
	/* Only these two paths: another service's is not ours. */
	call(create_handle, &capp, NULL, NULL, "GET",
	    "/healthz/session-query", NULL, "", 0, &resp);
	ck_assert_int_eq(resp.status, 404);
	sg_resp_clear(&resp);
	call(create_handle, &capp, NULL, NULL, "GET", "/healthz/", NULL, "",
	    0, &resp);
	ck_assert_int_eq(resp.status, 404);
	sg_resp_clear(&resp);
}
END_TEST

static Suite *
sandbox_suite(void)
{
	Suite	*s = suite_create("sandbox");
	TCase	*tc = tcase_create("handlers");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_caller_checks);
	tcase_add_test(tc, test_media_and_json);
	tcase_add_test(tc, test_bad_bodies);
	tcase_add_test(tc, test_ten_thousand_hosts);
	tcase_add_test(tc, test_huge_body);
	tcase_add_test(tc, test_valid_body_redis_down);
	tcase_add_test(tc, test_spec_parse);
	tcase_add_test(tc, test_spec_budget);
	tcase_add_test(tc, test_spec_secrets);
	tcase_add_test(tc, test_secrets_routes);
	tcase_add_test(tc, test_config_settings);
	tcase_add_test(tc, test_config_engine_proxy);
	tcase_add_test(tc, test_inspect_check);
	tcase_add_test(tc, test_inspect_runtime);
	tcase_add_test(tc, test_health_answer);
	tcase_add_test(tc, test_runtime_warning);
	tcase_add_test(tc, test_healthz_route);
	tcase_add_test(tc, test_app_config);
	tcase_add_test(tc, test_dirs);
	tcase_add_test(tc, test_destroy_checks);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	signal(SIGPIPE, SIG_IGN);
	sr = srunner_create(sandbox_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
