/* SPDX-License-Identifier: ISC */
/*
 * Compact ES256 JWS (lib/jwt.c) against the malicious-token catalogue of
 * docs/security.md: 3.1 structure and encoding (E1-E14), 3.2 header and
 * algorithm (A1-A9), 3.3 key-selection headers (K1-K8), 3.4 signature
 * (S1-S11), and the must-accept cases of 3.8 (1-5).  Every hostile token
 * here except the ones under test is validly signed by the real key, so
 * that only the rule under test can reject it.
 */
#include "config.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "b64url.h"
#include "crypto.h"
#include "jwt.h"
#include "keys.h"

#define KEY1	SG_TESTDATA "/test-key-1.pem"
#define KEY2	SG_TESTDATA "/test-key-2.pem"
#define KEY1PUB	SG_TESTDATA "/test-key-1.pub.pem"
#define KEY2PUB	SG_TESTDATA "/test-key-2.pub.pem"
#define KEYK256	SG_TESTDATA "/test-key-k256.pem"
#define A3	SG_SHAREDDATA "/rfc7515-a3.json"

#define P256_N	"FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551"
#define P256_P	"FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF"

/* A container token's claims at SGTEST_NOW (2026-01-01T00:00:00Z). */
#define PAYLOAD	"{\"iss\":\"https://sandgate.test\",\"sub\":\"user-1\"," \
	"\"aud\":\"sandgate-egress\",\"iat\":1767225600,\"nbf\":1767225600," \
	"\"exp\":1767240000,\"jti\":\"q7m1Yk0bZC7Qd3l2n0xW3A\"," \
	"\"container_id\":\"sandbox_AAAAAAAAAAAAAAAAAAAAAA\"," \
	"\"organization_uuid\":\"0b9e2c1e-5f0c-4c43-9d6e-6f1c2a7b8d90\"," \
	"\"allowed_hosts\":\"github.com,*.pypi.org\"," \
	"\"enforce_container_binding\":\"true\"}"

static struct sg_key	*key1, *key2, *attacker;
static struct sg_keyset	*ks1;		/* public test-key-1 */
static struct sg_keyset	*ks12;		/* public test-key-1 and -2 */
static char		 hdr1[160];	/* {"alg":"ES256","typ":"JWT","kid":k1} */

static struct sg_key *
load(const char *path)
{
	struct sg_key	*k = NULL;
	struct sg_err	 err;

	sg_err_clear(&err);
	ck_assert_msg(sg_key_load_pem(path, &k, &err) == SG_OK, "%s: %s",
	    path, err.msg);
	return k;
}

static void
setup(void)
{
	struct sg_err	 err;

	key1 = load(KEY1);
	key2 = load(KEY2);
	ck_assert_int_eq(sg_key_generate(&attacker, NULL), SG_OK);
	sg_err_clear(&err);
	ck_assert_msg(sg_keyset_load(KEY1PUB, &ks1, &err) == SG_OK, "%s",
	    err.msg);
	ck_assert_int_eq(sg_keyset_load(KEY1PUB "," KEY2PUB, &ks12, NULL),
	    SG_OK);
	(void)snprintf(hdr1, sizeof(hdr1),
	    "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"%s\"}",
	    sg_key_kid(key1));
}

static void
teardown(void)
{
	sg_key_free(key1);
	sg_key_free(key2);
	sg_key_free(attacker);
	sg_keyset_free(ks1);
	sg_keyset_free(ks12);
	key1 = key2 = attacker = NULL;
	ks1 = ks12 = NULL;
}

/* base64url of n bytes; malloc'd. */
static char *
b64n(const void *p, size_t n)
{
	char	*s = sg_b64url_encode_alloc(p, n);

	ck_assert_ptr_nonnull(s);
	return s;
}

static char *
b64s(const char *s)
{
	return b64n(s, strlen(s));
}

static char *
join3(const char *a, const char *b, const char *c)
{
	size_t	 n = strlen(a) + strlen(b) + strlen(c) + 3;
	char	*s = malloc(n);

	ck_assert_ptr_nonnull(s);
	(void)snprintf(s, n, "%s.%s.%s", a, b, c);
	return s;
}

static char *
join2(const char *a, const char *b)
{
	size_t	 n = strlen(a) + strlen(b) + 2;
	char	*s = malloc(n);

	ck_assert_ptr_nonnull(s);
	(void)snprintf(s, n, "%s.%s", a, b);
	return s;
}

/* A token over already-encoded segments, signed with k. */
static char *
sign_input(const char *h64, const char *p64, const struct sg_key *k)
{
	uint8_t	 sig[64];
	char	*in = join2(h64, p64), *s64, *t;

	ck_assert_int_eq(sg_es256_sign(k, in, strlen(in), sig, NULL), SG_OK);
	s64 = b64n(sig, sizeof(sig));
	t = join3(h64, p64, s64);
	free(in);
	free(s64);
	return t;
}

/* b64(h).b64(p).ES256 signature by k: a correctly signed token. */
static char *
tok(const char *h, const char *p, const struct sg_key *k)
{
	char	*h64 = b64s(h), *p64 = b64s(p), *t;

	t = sign_input(h64, p64, k);
	free(h64);
	free(p64);
	return t;
}

static char *
tok_hs256(const char *h, const char *p, const void *key, size_t keylen)
{
	char		*h64 = b64s(h), *p64 = b64s(p), *in, *s64, *t;
	unsigned char	 mac[32];
	unsigned int	 maclen = 0;

	in = join2(h64, p64);
	ck_assert_ptr_nonnull(HMAC(EVP_sha256(), keylen ? key : "", (int)keylen,
	    (const unsigned char *)in, strlen(in), mac, &maclen));
	ck_assert_uint_eq(maclen, 32);
	s64 = b64n(mac, maclen);
	t = join3(h64, p64, s64);
	free(h64);
	free(p64);
	free(in);
	free(s64);
	return t;
}

/* Verify tok (len bytes); the reason code, or "ok". */
static const char *
vfyn(const struct sg_keyset *ks, const char *t, size_t len)
{
	static struct sg_err	 err;
	cJSON			*claims = (cJSON *)1;
	const char		*kid = (const char *)1;
	enum sg_rc		 rc;

	sg_err_clear(&err);
	rc = sg_jwt_verify(ks, t, len, &claims, &kid, &err);
	if (rc == SG_OK) {
		ck_assert_ptr_nonnull(claims);
		ck_assert_ptr_nonnull(kid);
		cJSON_Delete(claims);
		return "ok";
	}
	/* Failure leaves nothing behind and is always SG_EAUTH. */
	ck_assert_ptr_null(claims);
	ck_assert_ptr_null(kid);
	ck_assert_int_eq(rc, SG_EAUTH);
	ck_assert_int_eq(err.rc, SG_EAUTH);
	ck_assert_ptr_nonnull(err.code);
	return err.code;
}

static const char *
vfy(const struct sg_keyset *ks, const char *t)
{
	return vfyn(ks, t, strlen(t));
}

#define ACCEPT(ks, t)	do {						\
	const char *code_ = vfy((ks), (t));				\
	ck_assert_msg(strcmp(code_, "ok") == 0,				\
	    "rejected (%s): %.200s", code_, (t));			\
} while (0)

#define REJECT(ks, t, code)	do {					\
	const char *code_ = vfy((ks), (t));				\
	ck_assert_msg(strcmp(code_, (code)) == 0,			\
	    "expected %s, got %s: %.200s", (code), code_, (t));		\
} while (0)

/* Reject for any reason: used where several rules apply at once. */
#define REJECT_ANY(ks, t)	do {					\
	const char *code_ = vfy((ks), (t));				\
	ck_assert_msg(strcmp(code_, "ok") != 0, "accepted: %.200s", (t)); \
} while (0)

/* The valid baseline T, freshly issued by sg_jwt_sign. */
static char *
baseline(const struct sg_key *k)
{
	cJSON	*claims;
	char	*t = NULL;

	claims = cJSON_Parse(PAYLOAD);
	ck_assert_ptr_nonnull(claims);
	ck_assert_int_eq(sg_jwt_sign(k, claims, &t, NULL), SG_OK);
	cJSON_Delete(claims);
	return t;
}

/* Insert string ins at position pos of t; malloc'd. */
static char *
insert(const char *t, size_t pos, const char *ins, size_t inslen)
{
	size_t	 n = strlen(t);
	char	*s = malloc(n + inslen + 1);

	ck_assert_ptr_nonnull(s);
	memcpy(s, t, pos);
	memcpy(s + pos, ins, inslen);
	memcpy(s + pos + inslen, t + pos, n - pos + 1);
	return s;
}

/* Index of the two dots of t. */
static void
dots(const char *t, size_t *d1, size_t *d2)
{
	const char	*a = strchr(t, '.'), *b;

	ck_assert_ptr_nonnull(a);
	b = strchr(a + 1, '.');
	ck_assert_ptr_nonnull(b);
	*d1 = (size_t)(a - t);
	*d2 = (size_t)(b - t);
}

/* The 64-byte signature of a token. */
static void
sig_of(const char *t, uint8_t sig[64])
{
	size_t	 d1, d2, n = 0;

	dots(t, &d1, &d2);
	ck_assert_int_eq(sg_b64url_decode(t + d2 + 1, strlen(t + d2 + 1), sig,
	    64, &n, NULL), SG_OK);
	ck_assert_uint_eq(n, 64);
}

/* The token with its signature segment replaced by sig. */
static char *
resign(const char *t, const uint8_t *sig, size_t siglen)
{
	size_t	 d1, d2;
	char	*head, *s64, *out;

	dots(t, &d1, &d2);
	head = strndup(t, d2);
	s64 = b64n(sig, siglen);
	out = join2(head, s64);
	free(head);
	free(s64);
	return out;
}

START_TEST(test_sign_verify_baseline)
{
	char		*t, *h64, hdr[200];
	const char	*kid = NULL;
	cJSON		*claims = NULL;
	uint8_t		 buf[200];
	size_t		 d1, d2, n;
	struct sg_err	 err;

	t = baseline(key1);
	ACCEPT(ks1, t);
	ACCEPT(ks12, t);
	/* The header is exactly the one docs/contract.md §2.1 fixes. */
	dots(t, &d1, &d2);
	ck_assert_int_eq(sg_b64url_decode(t, d1, buf, sizeof(buf), &n, NULL),
	    SG_OK);
	buf[n] = '\0';
	(void)snprintf(hdr, sizeof(hdr),
	    "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"%s\"}",
	    sg_key_kid(key1));
	ck_assert_str_eq((char *)buf, hdr);
	h64 = b64s(hdr);
	ck_assert(strncmp(t, h64, d1) == 0);
	free(h64);
	/* Claims and kid come back. */
	sg_err_clear(&err);
	ck_assert_int_eq(sg_jwt_verify(ks12, t, strlen(t), &claims, &kid,
	    &err), SG_OK);
	ck_assert_str_eq(kid, sg_key_kid(key1));
	ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(claims, "sub")->
	    valuestring, "user-1");
	cJSON_Delete(claims);
	/* claims and kid_out may be NULL. */
	ck_assert_int_eq(sg_jwt_verify(ks1, t, strlen(t), NULL, NULL, NULL),
	    SG_OK);
	/* Not NUL-terminated: only len bytes count. */
	{
		char	*u = malloc(strlen(t) + 5);

		memcpy(u, t, strlen(t));
		memcpy(u + strlen(t), "XXXX", 4);
		ck_assert_str_eq(vfyn(ks1, u, strlen(t)), "ok");
		free(u);
	}
	free(t);
	/* A public key does not sign; claims must be an object. */
	{
		struct sg_key	*pub = NULL;
		cJSON		*arr = cJSON_CreateArray();

		ck_assert_int_eq(sg_key_public(key1, &pub, NULL), SG_OK);
		claims = cJSON_Parse(PAYLOAD);
		ck_assert_int_eq(sg_jwt_sign(pub, claims, &t, NULL), SG_EINVAL);
		ck_assert_ptr_null(t);
		ck_assert_int_eq(sg_jwt_sign(key1, arr, &t, NULL), SG_EINVAL);
		cJSON_Delete(claims);
		cJSON_Delete(arr);
		sg_key_free(pub);
	}
}
END_TEST

/* Rotation: two keys at once, selected by kid, nothing else. */
START_TEST(test_rotation)
{
	char		*t1, *t2, *h, *t;
	const char	*kid = NULL;
	struct sg_keyset *only2 = NULL;

	t1 = baseline(key1);
	t2 = baseline(key2);
	ACCEPT(ks12, t1);
	ACCEPT(ks12, t2);
	ck_assert_int_eq(sg_jwt_verify(ks12, t2, strlen(t2), NULL, &kid, NULL),
	    SG_OK);
	ck_assert_str_eq(kid, sg_key_kid(key2));
	/* After key 1 is retired, its tokens die. */
	ck_assert_int_eq(sg_keyset_load(KEY2PUB, &only2, NULL), SG_OK);
	REJECT(only2, t1, "unknown_kid");
	ACCEPT(only2, t2);
	REJECT(ks1, t2, "unknown_kid");
	/* kid of key 2, signature of key 1: no second try with key 1. */
	h = malloc(200);
	(void)snprintf(h, 200, "{\"alg\":\"ES256\",\"kid\":\"%s\"}",
	    sg_key_kid(key2));
	t = tok(h, PAYLOAD, key1);
	REJECT(ks12, t, "bad_signature");
	free(t);
	/* No kid with two keys: refused, not tried against both. */
	t = tok("{\"alg\":\"ES256\"}", PAYLOAD, key1);
	REJECT(ks12, t, "unknown_kid");
	ACCEPT(ks1, t);
	free(t);
	free(h);
	free(t1);
	free(t2);
	sg_keyset_free(only2);
}
END_TEST

/* E1-E4: structure. */
START_TEST(test_e1_e4_structure)
{
	char	*t, *h64, *p64, *s64, *x;
	size_t	 d1, d2;

	/* E1 */
	REJECT(ks1, "", "malformed_token");
	REJECT(ks1, ".", "malformed_token");
	REJECT(ks1, "..", "malformed_token");
	REJECT(ks1, "...", "malformed_token");
	ck_assert_str_eq(vfyn(ks1, NULL, 0), "malformed_token");
	ck_assert_str_eq(vfyn(ks1, "x", 0), "malformed_token");

	t = baseline(key1);
	dots(t, &d1, &d2);
	h64 = strndup(t, d1);
	p64 = strndup(t + d1 + 1, d2 - d1 - 1);
	s64 = strdup(t + d2 + 1);
	/* E2: H.P and H.P. */
	x = join2(h64, p64);
	REJECT(ks1, x, "malformed_token");
	free(x);
	x = join3(h64, p64, "");
	REJECT(ks1, x, "malformed_token");
	free(x);
	/* E3: H.P.S. / H.P.S.x / a.b.c.d.e */
	x = insert(t, strlen(t), ".", 1);
	REJECT(ks1, x, "malformed_token");
	free(x);
	x = insert(t, strlen(t), ".eyJ4IjoxfQ", 11);
	REJECT(ks1, x, "malformed_token");
	free(x);
	REJECT(ks1, "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d",
	    "malformed_token");
	x = insert(t, 0, "eyJhbGciOiJFUzI1NiJ9.", 21);
	REJECT(ks1, x, "malformed_token");
	free(x);
	/* E4: .P.S and H..S */
	x = join3("", p64, s64);
	REJECT(ks1, x, "malformed_token");
	free(x);
	x = join3(h64, "", s64);
	REJECT(ks1, x, "malformed_token");
	free(x);
	ACCEPT(ks1, t);
	free(h64);
	free(p64);
	free(s64);
	free(t);
}
END_TEST

/* E5: JWS JSON serialization is not a compact token. */
START_TEST(test_e5_json_serialization)
{
	char	*t, *h64, *p64, js[1200];
	size_t	 d1, d2;

	t = baseline(key1);
	dots(t, &d1, &d2);
	h64 = strndup(t, d1);
	p64 = strndup(t + d1 + 1, d2 - d1 - 1);
	(void)snprintf(js, sizeof(js), "{\"payload\":\"%s\",\"signatures\":"
	    "[{\"protected\":\"%s\",\"signature\":\"%s\"}]}", p64, h64,
	    t + d2 + 1);
	REJECT(ks1, js, "malformed_token");
	(void)snprintf(js, sizeof(js), "{\"payload\":\"%s\",\"protected\":"
	    "\"%s\",\"signature\":\"%s\"}", p64, h64, t + d2 + 1);
	REJECT(ks1, js, "malformed_token");
	free(h64);
	free(p64);
	free(t);
}
END_TEST

/* E6-E9: padding, other alphabet, whitespace, other characters. */
START_TEST(test_e6_e9_characters)
{
	static const char *const ins[] = {
		"=", "==", " ", "\t", "\r\n", "\n", "?", "#", "!", "\\", "%",
		"%3D", "+", "/", "\x80", "\xff", "\xc3\xa9", ",", "\"", "'",
		"*", "~", "$", "&",
	};
	char	*t, *x;
	size_t	 d1, d2, i, j, pos[8];

	t = baseline(key1);
	dots(t, &d1, &d2);
	/* Positions: start, inside and end of each segment, after dots. */
	pos[0] = 0;
	pos[1] = d1 / 2;
	pos[2] = d1;
	pos[3] = d1 + 1;
	pos[4] = (d1 + d2) / 2;
	pos[5] = d2;
	pos[6] = d2 + 1;
	pos[7] = strlen(t);
	for (i = 0; i < sizeof(ins) / sizeof(ins[0]); i++)
		for (j = 0; j < 8; j++) {
			x = insert(t, pos[j], ins[i], strlen(ins[i]));
			REJECT(ks1, x, "malformed_token");
			free(x);
		}
	/* A NUL byte anywhere (the length says it is part of the token). */
	for (j = 0; j < 8; j++) {
		x = insert(t, pos[j], "", 1);
		ck_assert_str_eq(vfyn(ks1, x, strlen(t) + 1), "malformed_token");
		free(x);
	}
	/* E6: "=" replacing a character inside a segment (libjwt d180cc7). */
	x = strdup(t);
	x[d1 + 5] = '=';
	REJECT(ks1, x, "malformed_token");
	free(x);
	/* E7: the standard alphabet for the same bytes in the signature. */
	x = strdup(t);
	for (i = d2 + 1; x[i] != '\0'; i++) {
		if (x[i] == '-')
			x[i] = '+';
		else if (x[i] == '_')
			x[i] = '/';
	}
	if (strcmp(x, t) != 0)
		REJECT(ks1, x, "malformed_token");
	free(x);
	ACCEPT(ks1, t);
	free(t);
}
END_TEST

/* E7 made certain: a signature that contains '-' and '_'. */
START_TEST(test_e7_std_alphabet)
{
	char	*t = NULL, *x;
	size_t	 d1, d2, i;
	int	 tries, found = 0;

	for (tries = 0; tries < 200 && !found; tries++) {
		free(t);
		t = baseline(key1);
		dots(t, &d1, &d2);
		found = strchr(t + d2 + 1, '-') != NULL &&
		    strchr(t + d2 + 1, '_') != NULL;
	}
	ck_assert(found);
	for (i = d2 + 1; t[i] != '\0'; i++) {
		if (t[i] != '-' && t[i] != '_')
			continue;
		x = strdup(t);
		x[i] = t[i] == '-' ? '+' : '/';
		REJECT(ks1, x, "malformed_token");
		free(x);
	}
	ACCEPT(ks1, t);
	free(t);
}
END_TEST

/* E10, E11: length mod 4 == 1 and non-canonical trailing bits. */
START_TEST(test_e10_e11_canonical)
{
	static const char	 a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	    "qrstuvwxyz0123456789-_";
	char			*t, *x, *h64, *p64;
	size_t			 d1, d2, n, k;
	int			 unused, v;

	t = baseline(key1);
	dots(t, &d1, &d2);
	/*
	 * E10: 86 + 3 = 89 characters, 89 mod 4 == 1: no byte string has
	 * that length.  (One more 'A' gives 87 characters, a canonical 65
	 * bytes: refused as a signature of the wrong size.)
	 */
	x = insert(t, strlen(t), "AAA", 3);
	REJECT(ks1, x, "malformed_token");
	free(x);
	x = insert(t, strlen(t), "A", 1);
	REJECT(ks1, x, "bad_signature");
	free(x);
	x = insert(t, d2, "A", 1);
	REJECT_ANY(ks1, x);
	free(x);
	x = insert(t, d1, "A", 1);
	REJECT_ANY(ks1, x);
	free(x);
	/*
	 * E11: the last signature character carries 4 unused bits (86
	 * characters for 64 bytes); set each of them in turn.
	 */
	n = strlen(t);
	v = (int)(strchr(a, t[n - 1]) - a);
	for (unused = 0; unused < 4; unused++) {
		x = strdup(t);
		x[n - 1] = a[v | (1 << unused)];
		REJECT(ks1, x, "malformed_token");
		free(x);
	}
	free(t);

	/* The same for header and payload of both partial lengths. */
	for (k = 0; k < 4; k++) {
		static const char *const hs[] = {
			"{\"alg\":\"ES256\"}",		/* 15 bytes: 20 chars */
			"{\"alg\":\"ES256\" }",		/* 16: 22 (2 unused) */
			"{\"alg\":\"ES256\"  }",	/* 17: 23 (4 unused) */
			"{\"alg\":\"ES256\"   }",	/* 18: 24 */
		};
		h64 = b64s(hs[k]);
		p64 = b64s(PAYLOAD);
		t = sign_input(h64, p64, key1);
		ACCEPT(ks1, t);
		n = strlen(h64);
		if (n % 4 != 0) {
			x = strdup(t);
			v = (int)(strchr(a, x[n - 1]) - a);
			x[n - 1] = a[v | 1];
			REJECT(ks1, x, "malformed_token");
			free(x);
		}
		free(h64);
		free(p64);
		free(t);
	}
}
END_TEST

/* E12: oversize tokens die on length, before any decoding. */
START_TEST(test_e12_oversize)
{
	static const size_t	 sizes[] = { 9 * 1024, 64 * 1024,
	    1024 * 1024 };
	struct sg_err		 err;
	char			*big, *t, filler[8200];
	cJSON			*claims;
	size_t			 i, f, len, best = 0;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		big = malloc(sizes[i] + 1);
		memset(big, 'A', sizes[i]);
		big[10] = '.';
		big[sizes[i] - 100] = '.';
		big[sizes[i]] = '\0';
		sg_err_clear(&err);
		ck_assert_int_eq(sg_jwt_verify(ks1, big, sizes[i], NULL, NULL,
		    &err), SG_EAUTH);
		ck_assert_str_eq(err.code, "malformed_token");
		ck_assert_msg(strstr(err.msg, "over") != NULL, "%s", err.msg);
		free(big);
	}
	/*
	 * 100k dots and 1 MiB of dots (go-jose CVE-2025-27144): refused by
	 * the length check before any scan, which the "over" reason shows
	 * (a structural check would name the segments instead).  Not
	 * timed: speed is bench/'s business, never an assertion here.
	 */
	big = malloc(1024 * 1024 + 1);
	memset(big, '.', 1024 * 1024);
	big[1024 * 1024] = '\0';
	for (i = 0; i < 2; i++) {
		len = i == 0 ? 100000 : 1024 * 1024;
		sg_err_clear(&err);
		ck_assert_int_eq(sg_jwt_verify(ks1, big, len, NULL, NULL,
		    &err), SG_EAUTH);
		ck_assert_str_eq(err.code, "malformed_token");
		ck_assert_msg(strstr(err.msg, "over") != NULL, "%s", err.msg);
	}
	free(big);

	/* The boundary: a real token of SG_JWT_MAX_LEN bytes passes ... */
	for (f = 5500; f < 5700; f++) {
		memset(filler, 'x', f);
		filler[f] = '\0';
		claims = cJSON_Parse(PAYLOAD);
		cJSON_AddStringToObject(claims, "pad", filler);
		t = NULL;
		if (sg_jwt_sign(key1, claims, &t, NULL) == SG_OK) {
			len = strlen(t);
			ck_assert_uint_le(len, SG_JWT_MAX_LEN);
			ACCEPT(ks1, t);
			if (len > best)
				best = len;
		}
		free(t);
		cJSON_Delete(claims);
	}
	ck_assert_uint_ge(best, SG_JWT_MAX_LEN - 1);
	/* ... and the signer refuses one that would be over it. */
	memset(filler, 'x', 6300);
	filler[6300] = '\0';
	claims = cJSON_Parse(PAYLOAD);
	cJSON_AddStringToObject(claims, "pad", filler);
	t = NULL;
	sg_err_clear(&err);
	ck_assert_int_eq(sg_jwt_sign(key1, claims, &t, &err), SG_EINVAL);
	ck_assert_str_eq(err.code, "token_too_large");
	ck_assert_ptr_null(t);
	/* A correctly signed token over the limit is still refused. */
	{
		char	*text = cJSON_PrintUnformatted(claims);

		t = tok(hdr1, text, key1);
		ck_assert_uint_gt(strlen(t), SG_JWT_MAX_LEN);
		REJECT(ks1, t, "malformed_token");
		free(t);
		free(text);
	}
	cJSON_Delete(claims);
}
END_TEST

/* E13/E14 at this layer: what a scheme or a merged header leaves. */
START_TEST(test_e13_e14_http_leftovers)
{
	char	*t, *x, both[4000];
	char	*t2;

	t = baseline(key1);
	t2 = baseline(key1);
	x = insert(t, 0, "Bearer ", 7);
	REJECT(ks1, x, "malformed_token");
	free(x);
	x = insert(t, 0, "bearer ", 7);
	REJECT(ks1, x, "malformed_token");
	free(x);
	x = insert(t, 0, " ", 1);
	REJECT(ks1, x, "malformed_token");
	free(x);
	x = insert(t, 0, "Bearer\t", 7);
	REJECT(ks1, x, "malformed_token");
	free(x);
	/* "Bearer T T" and nginx's "Bearer A, Bearer B" merge (E14). */
	(void)snprintf(both, sizeof(both), "%s %s", t, t);
	REJECT(ks1, both, "malformed_token");
	(void)snprintf(both, sizeof(both), "%s, Bearer %s", t, t2);
	REJECT(ks1, both, "malformed_token");
	(void)snprintf(both, sizeof(both), "%s,%s", t, t2);
	REJECT(ks1, both, "malformed_token");
	(void)snprintf(both, sizeof(both), "%s,", t);
	REJECT(ks1, both, "malformed_token");
	ACCEPT(ks1, t);
	free(t);
	free(t2);
}
END_TEST

/* A1: alg none and its spellings. */
START_TEST(test_a1_none)
{
	static const char *const algs[] = { "none", "None", "NONE", "nOnE" };
	char	*t, *x, *h64, *p64, hdr[160];
	size_t	 i, d1, d2;

	REJECT(ks1, "eyJhbGciOiJub25lIn0." "eyJzdWIiOiJ4In0.",
	    "malformed_token");
	t = baseline(key1);
	dots(t, &d1, &d2);
	p64 = strndup(t + d1 + 1, d2 - d1 - 1);
	for (i = 0; i < 4; i++) {
		(void)snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\"}", algs[i]);
		h64 = b64s(hdr);
		/* Empty signature. */
		x = join3(h64, p64, "");
		REJECT(ks1, x, "malformed_token");
		free(x);
		/* The original signature kept. */
		x = join3(h64, p64, t + d2 + 1);
		REJECT(ks1, x, "unsupported_alg");
		free(x);
		/* Even correctly "signed" with our key. */
		x = sign_input(h64, p64, key1);
		REJECT(ks1, x, "unsupported_alg");
		free(x);
		free(h64);
	}
	free(p64);
	free(t);
}
END_TEST

/* A2: alg missing, of the wrong type, or almost ES256. */
START_TEST(test_a2_alg_values)
{
	static const struct {
		const char	*hdr;
		const char	*code;
	} cases[] = {
		{ "{\"typ\":\"JWT\"}", "bad_header" },
		{ "{}", "bad_header" },
		{ "{\"alg\":null}", "bad_header" },
		{ "{\"alg\":256}", "bad_header" },
		{ "{\"alg\":[\"ES256\"]}", "bad_header" },
		{ "{\"alg\":{}}", "bad_header" },
		{ "{\"alg\":true}", "bad_header" },
		{ "{\"alg\":\"\"}", "unsupported_alg" },
		{ "{\"alg\":\"ES256 \"}", "unsupported_alg" },
		{ "{\"alg\":\" ES256\"}", "unsupported_alg" },
		{ "{\"alg\":\"es256\"}", "unsupported_alg" },
		{ "{\"alg\":\"Es256\"}", "unsupported_alg" },
		{ "{\"alg\":\"ES2560\"}", "unsupported_alg" },
		{ "{\"alg\":\"ES25\"}", "unsupported_alg" },
		{ "{\"alg\":\"ES256\\u0000x\"}", "bad_header" },
		{ "{\"alg\":\"ES256\\u0000\"}", "bad_header" },
	};
	char	*t;
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		t = tok(cases[i].hdr, PAYLOAD, key1);
		REJECT(ks1, t, cases[i].code);
		free(t);
	}
	/* A raw NUL byte inside the header JSON. */
	{
		const char	 h[] = "{\"alg\":\"ES256\0x\"}";
		char		*h64 = b64n(h, sizeof(h) - 1), *p64 = b64s(PAYLOAD);

		t = sign_input(h64, p64, key1);
		REJECT(ks1, t, "bad_header");
		free(t);
		free(h64);
		free(p64);
	}
}
END_TEST

/* secp256k1 ES256K signature (r||s) over input, with OpenSSL directly. */
static void
k256_sign(const char *in, uint8_t sig[64])
{
	FILE			*f;
	EVP_PKEY		*pk;
	EVP_MD_CTX		*md;
	unsigned char		 der[80];
	const unsigned char	*p = der;
	size_t			 dl = sizeof(der);
	ECDSA_SIG		*es;
	const BIGNUM		*r, *s;

	ck_assert_ptr_nonnull(f = fopen(KEYK256, "r"));
	ck_assert_ptr_nonnull(pk = PEM_read_PrivateKey(f, NULL, NULL, NULL));
	fclose(f);
	md = EVP_MD_CTX_new();
	ck_assert_int_eq(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pk),
	    1);
	ck_assert_int_eq(EVP_DigestSign(md, der, &dl,
	    (const unsigned char *)in, strlen(in)), 1);
	es = d2i_ECDSA_SIG(NULL, &p, (long)dl);
	ck_assert_ptr_nonnull(es);
	ECDSA_SIG_get0(es, &r, &s);
	ck_assert_int_eq(BN_bn2binpad(r, sig, 32), 32);
	ck_assert_int_eq(BN_bn2binpad(s, sig + 32, 32), 32);
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
}

/* A3: other algorithms with signatures by an attacker key. */
START_TEST(test_a3_other_algs)
{
	static const char *const algs[] = {
		"ES384", "ES512", "ES256K", "EdDSA", "RS256", "PS256", "HS256",
		"HS384", "HS512", "RS384", "PS512", "ES256+", "A256GCM", "dir",
	};
	char	 hdr[160], *t, *h64, *p64, *in, *s64;
	uint8_t	 sig[64];
	size_t	 i;

	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		(void)snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"kid\":\"%s\"}",
		    algs[i], sg_key_kid(key1));
		t = tok(hdr, PAYLOAD, attacker);
		REJECT(ks1, t, "unsupported_alg");
		free(t);
		/* Even with a signature by our own key. */
		t = tok(hdr, PAYLOAD, key1);
		REJECT(ks1, t, "unsupported_alg");
		free(t);
	}
	/* A real secp256k1 signature: 64 bytes too, still not ours. */
	h64 = b64s("{\"alg\":\"ES256K\"}");
	p64 = b64s(PAYLOAD);
	in = join2(h64, p64);
	k256_sign(in, sig);
	s64 = b64n(sig, 64);
	t = join3(h64, p64, s64);
	REJECT(ks1, t, "unsupported_alg");
	free(t);
	free(h64);
	free(in);
	free(s64);
	h64 = b64s("{\"alg\":\"ES256\"}");
	in = join2(h64, p64);
	k256_sign(in, sig);
	s64 = b64n(sig, 64);
	t = join3(h64, p64, s64);
	REJECT(ks1, t, "bad_signature");
	free(t);
	free(h64);
	free(p64);
	free(in);
	free(s64);
}
END_TEST

/* A4: HS256 with our public key in every form as the HMAC key. */
START_TEST(test_a4_hs256_confusion)
{
	char		*pem, *t, *jwktext, hdr[160], hdres[160];
	unsigned char	*der = NULL, pt[65];
	size_t		 ptlen = 0;
	int		 derlen;
	EVP_PKEY	*pk;
	FILE		*f;
	cJSON		*jwk;
	struct {
		const void	*k;
		size_t		 len;
	} keys[7];
	size_t		 i, nk = 0;

	ck_assert_ptr_nonnull(f = fopen(KEY1PUB, "r"));
	ck_assert_ptr_nonnull(pk = PEM_read_PUBKEY(f, NULL, NULL, NULL));
	fclose(f);
	pem = sg_key_pem(key1, 0);
	derlen = i2d_PUBKEY(pk, &der);
	ck_assert_int_gt(derlen, 0);
	ck_assert_int_eq(EVP_PKEY_get_octet_string_param(pk, "encoded-pub-key",
	    pt, sizeof(pt), &ptlen), 1);
	ck_assert_uint_eq(ptlen, 65);
	jwk = sg_key_jwk(key1);
	jwktext = cJSON_PrintUnformatted(jwk);
	keys[nk].k = pem;
	keys[nk++].len = strlen(pem);
	keys[nk].k = pem;
	keys[nk++].len = strlen(pem) - 1;	/* without the final \n */
	keys[nk].k = der;
	keys[nk++].len = (size_t)derlen;
	keys[nk].k = pt;
	keys[nk++].len = 65;
	keys[nk].k = pt + 1;
	keys[nk++].len = 64;
	keys[nk].k = jwktext;
	keys[nk++].len = strlen(jwktext);
	keys[nk].k = "";
	keys[nk++].len = 0;
	(void)snprintf(hdr, sizeof(hdr), "{\"alg\":\"HS256\",\"kid\":\"%s\"}",
	    sg_key_kid(key1));
	(void)snprintf(hdres, sizeof(hdres), "{\"alg\":\"ES256\",\"kid\":\"%s\"}",
	    sg_key_kid(key1));
	for (i = 0; i < nk; i++) {
		t = tok_hs256(hdr, PAYLOAD, keys[i].k, keys[i].len);
		REJECT(ks1, t, "unsupported_alg");
		free(t);
		t = tok_hs256("{\"alg\":\"HS256\"}", PAYLOAD, keys[i].k,
		    keys[i].len);
		REJECT(ks1, t, "unsupported_alg");
		free(t);
		/* The MAC under an ES256 header: 32 bytes, not 64. */
		t = tok_hs256(hdres, PAYLOAD, keys[i].k, keys[i].len);
		REJECT(ks1, t, "bad_signature");
		free(t);
	}
	free(jwktext);
	cJSON_Delete(jwk);
	OPENSSL_free(der);
	EVP_PKEY_free(pk);
	free(pem);
}
END_TEST

/* A5-A7: header JSON shapes; all validly signed by our key. */
START_TEST(test_a5_a7_header_json)
{
	static const char *const bad[] = {
		/* A5 */
		"{\"ALG\":\"none\",\"alg\":\"ES256\"}",
		"{\"alg\":\"ES256\",\"Alg\":\"none\"}",
		/* A6 */
		"{\"alg\":\"none\",\"alg\":\"ES256\"}",
		"{\"alg\":\"ES256\",\"alg\":\"none\"}",
		"{\"alg\":\"ES256\",\"alg\":\"ES256\"}",
		"{\"alg\":\"ES256\",\"kid\":\"a\",\"kid\":\"b\"}",
		"{\"alg\":\"ES256\",\"typ\":\"JWT\",\"typ\":\"JWT\"}",
		/* A7 */
		"[]", "\"x\"", "null", "1", "true", "[{\"alg\":\"ES256\"}]",
		"{\"alg\":\"ES256\"}xyz",
		"{\"alg\":\"ES256\"}{\"alg\":\"ES256\"}",
		"\xef\xbb\xbf{\"alg\":\"ES256\"}",
		"{\"alg\":\"ES256\",}",
		"{'alg':'ES256'}",
		"{alg:\"ES256\"}",
		"{\"alg\":\"ES256\"",
		"",
		" ",
	};
	char	*t;
	size_t	 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (bad[i][0] == '\0') {
			/* An empty header segment is a structure error. */
			t = tok(bad[i], PAYLOAD, key1);
			REJECT(ks1, t, "malformed_token");
		} else {
			t = tok(bad[i], PAYLOAD, key1);
			REJECT(ks1, t, "bad_header");
		}
		free(t);
	}
}
END_TEST

/* A8: typ is "JWT" or absent; nothing else. */
START_TEST(test_a8_typ)
{
	static const char *const bad[] = {
		"\"jwt\"", "\"at+jwt\"", "\"sandbox+jwt\"", "\"JOSE\"",
		"\"JWT \"", "\"\"", "1", "null", "[\"JWT\"]",
	};
	char	 hdr[160], *t;
	size_t	 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		(void)snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"typ\":%s}",
		    bad[i]);
		t = tok(hdr, PAYLOAD, key1);
		REJECT(ks1, t, "bad_header");
		free(t);
	}
	t = tok("{\"alg\":\"ES256\",\"typ\":\"JWT\"}", PAYLOAD, key1);
	ACCEPT(ks1, t);
	free(t);
	t = tok("{\"alg\":\"ES256\"}", PAYLOAD, key1);
	ACCEPT(ks1, t);
	free(t);
}
END_TEST

/* A9 and the rest of the refused members. */
START_TEST(test_a9_refused_members)
{
	static const char *const extra[] = {
		"\"cty\":\"JWT\"", "\"zip\":\"DEF\"", "\"enc\":\"A256GCM\"",
		"\"b64\":false,\"crit\":[\"b64\"]", "\"b64\":false",
		"\"b64\":true", "\"x5t\":\"AAAA\"", "\"x5t#S256\":\"AAAA\"",
		"\"x5u\":\"https://127.0.0.1/x\"", "\"x5c\":[\"AAAA\"]",
		"\"jku\":\"https://127.0.0.1/jwks\"", "\"jwk\":{}",
		"\"crit\":[]", "\"foo\":\"bar\"", "\"iss\":\"x\"",
		"\"epk\":{}", "\"apu\":\"\"", "\"nonce\":\"x\"", "\"url\":\"x\"",
		"\"\":1", "\"ALG\":\"ES256\"", "\"Kid\":\"x\"",
	};
	char	 hdr[300], *t;
	size_t	 i;

	for (i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		(void)snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"kid\":"
		    "\"%s\",%s}", sg_key_kid(key1), extra[i]);
		t = tok(hdr, PAYLOAD, key1);
		REJECT(ks1, t, "bad_header");
		free(t);
		/* The same member first. */
		(void)snprintf(hdr, sizeof(hdr), "{%s,\"alg\":\"ES256\"}",
		    extra[i]);
		t = tok(hdr, PAYLOAD, key1);
		REJECT(ks1, t, "bad_header");
		free(t);
	}
}
END_TEST

/* A listener on 127.0.0.1 that must never see a connection (K2, K3). */
static int
listener(int *port)
{
	struct sockaddr_in	 sin;
	socklen_t		 sl = sizeof(sin);
	int			 fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(fd, 16), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

static void
assert_no_connection(int fd)
{
	int	 c;

	c = accept(fd, NULL, NULL);
	ck_assert_msg(c == -1 && (errno == EAGAIN || errno == EWOULDBLOCK),
	    "the verifier connected to the jku/x5u listener");
	close(fd);
}

/* A self-signed certificate of a fresh attacker key, base64 (x5c). */
static char *
attacker_cert_b64(void)
{
	EVP_PKEY	*pk;
	X509		*x;
	X509_NAME	*name;
	unsigned char	*der = NULL;
	char		*out;
	int		 n;
	size_t		 sz;

	ck_assert_ptr_nonnull(pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC",
	    "P-256"));
	ck_assert_ptr_nonnull(x = X509_new());
	ck_assert_int_eq(X509_set_version(x, 2), 1);
	ck_assert_int_eq(ASN1_INTEGER_set(X509_get_serialNumber(x), 1), 1);
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
	ck_assert_int_eq(X509_set_pubkey(x, pk), 1);
	name = X509_get_subject_name(x);
	ck_assert_int_eq(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"sandgate.test", -1, -1, 0), 1);
	ck_assert_int_eq(X509_set_issuer_name(x, name), 1);
	ck_assert_int_gt(X509_sign(x, pk, EVP_sha256()), 0);
	n = i2d_X509(x, &der);
	ck_assert_int_gt(n, 0);
	sz = ((size_t)n + 2) / 3 * 4 + 1;
	out = malloc(sz);
	ck_assert_uint_gt(sg_b64_encode(der, (size_t)n, out, sz), 0);
	OPENSSL_free(der);
	X509_free(x);
	EVP_PKEY_free(pk);
	return out;
}

/* K1-K3: embedded keys and key URLs are refused, never used or fetched. */
START_TEST(test_k1_k3_key_headers)
{
	cJSON	*jwk;
	char	*jtext, hdr[1200], *t, *cert;
	int	 fd, port;

	/* K1: the attacker's own key embedded, token signed with it. */
	jwk = sg_key_jwk(attacker);
	jtext = cJSON_PrintUnformatted(jwk);
	(void)snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"jwk\":%s}",
	    jtext);
	t = tok(hdr, PAYLOAD, attacker);
	REJECT(ks1, t, "bad_header");
	free(t);
	/* With our kid too: still refused; without jwk, a bad signature. */
	(void)snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"kid\":\"%s\","
	    "\"jwk\":%s}", sg_key_kid(key1), jtext);
	t = tok(hdr, PAYLOAD, attacker);
	REJECT(ks1, t, "bad_header");
	free(t);
	(void)snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"kid\":\"%s\"}",
	    sg_key_kid(key1));
	t = tok(hdr, PAYLOAD, attacker);
	REJECT(ks1, t, "bad_signature");
	free(t);
	/* The attacker's kid names no key of ours. */
	(void)snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"kid\":\"%s\"}",
	    sg_key_kid(attacker));
	t = tok(hdr, PAYLOAD, attacker);
	REJECT(ks1, t, "unknown_kid");
	free(t);
	free(jtext);
	cJSON_Delete(jwk);

	/* K2: jku at a live listener. */
	fd = listener(&port);
	(void)snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"jku\":"
	    "\"http://127.0.0.1:%d/jwks.json\"}", port);
	t = tok(hdr, PAYLOAD, attacker);
	REJECT(ks1, t, "bad_header");
	free(t);
	(void)snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"kid\":\"%s\","
	    "\"jku\":\"http://127.0.0.1:%d/jwks.json\"}", sg_key_kid(key1),
	    port);
	t = tok(hdr, PAYLOAD, attacker);
	REJECT(ks1, t, "bad_header");
	free(t);
	/* K3: x5u at the listener, x5c with a certificate, x5t garbage. */
	(void)snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"x5u\":"
	    "\"http://127.0.0.1:%d/cert.pem\"}", port);
	t = tok(hdr, PAYLOAD, attacker);
	REJECT(ks1, t, "bad_header");
	free(t);
	cert = attacker_cert_b64();
	(void)snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"x5c\":[\"%s\"]}",
	    cert);
	free(cert);
	t = tok(hdr, PAYLOAD, attacker);
	REJECT(ks1, t, "bad_header");
	free(t);
	t = tok("{\"alg\":\"ES256\",\"x5t\":\"!!garbage\"}", PAYLOAD, attacker);
	REJECT(ks1, t, "bad_header");
	free(t);
	t = tok("{\"alg\":\"ES256\",\"x5t#S256\":\"AAAA\"}", PAYLOAD, attacker);
	REJECT(ks1, t, "bad_header");
	free(t);
	assert_no_connection(fd);
}
END_TEST

/* K4-K6: kid is an exact lookup key and nothing else. */
START_TEST(test_k4_k6_kid)
{
	static const char *const kids[] = {
		/* K4 */
		"../../../../../../dev/null", "/dev/null", "/proc/self/environ",
		"/proc/sys/kernel/randomize_va_space",
		/* K5 */
		"' UNION SELECT 'secret'--", "x' OR '1'='1", "$(sleep 10)",
		"|curl http://127.0.0.1/", "*)(uid=*", "none", "0", "*",
		/* near misses of the real kid are built below */
	};
	static const char *const bad_kids[] = {
		"\"a\\r\\nb\"", "\"a\\nb\"", "\"a\\u0000b\"", "\"\\u0000\"",
		"\"\"", "1", "null", "[]", "{}", "\"\\u00e9\"", "\"a\\tb\"",
		"\"\\u007f\"",
	};
	char		 hdr[400], kid[SG_KID_MAX + 2], *t;
	const char	*k1 = sg_key_kid(key1);
	size_t		 i;

	for (i = 0; i < sizeof(kids) / sizeof(kids[0]); i++) {
		(void)snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"kid\":"
		    "\"%s\"}", kids[i]);
		t = tok(hdr, PAYLOAD, key1);
		REJECT(ks1, t, "unknown_kid");
		free(t);
		/* K4 with HMAC over the empty key. */
		(void)snprintf(hdr, sizeof(hdr), "{\"alg\":\"HS256\",\"kid\":"
		    "\"%s\"}", kids[i]);
		t = tok_hs256(hdr, PAYLOAD, "", 0);
		REJECT(ks1, t, "unsupported_alg");
		free(t);
	}
	for (i = 0; i < sizeof(bad_kids) / sizeof(bad_kids[0]); i++) {
		(void)snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"kid\":%s}",
		    bad_kids[i]);
		t = tok(hdr, PAYLOAD, key1);
		REJECT(ks1, t, "bad_header");
		free(t);
	}
	/* Raw non-UTF-8 and raw control bytes in kid. */
	t = tok("{\"alg\":\"ES256\",\"kid\":\"\xff\xfe\"}", PAYLOAD, key1);
	REJECT_ANY(ks1, t);
	free(t);
	/* A 129-character kid; SG_KID_MAX characters are fine in form. */
	memset(kid, 'k', SG_KID_MAX + 1);
	kid[SG_KID_MAX + 1] = '\0';
	(void)snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"kid\":\"%s\"}",
	    kid);
	t = tok(hdr, PAYLOAD, key1);
	REJECT(ks1, t, "bad_header");
	free(t);
	kid[SG_KID_MAX] = '\0';
	(void)snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"kid\":\"%s\"}",
	    kid);
	t = tok(hdr, PAYLOAD, key1);
	REJECT(ks1, t, "unknown_kid");
	free(t);
	/* A 10 KB kid: over the token limit before anything else. */
	{
		char	*big = malloc(10241 + 64);

		memcpy(big, "{\"alg\":\"ES256\",\"kid\":\"", 22);
		memset(big + 22, 'k', 10240);
		memcpy(big + 22 + 10240, "\"}", 3);
		t = tok(big, PAYLOAD, key1);
		REJECT(ks1, t, "malformed_token");
		free(t);
		free(big);
	}
	/* K6: prefix, suffix and case variants of the real kid; one key. */
	(void)snprintf(kid, sizeof(kid), "%.*s", (int)strlen(k1) - 1, k1);
	(void)snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"kid\":\"%s\"}",
	    kid);
	t = tok(hdr, PAYLOAD, key1);
	REJECT(ks1, t, "unknown_kid");
	free(t);
	(void)snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"kid\":\"%sx\"}",
	    k1);
	t = tok(hdr, PAYLOAD, key1);
	REJECT(ks1, t, "unknown_kid");
	free(t);
	(void)snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"kid\":\" %s\"}",
	    k1);
	t = tok(hdr, PAYLOAD, key1);
	REJECT(ks1, t, "unknown_kid");
	free(t);
	(void)snprintf(kid, sizeof(kid), "%s", k1);
	kid[0] = kid[0] == 'y' ? 'Y' : 'y';
	(void)snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"kid\":\"%s\"}",
	    kid);
	t = tok(hdr, PAYLOAD, key1);
	REJECT(ks1, t, "unknown_kid");
	free(t);
	/* The exact kid works; no kid works with a single key. */
	(void)snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"kid\":\"%s\"}",
	    k1);
	t = tok(hdr, PAYLOAD, key1);
	ACCEPT(ks1, t);
	free(t);
}
END_TEST

/* K7: crit in any form. */
START_TEST(test_k7_crit)
{
	static const char *const crit[] = {
		"\"crit\":[\"exp\"]", "\"crit\":[\"x\"],\"x\":1",
		"\"crit\":[\"x\"]", "\"crit\":[]", "\"crit\":\"x\"",
		"\"crit\":[1]", "\"crit\":null", "\"crit\":[\"alg\"]",
		"\"crit\":[\"kid\"]",
	};
	char	 hdr[300], *t;
	size_t	 i;

	for (i = 0; i < sizeof(crit) / sizeof(crit[0]); i++) {
		(void)snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"kid\":"
		    "\"%s\",%s}", sg_key_kid(key1), crit[i]);
		t = tok(hdr, PAYLOAD, key1);
		REJECT(ks1, t, "bad_header");
		free(t);
	}
}
END_TEST

/* K8: jwk / jku beside a valid signature by our key: refused too. */
START_TEST(test_k8_extra_key_headers)
{
	cJSON	*jwk;
	char	*jtext, hdr[800], *t;

	jwk = sg_key_jwk(key1);
	jtext = cJSON_PrintUnformatted(jwk);
	(void)snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"kid\":\"%s\","
	    "\"jwk\":%s}", sg_key_kid(key1), jtext);
	t = tok(hdr, PAYLOAD, key1);
	REJECT(ks1, t, "bad_header");
	free(t);
	(void)snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"kid\":\"%s\","
	    "\"jku\":\"https://sandgate.test/.well-known/jwks.json\"}",
	    sg_key_kid(key1));
	t = tok(hdr, PAYLOAD, key1);
	REJECT(ks1, t, "bad_header");
	free(t);
	free(jtext);
	cJSON_Delete(jwk);
}
END_TEST

static BIGNUM *
bn_hex(const char *h)
{
	BIGNUM	*b = NULL;

	ck_assert_int_gt(BN_hex2bn(&b, h), 0);
	return b;
}

/* r||s each padded to width bytes (or longer when they need it). */
static char *
tok_rs(const char *t, const BIGNUM *r, const BIGNUM *s, int width)
{
	uint8_t	 sig[80];
	int	 rl, sl;
	char	*out;

	rl = BN_num_bytes(r) > width ? BN_num_bytes(r) : width;
	sl = BN_num_bytes(s) > width ? BN_num_bytes(s) : width;
	ck_assert_int_le(rl + sl, (int)sizeof(sig));
	ck_assert_int_eq(BN_bn2binpad(r, sig, rl), rl);
	ck_assert_int_eq(BN_bn2binpad(s, sig + rl, sl), sl);
	out = resign(t, sig, (size_t)(rl + sl));
	return out;
}

/* S1, S2, S5: r and s out of range, built with BIGNUM arithmetic. */
START_TEST(test_s1_s2_s5_ranges)
{
	BIGNUM	*n, *p, *r, *s, *v[8], *zero, *one, *tmp, *two256;
	uint8_t	 sig[64];
	char	*t, *x, zeros[87];
	size_t	 i, j, d1, d2;

	t = baseline(key1);
	sig_of(t, sig);
	n = bn_hex(P256_N);
	p = bn_hex(P256_P);
	r = BN_bin2bn(sig, 32, NULL);
	s = BN_bin2bn(sig + 32, 32, NULL);
	zero = BN_new();
	BN_zero(zero);
	one = BN_new();
	BN_one(one);

	/* S1: 86 x 'A' (r = s = 0), r = 0 with the real s, and vice versa. */
	dots(t, &d1, &d2);
	memset(zeros, 'A', 86);
	zeros[86] = '\0';
	x = strndup(t, d2 + 1);
	x = realloc(x, d2 + 1 + 87);
	memcpy(x + d2 + 1, zeros, 87);
	REJECT(ks1, x, "bad_signature");
	free(x);
	x = tok_rs(t, zero, s, 32);
	REJECT(ks1, x, "bad_signature");
	free(x);
	x = tok_rs(t, r, zero, 32);
	REJECT(ks1, x, "bad_signature");
	free(x);

	/* S2: {0, 1, n-1, n, n+1, p, p+1} for r and s in every pairing. */
	v[0] = BN_dup(zero);
	v[1] = BN_dup(one);
	v[2] = BN_dup(n);
	BN_sub_word(v[2], 1);
	v[3] = BN_dup(n);
	v[4] = BN_dup(n);
	BN_add_word(v[4], 1);
	v[5] = BN_dup(p);
	v[6] = BN_dup(p);
	BN_add_word(v[6], 1);
	v[7] = NULL;
	for (i = 0; i < 7; i++) {
		for (j = 0; j < 7; j++) {
			x = tok_rs(t, v[i], v[j], 32);
			REJECT(ks1, x, "bad_signature");
			free(x);
		}
		/* Special values against the real other half. */
		x = tok_rs(t, v[i], s, 32);
		REJECT(ks1, x, "bad_signature");
		free(x);
		x = tok_rs(t, r, v[i], 32);
		REJECT(ks1, x, "bad_signature");
		free(x);
	}

	/*
	 * 0, n, n+1, p, p+1 never reach OpenSSL: the range check comes
	 * first (CVE-2022-21449 stays fixed whatever the library does).
	 */
	for (i = 0; i < 7; i++) {
		struct sg_err	 err;
		uint8_t		 raw[64];

		if (i == 1 || i == 2)
			continue;	/* 1 and n-1 are in range */
		ck_assert_int_eq(BN_bn2binpad(v[i], raw, 32), 32);
		memcpy(raw + 32, sig + 32, 32);
		sg_err_clear(&err);
		ck_assert_int_eq(sg_es256_verify(key1, "m", 1, raw, 64, &err),
		    SG_EAUTH);
		ck_assert_msg(strstr(err.msg, "out of range") != NULL, "%s",
		    err.msg);
		memcpy(raw, sig, 32);
		ck_assert_int_eq(BN_bn2binpad(v[i], raw + 32, 32), 32);
		sg_err_clear(&err);
		ck_assert_int_eq(sg_es256_verify(key1, "m", 1, raw, 64, &err),
		    SG_EAUTH);
		ck_assert_msg(strstr(err.msg, "out of range") != NULL, "%s",
		    err.msg);
	}

	/* S5: r + n and s + n (33 bytes when they overflow, else >= n). */
	tmp = BN_new();
	BN_add(tmp, r, n);
	x = tok_rs(t, tmp, s, 32);
	REJECT(ks1, x, "bad_signature");
	free(x);
	BN_add(tmp, s, n);
	x = tok_rs(t, r, tmp, 32);
	REJECT(ks1, x, "bad_signature");
	free(x);
	/* r + 2^256 written out in 33 bytes. */
	two256 = BN_new();
	BN_set_bit(two256, 256);
	BN_add(tmp, r, two256);
	x = tok_rs(t, tmp, s, 32);
	REJECT(ks1, x, "bad_signature");
	free(x);
	/* The original still verifies. */
	x = tok_rs(t, r, s, 32);
	ACCEPT(ks1, x);
	free(x);

	for (i = 0; i < 7; i++)
		BN_free(v[i]);
	BN_free(tmp);
	BN_free(two256);
	BN_free(zero);
	BN_free(one);
	BN_free(r);
	BN_free(s);
	BN_free(n);
	BN_free(p);
	free(t);
}
END_TEST

/* S3, S4: lengths and DER. */
START_TEST(test_s3_s4_lengths_der)
{
	uint8_t		 sig[64], buf[128], *der = NULL;
	char		*t, *x;
	ECDSA_SIG	*es;
	BIGNUM		*r, *s;
	int		 derlen;
	size_t		 lens[] = { 63, 65, 66, 96, 1, 32, 128 };
	size_t		 i;

	t = baseline(key1);
	sig_of(t, sig);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		memset(buf, 0, sizeof(buf));
		memcpy(buf, sig, lens[i] < 64 ? lens[i] : 64);
		x = resign(t, buf, lens[i]);
		REJECT(ks1, x, "bad_signature");
		free(x);
	}
	/* 0 bytes: the empty segment. */
	x = resign(t, buf, 0);
	REJECT(ks1, x, "malformed_token");
	free(x);
	/* r||s||00 and 00||r||s. */
	memcpy(buf, sig, 64);
	buf[64] = 0;
	x = resign(t, buf, 65);
	REJECT(ks1, x, "bad_signature");
	free(x);
	buf[0] = 0;
	memcpy(buf + 1, sig, 64);
	x = resign(t, buf, 65);
	REJECT(ks1, x, "bad_signature");
	free(x);
	/* Each half padded to 33 bytes. */
	buf[0] = 0;
	memcpy(buf + 1, sig, 32);
	buf[33] = 0;
	memcpy(buf + 34, sig + 32, 32);
	x = resign(t, buf, 66);
	REJECT(ks1, x, "bad_signature");
	free(x);
	/* S4: the same signature in DER (70-72 bytes). */
	es = ECDSA_SIG_new();
	r = BN_bin2bn(sig, 32, NULL);
	s = BN_bin2bn(sig + 32, 32, NULL);
	ck_assert_int_eq(ECDSA_SIG_set0(es, r, s), 1);
	derlen = i2d_ECDSA_SIG(es, &der);
	ck_assert_int_ge(derlen, 8);
	ck_assert_int_le(derlen, 72);
	x = resign(t, der, (size_t)derlen);
	REJECT(ks1, x, "bad_signature");
	free(x);
	/* DER padded or cut to 64 bytes is garbage too. */
	memset(buf, 0, sizeof(buf));
	memcpy(buf, der, (size_t)derlen < 64 ? (size_t)derlen : 64);
	x = resign(t, buf, 64);
	REJECT(ks1, x, "bad_signature");
	free(x);
	/* And directly through the primitive. */
	ck_assert_int_eq(sg_es256_verify(key1, "x", 1, der, (size_t)derlen,
	    NULL), SG_EAUTH);
	ck_assert_int_eq(sg_es256_verify(key1, "x", 1, sig, 0, NULL),
	    SG_EAUTH);
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	free(t);
}
END_TEST

/* Flip every bit of a decoded segment, re-encode, expect rejection. */
static void
flip_segment(const char *t, int seg)
{
	uint8_t	 raw[4096];
	size_t	 d1, d2, start, len, n, bit;
	char	*enc, *x, *pre, *post;
	int	 rejected = 0;

	dots(t, &d1, &d2);
	start = seg == 0 ? 0 : seg == 1 ? d1 + 1 : d2 + 1;
	len = seg == 0 ? d1 : seg == 1 ? d2 - d1 - 1 : strlen(t) - d2 - 1;
	ck_assert_int_eq(sg_b64url_decode(t + start, len, raw, sizeof(raw), &n,
	    NULL), SG_OK);
	pre = strndup(t, start);
	post = strdup(t + start + len);
	for (bit = 0; bit < n * 8; bit++) {
		raw[bit / 8] ^= (uint8_t)(1 << (bit % 8));
		enc = b64n(raw, n);
		len = strlen(pre) + strlen(enc) + strlen(post) + 1;
		x = malloc(len);
		(void)snprintf(x, len, "%s%s%s", pre, enc, post);
		REJECT_ANY(ks1, x);
		rejected++;
		free(x);
		free(enc);
		raw[bit / 8] ^= (uint8_t)(1 << (bit % 8));
	}
	ck_assert_int_eq(rejected, (int)(n * 8));
	free(pre);
	free(post);
}

/* S6: every single-bit change of header, payload and signature. */
START_TEST(test_s6_bit_flips)
{
	char	*t = baseline(key1);

	flip_segment(t, 0);
	flip_segment(t, 1);
	flip_segment(t, 2);
	ACCEPT(ks1, t);
	free(t);
}
END_TEST

/* S7: signatures over anything but the signing input as received. */
START_TEST(test_s7_signing_input)
{
	char	*h64, *p64, *hpad, *ppad, *in, *t, *s64;
	uint8_t	 sig[64];
	size_t	 hl, pl;

	h64 = b64s(hdr1);
	p64 = b64s(PAYLOAD);
	hl = strlen(h64);
	pl = strlen(p64);
	/* Padded base64url of both parts. */
	hpad = calloc(1, hl + 3);
	ppad = calloc(1, pl + 3);
	memcpy(hpad, h64, hl);
	memcpy(ppad, p64, pl);
	while (hl % 4)
		hpad[hl++] = '=';
	while (pl % 4)
		ppad[pl++] = '=';
	in = join2(hpad, ppad);
	ck_assert_str_ne(in, h64);
	ck_assert_int_eq(sg_es256_sign(key1, in, strlen(in), sig, NULL), SG_OK);
	s64 = b64n(sig, 64);
	t = join3(h64, p64, s64);
	REJECT(ks1, t, "bad_signature");
	free(t);
	free(s64);
	free(in);
	/* The decoded JSON "header.payload". */
	in = join2(hdr1, PAYLOAD);
	ck_assert_int_eq(sg_es256_sign(key1, in, strlen(in), sig, NULL), SG_OK);
	s64 = b64n(sig, 64);
	t = join3(h64, p64, s64);
	REJECT(ks1, t, "bad_signature");
	free(t);
	free(s64);
	free(in);
	/* The payload alone, decoded and encoded. */
	ck_assert_int_eq(sg_es256_sign(key1, PAYLOAD, strlen(PAYLOAD), sig,
	    NULL), SG_OK);
	s64 = b64n(sig, 64);
	t = join3(h64, p64, s64);
	REJECT(ks1, t, "bad_signature");
	free(t);
	free(s64);
	ck_assert_int_eq(sg_es256_sign(key1, p64, strlen(p64), sig, NULL),
	    SG_OK);
	s64 = b64n(sig, 64);
	t = join3(h64, p64, s64);
	REJECT(ks1, t, "bad_signature");
	free(t);
	free(s64);
	/* Re-serialised JSON: a signature over a whitespace variant. */
	{
		char	*p2 = b64s("{ \"iss\":\"https://sandgate.test\"}");
		char	*p1 = b64s("{\"iss\":\"https://sandgate.test\"}");

		in = join2(h64, p2);
		ck_assert_int_eq(sg_es256_sign(key1, in, strlen(in), sig, NULL),
		    SG_OK);
		s64 = b64n(sig, 64);
		t = join3(h64, p1, s64);
		REJECT(ks1, t, "bad_signature");
		free(t);
		t = join3(h64, p2, s64);
		ACCEPT(ks1, t);
		free(t);
		free(s64);
		free(in);
		free(p1);
		free(p2);
	}
	free(hpad);
	free(ppad);
	free(h64);
	free(p64);
}
END_TEST

/* S8: the high-S twin s' = n - s verifies (and so does the original). */
START_TEST(test_s8_high_s)
{
	BIGNUM	*n, *r, *s, *s2, *half;
	uint8_t	 sig[64];
	char	*t, *x;
	int	 i, high = 0, low = 0;

	n = bn_hex(P256_N);
	half = BN_dup(n);
	BN_rshift1(half, half);
	for (i = 0; i < 32; i++) {
		t = baseline(key1);
		sig_of(t, sig);
		r = BN_bin2bn(sig, 32, NULL);
		s = BN_bin2bn(sig + 32, 32, NULL);
		s2 = BN_new();
		ck_assert_int_eq(BN_sub(s2, n, s), 1);
		if (BN_cmp(s2, half) > 0)
			high++;
		else
			low++;
		x = tok_rs(t, r, s2, 32);
		ck_assert_str_ne(x, t);
		ACCEPT(ks1, x);
		ACCEPT(ks1, t);
		free(x);
		BN_free(r);
		BN_free(s);
		BN_free(s2);
		free(t);
	}
	/* Both halves occurred, so both low-S and high-S were accepted. */
	ck_assert_int_gt(high, 0);
	ck_assert_int_gt(low, 0);
	BN_free(n);
	BN_free(half);
}
END_TEST

/*
 * S10 (and S9): 10,000 fresh tokens, each with an 86-character signature
 * segment that verifies; among them some r or s with a leading zero byte
 * (about 1 in 128), which must be written as 32 bytes and accepted.
 */
START_TEST(test_s9_s10_ten_thousand)
{
	cJSON	*claims;
	char	*t, jti[SG_JTI_LEN + 1];
	uint8_t	 sig[64];
	size_t	 d1, d2;
	int	 i, lead0 = 0;

	claims = cJSON_Parse(PAYLOAD);
	for (i = 0; i < 10000; i++) {
		ck_assert_int_eq(sg_random_jti(jti, sizeof(jti), NULL), SG_OK);
		cJSON_ReplaceItemInObjectCaseSensitive(claims, "jti",
		    cJSON_CreateString(jti));
		t = NULL;
		ck_assert_int_eq(sg_jwt_sign(key1, claims, &t, NULL), SG_OK);
		dots(t, &d1, &d2);
		ck_assert_msg(strlen(t + d2 + 1) == 86, "token %d: signature of "
		    "%zu characters", i, strlen(t + d2 + 1));
		sig_of(t, sig);
		if (sig[0] == 0 || sig[32] == 0)
			lead0++;
		ck_assert_msg(sg_jwt_verify(ks1, t, strlen(t), NULL, NULL,
		    NULL) == SG_OK, "token %d does not verify", i);
		free(t);
	}
	cJSON_Delete(claims);
	printf("S10: 10000 tokens signed and verified, 86-char signatures; "
	    "%d with a leading zero byte in r or s\n", lead0);
	ck_assert_int_gt(lead0, 10);
}
END_TEST

/* S9 through the primitive: small r and s written with leading zeros. */
START_TEST(test_s9_small_values)
{
	uint8_t	 sig[64];
	char	 msg[32];
	int	 i, found = 0;

	for (i = 0; i < 20000 && found < 4; i++) {
		(void)snprintf(msg, sizeof(msg), "m%d", i);
		ck_assert_int_eq(sg_es256_sign(key1, msg, strlen(msg), sig,
		    NULL), SG_OK);
		if (sig[0] == 0 || sig[32] == 0) {
			found++;
			ck_assert_int_eq(sg_es256_verify(key1, msg, strlen(msg),
			    sig, 64, NULL), SG_OK);
			/* Stripping the zero byte is a 63-byte signature. */
			ck_assert_int_eq(sg_es256_verify(key1, msg, strlen(msg),
			    sig + 1, 63, NULL), SG_EAUTH);
		}
	}
	ck_assert_int_eq(found, 4);
}
END_TEST

/* S11: a key set that would hold a bad key is never built. */
START_TEST(test_s11_key_load)
{
	struct sg_keyset	*ks = NULL;

	ck_assert_int_ne(sg_keyset_load(SG_TESTDATA "/test-key-p384.pem",
	    &ks, NULL), SG_OK);
	ck_assert_int_ne(sg_keyset_load(SG_TESTDATA "/test-key-k256.pem",
	    &ks, NULL), SG_OK);
	ck_assert_int_ne(sg_keyset_load(SG_TESTDATA "/test-key-rsa.pem",
	    &ks, NULL), SG_OK);
	ck_assert_int_ne(sg_keyset_load(KEY1PUB "," SG_TESTDATA
	    "/test-key-rsa.pem", &ks, NULL), SG_OK);
	ck_assert_ptr_null(ks);
	/* An empty set verifies nothing. */
	ks = sg_keyset_new();
	{
		char	*t = baseline(key1);

		REJECT(ks, t, "unknown_kid");
		free(t);
		t = tok("{\"alg\":\"ES256\"}", PAYLOAD, key1);
		REJECT(ks, t, "unknown_kid");
		free(t);
	}
	sg_keyset_free(ks);
}
END_TEST

static char *
read_text(const char *path)
{
	FILE	*f = fopen(path, "rb");
	char	*buf;
	long	 n;

	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* 3.8 item 1: RFC 7515 A.3 (high s, CRLF and spaces in the payload). */
START_TEST(test_accept_rfc7515_a3)
{
	char			*text;
	cJSON			*doc, *claims = NULL;
	struct sg_keyset	*ks = sg_keyset_new();
	struct sg_key		*k = NULL;
	const char		*jws;

	text = read_text(A3);
	doc = cJSON_Parse(text);
	ck_assert_ptr_nonnull(doc);
	ck_assert_int_eq(sg_key_from_jwk(cJSON_GetObjectItemCaseSensitive(doc,
	    "public_jwk"), &k, NULL), SG_OK);
	ck_assert_int_eq(sg_keyset_add(ks, k, NULL), SG_OK);
	jws = cJSON_GetObjectItemCaseSensitive(doc, "compact_jws")->valuestring;
	/* This layer checks the signature; claims.c will say "expired". */
	ck_assert_int_eq(sg_jwt_verify(ks, jws, strlen(jws), &claims, NULL,
	    NULL), SG_OK);
	ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(claims, "iss")->
	    valuestring, "joe");
	cJSON_Delete(claims);
	/* Not with our key set. */
	REJECT(ks1, jws, "bad_signature");
	cJSON_Delete(doc);
	free(text);
	sg_keyset_free(ks);
}
END_TEST

/* 3.8 items 3-5: JSON whitespace, member order, partial segments. */
START_TEST(test_accept_forms)
{
	static const char *const hdrs[] = {
		"{ \"alg\" : \"ES256\" }",
		"{\n\t\"alg\":\"ES256\",\n\t\"typ\":\"JWT\"\n}",
		"{\r\n\"alg\":\"ES256\"}",
		"{\"typ\":\"JWT\",\"alg\":\"ES256\"}",
		"{\"alg\":\"\\u0045S256\"}",	/* escaped ASCII */
		"{\"alg\":\"ES256\"}",
		"{\"alg\":\"ES256\" }",
		"{\"alg\":\"ES256\"  }",
	};
	static const char *const payloads[] = {
		"{}", "{ }", "{\"a\":1}", "{\"ab\":1}", "{\"abc\":1}",
		"{\n  \"iss\" : \"x\" ,\r\n \"exp\":1}",
	};
	char	 hdr[200], *t;
	size_t	 i, j, mod[4] = { 0 }, d1, d2;

	for (i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++)
		for (j = 0; j < sizeof(payloads) / sizeof(payloads[0]); j++) {
			t = tok(hdrs[i], payloads[j], key1);
			ACCEPT(ks1, t);
			dots(t, &d1, &d2);
			mod[d1 % 4]++;
			mod[(d2 - d1 - 1) % 4]++;
			free(t);
		}
	/* Segments of length 0, 2 and 3 mod 4 all occurred. */
	ck_assert_uint_gt(mod[0], 0);
	ck_assert_uint_gt(mod[2], 0);
	ck_assert_uint_gt(mod[3], 0);
	ck_assert_uint_eq(mod[1], 0);
	/* kid first, then alg. */
	(void)snprintf(hdr, sizeof(hdr), "{\"kid\":\"%s\",\"alg\":\"ES256\"}",
	    sg_key_kid(key1));
	t = tok(hdr, PAYLOAD, key1);
	ACCEPT(ks12, t);
	free(t);
	(void)snprintf(hdr, sizeof(hdr), "{\"kid\":\"%s\",\"typ\":\"JWT\","
	    "\"alg\":\"ES256\"}", sg_key_kid(key1));
	t = tok(hdr, PAYLOAD, key1);
	ACCEPT(ks12, t);
	free(t);
}
END_TEST

/* The payload must be a strict JSON object, checked after the signature. */
START_TEST(test_payload_strict)
{
	static const char *const bad[] = {
		"[]", "\"x\"", "1", "null", "{\"a\":1}x", "{\"a\":1}{\"a\":2}",
		"{\"exp\":1,\"exp\":2}", "\xef\xbb\xbf{}", "foo", "{",
	};
	uint8_t	*payload = NULL;
	size_t	 plen, i;
	char	*t;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = tok(hdr1, bad[i], key1);
		REJECT(ks1, t, "bad_payload");
		/* The raw layer accepts it: the signature is good. */
		ck_assert_int_eq(sg_jwt_verify_raw(ks1, t, strlen(t), &payload,
		    &plen, NULL, NULL), SG_OK);
		ck_assert_uint_eq(plen, strlen(bad[i]));
		ck_assert(memcmp(payload, bad[i], plen) == 0);
		ck_assert_uint_eq(payload[plen], 0);
		free(payload);
		free(t);
	}
	/* A NUL inside the payload. */
	{
		const char	 p[] = "{\"exp\":1}\0{\"exp\":2}";
		char		*h64 = b64s(hdr1), *p64 = b64n(p, sizeof(p) - 1);

		t = sign_input(h64, p64, key1);
		REJECT(ks1, t, "bad_payload");
		free(t);
		free(h64);
		free(p64);
	}
	/* A bad payload under a bad signature is a bad signature. */
	t = tok(hdr1, "[]", attacker);
	REJECT(ks1, t, "bad_signature");
	free(t);
}
END_TEST

/* Keys used from several threads fall back to fresh contexts. */
#include <pthread.h>

struct worker {
	const char	*tok;
	int		 ok;
};

static void *
work(void *arg)
{
	struct worker	*w = arg;
	int		 i;

	for (i = 0; i < 300; i++)
		if (sg_jwt_verify(ks1, w->tok, strlen(w->tok), NULL, NULL,
		    NULL) == SG_OK)
			w->ok++;
	return NULL;
}

START_TEST(test_threads)
{
	pthread_t	 th[4];
	struct worker	 w[4];
	char		*t = baseline(key1), *bad = strdup(t);
	int		 i;

	bad[strlen(bad) - 2] = bad[strlen(bad) - 2] == 'A' ? 'B' : 'A';
	for (i = 0; i < 4; i++) {
		w[i].tok = i % 2 ? t : bad;
		w[i].ok = 0;
		ck_assert_int_eq(pthread_create(&th[i], NULL, work, &w[i]), 0);
	}
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(w[i].ok, i % 2 ? 300 : 0);
	free(t);
	free(bad);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("jwt");
	tc = tcase_create("basics");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_sign_verify_baseline);
	tcase_add_test(tc, test_rotation);
	tcase_add_test(tc, test_payload_strict);
	tcase_add_test(tc, test_threads);
	suite_add_tcase(s, tc);

	tc = tcase_create("E-structure");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_e1_e4_structure);
	tcase_add_test(tc, test_e5_json_serialization);
	tcase_add_test(tc, test_e6_e9_characters);
	tcase_add_test(tc, test_e7_std_alphabet);
	tcase_add_test(tc, test_e10_e11_canonical);
	tcase_add_test(tc, test_e12_oversize);
	tcase_add_test(tc, test_e13_e14_http_leftovers);
	suite_add_tcase(s, tc);

	tc = tcase_create("A-header");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_a1_none);
	tcase_add_test(tc, test_a2_alg_values);
	tcase_add_test(tc, test_a3_other_algs);
	tcase_add_test(tc, test_a4_hs256_confusion);
	tcase_add_test(tc, test_a5_a7_header_json);
	tcase_add_test(tc, test_a8_typ);
	tcase_add_test(tc, test_a9_refused_members);
	suite_add_tcase(s, tc);

	tc = tcase_create("K-keys");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_k1_k3_key_headers);
	tcase_add_test(tc, test_k4_k6_kid);
	tcase_add_test(tc, test_k7_crit);
	tcase_add_test(tc, test_k8_extra_key_headers);
	suite_add_tcase(s, tc);

	tc = tcase_create("S-signature");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_s1_s2_s5_ranges);
	tcase_add_test(tc, test_s3_s4_lengths_der);
	tcase_add_test(tc, test_s6_bit_flips);
	tcase_add_test(tc, test_s7_signing_input);
	tcase_add_test(tc, test_s8_high_s);
	tcase_add_test(tc, test_s9_s10_ten_thousand);
	tcase_add_test(tc, test_s9_small_values);
	tcase_add_test(tc, test_s11_key_load);
	suite_add_tcase(s, tc);

	tc = tcase_create("must-accept");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_accept_rfc7515_a3);
	tcase_add_test(tc, test_accept_forms);
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
