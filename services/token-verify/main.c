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
 * process serves one request at a time, on up to SANDGATE_FCGI_CONNS (64)
 * connections held open at once: run several (spawn-fcgi -F N) for
 * parallelism; each keeps its own token cache and Redis connection.
 * Stops with EX_CONFIG on a bad configuration, naming the variable.
 */
#include "config.h"

#include "log.h"
#include "service.h"
#include "verify.h"

#define PROG	"token-verify"

static enum sg_rc
init(void *app, struct sg_service *svc, struct sg_err *err)
{
	return sg_verify_init(app, &svc->cfg, err);
}

static void
start(void *app, struct sg_service *svc)
{
	(void)app;
	sg_log(SG_LOG_INFO, "start", "mode",
	    svc->cfg.report_mode ? "report" : "enforce", (char *)NULL);
}

static void
clear(void *app)
{
	sg_verify_clear(app);
}

int
main(int argc, char *argv[])
{
	/* metrics and the audit trail (SANDGATE_METRICS_DIR, _AUDIT_MAXLEN) */
	/*
	 * and several kept connections per process: a web server's
	 * authorizer pool keeps its connections however many threads it has
	 */
	static const struct sg_service_def def = { PROG,
	    SG_SVC_OPS | SG_SVC_CONNS, init, start, sg_verify_handle, clear };
	/* Static: struct app holds the whole configuration. */
	static struct app	 app;

	return sg_service_main(&def, &app, argc, argv);
}
