/* SPDX-License-Identifier: ISC */
/*
 * Name resolution for the egress check, with a deadline and a cache.
 *
 * token-verify resolves every allowed target name before it allows it
 * (to refuse names that point at private or host-local addresses).  A
 * blocking getaddrinfo(3) has no deadline: with the resolver's default
 * retries a name server that never answers holds the worker for tens of
 * seconds, and four requests for slow names stop every tenant's
 * decisions.  So lookups go through c-ares with a deadline
 * (SANDGATE_DNS_TIMEOUT_MS), and answers are cached by their TTL:
 *
 *   - an answer for min(TTL of its records) seconds, at least 1 and at
 *     most SG_RESOLVE_TTL_MAX;
 *   - "no such name" / "no address" and a lookup that missed its
 *     deadline for SG_RESOLVE_NEGATIVE_TTL seconds, so that a slow or
 *     broken name costs each worker at most one deadline per that time,
 *     however often a sandbox asks for it;
 *   - at most SG_RESOLVE_CACHE names; the least recently used goes.
 *
 * The cache is per process (a worker's own), like the token cache.  The
 * name servers are those of /etc/resolv.conf (and /etc/hosts first, as
 * c-ares reads them at start), unless SANDGATE_DNS_SERVERS names others;
 * they should be the ones Apache's own lookups use.
 */
#ifndef SG_RESOLVE_H
#define SG_RESOLVE_H

#include <stddef.h>
#include <stdint.h>

#include "sgerr.h"

#define SG_RESOLVE_MAX_ADDRS	16	/* addresses kept per name */
#define SG_RESOLVE_CACHE	256	/* names cached per process */
#define SG_RESOLVE_TTL_MAX	300	/* seconds */
#define SG_RESOLVE_NEGATIVE_TTL	5	/* seconds, failures and timeouts */
#define SG_RESOLVE_NAME_MAX	253	/* RFC 1035 2.3.4, in text form */

struct sg_resolved_addr {
	int		 family;	/* AF_INET or AF_INET6 */
	uint8_t		 addr[16];	/* network order; 4 bytes for v4 */
};

struct sg_resolved {
	size_t			 n;
	struct sg_resolved_addr	 a[SG_RESOLVE_MAX_ADDRS];
	int			 cached;	/* 1: from the cache */
};

struct sg_resolver;

/*
 * timeout_ms: the deadline of one lookup (100..30000).  servers: NULL
 * or "" for /etc/resolv.conf, else "addr[:port],..." (c-ares' CSV form).
 * SG_EINVAL "bad_config" naming SANDGATE_DNS_SERVERS; SG_EINTERNAL.
 */
enum sg_rc	 sg_resolver_new(int timeout_ms, const char *servers,
		    struct sg_resolver **, struct sg_err *);
void		 sg_resolver_free(struct sg_resolver *);

/*
 * The addresses of name (a host name, not an IP literal).  SG_OK with
 * out filled (n >= 1); SG_EPERM "unresolvable_target" when the name has
 * no address, SG_EPERM "dns_timeout" when the deadline passed (both
 * cached for SG_RESOLVE_NEGATIVE_TTL).
 */
enum sg_rc	 sg_resolve(struct sg_resolver *, const char *name,
		    struct sg_resolved *out, struct sg_err *);

#endif
