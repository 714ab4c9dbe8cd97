/* SPDX-License-Identifier: ISC */
/*
 * Compact JWS with ES256 only (RFC 7515, RFC 7518 3.4), verified by the
 * rules of docs/security.md section 2: format and length first, strict
 * base64url, a strict header with an allowlist of members, the key picked
 * by exact kid, the 64-byte r||s signature range-checked and verified over
 * the signing input exactly as received.  Claims are claims.c's business.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "b64url.h"
#include "crypto.h"
#include "json.h"
#include "jwt.h"
#include "keys-internal.h"
#include "keys.h"

#define SCALAR_LEN	32
#define SIG_B64LEN	86	/* SG_B64URL_ENCLEN(64) */
#define DER_MAX		80	/* P-256 ECDSA DER: at most 72 bytes */

/* The order n of the P-256 base point (FIPS 186-4 D.1.2.3). */
static const uint8_t p256_n[SCALAR_LEN] = {
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84,
	0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51
};

/*
 * 1 <= v <= n - 1 for a 32-byte big-endian v (RFC 7518 3.4 via SEC 1
 * 4.1.4 step 1).  OpenSSL checks this too; checking first means that
 * r = 0, s = 0 (CVE-2022-21449) never reaches any arithmetic at all.
 */
static int
scalar_ok(const uint8_t v[SCALAR_LEN])
{
	static const uint8_t	 zero[SCALAR_LEN];

	return memcmp(v, zero, SCALAR_LEN) != 0 &&
	    memcmp(v, p256_n, SCALAR_LEN) < 0;
}

static int
sha256(const struct sg_key *k, const void *msg, size_t len,
    uint8_t md[32])
{
	unsigned int	 mdlen = 0;

	return EVP_Digest(msg, len, md, &mdlen, sg_key_md(k), NULL) == 1 &&
	    mdlen == 32;
}

enum sg_rc
sg_es256_sign(const struct sg_key *k, const void *msg, size_t len,
    uint8_t sig[SG_ES256_SIGLEN], struct sg_err *err)
{
	EVP_PKEY_CTX		*ctx = NULL;
	ECDSA_SIG		*es = NULL;
	const BIGNUM		*r = NULL, *s = NULL;
	const unsigned char	*p;
	uint8_t			 md[32], der[DER_MAX];
	size_t			 derlen = sizeof(der);
	enum sg_rc		 rc = SG_EINTERNAL;

	if (!sg_key_is_private(k) || (msg == NULL && len > 0))
		return sg_err_set(err, SG_EINVAL, "not_private_key",
		    "signing needs a private key");
	if (!sha256(k, msg, len, md)) {
		sg_err_set(err, SG_EINTERNAL, "crypto_failed", "SHA-256");
		goto out;
	}
	/*
	 * A digest signed on a context set up once per key: the same
	 * ECDSA as EVP_DigestSign, without a provider lookup per token.
	 */
	if ((ctx = sg_key_ctx_get(k, 1)) == NULL ||
	    EVP_PKEY_sign(ctx, der, &derlen, md, sizeof(md)) != 1) {
		sg_err_set(err, SG_EINTERNAL, "crypto_failed", "ECDSA sign");
		goto out;
	}
	p = der;
	if ((es = d2i_ECDSA_SIG(NULL, &p, (long)derlen)) == NULL) {
		sg_err_set(err, SG_EINTERNAL, "crypto_failed", "ECDSA DER");
		goto out;
	}
	ECDSA_SIG_get0(es, &r, &s);
	/*
	 * RFC 7518 3.4: each integer is exactly 32 octets.  BN_bn2bin would
	 * drop leading zero bytes about once in 128 signatures, which a
	 * strict verifier rejects (docs/security.md S10).
	 */
	if (BN_bn2binpad(r, sig, SCALAR_LEN) != SCALAR_LEN ||
	    BN_bn2binpad(s, sig + SCALAR_LEN, SCALAR_LEN) != SCALAR_LEN) {
		sg_err_set(err, SG_EINTERNAL, "crypto_failed", "ECDSA r/s");
		goto out;
	}
	rc = SG_OK;
out:
	if (rc != SG_OK) {
		memset(sig, 0, SG_ES256_SIGLEN);
		ERR_clear_error();
	}
	ECDSA_SIG_free(es);
	sg_key_ctx_put(k, 1, ctx);
	return rc;
}

enum sg_rc
sg_es256_verify(const struct sg_key *k, const void *msg, size_t len,
    const uint8_t *sig, size_t siglen, struct sg_err *err)
{
	EVP_PKEY_CTX	*ctx = NULL;
	ECDSA_SIG	*es = NULL;
	BIGNUM		*r = NULL, *s = NULL;
	unsigned char	 der[DER_MAX], *p;
	uint8_t		 md[32];
	int		 derlen;
	enum sg_rc	 rc = SG_EAUTH;

	if (k == NULL || sig == NULL || (msg == NULL && len > 0))
		return sg_err_set(err, SG_EAUTH, "bad_signature",
		    "no key or signature");
	/* RFC 7518 3.4: exactly 64 octets, never DER or anything else. */
	if (siglen != SG_ES256_SIGLEN)
		return sg_err_set(err, SG_EAUTH, "bad_signature",
		    "ES256 signature of %zu bytes, not 64", siglen);
	if (!scalar_ok(sig) || !scalar_ok(sig + SCALAR_LEN))
		return sg_err_set(err, SG_EAUTH, "bad_signature",
		    "ES256 r or s out of range");
	/* OpenSSL wants DER: SEQUENCE { INTEGER r, INTEGER s }. */
	if ((es = ECDSA_SIG_new()) == NULL ||
	    (r = BN_bin2bn(sig, SCALAR_LEN, NULL)) == NULL ||
	    (s = BN_bin2bn(sig + SCALAR_LEN, SCALAR_LEN, NULL)) == NULL ||
	    ECDSA_SIG_set0(es, r, s) != 1) {
		rc = sg_err_set(err, SG_ENOMEM, "out_of_memory",
		    "ECDSA signature");
		goto out;
	}
	r = s = NULL;		/* owned by es now */
	derlen = i2d_ECDSA_SIG(es, NULL);
	if (derlen <= 0 || (size_t)derlen > sizeof(der)) {
		rc = sg_err_set(err, SG_EINTERNAL, "crypto_failed",
		    "ECDSA DER length");
		goto out;
	}
	p = der;
	if (i2d_ECDSA_SIG(es, &p) != derlen) {
		rc = sg_err_set(err, SG_EINTERNAL, "crypto_failed",
		    "ECDSA DER");
		goto out;
	}
	if (!sha256(k, msg, len, md)) {
		rc = sg_err_set(err, SG_EINTERNAL, "crypto_failed", "SHA-256");
		goto out;
	}
	if ((ctx = sg_key_ctx_get(k, 0)) == NULL) {
		rc = sg_err_set(err, SG_ENOMEM, "out_of_memory",
		    "verify context");
		goto out;
	}
	/* High-S is valid: JOSE has no low-S rule (docs/security.md S8). */
	if (EVP_PKEY_verify(ctx, der, (size_t)derlen, md, sizeof(md)) != 1) {
		sg_err_set(err, SG_EAUTH, "bad_signature",
		    "signature does not verify");
		goto out;
	}
	rc = SG_OK;
out:
	if (rc != SG_OK)
		ERR_clear_error();
	sg_key_ctx_put(k, 0, ctx);
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	return rc;
}

/* Base64url alphabet plus '.' (draft-ietf-oauth-rfc8725bis 3.x). */
static int
token_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/*
 * Header members that are named when refused.  Everything not allowed is
 * refused; the message never echoes an attacker's member name (it may
 * hold CR/LF and land in a log).
 */
static const char *const refused_names[] = {
	"crit", "jku", "x5u", "jwk", "x5c", "x5t", "x5t#S256", "cty", "zip",
	"enc", "b64"
};

#define HDR_ALG	0x1
#define HDR_TYP	0x2
#define HDR_KID	0x4

/*
 * Check the header object; on SG_OK *key is the key to verify with.
 * Only alg, typ and kid may appear, each once.
 */
static enum sg_rc
check_header(const struct sg_keyset *ks, const cJSON *hdr,
    const struct sg_key **key, struct sg_err *err)
{
	const cJSON	*m, *alg = NULL, *typ = NULL, *kid = NULL;
	const char	*name;
	unsigned int	 seen = 0, bit;
	size_t		 i;

	*key = NULL;
	for (m = hdr->child; m != NULL; m = m->next) {
		name = m->string;
		if (name != NULL && strcmp(name, "alg") == 0) {
			bit = HDR_ALG;
			alg = m;
		} else if (name != NULL && strcmp(name, "typ") == 0) {
			bit = HDR_TYP;
			typ = m;
		} else if (name != NULL && strcmp(name, "kid") == 0) {
			bit = HDR_KID;
			kid = m;
		} else {
			for (i = 0; name != NULL && i <
			    sizeof(refused_names) / sizeof(refused_names[0]);
			    i++)
				if (strcmp(name, refused_names[i]) == 0)
					return sg_err_set(err, SG_EAUTH,
					    "bad_header", "header member "
					    "\"%s\" refused", refused_names[i]);
			return sg_err_set(err, SG_EAUTH, "bad_header",
			    "unknown header member");
		}
		/* RFC 7515 4: names must be unique (cJSON keeps both). */
		if (seen & bit)
			return sg_err_set(err, SG_EAUTH, "bad_header",
			    "duplicate header member");
		seen |= bit;
	}
	/* RFC 8725 3.1: an allowlist of one, compared exactly. */
	if (alg == NULL || !cJSON_IsString(alg))
		return sg_err_set(err, SG_EAUTH, "bad_header",
		    "alg missing or not a string");
	if (strcmp(alg->valuestring, "ES256") != 0)
		return sg_err_set(err, SG_EAUTH, "unsupported_alg",
		    "alg is not ES256");
	if (typ != NULL && (!cJSON_IsString(typ) ||
	    strcmp(typ->valuestring, "JWT") != 0))
		return sg_err_set(err, SG_EAUTH, "bad_header",
		    "typ is not \"JWT\"");
	/* Key selection is local and exact; never try every key (K6). */
	if (kid != NULL) {
		if (!cJSON_IsString(kid))
			return sg_err_set(err, SG_EAUTH, "bad_header",
			    "kid is not a string");
		name = kid->valuestring;
		for (i = 0; name[i] != '\0'; i++)
			if (i >= SG_KID_MAX || name[i] < 0x20 ||
			    name[i] > 0x7e)
				return sg_err_set(err, SG_EAUTH, "bad_header",
				    "kid not 1-%d printable ASCII characters",
				    SG_KID_MAX);
		if (i == 0)
			return sg_err_set(err, SG_EAUTH, "bad_header",
			    "empty kid");
		if ((*key = sg_keyset_find(ks, name)) == NULL)
			return sg_err_set(err, SG_EAUTH, "unknown_kid",
			    "no key with this kid");
	} else {
		if (sg_keyset_count(ks) != 1)
			return sg_err_set(err, SG_EAUTH, "unknown_kid",
			    "no kid and more than one key");
		*key = sg_keyset_at(ks, 0);
	}
	return SG_OK;
}

enum sg_rc
sg_jwt_verify_raw(const struct sg_keyset *ks, const char *tok, size_t len,
    uint8_t **payload, size_t *payloadlen, const char **kid_out,
    struct sg_err *err)
{
	const struct sg_key	*key = NULL;
	struct sg_err		 jerr;
	cJSON			*hdr = NULL;
	uint8_t			*hbuf = NULL, *pbuf = NULL, *sbuf = NULL;
	size_t			 dot[2], nd = 0, i, hlen, plen, slen;
	size_t			 hn = 0, pn = 0, sn = 0;
	enum sg_rc		 rc = SG_EAUTH;

	if (payload != NULL)
		*payload = NULL;
	if (payloadlen != NULL)
		*payloadlen = 0;
	if (kid_out != NULL)
		*kid_out = NULL;

	/* 1. Length before anything else: bounded work and memory (E12). */
	if (tok == NULL || len == 0)
		return sg_err_set(err, SG_EAUTH, "malformed_token",
		    "empty token");
	if (len > SG_JWT_MAX_LEN)
		return sg_err_set(err, SG_EAUTH, "malformed_token",
		    "token over %d bytes", SG_JWT_MAX_LEN);
	/* 2. [A-Za-z0-9_-] and exactly two dots, three non-empty parts. */
	for (i = 0; i < len; i++) {
		if (tok[i] == '.') {
			if (nd == 2)
				return sg_err_set(err, SG_EAUTH,
				    "malformed_token", "more than 3 segments");
			dot[nd++] = i;
		} else if (!token_char((unsigned char)tok[i]))
			return sg_err_set(err, SG_EAUTH, "malformed_token",
			    "invalid character in token");
	}
	if (nd != 2)
		return sg_err_set(err, SG_EAUTH, "malformed_token",
		    "not 3 segments");
	hlen = dot[0];
	plen = dot[1] - dot[0] - 1;
	slen = len - dot[1] - 1;
	if (hlen == 0 || plen == 0 || slen == 0)
		return sg_err_set(err, SG_EAUTH, "malformed_token",
		    "empty segment");

	/* 3. Strict base64url of every segment (RFC 7515 2, 7.1). */
	if ((hbuf = malloc(SG_B64URL_DECLEN(hlen) + 1)) == NULL ||
	    (pbuf = malloc(SG_B64URL_DECLEN(plen) + 1)) == NULL ||
	    (sbuf = malloc(SG_B64URL_DECLEN(slen) + 1)) == NULL) {
		rc = sg_err_set(err, SG_ENOMEM, "out_of_memory", "token");
		goto out;
	}
	if (sg_b64url_decode(tok, hlen, hbuf, SG_B64URL_DECLEN(hlen), &hn,
	    NULL) != SG_OK ||
	    sg_b64url_decode(tok + dot[0] + 1, plen, pbuf,
	    SG_B64URL_DECLEN(plen), &pn, NULL) != SG_OK ||
	    sg_b64url_decode(tok + dot[1] + 1, slen, sbuf,
	    SG_B64URL_DECLEN(slen), &sn, NULL) != SG_OK) {
		sg_err_set(err, SG_EAUTH, "malformed_token",
		    "segment not canonical base64url");
		goto out;
	}
	hbuf[hn] = '\0';
	pbuf[pn] = '\0';

	/*
	 * 4. Header: a strict JSON object (json.c refuses NUL, "\u0000",
	 * duplicates, BOM, trailing bytes); the raw-byte checks here keep
	 * "ES256\u0000x" out even if that ever changed (notes A2).
	 */
	if (memchr(hbuf, '\0', hn) != NULL ||
	    memmem(hbuf, hn, "\\u0000", 6) != NULL) {
		sg_err_set(err, SG_EAUTH, "bad_header", "NUL in header");
		goto out;
	}
	sg_err_clear(&jerr);
	if ((hdr = sg_json_parse_object((const char *)hbuf, hn, &jerr)) ==
	    NULL) {
		if (jerr.rc == SG_ENOMEM)
			rc = sg_err_set(err, SG_ENOMEM, "out_of_memory",
			    "header");
		else
			sg_err_set(err, SG_EAUTH, "bad_header",
			    "header is not a strict JSON object");
		goto out;
	}
	if ((rc = check_header(ks, hdr, &key, err)) != SG_OK)
		goto out;
	rc = SG_EAUTH;

	/* 5. The signature over the signing input as received (S7). */
	if (sn != SG_ES256_SIGLEN) {
		sg_err_set(err, SG_EAUTH, "bad_signature",
		    "ES256 signature of %zu bytes, not 64", sn);
		goto out;
	}
	if ((rc = sg_es256_verify(key, tok, dot[1], sbuf, sn, err)) !=
	    SG_OK)
		goto out;

	if (kid_out != NULL)
		*kid_out = sg_key_kid(key);
	if (payloadlen != NULL)
		*payloadlen = pn;
	if (payload != NULL) {
		*payload = pbuf;
		pbuf = NULL;
	}
	rc = SG_OK;
out:
	cJSON_Delete(hdr);
	free(hbuf);
	free(pbuf);
	free(sbuf);
	return rc;
}

enum sg_rc
sg_jwt_verify(const struct sg_keyset *ks, const char *tok, size_t len,
    cJSON **claims, const char **kid_out, struct sg_err *err)
{
	struct sg_err	 jerr;
	uint8_t		*payload = NULL;
	size_t		 plen = 0;
	const char	*kid = NULL;
	cJSON		*obj = NULL;
	enum sg_rc	 rc;

	if (claims != NULL)
		*claims = NULL;
	if (kid_out != NULL)
		*kid_out = NULL;
	if ((rc = sg_jwt_verify_raw(ks, tok, len, &payload, &plen, &kid,
	    err)) != SG_OK)
		return rc;
	/* Verified: now the payload must be a strict JSON object too. */
	sg_err_clear(&jerr);
	if ((obj = sg_json_parse_object((const char *)payload, plen, &jerr)) ==
	    NULL) {
		rc = jerr.rc == SG_ENOMEM ?
		    sg_err_set(err, SG_ENOMEM, "out_of_memory", "payload") :
		    sg_err_set(err, SG_EAUTH, "bad_payload",
		    "payload is not a strict JSON object");
		goto out;
	}
	if (kid_out != NULL)
		*kid_out = kid;
	if (claims != NULL) {
		*claims = obj;
		obj = NULL;
	}
	rc = SG_OK;
out:
	cJSON_Delete(obj);
	free(payload);
	return rc;
}

/*
 * The texts sg_jwt_sign encodes: the header (docs/contract.md §2.1:
 * {"alg":"ES256","typ":"JWT","kid":"<kid>"}, this order) and the claims.
 * -1 on ENOMEM, with nothing allocated.
 */
static int
jws_texts(const struct sg_key *k, const cJSON *claims, char **htext,
    char **ptext)
{
	cJSON	*hdr;

	*htext = *ptext = NULL;
	if ((hdr = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(hdr, "alg", "ES256") == NULL ||
	    cJSON_AddStringToObject(hdr, "typ", "JWT") == NULL ||
	    cJSON_AddStringToObject(hdr, "kid", sg_key_kid(k)) == NULL ||
	    (*htext = cJSON_PrintUnformatted(hdr)) == NULL ||
	    (*ptext = sg_json_print(claims)) == NULL) {
		cJSON_Delete(hdr);
		free(*htext);
		*htext = NULL;
		return -1;
	}
	cJSON_Delete(hdr);
	return 0;
}

size_t
sg_jwt_sign_len(const struct sg_key *k, const cJSON *claims)
{
	char	*htext, *ptext;
	size_t	 n;

	if (k == NULL || !cJSON_IsObject(claims) ||
	    jws_texts(k, claims, &htext, &ptext) == -1)
		return 0;
	n = SG_B64URL_ENCLEN(strlen(htext)) + 1 +
	    SG_B64URL_ENCLEN(strlen(ptext)) + 1 + SIG_B64LEN;
	free(htext);
	free(ptext);
	return n;
}

enum sg_rc
sg_jwt_sign(const struct sg_key *k, const cJSON *claims, char **out,
    struct sg_err *err)
{
	char		*htext = NULL, *ptext = NULL, *tok = NULL;
	uint8_t		 sig[SG_ES256_SIGLEN];
	size_t		 hl, pl, total, off;
	enum sg_rc	 rc = SG_ENOMEM;

	*out = NULL;
	if (!sg_key_is_private(k))
		return sg_err_set(err, SG_EINVAL, "not_private_key",
		    "signing needs a private key");
	if (!cJSON_IsObject(claims))
		return sg_err_set(err, SG_EINVAL, "bad_claims",
		    "claims are not an object");
	if (jws_texts(k, claims, &htext, &ptext) == -1) {
		sg_err_set(err, SG_ENOMEM, "out_of_memory", "token text");
		goto out;
	}
	hl = SG_B64URL_ENCLEN(strlen(htext));
	pl = SG_B64URL_ENCLEN(strlen(ptext));
	total = hl + 1 + pl + 1 + SIG_B64LEN;
	/* Never issue a token that our own verifier would refuse. */
	if (total > SG_JWT_MAX_LEN) {
		rc = sg_err_set(err, SG_EINVAL, "token_too_large",
		    "token of %zu bytes over %d", total, SG_JWT_MAX_LEN);
		goto out;
	}
	if ((tok = malloc(total + 1)) == NULL) {
		sg_err_set(err, SG_ENOMEM, "out_of_memory", "token");
		goto out;
	}
	off = sg_b64url_encode(htext, strlen(htext), tok, total + 1);
	tok[off++] = '.';
	off += sg_b64url_encode(ptext, strlen(ptext), tok + off,
	    total + 1 - off);
	if ((rc = sg_es256_sign(k, tok, off, sig, err)) != SG_OK)
		goto out;
	tok[off++] = '.';
	off += sg_b64url_encode(sig, sizeof(sig), tok + off, total + 1 - off);
	if (off != total) {
		rc = sg_err_set(err, SG_EINTERNAL, "crypto_failed",
		    "token length");
		goto out;
	}
	*out = tok;
	tok = NULL;
	rc = SG_OK;
out:
	if (tok != NULL) {
		sg_cleanse(tok, total + 1);
		free(tok);
	}
	free(htext);
	free(ptext);
	return rc;
}
