/* SPDX-License-Identifier: ISC */
/*
 * token-issuer: FastCGI responder for POST /v1/tokens,
 * GET /.well-known/jwks.json and GET /healthz.  Setup here, the handler
 * in issuer.c.  Stops with EX_CONFIG on a bad configuration, naming the
 * variable; never exits on the request path.  SIGHUP reloads the keys
 * (issuer_serve).  Metrics (SANDGATE_METRICS_DIR) without the audit trail
 * of SG_SVC_OPS: the issuer logs no audited event and needs no Redis.
 */
#include "config.h"

#include "issuer.h"
#include "keys.h"
#include "log.h"
#include "metrics.h"
#include "service.h"

#define PROG	"token-issuer"

static enum sg_rc
init(void *app, struct sg_service *svc, struct sg_err *err)
{
	enum sg_rc	 rc;

	if ((rc = issuer_init(app, &svc->cfg, err)) != SG_OK)
		return rc;
	if (svc->flags & SG_SVC_CHECK)
		return SG_OK;
	return sg_metrics_open(svc->cfg.metrics_dir, PROG, err);
}

static void
start(void *arg, struct sg_service *svc)
{
	struct app	*app = arg;

	(void)svc;
	sg_log(SG_LOG_INFO, "start", "kid", sg_key_kid(app->key), (char *)NULL);
}

static void
clear(void *app)
{
	issuer_clear(app);
	sg_metrics_close();
}

int
main(int argc, char *argv[])
{
	static const struct sg_service_def def = { PROG, 0, init, start,
	    issuer_serve, clear };
	static struct app	 app;

	return sg_service_main(&def, &app, argc, argv);
}
