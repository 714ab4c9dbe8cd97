/*
 * sandbox-destroy: FastCGI responder for DELETE /v1/sandboxes/{id}.
 * Setup here, the handler in destroy.c.
 */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cfg.h"
#include "destroy.h"
#include "docker.h"
#include "serve.h"
#include "log.h"
#include "ops.h"
#include "session.h"

static void
die(int code, const char *what, const struct sg_err *err)
{
	fprintf(stderr, "sandbox-destroy: %s: %s\n", what, err->msg);
	exit(code);
}

int
main(void)
{
	static struct sg_cfg	 cfg;
	struct destroy_app	 app;
	struct sg_err		 err;
	int			 rc;

	(void)setlocale(LC_ALL, "C");
	sg_err_clear(&err);
	if (sg_cfg_load(&cfg, &err) != SG_OK)
		die(EX_CONFIG, "configuration", &err);
	sg_log_init("sandbox-destroy", cfg.log_level);
	/* metrics and the audit trail of sandbox events (lib/ops.h) */
	if (sg_ops_init(&cfg, "sandbox-destroy", &err) != SG_OK)
		die(EX_CONFIG, "configuration", &err);

	memset(&app, 0, sizeof(app));
	app.cfg = &cfg;
	if (sg_redis_new(cfg.redis, cfg.redis_timeout_ms, &app.redis,
	    &err) != SG_OK)
		die(EX_CONFIG, "SANDGATE_REDIS", &err);
	if (sg_docker_new(cfg.docker_socket, cfg.docker_timeout_s, &app.docker,
	    &err) != SG_OK)
		die(EX_CONFIG, "SANDGATE_DOCKER_SOCKET", &err);

	sg_log(SG_LOG_INFO, "start", NULL);
	rc = sg_serve(cfg.socket, SG_HTTP_MAX_BODY, destroy_handle, &app,
	    &err);
	if (rc != 0)
		sg_log(SG_LOG_ERROR, "serve_failed", "reason",
		    err.code != NULL ? err.code : "", "detail", err.msg, NULL);
	else
		sg_log(SG_LOG_INFO, "stop", NULL);

	sg_docker_free(app.docker);
	sg_redis_free(app.redis);
	sg_ops_close();
	return rc == 0 ? 0 : EX_UNAVAILABLE;
}
