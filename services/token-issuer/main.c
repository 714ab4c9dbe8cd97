/*
 * token-issuer: FastCGI responder for POST /v1/tokens,
 * GET /.well-known/jwks.json and GET /healthz.  Setup here, the handler
 * in issuer.c.  Stops with EX_CONFIG on a bad configuration, naming the
 * variable; never exits on the request path.  SIGHUP reloads the keys
 * (rotation without a restart); a reload that fails keeps the old ones.
 */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cfg.h"
#include "serve.h"
#include "issuer.h"
#include "keys.h"
#include "log.h"

/* errx(3), which lib/sgerr.h shadows on the include path. */
static void
die(int code, const char *msg)
{
	(void)fprintf(stderr, "token-issuer: %s\n", msg);
	exit(code);
}

static void
handle(void *app, struct sg_req *req, struct sg_resp *resp)
{
	struct issuer	*is = app, fresh;
	struct sg_err	 err;

	if (sg_serve_hup()) {
		sg_err_clear(&err);
		if (issuer_init(&fresh, is->cfg, &err) == SG_OK) {
			issuer_clear(is);
			*is = fresh;
			sg_log(SG_LOG_INFO, "keys_reloaded", "kid",
			    sg_key_kid(is->key), NULL);
		} else
			sg_log(SG_LOG_ERROR, "keys_reload_failed", "reason",
			    err.code, "detail", err.msg, NULL);
	}
	issuer_handle(is, req, resp);
}

int
main(void)
{
	static struct sg_cfg	 cfg;
	struct issuer		 is;
	struct sg_err		 err;
	int			 rc;

	/* cJSON prints numbers with the locale's decimal point. */
	(void)setlocale(LC_ALL, "C");
	sg_err_clear(&err);
	if (sg_cfg_load(&cfg, &err) != SG_OK)
		die(EX_CONFIG, err.msg);
	sg_log_init("token-issuer", cfg.log_level);
	if (issuer_init(&is, &cfg, &err) != SG_OK)
		die(EX_CONFIG, err.msg);
	sg_log(SG_LOG_INFO, "start", "kid", sg_key_kid(is.key), NULL);
	rc = sg_serve(cfg.socket, SG_HTTP_MAX_BODY, handle, &is, &err);
	issuer_clear(&is);
	if (rc != 0) {
		sg_log(SG_LOG_ERROR, "serve_failed", "reason",
		    err.code != NULL ? err.code : "", "detail", err.msg, NULL);
		die(err.rc == SG_EINVAL ? EX_CONFIG : EX_UNAVAILABLE, err.msg);
	}
	sg_log(SG_LOG_INFO, "stop", NULL);
	return 0;
}
