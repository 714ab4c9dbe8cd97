/* SPDX-License-Identifier: ISC */
/*
 * The session store in Redis (session.h) on the blocking client of
 * redis-private.h: put, get, del, list, count, the per-user reservation,
 * prune and the live count.  docs/contract.md §7.1 has the key layout.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "num.h"
#include "redis-private.h"
#include "budget.h"
#include "session.h"

#define KEY_MAX		(sizeof(SG_SESSION_KEY_PREFIX) + SG_ID_MAX + 1)

static enum sg_rc
mkkey(char *buf, const char *prefix, const char *id, struct sg_err *err)
{
	int	 n;

	/* Ids reach a key only after this check (docs/contract.md §5.3). */
	if (id == NULL || !sg_id_valid(id))
		return sg_err_set(err, SG_EINVAL, "bad_id",
		    "id must match ^[A-Za-z0-9_-]{1,128}$");
	n = snprintf(buf, KEY_MAX, "%s%s", prefix, id);
	if (n < 0 || (size_t)n >= KEY_MAX)
		return sg_err_set(err, SG_EINTERNAL, NULL, "key too long");
	return SG_OK;
}

/* Stored text of session id into a fresh struct: bad_session if wrong. */
static enum sg_rc
decode(const char *id, const char *buf, size_t len, struct sg_session *out,
    struct sg_err *err)
{
	struct sg_session	 s;
	struct sg_err		 tmp;
	cJSON			*j = NULL;
	enum sg_rc		 rc;

	sg_session_init(&s);
	sg_err_clear(&tmp);
	if (len == 0 || len > SG_SESSION_MAX_JSON)
		return sg_err_set(err, SG_EUPSTREAM, "bad_session",
		    "session %s: %zu bytes", id, len);
	if ((j = sg_json_parse_object(buf, len, &tmp)) == NULL) {
		if (tmp.rc == SG_ENOMEM)
			return sg_err_set(err, SG_ENOMEM, NULL,
			    "out of memory");
		return sg_err_set(err, SG_EUPSTREAM, "bad_session",
		    "session %s: not a valid JSON object", id);
	}
	if ((rc = sg_session_from_json(j, &s, err)) != SG_OK)
		goto out;
	/* A session stored under another container's key is corrupt. */
	if (strcmp(s.container_id, id) != 0) {
		rc = sg_err_set(err, SG_EUPSTREAM, "bad_session",
		    "session %s: container_id differs from the key", id);
		goto out;
	}
	sg_session_clear(out);
	*out = s;
	sg_session_init(&s);
out:
	sg_session_clear(&s);
	cJSON_Delete(j);
	return rc;
}

/*
 * Read the stored text of n session keys, bounded and atomically: MULTI,
 * EXISTS and GETRANGE 0 SG_SESSION_MAX_JSON per key, EXEC.  GET or MGET
 * would have hiredis read a value of any size (Redis allows 512 MB)
 * before we could refuse it; GETRANGE returns at most
 * SG_SESSION_MAX_JSON + 1 bytes, which decode() then refuses as too big.
 * EXISTS tells a missing key from an empty value, which GETRANGE cannot.
 * On SG_OK *out is the EXEC reply (the caller frees it): 2n elements, an
 * integer and a string per key.
 */
static enum sg_rc
fetch(struct sg_redis *r, const char *const *keys, size_t n,
    redisReply **out, struct sg_err *err)
{
	static const char *multi[] = { "MULTI" }, *exec[] = { "EXEC" };
	struct sg_redis_cmd	*cmds = NULL;
	const char	**av = NULL, **e;
	redisReply	**rep = NULL;
	const redisReply *x;
	char		 maxbuf[16];
	size_t		 i, nc = 2 * n + 2;
	int		 ok;
	enum sg_rc	 rc;

	*out = NULL;
	(void)snprintf(maxbuf, sizeof(maxbuf), "%d", SG_SESSION_MAX_JSON);
	if ((cmds = calloc(nc, sizeof(*cmds))) == NULL ||
	    (av = calloc(6 * n, sizeof(*av))) == NULL ||
	    (rep = calloc(nc, sizeof(*rep))) == NULL) {
		rc = sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
		goto out;
	}
	cmds[0].argc = 1;
	cmds[0].argv = multi;
	for (i = 0; i < n; i++) {
		e = av + 6 * i;
		e[0] = "EXISTS";
		e[1] = keys[i];
		e[2] = "GETRANGE";
		e[3] = keys[i];
		e[4] = "0";
		e[5] = maxbuf;
		cmds[1 + 2 * i].argc = 2;
		cmds[1 + 2 * i].argv = e;
		cmds[2 + 2 * i].argc = 4;
		cmds[2 + 2 * i].argv = e + 2;
	}
	cmds[nc - 1].argc = 1;
	cmds[nc - 1].argv = exec;
	if ((rc = sg_redis_run(r, cmds, nc, rep, err)) != SG_OK)
		goto out;
	x = rep[nc - 1];
	ok = sg_redis_is_status(rep[0], "OK") && x->type == REDIS_REPLY_ARRAY &&
	    x->elements == 2 * n;
	for (i = 1; ok && i < nc - 1; i++)
		ok = sg_redis_is_status(rep[i], "QUEUED");
	for (i = 0; ok && i < n; i++)
		ok = x->element[2 * i]->type == REDIS_REPLY_INTEGER &&
		    x->element[2 * i + 1]->type == REDIS_REPLY_STRING;
	if (!ok) {
		rc = sg_redis_unexpected(r, "MULTI/EXISTS/GETRANGE/EXEC", err);
		goto out;
	}
	*out = rep[nc - 1];
	rep[nc - 1] = NULL;
out:
	if (rep != NULL)
		sg_redis_free_replies(rep, nc);
	free(rep);
	free(av);
	free(cmds);
	return rc;
}

enum sg_rc
sg_session_put(struct sg_redis *r, const struct sg_session *s, time_t now,
    struct sg_err *err)
{
	char		 skey[KEY_MAX], ukey[KEY_MAX], ttlbuf[24];
	char		 nrep[16], wms[16];
	cJSON		*j = NULL;
	char		*txt = NULL;
	redisReply	*rep[5] = { NULL, NULL, NULL, NULL, NULL };
	const char	*multi[] = { "MULTI" };
	const char	*set[] = { "SET", skey, NULL, "EX", ttlbuf };
	const char	*sadd[] = { "SADD", ukey, NULL };
	const char	*exec[] = { "EXEC" };
	const char	*wait[] = { "WAIT", nrep, wms };
	struct sg_redis_cmd	 cmds[5] = {
		{ 1, multi, NULL }, { 5, set, NULL }, { 3, sadd, NULL },
		{ 1, exec, NULL }, { 3, wait, NULL }
	};
	const redisReply *x;
	int64_t		 ttl;
	enum sg_rc	 rc;
	size_t		 n = 4;
	int		 want, ms;

	if (r == NULL || s == NULL)
		return sg_err_set(err, SG_EINVAL, NULL, "no session");
	if ((rc = sg_session_check(s, SG_EINVAL, "bad_session", err)) != SG_OK)
		return rc;
	if ((rc = mkkey(skey, SG_SESSION_KEY_PREFIX, s->container_id,
	    err)) != SG_OK ||
	    (rc = mkkey(ukey, SG_SESSION_USER_PREFIX, s->user_id, err)) !=
	    SG_OK)
		return rc;
	/* EX with a non-positive TTL would delete the key (or fail). */
	ttl = s->expires_at - (int64_t)now;
	if (ttl <= 0)
		return sg_err_set(err, SG_EINVAL, "session_expired",
		    "session expires_at is not in the future");
	(void)snprintf(ttlbuf, sizeof(ttlbuf), "%lld", (long long)ttl);
	if ((j = sg_session_to_json(s)) == NULL ||
	    (txt = sg_json_print(j)) == NULL) {
		rc = sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
		goto out;
	}
	if (strlen(txt) > SG_SESSION_MAX_JSON) {
		rc = sg_err_set(err, SG_ETOOBIG, "session_too_big",
		    "session JSON over %d bytes", SG_SESSION_MAX_JSON);
		goto out;
	}
	set[2] = txt;
	sadd[2] = s->container_id;
	/*
	 * Replication is asynchronous: a failover right after the EXEC
	 * can lose the session of a create already answered 201.  WAIT on
	 * the same connection, in the same pipeline (SANDGATE_REDIS_WAIT_*).
	 */
	if ((want = sg_redis_wait_replicas(r, &ms)) > 0) {
		(void)snprintf(nrep, sizeof(nrep), "%d", want);
		(void)snprintf(wms, sizeof(wms), "%d", ms);
		n = 5;
	}
	if ((rc = sg_redis_run(r, cmds, n, rep, err)) != SG_OK)
		goto out;
	x = rep[3];
	if (!sg_redis_is_status(rep[0], "OK") || !sg_redis_is_status(rep[1], "QUEUED") ||
	    !sg_redis_is_status(rep[2], "QUEUED") || x->type != REDIS_REPLY_ARRAY ||
	    x->elements != 2 || !sg_redis_is_status(x->element[0], "OK") ||
	    x->element[1]->type != REDIS_REPLY_INTEGER) {
		rc = sg_redis_unexpected(r, "MULTI/SET/SADD/EXEC", err);
		goto out;
	}
	if (n == 5 && rep[4]->type != REDIS_REPLY_INTEGER) {
		rc = sg_redis_unexpected(r, "WAIT", err);
		goto out;
	}
	if (n == 5 && rep[4]->integer < want) {
		rc = sg_err_set(err, SG_EUNAVAIL, "redis_not_replicated",
		    "the session reached %lld of %d replicas within %d ms",
		    (long long)rep[4]->integer, want, ms);
		goto out;
	}
	rc = SG_OK;
out:
	sg_redis_free_replies(rep, 5);
	free(txt);
	cJSON_Delete(j);
	return rc;
}

enum sg_rc
sg_session_get(struct sg_redis *r, const char *id, struct sg_session *s,
    struct sg_err *err)
{
	char		 key[KEY_MAX];
	const char	*keys[] = { key };
	redisReply	*x = NULL;
	enum sg_rc	 rc;

	if (r == NULL || s == NULL)
		return sg_err_set(err, SG_EINVAL, NULL, "no session");
	if ((rc = mkkey(key, SG_SESSION_KEY_PREFIX, id, err)) != SG_OK)
		return rc;
	if ((rc = fetch(r, keys, 1, &x, err)) != SG_OK)
		return rc;
	if (x->element[0]->integer == 0)
		rc = sg_err_set(err, SG_ENOENT, "session_not_found",
		    "no session %s", id);
	else
		rc = decode(id, x->element[1]->str, x->element[1]->len, s,
		    err);
	freeReplyObject(x);
	return rc;
}

enum sg_rc
sg_session_del(struct sg_redis *r, const char *id, const char *user,
    struct sg_err *err)
{
	struct sg_session s;
	struct sg_err	 tmp;
	char		 skey[KEY_MAX], ukey[KEY_MAX];
	redisReply	*rep[4] = { NULL, NULL, NULL, NULL };
	const char	*multi[] = { "MULTI" };
	const char	*del[] = { "DEL", skey };
	const char	*srem[] = { "SREM", ukey, NULL };
	const char	*exec[] = { "EXEC" };
	struct sg_redis_cmd	 cmds[4] = {
		{ 1, multi, NULL }, { 2, del, NULL }, { 3, srem, NULL },
		{ 1, exec, NULL }
	};
	const redisReply *x;
	size_t		 n = 4, i;
	enum sg_rc	 rc;

	sg_session_init(&s);
	if (r == NULL)
		return sg_err_set(err, SG_EINVAL, NULL, "no redis");
	if ((rc = mkkey(skey, SG_SESSION_KEY_PREFIX, id, err)) != SG_OK)
		return rc;
	if (user != NULL && (rc = mkkey(ukey, SG_SESSION_USER_PREFIX, user,
	    err)) != SG_OK)
		return rc;
	if (user == NULL) {
		sg_err_clear(&tmp);
		rc = sg_session_get(r, id, &s, &tmp);
		if (rc == SG_OK) {
			user = s.user_id;
			(void)mkkey(ukey, SG_SESSION_USER_PREFIX, user, NULL);
		} else if (!(rc == SG_EUPSTREAM && tmp.code != NULL &&
		    strcmp(tmp.code, "bad_session") == 0)) {
			rc = sg_err_set(err, tmp.rc, tmp.code, "%s", tmp.msg);
			goto out;
		}
		/*
		 * A corrupt session names no user we can trust: delete the
		 * key alone and leave the index entry to pruning.
		 */
	}
	srem[2] = id;
	if (user == NULL) {
		cmds[2] = cmds[3];
		n = 3;
	}
	if ((rc = sg_redis_run(r, cmds, n, rep, err)) != SG_OK)
		goto out;
	x = rep[n - 1];
	if (!sg_redis_is_status(rep[0], "OK") || x->type != REDIS_REPLY_ARRAY ||
	    x->elements != n - 2) {
		rc = sg_redis_unexpected(r, "MULTI/DEL/SREM/EXEC", err);
		goto out;
	}
	for (i = 1; i < n - 1; i++) {
		if (!sg_redis_is_status(rep[i], "QUEUED") ||
		    x->element[i - 1]->type != REDIS_REPLY_INTEGER) {
			rc = sg_redis_unexpected(r, "MULTI/DEL/SREM/EXEC", err);
			goto out;
		}
	}
	if (x->element[0]->integer == 0)
		rc = sg_err_set(err, SG_ENOENT, "session_not_found",
		    "no session %s", id);
	else
		rc = SG_OK;
	/* Best effort: the counters expire with the session anyway. */
	sg_err_clear(&tmp);
	(void)sg_budget_del(r, id, &tmp);
out:
	sg_redis_free_replies(rep, 4);
	sg_session_clear(&s);
	return rc;
}

static int
session_cmp(const void *a, const void *b)
{
	const struct sg_session	*x = a, *y = b;

	if (x->created_at != y->created_at)
		return x->created_at < y->created_at ? -1 : 1;
	return strcmp(x->container_id, y->container_id);
}

/* The ids to take out of a user's set: "SREM" key id... */
struct stale {
	const char	**argv;
	size_t		 *len;
	size_t		  n;		/* argv[0..1] are SREM and the key */
};

static void
stale_add(struct stale *st, const char *id, size_t len)
{
	st->argv[st->n] = id;
	st->len[st->n++] = len;
}

/*
 * Best effort: a failed SREM (a read-only replica, say) does not fail
 * the read; the next list or prune retries.  *removed (if removed) counts
 * the ids SREM took out.
 */
static void
stale_remove(struct sg_redis *r, const struct stale *st, size_t *removed)
{
	struct sg_redis_cmd	 c;
	struct sg_err		 tmp;
	redisReply		*rem = NULL;

	if (st->n <= 2)
		return;
	c.argc = (int)st->n;
	c.argv = st->argv;
	c.len = st->len;
	sg_err_clear(&tmp);
	if (sg_redis_run(r, &c, 1, &rem, &tmp) == SG_OK && removed != NULL &&
	    rem->type == REDIS_REPLY_INTEGER && rem->integer > 0)
		*removed = (size_t)rem->integer;
	if (rem != NULL)
		freeReplyObject(rem);
}

/*
 * The session keys of the members mem sampled, in kp[0..*nk) (the
 * strings in keys, KEY_MAX each); a member that is no valid id goes to
 * st instead.
 */
static enum sg_rc
sample_keys(struct sg_redis *r, const redisReply *mem, char *keys,
    const char **kp, size_t *nk, struct stale *st, struct sg_err *err)
{
	size_t	 i;

	*nk = 0;
	for (i = 0; i < mem->elements; i++) {
		const redisReply *m = mem->element[i];

		if (m->type != REDIS_REPLY_STRING)
			return sg_redis_unexpected(r, "SRANDMEMBER", err);
		/* Garbage in the index (not from us): drop it. */
		if (m->len > SG_ID_MAX || memchr(m->str, '\0', m->len) ||
		    !sg_id_valid(m->str)) {
			stale_add(st, m->str, m->len);
			continue;
		}
		(void)mkkey(keys + *nk * KEY_MAX, SG_SESSION_KEY_PREFIX, m->str,
		    NULL);
		kp[*nk] = keys + *nk * KEY_MAX;
		(*nk)++;
	}
	return SG_OK;
}

/*
 * The live sessions of user.  With v, they are returned in *v (sorted
 * by created_at, then id; the caller clears and frees them), else only
 * counted.  Ids whose session is gone, that are no valid id, or whose
 * session names another user are removed from the set (best effort);
 * *removed counts those that SREM took out.
 *
 * SRANDMEMBER with a positive count returns distinct members, all of
 * them when the set is smaller: one round trip whose reply is bounded
 * even when the set is huge, unlike SMEMBERS.
 */
static enum sg_rc
collect(struct sg_redis *r, const char *user, struct sg_session **v,
    size_t *count, size_t *removed, struct sg_err *err)
{
	char		 ukey[KEY_MAX], limit[16];
	const char	*sample[] = { "SRANDMEMBER", ukey, limit };
	redisReply	*mem = NULL, *got = NULL;
	const char	**kp = NULL;
	char		*keys = NULL;
	struct sg_session *out = NULL, s;
	struct stale	 st = { NULL, NULL, 2 };
	size_t		 n, i, nk = 0, no = 0;
	enum sg_rc	 rc;

	sg_session_init(&s);
	*count = 0;
	if (removed != NULL)
		*removed = 0;
	if (v != NULL)
		*v = NULL;
	if (r == NULL)
		return sg_err_set(err, SG_EINVAL, NULL, "no redis");
	if ((rc = mkkey(ukey, SG_SESSION_USER_PREFIX, user, err)) != SG_OK)
		return rc;
	(void)snprintf(limit, sizeof(limit), "%d", SG_SESSION_MAX_PER_USER + 1);
	if ((rc = sg_redis_run1(r, 3, sample, &mem, err)) != SG_OK)
		goto out;
	if (mem->type != REDIS_REPLY_ARRAY) {
		rc = sg_redis_unexpected(r, "SRANDMEMBER", err);
		goto out;
	}
	n = mem->elements;
	if (n > SG_SESSION_MAX_PER_USER) {
		rc = sg_err_set(err, SG_ETOOBIG, "too_many_sessions",
		    "user has more than %d sessions", SG_SESSION_MAX_PER_USER);
		goto out;
	}
	if (n == 0) {
		rc = SG_OK;
		goto out;
	}
	if ((kp = calloc(n, sizeof(*kp))) == NULL ||
	    (st.argv = calloc(n + 2, sizeof(*st.argv))) == NULL ||
	    (st.len = calloc(n + 2, sizeof(*st.len))) == NULL ||
	    (keys = calloc(n, KEY_MAX)) == NULL ||
	    (v != NULL && (out = calloc(n, sizeof(*out))) == NULL)) {
		rc = sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
		goto out;
	}
	st.argv[0] = "SREM";
	st.len[0] = 4;
	st.argv[1] = ukey;
	st.len[1] = strlen(ukey);
	if ((rc = sample_keys(r, mem, keys, kp, &nk, &st, err)) != SG_OK)
		goto out;
	if (nk > 0 && (rc = fetch(r, kp, nk, &got, err)) != SG_OK)
		goto out;
	for (i = 0; i < nk; i++) {
		const redisReply *g = got->element[2 * i + 1];
		const char	*id = kp[i] + strlen(SG_SESSION_KEY_PREFIX);

		if (got->element[2 * i]->integer == 0) {
			/* Expired or evicted: treat as gone. */
			stale_add(&st, id, strlen(id));
			continue;
		}
		if ((rc = decode(id, g->str, g->len, &s, err)) != SG_OK)
			goto out;
		if (strcmp(s.user_id, user) != 0) {
			/* The session says it is someone else's. */
			stale_add(&st, id, strlen(id));
			sg_session_clear(&s);
			continue;
		}
		if (out != NULL) {
			out[no] = s;
			sg_session_init(&s);
		} else
			sg_session_clear(&s);
		no++;
	}
	stale_remove(r, &st, removed);
	if (out != NULL && no > 1)
		qsort(out, no, sizeof(*out), session_cmp);
	*count = no;
	if (v != NULL) {
		*v = out;
		out = NULL;
	}
	rc = SG_OK;
out:
	if (out != NULL) {
		for (i = 0; i < no; i++)
			sg_session_clear(&out[i]);
		free(out);
	}
	sg_session_clear(&s);
	if (got != NULL)
		freeReplyObject(got);
	if (mem != NULL)
		freeReplyObject(mem);
	free(keys);
	free(st.len);
	free(st.argv);
	free(kp);
	return rc;
}

/* sg_json_array_of's maker: session i of a collected vector. */
static cJSON *
session_at(const void *v, size_t i)
{
	return sg_session_to_json((const struct sg_session *)v + i);
}

enum sg_rc
sg_session_list(struct sg_redis *r, const char *user, cJSON **out,
    struct sg_err *err)
{
	struct sg_session *v = NULL;
	size_t		 n = 0, i;
	enum sg_rc	 rc;

	if (out == NULL)
		return sg_err_set(err, SG_EINVAL, NULL, "no result pointer");
	*out = NULL;
	if ((rc = collect(r, user, &v, &n, NULL, err)) != SG_OK)
		return rc;
	/* A session that does not convert is out of memory too. */
	if ((*out = sg_json_array_of(n, session_at, v, NULL)) == NULL)
		rc = sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
	for (i = 0; i < n; i++)
		sg_session_clear(&v[i]);
	free(v);
	return rc;
}

enum sg_rc
sg_session_count(struct sg_redis *r, const char *user, size_t *n,
    struct sg_err *err)
{
	size_t	 dummy;

	return collect(r, user, NULL, n != NULL ? n : &dummy, NULL, err);
}

/*
 * The per-user limit as one atomic step (session.h, sg_session_reserve).
 * KEYS: the user's set, the user's reservations.  ARGV: id, limit, ttl
 * (ms), the session key prefix, the most members read.  Redis's clock
 * (TIME) dates the reservations, so that services on hosts whose clocks
 * differ agree.  Returns {1, n} when id is reserved (n counting it),
 * {0, n} at the limit, {-1, n} when the set is over the bound.  Every
 * value is an argument, never part of the script text.
 */
static const char reserve_lua[] =
"if redis.replicate_commands then pcall(redis.replicate_commands) end\n"
"local t = redis.call('TIME')\n"
"local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
"local id, limit, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])\n"
"local pfx, max = ARGV[4], tonumber(ARGV[5])\n"
"local function keep()\n"
"  redis.call('ZADD', KEYS[2], now + ttl, id)\n"
"  if redis.call('PTTL', KEYS[2]) < ttl then\n"
"    redis.call('PEXPIRE', KEYS[2], ttl)\n"
"  end\n"
"end\n"
"redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)\n"
"local nm = redis.call('SCARD', KEYS[1])\n"
"local nr = redis.call('ZCARD', KEYS[2])\n"
"if nm > max or nr > max then return {-1, nm + nr} end\n"
/* sg_redis_run() may send this twice: holding the reservation already is a yes */
"if redis.call('ZSCORE', KEYS[2], id) then keep() return {1, nr} end\n"
"local n = 0\n"
"for _, m in ipairs(redis.call('SMEMBERS', KEYS[1])) do\n"
"  if redis.call('EXISTS', pfx .. m) == 1 then n = n + 1 end\n"
"end\n"
/* a reservation whose session is written is counted once, above */
"for _, m in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do\n"
"  if redis.call('SISMEMBER', KEYS[1], m) == 0 or\n"
"      redis.call('EXISTS', pfx .. m) == 0 then n = n + 1 end\n"
"end\n"
"if n >= limit then return {0, n} end\n"
"keep()\n"
"return {1, n + 1}\n";

enum sg_rc
sg_session_reserve(struct sg_redis *r, const char *user, const char *id,
    size_t limit, int64_t ttl_ms, size_t *count, struct sg_err *err)
{
	char		 ukey[KEY_MAX], rkey[KEY_MAX], idk[KEY_MAX];
	char		 lim[24], ttl[24], max[24];
	const char	*argv[] = { "EVAL", reserve_lua, "2", ukey, rkey, id,
	    lim, ttl, SG_SESSION_KEY_PREFIX, max };
	redisReply	*rep = NULL;
	const redisReply *a, *b;
	enum sg_rc	 rc;

	if (count != NULL)
		*count = 0;
	if (r == NULL)
		return sg_err_set(err, SG_EINVAL, NULL, "no redis");
	if ((rc = mkkey(ukey, SG_SESSION_USER_PREFIX, user, err)) != SG_OK ||
	    (rc = mkkey(rkey, SG_SESSION_RESERVE_PREFIX, user, err)) !=
	    SG_OK ||
	    (rc = mkkey(idk, SG_SESSION_KEY_PREFIX, id, err)) != SG_OK)
		return rc;
	if (limit == 0 || ttl_ms <= 0 || ttl_ms > SG_SESSION_RESERVE_MAX_MS)
		return sg_err_set(err, SG_EINVAL, NULL,
		    "the limit must be positive, the reservation 1..%lld ms",
		    (long long)SG_SESSION_RESERVE_MAX_MS);
	(void)snprintf(lim, sizeof(lim), "%zu", limit);
	(void)snprintf(ttl, sizeof(ttl), "%lld", (long long)ttl_ms);
	(void)snprintf(max, sizeof(max), "%d", SG_SESSION_MAX_PER_USER);
	if ((rc = sg_redis_run1(r, 10, argv, &rep, err)) != SG_OK)
		return rc;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 ||
	    (a = rep->element[0])->type != REDIS_REPLY_INTEGER ||
	    (b = rep->element[1])->type != REDIS_REPLY_INTEGER ||
	    b->integer < 0) {
		rc = sg_redis_unexpected(r, "EVAL (reserve)", err);
		goto out;
	}
	if (count != NULL)
		*count = (size_t)b->integer;
	if (a->integer == 1)
		rc = SG_OK;
	else if (a->integer == 0)
		rc = sg_err_set(err, SG_ELIMIT, "too_many_sandboxes",
		    "user has %lld sandboxes, the limit is %zu",
		    b->integer, limit);
	else
		rc = sg_err_set(err, SG_ETOOBIG, "too_many_sessions",
		    "user has more than %d sessions", SG_SESSION_MAX_PER_USER);
out:
	freeReplyObject(rep);
	return rc;
}

enum sg_rc
sg_session_unreserve(struct sg_redis *r, const char *user, const char *id,
    struct sg_err *err)
{
	char		 rkey[KEY_MAX], idk[KEY_MAX];
	const char	*argv[] = { "ZREM", rkey, id };
	redisReply	*rep = NULL;
	enum sg_rc	 rc;

	if (r == NULL)
		return sg_err_set(err, SG_EINVAL, NULL, "no redis");
	if ((rc = mkkey(rkey, SG_SESSION_RESERVE_PREFIX, user, err)) !=
	    SG_OK ||
	    (rc = mkkey(idk, SG_SESSION_KEY_PREFIX, id, err)) != SG_OK)
		return rc;
	if ((rc = sg_redis_run1(r, 3, argv, &rep, err)) != SG_OK)
		return rc;
	if (rep->type != REDIS_REPLY_INTEGER)
		rc = sg_redis_unexpected(r, "ZREM", err);
	freeReplyObject(rep);
	return rc;
}

/*
 * Whether id holds a live reservation (session.h, sg_session_reserved).
 * KEYS: the user's reservations.  ARGV: id.  Live means a deadline
 * later than Redis's clock (TIME), the clock reserve_lua dates them by;
 * an expired one that reserve_lua has not removed yet is not live.
 * Read-only: nothing is written, so TIME needs no effects replication.
 */
static const char reserved_lua[] =
"local s = redis.call('ZSCORE', KEYS[1], ARGV[1])\n"
"if not s then return 0 end\n"
"local t = redis.call('TIME')\n"
"local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
"if tonumber(s) > now then return 1 end\n"
"return 0\n";

enum sg_rc
sg_session_reserved(struct sg_redis *r, const char *user, const char *id,
    int *live, struct sg_err *err)
{
	char		 rkey[KEY_MAX], idk[KEY_MAX];
	const char	*argv[] = { "EVAL", reserved_lua, "1", rkey, id };
	redisReply	*rep = NULL;
	enum sg_rc	 rc;

	if (live != NULL)
		*live = 0;
	if (r == NULL || live == NULL)
		return sg_err_set(err, SG_EINVAL, NULL, "no redis");
	if ((rc = mkkey(rkey, SG_SESSION_RESERVE_PREFIX, user, err)) !=
	    SG_OK ||
	    (rc = mkkey(idk, SG_SESSION_KEY_PREFIX, id, err)) != SG_OK)
		return rc;
	if ((rc = sg_redis_run1(r, 5, argv, &rep, err)) != SG_OK)
		return rc;
	if (rep->type != REDIS_REPLY_INTEGER ||
	    (rep->integer != 0 && rep->integer != 1)) {
		rc = sg_redis_unexpected(r, "EVAL (reserved)", err);
		goto out;
	}
	*live = (int)rep->integer;
out:
	freeReplyObject(rep);
	return rc;
}

/*
 * One SCAN round (scan: its 6 arguments, scan[1] the cursor buffer of
 * size bytes): checks the reply's shape, copies the next cursor into
 * the buffer and leaves the keys in *keys.  On SG_OK the caller frees
 * *rep; on failure nothing is left to free.
 */
static enum sg_rc
scan_step(struct sg_redis *r, const char **scan, char *cursor, size_t size,
    redisReply **rep, const redisReply **keys, struct sg_err *err)
{
	const redisReply *cur;
	enum sg_rc	 rc;

	*rep = NULL;
	if ((rc = sg_redis_run1(r, 6, scan, rep, err)) != SG_OK)
		return rc;
	if ((*rep)->type != REDIS_REPLY_ARRAY || (*rep)->elements != 2 ||
	    (cur = (*rep)->element[0])->type != REDIS_REPLY_STRING ||
	    !sg_num_is_digits(cur->str, cur->len) || cur->len >= size ||
	    (*keys = (*rep)->element[1])->type != REDIS_REPLY_ARRAY) {
		freeReplyObject(*rep);
		*rep = NULL;
		return sg_redis_unexpected(r, "SCAN", err);
	}
	memcpy(cursor, cur->str, cur->len);
	cursor[cur->len] = '\0';
	return SG_OK;
}

/*
 * SCAN (COUNT 100) over the user index keys, at most
 * SG_SESSION_PRUNE_MAX_SCAN rounds, cleaning each set as collect() does.
 * Redis deletes a set when its last member goes, so an index whose
 * sessions are all gone disappears without a DEL that could race with a
 * concurrent SADD.  A set that cannot be cleaned (too big, not a set,
 * a corrupt session) is skipped; a dead or slow server stops the scan.
 */
enum sg_rc
sg_session_prune(struct sg_redis *r, size_t *pruned, struct sg_err *err)
{
	char		 cursor[32] = "0";
	const char	*scan[] = { "SCAN", cursor, "MATCH",
	    SG_SESSION_USER_PREFIX "*", "COUNT", "100" };
	redisReply	*rep = NULL;
	const redisReply *keys, *k;
	struct sg_err	 tmp;
	size_t		 total = 0, rounds, i, cnt, rem;
	size_t		 plen = strlen(SG_SESSION_USER_PREFIX);
	enum sg_rc	 rc = SG_OK;

	if (pruned != NULL)
		*pruned = 0;
	if (r == NULL)
		return sg_err_set(err, SG_EINVAL, NULL, "no redis");
	for (rounds = 0; rounds < SG_SESSION_PRUNE_MAX_SCAN; rounds++) {
		if ((rc = scan_step(r, scan, cursor, sizeof(cursor), &rep,
		    &keys, err)) != SG_OK)
			break;
		for (i = 0; i < keys->elements; i++) {
			k = keys->element[i];
			if (k->type != REDIS_REPLY_STRING || k->len <= plen ||
			    k->len > plen + SG_ID_MAX ||
			    memchr(k->str, '\0', k->len) != NULL ||
			    !sg_id_valid(k->str + plen))
				continue;
			sg_err_clear(&tmp);
			rc = collect(r, k->str + plen, NULL, &cnt, &rem, &tmp);
			total += rem;
			if (rc == SG_EUNAVAIL || rc == SG_ETIMEOUT ||
			    rc == SG_ENOMEM) {
				rc = sg_err_set(err, tmp.rc, tmp.code, "%s",
				    tmp.msg);
				goto out;
			}
			rc = SG_OK;
		}
		freeReplyObject(rep);
		rep = NULL;
		if (strcmp(cursor, "0") == 0)
			break;
	}
out:
	if (rep != NULL)
		freeReplyObject(rep);
	if (pruned != NULL)
		*pruned = total;
	return rc;
}

/*
 * SCAN MATCH sandgate:session:* COUNT 1000, at most max_rounds rounds.
 * SCAN may return a key twice while Redis rehashes, so the count is
 * approximate by a little; it is exact on a stable keyspace.
 */
enum sg_rc
sg_session_count_live(struct sg_redis *r, size_t max_rounds, size_t *n,
    int *complete, struct sg_err *err)
{
	char		 cursor[32] = "0";
	const char	*scan[] = { "SCAN", cursor, "MATCH",
	    SG_SESSION_KEY_PREFIX "*", "COUNT", "1000" };
	redisReply	*rep = NULL;
	const redisReply *keys;
	size_t		 rounds;
	enum sg_rc	 rc = SG_OK;

	*n = 0;
	*complete = 0;
	if (r == NULL)
		return sg_err_set(err, SG_EINVAL, NULL, "no redis");
	for (rounds = 0; rounds < max_rounds; rounds++) {
		if ((rc = scan_step(r, scan, cursor, sizeof(cursor), &rep,
		    &keys, err)) != SG_OK)
			break;
		*n += keys->elements;
		freeReplyObject(rep);
		rep = NULL;
		if (strcmp(cursor, "0") == 0) {
			*complete = 1;
			break;
		}
	}
	if (rep != NULL)
		freeReplyObject(rep);
	return rc;
}
