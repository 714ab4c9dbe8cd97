/* SPDX-License-Identifier: ISC */
/*
 * Strict JSON (lib/json.c): every cJSON trap of docs/security.md 3.5
 * (J1-J14) must be rejected, and ordinary JSON (whitespace, escapes, any
 * member order) accepted.
 */
#include "config.h"

#include <check.h>
#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "json.h"

/* Parse len bytes; 1 if accepted. */
static int
accepts_n(const char *s, size_t len)
{
	struct sg_err	 err;
	cJSON		*j;

	sg_err_clear(&err);
	j = sg_json_parse(s, len, &err);
	if (j == NULL) {
		ck_assert_int_eq(err.rc, SG_EINVAL);
		ck_assert_str_eq(err.code, "bad_json");
		return 0;
	}
	cJSON_Delete(j);
	return 1;
}

static int
accepts(const char *s)
{
	return accepts_n(s, strlen(s));
}

#define PO(s)		sg_json_parse_object((s), strlen(s), NULL)
#define REJECT(s)	ck_assert_msg(!accepts(s), "accepted: %s", (s))
#define ACCEPT(s)	ck_assert_msg(accepts(s), "rejected: %s", (s))

/* J1: duplicate member names, wherever they are. */
START_TEST(j1_duplicates)
{
	REJECT("{\"container_id\":\"a\",\"container_id\":\"b\"}");
	REJECT("{\"alg\":\"none\",\"alg\":\"ES256\"}");
	REJECT("{\"alg\":\"ES256\",\"alg\":\"none\"}");
	REJECT("{\"a\":{\"x\":1,\"x\":1}}");
	REJECT("[{\"x\":1},{\"y\":1,\"y\":2}]");
	/* The same name spelt with an escape is the same name. */
	REJECT("{\"exp\":1,\"\\u0065xp\":2}");
	/* Equal names in different objects are fine. */
	ACCEPT("{\"a\":{\"x\":1},\"b\":{\"x\":1}}");
}
END_TEST

/* J1 on a large object, which takes the sorted path. */
START_TEST(j1_duplicates_large)
{
	char	 buf[4096];
	size_t	 off = 0;
	int	 i;

	buf[off++] = '{';
	for (i = 0; i < 100; i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off,
		    "%s\"k%d\":%d", i ? "," : "", i, i);
	off += (size_t)snprintf(buf + off, sizeof(buf) - off, "}");
	ck_assert(accepts_n(buf, off));
	/* Append a duplicate of k50. */
	off--;
	off += (size_t)snprintf(buf + off, sizeof(buf) - off, ",\"K50\":1}");
	ck_assert(!accepts_n(buf, off));
}
END_TEST

/* J2, A5: case variants of one name in one object. */
START_TEST(j2_case_variants)
{
	REJECT("{\"ALG\":\"none\",\"alg\":\"ES256\"}");
	REJECT("{\"exp\":1,\"Exp\":2}");
	REJECT("{\"EXP\":1,\"exp\":2}");
}
END_TEST

/* J2: lookups are case-sensitive. */
START_TEST(j2_lookup_case_sensitive)
{
	cJSON	*j;
	int64_t	 v;

	j = PO("{\"Exp\":5}");
	ck_assert_ptr_nonnull(j);
	ck_assert_ptr_null(sg_json_get(j, "exp"));
	ck_assert_int_eq(sg_json_int(j, "exp", 0, 10, &v, NULL), SG_ENOENT);
	ck_assert_int_eq(sg_json_int(j, "Exp", 0, 10, &v, NULL), SG_OK);
	ck_assert_int_eq(v, 5);
	cJSON_Delete(j);
}
END_TEST

/* J3, A7: anything after the value. */
START_TEST(j3_trailing)
{
	REJECT("{\"exp\":1}xyz");
	REJECT("{\"exp\":1}{\"exp\":2}");
	REJECT("{\"alg\":\"ES256\"}xyz");
	REJECT("{} {}");
	REJECT("1 2");
	ACCEPT("{\"exp\":1} \r\n\t");
}
END_TEST

/* J4: a raw NUL byte, inside or after the value. */
START_TEST(j4_nul)
{
	static const char a[] = "{\"exp\":1}\0{\"exp\":2}";
	static const char b[] = "{\"x\":\"ab\0cd\"}";
	static const char c[] = "{\"exp\":1}\0";

	ck_assert(!accepts_n(a, sizeof(a) - 1));
	ck_assert(!accepts_n(b, sizeof(b) - 1));
	ck_assert(!accepts_n(c, sizeof(c) - 1));
	ck_assert(accepts_n(c, sizeof(c) - 2));
}
END_TEST

/* J5: \u0000 in a string, in any spelling. */
START_TEST(j5_escaped_nul)
{
	REJECT("{\"container_id\":\"abc\\u0000evil\"}");
	REJECT("{\"alg\":\"ES256\\u0000x\"}");
	REJECT("{\"a\\u0000\":1}");
	REJECT("[\"\\u0000\"]");
	ACCEPT("[\"\\u0001\"]");
}
END_TEST

/* J6: invalid UTF-8. */
START_TEST(j6_utf8)
{
	REJECT("{\"x\":\"\xff\"}");
	REJECT("{\"x\":\"\xc0\xaf\"}");		/* overlong '/' */
	REJECT("{\"x\":\"\xe0\x80\xaf\"}");		/* overlong */
	REJECT("{\"x\":\"\xf0\x80\x80\xaf\"}");	/* overlong */
	REJECT("{\"x\":\"\x80\"}");			/* lone continuation */
	REJECT("{\"x\":\"a\xbf\"}");
	REJECT("{\"x\":\"\xc3\"}");			/* truncated */
	REJECT("{\"x\":\"\xe2\x82\"}");
	REJECT("{\"x\":\"\xed\xa0\x80\"}");		/* UTF-8 surrogate */
	REJECT("{\"x\":\"\xf4\x90\x80\x80\"}");	/* > U+10FFFF */
	REJECT("{\"x\":\"\xf5\x80\x80\x80\"}");
	REJECT("{\"x\xff\":1}");
	REJECT("\xff");
	ACCEPT("{\"x\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}");
	ACCEPT("{\"x\":\"\xf4\x8f\xbf\xbf\"}");	/* U+10FFFF */
}
END_TEST

/* J7: lone surrogate escapes stay rejected; pairs are fine. */
START_TEST(j7_surrogates)
{
	REJECT("{\"x\":\"\\ud800x\"}");
	REJECT("{\"x\":\"\\udc00\"}");
	REJECT("{\"x\":\"\\ud800\"}");
	REJECT("{\"x\":\"\\ud800\\u0041\"}");
	REJECT("{\"x\":\"\\ud800\\ud800\"}");
	ACCEPT("{\"x\":\"\\ud83d\\ude00\"}");
}
END_TEST

/* J8: non-finite numbers are never an integer. */
START_TEST(j8_infinite)
{
	cJSON	*j;
	int64_t	 v = 7;

	j = PO("{\"exp\":1e400}");
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(sg_json_int(j, "exp", 0, INT64_MAX, &v, NULL),
	    SG_EINVAL);
	ck_assert_int_eq(v, 7);
	cJSON_Delete(j);
	j = PO("{\"exp\":-1e400}");
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(sg_json_int(j, "exp", INT64_MIN, INT64_MAX, &v,
	    NULL), SG_EINVAL);
	cJSON_Delete(j);
}
END_TEST

/* J9: big numbers are read from valuedouble, exactly, range-checked. */
START_TEST(j9_big_numbers)
{
	cJSON		*j;
	int64_t		 v = 0;
	struct sg_err	 err;

	j = PO("{\"a\":99999999999999999999,"
	    "\"b\":9007199254740993,\"c\":2147483648,\"d\":1e20,"
	    "\"e\":-1,\"f\":9223372036854775808}");
	ck_assert_ptr_nonnull(j);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_json_int(j, "a", 1, (INT64_C(1) << 40) - 1, &v,
	    &err), SG_EINVAL);
	ck_assert_str_eq(err.code, "bad_json");
	ck_assert_int_eq(sg_json_int(j, "b", 1, (INT64_C(1) << 40) - 1, &v,
	    NULL), SG_EINVAL);
	ck_assert_int_eq(sg_json_int(j, "d", 1, (INT64_C(1) << 40) - 1, &v,
	    NULL), SG_EINVAL);
	ck_assert_int_eq(sg_json_int(j, "e", 1, (INT64_C(1) << 40) - 1, &v,
	    NULL), SG_EINVAL);
	ck_assert_int_eq(sg_json_int(j, "f", INT64_MIN, INT64_MAX, &v,
	    NULL), SG_EINVAL);
	/* 2^31 exactly, not INT_MAX. */
	ck_assert_int_eq(sg_json_int(j, "c", 1, (INT64_C(1) << 40) - 1, &v,
	    NULL), SG_OK);
	ck_assert_int_eq(v, INT64_C(2147483648));
	cJSON_Delete(j);
}
END_TEST

/* J9/T5: only integral values are integers. */
START_TEST(j9_fractions)
{
	cJSON	*j;
	int64_t	 v;

	j = PO("{\"a\":1700000000.5,\"b\":1.5e9,"
	    "\"c\":1e9,\"d\":-0,\"e\":\"5\",\"f\":true,\"g\":null}");
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(sg_json_int(j, "a", 0, INT64_MAX, &v, NULL),
	    SG_EINVAL);
	ck_assert_int_eq(sg_json_int(j, "b", 0, INT64_MAX, &v, NULL), SG_OK);
	ck_assert_int_eq(v, 1500000000);
	ck_assert_int_eq(sg_json_int(j, "c", 0, INT64_MAX, &v, NULL), SG_OK);
	ck_assert_int_eq(v, 1000000000);
	ck_assert_int_eq(sg_json_int(j, "d", 1, INT64_MAX, &v, NULL),
	    SG_EINVAL);
	ck_assert_int_eq(sg_json_int(j, "e", 0, INT64_MAX, &v, NULL),
	    SG_EINVAL);
	ck_assert_int_eq(sg_json_int(j, "f", 0, INT64_MAX, &v, NULL),
	    SG_EINVAL);
	ck_assert_int_eq(sg_json_int(j, "g", 0, INT64_MAX, &v, NULL),
	    SG_EINVAL);
	cJSON_Delete(j);
}
END_TEST

/* J10: leading zeros. */
START_TEST(j10_leading_zeros)
{
	REJECT("{\"exp\":0123}");
	REJECT("[00]");
	REJECT("[-01]");
	REJECT("[01.5]");
	ACCEPT("[0]");
	ACCEPT("[-0]");
	ACCEPT("[0.5]");
	ACCEPT("[0e5]");
	ACCEPT("[10]");
	ACCEPT("[100.001e-2]");
}
END_TEST

/* J11: not JSON at all. */
START_TEST(j11_not_json)
{
	REJECT("[NaN]");
	REJECT("[Infinity]");
	REJECT("[-Infinity]");
	REJECT("[0x10]");
	REJECT("[1,]");
	REJECT("{\"a\":1,}");
	REJECT("{'a':1}");
	REJECT("{\"a\":1/*c*/}");
	REJECT("// c\n{}");
	REJECT("[1.]");
	REJECT("[.5]");
	REJECT("[+1]");
	REJECT("[1e]");
	REJECT("[-]");
	REJECT("[tru]");
	REJECT("[True]");
	REJECT("[nulll]");
	REJECT("{\"a\"}");
	REJECT("{\"a\":}");
	REJECT("");
	REJECT("   ");
	REJECT("[\"a\\x\"]");
	REJECT("[\"\\u12\"]");
	REJECT("[\"abc]");
	/* Raw control characters in strings and as "whitespace". */
	REJECT("[\"a\tb\"]");
	REJECT("[\"a\nb\"]");
	REJECT("\x01{}");
	REJECT("{}\x0b");
	REJECT("{\"a\":\x0c" "1}");
}
END_TEST

/* J12: nesting. */
START_TEST(j12_depth)
{
	char	*s;
	size_t	 n = 100000, i;

	s = malloc(2 * n);
	ck_assert_ptr_nonnull(s);
	for (i = 0; i < n; i++) {
		s[i] = '[';
		s[2 * n - 1 - i] = ']';
	}
	ck_assert(!accepts_n(s, 2 * n));
	/* Exactly the limit passes, one more fails. */
	n = SG_JSON_MAX_DEPTH;
	for (i = 0; i < n; i++) {
		s[i] = '[';
		s[2 * n - 1 - i] = ']';
	}
	ck_assert(accepts_n(s, 2 * n));
	n++;
	for (i = 0; i < n; i++) {
		s[i] = '[';
		s[2 * n - 1 - i] = ']';
	}
	ck_assert(!accepts_n(s, 2 * n));
	/* Brackets inside strings do not count. */
	ACCEPT("[\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"]");
	free(s);
}
END_TEST

/* J13: a byte order mark. */
START_TEST(j13_bom)
{
	REJECT("\xef\xbb\xbf{\"exp\":1}");
	REJECT(" \xef\xbb\xbf{}");
}
END_TEST

/*
 * A German locale for J14: an installed one, else one compiled with
 * localedef into a temporary LOCPATH (glibc reads LOCPATH at each
 * setlocale).  Returns 1 with LC_NUMERIC switched, 0 if impossible.
 */
static int
german_numeric(char *tmp, size_t size)
{
	static const char *const locs[] = { "de_DE.UTF-8", "de_DE.utf8",
	    "de_DE", NULL };
	const char	*const *l;
	char		 cmd[512];

	tmp[0] = '\0';
	for (l = locs; *l != NULL; l++)
		if (setlocale(LC_NUMERIC, *l) != NULL)
			return 1;
	if (access("/usr/share/i18n/locales/de_DE", R_OK) != 0 ||
	    access("/usr/bin/localedef", X_OK) != 0)
		return 0;
	ck_assert_uint_lt(strlcpy(tmp, "/tmp/check_json.XXXXXX", size), size);
	if (mkdtemp(tmp) == NULL)
		return 0;
	snprintf(cmd, sizeof(cmd), "/usr/bin/localedef -i de_DE -f UTF-8 "
	    "%s/de_DE.UTF-8 >/dev/null 2>&1", tmp);
	if (system(cmd) != 0)
		return 0;
	setenv("LOCPATH", tmp, 1);
	return setlocale(LC_NUMERIC, "de_DE.UTF-8") != NULL;
}

/* J14: numbers parse and print the same whatever LC_NUMERIC says. */
START_TEST(j14_locale)
{
	cJSON		*j;
	int64_t		 v;
	char		*p, tmp[64], cmd[128];
	int		 german;

	german = german_numeric(tmp, sizeof(tmp));
	if (!german)
		fprintf(stderr, "check_json: J14: no de_DE locale available; "
		    "testing the C locale only\n");
	else {
		/* The locale really has a decimal comma. */
		snprintf(cmd, sizeof(cmd), "%.1f", 1.5);
		ck_assert_str_eq(cmd, "1,5");
	}
	j = PO("{\"a\":1.5,\"b\":1.5e9,\"c\":3,\"d\":1700000000.5}");
	ck_assert_ptr_nonnull(j);
	ck_assert(sg_json_get(j, "a")->valuedouble == 1.5);
	ck_assert_int_eq(sg_json_int(j, "b", 0, INT64_MAX, &v, NULL), SG_OK);
	ck_assert_int_eq(v, 1500000000);
	ck_assert_int_eq(sg_json_int(j, "d", 0, INT64_MAX, &v, NULL),
	    SG_EINVAL);
	p = sg_json_print(j);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p, "{\"a\":1.5,\"b\":1500000000,\"c\":3,"
	    "\"d\":1700000000.5}");
	free(p);
	cJSON_Delete(j);
	setlocale(LC_NUMERIC, "C");
	if (tmp[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
		ck_assert_int_eq(system(cmd), 0);
	}
}
END_TEST

/* 3.8: what must be accepted. */
START_TEST(must_accept)
{
	cJSON	*j;

	ACCEPT("{ \"alg\" : \"ES256\" }");
	ACCEPT("\n\t{\r\n\t\"alg\"\t:\n\"ES256\"\r\n}\n");
	ACCEPT("{\"kid\":\"k\",\"alg\":\"ES256\",\"typ\":\"JWT\"}");
	ACCEPT("{}");
	ACCEPT("[]");
	ACCEPT("\"x\"");
	ACCEPT("true");
	ACCEPT("null");
	ACCEPT("-1.25e-3");
	ACCEPT("{\"a\":[1,{\"b\":null},true,false,\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]}");
	/* \u-escaped ASCII decodes to the same value. */
	j = PO("{\"h\":\"\\u0067ithub.com\"}");
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(sg_json_str(j, "h"), "github.com");
	cJSON_Delete(j);
	/* An escaped member name is looked up by its decoded name. */
	j = PO("{\"\\u0065xp\":5}");
	ck_assert_ptr_nonnull(j);
	ck_assert_ptr_nonnull(sg_json_get(j, "exp"));
	cJSON_Delete(j);
}
END_TEST

START_TEST(object_only)
{
	struct sg_err	 err;

	sg_err_clear(&err);
	ck_assert_ptr_null(sg_json_parse_object("[]", 2, &err));
	ck_assert_str_eq(err.code, "bad_json");
	ck_assert_ptr_null(PO("\"x\""));
	ck_assert_ptr_null(PO("null"));
	ck_assert_ptr_null(PO("1"));
	ck_assert_ptr_null(sg_json_parse_object(NULL, 0, NULL));
}
END_TEST

/* Only exact lengths: a buffer need not be NUL-terminated. */
START_TEST(exact_length)
{
	static const char s[] = "{\"a\":1}garbage";
	cJSON	*j;

	j = sg_json_parse(s, 7, NULL);
	ck_assert_ptr_nonnull(j);
	cJSON_Delete(j);
	ck_assert_ptr_null(sg_json_parse(s, 8, NULL));
	ck_assert_ptr_null(sg_json_parse(s, 6, NULL));
}
END_TEST

START_TEST(accessors)
{
	cJSON	*j;
	char	*p;
	int64_t	 v;

	j = cJSON_CreateObject();
	ck_assert_int_eq(sg_json_add_str(j, "s", "x\"y"), 0);
	ck_assert_int_eq(sg_json_add_int(j, "big", INT64_C(2147483648)), 0);
	ck_assert_int_eq(sg_json_add_int(j, "max", SG_JSON_INT_MAX), 0);
	ck_assert_int_eq(sg_json_add_int(j, "over", SG_JSON_INT_MAX + 1), -1);
	ck_assert_int_eq(sg_json_add_int(j, "neg", -5), 0);
	ck_assert_int_eq(sg_json_add_str(j, "n", NULL), -1);
	p = sg_json_print(j);
	ck_assert_str_eq(p, "{\"s\":\"x\\\"y\",\"big\":2147483648,"
	    "\"max\":999999999999999,\"neg\":-5}");
	cJSON_Delete(j);
	j = sg_json_parse_object(p, strlen(p), NULL);
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(sg_json_int(j, "max", 0, INT64_MAX, &v, NULL), SG_OK);
	ck_assert_int_eq(v, SG_JSON_INT_MAX);
	ck_assert_str_eq(sg_json_str(j, "s"), "x\"y");
	ck_assert_ptr_null(sg_json_str(j, "big"));
	ck_assert_ptr_null(sg_json_str(j, "absent"));
	ck_assert_ptr_null(sg_json_get(NULL, "s"));
	free(p);
	cJSON_Delete(j);
}
END_TEST

/*
 * Pins: sg_json_parse reported cJSON out of memory as bad_json (a 400).
 * It also made token-verify call a valid session bad_session.  The Nth
 * allocation of cJSON fails, for every N until none does.
 */
static long	 alloc_calls, alloc_fail_at = -1;

static void *
failing_malloc(size_t n)
{
	if (alloc_calls++ == alloc_fail_at)
		return NULL;
	return malloc(n);
}

static int
parse_failing_at(const char *text, long at, struct sg_err *err)
{
	cJSON	*j;

	alloc_calls = 0;
	alloc_fail_at = at;
	sg_err_clear(err);
	j = sg_json_parse(text, strlen(text), err);
	alloc_fail_at = -1;
	cJSON_Delete(j);
	return j != NULL;
}

START_TEST(enomem_not_bad_json)
{
	static const char *const good[] = {
		"{\"container_id\":\"sandbox_AAAAAAAAAAAAAAAAAAAAAA\","
		    "\"allowed_hosts\":[\"github.com\",\"*.b.org:8443\"],"
		    "\"exp\":1767229200,\"n\":null,\"t\":true,\"f\":false}",
		"[1,2.5e3,-0.5,\"\\u00e9\\ud83d\\ude00\",{\"a\":{\"b\":[]}}]",
		" \"x\" ",
		"{}",
	};
	static const char *const bad[] = {
		"{\"a\":1,}", "[1,2", "{\"a\" 1}", "[true false]", "{\"a\":[}",
		"[1]]", "{\"a\":1}{", "[nul]",
	};
	cJSON_Hooks	 hooks = { failing_malloc, free };
	struct sg_err	 err;
	size_t		 t;
	long		 at, failed = 0;

	cJSON_InitHooks(&hooks);
	for (t = 0; t < sizeof(good) / sizeof(good[0]); t++)
		for (at = 0; ; at++) {
			if (parse_failing_at(good[t], at, &err)) {
				/* the parse got past allocation at */
				ck_assert_int_le(alloc_calls, at);
				break;
			}
			ck_assert_msg(alloc_calls > at, "%s refused", good[t]);
			ck_assert_msg(err.rc == SG_ENOMEM,
			    "%s: allocation %ld failed: %s (%s)", good[t], at,
			    sg_rc_str(err.rc), err.msg);
			failed++;
		}
	ck_assert_int_ge(failed, 10);
	/* Out of memory or not, bad JSON is still the client's fault. */
	for (t = 0; t < sizeof(bad) / sizeof(bad[0]); t++)
		for (at = 0; at < 4; at++) {
			ck_assert_int_eq(parse_failing_at(bad[t], at, &err), 0);
			ck_assert_int_eq(err.rc, SG_EINVAL);
			ck_assert_str_eq(err.code, "bad_json");
		}
	cJSON_InitHooks(NULL);
}
END_TEST

static Suite *
json_suite(void)
{
	Suite	*s = suite_create("json");
	TCase	*tc = tcase_create("strict");

	/* J14 may compile a locale with localedef (a second or more). */
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, j1_duplicates);
	tcase_add_test(tc, j1_duplicates_large);
	tcase_add_test(tc, j2_case_variants);
	tcase_add_test(tc, j2_lookup_case_sensitive);
	tcase_add_test(tc, j3_trailing);
	tcase_add_test(tc, j4_nul);
	tcase_add_test(tc, j5_escaped_nul);
	tcase_add_test(tc, j6_utf8);
	tcase_add_test(tc, j7_surrogates);
	tcase_add_test(tc, j8_infinite);
	tcase_add_test(tc, j9_big_numbers);
	tcase_add_test(tc, j9_fractions);
	tcase_add_test(tc, j10_leading_zeros);
	tcase_add_test(tc, j11_not_json);
	tcase_add_test(tc, j12_depth);
	tcase_add_test(tc, j13_bom);
	tcase_add_test(tc, j14_locale);
	tcase_add_test(tc, must_accept);
	tcase_add_test(tc, object_only);
	tcase_add_test(tc, exact_length);
	tcase_add_test(tc, accessors);
	tcase_add_test(tc, enomem_not_bad_json);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(json_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
