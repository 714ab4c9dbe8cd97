/* SPDX-License-Identifier: ISC */
/*
 * token-verify: FastCGI authorizer for the egress proxy (Apache
 * mod_authnz_fcgi) and the API gateway (lighttpd authorizer, nginx
 * auth_request).  Setup here; the handler is verify.c, the decisions
 * decide.c.
 *
 * Listens on SANDGATE_SOCKET, or on an inherited socket on fd 0
 * (spawn-fcgi).  SIGHUP reloads the verification keys; so does a change
 * of a SANDGATE_VERIFY_KEYS file (checked at most once a second).  One
 * process serves one request at a time: run several (spawn-fcgi -F N)
 * for parallelism; each keeps its own token cache and Redis connection.
 * Stops with EX_CONFIG on a bad configuration, naming the variable.
 */
#include "config.h"

#include <err.h>
#include <sysexits.h>

#include "log.h"
#include "service.h"
#include "verify.h"

#define PROG	"token-verify"

/* Static: struct app holds the whole configuration. */
static struct app	 app;

int
main(int argc, char *argv[])
{
	static struct sg_service svc;
	struct sg_err		 err;
	int			 rc;

	sg_err_clear(&err);
	/* metrics and the audit trail (SANDGATE_METRICS_DIR, _AUDIT_MAXLEN) */
	if (sg_service_open(&svc, PROG, SG_SVC_OPS, argc, argv,
	    &err) != SG_OK)
		errx(EX_CONFIG, "%s", err.msg);
	if (sg_verify_init(&app, &svc.cfg, &err) != SG_OK)
		errx(EX_CONFIG, "%s", err.msg);
	sg_log(SG_LOG_INFO, "start", "mode",
	    svc.cfg.report_mode ? "report" : "enforce", (char *)NULL);
	rc = sg_service_serve(&svc, sg_verify_handle, &app, &err);
	sg_verify_clear(&app);
	sg_service_close(&svc);
	if (rc != 0)
		errx(sg_service_status(&err), "%s", err.msg);
	return 0;
}
