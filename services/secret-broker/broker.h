/* SPDX-License-Identifier: ISC */
/*
 * secret-broker: the FastCGI responder behind the egress proxy's
 * /broker/<NAME>/<path> (docs/secrets.md).  A request from a sandbox is
 * authorised by token-verify's own decision code, run in this process as
 * if the sandbox had asked the proxy for CONNECT <secret host>:<port>
 * (credentials, token, session alive and bound to the container and its
 * address, the host in the token's allow-list, the private-address
 * rule); then the sealed secret is opened and the request is sent over
 * verified TLS to that host with the secret's header added.  The answer
 * is bounded and any copy of the secret in it is masked.  Refusals are
 * 403 (401 for missing credentials) with {"error","message"}.
 */
#ifndef SG_BROKER_H
#define SG_BROKER_H

#include <limits.h>

#include "secret.h"
#include "verify.h"

/* The upstream's answer, at most (bytes). */
#define SG_BROKER_MAX_BODY	(8 * 1024 * 1024)

struct broker {
	struct app		 v;	/* token-verify's state */
	struct sg_secret_key	 keys[SG_SECRET_KEYS_MAX];
	size_t			 nkeys;
	char			 ca_file[PATH_MAX];
	int			 handoff;	/* a unix socket: may answer as authorizer */
	void			*curl;	/* CURL *, reset and reused per call */
	void			*multi;	/* CURLM *: its cache keeps the upstream connection */
};

/* token-verify's init, then the keys of SANDGATE_SECRET_KEYS. */
enum sg_rc	 sg_broker_init(struct broker *, const struct sg_cfg *,
		    struct sg_err *);
void		 sg_broker_clear(struct broker *);
void		 sg_broker_handle(void *, struct sg_req *, struct sg_resp *);

#endif
