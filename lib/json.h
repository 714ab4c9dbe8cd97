/* SPDX-License-Identifier: ISC */
/*
 * Strict JSON on top of cJSON (RFC 8259 plus the rules of RFC 7515 5.2,
 * RFC 7519 4 and RFC 8725 3.7): the text must be valid UTF-8, carry no
 * BOM, no raw NUL and no "\u0000" escape, no number with a leading zero,
 * nothing after the value, no duplicate member names in any object, and
 * nest no deeper than SG_JSON_MAX_DEPTH.  cJSON alone accepts all of these
 * (docs/security.md 3.5), so sg_json_parse checks the text before and the
 * tree after parsing.  Member lookups are case-sensitive.
 */
#ifndef SG_JSON_H
#define SG_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "sgerr.h"

#define SG_JSON_MAX_DEPTH	32

/*
 * Parse exactly len bytes.  Returns the tree (the caller frees it with
 * cJSON_Delete) or NULL with err set (SG_EINVAL "bad_json", or SG_ENOMEM).
 */
cJSON		*sg_json_parse(const char *buf, size_t len, struct sg_err *);
/* Like sg_json_parse but the value must be an object. */
cJSON		*sg_json_parse_object(const char *buf, size_t len,
		    struct sg_err *);

/* The member, case-sensitive; NULL when absent. */
const cJSON	*sg_json_get(const cJSON *obj, const char *name);
/* The string value of a member, or NULL if absent or not a string. */
const char	*sg_json_str(const cJSON *obj, const char *name);
/*
 * An integer-valued member: a finite JSON number with no fractional part,
 * min <= v <= max.  Never reads cJSON's saturating valueint.
 * SG_ENOENT when absent (err untouched), SG_EINVAL otherwise.
 */
enum sg_rc	 sg_json_int(const cJSON *obj, const char *name, int64_t min,
		    int64_t max, int64_t *out, struct sg_err *);
/*
 * The length of the one well-formed UTF-8 sequence at p, at most n bytes
 * (RFC 3629 4: no overlong forms, no surrogates, nothing above U+10FFFF;
 * ASCII is 1), or 0 if there is none.
 */
size_t		 sg_utf8_seq(const unsigned char *p, size_t n);
/* Compact text of a tree; malloc'd, the caller frees it.  NULL on ENOMEM. */
char		*sg_json_print(const cJSON *);
/*
 * A new array of the n items make(ctx, i) returns, in order; NULL when
 * the array cannot be made or make returns NULL (then *bad_item, if
 * bad_item, is 1; it is 0 for out of memory).
 */
cJSON		*sg_json_array_of(size_t n,
		    cJSON *(*make)(const void *ctx, size_t i), const void *ctx,
		    int *bad_item);
/* Add a string member; returns 0 on success, -1 on ENOMEM. */
int		 sg_json_add_str(cJSON *obj, const char *name, const char *);
/*
 * Add an integer member; 0, or -1 on ENOMEM or when |v| > SG_JSON_INT_MAX
 * (cJSON prints 15 significant digits, so larger values would not be
 * printed exactly).
 */
#define SG_JSON_INT_MAX	INT64_C(999999999999999)
int		 sg_json_add_int(cJSON *obj, const char *name, int64_t);

#endif
