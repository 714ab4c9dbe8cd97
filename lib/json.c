/* SPDX-License-Identifier: ISC */
/*
 * Strict JSON on top of cJSON (lib/json.h; docs/security.md 3.5).
 *
 * cJSON is lenient in ways that matter for signed data: it ignores text
 * after the value, accepts raw control characters, invalid UTF-8, a BOM,
 * leading zeros and "\u0000" (which truncates the decoded string), and it
 * keeps duplicate members, returning the first.  So the text is scanned
 * first against RFC 8259 (the grammar of strings and numbers, UTF-8 per
 * RFC 3629, nesting depth), then parsed with an explicit length and an
 * end check, then the tree is walked for duplicate member names.
 *
 * Locale: cJSON converts numbers with the locale's decimal point; the
 * library never calls setlocale, and cJSON 1.7.15 adapts its number
 * parser and printer to the locale in use (J14).
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "num.h"

/* Members of one object checked pairwise below this; sorted above it. */
#define SMALL_OBJECT	16

static int
is_ws(unsigned char c)
{
	/* RFC 8259 2: only these four; cJSON skips every byte <= 0x20. */
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * One UTF-8 sequence at p (RFC 3629 4): no overlong forms, no surrogates
 * (U+D800..U+DFFF), nothing above U+10FFFF.  Returns its length or 0.
 */
size_t
sg_utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char	 c = p[0];
	size_t		 len, i;
	unsigned char	 lo = 0x80, hi = 0xbf;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;		/* overlong */
		else if (c == 0xed)
			hi = 0x9f;		/* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;		/* overlong */
		else if (c == 0xf4)
			hi = 0x8f;		/* > U+10FFFF */
	} else
		return 0;			/* 80..c1, f5..ff */
	if (n < len)
		return 0;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

/* Four hex digits at p (n bytes left) into *cp; 0 or -1. */
static int
hex4(const unsigned char *p, size_t n, unsigned *cp)
{
	int	 i, v;

	if (n < 4)
		return -1;
	*cp = 0;
	for (i = 0; i < 4; i++) {
		if ((v = sg_hexval(p[i])) < 0)
			return -1;
		*cp = (*cp << 4) | (unsigned)v;
	}
	return 0;
}

/*
 * A string starting at the opening quote s[*off].  RFC 8259 7: no raw
 * control characters, only the listed escapes, surrogate escapes only
 * in pairs; plus our rules: no "\u0000", valid UTF-8.
 */
static int
scan_string(const unsigned char *s, size_t n, size_t *off,
    struct sg_err *err)
{
	size_t		 i = *off + 1, l;
	unsigned	 cp, lo;

	while (i < n) {
		if (s[i] == '"') {
			*off = i + 1;
			return 0;
		}
		if (s[i] < 0x20) {
			sg_err_set(err, SG_EINVAL, "bad_json",
			    "control character in a string at %zu", i);
			return -1;
		}
		if (s[i] != '\\') {
			if ((l = sg_utf8_seq(s + i, n - i)) == 0) {
				sg_err_set(err, SG_EINVAL, "bad_json",
				    "invalid UTF-8 at %zu", i);
				return -1;
			}
			i += l;
			continue;
		}
		if (++i >= n)
			break;
		switch (s[i]) {
		case '"': case '\\': case '/':
		case 'b': case 'f': case 'n': case 'r': case 't':
			i++;
			continue;
		case 'u':
			break;
		default:
			sg_err_set(err, SG_EINVAL, "bad_json",
			    "bad escape at %zu", i);
			return -1;
		}
		if (hex4(s + i + 1, n - i - 1, &cp) == -1) {
			sg_err_set(err, SG_EINVAL, "bad_json",
			    "bad \\u escape at %zu", i);
			return -1;
		}
		i += 5;
		if (cp == 0) {
			/* cJSON would cut the string here (J5). */
			sg_err_set(err, SG_EINVAL, "bad_json",
			    "\\u0000 in a string");
			return -1;
		}
		if (cp >= 0xdc00 && cp <= 0xdfff) {
			sg_err_set(err, SG_EINVAL, "bad_json",
			    "lone low surrogate at %zu", i);
			return -1;
		}
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (i + 1 >= n || s[i] != '\\' || s[i + 1] != 'u' ||
			    hex4(s + i + 2, n - i - 2, &lo) == -1 ||
			    lo < 0xdc00 || lo > 0xdfff) {
				sg_err_set(err, SG_EINVAL, "bad_json",
				    "lone high surrogate at %zu", i);
				return -1;
			}
			i += 6;
		}
	}
	sg_err_set(err, SG_EINVAL, "bad_json", "unterminated string");
	return -1;
}

/*
 * A number at s[*off] (RFC 8259 6):
 * -? (0 | [1-9][0-9]*) (\.[0-9]+)? ([eE][+-]?[0-9]+)?
 * and nothing number-like right after it.
 */
static int
scan_number(const unsigned char *s, size_t n, size_t *off,
    struct sg_err *err)
{
	size_t	 i = *off, d;

	if (i < n && s[i] == '-')
		i++;
	if (i >= n || s[i] < '0' || s[i] > '9')
		goto bad;
	if (s[i] == '0') {
		i++;
		if (i < n && s[i] >= '0' && s[i] <= '9') {
			sg_err_set(err, SG_EINVAL, "bad_json",
			    "number with a leading zero at %zu", *off);
			return -1;
		}
	} else
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	if (i < n && s[i] == '.') {
		for (d = ++i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			goto bad;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		for (d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			goto bad;
	}
	if (i < n && (s[i] == '.' || s[i] == '+' || s[i] == '-' ||
	    s[i] == 'e' || s[i] == 'E' || s[i] == 'x' || s[i] == 'X'))
		goto bad;
	*off = i;
	return 0;
bad:
	sg_err_set(err, SG_EINVAL, "bad_json", "bad number at %zu", *off);
	return -1;
}

/*
 * The pre-scan: everything cJSON lets through that RFC 8259 or we do
 * not.  Structure proper (commas, colons, literals) is left to cJSON.
 */
static int
prescan(const unsigned char *s, size_t n, struct sg_err *err)
{
	size_t	 i = 0;
	int	 depth = 0;

	if (n >= 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf) {
		sg_err_set(err, SG_EINVAL, "bad_json", "byte order mark");
		return -1;
	}
	while (i < n) {
		unsigned char	 c = s[i];

		if (is_ws(c)) {
			i++;
			continue;
		}
		switch (c) {
		case '"':
			if (scan_string(s, n, &i, err) == -1)
				return -1;
			continue;
		case '{': case '[':
			if (++depth > SG_JSON_MAX_DEPTH) {
				sg_err_set(err, SG_EINVAL, "bad_json",
				    "nested deeper than %d", SG_JSON_MAX_DEPTH);
				return -1;
			}
			break;
		case '}': case ']':
			depth--;
			break;
		case ',': case ':':
			break;
		case '-':
		case '0': case '1': case '2': case '3': case '4':
		case '5': case '6': case '7': case '8': case '9':
			if (scan_number(s, n, &i, err) == -1)
				return -1;
			continue;
		case 't': case 'f': case 'n':
			/* Literals: letters only; cJSON checks the words. */
			while (i < n && s[i] >= 'a' && s[i] <= 'z')
				i++;
			continue;
		default:
			if (c == 0)
				sg_err_set(err, SG_EINVAL, "bad_json",
				    "NUL byte at %zu", i);
			else
				sg_err_set(err, SG_EINVAL, "bad_json",
				    "unexpected byte 0x%02x at %zu", c, i);
			return -1;
		}
		i++;
	}
	return 0;
}

static void
skip_ws(const unsigned char *s, size_t n, size_t *i)
{
	while (*i < n && is_ws(s[*i]))
		(*i)++;
}

/* The literal word w at s[*i]. */
static int
gram_word(const unsigned char *s, size_t n, size_t *i, const char *w)
{
	size_t	 l = strlen(w);

	if (n - *i < l || memcmp(s + *i, w, l) != 0)
		return -1;
	*i += l;
	return 0;
}

/*
 * One value at s[*i] by the grammar of RFC 8259 2-7, leading whitespace
 * included; depth is the nesting around it.  Allocates nothing.
 */
static int
gram_value(const unsigned char *s, size_t n, size_t *i, int depth)
{
	unsigned char	 endc;

	skip_ws(s, n, i);
	if (*i >= n)
		return -1;
	switch (s[*i]) {
	case '{':
	case '[':
		if (depth + 1 > SG_JSON_MAX_DEPTH)
			return -1;
		endc = s[*i] == '{' ? '}' : ']';
		(*i)++;
		skip_ws(s, n, i);
		if (*i < n && s[*i] == endc) {
			(*i)++;
			return 0;
		}
		for (;;) {
			if (endc == '}') {
				skip_ws(s, n, i);
				if (*i >= n || s[*i] != '"' ||
				    scan_string(s, n, i, NULL) == -1)
					return -1;
				skip_ws(s, n, i);
				if (*i >= n || s[*i] != ':')
					return -1;
				(*i)++;
			}
			if (gram_value(s, n, i, depth + 1) == -1)
				return -1;
			skip_ws(s, n, i);
			if (*i >= n)
				return -1;
			if (s[*i] == endc) {
				(*i)++;
				return 0;
			}
			if (s[*i] != ',')
				return -1;
			(*i)++;
		}
	case '"':
		return scan_string(s, n, i, NULL);
	case 't':
		return gram_word(s, n, i, "true");
	case 'f':
		return gram_word(s, n, i, "false");
	case 'n':
		return gram_word(s, n, i, "null");
	default:
		return scan_number(s, n, i, NULL);
	}
}

/*
 * Whether the text is exactly one JSON value.  When cJSON refuses a text
 * that passed the pre-scan and this check, it can only have run out of
 * memory: cJSON returns NULL for both and sets no reason (its error
 * pointer is a position), and a failed allocation is the server's fault,
 * not the client's (SG_ENOMEM, a 500, never a 400 or a 401/407).
 */
static int
grammar_ok(const unsigned char *s, size_t n)
{
	size_t	 i = 0;

	if (gram_value(s, n, &i, 0) == -1)
		return 0;
	skip_ws(s, n, &i);
	return i == n;
}

/* ASCII-only case-insensitive order; independent of the locale. */
static int
name_casecmp(const char *a, const char *b)
{
	unsigned char	 ca, cb;

	for (;; a++, b++) {
		ca = (unsigned char)*a;
		cb = (unsigned char)*b;
		if (ca >= 'A' && ca <= 'Z')
			ca += 'a' - 'A';
		if (cb >= 'A' && cb <= 'Z')
			cb += 'a' - 'A';
		if (ca != cb || ca == '\0')
			return (int)ca - (int)cb;
	}
}

static int
name_sortcmp(const void *a, const void *b)
{
	return name_casecmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * No two members of an object may have names that are equal or equal
 * but for ASCII case (RFC 7515 5.2, RFC 7519 4; J1, J2, A5, A6).
 */
static int
check_names(const cJSON *obj, struct sg_err *err)
{
	const cJSON	 *a, *b;
	const char	**v = NULL;
	size_t		  n = 0, i;
	int		  rc = -1;

	for (a = obj->child; a != NULL; a = a->next) {
		if (a->string == NULL) {
			sg_err_set(err, SG_EINVAL, "bad_json",
			    "member without a name");
			return -1;
		}
		n++;
	}
	if (n <= SMALL_OBJECT) {
		for (a = obj->child; a != NULL; a = a->next)
			for (b = a->next; b != NULL; b = b->next)
				if (name_casecmp(a->string, b->string) == 0)
					goto dup;
		return 0;
	}
	if ((v = calloc(n, sizeof(*v))) == NULL) {
		sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
		return -1;
	}
	for (i = 0, a = obj->child; a != NULL; a = a->next)
		v[i++] = a->string;
	qsort(v, n, sizeof(*v), name_sortcmp);
	for (i = 1; i < n; i++)
		if (name_casecmp(v[i - 1], v[i]) == 0)
			goto dup;
	rc = 0;
	goto out;
dup:
	sg_err_set(err, SG_EINVAL, "bad_json", "duplicate member name");
out:
	free(v);
	return rc;
}

/* Depth is bounded by the pre-scan, so recursion is bounded too. */
static int
walk(const cJSON *item, struct sg_err *err)
{
	const cJSON	*c;

	if (cJSON_IsObject(item) && check_names(item, err) == -1)
		return -1;
	if (cJSON_IsObject(item) || cJSON_IsArray(item))
		for (c = item->child; c != NULL; c = c->next)
			if (walk(c, err) == -1)
				return -1;
	return 0;
}

cJSON *
sg_json_parse(const char *buf, size_t len, struct sg_err *err)
{
	char		*copy = NULL;
	const char	*end = NULL;
	cJSON		*root = NULL;

	if (buf == NULL || len == 0) {
		sg_err_set(err, SG_EINVAL, "bad_json", "empty JSON text");
		return NULL;
	}
	if (prescan((const unsigned char *)buf, len, err) == -1)
		return NULL;
	/*
	 * With require_null_terminated, cJSON wants the NUL inside the
	 * length it is given, so parse a terminated copy of len + 1 bytes;
	 * the pre-scan has ruled out any earlier NUL (J3, J4).
	 */
	if ((copy = malloc(len + 1)) == NULL) {
		sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
		return NULL;
	}
	memcpy(copy, buf, len);
	copy[len] = '\0';
	root = cJSON_ParseWithLengthOpts(copy, len + 1, &end, 1);
	if (root == NULL) {
		if (grammar_ok((const unsigned char *)copy, len))
			sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
		else
			sg_err_set(err, SG_EINVAL, "bad_json",
			    "not valid JSON");
		goto out;
	}
	if (end != copy + len) {
		sg_err_set(err, SG_EINVAL, "bad_json", "text after the value");
		goto fail;
	}
	if (walk(root, err) == -1)
		goto fail;
	goto out;
fail:
	cJSON_Delete(root);
	root = NULL;
out:
	free(copy);
	return root;
}

cJSON *
sg_json_parse_object(const char *buf, size_t len, struct sg_err *err)
{
	cJSON	*root;

	if ((root = sg_json_parse(buf, len, err)) == NULL)
		return NULL;
	if (!cJSON_IsObject(root)) {
		sg_err_set(err, SG_EINVAL, "bad_json", "not a JSON object");
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

const cJSON *
sg_json_get(const cJSON *obj, const char *name)
{
	if (obj == NULL || name == NULL || !cJSON_IsObject(obj))
		return NULL;
	return cJSON_GetObjectItemCaseSensitive(obj, name);
}

const char *
sg_json_str(const cJSON *obj, const char *name)
{
	const cJSON	*it;

	if ((it = sg_json_get(obj, name)) == NULL || !cJSON_IsString(it))
		return NULL;
	return it->valuestring;
}

enum sg_rc
sg_json_int(const cJSON *obj, const char *name, int64_t min, int64_t max,
    int64_t *out, struct sg_err *err)
{
	const cJSON	*it;
	double		 d;
	int64_t		 v;

	if ((it = sg_json_get(obj, name)) == NULL)
		return SG_ENOENT;
	if (!cJSON_IsNumber(it))
		return sg_err_set(err, SG_EINVAL, "bad_json",
		    "%s is not a number", name);
	/* valuedouble only: valueint saturates at INT_MAX (J9). */
	d = it->valuedouble;
	if (!isfinite(d))
		return sg_err_set(err, SG_EINVAL, "bad_json",
		    "%s is not finite", name);
	if (floor(d) != d)
		return sg_err_set(err, SG_EINVAL, "bad_json",
		    "%s is not an integer", name);
	/* [-2^63, 2^63) converts without overflow. */
	if (d < -9223372036854775808.0 || d >= 9223372036854775808.0)
		return sg_err_set(err, SG_EINVAL, "bad_json",
		    "%s is out of range", name);
	v = (int64_t)d;
	if (v < min || v > max)
		return sg_err_set(err, SG_EINVAL, "bad_json",
		    "%s is out of range", name);
	*out = v;
	return SG_OK;
}

char *
sg_json_print(const cJSON *item)
{
	if (item == NULL)
		return NULL;
	return cJSON_PrintUnformatted(item);
}

int
sg_json_add_str(cJSON *obj, const char *name, const char *s)
{
	if (obj == NULL || name == NULL || s == NULL)
		return -1;
	return cJSON_AddStringToObject(obj, name, s) == NULL ? -1 : 0;
}

cJSON *
sg_json_array_of(size_t n, cJSON *(*make)(const void *, size_t),
    const void *ctx, int *bad_item)
{
	cJSON	*arr, *o;
	size_t	 i;

	if (bad_item != NULL)
		*bad_item = 0;
	if ((arr = cJSON_CreateArray()) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if ((o = make(ctx, i)) == NULL) {
			if (bad_item != NULL)
				*bad_item = 1;
			cJSON_Delete(arr);
			return NULL;
		}
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

int
sg_json_add_int(cJSON *obj, const char *name, int64_t v)
{
	/*
	 * cJSON 1.7.15 prints numbers with "%1.15g" and accepts the result
	 * if it reads back approximately, so only integers of at most 15
	 * digits are printed exactly.
	 */
	if (obj == NULL || name == NULL || v > SG_JSON_INT_MAX ||
	    v < -SG_JSON_INT_MAX)
		return -1;
	return cJSON_AddNumberToObject(obj, name, (double)v) == NULL ? -1 : 0;
}
