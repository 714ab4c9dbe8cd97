/*
 * token-verify: FastCGI authorizer for the egress proxy (Apache
 * mod_authnz_fcgi) and the API gateway (lighttpd authorizer, nginx
 * auth_request).  Setup and the accept loop; the decisions are in
 * verify.c.
 *
 * Listens on SANDGATE_SOCKET, or on an inherited socket on fd 0
 * (spawn-fcgi).  SIGHUP reloads the verification keys; so does a change
 * of a SANDGATE_VERIFY_KEYS file (checked at most once a second).  One
 * process serves one request at a time: run several (spawn-fcgi -F N)
 * for parallelism; each keeps its own token cache and Redis connection.
 */
#include "config.h"

#include <stdarg.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>

#include "cfg.h"
#include "sgerr.h"
#include "serve.h"
#include "log.h"
#include "ops.h"
#include "verify.h"

#define PROG	"token-verify"

/*
 * <err.h> is shadowed by lib/sgerr.h on the include path, so errx is
 * spelled out here.
 */
static void __attribute__((noreturn, format(printf, 2, 3)))
die(int code, const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "%s: ", PROG);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

/* Static: struct sg_verify holds the whole configuration. */
static struct sg_verify	 app;

int
main(void)
{
	struct sg_cfg	 cfg;
	struct sg_err	 err;

	/* cJSON and strtod follow LC_NUMERIC (notes/security.md J14). */
	(void)setlocale(LC_ALL, "C");
	sg_err_clear(&err);
	if (sg_cfg_load(&cfg, &err) != SG_OK)
		die(EX_CONFIG, "%s", err.msg);
	sg_log_init("token-verify", cfg.log_level);
	/* metrics and the audit trail (SANDGATE_METRICS_DIR, _AUDIT_MAXLEN) */
	if (sg_ops_init(&cfg, "token-verify", &err) != SG_OK)
		die(EX_CONFIG, "%s", err.msg);
	if (sg_verify_init(&app, &cfg, &err) != SG_OK)
		die(EX_CONFIG, "%s", err.msg);
	sg_log(SG_LOG_INFO, "start", "mode",
	    cfg.report_mode ? "report" : "enforce", (char *)NULL);
	if (sg_serve(cfg.socket, SG_HTTP_MAX_BODY, sg_verify_handle, &app,
	    &err) != 0) {
		sg_verify_clear(&app);
		die(EX_OSERR, "%s", err.msg);
	}
	sg_log(SG_LOG_INFO, "stop", (char *)NULL);
	sg_verify_clear(&app);
	sg_ops_close();
	return 0;
}
