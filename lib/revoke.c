/* SPDX-License-Identifier: ISC */
/*
 * The operator-token denylist (revoke.h): SET key who EXAT until, and
 * EXISTS.  Redis drops each entry when the token would have expired.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "claims.h"
#include "redis-private.h"
#include "revoke.h"

#define KEY_MAX		(sizeof(SG_REVOKED_PREFIX) + SG_ID_MAX + 1)

static enum sg_rc
mkkey(char buf[KEY_MAX], const char *jti, struct sg_err *err)
{
	if (jti == NULL || !sg_id_valid(jti))
		return sg_err_set(err, SG_EINVAL, "bad_jti",
		    "jti must match ^[A-Za-z0-9_-]{1,128}$");
	(void)snprintf(buf, KEY_MAX, "%s%s", SG_REVOKED_PREFIX, jti);
	return SG_OK;
}

static int
printable(const char *s)
{
	size_t	 n = 0;

	for (; *s != '\0'; s++, n++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return n > 0 && n <= SG_REVOKED_WHO_MAX;
}

enum sg_rc
sg_revoke_put(struct sg_redis *r, const char *jti, int64_t until,
    int64_t now, const char *who, struct sg_err *err)
{
	char		 key[KEY_MAX], at[24];
	const char	*argv[5];
	redisReply	*rep = NULL;
	enum sg_rc	 rc;

	if ((rc = mkkey(key, jti, err)) != SG_OK)
		return rc;
	/* A token that is already dead needs no entry (and EXAT refuses). */
	if (until <= now)
		return sg_err_set(err, SG_EINVAL, "bad_until",
		    "the token has expired already; nothing to revoke");
	if (who == NULL || !printable(who))
		return sg_err_set(err, SG_EINVAL, "bad_who",
		    "who must be 1 to %d printable ASCII bytes",
		    SG_REVOKED_WHO_MAX);
	(void)snprintf(at, sizeof(at), "%lld", (long long)until);
	argv[0] = "SET";
	argv[1] = key;
	argv[2] = who;
	argv[3] = "EXAT";
	argv[4] = at;
	if ((rc = sg_redis_run1(r, 5, argv, &rep, err)) != SG_OK)
		return rc;
	if (!sg_redis_is_status(rep, "OK"))
		rc = sg_redis_unexpected(r, "SET", err);
	sg_redis_free_replies(&rep, 1);
	return rc;
}

enum sg_rc
sg_revoke_check(struct sg_redis *r, const char *jti, int *revoked,
    struct sg_err *err)
{
	char		 key[KEY_MAX];
	const char	*argv[2];
	redisReply	*rep = NULL;
	enum sg_rc	 rc;

	*revoked = 0;
	if ((rc = mkkey(key, jti, err)) != SG_OK)
		return rc;
	argv[0] = "EXISTS";
	argv[1] = key;
	if ((rc = sg_redis_run1(r, 2, argv, &rep, err)) != SG_OK)
		return rc;
	if (rep->type != REDIS_REPLY_INTEGER)
		rc = sg_redis_unexpected(r, "EXISTS", err);
	else
		*revoked = rep->integer != 0;
	sg_redis_free_replies(&rep, 1);
	return rc;
}
