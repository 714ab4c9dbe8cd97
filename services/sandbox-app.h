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
#include "keys.h"
#include "session.h"

struct app {
	const struct sg_cfg	*cfg;
	struct sg_key		*key;		/* signing key (create only) */
	struct sg_redis		*redis;
	struct sg_docker	*docker;
	char			 proxy_hostport[300]; /* host:port (create) */
	time_t			 now;	/* tests: fixed clock */
	int64_t			 runtime_ok_until; /* sg_now_us() (create) */
};

#endif
