/* SPDX-License-Identifier: ISC */
/*
 * The teardown of a sandbox (sandbox.h).  Each step works on its own
 * sg_err and hands a failure on only when err holds none yet, so the
 * first failure is the one reported.
 */
#include "config.h"

#include <stddef.h>

#include "docker.h"
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
	struct sg_err	 e;

	enum sg_rc	 rc;

	sg_err_clear(&e);
	if ((rc = keep(sg_session_del(r, cid, user, &e), err, &e)) != SG_OK)
		return rc;
	/*
	 * The sandbox's sealed secrets (lib/secret.h) go with the session;
	 * the broker refuses them already once the session is gone, and
	 * their TTL is the session's, so a failure here leaves nothing
	 * usable behind.
	 */
	sg_err_clear(&e);
	return keep(sg_secret_del_all(r, cid, &e), err, &e);
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
