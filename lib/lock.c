/* SPDX-License-Identifier: ISC */
/* The Redis lock (lock.h). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "compat.h"
#include "crypto.h"
#include "lock.h"
#include "redis-private.h"

#define KEY_PREFIX	"sandgate:lock:"

/* Compare-and-delete, atomic in Redis (a script runs alone). */
static const char release_lua[] =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
    "return redis.call('DEL', KEYS[1]) else return 0 end";

static enum sg_rc
mkkey(char *buf, size_t size, const char *name, struct sg_err *err)
{
	size_t	 i, n;

	n = name != NULL ? strlen(name) : 0;
	if (n == 0 || n > SG_LOCK_NAME_MAX)
		return sg_err_set(err, SG_EINVAL, "bad_lock", "bad lock name");
	for (i = 0; i < n; i++) {
		char	 c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == ':' ||
		    c == '.' || c == '-'))
			return sg_err_set(err, SG_EINVAL, "bad_lock",
			    "bad lock name");
	}
	(void)snprintf(buf, size, "%s%s", KEY_PREFIX, name);
	return SG_OK;
}

enum sg_rc
sg_lock_take(struct sg_redis *r, const char *name, int ttl_ms,
    char token[SG_LOCK_TOKEN_LEN + 1], int *got, struct sg_err *err)
{
	char		 key[sizeof(KEY_PREFIX) + SG_LOCK_NAME_MAX];
	char		 px[16];
	unsigned char	 raw[SG_LOCK_TOKEN_LEN / 2];
	const char	*argv[6];
	redisReply	*rep = NULL;
	enum sg_rc	 rc;
	size_t		 i;

	*got = 0;
	token[0] = '\0';
	if ((rc = mkkey(key, sizeof(key), name, err)) != SG_OK)
		return rc;
	if (ttl_ms < 1 || ttl_ms > SG_LOCK_MAX_TTL_MS)
		return sg_err_set(err, SG_EINVAL, "bad_lock",
		    "lock ttl must be 1..%d ms", SG_LOCK_MAX_TTL_MS);
	if ((rc = sg_random(raw, sizeof(raw), err)) != SG_OK)
		return rc;
	for (i = 0; i < sizeof(raw); i++)
		(void)snprintf(token + 2 * i, 3, "%02x", raw[i]);
	(void)snprintf(px, sizeof(px), "%d", ttl_ms);
	argv[0] = "SET";
	argv[1] = key;
	argv[2] = token;
	argv[3] = "NX";
	argv[4] = "PX";
	argv[5] = px;
	if ((rc = sg_redis_run1(r, 6, argv, &rep, err)) != SG_OK)
		goto out;
	if (sg_redis_is_status(rep, "OK"))
		*got = 1;
	else if (rep->type != REDIS_REPLY_NIL)
		rc = sg_redis_unexpected(r, "SET NX", err);
out:
	if (rep != NULL)
		freeReplyObject(rep);
	if (!*got)
		token[0] = '\0';
	return rc;
}

enum sg_rc
sg_lock_release(struct sg_redis *r, const char *name, const char *token,
    int *released, struct sg_err *err)
{
	char		 key[sizeof(KEY_PREFIX) + SG_LOCK_NAME_MAX];
	const char	*argv[5];
	redisReply	*rep = NULL;
	enum sg_rc	 rc;

	*released = 0;
	if ((rc = mkkey(key, sizeof(key), name, err)) != SG_OK)
		return rc;
	if (token == NULL || strlen(token) != SG_LOCK_TOKEN_LEN)
		return sg_err_set(err, SG_EINVAL, "bad_lock", "bad lock token");
	argv[0] = "EVAL";
	argv[1] = release_lua;
	argv[2] = "1";
	argv[3] = key;
	argv[4] = token;
	if ((rc = sg_redis_run1(r, 5, argv, &rep, err)) != SG_OK)
		return rc;
	if (rep->type != REDIS_REPLY_INTEGER)
		rc = sg_redis_unexpected(r, "EVAL", err);
	else
		*released = rep->integer == 1;
	freeReplyObject(rep);
	return rc;
}
