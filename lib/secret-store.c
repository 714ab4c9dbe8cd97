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
#include "json.h"
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

/* Insert {"name","host"} into arr, kept sorted by name. */
static int
list_add(cJSON *arr, const char *name, size_t nl, const char *rec,
    size_t len)
{
	cJSON		*o, *r, *at;
	const char	*host;
	char		 nm[SG_SECRET_NAME_MAX + 1];
	size_t		 k;
	int		 i = 0;

	if (nl == 0 || nl > SG_SECRET_NAME_MAX)
		return 0;		/* not one of ours: skipped */
	for (k = 0; k < nl; k++)
		if (!((name[k] >= 'A' && name[k] <= 'Z') ||
		    (name[k] >= '0' && name[k] <= '9') || name[k] == '_'))
			return 0;
	memcpy(nm, name, nl);
	nm[nl] = '\0';
	if ((r = cJSON_ParseWithLength(rec, len)) == NULL)
		return 0;
	if ((host = sg_json_str(r, "host")) != NULL &&
	    (strlen(host) > SG_HOST_MAX + 8 || !sg_str_printable(host)))
		host = NULL;
	if (host == NULL || (o = cJSON_CreateObject()) == NULL ||
	    sg_json_add_str(o, "name", nm) == -1 ||
	    sg_json_add_str(o, "host", host) == -1) {
		cJSON_Delete(r);
		return host == NULL ? 0 : -1;
	}
	cJSON_Delete(r);
	cJSON_ArrayForEach(at, arr) {
		if (strcmp(sg_json_str(at, "name"), nm) > 0)
			break;
		i++;
	}
	if (at == NULL)
		return cJSON_AddItemToArray(arr, o) ? 0 : -1;
	return cJSON_InsertItemInArray(arr, i, o) ? 0 : -1;
}

enum sg_rc
sg_secret_list(struct sg_redis *r, const char *cid, cJSON **out,
    struct sg_err *err)
{
	char		 key[KEY_MAX];
	const char	*argv[] = { "HGETALL", key };
	redisReply	*rep = NULL;
	cJSON		*arr;
	size_t		 i;
	enum sg_rc	 rc;

	*out = NULL;
	if ((rc = mkkey(key, cid, err)) != SG_OK)
		return rc;
	if ((rc = sg_redis_run1(r, 2, argv, &rep, err)) != SG_OK)
		return rc;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements % 2 != 0 ||
	    rep->elements > 2 * SG_SECRET_PER_SANDBOX) {
		rc = sg_redis_unexpected(r, "HGETALL (secrets)", err);
		goto out;
	}
	if ((arr = cJSON_CreateArray()) == NULL) {
		rc = sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
		goto out;
	}
	for (i = 0; i < rep->elements; i += 2) {
		if (rep->element[i]->type != REDIS_REPLY_STRING ||
		    rep->element[i + 1]->type != REDIS_REPLY_STRING ||
		    rep->element[i + 1]->len > SG_SECRET_REC_MAX) {
			cJSON_Delete(arr);
			rc = sg_redis_unexpected(r, "HGETALL (secrets)", err);
			goto out;
		}
		if (list_add(arr, rep->element[i]->str, rep->element[i]->len,
		    rep->element[i + 1]->str, rep->element[i + 1]->len) != 0) {
			cJSON_Delete(arr);
			rc = sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
			goto out;
		}
	}
	*out = arr;
out:
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
