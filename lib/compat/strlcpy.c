/* SPDX-License-Identifier: ISC */
/*
 * strlcpy and strlcat as in OpenBSD: the result is always NUL-terminated
 * (when size > 0) and the return value is the length of the string that
 * was tried, so "if (strlcpy(d, s, sizeof(d)) >= sizeof(d))" detects
 * truncation.
 */
#include "config.h"

#include "compat.h"

#ifndef HAVE_STRLCPY
size_t
strlcpy(char *dst, const char *src, size_t size)
{
	size_t	 len = strlen(src);

	if (size > 0) {
		size_t	 n = len < size - 1 ? len : size - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}
#endif

#ifndef HAVE_STRLCAT
size_t
strlcat(char *dst, const char *src, size_t size)
{
	size_t	 dlen = strnlen(dst, size);

	if (dlen == size)
		return size + strlen(src);
	return dlen + strlcpy(dst + dlen, src, size - dlen);
}
#endif
