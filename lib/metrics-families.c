/* SPDX-License-Identifier: ISC */
/*
 * The metric families: see metrics-internal.h.  Help texts are what
 * /metrics prints after # HELP; docs/operations.md lists the families.
 */
#include "config.h"

#include <stddef.h>

#include "metrics-internal.h"

const struct sg_metrics_family sg_metrics_families[SG_M_COUNT] = {
	[SG_M_DECISIONS] = { "sandgate_decisions_total", T_COUNTER,
	    "Authorization decisions of token-verify by mode, decision "
	    "and reason code.", 0, 3, { "mode", "decision", "reason" }, 256 },
	[SG_M_DECISION_SECONDS] = { "sandgate_decision_duration_seconds",
	    T_HISTOGRAM, "Time token-verify took for one decision, "
	    "verification, cache and Redis included.", 0, 1, { "mode" }, 4 },
	[SG_M_TOKEN_CACHE] = { "sandgate_token_cache_lookups_total",
	    T_COUNTER, "Lookups in token-verify's verified-token cache by "
	    "result (hit or miss).", 0, 1, { "result" }, 4 },
	[SG_M_REDIS_CALLS] = { "sandgate_redis_calls_total", T_COUNTER,
	    "Redis round trips by service.", 1, 0, { NULL }, 16 },
	[SG_M_REDIS_ERRORS] = { "sandgate_redis_errors_total", T_COUNTER,
	    "Failed Redis round trips by service and reason code.", 1, 1,
	    { "reason" }, 96 },
	[SG_M_REDIS_SECONDS] = { "sandgate_redis_call_duration_seconds",
	    T_HISTOGRAM, "Duration of Redis round trips by service, connect "
	    "included.", 1, 0, { NULL }, 16 },
	[SG_M_DOCKER_CALLS] = { "sandgate_docker_calls_total", T_COUNTER,
	    "Docker Engine API calls by service.", 1, 0, { NULL }, 16 },
	[SG_M_DOCKER_ERRORS] = { "sandgate_docker_errors_total", T_COUNTER,
	    "Failed Docker Engine API calls by service and reason code.", 1,
	    1, { "reason" }, 96 },
	[SG_M_DOCKER_SECONDS] = { "sandgate_docker_call_duration_seconds",
	    T_HISTOGRAM, "Duration of Docker Engine API calls by service.",
	    1, 0, { NULL }, 16 },
	[SG_M_SANDBOXES_CREATED] = { "sandgate_sandboxes_created_total",
	    T_COUNTER, "Sandboxes created (POST /v1/sandboxes answered 201), "
	    "by the container runtime they run under (runsc is gVisor).", 0,
	    1, { "runtime" }, 16 },
	[SG_M_SANDBOX_CREATE_FAILURES] = {
	    "sandgate_sandbox_create_failures_total", T_COUNTER,
	    "Sandbox creations that failed, by reason code.", 0, 1,
	    { "reason" }, 96 },
	[SG_M_SANDBOXES_DESTROYED] = { "sandgate_sandboxes_destroyed_total",
	    T_COUNTER, "Sandboxes destroyed through DELETE /v1/sandboxes/{id}.",
	    0, 0, { NULL }, 1 },
	[SG_M_SANDBOXES_REAPED] = { "sandgate_sandboxes_reaped_total",
	    T_COUNTER, "Sandboxes destroyed by sandgate reap, by reason "
	    "(expired, orphan, bad_expiry).", 0, 1, { "reason" }, 16 },
	[SG_M_AUDIT] = { "sandgate_audit_entries_total", T_COUNTER,
	    "Audit trail entries by service and result (sent: handed to the "
	    "socket; aggregated: a repeated denial counted in a "
	    "decision_repeated entry instead; dropped: backlog full or Redis "
	    "away; failed: Redis answered an error).", 1, 1, { "result" }, 64 },
	[SG_M_COMPAT_TOKENS] = { "sandgate_compat_tokens_total", T_COUNTER,
	    "Tokens without aud (the original Python service's) accepted "
	    "under SANDGATE_ACCEPT_NO_AUD, by service; once it stays flat "
	    "the setting can go.", 1, 0, { NULL }, 16 },
	[SG_M_BUDGET_EXHAUSTED] = { "sandgate_budget_exhausted_total",
	    T_COUNTER, "Egress requests refused (429 budget_exhausted) "
	    "because the sandbox used up its budget, by kind (requests or "
	    "bytes).", 0, 1, { "kind" }, 4 },
	[SG_M_BUDGET_BYTES] = { "sandgate_budget_bytes_total", T_COUNTER,
	    "Bytes the egress proxy logged for sandboxes (sandgate-budget-log), "
	    "by result (counted: added to a budget; unbudgeted: the sandbox "
	    "has no budget; dropped: Redis away or the batch full).", 0, 1,
	    { "result" }, 4 },
	[SG_M_KEY_RELOADS] = { "sandgate_key_reload_total", T_COUNTER,
	    "Key set reloads (SIGHUP, or a changed key file in token-verify) "
	    "by service and result (ok: the new keys are in use; failed: the "
	    "previous keys stay).", 1, 1, { "result" }, 16 },
	[SG_M_TOKENS_ISSUED] = { "sandgate_tokens_issued_total", T_COUNTER,
	    "Tokens handed out, by service and kind (sandbox: token-issuer's "
	    "POST /v1/tokens and sandbox-create's 201; operator: sandgate "
	    "token).", 1, 1, { "kind" }, 16 },
	[SG_M_PROXY_REFUSED] = { "sandgate_proxy_refused_total", T_COUNTER,
	    "Egress requests the proxy itself refused, by reason "
	    "(tunnels_exhausted: the sandbox had SandgateMaxTunnels open; "
	    "tunnels_unavailable: the table was full), as "
	    "sandgate-budget-log read them from Apache's log.", 0, 1,
	    { "reason" }, 4 },
};
