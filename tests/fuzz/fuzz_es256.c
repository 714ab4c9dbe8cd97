/* SPDX-License-Identifier: ISC */
/*
 * The ES256 signature check (sg_es256_verify: the P1363 r||s to
 * ECDSA_SIG conversion and the range checks of RFC 7518 3.4;
 * docs/security.md S1-S5, 6.6 #6).  Input: one byte giving the
 * signature length (mod 80), the signature, then the message; verified
 * under test-key-1 and under the key of the first Wycheproof P1363 group
 * (so that its valid vectors, the seeds, verify).  Checked: only 64-byte signatures with
 * 1 <= r, s < n can ever pass; the answer is SG_OK or SG_EAUTH.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jwt.h"
#include "keys.h"
#include "fuzz.h"

static struct sg_key	*pub, *wyche;

static const uint8_t	 p256_n[32] = {
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84,
	0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51
};
static const uint8_t	 zero[32];

/* publicKeyDer of the first group of the P1363 vectors. */
static struct sg_key *
wyche_key(void)
{
	struct sg_key	*k = NULL;
	char		 path[512], *txt;
	const char	*hex, *p;
	uint8_t		 der[256];
	size_t		 i, n;

	(void)snprintf(path, sizeof(path),
	    "%s/vectors/wycheproof/ecdsa_secp256r1_sha256_p1363_test.json",
	    SG_TESTDATA);
	txt = fz_slurp(path, NULL);
	if ((p = strstr(txt, "\"publicKeyDer\"")) == NULL ||
	    (hex = strchr(p + 14, '"')) == NULL)
		FZ_FAIL("no publicKeyDer in %s", path);
	hex++;
	n = strcspn(hex, "\"") / 2;
	FZ_ASSERT(n <= sizeof(der), "der");
	for (i = 0; i < n; i++) {
		unsigned	 b;

		FZ_ASSERT(sscanf(hex + 2 * i, "%2x", &b) == 1, "hex");
		der[i] = (uint8_t)b;
	}
	FZ_ASSERT(sg_key_from_spki(der, n, &k, NULL) == SG_OK, "spki");
	free(txt);
	return k;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sg_key	*k = NULL;
	char		 path[512];

	(void)snprintf(path, sizeof(path), "%s/test-key-1.pem", SG_TESTDATA);
	FZ_ASSERT(sg_key_load_pem(path, &k, NULL) == SG_OK &&
	    sg_key_public(k, &pub, NULL) == SG_OK, "key");
	sg_key_free(k);
	wyche = wyche_key();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct sg_err	 err;
	uint8_t		*sig;
	size_t		 sl;
	enum sg_rc	 rc;
	int		 i;

	if (n < 1 || n > 4096)
		return 0;
	sl = d[0] % 80;
	if (sl > n - 1)
		sl = n - 1;
	/* exact size: a read past the signature is caught */
	sig = malloc(sl > 0 ? sl : 1);
	memcpy(sig, d + 1, sl);
	for (i = 0; i < 2; i++) {
		sg_err_clear(&err);
		rc = sg_es256_verify(i == 0 ? pub : wyche, d + 1 + sl,
		    n - 1 - sl, sig, sl, &err);
		FZ_ASSERT(rc == SG_OK || rc == SG_EAUTH || rc == SG_EINVAL,
		    "rc %d", (int)rc);
		if (rc != SG_OK)
			continue;
		FZ_ASSERT(sl == 64, "%zu-byte signature accepted", sl);
		FZ_ASSERT(memcmp(sig, zero, 32) != 0 &&
		    memcmp(sig + 32, zero, 32) != 0, "r or s zero accepted");
		FZ_ASSERT(memcmp(sig, p256_n, 32) < 0 &&
		    memcmp(sig + 32, p256_n, 32) < 0, "r or s >= n accepted");
	}
	free(sig);
	return 0;
}
