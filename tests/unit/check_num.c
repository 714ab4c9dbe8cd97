/* SPDX-License-Identifier: ISC */
/*
 * Strict decimal numbers (lib/num.c): sg_num_parse for configuration
 * and command lines, sg_num_parse_canon for wire formats, and
 * sg_num_is_digits and sg_hexval.  Every refusal must leave *out alone.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "num.h"

#define UNTOUCHED	INT64_C(-4242)

/* sg_num_parse(s, min, max): 1 and *v if accepted, 0 if refused. */
static int
dec(const char *s, int64_t min, int64_t max, int64_t *v)
{
	int64_t	 out = UNTOUCHED;
	int	 rc;

	rc = sg_num_parse(s, min, max, &out);
	ck_assert_msg(rc == 0 || rc == -1, "rc %d for \"%s\"", rc, s);
	if (rc != 0)
		ck_assert_msg(out == UNTOUCHED, "\"%s\" wrote %lld", s,
		    (long long)out);
	*v = out;
	return rc == 0;
}

static int
canon(const char *s, size_t len, int64_t min, int64_t max, int64_t *v)
{
	int64_t	 out = UNTOUCHED;
	int	 rc;

	rc = sg_num_parse_canon(s, len, min, max, &out);
	ck_assert_int_ge(rc, -1);
	ck_assert_int_le(rc, 0);
	if (rc != 0)
		ck_assert(out == UNTOUCHED);
	*v = out;
	return rc == 0;
}

START_TEST(test_parse_accepts)
{
	int64_t	 v;

	ck_assert(dec("0", 0, 10, &v) && v == 0);
	ck_assert(dec("7", 0, 10, &v) && v == 7);
	/* Leading zeros are how operators write numbers: accepted. */
	ck_assert(dec("0030", 0, 100, &v) && v == 30);
	ck_assert(dec("000", 0, 100, &v) && v == 0);
	ck_assert(dec("9223372036854775807", 0, INT64_MAX, &v) &&
	    v == INT64_MAX);
	/* Range ends are inclusive. */
	ck_assert(dec("1", 1, 65535, &v) && v == 1);
	ck_assert(dec("65535", 1, 65535, &v) && v == 65535);
}
END_TEST

START_TEST(test_parse_refuses)
{
	static const char *const bad[] = {
		"", " ", " 1", "1 ", "\t1", "1\n", "+1", "-1", "-0", "0x10",
		"0X10", "1e3", "1.0", "1,000", "1_000", "12a", "a12", "٣",
		"9223372036854775808",		/* INT64_MAX + 1 */
		"99999999999999999999",
		"184467440737095516160",	/* wraps 64 bits */
	};
	int64_t	 v;
	size_t	 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!dec(bad[i], 0, INT64_MAX, &v),
		    "accepted \"%s\"", bad[i]);
	ck_assert_int_eq(sg_num_parse(NULL, 0, 10, &v), -1);
	/* Just outside the range, both ends. */
	ck_assert(!dec("0", 1, 65535, &v));
	ck_assert(!dec("65536", 1, 65535, &v));
	ck_assert(!dec("00065536", 1, 65535, &v));
	ck_assert(!dec("9", 10, 20, &v));
	ck_assert(!dec("21", 10, 20, &v));
}
END_TEST

START_TEST(test_canon_accepts)
{
	int64_t	 v;

	ck_assert(canon("0", 1, 0, 10, &v) && v == 0);
	ck_assert(canon("10", 2, 0, 10, &v) && v == 10);
	/* The length form reads only len bytes. */
	ck_assert(canon("123xyz", 3, 0, 1000, &v) && v == 123);
	ck_assert(canon("1234", 2, 0, 1000, &v) && v == 12);
	/* 18 digits is the most. */
	ck_assert(canon("999999999999999999", 18, 0, INT64_MAX, &v) &&
	    v == INT64_C(999999999999999999));
	ck_assert(canon("5", 1, 5, 5, &v) && v == 5);
}
END_TEST

START_TEST(test_canon_refuses)
{
	static const char *const bad[] = {
		"", " 1", "1 ", "+1", "-1", "0x1", "00", "01", "007",
		"1.5", "1e2", "a",
		"1000000000000000000",		/* 19 digits */
		"9223372036854775807",
	};
	int64_t	 v;
	size_t	 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!canon(bad[i], strlen(bad[i]), 0, INT64_MAX,
		    &v), "accepted \"%s\"", bad[i]);
	/* An embedded NUL is a byte like any other non-digit. */
	ck_assert(!canon("12\0" "3", 4, 0, 10000, &v));
	ck_assert(!canon("\0" "1", 2, 0, 10, &v));
	ck_assert(canon("12\0" "3", 2, 0, 10000, &v) && v == 12);
	/* Zero length, even over digits. */
	ck_assert(!canon("12", 0, 0, 100, &v));
	/* Range ends. */
	ck_assert(!canon("4", 1, 5, 9, &v));
	ck_assert(!canon("10", 2, 5, 9, &v));
	ck_assert(canon("9", 1, 5, 9, &v) && v == 9);
}
END_TEST

START_TEST(test_is_digits)
{
	ck_assert(sg_num_is_digits("0123456789", 10));
	ck_assert(sg_num_is_digits("12x", 2));
	ck_assert(!sg_num_is_digits("12x", 3));
	ck_assert(!sg_num_is_digits("", 0));
	ck_assert(!sg_num_is_digits("1", 0));
	ck_assert(!sg_num_is_digits("1\0" "2", 3));
	ck_assert(!sg_num_is_digits("-1", 2));
	ck_assert(!sg_num_is_digits(" 1", 2));
}
END_TEST

START_TEST(test_hexval)
{
	int	 c, want;

	for (c = -1; c < 256; c++) {
		if (c >= '0' && c <= '9')
			want = c - '0';
		else if (c >= 'a' && c <= 'f')
			want = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			want = c - 'A' + 10;
		else
			want = -1;
		ck_assert_msg(sg_hexval(c) == want, "sg_hexval(%d) = %d", c,
		    sg_hexval(c));
	}
	ck_assert_int_eq(sg_hexval('g'), -1);
	ck_assert_int_eq(sg_hexval('G'), -1);
	ck_assert_int_eq(sg_hexval('x'), -1);
	ck_assert_int_eq(sg_hexval(0), -1);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("num");
	tc = tcase_create("parse");
	tcase_add_test(tc, test_parse_accepts);
	tcase_add_test(tc, test_parse_refuses);
	suite_add_tcase(s, tc);
	tc = tcase_create("canon");
	tcase_add_test(tc, test_canon_accepts);
	tcase_add_test(tc, test_canon_refuses);
	suite_add_tcase(s, tc);
	tc = tcase_create("digits");
	tcase_add_test(tc, test_is_digits);
	tcase_add_test(tc, test_hexval);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
