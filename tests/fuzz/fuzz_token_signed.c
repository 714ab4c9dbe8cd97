/* SPDX-License-Identifier: ISC */
/*
 * Header and claims through the whole verifier with a valid signature.
 * A fuzzed token almost never carries a valid signature, so the target
 * signs whatever it is given: the input is "<header JSON>\n<payload>",
 * both are base64url-encoded, the signing input is signed with
 * test-key-1 and the token goes to sg_token_verify under test-key-1.
 * Reaches every header rule of security.md 3.2-3.3 and every claim rule
 * of 3.5-3.7 behind a good signature; what is accepted must satisfy
 * them.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "b64url.h"
#include "claims.h"
#include "json.h"
#include "jwt.h"
#include "keys.h"
#include "token.h"
#include "fuzz.h"

static struct sg_key	*priv;
static struct sg_keyset	*ks;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sg_key	*pub = NULL;
	char		 path[512];

	(void)snprintf(path, sizeof(path), "%s/test-key-1.pem", SG_TESTDATA);
	FZ_ASSERT(sg_key_load_pem(path, &priv, NULL) == SG_OK &&
	    sg_key_public(priv, &pub, NULL) == SG_OK, "test key");
	FZ_ASSERT((ks = sg_keyset_new()) != NULL &&
	    sg_keyset_add(ks, pub, NULL) == SG_OK, "key set");
	return 0;
}

/* The header rules of jwt.h hold for what was accepted. */
static void
check_header(const uint8_t *h, size_t hn)
{
	cJSON		*j;
	const cJSON	*m;
	const char	*s;

	j = sg_json_parse_object((const char *)h, hn, NULL);
	FZ_ASSERT(j != NULL, "header not a strict object");
	s = sg_json_str(j, "alg");
	FZ_ASSERT(s != NULL && strcmp(s, "ES256") == 0, "alg");
	for (m = j->child; m != NULL; m = m->next)
		FZ_ASSERT(strcmp(m->string, "alg") == 0 ||
		    strcmp(m->string, "typ") == 0 ||
		    strcmp(m->string, "kid") == 0, "member %s", m->string);
	if ((m = sg_json_get(j, "typ")) != NULL)
		FZ_ASSERT(cJSON_IsString(m) &&
		    strcmp(m->valuestring, "JWT") == 0, "typ");
	if ((m = sg_json_get(j, "kid")) != NULL)
		FZ_ASSERT(cJSON_IsString(m) &&
		    strcmp(m->valuestring, sg_key_kid(priv)) == 0, "kid");
	cJSON_Delete(j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct sg_verify_opts	 o;
	struct sg_claims	 c;
	struct sg_err		 err;
	cJSON			*pj;
	const uint8_t		*nl, *p;
	uint8_t			 sig[SG_ES256_SIGLEN];
	char			*tok;
	size_t			 hn, pn, tl, cap, k;
	int			 i;

	if (n > SG_JWT_MAX_LEN)
		return 0;
	if ((nl = memchr(d, '\n', n)) == NULL)
		return 0;
	hn = (size_t)(nl - d);
	p = nl + 1;
	pn = n - hn - 1;
	cap = SG_B64URL_ENCLEN(hn) + SG_B64URL_ENCLEN(pn) +
	    SG_B64URL_ENCLEN(SG_ES256_SIGLEN) + 4;
	tok = malloc(cap);
	k = sg_b64url_encode(d, hn, tok, cap);
	tok[k++] = '.';
	k += sg_b64url_encode(p, pn, tok + k, cap - k);
	FZ_ASSERT(sg_es256_sign(priv, tok, k, sig, NULL) == SG_OK, "sign");
	tok[k++] = '.';
	tl = k + sg_b64url_encode(sig, sizeof(sig), tok + k, cap - k);

	memset(&o, 0, sizeof(o));
	o.issuer = FZ_ISSUER;
	o.leeway = 30;
	o.max_ttl = 86400;
	o.now = FZ_NOW;
	for (i = 0; i < 2; i++) {
		o.accept_no_aud = i;
		sg_claims_init(&c);
		sg_err_clear(&err);
		if (sg_token_verify(ks, tok, tl, &o, &c, &err) == SG_OK) {
			check_header(d, hn);
			pj = sg_json_parse_object((const char *)p, pn, NULL);
			FZ_ASSERT(pj != NULL, "payload not a strict object");
			cJSON_Delete(pj);
			FZ_ASSERT(strcmp(c.iss, FZ_ISSUER) == 0, "iss");
			FZ_ASSERT((int64_t)o.now < c.exp + o.leeway &&
			    c.iat <= (int64_t)o.now + o.leeway &&
			    c.nbf <= (int64_t)o.now + o.leeway &&
			    c.exp - c.iat <= o.max_ttl, "times");
			FZ_ASSERT(c.has_aud || i == 1, "no aud accepted");
			if (c.kind == SG_KIND_CONTAINER)
				FZ_ASSERT(sg_id_valid(c.container_id) &&
				    sg_uuid_valid(c.org) &&
				    c.allowed_hosts != NULL, "container claims");
			else
				FZ_ASSERT(c.scopes != 0, "operator scopes");
		} else
			FZ_ASSERT(err.rc == SG_EAUTH || err.rc == SG_ENOMEM,
			    "rc %d", (int)err.rc);
		sg_claims_clear(&c);
	}
	free(tok);
	return 0;
}
