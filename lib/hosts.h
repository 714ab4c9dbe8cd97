/* SPDX-License-Identifier: ISC */
/*
 * Host patterns (the allowed_hosts claim) and egress targets.
 *
 * A pattern is "name", "*.name" (any subdomain of name, at any depth, on
 * a label boundary, never name itself) or an IP literal ("192.0.2.1",
 * "[2001:db8::1]"), each with an optional ":port" (decimal 1-65535, no
 * sign, no leading zero).  Names are ASCII LDH labels (1-63 chars of
 * a-z 0-9 '-', no leading or trailing hyphen; "xn--" A-labels are LDH and
 * match only themselves), at most 253 chars, lowercased with one trailing
 * dot removed ("github.com." is "github.com", "github.com.." is
 * invalid).  A single-label name ("localhost", "target") is a valid exact
 * pattern (tests, internal networks); "*" and a wildcard over a single
 * label ("*.com") are invalid.  Anything with whitespace, '@', '/', '%',
 * '\\', '#', '?', '_', a control or a non-ASCII byte is invalid.
 *
 * Numbers: IPv4 is dotted-quad decimal without leading zeros only.  A
 * host made of digits and dots that is no such quad ("127.1", "0",
 * "2130706433", "0177.0.0.1", "127.000.000.001") is invalid, and so is a
 * name whose last label is all digits or "0x" + hex ("0x7f000001",
 * "0x7f.1", "a.123") or that inet_aton would read as an address: such
 * hosts are refused, never reinterpreted.  IPv6 needs brackets (a bare
 * "::1:443" is ambiguous with a port) and takes no zone id ("%25eth0");
 * an IPv4 literal takes no trailing dot.
 *
 * A list is patterns separated by ',' with no empty element and no
 * whitespace, at most SG_HOSTS_MAX patterns and SG_HOSTS_STR_MAX bytes
 * (SG_ETOOBIG "too_many_hosts" past either); "" is the empty list, which
 * matches nothing.  The same pattern may appear twice.
 *
 * A target comes from REQUEST_URI only: "host:port" for CONNECT (method
 * compared case-sensitively, RFC 9110 9.1; port required; brackets
 * around IPv6), otherwise an absolute "http://" or "https://" URI (scheme
 * case-insensitive) whose port defaults from the scheme (80, 443); the
 * authority ends at '/' or '?', path and query are ignored.  Userinfo,
 * '%', '\\', '#' in the authority, an empty host or port, whitespace and
 * control characters anywhere make the target invalid; origin-form
 * ("/x") and "*" are not egress targets.  Hosts follow the rules above.
 *
 * Matching: a name pattern matches only a name target, an IP pattern only
 * an IP target of the same family and the same bytes, so
 * "[::ffff:127.0.0.1]" and "127.0.0.1" never match each other, and no
 * name is ever turned into an address or back.  A pattern with a port
 * needs exactly that port; one without needs a port in dflt (NULL: none).
 */
#ifndef SG_HOSTS_H
#define SG_HOSTS_H

#include <stddef.h>
#include <stdint.h>

#include "sgerr.h"

#define SG_HOST_MAX		253	/* name length without the dot */
#define SG_HOSTS_MAX		256	/* patterns in one list */
#define SG_HOSTS_STR_MAX	16384	/* bytes of one allowed_hosts string */
#define SG_PORTS_MAX		32

enum sg_host_kind {
	SG_HOST_NAME,
	SG_HOST_IPV4,
	SG_HOST_IPV6
};

struct sg_hostpat {
	enum sg_host_kind kind;
	int		 wildcard;		/* "*.name" */
	uint16_t	 port;			/* 0: any of the egress ports */
	char		 name[SG_HOST_MAX + 1];	/* normalised, without "*." */
	uint8_t		 addr[16];		/* IP literals */
};

struct sg_hostlist {
	size_t		 n;
	struct sg_hostpat *v;
};

struct sg_ports {
	size_t		 n;
	uint16_t	 v[SG_PORTS_MAX];
};

struct sg_target {
	enum sg_host_kind kind;
	uint16_t	 port;
	char		 host[SG_HOST_MAX + 1];	/* normalised; IPv6 without [] */
	uint8_t		 addr[16];		/* IP targets */
};

/* One pattern, len bytes of s.  SG_EINVAL "bad_host_pattern". */
enum sg_rc	 sg_hostpat_parse(const char *s, size_t len,
		    struct sg_hostpat *, struct sg_err *);
/* The canonical text of a pattern ("*.x.com:8443", "[::1]:80") into buf. */
int		 sg_hostpat_format(const struct sg_hostpat *, char *buf,
		    size_t size);
/* A comma-separated list; the list is malloc'd, clear it when done. */
enum sg_rc	 sg_hosts_parse(const char *s, size_t len,
		    struct sg_hostlist *, struct sg_err *);
void		 sg_hostlist_init(struct sg_hostlist *);
void		 sg_hostlist_clear(struct sg_hostlist *);
/* Append one parsed pattern (duplicates kept); SG_ETOOBIG past the cap. */
enum sg_rc	 sg_hostlist_add(struct sg_hostlist *, const struct sg_hostpat *,
		    struct sg_err *);
/* The canonical comma-separated text into a malloc'd string. */
char		*sg_hostlist_join(const struct sg_hostlist *);

/* "80,443": decimal 1-65535, no duplicates needed, at most SG_PORTS_MAX. */
enum sg_rc	 sg_ports_parse(const char *s, struct sg_ports *,
		    struct sg_err *);
int		 sg_ports_has(const struct sg_ports *, uint16_t);

/*
 * The target of a proxy request.  method is REQUEST_METHOD, uri is
 * REQUEST_URI.  SG_EINVAL "bad_target" for anything not understood.
 */
enum sg_rc	 sg_target_parse(const char *method, const char *uri,
		    struct sg_target *, struct sg_err *);
/*
 * Whether t is allowed by list: a pattern with a port needs that port, a
 * pattern without one needs a port in dflt.  Returns 1 or 0.
 */
int		 sg_hosts_match(const struct sg_hostlist *,
		    const struct sg_target *, const struct sg_ports *dflt);

/*
 * Whether an address is loopback, unspecified, private (RFC 1918, ULA),
 * link-local, CGNAT (100.64/10), multicast, broadcast, reserved,
 * documentation, benchmarking, or a cloud metadata address; IPv4 embedded
 * in IPv6 (mapped, compatible, NAT64 64:ff9b::/96, 6to4 2002::/16,
 * Teredo) is classified by the embedded address.  family is AF_INET (4
 * bytes) or AF_INET6 (16 bytes); any other family counts as private.
 * Also private: 192.88.99/24 (6to4 relay), 168.63.129.16 (Azure
 * WireServer), all of 64:ff9b:1::/48 (local-use NAT64), and every IPv6
 * address outside 2000::/3 (not global unicast) that is not IPv4 in
 * disguise; inside it 2001:db8::/32, 3fff::/20, 2001:2::/48, 2001:10::/28.
 */
int		 sg_addr_is_private(int family, const uint8_t *addr);
struct sg_resolver;
/*
 * Resolve names in sg_target_check_public through r (resolve.h: a
 * deadline and a cache) instead of getaddrinfo(3); NULL to go back.
 */
void		 sg_hosts_set_resolver(struct sg_resolver *r);
/*
 * For the private-target rule: SG_OK if t is public.  An IP target is
 * classified directly; a name is resolved (sg_hosts_set_resolver, else
 * getaddrinfo) and refused (SG_EPERM "private_target") if any address is
 * private, (SG_EPERM "unresolvable_target") if it does not resolve, or
 * (SG_EPERM "dns_timeout") if it did not resolve in time.
 */
enum sg_rc	 sg_target_check_public(const struct sg_target *,
		    struct sg_err *);
/*
 * The same, and also SG_EPERM "local_target" if the target is, or its
 * name resolves to, one of local's addresses (the proxy host's own,
 * lib/localaddr.h); local NULL: sg_target_check_public.
 */
struct sg_localaddrs;
enum sg_rc	 sg_target_check_outside(const struct sg_target *,
		    const struct sg_localaddrs *local, struct sg_err *);
/*
 * The addresses a connection to t may use, into out: t's own for an IP
 * target, else the name's answers (resolved as above).  check 1: each
 * is refused as sg_target_check_outside refuses it (out->n 0 then).  A
 * connector given exactly these (libcurl's CURLOPT_RESOLVE) reaches
 * what was checked, never a second, different answer for the name.
 */
struct sg_resolved;
enum sg_rc	 sg_target_addrs(const struct sg_target *,
		    const struct sg_localaddrs *local, int check,
		    struct sg_resolved *out, struct sg_err *);

#endif
