/* SPDX-License-Identifier: ISC */
/*
 * Strict base64url (RFC 4648 section 5) without padding, as JOSE uses it
 * (RFC 7515 section 2): only [A-Za-z0-9_-], no '=', length mod 4 != 1,
 * and the unused trailing bits must be zero (canonical form), so every
 * byte string has exactly one spelling.  Also strict standard base64 with
 * padding, for HTTP Basic credentials.
 */
#ifndef SG_B64URL_H
#define SG_B64URL_H

#include <stddef.h>
#include <stdint.h>

#include "sgerr.h"

/* Characters needed to encode n bytes (no padding, no NUL). */
#define SG_B64URL_ENCLEN(n)	(((n) * 4 + 2) / 3)
/* Upper bound of bytes decoded from n characters. */
#define SG_B64URL_DECLEN(n)	(((n) * 3) / 4)

/*
 * Encode n bytes into out (size >= SG_B64URL_ENCLEN(n) + 1), NUL-terminated.
 * Returns the number of characters written, or 0 if out is too small
 * (and n > 0).
 */
size_t		 sg_b64url_encode(const void *in, size_t n, char *out,
		    size_t size);
/* The same into a malloc'd string; the caller frees it.  NULL on ENOMEM. */
char		*sg_b64url_encode_alloc(const void *in, size_t n);
/*
 * Decode exactly n characters of in.  On SG_OK *outlen bytes were written
 * to out (size must be >= SG_B64URL_DECLEN(n)).  Anything non-canonical is
 * SG_EINVAL with code "bad_base64url".
 */
enum sg_rc	 sg_b64url_decode(const char *in, size_t n, uint8_t *out,
		    size_t size, size_t *outlen, struct sg_err *);
/*
 * Strict standard base64 (RFC 4648 section 4) with mandatory padding and
 * canonical trailing bits; for "Basic" credentials.  out needs
 * SG_B64URL_DECLEN(n) bytes.
 */
enum sg_rc	 sg_b64_decode(const char *in, size_t n, uint8_t *out,
		    size_t size, size_t *outlen, struct sg_err *);
/* Standard base64 with padding into out, NUL-terminated; 0 if too small. */
size_t		 sg_b64_encode(const void *in, size_t n, char *out,
		    size_t size);

#endif
