/* SPDX-License-Identifier: ISC */
/*
 * The budget counters (budget.h): a few Lua scripts on the blocking
 * Redis client.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "claims.h"
#include "redis-private.h"
#include "session.h"

#define KEY_MAX	(sizeof(SG_SESSION_KEY_PREFIX) + SG_ID_MAX + 1)

static enum sg_rc
keys(const char *id, char bkey[KEY_MAX], char skey[KEY_MAX],
    struct sg_err *err)
{
	int	 n, m;

	/* Ids reach a key only after this check (docs/contract.md §5.3). */
	if (id == NULL || !sg_id_valid(id))
		return sg_err_set(err, SG_EINVAL, "bad_id",
		    "id must match ^[A-Za-z0-9_-]{1,128}$");
	n = snprintf(bkey, KEY_MAX, "%s%s", SG_BUDGET_KEY_PREFIX, id);
	m = snprintf(skey, KEY_MAX, "%s%s", SG_SESSION_KEY_PREFIX, id);
	if (n < 0 || (size_t)n >= KEY_MAX || m < 0 || (size_t)m >= KEY_MAX)
		return sg_err_set(err, SG_EINTERNAL, NULL, "key too long");
	return SG_OK;
}

/*
 * KEYS[1] the counters, KEYS[2] the session; ARGV max_requests,
 * max_bytes (0 = none).  {verdict, requests, bytes}; verdict -1: no
 * session.  The counters take the session's remaining life.
 */
static const char take_lua[] =
"local pt = redis.call('PTTL', KEYS[2])\n"
"if pt == -2 then return {-1, 0, 0} end\n"
"local v = redis.call('HMGET', KEYS[1], 'requests', 'bytes')\n"
"local r = tonumber(v[1]) or 0\n"
"local b = tonumber(v[2]) or 0\n"
"local mr = tonumber(ARGV[1])\n"
"local mb = tonumber(ARGV[2])\n"
"if mb > 0 and b >= mb then return {2, r, b} end\n"
"if mr > 0 and r >= mr then return {1, r, b} end\n"
"r = redis.call('HINCRBY', KEYS[1], 'requests', 1)\n"
"if v[2] == false then redis.call('HSET', KEYS[1], 'bytes', 0) end\n"
"if pt > 0 then redis.call('PEXPIRE', KEYS[1], pt) end\n"
"return {0, r, b}\n";

/* KEYS as take; ARGV bytes.  1 when counted, 0 when there is no hash. */
static const char add_lua[] =
"if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end\n"
"redis.call('HINCRBY', KEYS[1], 'bytes', ARGV[1])\n"
"local pt = redis.call('PTTL', KEYS[2])\n"
"if pt > 0 then redis.call('PEXPIRE', KEYS[1], pt)\n"
"elseif pt == -2 then redis.call('DEL', KEYS[1]) end\n"
"return 1\n";

static int
is_int(const redisReply *x)
{
	return x != NULL && x->type == REDIS_REPLY_INTEGER;
}

enum sg_rc
sg_budget_take(struct sg_redis *r, const char *id, int64_t max_requests,
    int64_t max_bytes, enum sg_budget_verdict *verdict,
    struct sg_budget_use *use, struct sg_err *err)
{
	char		 bkey[KEY_MAX], skey[KEY_MAX], mr[24], mb[24];
	const char	*argv[] = { "EVAL", take_lua, "2", bkey, skey, mr, mb };
	redisReply	*rep = NULL;
	enum sg_rc	 rc;

	*verdict = SG_BUDGET_OK;
	if (r == NULL)
		return sg_err_set(err, SG_EINVAL, NULL, "no redis");
	if ((rc = keys(id, bkey, skey, err)) != SG_OK)
		return rc;
	if (max_requests < 0 || max_bytes < 0)
		return sg_err_set(err, SG_EINVAL, NULL, "negative limit");
	(void)snprintf(mr, sizeof(mr), "%lld", (long long)max_requests);
	(void)snprintf(mb, sizeof(mb), "%lld", (long long)max_bytes);
	if ((rc = sg_redis_run1(r, 7, argv, &rep, err)) != SG_OK)
		return rc;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 3 ||
	    !is_int(rep->element[0]) || !is_int(rep->element[1]) ||
	    !is_int(rep->element[2]) || rep->element[0]->integer < -1 ||
	    rep->element[0]->integer > 2) {
		rc = sg_redis_unexpected(r, "EVAL (budget take)", err);
		goto out;
	}
	if (rep->element[0]->integer == -1) {
		rc = sg_err_set(err, SG_ENOENT, "session_not_found",
		    "no session %s", id);
		goto out;
	}
	*verdict = (enum sg_budget_verdict)rep->element[0]->integer;
	if (use != NULL) {
		use->requests = rep->element[1]->integer;
		use->bytes = rep->element[2]->integer;
	}
	rc = SG_OK;
out:
	freeReplyObject(rep);
	return rc;
}

enum sg_rc
sg_budget_add_bytes(struct sg_redis *r, const char *id, int64_t bytes,
    int *counted, struct sg_err *err)
{
	char		 bkey[KEY_MAX], skey[KEY_MAX], n[24];
	const char	*argv[] = { "EVAL", add_lua, "2", bkey, skey, n };
	redisReply	*rep = NULL;
	enum sg_rc	 rc;

	if (counted != NULL)
		*counted = 0;
	if (r == NULL)
		return sg_err_set(err, SG_EINVAL, NULL, "no redis");
	if ((rc = keys(id, bkey, skey, err)) != SG_OK)
		return rc;
	if (bytes < 0)
		return sg_err_set(err, SG_EINVAL, NULL, "negative byte count");
	(void)snprintf(n, sizeof(n), "%lld", (long long)bytes);
	if ((rc = sg_redis_run1(r, 6, argv, &rep, err)) != SG_OK)
		return rc;
	if (!is_int(rep)) {
		rc = sg_redis_unexpected(r, "EVAL (budget bytes)", err);
		goto out;
	}
	if (counted != NULL)
		*counted = rep->integer == 1;
out:
	freeReplyObject(rep);
	return rc;
}

/* A counter's text ("" or digits) as a number >= 0. */
static int
counter(const redisReply *x, int64_t *v)
{
	long long	 n;
	char		*end;

	*v = 0;
	if (x->type == REDIS_REPLY_NIL)
		return 1;
	if (x->type != REDIS_REPLY_STRING || x->len == 0 || x->len > 20)
		return 0;
	n = strtoll(x->str, &end, 10);
	if (*end != '\0' || n < 0)
		return 0;
	*v = (int64_t)n;
	return 1;
}

enum sg_rc
sg_budget_get(struct sg_redis *r, const char *id, struct sg_budget_use *use,
    struct sg_err *err)
{
	char		 bkey[KEY_MAX], skey[KEY_MAX];
	const char	*argv[] = { "HMGET", bkey, "requests", "bytes" };
	redisReply	*rep = NULL;
	enum sg_rc	 rc;

	memset(use, 0, sizeof(*use));
	if (r == NULL)
		return sg_err_set(err, SG_EINVAL, NULL, "no redis");
	if ((rc = keys(id, bkey, skey, err)) != SG_OK)
		return rc;
	if ((rc = sg_redis_run1(r, 4, argv, &rep, err)) != SG_OK)
		return rc;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 ||
	    !counter(rep->element[0], &use->requests) ||
	    !counter(rep->element[1], &use->bytes)) {
		memset(use, 0, sizeof(*use));
		rc = sg_redis_unexpected(r, "HMGET (budget)", err);
	}
	freeReplyObject(rep);
	return rc;
}

enum sg_rc
sg_budget_del(struct sg_redis *r, const char *id, struct sg_err *err)
{
	char		 bkey[KEY_MAX], skey[KEY_MAX];
	const char	*argv[] = { "DEL", bkey };
	redisReply	*rep = NULL;
	enum sg_rc	 rc;

	if (r == NULL)
		return sg_err_set(err, SG_EINVAL, NULL, "no redis");
	if ((rc = keys(id, bkey, skey, err)) != SG_OK)
		return rc;
	if ((rc = sg_redis_run1(r, 2, argv, &rep, err)) != SG_OK)
		return rc;
	if (!is_int(rep))
		rc = sg_redis_unexpected(r, "DEL (budget)", err);
	freeReplyObject(rep);
	return rc;
}
