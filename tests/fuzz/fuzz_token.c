/* SPDX-License-Identifier: ISC */
/*
 * The token verifier (sg_token_verify = sg_jwt_verify + claims) with
 * fixed keys and the fixed clock (docs/security.md 2, 3, 6.6 #1).  Keys:
 * test-key-1 alone, test-key-1 + test-key-2 (selection by kid), and the
 * RFC 7515 A.3 key (so the A.3 token reaches the claims).  Whatever is
 * accepted has the compact form of security.md 2.1, and the three entry
 * points (token, jwt, jwt_raw) agree.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "claims.h"
#include "json.h"
#include "jwt.h"
#include "keys.h"
#include "token.h"
#include "fuzz.h"

static struct sg_keyset	*ks[3];

static struct sg_key *
pem_key(const char *name)
{
	struct sg_key	*k = NULL, *pub = NULL;
	char		 path[512];

	(void)snprintf(path, sizeof(path), "%s/%s", SG_TESTDATA, name);
	if (sg_key_load_pem(path, &k, NULL) != SG_OK ||
	    sg_key_public(k, &pub, NULL) != SG_OK)
		FZ_FAIL("cannot load %s", path);
	sg_key_free(k);
	return pub;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sg_key	*k = NULL;
	char		 path[512], *txt;
	cJSON		*a3;
	size_t		 len;
	int		 i;

	for (i = 0; i < 3; i++)
		if ((ks[i] = sg_keyset_new()) == NULL)
			abort();
	FZ_ASSERT(sg_keyset_add(ks[0], pem_key("test-key-1.pem"), NULL) ==
	    SG_OK, "key 1");
	FZ_ASSERT(sg_keyset_add(ks[1], pem_key("test-key-1.pem"), NULL) ==
	    SG_OK, "key 1");
	FZ_ASSERT(sg_keyset_add(ks[1], pem_key("test-key-2.pem"), NULL) ==
	    SG_OK, "key 2");
	(void)snprintf(path, sizeof(path), "%s/vectors/rfc7515-a3.json",
	    SG_TESTDATA);
	txt = fz_slurp(path, &len);
	a3 = cJSON_Parse(txt);
	FZ_ASSERT(a3 != NULL && sg_key_from_jwk(sg_json_get(a3, "public_jwk"),
	    &k, NULL) == SG_OK, "A.3 key");
	FZ_ASSERT(sg_keyset_add(ks[2], k, NULL) == SG_OK, "A.3 key");
	cJSON_Delete(a3);
	free(txt);
	return 0;
}

static void
check_form(const char *t, size_t n)
{
	size_t	 i, dots = 0;

	FZ_ASSERT(n > 0 && n <= SG_JWT_MAX_LEN, "length %zu accepted", n);
	for (i = 0; i < n; i++) {
		FZ_ASSERT((t[i] >= 'A' && t[i] <= 'Z') ||
		    (t[i] >= 'a' && t[i] <= 'z') ||
		    (t[i] >= '0' && t[i] <= '9') || t[i] == '-' ||
		    t[i] == '_' || t[i] == '.', "byte 0x%02x accepted",
		    (unsigned char)t[i]);
		if (t[i] == '.') {
			FZ_ASSERT(i > 0 && i + 1 < n && t[i - 1] != '.',
			    "empty segment accepted");
			dots++;
		}
	}
	FZ_ASSERT(dots == 2, "%zu dots accepted", dots);
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct sg_verify_opts	 o;
	struct sg_claims	 c;
	struct sg_err		 err;
	cJSON			*claims = NULL;
	uint8_t			*raw = NULL;
	size_t			 rawlen = 0;
	const char		*kid = NULL;
	char			*tok;
	enum sg_rc		 rj, rr, rt;
	int			 i;

	if (n > 4 * SG_JWT_MAX_LEN)
		return 0;
	/* exact length, not NUL-terminated: the API takes a length */
	tok = malloc(n > 0 ? n : 1);
	if (n > 0)
		memcpy(tok, d, n);
	memset(&o, 0, sizeof(o));
	o.issuer = FZ_ISSUER;
	o.accept_no_aud = 1;
	o.leeway = 30;
	o.max_ttl = 86400;
	o.now = FZ_NOW;
	for (i = 0; i < 3; i++) {
		sg_err_clear(&err);
		rj = sg_jwt_verify(ks[i], tok, n, &claims, &kid, &err);
		if (rj == SG_OK) {
			check_form(tok, n);
			FZ_ASSERT(cJSON_IsObject(claims), "claims not an object");
			FZ_ASSERT(kid != NULL && sg_keyset_find(ks[i], kid) !=
			    NULL, "verified by a key not in the set");
		} else
			FZ_ASSERT(rj == SG_ENOMEM || (rj == SG_EAUTH &&
			    err.code != NULL), "rc %d code %s", (int)rj,
			    err.code ? err.code : "-");
		cJSON_Delete(claims);
		claims = NULL;

		sg_err_clear(&err);
		rr = sg_jwt_verify_raw(ks[i], tok, n, &raw, &rawlen, NULL,
		    &err);
		if (rj == SG_OK)
			FZ_ASSERT(rr == SG_OK, "raw refused what jwt accepted");
		if (rr == SG_OK) {
			check_form(tok, n);
			FZ_ASSERT(raw != NULL && raw[rawlen] == '\0',
			    "raw payload not terminated");
		}
		free(raw);
		raw = NULL;

		sg_claims_init(&c);
		sg_err_clear(&err);
		rt = sg_token_verify(ks[i], tok, n, &o, &c, &err);
		if (rt == SG_OK) {
			FZ_ASSERT(rj == SG_OK, "token accepted, jwt refused");
			FZ_ASSERT(strcmp(c.iss, FZ_ISSUER) == 0, "issuer");
			FZ_ASSERT((int64_t)o.now < c.exp + o.leeway,
			    "expired token accepted");
		}
		sg_claims_clear(&c);
	}
	free(tok);
	return 0;
}
