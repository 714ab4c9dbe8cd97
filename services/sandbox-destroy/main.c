/* SPDX-License-Identifier: ISC */
/*
 * sandbox-destroy: FastCGI responder for DELETE /v1/sandboxes/{id}.
 * Setup here, the handler in destroy.c.  Stops with EX_CONFIG on a bad
 * configuration, naming the variable; never exits on the request path.
 */
#include "config.h"

#include <err.h>
#include <string.h>
#include <sysexits.h>

#include "destroy.h"
#include "log.h"
#include "service.h"

#define PROG	"sandbox-destroy"

int
main(int argc, char *argv[])
{
	static struct sg_service svc;
	struct app		 app;
	struct sg_err		 err;
	const char		*what;
	int			 rc;

	sg_err_clear(&err);
	if (sg_service_open(&svc, PROG, SG_SVC_OPS | SG_SVC_REDIS |
	    SG_SVC_DOCKER, argc, argv, &err) != SG_OK)
		errx(EX_CONFIG, "%s", err.msg);
	if (sg_service_connect(&svc, &what, &err) != SG_OK)
		errx(EX_CONFIG, "%s: %s", what, err.msg);
	memset(&app, 0, sizeof(app));
	app.cfg = &svc.cfg;
	app.redis = svc.redis;
	app.docker = svc.docker;

	sg_log(SG_LOG_INFO, "start", (char *)NULL);
	rc = sg_service_serve(&svc, destroy_handle, &app, &err);
	sg_service_close(&svc);
	if (rc != 0)
		errx(sg_service_status(&err), "%s", err.msg);
	return 0;
}
