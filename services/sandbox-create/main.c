/* SPDX-License-Identifier: ISC */
/*
 * sandbox-create: FastCGI responder for POST /v1/sandboxes and GET
 * /healthz.  Setup here, the handlers in create.c and health.c.  Stops
 * with EX_CONFIG on a bad configuration, naming the variable; never
 * exits on the request path.  A runtime other than gVisor is logged at
 * start as a warning (runtime_not_gvisor).
 */
#include "config.h"

#include <string.h>

#include "create.h"
#include "log.h"
#include "metrics.h"
#include "service.h"

#define PROG	"sandbox-create"

/* The handler's settings, checked before any handle is opened. */
static enum sg_rc
init(void *arg, struct sg_service *svc, struct sg_err *err)
{
	struct app	*app = arg;

	memset(app, 0, sizeof(*app));
	app->cfg = &svc->cfg;
	return create_app_config(app, err);
}

static void
start(void *arg, struct sg_service *svc)
{
	struct app	*app = arg;

	app->key = svc->key;
	app->redis = svc->redis;
	app->engines = svc->engines;
	sg_log(SG_LOG_INFO, "start", "runtime", svc->cfg.runtime, "image",
	    svc->cfg.image, "network", svc->cfg.network, (char *)NULL);
	create_runtime_warn(&svc->cfg);
	/* The runtime's series is scraped (at 0) before the first create. */
	sg_metrics_add(SG_M_SANDBOXES_CREATED, 0, svc->cfg.runtime);
}

int
main(int argc, char *argv[])
{
	static const struct sg_service_def def = { PROG, SG_SVC_OPS |
	    SG_SVC_KEY | SG_SVC_REDIS | SG_SVC_DOCKER, init, start,
	    create_handle, NULL };
	static struct app	 app;

	return sg_service_main(&def, &app, argc, argv);
}
