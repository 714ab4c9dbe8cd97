/* SPDX-License-Identifier: ISC */
/*
 * Metrics and the audit trail fed from the log hook: see ops.h.
 */
#include "config.h"

#include <string.h>

#include <cjson/cJSON.h>

#include "audit.h"
#include "cfg.h"
#include "log.h"
#include "metrics.h"
#include "ops.h"

static struct sg_audit	*ops_audit;

static const char *const ops_events[] = { "decision", "sandbox_*",
    "policy_*", NULL };

static const char *
str_of(const cJSON *line, const char *name)
{
	const char	*s;

	s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(line,
	    name));
	return s != NULL ? s : "other";
}

static void
ops_count(const char *event, const cJSON *line)
{
	const cJSON	*lat;

	if (strcmp(event, "decision") == 0) {
		sg_metrics_add(SG_M_DECISIONS, 1, str_of(line, "mode"),
		    str_of(line, "decision"), str_of(line, "reason"));
		lat = cJSON_GetObjectItemCaseSensitive(line, "latency_us");
		if (cJSON_IsNumber(lat))
			sg_metrics_observe(SG_M_DECISION_SECONDS,
			    (int64_t)lat->valuedouble, str_of(line, "mode"));
	} else if (strcmp(event, "sandbox_created") == 0)
		sg_metrics_add(SG_M_SANDBOXES_CREATED, 1,
		    str_of(line, "runtime"));
	else if (strcmp(event, "sandbox_create_failed") == 0)
		sg_metrics_add(SG_M_SANDBOX_CREATE_FAILURES, 1,
		    str_of(line, "reason"));
	else if (strcmp(event, "sandbox_destroyed") == 0)
		sg_metrics_add(SG_M_SANDBOXES_DESTROYED, 1);
	else if (strcmp(event, "sandbox_reaped") == 0)
		sg_metrics_add(SG_M_SANDBOXES_REAPED, 1,
		    str_of(line, "reason"));
}

/*
 * What the trail reported: failed, entries Redis answered with an error;
 * and those queued, then lost with the queue at a write.
 */
static void
ops_account(size_t failed)
{
	size_t	 n;

	if (failed > 0)
		sg_metrics_add(SG_M_AUDIT, failed, "failed");
	if ((n = sg_audit_take_lost(ops_audit)) > 0)
		sg_metrics_add(SG_M_AUDIT, n, "dropped");
}

static void
ops_hook(const char *event, const cJSON *line)
{
	size_t		 failed = 0;

	ops_count(event, line);
	if (ops_audit == NULL)
		return;
	if (sg_audit_send(ops_audit, line, &failed, NULL) != SG_OK)
		sg_metrics_add(SG_M_AUDIT, 1, "dropped");
	else if (sg_audit_take_aggregated(ops_audit) > 0)
		sg_metrics_add(SG_M_AUDIT, 1, "aggregated");
	else
		sg_metrics_add(SG_M_AUDIT, 1, "sent");
	ops_account(failed);
}

enum sg_rc
sg_ops_init(const struct sg_cfg *cfg, const char *service,
    struct sg_err *err)
{
	enum sg_rc	 rc;

	sg_ops_close();
	if ((rc = sg_metrics_open(cfg->metrics_dir, service, err)) != SG_OK)
		return rc;
	if (cfg->audit_maxlen > 0 && (rc = sg_audit_new(cfg->redis,
	    cfg->audit_maxlen, &ops_audit, err)) != SG_OK) {
		sg_metrics_close();
		return rc;
	}
	sg_log_set_hook(ops_hook, ops_events);
	return SG_OK;
}

void
sg_ops_idle(void)
{
	size_t	 failed = 0;

	if (ops_audit == NULL)
		return;
	(void)sg_audit_tick(ops_audit, &failed);
	ops_account(failed);
}

int64_t
sg_ops_push(void)
{
	size_t	 failed = 0;
	int64_t	 due = 0;

	if (ops_audit == NULL)
		return 0;
	(void)sg_audit_push(ops_audit, &failed, &due);
	ops_account(failed);
	return due;
}

void
sg_ops_close(void)
{
	sg_log_set_hook(NULL, NULL);
	/* What the socket takes now; nothing waits at exit either. */
	(void)sg_audit_flush(ops_audit, NULL, NULL);
	sg_audit_free(ops_audit);
	ops_audit = NULL;
	sg_metrics_close();
}
