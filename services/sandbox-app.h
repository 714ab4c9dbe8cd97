/* SPDX-License-Identifier: ISC */
/*
 * The app of the two sandbox services, sandbox-create and
 * sandbox-destroy: one struct for both, since they share their setup
 * (lib/service.h) and tests/unit/check_sandbox.c drives both in one
 * process.  Every service names its app struct "struct app".
 */
#ifndef SG_SANDBOX_APP_H
#define SG_SANDBOX_APP_H

#include <stdint.h>
#include <time.h>

#include "cfg.h"
#include "docker.h"
#include "engines.h"
#include "keys.h"
#include "secret.h"
#include "session.h"
#include "sgerr.h"

/* What the probes of sandbox-create's GET /healthz found (health.c). */
struct create_health {
	enum sg_rc	 docker;	/* SG_OK: the daemon answered */
	const char	*docker_code;	/* else why: "docker_timeout"... */
	int		 runtime_ok;	/* /info "Runtimes" has it */
	int		 network_ok;	/* GET /networks/<name> found */
};

struct app {
	const struct sg_cfg	*cfg;
	struct sg_key		*key;		/* signing key (create only) */
	struct sg_redis		*redis;
	struct sg_engines	*engines;	/* SANDGATE_DOCKER_HOSTS */
	char			 proxy_hostport[300]; /* host:port (create) */
	time_t			 now;	/* tests: fixed clock */
	/* last probe of each engine (create) */
	struct create_health	 health[SG_ENGINES_MAX];
	int64_t			 health_until;	/* sg_now_us() */
	/* The first of SANDGATE_SECRET_KEYS: seals secrets (create only) */
	struct sg_secret_key	 seal;
	int			 has_seal;
};

#endif
