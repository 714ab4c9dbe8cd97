/* SPDX-License-Identifier: ISC */
/*
 * The audit trail in a Redis stream: see audit.h.  Entries go out
 * through the non-blocking sender (redis-send.c, sg_redis_send); they
 * are read back with XREVRANGE on the blocking client.  The stream
 * reader lives here, its only user, and so this file includes
 * redis-private.h (hiredis): an XREVRANGE reply is nested arrays that a
 * wrapper in redis.c would only have to rebuild as another tree.
 */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "audit.h"
#include "claims.h"
#include "compat.h"
#include "redis-private.h"

struct sg_audit {
	struct sg_redis_sender *redis;	/* fire-and-forget */
	char		 maxlen[24];
};

enum sg_rc
sg_audit_new(const char *url, int64_t maxlen, struct sg_audit **out,
    struct sg_err *err)
{
	struct sg_audit	*a = NULL;
	enum sg_rc	 rc;

	*out = NULL;
	if (maxlen < 1)
		return sg_err_set(err, SG_EINVAL, "bad_config",
		    "SANDGATE_AUDIT_MAXLEN: must be at least 1");
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
	(void)snprintf(a->maxlen, sizeof(a->maxlen), "%" PRId64, maxlen);
	if ((rc = sg_redis_sender_new(url, SG_AUDIT_CONNECT_MS, &a->redis,
	    err)) !=
	    SG_OK) {
		free(a);
		return rc;
	}
	*out = a;
	return SG_OK;
}

void
sg_audit_free(struct sg_audit *a)
{
	if (a == NULL)
		return;
	sg_redis_sender_free(a->redis);
	free(a);
}

enum sg_rc
sg_audit_flush(struct sg_audit *a, size_t *failed, struct sg_err *err)
{
	if (a == NULL) {
		if (failed != NULL)
			*failed = 0;
		return SG_OK;
	}
	return sg_redis_flush(a->redis, failed, err);
}

size_t
sg_audit_pending(const struct sg_audit *a)
{
	return a != NULL ? sg_redis_pending(a->redis) : 0;
}

enum sg_rc
sg_audit_send(struct sg_audit *a, const cJSON *line, size_t *failed,
    struct sg_err *err)
{
	/* XADD key MAXLEN ~ N * then the fields */
	const char	*argv[6 + 2 * SG_AUDIT_MAX_FIELDS];
	char		 num[SG_AUDIT_MAX_FIELDS][32];
	const cJSON	*m;
	int		 argc = 0, nf = 0;

	if (failed != NULL)
		*failed = 0;
	if (a == NULL || line == NULL)
		return sg_err_set(err, SG_EINVAL, NULL, "no audit entry");
	argv[argc++] = "XADD";
	argv[argc++] = SG_AUDIT_STREAM;
	argv[argc++] = "MAXLEN";
	/* "~": Redis trims whole nodes, cheaply (XADD, XTRIM docs) */
	argv[argc++] = "~";
	argv[argc++] = a->maxlen;
	argv[argc++] = "*";
	cJSON_ArrayForEach(m, line) {
		if (nf == SG_AUDIT_MAX_FIELDS || m->string == NULL)
			break;
		if (cJSON_IsString(m) && m->valuestring != NULL) {
			argv[argc++] = m->string;
			argv[argc++] = m->valuestring;
		} else if (cJSON_IsNumber(m) && isfinite(m->valuedouble)) {
			if (m->valuedouble == floor(m->valuedouble) &&
			    fabs(m->valuedouble) < 9e15)
				(void)snprintf(num[nf], sizeof(num[nf]),
				    "%" PRId64, (int64_t)m->valuedouble);
			else
				(void)snprintf(num[nf], sizeof(num[nf]), "%g",
				    m->valuedouble);
			argv[argc++] = m->string;
			argv[argc++] = num[nf];
		} else
			continue;
		nf++;
	}
	if (nf == 0)
		return sg_err_set(err, SG_EINVAL, NULL, "empty audit entry");
	return sg_redis_send(a->redis, argc, argv, NULL,
	    SG_AUDIT_MAX_PENDING, failed, err);
}

/* ---- reading ---------------------------------------------------------- */

/* One XREVRANGE entry [id, [field, value, ...]] as {"id", "fields"}. */
static cJSON *
stream_entry(const redisReply *e)
{
	const redisReply	*id, *fv, *f, *v;
	cJSON			*o = NULL, *fields = NULL;
	char			 name[64];
	size_t			 i;

	if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
	    (id = e->element[0])->type != REDIS_REPLY_STRING ||
	    id->len == 0 || id->len > 64 ||
	    (fv = e->element[1])->type != REDIS_REPLY_ARRAY ||
	    fv->elements % 2 != 0)
		return NULL;
	if ((o = cJSON_CreateObject()) == NULL ||
	    (fields = cJSON_AddObjectToObject(o, "fields")) == NULL ||
	    cJSON_AddStringToObject(o, "id", id->str) == NULL)
		goto bad;
	for (i = 0; i + 1 < fv->elements; i += 2) {
		f = fv->element[i];
		v = fv->element[i + 1];
		/* Names: short, NUL-free; the first of a repeated one wins. */
		if (f->type != REDIS_REPLY_STRING ||
		    v->type != REDIS_REPLY_STRING || f->len == 0 ||
		    f->len >= sizeof(name) ||
		    memchr(f->str, '\0', f->len) != NULL ||
		    memchr(v->str, '\0', v->len) != NULL)
			continue;
		memcpy(name, f->str, f->len);
		name[f->len] = '\0';
		if (cJSON_GetObjectItemCaseSensitive(fields, name) != NULL)
			continue;
		if (cJSON_AddStringToObject(fields, name, v->str) == NULL)
			goto bad;
	}
	return o;
bad:
	cJSON_Delete(o);
	return NULL;
}

enum sg_rc
sg_redis_stream_page(struct sg_redis *r, const char *key, const char *end,
    size_t count, cJSON **out, struct sg_err *err)
{
	char		 cnt[24];
	const char	*argv[] = { "XREVRANGE", key, end, "-", "COUNT", cnt };
	redisReply	*rep = NULL;
	cJSON		*arr = NULL, *o;
	size_t		 i;
	enum sg_rc	 rc;

	*out = NULL;
	if (r == NULL || key == NULL || end == NULL || count == 0 ||
	    count > SG_REDIS_STREAM_PAGE_MAX)
		return sg_err_set(err, SG_EINVAL, NULL, "bad stream read");
	(void)snprintf(cnt, sizeof(cnt), "%zu", count);
	if ((rc = sg_redis_run1(r, 6, argv, &rep, err)) != SG_OK)
		return rc;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements > count) {
		rc = sg_redis_unexpected(r, "XREVRANGE", err);
		goto out;
	}
	if ((arr = cJSON_CreateArray()) == NULL) {
		rc = sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
		goto out;
	}
	for (i = 0; i < rep->elements; i++) {
		if ((o = stream_entry(rep->element[i])) == NULL) {
			rc = sg_redis_unexpected(r, "XREVRANGE", err);
			goto out;
		}
		cJSON_AddItemToArray(arr, o);
	}
	*out = arr;
	arr = NULL;
	rc = SG_OK;
out:
	cJSON_Delete(arr);
	freeReplyObject(rep);
	return rc;
}


/* RFC 3629: the whole string is well-formed UTF-8. */
static int
utf8_valid(const char *str)
{
	const unsigned char	*s = (const unsigned char *)str;
	uint32_t		 cp;
	size_t			 len, i;

	while (*s != '\0') {
		if (*s < 0x80) {
			s++;
			continue;
		}
		if (*s >= 0xc2 && *s <= 0xdf) {
			len = 2;
			cp = *s & 0x1f;
		} else if (*s >= 0xe0 && *s <= 0xef) {
			len = 3;
			cp = *s & 0x0f;
		} else if (*s >= 0xf0 && *s <= 0xf4) {
			len = 4;
			cp = *s & 0x07;
		} else
			return 0;
		for (i = 1; i < len; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return 0;
		s += len;
	}
	return 1;
}

/* A decimal integer of at most 15 digits, with an optional '-'. */
static int
as_int(const char *s, int64_t *v)
{
	const char	*p = s;
	int64_t		 x = 0;
	size_t		 n = 0;

	if (*p == '-')
		p++;
	for (; *p >= '0' && *p <= '9'; p++, n++) {
		if (n == 15)
			return 0;
		x = x * 10 + (*p - '0');
	}
	if (n == 0 || *p != '\0')
		return 0;
	*v = s[0] == '-' ? -x : x;
	return 1;
}

/* {"id", fields...} from a stream entry {"id", "fields"}; NULL on ENOMEM. */
static cJSON *
flatten(const cJSON *e)
{
	const cJSON	*f;
	cJSON		*o = NULL;
	int64_t		 v;

	if ((o = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(o, "id",
	    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "id")))
	    == NULL)
		goto bad;
	cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(e, "fields")) {
		if (!cJSON_IsString(f) || strcmp(f->string, "id") == 0 ||
		    !utf8_valid(f->string) || !utf8_valid(f->valuestring))
			continue;
		if ((strcmp(f->string, "status") == 0 ||
		    strcmp(f->string, "latency_us") == 0) &&
		    as_int(f->valuestring, &v)) {
			if (cJSON_AddNumberToObject(o, f->string, (double)v) ==
			    NULL)
				goto bad;
			continue;
		}
		if (cJSON_AddStringToObject(o, f->string, f->valuestring) ==
		    NULL)
			goto bad;
	}
	return o;
bad:
	cJSON_Delete(o);
	return NULL;
}

/*
 * The id just before id ("ms-seq"), for an exclusive XREVRANGE end that
 * also works before Redis 6.2.  0 when there is none.
 */
static int
id_before(const char *id, char *out, size_t size)
{
	unsigned long long	 ms, seq;
	char			*end = NULL;

	if (id[0] < '0' || id[0] > '9')
		return 0;
	ms = strtoull(id, &end, 10);
	if (end == NULL || *end != '-' || end[1] < '0' || end[1] > '9')
		return 0;
	seq = strtoull(end + 1, &end, 10);
	if (*end != '\0')
		return 0;
	if (seq > 0)
		(void)snprintf(out, size, "%llu-%llu", ms, seq - 1);
	else if (ms > 0)
		(void)snprintf(out, size, "%llu-%llu", ms - 1,
		    (unsigned long long)UINT64_MAX);
	else
		return 0;
	return 1;
}

enum sg_rc
sg_audit_read(struct sg_redis *r, const char *id, size_t limit,
    size_t scan_max, cJSON **out, size_t *scanned, int *complete,
    struct sg_err *err)
{
	cJSON		*res = NULL, *page = NULL, *o;
	const cJSON	*e, *cid;
	char		 end[96] = "+";
	const char	*last = NULL;
	size_t		 want, got;
	enum sg_rc	 rc = SG_OK;

	*out = NULL;
	*scanned = 0;
	*complete = 0;
	if (id == NULL || !sg_id_valid(id))
		return sg_err_set(err, SG_EINVAL, "bad_id", "bad container id");
	if (limit < 1 || limit > SG_AUDIT_LIMIT_MAX || scan_max < 1 ||
	    scan_max > SG_AUDIT_SCAN_MAX)
		return sg_err_set(err, SG_EINVAL, NULL, "bad audit limits");
	if ((res = cJSON_CreateArray()) == NULL)
		return sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
	while (*scanned < scan_max &&
	    (size_t)cJSON_GetArraySize(res) < limit) {
		want = scan_max - *scanned;
		if (want > SG_REDIS_STREAM_PAGE_MAX)
			want = SG_REDIS_STREAM_PAGE_MAX;
		if ((rc = sg_redis_stream_page(r, SG_AUDIT_STREAM, end, want,
		    &page, err)) != SG_OK)
			goto out;
		got = (size_t)cJSON_GetArraySize(page);
		*scanned += got;
		cJSON_ArrayForEach(e, page) {
			last = cJSON_GetStringValue(
			    cJSON_GetObjectItemCaseSensitive(e, "id"));
			cid = cJSON_GetObjectItemCaseSensitive(
			    cJSON_GetObjectItemCaseSensitive(e, "fields"),
			    "container_id");
			if (!cJSON_IsString(cid) ||
			    strcmp(cid->valuestring, id) != 0 ||
			    (size_t)cJSON_GetArraySize(res) >= limit)
				continue;
			if ((o = flatten(e)) == NULL) {
				rc = sg_err_set(err, SG_ENOMEM, NULL,
				    "out of memory");
				goto out;
			}
			cJSON_AddItemToArray(res, o);
		}
		if (got < want || last == NULL ||
		    !id_before(last, end, sizeof(end))) {
			*complete = 1;
			break;
		}
		cJSON_Delete(page);
		page = NULL;
		last = NULL;
	}
	*out = res;
	res = NULL;
out:
	cJSON_Delete(page);
	cJSON_Delete(res);
	return rc;
}
