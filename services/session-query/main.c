/* SPDX-License-Identifier: ISC */
/*
 * session-query: FastCGI responder for GET /v1/sessions/{id},
 * GET /v1/sessions?user_id=U and GET /healthz.  Setup here, the handler
 * in query.c.  Stops with EX_CONFIG on a bad configuration, naming the
 * variable; never exits on the request path.  Redis is connected on
 * first use, so the service starts (and answers 503) while Redis is down.
 */
#include "config.h"

#include <err.h>
#include <sysexits.h>

#include "log.h"
#include "query.h"
#include "service.h"

#define PROG	"session-query"

int
main(int argc, char *argv[])
{
	static struct sg_service svc;
	struct app		 app;
	struct sg_err		 err;
	int			 rc;

	sg_err_clear(&err);
	/* /metrics reads the shared file; Redis calls are counted in it */
	if (sg_service_open(&svc, PROG, SG_SVC_OPS, argc, argv,
	    &err) != SG_OK)
		errx(EX_CONFIG, "%s", err.msg);
	if (query_init(&app, &svc.cfg, &err) != SG_OK)
		errx(EX_CONFIG, "%s", err.msg);
	sg_log(SG_LOG_INFO, "start", (char *)NULL);
	rc = sg_service_serve(&svc, query_handle, &app, &err);
	query_clear(&app);
	sg_service_close(&svc);
	if (rc != 0)
		errx(sg_service_status(&err), "%s", err.msg);
	return 0;
}
