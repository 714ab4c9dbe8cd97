/* SPDX-License-Identifier: ISC */
/*
 * Strict JSON (lib/json.c, docs/security.md 3.5): whatever sg_json_parse
 * accepts has no duplicate or case-variant member names, nests no deeper
 * than SG_JSON_MAX_DEPTH, and prints to text that sg_json_parse accepts
 * again and that prints the same (so a stored session or a signed body
 * reads back as written).
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json.h"
#include "fuzz.h"

static void
check_tree(const cJSON *it, int depth)
{
	const cJSON	*a, *b;
	int64_t		 v;

	if (cJSON_IsObject(it) || cJSON_IsArray(it))
		FZ_ASSERT(depth < SG_JSON_MAX_DEPTH, "depth %d", depth + 1);
	if (cJSON_IsObject(it))
		for (a = it->child; a != NULL; a = a->next) {
			FZ_ASSERT(a->string != NULL, "member without name");
			for (b = a->next; b != NULL; b = b->next)
				FZ_ASSERT(strcasecmp(a->string, b->string) != 0,
				    "duplicate member \"%s\"", a->string);
			FZ_ASSERT(sg_json_get(it, a->string) == a,
			    "lookup of \"%s\" finds another member", a->string);
			/* the integer reader never reads valueint */
			if (sg_json_int(it, a->string, INT64_MIN, INT64_MAX,
			    &v, NULL) == SG_OK)
				FZ_ASSERT(cJSON_IsNumber(a) &&
				    (double)v == a->valuedouble,
				    "sg_json_int %lld vs %.17g", (long long)v,
				    a->valuedouble);
		}
	if (cJSON_IsString(it))
		FZ_ASSERT(it->valuestring != NULL, "string without value");
	for (a = it->child; a != NULL; a = a->next)
		check_tree(a, depth + 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct sg_err	 err;
	cJSON		*j = NULL, *j2 = NULL, *o = NULL;
	char		*p1 = NULL, *p2 = NULL, *buf;

	if (n > 65536)
		return 0;
	sg_err_clear(&err);
	/* exact length, no NUL after it: parse must not read past n */
	buf = malloc(n > 0 ? n : 1);
	if (n > 0)
		memcpy(buf, d, n);
	j = sg_json_parse(buf, n, &err);
	if (j == NULL) {
		FZ_ASSERT(err.rc == SG_EINVAL || err.rc == SG_ENOMEM,
		    "refused without an error code");
		goto out;
	}
	FZ_ASSERT(memchr(d, 0, n) == NULL, "raw NUL accepted");
	FZ_ASSERT(!(n >= 3 && memcmp(d, "\xef\xbb\xbf", 3) == 0),
	    "BOM accepted");
	check_tree(j, 0);
	p1 = sg_json_print(j);
	FZ_ASSERT(p1 != NULL, "print");
	sg_err_clear(&err);
	j2 = sg_json_parse(p1, strlen(p1), &err);
	FZ_ASSERT(j2 != NULL, "own output refused: %s (%s)", err.msg, p1);
	p2 = sg_json_print(j2);
	FZ_ASSERT(p2 != NULL && strcmp(p1, p2) == 0,
	    "print not stable: %s vs %s", p1, p2);
	/* the object flavour agrees with the generic one */
	sg_err_clear(&err);
	o = sg_json_parse_object(buf, n, &err);
	FZ_ASSERT((o != NULL) == cJSON_IsObject(j), "parse_object disagrees");
out:
	cJSON_Delete(o);
	cJSON_Delete(j2);
	cJSON_Delete(j);
	free(p2);
	free(p1);
	free(buf);
	return 0;
}
