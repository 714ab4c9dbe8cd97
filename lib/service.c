/*
 * The start of a service (service.h).
 */
#include "config.h"

#include <err.h>
#include <locale.h>
#include <string.h>
#include <sysexits.h>

#include "cfg.h"
#include "docker.h"
#include "request.h"
#include "serve.h"
#include "keys.h"
#include "log.h"
#include "ops.h"
#include "psl.h"
#include "service.h"
#include "session.h"
#include "sgerr.h"

enum sg_rc
sg_service_open(struct sg_service *s, const char *name, unsigned flags,
    struct sg_err *err)
{
	enum sg_rc	 rc;

	memset(s, 0, sizeof(*s));
	s->name = name;
	s->flags = flags;
	/* cJSON prints numbers with the locale's decimal point. */
	(void)setlocale(LC_ALL, "C");
	if ((rc = sg_cfg_load(&s->cfg, err)) != SG_OK)
		return rc;
	sg_log_init(name, s->cfg.log_level);
	sg_log_set_rate(s->cfg.log_rate);
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
		if ((rc = sg_key_load_pem(cfg->signing_key, &s->key,
		    err)) != SG_OK)
			return rc;
		if (!sg_key_is_private(s->key))
			return sg_err_set(err, SG_EINVAL, "bad_config",
			    "not a private key");
	}
	*what = "SANDGATE_REDIS";
	if ((s->flags & SG_SVC_REDIS) &&
	    (rc = sg_redis_new(cfg->redis, cfg->redis_timeout_ms, &s->redis,
	    err)) != SG_OK)
		return rc;
	*what = "SANDGATE_DOCKER_SOCKET";
	if ((s->flags & SG_SVC_DOCKER) &&
	    (rc = sg_docker_new(cfg->docker_socket, cfg->docker_timeout_s,
	    &s->docker, err)) != SG_OK)
		return rc;
	*what = NULL;
	return SG_OK;
}

int
sg_service_serve(struct sg_service *s, sg_handler handler, void *app,
    struct sg_err *err)
{
	int	 rc;

	sg_serve_idle(sg_ops_idle, SG_OPS_IDLE_MS);
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
	sg_docker_free(s->docker);
	s->docker = NULL;
	sg_redis_free(s->redis);
	s->redis = NULL;
	sg_key_free(s->key);
	s->key = NULL;
	if (s->flags & SG_SVC_OPS)
		sg_ops_close();
}

int
sg_service_status(const struct sg_err *err)
{
	return err->rc == SG_EINVAL ? EX_CONFIG : EX_OSERR;
}

int
sg_service_main(const struct sg_service_def *def, void *app)
{
	static struct sg_service svc;
	struct sg_err		 err;
	const char		*what;
	int			 rc;

	sg_err_clear(&err);
	if (sg_service_open(&svc, def->name, def->flags, &err) != SG_OK)
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
