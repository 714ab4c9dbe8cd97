/* SPDX-License-Identifier: ISC */
/*
 * Cutting a sandbox's open connections on this host (issue 15).
 *
 * The egress proxy checks a token when a CONNECT tunnel (or a request)
 * starts; a tunnel opened before the sandbox was destroyed, or before its
 * token expired, would keep flowing.  sg_tunnel_cut aborts every TCP
 * socket of this host's network namespace whose peer is the sandbox's
 * recorded address: on the proxy host those are the proxy's ends of the
 * sandbox's connections, so the proxy sees an error, closes the tunnel
 * and its upstream half, and the sandbox gets a reset.  The sandbox's
 * own end lives in its namespace (runc) or in gVisor's netstack (runsc);
 * either way the host side is the proxy's, so the cut holds for both.
 *
 * How: the kernel's socket-diagnostics netlink interface (sock_diag(7)):
 * a dump of the TCP sockets (inet_diag, states other than LISTEN,
 * SYN_RECV, TIME_WAIT and CLOSE), filtered here by destination address,
 * then SOCK_DESTROY for each (what `ss -K dst ADDR` does).  SOCK_DESTROY
 * needs CAP_NET_ADMIN in this namespace and a kernel built with
 * CONFIG_INET_DIAG_DESTROY.  An IPv4 address also matches the
 * IPv4-mapped form on AF_INET6 sockets (a proxy listening on [::]).
 *
 * Errors: SG_EINVAL "bad_address" (not an IPv4/IPv6 literal, or one
 * no sandbox has: 127.0.0.1, ::1, an unspecified address, IPv4-mapped
 * 127.x; every local client uses those, so a session recording one must
 * not cut the host's own connections);
 * SG_EPERM "tunnel_cut_denied" (no CAP_NET_ADMIN); SG_EUNAVAIL
 * "tunnel_cut_unsupported" (kernel without SOCK_DESTROY, or no
 * sock_diag); SG_EINTERNAL "tunnel_cut_failed" otherwise.  A socket that
 * is gone by the time it is destroyed counts as cut.  At most
 * SG_TUNNEL_MAX sockets per call; *ncut (may be NULL) gets the number
 * destroyed even on failure.
 */
#ifndef SG_TUNNEL_H
#define SG_TUNNEL_H

#include <stddef.h>

#include "sgerr.h"

#define SG_TUNNEL_MAX	65536

enum sg_rc	 sg_tunnel_cut(const char *ip, size_t *ncut, struct sg_err *);

#endif
