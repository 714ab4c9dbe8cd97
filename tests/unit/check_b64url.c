/* SPDX-License-Identifier: ISC */
/*
 * Strict base64url / base64 (lib/b64url.c) and the small utilities of
 * lib/crypto.c (random ids, SHA-256, constant-time comparison).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "b64url.h"
#include "crypto.h"

struct vec {
	const char	*raw;
	const char	*url;	/* unpadded base64url */
	const char	*std;	/* padded base64 */
};

/* RFC 4648 section 10 test vectors. */
static const struct vec rfc4648[] = {
	{ "", "", "" },
	{ "f", "Zg", "Zg==" },
	{ "fo", "Zm8", "Zm8=" },
	{ "foo", "Zm9v", "Zm9v" },
	{ "foob", "Zm9vYg", "Zm9vYg==" },
	{ "fooba", "Zm9vYmE", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy", "Zm9vYmFy" },
};

static int
url_ok(const char *s)
{
	uint8_t	 buf[256];
	size_t	 n = 0;

	return sg_b64url_decode(s, strlen(s), buf, sizeof(buf), &n, NULL) ==
	    SG_OK;
}

static int
std_ok(const char *s)
{
	uint8_t	 buf[256];
	size_t	 n = 0;

	return sg_b64_decode(s, strlen(s), buf, sizeof(buf), &n, NULL) ==
	    SG_OK;
}

START_TEST(test_rfc4648_vectors)
{
	char	 out[64];
	uint8_t	 dec[64];
	size_t	 i, n, rawlen;

	for (i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++) {
		rawlen = strlen(rfc4648[i].raw);
		n = sg_b64url_encode(rfc4648[i].raw, rawlen, out, sizeof(out));
		ck_assert_uint_eq(n, strlen(rfc4648[i].url));
		ck_assert_str_eq(out, rfc4648[i].url);
		ck_assert_uint_eq(SG_B64URL_ENCLEN(rawlen), n);
		n = sg_b64_encode(rfc4648[i].raw, rawlen, out, sizeof(out));
		ck_assert_str_eq(out, rfc4648[i].std);
		ck_assert_uint_eq(n, strlen(rfc4648[i].std));

		ck_assert_int_eq(sg_b64url_decode(rfc4648[i].url,
		    strlen(rfc4648[i].url), dec, sizeof(dec), &n, NULL), SG_OK);
		ck_assert_uint_eq(n, rawlen);
		ck_assert(memcmp(dec, rfc4648[i].raw, n) == 0);
		ck_assert_int_eq(sg_b64_decode(rfc4648[i].std,
		    strlen(rfc4648[i].std), dec, sizeof(dec), &n, NULL), SG_OK);
		ck_assert_uint_eq(n, rawlen);
		ck_assert(memcmp(dec, rfc4648[i].raw, n) == 0);
	}
}
END_TEST

START_TEST(test_url_alphabet)
{
	const uint8_t	 raw[] = { 0xfb, 0xff, 0xbf, 0xfe };
	char		*s;

	s = sg_b64url_encode_alloc(raw, sizeof(raw));
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "-_-__g");
	free(s);
	ck_assert(url_ok("-_-__g"));
	/* The standard alphabet spelling of the same bytes. */
	ck_assert(!url_ok("+/+//g"));
	ck_assert(std_ok("+/+//g=="));
	ck_assert(!std_ok("-_-__g=="));
}
END_TEST

START_TEST(test_url_rejects)
{
	static const char *const bad[] = {
		"Zg==", "Zg=", "Zm8=", "=", "Zm=9", "Z=g",	/* padding */
		"Zm9v+", "Zm+v", "Zm/v",		/* std alphabet */
		" Zm9v", "Zm9v ", "Zm 9v", "Zm9v\n", "\tZm9v", "Zm\r\n9v",
		"Zm9v.", "Zm9?", "Zm9#", "Zm9!", "Zm9\\", "Zm9%",
		"Z", "Zm9vY", "AAAAA",			/* len % 4 == 1 */
		"Zh", "Zm9", "Zm9vYh", "Zm9vYmF",	/* non-zero unused bits */
		"QR", "AB", "AAB",
		"Zm9\xc3\xa9", "Zm9\x80",
	};
	size_t	 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!url_ok(bad[i]), "accepted \"%s\"", bad[i]);
	/* An embedded NUL (strlen would stop there). */
	{
		uint8_t	 buf[8];
		size_t	 n;

		ck_assert_int_eq(sg_b64url_decode("Zm\0v", 4, buf,
		    sizeof(buf), &n, NULL), SG_EINVAL);
	}
}
END_TEST

START_TEST(test_url_error_code)
{
	struct sg_err	 err;
	uint8_t		 buf[8];
	size_t		 n = 99;

	sg_err_clear(&err);
	ck_assert_int_eq(sg_b64url_decode("Zh", 2, buf, sizeof(buf), &n,
	    &err), SG_EINVAL);
	ck_assert_str_eq(err.code, "bad_base64url");
	ck_assert_uint_eq(n, 0);
}
END_TEST

/*
 * Every 2- and 3-character string: accepted exactly when it is the
 * canonical encoding of what it decodes to (so encode(decode(s)) == s).
 */
START_TEST(test_url_exhaustive_short)
{
	static const char	 a[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char			 s[4], re[8];
	uint8_t			 buf[4];
	size_t			 i, j, k, n, accepted2 = 0, accepted3 = 0;

	for (i = 0; i < 64; i++)
		for (j = 0; j < 64; j++) {
			s[0] = a[i];
			s[1] = a[j];
			s[2] = '\0';
			if (sg_b64url_decode(s, 2, buf, sizeof(buf), &n,
			    NULL) != SG_OK)
				continue;
			accepted2++;
			ck_assert_uint_eq(n, 1);
			sg_b64url_encode(buf, n, re, sizeof(re));
			ck_assert_str_eq(re, s);
		}
	for (i = 0; i < 64; i++)
		for (j = 0; j < 64; j++)
			for (k = 0; k < 64; k++) {
				s[0] = a[i];
				s[1] = a[j];
				s[2] = a[k];
				s[3] = '\0';
				if (sg_b64url_decode(s, 3, buf, sizeof(buf),
				    &n, NULL) != SG_OK)
					continue;
				accepted3++;
				ck_assert_uint_eq(n, 2);
				sg_b64url_encode(buf, n, re, sizeof(re));
				ck_assert_str_eq(re, s);
			}
	/* 256 one-byte and 65536 two-byte strings, one spelling each. */
	ck_assert_uint_eq(accepted2, 256);
	ck_assert_uint_eq(accepted3, 65536);
}
END_TEST

START_TEST(test_roundtrip_random)
{
	uint8_t	 raw[200], dec[200];
	char	 enc[300], std[300];
	size_t	 len, n;
	int	 round;

	for (round = 0; round < 50; round++)
		for (len = 0; len < sizeof(raw); len += 7) {
			ck_assert_int_eq(sg_random(raw, len, NULL), SG_OK);
			n = sg_b64url_encode(raw, len, enc, sizeof(enc));
			ck_assert_uint_eq(n, SG_B64URL_ENCLEN(len));
			ck_assert_uint_ne(n % 4, 1);
			ck_assert_int_eq(sg_b64url_decode(enc, n, dec,
			    sizeof(dec), &n, NULL), SG_OK);
			ck_assert_uint_eq(n, len);
			ck_assert(memcmp(dec, raw, len) == 0);
			n = sg_b64_encode(raw, len, std, sizeof(std));
			ck_assert_uint_eq(n % 4, 0);
			ck_assert_int_eq(sg_b64_decode(std, n, dec,
			    sizeof(dec), &n, NULL), SG_OK);
			ck_assert_uint_eq(n, len);
			ck_assert(memcmp(dec, raw, len) == 0);
		}
}
END_TEST

START_TEST(test_buffer_limits)
{
	uint8_t	 buf[8];
	char	 out[8];
	size_t	 n = 0;

	/* "Zm9vYmFy" needs 6 bytes; DECLEN(8) = 6. */
	ck_assert_int_eq(sg_b64url_decode("Zm9vYmFy", 8, buf, 5, &n, NULL),
	    SG_EINVAL);
	ck_assert_int_eq(sg_b64url_decode("Zm9vYmFy", 8, buf, 6, &n, NULL),
	    SG_OK);
	ck_assert_uint_eq(n, 6);
	/* "foobar" needs 8 characters plus NUL. */
	ck_assert_uint_eq(sg_b64url_encode("foobar", 6, out, 8), 0);
	ck_assert_str_eq(out, "");
	ck_assert_uint_eq(sg_b64url_encode("foobar", 6, NULL, 0), 0);
	ck_assert_uint_eq(sg_b64_encode("foobar", 6, out, 8), 0);
	ck_assert_uint_eq(sg_b64_encode("fooba", 5, out, 9 - 1), 0);
	ck_assert_uint_eq(sg_b64url_encode("", 0, out, 1), 0);
	ck_assert_str_eq(out, "");
	/* Empty input decodes to nothing. */
	ck_assert_int_eq(sg_b64url_decode("", 0, buf, sizeof(buf), &n, NULL),
	    SG_OK);
	ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(test_std_strict)
{
	static const char *const bad[] = {
		"Zg", "Zm8", "Zg=", "Zg===", "Z===", "====", "=Zg=",
		"Zm=9", "Zm9v=", "Zm9v====", "Zh==", "Zm9=",
		"Zm9v\n", " Zm9v", "Zm9-", "Zm9_", "Zm\0v",
		"dXNlcjpwYXNz\r\n",
	};
	size_t	 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!std_ok(bad[i]), "accepted \"%s\"", bad[i]);
	/* Basic credentials as browsers send them. */
	ck_assert(std_ok("dXNlcjpwYXNz"));
	ck_assert(std_ok("Zg=="));
	ck_assert(std_ok("Zm8="));
}
END_TEST

START_TEST(test_random_ids)
{
	char	 id[SG_CONTAINER_ID_LEN + 1], id2[SG_CONTAINER_ID_LEN + 1];
	char	 jti[SG_JTI_LEN + 1];
	size_t	 i;

	ck_assert_int_eq(sg_random_container_id(id, sizeof(id), NULL), SG_OK);
	ck_assert_uint_eq(strlen(id), SG_CONTAINER_ID_LEN);
	ck_assert(strncmp(id, "sandbox_", 8) == 0);
	for (i = 8; i < SG_CONTAINER_ID_LEN; i++)
		ck_assert(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
		    "qrstuvwxyz0123456789-_", id[i]) != NULL);
	ck_assert_int_eq(sg_random_container_id(id2, sizeof(id2), NULL),
	    SG_OK);
	ck_assert_str_ne(id, id2);
	ck_assert_int_eq(sg_random_container_id(id, SG_CONTAINER_ID_LEN,
	    NULL), SG_EINTERNAL);

	ck_assert_int_eq(sg_random_jti(jti, sizeof(jti), NULL), SG_OK);
	ck_assert_uint_eq(strlen(jti), SG_JTI_LEN);
	/* 22 characters of 16 bytes: the last one carries 2 bits + 4 zero. */
	ck_assert(url_ok(jti));
	ck_assert_int_eq(sg_random_jti(jti, SG_JTI_LEN, NULL), SG_EINTERNAL);
}
END_TEST

START_TEST(test_sha256)
{
	uint8_t	 md[32];
	char	 hex[65];

	/* FIPS 180-2 appendix B.1 and the empty string. */
	sg_sha256_hex("abc", 3, hex);
	ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	sg_sha256_hex("", 0, hex);
	ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
	sg_sha256("abc", 3, md);
	ck_assert_uint_eq(md[0], 0xba);
	ck_assert_uint_eq(md[31], 0xad);
}
END_TEST

START_TEST(test_compare_and_cleanse)
{
	char	 buf[16];

	ck_assert(sg_memeq("abc", "abc", 3));
	ck_assert(!sg_memeq("abc", "abd", 3));
	ck_assert(sg_memeq(NULL, NULL, 0));
	ck_assert(!sg_memeq(NULL, "a", 1));
	ck_assert(sg_streq("token", "token"));
	ck_assert(!sg_streq("token", "tokeN"));
	ck_assert(!sg_streq("abc", "abcdef"));	/* the strncmp prefix bug */
	ck_assert(!sg_streq("abcdef", "abc"));
	ck_assert(!sg_streq("", "a"));
	ck_assert(sg_streq("", ""));
	ck_assert(!sg_streq(NULL, ""));
	memset(buf, 'x', sizeof(buf));
	sg_cleanse(buf, sizeof(buf));
	ck_assert(memcmp(buf, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16) == 0);
	sg_cleanse(NULL, 5);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("b64url");
	tc = tcase_create("base64url");
	tcase_add_test(tc, test_rfc4648_vectors);
	tcase_add_test(tc, test_url_alphabet);
	tcase_add_test(tc, test_url_rejects);
	tcase_add_test(tc, test_url_error_code);
	tcase_add_test(tc, test_url_exhaustive_short);
	tcase_add_test(tc, test_roundtrip_random);
	tcase_add_test(tc, test_buffer_limits);
	tcase_add_test(tc, test_std_strict);
	suite_add_tcase(s, tc);
	tc = tcase_create("crypto");
	tcase_add_test(tc, test_random_ids);
	tcase_add_test(tc, test_sha256);
	tcase_add_test(tc, test_compare_and_cleanse);
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
