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

#include <sys/param.h>

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "audit.h"
#include "chain.h"
#include "clock.h"
#include "claims.h"
#include "compat.h"
#include "crypto.h"
#include "json.h"
#include "redis-private.h"

#define AUDIT_KEY_MAX	(sizeof(SG_AUDIT_SANDBOX_PREFIX) + SG_ID_MAX)
#define BATCH_ARG_WIRE	16	/* RESP's framing of one argument, at most */

/*
 * The sandboxes' copies waiting for one chain-script call: the script's
 * per-entry arguments back to back in buf (argument i at off[i], len[i]
 * bytes long), the streams they go to in keys.
 */
struct audit_batch {
	char		*buf;
	size_t		 used, cap;
	size_t		*off, *len;
	size_t		 nargs, capargs;
	size_t		 entries;
	size_t		 wire;		/* bytes they take queued, at most */
	char		 keys[SG_AUDIT_BATCH_MAX][AUDIT_KEY_MAX];
	size_t		 nkeys;
};

struct sg_audit {
	struct sg_redis_sender *redis;	/* fire-and-forget */
	struct audit_batch batch;
	char		 maxlen[24];
	/* The run of repeated denials being counted (see audit.h). */
	cJSON		*rep_line;	/* its first line, written */
	char		 rep_key[1024];
	char		 rep_last_ts[48];
	uint64_t	 rep_count;	/* repeats since, not written */
	int64_t		 rep_start_us;
	size_t		 aggregated;	/* for sg_audit_take_aggregated */
	size_t		 unsent;	/* queued since the last write */
	int64_t		 push_us;	/* the last batch out */
	size_t		 lost;		/* for sg_audit_take_lost */
	char		 script_sha[41];	/* EVALSHA name of the chain */
	int64_t		 script_at_us;	/* last SCRIPT LOAD sent */
};

static enum sg_rc	 audit_write(struct sg_audit *, const cJSON *,
			    size_t *, struct sg_err *);
static void		 repeat_end(struct sg_audit *, size_t *);
static void		 chain_add(struct sg_audit *, const char *, int,
			    const char **, size_t *);
static void		 batch_out(struct sg_audit *, size_t *);
static enum sg_rc	 audit_push(struct sg_audit *, int, size_t *,
			    struct sg_err *);

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
	sg_sha1_hex(sg_chain_script, strlen(sg_chain_script), a->script_sha);
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
	repeat_end(a, NULL);
	(void)audit_push(a, 1, NULL, NULL);
	cJSON_Delete(a->rep_line);
	sg_redis_sender_free(a->redis);
	free(a->batch.buf);
	free(a->batch.off);
	free(a->batch.len);
	free(a);
}

enum sg_rc
sg_audit_flush(struct sg_audit *a, size_t *failed, struct sg_err *err)
{
	if (failed != NULL)
		*failed = 0;
	if (a == NULL)
		return SG_OK;
	return audit_push(a, 1, failed, err);
}

enum sg_rc
sg_audit_push(struct sg_audit *a, size_t *failed, int64_t *due_us)
{
	int64_t	 now;

	if (failed != NULL)
		*failed = 0;
	if (due_us != NULL)
		*due_us = 0;
	if (a == NULL || (a->batch.entries == 0 &&
	    sg_redis_pending(a->redis) == 0))
		return SG_OK;
	/* Pushed within the window: under load, let the batch grow. */
	now = sg_now_us();
	if (due_us != NULL && now - a->push_us < SG_AUDIT_BATCH_US) {
		*due_us = a->push_us + SG_AUDIT_BATCH_US;
		return SG_OK;
	}
	return audit_push(a, 0, failed, NULL);
}

size_t
sg_audit_pending(const struct sg_audit *a)
{
	return a != NULL ? sg_redis_pending(a->redis) + a->batch.wire : 0;
}

enum sg_rc
sg_audit_tick(struct sg_audit *a, size_t *failed)
{
	size_t	 f = 0;

	if (failed != NULL)
		*failed = 0;
	if (a == NULL)
		return SG_OK;
	if (a->rep_line != NULL && sg_now_us() - a->rep_start_us >=
	    (int64_t)SG_AUDIT_REPEAT_MS * 1000)
		repeat_end(a, &f);
	if (failed != NULL)
		*failed = f;
	return audit_push(a, 1, NULL, NULL);
}

/* *counter's value, and zero in it. */
static size_t
take(size_t *counter)
{
	size_t	 n = *counter;

	*counter = 0;
	return n;
}

size_t
sg_audit_take_lost(struct sg_audit *a)
{
	return a != NULL ? take(&a->lost) : 0;
}

size_t
sg_audit_take_aggregated(struct sg_audit *a)
{
	return a != NULL ? take(&a->aggregated) : 0;
}

static const char *
field(const cJSON *line, const char *name)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(line,
	    name));
}

/*
 * The key of a denial for repeat runs in buf, or 0 when line is not a
 * denial (only those are aggregated: every allow stays an entry).
 */
static int
repeat_key(const cJSON *line, char *buf, size_t size)
{
	const char	*ev = field(line, "event"), *d = field(line, "decision");
	const cJSON	*st = cJSON_GetObjectItemCaseSensitive(line, "status");
	int		 n;

	if (ev == NULL || strcmp(ev, "decision") != 0 || d == NULL ||
	    strcmp(d, "deny") != 0)
		return 0;
	n = snprintf(buf, size, "%s|%s|%s|%s|%d|%s",
	    field(line, "mode") ? field(line, "mode") : "",
	    field(line, "container_id") ? field(line, "container_id") : "",
	    field(line, "claimed_container_id") ?
	    field(line, "claimed_container_id") : "",
	    field(line, "reason") ? field(line, "reason") : "",
	    cJSON_IsNumber(st) ? (int)st->valuedouble : 0,
	    field(line, "target") ? field(line, "target") : "");
	return n > 0 && (size_t)n < size;
}

/* Write the open run's count (if any repeats) and close it. */
static void
repeat_end(struct sg_audit *a, size_t *failed)
{
	cJSON		*o;
	const char	*ts;
	size_t		 f = 0;

	if (a->rep_line != NULL && a->rep_count > 0 &&
	    (o = cJSON_Duplicate(a->rep_line, 1)) != NULL) {
		ts = field(a->rep_line, "ts");
		cJSON_ReplaceItemInObjectCaseSensitive(o, "event",
		    cJSON_CreateString("decision_repeated"));
		(void)cJSON_AddNumberToObject(o, "count",
		    (double)a->rep_count);
		(void)cJSON_AddStringToObject(o, "first_ts", ts ? ts : "");
		(void)cJSON_AddStringToObject(o, "last_ts", a->rep_last_ts);
		cJSON_DeleteItemFromObjectCaseSensitive(o, "latency_us");
		(void)audit_write(a, o, &f, NULL);
		cJSON_Delete(o);
		if (failed != NULL)
			*failed += f;
	}
	cJSON_Delete(a->rep_line);
	a->rep_line = NULL;
	a->rep_count = 0;
}

enum sg_rc
sg_audit_send(struct sg_audit *a, const cJSON *line, size_t *failed,
    struct sg_err *err)
{
	char		 key[sizeof(a->rep_key)];
	const char	*ts;
	int64_t		 now;
	int		 den;

	if (failed != NULL)
		*failed = 0;
	if (a == NULL || line == NULL)
		return sg_err_set(err, SG_EINVAL, NULL, "no audit entry");
	den = repeat_key(line, key, sizeof(key));
	now = sg_now_us();
	if (den && a->rep_line != NULL && strcmp(key, a->rep_key) == 0 &&
	    now - a->rep_start_us < (int64_t)SG_AUDIT_REPEAT_MS * 1000) {
		a->rep_count++;
		a->aggregated++;
		ts = field(line, "ts");
		(void)snprintf(a->rep_last_ts, sizeof(a->rep_last_ts), "%s",
		    ts != NULL ? ts : "");
		return SG_OK;
	}
	repeat_end(a, failed);
	if (den && (a->rep_line = cJSON_Duplicate(line, 1)) != NULL) {
		(void)strlcpy(a->rep_key, key, sizeof(a->rep_key));
		a->rep_start_us = now;
	}
	return audit_write(a, line, failed, err);
}

/*
 * One entry to the shared stream and, when it names a container (a
 * proven one: see audit.h), to that sandbox's own, which then expires
 * SG_AUDIT_SANDBOX_TTL after this entry.  Both are queued; a decision
 * waits there for sg_audit_push (the process is about to wait for its
 * next request) or a full batch, any other entry goes out now.
 */
static enum sg_rc
audit_write(struct sg_audit *a, const cJSON *line, size_t *failed,
    struct sg_err *err)
{
	/* XADD key MAXLEN ~ N * then the fields */
	const char	*argv[6 + 2 * SG_AUDIT_MAX_FIELDS], *cid, *ev;
	char		 num[SG_AUDIT_MAX_FIELDS][32];
	const cJSON	*m;
	size_t		 f = 0;
	int		 argc = 0, nf = 0;
	enum sg_rc	 rc;

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
	/* The batch counts against the backlog's cap (sg_audit_pending). */
	if ((rc = sg_redis_queue(a->redis, argc, argv, NULL,
	    SG_AUDIT_MAX_PENDING - MIN(a->batch.wire, SG_AUDIT_MAX_PENDING),
	    failed, err)) != SG_OK)
		return rc;
	a->unsent++;
	/* The shared entry is in: a dropped copy is not the caller's error. */
	if ((cid = field(line, "container_id")) != NULL && sg_id_valid(cid))
		chain_add(a, cid, argc - 6, argv + 6, &f);
	ev = field(line, "event");
	if (ev == NULL || strcmp(ev, "decision") != 0 ||
	    a->batch.entries >= SG_AUDIT_BATCH_MAX ||
	    a->batch.wire >= SG_AUDIT_BATCH_BYTES) {
		size_t	 g = 0;

		(void)audit_push(a, 0, &g, NULL);
		f += g;
	}
	if (failed != NULL)
		*failed += f;
	return SG_OK;
}

/*
 * The batch, then what the socket takes of the queue, after reading the
 * answers that came (drain) or not.  *failed: copies dropped and error
 * answers read.
 */
static enum sg_rc
audit_push(struct sg_audit *a, int drain, size_t *failed, struct sg_err *err)
{
	size_t	 f = 0, g = 0;
	enum sg_rc rc;

	batch_out(a, &f);
	a->push_us = sg_now_us();
	rc = drain ? sg_redis_flush(a->redis, &g, err) :
	    sg_redis_write(a->redis, err);
	/* A failed read or write loses the queue (redis.h). */
	if (rc != SG_OK)
		a->lost += a->unsent;
	a->unsent = 0;
	if (failed != NULL)
		*failed = f + g;
	return rc;
}

/* Append one argument to the batch: 0, or -1 (out of memory). */
static int
batch_arg(struct audit_batch *b, const char *arg)
{
	size_t	 n = strlen(arg), cap;
	void	*p;

	if (b->nargs == b->capargs) {
		cap = b->capargs != 0 ? 2 * b->capargs : 256;
		if ((p = reallocarray(b->off, cap, sizeof(*b->off))) == NULL)
			return -1;
		b->off = p;
		if ((p = reallocarray(b->len, cap, sizeof(*b->len))) == NULL)
			return -1;
		b->len = p;
		b->capargs = cap;
	}
	if (b->cap - b->used < n) {
		for (cap = b->cap != 0 ? b->cap : 4096; cap - b->used < n; )
			cap *= 2;
		if ((p = realloc(b->buf, cap)) == NULL)
			return -1;
		b->buf = p;
		b->cap = cap;
	}
	memcpy(b->buf + b->used, arg, n);
	b->off[b->nargs] = b->used;
	b->len[b->nargs++] = n;
	b->used += n;
	b->wire += n + BATCH_ARG_WIRE;
	return 0;
}

/*
 * Add the sandbox's copy to the batch for the chain script (chain.h):
 * Redis sets seq and prev when it appends, so every writer's entries
 * form one sequence; the digest is computed here over what Redis will
 * store (names it would drop or repeat are left out, as the reader
 * does).  Out of memory, the copy is dropped and counted in *failed.
 */
static void
chain_add(struct sg_audit *a, const char *cid, int nfv, const char **fv,
    size_t *failed)
{
	struct audit_batch *b = &a->batch;
	const char	*names[SG_AUDIT_MAX_FIELDS], *values[SG_AUDIT_MAX_FIELDS];
	char		 skey[AUDIT_KEY_MAX], d[SG_CHAIN_HEX], ki[24], nn[24];
	size_t		 n = 0, j, k, used = b->used, nargs = b->nargs;
	size_t		 wire = b->wire;
	int		 i, bad;

	for (i = 0; i + 1 < nfv; i += 2) {
		if (fv[i][0] == '\0' || strlen(fv[i]) >= 64 ||
		    sg_chain_reserved(fv[i]))
			continue;
		for (j = 0; j < n && strcmp(names[j], fv[i]) != 0; j++)
			;
		if (j < n)
			continue;
		names[n] = fv[i];
		values[n++] = fv[i + 1];
	}
	if (sg_chain_digest(names, values, n, d, NULL) != SG_OK) {
		(*failed)++;
		return;
	}
	(void)snprintf(skey, sizeof(skey), "%s%s", SG_AUDIT_SANDBOX_PREFIX,
	    cid);
	for (k = 0; k < b->nkeys && strcmp(b->keys[k], skey) != 0; k++)
		;
	(void)snprintf(ki, sizeof(ki), "%zu", k + 1);
	(void)snprintf(nn, sizeof(nn), "%zu", n);
	bad = batch_arg(b, ki) == -1 || batch_arg(b, d) == -1 ||
	    batch_arg(b, nn) == -1;
	for (j = 0; !bad && j < n; j++)
		bad = batch_arg(b, names[j]) == -1 ||
		    batch_arg(b, values[j]) == -1;
	if (bad) {
		b->used = used;
		b->nargs = nargs;
		b->wire = wire;
		(*failed)++;
		return;
	}
	if (k == b->nkeys)
		(void)strlcpy(b->keys[b->nkeys++], skey, AUDIT_KEY_MAX);
	b->entries++;
}

/*
 * Queue the batch as one call of the chain script and empty it.
 * EVALSHA, not EVAL: the script is 2 KB.  Redis keeps loaded scripts
 * until it restarts (never on disk), and the sender's answers are not
 * read, so the script is loaded again at most every SG_AUDIT_SCRIPT_MS:
 * after a Redis restart or a failover, per-sandbox copies fail
 * (NOSCRIPT, counted) for at most that long, and the chain stays one
 * sequence because a failed call appends nothing.  The shared entries
 * are separate commands and are not lost with them.
 */
static void
batch_out(struct sg_audit *a, size_t *failed)
{
	struct audit_batch *b = &a->batch;
	const char	**argv = NULL, *load[3];
	size_t		*len = NULL, i;
	char		 nkeys[24], smax[24], ttl[24];
	int		 argc = 0;

	if (b->entries == 0)
		return;
	if (a->script_at_us == 0 || sg_now_us() - a->script_at_us >=
	    (int64_t)SG_AUDIT_SCRIPT_MS * 1000) {
		load[0] = "SCRIPT";
		load[1] = "LOAD";
		load[2] = sg_chain_script;
		if (sg_redis_queue(a->redis, 3, load, NULL,
		    SG_AUDIT_MAX_PENDING, NULL, NULL) == SG_OK)
			a->script_at_us = sg_now_us();
	}
	argv = calloc(6 + b->nkeys + b->nargs, sizeof(*argv));
	len = calloc(6 + b->nkeys + b->nargs, sizeof(*len));
	if (argv == NULL || len == NULL) {
		if (failed != NULL)
			*failed += b->entries;
		goto out;
	}
	(void)snprintf(nkeys, sizeof(nkeys), "%zu", b->nkeys);
	(void)snprintf(smax, sizeof(smax), "%d", SG_AUDIT_SANDBOX_MAXLEN);
	(void)snprintf(ttl, sizeof(ttl), "%d", SG_AUDIT_SANDBOX_TTL);
	argv[argc++] = "EVALSHA";
	argv[argc++] = a->script_sha;
	argv[argc++] = nkeys;
	for (i = 0; i < b->nkeys; i++)
		argv[argc++] = b->keys[i];
	argv[argc++] = smax;
	argv[argc++] = ttl;
	argv[argc++] = "";
	for (i = 0; i < (size_t)argc; i++)
		len[i] = strlen(argv[i]);
	for (i = 0; i < b->nargs; i++) {
		argv[argc] = b->buf + b->off[i];
		len[argc++] = b->len[i];
	}
	if (sg_redis_queue(a->redis, argc, argv, len, SG_AUDIT_MAX_PENDING,
	    NULL, NULL) != SG_OK && failed != NULL)
		*failed += b->entries;
out:
	free(argv);
	free(len);
	b->used = b->nargs = b->entries = b->nkeys = b->wire = 0;
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

/* sg_json_array_of's maker: entry i of an XREVRANGE reply. */
static cJSON *
entry_at(const void *rep, size_t i)
{
	return stream_entry(((const redisReply *)rep)->element[i]);
}

enum sg_rc
sg_redis_stream_page(struct sg_redis *r, const char *key, const char *end,
    size_t count, cJSON **out, struct sg_err *err)
{
	char		 cnt[24];
	const char	*argv[] = { "XREVRANGE", key, end, "-", "COUNT", cnt };
	redisReply	*rep = NULL;
	int		 bad;
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
	if ((*out = sg_json_array_of(rep->elements, entry_at, rep,
	    &bad)) != NULL)
		rc = SG_OK;
	else if (bad)
		rc = sg_redis_unexpected(r, "XREVRANGE", err);
	else
		rc = sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
out:
	freeReplyObject(rep);
	return rc;
}


/* RFC 3629: the whole string is well-formed UTF-8. */
static int
utf8_valid(const char *str)
{
	const unsigned char	*s = (const unsigned char *)str;
	size_t			 n = strlen(str), i, k;

	for (i = 0; i < n; i += k)
		if ((k = sg_utf8_seq(s + i, n - i)) == 0)
			return 0;
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
		    strcmp(f->string, "latency_us") == 0 ||
		    strcmp(f->string, "count") == 0) &&
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
	char		 skey[sizeof(SG_AUDIT_SANDBOX_PREFIX) + SG_ID_MAX];
	const char	*last = NULL, *key = SG_AUDIT_STREAM;
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
	/* The sandbox's own stream, if it has one (see audit.h). */
	(void)snprintf(skey, sizeof(skey), "%s%s", SG_AUDIT_SANDBOX_PREFIX, id);
	if ((rc = sg_redis_stream_page(r, skey, "+", 1, &page, err)) != SG_OK)
		goto out;
	if (cJSON_GetArraySize(page) > 0)
		key = skey;
	cJSON_Delete(page);
	page = NULL;
	while (*scanned < scan_max &&
	    (size_t)cJSON_GetArraySize(res) < limit) {
		want = scan_max - *scanned;
		if (want > SG_REDIS_STREAM_PAGE_MAX)
			want = SG_REDIS_STREAM_PAGE_MAX;
		if ((rc = sg_redis_stream_page(r, key, end, want, &page,
		    err)) != SG_OK)
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

enum sg_rc
sg_audit_trail(struct sg_redis *r, const char *id, size_t max, cJSON **out,
    struct sg_err *err)
{
	cJSON		*res = NULL, *page = NULL, *e;
	char		 end[96] = "+";
	char		 skey[sizeof(SG_AUDIT_SANDBOX_PREFIX) + SG_ID_MAX];
	const char	*last;
	size_t		 got, want;
	enum sg_rc	 rc = SG_OK;

	*out = NULL;
	if (id == NULL || !sg_id_valid(id))
		return sg_err_set(err, SG_EINVAL, "bad_id", "bad container id");
	if ((res = cJSON_CreateArray()) == NULL)
		return sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
	(void)snprintf(skey, sizeof(skey), "%s%s", SG_AUDIT_SANDBOX_PREFIX, id);
	for (;;) {
		want = max - (size_t)cJSON_GetArraySize(res);
		if (want > SG_REDIS_STREAM_PAGE_MAX)
			want = SG_REDIS_STREAM_PAGE_MAX;
		if (want == 0) {
			rc = sg_err_set(err, SG_ETOOBIG, "trail_too_long",
			    "the trail has more than %zu entries", max);
			goto out;
		}
		if ((rc = sg_redis_stream_page(r, skey, end, want, &page,
		    err)) != SG_OK)
			goto out;
		got = (size_t)cJSON_GetArraySize(page);
		last = NULL;
		/* newest first: each goes in front, so res is oldest first */
		while ((e = cJSON_DetachItemFromArray(page, 0)) != NULL) {
			last = sg_json_str(e, "id");
			if (last != NULL)
				(void)strlcpy(end, last, sizeof(end));
			(void)cJSON_InsertItemInArray(res, 0, e);
		}
		cJSON_Delete(page);
		page = NULL;
		if (got < want || last == NULL ||
		    !id_before(end, end, sizeof(end)))
			break;
	}
	*out = res;
	res = NULL;
out:
	cJSON_Delete(page);
	cJSON_Delete(res);
	return rc;
}
