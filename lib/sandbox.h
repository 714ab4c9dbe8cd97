/* SPDX-License-Identifier: ISC */
/*
 * The teardown of a sandbox, written once for sandbox-destroy,
 * sandbox-create's undo and `sandgate reap`: the session first (the
 * revocation: token-verify refuses the token once the session is gone),
 * the container second, so no token outlives the request that ended it
 * however slow Docker is; a container whose removal then failed has no
 * session and is an orphan to `sandgate reap` (docs/contract.md §6.4).
 * Absence is success at every step (a repeat finishes the job); any
 * other failure stops the teardown and is returned in err.
 */
#ifndef SG_SANDBOX_H
#define SG_SANDBOX_H

#include "docker.h"
#include "session.h"
#include "sgerr.h"

/*
 * Stop the container did (when stop, with SG_DOCKER_STOP_GRACE seconds
 * of grace), then remove it with its anonymous volumes.  SG_ECONFLICT
 * from the removal is Docker's "removal already in progress".
 */
enum sg_rc	 sg_sandbox_remove(struct sg_docker *, const char *did,
		    int stop, struct sg_err *);
/*
 * Delete the session of cid, its entry in user's index (user: NULL ok)
 * and its sealed secrets (sandgate:secrets:<cid>).
 */
enum sg_rc	 sg_sandbox_forget(struct sg_redis *, const char *cid,
		    const char *user, struct sg_err *);
/* Both: sg_sandbox_forget, then sg_sandbox_remove(did, stop). */
enum sg_rc	 sg_sandbox_teardown(struct sg_docker *, struct sg_redis *,
		    const char *did, const char *cid, const char *user,
		    struct sg_err *);

#endif
