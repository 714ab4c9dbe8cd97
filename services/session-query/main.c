/*
 * session-query: FastCGI responder for GET /v1/sessions/{id},
 * GET /v1/sessions?user_id=U and GET /healthz.  Setup here, the handler
 * in query.c.  Stops with EX_CONFIG on a bad configuration, naming the
 * variable; never exits on the request path.  Redis is connected on
 * first use, so the service starts (and answers 503) while Redis is down.
 */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cfg.h"
#include "serve.h"
#include "log.h"
#include "ops.h"
#include "query.h"

/* errx(3), which lib/sgerr.h shadows on the include path. */
static void
die(int code, const char *msg)
{
	(void)fprintf(stderr, "session-query: %s\n", msg);
	exit(code);
}

int
main(void)
{
	static struct sg_cfg	 cfg;
	struct query		 q;
	struct sg_err		 err;
	int			 rc;

	/* cJSON prints numbers with the locale's decimal point. */
	(void)setlocale(LC_ALL, "C");
	sg_err_clear(&err);
	if (sg_cfg_load(&cfg, &err) != SG_OK)
		die(EX_CONFIG, err.msg);
	sg_log_init("session-query", cfg.log_level);
	/* /metrics reads the shared file; Redis calls are counted in it */
	if (sg_ops_init(&cfg, "session-query", &err) != SG_OK)
		die(EX_CONFIG, err.msg);
	if (query_init(&q, &cfg, &err) != SG_OK)
		die(EX_CONFIG, err.msg);
	sg_log(SG_LOG_INFO, "start", NULL);
	rc = sg_serve(cfg.socket, SG_HTTP_MAX_BODY, query_handle, &q, &err);
	query_clear(&q);
	sg_ops_close();
	if (rc != 0) {
		sg_log(SG_LOG_ERROR, "serve_failed", "reason",
		    err.code != NULL ? err.code : "", "detail", err.msg, NULL);
		die(err.rc == SG_EINVAL ? EX_CONFIG : EX_UNAVAILABLE, err.msg);
	}
	sg_log(SG_LOG_INFO, "stop", NULL);
	return 0;
}
