/* SPDX-License-Identifier: ISC */
/*
 * The teardown of a sandbox (sandbox.h).  Each step works on its own
 * sg_err and hands a failure on only when err holds none yet, so the
 * first failure is the one reported.
 */
#include "config.h"

#include <stddef.h>

#include "chain.h"
#include "docker.h"
#include "log.h"
#include "ops.h"
#include "sandbox.h"
#include "secret.h"
#include "session.h"
#include "sgerr.h"

static enum sg_rc
keep(enum sg_rc rc, struct sg_err *err, const struct sg_err *e)
{
	if (rc == SG_OK || rc == SG_ENOENT)
		return SG_OK;
	if (err != NULL && err->rc == SG_OK)
		*err = *e;
	return rc;
}

enum sg_rc
sg_sandbox_remove(struct sg_docker *d, const char *did, int stop,
    struct sg_err *err)
{
	struct sg_err	 e;
	enum sg_rc	 rc;

	if (stop) {
		sg_err_clear(&e);
		rc = sg_docker_container_stop(d, did, SG_DOCKER_STOP_GRACE,
		    &e);
		if ((rc = keep(rc, err, &e)) != SG_OK)
			return rc;
	}
	sg_err_clear(&e);
	rc = sg_docker_container_remove(d, did, 1, 1, &e);
	return keep(rc, err, &e);
}

enum sg_rc
sg_sandbox_forget(struct sg_redis *r, const char *cid, const char *user,
    struct sg_err *err)
{
	struct sg_err	 e, es;
	enum sg_rc	 rc, rs;

	sg_err_clear(&e);
	rc = sg_session_del(r, cid, user, &e);
	/*
	 * The sandbox's sealed secrets (lib/secret.h) go with the session,
	 * and are deleted even when the session's delete failed: the
	 * broker refuses them once the session is gone and their TTL is
	 * the session's, so nothing usable stays, but no ciphertext should
	 * outlive the sandbox longer than it must.  The session's error,
	 * if any, is the one reported.
	 */
	sg_err_clear(&es);
	rs = sg_secret_del_all(r, cid, &es);
	rc = keep(rc, err, &e);
	rs = keep(rs, err, &es);
	return rc != SG_OK ? rc : rs;
}

enum sg_rc
sg_sandbox_teardown(struct sg_docker *d, struct sg_redis *r, const char *did,
    const char *cid, const char *user, struct sg_err *err)
{
	enum sg_rc	 rc;

	/*
	 * Revocation first: the token must die even when Docker then
	 * fails, and a container without a session is an orphan the next
	 * reaper pass (or a repeat) removes.
	 */
	if ((rc = sg_sandbox_forget(r, cid, user, err)) != SG_OK)
		return rc;
	return sg_sandbox_remove(d, did, 1, err);
}

void
sg_sandbox_seal(struct sg_redis *r, const struct sg_key *key,
    const char *cid, const char *service, const char *reason)
{
	struct sg_err	 e;
	enum sg_rc	 rc;

	if (key == NULL)
		return;
	/* What this process queued for the trail goes out first. */
	sg_ops_idle();
	sg_err_clear(&e);
	rc = sg_chain_seal(r, key, cid, service, reason, 1, &e);
	if (rc != SG_OK && rc != SG_ENOENT)
		sg_log(SG_LOG_WARN, "audit_seal_failed", "container_id", cid,
		    "detail", e.msg, (char *)NULL);
}
