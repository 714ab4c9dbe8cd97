/* SPDX-License-Identifier: ISC */
/*
 * Base64url and base64 (lib/b64url.c): the decoders are canonical, so any
 * accepted text re-encodes to itself (docs/security.md E6-E11, 6.6 #2),
 * and any byte string survives encode then decode.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "b64url.h"
#include "fuzz.h"

static void
url_roundtrip(const char *in, size_t n)
{
	uint8_t		*out = NULL;
	char		*re = NULL;
	size_t		 olen = 0, size = SG_B64URL_DECLEN(n);
	struct sg_err	 err;
	size_t		 i;

	sg_err_clear(&err);
	/* exactly the documented size, so a write past it is caught */
	out = malloc(size > 0 ? size : 1);
	if (sg_b64url_decode(in, n, out, size, &olen, &err) == SG_OK) {
		FZ_ASSERT(olen <= SG_B64URL_DECLEN(n), "olen %zu", olen);
		FZ_ASSERT(n % 4 != 1, "accepted length %zu", n);
		for (i = 0; i < n; i++)
			FZ_ASSERT(in[i] != '=' && in[i] != '+' && in[i] != '/',
			    "accepted '%c'", in[i]);
		re = sg_b64url_encode_alloc(out, olen);
		FZ_ASSERT(re != NULL, "encode_alloc");
		FZ_ASSERT(strlen(re) == n && memcmp(re, in, n) == 0,
		    "accepted text is not canonical: re-encodes to %s", re);
	} else
		FZ_ASSERT(err.rc == SG_EINVAL, "rc %d", (int)err.rc);
	free(re);
	free(out);
}

static void
std_roundtrip(const char *in, size_t n)
{
	uint8_t		*out = NULL;
	char		*re = NULL;
	size_t		 olen = 0, size = SG_B64URL_DECLEN(n), rsize;
	struct sg_err	 err;

	sg_err_clear(&err);
	out = malloc(size > 0 ? size : 1);
	if (sg_b64_decode(in, n, out, size, &olen, &err) == SG_OK) {
		rsize = (olen + 2) / 3 * 4 + 1;
		re = malloc(rsize);
		FZ_ASSERT(sg_b64_encode(out, olen, re, rsize) == n,
		    "re-encoded length");
		FZ_ASSERT(memcmp(re, in, n) == 0,
		    "accepted base64 is not canonical: %s", re);
	}
	free(re);
	free(out);
}

/* bytes -> text -> bytes, with the exact-size buffers of the header */
static void
bytes_roundtrip(const uint8_t *d, size_t n)
{
	char		*txt;
	uint8_t		*back;
	size_t		 tl, bl = 0, need = SG_B64URL_ENCLEN(n) + 1;
	struct sg_err	 err;

	sg_err_clear(&err);
	txt = malloc(need);
	tl = sg_b64url_encode(d, n, txt, need);
	FZ_ASSERT(n == 0 || tl == need - 1, "encode %zu -> %zu", n, tl);
	/* one byte short must be refused, not overflowed */
	if (n > 0)
		FZ_ASSERT(sg_b64url_encode(d, n, txt, need - 1) == 0,
		    "short buffer accepted");
	tl = sg_b64url_encode(d, n, txt, need);
	back = malloc(SG_B64URL_DECLEN(tl) + 1);	/* +1: n may be 0 */
	FZ_ASSERT(sg_b64url_decode(txt, tl, back, SG_B64URL_DECLEN(tl), &bl,
	    &err) == SG_OK, "own encoding refused: %s", err.msg);
	FZ_ASSERT(bl == n && (n == 0 || memcmp(back, d, n) == 0),
	    "round trip changed the bytes");
	free(back);
	free(txt);
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	char	*in;

	if (n > 65536)
		return 0;
	/* exact-length copy: ASan sees any read past the input */
	in = malloc(n > 0 ? n : 1);
	if (n > 0)
		memcpy(in, d, n);
	url_roundtrip(in, n);
	std_roundtrip(in, n);
	bytes_roundtrip(d, n);
	free(in);
	return 0;
}
