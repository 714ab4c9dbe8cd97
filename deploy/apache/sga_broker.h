/* SPDX-License-Identifier: ISC */
/*
 * The secrets broker inside Apache (sga_broker.c): mod_sandgate_authz's
 * handler for a <Location "/broker/"> with "SandgateBroker On".  The
 * decision and the secret come from secret-broker as the location's
 * authorizer (SandgateAuthz, its FCGI_ROLE=AUTHORIZER answer, kept by
 * the decision cache for as long as it says); this makes the call to
 * the secret's host itself, over verified TLS to the checked addresses,
 * with the secret's header added, and streams the answer back with
 * every copy of the secret masked.  docs/secrets.md, "Inside Apache".
 */
#ifndef SGA_BROKER_H
#define SGA_BROKER_H

#include "httpd.h"

/* What the authorizer's allow says of one broker request. */
struct sga_brokered {
	const char	*name;		/* SG_BROKER_SECRET */
	const char	*host;		/* SG_BROKER_HOST: host[:port] */
	const char	*resolve;	/* SG_BROKER_RESOLVE: host:port:addr,... */
	const char	*header;	/* SG_BROKER_HEADER */
	const char	*value;		/* SG_BROKER_VALUE: never logged */
	const char	*ca;		/* SandgateBrokerCA, or NULL: the system's */
};

/* libcurl, once per process (before its threads). */
void	 sga_broker_child_init(apr_pool_t *, server_rec *);
/* The whole answer to r: OK, or an HTTP status for Apache to send. */
int	 sga_broker_handle(request_rec *, const struct sga_brokered *);

#endif
