/*
 * Sessions in Redis (DESIGN.md, Sessions), on the hiredis 0.14 API.
 *
 * sandgate:session:<id>  one JSON object, TTL = seconds until expires_at
 * sandgate:user:<user>   a set of that user's container ids
 *
 * One connection per process, opened lazily, with connect and command
 * timeouts; after any error the context is dropped and the next call
 * reconnects (a hiredis context is dead after an error).  Values go to
 * Redis only as arguments (redisCommandArgv), never inside a format.
 * The raw token is never stored: only its SHA-256.
 */
#ifndef SG_SESSION_H
#define SG_SESSION_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "claims.h"
#include "err.h"

#define SG_SESSION_MAX_JSON	(64 * 1024)

struct sg_session {
	char		 container_id[SG_ID_MAX + 1];
	char		 user_id[SG_ID_MAX + 1];
	char		 org[SG_UUID_LEN + 1];
	char		 jti[SG_ID_MAX + 1];
	char		 token_sha256[65];
	char		*allowed_hosts;		/* comma list, malloc'd, may be "" */
	char		 container_ip[64];	/* "" when none (network none) */
	char		 docker_id[80];
	char		 image[256];
	int64_t		 created_at;
	int64_t		 expires_at;
};

struct sg_redis;

/*
 * url: "redis://[:password@]host:port[/db]" or "unix:/path[?db=N]"
 * (a password may also come from SANDGATE_REDIS_PASSWORD).  Does not
 * connect yet.  timeout_ms bounds connect and each command.
 */
enum sg_rc	 sg_redis_new(const char *url, int timeout_ms,
		    struct sg_redis **, struct sg_err *);
void		 sg_redis_free(struct sg_redis *);
/* PING; SG_EUNAVAIL when Redis cannot answer. */
enum sg_rc	 sg_redis_ping(struct sg_redis *, struct sg_err *);

void		 sg_session_init(struct sg_session *);
void		 sg_session_clear(struct sg_session *);
/* The contract's JSON object (allowed_hosts as an array). */
cJSON		*sg_session_to_json(const struct sg_session *);
enum sg_rc	 sg_session_from_json(const cJSON *, struct sg_session *,
		    struct sg_err *);

/*
 * Write the session and add its id to the user's set, atomically
 * (MULTI/EXEC), with TTL expires_at - now (SG_EINVAL if <= 0).
 */
enum sg_rc	 sg_session_put(struct sg_redis *, const struct sg_session *,
		    time_t now, struct sg_err *);
/* SG_ENOENT when absent; SG_EUNAVAIL/SG_ETIMEOUT when Redis is down. */
enum sg_rc	 sg_session_get(struct sg_redis *, const char *id,
		    struct sg_session *, struct sg_err *);
/* Delete the session and its index entry (user may be NULL: read first). */
enum sg_rc	 sg_session_del(struct sg_redis *, const char *id,
		    const char *user, struct sg_err *);
/*
 * The user's live sessions as a JSON array (the caller owns it); ids
 * whose session has expired are removed from the set on the way.
 */
enum sg_rc	 sg_session_list(struct sg_redis *, const char *user,
		    cJSON **, struct sg_err *);
/* How many live sessions the user has (expired ids pruned). */
enum sg_rc	 sg_session_count(struct sg_redis *, const char *user,
		    size_t *, struct sg_err *);
/* Every user index key's members, for the reaper: ids whose session is gone are removed; *pruned counts them. */
enum sg_rc	 sg_session_prune(struct sg_redis *, size_t *pruned,
		    struct sg_err *);

#endif
