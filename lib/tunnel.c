/* SPDX-License-Identifier: ISC */
/*
 * Cutting a sandbox's open connections: see tunnel.h.  sock_diag(7) over
 * NETLINK_SOCK_DIAG: SOCK_DIAG_BY_FAMILY dumps (inet_diag_req_v2, one per
 * address family), SOCK_DESTROY requests for the matches.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sgerr.h"
#include "tunnel.h"

/*
 * TCP states worth cutting (include/net/tcp_states.h): ESTABLISHED 1,
 * SYN_SENT 2, FIN_WAIT1 4, FIN_WAIT2 5, CLOSE_WAIT 8, LAST_ACK 9,
 * CLOSING 11.  Left out: SYN_RECV 3 (request socks, no full socket yet),
 * TIME_WAIT 6 and CLOSE 7 (nothing flows), LISTEN 10 (not a peer's).
 */
#define CUT_STATES	((1U << 1) | (1U << 2) | (1U << 4) | (1U << 5) | \
			(1U << 8) | (1U << 9) | (1U << 11))
#define NL_TIMEOUT_S	2	/* no netlink answer in this long: give up */

struct cut_req {
	struct nlmsghdr		 nlh;
	struct inet_diag_req_v2	 r;
};

struct cut_set {
	struct inet_diag_sockid	*id;
	size_t			 n, cap;
};

static enum sg_rc
nl_errno(int e, struct sg_err *err)
{
	if (e == EPERM || e == EACCES)
		return sg_err_set(err, SG_EPERM, "tunnel_cut_denied",
		    "cutting connections needs CAP_NET_ADMIN");
	if (e == EOPNOTSUPP || e == EPROTONOSUPPORT || e == ENOENT ||
	    e == EAFNOSUPPORT)
		return sg_err_set(err, SG_EUNAVAIL, "tunnel_cut_unsupported",
		    "the kernel cannot destroy sockets "
		    "(CONFIG_INET_DIAG_DESTROY): %s", strerror(e));
	return sg_err_set(err, SG_EINTERNAL, "tunnel_cut_failed",
	    "sock_diag: %s", strerror(e));
}

static int
nl_open(void)
{
	struct timeval	 tv = { NL_TIMEOUT_S, 0 };
	int		 fd;

	if ((fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
	    NETLINK_SOCK_DIAG)) == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1) {
		(void)close(fd);
		return -1;
	}
	return fd;
}

static int
nl_send(int fd, uint16_t type, uint16_t flags, uint32_t seq, uint8_t family,
    const struct inet_diag_sockid *id)
{
	struct sockaddr_nl	 sa;
	struct cut_req		 q;
	ssize_t			 n;

	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	memset(&q, 0, sizeof(q));
	q.nlh.nlmsg_len = sizeof(q);
	q.nlh.nlmsg_type = type;
	q.nlh.nlmsg_flags = NLM_F_REQUEST | flags;
	q.nlh.nlmsg_seq = seq;
	q.r.sdiag_family = family;
	q.r.sdiag_protocol = IPPROTO_TCP;
	q.r.idiag_states = CUT_STATES;
	if (id != NULL)
		q.r.id = *id;
	do
		n = sendto(fd, &q, sizeof(q), 0, (struct sockaddr *)&sa,
		    sizeof(sa));
	while (n == -1 && errno == EINTR);
	return n == (ssize_t)sizeof(q) ? 0 : -1;
}

static int
set_add(struct cut_set *s, const struct inet_diag_sockid *id)
{
	struct inet_diag_sockid	*p;
	size_t			 cap;

	if (s->n == SG_TUNNEL_MAX)
		return -1;
	if (s->n == s->cap) {
		cap = s->cap == 0 ? 16 : s->cap * 2;
		if (cap > SG_TUNNEL_MAX)
			cap = SG_TUNNEL_MAX;
		if ((p = reallocarray(s->id, cap, sizeof(*p))) == NULL)
			return -1;
		s->id = p;
		s->cap = cap;
	}
	s->id[s->n++] = *id;
	return 0;
}

/*
 * The TCP sockets of family whose destination is the alen bytes at dst,
 * appended to s.  Returns 0, or -1 with errno.
 */
static int
dump(int fd, uint8_t family, const void *dst, size_t alen, uint32_t seq,
    struct cut_set *s)
{
	static char		 buf[32768];
	const struct nlmsghdr	*h;
	const struct nlmsgerr	*e;
	const struct inet_diag_msg *m;
	ssize_t			 n;
	int			 len;

	if (nl_send(fd, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, seq, family,
	    NULL) == -1)
		return -1;
	for (;;) {
		if ((n = recv(fd, buf, sizeof(buf), 0)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EPROTO;
			return -1;
		}
		len = (int)n;
		for (h = (const struct nlmsghdr *)(const void *)buf;
		    NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				e = NLMSG_DATA(h);
				errno = h->nlmsg_len >= NLMSG_LENGTH(
				    sizeof(*e)) && e->error < 0 ? -e->error :
				    EPROTO;
				return -1;
			}
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
				continue;
			m = NLMSG_DATA(h);
			if (memcmp(m->id.idiag_dst, dst, alen) != 0)
				continue;
			if (set_add(s, &m->id) == -1) {
				errno = ENOMEM;
				return -1;
			}
		}
	}
}

/* SOCK_DESTROY for one socket: 0 (also when it is gone), -1 with errno. */
static int
destroy(int fd, uint8_t family, const struct inet_diag_sockid *id,
    uint32_t seq)
{
	char			 buf[1024];
	const struct nlmsghdr	*h;
	const struct nlmsgerr	*e;
	ssize_t			 n;
	int			 len;

	if (nl_send(fd, SOCK_DESTROY, NLM_F_ACK, seq, family, id) == -1)
		return -1;
	for (;;) {
		if ((n = recv(fd, buf, sizeof(buf), 0)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		len = (int)n;
		for (h = (const struct nlmsghdr *)(const void *)buf;
		    NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_seq != seq || h->nlmsg_type != NLMSG_ERROR)
				continue;
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e))) {
				errno = EPROTO;
				return -1;
			}
			e = NLMSG_DATA(h);
			/* ENOENT: closed meanwhile; that is what we wanted */
			if (e->error == 0 || e->error == -ENOENT)
				return 0;
			errno = -e->error;
			return -1;
		}
	}
}

/* Cut the sockets of one family whose peer is the alen bytes at dst. */
static enum sg_rc
cut_family(int fd, uint8_t family, const void *dst, size_t alen,
    uint32_t *seq, size_t *ncut, struct sg_err *err)
{
	struct cut_set	 s = { NULL, 0, 0 };
	size_t		 i;
	enum sg_rc	 rc = SG_OK;

	if (dump(fd, family, dst, alen, ++*seq, &s) == -1) {
		rc = nl_errno(errno, err);
		goto out;
	}
	for (i = 0; i < s.n; i++) {
		if (destroy(fd, family, &s.id[i], ++*seq) == -1) {
			rc = nl_errno(errno, err);
			goto out;
		}
		(*ncut)++;
	}
out:
	free(s.id);
	return rc;
}

enum sg_rc
sg_tunnel_cut(const char *ip, size_t *ncut, struct sg_err *err)
{
	struct in_addr	 a4;
	struct in6_addr	 a6;
	size_t		 dummy = 0;
	uint32_t	 seq = 0;
	int		 fd = -1, is4;
	enum sg_rc	 rc;

	if (ncut == NULL)
		ncut = &dummy;
	*ncut = 0;
	if (ip == NULL || strlen(ip) >= INET6_ADDRSTRLEN)
		return sg_err_set(err, SG_EINVAL, "bad_address",
		    "not an IP address");
	if ((is4 = inet_pton(AF_INET, ip, &a4)) != 1 &&
	    inet_pton(AF_INET6, ip, &a6) != 1)
		return sg_err_set(err, SG_EINVAL, "bad_address",
		    "not an IP address");
	/*
	 * 127.0.0.1, ::1 and the unspecified addresses are every local
	 * client's (Redis, FastCGI, the gateways): never a sandbox's, and
	 * cutting them would cut the host's own connections.
	 */
	if ((is4 == 1 && (ntohl(a4.s_addr) == INADDR_LOOPBACK ||
	    a4.s_addr == htonl(INADDR_ANY))) || (is4 != 1 &&
	    (IN6_IS_ADDR_LOOPBACK(&a6) || IN6_IS_ADDR_UNSPECIFIED(&a6) ||
	    (IN6_IS_ADDR_V4MAPPED(&a6) && (a6.s6_addr[12] == 127 ||
	    (a6.s6_addr[12] | a6.s6_addr[13] | a6.s6_addr[14] |
	    a6.s6_addr[15]) == 0)))))
		return sg_err_set(err, SG_EINVAL, "bad_address",
		    "%s is a local address, never a sandbox's", ip);
	if ((fd = nl_open()) == -1)
		return nl_errno(errno, err);
	if (is4 == 1) {
		if ((rc = cut_family(fd, AF_INET, &a4, sizeof(a4), &seq, ncut,
		    err)) != SG_OK)
			goto out;
		/* the same peer on a dual-stack ([::]) listener */
		memset(&a6, 0, sizeof(a6));
		a6.s6_addr[10] = 0xff;
		a6.s6_addr[11] = 0xff;
		memcpy(&a6.s6_addr[12], &a4, sizeof(a4));
	}
	rc = cut_family(fd, AF_INET6, &a6, sizeof(a6), &seq, ncut, err);
out:
	(void)close(fd);
	return rc;
}
