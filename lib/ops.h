/* SPDX-License-Identifier: ISC */
/*
 * Operations wiring for one service process: metrics (metrics.h) and the
 * audit trail (audit.h), both fed from the log through its hook (log.h),
 * so that a decision or a sandbox event is counted and audited exactly
 * where it is logged, whatever SANDGATE_LOG_LEVEL says.
 *
 * sg_ops_init, called once by a service's main after sg_log_init, maps
 * the metrics file (SANDGATE_METRICS_DIR, when set) and opens the audit
 * sender (SANDGATE_AUDIT_MAXLEN > 0).  Events seen:
 *
 *   decision                 sandgate_decisions_total{mode,decision,reason},
 *                            sandgate_decision_duration_seconds{mode}; audit
 *   sandbox_created          sandgate_sandboxes_created_total{runtime};
 *                            audit
 *   sandbox_create_failed    sandgate_sandbox_create_failures_total{reason};
 *                            audit
 *   sandbox_revoked          audit (sandbox-destroy, before Docker)
 *   policy_changed           audit (session-query: overlay, grant)
 *   sandbox_destroyed        sandgate_sandboxes_destroyed_total; audit
 *   sandbox_destroy_failed   audit
 *   sandbox_reaped           sandgate_sandboxes_reaped_total{reason}; audit
 *                            (sandgate reap reports it with sg_log_record)
 *
 * Every audit entry counts in sandgate_audit_entries_total{service,result}.
 */
#ifndef SG_OPS_H
#define SG_OPS_H

#include <stdint.h>

#include "cfg.h"
#include "sgerr.h"

/* SG_EINVAL "bad_config" naming the variable when a part cannot start. */
enum sg_rc	 sg_ops_init(const struct sg_cfg *, const char *service,
		    struct sg_err *);
void		 sg_ops_close(void);
/*
 * Between requests (sg_serve_idle, SG_OPS_IDLE_MS): close the audit
 * trail's repeat runs whose window has passed and write what is queued.
 */
#define SG_OPS_IDLE_MS	500
void		 sg_ops_idle(void);
/*
 * Before each wait for requests (sg_serve_before_wait): what the audit
 * trail queued for the requests just served goes out, or when it is due
 * (audit.h, Batches): that time (sg_now_us), or 0.
 */
int64_t		 sg_ops_push(void);

#endif
