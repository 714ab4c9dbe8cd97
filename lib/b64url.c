/* SPDX-License-Identifier: ISC */
/*
 * Strict base64url (RFC 4648 section 5, unpadded as in RFC 7515 section 2
 * and appendix C) and strict standard base64 (RFC 4648 section 4).
 *
 * Both decoders accept exactly one spelling of every byte string: no
 * whitespace, no characters of the other alphabet, no padding where none
 * belongs (and mandatory padding where it does), and the bits left over
 * in the last character must be zero (RFC 4648 section 3.5 allows a
 * decoder to reject them; we must, or one token has several spellings,
 * docs/security.md E11).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "b64url.h"

static const char url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char std_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/*
 * The value of one character, or -1 when it is not in the alphabet (whose
 * last two characters are the only difference between the two variants).
 */
static int
sextet(const char *alphabet, unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (unsigned char)alphabet[62])
		return 62;
	if (c == (unsigned char)alphabet[63])
		return 63;
	return -1;
}

/*
 * Decode n characters (n % 4 != 1, no padding) of the given alphabet.
 * The caller checked the output size.
 */
static int
decode_unpadded(const char *alphabet, const char *in, size_t n,
    uint8_t *out, size_t *outlen)
{
	size_t		 i, o = 0;
	uint32_t	 acc;
	int		 v[4];
	size_t		 rem;

	if (n % 4 == 1)
		return -1;
	for (i = 0; i + 4 <= n; i += 4) {
		v[0] = sextet(alphabet, (unsigned char)in[i]);
		v[1] = sextet(alphabet, (unsigned char)in[i + 1]);
		v[2] = sextet(alphabet, (unsigned char)in[i + 2]);
		v[3] = sextet(alphabet, (unsigned char)in[i + 3]);
		if ((v[0] | v[1] | v[2] | v[3]) < 0)
			return -1;
		acc = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 |
		    (uint32_t)v[2] << 6 | (uint32_t)v[3];
		out[o++] = (uint8_t)(acc >> 16);
		out[o++] = (uint8_t)(acc >> 8);
		out[o++] = (uint8_t)acc;
	}
	rem = n - i;
	if (rem == 2) {
		v[0] = sextet(alphabet, (unsigned char)in[i]);
		v[1] = sextet(alphabet, (unsigned char)in[i + 1]);
		if ((v[0] | v[1]) < 0)
			return -1;
		/* 12 bits carry 8: the low 4 bits of the last must be 0. */
		if ((v[1] & 0x0f) != 0)
			return -1;
		out[o++] = (uint8_t)(v[0] << 2 | v[1] >> 4);
	} else if (rem == 3) {
		v[0] = sextet(alphabet, (unsigned char)in[i]);
		v[1] = sextet(alphabet, (unsigned char)in[i + 1]);
		v[2] = sextet(alphabet, (unsigned char)in[i + 2]);
		if ((v[0] | v[1] | v[2]) < 0)
			return -1;
		/* 18 bits carry 16: the low 2 bits of the last must be 0. */
		if ((v[2] & 0x03) != 0)
			return -1;
		out[o++] = (uint8_t)(v[0] << 2 | v[1] >> 4);
		out[o++] = (uint8_t)((v[1] & 0x0f) << 4 | v[2] >> 2);
	}
	*outlen = o;
	return 0;
}

static size_t
encode(const char *alphabet, int pad, const uint8_t *in, size_t n,
    char *out)
{
	size_t		 i, o = 0;
	uint32_t	 acc;

	for (i = 0; i + 3 <= n; i += 3) {
		acc = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		    in[i + 2];
		out[o++] = alphabet[(acc >> 18) & 0x3f];
		out[o++] = alphabet[(acc >> 12) & 0x3f];
		out[o++] = alphabet[(acc >> 6) & 0x3f];
		out[o++] = alphabet[acc & 0x3f];
	}
	if (n - i == 1) {
		acc = (uint32_t)in[i] << 16;
		out[o++] = alphabet[(acc >> 18) & 0x3f];
		out[o++] = alphabet[(acc >> 12) & 0x3f];
		if (pad) {
			out[o++] = '=';
			out[o++] = '=';
		}
	} else if (n - i == 2) {
		acc = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = alphabet[(acc >> 18) & 0x3f];
		out[o++] = alphabet[(acc >> 12) & 0x3f];
		out[o++] = alphabet[(acc >> 6) & 0x3f];
		if (pad)
			out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

size_t
sg_b64url_encode(const void *in, size_t n, char *out, size_t size)
{
	if (out == NULL || size == 0)
		return 0;
	if (n > (SIZE_MAX - 3) / 4 || size < SG_B64URL_ENCLEN(n) + 1) {
		out[0] = '\0';
		return 0;
	}
	return encode(url_alphabet, 0, in, n, out);
}

char *
sg_b64url_encode_alloc(const void *in, size_t n)
{
	char	*out = NULL;
	size_t	 size;

	if (n > (SIZE_MAX - 3) / 4)
		return NULL;
	size = SG_B64URL_ENCLEN(n) + 1;
	if ((out = malloc(size)) == NULL)
		return NULL;
	(void)encode(url_alphabet, 0, in, n, out);
	return out;
}

enum sg_rc
sg_b64url_decode(const char *in, size_t n, uint8_t *out, size_t size,
    size_t *outlen, struct sg_err *err)
{
	size_t	 len = 0;

	if (outlen != NULL)
		*outlen = 0;
	if (in == NULL && n > 0)
		return sg_err_set(err, SG_EINVAL, "bad_base64url",
		    "no input");
	if (n == 0)
		return SG_OK;
	if (n > SIZE_MAX / 3 || size < SG_B64URL_DECLEN(n) || out == NULL)
		return sg_err_set(err, SG_EINVAL, "bad_base64url",
		    "output buffer too small");
	if (decode_unpadded(url_alphabet, in, n, out, &len) != 0)
		return sg_err_set(err, SG_EINVAL, "bad_base64url",
		    "not canonical unpadded base64url");
	if (outlen != NULL)
		*outlen = len;
	return SG_OK;
}

enum sg_rc
sg_b64_decode(const char *in, size_t n, uint8_t *out, size_t size,
    size_t *outlen, struct sg_err *err)
{
	size_t	 len = 0, body = n;

	if (outlen != NULL)
		*outlen = 0;
	if (in == NULL && n > 0)
		return sg_err_set(err, SG_EINVAL, "bad_base64", "no input");
	if (n == 0)
		return SG_OK;
	if (n > SIZE_MAX / 3 || size < SG_B64URL_DECLEN(n) || out == NULL)
		return sg_err_set(err, SG_EINVAL, "bad_base64",
		    "output buffer too small");
	/* RFC 4648 section 4: a multiple of 4, '=' only at the end. */
	if (n % 4 != 0)
		return sg_err_set(err, SG_EINVAL, "bad_base64",
		    "length not a multiple of 4");
	if (n >= 1 && in[n - 1] == '=') {
		body--;
		if (n >= 2 && in[n - 2] == '=')
			body--;
	}
	if (decode_unpadded(std_alphabet, in, body, out, &len) != 0)
		return sg_err_set(err, SG_EINVAL, "bad_base64",
		    "not canonical padded base64");
	if (outlen != NULL)
		*outlen = len;
	return SG_OK;
}

size_t
sg_b64_encode(const void *in, size_t n, char *out, size_t size)
{
	if (out == NULL || size == 0)
		return 0;
	if (n > (SIZE_MAX / 4) - 4 || size < (n + 2) / 3 * 4 + 1) {
		out[0] = '\0';
		return 0;
	}
	return encode(std_alphabet, 1, in, n, out);
}
