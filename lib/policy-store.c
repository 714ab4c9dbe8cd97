/* SPDX-License-Identifier: ISC */
/*
 * Writing a session's policy (session.h: sg_session_replace): a
 * compare-and-set on the stored session, so that a write never brings
 * back a destroyed session nor loses a concurrent change.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "redis-private.h"
#include "session.h"

#define KEY_MAX		(sizeof(SG_SESSION_KEY_PREFIX) + SG_ID_MAX + 1)

/*
 * KEYS[1] the session; ARGV[1] its jti, ARGV[2] the policy revision the
 * caller read (0: none), ARGV[3] the new text.  1 written, 0 no session,
 * -1 another token's session now, -2 the policy changed meanwhile.  The
 * TTL stays (KEEPTTL): the session still ends when its token does.
 */
static const char replace_lua[] =
"local v = redis.call('GET', KEYS[1])\n"
"if not v then return 0 end\n"
"local o = cjson.decode(v)\n"
"if o.jti ~= ARGV[1] then return -1 end\n"
"local rev = 0\n"
"if type(o.policy) == 'table' and type(o.policy.rev) == 'number' then\n"
"  rev = o.policy.rev\n"
"end\n"
"if rev ~= tonumber(ARGV[2]) then return -2 end\n"
"redis.call('SET', KEYS[1], ARGV[3], 'KEEPTTL')\n"
"return 1\n";

enum sg_rc
sg_session_replace(struct sg_redis *r, const struct sg_session *s,
    int64_t old_rev, struct sg_err *err)
{
	char		 key[KEY_MAX], rev[24];
	const char	*argv[] = { "EVAL", replace_lua, "1", key, NULL, rev,
	    NULL };
	redisReply	*rep = NULL;
	cJSON		*j = NULL;
	char		*txt = NULL;
	int		 n;
	enum sg_rc	 rc;

	if (r == NULL || s == NULL)
		return sg_err_set(err, SG_EINVAL, NULL, "no session");
	if ((rc = sg_session_check(s, SG_EINVAL, "bad_session", err)) != SG_OK)
		return rc;
	n = snprintf(key, sizeof(key), "%s%s", SG_SESSION_KEY_PREFIX,
	    s->container_id);
	if (n < 0 || (size_t)n >= sizeof(key))
		return sg_err_set(err, SG_EINTERNAL, NULL, "key too long");
	(void)snprintf(rev, sizeof(rev), "%lld", (long long)old_rev);
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
	argv[4] = s->jti;
	argv[6] = txt;
	if ((rc = sg_redis_run1(r, 7, argv, &rep, err)) != SG_OK)
		goto out;
	if (rep->type != REDIS_REPLY_INTEGER) {
		rc = sg_redis_unexpected(r, "EVAL (replace)", err);
		goto out;
	}
	switch (rep->integer) {
	case 1:
		rc = SG_OK;
		break;
	case 0:
	case -1:
		rc = sg_err_set(err, SG_ENOENT, "session_not_found",
		    "the session is gone");
		break;
	default:
		rc = sg_err_set(err, SG_ECONFLICT, "policy_conflict",
		    "the policy changed meanwhile");
		break;
	}
out:
	freeReplyObject(rep);
	free(txt);
	cJSON_Delete(j);
	return rc;
}
