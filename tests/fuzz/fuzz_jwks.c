/* SPDX-License-Identifier: ISC */
/*
 * JWK sets (sg_keyset_add_jwks, sg_key_from_jwk; SANDGATE_VERIFY_KEYS
 * may name a JWKS file).  Checked: what loads is at most SG_KEYSET_MAX
 * public P-256 keys, each with a printable kid of at most SG_KID_MAX
 * that finds it, and whose JWK export loads back to the same kid.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "claims.h"
#include "json.h"
#include "keys.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct sg_keyset	*ks;
	const struct sg_key	*k;
	struct sg_key		*k2 = NULL;
	struct sg_err		 err;
	cJSON			*j, *jw;
	const char		*kid;
	size_t			 i;

	if (n > SG_KEYFILE_MAX)
		return 0;
	if ((ks = sg_keyset_new()) == NULL)
		abort();
	sg_err_clear(&err);
	if (sg_keyset_add_jwks(ks, (const char *)d, n, &err) == SG_OK) {
		FZ_ASSERT(sg_keyset_count(ks) <= SG_KEYSET_MAX, "count");
		for (i = 0; i < sg_keyset_count(ks); i++) {
			k = sg_keyset_at(ks, i);
			kid = sg_key_kid(k);
			FZ_ASSERT(kid != NULL && kid[0] != '\0' &&
			    strlen(kid) <= SG_KID_MAX && sg_str_printable(kid),
			    "kid");
			FZ_ASSERT(sg_keyset_find(ks, kid) == k, "find by kid");
			FZ_ASSERT(!sg_key_is_private(k), "private key in a set");
			jw = sg_key_jwk(k);
			FZ_ASSERT(jw != NULL, "jwk");
			FZ_ASSERT(sg_key_from_jwk(jw, &k2, NULL) == SG_OK &&
			    strcmp(sg_key_kid(k2), kid) == 0, "export/import");
			sg_key_free(k2);
			k2 = NULL;
			cJSON_Delete(jw);
		}
	}
	sg_keyset_free(ks);
	/* one key alone */
	if ((j = sg_json_parse_object((const char *)d, n, NULL)) != NULL) {
		if (sg_key_from_jwk(j, &k2, NULL) == SG_OK) {
			FZ_ASSERT(!sg_key_is_private(k2), "private from JWK");
			sg_key_free(k2);
		}
		cJSON_Delete(j);
	}
	return 0;
}
