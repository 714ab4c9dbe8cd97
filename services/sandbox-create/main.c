/* SPDX-License-Identifier: ISC */
/*
 * sandbox-create: FastCGI responder for POST /v1/sandboxes.  Setup here,
 * the handler in create.c.  Stops with EX_CONFIG on a bad configuration,
 * naming the variable; never exits on the request path.
 */
#include "config.h"

#include <string.h>

#include "create.h"
#include "log.h"
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
	app->docker = svc->docker;
	sg_log(SG_LOG_INFO, "start", "runtime", svc->cfg.runtime, "image",
	    svc->cfg.image, "network", svc->cfg.network, (char *)NULL);
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
