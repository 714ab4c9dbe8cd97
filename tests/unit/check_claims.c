/* SPDX-License-Identifier: ISC */
/*
 * Claims validation (lib/claims.c): docs/security.md 3.6 (T1-T8) and
 * 3.7 (C1-C7, C9, C10) at the claims layer, the audience and kind rules,
 * operator scopes, the lifetime limit and accept_no_aud.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claims.h"
#include "sgtest.h"
#include "sgtest_failalloc.h"
#include "json.h"

#define NOW	SGTEST_NOW
#define ISS	"https://sandgate.test"
#define ORG	"3f2504e0-4f89-41d3-9a0c-0305e82c3301"
#define CID	"sandbox_AAAAAAAAAAAAAAAAAAAAAA"

static struct sg_verify_opts	 opts;

static void
setup(void)
{
	memset(&opts, 0, sizeof(opts));
	opts.issuer = ISS;
	opts.accept_no_aud = 0;
	opts.leeway = 30;
	opts.max_ttl = 86400;
	opts.now = (time_t)NOW;
}

static void
set_num(cJSON *o, const char *name, double v)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, name);
	ck_assert_ptr_nonnull(cJSON_AddNumberToObject(o, name, v));
}

static void
set_str(cJSON *o, const char *name, const char *v)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, name);
	ck_assert_ptr_nonnull(cJSON_AddStringToObject(o, name, v));
}

/* Replace a member with the value of a JSON text (strictly parsed). */
static void
set_raw(cJSON *o, const char *name, const char *json)
{
	cJSON	*v;

	v = sg_json_parse(json, strlen(json), NULL);
	ck_assert_msg(v != NULL, "bad test JSON %s", json);
	cJSON_DeleteItemFromObjectCaseSensitive(o, name);
	cJSON_AddItemToObject(o, name, v);
}

static void
del(cJSON *o, const char *name)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, name);
}

static cJSON *
base_common(const char *aud)
{
	cJSON	*o = cJSON_CreateObject();

	ck_assert_ptr_nonnull(o);
	set_str(o, "iss", ISS);
	set_str(o, "sub", "user_1");
	if (aud != NULL)
		set_str(o, "aud", aud);
	set_num(o, "iat", (double)NOW);
	set_num(o, "nbf", (double)NOW);
	set_num(o, "exp", (double)(NOW + 3600));
	set_str(o, "jti", "AAAAAAAAAAAAAAAAAAAAAA");
	return o;
}

static cJSON *
base_container(void)
{
	cJSON	*o = base_common(SG_AUD_EGRESS);

	set_str(o, "container_id", CID);
	set_str(o, "organization_uuid", ORG);
	set_str(o, "allowed_hosts", "github.com,*.pypi.org,c.com:8443");
	set_str(o, "enforce_container_binding", "true");
	set_str(o, "use_egress_gateway", "true");
	set_str(o, "enforce_centralized_egress", "true");
	set_str(o, "is_hipaa_regulated", "false");
	set_str(o, "is_pci_compliant", "false");
	return o;
}

static cJSON *
base_operator(void)
{
	cJSON	*o = base_common(SG_AUD_API);

	set_str(o, "sub", "alice");
	set_str(o, "scope", "tokens:issue sessions:read");
	return o;
}

/* Validate and return "ok" or the reason code; frees nothing. */
static const char *
verdict_c(const cJSON *p, struct sg_claims *c)
{
	static char	 code[64];
	struct sg_err	 err;
	enum sg_rc	 rc;

	sg_err_clear(&err);
	sg_claims_init(c);
	rc = sg_claims_validate(p, &opts, c, &err);
	if (rc == SG_OK) {
		ck_assert_int_eq(err.rc, SG_OK);
		return "ok";
	}
	ck_assert_ptr_nonnull(err.code);
	ck_assert_int_eq(err.rc, rc);
	/* Failing validation leaves nothing allocated. */
	ck_assert_ptr_null(c->allowed_hosts);
	if (rc != SG_EAUTH)
		snprintf(code, sizeof(code), "rc%d:%s", (int)rc, err.code);
	else
		snprintf(code, sizeof(code), "%s", err.code);
	return code;
}

static const char *
verdict(const cJSON *p)
{
	struct sg_claims	 c;
	const char		*v;

	v = verdict_c(p, &c);
	sg_claims_clear(&c);
	return v;
}

#define EXPECT(o, code)	do {						\
	cJSON	*o_ = (o);						\
	char	*t_ = sg_json_print(o_);				\
	ck_assert_msg(strcmp(verdict(o_), (code)) == 0,			\
	    "%s: got %s, want %s", t_, verdict(o_), (code));		\
	free(t_);							\
	cJSON_Delete(o_);						\
} while (0)

START_TEST(baseline)
{
	struct sg_claims	 c;
	cJSON			*o;

	o = base_container();
	ck_assert_str_eq(verdict_c(o, &c), "ok");
	ck_assert_int_eq(c.kind, SG_KIND_CONTAINER);
	ck_assert_int_eq(c.has_aud, 1);
	ck_assert_str_eq(c.iss, ISS);
	ck_assert_str_eq(c.sub, "user_1");
	ck_assert_str_eq(c.jti, "AAAAAAAAAAAAAAAAAAAAAA");
	ck_assert_str_eq(c.container_id, CID);
	ck_assert_str_eq(c.org, ORG);
	ck_assert_str_eq(c.allowed_hosts, "github.com,*.pypi.org,c.com:8443");
	ck_assert_uint_eq(c.hosts.n, 3);
	ck_assert_int_eq(c.iat, NOW);
	ck_assert_int_eq(c.nbf, NOW);
	ck_assert_int_eq(c.exp, NOW + 3600);
	ck_assert_int_eq(c.binding, 1);
	ck_assert_int_eq(c.use_egress_gateway, 1);
	ck_assert_int_eq(c.enforce_centralized_egress, 1);
	ck_assert_int_eq(c.hipaa, 0);
	ck_assert_int_eq(c.pci, 0);
	sg_claims_clear(&c);
	cJSON_Delete(o);

	o = base_operator();
	ck_assert_str_eq(verdict_c(o, &c), "ok");
	ck_assert_int_eq(c.kind, SG_KIND_OPERATOR);
	ck_assert_str_eq(c.sub, "alice");
	ck_assert_str_eq(c.scope, "tokens:issue sessions:read");
	ck_assert_uint_eq(c.scopes,
	    SG_SCOPE_TOKENS_ISSUE | SG_SCOPE_SESSIONS_READ);
	ck_assert_ptr_null(c.allowed_hosts);
	sg_claims_clear(&c);
	cJSON_Delete(o);
}
END_TEST

/* T1: exp is required. */
START_TEST(t1_exp_missing)
{
	cJSON	*o = base_container();

	del(o, "exp");
	EXPECT(o, "missing_claim");
	o = base_operator();
	del(o, "exp");
	EXPECT(o, "missing_claim");
}
END_TEST

/* T2: now must be before exp (+ leeway). */
START_TEST(t2_expiry)
{
	cJSON	*o;

	opts.leeway = 0;
	o = base_container();
	set_num(o, "exp", (double)(NOW - 1));
	set_num(o, "iat", (double)(NOW - 100));
	set_num(o, "nbf", (double)(NOW - 100));
	EXPECT(o, "token_expired");
	o = base_container();
	set_num(o, "exp", (double)NOW);
	set_num(o, "iat", (double)(NOW - 100));
	set_num(o, "nbf", (double)(NOW - 100));
	EXPECT(o, "token_expired");
	o = base_container();
	set_num(o, "exp", (double)(NOW + 1));
	EXPECT(o, "ok");

	opts.leeway = 30;
	o = base_container();
	set_num(o, "iat", (double)(NOW - 100));
	set_num(o, "nbf", (double)(NOW - 100));
	set_num(o, "exp", (double)(NOW - 31));
	EXPECT(o, "token_expired");
	o = base_container();
	set_num(o, "iat", (double)(NOW - 100));
	set_num(o, "nbf", (double)(NOW - 100));
	set_num(o, "exp", (double)(NOW - 30));
	EXPECT(o, "token_expired");
	o = base_container();
	set_num(o, "iat", (double)(NOW - 100));
	set_num(o, "nbf", (double)(NOW - 100));
	set_num(o, "exp", (double)(NOW - 29));
	EXPECT(o, "ok");
}
END_TEST

/*
 * 3.8.1: an expired token is reported as expired even when it lacks the
 * project's claims (RFC 7515 A.3 has only iss, exp and one more).
 */
START_TEST(expired_first)
{
	cJSON	*o;

	o = cJSON_CreateObject();
	set_str(o, "iss", ISS);
	set_num(o, "exp", 1300819380.0);
	set_raw(o, "http://example.com/is_root", "true");
	EXPECT(o, "token_expired");
	o = base_operator();
	set_str(o, "aud", "x");
	set_num(o, "exp", (double)(NOW - 31));
	set_num(o, "iat", (double)(NOW - 100));
	EXPECT(o, "token_expired");
}
END_TEST

/* T3: exp of the wrong type. */
START_TEST(t3_exp_type)
{
	static const char *const bad[] = { "\"9999999999\"", "true", "null",
	    "[]", "{}", "[1767229200]", "\"1767229200\"", NULL };
	const char	*const *b;
	cJSON		*o;

	for (b = bad; *b != NULL; b++) {
		o = base_container();
		set_raw(o, "exp", *b);
		EXPECT(o, "bad_claim");
	}
}
END_TEST

/* T4: exp out of range, and 2^31 read exactly. */
START_TEST(t4_exp_range)
{
	static const char *const bad[] = { "1e400", "99999999999999999999",
	    "-1", "0", "-0", "1e20", "1099511627776", "-1767229200", NULL };
	const char		*const *b;
	struct sg_claims	 c;
	cJSON			*o;

	for (b = bad; *b != NULL; b++) {
		o = base_container();
		set_raw(o, "exp", *b);
		EXPECT(o, "bad_claim");
	}
	/*
	 * exp = 2147483648 (2038-01-19T03:14:08Z) is a legitimate value:
	 * it must be refused by the lifetime rule, not by a clamp.
	 */
	o = base_container();
	set_raw(o, "exp", "2147483648");
	ck_assert_str_eq(verdict_c(o, &c), "lifetime_too_long");
	sg_claims_clear(&c);
	opts.max_ttl = INT64_C(1) << 40;
	ck_assert_str_eq(verdict_c(o, &c), "ok");
	ck_assert_int_eq(c.exp, INT64_C(2147483648));
	sg_claims_clear(&c);
	/* And the largest accepted value, 2^40 - 1. */
	set_raw(o, "exp", "1099511627775");
	ck_assert_str_eq(verdict_c(o, &c), "ok");
	ck_assert_int_eq(c.exp, INT64_C(1099511627775));
	sg_claims_clear(&c);
	cJSON_Delete(o);
}
END_TEST

/* T5: fractional times are refused. */
START_TEST(t5_fractions)
{
	cJSON	*o;

	o = base_container();
	set_num(o, "exp", (double)NOW + 100.5);
	EXPECT(o, "bad_claim");
	o = base_container();
	set_raw(o, "exp", "1767229200.5");
	EXPECT(o, "bad_claim");
	o = base_container();
	set_raw(o, "iat", "1767225600.25");
	EXPECT(o, "bad_claim");
	o = base_container();
	set_raw(o, "nbf", "1767225599.9");
	EXPECT(o, "bad_claim");
	/* An integral value in exponent form is an integer. */
	o = base_container();
	set_raw(o, "exp", "1.7672292e9");
	EXPECT(o, "ok");
}
END_TEST

/* T6: iat. */
START_TEST(t6_iat)
{
	cJSON	*o;

	o = base_container();
	del(o, "iat");
	EXPECT(o, "missing_claim");
	o = base_container();
	set_num(o, "iat", (double)(NOW + 31));
	set_num(o, "nbf", (double)NOW);
	EXPECT(o, "token_not_yet_valid");
	o = base_container();
	set_num(o, "iat", (double)(NOW + 30));
	EXPECT(o, "ok");
	/* iat after exp. */
	o = base_container();
	set_num(o, "iat", (double)(NOW + 20));
	set_num(o, "exp", (double)(NOW + 10));
	EXPECT(o, "bad_claim");
	/* Lifetime: exactly max_ttl passes, one more second does not. */
	o = base_container();
	set_num(o, "iat", (double)NOW);
	set_num(o, "exp", (double)(NOW + 86400));
	EXPECT(o, "ok");
	o = base_container();
	set_num(o, "iat", (double)NOW);
	set_num(o, "exp", (double)(NOW + 86401));
	EXPECT(o, "lifetime_too_long");
	o = base_container();
	set_raw(o, "iat", "\"1767225600\"");
	EXPECT(o, "bad_claim");
	o = base_container();
	set_raw(o, "iat", "1.5");
	EXPECT(o, "bad_claim");
	o = base_container();
	set_raw(o, "iat", "null");
	EXPECT(o, "bad_claim");
}
END_TEST

/* T7: nbf. */
START_TEST(t7_nbf)
{
	struct sg_claims	 c;
	cJSON			*o;

	o = base_container();
	set_num(o, "nbf", (double)(NOW + 31));
	EXPECT(o, "token_not_yet_valid");
	o = base_container();
	set_raw(o, "nbf", "\"1767225600\"");
	EXPECT(o, "bad_claim");
	o = base_container();
	set_num(o, "nbf", (double)NOW);
	EXPECT(o, "ok");
	o = base_container();
	set_num(o, "nbf", (double)(NOW + 30));
	EXPECT(o, "ok");
	o = base_container();
	set_raw(o, "nbf", "0");
	EXPECT(o, "bad_claim");
	/* nbf is optional. */
	o = base_container();
	del(o, "nbf");
	ck_assert_str_eq(verdict_c(o, &c), "ok");
	ck_assert_int_eq(c.nbf, 0);
	sg_claims_clear(&c);
	cJSON_Delete(o);
}
END_TEST

/*
 * T8: step the clock across a token's window; the leeway widens each
 * edge once, never twice.
 */
START_TEST(t8_clock)
{
	cJSON	*o;
	int64_t	 t, iat = NOW, exp = NOW + 600, lw;
	int	 ok, want;

	o = base_container();
	set_num(o, "iat", (double)iat);
	set_num(o, "nbf", (double)iat);
	set_num(o, "exp", (double)exp);
	for (lw = 0; lw <= 60; lw += 30) {
		opts.leeway = lw;
		for (t = iat - 100; t <= exp + 100; t++) {
			opts.now = (time_t)t;
			ok = strcmp(verdict(o), "ok") == 0;
			want = t + lw >= iat && t < exp + lw;
			ck_assert_msg(ok == want, "leeway %lld now %+lld: %s",
			    (long long)lw, (long long)(t - iat), verdict(o));
		}
	}
	cJSON_Delete(o);
}
END_TEST

static const char *const flags[] = {
	"enforce_container_binding", "use_egress_gateway",
	"enforce_centralized_egress", "is_hipaa_regulated",
	"is_pci_compliant", NULL
};

static int
flag_value(const struct sg_claims *c, const char *name)
{
	if (strcmp(name, "enforce_container_binding") == 0)
		return c->binding;
	if (strcmp(name, "use_egress_gateway") == 0)
		return c->use_egress_gateway;
	if (strcmp(name, "enforce_centralized_egress") == 0)
		return c->enforce_centralized_egress;
	if (strcmp(name, "is_hipaa_regulated") == 0)
		return c->hipaa;
	return c->pci;
}

/* C1, C2: flags are exactly "true" or "false". */
START_TEST(c1_flags)
{
	static const char *const bad[] = { "true", "false", "\"TRUE\"",
	    "\"True\"", "\"FALSE\"", "\"1\"", "\"0\"", "\"yes\"", "\"no\"",
	    "\"\"", "\"false \"", "\" false\"", "\"fals\"", "\"true\\n\"",
	    "null", "[\"false\"]", "[]", "{}", "0", "1", NULL };
	const char		*const *f, *const *b;
	struct sg_claims	 c;
	cJSON			*o;

	for (f = flags; *f != NULL; f++) {
		for (b = bad; *b != NULL; b++) {
			o = base_container();
			set_raw(o, *f, *b);
			EXPECT(o, "bad_claim");
		}
		o = base_container();
		set_str(o, *f, "true");
		ck_assert_str_eq(verdict_c(o, &c), "ok");
		ck_assert_int_eq(flag_value(&c, *f), 1);
		sg_claims_clear(&c);
		set_str(o, *f, "false");
		ck_assert_str_eq(verdict_c(o, &c), "ok");
		ck_assert_int_eq(flag_value(&c, *f), 0);
		sg_claims_clear(&c);
		/* Missing: binding defaults to on, the others to off. */
		del(o, *f);
		ck_assert_str_eq(verdict_c(o, &c), "ok");
		ck_assert_int_eq(flag_value(&c, *f),
		    strcmp(*f, "enforce_container_binding") == 0);
		sg_claims_clear(&c);
		cJSON_Delete(o);
	}
}
END_TEST

/* C3: container_id has one form; no prefix, case or padding games. */
START_TEST(c3_container_id)
{
	static const char *const bad[] = { "\"\"", "\"abc def\"",
	    "\"abc\\n\"", "\"abc \"", "\" abc\"", "\"a/b\"", "\"../x\"",
	    "\"a.b\"", "\"a:b\"", "\"a\\u0001b\"", "\"\\u00e9\"", "1", "null",
	    "[\"abc\"]", "{}", "true", NULL };
	const char	*const *b;
	char		 id[SG_ID_MAX + 2];
	cJSON		*o;
	static const char nul[] = "{\"container_id\":\"abc\\u0000evil\"}";

	for (b = bad; *b != NULL; b++) {
		o = base_container();
		set_raw(o, "container_id", *b);
		EXPECT(o, "bad_claim");
	}
	o = base_container();
	del(o, "container_id");
	EXPECT(o, "missing_claim");
	/* 128 characters pass, 129 do not. */
	memset(id, 'a', SG_ID_MAX);
	id[SG_ID_MAX] = '\0';
	o = base_container();
	set_str(o, "container_id", id);
	EXPECT(o, "ok");
	id[SG_ID_MAX] = 'a';
	id[SG_ID_MAX + 1] = '\0';
	o = base_container();
	set_str(o, "container_id", id);
	EXPECT(o, "bad_claim");
	/* \u0000 truncation never reaches the claims layer. */
	ck_assert_ptr_null(sg_json_parse_object(nul, strlen(nul), NULL));
}
END_TEST

/* C5: allowed_hosts is a valid host list string; "" means none. */
START_TEST(c5_allowed_hosts)
{
	static const char *const bad[] = { "[\"github.com\"]", "1", "{}",
	    "null", "true", "\",\"", "\"github.com,\"", "\",github.com\"",
	    "\"github.com,,pypi.org\"", "\" github.com\"", "\"github.com \"",
	    "\"github.com, pypi.org\"", "\"*\"", "\"*.com\"",
	    "\"https://github.com\"", "\"github.com/path\"",
	    "\"g\\u0456thub.com\"", "\"github.com..\"", "\"a@b.com\"",
	    "\"github.com:0\"", "\"github.com:65536\"", "\"github.com:0443\"",
	    "\"github.com\\r\\nX: y\"", NULL };
	const char		*const *b;
	struct sg_claims	 c;
	cJSON			*o;
	char			*big;
	size_t			 i, n;

	for (b = bad; *b != NULL; b++) {
		o = base_container();
		set_raw(o, "allowed_hosts", *b);
		EXPECT(o, "bad_claim");
	}
	o = base_container();
	del(o, "allowed_hosts");
	EXPECT(o, "missing_claim");
	/* "" is a sandbox that may reach nothing. */
	o = base_container();
	set_str(o, "allowed_hosts", "");
	ck_assert_str_eq(verdict_c(o, &c), "ok");
	ck_assert_uint_eq(c.hosts.n, 0);
	ck_assert_str_eq(c.allowed_hosts, "");
	sg_claims_clear(&c);
	cJSON_Delete(o);
	/* Normalised: lowercase, one trailing dot removed. */
	o = base_container();
	set_str(o, "allowed_hosts", "GITHUB.COM,pypi.org.");
	ck_assert_str_eq(verdict_c(o, &c), "ok");
	ck_assert_uint_eq(c.hosts.n, 2);
	ck_assert_str_eq(c.hosts.v[0].name, "github.com");
	ck_assert_str_eq(c.hosts.v[1].name, "pypi.org");
	sg_claims_clear(&c);
	cJSON_Delete(o);
	/* 3.8.6: \u-escaped ASCII is the same host. */
	o = base_container();
	set_raw(o, "allowed_hosts", "\"\\u0067ithub.com\"");
	ck_assert_str_eq(verdict_c(o, &c), "ok");
	ck_assert_str_eq(c.hosts.v[0].name, "github.com");
	sg_claims_clear(&c);
	cJSON_Delete(o);
	/* 10 000 entries, and a 1 MB string. */
	n = 10000 * 8;
	big = malloc(1024 * 1024 + 1);
	ck_assert_ptr_nonnull(big);
	for (i = 0; i < 10000; i++)
		memcpy(big + i * 8, "a.bc.de,", 8);
	big[n - 1] = '\0';
	o = base_container();
	set_str(o, "allowed_hosts", big);
	EXPECT(o, "bad_claim");
	memset(big, 'a', 1024 * 1024);
	memcpy(big + 1024 * 1024 - 4, ".com", 4);
	big[1024 * 1024] = '\0';
	o = base_container();
	set_str(o, "allowed_hosts", big);
	EXPECT(o, "bad_claim");
	free(big);
}
END_TEST

/* C12: a wildcard on a public suffix is refused at verify, however signed. */
START_TEST(c12_public_suffix)
{
	static const char *const bad[] = { "*.co.uk", "*.github.io",
	    "github.com,*.s3.amazonaws.com", "*.CO.UK", NULL };
	static const char *const good[] = { "*.example.co.uk",
	    "*.api.github.com", "github.io", "co.uk,*.github.com", NULL };
	const char		*const *b;
	struct sg_claims	 c;
	struct sg_err		 err;
	cJSON			*o;

	for (b = bad; *b != NULL; b++) {
		o = base_container();
		set_str(o, "allowed_hosts", *b);
		sg_err_clear(&err);
		sg_claims_init(&c);
		ck_assert_int_eq(sg_claims_validate(o, &opts, &c, &err),
		    SG_EAUTH);
		ck_assert_str_eq(err.code, "bad_claim");
		ck_assert_msg(strstr(err.msg, "public suffix") != NULL, "%s",
		    err.msg);
		ck_assert_ptr_null(c.allowed_hosts);
		sg_claims_clear(&c);
		cJSON_Delete(o);
	}
	for (b = good; *b != NULL; b++) {
		o = base_container();
		set_str(o, "allowed_hosts", *b);
		ck_assert_msg(strcmp(verdict_c(o, &c), "ok") == 0, "%s", *b);
		sg_claims_clear(&c);
		cJSON_Delete(o);
	}
}
END_TEST

/* C6: organization_uuid and jti have fixed forms. */
START_TEST(c6_org_jti)
{
	static const char *const badorg[] = { "\"x EX 0\"", "\"a b\"",
	    "\"*\"", "\"org\\r\\nFLUSHALL\"", "\"\"",
	    "\"3f2504e04f8941d39a0c0305e82c3301\"",
	    "\"3f2504e0-4f89-41d3-9a0c-0305e82c330\"",
	    "\"3f2504e0-4f89-41d3-9a0c-0305e82c33011\"",
	    "\"3f2504e0-4f89-41d3-9a0c-0305e82c330g\"",
	    "\"3f2504e0_4f89-41d3-9a0c-0305e82c3301\"",
	    "\"{3f2504e0-4f89-41d3-9a0c-0305e82c3301}\"",
	    "1", "null", NULL };
	static const char *const badjti[] = { "\"x EX 0\"", "\"a b\"",
	    "\"*\"", "\"a\\r\\nFLUSHALL\"", "\"\"", "\"a.b\"", "1", "null",
	    "[\"a\"]", NULL };
	const char	*const *b;
	cJSON		*o;
	char		*big;

	for (b = badorg; *b != NULL; b++) {
		o = base_container();
		set_raw(o, "organization_uuid", *b);
		EXPECT(o, "bad_claim");
	}
	for (b = badjti; *b != NULL; b++) {
		o = base_container();
		set_raw(o, "jti", *b);
		EXPECT(o, "bad_claim");
		o = base_operator();
		set_raw(o, "jti", *b);
		EXPECT(o, "bad_claim");
	}
	o = base_container();
	del(o, "organization_uuid");
	EXPECT(o, "missing_claim");
	o = base_container();
	del(o, "jti");
	EXPECT(o, "missing_claim");
	o = base_container();
	set_str(o, "organization_uuid", "3F2504E0-4F89-41D3-9A0C-0305E82C3301");
	EXPECT(o, "ok");
	/* A UUID-shaped jti from the Python service is fine. */
	o = base_container();
	set_str(o, "jti", ORG);
	EXPECT(o, "ok");
	big = malloc(1024 * 1024 + 1);
	ck_assert_ptr_nonnull(big);
	memset(big, 'a', 1024 * 1024);
	big[1024 * 1024] = '\0';
	o = base_container();
	set_str(o, "organization_uuid", big);
	EXPECT(o, "bad_claim");
	o = base_container();
	set_str(o, "jti", big);
	EXPECT(o, "bad_claim");
	free(big);
}
END_TEST

/* C7: iss must match exactly. */
START_TEST(c7_issuer)
{
	static const char *const bad[] = { "\"https://sandgate.test/\"",
	    "\"HTTPS://SANDGATE.TEST\"", "\"https://sandgate.tes\"",
	    "\" https://sandgate.test\"", "\"\"", "[\"https://sandgate.test\"]",
	    "1", "null", NULL };
	const char	*const *b;
	cJSON		*o;
	static const char nul[] = "{\"iss\":\"https://sandgate.test\\u0000x\"}";

	for (b = bad; *b != NULL; b++) {
		o = base_container();
		set_raw(o, "iss", *b);
		EXPECT(o, "bad_issuer");
		o = base_operator();
		set_raw(o, "iss", *b);
		EXPECT(o, "bad_issuer");
	}
	o = base_container();
	del(o, "iss");
	EXPECT(o, "missing_claim");
	ck_assert_ptr_null(sg_json_parse_object(nul, strlen(nul), NULL));
}
END_TEST

/* C9: unknown claims are ignored; aud has a rule. */
START_TEST(c9_extra_claims)
{
	cJSON	*o;

	o = base_container();
	set_raw(o, "admin", "true");
	set_raw(o, "scope", "\"tokens:issue\"");
	set_raw(o, "nested", "{\"a\":[1,2,{\"b\":null}]}");
	EXPECT(o, "ok");
	o = base_operator();
	set_raw(o, "admin", "true");
	set_raw(o, "container_id", "\"not an id\"");
	EXPECT(o, "ok");
	o = base_container();
	set_str(o, "aud", "x");
	EXPECT(o, "bad_audience");
}
END_TEST

/* C10: no claim we hand on may carry a control character. */
START_TEST(c10_control_chars)
{
	cJSON	*o;

	o = base_container();
	set_str(o, "sub", "user\r\nX-Container-ID: victim");
	EXPECT(o, "bad_claim");
	o = base_container();
	set_str(o, "organization_uuid", "x\r\nX-Container-ID: victim");
	EXPECT(o, "bad_claim");
	o = base_operator();
	set_str(o, "sub", "alice\n");
	EXPECT(o, "bad_claim");
	o = base_operator();
	set_str(o, "sub", "alice\x7f");
	EXPECT(o, "bad_claim");
	o = base_operator();
	set_str(o, "scope", "tokens:issue\r\nsessions:read");
	EXPECT(o, "bad_claim");
	o = base_container();
	set_str(o, "iss", ISS "\r\n");
	EXPECT(o, "bad_issuer");
}
END_TEST

/* The audience decides the kind, and only our two audiences exist. */
START_TEST(audience)
{
	struct sg_claims	 c;
	cJSON			*o;
	static const char *const bad[] = { "\"x\"", "\"\"",
	    "\"SANDGATE-EGRESS\"", "\"sandgate-egress \"", "null", "1", "{}",
	    "[]", "[1]", "[\"x\"]", "[\"sandgate-egress\",\"sandgate-api\"]",
	    "[\"sandgate-egress\",\"sandgate-egress\"]",
	    "[\"sandgate-egress\",1]", "[[\"sandgate-egress\"]]", NULL };
	const char		*const *b;

	for (b = bad; *b != NULL; b++) {
		o = base_container();
		set_raw(o, "aud", *b);
		EXPECT(o, "bad_audience");
		o = base_operator();
		set_raw(o, "aud", *b);
		EXPECT(o, "bad_audience");
	}
	/* Arrays naming one of ours, with others beside it. */
	o = base_container();
	set_raw(o, "aud", "[\"sandgate-egress\"]");
	ck_assert_str_eq(verdict_c(o, &c), "ok");
	ck_assert_int_eq(c.kind, SG_KIND_CONTAINER);
	sg_claims_clear(&c);
	set_raw(o, "aud", "[\"other\",\"sandgate-egress\"]");
	ck_assert_str_eq(verdict_c(o, &c), "ok");
	ck_assert_int_eq(c.kind, SG_KIND_CONTAINER);
	sg_claims_clear(&c);
	cJSON_Delete(o);
	o = base_operator();
	set_raw(o, "aud", "[\"sandgate-api\",\"other\"]");
	ck_assert_str_eq(verdict_c(o, &c), "ok");
	ck_assert_int_eq(c.kind, SG_KIND_OPERATOR);
	sg_claims_clear(&c);
	cJSON_Delete(o);
	/* More than 16 entries is refused outright. */
	o = base_container();
	set_raw(o, "aud", "[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\","
	    "\"i\",\"j\",\"k\",\"l\",\"m\",\"n\",\"o\",\"p\",\"sandgate-egress\"]");
	EXPECT(o, "bad_audience");
}
END_TEST

/* A container token is never an operator token, nor the reverse. */
START_TEST(audience_confusion)
{
	cJSON	*o;

	/* Container claims under the API audience: no scope. */
	o = base_container();
	set_str(o, "aud", SG_AUD_API);
	EXPECT(o, "missing_claim");
	/* Even when it carries a scope, it is an operator token now. */
	o = base_container();
	set_str(o, "aud", SG_AUD_API);
	set_str(o, "scope", "sessions:read");
	{
		struct sg_claims	 c;

		ck_assert_str_eq(verdict_c(o, &c), "ok");
		ck_assert_int_eq(c.kind, SG_KIND_OPERATOR);
		ck_assert_ptr_null(c.allowed_hosts);
		sg_claims_clear(&c);
	}
	cJSON_Delete(o);
	/* Operator claims under the egress audience. */
	o = base_operator();
	set_str(o, "aud", SG_AUD_EGRESS);
	EXPECT(o, "missing_claim");
}
END_TEST

/* Without aud: refused, or a container token with accept_no_aud. */
START_TEST(accept_no_aud)
{
	struct sg_claims	 c;
	cJSON			*o;

	o = base_container();
	del(o, "aud");
	ck_assert_str_eq(verdict_c(o, &c), "bad_audience");
	opts.accept_no_aud = 1;
	ck_assert_str_eq(verdict_c(o, &c), "ok");
	ck_assert_int_eq(c.kind, SG_KIND_CONTAINER);
	ck_assert_int_eq(c.has_aud, 0);
	sg_claims_clear(&c);
	cJSON_Delete(o);
	/* An operator token without aud never becomes an operator token. */
	o = base_operator();
	del(o, "aud");
	EXPECT(o, "missing_claim");
	/* An explicit wrong aud is still wrong. */
	o = base_container();
	set_str(o, "aud", "other");
	EXPECT(o, "bad_audience");
}
END_TEST

/* The original Python service's claim set verifies with accept_no_aud. */
START_TEST(python_claims)
{
	static const char py[] = "{\"iss\":\"https://sandgate.test\","
	    "\"sub\":\"user-42\",\"iat\":1767225600,\"exp\":1767240000,"
	    "\"jti\":\"0b5e0c1e-7d54-4d0f-8f3a-5bd6f0a5a9a1\","
	    "\"container_id\":\"sandbox_py\",\"organization_uuid\":"
	    "\"3f2504e0-4f89-41d3-9a0c-0305e82c3301\",\"allowed_hosts\":"
	    "\"github.com,pypi.org\",\"enforce_container_binding\":\"false\","
	    "\"use_egress_gateway\":\"true\","
	    "\"enforce_centralized_egress\":\"true\","
	    "\"is_hipaa_regulated\":\"false\",\"is_pci_compliant\":\"false\"}";
	struct sg_claims	 c;
	cJSON			*o;

	o = sg_json_parse_object(py, strlen(py), NULL);
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(verdict(o), "bad_audience");
	opts.accept_no_aud = 1;
	ck_assert_str_eq(verdict_c(o, &c), "ok");
	ck_assert_int_eq(c.binding, 0);
	ck_assert_str_eq(c.container_id, "sandbox_py");
	sg_claims_clear(&c);
	cJSON_Delete(o);
}
END_TEST

/*
 * The original Python service never set sub, aud or nbf: without aud and
 * with accept_no_aud such a payload is a container token whose sub is ""
 * (never made up); every other rule still holds, and a token with aud
 * still needs sub.
 */
static cJSON *
original_payload(void)
{
	cJSON	*o = base_container();

	del(o, "aud");
	del(o, "sub");
	del(o, "nbf");
	return o;
}

START_TEST(original_no_sub)
{
	struct sg_claims	 c;
	cJSON			*o;

	o = original_payload();
	ck_assert_str_eq(verdict(o), "bad_audience");
	opts.accept_no_aud = 1;
	ck_assert_str_eq(verdict_c(o, &c), "ok");
	ck_assert_int_eq(c.has_aud, 0);
	ck_assert_int_eq(c.kind, SG_KIND_CONTAINER);
	ck_assert_str_eq(c.sub, "");
	ck_assert_int_eq(c.nbf, 0);
	ck_assert_str_eq(c.container_id, CID);
	sg_claims_clear(&c);
	cJSON_Delete(o);

	/* With aud the relaxation is gone, in the mode too. */
	o = original_payload();
	set_str(o, "aud", SG_AUD_EGRESS);
	EXPECT(o, "missing_claim");
	o = original_payload();
	set_str(o, "aud", "other-service");
	EXPECT(o, "bad_audience");
	o = original_payload();
	set_str(o, "aud", SG_AUD_API);
	EXPECT(o, "missing_claim");
	/* A sub that is there is checked as ever. */
	o = original_payload();
	set_str(o, "sub", "");
	EXPECT(o, "bad_claim");
	o = original_payload();
	set_str(o, "sub", "a\nb");
	EXPECT(o, "bad_claim");
	o = original_payload();
	set_num(o, "sub", 42);
	EXPECT(o, "bad_claim");
	/* Every other rule unchanged. */
	o = original_payload();
	del(o, "jti");
	EXPECT(o, "missing_claim");
	o = original_payload();
	set_str(o, "jti", "a b");
	EXPECT(o, "bad_claim");
	o = original_payload();
	set_str(o, "iss", "https://evil.test");
	EXPECT(o, "bad_issuer");
	o = original_payload();
	set_num(o, "exp", (double)(NOW - 3600));
	set_num(o, "iat", (double)(NOW - 7200));
	EXPECT(o, "token_expired");
	o = original_payload();
	set_num(o, "iat", (double)NOW);
	set_num(o, "exp", (double)(NOW + 86401));
	EXPECT(o, "lifetime_too_long");
	o = original_payload();
	del(o, "iat");
	EXPECT(o, "missing_claim");
	o = original_payload();
	set_str(o, "allowed_hosts", "github.com, pypi.org");
	EXPECT(o, "bad_claim");
	o = original_payload();
	set_str(o, "allowed_hosts", "*.com");
	EXPECT(o, "bad_claim");
	o = original_payload();
	set_raw(o, "use_egress_gateway", "true");
	EXPECT(o, "bad_claim");
	o = original_payload();
	del(o, "container_id");
	EXPECT(o, "missing_claim");
}
END_TEST

START_TEST(operator_scopes)
{
	static const char *const bad[] = { "\"\"", "\"admin\"",
	    "\"tokens:issue  sessions:read\"", "\" tokens:issue\"",
	    "\"tokens:issue \"", "\"tokens:issue\\tsessions:read\"",
	    "\"tokens:issue,sessions:read\"", "\"TOKENS:ISSUE\"",
	    "\"tokens:issuex\"", "\"tokens\"", "[\"tokens:issue\"]", "1",
	    "null", NULL };
	const char		*const *b;
	struct sg_claims	 c;
	cJSON			*o;

	for (b = bad; *b != NULL; b++) {
		o = base_operator();
		set_raw(o, "scope", *b);
		EXPECT(o, "bad_claim");
	}
	o = base_operator();
	del(o, "scope");
	EXPECT(o, "missing_claim");
	o = base_operator();
	set_str(o, "scope", "tokens:issue sandboxes:create sandboxes:destroy "
	    "sessions:read metrics:read");
	ck_assert_str_eq(verdict_c(o, &c), "ok");
	ck_assert_uint_eq(c.scopes, 0x1f);
	sg_claims_clear(&c);
	set_str(o, "scope", "sandboxes:destroy");
	ck_assert_str_eq(verdict_c(o, &c), "ok");
	ck_assert_uint_eq(c.scopes, SG_SCOPE_SANDBOXES_DESTROY);
	sg_claims_clear(&c);
	cJSON_Delete(o);
}
END_TEST

START_TEST(subject)
{
	char	 s[SG_SUB_MAX + 2];
	cJSON	*o;

	o = base_operator();
	del(o, "sub");
	EXPECT(o, "missing_claim");
	o = base_container();
	del(o, "sub");
	EXPECT(o, "missing_claim");
	o = base_container();
	set_str(o, "sub", "");
	EXPECT(o, "bad_claim");
	o = base_container();
	set_raw(o, "sub", "7");
	EXPECT(o, "bad_claim");
	memset(s, 'u', SG_SUB_MAX);
	s[SG_SUB_MAX] = '\0';
	o = base_container();
	set_str(o, "sub", s);
	EXPECT(o, "ok");
	s[SG_SUB_MAX] = 'u';
	s[SG_SUB_MAX + 1] = '\0';
	o = base_container();
	set_str(o, "sub", s);
	EXPECT(o, "bad_claim");
}
END_TEST

START_TEST(not_an_object)
{
	cJSON		*o;
	struct sg_err	 err;

	o = cJSON_CreateArray();
	EXPECT(o, "bad_payload");
	o = base_container();
	sg_err_clear(&err);
	ck_assert_int_ne(sg_claims_validate(o, NULL, NULL, &err), SG_OK);
	cJSON_Delete(o);
}
END_TEST

START_TEST(helpers)
{
	unsigned	 bits = 0;

	ck_assert(sg_id_valid("a"));
	ck_assert(sg_id_valid("sandbox_Ab-9_"));
	ck_assert(!sg_id_valid(""));
	ck_assert(!sg_id_valid(NULL));
	ck_assert(!sg_id_valid("a b"));
	ck_assert(!sg_id_valid("a%"));
	ck_assert(sg_uuid_valid(ORG));
	ck_assert(sg_uuid_valid("3F2504E0-4F89-41D3-9A0C-0305E82C3301"));
	ck_assert(!sg_uuid_valid(NULL));
	ck_assert(!sg_uuid_valid(""));
	ck_assert(!sg_uuid_valid(ORG "\n"));
	ck_assert_int_eq(sg_scope_parse("metrics:read", &bits), 0);
	ck_assert_uint_eq(bits, SG_SCOPE_METRICS_READ);
	ck_assert_int_eq(sg_scope_parse("sessions:read sessions:read", &bits),
	    0);
	ck_assert_uint_eq(bits, SG_SCOPE_SESSIONS_READ);
	ck_assert_int_eq(sg_scope_parse("", &bits), -1);
	ck_assert_int_eq(sg_scope_parse(NULL, &bits), -1);
	ck_assert_int_eq(sg_scope_parse("sessions:read ", &bits), -1);
	ck_assert(sg_str_printable("a b~"));
	ck_assert(sg_str_printable(""));
	ck_assert(sg_str_printable("\xc3\xa9"));
	ck_assert(!sg_str_printable("a\tb"));
	ck_assert(!sg_str_printable("\x7f"));
	ck_assert(!sg_str_printable(NULL));
}
END_TEST

START_TEST(copy)
{
	struct sg_claims	 a, b;
	cJSON			*o;

	o = base_container();
	ck_assert_str_eq(verdict_c(o, &a), "ok");
	sg_claims_init(&b);
	ck_assert_int_eq(sg_claims_copy(&b, &a, NULL), SG_OK);
	ck_assert_ptr_ne(a.allowed_hosts, b.allowed_hosts);
	ck_assert_ptr_ne(a.hosts.v, b.hosts.v);
	sg_claims_clear(&a);
	ck_assert_str_eq(b.allowed_hosts, "github.com,*.pypi.org,c.com:8443");
	ck_assert_uint_eq(b.hosts.n, 3);
	ck_assert_str_eq(b.hosts.v[0].name, "github.com");
	ck_assert_str_eq(b.container_id, CID);
	sg_claims_clear(&b);
	sg_claims_clear(&b);
	sg_claims_clear(NULL);
	cJSON_Delete(o);
}
END_TEST

/*
 * Pins: lib/claims.c called a failed allocation in sg_hosts_parse "not a
 * valid host list" (bad_claim: 401/407 where a 500 is due).  Each of
 * sandgate's allocations in validation fails in turn: every failure is
 * SG_ENOMEM, never a verdict on the token.
 */
START_TEST(enomem_not_bad_claim)
{
	struct sg_claims	 c;
	struct sg_err		 err;
	cJSON			*p[2];
	enum sg_rc		 rc;
	long			 at, hits;
	size_t			 i;

	p[0] = base_container();
	p[1] = base_operator();
	for (i = 0; i < 2; i++) {
		hits = 0;
		for (at = 0; ; at++) {
			sg_claims_init(&c);
			sg_err_clear(&err);
			sgtest_failalloc_at(at);
			rc = sg_claims_validate(p[i], &opts, &c, &err);
			sgtest_failalloc_off();
			sg_claims_clear(&c);
			if (!sgtest_failalloc_hit(at)) {
				ck_assert_int_eq(rc, SG_OK);
				break;
			}
			ck_assert_msg(rc == SG_ENOMEM && err.rc == SG_ENOMEM,
			    "payload %zu, allocation %ld failed: %s (%s)", i,
			    at, err.code, err.msg);
			hits++;
		}
		/* the container's host list is one of them (an operator
		 * token's claims allocate nothing today) */
		if (i == 0)
			ck_assert_int_ge(hits, 2);
		cJSON_Delete(p[i]);
	}
}
END_TEST

static Suite *
claims_suite(void)
{
	Suite	*s = suite_create("claims");
	TCase	*tc = tcase_create("claims");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, baseline);
	tcase_add_test(tc, t1_exp_missing);
	tcase_add_test(tc, t2_expiry);
	tcase_add_test(tc, expired_first);
	tcase_add_test(tc, t3_exp_type);
	tcase_add_test(tc, t4_exp_range);
	tcase_add_test(tc, t5_fractions);
	tcase_add_test(tc, t6_iat);
	tcase_add_test(tc, t7_nbf);
	tcase_add_test(tc, t8_clock);
	tcase_add_test(tc, c1_flags);
	tcase_add_test(tc, c3_container_id);
	tcase_add_test(tc, c5_allowed_hosts);
	tcase_add_test(tc, c12_public_suffix);
	tcase_add_test(tc, c6_org_jti);
	tcase_add_test(tc, c7_issuer);
	tcase_add_test(tc, c9_extra_claims);
	tcase_add_test(tc, c10_control_chars);
	tcase_add_test(tc, audience);
	tcase_add_test(tc, audience_confusion);
	tcase_add_test(tc, accept_no_aud);
	tcase_add_test(tc, original_no_sub);
	tcase_add_test(tc, python_claims);
	tcase_add_test(tc, operator_scopes);
	tcase_add_test(tc, subject);
	tcase_add_test(tc, not_an_object);
	tcase_add_test(tc, helpers);
	tcase_add_test(tc, copy);
	tcase_add_test(tc, enomem_not_bad_claim);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(claims_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
