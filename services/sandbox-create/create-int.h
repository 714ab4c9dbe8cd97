/* SPDX-License-Identifier: ISC */
/*
 * sandbox-create: what its source files share and nothing outside uses.
 */
#ifndef SG_CREATE_INT_H
#define SG_CREATE_INT_H

#include <time.h>

#include "create.h"
#include "jwt.h"

/* "http://container_<id>:jwt_<token>@host:port" */
#define PROXY_URL_MAX	(SG_JWT_MAX_LEN + 512)

/* The capabilities a sandbox keeps (docs/contract.md §6.1). */
extern const char *const create_cap_add[];
/* Name resolution: none (create.h, CREATE_DNS_SERVER). */
extern const char *const create_dns_servers[];
extern const char *const create_dns_search[];
extern const char *const create_dns_options[];
/*
 * Sysctls set in the sandbox's network namespace, name then value, NULL
 * ended (container.c): IPv6 off, so nothing reaches another sandbox
 * over link-local IPv6 where enable_icc=false (IPv4 only) does not look.
 */
extern const char *const create_sysctls[];

/* The clock, or the fixed one a test set. */
static inline time_t
app_now(const struct app *app)
{
	return app->now != 0 ? app->now : time(NULL);
}

#endif
