/* SPDX-License-Identifier: ISC */
/*
 * token-issuer: POST /v1/tokens mints container tokens, GET
 * /.well-known/jwks.json publishes the verification keys, GET /healthz.
 * issuer_handle is a pure function of (app, req, resp): the unit tests
 * drive it with hand-built requests.
 */
#ifndef ISSUER_H
#define ISSUER_H

#include <time.h>

#include <cjson/cJSON.h>

#include "cfg.h"
#include "sgerr.h"
#include "request.h"
#include "response.h"
#include "keys.h"

struct app {
	const struct sg_cfg	*cfg;
	struct sg_key		*key;	/* SANDGATE_SIGNING_KEY, private */
	struct sg_keyset	*keys;	/* published: verify keys + signer */
	cJSON			*jwks;	/* {"keys":[...]}, built once */
	time_t			 now;	/* 0: the clock; tests fix it */
};

/*
 * Load the signing key (required) and SANDGATE_VERIFY_KEYS; the JWKS
 * holds every verification key plus the signing key's public half when
 * its kid is not there yet.  Errors name the variable (SG_EINVAL
 * "bad_config"); services stop with EX_CONFIG on them.
 */
enum sg_rc	 issuer_init(struct app *, const struct sg_cfg *,
		    struct sg_err *);
void		 issuer_clear(struct app *);
void		 issuer_handle(void *app, struct sg_req *, struct sg_resp *);
/*
 * The sg_handler for sg_serve: issuer_handle after a SIGHUP reload of
 * the keys (rotation without a restart); a reload that fails keeps the
 * old ones.
 */
void		 issuer_serve(void *app, struct sg_req *, struct sg_resp *);

#endif
