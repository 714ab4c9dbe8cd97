/* SPDX-License-Identifier: ISC */
/*
 * P-256 keys and key sets on OpenSSL 3 (EVP_PKEY only; the EC_KEY API is
 * deprecated).  Every way in (PEM, SPKI DER, JWK, generation) ends in
 * key_new(), which refuses anything but a valid P-256 point: another
 * curve (P-384, secp256k1, SM2), another key type (RSA, Ed25519), a point
 * off the curve or at infinity (docs/security.md S11).
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "b64url.h"
#include "compat.h"
#include "crypto.h"
#include "json.h"
#include "keys-internal.h"
#include "keys.h"

#define COORD_LEN	32		/* P-256 field element */
#define COORD_B64LEN	43		/* SG_B64URL_ENCLEN(32) */

/* Operation contexts, mutable behind a const struct sg_key. */
struct key_ops {
	EVP_MD		*md;
	EVP_PKEY_CTX	*sign;
	EVP_PKEY_CTX	*verify;
	atomic_flag	 sign_busy;
	atomic_flag	 verify_busy;
};

struct sg_key {
	EVP_PKEY	*pkey;
	int		 priv;
	uint8_t		 x[COORD_LEN];
	uint8_t		 y[COORD_LEN];
	char		 kid[SG_KID_MAX + 1];
	struct key_ops	*ops;
};

/* Do not leave OpenSSL's per-thread error queue filling up on failures. */
static enum sg_rc
ossl_fail(struct sg_err *err, enum sg_rc rc, const char *code,
    const char *what)
{
	unsigned long	 e;
	char		 buf[96];

	e = ERR_peek_last_error();
	if (e != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		(void)sg_err_set(err, rc, code, "%s: %s", what, buf);
	} else
		(void)sg_err_set(err, rc, code, "%s", what);
	ERR_clear_error();
	return rc;
}

/* A kid we accept anywhere: 1..SG_KID_MAX printable ASCII characters. */
static int
kid_valid(const char *kid)
{
	size_t	 i;

	if (kid == NULL || kid[0] == '\0')
		return 0;
	for (i = 0; kid[i] != '\0'; i++) {
		if (i >= SG_KID_MAX)
			return 0;
		if (kid[i] < 0x20 || kid[i] > 0x7e)
			return 0;
	}
	return 1;
}

/*
 * RFC 7638 section 3.2: the required members of an EC key, in
 * lexicographic order, no whitespace; the base64url of their SHA-256 is
 * the thumbprint.
 */
static void
thumbprint(const uint8_t x[COORD_LEN], const uint8_t y[COORD_LEN],
    char kid[SG_KID_MAX + 1])
{
	char	 bx[COORD_B64LEN + 1], by[COORD_B64LEN + 1];
	char	 json[128];
	uint8_t	 md[32];
	int	 n;

	(void)sg_b64url_encode(x, COORD_LEN, bx, sizeof(bx));
	(void)sg_b64url_encode(y, COORD_LEN, by, sizeof(by));
	n = snprintf(json, sizeof(json),
	    "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
	    bx, by);
	/* 2 * 43 + 37 = 123 characters: always fits. */
	sg_sha256(json, (size_t)n, md);
	(void)sg_b64url_encode(md, sizeof(md), kid, SG_KID_MAX + 1);
}

static EVP_PKEY_CTX *
ctx_new(EVP_PKEY *pkey, int sign)
{
	EVP_PKEY_CTX	*ctx = NULL;

	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL)
		return NULL;
	if ((sign ? EVP_PKEY_sign_init(ctx) : EVP_PKEY_verify_init(ctx)) !=
	    1) {
		EVP_PKEY_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static void
ops_free(struct key_ops *ops)
{
	if (ops == NULL)
		return;
	EVP_PKEY_CTX_free(ops->sign);
	EVP_PKEY_CTX_free(ops->verify);
	EVP_MD_free(ops->md);
	free(ops);
}

/*
 * Refuse anything but a P-256 key: EVP_PKEY_EC (not SM2, which has its
 * own id) on the named group prime256v1, whose public point passes
 * OpenSSL's full public check (on the curve, not infinity, right order).
 */
static enum sg_rc
check_p256(EVP_PKEY *pkey, int priv, struct sg_err *err)
{
	EVP_PKEY_CTX	*ctx = NULL;
	char		 group[64];
	size_t		 glen = 0;
	enum sg_rc	 rc = SG_EINVAL;

	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC) {
		sg_err_set(err, SG_EINVAL, "bad_key",
		    "not an EC key (only P-256 is accepted)");
		goto out;
	}
	if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
	    group, sizeof(group), &glen) != 1 ||
	    strcmp(group, SN_X9_62_prime256v1) != 0 ||
	    EVP_PKEY_get_bits(pkey) != 256) {
		ERR_clear_error();
		sg_err_set(err, SG_EINVAL, "bad_key",
		    "EC key not on the P-256 curve");
		goto out;
	}
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL) {
		rc = ossl_fail(err, SG_ENOMEM, "out_of_memory", "key context");
		goto out;
	}
	if (EVP_PKEY_public_check(ctx) != 1) {
		ossl_fail(err, SG_EINVAL, "bad_key", "invalid P-256 point");
		goto out;
	}
	/* A private key must match its public half. */
	if (priv && EVP_PKEY_pairwise_check(ctx) != 1) {
		ossl_fail(err, SG_EINVAL, "bad_key", "inconsistent key pair");
		goto out;
	}
	rc = SG_OK;
out:
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

static int
get_coord(EVP_PKEY *pkey, const char *name, uint8_t out[COORD_LEN])
{
	BIGNUM	*bn = NULL;
	int	 ok;

	if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1)
		return 0;
	ok = BN_bn2binpad(bn, out, COORD_LEN) == COORD_LEN;
	BN_free(bn);
	return ok;
}

/*
 * Wrap pkey (taking ownership, also on error) after checking it is P-256.
 * kid NULL means the RFC 7638 thumbprint.
 */
static enum sg_rc
key_new(EVP_PKEY *pkey, int priv, const char *kid, struct sg_key **out,
    struct sg_err *err)
{
	struct sg_key	*k = NULL;
	enum sg_rc	 rc;

	*out = NULL;
	if ((rc = check_p256(pkey, priv, err)) != SG_OK)
		goto out;
	rc = SG_ENOMEM;
	if ((k = calloc(1, sizeof(*k))) == NULL ||
	    (k->ops = calloc(1, sizeof(*k->ops))) == NULL) {
		sg_err_set(err, rc, "out_of_memory", "allocating a key");
		goto out;
	}
	k->pkey = pkey;
	pkey = NULL;
	k->priv = priv;
	if (!get_coord(k->pkey, OSSL_PKEY_PARAM_EC_PUB_X, k->x) ||
	    !get_coord(k->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, k->y)) {
		rc = ossl_fail(err, SG_EINVAL, "bad_key",
		    "reading the public point");
		goto out;
	}
	if (kid != NULL) {
		if (!kid_valid(kid)) {
			rc = sg_err_set(err, SG_EINVAL, "bad_key",
			    "kid must be 1-%d printable ASCII characters",
			    SG_KID_MAX);
			goto out;
		}
		(void)strlcpy(k->kid, kid, sizeof(k->kid));
	} else
		thumbprint(k->x, k->y, k->kid);

	atomic_flag_clear(&k->ops->sign_busy);
	atomic_flag_clear(&k->ops->verify_busy);
	if ((k->ops->md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL ||
	    (k->ops->verify = ctx_new(k->pkey, 0)) == NULL ||
	    (priv && (k->ops->sign = ctx_new(k->pkey, 1)) == NULL)) {
		rc = ossl_fail(err, SG_EINTERNAL, "crypto_failed",
		    "setting up key operations");
		goto out;
	}
	*out = k;
	k = NULL;
	rc = SG_OK;
out:
	sg_key_free(k);
	EVP_PKEY_free(pkey);
	return rc;
}

/* A public key from affine coordinates (each 32 bytes, big-endian). */
static enum sg_rc
key_from_xy(const uint8_t x[COORD_LEN], const uint8_t y[COORD_LEN],
    const char *kid, struct sg_key **out, struct sg_err *err)
{
	EVP_PKEY_CTX	*ctx = NULL;
	EVP_PKEY	*pkey = NULL;
	OSSL_PARAM	 params[3];
	char		 group[] = SN_X9_62_prime256v1;
	uint8_t		 pt[1 + 2 * COORD_LEN];
	enum sg_rc	 rc = SG_EINVAL;

	*out = NULL;
	/* SEC 1 2.3.3 uncompressed point; OpenSSL checks it is on P-256. */
	pt[0] = 0x04;
	memcpy(pt + 1, x, COORD_LEN);
	memcpy(pt + 1 + COORD_LEN, y, COORD_LEN);
	params[0] = OSSL_PARAM_construct_utf8_string(
	    OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(
	    OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt));
	params[2] = OSSL_PARAM_construct_end();
	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1) {
		rc = ossl_fail(err, SG_ENOMEM, "out_of_memory", "key context");
		goto out;
	}
	if (EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		ossl_fail(err, SG_EINVAL, "bad_key", "point not on P-256");
		goto out;
	}
	rc = key_new(pkey, 0, kid, out, err);
	pkey = NULL;
out:
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

enum sg_rc
sg_key_generate(struct sg_key **out, struct sg_err *err)
{
	EVP_PKEY	*pkey = NULL;

	*out = NULL;
	if ((pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL)
		return ossl_fail(err, SG_EINTERNAL, "crypto_failed",
		    "generating a P-256 key");
	return key_new(pkey, 1, NULL, out, err);
}

/* Never prompt for a passphrase: encrypted key files are refused. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static const char *
find_str(const char *buf, size_t len, const char *what)
{
	return memmem(buf, len, what, strlen(what));
}

enum sg_rc
sg_key_from_pem(const char *buf, size_t len, struct sg_key **out,
    struct sg_err *err)
{
	BIO		*bio = NULL;
	EVP_PKEY	*pkey = NULL;
	int		 priv;
	enum sg_rc	 rc = SG_EINVAL;

	*out = NULL;
	if (buf == NULL || len == 0 || len > SG_KEYFILE_MAX)
		return sg_err_set(err, SG_EINVAL, "bad_key",
		    "PEM text empty or over %d bytes", SG_KEYFILE_MAX);
	/*
	 * "PRIVATE KEY" (PKCS#8) and "EC PRIVATE KEY" (SEC 1, possibly after
	 * an "EC PARAMETERS" block, which the PEM reader skips) are private;
	 * "PUBLIC KEY" is an SPKI.  Nothing else is tried.
	 */
	if (find_str(buf, len, "-----BEGIN PRIVATE KEY-----") != NULL ||
	    find_str(buf, len, "-----BEGIN EC PRIVATE KEY-----") != NULL)
		priv = 1;
	else if (find_str(buf, len, "-----BEGIN PUBLIC KEY-----") != NULL)
		priv = 0;
	else
		return sg_err_set(err, SG_EINVAL, "bad_key",
		    "no P-256 PEM key (PRIVATE KEY, EC PRIVATE KEY or "
		    "PUBLIC KEY)");
	if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL) {
		rc = ossl_fail(err, SG_ENOMEM, "out_of_memory", "PEM buffer");
		goto out;
	}
	pkey = priv ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL) :
	    PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL);
	if (pkey == NULL) {
		ossl_fail(err, SG_EINVAL, "bad_key", "unreadable PEM key");
		goto out;
	}
	rc = key_new(pkey, priv, NULL, out, err);
out:
	/* The PEM decoders leave errors behind even on success. */
	ERR_clear_error();
	BIO_free(bio);
	return rc;
}

enum sg_rc
sg_key_read_file(const char *path, char **out, size_t *outlen, size_t *size,
    struct sg_err *err)
{
	struct stat	 st;
	char		*buf = NULL;
	size_t		 len = 0, cap;
	ssize_t		 r;
	int		 fd = -1;
	enum sg_rc	 rc = SG_EINVAL;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		sg_err_set(err, errno == ENOENT ? SG_ENOENT : SG_EINVAL,
		    "bad_key_file", "%s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		sg_err_set(err, SG_EINVAL, "bad_key_file",
		    "%s: not a regular file", path);
		goto out;
	}
	if (st.st_size > SG_KEYFILE_MAX) {
		sg_err_set(err, SG_EINVAL, "bad_key_file",
		    "%s: over %d bytes", path, SG_KEYFILE_MAX);
		goto out;
	}
	/* One spare byte detects a file that grew since fstat. */
	cap = (size_t)st.st_size + 2;
	if ((buf = malloc(cap)) == NULL) {
		rc = sg_err_set(err, SG_ENOMEM, "out_of_memory", "%s", path);
		goto out;
	}
	for (;;) {
		r = read(fd, buf + len, cap - 1 - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			sg_err_set(err, SG_EINVAL, "bad_key_file", "%s: %s",
			    path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len == cap - 1) {
			sg_err_set(err, SG_EINVAL, "bad_key_file",
			    "%s: changed while reading", path);
			goto out;
		}
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	*size = cap;
	buf = NULL;
	rc = SG_OK;
out:
	if (buf != NULL) {
		sg_cleanse(buf, cap);
		free(buf);
	}
	if (fd != -1)
		close(fd);
	return rc;
}

enum sg_rc
sg_key_load_pem(const char *path, struct sg_key **out, struct sg_err *err)
{
	char		*buf = NULL;
	size_t		 len = 0, size = 0;
	enum sg_rc	 rc;

	*out = NULL;
	if (path == NULL)
		return sg_err_set(err, SG_EINVAL, "bad_key_file", "no path");
	if ((rc = sg_key_read_file(path, &buf, &len, &size, err)) != SG_OK)
		return rc;
	rc = sg_key_from_pem(buf, len, out, err);
	sg_cleanse(buf, size);
	free(buf);
	return rc;
}

enum sg_rc
sg_key_load_signing(const char *path, struct sg_key **out,
    struct sg_err *err)
{
	struct stat	 st;
	enum sg_rc	 rc;

	*out = NULL;
	if (path == NULL || path[0] == '\0')
		return sg_err_set(err, SG_EINVAL, "bad_key_file", "not set");
	/*
	 * The mode is checked on the path before the key is read: a key
	 * other users could read is already disclosed, and signing with it
	 * would let them mint tokens too.  (A swap between the stat and the
	 * open needs write access to the directory, which is root's.)
	 */
	if (stat(path, &st) == -1)
		return sg_err_set(err, errno == ENOENT ? SG_ENOENT : SG_EINVAL,
		    "bad_key_file", "%s: %s", path, strerror(errno));
	if (S_ISREG(st.st_mode) && (st.st_mode & (S_IRWXO | S_IWGRP)) != 0)
		return sg_err_set(err, SG_EINVAL, "bad_key_file",
		    "%s: mode %04o lets other users read or change the "
		    "private key; chmod 600 it (0640 for a group)", path,
		    (unsigned)(st.st_mode & 07777));
	if ((rc = sg_key_load_pem(path, out, err)) != SG_OK)
		return rc;
	if (!sg_key_is_private(*out)) {
		sg_key_free(*out);
		*out = NULL;
		return sg_err_set(err, SG_EINVAL, "bad_key_file",
		    "%s: not a private key", path);
	}
	return SG_OK;
}

enum sg_rc
sg_key_from_spki(const uint8_t *der, size_t len, struct sg_key **out,
    struct sg_err *err)
{
	const unsigned char	*p = der;
	EVP_PKEY		*pkey = NULL;

	*out = NULL;
	if (der == NULL || len == 0 || len > SG_KEYFILE_MAX)
		return sg_err_set(err, SG_EINVAL, "bad_key", "empty SPKI");
	if ((pkey = d2i_PUBKEY(NULL, &p, (long)len)) == NULL)
		return ossl_fail(err, SG_EINVAL, "bad_key", "unreadable SPKI");
	if (p != der + len) {
		EVP_PKEY_free(pkey);
		return sg_err_set(err, SG_EINVAL, "bad_key",
		    "trailing bytes after SPKI");
	}
	return key_new(pkey, 0, NULL, out, err);
}

/* The member name occurs at most once in obj (cJSON keeps duplicates). */
static int
member_unique(const cJSON *obj, const char *name)
{
	const cJSON	*c;
	int		 n = 0;

	for (c = obj->child; c != NULL; c = c->next)
		if (c->string != NULL && strcmp(c->string, name) == 0)
			n++;
	return n <= 1;
}

static const char *
member_str(const cJSON *obj, const char *name, int *present)
{
	const cJSON	*m;

	m = cJSON_GetObjectItemCaseSensitive(obj, name);
	*present = m != NULL;
	return cJSON_IsString(m) ? m->valuestring : NULL;
}

static int
coord_decode(const char *s, uint8_t out[COORD_LEN])
{
	uint8_t	 buf[SG_B64URL_DECLEN(COORD_B64LEN)];
	size_t	 n = 0;

	/* RFC 7518 6.2.1.2: exactly the field size, leading zeros kept. */
	if (s == NULL || strlen(s) != COORD_B64LEN)
		return 0;
	if (sg_b64url_decode(s, COORD_B64LEN, buf, sizeof(buf), &n, NULL) !=
	    SG_OK || n != COORD_LEN)
		return 0;
	memcpy(out, buf, COORD_LEN);
	return 1;
}

enum sg_rc
sg_key_from_jwk(const cJSON *jwk, struct sg_key **out, struct sg_err *err)
{
	static const char *const names[] = {
		"kty", "crv", "x", "y", "d", "use", "key_ops", "alg", "kid"
	};
	const cJSON	*ops, *op;
	const char	*s, *kid = NULL;
	uint8_t		 x[COORD_LEN], y[COORD_LEN];
	size_t		 i;
	int		 present, verify;

	*out = NULL;
	if (!cJSON_IsObject(jwk))
		return sg_err_set(err, SG_EINVAL, "bad_key",
		    "JWK is not an object");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!member_unique(jwk, names[i]))
			return sg_err_set(err, SG_EINVAL, "bad_key",
			    "JWK member \"%s\" repeated", names[i]);
	s = member_str(jwk, "kty", &present);
	if (s == NULL || strcmp(s, "EC") != 0)
		return sg_err_set(err, SG_EINVAL, "bad_key",
		    "JWK kty is not \"EC\" (only P-256 is accepted)");
	s = member_str(jwk, "crv", &present);
	if (s == NULL || strcmp(s, "P-256") != 0)
		return sg_err_set(err, SG_EINVAL, "bad_key",
		    "JWK crv is not \"P-256\"");
	/* RFC 7517 4.2/4.3: a key meant for encryption never verifies. */
	s = member_str(jwk, "use", &present);
	if (present && (s == NULL || strcmp(s, "sig") != 0))
		return sg_err_set(err, SG_EINVAL, "bad_key",
		    "JWK use is not \"sig\"");
	if ((ops = cJSON_GetObjectItemCaseSensitive(jwk, "key_ops")) != NULL) {
		if (!cJSON_IsArray(ops))
			return sg_err_set(err, SG_EINVAL, "bad_key",
			    "JWK key_ops is not an array");
		verify = 0;
		cJSON_ArrayForEach(op, ops) {
			if (!cJSON_IsString(op))
				return sg_err_set(err, SG_EINVAL, "bad_key",
				    "JWK key_ops holds a non-string");
			if (strcmp(op->valuestring, "verify") == 0)
				verify = 1;
		}
		if (!verify)
			return sg_err_set(err, SG_EINVAL, "bad_key",
			    "JWK key_ops lacks \"verify\"");
	}
	/* RFC 8725 3.1: this key is for ES256 and nothing else. */
	s = member_str(jwk, "alg", &present);
	if (present && (s == NULL || strcmp(s, "ES256") != 0))
		return sg_err_set(err, SG_EINVAL, "bad_key",
		    "JWK alg is not \"ES256\"");
	s = member_str(jwk, "kid", &present);
	if (present) {
		if (s == NULL || !kid_valid(s))
			return sg_err_set(err, SG_EINVAL, "bad_key",
			    "JWK kid must be 1-%d printable ASCII characters",
			    SG_KID_MAX);
		kid = s;
	}
	if (!coord_decode(member_str(jwk, "x", &present), x) ||
	    !coord_decode(member_str(jwk, "y", &present), y))
		return sg_err_set(err, SG_EINVAL, "bad_key",
		    "JWK x and y must be 32 bytes of base64url each");
	/* "d", if any, is not read: verification keys are public. */
	return key_from_xy(x, y, kid, out, err);
}

void
sg_key_free(struct sg_key *k)
{
	if (k == NULL)
		return;
	ops_free(k->ops);
	/* EVP_PKEY_free clears the private scalar (BN_clear_free). */
	EVP_PKEY_free(k->pkey);
	sg_cleanse(k, sizeof(*k));
	free(k);
}

const char *
sg_key_kid(const struct sg_key *k)
{
	return k != NULL ? k->kid : NULL;
}

int
sg_key_is_private(const struct sg_key *k)
{
	return k != NULL && k->priv;
}

enum sg_rc
sg_key_public(const struct sg_key *k, struct sg_key **out,
    struct sg_err *err)
{
	*out = NULL;
	if (k == NULL)
		return sg_err_set(err, SG_EINVAL, "bad_key", "no key");
	return key_from_xy(k->x, k->y, k->kid, out, err);
}

cJSON *
sg_key_jwk(const struct sg_key *k)
{
	cJSON	*jwk = NULL;
	char	 bx[COORD_B64LEN + 1], by[COORD_B64LEN + 1];

	if (k == NULL)
		return NULL;
	(void)sg_b64url_encode(k->x, COORD_LEN, bx, sizeof(bx));
	(void)sg_b64url_encode(k->y, COORD_LEN, by, sizeof(by));
	if ((jwk = cJSON_CreateObject()) == NULL)
		return NULL;
	if (cJSON_AddStringToObject(jwk, "kty", "EC") == NULL ||
	    cJSON_AddStringToObject(jwk, "crv", "P-256") == NULL ||
	    cJSON_AddStringToObject(jwk, "x", bx) == NULL ||
	    cJSON_AddStringToObject(jwk, "y", by) == NULL ||
	    cJSON_AddStringToObject(jwk, "kid", k->kid) == NULL ||
	    cJSON_AddStringToObject(jwk, "use", "sig") == NULL ||
	    cJSON_AddStringToObject(jwk, "alg", "ES256") == NULL) {
		cJSON_Delete(jwk);
		return NULL;
	}
	return jwk;
}

char *
sg_key_pem(const struct sg_key *k, int private)
{
	BIO	*bio = NULL;
	BUF_MEM	*mem = NULL;
	char	*out = NULL;
	int	 ok;

	if (k == NULL || (private && !k->priv))
		return NULL;
	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		goto out;
	/* PKCS#8 "PRIVATE KEY", unencrypted: the file mode protects it. */
	ok = private ?
	    PEM_write_bio_PrivateKey(bio, k->pkey, NULL, NULL, 0, NULL, NULL) :
	    PEM_write_bio_PUBKEY(bio, k->pkey);
	if (ok != 1 || BIO_get_mem_ptr(bio, &mem) != 1 || mem == NULL)
		goto out;
	if ((out = malloc(mem->length + 1)) == NULL)
		goto out;
	memcpy(out, mem->data, mem->length);
	out[mem->length] = '\0';
out:
	ERR_clear_error();
	/* BUF_MEM_free clears the buffer (OPENSSL_clear_free). */
	BIO_free(bio);
	return out;
}

enum sg_rc
sg_key_write_pem(const struct sg_key *k, int private, const char *path,
    mode_t mode, struct sg_err *err)
{
	char		*pem = NULL, tmp[PATH_MAX];
	size_t		 len = 0, off = 0;
	ssize_t		 w;
	int		 fd = -1, n;
	enum sg_rc	 rc = SG_EINTERNAL;

	tmp[0] = '\0';
	if (k == NULL || path == NULL)
		return sg_err_set(err, SG_EINVAL, "bad_key", "no key or path");
	if (private && !k->priv)
		return sg_err_set(err, SG_EINVAL, "bad_key",
		    "not a private key");
	n = snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		tmp[0] = '\0';
		return sg_err_set(err, SG_EINVAL, "bad_key_file",
		    "path too long");
	}
	if ((pem = sg_key_pem(k, private)) == NULL) {
		rc = sg_err_set(err, SG_ENOMEM, "out_of_memory",
		    "encoding the key");
		tmp[0] = '\0';
		goto out;
	}
	len = strlen(pem);
	/*
	 * A temporary file beside the target (mkstemp creates it 0600), the
	 * mode set before any key byte is written, then rename(2): readers
	 * never see a partial key, and an existing file with a wider mode is
	 * replaced rather than rewritten in place.
	 */
	if ((fd = mkstemp(tmp)) == -1) {
		sg_err_set(err, SG_EINVAL, "bad_key_file", "%s: %s", path,
		    strerror(errno));
		tmp[0] = '\0';
		goto out;
	}
	if (fchmod(fd, mode) == -1) {
		sg_err_set(err, SG_EINTERNAL, "bad_key_file", "chmod %s: %s",
		    tmp, strerror(errno));
		goto out;
	}
	while (off < len) {
		w = write(fd, pem + off, len - off);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0) {
			sg_err_set(err, SG_EINTERNAL, "bad_key_file",
			    "writing %s: %s", tmp, strerror(errno));
			goto out;
		}
		off += (size_t)w;
	}
	if (fsync(fd) == -1 || close(fd) == -1) {
		fd = -1;
		sg_err_set(err, SG_EINTERNAL, "bad_key_file", "%s: %s", tmp,
		    strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) == -1) {
		sg_err_set(err, SG_EINTERNAL, "bad_key_file", "rename %s: %s",
		    path, strerror(errno));
		goto out;
	}
	tmp[0] = '\0';
	rc = SG_OK;
out:
	if (fd != -1)
		close(fd);
	if (tmp[0] != '\0')
		(void)unlink(tmp);
	if (pem != NULL) {
		sg_cleanse(pem, len);
		free(pem);
	}
	return rc;
}

EVP_PKEY *
sg_key_pkey(const struct sg_key *k)
{
	return k != NULL ? k->pkey : NULL;
}

const EVP_MD *
sg_key_md(const struct sg_key *k)
{
	return k != NULL ? k->ops->md : NULL;
}

EVP_PKEY_CTX *
sg_key_ctx_get(const struct sg_key *k, int sign)
{
	struct key_ops	*ops;

	if (k == NULL || (sign && !k->priv))
		return NULL;
	ops = k->ops;
	if (!atomic_flag_test_and_set_explicit(sign ? &ops->sign_busy :
	    &ops->verify_busy, memory_order_acquire))
		return sign ? ops->sign : ops->verify;
	return ctx_new(k->pkey, sign);
}

void
sg_key_ctx_put(const struct sg_key *k, int sign, EVP_PKEY_CTX *ctx)
{
	struct key_ops	*ops;

	if (k == NULL || ctx == NULL)
		return;
	ops = k->ops;
	if (ctx == (sign ? ops->sign : ops->verify))
		atomic_flag_clear_explicit(sign ? &ops->sign_busy :
		    &ops->verify_busy, memory_order_release);
	else
		EVP_PKEY_CTX_free(ctx);
}
