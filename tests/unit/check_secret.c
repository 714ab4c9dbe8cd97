/* SPDX-License-Identifier: ISC */
/*
 * Sealed secrets (lib/secret.c): limits, the API's JSON, AES-256-GCM
 * round trip, and that a tampered record or one moved to another
 * sandbox, name or host does not open; the broker's masking.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <cjson/cJSON.h>

#include "broker.h"
#include "claims.h"
#include "compat.h"
#include "secret.h"

#define CID	"sandbox_AAAAAAAAAAAAAAAAAAAAAA"
#define CID2	"sandbox_BBBBBBBBBBBBBBBBBBBBBB"
#define VALUE	"Bearer sk-test-0123456789"

static struct sg_secret_key key, key2;

static void
setup(void)
{
	uint8_t	 k[SG_SECRET_KEY_LEN];

	memset(k, 7, sizeof(k));
	sg_secret_key_from_raw(k, &key);
	memset(k, 9, sizeof(k));
	sg_secret_key_from_raw(k, &key2);
}

static void
mk(struct sg_secret *s)
{
	memset(s, 0, sizeof(*s));
	(void)strlcpy(s->name, "EXAMPLE", sizeof(s->name));
	(void)strlcpy(s->host, "api.example.com", sizeof(s->host));
	(void)strlcpy(s->header, "Authorization", sizeof(s->header));
	(void)strlcpy(s->value, VALUE, sizeof(s->value));
}

static char *
seal(const char *cid)
{
	struct sg_secret s;
	char		*rec = NULL;

	mk(&s);
	ck_assert_int_eq(sg_secret_seal(&key, cid, &s, &rec, NULL), SG_OK);
	return rec;
}

START_TEST(test_roundtrip)
{
	struct sg_secret_key keys[2] = { key2, key };
	struct sg_secret out;
	char		*rec = seal(CID);

	ck_assert_ptr_null(strstr(rec, "sk-test"));
	ck_assert_ptr_nonnull(strstr(rec, key.kid));
	/* the key is picked by its id, not by trying */
	ck_assert_int_eq(sg_secret_open(keys, 2, CID, "EXAMPLE", rec,
	    strlen(rec), &out, NULL), SG_OK);
	ck_assert_str_eq(out.value, VALUE);
	ck_assert_str_eq(out.host, "api.example.com");
	ck_assert_str_eq(out.header, "Authorization");
	ck_assert_uint_eq(sg_secret_port(&out), 443);
	free(rec);
}
END_TEST

START_TEST(test_nonce_fresh)
{
	char	*a = seal(CID), *b = seal(CID);

	ck_assert_str_ne(a, b);
	free(a);
	free(b);
}
END_TEST

static enum sg_rc
open1(const struct sg_secret_key *k, const char *cid, const char *name,
    const char *rec)
{
	struct sg_secret out;
	struct sg_err	 e;
	enum sg_rc	 rc;

	sg_err_clear(&e);
	rc = sg_secret_open(k, 1, cid, name, rec, strlen(rec), &out, &e);
	if (rc != SG_OK)
		ck_assert_str_eq(out.value, "");
	return rc;
}

/* Replace the first occurrence of from with to (same length). */
static void
swap(char *rec, const char *from, const char *to)
{
	char	*p = strstr(rec, from);

	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(strlen(from), strlen(to));
	memcpy(p, to, strlen(to));
}

START_TEST(test_wrong_aad)
{
	char	*rec = seal(CID);
	char	*c;

	ck_assert_int_eq(open1(&key, CID2, "EXAMPLE", rec), SG_EPERM);
	ck_assert_int_eq(open1(&key, CID, "EXAMPLF", rec), SG_EPERM);
	c = strdup(rec);
	swap(c, "api.example.com", "evil.example.c0");
	ck_assert_int_eq(open1(&key, CID, "EXAMPLE", c), SG_EPERM);
	free(c);
	c = strdup(rec);
	swap(c, "\"Authorization\"", "\"X-Api-Key-123\"");
	ck_assert_int_eq(open1(&key, CID, "EXAMPLE", c), SG_EPERM);
	free(c);
	/* another key with the same kid written in */
	{
		struct sg_secret_key k = key2;

		memcpy(k.kid, key.kid, sizeof(k.kid));
		ck_assert_int_eq(open1(&k, CID, "EXAMPLE", rec), SG_EPERM);
	}
	/* an unknown kid */
	ck_assert_int_eq(open1(&key2, CID, "EXAMPLE", rec), SG_EPERM);
	free(rec);
}
END_TEST

START_TEST(test_tamper)
{
	char	*rec = seal(CID), *c, *p;
	size_t	 i, n;

	/* every character of the ciphertext and of the nonce, flipped */
	for (int f = 0; f < 2; f++) {
		p = strstr(rec, f == 0 ? "\"ct\":\"" : "\"nonce\":\"");
		ck_assert_ptr_nonnull(p);
		p = strchr(p + 3, ':') + 2;
		n = strcspn(p, "\"");
		for (i = 0; i < n; i++) {
			c = strdup(rec);
			c[(p - rec) + i] = c[(p - rec) + i] == 'A' ? 'B' : 'A';
			ck_assert_int_ne(open1(&key, CID, "EXAMPLE", c), SG_OK);
			free(c);
		}
	}
	ck_assert_int_eq(open1(&key, CID, "EXAMPLE", "{}"), SG_EINVAL);
	ck_assert_int_eq(open1(&key, CID, "EXAMPLE", "not json"), SG_EINVAL);
	free(rec);
}
END_TEST

static enum sg_rc
parse(const char *json)
{
	struct sg_secret s;
	cJSON		*o = cJSON_Parse(json);
	enum sg_rc	 rc = sg_secret_from_json(o, &s, NULL);

	cJSON_Delete(o);
	return rc;
}

START_TEST(test_json_limits)
{
	char	 big[SG_SECRET_VALUE_MAX + 200];

	ck_assert_int_eq(parse("{\"name\":\"EXAMPLE\",\"host\":\"api.x.com\","
	    "\"header\":\"Authorization\",\"value\":\"Bearer x\"}"), SG_OK);
	ck_assert_int_eq(parse("{\"name\":\"EX\",\"host\":\"api.x.com:8443\","
	    "\"header\":\"x-api-key\",\"value\":\"k\"}"), SG_OK);
	/* bad name, host, header, value, extra field, missing field */
	ck_assert_int_eq(parse("{\"name\":\"ex\",\"host\":\"a.com\","
	    "\"header\":\"A\",\"value\":\"k\"}"), SG_EINVAL);
	ck_assert_int_eq(parse("{\"name\":\"EX\",\"host\":\"A.com\","
	    "\"header\":\"A\",\"value\":\"k\"}"), SG_EINVAL);
	ck_assert_int_eq(parse("{\"name\":\"EX\",\"host\":\"a.com:0\","
	    "\"header\":\"A\",\"value\":\"k\"}"), SG_EINVAL);
	ck_assert_int_eq(parse("{\"name\":\"EX\",\"host\":\"a.com:65536\","
	    "\"header\":\"A\",\"value\":\"k\"}"), SG_EINVAL);
	ck_assert_int_eq(parse("{\"name\":\"EX\",\"host\":\"a.com\","
	    "\"header\":\"A B\",\"value\":\"k\"}"), SG_EINVAL);
	ck_assert_int_eq(parse("{\"name\":\"EX\",\"host\":\"a.com\","
	    "\"header\":\"A:\",\"value\":\"k\"}"), SG_EINVAL);
	ck_assert_int_eq(parse("{\"name\":\"EX\",\"host\":\"a.com\","
	    "\"header\":\"A\",\"value\":\"k\\r\\nX: y\"}"), SG_EINVAL);
	ck_assert_int_eq(parse("{\"name\":\"EX\",\"host\":\"a.com\","
	    "\"header\":\"A\",\"value\":\"\"}"), SG_EINVAL);
	ck_assert_int_eq(parse("{\"name\":\"EX\",\"host\":\"a.com\","
	    "\"header\":\"A\",\"value\":\"k\",\"x\":1}"), SG_EINVAL);
	ck_assert_int_eq(parse("{\"name\":\"EX\",\"host\":\"a.com\","
	    "\"header\":\"A\"}"), SG_EINVAL);
	ck_assert_int_eq(parse("[]"), SG_EINVAL);
	(void)snprintf(big, sizeof(big), "{\"name\":\"EX\",\"host\":\"a.com\","
	    "\"header\":\"A\",\"value\":\"%0*d\"}", SG_SECRET_VALUE_MAX + 1, 0);
	ck_assert_int_eq(parse(big), SG_EINVAL);
	(void)snprintf(big, sizeof(big), "{\"name\":\"EX\",\"host\":\"a.com\","
	    "\"header\":\"A\",\"value\":\"%0*d\"}", SG_SECRET_VALUE_MAX, 0);
	ck_assert_int_eq(parse(big), SG_OK);
}
END_TEST

START_TEST(test_mask)
{
	char	 b[] = "x sk-1 sk-1sk-1 y sk-";

	sg_broker_mask(b, strlen(b), "sk-1");
	ck_assert_str_eq(b, "x **** ******** y sk-");
}
END_TEST

/*
 * Ids reach a Redis key only when valid: a '*', a space, a newline or an
 * empty or 129-byte id is refused before any Redis call (no client here).
 */
START_TEST(test_store_bad_id)
{
	static const char *const bad[] = { "", "a b", "a*", "x\ny", "../x",
	    "sandbox:1" };
	char		 big[SG_ID_MAX + 2], *rec = NULL;
	size_t		 i, len = 0;
	struct sg_err	 err;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sg_err_clear(&err);
		ck_assert_int_eq(sg_secret_put(NULL, bad[i], "N", "r", 60, &err),
		    SG_EINVAL);
		ck_assert_str_eq(err.code, "bad_id");
		ck_assert_int_eq(sg_secret_get(NULL, bad[i], "N", &rec, &len,
		    &err), SG_EINVAL);
		ck_assert_ptr_null(rec);
		ck_assert_int_eq(sg_secret_del(NULL, bad[i], "N", &err),
		    SG_EINVAL);
		ck_assert_int_eq(sg_secret_del_all(NULL, bad[i], &err),
		    SG_EINVAL);
	}
	ck_assert_int_eq(sg_secret_del_all(NULL, NULL, &err), SG_EINVAL);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(sg_secret_del_all(NULL, big, &err), SG_EINVAL);
}
END_TEST

/* Names: ^[A-Z][A-Z0-9_]{0,31}$, the one rule of the API and the store. */
START_TEST(test_name)
{
	char	 n[SG_SECRET_NAME_MAX + 2];

	ck_assert_int_eq(sg_secret_name_ok("A"), 1);
	ck_assert_int_eq(sg_secret_name_ok("EXAMPLE_2"), 1);
	ck_assert_int_eq(sg_secret_name_ok(""), 0);
	ck_assert_int_eq(sg_secret_name_ok("_A"), 0);
	ck_assert_int_eq(sg_secret_name_ok("1A"), 0);
	ck_assert_int_eq(sg_secret_name_ok("Ab"), 0);
	ck_assert_int_eq(sg_secret_name_ok("A-B"), 0);
	ck_assert_int_eq(sg_secret_name_ok("A/B"), 0);
	memset(n, 'A', SG_SECRET_NAME_MAX);
	n[SG_SECRET_NAME_MAX] = '\0';
	ck_assert_int_eq(sg_secret_name_ok(n), 1);
	n[SG_SECRET_NAME_MAX] = 'A';
	n[SG_SECRET_NAME_MAX + 1] = '\0';
	ck_assert_int_eq(sg_secret_name_ok(n), 0);
}
END_TEST

START_TEST(test_key_file)
{
	struct sg_secret_key k;
	char	 path[] = "/tmp/check_secret.XXXXXX";
	FILE	*f;
	int	 fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_ptr_nonnull(f = fdopen(fd, "w"));
	(void)fprintf(f, "%064d\n", 0);
	(void)fclose(f);
	ck_assert_int_eq(sg_secret_key_load(path, &k, NULL), SG_OK);
	ck_assert_uint_eq(strlen(k.kid), SG_SECRET_KID_LEN);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	(void)fprintf(f, "%063dz\n", 0);
	(void)fclose(f);
	ck_assert_int_eq(sg_secret_key_load(path, &k, NULL), SG_EINVAL);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	(void)fprintf(f, "%062d\n", 0);
	(void)fclose(f);
	ck_assert_int_eq(sg_secret_key_load(path, &k, NULL), SG_EINVAL);
	(void)unlink(path);
	ck_assert_int_eq(sg_secret_key_load(path, &k, NULL), SG_EINVAL);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("secret");
	TCase	*tc = tcase_create("secret");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_nonce_fresh);
	tcase_add_test(tc, test_wrong_aad);
	tcase_add_test(tc, test_tamper);
	tcase_add_test(tc, test_json_limits);
	tcase_add_test(tc, test_mask);
	tcase_add_test(tc, test_key_file);
	tcase_add_test(tc, test_store_bad_id);
	tcase_add_test(tc, test_name);
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
