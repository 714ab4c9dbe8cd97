/* SPDX-License-Identifier: ISC */
/*
 * Numbers from text, strictly: decimal digits only (no sign, no
 * space, no "0x", no locale), the whole string, range-checked.  Every
 * parser of a number from configuration, a URL, a Redis reply or a
 * command line goes through here, so "what is a number" has one answer.
 */
#ifndef SG_NUM_H
#define SG_NUM_H

#include <stddef.h>
#include <stdint.h>

/*
 * s (NUL-terminated) as a decimal in [min, max] into *out: 0, or -1
 * (nothing written) if s is empty, has anything but digits, overflows
 * or is out of range.  Leading zeros are accepted ("0030" is 30), as
 * operators write them in configuration.
 */
int		 sg_num_parse(const char *s, int64_t min, int64_t max,
		    int64_t *out);
/*
 * The canonical form only, of the len bytes at s (not NUL-terminated):
 * digits, no leading zero unless the number is 0, at most 18 digits,
 * in [min, max].  For wire formats (URLs, Redis replies) where one
 * number must have one spelling.
 */
int		 sg_num_parse_canon(const char *s, size_t len, int64_t min,
		    int64_t max, int64_t *out);
/* 1 if the len bytes at s are all decimal digits (and len > 0). */
int		 sg_num_is_digits(const char *s, size_t len);
/* The value of one hexadecimal digit (either case), or -1. */
int		 sg_hexval(int c);

#endif
