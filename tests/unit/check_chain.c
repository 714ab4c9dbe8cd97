/* SPDX-License-Identifier: ISC */
/*
 * Chained, signed audit trails (lib/chain.c): the canonical form and its
 * digest, a trail built as the Redis script builds it, checked intact,
 * then tampered, removed, reordered, appended after the final seal and
 * re-chained; seals under another key; the JSON-lines export read back.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "chain.h"
#include "json.h"
#include "jwt.h"
#include "keys.h"

#define KEY1	SG_TESTDATA "/test-key-1.pem"
#define KEY2	SG_TESTDATA "/test-key-2.pem"
#define CID	"sandbox_AAAAAAAAAAAAAAAAAAAAAA"

/* SHA-256 of "a\0" "1\0" "b\0" "2\0", computed with Python's hashlib. */
#define AB_DIGEST \
	"37664b19301f46515688d5a22cb9ee1852e0b6443e28c7f36340a13962f0c4f7"

START_TEST(test_canonical)
{
	const char	*n1[] = { "a", "b" }, *v1[] = { "1", "2" };
	const char	*n2[] = { "b", "a" }, *v2[] = { "2", "1" };
	const char	*n3[] = { "a", "b" }, *v3[] = { "1\0", "2" };
	const char	*n4[] = { "a1", "b" }, *v4[] = { "", "2" };
	char		 h[SG_CHAIN_HEX], h2[SG_CHAIN_HEX];

	ck_assert_int_eq(sg_chain_digest(n1, v1, 2, h, NULL), SG_OK);
	ck_assert_str_eq(h, AB_DIGEST);
	/* the order fields come in does not matter */
	ck_assert_int_eq(sg_chain_digest(n2, v2, 2, h2, NULL), SG_OK);
	ck_assert_str_eq(h2, AB_DIGEST);
	ck_assert_int_eq(sg_chain_digest(n3, v3, 2, h2, NULL), SG_OK);
	ck_assert_str_eq(h2, AB_DIGEST);	/* C strings: same bytes */
	/* "a"+"1" is not "a1"+"": the NULs keep fields apart */
	ck_assert_int_eq(sg_chain_digest(n4, v4, 2, h2, NULL), SG_OK);
	ck_assert_str_ne(h2, AB_DIGEST);
	ck_assert(sg_chain_reserved("seq") && sg_chain_reserved("prev") &&
	    sg_chain_reserved("digest") && !sg_chain_reserved("event"));
}
END_TEST

/* Append fields (an object, consumed) as the Redis script does. */
static void
add(cJSON *trail, cJSON *fields)
{
	const char	*names[64], *values[64];
	const cJSON	*f;
	cJSON		*e;
	char		 d[SG_CHAIN_HEX], seq[24], id[32];
	size_t		 n = 0, k = (size_t)cJSON_GetArraySize(trail);
	const char	*prev = k == 0 ? SG_CHAIN_ZERO : sg_json_str(sg_json_get(
			    cJSON_GetArrayItem(trail, (int)k - 1), "fields"),
			    "digest");

	cJSON_ArrayForEach(f, fields) {
		names[n] = f->string;
		values[n++] = f->valuestring;
	}
	ck_assert_int_eq(sg_chain_digest(names, values, n, d, NULL), SG_OK);
	(void)snprintf(seq, sizeof(seq), "%zu", k + 1);
	(void)snprintf(id, sizeof(id), "1000-%zu", k);
	cJSON_AddStringToObject(fields, "seq", seq);
	cJSON_AddStringToObject(fields, "prev", prev);
	cJSON_AddStringToObject(fields, "digest", d);
	e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "id", id);
	cJSON_AddItemToObject(e, "fields", fields);
	cJSON_AddItemToArray(trail, e);
}

static void
add_decision(cJSON *trail, const char *target)
{
	cJSON	*f = cJSON_CreateObject();

	cJSON_AddStringToObject(f, "event", "decision");
	cJSON_AddStringToObject(f, "container_id", CID);
	cJSON_AddStringToObject(f, "decision", "allow");
	cJSON_AddStringToObject(f, "target", target);
	add(trail, f);
}

static void
add_seal(cJSON *trail, const char *keyfile, int final)
{
	struct sg_key	*k = NULL;
	cJSON		*c = cJSON_CreateObject(), *f = cJSON_CreateObject();
	char		 head[SG_CHAIN_HEX], *jws = NULL;
	size_t		 n = (size_t)cJSON_GetArraySize(trail);

	ck_assert_int_eq(sg_key_load_pem(keyfile, &k, NULL), SG_OK);
	ck_assert_int_eq(sg_chain_head(trail, n, head, NULL), SG_OK);
	cJSON_AddStringToObject(c, "iss", "sandgate");
	cJSON_AddStringToObject(c, "sub", CID);
	cJSON_AddNumberToObject(c, "audit_seq", (double)n);
	cJSON_AddStringToObject(c, "audit_head", head);
	cJSON_AddBoolToObject(c, "final", final);
	cJSON_AddNumberToObject(c, "iat", 1700000000);
	ck_assert_int_eq(sg_jwt_sign(k, c, &jws, NULL), SG_OK);
	cJSON_AddStringToObject(f, "event", SG_CHAIN_EVENT_SEAL);
	cJSON_AddStringToObject(f, "container_id", CID);
	cJSON_AddStringToObject(f, "final", final ? "1" : "0");
	cJSON_AddStringToObject(f, "jws", jws);
	add(trail, f);
	free(jws);
	cJSON_Delete(c);
	sg_key_free(k);
}

static struct sg_keyset *
keys(void)
{
	struct sg_keyset	*ks = NULL;

	ck_assert_int_eq(sg_keyset_load(KEY1, &ks, NULL), SG_OK);
	return ks;
}

/* A trail of 10 decisions, a seal, 5 more, a final seal. */
static cJSON *
trail(void)
{
	cJSON	*t = cJSON_CreateArray();
	char	 tg[32];
	int	 i;

	for (i = 0; i < 16; i++) {
		if (i == 10)
			add_seal(t, KEY1, 0);
		else {
			(void)snprintf(tg, sizeof(tg), "h%d.example:443", i);
			add_decision(t, tg);
		}
	}
	add_seal(t, KEY1, 1);
	return t;
}

static size_t
verify_bad(const cJSON *t, int flags)
{
	struct sg_keyset	*ks = keys();
	struct sg_chain_result	 res;
	enum sg_rc		 rc;

	rc = sg_chain_verify(t, CID, ks, flags, &res, NULL);
	sg_keyset_free(ks);
	return rc == SG_OK ? 0 : res.bad_index;
}

START_TEST(test_intact)
{
	struct sg_keyset	*ks = keys();
	struct sg_chain_result	 res;
	cJSON			*t = trail();

	ck_assert_int_eq(sg_chain_verify(t, CID, ks, SG_CHAIN_WANT_FINAL,
	    &res, NULL), SG_OK);
	ck_assert_uint_eq(res.records, 17);
	ck_assert(res.final && res.sealed_seq == 17);
	/* the same trail for another sandbox is not intact */
	ck_assert_int_eq(sg_chain_verify(t, "sandbox_BBBBBBBBBBBBBBBBBBBBBB",
	    ks, 0, &res, NULL), SG_EAUTH);
	sg_keyset_free(ks);
	cJSON_Delete(t);
}
END_TEST

START_TEST(test_broken)
{
	cJSON	*t, *e, *f;

	/* tampered: a value changed, chain fields kept */
	t = trail();
	cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetArrayItem(t, 4), "fields"), "target",
	    cJSON_CreateString("evil.example:443"));
	ck_assert_uint_eq(verify_bad(t, 0), 5);
	cJSON_Delete(t);
	/* removed */
	t = trail();
	cJSON_DeleteItemFromArray(t, 4);
	ck_assert_uint_eq(verify_bad(t, 0), 5);
	cJSON_Delete(t);
	/*
	 * reordered: records 5 and 6 swap places (their contents: Debian's
	 * cJSON 1.7.15 loses an item moved with cJSON_InsertItemInArray,
	 * which the memcheck run reports as a leak)
	 */
	t = trail();
	e = cJSON_DetachItemFromObjectCaseSensitive(cJSON_GetArrayItem(t, 4),
	    "fields");
	f = cJSON_DetachItemFromObjectCaseSensitive(cJSON_GetArrayItem(t, 5),
	    "fields");
	cJSON_AddItemToObject(cJSON_GetArrayItem(t, 4), "fields", f);
	cJSON_AddItemToObject(cJSON_GetArrayItem(t, 5), "fields", e);
	ck_assert_uint_eq(verify_bad(t, 0), 5);
	cJSON_Delete(t);
	/* appended after the final seal, even with a valid chain */
	t = trail();
	add_decision(t, "late.example:443");
	ck_assert_uint_eq(verify_bad(t, 0), 18);
	cJSON_Delete(t);
	/* an unsealed tail is not ok unless asked for */
	t = cJSON_CreateArray();
	add_decision(t, "a.example:443");
	ck_assert_uint_eq(verify_bad(t, 0), 1);
	ck_assert_uint_eq(verify_bad(t, SG_CHAIN_UNSEALED_OK), 0);
	ck_assert_uint_eq(verify_bad(t, SG_CHAIN_UNSEALED_OK |
	    SG_CHAIN_WANT_FINAL), 1);
	cJSON_Delete(t);
	/* sealed with a key not in the set */
	t = cJSON_CreateArray();
	add_decision(t, "a.example:443");
	add_seal(t, KEY2, 1);
	ck_assert_uint_eq(verify_bad(t, 0), 2);
	cJSON_Delete(t);
}
END_TEST

/* Re-chained: every digest and prev recomputed; only the seal tells. */
START_TEST(test_rechained)
{
	cJSON	*t = trail(), *r = cJSON_CreateArray(), *e, *f;
	const cJSON	*m;
	int	 i = 0;

	cJSON_ArrayForEach(e, t) {
		f = cJSON_CreateObject();
		cJSON_ArrayForEach(m, sg_json_get(e, "fields"))
			if (!sg_chain_reserved(m->string))
				cJSON_AddStringToObject(f, m->string,
				    i == 2 && strcmp(m->string, "target") == 0 ?
				    "evil.example:443" : m->valuestring);
		add(r, f);
		i++;
	}
	ck_assert_uint_eq(verify_bad(r, 0), 11);	/* the first seal */
	cJSON_Delete(r);
	cJSON_Delete(t);
}
END_TEST

START_TEST(test_export)
{
	cJSON	*t = trail(), *back = NULL;
	char	*text;
	size_t	 len = 0;

	ck_assert_ptr_nonnull(text = sg_chain_export(t, &len));
	ck_assert_int_eq(sg_chain_parse_lines(text, len, &back, NULL), SG_OK);
	ck_assert_int_eq(cJSON_GetArraySize(back), 17);
	ck_assert_uint_eq(verify_bad(back, SG_CHAIN_WANT_FINAL), 0);
	cJSON_Delete(back);
	ck_assert_int_eq(sg_chain_parse_lines("{\"id\":1}\n", 9, &back, NULL),
	    SG_EINVAL);
	ck_assert_int_eq(sg_chain_parse_lines("nope\n", 5, &back, NULL),
	    SG_EINVAL);
	free(text);
	cJSON_Delete(t);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("chain");
	TCase	*tc = tcase_create("chain");

	tcase_add_test(tc, test_canonical);
	tcase_add_test(tc, test_intact);
	tcase_add_test(tc, test_broken);
	tcase_add_test(tc, test_rechained);
	tcase_add_test(tc, test_export);
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
