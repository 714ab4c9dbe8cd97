/* SPDX-License-Identifier: ISC */
/*
 * How much of a FastCGI request is there (lib/fcgirec.c): lib/serve.c
 * serves a held connection only once sg_fcgi_sent says its parameters
 * are whole, so a request cut anywhere must read as part-sent, and a
 * whole one (with any padding, several PARAMS records, a management
 * record first) as whole.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "fcgirec.h"

/* BEGIN_REQUEST (role 2, FCGI_KEEP_CONN), two PARAMS records (the
 * second padded by 3), the empty PARAMS, an empty STDIN. */
static const unsigned char req[] = {
	1, 1, 0, 1, 0, 8, 0, 0,   0, 2, 1, 0, 0, 0, 0, 0,
	1, 4, 0, 1, 0, 5, 0, 0,   3, 0, 'S', 'G', 'X',
	1, 4, 0, 1, 0, 5, 3, 0,   1, 2, 'A', 'b', 'c', 0, 0, 0,
	1, 4, 0, 1, 0, 0, 0, 0,
	1, 5, 0, 1, 0, 0, 0, 0
};
#define PARAMS_END	(sizeof(req) - 8)	/* just after the empty PARAMS */

START_TEST(whole)
{
	ck_assert_int_eq(sg_fcgi_sent(req, sizeof(req)), SG_FCGI_WHOLE);
	ck_assert_int_eq(sg_fcgi_sent(req, PARAMS_END), SG_FCGI_WHOLE);
}
END_TEST

START_TEST(cut_anywhere)
{
	size_t	 n;

	/* Every cut before the empty PARAMS record's end is part-sent. */
	for (n = 0; n < PARAMS_END; n++)
		ck_assert_msg(sg_fcgi_sent(req, n) == SG_FCGI_PART,
		    "cut at %zu read as whole", n);
}
END_TEST

START_TEST(management_first)
{
	unsigned char	 b[sizeof(req) + 16];

	/* FCGI_GET_VALUES on request id 0, then the request. */
	static const unsigned char gv[] = {
		1, 9, 0, 0, 0, 8, 0, 0,  3, 0, 'M', 'P', 'X', 0, 0, 0
	};

	(void)memcpy(b, gv, sizeof(gv));
	(void)memcpy(b + sizeof(gv), req, sizeof(req));
	ck_assert_int_eq(sg_fcgi_sent(b, sizeof(b)), SG_FCGI_WHOLE);
	ck_assert_int_eq(sg_fcgi_sent(b, sizeof(gv) + 20), SG_FCGI_PART);
}
END_TEST

START_TEST(not_fastcgi)
{
	static const unsigned char http[] = "GET / HTTP/1.1\r\n";
	unsigned char	 b[sizeof(req)];

	/* libfcgi refuses these at once: nothing to wait for. */
	ck_assert_int_eq(sg_fcgi_sent(http, sizeof(http) - 1), SG_FCGI_WHOLE);
	(void)memcpy(b, req, sizeof(req));
	b[16] = 2;	/* the first PARAMS record's version */
	ck_assert_int_eq(sg_fcgi_sent(b, 24), SG_FCGI_WHOLE);
	/* A version byte alone is not yet a header. */
	ck_assert_int_eq(sg_fcgi_sent(http, 7), SG_FCGI_PART);
}
END_TEST

START_TEST(long_record)
{
	unsigned char	*b;
	size_t		 n = 8 + 65535 + 255 + 8;

	/* The largest record (65535 + 255 padding) is waited for whole. */
	ck_assert_ptr_nonnull(b = calloc(1, n));
	b[0] = 1;
	b[1] = 4;
	b[4] = 0xff;
	b[5] = 0xff;
	b[6] = 0xff;
	b[n - 8] = 1;
	b[n - 7] = 4;
	ck_assert_int_eq(sg_fcgi_sent(b, n - 9), SG_FCGI_PART);
	ck_assert_int_eq(sg_fcgi_sent(b, n - 1), SG_FCGI_PART);
	ck_assert_int_eq(sg_fcgi_sent(b, n), SG_FCGI_WHOLE);
	free(b);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("fcgi");
	tc = tcase_create("sent");
	tcase_add_test(tc, whole);
	tcase_add_test(tc, cut_anywhere);
	tcase_add_test(tc, management_first);
	tcase_add_test(tc, not_fastcgi);
	tcase_add_test(tc, long_record);
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
