/* SPDX-License-Identifier: ISC */
/*
 * session-query: FastCGI responder for GET /v1/sessions/{id},
 * GET /v1/sessions?user_id=U and GET /healthz.  Setup here, the handler
 * in query.c.  Stops with EX_CONFIG on a bad configuration, naming the
 * variable; never exits on the request path.  Redis is connected on
 * first use, so the service starts (and answers 503) while Redis is down.
 */
#include "config.h"

#include "query.h"
#include "service.h"

#define PROG	"session-query"

static enum sg_rc
init(void *app, struct sg_service *svc, struct sg_err *err)
{
	return query_init(app, &svc->cfg, err);
}

static void
clear(void *app)
{
	query_clear(app);
}

int
main(int argc, char *argv[])
{
	/* /metrics reads the shared file; Redis calls are counted in it */
	static const struct sg_service_def def = { PROG, SG_SVC_OPS, init,
	    NULL, query_handle, clear };
	static struct app	 app;

	return sg_service_main(&def, &app, argc, argv);
}
