/* SPDX-License-Identifier: ISC */
/*
 * A sandbox's budget counters in Redis (docs/contract.md §7): how many
 * egress requests token-verify allowed and how many bytes Apache moved
 * for it, against the limits in its session (session.h, budget_*).
 *
 * sandgate:budget:<id>  a hash {requests, bytes}; it expires with the
 *                       session (each update copies the session key's
 *                       PTTL onto it) and sg_session_del deletes it.
 *
 * Only sandboxes with a budget are counted: token-verify creates the
 * hash on their first allowed request (sg_budget_take), and the byte
 * counter (sandgate-budget-log) adds only to a hash that exists, so an
 * unlimited sandbox costs no Redis call.  Every update is one Lua
 * script (EVAL; every value an argument), so concurrent workers and
 * the byte counter never lose an increment.
 */
#ifndef SG_BUDGET_H
#define SG_BUDGET_H

#include <stdint.h>

#include "redis.h"
#include "sgerr.h"

#define SG_BUDGET_KEY_PREFIX	"sandgate:budget:"

enum sg_budget_verdict {
	SG_BUDGET_OK = 0,
	SG_BUDGET_REQUESTS,	/* the requests budget is used up */
	SG_BUDGET_BYTES		/* the bytes budget is used up */
};

struct sg_budget_use {
	int64_t		 requests;
	int64_t		 bytes;
};

/*
 * One allowed request of id against its limits (0 = unlimited): when
 * bytes already reached max_bytes or requests max_requests, *verdict
 * says which (bytes first) and nothing is counted; else requests goes
 * up by one and *verdict is SG_BUDGET_OK.  *use (may be NULL): the
 * counters after the call.  SG_ENOENT "session_not_found" when the
 * session key is gone (nothing is created then).
 */
enum sg_rc	 sg_budget_take(struct sg_redis *, const char *id,
		    int64_t max_requests, int64_t max_bytes,
		    enum sg_budget_verdict *verdict, struct sg_budget_use *use,
		    struct sg_err *);
/*
 * Add bytes (>= 0) to id's counter, only when its hash exists (a
 * sandbox with a budget that made a request).  *counted (may be NULL)
 * is 1 when it did.
 */
enum sg_rc	 sg_budget_add_bytes(struct sg_redis *, const char *id,
		    int64_t bytes, int *counted, struct sg_err *);
/* The counters; both 0 when the hash is absent. */
enum sg_rc	 sg_budget_get(struct sg_redis *, const char *id,
		    struct sg_budget_use *, struct sg_err *);
/* Drop the counters (the session is being deleted). */
enum sg_rc	 sg_budget_del(struct sg_redis *, const char *id,
		    struct sg_err *);

#endif
