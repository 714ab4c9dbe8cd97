/* SPDX-License-Identifier: ISC */
/*
 * The start of a service (service.h).
 */
#include "config.h"

#include <err.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "cfg.h"
#include "docker.h"
#include "request.h"
#include "serve.h"
#include "keys.h"
#include "log.h"
#include "ops.h"
#include "pool.h"
#include "psl.h"
#include "service.h"
#include "session.h"
#include "sgerr.h"

/* What each service is, for --help. */
static const struct {
	const char	*name;
	const char	*what;
} services[] = {
	{ "token-issuer",
	    "signs tokens: POST /v1/tokens, GET /.well-known/jwks.json" },
	{ "token-verify",
	    "authorizer of the egress proxy and the API gateway" },
	{ "session-query",
	    "GET /v1/sessions, /v1/sessions/{id}[/decisions], /metrics" },
	{ "sandbox-create",	"POST /v1/sandboxes" },
	{ "sandbox-destroy",	"DELETE /v1/sandboxes/{id}" },
};

static void
usage(FILE *f, const char *name)
{
	const char	*what = "a sandgate service";
	size_t		 i;

	for (i = 0; i < sizeof(services) / sizeof(services[0]); i++)
		if (strcmp(services[i].name, name) == 0)
			what = services[i].what;
	fprintf(f, "usage: %s [--check-config | --help | --version]\n\n"
	    "%s: %s.\n"
	    "A FastCGI program: it serves on the socket inherited on fd 0\n"
	    "(systemd, spawn-fcgi) or on SANDGATE_SOCKET.  Configuration:\n"
	    "the SANDGATE_* environment variables, see sandgate(7).\n\n"
	    "  --check-config  load and check the configuration as a start\n"
	    "                  would, report every error, exit 0 or 78\n"
	    "  --help          this text\n"
	    "  --version       print \"sandgate %s VERSION\"\n",
	    name, name, what, name);
}

/*
 * The command line, the same for every service: no argument serves;
 * --help and --version answer and exit 0; --check-config sets
 * SG_SVC_CHECK.  Anything else is a usage error (EX_USAGE).
 */
static void
parse_args(struct sg_service *s, int argc, char *argv[])
{
	const char	*bad;

	if (argc <= 1)
		return;
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)) {
		usage(stdout, s->name);
		exit(0);
	}
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("sandgate %s %s\n", s->name, SG_VERSION);
		exit(0);
	}
	if (argc == 2 && strcmp(argv[1], "--check-config") == 0) {
		s->flags |= SG_SVC_CHECK;
		return;
	}
	/* One flag at most: name the first word that is not one. */
	bad = argv[1];
	if (argc > 2 && (strcmp(bad, "--help") == 0 ||
	    strcmp(bad, "--version") == 0 ||
	    strcmp(bad, "--check-config") == 0))
		bad = argv[2];
	fprintf(stderr, "%s: unknown argument \"%.64s\"\n", s->name, bad);
	usage(stderr, s->name);
	exit(EX_USAGE);
}

/*
 * --check-config: every configuration error and unknown-name warning on
 * stderr, then exit 78 if there was an error.  Nothing is created: the
 * metrics file is left alone (a check run as root must not leave a
 * root-owned one for the service), only its directory is looked at.
 */
static void
check_report(struct sg_service *s, const struct sg_cfg_report *rep)
{
	sg_cfg_report_print(stderr, s->name, rep);
	if (rep->nerr > 0)
		exit(EX_CONFIG);
	if (s->cfg.metrics_dir[0] != '\0' && (s->flags & SG_SVC_OPS) &&
	    access(s->cfg.metrics_dir, W_OK | X_OK) == -1) {
		fprintf(stderr, "%s: error: SANDGATE_METRICS_DIR: not a "
		    "directory this user can write\n", s->name);
		exit(EX_CONFIG);
	}
}

enum sg_rc
sg_service_open(struct sg_service *s, const char *name, unsigned flags,
    int argc, char *argv[], struct sg_err *err)
{
	static struct sg_cfg_report	 rep;
	enum sg_rc			 rc;
	size_t				 i;

	memset(s, 0, sizeof(*s));
	s->name = name;
	s->flags = flags;
	parse_args(s, argc, argv);
	/* cJSON prints numbers with the locale's decimal point. */
	(void)setlocale(LC_ALL, "C");
	rc = sg_cfg_check(&s->cfg, &rep, err);
	if (s->flags & SG_SVC_CHECK) {
		check_report(s, &rep);
		/* Only errors from here on (no "start" line). */
		sg_log_init(name, SG_LOG_ERROR);
		return SG_OK;
	}
	/*
	 * Which release runs, and the names it does not know, before a bad
	 * value can stop it (a bad SANDGATE_LOG_LEVEL leaves the default).
	 */
	sg_log_init(name, s->cfg.log_level);
	sg_log_set_rate(s->cfg.log_rate);
	sg_log(SG_LOG_INFO, "version", "version", SG_VERSION, (char *)NULL);
	for (i = 0; i < rep.nwarn && i < SG_CFG_REPORT_MAX; i++)
		sg_log(SG_LOG_WARN, "config_unknown_variable", "variable",
		    rep.warn[i].name, "closest",
		    rep.warn[i].closest[0] != '\0' ? rep.warn[i].closest : NULL,
		    (char *)NULL);
	if (rc != SG_OK)
		return rc;
	/*
	 * SANDGATE_WORKERS > 1: from here on this is a worker forked by the
	 * pool manager (which never returns), so every handle below is the
	 * worker's own.
	 */
	if (s->cfg.workers > 1 && sg_pool_run(s->cfg.workers, err) != 0)
		return SG_EINTERNAL;
	/*
	 * The Public Suffix List, loaded once here rather than on the first
	 * token (lib/psl.h); which one is in use is worth a line.
	 */
	sg_log(SG_LOG_INFO, "public_suffix_list", "source", sg_psl_source(),
	    (char *)NULL);
	if ((flags & SG_SVC_OPS) &&
	    (rc = sg_ops_init(&s->cfg, name, err)) != SG_OK)
		return rc;
	return SG_OK;
}

enum sg_rc
sg_service_connect(struct sg_service *s, const char **what,
    struct sg_err *err)
{
	const struct sg_cfg	*cfg = &s->cfg;
	enum sg_rc		 rc;

	*what = "SANDGATE_SIGNING_KEY";
	if (s->flags & SG_SVC_KEY) {
		if (cfg->signing_key[0] == '\0')
			return sg_err_set(err, SG_EINVAL, "bad_config",
			    "not set");
		if ((rc = sg_key_load_signing(cfg->signing_key, &s->key,
		    err)) != SG_OK)
			return rc;
	}
	*what = "SANDGATE_REDIS";
	if ((s->flags & SG_SVC_REDIS) &&
	    (rc = sg_redis_new(cfg->redis, cfg->redis_timeout_ms, &s->redis,
	    err)) != SG_OK)
		return rc;
	if (s->redis != NULL)
		sg_redis_set_wait(s->redis, cfg->redis_wait_replicas,
		    cfg->redis_wait_ms);
	*what = cfg->docker_hosts[0] != '\0' ? "SANDGATE_DOCKER_HOSTS" :
	    "SANDGATE_DOCKER_SOCKET";
	if ((s->flags & SG_SVC_DOCKER) &&
	    (rc = sg_engines_new(cfg, &s->engines, err)) != SG_OK)
		return rc;
	*what = NULL;
	return SG_OK;
}

int
sg_service_serve(struct sg_service *s, sg_handler handler, void *app,
    struct sg_err *err)
{
	int	 rc;

	if (s->flags & SG_SVC_CHECK) {
		printf("%s: configuration ok\n", s->name);
		return 0;
	}
	sg_serve_idle(sg_ops_idle, SG_OPS_IDLE_MS);
	sg_serve_before_wait(sg_ops_push);
	/* Several connections at once only where the service asks for it. */
	sg_serve_conns(s->cfg.fcgi_conns > 0 ? s->cfg.fcgi_conns :
	    (s->flags & SG_SVC_CONNS) ? SG_SVC_CONNS_DEFAULT : 1);
	rc = sg_serve(s->cfg.socket, SG_HTTP_MAX_BODY, s->cfg.fcgi_timeout_ms,
	    handler, app, err);
	sg_log_flush();		/* the count, before the lines that may drop */
	if (rc != 0)
		sg_log(SG_LOG_ERROR, "serve_failed", "reason",
		    err->code != NULL ? err->code : "", "detail", err->msg,
		    (char *)NULL);
	else
		sg_log(SG_LOG_INFO, "stop", (char *)NULL);
	return rc;
}

void
sg_service_close(struct sg_service *s)
{
	sg_engines_free(s->engines);
	s->engines = NULL;
	sg_redis_free(s->redis);
	s->redis = NULL;
	sg_key_free(s->key);
	s->key = NULL;
	if ((s->flags & SG_SVC_OPS) && !(s->flags & SG_SVC_CHECK))
		sg_ops_close();
}

int
sg_service_status(const struct sg_err *err)
{
	return err->rc == SG_EINVAL ? EX_CONFIG : EX_OSERR;
}

int
sg_service_main(const struct sg_service_def *def, void *app, int argc,
    char *argv[])
{
	static struct sg_service svc;
	struct sg_err		 err;
	const char		*what;
	int			 rc;

	sg_err_clear(&err);
	if (sg_service_open(&svc, def->name, def->flags, argc, argv,
	    &err) != SG_OK)
		errx(EX_CONFIG, "%s", err.msg);
	if (def->init != NULL && def->init(app, &svc, &err) != SG_OK)
		errx(EX_CONFIG, "%s", err.msg);
	if (sg_service_connect(&svc, &what, &err) != SG_OK)
		errx(EX_CONFIG, "%s: %s", what, err.msg);
	if (def->start != NULL)
		def->start(app, &svc);
	else
		sg_log(SG_LOG_INFO, "start", (char *)NULL);
	rc = sg_service_serve(&svc, def->handler, app, &err);
	if (def->clear != NULL)
		def->clear(app);
	sg_service_close(&svc);
	if (rc != 0)
		errx(sg_service_status(&err), "%s", err.msg);
	return 0;
}
