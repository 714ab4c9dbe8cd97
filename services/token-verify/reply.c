/* SPDX-License-Identifier: ISC */
/*
 * token-verify: a verdict written as a response, in the dialect of the
 * request's FastCGI role (AUTHORIZER or RESPONDER; see verify.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claims.h"
#include "request.h"
#include "json.h"
#include "verify.h"
#include "verify-int.h"

/* ---- responses -------------------------------------------------------- */

static const char *
message_of(const struct sg_verdict *vd)
{
	switch (vd->status) {
	case 401:
		return "bearer token missing or not valid";
	case 403:
		return strcmp(vd->mode, "egress") == 0 ?
		    "target not allowed for this token" :
		    "not permitted for this token";
	case 407:
		return "proxy credentials missing or not valid";
	case 429:
		return vd->budget != NULL && strcmp(vd->budget, "bytes") == 0 ?
		    "this sandbox has used up its budget of bytes" :
		    "this sandbox has used up its budget of requests";
	case 503:
		return "session store unavailable";
	default:
		return "internal error";
	}
}

static void
respond_allow(const struct sg_verdict *vd, int authorizer,
    struct sg_resp *resp)
{
	const char	*kind = vd->kind != NULL ? vd->kind : "anonymous";
	int		 bad = 0;

	/*
	 * Claims were checked for control bytes by claims.c and sg_resp
	 * refuses CR/LF/NUL anyway; check first so that a refused value
	 * never leaves half the headers on an error (docs/security.md X7).
	 */
	if (!sg_str_printable(vd->sub) || !sg_str_printable(vd->scope) ||
	    !sg_str_printable(vd->container_id)) {
		sg_resp_error(resp, 500, "internal_error", "internal error");
		return;
	}
	resp->status = 200;
	if (authorizer) {
		/* Status and Variable-* only: anything else leaks (Apache). */
		bad |= sg_resp_header(resp, "Variable-SG_SUB", "%s",
		    vd->sub) != 0;
		bad |= sg_resp_header(resp, "Variable-SG_SCOPE", "%s",
		    vd->scope) != 0;
		bad |= sg_resp_header(resp, "Variable-SG_CONTAINER_ID", "%s",
		    vd->container_id) != 0;
		bad |= sg_resp_header(resp, "Variable-SG_KIND", "%s",
		    kind) != 0;
	} else {
		bad |= sg_resp_header(resp, "X-SG-Sub", "%s", vd->sub) != 0;
		bad |= sg_resp_header(resp, "X-SG-Scope", "%s",
		    vd->scope) != 0;
		bad |= sg_resp_header(resp, "X-SG-Container-Id", "%s",
		    vd->container_id) != 0;
		bad |= sg_resp_header(resp, "X-SG-Kind", "%s", kind) != 0;
	}
	if (bad) {
		sg_resp_clear(resp);
		sg_resp_init(resp);
		sg_resp_error(resp, 500, "internal_error", "internal error");
	}
}

void
sg_verify_respond(const struct sg_verdict *vd, int authorizer,
    struct sg_resp *resp)
{
	const char	*sn;

	if (vd->status == 200) {
		respond_allow(vd, authorizer, resp);
		return;
	}
	sg_resp_error(resp, vd->status, vd->reason, "%s", message_of(vd));
	switch (vd->status) {
	case 407:
		/* RFC 9110 11.7.1; a 401 here would reach clients as a 407
		 * without a usable challenge (docs/web-servers.md 1.4) */
		(void)sg_resp_header(resp, "Proxy-Authenticate", "%s",
		    CHALLENGE_PROXY);
		break;
	case 401:
		(void)sg_resp_header(resp, "WWW-Authenticate", "%s",
		    CHALLENGE_BEARER);
		break;
	case 403:
		/* RFC 6750 3.1 */
		if (strcmp(vd->reason, "insufficient_scope") == 0 &&
		    (sn = sg_scope_name(vd->need_scope)) != NULL)
			(void)sg_resp_header(resp, "WWW-Authenticate",
			    "Bearer error=\"insufficient_scope\", "
			    "scope=\"%s\"", sn);
		break;
	default:
		break;
	}
}
