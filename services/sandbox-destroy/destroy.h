/* SPDX-License-Identifier: ISC */
/*
 * sandbox-destroy: DELETE /v1/sandboxes/{id} (docs/contract.md §5.2).
 * Stops the container with the 5 s grace, removes it with its volumes,
 * then deletes the session and its index entry, so the token stops
 * working at token-verify at once.  204 on success, 404 when neither a
 * sandgate container nor a session exists.  When Docker cannot answer
 * the session is kept (503) until the container is really gone.
 */
#ifndef SG_DESTROY_H
#define SG_DESTROY_H

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
};

/* The FastCGI handler (an sg_handler). */
void		 destroy_handle(void *app, struct sg_req *,
		    struct sg_resp *);

/*
 * Tear one sandbox down: container (only one labelled
 * sandgate.container_id=<id>; any other container of that name is left
 * alone), then session and index entry.  SG_OK even when there was
 * nothing (see res); SG_EUNAVAIL/SG_ETIMEOUT/SG_EUPSTREAM when Docker or
 * Redis failed, with the session kept when the container may still run.
 */
enum sg_rc	 destroy_sandbox(struct app *, const char *id,
		    struct destroy_result *, struct sg_err *);

#endif
