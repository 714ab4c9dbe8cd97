/* SPDX-License-Identifier: ISC */
/*
 * sandbox-destroy: FastCGI responder for DELETE /v1/sandboxes/{id}.
 * Setup here, the handler in destroy.c.  Stops with EX_CONFIG on a bad
 * configuration, naming the variable; never exits on the request path.
 */
#include "config.h"

#include <string.h>

#include "destroy.h"
#include "log.h"
#include "service.h"

#define PROG	"sandbox-destroy"

static void
start(void *arg, struct sg_service *svc)
{
	struct app	*app = arg;

	memset(app, 0, sizeof(*app));
	app->cfg = &svc->cfg;
	app->redis = svc->redis;
	app->engines = svc->engines;
	/*
	 * Optional: with a signing key the trail is sealed at destroy
	 * (lib/chain.h); without one it stays chained but unsigned.
	 */
	if (svc->cfg.signing_key[0] != '\0') {
		struct sg_err	 e;

		sg_err_clear(&e);
		/* Not fatal: destroying must work without the key. */
		if (sg_key_load_pem(svc->cfg.signing_key, &app->key, &e) !=
		    SG_OK || !sg_key_is_private(app->key)) {
			sg_log(SG_LOG_WARN, "audit_seal_disabled", "detail",
			    e.msg[0] != '\0' ? e.msg : "not a private key",
			    (char *)NULL);
			sg_key_free(app->key);
			app->key = NULL;
		}
	}
	sg_log(SG_LOG_INFO, "start", (char *)NULL);
}

int
main(int argc, char *argv[])
{
	static const struct sg_service_def def = { PROG, SG_SVC_OPS |
	    SG_SVC_REDIS | SG_SVC_DOCKER, NULL, start, destroy_handle, NULL };
	static struct app	 app;

	return sg_service_main(&def, &app, argc, argv);
}
