/* SPDX-License-Identifier: ISC */
/*
 * Sessions in Redis (docs/contract.md §7): the codec (session.c: the
 * stored object to and from JSON, and its validation; no Redis) and the
 * store on the Redis client of redis.h (session-store.c).
 *
 * sandgate:session:<id>  one JSON object, TTL = seconds until expires_at
 * sandgate:user:<user>   a set of that user's container ids
 *
 * The URL, the connection and the classification of Redis errors are
 * redis.h's.  The raw token is never stored: only its SHA-256.
 *
 * Behaviour (decisions made here; the format is a contract with other
 * tools, so both directions are strict and the same):
 *
 * - Ids (container, user) are checked with sg_id_valid before they reach
 *   a key: SG_EINVAL "bad_id", with no Redis call.
 * - Stored object: exactly the members of sg_session_to_json (container_id,
 *   user_id, organization_uuid, jti, token_sha256, allowed_hosts,
 *   container_ip, docker_id, image, created_at, expires_at).  Reading
 *   (sg_session_from_json) needs every member exactly once with its type:
 *   ids by sg_id_valid, organization_uuid by sg_uuid_valid,
 *   token_sha256 64 lowercase hex, allowed_hosts an array (at most
 *   SG_HOSTS_MAX) of strings each accepted by sg_hostpat_parse and free
 *   of ',', container_ip "" or an IPv4/IPv6 literal, docker_id "" or at
 *   most 64 lowercase hex, image [A-Za-z0-9._/:@-]{0,255}, created_at
 *   and expires_at integral numbers in (0, 2^40) with created_at <=
 *   expires_at, and optionally "policy" (lib/policy.h's stored form,
 *   sg_policy_from_json; absent in sessions written before it and when
 *   no overlay or grant is set), and optionally "budget"
 *   (sg_session_budget_parse; absent: unlimited, and the output has it
 *   only when a limit is set).  Unknown members are ignored (they never reach the
 *   output, which is rebuilt from the struct).  Anything else, a text
 *   that sg_json_parse_object refuses, over SG_SESSION_MAX_JSON, or a
 *   container_id that differs from the key: SG_EUPSTREAM "bad_session".
 *   sg_session_put applies the same rules (SG_EINVAL "bad_session").
 * - get: SG_ENOENT "session_not_found" when absent.  The TTL is Redis's
 *   business; callers compare expires_at with their own clock.  Reads
 *   (get, list, count) are bounded: MULTI, EXISTS + GETRANGE 0
 *   SG_SESSION_MAX_JSON per key, EXEC, so a huge value stored by someone
 *   else is never read whole (GET would read up to 512 MB).
 * - del: SG_ENOENT when there was no session (the index entry is removed
 *   anyway when user is given).  With user NULL the session is read to
 *   find the user; if it is corrupt, the key alone is deleted (SG_OK) and
 *   the index entry is left to pruning.
 * - list/count: at most SG_SESSION_MAX_PER_USER ids per user (more is
 *   SG_ETOOBIG "too_many_sessions"), read with one bounded SRANDMEMBER.
 *   Ids whose session is gone (expired or evicted), that are no valid
 *   id, or whose session names another user are dropped and SREM'd from
 *   the set (best effort: a failed SREM does not fail the read).  A
 *   corrupt session fails the call (SG_EUPSTREAM "bad_session"): fail
 *   closed, count feeds the per-user quota.  list is sorted by
 *   created_at, then container_id.
 * - reserve (the per-user limit, SANDGATE_MAX_SANDBOXES_PER_USER).
 *   Counting (count) and then writing the session (put) would let
 *   concurrent creates for one user all pass the count.  So the check
 *   and the claim are one Lua script (EVAL; every value an argument):
 *   it counts the ids of sandgate:user:<user> whose session exists plus
 *   the pending reservations, and only below the limit adds the new id
 *   to sandgate:reserve:<user>, a sorted set of ids scored by a deadline
 *   (Redis's own clock, TIME, plus ttl_ms; expired ones are removed
 *   first; the key expires with its last deadline).  The reservations
 *   live in their own key, not in the user's set, on purpose: the set
 *   keeps the contract's meaning (ids of written sessions), and list,
 *   count, prune or another tool that drops ids without a session never
 *   drop a pending reservation.  A reservation whose session has been
 *   written is counted once.  The caller writes the session (put) and
 *   then unreserves; on any failure it unreserves (and del's).  A
 *   caller that dies holds one slot until ttl_ms passes; ttl_ms must
 *   exceed the longest create.  Ids in the set are counted when their
 *   session key exists (count also checks the session's user: the
 *   script is the stricter of the two).  Over SG_SESSION_MAX_PER_USER
 *   members: SG_ETOOBIG "too_many_sessions", as count.
 * - prune: SCAN MATCH sandgate:user:* COUNT 100, at most
 *   SG_SESSION_PRUNE_MAX_SCAN rounds (a partial pass is SG_OK), each set
 *   cleaned as by count; Redis deletes a set whose last member goes.  Sets
 *   that cannot be cleaned are skipped; SG_EUNAVAIL/SG_ETIMEOUT stop it.
 */
#ifndef SG_SESSION_H
#define SG_SESSION_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "claims.h"
#include "policy.h"
#include "redis.h"
#include "sgerr.h"

#define SG_SESSION_MAX_JSON	(64 * 1024)
#define SG_SESSION_KEY_PREFIX	"sandgate:session:"
#define SG_SESSION_USER_PREFIX	"sandgate:user:"
#define SG_SESSION_RESERVE_PREFIX "sandgate:reserve:"
#define SG_SESSION_RESERVE_MAX_MS (24 * 3600 * 1000LL)
#define SG_SESSION_MAX_PER_USER	1000	/* ids read from a user's set */
#define SG_SESSION_PRUNE_MAX_SCAN 100000	/* SCAN rounds per prune */
/*
 * A sandbox's budget (docs/contract.md §7): at most this many allowed
 * egress requests and transferred bytes; 0 is unlimited.  Both bounds
 * stay below 2^53, so a JSON number holds them exactly.
 */
#define SG_BUDGET_MAX_REQUESTS	1000000000000LL		/* 10^12 */
#define SG_BUDGET_MAX_BYTES	((int64_t)1 << 50)	/* 1 PiB */

#define SG_ENGINE_NAME_MAX	32

/*
 * An engine name of SANDGATE_DOCKER_HOSTS (n bytes at s):
 * ^[a-z0-9][a-z0-9_-]{0,31}$.
 */
int		 sg_engine_name_valid(const char *s, size_t n);

struct sg_session {
	char		 container_id[SG_ID_MAX + 1];
	char		 user_id[SG_ID_MAX + 1];
	char		 org[SG_UUID_LEN + 1];
	char		 jti[SG_ID_MAX + 1];
	char		 token_sha256[65];
	char		*allowed_hosts;		/* comma list, malloc'd */
	char		 container_ip[64];	/* "" for network none */
	char		 docker_id[80];
	char		 image[256];
	int64_t		 created_at;
	int64_t		 expires_at;
	int64_t		 budget_requests;	/* 0: unlimited */
	int64_t		 budget_bytes;		/* 0: unlimited */
	/* the Docker engine it runs on (lib/engines.h); "": the first */
	char		 engine[SG_ENGINE_NAME_MAX + 1];
	/* the narrow-only overlay and grants (policy.h); NULL: none */
	struct sg_policy *policy;
};

void		 sg_session_init(struct sg_session *);
void		 sg_session_clear(struct sg_session *);
/*
 * The contract's JSON object (allowed_hosts as an array); NULL on ENOMEM.
 * from_json and get fill an initialised struct, replacing (and freeing)
 * what it held; on failure it is left untouched.
 */
cJSON		*sg_session_to_json(const struct sg_session *);
enum sg_rc	 sg_session_from_json(const cJSON *, struct sg_session *,
		    struct sg_err *);
/*
 * Every field against the contract: the same rules for what is written
 * (put: bad = SG_EINVAL) and what is read (SG_EUPSTREAM "bad_session").
 */
enum sg_rc	 sg_session_check(const struct sg_session *, enum sg_rc bad,
		    const char *code, struct sg_err *);
/*
 * A "budget" object: {"requests":N,"bytes":N}, each member optional,
 * at least one, nothing else; N an integer from 1 to
 * SG_BUDGET_MAX_REQUESTS / SG_BUDGET_MAX_BYTES.  Absent members are 0
 * (unlimited).  On failure err names the member (rc bad, code).
 */
enum sg_rc	 sg_session_budget_parse(const cJSON *, int64_t *requests,
		    int64_t *bytes, enum sg_rc bad, const char *code,
		    struct sg_err *);

/*
 * Write the session and add its id to the user's set, atomically
 * (MULTI/EXEC), with TTL expires_at - now (SG_EINVAL if <= 0).
 */
enum sg_rc	 sg_session_put(struct sg_redis *, const struct sg_session *,
		    time_t now, struct sg_err *);
/*
 * Rewrite an existing session (its policy changed; lib/policy-store.c)
 * if it still holds s->jti and a policy of revision old_rev (0: none),
 * keeping its TTL: SG_ENOENT "session_not_found" when it is gone or
 * another token's, SG_ECONFLICT "policy_conflict" when changed meanwhile.
 */
enum sg_rc	 sg_session_replace(struct sg_redis *, const struct sg_session *,
		    int64_t old_rev, struct sg_err *);
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
/*
 * Reserve one of user's limit (> 0) slots for
 * the new id, atomically with the count, for ttl_ms (see reserve above):
 * SG_OK, or SG_ELIMIT "too_many_sandboxes" at the limit.  *count (may
 * be NULL): the user's sessions and reservations, the new one included
 * on SG_OK.  Safe to repeat for the same id.
 */
enum sg_rc	 sg_session_reserve(struct sg_redis *, const char *user,
		    const char *id, size_t limit, int64_t ttl_ms,
		    size_t *count, struct sg_err *);
/* Drop id's reservation: after its put, or when the create fails. */
enum sg_rc	 sg_session_unreserve(struct sg_redis *, const char *user,
		    const char *id, struct sg_err *);
/*
 * *live = 1 when id holds an unexpired reservation of user's (its
 * sandbox-create is still running), else 0.  For the reaper: a container
 * without a session whose id is reserved is being created, not orphaned.
 */
enum sg_rc	 sg_session_reserved(struct sg_redis *, const char *user,
		    const char *id, int *live, struct sg_err *);
/*
 * Every user index key's members, for the reaper: ids whose session is
 * gone are removed; *pruned counts them.
 */
enum sg_rc	 sg_session_prune(struct sg_redis *, size_t *pruned,
		    struct sg_err *);
/*
 * How many sessions exist: SCAN MATCH sandgate:session:* COUNT 1000 for
 * at most max_rounds rounds (GET /metrics: bounded work per scrape).
 * *complete is 1 when the scan reached its end.  Approximate while
 * Redis rehashes (SCAN may repeat a key).
 */
enum sg_rc	 sg_session_count_live(struct sg_redis *, size_t max_rounds,
		    size_t *n, int *complete, struct sg_err *);

#endif
