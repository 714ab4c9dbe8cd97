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
#include "relay.h"
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

	sg_mask(b, strlen(b), "sk-1");
	ck_assert_str_eq(b, "x **** ******** y sk-");
}
END_TEST

/* The rule, one byte at a time: each copy from the left, not overlapping. */
static void
mask_ref(char *buf, size_t len, const char *value)
{
	size_t	 n = strlen(value), i;

	for (i = 0; n > 0 && i + n <= len; i++)
		if (memcmp(buf + i, value, n) == 0) {
			memset(buf + i, '*', n);
			i += n - 1;
		}
}

/*
 * Random buffers of a three-letter alphabet (and NUL bytes) against the
 * rule: copies that overlap ("aa" in "aaa"), touch either end, or are
 * cut by the end of the buffer.
 */
START_TEST(test_mask_random)
{
	static const char *const vals[] = { "a", "aa", "ab", "aba", "abcab",
	    "ca\0", "" };
	char		 buf[64], ref[64];
	size_t		 len, i, v;
	unsigned	 seed = 1;

	for (i = 0; i < 20000; i++) {
		seed = seed * 1103515245u + 12345u;
		len = (seed >> 16) % sizeof(buf);
		for (v = 0; v < len; v++) {
			seed = seed * 1103515245u + 12345u;
			buf[v] = "abc\0"[(seed >> 16) % 4];
		}
		memcpy(ref, buf, len);
		v = i % (sizeof(vals) / sizeof(vals[0]));
		sg_mask(buf, len, vals[v]);
		mask_ref(ref, len, vals[v]);
		ck_assert_msg(memcmp(buf, ref, len) == 0,
		    "value \"%s\", buffer %zu bytes, case %zu", vals[v], len, i);
	}
}
END_TEST

/*
 * The body cut in two at every place (a copy of the secret split between
 * two pieces among them): what may go at once, then what was held back,
 * is the whole body masked; nothing of the secret goes in either piece.
 */
START_TEST(test_relay_split)
{
	static const char body[] = "{\"echo\":\"Bearer sk-abc\",\"x\":"
	    "\"Bearer sk-abc\"}Bearer sk-ab";
	static const char want[] = "{\"echo\":\"*************\",\"x\":"
	    "\"*************\"}Bearer sk-ab";
	struct sg_relay	 rl;
	char		 got[sizeof(body)], *w;
	size_t		 cut, n, len;

	for (cut = 0; cut <= sizeof(body) - 1; cut++) {
		ck_assert_int_eq(sg_relay_init(&rl, "Bearer sk-abc", 1024), 0);
		n = 0;
		ck_assert_int_eq(sg_relay_body(&rl, body, cut, &w, &len), 0);
		ck_assert_ptr_null(memmem(w, len, "sk-abc", 6));
		memcpy(got + n, w, len);
		n += len;
		sg_relay_free(w, len);
		ck_assert_int_eq(sg_relay_body(&rl, body + cut,
		    sizeof(body) - 1 - cut, &w, &len), 0);
		ck_assert_ptr_null(memmem(w, len, "sk-abc", 6));
		memcpy(got + n, w, len);
		n += len;
		sg_relay_free(w, len);
		memcpy(got + n, rl.carry, rl.ncarry);
		n += rl.ncarry;
		ck_assert_uint_eq(n, sizeof(body) - 1);
		ck_assert_msg(memcmp(got, want, n) == 0, "cut at %zu", cut);
		sg_relay_clear(&rl);
	}
	/* Over the limit: refused, and said so. */
	ck_assert_int_eq(sg_relay_init(&rl, "v", 4), 0);
	ck_assert_int_eq(sg_relay_body(&rl, "12345", 5, &w, &len), -1);
	ck_assert_int_eq(rl.over, 1);
}
END_TEST

/*
 * The header block: a 100 Continue's end is not the answer's; the last
 * status and Content-Type are kept, the type masked; a Content-Length
 * over the limit is refused.
 */
START_TEST(test_relay_header)
{
	struct sg_relay	 rl;
	const char	*h;

	ck_assert_int_eq(sg_relay_init(&rl, "sk-1", 100), 0);
	ck_assert_int_eq(sg_relay_header(&rl, "HTTP/1.1 100 Continue\r\n", 23),
	    0);
	ck_assert_int_eq(sg_relay_header(&rl, "\r\n", 2), 0);
	h = "HTTP/1.1 201 Created\r\n";
	ck_assert_int_eq(sg_relay_header(&rl, h, strlen(h)), 0);
	h = "content-type:  text/x; k=sk-1 \r\n";
	ck_assert_int_eq(sg_relay_header(&rl, h, strlen(h)), 0);
	h = "Content-Length: 100\r\n";
	ck_assert_int_eq(sg_relay_header(&rl, h, strlen(h)), 0);
	ck_assert_int_eq(sg_relay_header(&rl, "\r\n", 2), 1);
	ck_assert_int_eq(rl.status, 201);
	ck_assert_str_eq(rl.ctype, "text/x; k=****");
	h = "Content-Length: 101\r\n";
	ck_assert_int_eq(sg_relay_header(&rl, h, strlen(h)), -1);
	ck_assert_int_eq(rl.over, 1);
}
END_TEST

/*
 * Which request headers go on: the same answer for a header's own name
 * and for its CGI name (the FastCGI broker sees HTTP_X_API_KEY), whole
 * names only.
 */
START_TEST(test_relay_skip)
{
	static const struct {
		const char	*name;
		int		 skip;
	} c[] = {
		{ "Proxy-Authorization", 1 }, { "PROXY_AUTHORIZATION", 1 },
		{ "authorization", 1 }, { "Host", 1 }, { "HOST", 1 },
		{ "Cookie", 1 }, { "Expect", 1 }, { "TE", 1 },
		{ "Transfer-Encoding", 1 }, { "CONTENT_LENGTH", 1 },
		{ "Content-Type", 1 },
		{ "X-Api-Key", 1 }, { "X_API_KEY", 1 }, { "x-api-key", 1 },
		{ "X-Api-Keys", 0 }, { "X-Api-Ke", 0 }, { "Hostx", 0 },
		{ "Hos", 0 }, { "Accept", 0 }, { "User-Agent", 0 },
		{ "X-Container-Id", 0 }, { "Content-Typo", 0 },
	};
	size_t	 i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		ck_assert_msg(sg_relay_skip(c[i].name, strlen(c[i].name),
		    "X-Api-Key") == c[i].skip, "%s", c[i].name);
	/* n, not the NUL, ends the name: "Host" out of "Host=..." */
	ck_assert_int_eq(sg_relay_skip("HOST=x", 4, "X-Api-Key"), 1);
	ck_assert_int_eq(sg_relay_skip("X_API_KEY=v", 9, "X-Api-Key"), 1);
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
	tcase_add_test(tc, test_mask_random);
	tcase_add_test(tc, test_relay_split);
	tcase_add_test(tc, test_relay_header);
	tcase_add_test(tc, test_relay_skip);
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
