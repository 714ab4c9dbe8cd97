/* SPDX-License-Identifier: ISC */
/*
 * session-query: GET /v1/sessions/{id}, GET /v1/sessions?user_id=U and
 * GET /healthz over the Redis session store.  query_handle is a pure
 * function of (app, req, resp) apart from the Redis calls: the unit
 * tests drive it with hand-built requests and a real redis-server.
 */
#ifndef QUERY_H
#define QUERY_H

#include "cfg.h"
#include "sgerr.h"
#include "request.h"
#include "response.h"
#include "session.h"

struct app {
	const struct sg_cfg	*cfg;
	struct sg_redis		*redis;	/* SANDGATE_REDIS, lazily connected */
};

/* SG_EINVAL "bad_config" naming SANDGATE_REDIS on a bad URL. */
enum sg_rc	 query_init(struct app *, const struct sg_cfg *,
		    struct sg_err *);
void		 query_clear(struct app *);
void		 query_handle(void *app, struct sg_req *, struct sg_resp *);
/* policy.c: 1 when the request was a policy route (resp holds it). */
int		 policy_handle(struct app *, struct sg_req *, struct sg_resp *);

#endif
