/* SPDX-License-Identifier: ISC */
/*
 * Project Wycheproof vectors (tests/data/vectors/wycheproof, read with
 * cJSON at run time) through the library:
 *  - every ECDSA P-256/SHA-256 IEEE P1363 vector through sg_es256_verify,
 *    key from publicKeyDer via sg_key_from_spki (and from publicKeyJwk via
 *    sg_key_from_jwk where the group has one);
 *  - the JWS groups es256, SpecialCaseEs256, ec_key_for_encryption, base64
 *    and hs256 tcId 13-17 through sg_jwt_verify_raw / sg_jwt_verify, with
 *    the label corrections of the vectors' README (tcId 367/370 valid,
 *    372/373 invalid; C2SP/wycheproof issue #236).
 * Also every key set of json_web_key_test.json through the JWKS loader,
 * and RFC 7515 A.3 (docs/security.md 3.8 item 1).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "jwt.h"
#include "keys.h"

#define P1363	SG_SHAREDDATA "/wycheproof/ecdsa_secp256r1_sha256_p1363_test.json"
#define JWS	SG_SHAREDDATA "/wycheproof/json_web_signature_test.json"
#define A3	SG_SHAREDDATA "/rfc7515-a3.json"

static cJSON *
read_json(const char *path)
{
	FILE	*f;
	char	*buf;
	long	 n;
	cJSON	*j;

	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert_int_gt(n, 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	j = cJSON_ParseWithLength(buf, (size_t)n);
	ck_assert_msg(j != NULL, "cannot parse %s", path);
	free(buf);
	return j;
}

static const char *
str(const cJSON *o, const char *name)
{
	const cJSON	*m = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(m) ? m->valuestring : NULL;
}

static int
num(const cJSON *o, const char *name)
{
	const cJSON	*m = cJSON_GetObjectItemCaseSensitive(o, name);

	ck_assert_msg(cJSON_IsNumber(m), "no number %s", name);
	return (int)m->valuedouble;
}

/* Hex to malloc'd bytes (at least 1 byte allocated). */
static uint8_t *
unhex(const char *h, size_t *len)
{
	size_t		 i, n;
	uint8_t		*out;
	unsigned int	 v;

	ck_assert_ptr_nonnull(h);
	n = strlen(h);
	ck_assert_uint_eq(n % 2, 0);
	n /= 2;
	out = malloc(n + 1);
	ck_assert_ptr_nonnull(out);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(sscanf(h + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	*len = n;
	return out;
}

/* Every P1363 vector; returns through the counters. */
START_TEST(test_p1363_all)
{
	cJSON		*doc;
	const cJSON	*groups, *g, *tests, *t, *jwk;
	struct sg_key	*key, *jkey;
	struct sg_err	 err;
	uint8_t		*der, *msg, *sig;
	size_t		 derlen, msglen, siglen;
	const char	*result;
	int		 total = 0, valid = 0, invalid = 0, ngroups = 0;
	int		 pass_valid = 0, pass_invalid = 0, mismatches = 0;
	int		 jwk_groups = 0, jwk_checked = 0, expect, got;
	enum sg_rc	 rc;

	doc = read_json(P1363);
	ck_assert_str_eq(str(doc, "algorithm"), "ECDSA");
	groups = cJSON_GetObjectItemCaseSensitive(doc, "testGroups");
	cJSON_ArrayForEach(g, groups) {
		ck_assert_str_eq(str(g, "type"), "EcdsaP1363Verify");
		ck_assert_str_eq(str(g, "sha"), "SHA-256");
		der = unhex(str(g, "publicKeyDer"), &derlen);
		sg_err_clear(&err);
		rc = sg_key_from_spki(der, derlen, &key, &err);
		ck_assert_msg(rc == SG_OK, "group %d key: %s", ngroups, err.msg);
		free(der);
		jkey = NULL;
		if ((jwk = cJSON_GetObjectItemCaseSensitive(g,
		    "publicKeyJwk")) != NULL) {
			ck_assert_int_eq(sg_key_from_jwk(jwk, &jkey, NULL),
			    SG_OK);
			jwk_groups++;
		}
		ngroups++;
		tests = cJSON_GetObjectItemCaseSensitive(g, "tests");
		cJSON_ArrayForEach(t, tests) {
			total++;
			result = str(t, "result");
			ck_assert_ptr_nonnull(result);
			ck_assert_msg(strcmp(result, "acceptable") != 0,
			    "tcId %d acceptable", num(t, "tcId"));
			expect = strcmp(result, "valid") == 0;
			if (expect)
				valid++;
			else
				invalid++;
			msg = unhex(str(t, "msg"), &msglen);
			sig = unhex(str(t, "sig"), &siglen);
			got = sg_es256_verify(key, msg, msglen, sig, siglen,
			    NULL) == SG_OK;
			if (got != expect) {
				mismatches++;
				fprintf(stderr, "P1363 tcId %d (%s): expected "
				    "%s, got %s\n", num(t, "tcId"),
				    str(t, "comment"), result,
				    got ? "valid" : "invalid");
			} else if (expect)
				pass_valid++;
			else
				pass_invalid++;
			if (jkey != NULL) {
				ck_assert_int_eq(sg_es256_verify(jkey, msg,
				    msglen, sig, siglen, NULL) == SG_OK, got);
				jwk_checked++;
			}
			free(msg);
			free(sig);
		}
		sg_key_free(key);
		sg_key_free(jkey);
	}
	printf("wycheproof P1363: %d groups, %d tests: %d/%d valid accepted, "
	    "%d/%d invalid rejected, %d mismatches (%d also via JWK in %d "
	    "groups)\n", ngroups, total, pass_valid, valid, pass_invalid,
	    invalid, mismatches, jwk_checked, jwk_groups);
	ck_assert_int_eq(mismatches, 0);
	ck_assert_int_eq(total, num(doc, "numberOfTests"));
	ck_assert_int_eq(total, 262);
	ck_assert_int_eq(ngroups, 112);
	ck_assert_int_eq(valid, 173);
	ck_assert_int_eq(invalid, 89);
	ck_assert_int_eq(pass_valid + pass_invalid, 262);
	ck_assert_int_eq(jwk_groups, 112 - 9);
	cJSON_Delete(doc);
}
END_TEST

/* Expected result after the README's label corrections. */
static int
jws_expect_valid(int tcid, const char *result)
{
	if (tcid == 367 || tcid == 370)
		return 1;	/* byte-identical to valid tcId 357 */
	if (tcid == 372 || tcid == 373)
		return 0;	/* '?' inside a segment: RFC 7515 5.2 */
	return strcmp(result, "valid") == 0;
}

struct jws_count {
	int	 total, valid, pass, fail;
};

/*
 * The ES256 key set the group's tokens are checked against: the group's
 * public JWK under its own kid.  A key that must not load (use "enc",
 * key_ops without "verify") leaves the set empty, which rejects every
 * token: the refusal at load time is the rejection.
 */
static struct sg_keyset *
group_keys(const cJSON *g, const cJSON *fallback, int *refused)
{
	struct sg_keyset	*ks;
	struct sg_key		*k = NULL;
	const cJSON		*pub;

	*refused = 0;
	ks = sg_keyset_new();
	ck_assert_ptr_nonnull(ks);
	pub = cJSON_GetObjectItemCaseSensitive(g, "public");
	if (pub == NULL)
		pub = fallback;
	if (sg_key_from_jwk(pub, &k, NULL) != SG_OK) {
		*refused = 1;
		return ks;
	}
	ck_assert_int_eq(sg_keyset_add(ks, k, NULL), SG_OK);
	return ks;
}

START_TEST(test_jws_groups)
{
	cJSON			*doc;
	const cJSON		*groups, *g, *t, *es256pub = NULL;
	struct sg_keyset	*ks;
	struct sg_err		 err;
	struct jws_count	 es = { 0 }, sc = { 0 }, enc = { 0 }, b64 = { 0 },
				 hs = { 0 }, *c;
	const char		*comment, *jws;
	uint8_t			*payload;
	size_t			 plen;
	cJSON			*claims;
	int			 tcid, expect, got, refused, ok;
	enum sg_rc		 rc;

	doc = read_json(JWS);
	groups = cJSON_GetObjectItemCaseSensitive(doc, "testGroups");
	/* The HMAC groups have no ES256 key: use the es256 group's. */
	cJSON_ArrayForEach(g, groups)
		if (strcmp(str(g, "comment"), "es256") == 0)
			es256pub = cJSON_GetObjectItemCaseSensitive(g,
			    "public");
	ck_assert_ptr_nonnull(es256pub);
	ck_assert_str_eq(str(es256pub, "kid"), "kid-ec-sign");

	cJSON_ArrayForEach(g, groups) {
		comment = str(g, "comment");
		if (strcmp(comment, "es256") == 0)
			c = &es;
		else if (strcmp(comment, "SpecialCaseEs256") == 0)
			c = &sc;
		else if (strcmp(comment, "ec_key_for_encryption") == 0)
			c = &enc;
		else if (strcmp(comment, "base64") == 0)
			c = &b64;
		else if (strcmp(comment, "hs256") == 0)
			c = &hs;
		else
			continue;
		ks = group_keys(g, es256pub, &refused);
		cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(g,
		    "tests")) {
			tcid = num(t, "tcId");
			if (c == &hs && (tcid < 13 || tcid > 17))
				continue;
			jws = str(t, "jws");
			ck_assert_ptr_nonnull(jws);
			expect = jws_expect_valid(tcid, str(t, "result"));
			c->total++;
			c->valid += expect;
			sg_err_clear(&err);
			payload = NULL;
			rc = sg_jwt_verify_raw(ks, jws, strlen(jws), &payload,
			    &plen, NULL, &err);
			if (c == &b64) {
				/*
				 * HS256 tokens: no ES256 verifier accepts them,
				 * so "valid" means the token passed the format
				 * and base64url rules and was refused only for
				 * its alg; "invalid" means refused as malformed
				 * before the header was looked at.
				 */
				ck_assert_int_eq(rc, SG_EAUTH);
				ok = strcmp(err.code, expect ?
				    "unsupported_alg" : "malformed_token") == 0;
			} else {
				got = rc == SG_OK;
				ok = got == expect;
				if (refused)
					ck_assert_int_eq(got, 0);
			}
			if (ok)
				c->pass++;
			else {
				c->fail++;
				fprintf(stderr, "JWS %s tcId %d (%s): expected "
				    "%s, got rc %d %s (%s)\n", comment, tcid,
				    str(t, "comment"), expect ? "valid" :
				    "invalid", rc, err.code ? err.code : "",
				    err.msg);
			}
			if (rc == SG_OK) {
				/* Valid JWS whose payload "foo" is no JWT. */
				ck_assert_uint_eq(plen, 3);
				ck_assert(memcmp(payload, "foo", 3) == 0);
				sg_err_clear(&err);
				ck_assert_int_eq(sg_jwt_verify(ks, jws,
				    strlen(jws), &claims, NULL, &err), SG_EAUTH);
				ck_assert_str_eq(err.code, "bad_payload");
				ck_assert_ptr_null(claims);
			}
			free(payload);
		}
		sg_keyset_free(ks);
	}
	printf("wycheproof JWS: es256 %d/%d (%d valid), SpecialCaseEs256 "
	    "%d/%d (%d valid), ec_key_for_encryption %d/%d, base64 %d/%d "
	    "(%d valid after corrections), hs256 13-17 %d/%d\n",
	    es.pass, es.total, es.valid, sc.pass, sc.total, sc.valid,
	    enc.pass, enc.total, b64.pass, b64.total, b64.valid, hs.pass,
	    hs.total);
	ck_assert_int_eq(es.total, 15);
	ck_assert_int_eq(es.valid, 1);
	ck_assert_int_eq(sc.total, 24);
	ck_assert_int_eq(sc.valid, 1);
	ck_assert_int_eq(enc.total, 2);
	ck_assert_int_eq(b64.total, 21);
	ck_assert_int_eq(b64.valid, 7);
	ck_assert_int_eq(hs.total, 5);
	ck_assert_int_eq(es.fail + sc.fail + enc.fail + b64.fail + hs.fail, 0);
	cJSON_Delete(doc);
}
END_TEST

/*
 * json_web_key_test.json: every key set goes through sg_keyset_add_jwks
 * (the "public" set, else the "private" one, whose "d" is ignored), every
 * token through sg_jwt_verify_raw.  Nothing there may verify: the valid
 * tokens are HS256/RS256, which an ES256-only verifier never accepts, and
 * the EC sets of tcId 19-24 (alg ES521/ES224, use "enc", a point off the
 * curve, crv P-384, kty RSA) must already fail to load (S11), as must
 * every set holding a key that is not P-256.
 */
START_TEST(test_jwk_sets)
{
	cJSON			*doc;
	const cJSON		*g, *t, *set;
	struct sg_keyset	*ks;
	char			*text;
	const char		*jws;
	int			 tcid, loaded, total = 0, rejected = 0;
	int			 ec_refused = 0;

	doc = read_json(SG_SHAREDDATA "/wycheproof/json_web_key_test.json");
	cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(doc,
	    "testGroups")) {
		set = cJSON_GetObjectItemCaseSensitive(g, "public");
		if (set == NULL)
			set = cJSON_GetObjectItemCaseSensitive(g, "private");
		ck_assert_ptr_nonnull(set);
		text = cJSON_PrintUnformatted(set);
		ks = sg_keyset_new();
		loaded = sg_keyset_add_jwks(ks, text, strlen(text), NULL) ==
		    SG_OK;
		free(text);
		cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(g,
		    "tests")) {
			tcid = num(t, "tcId");
			jws = str(t, "jws");
			total++;
			if (tcid >= 19 && tcid <= 24) {
				ck_assert_msg(!loaded, "JWK tcId %d: key set "
				    "loaded", tcid);
				ec_refused++;
			}
			/* Sets that mix in non-P-256 keys never load. */
			if (strstr(str(g, "comment"), "keyset") != NULL ||
			    strstr(str(g, "comment"), "kid") != NULL)
				ck_assert_msg(!loaded, "JWK tcId %d loaded",
				    tcid);
			ck_assert_int_ne(sg_jwt_verify_raw(loaded ? ks : NULL,
			    jws, strlen(jws), NULL, NULL, NULL, NULL), SG_OK);
			rejected++;
		}
		sg_keyset_free(ks);
	}
	printf("wycheproof JWK: %d tests, %d rejected, EC key sets of tcId "
	    "19-24 refused at load: %d/6\n", total, rejected, ec_refused);
	ck_assert_int_eq(total, 26);
	ck_assert_int_eq(ec_refused, 6);
	cJSON_Delete(doc);
}
END_TEST

/* docs/security.md 3.8 item 1: RFC 7515 A.3 verifies (high s, CRLF). */
START_TEST(test_rfc7515_a3)
{
	cJSON			*doc, *claims = NULL;
	struct sg_keyset	*ks;
	struct sg_key		*k = NULL, *k2 = NULL;
	struct sg_err		 err;
	const char		*jws;
	char			*bad;
	uint8_t			*der;
	size_t			 derlen, n;

	doc = read_json(A3);
	ks = sg_keyset_new();
	ck_assert_int_eq(sg_key_from_jwk(cJSON_GetObjectItemCaseSensitive(doc,
	    "public_jwk"), &k, NULL), SG_OK);
	/* The same key from its SPKI. */
	der = unhex(str(cJSON_GetObjectItemCaseSensitive(doc,
	    "derived_locally_not_in_rfc"), "public_key_spki_der_hex"), &derlen);
	ck_assert_int_eq(sg_key_from_spki(der, derlen, &k2, NULL), SG_OK);
	ck_assert_str_eq(sg_key_kid(k), sg_key_kid(k2));
	free(der);
	sg_key_free(k2);
	ck_assert_int_eq(sg_keyset_add(ks, k, NULL), SG_OK);

	jws = str(doc, "compact_jws");
	sg_err_clear(&err);
	ck_assert_msg(sg_jwt_verify(ks, jws, strlen(jws), &claims, NULL,
	    &err) == SG_OK, "A.3: %s", err.msg);
	ck_assert_str_eq(str(claims, "iss"), "joe");
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(claims,
	    "http://example.com/is_root")));
	ck_assert_int_eq(num(claims, "exp"), 1300819380);
	cJSON_Delete(claims);

	/* Any one-bit change anywhere is refused. */
	n = strlen(jws);
	bad = strdup(jws);
	bad[n - 1] = bad[n - 1] == 'Q' ? 'g' : 'Q';
	ck_assert_int_eq(sg_jwt_verify(ks, bad, n, &claims, NULL, NULL),
	    SG_EAUTH);
	free(bad);
	sg_keyset_free(ks);
	cJSON_Delete(doc);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("wycheproof");
	tc = tcase_create("vectors");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_p1363_all);
	tcase_add_test(tc, test_jws_groups);
	tcase_add_test(tc, test_jwk_sets);
	tcase_add_test(tc, test_rfc7515_a3);
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
