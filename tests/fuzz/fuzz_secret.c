/* SPDX-License-Identifier: ISC */
/*
 * The secrets JSON (lib/secret.c): the "secrets" array of POST
 * /v1/sandboxes and a stored record.  Input: JSON.  An array: each
 * element through sg_secret_from_json; every accepted secret must pass
 * sg_secret_check, hold no CR/LF, seal, open to the same value under the
 * same sandbox and name, and not open for another sandbox.  Anything
 * else: read as a stored record by sg_secret_open, which must refuse it
 * or return a value that passes sg_secret_check.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "secret.h"
#include "fuzz.h"

#define CID	"sandbox_fuzzAAAAAAAAAAAAAAAAAA"
#define CID2	"sandbox_fuzzBBBBBBBBBBBBBBBBBB"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static struct sg_secret_key key;
	static int	 init;
	struct sg_secret s, o;
	const cJSON	*it;
	cJSON		*j;
	char		*rec;
	int		 count = 0;

	if (!init) {
		uint8_t	 k[SG_SECRET_KEY_LEN];

		memset(k, 0x5a, sizeof(k));
		sg_secret_key_from_raw(k, &key);
		init = 1;
	}
	if (n > 64 * 1024)
		return 0;
	if ((j = cJSON_ParseWithLength((const char *)d, n)) == NULL)
		return 0;
	if (!cJSON_IsArray(j)) {
		if (sg_secret_open(&key, 1, CID, "EXAMPLE", (const char *)d, n,
		    &o, NULL) == SG_OK && sg_secret_check(&o, NULL) != SG_OK)
			FZ_FAIL("an opened record does not pass the checks");
		cJSON_Delete(j);
		return 0;
	}
	cJSON_ArrayForEach(it, j) {
		if (++count > SG_SECRET_PER_SANDBOX * 2)
			break;
		if (sg_secret_from_json(it, &s, NULL) != SG_OK)
			continue;
		if (sg_secret_check(&s, NULL) != SG_OK ||
		    strpbrk(s.value, "\r\n") != NULL ||
		    strpbrk(s.header, "\r\n: ") != NULL)
			FZ_FAIL("an accepted secret breaks the limits");
		if (sg_secret_seal(&key, CID, &s, &rec, NULL) != SG_OK)
			FZ_FAIL("an accepted secret does not seal");
		/* After the nonce is only base64url: no plaintext there. */
		if (strlen(s.value) > 8 && strpbrk(s.value, "=+/ \t") != NULL &&
		    strstr(strstr(rec, "\"nonce\""), s.value) != NULL)
			FZ_FAIL("the record holds the plaintext");
		if (sg_secret_open(&key, 1, CID, s.name, rec, strlen(rec), &o,
		    NULL) != SG_OK || strcmp(o.value, s.value) != 0 ||
		    strcmp(o.host, s.host) != 0)
			FZ_FAIL("a sealed secret does not open to itself");
		if (sg_secret_open(&key, 1, CID2, s.name, rec, strlen(rec), &o,
		    NULL) == SG_OK)
			FZ_FAIL("a record opens for another sandbox");
		free(rec);
	}
	cJSON_Delete(j);
	return 0;
}
