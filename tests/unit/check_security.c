/* SPDX-License-Identifier: ISC */
/*
 * Whole tokens end to end through sg_token_verify (jwt.c + claims.c) with
 * the test key and the fixed clock: what the issuer mints verifies; the
 * two kinds never pass for each other; hand-written payloads signed with
 * the real key are judged by their claims (docs/security.md 3.5-3.7);
 * the must-accept list of 3.8 passes; and the minting side refuses to
 * sign what the verifier would refuse (3.7, "Issuer-side tests").
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64url.h"
#include "claims.h"
#include "compat.h"
#include "crypto.h"
#include "sgtest.h"
#include "sgtest_failalloc.h"
#include "json.h"
#include "jwt.h"
#include "keys.h"
#include "token.h"

#define NOW	SGTEST_NOW
#define ISS	"https://sandgate.test"
#define ORG	"3f2504e0-4f89-41d3-9a0c-0305e82c3301"
#define CID	"sandbox_AAAAAAAAAAAAAAAAAAAAAA"
#define HOSTS	"github.com,*.pypi.org,api.example.com:8443"

static struct sg_key		*key1, *key2;
static struct sg_keyset		*ks;
static struct sg_verify_opts	 opts;
static char			 hdr[256];	/* the issuer's header */

static void
setup(void)
{
	struct sg_err	 err;

	sg_err_clear(&err);
	ck_assert_msg(sg_key_load_pem(SG_TESTDATA "/test-key-1.pem", &key1,
	    &err) == SG_OK, "%s", err.msg);
	ck_assert_msg(sg_key_load_pem(SG_TESTDATA "/test-key-2.pem", &key2,
	    &err) == SG_OK, "%s", err.msg);
	ck_assert_msg(sg_keyset_load(SG_TESTDATA "/test-key-1.pub.pem", &ks,
	    &err) == SG_OK, "%s", err.msg);
	memset(&opts, 0, sizeof(opts));
	opts.issuer = ISS;
	opts.leeway = 30;
	opts.max_ttl = 86400;
	opts.now = (time_t)NOW;
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"typ\":\"JWT\","
	    "\"kid\":\"%s\"}", sg_key_kid(key1));
}

static void
teardown(void)
{
	sg_key_free(key1);
	sg_key_free(key2);
	sg_keyset_free(ks);
	key1 = key2 = NULL;
	ks = NULL;
}

/* base64url(h) "." base64url(p) "." base64url(ES256(k, input)). */
static char *
sign_raw_n(const struct sg_key *k, const char *h, size_t hlen,
    const char *p, size_t plen)
{
	uint8_t	 sig[SG_ES256_SIGLEN];
	char	*hb, *pb, *sb, *tok;
	size_t	 n;

	hb = sg_b64url_encode_alloc(h, hlen);
	pb = sg_b64url_encode_alloc(p, plen);
	ck_assert_ptr_nonnull(hb);
	ck_assert_ptr_nonnull(pb);
	n = strlen(hb) + strlen(pb) + 2 + SG_B64URL_ENCLEN(SG_ES256_SIGLEN) + 1;
	tok = malloc(n);
	ck_assert_ptr_nonnull(tok);
	snprintf(tok, n, "%s.%s", hb, pb);
	ck_assert_int_eq(sg_es256_sign(k, tok, strlen(tok), sig, NULL),
	    SG_OK);
	sb = sg_b64url_encode_alloc(sig, sizeof(sig));
	ck_assert_ptr_nonnull(sb);
	strlcat(tok, ".", n);
	strlcat(tok, sb, n);
	free(hb);
	free(pb);
	free(sb);
	return tok;
}

static char *
sign_raw(const char *payload)
{
	return sign_raw_n(key1, hdr, strlen(hdr), payload, strlen(payload));
}

/* "ok" or the reason code of sg_token_verify. */
static const char *
vcode_c(const char *tok, struct sg_claims *c)
{
	static char	 code[64];
	struct sg_err	 err;
	enum sg_rc	 rc;

	sg_err_clear(&err);
	sg_claims_init(c);
	rc = sg_token_verify(ks, tok, strlen(tok), &opts, c, &err);
	if (rc == SG_OK)
		return "ok";
	ck_assert_int_eq(err.rc, rc);
	ck_assert_ptr_nonnull(err.code);
	ck_assert_ptr_null(c->allowed_hosts);
	snprintf(code, sizeof(code), "%s%s", rc == SG_EAUTH ? "" : "rc:",
	    err.code);
	return code;
}

static const char *
vcode(const char *tok)
{
	struct sg_claims	 c;
	const char		*v;

	v = vcode_c(tok, &c);
	sg_claims_clear(&c);
	return v;
}

/* Sign the payload, verify, compare the reason code. */
#define PAYLOAD(p, want) do {						\
	char		*t_ = sign_raw(p);				\
	const char	*v_ = vcode(t_);				\
	ck_assert_msg(strcmp(v_, (want)) == 0, "%s: got %s, want %s",	\
	    (p), v_, (want));						\
	free(t_);							\
} while (0)
/* Must be refused, for any reason. */
#define REFUSED(p) do {							\
	char		*t_ = sign_raw(p);				\
	const char	*v_ = vcode(t_);				\
	ck_assert_msg(strcmp(v_, "ok") != 0, "accepted: %s", (p));	\
	free(t_);							\
} while (0)

/*
 * A container payload: first is spliced in front, aud/iat/exp are JSON
 * texts, NULL leaves the claim out.
 */
static char *
cp(const char *first, const char *aud, const char *iat, const char *exp)
{
	static char	 buf[2048];
	char		 a[256], i[64], e[64];

	snprintf(a, sizeof(a), "\"aud\":%s,", aud);
	snprintf(i, sizeof(i), "\"iat\":%s,\"nbf\":%s,", iat, iat);
	snprintf(e, sizeof(e), "\"exp\":%s,", exp);
	snprintf(buf, sizeof(buf), "{%s\"iss\":\"" ISS "\",\"sub\":\"user_1\","
	    "%s%s%s\"jti\":\"AAAAAAAAAAAAAAAAAAAAAA\","
	    "\"container_id\":\"" CID "\","
	    "\"organization_uuid\":\"" ORG "\","
	    "\"allowed_hosts\":\"github.com\","
	    "\"enforce_container_binding\":\"true\","
	    "\"use_egress_gateway\":\"true\","
	    "\"enforce_centralized_egress\":\"true\","
	    "\"is_hipaa_regulated\":\"false\",\"is_pci_compliant\":\"false\"}",
	    first, aud != NULL ? a : "", iat != NULL ? i : "",
	    exp != NULL ? e : "");
	return buf;
}

static char *
cpayload(const char *first, const char *aud, int64_t iat, int64_t exp)
{
	char	 i[32], e[32];

	snprintf(i, sizeof(i), "%lld", (long long)iat);
	snprintf(e, sizeof(e), "%lld", (long long)exp);
	return cp(first, aud, i, e);
}

static struct sg_hostlist	 hosts;

static const struct sg_mint_container *
mc_default(void)
{
	static struct sg_mint_container	 mc;
	struct sg_err			 err;

	sg_hostlist_clear(&hosts);
	sg_hostlist_init(&hosts);
	sg_err_clear(&err);
	ck_assert_msg(sg_hosts_parse(HOSTS, strlen(HOSTS), &hosts, &err) ==
	    SG_OK, "%s", err.msg);
	memset(&mc, 0, sizeof(mc));
	mc.issuer = ISS;
	mc.sub = "user_1";
	mc.container_id = CID;
	mc.org = ORG;
	mc.hosts = &hosts;
	mc.binding = 1;
	mc.hipaa = 0;
	mc.pci = 1;
	mc.ttl = 14400;
	mc.now = (time_t)NOW;
	mc.max_ttl = 86400;
	return &mc;
}

/* The decoded payload of a token we trust (verified with ks). */
static cJSON *
payload_of(const char *tok)
{
	cJSON	*p = NULL;

	ck_assert_int_eq(sg_jwt_verify(ks, tok, strlen(tok), &p, NULL, NULL),
	    SG_OK);
	return p;
}

static void
assert_str_claim(const cJSON *p, const char *name, const char *want)
{
	const char	*v = sg_json_str(p, name);

	ck_assert_msg(v != NULL, "claim %s missing or not a string", name);
	ck_assert_msg(strcmp(v, want) == 0, "claim %s = %s, want %s", name,
	    v, want);
}

START_TEST(valid_container)
{
	struct sg_mint_container mc = *mc_default();
	struct sg_minted	 m;
	struct sg_claims	 c;
	struct sg_err		 err;
	cJSON			*p;
	int64_t			 v;

	sg_err_clear(&err);
	ck_assert_msg(sg_token_mint_container(key1, &mc, &m, &err) == SG_OK,
	    "%s", err.msg);
	ck_assert_ptr_nonnull(m.token);
	ck_assert_uint_eq(strlen(m.jti), SG_JTI_LEN);
	ck_assert_int_eq(m.iat, NOW);
	ck_assert_int_eq(m.exp, NOW + 14400);
	ck_assert_str_eq(m.kid, sg_key_kid(key1));

	ck_assert_str_eq(vcode_c(m.token, &c), "ok");
	ck_assert_int_eq(c.kind, SG_KIND_CONTAINER);
	ck_assert_int_eq(c.has_aud, 1);
	ck_assert_str_eq(c.sub, "user_1");
	ck_assert_str_eq(c.container_id, CID);
	ck_assert_str_eq(c.org, ORG);
	ck_assert_str_eq(c.jti, m.jti);
	ck_assert_str_eq(c.allowed_hosts,
	    "github.com,*.pypi.org,api.example.com:8443");
	ck_assert_uint_eq(c.hosts.n, 3);
	ck_assert_int_eq(c.binding, 1);
	ck_assert_int_eq(c.use_egress_gateway, 1);
	ck_assert_int_eq(c.enforce_centralized_egress, 1);
	ck_assert_int_eq(c.hipaa, 0);
	ck_assert_int_eq(c.pci, 1);
	ck_assert_int_eq(c.exp, m.exp);
	sg_claims_clear(&c);

	/* The claim set of docs/contract.md §2.2, flags as strings. */
	p = payload_of(m.token);
	assert_str_claim(p, "iss", ISS);
	assert_str_claim(p, "sub", "user_1");
	assert_str_claim(p, "aud", SG_AUD_EGRESS);
	assert_str_claim(p, "jti", m.jti);
	assert_str_claim(p, "container_id", CID);
	assert_str_claim(p, "organization_uuid", ORG);
	assert_str_claim(p, "allowed_hosts",
	    "github.com,*.pypi.org,api.example.com:8443");
	assert_str_claim(p, "enforce_container_binding", "true");
	assert_str_claim(p, "use_egress_gateway", "true");
	assert_str_claim(p, "enforce_centralized_egress", "true");
	assert_str_claim(p, "is_hipaa_regulated", "false");
	assert_str_claim(p, "is_pci_compliant", "true");
	ck_assert_int_eq(sg_json_int(p, "iat", 0, INT64_MAX, &v, NULL), SG_OK);
	ck_assert_int_eq(v, NOW);
	ck_assert_int_eq(sg_json_int(p, "nbf", 0, INT64_MAX, &v, NULL), SG_OK);
	ck_assert_int_eq(v, NOW);
	ck_assert_int_eq(sg_json_int(p, "exp", 0, INT64_MAX, &v, NULL), SG_OK);
	ck_assert_int_eq(v, NOW + 14400);
	ck_assert_int_eq(cJSON_GetArraySize(p), 15);
	cJSON_Delete(p);

	/* Expired by the clock, then valid again within the leeway. */
	opts.now = (time_t)(NOW + 14400 + 30);
	ck_assert_str_eq(vcode(m.token), "token_expired");
	opts.now = (time_t)(NOW + 14400 + 29);
	ck_assert_str_eq(vcode(m.token), "ok");
	sg_minted_clear(&m);
	ck_assert_ptr_null(m.token);
	ck_assert_str_eq(m.jti, "");
	sg_hostlist_clear(&hosts);
}
END_TEST

START_TEST(valid_container_no_hosts)
{
	struct sg_mint_container mc = *mc_default();
	struct sg_minted	 m;
	struct sg_claims	 c;
	struct sg_hostlist	 none;
	cJSON			*p;

	sg_hostlist_init(&none);
	mc.hosts = &none;
	mc.binding = 0;
	ck_assert_int_eq(sg_token_mint_container(key1, &mc, &m, NULL), SG_OK);
	ck_assert_str_eq(vcode_c(m.token, &c), "ok");
	ck_assert_uint_eq(c.hosts.n, 0);
	ck_assert_int_eq(c.binding, 0);
	sg_claims_clear(&c);
	p = payload_of(m.token);
	assert_str_claim(p, "allowed_hosts", "");
	assert_str_claim(p, "enforce_container_binding", "false");
	cJSON_Delete(p);
	sg_minted_clear(&m);
	sg_hostlist_clear(&hosts);
}
END_TEST

START_TEST(valid_operator)
{
	struct sg_minted	 m;
	struct sg_claims	 c;
	struct sg_err		 err;
	cJSON			*p;

	sg_err_clear(&err);
	ck_assert_msg(sg_token_mint_operator(key1, ISS, "alice",
	    "tokens:issue sandboxes:create", 3600, (time_t)NOW, &m, &err) ==
	    SG_OK, "%s", err.msg);
	ck_assert_str_eq(vcode_c(m.token, &c), "ok");
	ck_assert_int_eq(c.kind, SG_KIND_OPERATOR);
	ck_assert_str_eq(c.sub, "alice");
	ck_assert_uint_eq(c.scopes,
	    SG_SCOPE_TOKENS_ISSUE | SG_SCOPE_SANDBOXES_CREATE);
	ck_assert_str_eq(c.container_id, "");
	ck_assert_ptr_null(c.allowed_hosts);
	sg_claims_clear(&c);
	p = payload_of(m.token);
	assert_str_claim(p, "aud", SG_AUD_API);
	assert_str_claim(p, "scope", "tokens:issue sandboxes:create");
	assert_str_claim(p, "jti", m.jti);
	ck_assert_ptr_null(sg_json_get(p, "container_id"));
	ck_assert_ptr_null(sg_json_get(p, "allowed_hosts"));
	ck_assert_int_eq(cJSON_GetArraySize(p), 8);
	cJSON_Delete(p);
	sg_minted_clear(&m);
}
END_TEST

/* Two tokens never share a jti. */
START_TEST(fresh_jti)
{
	struct sg_minted	 a, b;

	ck_assert_int_eq(sg_token_mint_operator(key1, ISS, "alice",
	    "sessions:read", 60, (time_t)NOW, &a, NULL), SG_OK);
	ck_assert_int_eq(sg_token_mint_operator(key1, ISS, "alice",
	    "sessions:read", 60, (time_t)NOW, &b, NULL), SG_OK);
	ck_assert_str_ne(a.jti, b.jti);
	ck_assert_str_ne(a.token, b.token);
	sg_minted_clear(&a);
	sg_minted_clear(&b);
}
END_TEST

/* A container token is never an operator token, nor the reverse. */
START_TEST(audience_confusion)
{
	struct sg_mint_container mc = *mc_default();
	struct sg_minted	 m;
	struct sg_claims	 c;
	char			 buf[1024];

	ck_assert_int_eq(sg_token_mint_container(key1, &mc, &m, NULL), SG_OK);
	ck_assert_str_eq(vcode_c(m.token, &c), "ok");
	ck_assert_int_ne(c.kind, SG_KIND_OPERATOR);
	ck_assert_uint_eq(c.scopes, 0);
	sg_claims_clear(&c);
	sg_minted_clear(&m);
	ck_assert_int_eq(sg_token_mint_operator(key1, ISS, "alice",
	    "tokens:issue", 60, (time_t)NOW, &m, NULL), SG_OK);
	ck_assert_str_eq(vcode_c(m.token, &c), "ok");
	ck_assert_int_ne(c.kind, SG_KIND_CONTAINER);
	ck_assert_ptr_null(c.allowed_hosts);
	sg_claims_clear(&c);
	sg_minted_clear(&m);

	/* Container claims under the API audience. */
	PAYLOAD(cpayload("", "\"sandgate-api\"", NOW, NOW + 60),
	    "missing_claim");
	/* Operator claims under the egress audience. */
	snprintf(buf, sizeof(buf), "{\"iss\":\"" ISS "\",\"sub\":\"alice\","
	    "\"aud\":\"sandgate-egress\",\"iat\":%lld,\"exp\":%lld,"
	    "\"jti\":\"j1\",\"scope\":\"tokens:issue\"}", (long long)NOW,
	    (long long)NOW + 60);
	PAYLOAD(buf, "missing_claim");
	/* Both audiences, or another audience. */
	PAYLOAD(cpayload("", "[\"sandgate-egress\",\"sandgate-api\"]", NOW,
	    NOW + 60), "bad_audience");
	PAYLOAD(cpayload("", "\"sandgate\"", NOW, NOW + 60), "bad_audience");
	PAYLOAD(cpayload("", NULL, NOW, NOW + 60), "bad_audience");
	sg_hostlist_clear(&hosts);
}
END_TEST

/* Only the configured keys verify. */
START_TEST(wrong_key)
{
	struct sg_minted	 m;
	struct sg_keyset	*both = NULL;
	char			*t;

	ck_assert_int_eq(sg_token_mint_operator(key2, ISS, "alice",
	    "tokens:issue", 60, (time_t)NOW, &m, NULL), SG_OK);
	ck_assert_str_eq(vcode(m.token), "unknown_kid");
	/* Rotation: both public keys configured, both verify. */
	ck_assert_int_eq(sg_keyset_load(SG_TESTDATA "/test-key-1.pub.pem,"
	    SG_TESTDATA "/test-key-2.pub.pem", &both, NULL), SG_OK);
	sg_keyset_free(ks);
	ks = both;
	ck_assert_str_eq(vcode(m.token), "ok");
	sg_minted_clear(&m);
	/* Without kid, one key in the set: the signature decides. */
	sg_keyset_free(ks);
	ck_assert_int_eq(sg_keyset_load(SG_TESTDATA "/test-key-1.pub.pem",
	    &ks, NULL), SG_OK);
	t = sign_raw_n(key2, "{\"alg\":\"ES256\"}", 15,
	    cpayload("", "\"sandgate-egress\"", NOW, NOW + 60),
	    strlen(cpayload("", "\"sandgate-egress\"", NOW, NOW + 60)));
	ck_assert_str_eq(vcode(t), "bad_signature");
	free(t);
}
END_TEST

/* 3.5 through a real signature: the parser traps still hold. */
START_TEST(json_traps)
{
	char	 buf[2048], *t;
	size_t	 n;

	/* J1, J2: duplicates, the first one valid. */
	snprintf(buf, sizeof(buf), "%s", cpayload("\"exp\":1767229200,", 
	    "\"sandgate-egress\"", NOW - 7200, NOW - 3600));
	REFUSED(buf);
	REFUSED(cpayload("\"container_id\":\"sandbox_victim\",",
	    "\"sandgate-egress\"", NOW, NOW + 60));
	REFUSED(cpayload("\"EXP\":1767229200,", "\"sandgate-egress\"", NOW,
	    NOW + 60));
	REFUSED(cpayload("\"Allowed_Hosts\":\"*.com\",", "\"sandgate-egress\"",
	    NOW, NOW + 60));
	/* J3: trailing text, two objects. */
	snprintf(buf, sizeof(buf), "%sxyz", cpayload("", "\"sandgate-egress\"",
	    NOW, NOW + 60));
	REFUSED(buf);
	snprintf(buf, sizeof(buf), "%s{}", cpayload("", "\"sandgate-egress\"",
	    NOW, NOW + 60));
	REFUSED(buf);
	/* J4: a raw NUL after the object. */
	n = (size_t)snprintf(buf, sizeof(buf), "%s", cpayload("",
	    "\"sandgate-egress\"", NOW, NOW + 60));
	buf[n] = '\0';
	memcpy(buf + n + 1, "{}", 3);
	t = sign_raw_n(key1, hdr, strlen(hdr), buf, n + 3);
	ck_assert_str_ne(vcode(t), "ok");
	free(t);
	/* J5: \u0000 in a claim. */
	REFUSED(cpayload("\"note\":\"a\\u0000b\",", "\"sandgate-egress\"", NOW,
	    NOW + 60));
	/* J6: invalid UTF-8. */
	REFUSED(cpayload("\"note\":\"\xc0\xaf\",", "\"sandgate-egress\"", NOW,
	    NOW + 60));
	REFUSED(cpayload("\"note\":\"\xff\",", "\"sandgate-egress\"", NOW,
	    NOW + 60));
	/* J7: lone surrogate. */
	REFUSED(cpayload("\"note\":\"\\ud800\",", "\"sandgate-egress\"", NOW,
	    NOW + 60));
	/* J10, J11: not JSON. */
	REFUSED(cpayload("\"n\":0123,", "\"sandgate-egress\"", NOW, NOW + 60));
	REFUSED(cpayload("\"n\":NaN,", "\"sandgate-egress\"", NOW, NOW + 60));
	/* J13: BOM. */
	snprintf(buf, sizeof(buf), "\xef\xbb\xbf%s", cpayload("",
	    "\"sandgate-egress\"", NOW, NOW + 60));
	REFUSED(buf);
	/* Not an object at all. */
	REFUSED("[]");
	REFUSED("\"x\"");
	REFUSED("null");
}
END_TEST

/* 3.6 through a real signature. */
START_TEST(time_claims)
{
	static const char *const eg = "\"sandgate-egress\"";

	/* T1 */
	PAYLOAD(cp("", eg, "1767225600", NULL), "missing_claim");
	/* T2 */
	PAYLOAD(cpayload("", eg, NOW - 100, NOW - 31), "token_expired");
	PAYLOAD(cpayload("", eg, NOW - 100, NOW - 30), "token_expired");
	PAYLOAD(cpayload("", eg, NOW - 100, NOW - 29), "ok");
	PAYLOAD(cpayload("", eg, NOW, NOW + 1), "ok");
	/* T3 */
	PAYLOAD(cp("", eg, "1767225600", "\"1767229200\""), "bad_claim");
	PAYLOAD(cp("", eg, "1767225600", "true"), "bad_claim");
	PAYLOAD(cp("", eg, "1767225600", "null"), "bad_claim");
	PAYLOAD(cp("", eg, "1767225600", "[]"), "bad_claim");
	PAYLOAD(cp("", eg, "1767225600", "{}"), "bad_claim");
	/* T4 */
	PAYLOAD(cp("", eg, "1767225600", "1e400"), "bad_claim");
	PAYLOAD(cp("", eg, "1767225600", "99999999999999999999"),
	    "bad_claim");
	PAYLOAD(cp("", eg, "1767225600", "-1"), "bad_claim");
	PAYLOAD(cp("", eg, "1767225600", "0"), "bad_claim");
	PAYLOAD(cp("", eg, "1767225600", "-0"), "bad_claim");
	PAYLOAD(cp("", eg, "1767225600", "1e20"), "bad_claim");
	/* T4: 2^31 is read exactly and refused for its lifetime only. */
	PAYLOAD(cp("", eg, "1767225600", "2147483648"), "lifetime_too_long");
	opts.max_ttl = INT64_C(1) << 40;
	PAYLOAD(cp("", eg, "1767225600", "2147483648"), "ok");
	opts.max_ttl = 86400;
	/* T5 */
	PAYLOAD(cp("", eg, "1767225600", "1767229200.5"), "bad_claim");
	/* T6 */
	PAYLOAD(cp("", eg, NULL, "1767229200"), "missing_claim");
	PAYLOAD(cpayload("", eg, NOW + 31, NOW + 600), "token_not_yet_valid");
	PAYLOAD(cpayload("", eg, NOW + 30, NOW + 600), "ok");
	PAYLOAD(cpayload("", eg, NOW + 20, NOW + 10), "bad_claim");
	PAYLOAD(cpayload("", eg, NOW, NOW + 86401), "lifetime_too_long");
	PAYLOAD(cpayload("", eg, NOW, NOW + 86400), "ok");
	PAYLOAD(cp("", eg, "\"1767225600\"", "1767229200"), "bad_claim");
	PAYLOAD(cp("", eg, "1767225600.5", "1767229200"), "bad_claim");
	/* T7 */
	PAYLOAD(cp("\"nbf\":1767225631,", eg, NULL, "1767229200"),
	    "missing_claim");
	PAYLOAD(cp("\"iat\":1767225600,\"nbf\":1767225631,", eg, NULL,
	    "1767229200"), "token_not_yet_valid");
	PAYLOAD(cp("\"iat\":1767225600,\"nbf\":\"1767225600\",", eg, NULL,
	    "1767229200"), "bad_claim");
	PAYLOAD(cp("\"iat\":1767225600,\"nbf\":1767225600,", eg, NULL,
	    "1767229200"), "ok");
}
END_TEST

/* 3.7 through a real signature, each payload written out whole. */
START_TEST(project_claims)
{
	static const char *const cases[][2] = {
	    { "{\"iss\":\"" ISS "\",\"sub\":\"u\",\"aud\":\"sandgate-egress\","
	      "\"iat\":1767225600,\"exp\":1767225660,\"jti\":\"j\","
	      "\"container_id\":\"" CID "\",\"organization_uuid\":\"" ORG "\","
	      "\"allowed_hosts\":\"*.com\"}", "bad_claim" },
	    { "{\"iss\":\"" ISS "\",\"sub\":\"u\",\"aud\":\"sandgate-egress\","
	      "\"iat\":1767225600,\"exp\":1767225660,\"jti\":\"j\","
	      "\"container_id\":\"" CID "\",\"organization_uuid\":\"" ORG "\","
	      "\"allowed_hosts\":\"*\"}", "bad_claim" },
	    { "{\"iss\":\"" ISS "\",\"sub\":\"u\",\"aud\":\"sandgate-egress\","
	      "\"iat\":1767225600,\"exp\":1767225660,\"jti\":\"j\","
	      "\"container_id\":\"" CID "\",\"organization_uuid\":\"" ORG "\","
	      "\"allowed_hosts\":[\"github.com\"]}", "bad_claim" },
	    { "{\"iss\":\"" ISS "\",\"sub\":\"u\",\"aud\":\"sandgate-egress\","
	      "\"iat\":1767225600,\"exp\":1767225660,\"jti\":\"j\","
	      "\"container_id\":\"" CID "\",\"organization_uuid\":\"" ORG "\","
	      "\"allowed_hosts\":\"github.com\","
	      "\"enforce_container_binding\":\"TRUE\"}", "bad_claim" },
	    { "{\"iss\":\"" ISS "\",\"sub\":\"u\",\"aud\":\"sandgate-egress\","
	      "\"iat\":1767225600,\"exp\":1767225660,\"jti\":\"j\","
	      "\"container_id\":\"" CID "\",\"organization_uuid\":\"" ORG "\","
	      "\"allowed_hosts\":\"github.com\","
	      "\"enforce_container_binding\":false}", "bad_claim" },
	    { "{\"iss\":\"" ISS "\",\"sub\":\"u\",\"aud\":\"sandgate-egress\","
	      "\"iat\":1767225600,\"exp\":1767225660,\"jti\":\"j\","
	      "\"container_id\":\"abc def\",\"organization_uuid\":\"" ORG "\","
	      "\"allowed_hosts\":\"github.com\"}", "bad_claim" },
	    { "{\"iss\":\"" ISS "\",\"sub\":\"u\",\"aud\":\"sandgate-egress\","
	      "\"iat\":1767225600,\"exp\":1767225660,\"jti\":\"j\","
	      "\"container_id\":\"" CID "\",\"organization_uuid\":"
	      "\"x\\r\\nX-Container-ID: victim\","
	      "\"allowed_hosts\":\"github.com\"}", "bad_claim" },
	    { "{\"iss\":\"" ISS "/\",\"sub\":\"u\",\"aud\":\"sandgate-egress\","
	      "\"iat\":1767225600,\"exp\":1767225660,\"jti\":\"j\","
	      "\"container_id\":\"" CID "\",\"organization_uuid\":\"" ORG "\","
	      "\"allowed_hosts\":\"github.com\"}", "bad_issuer" },
	    { "{\"iss\":\"" ISS "\",\"sub\":\"u\",\"aud\":\"sandgate-egress\","
	      "\"iat\":1767225600,\"exp\":\"1767225660\",\"jti\":\"j\","
	      "\"container_id\":\"" CID "\",\"organization_uuid\":\"" ORG "\","
	      "\"allowed_hosts\":\"github.com\"}", "bad_claim" },
	    { "{\"iss\":\"" ISS "\",\"sub\":\"u\",\"aud\":\"sandgate-egress\","
	      "\"iat\":1767225600,\"exp\":1767225660,\"jti\":\"x EX 0\","
	      "\"container_id\":\"" CID "\",\"organization_uuid\":\"" ORG "\","
	      "\"allowed_hosts\":\"github.com\"}", "bad_claim" },
	    { "{\"iss\":\"" ISS "\",\"sub\":\"u\",\"aud\":\"sandgate-egress\","
	      "\"iat\":1767225600,\"exp\":1767225660,"
	      "\"container_id\":\"" CID "\",\"organization_uuid\":\"" ORG "\","
	      "\"allowed_hosts\":\"github.com\"}", "missing_claim" },
	    { "{\"iss\":\"" ISS "\",\"sub\":\"u\",\"aud\":\"sandgate-api\","
	      "\"iat\":1767225600,\"exp\":1767225660,\"jti\":\"j\","
	      "\"scope\":\"admin\"}", "bad_claim" },
	    { "{\"iss\":\"" ISS "\",\"sub\":\"u\",\"aud\":\"sandgate-api\","
	      "\"iat\":1767225600,\"exp\":1767225660,\"jti\":\"j\","
	      "\"scope\":\"tokens:issue\",\"admin\":true}", "ok" },
	    { "{\"iss\":\"" ISS "\",\"sub\":\"u\",\"aud\":\"sandgate-egress\","
	      "\"iat\":1767225600,\"exp\":1767225660,\"jti\":\"j\","
	      "\"container_id\":\"" CID "\",\"organization_uuid\":\"" ORG "\","
	      "\"allowed_hosts\":\"github.com\",\"admin\":true,"
	      "\"scope\":\"tokens:issue\"}", "ok" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		PAYLOAD(cases[i][0], cases[i][1]);
}
END_TEST

/*
 * Claims objects built by hand and signed with sg_jwt_sign, the signer
 * the services use: a bad claim is refused however it was signed.
 */
START_TEST(jwt_sign_payloads)
{
	static const char *const cases[][2] = {
	    { "{\"iss\":\"" ISS "\",\"sub\":\"u\",\"aud\":\"sandgate-egress\","
	      "\"iat\":1767225600,\"exp\":1767225660,\"jti\":\"j\","
	      "\"container_id\":\"" CID "\",\"organization_uuid\":\"" ORG "\","
	      "\"allowed_hosts\":\"github.com\"}", "ok" },
	    { "{\"iss\":\"" ISS "\",\"sub\":\"u\",\"aud\":\"sandgate-egress\","
	      "\"iat\":1767225600,\"exp\":1767225660,\"jti\":\"j\","
	      "\"container_id\":\"" CID "\",\"organization_uuid\":\"" ORG "\","
	      "\"allowed_hosts\":\"github.com\","
	      "\"enforce_container_binding\":false}", "bad_claim" },
	    { "{\"iss\":\"" ISS "\",\"sub\":\"u\",\"aud\":\"sandgate-egress\","
	      "\"iat\":1767225600,\"exp\":1767225660.5,\"jti\":\"j\","
	      "\"container_id\":\"" CID "\",\"organization_uuid\":\"" ORG "\","
	      "\"allowed_hosts\":\"github.com\"}", "bad_claim" },
	    { "{\"iss\":\"" ISS "\",\"sub\":\"u\",\"aud\":\"sandgate-egress\","
	      "\"iat\":1767225600,\"exp\":1767225660,\"jti\":\"j\","
	      "\"container_id\":\"" CID "\",\"organization_uuid\":\"" ORG "\","
	      "\"allowed_hosts\":\"*\"}", "bad_claim" },
	    { "{\"iss\":\"" ISS "\",\"sub\":\"u\",\"aud\":\"sandgate-api\","
	      "\"iat\":1767225600,\"exp\":1767225660,\"jti\":\"j\","
	      "\"container_id\":\"" CID "\",\"organization_uuid\":\"" ORG "\","
	      "\"allowed_hosts\":\"github.com\"}", "missing_claim" },
	    { "{\"iss\":\"" ISS "\",\"sub\":\"u\",\"aud\":\"sandgate-api\","
	      "\"iat\":1767225600,\"exp\":1767312001,\"jti\":\"j\","
	      "\"scope\":\"tokens:issue\"}", "lifetime_too_long" },
	};
	size_t	 i;
	cJSON	*j;
	char	*t;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		j = cJSON_Parse(cases[i][0]);
		ck_assert_ptr_nonnull(j);
		t = NULL;
		ck_assert_int_eq(sg_jwt_sign(key1, j, &t, NULL), SG_OK);
		ck_assert_msg(strcmp(vcode(t), cases[i][1]) == 0,
		    "%s: got %s, want %s", cases[i][0], vcode(t), cases[i][1]);
		free(t);
		cJSON_Delete(j);
	}
}
END_TEST

/* Tokens of the original Python service: no aud. */
START_TEST(no_aud)
{
	char	*p;

	p = cpayload("", NULL, NOW, NOW + 3600);
	PAYLOAD(p, "bad_audience");
	opts.accept_no_aud = 1;
	PAYLOAD(p, "ok");
	/* Still never an operator token. */
	PAYLOAD("{\"iss\":\"" ISS "\",\"sub\":\"u\",\"iat\":1767225600,"
	    "\"exp\":1767225660,\"jti\":\"j\",\"scope\":\"tokens:issue\"}",
	    "missing_claim");
}
END_TEST

/* P-256 group order n, big-endian. */
static const uint8_t p256_n[32] = {
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84,
	0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51
};

#define WSHDR	"{ \"alg\" : \"ES256\" ,\n\t\"typ\":\"JWT\" }"

/* 3.8: the must-accept list. */
START_TEST(must_accept)
{
	struct sg_minted	 m;
	struct sg_claims	 c;
	uint8_t			 sig[SG_ES256_SIGLEN];
	size_t			 siglen, i;
	char			*t, *dot, sb[128], buf[2048], pad[8];
	int			 borrow, d, seen[4] = { 0, 0, 0, 0 };

	/* 2 (S8): the high-S twin of a valid signature, s' = n - s. */
	ck_assert_int_eq(sg_token_mint_operator(key1, ISS, "alice",
	    "tokens:issue", 60, (time_t)NOW, &m, NULL), SG_OK);
	dot = strrchr(m.token, '.');
	ck_assert_int_eq(sg_b64url_decode(dot + 1, strlen(dot + 1), sig,
	    sizeof(sig), &siglen, NULL), SG_OK);
	ck_assert_uint_eq(siglen, 64);
	for (borrow = 0, i = 32; i-- > 0;) {
		d = (int)p256_n[i] - (int)sig[32 + i] - borrow;
		borrow = d < 0;
		sig[32 + i] = (uint8_t)(d + (borrow ? 256 : 0));
	}
	ck_assert_int_eq(borrow, 0);
	ck_assert_uint_eq(sg_b64url_encode(sig, 64, sb, sizeof(sb)), 86);
	memcpy(dot + 1, sb, 86);
	ck_assert_str_eq(vcode(m.token), "ok");
	sg_minted_clear(&m);

	/* 3: whitespace inside header and payload. */
	t = sign_raw_n(key1, WSHDR, strlen(WSHDR),
	    "{\n\t\"iss\" : \"" ISS "\" ,\r\n \"sub\":\"alice\", \"aud\" : "
	    "\"sandgate-api\",\"iat\":1767225600,\"exp\":1767225660,"
	    "\"jti\":\"j\",\"scope\":\"tokens:issue\"\n}\n",
	    strlen("{\n\t\"iss\" : \"" ISS "\" ,\r\n \"sub\":\"alice\", "
	    "\"aud\" : \"sandgate-api\",\"iat\":1767225600,"
	    "\"exp\":1767225660,\"jti\":\"j\",\"scope\":\"tokens:issue\"\n}\n"));
	ck_assert_str_eq(vcode(t), "ok");
	free(t);

	/* 4: header members in any order. */
	snprintf(buf, sizeof(buf), "{\"kid\":\"%s\",\"typ\":\"JWT\","
	    "\"alg\":\"ES256\"}", sg_key_kid(key1));
	t = sign_raw_n(key1, buf, strlen(buf), cpayload("",
	    "\"sandgate-egress\"", NOW, NOW + 60), strlen(cpayload("",
	    "\"sandgate-egress\"", NOW, NOW + 60)));
	ck_assert_str_eq(vcode(t), "ok");
	free(t);

	/* 5: payload segments of every length mod 4 (never 1). */
	for (i = 0; i < 8; i++) {
		memset(pad, 'x', i);
		pad[i] = '\0';
		snprintf(buf, sizeof(buf), "\"pad\":\"%s\",", pad);
		t = sign_raw(cpayload(buf, "\"sandgate-egress\"", NOW,
		    NOW + 60));
		dot = strchr(t, '.');
		seen[(size_t)(strchr(dot + 1, '.') - dot - 1) % 4] = 1;
		ck_assert_str_eq(vcode(t), "ok");
		free(t);
	}
	ck_assert(seen[0] && seen[2] && seen[3]);

	/* 6: \u-escaped ASCII is the same value. */
	t = sign_raw("{\"iss\":\"https://sandgate.\\u0074est\",\"sub\":\"u\","
	    "\"aud\":\"sandgate-\\u0065gress\",\"iat\":1767225600,"
	    "\"exp\":1767225660,\"jti\":\"j\",\"container_id\":"
	    "\"sandbox_\\u0041\",\"organization_uuid\":\"" ORG "\","
	    "\"allowed_hosts\":\"\\u0067ithub.com\"}");
	ck_assert_str_eq(vcode_c(t, &c), "ok");
	ck_assert_str_eq(c.container_id, "sandbox_A");
	ck_assert_str_eq(c.hosts.v[0].name, "github.com");
	sg_claims_clear(&c);
	free(t);

	/* 7: exp now + 1; exp within the leeway; nbf == now. */
	PAYLOAD(cpayload("", "\"sandgate-egress\"", NOW, NOW + 1), "ok");
	PAYLOAD(cpayload("", "\"sandgate-egress\"", NOW - 60, NOW - 1), "ok");

	/* 8: unknown extra claims. */
	PAYLOAD(cpayload("\"x-extra\":{\"a\":[1,2]},\"admin\":true,",
	    "\"sandgate-egress\"", NOW, NOW + 60), "ok");
}
END_TEST

/* 3.8.1: RFC 7515 A.3 verifies, and full validation says "expired". */
START_TEST(rfc7515_a3)
{
	static char		 text[16384];
	struct sg_keyset	*a3 = NULL;
	struct sg_key		*k = NULL;
	struct sg_claims	 c;
	struct sg_err		 err;
	cJSON			*doc, *p = NULL;
	const char		*tok;
	FILE			*f;
	size_t			 n;

	f = fopen(SG_TESTDATA "/vectors/rfc7515-a3.json", "r");
	if (f == NULL)
		f = fopen(SG_SHAREDDATA "/rfc7515-a3.json", "r");
	ck_assert_ptr_nonnull(f);
	n = fread(text, 1, sizeof(text), f);
	fclose(f);
	ck_assert_uint_lt(n, sizeof(text));
	doc = sg_json_parse_object(text, n, NULL);
	ck_assert_ptr_nonnull(doc);
	ck_assert_int_eq(sg_key_from_jwk(sg_json_get(doc, "public_jwk"), &k,
	    NULL), SG_OK);
	a3 = sg_keyset_new();
	ck_assert_int_eq(sg_keyset_add(a3, k, NULL), SG_OK);
	tok = sg_json_str(doc, "compact_jws");
	ck_assert_ptr_nonnull(tok);
	ck_assert_int_eq(sg_jwt_verify(a3, tok, strlen(tok), &p, NULL, NULL),
	    SG_OK);
	cJSON_Delete(p);
	opts.issuer = "joe";
	opts.accept_no_aud = 1;
	sg_err_clear(&err);
	sg_claims_init(&c);
	ck_assert_int_eq(sg_token_verify(a3, tok, strlen(tok), &opts, &c,
	    &err), SG_EAUTH);
	ck_assert_str_eq(err.code, "token_expired");
	sg_keyset_free(a3);
	cJSON_Delete(doc);
}
END_TEST

/* The issuer refuses what the verifier would refuse (3.7, C10, S10). */
START_TEST(mint_refuses)
{
	struct sg_mint_container mc;
	struct sg_minted	 m;
	struct sg_err		 err;
	struct sg_hostlist	 bad;
	struct sg_hostpat	 pat;

#define REFUSE(expr, want) do {						\
	sg_err_clear(&err);						\
	memset(&m, 0x5a, sizeof(m));					\
	ck_assert_int_eq((expr), SG_EINVAL);				\
	ck_assert_str_eq(err.code, (want));				\
	ck_assert_ptr_null(m.token);					\
} while (0)

	mc = *mc_default();
	mc.sub = "user\r\nX-Container-ID: victim";
	REFUSE(sg_token_mint_container(key1, &mc, &m, &err), "bad_sub");
	mc = *mc_default();
	mc.sub = "";
	REFUSE(sg_token_mint_container(key1, &mc, &m, &err), "bad_sub");
	mc = *mc_default();
	mc.org = "x\r\nX-Container-ID: victim";
	REFUSE(sg_token_mint_container(key1, &mc, &m, &err),
	    "bad_organization_uuid");
	mc = *mc_default();
	mc.container_id = "abc def";
	REFUSE(sg_token_mint_container(key1, &mc, &m, &err),
	    "bad_container_id");
	mc = *mc_default();
	mc.container_id = "";
	REFUSE(sg_token_mint_container(key1, &mc, &m, &err),
	    "bad_container_id");
	mc = *mc_default();
	mc.issuer = "";
	REFUSE(sg_token_mint_container(key1, &mc, &m, &err), "bad_issuer");
	mc = *mc_default();
	mc.issuer = ISS "\n";
	REFUSE(sg_token_mint_container(key1, &mc, &m, &err), "bad_issuer");
	mc = *mc_default();
	mc.ttl = 0;
	REFUSE(sg_token_mint_container(key1, &mc, &m, &err), "bad_ttl");
	mc.ttl = -5;
	REFUSE(sg_token_mint_container(key1, &mc, &m, &err), "bad_ttl");
	mc.ttl = 86401;
	REFUSE(sg_token_mint_container(key1, &mc, &m, &err), "bad_ttl");
	mc.max_ttl = 0;
	mc.ttl = SG_TOKEN_TTL_LIMIT + 1;
	REFUSE(sg_token_mint_container(key1, &mc, &m, &err), "bad_ttl");
	mc = *mc_default();
	mc.hosts = NULL;
	REFUSE(sg_token_mint_container(key1, &mc, &m, &err),
	    "bad_allowed_hosts");

	/* Patterns built by hand that the parser would never produce. */
	memset(&pat, 0, sizeof(pat));
	pat.kind = SG_HOST_NAME;
	pat.wildcard = 1;
	strlcpy(pat.name, "com", sizeof(pat.name));		/* "*.com" */
	sg_hostlist_init(&bad);
	ck_assert_int_eq(sg_hostlist_add(&bad, &pat, NULL), SG_OK);
	mc = *mc_default();
	mc.hosts = &bad;
	REFUSE(sg_token_mint_container(key1, &mc, &m, &err),
	    "bad_allowed_hosts");
	sg_hostlist_clear(&bad);
	memset(&pat, 0, sizeof(pat));
	pat.kind = SG_HOST_NAME;
	pat.wildcard = 0;					/* "" */
	ck_assert_int_eq(sg_hostlist_add(&bad, &pat, NULL), SG_OK);
	REFUSE(sg_token_mint_container(key1, &mc, &m, &err),
	    "bad_allowed_hosts");
	sg_hostlist_clear(&bad);
	memset(&pat, 0, sizeof(pat));
	pat.kind = SG_HOST_NAME;
	strlcpy(pat.name, "a.com\r\nX: y", sizeof(pat.name));
	ck_assert_int_eq(sg_hostlist_add(&bad, &pat, NULL), SG_OK);
	REFUSE(sg_token_mint_container(key1, &mc, &m, &err),
	    "bad_allowed_hosts");
	sg_hostlist_clear(&bad);
	memset(&pat, 0, sizeof(pat));
	pat.kind = SG_HOST_NAME;
	strlcpy(pat.name, "a.com,b.com", sizeof(pat.name));
	ck_assert_int_eq(sg_hostlist_add(&bad, &pat, NULL), SG_OK);
	REFUSE(sg_token_mint_container(key1, &mc, &m, &err),
	    "bad_allowed_hosts");
	sg_hostlist_clear(&bad);

	/* Not canonical: the verifier would read another host list. */
	memset(&pat, 0, sizeof(pat));
	pat.kind = SG_HOST_NAME;
	strlcpy(pat.name, "GitHub.com", sizeof(pat.name));
	ck_assert_int_eq(sg_hostlist_add(&bad, &pat, NULL), SG_OK);
	REFUSE(sg_token_mint_container(key1, &mc, &m, &err),
	    "bad_allowed_hosts");
	sg_hostlist_clear(&bad);
	memset(&pat, 0, sizeof(pat));
	pat.kind = SG_HOST_NAME;
	strlcpy(pat.name, "github.com.", sizeof(pat.name));
	ck_assert_int_eq(sg_hostlist_add(&bad, &pat, NULL), SG_OK);
	REFUSE(sg_token_mint_container(key1, &mc, &m, &err),
	    "bad_allowed_hosts");
	sg_hostlist_clear(&bad);

	/* C12: a wildcard on a public suffix, named in the sentence. */
	sg_hostlist_clear(&bad);
	ck_assert_int_eq(sg_hosts_parse("github.com,*.github.io", 22, &bad,
	    NULL), SG_OK);
	mc = *mc_default();
	mc.hosts = &bad;
	REFUSE(sg_token_mint_container(key1, &mc, &m, &err),
	    "bad_allowed_hosts");
	ck_assert_msg(strstr(err.msg, "*.github.io is a wildcard on a public "
	    "suffix") != NULL, "%s", err.msg);
	sg_hostlist_clear(&bad);
	ck_assert_int_eq(sg_hosts_parse("*.co.uk", 7, &bad, NULL), SG_OK);
	REFUSE(sg_token_mint_container(key1, &mc, &m, &err),
	    "bad_allowed_hosts");
	sg_hostlist_clear(&bad);
	/* One level below, and an exact suffix, are fine. */
	ck_assert_int_eq(sg_hosts_parse("*.example.co.uk,github.io", 25,
	    &bad, NULL), SG_OK);
	ck_assert_int_eq(sg_token_mint_container(key1, &mc, &m, &err), SG_OK);
	ck_assert_str_eq(vcode(m.token), "ok");
	sg_minted_clear(&m);
	sg_hostlist_clear(&bad);

	REFUSE(sg_token_mint_operator(key1, ISS, "alice", "admin", 60,
	    (time_t)NOW, &m, &err), "bad_scope");
	REFUSE(sg_token_mint_operator(key1, ISS, "alice", "", 60,
	    (time_t)NOW, &m, &err), "bad_scope");
	REFUSE(sg_token_mint_operator(key1, ISS, "alice",
	    "tokens:issue\r\nX: y", 60, (time_t)NOW, &m, &err), "bad_scope");
	REFUSE(sg_token_mint_operator(key1, ISS, "al\nice", "tokens:issue",
	    60, (time_t)NOW, &m, &err), "bad_sub");
	REFUSE(sg_token_mint_operator(key1, ISS, "alice", "tokens:issue", 0,
	    (time_t)NOW, &m, &err), "bad_ttl");
	REFUSE(sg_token_mint_operator(key1, "", "alice", "tokens:issue", 60,
	    (time_t)NOW, &m, &err), "bad_issuer");
	sg_hostlist_clear(&hosts);
#undef REFUSE
}
END_TEST

/*
 * Pins: lib/token.c called a failed allocation while checking the host
 * list "bad_allowed_hosts" (the issuer's 400 where a 500 is due).  Each
 * allocation of sandgate's and cJSON's in minting fails in turn.
 */
START_TEST(mint_enomem)
{
	struct sg_mint_container mc = *mc_default();
	struct sg_minted	 m;
	struct sg_err		 err;
	enum sg_rc		 rc;
	long			 at, hits = 0;

	sgtest_failalloc_cjson();
	for (at = 0; ; at++) {
		memset(&m, 0, sizeof(m));
		sg_err_clear(&err);
		sgtest_failalloc_at(at);
		rc = sg_token_mint_container(key1, &mc, &m, &err);
		sgtest_failalloc_off();
		if (!sgtest_failalloc_hit(at)) {
			ck_assert_msg(rc == SG_OK, "%s", err.msg);
			sg_minted_clear(&m);
			break;
		}
		ck_assert_msg(rc == SG_ENOMEM && err.rc == SG_ENOMEM,
		    "allocation %ld failed: %s (%s)", at, err.code, err.msg);
		ck_assert_ptr_null(m.token);
		hits++;
	}
	cJSON_InitHooks(NULL);
	ck_assert_int_ge(hits, 5);
	sg_hostlist_clear(&hosts);
}
END_TEST

/*
 * The same on the verifying side (token-verify's 407/401 where a 500 is
 * due): each allocation in sg_token_verify fails in turn.
 */
START_TEST(verify_enomem)
{
	struct sg_mint_container mc = *mc_default();
	struct sg_minted	 m;
	struct sg_claims	 c;
	struct sg_err		 err;
	enum sg_rc		 rc;
	long			 at, hits = 0;

	ck_assert_int_eq(sg_token_mint_container(key1, &mc, &m, NULL), SG_OK);
	sgtest_failalloc_cjson();
	for (at = 0; ; at++) {
		sg_claims_init(&c);
		sg_err_clear(&err);
		sgtest_failalloc_at(at);
		rc = sg_token_verify(ks, m.token, strlen(m.token), &opts, &c,
		    &err);
		sgtest_failalloc_off();
		sg_claims_clear(&c);
		if (!sgtest_failalloc_hit(at)) {
			ck_assert_msg(rc == SG_OK, "%s", err.msg);
			break;
		}
		ck_assert_msg(rc == SG_ENOMEM && err.rc == SG_ENOMEM,
		    "allocation %ld failed: %s (%s)", at, err.code, err.msg);
		hits++;
	}
	cJSON_InitHooks(NULL);
	ck_assert_int_ge(hits, 5);
	sg_minted_clear(&m);
	sg_hostlist_clear(&hosts);
}
END_TEST

/*
 * A comma list of 40 distinct names, total bytes long (at least 40 * 16),
 * no label over 60 bytes.
 */
static char *
hosts_of_len(size_t total)
{
	char	*s;
	size_t	 i, each, extra, len, k, off = 0;

	ck_assert_uint_ge(total, 40 * 16);
	s = malloc(total + 1);
	ck_assert_ptr_nonnull(s);
	each = (total - 39) / 40;
	extra = (total - 39) % 40;
	for (i = 0; i < 40; i++) {
		len = each + (i < extra ? 1 : 0);
		if (i > 0)
			s[off++] = ',';
		/* "h07-aaa...a.com", a dot every 60 bytes */
		off += (size_t)snprintf(s + off, total + 1 - off, "h%02zu-", i);
		for (k = 4; k < len - 4; k++)
			s[off++] = (k % 61 == 60 && k < len - 5) ? '.' : 'a';
		memcpy(s + off, ".com", 4);
		off += 4;
	}
	ck_assert_uint_eq(off, total);
	s[off] = '\0';
	return s;
}

/* Mint with hosts of total bytes; SG_OK or the error, token in *m. */
static enum sg_rc
mint_hosts_len(size_t total, struct sg_minted *m, struct sg_err *err)
{
	struct sg_mint_container mc = *mc_default();
	struct sg_hostlist	 hl;
	char			*s = hosts_of_len(total);
	enum sg_rc		 rc;

	sg_hostlist_init(&hl);
	ck_assert_msg(sg_hosts_parse(s, strlen(s), &hl, err) == SG_OK, "%s",
	    err->msg);
	mc.hosts = &hl;
	sg_err_clear(err);
	rc = sg_token_mint_container(key1, &mc, m, err);
	sg_hostlist_clear(&hl);
	free(s);
	return rc;
}

/*
 * The egress credential's header line stays within Apache's
 * LimitRequestFieldSize (SG_TOKEN_CRED_MAX), counted exactly: the largest
 * line base64 can make (8187: the line is 27 + a multiple of 4) is
 * issued and its token verifies, the next one (8191) is refused at issue
 * with token_too_large and a sentence with the length and the limit.
 */
START_TEST(cred_limit)
{
	struct sg_minted	 m;
	struct sg_err		 err;
	char			 user[SG_JWT_MAX_LEN + 64];
	char			 b64[sizeof(user) * 4 / 3 + 8];
	char			 line[sizeof(b64) + 32];
	size_t			 total, cl, last_ok = 0;
	enum sg_rc		 rc;

	/* "Proxy-Authorization: Basic " + base64 of 15 + id + token bytes */
	ck_assert_uint_eq(sg_token_proxy_credential_len(0, 0), 27 + 20);
	ck_assert_uint_eq(sg_token_proxy_credential_len(30, 6000),
	    27 + (15 + 30 + 6000 + 2) / 3 * 4);
	for (total = 3800; total < 5000; total++) {
		memset(&m, 0, sizeof(m));
		rc = mint_hosts_len(total, &m, &err);
		if (rc != SG_OK) {
			ck_assert_int_eq(rc, SG_EINVAL);
			ck_assert_str_eq(err.code, "token_too_large");
			ck_assert_ptr_null(m.token);
			break;
		}
		/* The real header line a sandbox sends. */
		snprintf(user, sizeof(user), "container_%s:jwt_%s", CID,
		    m.token);
		ck_assert_uint_gt(sg_b64_encode(user, strlen(user), b64,
		    sizeof(b64)), 0);
		snprintf(line, sizeof(line), "Proxy-Authorization: Basic %s",
		    b64);
		cl = sg_token_proxy_credential_len(strlen(CID),
		    strlen(m.token));
		ck_assert_uint_eq(cl, strlen(line));
		ck_assert_uint_le(cl, SG_TOKEN_CRED_MAX);
		last_ok = cl;
		ck_assert_str_eq(vcode(m.token), "ok");
		sg_minted_clear(&m);
	}
	ck_assert_uint_eq(last_ok, 8187);
	ck_assert_msg(strstr(err.msg, "would be 8191 bytes, 1 over Apache's "
	    "LimitRequestFieldSize 8190") != NULL, "%s", err.msg);
	/* Far over: the same refusal, not the JWT's own size limit. */
	memset(&m, 0, sizeof(m));
	ck_assert_int_eq(mint_hosts_len(9000, &m, &err), SG_EINVAL);
	ck_assert_str_eq(err.code, "token_too_large");
	ck_assert_msg(strstr(err.msg, "proxy credential") != NULL, "%s",
	    err.msg);
	ck_assert_ptr_null(m.token);
	sg_hostlist_clear(&hosts);
}
END_TEST

/* S10 through the whole path: every token's signature is 86 chars. */
START_TEST(many_tokens)
{
	struct sg_mint_container mc = *mc_default();
	struct sg_minted	 m;
	const char		*dot;
	int			 i;

	for (i = 0; i < 2000; i++) {
		ck_assert_int_eq(sg_token_mint_container(key1, &mc, &m, NULL),
		    SG_OK);
		dot = strrchr(m.token, '.');
		ck_assert_uint_eq(strlen(dot + 1), 86);
		ck_assert_str_eq(vcode(m.token), "ok");
		sg_minted_clear(&m);
	}
	sg_hostlist_clear(&hosts);
}
END_TEST

static Suite *
security_suite(void)
{
	Suite	*s = suite_create("security");
	TCase	*tc = tcase_create("tokens");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, valid_container);
	tcase_add_test(tc, valid_container_no_hosts);
	tcase_add_test(tc, valid_operator);
	tcase_add_test(tc, fresh_jti);
	tcase_add_test(tc, audience_confusion);
	tcase_add_test(tc, wrong_key);
	tcase_add_test(tc, json_traps);
	tcase_add_test(tc, time_claims);
	tcase_add_test(tc, project_claims);
	tcase_add_test(tc, jwt_sign_payloads);
	tcase_add_test(tc, no_aud);
	tcase_add_test(tc, must_accept);
	tcase_add_test(tc, rfc7515_a3);
	tcase_add_test(tc, mint_refuses);
	tcase_add_test(tc, many_tokens);
	tcase_add_test(tc, cred_limit);
	tcase_add_test(tc, mint_enomem);
	tcase_add_test(tc, verify_enomem);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(security_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
