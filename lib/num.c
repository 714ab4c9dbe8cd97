/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "num.h"

int
sg_num_is_digits(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int
sg_num_parse(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char		*end = NULL;
	long long	 v;

	/* strtoll would take a sign and leading white space: refuse both. */
	if (s == NULL || s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		return -1;
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
sg_num_parse_canon(const char *s, size_t len, int64_t min, int64_t max,
    int64_t *out)
{
	int64_t	 v = 0;
	size_t	 i;

	/* 18 digits cannot overflow an int64_t. */
	if (!sg_num_is_digits(s, len) || len > 18 || (len > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < len; i++)
		v = v * 10 + (s[i] - '0');
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
sg_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
