/* SPDX-License-Identifier: ISC */
/*
 * lib/hosts: host patterns, egress targets, matching, the private-address
 * classifier.  Rows come from docs/security.md 4.1 (H1-H10), 4.2 and
 * 3.7 C5.  No test looks up an external name: only "localhost" (from
 * /etc/hosts) is ever resolved.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <ifaddrs.h>

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sgerr.h"
#include "hosts.h"
#include "localaddr.h"
#include "psl.h"
#include "resolve.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static struct sg_ports	 dflt;

static void
setup(void)
{
	struct sg_err	 err;

	sg_err_clear(&err);
	ck_assert_int_eq(sg_ports_parse("80,443", &dflt, &err), SG_OK);
}

/* 1 if list allows method+uri with default ports 80,443. */
static int
decide(const char *list, const char *method, const char *uri)
{
	struct sg_hostlist	 l;
	struct sg_target	 t;
	struct sg_err		 err;
	int			 ok = 0;

	sg_err_clear(&err);
	ck_assert_msg(sg_hosts_parse(list, strlen(list), &l, &err) == SG_OK,
	    "list %s: %s", list, err.msg);
	if (sg_target_parse(method, uri, &t, &err) == SG_OK)
		ok = sg_hosts_match(&l, &t, &dflt);
	sg_hostlist_clear(&l);
	return ok;
}

static int
pat_ok(const char *s)
{
	struct sg_hostpat	 p;

	return sg_hostpat_parse(s, strlen(s), &p, NULL) == SG_OK;
}

/* ---- patterns ---- */

static const struct {
	const char	*in, *canon;
} pat_valid[] = {
	{ "github.com", "github.com" },
	{ "GitHub.COM", "github.com" },
	{ "github.com.", "github.com" },
	{ "*.github.com", "*.github.com" },
	{ "*.GitHub.com.", "*.github.com" },
	{ "github.com:443", "github.com:443" },
	{ "*.x.com:8443", "*.x.com:8443" },
	{ "x.com:1", "x.com:1" },
	{ "x.com:65535", "x.com:65535" },
	{ "localhost", "localhost" },
	{ "target:18090", "target:18090" },
	{ "LocalHost.", "localhost" },
	{ "127.0.0.1", "127.0.0.1" },
	{ "0.0.0.0", "0.0.0.0" },
	{ "255.255.255.255", "255.255.255.255" },
	{ "192.0.2.1:65535", "192.0.2.1:65535" },
	{ "140.82.112.3:443", "140.82.112.3:443" },
	{ "[::1]", "[::1]" },
	{ "[::1]:80", "[::1]:80" },
	{ "[2001:DB8::1]", "[2001:db8::1]" },
	{ "[2001:db8:0:0:0:0:0:1]:8443", "[2001:db8::1]:8443" },
	{ "[::ffff:127.0.0.1]", "[::ffff:127.0.0.1]" },
	{ "[::ffff:7f00:1]", "[::ffff:127.0.0.1]" },
	{ "xn--80ak6aa92e.com", "xn--80ak6aa92e.com" },
	{ "a-b.c-d.com", "a-b.c-d.com" },
	{ "1.2.3.com", "1.2.3.com" },
	{ "123abc.com", "123abc.com" },
	{ "a.0x1g", "a.0x1g" },
	{ "a.b.c.d.e.f", "a.b.c.d.e.f" },
	{ "*.a.b", "*.a.b" },
	{ "*.co.uk", "*.co.uk" },	/* no public-suffix list: policy */
	{ "x--y.com", "x--y.com" },
};

START_TEST(test_pattern_valid)
{
	struct sg_hostpat	 p, q;
	struct sg_err		 err;
	char			 buf[300];

	sg_err_clear(&err);
	ck_assert_msg(sg_hostpat_parse(pat_valid[_i].in,
	    strlen(pat_valid[_i].in), &p, &err) == SG_OK, "%s: %s",
	    pat_valid[_i].in, err.msg);
	ck_assert_int_gt(sg_hostpat_format(&p, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, pat_valid[_i].canon);
	/* the canonical text parses to the same pattern */
	ck_assert_int_eq(sg_hostpat_parse(buf, strlen(buf), &q, NULL), SG_OK);
	ck_assert_int_eq(p.kind, q.kind);
	ck_assert_int_eq(p.wildcard, q.wildcard);
	ck_assert_int_eq(p.port, q.port);
	ck_assert_str_eq(p.name, q.name);
	ck_assert_mem_eq(p.addr, q.addr, 16);
}
END_TEST

static const char *pat_invalid[] = {
	"", "*", "*.", "*:443", "*.com", "*.com.", "*.localhost", "**.github.com",
	"*github.com", "a*.github.com", "*.*.github.com", "github.*.com",
	".github.com", "github..com", "github.com..", ".", "..",
	"-github.com", "github-.com", "github.-com", "git_hub.com",
	"github.com:", "github.com:0", "github.com:0443", "github.com:+443",
	"github.com:-1", "github.com:65536", "github.com:65979",
	"github.com:443:80", "github.com:44a", "github.com:123456",
	"github.com:00", "github.com/path", "https://github.com",
	"github.com?x", "github.com#x", "github.com@evil.com",
	"user@github.com", "evil.com\\github.com", "github%2ecom",
	" github.com", "github.com ", "git hub.com", "github.com\t",
	"github.com\r\n", "g\xd1\x96thub.com", "\xef\xbd\x87ithub.com",
	"github\xe3\x80\x82" "com", "\xc3\xa4.com", "github.com\x7f",
	"127.1", "0", "2130706433", "017700000001", "0x7f000001",
	"0x7f.1", "0177.0.0.1", "127.000.000.001", "127.0.0.1.",
	"1.2.3.4.5", "256.0.0.1", "1.2.3", "1..2.3", "01.2.3.4",
	"0x7f.0x0.0x0.0x1", "a.123", "example.0x10", "0x", "a.0X1",
	"::1", "::1:443", "[::1", "[::1]x", "[::1]:", "[::1]:0",
	"[fe80::1%25eth0]", "[fe80::1%eth0]", "[127.0.0.1]", "[]", "[:::]",
	"[1:2:3:4:5:6:7:8:9]", "[::g]", "[ ::1]", "*.127.0.0.1", "*.[::1]",
	"[::1].com", "a..b", "github.com,x", "*.a.b:0",
};

START_TEST(test_pattern_invalid)
{
	struct sg_hostpat	 p;
	struct sg_err		 err;

	sg_err_clear(&err);
	ck_assert_msg(sg_hostpat_parse(pat_invalid[_i], strlen(pat_invalid[_i]),
	    &p, &err) == SG_EINVAL, "accepted: %s", pat_invalid[_i]);
	ck_assert_str_eq(err.code, "bad_host_pattern");
}
END_TEST

/* Lengths: a 63-char label and a 253-char name pass, one more fails. */
START_TEST(test_pattern_lengths)
{
	char		 buf[600];
	size_t		 i;

	memset(buf, 'a', 63);
	memcpy(buf + 63, ".com", 5);
	ck_assert(pat_ok(buf));
	memset(buf, 'a', 64);
	memcpy(buf + 64, ".com", 5);
	ck_assert(!pat_ok(buf));
	/* 253 = 63+1+63+1+63+1+61 */
	memset(buf, 'a', 253);
	for (i = 63; i < 253; i += 64)
		buf[i] = '.';
	buf[253] = '\0';
	ck_assert(pat_ok(buf));
	/* with a trailing dot it is still 253 */
	buf[253] = '.';
	buf[254] = '\0';
	ck_assert(pat_ok(buf));
	/* and as a wildcard with a port */
	memmove(buf + 2, buf, 254);
	buf[0] = '*';
	buf[1] = '.';
	memcpy(buf + 256, ":65535", 7);
	ck_assert(pat_ok(buf));
	/* 254 chars */
	memset(buf, 'a', 254);
	for (i = 63; i < 254; i += 64)
		buf[i] = '.';
	buf[254] = '\0';
	ck_assert(!pat_ok(buf));
	/* a NUL inside the counted length */
	ck_assert_int_eq(sg_hostpat_parse("a.com\0x", 7,
	    &(struct sg_hostpat){ 0 }, NULL), SG_EINVAL);
	ck_assert_int_eq(sg_hostpat_parse(NULL, 0, &(struct sg_hostpat){ 0 },
	    NULL), SG_EINVAL);
}
END_TEST

START_TEST(test_format_small_buffer)
{
	struct sg_hostpat	 p;
	char			 buf[16];

	ck_assert_int_eq(sg_hostpat_parse("*.github.com:443", 16, &p, NULL),
	    SG_OK);
	/* 16 chars need 17 bytes */
	ck_assert_int_eq(sg_hostpat_format(&p, buf, sizeof(buf)), -1);
	ck_assert_int_eq(sg_hostpat_format(&p, buf, 0), -1);
	ck_assert_int_eq(sg_hostpat_parse("[::1]:80", 8, &p, NULL), SG_OK);
	ck_assert_int_eq(sg_hostpat_format(&p, buf, 9), 8);
	ck_assert_str_eq(buf, "[::1]:80");
	ck_assert_int_eq(sg_hostpat_format(&p, buf, 8), -1);
}
END_TEST

/* ---- lists: docs/security.md 3.7 C5 ---- */

static const struct {
	const char	*in;
	int		 ok;
	const char	*joined;
} c5[] = {
	{ "", 1, "" },				/* the empty list, matches nothing */
	{ ",", 0, NULL },
	{ "github.com,", 0, NULL },
	{ ",github.com", 0, NULL },
	{ " github.com", 0, NULL },
	{ "GITHUB.COM", 1, "github.com" },
	{ "github.com.", 1, "github.com" },
	{ "*", 0, NULL },
	{ "*.com", 0, NULL },
	{ "https://github.com", 0, NULL },
	{ "github.com:443", 1, "github.com:443" },	/* contract.md §3.2 */
	{ "github.com/path", 0, NULL },
	{ "127.0.0.1", 1, "127.0.0.1" },	/* contract.md §3.2 */
	{ "xn--80ak6aa92e.com", 1, "xn--80ak6aa92e.com" },
	{ "g\xd1\x96thub.com", 0, NULL },
	{ "a.com,,b.com", 0, NULL },
	{ "a.com, b.com", 0, NULL },
	{ "a.com,b.com\n", 0, NULL },
	{ "a.com;b.com", 0, NULL },
	{ "A.com,*.B.org:8443,[::1],10.0.0.1:80,a.com",
	    1, "a.com,*.b.org:8443,[::1],10.0.0.1:80,a.com" },
};

START_TEST(test_list_c5)
{
	struct sg_hostlist	 l;
	struct sg_err		 err;
	char			*s;
	enum sg_rc		 rc;

	sg_err_clear(&err);
	rc = sg_hosts_parse(c5[_i].in, strlen(c5[_i].in), &l, &err);
	if (!c5[_i].ok) {
		ck_assert_msg(rc == SG_EINVAL, "accepted: \"%s\"", c5[_i].in);
		ck_assert_str_eq(err.code, "bad_host_pattern");
		ck_assert_uint_eq(l.n, 0);
		ck_assert_ptr_null(l.v);
		return;
	}
	ck_assert_msg(rc == SG_OK, "\"%s\": %s", c5[_i].in, err.msg);
	ck_assert_ptr_nonnull(s = sg_hostlist_join(&l));
	ck_assert_str_eq(s, c5[_i].joined);
	free(s);
	sg_hostlist_clear(&l);
}
END_TEST

static char *
repeat(const char *elem, size_t n, size_t *lenp)
{
	size_t		 el = strlen(elem), i, len;
	char		*s;

	len = n * (el + 1) - 1;
	ck_assert_ptr_nonnull(s = malloc(len + 1));
	for (i = 0; i < n; i++) {
		memcpy(s + i * (el + 1), elem, el);
		if (i + 1 < n)
			s[i * (el + 1) + el] = ',';
	}
	s[len] = '\0';
	*lenp = len;
	return s;
}

START_TEST(test_list_limits)
{
	struct sg_hostlist	 l;
	struct sg_hostpat	 p;
	struct sg_err		 err;
	char			*s, label[64];
	size_t			 len, i;

	/* SG_HOSTS_MAX entries pass, one more does not (C5: 10 000) */
	s = repeat("a.com", SG_HOSTS_MAX, &len);
	ck_assert_int_eq(sg_hosts_parse(s, len, &l, NULL), SG_OK);
	ck_assert_uint_eq(l.n, SG_HOSTS_MAX);
	/* sg_hostlist_add past the cap */
	sg_err_clear(&err);
	ck_assert_int_eq(sg_hostlist_add(&l, &l.v[0], &err), SG_ETOOBIG);
	ck_assert_str_eq(err.code, "too_many_hosts");
	sg_hostlist_clear(&l);
	free(s);
	s = repeat("a.com", SG_HOSTS_MAX + 1, &len);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_hosts_parse(s, len, &l, &err), SG_ETOOBIG);
	ck_assert_str_eq(err.code, "too_many_hosts");
	ck_assert_uint_eq(l.n, 0);
	free(s);
	s = repeat("a.com", 10000, &len);
	ck_assert_int_eq(sg_hosts_parse(s, len, &l, NULL), SG_ETOOBIG);
	free(s);
	/* a 1 MB string */
	ck_assert_ptr_nonnull(s = malloc(1 << 20));
	memset(s, 'a', 1 << 20);
	ck_assert_int_eq(sg_hosts_parse(s, 1 << 20, &l, NULL), SG_ETOOBIG);
	free(s);
	/* exactly SG_HOSTS_STR_MAX bytes pass; one more does not */
	memset(label, 'b', 63);
	label[63] = '\0';
	ck_assert_ptr_nonnull(s = malloc(SG_HOSTS_STR_MAX + 8));
	for (len = 0, i = 0; len + 70 < SG_HOSTS_STR_MAX; i++)
		len += (size_t)snprintf(s + len, SG_HOSTS_STR_MAX + 2 - len,
		    "%s%s.com", i ? "," : "", label);
	/* pad the last entry's first label to hit the limit exactly */
	len += (size_t)snprintf(s + len, SG_HOSTS_STR_MAX + 2 - len, ",");
	while (len < SG_HOSTS_STR_MAX - 4)
		s[len++] = 'c';
	memcpy(s + len, ".com", 4);
	len += 4;
	s[len] = '\0';
	ck_assert_uint_eq(len, SG_HOSTS_STR_MAX);
	ck_assert_int_eq(sg_hosts_parse(s, len, &l, &err), SG_OK);
	sg_hostlist_clear(&l);
	s[len - 4] = 'c';
	memcpy(s + len - 3, "c.com", 6);
	ck_assert_int_eq(sg_hosts_parse(s, len + 1, &l, NULL), SG_ETOOBIG);
	free(s);
	/* a NUL inside the counted length; NULL with a length */
	ck_assert_int_eq(sg_hosts_parse("a.com,\0b.com", 12, &l, NULL),
	    SG_EINVAL);
	ck_assert_int_eq(sg_hosts_parse(NULL, 3, &l, NULL), SG_EINVAL);
	ck_assert_int_eq(sg_hosts_parse(NULL, 0, &l, NULL), SG_OK);
	ck_assert_uint_eq(l.n, 0);
	/* add grows a list built from nothing */
	sg_hostlist_init(&l);
	ck_assert_int_eq(sg_hostpat_parse("x.org", 5, &p, NULL), SG_OK);
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(sg_hostlist_add(&l, &p, NULL), SG_OK);
	ck_assert_uint_eq(l.n, 5);
	ck_assert_ptr_nonnull(s = sg_hostlist_join(&l));
	ck_assert_str_eq(s, "x.org,x.org,x.org,x.org,x.org");
	free(s);
	sg_hostlist_clear(&l);
	sg_hostlist_clear(&l);
	sg_hostlist_clear(NULL);
}
END_TEST

/* ---- ports ---- */

START_TEST(test_ports)
{
	struct sg_ports	 p;
	struct sg_err	 err;
	char		 buf[400];
	size_t		 i, len;
	static const char *bad[] = {
		"", ",", "80,", ",80", "80,,443", "0", "00", "080", "+80",
		"-80", "65536", "99999", "123456", "80 ", " 80", "80, 443",
		"8o", "0x50", "80;443",
	};

	sg_err_clear(&err);
	ck_assert_int_eq(sg_ports_parse("80,443", &p, &err), SG_OK);
	ck_assert_uint_eq(p.n, 2);
	ck_assert(sg_ports_has(&p, 80));
	ck_assert(sg_ports_has(&p, 443));
	ck_assert(!sg_ports_has(&p, 8443));
	ck_assert(!sg_ports_has(&p, 0));
	ck_assert(!sg_ports_has(NULL, 80));
	ck_assert_int_eq(sg_ports_parse("1,65535,443,443", &p, NULL), SG_OK);
	ck_assert_uint_eq(p.n, 3);	/* duplicates folded */
	ck_assert(sg_ports_has(&p, 1) && sg_ports_has(&p, 65535));
	for (i = 0; i < NELEM(bad); i++) {
		sg_err_clear(&err);
		ck_assert_msg(sg_ports_parse(bad[i], &p, &err) == SG_EINVAL,
		    "accepted \"%s\"", bad[i]);
		ck_assert_str_eq(err.code, "bad_ports");
		ck_assert_uint_eq(p.n, 0);
	}
	ck_assert_int_eq(sg_ports_parse(NULL, &p, NULL), SG_EINVAL);
	/* SG_PORTS_MAX distinct ports pass, one more does not */
	for (len = 0, i = 0; i < SG_PORTS_MAX; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%zu",
		    i ? "," : "", 1000 + i);
	ck_assert_int_eq(sg_ports_parse(buf, &p, NULL), SG_OK);
	ck_assert_uint_eq(p.n, SG_PORTS_MAX);
	(void)snprintf(buf + len, sizeof(buf) - len, ",1000,2000");
	ck_assert_int_eq(sg_ports_parse(buf, &p, NULL), SG_EINVAL);
}
END_TEST

/* ---- targets ---- */

static const struct {
	const char		*method, *uri;
	enum sg_host_kind	 kind;
	const char		*host;
	uint16_t		 port;
} tgt_valid[] = {
	{ "CONNECT", "github.com:443", SG_HOST_NAME, "github.com", 443 },
	{ "CONNECT", "GitHub.COM:443", SG_HOST_NAME, "github.com", 443 },
	{ "CONNECT", "github.com.:443", SG_HOST_NAME, "github.com", 443 },
	{ "CONNECT", "LocalHost:18090", SG_HOST_NAME, "localhost", 18090 },
	{ "CONNECT", "x.com:1", SG_HOST_NAME, "x.com", 1 },
	{ "CONNECT", "x.com:65535", SG_HOST_NAME, "x.com", 65535 },
	{ "GET", "http://github.com/", SG_HOST_NAME, "github.com", 80 },
	{ "GET", "http://github.com", SG_HOST_NAME, "github.com", 80 },
	{ "GET", "http://github.com./", SG_HOST_NAME, "github.com", 80 },
	{ "GET", "HTTP://GitHub.com:8080/x?y#z", SG_HOST_NAME, "github.com",
	    8080 },
	{ "POST", "https://github.com/x", SG_HOST_NAME, "github.com", 443 },
	{ "GET", "HtTpS://github.com?q=1", SG_HOST_NAME, "github.com", 443 },
	{ "GET", "https://github.com:80", SG_HOST_NAME, "github.com", 80 },
	{ "HEAD", "http://github.com:443/", SG_HOST_NAME, "github.com", 443 },
	{ "GET", "http://github.com/a@b%2F\\c", SG_HOST_NAME, "github.com",
	    80 },	/* the path is not the authority */
	{ "GET", "http://github.com/\xc3\xa4", SG_HOST_NAME, "github.com", 80 },
	{ "CONNECT", "[::1]:443", SG_HOST_IPV6, "::1", 443 },
	{ "CONNECT", "[2001:DB8::1]:8443", SG_HOST_IPV6, "2001:db8::1", 8443 },
	{ "CONNECT", "[::ffff:127.0.0.1]:443", SG_HOST_IPV6,
	    "::ffff:127.0.0.1", 443 },
	{ "CONNECT", "127.0.0.1:18090", SG_HOST_IPV4, "127.0.0.1", 18090 },
	{ "CONNECT", "0.0.0.0:443", SG_HOST_IPV4, "0.0.0.0", 443 },
	{ "GET", "http://[::1]/", SG_HOST_IPV6, "::1", 80 },
	{ "GET", "https://[::1]:8443/x", SG_HOST_IPV6, "::1", 8443 },
	{ "GET", "http://127.0.0.1:18090/x", SG_HOST_IPV4, "127.0.0.1",
	    18090 },
	{ "GET", "http://140.82.112.3", SG_HOST_IPV4, "140.82.112.3", 80 },
};

START_TEST(test_target_valid)
{
	struct sg_target	 t;
	struct sg_err		 err;

	sg_err_clear(&err);
	ck_assert_msg(sg_target_parse(tgt_valid[_i].method, tgt_valid[_i].uri,
	    &t, &err) == SG_OK, "%s %s: %s", tgt_valid[_i].method,
	    tgt_valid[_i].uri, err.msg);
	ck_assert_int_eq(t.kind, tgt_valid[_i].kind);
	ck_assert_str_eq(t.host, tgt_valid[_i].host);
	ck_assert_uint_eq(t.port, tgt_valid[_i].port);
}
END_TEST

static const struct {
	const char	*method, *uri;
} tgt_invalid[] = {
	/* 4.2 CONNECT oddities */
	{ "CONNECT", "github.com" },
	{ "CONNECT", "github.com:443/x" },
	{ "CONNECT", "http://github.com:443" },
	{ "connect", "github.com:443" },
	{ "Connect", "github.com:443" },
	{ "CONNECT", "github.com:443?x" },
	{ "CONNECT", "github.com:" },
	{ "CONNECT", ":443" },
	{ "CONNECT", "" },
	{ "CONNECT", "[::1]" },
	{ "CONNECT", "::1:443" },
	{ "CONNECT", "[::1]443" },
	{ "CONNECT", "github.com:443 " },
	{ "CONNECT", "github.com :443" },
	/* not an absolute URI */
	{ "GET", "github.com:443" },
	{ "GET", "/x" },
	{ "OPTIONS", "*" },
	{ "GET", "ftp://github.com/" },
	{ "GET", "ws://github.com/" },
	{ "GET", "http:/github.com/" },
	{ "GET", "http:github.com" },
	{ "GET", "//github.com/" },
	{ "GET", "http://" },
	{ "GET", "https://" },
	{ "GET", "http:///x" },
	{ "GET", "http://?x" },
	{ "GET", "http://:80/" },
	{ "GET", "http://github.com:/" },
	{ "GET", "https://github.com:" },
	{ "GET", "http://github.com:443:80/" },
	{ "GET", "http://github.com:0/" },
	{ "GET", "http://github.com:65536/" },
	{ "GET", "http://github.com:0443/" },
	{ "GET", "http://github.com:+443/" },
	/* userinfo, delimiters */
	{ "GET", "http://user@github.com/" },
	{ "GET", "http://@github.com/" },
	{ "GET", "http://github.com@evil.com/" },
	{ "GET", "http://evil.com#@github.com/" },
	{ "GET", "http://evil.com\\@github.com/" },
	{ "GET", "http://github.com\\evil.com/" },
	{ "GET", "http://evil.com%23github.com/" },
	{ "GET", "http://github%2ecom/" },
	{ "GET", "http://git_hub.com/" },
	/* whitespace and controls anywhere */
	{ "GET", "http://github.com/ x" },
	{ "GET", "http://github.com/\tx" },
	{ "GET", "http://github.com/\r\nHost: evil.com" },
	{ "GET", "http://github.com/\x7f" },
	{ "GET", "http://github.com/\x01" },
	{ "GET", " http://github.com/" },
	/* IPv6 */
	{ "GET", "http://[::1/" },
	{ "GET", "http://::1/" },
	{ "GET", "http://[fe80::1%25eth0]/" },
	{ "CONNECT", "[fe80::1%25eth0]:443" },
	{ "CONNECT", "[fe80::1%eth0]:443" },
	{ "CONNECT", "[127.0.0.1]:443" },
	/* non-ASCII host */
	{ "GET", "http://g\xd1\x96thub.com/" },
	{ "CONNECT", "\xef\xbd\x87ithub.com:443" },
};

START_TEST(test_target_invalid)
{
	struct sg_target	 t;
	struct sg_err		 err;

	sg_err_clear(&err);
	ck_assert_msg(sg_target_parse(tgt_invalid[_i].method,
	    tgt_invalid[_i].uri, &t, &err) == SG_EINVAL, "accepted %s %s",
	    tgt_invalid[_i].method, tgt_invalid[_i].uri);
	ck_assert_str_eq(err.code, "bad_target");
	ck_assert_int_eq(t.port, 0);
	ck_assert_str_eq(t.host, "");
}
END_TEST

/* H7: every alternative IPv4 spelling is refused, both forms. */
static const char *h7[] = {
	"2130706433", "017700000001", "0x7f000001", "0x7f.1", "0177.0.0.1",
	"127.1", "127.000.000.001", "0", "0X7F000001", "0x7f.0.0.1",
	"127.0.1", "127.0.0.01", "127.0.0.1.", "127.0.0.0x1", "0x7f.0x0.0x0.0x1",
	"4294967295", "1.2.3.4.5", "256.1.1.1", "1.2.3.256", "99999.1.1.1",
};

START_TEST(test_h7_ipv4_forms)
{
	char		 uri[128];

	(void)snprintf(uri, sizeof(uri), "%s:443", h7[_i]);
	ck_assert_msg(sg_target_parse("CONNECT", uri, &(struct sg_target){ 0 },
	    NULL) == SG_EINVAL, "CONNECT %s", uri);
	(void)snprintf(uri, sizeof(uri), "http://%s/", h7[_i]);
	ck_assert_msg(sg_target_parse("GET", uri, &(struct sg_target){ 0 },
	    NULL) == SG_EINVAL, "GET %s", uri);
	(void)snprintf(uri, sizeof(uri), "https://%s:443/", h7[_i]);
	ck_assert_msg(sg_target_parse("GET", uri, &(struct sg_target){ 0 },
	    NULL) == SG_EINVAL, "GET %s", uri);
	ck_assert_msg(!pat_ok(h7[_i]), "pattern %s", h7[_i]);
	/* and with 127.0.0.1 listed literally, nothing matches */
	(void)snprintf(uri, sizeof(uri), "%s:443", h7[_i]);
	ck_assert(!decide("127.0.0.1,github.com", "CONNECT", uri));
}
END_TEST

START_TEST(test_target_long)
{
	char		*uri;
	size_t		 n = 16385;

	ck_assert_ptr_nonnull(uri = malloc(n + 1));
	memcpy(uri, "http://github.com/", 18);
	memset(uri + 18, 'x', n - 18);
	uri[n] = '\0';
	ck_assert_int_eq(sg_target_parse("GET", uri, &(struct sg_target){ 0 },
	    NULL), SG_EINVAL);
	uri[n - 1] = '\0';
	ck_assert_int_eq(sg_target_parse("GET", uri, &(struct sg_target){ 0 },
	    NULL), SG_OK);
	free(uri);
	ck_assert_int_eq(sg_target_parse(NULL, "http://a.com/",
	    &(struct sg_target){ 0 }, NULL), SG_EINVAL);
	ck_assert_int_eq(sg_target_parse("GET", NULL,
	    &(struct sg_target){ 0 }, NULL), SG_EINVAL);
}
END_TEST

/* ---- 4.1: with github.com allowed, every row is denied ---- */

static const struct {
	const char	*id, *method, *uri;
} hdeny[] = {
	{ "H1", "CONNECT", "evilgithub.com:443" },
	{ "H1", "CONNECT", "github.com.evil.com:443" },
	{ "H1", "GET", "http://evilgithub.com/" },
	{ "H1", "GET", "https://github.com.evil.com/" },
	{ "H1", "GET", "http://evil.com/github.com" },
	{ "H1", "GET", "http://evil.com?github.com" },
	{ "H1", "CONNECT", "evil.com/github.com:443" },
	{ "H1", "CONNECT", "evil.com?github.com:443" },
	{ "H1", "CONNECT", "github.co:443" },
	{ "H1", "CONNECT", "ithub.com:443" },
	{ "H1", "CONNECT", "com:443" },
	{ "H1", "CONNECT", "x.github.com:443" },
	{ "H2", "CONNECT", "github.com@evil.com:443" },
	{ "H2", "GET", "http://github.com@evil.com/" },
	{ "H2", "GET", "http://github.com:443@evil.com/" },
	{ "H2", "GET", "http://user:pass@evil.com/" },
	{ "H2", "CONNECT", "user:pass@evil.com:443" },
	{ "H2", "GET", "https://user@github.com/" },
	{ "H2", "CONNECT", "evil.com@github.com:443" },
	{ "H3", "GET", "http://evil.com#@github.com/" },
	{ "H3", "GET", "http://evil.com\\@github.com/" },
	{ "H3", "GET", "http://evil.com%23github.com/" },
	{ "H3", "GET", "http://evil.com%2F@github.com/" },
	{ "H3", "CONNECT", "evil.com#@github.com:443" },
	{ "H3", "CONNECT", "evil.com\\@github.com:443" },
	{ "H3", "CONNECT", "evil.com%23github.com:443" },
	{ "H3", "CONNECT", "github.com%3a443:443" },
	{ "H3", "GET", "http://github.com /" },
	{ "H3", "GET", "http://github.com\t/" },
	{ "H3", "GET", "http://github.com\r\n/" },
	{ "H4", "CONNECT", "github.com..:443" },
	{ "H4", "GET", "http://github.com../" },
	{ "H4", "GET", "http://.github.com/" },
	{ "H5", "CONNECT", "github.com:22" },
	{ "H5", "CONNECT", "github.com:0443" },
	{ "H5", "CONNECT", "github.com:+443" },
	{ "H5", "CONNECT", "github.com:65979" },
	{ "H5", "CONNECT", "github.com:" },
	{ "H5", "CONNECT", "github.com:443:80" },
	{ "H5", "CONNECT", "github.com:8443" },
	{ "H5", "GET", "http://github.com:22/" },
	{ "H5", "GET", "http://github.com:0443/" },
	{ "H5", "GET", "http://github.com:+443/" },
	{ "H5", "GET", "http://github.com:65979/" },
	{ "H5", "GET", "http://github.com:/" },
	{ "H5", "GET", "http://github.com:443:80/" },
	{ "H5", "GET", "https://github.com:8443/" },
	{ "H6", "CONNECT", "[::1]:443" },
	{ "H6", "CONNECT", "[::ffff:127.0.0.1]:443" },
	{ "H6", "CONNECT", "[::ffff:7f00:1]:443" },
	{ "H6", "CONNECT", "[64:ff9b::7f00:1]:443" },
	{ "H6", "CONNECT", "[2002:7f00:1::]:443" },
	{ "H6", "CONNECT", "[fe80::1%25eth0]:443" },
	{ "H6", "GET", "http://[::1]/" },
	{ "H6", "GET", "http://[::ffff:127.0.0.1]/" },
	{ "H6", "GET", "https://[fe80::1%25eth0]/" },
	{ "H7", "CONNECT", "0.0.0.0:443" },
	{ "H7", "GET", "http://0.0.0.0/" },
	{ "H7", "CONNECT", "127.0.0.1:443" },
	{ "H8", "CONNECT", "140.82.112.3:443" },
	{ "H8", "GET", "https://140.82.112.3/" },
	{ "H9", "CONNECT", "g\xd1\x96thub.com:443" },
	{ "H9", "CONNECT", "\xef\xbd\x87\xef\xbd\x89\xef\xbd\x94\xef\xbd\x88"
	    "\xef\xbd\x95\xef\xbd\x82.com:443" },
	{ "H9", "CONNECT", "github\xe3\x80\x82" "com:443" },
	{ "H9", "CONNECT", "xn--gthub-n4a.com:443" },
	{ "H9", "GET", "https://g\xd1\x96thub.com/" },
	{ "H9", "GET", "https://github\xe3\x80\x82" "com/" },
	{ "H10", "CONNECT", "evil-github.com:443" },
	{ "H10", "CONNECT", "x.github.com.evil.com:443" },
};

START_TEST(test_h_deny)
{
	ck_assert_msg(!decide("github.com", hdeny[_i].method, hdeny[_i].uri),
	    "%s allowed: %s %s", hdeny[_i].id, hdeny[_i].method,
	    hdeny[_i].uri);
	/* and with the wildcard form listed too */
	ck_assert_msg(!decide("github.com,*.github.com", hdeny[_i].method,
	    hdeny[_i].uri) || strcmp(hdeny[_i].uri, "x.github.com:443") == 0,
	    "%s allowed by wildcard: %s %s", hdeny[_i].id, hdeny[_i].method,
	    hdeny[_i].uri);
}
END_TEST

/* H4: the normalisation cases must be allowed. */
static const struct {
	const char	*method, *uri;
} hallow[] = {
	{ "CONNECT", "github.com:443" },
	{ "CONNECT", "GitHub.COM:443" },
	{ "CONNECT", "github.com.:443" },
	{ "CONNECT", "GITHUB.COM.:443" },
	{ "GET", "http://GitHub.COM/" },
	{ "GET", "http://github.com./x" },
	{ "GET", "https://GitHub.COM.:443/x?y" },
	{ "GET", "http://github.com:80" },
	{ "POST", "https://github.com" },
};

START_TEST(test_h4_allow)
{
	ck_assert_msg(decide("github.com", hallow[_i].method, hallow[_i].uri),
	    "denied: %s %s", hallow[_i].method, hallow[_i].uri);
	ck_assert_msg(decide("GitHub.com.", hallow[_i].method, hallow[_i].uri),
	    "denied with GitHub.com.: %s %s", hallow[_i].method,
	    hallow[_i].uri);
}
END_TEST

/* ---- H10: wildcard boundary ---- */

START_TEST(test_wildcard)
{
	const char	*w = "*.github.com";

	ck_assert(!decide(w, "CONNECT", "github.com:443"));
	ck_assert(!decide(w, "CONNECT", "github.com.:443"));
	ck_assert(!decide(w, "CONNECT", "evil-github.com:443"));
	ck_assert(!decide(w, "CONNECT", "xgithub.com:443"));
	ck_assert(!decide(w, "CONNECT", "x.github.com.evil.com:443"));
	ck_assert(!decide(w, "CONNECT", "x.github.co:443"));
	ck_assert(!decide(w, "CONNECT", "x.githubxcom:443"));
	ck_assert(!decide(w, "CONNECT", ".github.com:443"));
	ck_assert(!decide(w, "CONNECT", "com:443"));
	ck_assert(decide(w, "CONNECT", "a.github.com:443"));
	ck_assert(decide(w, "CONNECT", "a.b.github.com:443"));
	ck_assert(decide(w, "CONNECT", "A.GitHub.com.:443"));
	ck_assert(decide(w, "GET", "http://api.github.com/x"));
	ck_assert(decide(w, "CONNECT", "x-y.github.com:443"));
	ck_assert(decide(w, "CONNECT", "github.github.com:443"));
	/* the apex needs its own entry */
	ck_assert(decide("github.com,*.github.com", "CONNECT",
	    "github.com:443"));
	/* a deeper wildcard does not cover the level above */
	ck_assert(!decide("*.api.github.com", "CONNECT", "x.github.com:443"));
	ck_assert(!decide("*.api.github.com", "CONNECT", "api.github.com:443"));
	ck_assert(decide("*.api.github.com", "CONNECT", "v.api.github.com:443"));
	/* wildcard with a port */
	ck_assert(decide("*.x.com:8443", "CONNECT", "a.x.com:8443"));
	ck_assert(!decide("*.x.com:8443", "CONNECT", "a.x.com:443"));
	/* names never match addresses, wildcards neither */
	ck_assert(!decide("*.github.com", "CONNECT", "140.82.112.3:443"));
	/* exact names do not match subdomains */
	ck_assert(!decide("github.com", "CONNECT", "a.github.com:443"));
	/* single-label names match exactly */
	ck_assert(decide("localhost", "CONNECT", "LOCALHOST:443"));
	ck_assert(!decide("localhost", "CONNECT", "a.localhost:443"));
	ck_assert(!decide("localhost", "CONNECT", "localhost.com:443"));
	/* the empty list matches nothing */
	ck_assert(!decide("", "CONNECT", "github.com:443"));
}
END_TEST

/* ---- port rules, default ports 80,443 ---- */

START_TEST(test_port_rules)
{
	struct sg_hostlist	 l;
	struct sg_target	 t;

	ck_assert(decide("a.com", "CONNECT", "a.com:443"));
	ck_assert(decide("a.com", "CONNECT", "a.com:80"));
	ck_assert(decide("a.com", "GET", "http://a.com/"));
	ck_assert(decide("a.com", "GET", "https://a.com/"));
	ck_assert(!decide("a.com", "CONNECT", "a.com:8443"));
	ck_assert(!decide("a.com", "CONNECT", "a.com:22"));
	ck_assert(!decide("a.com", "GET", "http://a.com:8080/"));
	/* a port in the pattern replaces the defaults */
	ck_assert(decide("a.com:8443", "CONNECT", "a.com:8443"));
	ck_assert(!decide("a.com:8443", "CONNECT", "a.com:443"));
	ck_assert(!decide("a.com:8443", "GET", "http://a.com/"));
	ck_assert(decide("a.com:80", "GET", "http://a.com/"));
	ck_assert(!decide("a.com:80", "GET", "https://a.com/"));
	ck_assert(decide("a.com:443", "GET", "https://a.com/"));
	/* two entries for one name: either may match */
	ck_assert(decide("a.com:8443,a.com", "CONNECT", "a.com:443"));
	ck_assert(decide("a.com:8443,a.com", "CONNECT", "a.com:8443"));
	ck_assert(!decide("a.com:8443,a.com", "CONNECT", "a.com:9000"));
	/* a NULL default set admits only explicit ports */
	ck_assert_int_eq(sg_hosts_parse("a.com,b.com:443", 15, &l, NULL),
	    SG_OK);
	ck_assert_int_eq(sg_target_parse("CONNECT", "a.com:443", &t, NULL),
	    SG_OK);
	ck_assert(!sg_hosts_match(&l, &t, NULL));
	ck_assert(sg_hosts_match(&l, &t, &dflt));
	ck_assert_int_eq(sg_target_parse("CONNECT", "b.com:443", &t, NULL),
	    SG_OK);
	ck_assert(sg_hosts_match(&l, &t, NULL));
	/* a zeroed target never matches */
	memset(&t, 0, sizeof(t));
	ck_assert(!sg_hosts_match(&l, &t, &dflt));
	ck_assert(!sg_hosts_match(NULL, &t, &dflt));
	sg_hostlist_clear(&l);
}
END_TEST

/* ---- IP literals ---- */

START_TEST(test_ip_literals)
{
	ck_assert(decide("127.0.0.1", "CONNECT", "127.0.0.1:443"));
	ck_assert(decide("127.0.0.1:18090", "GET", "http://127.0.0.1:18090/"));
	ck_assert(!decide("127.0.0.1", "CONNECT", "127.0.0.2:443"));
	ck_assert(!decide("127.0.0.1", "CONNECT", "127.0.0.1:18090"));
	ck_assert(!decide("127.0.0.1", "CONNECT", "localhost:443"));
	ck_assert(!decide("localhost", "CONNECT", "127.0.0.1:443"));
	ck_assert(decide("[::1]", "CONNECT", "[::1]:443"));
	ck_assert(decide("[::1]", "CONNECT", "[0:0::1]:443"));
	ck_assert(decide("[::1]", "GET", "http://[0000::0001]/"));
	ck_assert(decide("[2001:db8::1]:8443", "CONNECT",
	    "[2001:DB8:0:0:0:0:0:1]:8443"));
	ck_assert(!decide("[::1]", "CONNECT", "127.0.0.1:443"));
	/* families never cross: mapped and v4 are different literals */
	ck_assert(!decide("127.0.0.1", "CONNECT", "[::ffff:127.0.0.1]:443"));
	ck_assert(!decide("127.0.0.1", "CONNECT", "[::ffff:7f00:1]:443"));
	ck_assert(!decide("127.0.0.1", "CONNECT", "[::127.0.0.1]:443"));
	ck_assert(!decide("[::ffff:127.0.0.1]", "CONNECT", "127.0.0.1:443"));
	ck_assert(decide("[::ffff:127.0.0.1]", "CONNECT",
	    "[::ffff:7f00:1]:443"));
	/* an all-zero address pattern never matches a name target */
	ck_assert(!decide("0.0.0.0,[::]", "CONNECT", "localhost:443"));
	ck_assert(!decide("0.0.0.0,[::]", "GET", "http://a.com/"));
	ck_assert(decide("0.0.0.0,[::]", "CONNECT", "[::]:443"));
	/* H8: an address is never turned into a name */
	ck_assert(!decide("github.com", "CONNECT", "140.82.112.3:443"));
	ck_assert(decide("140.82.112.3", "CONNECT", "140.82.112.3:443"));
	ck_assert(!decide("140.82.112.3", "CONNECT", "github.com:443"));
}
END_TEST

/* ---- classifier ---- */

static const struct {
	const char	*addr;
	int		 priv;
} v4tab[] = {
	{ "0.0.0.0", 1 }, { "0.255.255.255", 1 }, { "1.0.0.0", 0 },
	{ "1.1.1.1", 0 }, { "8.8.8.8", 0 }, { "9.255.255.255", 0 },
	{ "10.0.0.0", 1 }, { "10.255.255.255", 1 }, { "11.0.0.0", 0 },
	{ "100.63.255.255", 0 }, { "100.64.0.0", 1 },
	{ "100.127.255.255", 1 }, { "100.128.0.0", 0 },
	{ "100.100.100.200", 1 }, { "126.255.255.255", 0 },
	{ "127.0.0.0", 1 }, { "127.0.0.1", 1 }, { "127.255.255.255", 1 },
	{ "128.0.0.0", 0 }, { "140.82.112.3", 0 },
	{ "168.63.129.15", 0 }, { "168.63.129.16", 1 },
	{ "168.63.129.17", 0 }, { "169.253.255.255", 0 },
	{ "169.254.0.0", 1 }, { "169.254.169.254", 1 },
	{ "169.254.255.255", 1 }, { "169.255.0.0", 0 },
	{ "172.15.255.255", 0 }, { "172.16.0.0", 1 },
	{ "172.31.255.255", 1 }, { "172.32.0.0", 0 },
	{ "191.255.255.255", 0 }, { "192.0.0.0", 1 }, { "192.0.0.192", 1 },
	{ "192.0.0.255", 1 }, { "192.0.1.0", 0 }, { "192.0.2.0", 1 },
	{ "192.0.2.255", 1 }, { "192.0.3.0", 0 }, { "192.88.98.255", 0 },
	{ "192.88.99.0", 1 }, { "192.88.100.0", 0 },
	{ "192.167.255.255", 0 }, { "192.168.0.0", 1 },
	{ "192.168.255.255", 1 }, { "192.169.0.0", 0 },
	{ "198.17.255.255", 0 }, { "198.18.0.0", 1 },
	{ "198.19.255.255", 1 }, { "198.20.0.0", 0 },
	{ "198.51.99.255", 0 }, { "198.51.100.0", 1 },
	{ "198.51.100.255", 1 }, { "198.51.101.0", 0 },
	{ "203.0.112.255", 0 }, { "203.0.113.0", 1 },
	{ "203.0.113.255", 1 }, { "203.0.114.0", 0 },
	{ "223.255.255.255", 0 }, { "224.0.0.0", 1 },
	{ "239.255.255.255", 1 }, { "240.0.0.0", 1 },
	{ "255.255.255.254", 1 }, { "255.255.255.255", 1 },
};

START_TEST(test_private_v4)
{
	uint8_t		 a[4];
	uint8_t		 m[16] = { [10] = 0xff, [11] = 0xff };
	uint8_t		 n64[16] = { 0, 0x64, 0xff, 0x9b };
	uint8_t		 s6[16] = { 0x20, 0x02 };
	uint8_t		 te[16] = { 0x20, 0x01, 0, 0, 0x41, 0x36, 0xe3, 0x78,
			    0x80, 0, 0x63, 0xbf };
	int		 i;

	ck_assert_int_eq(inet_pton(AF_INET, v4tab[_i].addr, a), 1);
	ck_assert_msg(sg_addr_is_private(AF_INET, a) == v4tab[_i].priv,
	    "%s", v4tab[_i].addr);
	/* every embedding classifies the same way */
	memcpy(m + 12, a, 4);
	ck_assert_msg(sg_addr_is_private(AF_INET6, m) == v4tab[_i].priv,
	    "::ffff:%s", v4tab[_i].addr);
	memset(m + 10, 0, 2);
	ck_assert_msg(sg_addr_is_private(AF_INET6, m) == v4tab[_i].priv,
	    "::%s", v4tab[_i].addr);
	memcpy(n64 + 12, a, 4);
	ck_assert_msg(sg_addr_is_private(AF_INET6, n64) == v4tab[_i].priv,
	    "64:ff9b::%s", v4tab[_i].addr);
	memcpy(s6 + 2, a, 4);
	ck_assert_msg(sg_addr_is_private(AF_INET6, s6) == v4tab[_i].priv,
	    "2002 with %s", v4tab[_i].addr);
	for (i = 0; i < 4; i++)
		te[12 + i] = (uint8_t)~a[i];
	ck_assert_msg(sg_addr_is_private(AF_INET6, te) == v4tab[_i].priv,
	    "Teredo client %s", v4tab[_i].addr);
}
END_TEST

static const struct {
	const char	*addr;
	int		 priv;
} v6tab[] = {
	{ "::", 1 }, { "::1", 1 }, { "::2", 1 },
	{ "::8.8.8.8", 0 }, { "::127.0.0.1", 1 },
	{ "::ffff:127.0.0.1", 1 }, { "::ffff:7f00:1", 1 },
	{ "::ffff:8.8.8.8", 0 }, { "::ffff:10.0.0.1", 1 },
	{ "::ffff:169.254.169.254", 1 }, { "::ffff:0:127.0.0.1", 1 },
	{ "::ffff:0:8.8.8.8", 0 }, { "::1:0:0:1", 1 }, { "::fffe:808:808", 1 },
	{ "64:ff9b::7f00:1", 1 }, { "64:ff9b::8.8.8.8", 0 },
	{ "64:ff9b::a9fe:a9fe", 1 }, { "64:ff9b::1:808:808", 1 },
	{ "64:ff9b:1::1", 1 }, { "64:ff9b:1::808:808", 1 },
	{ "64:ff9b:1:ffff:ffff:ffff:ffff:ffff", 1 },
	{ "64:ff9b:2::808:808", 1 },
	{ "2002:7f00:1::", 1 }, { "2002:808:808::", 0 },
	{ "2002:808:808:ffff:ffff:ffff:ffff:ffff", 0 },
	{ "2002:a00:1::1", 1 }, { "2002:c0a8:101::1", 1 },
	{ "2002:a9fe:a9fe::1", 1 }, { "2002::", 1 },
	/* Teredo, RFC 4380 example: client 192.0.2.45 (documentation) */
	{ "2001:0:4136:e378:8000:63bf:3fff:fdd2", 1 },
	{ "2001:0:4136:e378:8000:63bf:80ff:fffe", 1 },	/* 127.0.0.1 */
	{ "2001:0:4136:e378:8000:63bf:f7f7:f7f7", 0 },	/* 8.8.8.8 */
	{ "2001:0:4136:e378:8000:63bf:ffff:ffff", 1 },	/* 0.0.0.0 */
	{ "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", 0 },
	{ "2001:db8::", 1 }, { "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 1 },
	{ "2001:db9::", 0 },
	{ "2001:2::1", 1 }, { "2001:2:0:ffff::", 1 }, { "2001:2:1::", 0 },
	{ "2001:3::1", 0 }, { "2001:10::1", 1 }, { "2001:1f::1", 1 },
	{ "2001:20::1", 0 },
	{ "1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1 }, { "2000::", 0 },
	{ "2606:4700::1111", 0 }, { "2a00:1450:4001::1", 0 },
	{ "3ffe::", 0 }, { "3fff::", 1 }, { "3fff:fff:ffff::", 1 },
	{ "3fff:1000::", 0 }, { "4000::", 1 }, { "100::", 1 },
	{ "5f00::1", 1 },
	{ "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1 },
	{ "fc00::", 1 }, { "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1 },
	{ "fd00:ec2::254", 1 }, { "fe80::", 1 }, { "fe80::1", 1 },
	{ "febf:ffff::", 1 }, { "fec0::1", 1 }, { "feff::", 1 },
	{ "ff00::", 1 }, { "ff02::1", 1 },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1 },
};

START_TEST(test_private_v6)
{
	uint8_t		 a[16];

	ck_assert_int_eq(inet_pton(AF_INET6, v6tab[_i].addr, a), 1);
	ck_assert_msg(sg_addr_is_private(AF_INET6, a) == v6tab[_i].priv,
	    "%s", v6tab[_i].addr);
}
END_TEST

START_TEST(test_private_misc)
{
	static const uint8_t	 a[16];

	ck_assert(sg_addr_is_private(AF_INET, NULL));
	ck_assert(sg_addr_is_private(AF_UNIX, a));
	ck_assert(sg_addr_is_private(12345, a));
}
END_TEST

static const struct {
	const char	*method, *uri;
	enum sg_rc	 rc;
	const char	*code;
} pubtab[] = {
	{ "CONNECT", "8.8.8.8:443", SG_OK, NULL },
	{ "CONNECT", "140.82.112.3:443", SG_OK, NULL },
	{ "CONNECT", "[2606:4700::1111]:443", SG_OK, NULL },
	{ "CONNECT", "[2002:808:808::1]:443", SG_OK, NULL },
	{ "CONNECT", "127.0.0.1:443", SG_EPERM, "private_target" },
	{ "CONNECT", "0.0.0.0:443", SG_EPERM, "private_target" },
	{ "GET", "http://169.254.169.254/latest/meta-data/", SG_EPERM,
	    "private_target" },
	{ "GET", "http://100.100.100.200/", SG_EPERM, "private_target" },
	{ "GET", "http://[fd00:ec2::254]/", SG_EPERM, "private_target" },
	{ "CONNECT", "[::1]:443", SG_EPERM, "private_target" },
	{ "CONNECT", "[::ffff:127.0.0.1]:443", SG_EPERM, "private_target" },
	{ "CONNECT", "[::ffff:7f00:1]:443", SG_EPERM, "private_target" },
	{ "CONNECT", "[64:ff9b::7f00:1]:443", SG_EPERM, "private_target" },
	{ "CONNECT", "[2002:7f00:1::]:443", SG_EPERM, "private_target" },
	{ "CONNECT", "[2001:0:4136:e378:8000:63bf:80ff:fffe]:443", SG_EPERM,
	    "private_target" },
	{ "CONNECT", "[fe80::1]:443", SG_EPERM, "private_target" },
	{ "CONNECT", "10.1.2.3:443", SG_EPERM, "private_target" },
	/* resolved from /etc/hosts only: never an external lookup */
	{ "CONNECT", "localhost:443", SG_EPERM, "private_target" },
	{ "GET", "http://LocalHost./", SG_EPERM, "private_target" },
};

START_TEST(test_check_public)
{
	struct sg_target	 t;
	struct sg_err		 err;

	sg_err_clear(&err);
	ck_assert_int_eq(sg_target_parse(pubtab[_i].method, pubtab[_i].uri,
	    &t, NULL), SG_OK);
	ck_assert_msg(sg_target_check_public(&t, &err) == pubtab[_i].rc,
	    "%s %s", pubtab[_i].method, pubtab[_i].uri);
	if (pubtab[_i].code != NULL)
		ck_assert_str_eq(err.code, pubtab[_i].code);
}
END_TEST

START_TEST(test_check_public_empty)
{
	struct sg_target	 t;
	struct sg_err		 err;

	memset(&t, 0, sizeof(t));
	sg_err_clear(&err);
	ck_assert_int_eq(sg_target_check_public(&t, &err), SG_EPERM);
	ck_assert_str_eq(err.code, "unresolvable_target");
}
END_TEST

/*
 * Issue 15: the host's own public addresses are refused like private
 * ones; private and loopback addresses are not even kept.
 */
START_TEST(test_check_local)
{
	struct sockaddr_in	 a4[3];
	struct sockaddr_in6	 a6;
	struct ifaddrs		 ifa[5];
	struct sg_localaddrs	*l;
	struct sg_target	 t;
	struct sg_resolved	 res;
	struct sg_err		 err;
	uint8_t			 b[16];
	size_t			 i;

	l = calloc(1, sizeof(*l));
	ck_assert_ptr_nonnull(l);
	memset(ifa, 0, sizeof(ifa));
	memset(a4, 0, sizeof(a4));
	memset(&a6, 0, sizeof(a6));
	for (i = 0; i < 3; i++)
		a4[i].sin_family = AF_INET;
	ck_assert_int_eq(inet_pton(AF_INET, "127.0.0.1", &a4[0].sin_addr), 1);
	ck_assert_int_eq(inet_pton(AF_INET, "10.1.2.3", &a4[1].sin_addr), 1);
	ck_assert_int_eq(inet_pton(AF_INET, "198.20.0.7", &a4[2].sin_addr), 1);
	a6.sin6_family = AF_INET6;
	ck_assert_int_eq(inet_pton(AF_INET6, "2a00:1450::7", &a6.sin6_addr), 1);
	ifa[0].ifa_addr = (struct sockaddr *)&a4[0];
	ifa[1].ifa_addr = (struct sockaddr *)&a4[1];
	ifa[2].ifa_addr = (struct sockaddr *)&a4[2];
	ifa[3].ifa_addr = (struct sockaddr *)&a6;
	ifa[4].ifa_addr = (struct sockaddr *)&a4[2];	/* twice: kept once */
	for (i = 0; i < 4; i++)
		ifa[i].ifa_next = &ifa[i + 1];
	sg_err_clear(&err);
	ck_assert_int_eq(sg_localaddrs_load(l, ifa, &err), SG_OK);
	ck_assert_uint_eq(l->n, 2);
	ck_assert_int_eq(inet_pton(AF_INET6, "::ffff:198.20.0.7", b), 1);
	ck_assert(sg_localaddrs_has(l, AF_INET6, b));
	ck_assert(sg_localaddrs_has(l, AF_INET, b + 12));
	ck_assert(!sg_localaddrs_has(NULL, AF_INET, b + 12));

	ck_assert_int_eq(sg_target_parse("CONNECT", "198.20.0.7:443", &t,
	    NULL), SG_OK);
	ck_assert_int_eq(sg_target_check_public(&t, &err), SG_OK);
	ck_assert_int_eq(sg_target_check_outside(&t, l, &err), SG_EPERM);
	ck_assert_str_eq(err.code, "local_target");
	ck_assert_int_eq(sg_target_parse("CONNECT", "[2a00:1450::7]:443", &t,
	    NULL), SG_OK);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_target_check_outside(&t, l, &err), SG_EPERM);
	ck_assert_str_eq(err.code, "local_target");
	ck_assert_int_eq(sg_target_parse("CONNECT", "198.20.0.8:443", &t,
	    NULL), SG_OK);
	ck_assert_int_eq(sg_target_check_outside(&t, l, &err), SG_OK);
	ck_assert_int_eq(sg_target_parse("CONNECT", "10.1.2.3:443", &t,
	    NULL), SG_OK);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_target_check_outside(&t, l, &err), SG_EPERM);
	ck_assert_str_eq(err.code, "private_target");

	/*
	 * sg_target_addrs: the addresses a connector is given are the ones
	 * checked; unchecked, a private literal is handed on as it is;
	 * checked, refused with nothing to connect to.
	 */
	res.n = 99;
	sg_err_clear(&err);
	ck_assert_int_eq(sg_target_addrs(&t, l, 0, &res, &err), SG_OK);
	ck_assert_uint_eq(res.n, 1);
	ck_assert_int_eq(res.a[0].family, AF_INET);
	ck_assert_mem_eq(res.a[0].addr, &a4[1].sin_addr, 4);
	ck_assert_int_eq(sg_target_addrs(&t, l, 1, &res, &err), SG_EPERM);
	ck_assert_str_eq(err.code, "private_target");
	ck_assert_uint_eq(res.n, 0);
	ck_assert_int_eq(sg_target_parse("CONNECT", "[2a00:1450::8]:443", &t,
	    NULL), SG_OK);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_target_addrs(&t, l, 1, &res, &err), SG_OK);
	ck_assert_uint_eq(res.n, 1);
	ck_assert_int_eq(res.a[0].family, AF_INET6);
	ck_assert_int_eq(res.a[0].addr[15], 8);
	/* A name is resolved, here from /etc/hosts: loopback, refused. */
	ck_assert_int_eq(sg_target_parse("CONNECT", "localhost:443", &t,
	    NULL), SG_OK);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_target_addrs(&t, l, 0, &res, &err), SG_OK);
	ck_assert_uint_ge(res.n, 1);
	ck_assert_int_eq(sg_target_addrs(&t, l, 1, &res, &err), SG_EPERM);
	ck_assert_str_eq(err.code, "private_target");
	ck_assert_uint_eq(res.n, 0);

	/* The real list loads, and a fresh one is not re-read. */
	sg_err_clear(&err);
	ck_assert_int_eq(sg_localaddrs_refresh(l, 1000, &err), SG_OK);
	ck_assert_int_eq(l->loaded_us, 1000);
	ck_assert_int_eq(sg_localaddrs_refresh(l, 1000 + SG_LOCALADDR_TTL_US
	    - 1, &err), SG_OK);
	ck_assert_int_eq(l->loaded_us, 1000);
	ck_assert_int_eq(sg_localaddrs_refresh(l, 1000 + SG_LOCALADDR_TTL_US,
	    &err), SG_OK);
	ck_assert_int_eq(l->loaded_us, 1000 + SG_LOCALADDR_TTL_US);
	free(l);
}
END_TEST

/* ---- round trip: parse -> join -> parse is a fixed point ---- */

START_TEST(test_roundtrip)
{
	static const char *lists[] = {
		"GitHub.COM.,*.API.github.com:8443,[2001:DB8:0::1]:443,"
		    "10.0.0.1,localhost:18090,[::FFFF:7f00:1],xn--p1ai.xn--p1ai",
		"a.b",
		"*.a.b:1,*.a.b:65535,a.b,a.b",
	};
	struct sg_hostlist	 l1, l2;
	char			*s1, *s2;
	size_t			 i, j;

	for (i = 0; i < NELEM(lists); i++) {
		ck_assert_int_eq(sg_hosts_parse(lists[i], strlen(lists[i]),
		    &l1, NULL), SG_OK);
		ck_assert_ptr_nonnull(s1 = sg_hostlist_join(&l1));
		ck_assert_int_eq(sg_hosts_parse(s1, strlen(s1), &l2, NULL),
		    SG_OK);
		ck_assert_ptr_nonnull(s2 = sg_hostlist_join(&l2));
		ck_assert_str_eq(s1, s2);
		ck_assert_uint_eq(l1.n, l2.n);
		for (j = 0; j < l1.n; j++)
			ck_assert_mem_eq(&l1.v[j], &l2.v[j], sizeof(l1.v[j]));
		free(s1);
		free(s2);
		sg_hostlist_clear(&l1);
		sg_hostlist_clear(&l2);
	}
	ck_assert_int_eq(sg_hosts_parse(lists[0], strlen(lists[0]), &l1, NULL),
	    SG_OK);
	ck_assert_ptr_nonnull(s1 = sg_hostlist_join(&l1));
	ck_assert_str_eq(s1, "github.com,*.api.github.com:8443,"
	    "[2001:db8::1]:443,10.0.0.1,localhost:18090,[::ffff:127.0.0.1],"
	    "xn--p1ai.xn--p1ai");
	free(s1);
	sg_hostlist_clear(&l1);
	sg_hostlist_init(&l1);
	ck_assert_ptr_nonnull(s1 = sg_hostlist_join(&l1));
	ck_assert_str_eq(s1, "");
	free(s1);
}
END_TEST

/* ---- differential: generated hosts against a reference normaliser ---- */

static uint32_t	 rng_state;

static uint32_t
rng(void)
{
	/* xorshift32: deterministic, so a failure reproduces */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/*
 * The rules of hosts.h written a second, naive way: returns -1 for an
 * invalid host, 0 for a name, 1 for an IPv4 literal; out gets the
 * normalised text.
 */
static int
ref_norm(const char *h, char *out, size_t outsz)
{
	size_t		 len = strlen(h), i, j, start, parts;
	int		 alldig = 1, val;

	if (len == 0 || len + 1 > outsz)
		return -1;
	for (i = 0; i < len; i++) {
		char c = h[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.'))
			return -1;
		out[i] = c;
		if (!(c >= '0' && c <= '9') && c != '.')
			alldig = 0;
	}
	out[len] = '\0';
	if (out[len - 1] == '.') {
		if (alldig)
			return -1;
		out[--len] = '\0';
		if (len == 0 || out[len - 1] == '.')
			return -1;
	}
	if (alldig) {
		parts = 0;
		for (start = 0, i = 0; i <= len; i++) {
			if (i < len && out[i] != '.')
				continue;
			if (i == start || i - start > 3)
				return -1;
			if (i - start > 1 && out[start] == '0')
				return -1;
			for (val = 0, j = start; j < i; j++)
				val = val * 10 + (out[j] - '0');
			if (val > 255)
				return -1;
			parts++;
			start = i + 1;
		}
		return parts == 4 ? 1 : -1;
	}
	if (len > 253)
		return -1;
	for (start = 0, i = 0; i <= len; i++) {
		if (i < len && out[i] != '.')
			continue;
		if (i == start || i - start > 63 || out[start] == '-' ||
		    out[i - 1] == '-')
			return -1;
		if (i == len) {
			/* the last label is no number */
			int num = 1;

			for (j = start; j < i; j++)
				if (!(out[j] >= '0' && out[j] <= '9'))
					num = 0;
			if (num)
				return -1;
			if (i - start >= 2 && out[start] == '0' &&
			    out[start + 1] == 'x') {
				num = 1;
				for (j = start + 2; j < i; j++)
					if (!strchr("0123456789abcdef",
					    out[j]))
						num = 0;
				if (num)
					return -1;
			}
		}
		start = i + 1;
	}
	return 0;
}

static int
ref_allowed(int kind, const char *n)
{
	size_t		 len = strlen(n);

	if (kind == 1)
		return strcmp(n, "10.1.2.3") == 0;
	if (kind != 0)
		return 0;
	return strcmp(n, "github.com") == 0 || strcmp(n, "a.b") == 0 ||
	    (len > 12 && strcmp(n + len - 12, ".example.org") == 0);
}

START_TEST(test_differential)
{
	static const char *pieces[] = {
		"github", "com", "GitHub", "COM", "evil", "example", "org",
		"Example", "a", "b", "x-y", "-", ".", ".", ".", "..", "xn--p1ai",
		"1", "10", "2", "3", "127", "0", "00", "256", "0x7f", "0X1f",
		"_", "@", "*", ":", "%2e", "\xc3\xa9", "#", "\\", "\t", "~",
		"a-", "-a", "255",
	};
	static const char *list = "github.com,*.example.org,a.b,10.1.2.3";
	struct sg_hostlist	 l;
	struct sg_target	 t;
	char			 h[128], uri[160], norm[128];
	size_t			 len;
	int			 iter, k, n, kind, ok, allowed, form;
	int			 nvalid = 0, nallowed = 0;

	ck_assert_int_eq(sg_hosts_parse(list, strlen(list), &l, NULL), SG_OK);
	rng_state = 0x5eed1234u;
	for (iter = 0; iter < 600; iter++) {
		h[0] = '\0';
		len = 0;
		n = 1 + (int)(rng() % 6);
		for (k = 0; k < n; k++) {
			const char *p = pieces[rng() % NELEM(pieces)];

			if (k > 0 && rng() % 4 != 0)
				len += (size_t)snprintf(h + len,
				    sizeof(h) - len, ".");
			len += (size_t)snprintf(h + len, sizeof(h) - len,
			    "%s", p);
		}
		/* bias towards the interesting names */
		if (rng() % 5 == 0)
			len = (size_t)snprintf(h, sizeof(h), "%s%s",
			    rng() % 2 ? "x." : "", rng() % 2 ? "github.com" :
			    "example.org");
		kind = ref_norm(h, norm, sizeof(norm));
		allowed = kind >= 0 && ref_allowed(kind, norm);
		for (form = 0; form < 2; form++) {
			if (form == 0)
				(void)snprintf(uri, sizeof(uri), "%s:443", h);
			else
				(void)snprintf(uri, sizeof(uri),
				    "http://%s/x", h);
			ok = sg_target_parse(form ? "GET" : "CONNECT", uri,
			    &t, NULL) == SG_OK;
			ck_assert_msg(ok == (kind >= 0),
			    "parse of \"%s\": impl %d ref %d", uri, ok, kind);
			if (!ok)
				continue;
			ck_assert_str_eq(t.host, norm);
			ck_assert_int_eq(t.kind, kind == 1 ? SG_HOST_IPV4 :
			    SG_HOST_NAME);
			ck_assert_msg(sg_hosts_match(&l, &t, &dflt) ==
			    allowed, "match of \"%s\"", uri);
			/* the host as a pattern agrees with the target */
			ck_assert(pat_ok(h));
		}
		/* as a pattern too ("*." starts a wildcard there) */
		if (kind < 0 && strncmp(h, "*.", 2) != 0)
			ck_assert_msg(!pat_ok(h), "pattern \"%s\"", h);
		nvalid += kind >= 0;
		nallowed += allowed;
	}
	/* the generator reaches every outcome */
	ck_assert_int_gt(nvalid, 50);
	ck_assert_int_gt(nallowed, 10);
	ck_assert_int_gt(600 - nvalid, 50);
	sg_hostlist_clear(&l);
}
END_TEST

/*
 * Patterns with wildcards and ports against targets over a small
 * alphabet (so that matches are frequent), checked against the same
 * reference normaliser and a naive matcher.
 */
static void
gen_host(char *h, size_t sz)
{
	static const char *labels[] = {
		"a", "b", "ab", "A", "B", "x-y", "1", "2", "0x1", "-",
	};
	size_t		 len = 0;
	int		 k, n;

	if (rng() % 6 == 0) {
		(void)snprintf(h, sz, "%u.%u.%u.%u", rng() % 3, rng() % 3,
		    rng() % 3, rng() % 300);
		return;
	}
	n = 1 + (int)(rng() % 4);
	h[0] = '\0';
	for (k = 0; k < n; k++)
		len += (size_t)snprintf(h + len, sz - len, "%s%s",
		    k ? "." : "", labels[rng() % NELEM(labels)]);
	if (rng() % 5 == 0)
		(void)snprintf(h + len, sz - len, ".");
}

static int
ref_port(const char *p)
{
	size_t		 i, len = strlen(p);
	long		 v = 0;

	if (len == 0 || len > 5 || p[0] == '0')
		return -1;
	for (i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v >= 1 && v <= 65535 ? (int)v : -1;
}

START_TEST(test_differential_match)
{
	static const char *ports[] = { "", "", "", ":80", ":443", ":8443",
	    ":0", ":08", ":", ":65536" };
	static const int tports[] = { 80, 443, 8443, 22 };
	struct sg_hostlist	 l;
	struct sg_target	 t;
	char			 ph[64], th[160], pat[80], uri[200];
	char			 pn[64], tn[160];
	const char		*pp;
	int			 iter, wild, pk, tk, pport, tport, ok, exp;
	int			 nmatch = 0, nwild = 0;
	size_t			 pl, tl;

	rng_state = 0xc0ffee11u;
	for (iter = 0; iter < 2000; iter++) {
		wild = rng() % 3 == 0;
		gen_host(ph, sizeof(ph));
		pp = ports[rng() % NELEM(ports)];
		(void)snprintf(pat, sizeof(pat), "%s%s%s", wild ? "*." : "",
		    ph, pp);
		/* target: often a subdomain or the same host */
		switch (rng() % 3) {
		case 0:
			(void)snprintf(th, sizeof(th), "%s", ph);
			break;
		case 1:
			gen_host(th, sizeof(th) / 2);
			pl = strlen(th);
			(void)snprintf(th + pl, sizeof(th) - pl, ".%s", ph);
			break;
		default:
			gen_host(th, sizeof(th));
			break;
		}
		tport = tports[rng() % NELEM(tports)];
		(void)snprintf(uri, sizeof(uri), "%s:%d", th, tport);

		/* the reference */
		pk = ref_norm(ph, pn, sizeof(pn));
		pport = pp[0] == '\0' ? 0 : ref_port(pp + 1);
		if (pport < 0 || (wild && (pk != 0 || !strchr(pn, '.'))))
			pk = -1;
		tk = ref_norm(th, tn, sizeof(tn));
		exp = 0;
		if (pk >= 0 && tk == pk) {
			pl = strlen(pn);
			tl = strlen(tn);
			if (!wild)
				exp = strcmp(pn, tn) == 0;
			else
				exp = tl > pl + 1 && tn[tl - pl - 1] == '.' &&
				    strcmp(tn + tl - pl, pn) == 0;
			if (pport != 0)
				exp = exp && pport == tport;
			else
				exp = exp && (tport == 80 || tport == 443);
		}

		ok = sg_hosts_parse(pat, strlen(pat), &l, NULL) == SG_OK;
		ck_assert_msg(ok == (pk >= 0), "pattern \"%s\": impl %d ref %d",
		    pat, ok, pk);
		if (!ok)
			continue;
		ck_assert_msg((sg_target_parse("CONNECT", uri, &t, NULL) ==
		    SG_OK) == (tk >= 0), "target \"%s\"", uri);
		if (tk >= 0)
			ck_assert_msg(sg_hosts_match(&l, &t, &dflt) == exp,
			    "\"%s\" vs \"%s\": ref %d", pat, uri, exp);
		nmatch += exp;
		nwild += wild && exp;
		sg_hostlist_clear(&l);
	}
	ck_assert_int_gt(nmatch, 30);
	ck_assert_int_gt(nwild, 5);
}
END_TEST

/*
 * C12: a wildcard on a public suffix (ICANN or private section of the
 * Public Suffix List) is refused; one level below it, an exact suffix,
 * and what the list's exception rules carve out pass.
 */
static const struct {
	const char	*list;
	const char	*want;		/* NULL: passes; else in the sentence */
} psltab[] = {
	{ "*.co.uk", "*.co.uk" },
	{ "*.CO.UK.", "*.co.uk" },		/* normalised first */
	{ "*.github.io", "*.github.io" },	/* private section */
	{ "*.s3.amazonaws.com", "*.s3.amazonaws.com" },
	{ "*.appspot.com", "*.appspot.com" },
	{ "*.foo.ck", "*.foo.ck" },		/* the list's "*.ck" rule */
	{ "*.co.uk:8443", "*.co.uk" },
	{ "github.com,api.x.com,*.github.io", "*.github.io" },
	{ "*.example.co.uk", NULL },
	{ "*.api.github.com", NULL },
	{ "*.github.com", NULL },
	{ "*.user.github.io", NULL },
	{ "*.www.ck", NULL },			/* the list's "!www.ck" */
	{ "*.corp.internal", NULL },		/* no implicit "*" rule */
	{ "github.io", NULL },			/* exact: one host */
	{ "co.uk,com.au:443", NULL },
	{ "140.82.112.3,[2001:db8::1]:443", NULL },
	{ "", NULL },
};

START_TEST(test_public_suffix)
{
	struct sg_hostlist	 hl;
	struct sg_err		 err;
	const char		*l = psltab[_i].list;

	sg_hostlist_init(&hl);
	sg_err_clear(&err);
	if (*l != '\0')
		ck_assert_msg(sg_hosts_parse(l, strlen(l), &hl, &err) ==
		    SG_OK, "%s: %s", l, err.msg);
	if (psltab[_i].want == NULL) {
		ck_assert_msg(sg_psl_check_hosts(&hl, &err) == SG_OK,
		    "%s refused: %s", l, err.msg);
	} else {
		ck_assert_msg(sg_psl_check_hosts(&hl, &err) == SG_EINVAL,
		    "%s passed", l);
		ck_assert_str_eq(err.code, "public_suffix_wildcard");
		ck_assert_msg(strstr(err.msg, psltab[_i].want) != NULL &&
		    strstr(err.msg, "public suffix") != NULL, "%s", err.msg);
	}
	sg_hostlist_clear(&hl);
}
END_TEST

START_TEST(test_public_suffix_list)
{
	struct sg_hostpat pat;
	struct sg_err	 err;

	/* Debian's publicsuffix file, or libpsl's copy: never none. */
	ck_assert_str_ne(sg_psl_source(), "none");
	ck_assert_int_eq(sg_psl_is_public_suffix("co.uk"), 1);
	ck_assert_int_eq(sg_psl_is_public_suffix("github.io"), 1);
	ck_assert_int_eq(sg_psl_is_public_suffix("com"), 1);
	ck_assert_int_eq(sg_psl_is_public_suffix("example.co.uk"), 0);
	ck_assert_int_eq(sg_psl_is_public_suffix("api.github.com"), 0);
	ck_assert_int_eq(sg_psl_is_public_suffix(""), 0);
	/* "*.com" never gets this far: the parser refuses it. */
	sg_err_clear(&err);
	ck_assert_int_eq(sg_hostpat_parse("*.com", 5, &pat, &err), SG_EINVAL);
	ck_assert_int_eq(sg_psl_check_hosts(NULL, &err), SG_OK);
}
END_TEST

static Suite *
hosts_suite(void)
{
	Suite		*s = suite_create("hosts");
	TCase		*tc;

	tc = tcase_create("patterns");
	tcase_add_loop_test(tc, test_pattern_valid, 0, NELEM(pat_valid));
	tcase_add_loop_test(tc, test_pattern_invalid, 0, NELEM(pat_invalid));
	tcase_add_test(tc, test_pattern_lengths);
	tcase_add_test(tc, test_format_small_buffer);
	suite_add_tcase(s, tc);

	tc = tcase_create("lists");
	tcase_add_loop_test(tc, test_list_c5, 0, NELEM(c5));
	tcase_add_test(tc, test_list_limits);
	tcase_add_test(tc, test_roundtrip);
	suite_add_tcase(s, tc);

	tc = tcase_create("ports");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_ports);
	tcase_add_test(tc, test_port_rules);
	suite_add_tcase(s, tc);

	tc = tcase_create("targets");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_loop_test(tc, test_target_valid, 0, NELEM(tgt_valid));
	tcase_add_loop_test(tc, test_target_invalid, 0, NELEM(tgt_invalid));
	tcase_add_loop_test(tc, test_h7_ipv4_forms, 0, NELEM(h7));
	tcase_add_test(tc, test_target_long);
	suite_add_tcase(s, tc);

	tc = tcase_create("match");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_loop_test(tc, test_h_deny, 0, NELEM(hdeny));
	tcase_add_loop_test(tc, test_h4_allow, 0, NELEM(hallow));
	tcase_add_test(tc, test_wildcard);
	tcase_add_test(tc, test_ip_literals);
	tcase_add_test(tc, test_differential);
	tcase_add_test(tc, test_differential_match);
	suite_add_tcase(s, tc);

	tc = tcase_create("private");
	tcase_add_loop_test(tc, test_private_v4, 0, NELEM(v4tab));
	tcase_add_loop_test(tc, test_private_v6, 0, NELEM(v6tab));
	tcase_add_test(tc, test_private_misc);
	tcase_add_loop_test(tc, test_check_public, 0, NELEM(pubtab));
	tcase_add_test(tc, test_check_public_empty);
	tcase_add_test(tc, test_check_local);
	suite_add_tcase(s, tc);

	tc = tcase_create("suffixes");
	tcase_add_loop_test(tc, test_public_suffix, 0, NELEM(psltab));
	tcase_add_test(tc, test_public_suffix_list);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner		*sr;
	int		 nfail;

	sr = srunner_create(hosts_suite());
	srunner_run_all(sr, CK_NORMAL);
	nfail = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nfail == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
