/* SPDX-License-Identifier: ISC */
/*
 * Secrets sealed at rest (secret.h): limits, the JSON of the API, and
 * AES-256-GCM through OpenSSL 3's EVP interface.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "b64url.h"
#include "compat.h"
#include "crypto.h"
#include "secret.h"

#define NONCE_LEN	12	/* 96 bits: SP 800-38D 8.2.2, random */
#define TAG_LEN		16
#define AAD_MAX		(16 + 2 * 128 + SG_HOST_MAX + 8 + SG_SECRET_HEADER_MAX + 8)

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void
sg_secret_key_from_raw(const uint8_t k[SG_SECRET_KEY_LEN],
    struct sg_secret_key *key)
{
	char	 hex[65];

	memcpy(key->k, k, SG_SECRET_KEY_LEN);
	/* The id is a hash of the key: it names the key, it is not it. */
	sg_sha256_hex(k, SG_SECRET_KEY_LEN, hex);
	memcpy(key->kid, hex, SG_SECRET_KID_LEN);
	key->kid[SG_SECRET_KID_LEN] = '\0';
}

enum sg_rc
sg_secret_key_load(const char *path, struct sg_secret_key *key,
    struct sg_err *err)
{
	char		 buf[80];
	uint8_t		 k[SG_SECRET_KEY_LEN];
	ssize_t		 n;
	size_t		 len, i;
	int		 fd, hi, lo;
	enum sg_rc	 rc = SG_OK;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return sg_err_set(err, SG_EINVAL, "bad_secret_key",
		    "cannot open %s: %s", path, strerror(errno));
	n = read(fd, buf, sizeof(buf));
	(void)close(fd);
	len = n > 0 ? (size_t)n : 0;
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len != 2 * SG_SECRET_KEY_LEN) {
		rc = sg_err_set(err, SG_EINVAL, "bad_secret_key",
		    "%s: want 64 hex digits (32 bytes)", path);
		goto out;
	}
	for (i = 0; i < SG_SECRET_KEY_LEN; i++) {
		hi = hexval((unsigned char)buf[2 * i]);
		lo = hexval((unsigned char)buf[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			rc = sg_err_set(err, SG_EINVAL, "bad_secret_key",
			    "%s: want 64 hex digits (32 bytes)", path);
			goto out;
		}
		k[i] = (uint8_t)(hi << 4 | lo);
	}
	sg_secret_key_from_raw(k, key);
out:
	sg_cleanse(buf, sizeof(buf));
	sg_cleanse(k, sizeof(k));
	return rc;
}

/* RFC 9110 5.6.2 tchar. */
static int
is_tchar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' &&
	    strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

int
sg_secret_name_ok(const char *s)
{
	size_t	 i;

	if (!(s[0] >= 'A' && s[0] <= 'Z'))
		return 0;
	for (i = 1; s[i] != '\0'; i++)
		if (i >= SG_SECRET_NAME_MAX ||
		    !((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

static int
host_ok(const char *s)
{
	const char	*colon = strchr(s, ':');
	size_t		 hl = colon != NULL ? (size_t)(colon - s) : strlen(s);
	size_t		 i;
	unsigned long	 port = 0;

	if (hl == 0 || hl > SG_HOST_MAX || s[0] == '.' || s[0] == '-' ||
	    s[hl - 1] == '.')
		return 0;
	for (i = 0; i < hl; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		    s[i] == '-'))
			return 0;
	if (colon == NULL)
		return 1;
	for (i = 1; colon[i] != '\0'; i++) {
		if (colon[i] < '0' || colon[i] > '9' || i > 5)
			return 0;
		port = port * 10 + (unsigned long)(colon[i] - '0');
	}
	return i > 1 && port >= 1 && port <= 65535 && colon[1] != '0';
}

enum sg_rc
sg_secret_check(const struct sg_secret *s, struct sg_err *err)
{
	size_t	 i;

	if (!sg_secret_name_ok(s->name))
		return sg_err_set(err, SG_EINVAL, "bad_secret",
		    "secret name must match ^[A-Z][A-Z0-9_]{0,31}$");
	if (!host_ok(s->host))
		return sg_err_set(err, SG_EINVAL, "bad_secret",
		    "secret host must be a lowercase host name, optionally "
		    "with :port");
	for (i = 0; s->header[i] != '\0'; i++)
		if (!is_tchar((unsigned char)s->header[i]))
			break;
	if (i == 0 || s->header[i] != '\0' || i > SG_SECRET_HEADER_MAX)
		return sg_err_set(err, SG_EINVAL, "bad_secret",
		    "secret header must be an HTTP field name of at most %d "
		    "characters", SG_SECRET_HEADER_MAX);
	/* RFC 9110 5.5: field-vchar and SP/HTAB; no CR, LF or NUL. */
	for (i = 0; s->value[i] != '\0'; i++)
		if (!(s->value[i] == ' ' || s->value[i] == '\t' ||
		    ((unsigned char)s->value[i] >= 0x21 &&
		    (unsigned char)s->value[i] <= 0x7e)))
			return sg_err_set(err, SG_EINVAL, "bad_secret",
			    "secret value must be visible ASCII, spaces and "
			    "tabs only");
	if (i == 0 || i > SG_SECRET_VALUE_MAX)
		return sg_err_set(err, SG_EINVAL, "bad_secret",
		    "secret value must be 1 to %d characters",
		    SG_SECRET_VALUE_MAX);
	return SG_OK;
}

static enum sg_rc
field(const cJSON *o, const char *name, char *dst, size_t size,
    struct sg_err *err)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, name);

	if (!cJSON_IsString(v) || v->valuestring == NULL)
		return sg_err_set(err, SG_EINVAL, "bad_secret",
		    "secret field \"%s\" must be a string", name);
	if (strlcpy(dst, v->valuestring, size) >= size)
		return sg_err_set(err, SG_EINVAL, "bad_secret",
		    "secret field \"%s\" is too long", name);
	return SG_OK;
}

enum sg_rc
sg_secret_from_json(const cJSON *o, struct sg_secret *s, struct sg_err *err)
{
	static const char *const known[] = { "name", "host", "header",
	    "value", NULL };
	const cJSON	*it;
	size_t		 i;
	enum sg_rc	 rc;

	memset(s, 0, sizeof(*s));
	if (!cJSON_IsObject(o))
		return sg_err_set(err, SG_EINVAL, "bad_secret",
		    "a secret must be an object");
	cJSON_ArrayForEach(it, o) {
		for (i = 0; known[i] != NULL; i++)
			if (it->string != NULL &&
			    strcmp(it->string, known[i]) == 0)
				break;
		if (known[i] == NULL)
			return sg_err_set(err, SG_EINVAL, "bad_secret",
			    "unknown secret field");
	}
	if ((rc = field(o, "name", s->name, sizeof(s->name), err)) != SG_OK ||
	    (rc = field(o, "host", s->host, sizeof(s->host), err)) != SG_OK ||
	    (rc = field(o, "header", s->header, sizeof(s->header),
	    err)) != SG_OK ||
	    (rc = field(o, "value", s->value, sizeof(s->value),
	    err)) != SG_OK ||
	    (rc = sg_secret_check(s, err)) != SG_OK) {
		sg_cleanse(s, sizeof(*s));
		return rc;
	}
	return SG_OK;
}

unsigned
sg_secret_port(const struct sg_secret *s)
{
	const char	*c = strchr(s->host, ':');
	unsigned	 p = 0;

	if (c == NULL)
		return 443;
	for (c++; *c >= '0' && *c <= '9'; c++)
		p = p * 10 + (unsigned)(*c - '0');
	return p;
}

/* "sandgate-secret-v1" NUL cid NUL name NUL host NUL header */
static size_t
mkaad(char *buf, size_t size, const char *cid, const char *name,
    const char *host, const char *header)
{
	const char	*part[] = { "sandgate-secret-v1", cid, name, host,
	    header };
	size_t		 i, n = 0, l;

	for (i = 0; i < sizeof(part) / sizeof(part[0]); i++) {
		l = strlen(part[i]) + 1;
		if (n + l > size)
			return 0;
		memcpy(buf + n, part[i], l);
		n += l;
	}
	return n;
}

/* Encrypt (enc) or decrypt in[0..n) into out; 1 on success. */
static int
gcm(int enc, const uint8_t *key, const uint8_t *nonce, const char *aad,
    size_t aadlen, const uint8_t *in, size_t n, uint8_t *out, uint8_t *tag)
{
	EVP_CIPHER_CTX	*c;
	int		 l, ok = 0;

	if ((c = EVP_CIPHER_CTX_new()) == NULL)
		return 0;
	if (EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL,
	    enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN,
	    NULL) != 1 ||
	    EVP_CipherInit_ex(c, NULL, NULL, key, nonce, enc) != 1 ||
	    EVP_CipherUpdate(c, NULL, &l, (const uint8_t *)aad,
	    (int)aadlen) != 1 ||
	    EVP_CipherUpdate(c, out, &l, in, (int)n) != 1)
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN,
	    tag) != 1)
		goto out;
	/* Decryption: the tag is checked here (SP 800-38D 7.2). */
	if (EVP_CipherFinal_ex(c, out + l, &l) != 1)
		goto out;
	if (enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN,
	    tag) != 1)
		goto out;
	ok = 1;
out:
	EVP_CIPHER_CTX_free(c);
	return ok;
}

enum sg_rc
sg_secret_seal(const struct sg_secret_key *key, const char *cid,
    const struct sg_secret *s, char **rec, struct sg_err *err)
{
	uint8_t		 nonce[NONCE_LEN];
	uint8_t		 ct[SG_SECRET_VALUE_MAX + TAG_LEN];
	char		 aad[AAD_MAX];
	char		 nb[SG_B64URL_ENCLEN(NONCE_LEN) + 1];
	char		 cb[SG_B64URL_ENCLEN(sizeof(ct)) + 1];
	size_t		 n = strlen(s->value), aadlen;
	cJSON		*o = NULL;
	enum sg_rc	 rc;

	*rec = NULL;
	if ((rc = sg_secret_check(s, err)) != SG_OK)
		return rc;
	if ((aadlen = mkaad(aad, sizeof(aad), cid, s->name, s->host,
	    s->header)) == 0)
		return sg_err_set(err, SG_EINVAL, "bad_secret",
		    "container id too long");
	if ((rc = sg_random(nonce, sizeof(nonce), err)) != SG_OK)
		return rc;
	if (!gcm(1, key->k, nonce, aad, aadlen, (const uint8_t *)s->value, n,
	    ct, ct + n)) {
		rc = sg_err_set(err, SG_EINTERNAL, NULL, "AES-GCM failed");
		goto out;
	}
	(void)sg_b64url_encode(nonce, sizeof(nonce), nb, sizeof(nb));
	(void)sg_b64url_encode(ct, n + TAG_LEN, cb, sizeof(cb));
	if ((o = cJSON_CreateObject()) == NULL ||
	    cJSON_AddNumberToObject(o, "v", 1) == NULL ||
	    cJSON_AddStringToObject(o, "kid", key->kid) == NULL ||
	    cJSON_AddStringToObject(o, "host", s->host) == NULL ||
	    cJSON_AddStringToObject(o, "header", s->header) == NULL ||
	    cJSON_AddStringToObject(o, "nonce", nb) == NULL ||
	    cJSON_AddStringToObject(o, "ct", cb) == NULL ||
	    (*rec = cJSON_PrintUnformatted(o)) == NULL)
		rc = sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
out:
	cJSON_Delete(o);
	sg_cleanse(ct, sizeof(ct));
	return rc;
}

static const char *
str(const cJSON *o, const char *name)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

enum sg_rc
sg_secret_open(const struct sg_secret_key *keys, size_t nkeys,
    const char *cid, const char *name, const char *rec, size_t len,
    struct sg_secret *out, struct sg_err *err)
{
	uint8_t		 nonce[NONCE_LEN + 4];
	uint8_t		 ct[SG_B64URL_DECLEN(SG_B64URL_ENCLEN(
			    SG_SECRET_VALUE_MAX + TAG_LEN)) + 4];
	char		 aad[AAD_MAX];
	const char	*kid, *host, *header, *nb, *cb;
	const cJSON	*v;
	cJSON		*o;
	size_t		 nl, cl, aadlen, i;
	enum sg_rc	 rc;

	memset(out, 0, sizeof(*out));
	if (len > SG_SECRET_REC_MAX ||
	    (o = cJSON_ParseWithLength(rec, len)) == NULL)
		return sg_err_set(err, SG_EINVAL, "bad_secret",
		    "not a secret record");
	v = cJSON_GetObjectItemCaseSensitive(o, "v");
	kid = str(o, "kid");
	host = str(o, "host");
	header = str(o, "header");
	nb = str(o, "nonce");
	cb = str(o, "ct");
	if (!cJSON_IsNumber(v) || v->valuedouble != 1 || kid == NULL ||
	    host == NULL || header == NULL || nb == NULL || cb == NULL ||
	    strlcpy(out->name, name, sizeof(out->name)) >= sizeof(out->name) ||
	    strlcpy(out->host, host, sizeof(out->host)) >= sizeof(out->host) ||
	    strlcpy(out->header, header, sizeof(out->header)) >=
	    sizeof(out->header) ||
	    strlen(cb) > SG_B64URL_ENCLEN(SG_SECRET_VALUE_MAX + TAG_LEN) ||
	    sg_b64url_decode(nb, strlen(nb), nonce, sizeof(nonce), &nl,
	    NULL) != SG_OK || nl != NONCE_LEN ||
	    sg_b64url_decode(cb, strlen(cb), ct, sizeof(ct), &cl,
	    NULL) != SG_OK || cl <= TAG_LEN || cl - TAG_LEN >
	    SG_SECRET_VALUE_MAX) {
		rc = sg_err_set(err, SG_EINVAL, "bad_secret",
		    "not a secret record");
		goto out;
	}
	for (i = 0; i < nkeys; i++)
		if (strcmp(keys[i].kid, kid) == 0)
			break;
	aadlen = mkaad(aad, sizeof(aad), cid, name, host, header);
	if (i == nkeys || aadlen == 0 || !gcm(0, keys[i].k, nonce, aad,
	    aadlen, ct, cl - TAG_LEN, (uint8_t *)out->value,
	    ct + cl - TAG_LEN)) {
		rc = sg_err_set(err, SG_EPERM, "secret_unreadable",
		    "the secret does not open with this broker's keys for "
		    "this sandbox");
		goto out;
	}
	out->value[cl - TAG_LEN] = '\0';
	/* What was sealed passed sg_secret_check; a record may not lie. */
	rc = sg_secret_check(out, err);
out:
	if (rc != SG_OK)
		sg_cleanse(out, sizeof(*out));
	sg_cleanse(ct, sizeof(ct));
	cJSON_Delete(o);
	return rc;
}
