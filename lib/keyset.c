/* SPDX-License-Identifier: ISC */
/*
 * Key sets: the verification keys a service accepts, loaded from a list
 * of PEM and JWKS files (SANDGATE_VERIFY_KEYS) and found by kid.  The
 * keys themselves are keys.c's.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "compat.h"
#include "crypto.h"
#include "json.h"
#include "keys.h"

struct sg_keyset {
	struct sg_key	*keys[SG_KEYSET_MAX];
	size_t		 n;
};

struct sg_keyset *
sg_keyset_new(void)
{
	return calloc(1, sizeof(struct sg_keyset));
}

void
sg_keyset_free(struct sg_keyset *ks)
{
	size_t	 i;

	if (ks == NULL)
		return;
	for (i = 0; i < ks->n; i++)
		sg_key_free(ks->keys[i]);
	free(ks);
}

enum sg_rc
sg_keyset_add(struct sg_keyset *ks, struct sg_key *k, struct sg_err *err)
{
	enum sg_rc	 rc = SG_EINVAL;

	if (ks == NULL || k == NULL) {
		sg_err_set(err, SG_EINVAL, "bad_key", "no key set or key");
		goto out;
	}
	if (ks->n >= SG_KEYSET_MAX) {
		sg_err_set(err, SG_EINVAL, "too_many_keys",
		    "more than %d keys in one set", SG_KEYSET_MAX);
		goto out;
	}
	/* Selection is by exact kid, so a kid must name one key only. */
	if (sg_keyset_find(ks, sg_key_kid(k)) != NULL) {
		sg_err_set(err, SG_EINVAL, "duplicate_kid",
		    "two keys with kid \"%s\"", sg_key_kid(k));
		goto out;
	}
	ks->keys[ks->n++] = k;
	k = NULL;
	rc = SG_OK;
out:
	sg_key_free(k);
	return rc;
}

enum sg_rc
sg_keyset_add_jwks(struct sg_keyset *ks, const char *buf, size_t len,
    struct sg_err *err)
{
	cJSON		*doc = NULL;
	const cJSON	*keys, *jwk;
	struct sg_key	*k = NULL;
	enum sg_rc	 rc = SG_EINVAL;

	if (ks == NULL || buf == NULL || len > SG_KEYFILE_MAX)
		return sg_err_set(err, SG_EINVAL, "bad_jwks",
		    "JWKS empty or over %d bytes", SG_KEYFILE_MAX);
	if ((doc = sg_json_parse_object(buf, len, err)) == NULL)
		return err != NULL && err->rc == SG_ENOMEM ? SG_ENOMEM :
		    sg_err_set(err, SG_EINVAL, "bad_jwks", "JWKS not JSON");
	/* sg_json_parse_object refused repeated names: one "keys" at most. */
	keys = cJSON_GetObjectItemCaseSensitive(doc, "keys");
	if (keys == NULL && cJSON_GetObjectItemCaseSensitive(doc, "kty") !=
	    NULL) {
		/* A single bare JWK is a set of one. */
		if ((rc = sg_key_from_jwk(doc, &k, err)) != SG_OK)
			goto out;
		rc = sg_keyset_add(ks, k, err);
		goto out;
	}
	if (!cJSON_IsArray(keys) || cJSON_GetArraySize(keys) == 0) {
		sg_err_set(err, SG_EINVAL, "bad_jwks",
		    "JWKS \"keys\" is not a non-empty array");
		goto out;
	}
	/* Every key must load: a bad one fails the whole set (S11). */
	cJSON_ArrayForEach(jwk, keys) {
		if ((rc = sg_key_from_jwk(jwk, &k, err)) != SG_OK)
			goto out;
		if ((rc = sg_keyset_add(ks, k, err)) != SG_OK)
			goto out;
	}
	rc = SG_OK;
out:
	cJSON_Delete(doc);
	return rc;
}

/* Prefix the recorded error message with the file it is about. */
static void
name_file(struct sg_err *err, const char *path)
{
	char	 msg[sizeof(err->msg)];

	if (err == NULL || err->rc == SG_OK ||
	    strncmp(err->msg, path, strlen(path)) == 0)
		return;
	/* Truncation is fine: the start of the message names the file. */
	if (snprintf(msg, sizeof(msg), "%s: %s", path, err->msg) < 0)
		return;
	(void)strlcpy(err->msg, msg, sizeof(err->msg));
}

/* Add one file, PEM or JWKS, to ks. */
static enum sg_rc
keyset_add_file(struct sg_keyset *ks, const char *path, struct sg_err *err)
{
	struct sg_key	*k = NULL, *pub = NULL;
	char		*buf = NULL;
	size_t		 len = 0, size = 0, i;
	enum sg_rc	 rc;

	if ((rc = sg_key_read_file(path, &buf, &len, &size, err)) != SG_OK)
		return rc;
	for (i = 0; i < len && (buf[i] == ' ' || buf[i] == '\t' ||
	    buf[i] == '\r' || buf[i] == '\n'); i++)
		;
	if (i < len && buf[i] == '{') {
		rc = sg_keyset_add_jwks(ks, buf, len, err);
		goto out;
	}
	if ((rc = sg_key_from_pem(buf, len, &k, err)) != SG_OK)
		goto out;
	/* A verification set holds public keys only. */
	if (sg_key_is_private(k)) {
		if ((rc = sg_key_public(k, &pub, err)) != SG_OK)
			goto out;
		sg_key_free(k);
		k = pub;
	}
	rc = sg_keyset_add(ks, k, err);
	k = NULL;
out:
	if (rc != SG_OK)
		name_file(err, path);
	sg_key_free(k);
	sg_cleanse(buf, size);
	free(buf);
	return rc;
}

enum sg_rc
sg_keyset_load(const char *paths, struct sg_keyset **out,
    struct sg_err *err)
{
	struct sg_keyset	*ks = NULL;
	const char		*p, *comma;
	char			 path[PATH_MAX];
	size_t			 n;
	enum sg_rc		 rc = SG_EINVAL;

	*out = NULL;
	if (paths == NULL || paths[0] == '\0')
		return sg_err_set(err, SG_EINVAL, "bad_key_file",
		    "no key files given");
	if ((ks = sg_keyset_new()) == NULL)
		return sg_err_set(err, SG_ENOMEM, "out_of_memory", "key set");
	for (p = paths;; p = comma + 1) {
		comma = strchr(p, ',');
		n = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (n == 0 || n >= sizeof(path)) {
			rc = sg_err_set(err, SG_EINVAL, "bad_key_file",
			    "empty or overlong path in key file list");
			goto out;
		}
		memcpy(path, p, n);
		path[n] = '\0';
		if ((rc = keyset_add_file(ks, path, err)) != SG_OK)
			goto out;
		if (comma == NULL)
			break;
	}
	*out = ks;
	ks = NULL;
	rc = SG_OK;
out:
	sg_keyset_free(ks);
	return rc;
}

size_t
sg_keyset_count(const struct sg_keyset *ks)
{
	return ks != NULL ? ks->n : 0;
}

const struct sg_key *
sg_keyset_at(const struct sg_keyset *ks, size_t i)
{
	return ks != NULL && i < ks->n ? ks->keys[i] : NULL;
}

const struct sg_key *
sg_keyset_find(const struct sg_keyset *ks, const char *kid)
{
	size_t	 i;

	if (ks == NULL || kid == NULL)
		return NULL;
	/* kids are public; a plain comparison leaks nothing secret. */
	for (i = 0; i < ks->n; i++)
		if (strcmp(sg_key_kid(ks->keys[i]), kid) == 0)
			return ks->keys[i];
	return NULL;
}

cJSON *
sg_keyset_jwks(const struct sg_keyset *ks)
{
	cJSON	*doc = NULL, *arr, *jwk;
	size_t	 i;

	if ((doc = cJSON_CreateObject()) == NULL)
		return NULL;
	if ((arr = cJSON_AddArrayToObject(doc, "keys")) == NULL)
		goto fail;
	for (i = 0; ks != NULL && i < ks->n; i++) {
		if ((jwk = sg_key_jwk(ks->keys[i])) == NULL)
			goto fail;
		cJSON_AddItemToArray(arr, jwk);
	}
	return doc;
fail:
	cJSON_Delete(doc);
	return NULL;
}
