/* SPDX-License-Identifier: ISC */
/*
 * The narrow-only policy of a sandbox (docs/contract.md §10): an overlay
 * an operator sets on a running sandbox and timed grants, stored in its
 * session ("policy" member), applied by token-verify on top of the
 * token.  Pure: no Redis, no HTTP.
 *
 * The token is the ceiling.  The overlay names a subset of the token's
 * hosts, each with an optional list of methods (plain HTTP methods, and
 * CONNECT for a tunnel as a whole) and of path prefixes (plain HTTP
 * only: a tunnel's paths are not visible, so a host with paths refuses
 * CONNECT), and an optional expiry earlier than the token's, after which
 * nothing is allowed.  A grant adds one host of the token for a few
 * minutes with no method or path rule.  Effective policy: token AND
 * (overlay OR live grants); no overlay: the token alone (grants need an
 * overlay, since without one the token already allows every host).
 *
 * Input (PATCH body, sg_policy_parse_overlay): an object with "hosts"
 * (array, at most SG_POLICY_MAX_HOSTS, of a pattern string or an object
 * {"host", "methods", "paths"}) and optional "expires_at" (Unix seconds);
 * any other member, a duplicate, a wrong type or a value past a limit is
 * refused (SG_EINVAL, a snake_case code and a sentence).
 * sg_policy_narrows then refuses what would widen the token.
 */
#ifndef SG_POLICY_H
#define SG_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "claims.h"
#include "hosts.h"
#include "sgerr.h"

#define SG_POLICY_MAX_HOSTS	32	/* overlay entries */
#define SG_POLICY_MAX_METHODS	8	/* per entry */
#define SG_POLICY_MAX_PATHS	8	/* per entry */
#define SG_POLICY_PATH_MAX	128	/* bytes of one prefix */
#define SG_POLICY_MAX_GRANTS	16	/* live grants */
#define SG_POLICY_GRANT_MIN_MAX	1440	/* minutes of one grant, at most */
#define SG_POLICY_MAX_BODY	16384	/* bytes of a PATCH/POST body */

/* Method bits */
#define SG_PM_GET	0x01u	/* also HEAD (RFC 9110 9.3.2) */
#define SG_PM_POST	0x02u
#define SG_PM_PUT	0x04u
#define SG_PM_PATCH	0x08u
#define SG_PM_DELETE	0x10u
#define SG_PM_OPTIONS	0x20u
#define SG_PM_CONNECT	0x40u

struct sg_policy_rule {
	struct sg_hostpat pat;
	unsigned	 methods;	/* 0: any */
	size_t		 npaths;	/* 0: any */
	char		 paths[SG_POLICY_MAX_PATHS][SG_POLICY_PATH_MAX + 1];
};

struct sg_policy_grant {
	struct sg_hostpat pat;
	int64_t		 expires_at;
	char		 by[SG_SUB_MAX + 1];
};

struct sg_policy {
	int		 overlay;	/* 0: no overlay (token alone) */
	int64_t		 expires_at;	/* 0: the token's */
	size_t		 n;
	struct sg_policy_rule *rules;	/* n of them, malloc'd */
	size_t		 ngrants;
	struct sg_policy_grant grants[SG_POLICY_MAX_GRANTS];
	char		 set_by[SG_SUB_MAX + 1];	/* operator sub */
	int64_t		 set_at;
	int64_t		 rev;		/* bumped on every write */
};

/*
 * An initialised policy (or one zeroed by calloc) owns its rules:
 * clear frees them, free frees a malloc'd policy too (NULL is fine),
 * copy makes a deep copy (SG_ENOMEM; dst initialised or cleared).
 */
void		 sg_policy_init(struct sg_policy *);
void		 sg_policy_clear(struct sg_policy *);
void		 sg_policy_free(struct sg_policy *);
enum sg_rc	 sg_policy_copy(struct sg_policy *dst, const struct sg_policy *,
		    struct sg_err *);
/*
 * The PATCH body (see above) into p's overlay (grants, set_by, rev are
 * left as they are).  SG_EINVAL with code unknown_field, bad_hosts,
 * bad_host, too_many_hosts, bad_methods, bad_method, bad_paths,
 * bad_path, bad_expires_at.
 */
enum sg_rc	 sg_policy_parse_overlay(const cJSON *, struct sg_policy *,
		    struct sg_err *);
/*
 * SG_OK when p only narrows a token of hosts and exp: each overlay host
 * and grant within a pattern of hosts (a wildcard covers what it would
 * match, nothing more), the expiry not after exp.  SG_EINVAL
 * "host_not_in_token" / "expiry_after_token" otherwise.
 */
enum sg_rc	 sg_policy_narrows(const struct sg_policy *,
		    const struct sg_hostlist *hosts, int64_t exp,
		    struct sg_err *);
/* Whether one pattern lies within the list (as sg_policy_narrows). */
int		 sg_policy_covered(const struct sg_hostlist *,
		    const struct sg_hostpat *);
/*
 * The stored form: the overlay's members plus "grants", "set_by",
 * "set_at", "rev".  With now > 0, grants expired by then are left out.
 * NULL on ENOMEM.
 */
cJSON		*sg_policy_to_json(const struct sg_policy *, int64_t now);
/* The stored form back (strict, as parse_overlay); SG_EUPSTREAM. */
enum sg_rc	 sg_policy_from_json(const cJSON *, struct sg_policy *,
		    struct sg_err *);
/* Drop grants expired at now. */
void		 sg_policy_prune(struct sg_policy *, int64_t now);

/*
 * The overlay's verdict on a request the token already allows: NULL to
 * allow, else the reason (policy_expired, host_not_allowed,
 * method_not_allowed, path_not_allowed).  method and uri are
 * REQUEST_METHOD and REQUEST_URI, t the target parsed from them.
 */
const char	*sg_policy_decide(const struct sg_policy *, const char *method,
		    const char *uri, const struct sg_target *,
		    const struct sg_ports *dflt, int64_t now);

#endif
