/* SPDX-License-Identifier: ISC */
/*
 * token-verify: what its source files share and nothing outside uses.
 */
#ifndef SG_VERIFY_INT_H
#define SG_VERIFY_INT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "clock.h"
#include "verify.h"

#define CHALLENGE_PROXY		"Basic realm=\"sandgate\""
#define CHALLENGE_BEARER	"Bearer error=\"invalid_token\""

#define PREFIX_USER		"container_"
#define PREFIX_PASS		"jwt_"

/* The clocks, or the fixed ones a test set. */
static inline time_t
wall_now(const struct app *v)
{
	return v->fixed_now != 0 ? v->fixed_now : time(NULL);
}

static inline int64_t
mono_us(const struct app *v)
{
	return v->fixed_mono_us != 0 ? v->fixed_mono_us : sg_now_us();
}

/*
 * Egress credentials: Proxy-Authorization, else REMOTE_USER and
 * REMOTE_PASSWD (Apache's AuthType Basic decoded the header itself).
 * Like sg_verify_parse_basic; the caller wipes buf.
 */
enum sg_rc	 sg_verify_egress_creds(const struct sg_req *, char *buf,
		    size_t size, char cid[SG_ID_MAX + 1], const char **tok,
		    size_t *toklen, struct sg_err *);

#endif
