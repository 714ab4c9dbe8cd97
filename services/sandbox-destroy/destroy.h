/* SPDX-License-Identifier: ISC */
/*
 * sandbox-destroy: DELETE /v1/sandboxes/{id} (docs/contract.md §5.2).
 * Deletes the session and its index entry first (the revocation: the
 * token is refused at token-verify within SANDGATE_SESSION_CACHE_MS),
 * then stops the container with the 5 s grace and removes it with its
 * volumes; the sandbox's open connections (CONNECT tunnels) are cut
 * right after the revocation and again after the Docker step
 * (lib/tunnel.h).  204 when both are done, 404 when neither a sandgate
 * container nor a session exists, 202 {"revoked":true,"teardown":
 * "pending"} when the session is gone but Docker failed (the reaper
 * removes the container, or a repeat of the request), 503 when the
 * session could not be revoked (Redis) or, with no session left, Docker
 * cannot be asked.
 */
#ifndef SG_DESTROY_H
#define SG_DESTROY_H

#include <stddef.h>
#include <stdint.h>

#include "cfg.h"
#include "docker.h"
#include "sgerr.h"
#include "request.h"
#include "response.h"
#include "session.h"

#include "../sandbox-app.h"


/* What destroy_sandbox found and did. */
struct destroy_result {
	int	 had_container;	/* one labelled with this id */
	int	 had_session;
	int	 revoked;	/* this call deleted the session */
	int	 revoke_failed;	/* Redis failed: nothing done */
	int	 pending;	/* revoked, but the container may remain */
	int64_t	 revoked_us;	/* sg_now_us() at the revocation */
	char	 ip[64];	/* the session's container_ip ("" none) */
	char	 engine[SG_ENGINE_NAME_MAX + 1];	/* the session's */
	size_t	 cut;		/* sockets cut (lib/tunnel.h) */
	int	 cut_failed;	/* a cut failed (logged) */
};

/* The FastCGI handler (an sg_handler). */
void		 destroy_handle(void *app, struct sg_req *,
		    struct sg_resp *);

/*
 * Tear one sandbox down: session and index entry, then the container
 * (only one labelled sandgate.container_id=<id>; any other container of
 * that name is left alone).  SG_OK even when there was nothing (see
 * res); SG_EUNAVAIL/SG_ETIMEOUT/SG_EUPSTREAM when Redis (res->
 * revoke_failed, nothing done) or Docker (res->pending when this call
 * revoked the session) failed.
 */
enum sg_rc	 destroy_sandbox(struct app *, const char *id,
		    struct destroy_result *, struct sg_err *);

#endif
