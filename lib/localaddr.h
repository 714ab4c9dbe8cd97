/* SPDX-License-Identifier: ISC */
/*
 * The host's own addresses (getifaddrs), for the egress rule "the target
 * is not local to this host" (issue 15): a name or an IP an allow-list
 * permits may still point at the proxy host itself, on an address that
 * is neither loopback nor private (a public address on eth0, one added
 * to a dummy interface), where every host service listening on
 * 0.0.0.0 would answer on the allowed ports.  Private and loopback
 * addresses are refused by sg_addr_is_private already and are not kept.
 *
 * The list is re-read when older than SG_LOCALADDR_TTL_US (addresses
 * come and go: DHCP, a floating IP), so an address added to the host is
 * refused at most that long after.  At most SG_LOCALADDR_MAX addresses;
 * a host with more fails closed (sg_localaddrs_refresh: SG_ETOOBIG).
 */
#ifndef SG_LOCALADDR_H
#define SG_LOCALADDR_H

#include <stddef.h>
#include <stdint.h>

#include "sgerr.h"

#define SG_LOCALADDR_MAX	256
#define SG_LOCALADDR_TTL_US	2000000		/* 2 s */

struct sg_localaddr {
	int		 family;	/* AF_INET (4 bytes) or AF_INET6 (16) */
	uint8_t		 a[16];
};

struct sg_localaddrs {
	int64_t		 loaded_us;	/* 0: never loaded (or failed) */
	size_t		 n;
	struct sg_localaddr v[SG_LOCALADDR_MAX];
};

/*
 * Re-read the list if it is older than SG_LOCALADDR_TTL_US at now_us (a
 * monotonic clock).  On failure the list is emptied and marked unloaded:
 * SG_EINTERNAL "local_addresses_unavailable" (getifaddrs failed) or
 * SG_ETOOBIG "too_many_local_addresses".
 */
enum sg_rc	 sg_localaddrs_refresh(struct sg_localaddrs *, int64_t now_us,
		    struct sg_err *);
/* Fill from a getifaddrs-style list (for tests); same errors. */
struct ifaddrs;
enum sg_rc	 sg_localaddrs_load(struct sg_localaddrs *,
		    const struct ifaddrs *, struct sg_err *);
/*
 * Whether addr is one of the list's; an IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d) is compared as its IPv4 address.
 */
int		 sg_localaddrs_has(const struct sg_localaddrs *, int family,
		    const uint8_t *addr);

#endif
