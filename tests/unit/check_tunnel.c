/* SPDX-License-Identifier: ISC */
/*
 * Cutting a peer's connections (lib/tunnel.c): a real loopback
 * connection from 127.0.0.2 to a listener on 127.0.0.1, cut by the
 * peer's address; a connection from another address is left alone.
 * SOCK_DESTROY needs CAP_NET_ADMIN: without it the call must say so
 * (tunnel_cut_denied) and touch nothing; so must a kernel without it
 * (tunnel_cut_unsupported).
 */
#include "config.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "tunnel.h"

/* A connection from src to a fresh listener on 127.0.0.1; *srv: its end. */
static int
pair(const char *src, int *srv)
{
	struct sockaddr_in	 a, b;
	socklen_t		 len = sizeof(a);
	int			 l, c;

	ck_assert_int_ge(l = socket(AF_INET, SOCK_STREAM, 0), 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(l, 4), 0);
	ck_assert_int_eq(getsockname(l, (struct sockaddr *)&a, &len), 0);
	ck_assert_int_ge(c = socket(AF_INET, SOCK_STREAM, 0), 0);
	memset(&b, 0, sizeof(b));
	b.sin_family = AF_INET;
	ck_assert_int_eq(inet_pton(AF_INET, src, &b.sin_addr), 1);
	ck_assert_int_eq(bind(c, (struct sockaddr *)&b, sizeof(b)), 0);
	ck_assert_int_eq(connect(c, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_ge(*srv = accept(l, NULL, NULL), 0);
	(void)close(l);
	return c;
}

/* Whether fd has seen an error or EOF within ms. */
static int
dead(int fd, int ms)
{
	struct pollfd	 p = { fd, POLLIN, 0 };
	char		 c;

	if (poll(&p, 1, ms) != 1)
		return 0;
	return recv(fd, &c, 1, MSG_DONTWAIT) <= 0;
}

START_TEST(test_cut)
{
	struct sg_err	 err;
	size_t		 n = 99;
	int		 c1, s1, c2, s2;
	enum sg_rc	 rc;

	c1 = pair("127.0.0.2", &s1);
	c2 = pair("127.0.0.3", &s2);
	sg_err_clear(&err);
	rc = sg_tunnel_cut("127.0.0.2", &n, &err);
	if (rc == SG_EPERM || rc == SG_EUNAVAIL) {
		/* not root, or no sock_diag here: refused, nothing cut */
		ck_assert_str_eq(err.code, rc == SG_EPERM ?
		    "tunnel_cut_denied" : "tunnel_cut_unsupported");
		ck_assert_uint_eq(n, 0);
		ck_assert(!dead(c1, 50));
		goto out;
	}
	ck_assert_msg(rc == SG_OK, "%s", err.msg);
	/* the listener-side end of 127.0.0.2's connection */
	ck_assert_uint_eq(n, 1);
	ck_assert(dead(c1, 1000));	/* the peer got a reset */
	ck_assert(dead(s1, 1000));	/* our end is aborted */
	ck_assert(!dead(c2, 50));	/* another peer is left alone */
	ck_assert(!dead(s2, 50));
	ck_assert_int_eq(send(c2, "x", 1, 0), 1);
	/* nothing of that peer left: a second cut finds nothing */
	ck_assert_int_eq(sg_tunnel_cut("127.0.0.2", &n, &err), SG_OK);
	ck_assert_uint_eq(n, 0);
out:
	(void)close(c1);
	(void)close(s1);
	(void)close(c2);
	(void)close(s2);
}
END_TEST

START_TEST(test_bad_address)
{
	struct sg_err	 err;
	size_t		 n = 7;

	sg_err_clear(&err);
	ck_assert_int_eq(sg_tunnel_cut("", &n, &err), SG_EINVAL);
	ck_assert_str_eq(err.code, "bad_address");
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(sg_tunnel_cut("10.0.0.1/8", NULL, NULL), SG_EINVAL);
	ck_assert_int_eq(sg_tunnel_cut("host.example", NULL, NULL),
	    SG_EINVAL);
	ck_assert_int_eq(sg_tunnel_cut(NULL, NULL, NULL), SG_EINVAL);
	/* the host's own clients' addresses are never cut */
	ck_assert_int_eq(sg_tunnel_cut("127.0.0.1", &n, &err), SG_EINVAL);
	ck_assert_int_eq(sg_tunnel_cut("::1", NULL, NULL), SG_EINVAL);
	ck_assert_int_eq(sg_tunnel_cut("0.0.0.0", NULL, NULL), SG_EINVAL);
	ck_assert_int_eq(sg_tunnel_cut("::", NULL, NULL), SG_EINVAL);
	ck_assert_int_eq(sg_tunnel_cut("::ffff:127.0.0.1", NULL, NULL),
	    SG_EINVAL);
	/* an address nothing talks to: nothing to cut, or no privilege */
	{
		enum sg_rc rc = sg_tunnel_cut("2001:db8::1", &n, NULL);

		ck_assert(rc == SG_OK || rc == SG_EPERM || rc == SG_EUNAVAIL);
		ck_assert_uint_eq(n, 0);
	}
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("tunnel");
	tc = tcase_create("cut");
	tcase_add_test(tc, test_cut);
	tcase_add_test(tc, test_bad_address);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
