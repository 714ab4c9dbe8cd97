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

/*
 * The sentence of a denial an agent can show its user: by reason code
 * first (docs/contract.md §10.3), else by status.
 */
static const struct {
	const char	*reason;
	const char	*msg;
} reason_msgs[] = {
	{ "host_not_allowed", "the target is not in the allowed hosts" },
	{ "method_not_allowed", "the policy does not allow this method on "
	    "this host" },
	{ "path_not_allowed", "the policy does not allow this path on this "
	    "host" },
	{ "policy_expired", "the sandbox's policy has expired" },
	{ "session_revoked", "the token was revoked (the sandbox is gone)" },
	{ "session_mismatch", "the token was replaced by a newer one" },
	{ "token_expired", "the token has expired" },
	{ "budget_exhausted", "the sandbox has used up its budget" },
	{ "local_target", "the target is an address of the proxy host" },
	{ "private_target", "the target is a private address" },
	{ "unresolvable_target", "the target name does not resolve" },
	{ "dns_timeout", "the target name did not resolve in time" },
	{ "bad_target", "the request target is not understood" },
	{ "binding_mismatch", "the token is not valid from this address" },
	{ "session_store_unavailable", "session store unavailable" },
};

static const char *
message_of(const struct sg_verdict *vd)
{
	size_t	 i;

	/* budget_exhausted names which budget (decide.c sets vd->budget) */
	if (vd->budget != NULL)
		return strcmp(vd->budget, "bytes") == 0 ?
		    "the sandbox has used up its budget of bytes" :
		    "the sandbox has used up its budget of requests";
	if (strcmp(vd->mode, "egress") == 0 && vd->reason != NULL)
		for (i = 0; i < sizeof(reason_msgs) / sizeof(reason_msgs[0]);
		    i++)
			if (strcmp(vd->reason, reason_msgs[i].reason) == 0)
				return reason_msgs[i].msg;
	switch (vd->status) {
	case 401:
		return "bearer token missing or not valid";
	case 403:
		return strcmp(vd->mode, "egress") == 0 ?
		    "target not allowed for this token" :
		    "not permitted for this token";
	case 407:
		return "proxy credentials missing or not valid";
	case 503:
		return "session store unavailable";
	default:
		return "internal error";
	}
}

/*
 * A proxy denial an agent can read (docs/contract.md §10.3): the body
 * {"error","message","target"} and X-Sandgate-Reason: <code>, plus
 * X-Sandgate-Target: host:port.  The target is the parsed, validated
 * one (LDH name or IP literal and a port; decide.c's format_target),
 * never the raw request bytes, and absent when the target did not
 * parse; the reason is one of our own snake_case codes.  Nothing of the
 * credentials is in either.
 */
static void
egress_denial(const struct sg_verdict *vd, struct sg_resp *resp)
{
	cJSON	*o;

	if (!sg_str_printable(vd->reason))
		return;
	(void)sg_resp_header(resp, "X-Sandgate-Reason", "%s", vd->reason);
	if (vd->target[0] == '\0' || !sg_str_printable(vd->target))
		return;
	(void)sg_resp_header(resp, "X-Sandgate-Target", "%s", vd->target);
	if ((o = cJSON_CreateObject()) == NULL ||
	    sg_json_add_str(o, "error", vd->reason) != 0 ||
	    sg_json_add_str(o, "message", message_of(vd)) != 0 ||
	    sg_json_add_str(o, "target", vd->target) != 0) {
		/* the body of sg_resp_error stays: code and sentence */
		cJSON_Delete(o);
		return;
	}
	sg_resp_json(resp, vd->status, o);
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
		/*
		 * For mod_sandgate_authz's decision cache (harmless in the
		 * environment otherwise): how long this allow may be reused,
		 * and the target it is for, which sandgate-budget-log writes
		 * into the trail for every request let through on it.
		 */
		if (vd->reuse_ms > 0 && sg_str_printable(vd->target))
			bad |= sg_resp_header(resp, "Variable-SG_REUSE_MS",
			    "%lld", (long long)vd->reuse_ms) != 0 ||
			    sg_resp_header(resp, "Variable-SG_TARGET", "%s",
			    vd->target) != 0;
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
	if (vd->mode != NULL && strcmp(vd->mode, "egress") == 0)
		egress_denial(vd, resp);
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
