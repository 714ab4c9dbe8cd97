/* SPDX-License-Identifier: ISC */
/*
 * Host patterns, egress targets, matching and the private-address
 * classifier (docs/contract.md §3.2, §3.4; docs/security.md 4.1, 4.2,
 * 3.7 C5).  Everything here is strict on purpose: a string that two
 * parsers (ours and Apache's, or glibc's getaddrinfo) could read as two
 * different hosts is refused rather than interpreted.  The rules and the
 * decisions are listed in hosts.h.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netdb.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "sgerr.h"
#include "hosts.h"
#include "localaddr.h"
#include "resolve.h"

/* Apache's LimitRequestLine is 8190; anything longer is not a target. */
#define URI_MAX		16384
/* "*." + name + "." + ":65535" */
#define PAT_MAX		(2 + SG_HOST_MAX + 1 + 6)
#define LABEL_MAX	63
/* Longest IPv6 text inet_pton can take ("ffff:...:255.255.255.255"). */
#define V6TEXT_MAX	45
/* A formatted pattern always fits here. */
#define FMT_MAX		(PAT_MAX + 8)

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
is_hex(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int
to_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* LDH: letters, digits, hyphen (RFC 952, RFC 1123 2.1). */
static int
is_ldh(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || c == '-';
}

/* ASCII case-insensitive prefix test, whatever the locale. */
static int
prefix_ci(const char *s, size_t len, const char *prefix)
{
	size_t		 i;

	for (i = 0; prefix[i] != '\0'; i++)
		if (i >= len || to_lower((unsigned char)s[i]) != prefix[i])
			return 0;
	return 1;
}

/*
 * A port: 1-5 decimal digits, no sign, no leading zero, 1..65535
 * (docs/security.md H5: "0443", "+443", "65979" are all refused).
 */
static int
parse_port(const char *s, size_t len, uint16_t *port)
{
	unsigned long	 v = 0;
	size_t		 i;

	if (len == 0 || len > 5 || s[0] == '0')
		return -1;
	for (i = 0; i < len; i++) {
		if (!is_digit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/*
 * Dotted-quad decimal only, each part 0-255 without leading zeros.
 * inet_aton would also take "127.1", "0x7f.1", "017700000001" and
 * "2130706433" (docs/security.md H7); those are refused by the caller.
 */
static int
parse_v4(const char *s, size_t len, uint8_t addr[4])
{
	size_t		 i = 0, nd;
	unsigned	 v;
	int		 part;

	for (part = 0; part < 4; part++) {
		if (part > 0) {
			if (i >= len || s[i] != '.')
				return -1;
			i++;
		}
		v = 0;
		nd = 0;
		while (i < len && is_digit((unsigned char)s[i]) && nd < 4) {
			v = v * 10 + (unsigned)(s[i] - '0');
			i++;
			nd++;
		}
		if (nd == 0 || nd > 3 || v > 255)
			return -1;
		if (nd > 1 && s[i - nd] == '0')
			return -1;
		addr[part] = (uint8_t)v;
	}
	return i == len ? 0 : -1;
}

/*
 * The inside of "[...]": hex digits, ':' and '.' only (so no zone id,
 * RFC 6874 "%25eth0"), then inet_pton.  The canonical text (RFC 5952,
 * as inet_ntop writes it) goes to name.
 */
static int
parse_v6(const char *s, size_t len, uint8_t addr[16], char *name,
    size_t namesz)
{
	char		 buf[V6TEXT_MAX + 1];
	size_t		 i;

	if (len < 2 || len > V6TEXT_MAX)
		return -1;
	for (i = 0; i < len; i++) {
		if (!is_hex((unsigned char)s[i]) && s[i] != ':' && s[i] != '.')
			return -1;
		buf[i] = (char)to_lower((unsigned char)s[i]);
	}
	buf[len] = '\0';
	if (inet_pton(AF_INET6, buf, addr) != 1)
		return -1;
	if (inet_ntop(AF_INET6, addr, name, (socklen_t)namesz) == NULL)
		return -1;
	return 0;
}

/*
 * The last label of a name must not look like a number: WHATWG URL
 * ("ends in a number") turns such a host into an IPv4 address, and
 * glibc's inet_aton accepts "0x7f000001" or "a.0x1"-style parts.  No
 * top-level domain is numeric (RFC 3696 2).
 */
static int
numeric_label(const char *s, size_t len)
{
	size_t		 i = 0;

	if (len >= 2 && s[0] == '0' && s[1] == 'x') {
		for (i = 2; i < len; i++)
			if (!is_hex((unsigned char)s[i]))
				return 0;
		return 1;
	}
	for (i = 0; i < len; i++)
		if (!is_digit((unsigned char)s[i]))
			return 0;
	return 1;
}

/*
 * A DNS name of ASCII LDH labels (RFC 1123 2.1, RFC 5890 for "xn--"
 * A-labels, which are LDH and compare as themselves), lowercased into
 * name.  One trailing dot was removed by the caller.  Returns the number
 * of labels, or -1.
 */
static int
parse_name(const char *s, size_t len, char *name)
{
	struct in_addr	 ia;
	size_t		 i, start = 0;
	int		 nlabels = 0;

	if (len == 0 || len > SG_HOST_MAX)
		return -1;
	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != '.') {
			if (!is_ldh((unsigned char)s[i]))
				return -1;
			name[i] = (char)to_lower((unsigned char)s[i]);
			continue;
		}
		/* a label is s[start, i) */
		if (i == start || i - start > LABEL_MAX)
			return -1;
		if (s[start] == '-' || s[i - 1] == '-')
			return -1;
		nlabels++;
		if (i < len)
			name[i] = '.';
		start = i + 1;
	}
	name[len] = '\0';
	for (i = len; i > 0 && name[i - 1] != '.'; i--)
		;
	if (numeric_label(name + i, len - i))
		return -1;
	/* Belt and braces: nothing glibc would read as an address. */
	if (inet_aton(name, &ia) != 0)
		return -1;
	return nlabels;
}

/*
 * A host without port and without brackets: a name or a dotted quad.
 * One trailing dot is removed from a name ("github.com." is
 * "github.com"; "github.com.." is refused); an IPv4 literal may not have
 * one.  *nlabels is 0 for an address.
 */
static int
parse_bare_host(const char *s, size_t len, enum sg_host_kind *kind,
    char name[SG_HOST_MAX + 1], uint8_t addr[16], int *nlabels)
{
	size_t		 i;
	int		 dotted = 0, allnum = 1, n;

	if (len == 0)
		return -1;
	if (s[len - 1] == '.') {
		dotted = 1;
		len--;
		if (len == 0 || s[len - 1] == '.')
			return -1;
	}
	for (i = 0; i < len; i++)
		if (!is_digit((unsigned char)s[i]) && s[i] != '.')
			allnum = 0;
	if (allnum) {
		/* "0", "127.1", "127.000.000.001", "2130706433": refused */
		if (dotted || parse_v4(s, len, addr) != 0)
			return -1;
		memset(addr + 4, 0, 12);
		(void)snprintf(name, SG_HOST_MAX + 1, "%u.%u.%u.%u",
		    addr[0], addr[1], addr[2], addr[3]);
		*kind = SG_HOST_IPV4;
		*nlabels = 0;
		return 0;
	}
	if ((n = parse_name(s, len, name)) < 0)
		return -1;
	memset(addr, 0, 16);
	*kind = SG_HOST_NAME;
	*nlabels = n;
	return 0;
}

/*
 * "host", "host:port", "[v6]" or "[v6]:port" of len bytes.  A bare IPv6
 * literal is refused: "::1:443" cannot be told from a port.  With
 * need_port the port is required; otherwise *port is left as it was
 * when absent.  Every byte outside the host and port grammar (including
 * '@', '%', '\\', '#', '/', '?', whitespace, controls and non-ASCII)
 * makes the host invalid.
 */
static int
parse_hostport(const char *s, size_t len, int need_port,
    enum sg_host_kind *kind, char name[SG_HOST_MAX + 1], uint8_t addr[16],
    uint16_t *port, int *nlabels)
{
	const char	*p;
	size_t		 hlen, rlen;

	if (len == 0)
		return -1;
	if (s[0] == '[') {
		if ((p = memchr(s, ']', len)) == NULL)
			return -1;
		if (parse_v6(s + 1, (size_t)(p - s) - 1, addr, name,
		    SG_HOST_MAX + 1) != 0)
			return -1;
		*kind = SG_HOST_IPV6;
		*nlabels = 0;
		p++;
	} else {
		if ((p = memchr(s, ':', len)) == NULL)
			p = s + len;
		hlen = (size_t)(p - s);
		if (parse_bare_host(s, hlen, kind, name, addr, nlabels) != 0)
			return -1;
	}
	rlen = len - (size_t)(p - s);
	if (rlen == 0)
		return need_port ? -1 : 0;
	if (p[0] != ':')
		return -1;
	/* ":" alone, ":443:80", ":+443", ":0443": all refused here */
	return parse_port(p + 1, rlen - 1, port);
}

enum sg_rc
sg_hostpat_parse(const char *s, size_t len, struct sg_hostpat *pat,
    struct sg_err *err)
{
	int		 nlabels = 0;
	size_t		 i;

	memset(pat, 0, sizeof(*pat));
	if (s == NULL || len == 0)
		return sg_err_set(err, SG_EINVAL, "bad_host_pattern",
		    "empty host pattern");
	if (len > PAT_MAX)
		return sg_err_set(err, SG_EINVAL, "bad_host_pattern",
		    "host pattern too long");
	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return sg_err_set(err, SG_EINVAL, "bad_host_pattern",
			    "host pattern has a space, control or non-ASCII "
			    "byte");
	}
	if (len >= 2 && s[0] == '*' && s[1] == '.') {
		pat->wildcard = 1;
		s += 2;
		len -= 2;
	}
	if (parse_hostport(s, len, 0, &pat->kind, pat->name, pat->addr,
	    &pat->port, &nlabels) != 0)
		goto bad;
	/* "*.com" would allow a whole TLD; "*.1.2.3.4" is no pattern. */
	if (pat->wildcard && (pat->kind != SG_HOST_NAME || nlabels < 2))
		goto bad;
	return SG_OK;
bad:
	memset(pat, 0, sizeof(*pat));
	return sg_err_set(err, SG_EINVAL, "bad_host_pattern",
	    "not a host pattern (name, *.name or IP literal, optional :port)");
}

int
sg_hostpat_format(const struct sg_hostpat *pat, char *buf, size_t size)
{
	char		 host[INET6_ADDRSTRLEN + 2];
	char		 port[8];
	const char	*pre = "";
	int		 n;

	if (pat == NULL || buf == NULL || size == 0)
		return -1;
	switch (pat->kind) {
	case SG_HOST_NAME:
		pre = pat->wildcard ? "*." : "";
		host[0] = '\0';
		break;
	case SG_HOST_IPV4:
		if (inet_ntop(AF_INET, pat->addr, host, sizeof(host)) == NULL)
			return -1;
		break;
	case SG_HOST_IPV6:
		host[0] = '[';
		if (inet_ntop(AF_INET6, pat->addr, host + 1,
		    sizeof(host) - 2) == NULL)
			return -1;
		n = (int)strlen(host);
		host[n] = ']';
		host[n + 1] = '\0';
		break;
	default:
		return -1;
	}
	port[0] = '\0';
	if (pat->port != 0)
		(void)snprintf(port, sizeof(port), ":%u", (unsigned)pat->port);
	n = snprintf(buf, size, "%s%s%s", pre,
	    pat->kind == SG_HOST_NAME ? pat->name : host, port);
	if (n < 0 || (size_t)n >= size)
		return -1;
	return n;
}

void
sg_hostlist_init(struct sg_hostlist *l)
{
	l->n = 0;
	l->v = NULL;
}

void
sg_hostlist_clear(struct sg_hostlist *l)
{
	if (l == NULL)
		return;
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/*
 * One realloc per element: the list carries no capacity, and a list may
 * have been built elsewhere (sg_claims_copy) with exactly n slots.
 */
enum sg_rc
sg_hostlist_add(struct sg_hostlist *l, const struct sg_hostpat *pat,
    struct sg_err *err)
{
	struct sg_hostpat *v = NULL;

	if (l->n >= SG_HOSTS_MAX)
		return sg_err_set(err, SG_ETOOBIG, "too_many_hosts",
		    "more than %d host patterns", SG_HOSTS_MAX);
	if ((v = realloc(l->v, (l->n + 1) * sizeof(*v))) == NULL)
		return sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
	v[l->n] = *pat;
	l->v = v;
	l->n++;
	return SG_OK;
}

enum sg_rc
sg_hosts_parse(const char *s, size_t len, struct sg_hostlist *l,
    struct sg_err *err)
{
	struct sg_hostlist tmp;
	struct sg_err	 perr;
	size_t		 i, start, count = 1;
	enum sg_rc	 rc = SG_EINVAL;

	sg_hostlist_init(&tmp);
	sg_hostlist_init(l);
	/* "" is the empty list (claims.h: "" means no hosts). */
	if (len == 0)
		return SG_OK;
	if (s == NULL)
		return sg_err_set(err, SG_EINVAL, "bad_host_pattern",
		    "no host list");
	if (len > SG_HOSTS_STR_MAX)
		return sg_err_set(err, SG_ETOOBIG, "too_many_hosts",
		    "host list longer than %d bytes", SG_HOSTS_STR_MAX);
	for (i = 0; i < len; i++)
		if (s[i] == ',')
			count++;
	if (count > SG_HOSTS_MAX)
		return sg_err_set(err, SG_ETOOBIG, "too_many_hosts",
		    "more than %d host patterns", SG_HOSTS_MAX);
	if ((tmp.v = calloc(count, sizeof(*tmp.v))) == NULL)
		return sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
	for (start = 0, i = 0; i <= len; i++) {
		if (i < len && s[i] != ',')
			continue;
		/* An empty element (",", "a,", ",a", "a,,b") is an error. */
		sg_err_clear(&perr);
		if (sg_hostpat_parse(s + start, i - start, &tmp.v[tmp.n],
		    &perr) != SG_OK) {
			sg_err_set(err, SG_EINVAL, "bad_host_pattern",
			    "host pattern %zu: %s", tmp.n + 1, perr.msg);
			goto out;
		}
		tmp.n++;
		start = i + 1;
	}
	*l = tmp;
	sg_hostlist_init(&tmp);
	rc = SG_OK;
out:
	sg_hostlist_clear(&tmp);
	return rc;
}

char *
sg_hostlist_join(const struct sg_hostlist *l)
{
	char		 one[FMT_MAX];
	char		*s = NULL;
	size_t		 i, off = 0, total = 1;
	int		 n;

	if (l == NULL)
		return NULL;
	for (i = 0; i < l->n; i++) {
		if ((n = sg_hostpat_format(&l->v[i], one, sizeof(one))) < 0)
			return NULL;
		total += (size_t)n + 1;
	}
	if ((s = malloc(total)) == NULL)
		return NULL;
	for (i = 0; i < l->n; i++) {
		if (i > 0)
			s[off++] = ',';
		n = sg_hostpat_format(&l->v[i], s + off, total - off);
		if (n < 0) {
			free(s);
			return NULL;
		}
		off += (size_t)n;
	}
	s[off] = '\0';
	return s;
}

enum sg_rc
sg_ports_parse(const char *s, struct sg_ports *ports, struct sg_err *err)
{
	size_t		 i, start, len, k = 0;
	uint16_t	 port;

	ports->n = 0;
	if (s == NULL || (len = strlen(s)) == 0)
		return sg_err_set(err, SG_EINVAL, "bad_ports", "no ports");
	for (start = 0, i = 0; i <= len; i++) {
		if (i < len && s[i] != ',')
			continue;
		k++;
		if (parse_port(s + start, i - start, &port) != 0) {
			ports->n = 0;
			return sg_err_set(err, SG_EINVAL, "bad_ports",
			    "port %zu is not a decimal 1-65535", k);
		}
		start = i + 1;
		if (sg_ports_has(ports, port))
			continue;
		if (ports->n >= SG_PORTS_MAX) {
			ports->n = 0;
			return sg_err_set(err, SG_EINVAL, "bad_ports",
			    "more than %d ports", SG_PORTS_MAX);
		}
		ports->v[ports->n++] = port;
	}
	return SG_OK;
}

int
sg_ports_has(const struct sg_ports *ports, uint16_t port)
{
	size_t		 i;

	if (ports == NULL || port == 0)
		return 0;
	for (i = 0; i < ports->n && i < SG_PORTS_MAX; i++)
		if (ports->v[i] == port)
			return 1;
	return 0;
}

enum sg_rc
sg_target_parse(const char *method, const char *uri, struct sg_target *t,
    struct sg_err *err)
{
	const char	*a;
	size_t		 len, alen, i;
	int		 nlabels;

	memset(t, 0, sizeof(*t));
	if (method == NULL || uri == NULL)
		goto bad;
	if ((len = strnlen(uri, URI_MAX + 1)) == 0 || len > URI_MAX)
		goto bad;
	/* RFC 9112 3.2: no whitespace or controls in a request-target. */
	for (i = 0; i < len; i++)
		if ((unsigned char)uri[i] <= 0x20 || uri[i] == 0x7f)
			goto bad;
	/*
	 * Methods are case-sensitive (RFC 9110 9.1): "connect" is some
	 * other method and its "host:port" is no absolute URI.
	 */
	if (strcmp(method, "CONNECT") == 0) {
		/* RFC 9110 9.3.6: authority-form, port required */
		if (parse_hostport(uri, len, 1, &t->kind, t->host, t->addr,
		    &t->port, &nlabels) != 0)
			goto bad;
		return SG_OK;
	}
	/* RFC 9112 3.2.2: absolute-form; the scheme is case-insensitive */
	if (prefix_ci(uri, len, "http://")) {
		a = uri + 7;
		t->port = 80;
	} else if (prefix_ci(uri, len, "https://")) {
		a = uri + 8;
		t->port = 443;
	} else
		goto bad;
	/*
	 * The authority ends at '/' or '?'.  '#' does not end it here: a
	 * client never sends a fragment, and "evil.com#@github.com" is
	 * refused as a whole rather than cut in one of two places.
	 */
	alen = strcspn(a, "/?");
	if (parse_hostport(a, alen, 0, &t->kind, t->host, t->addr,
	    &t->port, &nlabels) != 0)
		goto bad;
	return SG_OK;
bad:
	memset(t, 0, sizeof(*t));
	return sg_err_set(err, SG_EINVAL, "bad_target",
	    "the request target is not an allowed form of host and port");
}

static int
pat_match_host(const struct sg_hostpat *p, const struct sg_target *t)
{
	size_t		 plen, tlen;

	if (p->kind != t->kind)
		return 0;
	if (p->kind != SG_HOST_NAME)
		return memcmp(p->addr, t->addr, sizeof(p->addr)) == 0;
	if (!p->wildcard)
		return strcmp(p->name, t->host) == 0;
	/* "*.name": at least one label before ".name", never the apex */
	plen = strlen(p->name);
	tlen = strlen(t->host);
	if (tlen < plen + 2)
		return 0;
	return t->host[tlen - plen - 1] == '.' &&
	    strcmp(t->host + tlen - plen, p->name) == 0;
}

int
sg_hosts_match(const struct sg_hostlist *l, const struct sg_target *t,
    const struct sg_ports *dflt)
{
	size_t		 i;

	if (l == NULL || t == NULL || t->port == 0 || t->host[0] == '\0')
		return 0;
	for (i = 0; i < l->n; i++) {
		if (!pat_match_host(&l->v[i], t))
			continue;
		if (l->v[i].port != 0 ? l->v[i].port == t->port :
		    sg_ports_has(dflt, t->port))
			return 1;
	}
	return 0;
}

static int
in4(uint32_t a, uint32_t net, unsigned bits)
{
	uint32_t	 mask = bits == 0 ? 0 : 0xffffffffu << (32 - bits);

	return (a & mask) == (net & mask);
}

/* IANA IPv4 Special-Purpose Address Registry (RFC 6890) and friends. */
static int
v4_private(const uint8_t *b)
{
	static const struct {
		uint32_t	 net;
		unsigned	 bits;
	} r[] = {
		{ 0x00000000, 8 },	/* "this network", RFC 791 */
		{ 0x0a000000, 8 },	/* private, RFC 1918 */
		{ 0x64400000, 10 },	/* shared CGNAT, RFC 6598 */
		{ 0x7f000000, 8 },	/* loopback, RFC 1122 */
		{ 0xa9fe0000, 16 },	/* link-local, RFC 3927 (metadata) */
		{ 0xac100000, 12 },	/* private, RFC 1918 */
		{ 0xc0000000, 24 },	/* IETF protocol assignments, RFC 6890 */
		{ 0xc0000200, 24 },	/* TEST-NET-1, RFC 5737 */
		{ 0xc0586300, 24 },	/* 6to4 relay anycast, RFC 7526 */
		{ 0xc0a80000, 16 },	/* private, RFC 1918 */
		{ 0xc6120000, 15 },	/* benchmarking, RFC 2544 */
		{ 0xc6336400, 24 },	/* TEST-NET-2, RFC 5737 */
		{ 0xcb007100, 24 },	/* TEST-NET-3, RFC 5737 */
		{ 0xe0000000, 4 },	/* multicast, RFC 5771 */
		{ 0xf0000000, 4 },	/* reserved, RFC 1112; broadcast */
		{ 0x646464c8, 32 },	/* 100.100.100.200 Alibaba metadata */
		{ 0xa83f8110, 32 },	/* 168.63.129.16 Azure WireServer */
	};
	uint32_t	 a;
	size_t		 i;

	a = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | (uint32_t)b[3];
	for (i = 0; i < sizeof(r) / sizeof(r[0]); i++)
		if (in4(a, r[i].net, r[i].bits))
			return 1;
	return 0;
}

static int
in6(const uint8_t *a, const uint8_t *net, unsigned bits)
{
	unsigned	 whole = bits / 8, rest = bits % 8;
	uint8_t		 mask;

	if (memcmp(a, net, whole) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (uint8_t)(0xff << (8 - rest));
	return (a[whole] & mask) == (net[whole] & mask);
}

/*
 * IANA IPv6 Special-Purpose Address Registry (RFC 6890).  Only 2000::/3
 * is global unicast today (RFC 4291 2.4); everything outside it that is
 * not IPv4 in disguise is treated as private: ::/8 leftovers, 100::/64
 * (discard, RFC 6666), 5f00::/16 (SRv6, RFC 9602), fc00::/7 (ULA, RFC
 * 4193, with AWS metadata fd00:ec2::254), fe80::/10 (link-local),
 * fec0::/10 (site-local, RFC 3879), ff00::/8 (multicast).
 */
static int
v6_private(const uint8_t *a)
{
	static const uint8_t	 zero[16];
	static const uint8_t	 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0,
				    0, 0, 0xff, 0xff };
	static const uint8_t	 xlat[12] = { 0, 0, 0, 0, 0, 0, 0, 0,
				    0xff, 0xff, 0, 0 };
	static const uint8_t	 nat64[12] = { 0, 0x64, 0xff, 0x9b };
	static const uint8_t	 nat64l[6] = { 0, 0x64, 0xff, 0x9b, 0, 1 };
	static const uint8_t	 teredo[4] = { 0x20, 0x01, 0, 0 };
	static const struct {
		uint8_t		 net[16];
		unsigned	 bits;
	} r[] = {
		{ { 0x20, 0x01, 0x0d, 0xb8 }, 32 },	/* documentation, RFC 3849 */
		{ { 0x3f, 0xff }, 20 },		/* documentation, RFC 9637 */
		{ { 0x20, 0x01, 0, 0x02 }, 48 },	/* benchmarking, RFC 5180 */
		{ { 0x20, 0x01, 0, 0x10 }, 28 },	/* ORCHID, RFC 4843 */
	};
	uint8_t		 v4[4];
	size_t		 i;

	/*
	 * IPv4-compatible ::/96 (RFC 4291 2.5.5.1; "::" and "::1" are in
	 * it and come out as 0.0.0.0/8), IPv4-mapped ::ffff:0:0/96 (RFC
	 * 4291 2.5.5.2), IPv4-translated ::ffff:0:0:0/96 (RFC 2765), NAT64
	 * 64:ff9b::/96 (RFC 6052): the embedded address decides.
	 */
	if (memcmp(a, zero, 12) == 0 || memcmp(a, mapped, 12) == 0 ||
	    memcmp(a, xlat, 12) == 0 || memcmp(a, nat64, 12) == 0)
		return v4_private(a + 12);
	/* Local-use NAT64 64:ff9b:1::/48 (RFC 8215): local by definition. */
	if (memcmp(a, nat64l, 6) == 0)
		return 1;
	/* 6to4 2002::/16 (RFC 3056 2): V4ADDR in bits 16-47. */
	if (a[0] == 0x20 && a[1] == 0x02)
		return v4_private(a + 2);
	/* Teredo 2001::/32 (RFC 4380 4): client = NOT of the last 32 bits. */
	if (memcmp(a, teredo, 4) == 0) {
		for (i = 0; i < 4; i++)
			v4[i] = (uint8_t)~a[12 + i];
		return v4_private(v4);
	}
	if ((a[0] & 0xe0) != 0x20)
		return 1;
	for (i = 0; i < sizeof(r) / sizeof(r[0]); i++)
		if (in6(a, r[i].net, r[i].bits))
			return 1;
	return 0;
}

int
sg_addr_is_private(int family, const uint8_t *addr)
{
	if (addr == NULL)
		return 1;
	if (family == AF_INET)
		return v4_private(addr);
	if (family == AF_INET6)
		return v6_private(addr);
	/* An address family we do not know is not public. */
	return 1;
}

/* The resolver of sg_target_check_public (NULL: getaddrinfo). */
static struct sg_resolver	*hosts_resolver;

void
sg_hosts_set_resolver(struct sg_resolver *r)
{
	hosts_resolver = r;
}

/*
 * The addresses of name into out: through the resolver (deadline,
 * cache) when one is set, else getaddrinfo(3).  SG_EPERM with err set.
 */
static enum sg_rc
resolve_name(const char *name, struct sg_resolved *out, struct sg_err *err)
{
	struct addrinfo	 hints, *res = NULL, *ai;
	int		 f;

	if (hosts_resolver != NULL)
		return sg_resolve(hosts_resolver, name, out, err);
	out->n = 0;
	out->cached = 0;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(name, NULL, &hints, &res) != 0 || res == NULL)
		return sg_err_set(err, SG_EPERM, "unresolvable_target",
		    "the target name does not resolve");
	for (ai = res; ai != NULL && out->n < SG_RESOLVE_MAX_ADDRS;
	    ai = ai->ai_next) {
		f = ai->ai_family;
		if (f == AF_INET && ai->ai_addrlen >= sizeof(struct sockaddr_in))
			memcpy(out->a[out->n].addr, &((const struct sockaddr_in *)
			    (const void *)ai->ai_addr)->sin_addr, 4);
		else if (f == AF_INET6 &&
		    ai->ai_addrlen >= sizeof(struct sockaddr_in6))
			memcpy(out->a[out->n].addr, &((const struct sockaddr_in6 *)
			    (const void *)ai->ai_addr)->sin6_addr, 16);
		else
			continue;
		out->a[out->n++].family = f;
	}
	freeaddrinfo(res);
	if (out->n == 0)
		return sg_err_set(err, SG_EPERM, "unresolvable_target",
		    "the target name does not resolve");
	return SG_OK;
}

enum sg_rc
sg_target_check_public(const struct sg_target *t, struct sg_err *err)
{
	return sg_target_check_outside(t, NULL, err);
}

/* The refusal of an address that is private or local to this host. */
static enum sg_rc
refuse_addr(int family, const uint8_t *b, const struct sg_localaddrs *local,
    int name, struct sg_err *err)
{
	if (sg_addr_is_private(family, b))
		return sg_err_set(err, SG_EPERM, "private_target", name ?
		    "the target name resolves to a private address" :
		    "the target is a private address");
	if (sg_localaddrs_has(local, family, b))
		return sg_err_set(err, SG_EPERM, "local_target", name ?
		    "the target name resolves to an address of this host" :
		    "the target is an address of this host");
	return SG_OK;
}

enum sg_rc
sg_target_addrs(const struct sg_target *t, const struct sg_localaddrs *local,
    int check, struct sg_resolved *out, struct sg_err *err)
{
	enum sg_rc		 rc;
	size_t			 i;

	out->n = 0;
	out->cached = 0;
	switch (t->kind) {
	case SG_HOST_IPV4:
	case SG_HOST_IPV6:
		out->a[0].family = t->kind == SG_HOST_IPV4 ? AF_INET : AF_INET6;
		memcpy(out->a[0].addr, t->addr, t->kind == SG_HOST_IPV4 ? 4 : 16);
		if (check && (rc = refuse_addr(out->a[0].family, t->addr, local,
		    0, err)) != SG_OK)
			return rc;
		out->n = 1;
		return SG_OK;
	case SG_HOST_NAME:
		break;
	default:
		return sg_err_set(err, SG_EPERM, "unresolvable_target",
		    "the target has no host");
	}
	if (t->host[0] == '\0')
		return sg_err_set(err, SG_EPERM, "unresolvable_target",
		    "the target has no host");
	if ((rc = resolve_name(t->host, out, err)) != SG_OK) {
		out->n = 0;
		return rc;
	}
	/* Any private address refuses the name: the connector may pick it. */
	for (i = 0; check && i < out->n; i++)
		if ((rc = refuse_addr(out->a[i].family, out->a[i].addr, local,
		    1, err)) != SG_OK) {
			out->n = 0;
			return rc;
		}
	return SG_OK;
}

enum sg_rc
sg_target_check_outside(const struct sg_target *t,
    const struct sg_localaddrs *local, struct sg_err *err)
{
	struct sg_resolved	 res;

	return sg_target_addrs(t, local, 1, &res, err);
}
