/* SPDX-License-Identifier: ISC */
/*
 * The audit trail: every decision line of token-verify and the sandbox
 * lifecycle events (sandbox_created, sandbox_create_failed, sandbox_revoked,
 * sandbox_destroyed, sandbox_destroy_failed, sandbox_reaped) also go to
 * the Redis stream sandgate:audit, capped with XADD MAXLEN ~ N
 * (SANDGATE_AUDIT_MAXLEN, default 100000; 0 turns the trail off).  An
 * entry holds the members of the log line as fields: ts, service, level,
 * event and, for decisions, mode, decision, reason, status,
 * container_id, jti, sub, target, latency_us.  Never a token: the line
 * never had one (log.h).
 *
 * Writing never blocks or fails a decision.  The line is on stderr
 * before the trail is tried (log.c).  The trail has its own Redis
 * connection (never the session one, whose reads wait up to
 * SANDGATE_REDIS_TIMEOUT_MS), which is non-blocking once connected: an
 * XADD is queued and written (see Batches) as far as the socket takes
 * it, the answers are read later without waiting and thrown away
 * (sg_redis_send).  If Redis is stopped or slow the queue grows to
 * SG_AUDIT_MAX_PENDING bytes, then entries are dropped (and counted)
 * until Redis reads again.  Connecting waits at most SG_AUDIT_CONNECT_MS, and after a
 * failure there is no new try for a second.  The trail is therefore
 * best effort; stderr (journald) remains the log of record.
 *
 * Per-sandbox trails.  An entry whose container_id is set also goes to
 * sandgate:audit:<container_id>, capped at SG_AUDIT_SANDBOX_MAXLEN and
 * expiring SG_AUDIT_SANDBOX_TTL after its last entry, so that a flood
 * from one source, which rolls the shared stream over, cannot evict
 * another sandbox's trail.  This is safe because container_id is only
 * ever what a verified token (or sandbox-create itself) proved: a name
 * that only the credentials gave is claimed_container_id and makes no
 * key (docs/security.md 4.5), so keys exist only for real sandboxes.
 *
 * Repeated denials.  A denial identical to the one before it from this
 * process (mode, container_id, claimed_container_id, reason, status,
 * target) within SG_AUDIT_REPEAT_MS of the first of the run is counted,
 * not written; the run ends with one "decision_repeated" entry (the
 * first line's fields, "count" of those not written, "first_ts",
 * "last_ts") when another entry comes or the window has passed.  A
 * flood of one denial thus costs a few entries per second per worker
 * instead of one per request.  A run still open when the flood stops is
 * written by sg_audit_tick, which the services call between requests
 * (lib/ops.c, every SG_OPS_IDLE_MS), or with the process's next entry,
 * or at sg_audit_free.
 *
 * Batches.  A decision's entries are queued, not written: the process
 * writes them all with one write(2) when it is about to wait for its
 * next request (sg_audit_push), and the per-sandbox copies of all of
 * them go in one call of the chain script, which reads each stream's
 * last entry and sets its expiry once per call.  When the last push was
 * less than SG_AUDIT_BATCH_US ago (a worker under load), the push waits
 * for the rest of that window, and the process's wait for requests ends
 * then at the latest: requests of the window share one script call.
 * At a lower rate every request's entries go out when it is done.  So
 * no entry waits more than SG_AUDIT_BATCH_US past its request, at most
 * SG_AUDIT_BATCH_MAX copies or about SG_AUDIT_BATCH_BYTES of them wait,
 * and every other event (the lifecycle ones) is written at once, with
 * what waits before it.
 *
 * Reading, for GET /v1/sessions/{id}/decisions: the sandbox's own
 * stream, newest first; when it does not exist (entries written before
 * per-sandbox trails), the shared stream, filtered on container_id, at
 * most scan_max entries per request ("recent" then means within the
 * last scan_max entries of the whole trail; the answer says whether the
 * scan reached its end).
 */
#ifndef SG_AUDIT_H
#define SG_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "sgerr.h"
#include "redis.h"

#define SG_AUDIT_STREAM		"sandgate:audit"
#define SG_AUDIT_DEFAULT_MAXLEN	100000
#define SG_AUDIT_MAX_PENDING	(1024 * 1024)	/* bytes queued, at most */
#define SG_AUDIT_CONNECT_MS	50
#define SG_AUDIT_MAX_FIELDS	40		/* fields of one entry */
#define SG_AUDIT_SCAN_MAX	10000		/* entries read per request */
#define SG_AUDIT_LIMIT_DEFAULT	100
#define SG_AUDIT_LIMIT_MAX	1000
#define SG_AUDIT_SANDBOX_PREFIX	"sandgate:audit:"	/* + container id */
#define SG_AUDIT_SANDBOX_MAXLEN	10000		/* entries per sandbox */
#define SG_AUDIT_SANDBOX_TTL	(7 * 86400)	/* seconds after the last */
#define SG_AUDIT_REPEAT_MS	1000		/* window of a repeat run */
#define SG_AUDIT_SCRIPT_MS	1000		/* chain script reloaded */
#define SG_AUDIT_BATCH_MAX	64		/* copies per script call */
#define SG_AUDIT_BATCH_BYTES	(64 * 1024)	/* their arguments, about */
#define SG_AUDIT_BATCH_US	1000		/* pushes apart, under load */

struct sg_audit;

/* A sender to the stream; does not connect yet.  maxlen >= 1. */
enum sg_rc	 sg_audit_new(const char *redis_url, int64_t maxlen,
		    struct sg_audit **, struct sg_err *);
void		 sg_audit_free(struct sg_audit *);
/*
 * Queue one entry made of the string and number members of line (a log
 * object; other members are left out).  Never waits.  SG_OK when
 * queued; SG_ETOOBIG "redis_backlog" or SG_EUNAVAIL when dropped.
 * *failed (may be NULL) counts earlier entries Redis answered with an
 * error, learnt on the way.
 */
enum sg_rc	 sg_audit_send(struct sg_audit *, const cJSON *line,
		    size_t *failed, struct sg_err *);
/*
 * Write what is still queued as far as the socket takes it, without
 * waiting (entries the socket could not take wait for the next entry
 * or flush of this process).
 */
enum sg_rc	 sg_audit_flush(struct sg_audit *, size_t *failed,
		    struct sg_err *);
/*
 * Write what is queued as far as the socket takes it, without waiting
 * and without reading Redis's answers; nothing to do costs no system
 * call.  The services call it each time before they wait for the next
 * request (sg_serve_before_wait): a decision's entries are batched
 * until then (see "Batches" above).  With due_us, a push less than
 * SG_AUDIT_BATCH_US after the last one is put off: *due_us is when to
 * call again (sg_now_us time; 0: nothing waits).  Without, it pushes.
 */
enum sg_rc	 sg_audit_push(struct sg_audit *, size_t *failed,
		    int64_t *due_us);
/* Bytes queued and not yet taken by the socket (for tests). */
size_t		 sg_audit_pending(const struct sg_audit *);
/*
 * Close the repeat run if its window has passed (its count written) and
 * write what is queued, without waiting: call when idle, so that a count
 * is in the trail within about SG_AUDIT_REPEAT_MS + the idle period.
 */
enum sg_rc	 sg_audit_tick(struct sg_audit *, size_t *failed);
/*
 * Entries queued (sg_audit_send said SG_OK) then lost with the queue
 * when a write failed (the connection is dropped), since the last call.
 */
size_t		 sg_audit_take_lost(struct sg_audit *);
/* Repeated denials counted instead of written since the last call. */
size_t		 sg_audit_take_aggregated(struct sg_audit *);

/*
 * The newest entries (at most limit, 1..SG_AUDIT_LIMIT_MAX) whose
 * container_id is id, read from the newest with at most scan_max
 * entries looked at (1..SG_AUDIT_SCAN_MAX).  *out is an array of
 * objects: "id" (the stream id) and the entry's fields, status and
 * latency_us as numbers; fields that are not valid UTF-8 are left out.
 * *scanned counts the entries looked at; *complete is 1 when the scan
 * reached the oldest entry of the stream.
 */
enum sg_rc	 sg_audit_read(struct sg_redis *, const char *id,
		    size_t limit, size_t scan_max, cJSON **out,
		    size_t *scanned, int *complete, struct sg_err *);

/*
 * The whole of sandbox id's own trail, oldest first: an array of
 * {"id", "fields"} (sg_redis_stream_page's form, values as stored),
 * at most max entries (SG_ETOOBIG when there are more).  Missing: [].
 */
enum sg_rc	 sg_audit_trail(struct sg_redis *, const char *id,
		    size_t max, cJSON **out, struct sg_err *);

#define SG_REDIS_STREAM_PAGE_MAX 1000
/*
 * XREVRANGE key end - COUNT count (count 1..SG_REDIS_STREAM_PAGE_MAX;
 * end "+" or an entry id): *out is an array, newest first, of
 * {"id": "<ms>-<seq>", "fields": {name: value}} (the caller frees it).
 * A field with a NUL byte or a name of 64 bytes or more is left out;
 * a repeated name keeps its first value.  A missing key is [].
 */
enum sg_rc	 sg_redis_stream_page(struct sg_redis *, const char *key,
		    const char *end, size_t count, cJSON **out,
		    struct sg_err *);

#endif
