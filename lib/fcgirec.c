/* SPDX-License-Identifier: ISC */
/*
 * FastCGI records (the FastCGI 1.0 specification, section 3.3): an
 * 8-byte header -- version, type, request id (2), content length (2),
 * padding length, reserved -- then the content and the padding.
 */
#include "config.h"

#include <stddef.h>

#include "fcgirec.h"

#define FCGI_HEADER_LEN		8
#define FCGI_VERSION_1		1
#define FCGI_PARAMS		4

enum sg_fcgi_sent
sg_fcgi_sent(const unsigned char *p, size_t n)
{
	size_t	 off = 0, len;

	while (n - off >= FCGI_HEADER_LEN) {
		if (p[off] != FCGI_VERSION_1)
			return SG_FCGI_WHOLE;
		len = ((size_t)p[off + 4] << 8 | p[off + 5]) + p[off + 6];
		if (n - off - FCGI_HEADER_LEN < len)
			return SG_FCGI_PART;
		/* The empty FCGI_PARAMS record ends the parameters. */
		if (p[off + 1] == FCGI_PARAMS && p[off + 4] == 0 &&
		    p[off + 5] == 0)
			return SG_FCGI_WHOLE;
		off += FCGI_HEADER_LEN + len;
	}
	return SG_FCGI_PART;
}
