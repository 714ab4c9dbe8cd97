/* SPDX-License-Identifier: ISC */
/*
 * Randomness, SHA-256, constant-time comparison and wiping on OpenSSL 3,
 * so that the services never include OpenSSL themselves.
 */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "b64url.h"
#include "crypto.h"

#define ID_PREFIX	"sandbox_"
#define ID_PREFIX_LEN	(sizeof(ID_PREFIX) - 1)
#define ID_RANDOM	16	/* bytes: 128 bits, 22 base64url chars */

enum sg_rc
sg_random(void *buf, size_t n, struct sg_err *err)
{
	unsigned char	*p = buf;
	int		 chunk;

	/* RAND_bytes takes an int; the DRBG reseeds itself (OpenSSL 3). */
	while (n > 0) {
		chunk = n > INT_MAX ? INT_MAX : (int)n;
		if (RAND_bytes(p, chunk) != 1) {
			sg_cleanse(buf, (size_t)(p - (unsigned char *)buf));
			return sg_err_set(err, SG_EINTERNAL, "random_failed",
			    "RAND_bytes failed");
		}
		p += chunk;
		n -= (size_t)chunk;
	}
	return SG_OK;
}

/* 16 random bytes as 22 base64url characters plus NUL into out[23]. */
static enum sg_rc
random22(char *out, struct sg_err *err)
{
	uint8_t		 raw[ID_RANDOM];
	enum sg_rc	 rc;

	if ((rc = sg_random(raw, sizeof(raw), err)) != SG_OK)
		return rc;
	if (sg_b64url_encode(raw, sizeof(raw), out, SG_JTI_LEN + 1) !=
	    SG_JTI_LEN)
		rc = sg_err_set(err, SG_EINTERNAL, "random_failed",
		    "encoding random id");
	sg_cleanse(raw, sizeof(raw));
	return rc;
}

enum sg_rc
sg_random_container_id(char *buf, size_t size, struct sg_err *err)
{
	if (buf == NULL || size < SG_CONTAINER_ID_LEN + 1)
		return sg_err_set(err, SG_EINTERNAL, "buffer_too_small",
		    "container id buffer too small");
	memcpy(buf, ID_PREFIX, ID_PREFIX_LEN);
	return random22(buf + ID_PREFIX_LEN, err);
}

enum sg_rc
sg_random_jti(char *buf, size_t size, struct sg_err *err)
{
	if (buf == NULL || size < SG_JTI_LEN + 1)
		return sg_err_set(err, SG_EINTERNAL, "buffer_too_small",
		    "jti buffer too small");
	return random22(buf, err);
}

void
sg_sha256(const void *data, size_t len, uint8_t out[32])
{
	unsigned int	 outlen = 0;

	/*
	 * EVP_Digest with the built-in SHA-256 cannot fail short of memory
	 * exhaustion inside OpenSSL; a failure must never leave the caller
	 * with stale bytes that look like a digest, so zero them then.
	 */
	if (EVP_Digest(data, len, out, &outlen, EVP_sha256(), NULL) != 1 ||
	    outlen != 32)
		memset(out, 0, 32);
}

void
sg_sha1_hex(const void *data, size_t len, char out[41])
{
	static const char	 hex[] = "0123456789abcdef";
	uint8_t			 md[20];
	unsigned int		 outlen = 0;
	size_t			 i;

	if (EVP_Digest(data, len, md, &outlen, EVP_sha1(), NULL) != 1 ||
	    outlen != 20)
		memset(md, 0, sizeof(md));
	for (i = 0; i < sizeof(md); i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0x0f];
	}
	out[40] = '\0';
}

void
sg_sha256_hex(const void *data, size_t len, char out[65])
{
	static const char	 hex[] = "0123456789abcdef";
	uint8_t			 md[32];
	size_t			 i;

	sg_sha256(data, len, md);
	for (i = 0; i < sizeof(md); i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0x0f];
	}
	out[64] = '\0';
}

int
sg_memeq(const void *a, const void *b, size_t n)
{
	if (n == 0)
		return 1;
	if (a == NULL || b == NULL)
		return 0;
	return CRYPTO_memcmp(a, b, n) == 0;
}

int
sg_streq(const char *a, const char *b)
{
	size_t	 la, lb;

	if (a == NULL || b == NULL)
		return 0;
	la = strlen(a);
	lb = strlen(b);
	/* The lengths leak (documented in crypto.h); the contents do not. */
	if (la != lb)
		return 0;
	return sg_memeq(a, b, la);
}

void
sg_cleanse(void *p, size_t n)
{
	if (p != NULL && n > 0)
		OPENSSL_cleanse(p, n);
}
