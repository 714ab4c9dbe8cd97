/* SPDX-License-Identifier: ISC */
/*
 * P-256 keys and key sets (lib/keys.c): loading from PEM, SPKI and JWK,
 * refusal of every other curve and key type and of bad points
 * (docs/security.md S11), RFC 7638 thumbprints, PEM output and file
 * modes, key sets for rotation, JWKS.
 */
#include "config.h"

#include <sys/stat.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <openssl/bio.h>
#include <openssl/buffer.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "b64url.h"
#include "crypto.h"
#include "jwt.h"
#include "keys.h"

#define KEY1	SG_TESTDATA "/test-key-1.pem"
#define KEY1PUB	SG_TESTDATA "/test-key-1.pub.pem"
#define KEY2	SG_TESTDATA "/test-key-2.pem"
#define KEY2PUB	SG_TESTDATA "/test-key-2.pub.pem"

/*
 * RFC 7638 thumbprints computed independently of lib/keys.c, with Python's
 * hashlib over the canonical JSON of the coordinates that pyca/cryptography
 * read from the PEM files:
 *   c = '{"crv":"P-256","kty":"EC","x":"%s","y":"%s"}' % (x, y)
 *   base64url(sha256(c)) without padding
 */
#define KEY1_X	"3C5IJhF_AsUZAnptFni1s36Qq3mB7OTP_207ngLcCmE"
#define KEY1_Y	"ssPGoatzQzvvHRGB1M1P0KOezDkYJvGrASdt6B6-DPc"
#define KEY1_KID "yPDDNDTOdwrQcl9WMZEJRZGOnleOBE0FHbndX54k_DQ"
#define KEY2_KID "GjzTWlrYOKd_Yw1ghLIBAZSj7JcINZirkC8-ccPErdk"
/* RFC 7515 A.3's key (x, y from the RFC). */
#define A3_X	"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"
#define A3_Y	"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"
#define A3_KID	"oKIywvGUpTVTyxMQ3bwIIeQUudfr_CkLMjCE19ECD-U"

static char	 tmpdir[64];

static void
setup_tmp(void)
{
	(void)snprintf(tmpdir, sizeof(tmpdir), "/tmp/sgkeys.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
teardown_tmp(void)
{
	/* Our own mkdtemp directory only, depth first, no symlinks followed. */
	ck_assert_int_eq(nftw(tmpdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS), 0);
}

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

static cJSON *
jwk_of(const char *x, const char *y)
{
	cJSON	*j = cJSON_CreateObject();

	cJSON_AddStringToObject(j, "kty", "EC");
	cJSON_AddStringToObject(j, "crv", "P-256");
	cJSON_AddStringToObject(j, "x", x);
	cJSON_AddStringToObject(j, "y", y);
	return j;
}

static enum sg_rc
from_jwk_text(const char *text, struct sg_key **k)
{
	cJSON		*j;
	enum sg_rc	 rc;

	*k = NULL;
	j = cJSON_Parse(text);
	ck_assert_ptr_nonnull(j);
	rc = sg_key_from_jwk(j, k, NULL);
	cJSON_Delete(j);
	return rc;
}

static void
write_file(const char *path, const char *text)
{
	FILE	*f;

	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
}

START_TEST(test_load_pem)
{
	struct sg_key	*priv, *pub;

	priv = load(KEY1);
	pub = load(KEY1PUB);
	ck_assert(sg_key_is_private(priv));
	ck_assert(!sg_key_is_private(pub));
	ck_assert_str_eq(sg_key_kid(priv), KEY1_KID);
	ck_assert_str_eq(sg_key_kid(pub), KEY1_KID);
	sg_key_free(priv);
	sg_key_free(pub);
	pub = load(KEY2PUB);
	ck_assert_str_eq(sg_key_kid(pub), KEY2_KID);
	sg_key_free(pub);
	sg_key_free(NULL);
}
END_TEST

/* S11: wrong curve or key type: loading must fail (startup fails). */
START_TEST(test_refuse_other_keys)
{
	static const char *const bad[] = {
		SG_TESTDATA "/test-key-p384.pem",
		SG_TESTDATA "/test-key-k256.pem",
		SG_TESTDATA "/test-key-rsa.pem",
		SG_TESTDATA "/README.md",
		SG_TESTDATA "/no-such-file.pem",
		SG_TESTDATA,
	};
	struct sg_key	*k = NULL;
	struct sg_err	 err;
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sg_err_clear(&err);
		ck_assert_msg(sg_key_load_pem(bad[i], &k, &err) != SG_OK,
		    "loaded %s", bad[i]);
		ck_assert_ptr_null(k);
		ck_assert(err.msg[0] != '\0');
	}
	/* And the Ed25519/X25519 types that OpenSSL knows. */
	{
		EVP_PKEY	*ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		unsigned char	*der = NULL;
		int		 n;

		ck_assert_ptr_nonnull(ed);
		n = i2d_PUBKEY(ed, &der);
		ck_assert_int_gt(n, 0);
		ck_assert_int_eq(sg_key_from_spki(der, (size_t)n, &k, NULL),
		    SG_EINVAL);
		OPENSSL_free(der);
		EVP_PKEY_free(ed);
	}
}
END_TEST

START_TEST(test_pem_text_forms)
{
	struct sg_key	*k = NULL;
	char		*pem;
	const char	 junk[] = "-----BEGIN CERTIFICATE-----\nMIIB\n"
	    "-----END CERTIFICATE-----\n";
	const char	 enc[] = "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
	    "MIIB\n-----END ENCRYPTED PRIVATE KEY-----\n";

	k = load(KEY1);
	pem = sg_key_pem(k, 0);
	ck_assert_ptr_nonnull(pem);
	ck_assert(strncmp(pem, "-----BEGIN PUBLIC KEY-----", 26) == 0);
	sg_key_free(k);
	ck_assert_int_eq(sg_key_from_pem(pem, strlen(pem), &k, NULL), SG_OK);
	ck_assert(!sg_key_is_private(k));
	ck_assert_ptr_null(sg_key_pem(k, 1));	/* no private half */
	sg_key_free(k);
	free(pem);

	ck_assert_int_eq(sg_key_from_pem(junk, strlen(junk), &k, NULL),
	    SG_EINVAL);
	ck_assert_int_eq(sg_key_from_pem(enc, strlen(enc), &k, NULL),
	    SG_EINVAL);
	ck_assert_int_eq(sg_key_from_pem("", 0, &k, NULL), SG_EINVAL);
	ck_assert_ptr_null(k);
}
END_TEST

/* The other PEM forms OpenSSL writes for the same key. */
START_TEST(test_pem_sec1_and_encrypted)
{
	struct sg_key	*k = NULL;
	EVP_PKEY	*pk;
	BIO		*bio;
	BUF_MEM		*mem;
	FILE		*f;
	char		 text[4096];
	const char	 params[] = "-----BEGIN EC PARAMETERS-----\n"
	    "BggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n";
	size_t		 n;

	ck_assert_ptr_nonnull(f = fopen(KEY1, "r"));
	ck_assert_ptr_nonnull(pk = PEM_read_PrivateKey(f, NULL, NULL, NULL));
	fclose(f);
	/* SEC 1 "EC PRIVATE KEY", after an "EC PARAMETERS" block. */
	bio = BIO_new(BIO_s_mem());
	ck_assert_int_eq(PEM_write_bio_PrivateKey_traditional(bio, pk, NULL,
	    NULL, 0, NULL, NULL), 1);
	BIO_get_mem_ptr(bio, &mem);
	ck_assert(strstr(mem->data, "BEGIN EC PRIVATE KEY") != NULL);
	n = (size_t)snprintf(text, sizeof(text), "%s%.*s", params,
	    (int)mem->length, mem->data);
	ck_assert_int_eq(sg_key_from_pem(text, n, &k, NULL), SG_OK);
	ck_assert(sg_key_is_private(k));
	ck_assert_str_eq(sg_key_kid(k), KEY1_KID);
	sg_key_free(k);
	BIO_free(bio);
	/* Encrypted PKCS#8: refused, and never a passphrase prompt. */
	bio = BIO_new(BIO_s_mem());
	ck_assert_int_eq(PEM_write_bio_PKCS8PrivateKey(bio, pk,
	    EVP_aes_256_cbc(), NULL, 0, NULL, (void *)"secret"), 1);
	BIO_get_mem_ptr(bio, &mem);
	ck_assert_int_eq(sg_key_from_pem(mem->data, mem->length, &k, NULL),
	    SG_EINVAL);
	BIO_free(bio);
	/* Encrypted SEC 1 (Proc-Type: 4,ENCRYPTED). */
	bio = BIO_new(BIO_s_mem());
	ck_assert_int_eq(PEM_write_bio_PrivateKey_traditional(bio, pk,
	    EVP_aes_256_cbc(), (unsigned char *)"secret", 6, NULL, NULL), 1);
	BIO_get_mem_ptr(bio, &mem);
	ck_assert(strstr(mem->data, "ENCRYPTED") != NULL);
	ck_assert_int_eq(sg_key_from_pem(mem->data, mem->length, &k, NULL),
	    SG_EINVAL);
	ck_assert_ptr_null(k);
	BIO_free(bio);
	EVP_PKEY_free(pk);
}
END_TEST

/* RFC 7638 3.1 computed by hand against the canonical JSON. */
static void
check_thumbprint(const struct sg_key *k)
{
	cJSON		*jwk;
	const char	*x, *y;
	char		 canon[160], want[64];
	unsigned char	 md[32];
	unsigned int	 mdlen;

	jwk = sg_key_jwk(k);
	ck_assert_ptr_nonnull(jwk);
	x = cJSON_GetObjectItemCaseSensitive(jwk, "x")->valuestring;
	y = cJSON_GetObjectItemCaseSensitive(jwk, "y")->valuestring;
	ck_assert_uint_eq(strlen(x), 43);
	ck_assert_uint_eq(strlen(y), 43);
	(void)snprintf(canon, sizeof(canon),
	    "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}", x, y);
	ck_assert_int_eq(EVP_Digest(canon, strlen(canon), md, &mdlen,
	    EVP_sha256(), NULL), 1);
	sg_b64url_encode(md, mdlen, want, sizeof(want));
	ck_assert_str_eq(sg_key_kid(k), want);
	ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(jwk, "kid")->
	    valuestring, want);
	cJSON_Delete(jwk);
}

START_TEST(test_thumbprint)
{
	struct sg_key	*k;
	cJSON		*j;
	char		*text;
	int		 i;

	k = load(KEY1);
	check_thumbprint(k);
	j = sg_key_jwk(k);
	ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(j, "x")->
	    valuestring, KEY1_X);
	ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(j, "y")->
	    valuestring, KEY1_Y);
	/* Member order and content of the exported JWK; no private part. */
	text = cJSON_PrintUnformatted(j);
	ck_assert_str_eq(text, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\""
	    KEY1_X "\",\"y\":\"" KEY1_Y "\",\"kid\":\"" KEY1_KID
	    "\",\"use\":\"sig\",\"alg\":\"ES256\"}");
	free(text);
	cJSON_Delete(j);
	sg_key_free(k);

	/* The RFC 7515 A.3 key, from a JWK without kid. */
	j = jwk_of(A3_X, A3_Y);
	ck_assert_int_eq(sg_key_from_jwk(j, &k, NULL), SG_OK);
	ck_assert_str_eq(sg_key_kid(k), A3_KID);
	check_thumbprint(k);
	sg_key_free(k);
	cJSON_Delete(j);

	/* Fresh keys: thumbprint always 43 base64url characters. */
	for (i = 0; i < 20; i++) {
		ck_assert_int_eq(sg_key_generate(&k, NULL), SG_OK);
		ck_assert_uint_eq(strlen(sg_key_kid(k)), 43);
		check_thumbprint(k);
		sg_key_free(k);
	}
}
END_TEST

START_TEST(test_jwk_roundtrip)
{
	struct sg_key	*k, *k2, *pub;
	cJSON		*j;
	uint8_t		 sig[64];

	k = load(KEY1);
	j = sg_key_jwk(k);
	ck_assert_int_eq(sg_key_from_jwk(j, &k2, NULL), SG_OK);
	ck_assert_str_eq(sg_key_kid(k2), KEY1_KID);
	ck_assert(!sg_key_is_private(k2));
	cJSON_Delete(j);
	/* The public key from the JWK verifies what the private key signs. */
	ck_assert_int_eq(sg_es256_sign(k, "msg", 3, sig, NULL), SG_OK);
	ck_assert_int_eq(sg_es256_verify(k2, "msg", 3, sig, 64, NULL), SG_OK);
	ck_assert_int_eq(sg_key_public(k, &pub, NULL), SG_OK);
	ck_assert(!sg_key_is_private(pub));
	ck_assert_str_eq(sg_key_kid(pub), KEY1_KID);
	ck_assert_int_eq(sg_es256_verify(pub, "msg", 3, sig, 64, NULL), SG_OK);
	ck_assert_int_eq(sg_es256_sign(pub, "msg", 3, sig, NULL), SG_EINVAL);
	sg_key_free(pub);
	sg_key_free(k2);

	/* A JWK's own kid is kept; "d" is ignored (public key only). */
	ck_assert_int_eq(from_jwk_text("{\"kty\":\"EC\",\"crv\":\"P-256\","
	    "\"kid\":\"kid-ec-sign\",\"use\":\"sig\",\"alg\":\"ES256\","
	    "\"key_ops\":[\"sign\",\"verify\"],\"x\":\"" KEY1_X "\",\"y\":\""
	    KEY1_Y "\",\"d\":\"AAAA\"}", &k2), SG_OK);
	ck_assert_str_eq(sg_key_kid(k2), "kid-ec-sign");
	ck_assert(!sg_key_is_private(k2));
	sg_key_free(k2);
	sg_key_free(k);
}
END_TEST

/* S11 and Wycheproof ec_key_for_encryption: JWKs that must not load. */
START_TEST(test_jwk_refused)
{
	static const char *const bad[] = {
		/* use / key_ops / alg (RFC 7517 4.2, 4.3; RFC 8725 3.1) */
		"{\"kty\":\"EC\",\"crv\":\"P-256\",\"use\":\"enc\",\"x\":\""
		    KEY1_X "\",\"y\":\"" KEY1_Y "\"}",
		"{\"kty\":\"EC\",\"crv\":\"P-256\",\"use\":1,\"x\":\""
		    KEY1_X "\",\"y\":\"" KEY1_Y "\"}",
		"{\"kty\":\"EC\",\"crv\":\"P-256\",\"key_ops\":[\"encrypt\"],"
		    "\"x\":\"" KEY1_X "\",\"y\":\"" KEY1_Y "\"}",
		"{\"kty\":\"EC\",\"crv\":\"P-256\",\"key_ops\":[],"
		    "\"x\":\"" KEY1_X "\",\"y\":\"" KEY1_Y "\"}",
		"{\"kty\":\"EC\",\"crv\":\"P-256\",\"key_ops\":\"verify\","
		    "\"x\":\"" KEY1_X "\",\"y\":\"" KEY1_Y "\"}",
		"{\"kty\":\"EC\",\"crv\":\"P-256\",\"key_ops\":[\"verify\",1],"
		    "\"x\":\"" KEY1_X "\",\"y\":\"" KEY1_Y "\"}",
		"{\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":\"ES384\","
		    "\"x\":\"" KEY1_X "\",\"y\":\"" KEY1_Y "\"}",
		"{\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":\"HS256\","
		    "\"x\":\"" KEY1_X "\",\"y\":\"" KEY1_Y "\"}",
		/* type and curve */
		"{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}",
		"{\"kty\":\"oct\",\"k\":\"AAAA\"}",
		"{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" KEY1_X "\"}",
		"{\"kty\":\"ec\",\"crv\":\"P-256\",\"x\":\"" KEY1_X
		    "\",\"y\":\"" KEY1_Y "\"}",
		"{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"" KEY1_X
		    "\",\"y\":\"" KEY1_Y "\"}",
		"{\"kty\":\"EC\",\"crv\":\"secp256k1\",\"x\":\"" KEY1_X
		    "\",\"y\":\"" KEY1_Y "\"}",
		"{\"kty\":\"EC\",\"x\":\"" KEY1_X "\",\"y\":\"" KEY1_Y "\"}",
		"{\"crv\":\"P-256\",\"x\":\"" KEY1_X "\",\"y\":\"" KEY1_Y "\"}",
		/* coordinates: size, encoding, presence */
		"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" KEY1_X "\"}",
		"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" KEY1_X
		    "\",\"y\":null}",
		"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" KEY1_X
		    "=\",\"y\":\"" KEY1_Y "\"}",
		"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"A" KEY1_X
		    "\",\"y\":\"" KEY1_Y "\"}",
		"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AAAA" KEY1_X
		    "\",\"y\":\"" KEY1_Y "\"}",
		"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"3C5IJhF_AsUZAnptFni1s"
		    "36Qq3mB7OTP_207ngLcCm\",\"y\":\"" KEY1_Y "\"}",
		/* last character 'F': non-zero unused bits (E11 for keys) */
		"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"3C5IJhF_AsUZAnptFni1s"
		    "36Qq3mB7OTP_207ngLcCmF\",\"y\":\"" KEY1_Y "\"}",
		"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"3C5IJhF/AsUZAnptFni1s"
		    "36Qq3mB7OTP_207ngLcCmE\",\"y\":\"" KEY1_Y "\"}",
		/* point not on the curve: y changed in its last bits */
		"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" KEY1_X
		    "\",\"y\":\"ssPGoatzQzvvHRGB1M1P0KOezDkYJvGrASdt6B6-DPg\"}",
		/* x and y swapped */
		"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" KEY1_Y
		    "\",\"y\":\"" KEY1_X "\"}",
		/* all-zero coordinates */
		"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AAAAAAAAAAAAAAAAAAAAAAA"
		    "AAAAAAAAAAAAAAAAAAAA\",\"y\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		    "AAAAAAAAAAAA\"}",
		/* x = p (not a field element), y = 0 */
		"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"_____wAAAAEAAAAAAAAAAAA"
		    "AAAD_______________8\",\"y\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		    "AAAAAAAAAAAA\"}",
		/* all-ones */
		"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"_______________________"
		    "____________________8\",\"y\":\"______________________________"
		    "_____________8\"}",
		/* kid: control characters, empty, too long, not a string */
		"{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"a\\r\\nb\",\"x\":\""
		    KEY1_X "\",\"y\":\"" KEY1_Y "\"}",
		"{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"\",\"x\":\""
		    KEY1_X "\",\"y\":\"" KEY1_Y "\"}",
		"{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":7,\"x\":\""
		    KEY1_X "\",\"y\":\"" KEY1_Y "\"}",
		"{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"\xc3\xa9\",\"x\":\""
		    KEY1_X "\",\"y\":\"" KEY1_Y "\"}",
		/* duplicate members (cJSON would use the first) */
		"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" KEY1_X
		    "\",\"x\":\"" KEY2_KID "\",\"y\":\"" KEY1_Y "\"}",
		"{\"kty\":\"EC\",\"crv\":\"P-256\",\"use\":\"sig\",\"use\":\"enc\""
		    ",\"x\":\"" KEY1_X "\",\"y\":\"" KEY1_Y "\"}",
		"[]", "\"EC\"", "null",
	};
	struct sg_key	*k = NULL;
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(from_jwk_text(bad[i], &k) != SG_OK,
		    "accepted JWK %zu: %s", i, bad[i]);
		ck_assert_ptr_null(k);
	}
	/* A 129-character kid. */
	{
		cJSON	*j = jwk_of(KEY1_X, KEY1_Y);
		char	 kid[SG_KID_MAX + 2];

		memset(kid, 'k', sizeof(kid) - 1);
		kid[sizeof(kid) - 1] = '\0';
		cJSON_AddStringToObject(j, "kid", kid);
		ck_assert_int_eq(sg_key_from_jwk(j, &k, NULL), SG_EINVAL);
		cJSON_Delete(j);
		j = jwk_of(KEY1_X, KEY1_Y);
		kid[SG_KID_MAX] = '\0';
		cJSON_AddStringToObject(j, "kid", kid);
		ck_assert_int_eq(sg_key_from_jwk(j, &k, NULL), SG_OK);
		sg_key_free(k);
		cJSON_Delete(j);
	}
	ck_assert_int_eq(sg_key_from_jwk(NULL, &k, NULL), SG_EINVAL);
}
END_TEST

static const char spki_p256_prefix[] = "3059301306072a8648ce3d020106082a"
    "8648ce3d03010703420004";

static size_t
unhex(const char *h, uint8_t *out, size_t size)
{
	size_t	 i, n = strlen(h) / 2;
	unsigned int v;

	ck_assert_uint_le(n, size);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(sscanf(h + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

START_TEST(test_spki)
{
	struct sg_key	*k = NULL, *k1;
	uint8_t		 der[200];
	char		 hex[400];
	size_t		 n;
	unsigned char	*p = NULL;
	EVP_PKEY	*pk;
	int		 len;

	/* A.3's SPKI (rfc7515-a3.json public_key_spki_der_hex). */
	n = unhex("3059301306072a8648ce3d020106082a8648ce3d030107034200047fcd"
	    "ce2770f6c45d4183cbee6fdb4b7b580733357be9ef13bacf6e3c7bd15445c7f1"
	    "44cd1bbd9b7e872cdfedb9eeb9f4b3695d6ea90b24ad8a4623288588e5ad",
	    der, sizeof(der));
	ck_assert_int_eq(sg_key_from_spki(der, n, &k, NULL), SG_OK);
	ck_assert_str_eq(sg_key_kid(k), A3_KID);
	sg_key_free(k);
	/* Trailing byte, truncation. */
	der[n] = 0;
	ck_assert_int_eq(sg_key_from_spki(der, n + 1, &k, NULL), SG_EINVAL);
	ck_assert_int_eq(sg_key_from_spki(der, n - 1, &k, NULL), SG_EINVAL);
	ck_assert_int_eq(sg_key_from_spki(der, 0, &k, NULL), SG_EINVAL);
	/* Point off the curve: flip the last bit of y. */
	der[n - 1] ^= 1;
	ck_assert_int_eq(sg_key_from_spki(der, n, &k, NULL), SG_EINVAL);
	/* All-zero coordinates. */
	(void)snprintf(hex, sizeof(hex), "%s%0128d", spki_p256_prefix, 0);
	n = unhex(hex, der, sizeof(der));
	ck_assert_int_eq(sg_key_from_spki(der, n, &k, NULL), SG_EINVAL);
	/* The point at infinity (SEC 1 2.3.3: the single octet 00). */
	n = unhex("3019301306072a8648ce3d020106082a8648ce3d030107030200",
	    der, sizeof(der));
	ck_assert_int_eq(sg_key_from_spki(der, n, &k, NULL), SG_EINVAL);
	/* Compressed point whose x has no square root (x = 1). */
	n = unhex("3039301306072a8648ce3d020106082a8648ce3d03010703220002"
	    "0000000000000000000000000000000000000000000000000000000000000001",
	    der, sizeof(der));
	ck_assert_int_eq(sg_key_from_spki(der, n, &k, NULL), SG_EINVAL);
	/* A valid compressed point is the same key as the uncompressed one. */
	n = unhex("3039301306072a8648ce3d020106082a8648ce3d030107032200"
	    "03dc2e4826117f02c519027a6d1678b5b37e90ab7981ece4cfff6d3b9e02dc0a61",
	    der, sizeof(der));
	ck_assert_int_eq(sg_key_from_spki(der, n, &k1, NULL), SG_OK);
	ck_assert_str_eq(sg_key_kid(k1), KEY1_KID);
	sg_key_free(k1);
	/* The other parity: the point (x, p - y), also valid, another key. */
	der[n - 33] = 0x02;
	ck_assert_int_eq(sg_key_from_spki(der, n, &k1, NULL), SG_OK);
	ck_assert_str_ne(sg_key_kid(k1), KEY1_KID);
	sg_key_free(k1);
	/* P-384 SPKI. */
	pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	len = i2d_PUBKEY(pk, &p);
	ck_assert_int_gt(len, 0);
	ck_assert_int_eq(sg_key_from_spki(p, (size_t)len, &k, NULL),
	    SG_EINVAL);
	OPENSSL_free(p);
	EVP_PKEY_free(pk);
	ck_assert_ptr_null(k);
}
END_TEST

START_TEST(test_generate_sign)
{
	struct sg_key	*k;
	uint8_t		 sig[64];
	int		 i;

	ck_assert_int_eq(sg_key_generate(&k, NULL), SG_OK);
	ck_assert(sg_key_is_private(k));
	for (i = 0; i < 100; i++) {
		ck_assert_int_eq(sg_es256_sign(k, &i, sizeof(i), sig, NULL),
		    SG_OK);
		ck_assert_int_eq(sg_es256_verify(k, &i, sizeof(i), sig, 64,
		    NULL), SG_OK);
		sig[i % 64] ^= 0x80;
		ck_assert_int_eq(sg_es256_verify(k, &i, sizeof(i), sig, 64,
		    NULL), SG_EAUTH);
	}
	sg_key_free(k);
}
END_TEST

START_TEST(test_write_pem_modes)
{
	struct sg_key	*k, *k2;
	struct stat	 st;
	char		 path[128], pub[128];

	setup_tmp();
	ck_assert_int_eq(sg_key_generate(&k, NULL), SG_OK);
	(void)snprintf(path, sizeof(path), "%s/signing.pem", tmpdir);
	(void)snprintf(pub, sizeof(pub), "%s/signing.pub.pem", tmpdir);
	ck_assert_int_eq(sg_key_write_pem(k, 1, path, 0600, NULL), SG_OK);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(sg_key_write_pem(k, 0, pub, 0644, NULL), SG_OK);
	ck_assert_int_eq(stat(pub, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0644);

	/* Replacing a world-readable file leaves a 0600 file. */
	write_file(path, "old\n");
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_int_eq(sg_key_write_pem(k, 1, path, 0600, NULL), SG_OK);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);

	k2 = load(path);
	ck_assert(sg_key_is_private(k2));
	ck_assert_str_eq(sg_key_kid(k2), sg_key_kid(k));
	sg_key_free(k2);
	k2 = load(pub);
	ck_assert(!sg_key_is_private(k2));
	ck_assert_str_eq(sg_key_kid(k2), sg_key_kid(k));
	/* A public key cannot be written as a private one. */
	ck_assert_int_eq(sg_key_write_pem(k2, 1, path, 0600, NULL),
	    SG_EINVAL);
	sg_key_free(k2);
	/* Unwritable directory. */
	ck_assert_int_ne(sg_key_write_pem(k, 1, "/nonexistent/dir/k.pem",
	    0600, NULL), SG_OK);
	sg_key_free(k);
	teardown_tmp();
}
END_TEST

START_TEST(test_load_signing_modes)
{
	static const struct {
		mode_t	 mode;
		enum sg_rc rc;
	} cases[] = {
		{ 0600, SG_OK }, { 0400, SG_OK }, { 0640, SG_OK },
		{ 0644, SG_EINVAL }, { 0604, SG_EINVAL }, { 0660, SG_EINVAL },
		{ 0620, SG_EINVAL }, { 0601, SG_EINVAL }, { 0666, SG_EINVAL },
	};
	struct sg_key	*k, *k2;
	struct sg_err	 err;
	char		 path[128], pub[128];
	size_t		 i;

	setup_tmp();
	ck_assert_int_eq(sg_key_generate(&k, NULL), SG_OK);
	(void)snprintf(path, sizeof(path), "%s/signing.pem", tmpdir);
	(void)snprintf(pub, sizeof(pub), "%s/public.pem", tmpdir);
	ck_assert_int_eq(sg_key_write_pem(k, 1, path, 0600, NULL), SG_OK);
	ck_assert_int_eq(sg_key_write_pem(k, 0, pub, 0600, NULL), SG_OK);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(chmod(path, cases[i].mode), 0);
		sg_err_clear(&err);
		ck_assert_msg(sg_key_load_signing(path, &k2, &err) ==
		    cases[i].rc, "mode %04o: %s", (unsigned)cases[i].mode,
		    err.msg);
		if (cases[i].rc == SG_OK) {
			ck_assert_str_eq(sg_key_kid(k2), sg_key_kid(k));
			sg_key_free(k2);
		} else {
			ck_assert_ptr_null(k2);
			ck_assert_msg(strstr(err.msg, "chmod 600") != NULL,
			    "%s", err.msg);
		}
	}
	/* A public key never signs, whatever its mode. */
	sg_err_clear(&err);
	ck_assert_int_eq(sg_key_load_signing(pub, &k2, &err), SG_EINVAL);
	ck_assert_msg(strstr(err.msg, "not a private key") != NULL, "%s",
	    err.msg);
	ck_assert_int_eq(sg_key_load_signing("/nonexistent/k.pem", &k2, &err),
	    SG_ENOENT);
	ck_assert_int_eq(sg_key_load_signing("", &k2, &err), SG_EINVAL);
	sg_key_free(k);
	teardown_tmp();
}
END_TEST

START_TEST(test_keyset_rotation)
{
	struct sg_keyset	*ks;
	struct sg_key		*k1, *k2, *again;
	struct sg_err		 err;

	ks = sg_keyset_new();
	ck_assert_ptr_nonnull(ks);
	k1 = load(KEY1PUB);
	k2 = load(KEY2PUB);
	ck_assert_int_eq(sg_keyset_add(ks, k1, NULL), SG_OK);
	ck_assert_int_eq(sg_keyset_add(ks, k2, NULL), SG_OK);
	ck_assert_uint_eq(sg_keyset_count(ks), 2);
	ck_assert_ptr_eq(sg_keyset_find(ks, KEY1_KID), k1);
	ck_assert_ptr_eq(sg_keyset_find(ks, KEY2_KID), k2);
	ck_assert_ptr_null(sg_keyset_find(ks, "unknown"));
	ck_assert_ptr_null(sg_keyset_find(ks, ""));
	/* Prefix and case variants of a kid match nothing. */
	ck_assert_ptr_null(sg_keyset_find(ks, "yPDDNDTOdwrQcl9WMZEJRZGOnleOB"));
	ck_assert_ptr_null(sg_keyset_find(ks,
	    "YPDDNDTOdwrQcl9WMZEJRZGOnleOBE0FHbndX54k_DQ"));
	ck_assert_ptr_eq(sg_keyset_at(ks, 0), k1);
	ck_assert_ptr_null(sg_keyset_at(ks, 2));
	/* The same key again: duplicate kid, refused (and freed). */
	again = load(KEY1);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_keyset_add(ks, again, &err), SG_EINVAL);
	ck_assert_str_eq(err.code, "duplicate_kid");
	ck_assert_uint_eq(sg_keyset_count(ks), 2);
	sg_keyset_free(ks);
	sg_keyset_free(NULL);
}
END_TEST

START_TEST(test_keyset_max)
{
	struct sg_keyset	*ks;
	struct sg_key		*k;
	struct sg_err		 err;
	int			 i;

	ks = sg_keyset_new();
	for (i = 0; i < SG_KEYSET_MAX; i++) {
		ck_assert_int_eq(sg_key_generate(&k, NULL), SG_OK);
		ck_assert_int_eq(sg_keyset_add(ks, k, NULL), SG_OK);
	}
	ck_assert_int_eq(sg_key_generate(&k, NULL), SG_OK);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_keyset_add(ks, k, &err), SG_EINVAL);
	ck_assert_str_eq(err.code, "too_many_keys");
	ck_assert_uint_eq(sg_keyset_count(ks), SG_KEYSET_MAX);
	sg_keyset_free(ks);
}
END_TEST

START_TEST(test_keyset_load_files)
{
	struct sg_keyset	*ks = NULL, *ks2 = NULL;
	struct sg_err		 err;
	cJSON			*jwks, *keys;
	char			*text, path[128], list[512], bad[128];

	setup_tmp();
	/* PEM list: a private PEM contributes its public half only. */
	sg_err_clear(&err);
	ck_assert_msg(sg_keyset_load(KEY1 "," KEY2PUB, &ks, &err) == SG_OK,
	    "%s", err.msg);
	ck_assert_uint_eq(sg_keyset_count(ks), 2);
	ck_assert(!sg_key_is_private(sg_keyset_find(ks, KEY1_KID)));
	ck_assert_ptr_nonnull(sg_keyset_find(ks, KEY2_KID));

	/* JWKS export: public members only, then load it back. */
	jwks = sg_keyset_jwks(ks);
	ck_assert_ptr_nonnull(jwks);
	keys = cJSON_GetObjectItemCaseSensitive(jwks, "keys");
	ck_assert_int_eq(cJSON_GetArraySize(keys), 2);
	ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetArrayItem(keys, 0), "d"));
	text = cJSON_Print(jwks);
	(void)snprintf(path, sizeof(path), "%s/jwks.json", tmpdir);
	write_file(path, text);
	free(text);
	cJSON_Delete(jwks);
	ck_assert_int_eq(sg_keyset_load(path, &ks2, NULL), SG_OK);
	ck_assert_uint_eq(sg_keyset_count(ks2), 2);
	ck_assert_ptr_nonnull(sg_keyset_find(ks2, KEY1_KID));
	sg_keyset_free(ks2);

	/* The same key from two files: duplicate kid, load fails. */
	(void)snprintf(list, sizeof(list), "%s,%s", path, KEY1PUB);
	ck_assert_int_eq(sg_keyset_load(list, &ks2, NULL), SG_EINVAL);
	ck_assert_ptr_null(ks2);

	/* Bad lists. */
	ck_assert_int_ne(sg_keyset_load("", &ks2, NULL), SG_OK);
	ck_assert_int_ne(sg_keyset_load(KEY1PUB ",", &ks2, NULL), SG_OK);
	ck_assert_int_ne(sg_keyset_load("," KEY1PUB, &ks2, NULL), SG_OK);
	ck_assert_int_ne(sg_keyset_load(KEY1PUB ",," KEY2PUB, &ks2, NULL),
	    SG_OK);
	sg_err_clear(&err);
	ck_assert_int_ne(sg_keyset_load(KEY1PUB "," SG_TESTDATA
	    "/test-key-p384.pem", &ks2, &err), SG_OK);
	ck_assert_msg(strstr(err.msg, "test-key-p384.pem") != NULL, "%s",
	    err.msg);
	ck_assert_int_ne(sg_keyset_load(SG_TESTDATA "/nope.pem", &ks2, NULL),
	    SG_OK);
	ck_assert_ptr_null(ks2);

	/* A JWKS with one bad key fails as a whole (S11). */
	(void)snprintf(bad, sizeof(bad), "%s/bad.json", tmpdir);
	write_file(bad, "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\""
	    KEY1_X "\",\"y\":\"" KEY1_Y "\"},{\"kty\":\"EC\",\"crv\":\"P-256\","
	    "\"use\":\"enc\",\"x\":\"" A3_X "\",\"y\":\"" A3_Y "\"}]}");
	ck_assert_int_ne(sg_keyset_load(bad, &ks2, NULL), SG_OK);
	write_file(bad, "{\"keys\":[]}");
	ck_assert_int_ne(sg_keyset_load(bad, &ks2, NULL), SG_OK);
	write_file(bad, "{\"keys\":{}}");
	ck_assert_int_ne(sg_keyset_load(bad, &ks2, NULL), SG_OK);
	write_file(bad, "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\""
	    KEY1_X "\",\"y\":\"" KEY1_Y "\"}]} x");
	ck_assert_int_ne(sg_keyset_load(bad, &ks2, NULL), SG_OK);
	/* A bare JWK file is a set of one. */
	write_file(bad, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" A3_X
	    "\",\"y\":\"" A3_Y "\"}\n");
	ck_assert_int_eq(sg_keyset_load(bad, &ks2, NULL), SG_OK);
	ck_assert_ptr_nonnull(sg_keyset_find(ks2, A3_KID));
	sg_keyset_free(ks2);

	/* sg_keyset_add_jwks into an existing set. */
	ck_assert_int_eq(sg_keyset_add_jwks(ks, "{\"keys\":[{\"kty\":\"EC\","
	    "\"crv\":\"P-256\",\"kid\":\"a3\",\"x\":\"" A3_X "\",\"y\":\""
	    A3_Y "\"}]}", strlen("{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\","
	    "\"kid\":\"a3\",\"x\":\"" A3_X "\",\"y\":\"" A3_Y "\"}]}"), NULL),
	    SG_OK);
	ck_assert_uint_eq(sg_keyset_count(ks), 3);
	ck_assert_ptr_nonnull(sg_keyset_find(ks, "a3"));
	sg_keyset_free(ks);
	teardown_tmp();
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("keys");
	tc = tcase_create("keys");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_load_pem);
	tcase_add_test(tc, test_refuse_other_keys);
	tcase_add_test(tc, test_pem_text_forms);
	tcase_add_test(tc, test_pem_sec1_and_encrypted);
	tcase_add_test(tc, test_thumbprint);
	tcase_add_test(tc, test_jwk_roundtrip);
	tcase_add_test(tc, test_jwk_refused);
	tcase_add_test(tc, test_spki);
	tcase_add_test(tc, test_generate_sign);
	tcase_add_test(tc, test_write_pem_modes);
	tcase_add_test(tc, test_load_signing_modes);
	suite_add_tcase(s, tc);
	tc = tcase_create("keyset");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_keyset_rotation);
	tcase_add_test(tc, test_keyset_max);
	tcase_add_test(tc, test_keyset_load_files);
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
