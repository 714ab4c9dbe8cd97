/* SPDX-License-Identifier: ISC */
/*
 * The sealed secrets in Redis (secret.h): one hash per sandbox,
 * sandgate:secrets:<container id>, one field per name, the same TTL as
 * the session so the records die with it even when no teardown runs.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claims.h"
#include "redis-private.h"
#include "secret.h"

#define KEY_MAX	(sizeof(SG_SECRET_HASH_PREFIX) + SG_ID_MAX + 1)

/* Ids reach a key only after sg_id_valid (docs/contract.md §5.3). */
static enum sg_rc
mkkey(char *buf, const char *cid, struct sg_err *err)
{
	int	 n;

	if (cid == NULL || !sg_id_valid(cid))
		return sg_err_set(err, SG_EINVAL, "bad_id",
		    "id must match ^[A-Za-z0-9_-]{1,128}$");
	n = snprintf(buf, KEY_MAX, "%s%s", SG_SECRET_HASH_PREFIX, cid);
	if (n < 0 || (size_t)n >= KEY_MAX)
		return sg_err_set(err, SG_EINTERNAL, NULL, "key too long");
	return SG_OK;
}

/*
 * One script, so the count check and the write cannot interleave with
 * another writer's (Redis runs a script atomically).
 */
static const char put_lua[] =
    "if redis.call('HEXISTS',KEYS[1],ARGV[1])==0 and "
    "redis.call('HLEN',KEYS[1])>=tonumber(ARGV[3]) then return -1 end "
    "redis.call('HSET',KEYS[1],ARGV[1],ARGV[2]) "
    "redis.call('EXPIRE',KEYS[1],ARGV[4]) return 1";

enum sg_rc
sg_secret_put(struct sg_redis *r, const char *cid, const char *name,
    const char *rec, long ttl_s, struct sg_err *err)
{
	char		 key[KEY_MAX], max[16], ttl[24];
	const char	*argv[] = { "EVAL", put_lua, "1", key, name, rec, max,
	    ttl };
	redisReply	*rep = NULL;
	enum sg_rc	 rc;

	if (ttl_s <= 0)
		return sg_err_set(err, SG_ENOENT, "session_not_found",
		    "the session has expired");
	if ((rc = mkkey(key, cid, err)) != SG_OK)
		return rc;
	(void)snprintf(max, sizeof(max), "%d", SG_SECRET_PER_SANDBOX);
	(void)snprintf(ttl, sizeof(ttl), "%ld", ttl_s);
	if ((rc = sg_redis_run1(r, 8, argv, &rep, err)) != SG_OK)
		return rc;
	if (rep->type != REDIS_REPLY_INTEGER)
		rc = sg_redis_unexpected(r, "EVAL (secret put)", err);
	else if (rep->integer < 0)
		rc = sg_err_set(err, SG_ELIMIT, "too_many_secrets",
		    "a sandbox holds at most %d secrets", SG_SECRET_PER_SANDBOX);
	freeReplyObject(rep);
	return rc;
}

enum sg_rc
sg_secret_get(struct sg_redis *r, const char *cid, const char *name,
    char **rec, size_t *len, struct sg_err *err)
{
	char		 key[KEY_MAX];
	const char	*argv[] = { "HGET", key, name };
	redisReply	*rep = NULL;
	enum sg_rc	 rc;

	*rec = NULL;
	*len = 0;
	if ((rc = mkkey(key, cid, err)) != SG_OK)
		return rc;
	if ((rc = sg_redis_run1(r, 3, argv, &rep, err)) != SG_OK)
		return rc;
	if (rep->type == REDIS_REPLY_NIL)
		rc = sg_err_set(err, SG_ENOENT, "secret_not_found",
		    "this sandbox has no secret of that name");
	else if (rep->type != REDIS_REPLY_STRING ||
	    rep->len > SG_SECRET_REC_MAX)
		rc = sg_redis_unexpected(r, "HGET (secret)", err);
	else if ((*rec = malloc(rep->len + 1)) == NULL)
		rc = sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
	else {
		memcpy(*rec, rep->str, rep->len);
		(*rec)[rep->len] = '\0';
		*len = rep->len;
	}
	freeReplyObject(rep);
	return rc;
}

enum sg_rc
sg_secret_del(struct sg_redis *r, const char *cid, const char *name,
    struct sg_err *err)
{
	char		 key[KEY_MAX];
	const char	*argv[] = { "HDEL", key, name };
	redisReply	*rep = NULL;
	enum sg_rc	 rc;

	if ((rc = mkkey(key, cid, err)) != SG_OK)
		return rc;
	if ((rc = sg_redis_run1(r, 3, argv, &rep, err)) != SG_OK)
		return rc;
	if (rep->type != REDIS_REPLY_INTEGER)
		rc = sg_redis_unexpected(r, "HDEL (secret)", err);
	else if (rep->integer == 0)
		rc = sg_err_set(err, SG_ENOENT, "secret_not_found",
		    "this sandbox has no secret of that name");
	freeReplyObject(rep);
	return rc;
}

enum sg_rc
sg_secret_del_all(struct sg_redis *r, const char *cid, struct sg_err *err)
{
	char		 key[KEY_MAX];
	const char	*argv[] = { "DEL", key };
	redisReply	*rep = NULL;
	enum sg_rc	 rc;

	if ((rc = mkkey(key, cid, err)) != SG_OK)
		return rc;
	if ((rc = sg_redis_run1(r, 2, argv, &rep, err)) != SG_OK)
		return rc;
	if (rep->type != REDIS_REPLY_INTEGER)
		rc = sg_redis_unexpected(r, "DEL (secrets)", err);
	freeReplyObject(rep);
	return rc;
}
