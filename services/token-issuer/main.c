/* SPDX-License-Identifier: ISC */
/*
 * token-issuer: FastCGI responder for POST /v1/tokens,
 * GET /.well-known/jwks.json and GET /healthz.  Setup here, the handler
 * in issuer.c.  Stops with EX_CONFIG on a bad configuration, naming the
 * variable; never exits on the request path.  SIGHUP reloads the keys
 * (issuer_serve).
 */
#include "config.h"

#include <err.h>
#include <sysexits.h>

#include "issuer.h"
#include "keys.h"
#include "log.h"
#include "service.h"

#define PROG	"token-issuer"

int
main(int argc, char *argv[])
{
	static struct sg_service svc;
	struct app		 app;
	struct sg_err		 err;
	int			 rc;

	sg_err_clear(&err);
	if (sg_service_open(&svc, PROG, 0, argc, argv, &err) != SG_OK)
		errx(EX_CONFIG, "%s", err.msg);
	if (issuer_init(&app, &svc.cfg, &err) != SG_OK)
		errx(EX_CONFIG, "%s", err.msg);
	sg_log(SG_LOG_INFO, "start", "kid", sg_key_kid(app.key), (char *)NULL);
	rc = sg_service_serve(&svc, issuer_serve, &app, &err);
	issuer_clear(&app);
	sg_service_close(&svc);
	if (rc != 0)
		errx(sg_service_status(&err), "%s", err.msg);
	return 0;
}
