/* SPDX-License-Identifier: ISC */
/*
 * lib/policy: the overlay codec (PATCH body and stored form), the
 * narrow-only check (widening refused) and the decision on a request.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hosts.h"
#include "json.h"
#include "policy.h"
#include "sgerr.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define TOKEN_HOSTS	"api.example.com,*.cdn.example.net,192.0.2.1:8080,"\
			"pinned.example.org:443"
#define TOKEN_EXP	2000000000

static struct sg_ports	 dflt;

static void
setup(void)
{
	struct sg_err	 err;

	sg_err_clear(&err);
	ck_assert_int_eq(sg_ports_parse("80,443", &dflt, &err), SG_OK);
}

/* Parse an overlay text and check it against TOKEN_HOSTS: the code. */
static const char *
overlay_code(const char *txt, struct sg_policy *p)
{
	static char		 code[64];
	struct sg_hostlist	 l;
	struct sg_err		 err;
	cJSON			*o;
	enum sg_rc		 rc;

	sg_err_clear(&err);
	sg_policy_clear(p);
	if ((o = sg_json_parse(txt, strlen(txt), &err)) == NULL)
		return "bad_json";
	rc = sg_policy_parse_overlay(o, p, &err);
	cJSON_Delete(o);
	if (rc != SG_OK) {
		ck_assert_int_eq(rc, SG_EINVAL);
		ck_assert_ptr_nonnull(err.code);
		ck_assert(err.msg[0] != '\0');
		(void)snprintf(code, sizeof(code), "%s", err.code);
		return code;
	}
	sg_hostlist_init(&l);
	ck_assert_int_eq(sg_hosts_parse(TOKEN_HOSTS, strlen(TOKEN_HOSTS), &l,
	    &err), SG_OK);
	sg_err_clear(&err);
	rc = sg_policy_narrows(p, &l, TOKEN_EXP, &err);
	sg_hostlist_clear(&l);
	if (rc != SG_OK) {
		(void)snprintf(code, sizeof(code), "%s", err.code);
		return code;
	}
	return "ok";
}

static const struct {
	const char	*txt;
	const char	*code;
} overlays[] = {
	{ "{\"hosts\":[]}", "ok" },
	{ "{\"hosts\":[\"api.example.com\"]}", "ok" },
	{ "{\"hosts\":[{\"host\":\"api.example.com\",\"methods\":[\"GET\"],"
	    "\"paths\":[\"/v1/\"]}],\"expires_at\":1900000000}", "ok" },
	{ "{\"hosts\":[\"a.cdn.example.net\",\"*.b.cdn.example.net\","
	    "\"*.cdn.example.net\",\"x.cdn.example.net:443\"]}", "ok" },
	{ "{\"hosts\":[\"192.0.2.1:8080\",\"pinned.example.org:443\"]}", "ok" },
	/* widening */
	{ "{\"hosts\":[\"evil.example.com\"]}", "host_not_in_token" },
	{ "{\"hosts\":[\"cdn.example.net\"]}", "host_not_in_token" },
	{ "{\"hosts\":[\"*.example.com\"]}", "host_not_in_token" },
	{ "{\"hosts\":[\"*.example.net\"]}", "host_not_in_token" },
	{ "{\"hosts\":[\"xcdn.example.net\"]}", "host_not_in_token" },
	{ "{\"hosts\":[\"192.0.2.1\"]}", "host_not_in_token" },
	{ "{\"hosts\":[\"192.0.2.1:80\"]}", "host_not_in_token" },
	{ "{\"hosts\":[\"pinned.example.org\"]}", "host_not_in_token" },
	{ "{\"hosts\":[\"[::ffff:192.0.2.1]:8080\"]}", "host_not_in_token" },
	{ "{\"hosts\":[],\"expires_at\":2000000001}", "expiry_after_token" },
	/* malformed */
	{ "{}", "bad_hosts" },
	{ "{\"hosts\":\"api.example.com\"}", "bad_hosts" },
	{ "{\"hosts\":[],\"extra\":1}", "unknown_field" },
	/* duplicates: sg_json_parse refuses them already */
	{ "{\"hosts\":[],\"hosts\":[]}", "bad_json" },
	{ "{\"hosts\":[{\"host\":\"api.example.com\",\"x\":1}]}",
	    "unknown_field" },
	{ "{\"hosts\":[\"api.example.com/x\"]}", "bad_host" },
	{ "{\"hosts\":[\"*\"]}", "bad_host" },
	{ "{\"hosts\":[1]}", "bad_host" },
	{ "{\"hosts\":[{\"methods\":[\"GET\"]}]}", "bad_host" },
	{ "{\"hosts\":[{\"host\":\"api.example.com\",\"methods\":[]}]}",
	    "bad_methods" },
	{ "{\"hosts\":[{\"host\":\"api.example.com\",\"methods\":[\"get\"]}]}",
	    "bad_method" },
	{ "{\"hosts\":[{\"host\":\"api.example.com\",\"methods\":[\"HEAD\"]}]}",
	    "bad_method" },
	{ "{\"hosts\":[{\"host\":\"api.example.com\",\"methods\":[\"TRACE\"]}]}",
	    "bad_method" },
	{ "{\"hosts\":[{\"host\":\"api.example.com\",\"paths\":[\"v1\"]}]}",
	    "bad_path" },
	{ "{\"hosts\":[{\"host\":\"api.example.com\",\"paths\":[\"/a/../b\"]}]}",
	    "bad_path" },
	{ "{\"hosts\":[{\"host\":\"api.example.com\",\"paths\":[\"/a%2f\"]}]}",
	    "bad_path" },
	{ "{\"hosts\":[{\"host\":\"api.example.com\",\"paths\":[\"/a?b\"]}]}",
	    "bad_path" },
	{ "{\"hosts\":[{\"host\":\"api.example.com\",\"paths\":[]}]}",
	    "bad_paths" },
	{ "{\"hosts\":[],\"expires_at\":\"soon\"}", "bad_expires_at" },
	{ "{\"hosts\":[],\"expires_at\":1.5}", "bad_expires_at" },
	{ "{\"hosts\":[],\"expires_at\":-1}", "bad_expires_at" },
	{ "[]", "bad_json" },
};

START_TEST(test_overlay_codec)
{
	struct sg_policy	*p = calloc(1, sizeof(*p));

	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(overlay_code(overlays[_i].txt, p),
	    overlays[_i].code);
	sg_policy_free(p);
}
END_TEST

START_TEST(test_overlay_limits)
{
	struct sg_policy	*p = calloc(1, sizeof(*p));
	char			 buf[8192], path[200];
	size_t			 i, n;

	ck_assert_ptr_nonnull(p);
	/* SG_POLICY_MAX_HOSTS entries pass, one more does not */
	n = (size_t)snprintf(buf, sizeof(buf), "{\"hosts\":[");
	for (i = 0; i < SG_POLICY_MAX_HOSTS; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s\"api."
		    "example.com\"", i ? "," : "");
	(void)snprintf(buf + n, sizeof(buf) - n, "]}");
	ck_assert_str_eq(overlay_code(buf, p), "ok");
	(void)snprintf(buf + n, sizeof(buf) - n, ",\"api.example.com\"]}");
	ck_assert_str_eq(overlay_code(buf, p), "too_many_hosts");
	/* a prefix of SG_POLICY_PATH_MAX passes, one byte more does not */
	memset(path, 'a', sizeof(path));
	path[0] = '/';
	path[SG_POLICY_PATH_MAX] = '\0';
	(void)snprintf(buf, sizeof(buf), "{\"hosts\":[{\"host\":\"api.example."
	    "com\",\"paths\":[\"%s\"]}]}", path);
	ck_assert_str_eq(overlay_code(buf, p), "ok");
	path[SG_POLICY_PATH_MAX] = 'a';
	path[SG_POLICY_PATH_MAX + 1] = '\0';
	(void)snprintf(buf, sizeof(buf), "{\"hosts\":[{\"host\":\"api.example."
	    "com\",\"paths\":[\"%s\"]}]}", path);
	ck_assert_str_eq(overlay_code(buf, p), "bad_path");
	(void)snprintf(buf, sizeof(buf), "{\"hosts\":[{\"host\":\"api.example."
	    "com\",\"paths\":[\"/1\",\"/2\",\"/3\",\"/4\",\"/5\",\"/6\",\"/7\","
	    "\"/8\",\"/9\"]}]}");
	ck_assert_str_eq(overlay_code(buf, p), "bad_paths");
	sg_policy_free(p);
}
END_TEST

/* The decision of an overlay on method + uri at now. */
static const char *
decide(const struct sg_policy *p, const char *method, const char *uri,
    int64_t now)
{
	struct sg_target	 t;
	struct sg_err		 err;

	sg_err_clear(&err);
	ck_assert_int_eq(sg_target_parse(method, uri, &t, &err), SG_OK);
	return sg_policy_decide(p, method, uri, &t, &dflt, now);
}

#define ALLOW(m, u, now)	ck_assert_ptr_null(decide(p, m, u, now))
#define DENY(m, u, now, c)	ck_assert_str_eq(decide(p, m, u, now), c)

START_TEST(test_decide)
{
	struct sg_policy	*p = calloc(1, sizeof(*p));
	struct sg_err		 err;

	ck_assert_ptr_nonnull(p);
	/* no overlay: the token alone */
	ALLOW("GET", "http://evil.example.com/", 1);
	ck_assert_ptr_null(sg_policy_decide(NULL, "GET", "http://x/", NULL,
	    &dflt, 1));
	ck_assert_str_eq(overlay_code("{\"hosts\":[{\"host\":\"api.example."
	    "com\",\"methods\":[\"GET\"],\"paths\":[\"/v1/\",\"/health\"]},"
	    "{\"host\":\"a.cdn.example.net\",\"methods\":[\"CONNECT\"]}],"
	    "\"expires_at\":1000}", p), "ok");
	ALLOW("GET", "http://api.example.com/v1/x?y=1", 10);
	ALLOW("HEAD", "http://api.example.com/v1/", 10);
	ALLOW("GET", "http://api.example.com/healthz", 10);
	DENY("POST", "http://api.example.com/v1/x", 10, "method_not_allowed");
	DENY("GET", "http://api.example.com/v2/x", 10, "path_not_allowed");
	DENY("GET", "http://api.example.com/", 10, "path_not_allowed");
	DENY("GET", "http://api.example.com", 10, "path_not_allowed");
	DENY("GET", "http://api.example.com/v1/../admin", 10,
	    "path_not_allowed");
	DENY("GET", "http://api.example.com/v1/%2e%2e/admin", 10,
	    "path_not_allowed");
	DENY("GET", "http://api.example.com/v1/..", 10, "path_not_allowed");
	DENY("GET", "http://api.example.com/v1\\x", 10, "path_not_allowed");
	ALLOW("GET", "http://api.example.com/v1/..x", 10);
	/* paths: a tunnel's paths are not visible */
	DENY("CONNECT", "api.example.com:443", 10, "method_not_allowed");
	ALLOW("CONNECT", "a.cdn.example.net:443", 10);
	DENY("GET", "http://a.cdn.example.net/", 10, "method_not_allowed");
	DENY("GET", "http://b.cdn.example.net/", 10, "host_not_allowed");
	DENY("CONNECT", "b.cdn.example.net:443", 10, "host_not_allowed");
	/* expiry */
	DENY("GET", "http://api.example.com/v1/", 1000, "policy_expired");
	DENY("CONNECT", "a.cdn.example.net:443", 5000, "policy_expired");
	/* a grant adds a host for a while, with any method and path */
	p->grants[0].expires_at = 500;
	sg_err_clear(&err);
	ck_assert_int_eq(sg_hostpat_parse("b.cdn.example.net", 17,
	    &p->grants[0].pat, &err), SG_OK);
	p->ngrants = 1;
	ALLOW("CONNECT", "b.cdn.example.net:443", 10);
	ALLOW("POST", "http://b.cdn.example.net/any", 499);
	DENY("POST", "http://b.cdn.example.net/any", 500, "host_not_allowed");
	sg_policy_prune(p, 500);
	ck_assert_uint_eq(p->ngrants, 0);
	sg_policy_free(p);
}
END_TEST

START_TEST(test_stored_roundtrip)
{
	struct sg_policy	*p = calloc(1, sizeof(*p)), *q = calloc(1, sizeof(*q));
	struct sg_err		 err;
	cJSON			*j, *k;
	char			*a, *b;

	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(q);
	ck_assert_str_eq(overlay_code("{\"hosts\":[{\"host\":\"api.example."
	    "com\",\"methods\":[\"POST\",\"GET\"],\"paths\":[\"/v1/\"]},"
	    "\"*.cdn.example.net\"],\"expires_at\":1900000000}", p), "ok");
	(void)snprintf(p->set_by, sizeof(p->set_by), "ops");
	p->set_at = 100;
	p->rev = 3;
	sg_err_clear(&err);
	ck_assert_int_eq(sg_hostpat_parse("a.cdn.example.net", 17,
	    &p->grants[0].pat, &err), SG_OK);
	p->grants[0].expires_at = 200;
	(void)snprintf(p->grants[0].by, sizeof(p->grants[0].by), "ops");
	p->ngrants = 1;
	ck_assert_ptr_nonnull(j = sg_policy_to_json(p, 0));
	ck_assert_int_eq(sg_policy_from_json(j, q, &err), SG_OK);
	ck_assert_ptr_nonnull(k = sg_policy_to_json(q, 0));
	a = sg_json_print(j);
	b = sg_json_print(k);
	ck_assert_str_eq(a, b);
	ck_assert_ptr_nonnull(strstr(a, "\"methods\":[\"GET\",\"POST\"]"));
	free(a);
	free(b);
	cJSON_Delete(k);
	/* expired grants are left out of what is shown */
	ck_assert_ptr_nonnull(k = sg_policy_to_json(q, 300));
	a = sg_json_print(k);
	ck_assert_ptr_null(strstr(a, "a.cdn"));
	free(a);
	cJSON_Delete(k);
	/* an unknown member of the stored form is a bad session */
	cJSON_AddNumberToObject(j, "extra", 1);
	ck_assert_int_eq(sg_policy_from_json(j, q, &err), SG_EUPSTREAM);
	cJSON_Delete(j);
	sg_policy_free(p);
	sg_policy_free(q);
}
END_TEST

static Suite *
policy_suite(void)
{
	Suite	*s = suite_create("policy");
	TCase	*tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_loop_test(tc, test_overlay_codec, 0, NELEM(overlays));
	tcase_add_test(tc, test_overlay_limits);
	tcase_add_test(tc, test_decide);
	tcase_add_test(tc, test_stored_roundtrip);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 nfail;

	sr = srunner_create(policy_suite());
	srunner_run_all(sr, CK_NORMAL);
	nfail = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nfail == 0 ? 0 : 1;
}
