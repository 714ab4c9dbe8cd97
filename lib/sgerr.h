/* SPDX-License-Identifier: ISC */
/*
 * Error codes shared by the whole library.  Library functions return an
 * enum sg_rc (SG_OK == 0) and, when the caller passes one, fill a struct
 * sg_err with a stable snake_case reason code (for logs and JSON error
 * bodies) and a human sentence.  The first error set wins, as in hiredis.
 * Libraries never log and never exit.
 *
 * Named sgerr.h, not err.h: with -Ilib an "err.h" would hide the system
 * <err.h>, and the services' mains use err(3)/errx(3).
 */
#ifndef SG_ERR_H
#define SG_ERR_H

#include <stddef.h>

enum sg_rc {
	SG_OK = 0,
	SG_EINVAL,	/* malformed input: 400 */
	SG_EAUTH,	/* bad or missing credentials, bad token: 401/407 */
	SG_EPERM,	/* valid credentials, not allowed: 403 */
	SG_ENOENT,	/* no such thing: 404 */
	SG_ECONFLICT,	/* already exists / state conflict: 409 */
	SG_ETOOBIG,	/* input over a limit: 413 */
	SG_EMEDIA,	/* wrong content type: 415 */
	SG_ELIMIT,	/* quota reached: 429 */
	SG_EUPSTREAM,	/* a dependency answered with an error: 502 */
	SG_EUNAVAIL,	/* a dependency is down or missing: 503 */
	SG_ETIMEOUT,	/* a dependency did not answer in time: 503 */
	SG_ENOMEM,	/* allocation failed: 500 */
	SG_EINTERNAL	/* anything else: 500 */
};

struct sg_err {
	enum sg_rc	 rc;
	const char	*code;		/* static snake_case reason */
	char		 msg[128];	/* human sentence, no secrets */
};

/*
 * Record an error unless one is recorded already; returns rc so callers
 * can write "return sg_err_set(err, SG_EINVAL, "bad_json", "...")".
 * err may be NULL.  code must be a string literal (it is not copied).
 */
enum sg_rc	 sg_err_set(struct sg_err *, enum sg_rc, const char *code,
		    const char *fmt, ...)
		    __attribute__((format(printf, 4, 5)));
void		 sg_err_clear(struct sg_err *);
const char	*sg_rc_str(enum sg_rc);
/* The HTTP status for a code: the one place that maps them. */
int		 sg_rc_http(enum sg_rc);
/*
 * The status of a failed call to a dependency (Redis, Docker) on behalf
 * of a request: 503 when it is down or slow (try again later), 500 when
 * the failure is ours (out of memory, internal), 502 for anything else
 * (it answered, but wrong).
 */
int		 sg_rc_http_dep(enum sg_rc);

#endif
