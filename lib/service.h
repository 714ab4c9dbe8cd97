/* SPDX-License-Identifier: ISC */
/*
 * The start of a service, written once for every main.c: the
 * configuration (SANDGATE_*), the log, metrics and the audit trail, then
 * the handles it asks for (signing key, Redis, Docker), then the serve
 * loop.  The mains stop with errx(3) and sg_service_status() on a
 * failure (sysexits(3): EX_CONFIG for a bad configuration, naming the
 * variable; EX_OSERR when the socket cannot be served).
 */
#ifndef SG_SERVICE_H
#define SG_SERVICE_H

#include "cfg.h"
#include "engines.h"
#include "request.h"
#include "keys.h"
#include "session.h"
#include "sgerr.h"

#define SG_SVC_OPS	0x01	/* metrics and audit trail (lib/ops.h) */
#define SG_SVC_KEY	0x02	/* SANDGATE_SIGNING_KEY, a private key */
#define SG_SVC_REDIS	0x04	/* SANDGATE_REDIS (not connected yet) */
#define SG_SVC_DOCKER	0x08	/* SANDGATE_DOCKER_SOCKET */
#define SG_SVC_CONNS	0x10	/* serve SG_SVC_CONNS_DEFAULT connections at once */
#define SG_SVC_CONNS_DEFAULT	64	/* SANDGATE_FCGI_CONNS with SG_SVC_CONNS */
#define SG_SVC_CHECK	0x100	/* set by --check-config: check, never serve */

struct sg_service {
	const char	*name;
	unsigned	 flags;
	struct sg_cfg	 cfg;
	struct sg_key	*key;
	struct sg_redis	*redis;
	struct sg_engines *engines;	/* SG_SVC_DOCKER */
};

/*
 * The command line (--help and --version print and exit 0, anything
 * unknown exits EX_USAGE), the C locale (cJSON and strtod follow
 * LC_NUMERIC), the configuration, the log with a "version" line and a
 * warning per unknown SANDGATE_* name, and, with SG_SVC_OPS, metrics and
 * audit.  On failure err's message names the variable.
 *
 * --check-config: every configuration error and warning goes to stderr
 * and a bad configuration exits EX_CONFIG here; otherwise the main goes
 * on through its own checks and sg_service_connect (which load keys but
 * connect to nothing), and sg_service_serve prints "configuration ok"
 * and returns 0 instead of serving.  Metrics are not opened.
 */
enum sg_rc	 sg_service_open(struct sg_service *, const char *name,
		    unsigned flags, int argc, char *argv[], struct sg_err *);
/*
 * The handles of SG_SVC_KEY, _REDIS and _DOCKER in flags, in that order.
 * On failure *what is the variable at fault.
 */
enum sg_rc	 sg_service_connect(struct sg_service *, const char **what,
		    struct sg_err *);
/*
 * sg_serve on SANDGATE_SOCKET, with the "serve_failed" or "stop" line;
 * under --check-config, "NAME: configuration ok" on stdout and 0.
 */
int		 sg_service_serve(struct sg_service *, sg_handler, void *app,
		    struct sg_err *);
/* Free the handles and close ops. */
void		 sg_service_close(struct sg_service *);
/* The sysexits(3) status for a failure: EX_CONFIG or EX_OSERR. */
int		 sg_service_status(const struct sg_err *);

/*
 * One service's main.c, as data: its name, the SG_SVC_* it needs, and
 * hooks on its struct app.  Every hook may be NULL.
 *   init	after the configuration and ops, before the handles: the app
 *		from the configuration (an error's message names the
 *		variable);
 *   start	after the handles: hand them to the app and log "start"
 *		(NULL: a plain "start" line);
 *   clear	after the serve loop.
 */
struct sg_service_def {
	const char	*name;
	unsigned	 flags;
	enum sg_rc	(*init)(void *app, struct sg_service *,
			    struct sg_err *);
	void		(*start)(void *app, struct sg_service *);
	sg_handler	 handler;
	void		(*clear)(void *app);
};

/*
 * The whole main(): open, init, connect, start, serve until SIGTERM,
 * clear, close; argc and argv are main's, for sg_service_open's
 * --help, --version and --check-config.  Exits with errx(3) on a failure (EX_CONFIG for a bad
 * configuration, naming the variable; EX_OSERR when the socket cannot be
 * served); returns 0 after a clean stop.
 */
int		 sg_service_main(const struct sg_service_def *, void *app,
		    int argc, char *argv[]);

#endif
