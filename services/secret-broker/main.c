/* SPDX-License-Identifier: ISC */
/*
 * secret-broker: adds a sandbox's secrets to its requests, on the egress
 * proxy's /broker/ path (broker.h, docs/secrets.md).  Setup here; the
 * handler is broker.c.  Stops with EX_CONFIG on a bad configuration,
 * naming the variable.
 */
#include "config.h"

#include "broker.h"
#include "log.h"
#include "service.h"

#define PROG	"secret-broker"

static enum sg_rc
init(void *app, struct sg_service *svc, struct sg_err *err)
{
	return sg_broker_init(app, &svc->cfg, err);
}

static void
clear(void *app)
{
	sg_broker_clear(app);
}

int
main(int argc, char *argv[])
{
	/*
	 * SG_SVC_CONNS: mod_sandgate_authz's broker keeps its FastCGI
	 * connections to this process (its authorizer answers).
	 */
	static const struct sg_service_def def = { PROG, SG_SVC_CONNS, init,
	    NULL, sg_broker_handle, clear };
	/* Static: struct broker holds the whole configuration. */
	static struct broker	 app;

	return sg_service_main(&def, &app, argc, argv);
}
