/* SPDX-License-Identifier: ISC */
/*
 * allowed_hosts and the egress match (lib/hosts.c; docs/security.md 4.1,
 * C5), differentially against a small reference written here: it
 * normalises names (ASCII lowercase, one trailing dot off), reads IP
 * literals with inet_pton and matches labels on a dot boundary.  Input:
 * "<allowed_hosts>\n<target>", the target "CONNECT host:port" or an
 * absolute URI (GET).  Checked:
 *   - a parsed list prints (sg_hostlist_join) to text that parses to the
 *     same patterns, and each pattern formats and re-parses to itself;
 *   - a parsed target has the host and port the reference reads, in
 *     canonical form; a target the reference finds plainly valid (an LDH
 *     name ending in a letter label, a decimal port) is accepted;
 *   - sg_hosts_match equals the reference match, with the default ports
 *     and with none;
 *   - sg_psl_check_hosts refuses exactly the lists with a wildcard on a
 *     public suffix (C12).
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hosts.h"
#include "psl.h"
#include "fuzz.h"

struct ref_host {
	int		 kind;		/* SG_HOST_* */
	char		 name[300];
	uint8_t		 addr[16];
	unsigned	 port;		/* 0: none */
	int		 wildcard;
};

static void
lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/* host[:port] or [v6][:port] of len bytes into r; -1 when unreadable. */
static int
ref_hostport(const char *s, size_t len, struct ref_host *r)
{
	const char	*p, *end = s + len;
	char		 tmp[300];
	size_t		 hl, n;
	unsigned long	 v;
	char		*e;

	memset(r, 0, sizeof(*r));
	if (len >= 2 && s[0] == '*' && s[1] == '.') {
		r->wildcard = 1;
		s += 2;
		len -= 2;
	}
	if (len > 0 && s[0] == '[') {
		if ((p = memchr(s, ']', len)) == NULL)
			return -1;
		hl = (size_t)(p - s - 1);
		if (hl >= sizeof(tmp))
			return -1;
		memcpy(tmp, s + 1, hl);
		tmp[hl] = '\0';
		if (inet_pton(AF_INET6, tmp, r->addr) != 1)
			return -1;
		r->kind = SG_HOST_IPV6;
		(void)snprintf(r->name, sizeof(r->name), "%s", tmp);
		p++;
	} else {
		p = memchr(s, ':', len);
		if (p == NULL)
			p = end;
		hl = (size_t)(p - s);
		if (hl >= sizeof(r->name))
			return -1;
		memcpy(r->name, s, hl);
		r->name[hl] = '\0';
		lower(r->name);
		n = strlen(r->name);
		if (n > 0 && r->name[n - 1] == '.')
			r->name[n - 1] = '\0';
		r->kind = inet_pton(AF_INET, r->name, r->addr) == 1 ?
		    SG_HOST_IPV4 : SG_HOST_NAME;
	}
	if (p == end)
		return 0;
	if (*p != ':' || end - p - 1 <= 0 || end - p - 1 > 5)
		return -1;
	memcpy(tmp, p + 1, (size_t)(end - p - 1));
	tmp[end - p - 1] = '\0';
	v = strtoul(tmp, &e, 10);
	if (*e != '\0' || v == 0 || v > 65535)
		return -1;
	r->port = (unsigned)v;
	return 0;
}

/* The reference reading of a request target; -1 when it has none. */
static int
ref_target(const char *method, const char *uri, struct ref_host *r,
    int *plain)
{
	const char	*a;
	size_t		 alen, i, lab, labstart;
	unsigned	 dflt;

	*plain = 0;
	if (strcmp(method, "CONNECT") == 0) {
		a = uri;
		alen = strlen(uri);
		dflt = 0;
	} else if (strncasecmp(uri, "http://", 7) == 0) {
		a = uri + 7;
		alen = strcspn(a, "/?");
		dflt = 80;
	} else if (strncasecmp(uri, "https://", 8) == 0) {
		a = uri + 8;
		alen = strcspn(a, "/?");
		dflt = 443;
	} else
		return -1;
	if (ref_hostport(a, alen, r) != 0 || r->wildcard)
		return -1;
	if (r->port == 0)
		r->port = dflt;
	if (r->port == 0)
		return -1;
	/* plainly valid: LDH labels, a last label with a letter, a port */
	if (r->kind != SG_HOST_NAME || r->name[0] == '\0' ||
	    strlen(r->name) > SG_HOST_MAX)
		return 0;
	for (i = 0; uri[i] != '\0'; i++)
		if ((unsigned char)uri[i] <= 0x20 || uri[i] == 0x7f)
			return 0;
	if (memchr(a, ':', alen) != NULL) {
		/* no leading zero in the port */
		const char *c = memchr(a, ':', alen);
		if (c[1] == '0')
			return 0;
	}
	for (labstart = 0, lab = 0, i = 0;; i++) {
		char	 c = r->name[i];

		if (c == '.' || c == '\0') {
			if (lab == 0 || lab > 63 || r->name[labstart] == '-' ||
			    r->name[i - 1] == '-')
				return 0;
			if (c == '\0')
				break;
			lab = 0;
			labstart = i + 1;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-'))
			return 0;
		lab++;
	}
	/*
	 * The last label has a letter that is no hex digit and not the x of
	 * "0x": never all digits, never a number inet_aton would read.
	 */
	if (strcspn(r->name + labstart, "ghijklmnopqrstuvwyz") ==
	    strlen(r->name + labstart))
		return 0;
	if (strlen(uri) > 16384)	/* hosts.c URI_MAX, Apache's line */
		return 0;
	/* the authority holds nothing but host[.][:port] */
	for (i = 0; i < alen; i++)
		if (!((a[i] >= 'a' && a[i] <= 'z') ||
		    (a[i] >= 'A' && a[i] <= 'Z') ||
		    (a[i] >= '0' && a[i] <= '9') || a[i] == '-' ||
		    a[i] == '.' || a[i] == ':'))
			return 0;
	if (alen >= 2 && a[0] == '.')
		return 0;
	{
		/* at most one trailing dot, no empty label */
		const char *c = memchr(a, ':', alen);
		size_t hl = c != NULL ? (size_t)(c - a) : alen;

		if (hl >= 2 && a[hl - 1] == '.' && a[hl - 2] == '.')
			return 0;
	}
	*plain = 1;
	return 0;
}

static int
ref_pat_match(const struct ref_host *p, const struct ref_host *t,
    const unsigned *ports, size_t nports)
{
	size_t	 pl, tl, i;
	int	 host = 0;

	if (p->kind != t->kind)
		return 0;
	if (p->kind != SG_HOST_NAME)
		host = memcmp(p->addr, t->addr,
		    p->kind == SG_HOST_IPV4 ? 4 : 16) == 0;
	else if (!p->wildcard)
		host = strcmp(p->name, t->name) == 0;
	else {
		pl = strlen(p->name);
		tl = strlen(t->name);
		host = tl > pl + 1 && t->name[tl - pl - 1] == '.' &&
		    strcmp(t->name + tl - pl, p->name) == 0;
	}
	if (!host)
		return 0;
	if (p->port != 0)
		return p->port == t->port;
	for (i = 0; i < nports; i++)
		if (ports[i] == t->port)
			return 1;
	return 0;
}

static void
check_list(const char *s, size_t n, const struct sg_hostlist *l)
{
	struct sg_hostlist	 l2;
	struct sg_hostpat	 p2;
	char			 buf[600];
	char			*j;
	size_t			 i;
	int			 k;

	j = sg_hostlist_join(l);
	FZ_ASSERT(j != NULL, "join");
	sg_hostlist_init(&l2);
	FZ_ASSERT(sg_hosts_parse(j, strlen(j), &l2, NULL) == SG_OK,
	    "canonical list refused: %s", j);
	FZ_ASSERT(l2.n == l->n, "count");
	for (i = 0; i < l->n; i++) {
		FZ_ASSERT(memcmp(&l->v[i], &l2.v[i], sizeof(l2.v[i])) == 0,
		    "pattern %zu changed through %s", i, j);
		k = sg_hostpat_format(&l->v[i], buf, sizeof(buf));
		FZ_ASSERT(k > 0, "format");
		FZ_ASSERT(sg_hostpat_parse(buf, (size_t)k, &p2, NULL) ==
		    SG_OK && memcmp(&p2, &l->v[i], sizeof(p2)) == 0,
		    "pattern %s does not re-parse", buf);
		FZ_ASSERT(l->v[i].kind != SG_HOST_NAME ||
		    strspn(l->v[i].name, "abcdefghijklmnopqrstuvwxyz"
		    "0123456789.-") == strlen(l->v[i].name),
		    "pattern name not canonical: %s", l->v[i].name);
	}
	sg_hostlist_clear(&l2);
	free(j);
	(void)s;
	(void)n;
}

/*
 * C12: the public-suffix check refuses a list exactly when one of its
 * wildcard names is a listed suffix, with its code and a sentence.
 */
static void
check_suffixes(const struct sg_hostlist *l)
{
	struct sg_err	 e;
	size_t		 i;
	int		 any = 0;

	for (i = 0; i < l->n; i++)
		if (l->v[i].kind == SG_HOST_NAME && l->v[i].wildcard &&
		    sg_psl_is_public_suffix(l->v[i].name) != 0)
			any = 1;
	sg_err_clear(&e);
	if (sg_psl_check_hosts(l, &e) == SG_OK) {
		FZ_ASSERT(!any, "public-suffix wildcard passed");
	} else {
		FZ_ASSERT(any, "list without a suffix wildcard refused");
		FZ_ASSERT(e.code != NULL &&
		    strcmp(e.code, "public_suffix_wildcard") == 0 &&
		    strstr(e.msg, "*.") != NULL, "bad error: %s", e.msg);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static const unsigned	 dports[] = { 80, 443 };
	struct sg_hostlist	 l;
	struct sg_target	 t;
	struct sg_ports		 ports;
	struct ref_host		 rt, rp;
	const uint8_t		*nl;
	const char		*method = "GET";
	char			*list, *uri, *u;
	size_t			 ll, i, start;
	int			 lok, tok, plain = 0, rm, rm0, pm, pm0;

	if (n > 20000)
		return 0;
	nl = memchr(d, '\n', n);
	ll = nl != NULL ? (size_t)(nl - d) : n;
	/* exact length: the parser must stay inside it */
	list = malloc(ll > 0 ? ll : 1);
	if (ll > 0)
		memcpy(list, d, ll);
	uri = nl != NULL ? fz_strndup(nl + 1, n - ll - 1) : fz_strndup(d, n);
	u = uri;
	if (strncmp(u, "CONNECT ", 8) == 0) {
		method = "CONNECT";
		u += 8;
	} else if (nl == NULL)
		method = "CONNECT";

	sg_hostlist_init(&l);
	lok = sg_hosts_parse(list, ll, &l, NULL) == SG_OK;
	if (lok) {
		check_list(list, ll, &l);
		check_suffixes(&l);
	} else
		FZ_ASSERT(l.n == 0 && l.v == NULL, "failed parse left a list");

	FZ_ASSERT(sg_ports_parse("80,443", &ports, NULL) == SG_OK, "ports");
	tok = sg_target_parse(method, u, &t, NULL) == SG_OK;
	if (ref_target(method, u, &rt, &plain) != 0)
		rt.kind = -1;
	if (plain)
		FZ_ASSERT(tok, "plainly valid target refused: %s %s", method,
		    u);
	if (tok) {
		FZ_ASSERT(t.port != 0 && t.host[0] != '\0', "empty target");
		FZ_ASSERT(rt.kind >= 0, "target the reference cannot read: %s",
		    u);
		FZ_ASSERT((int)t.kind == rt.kind && t.port == rt.port,
		    "kind/port differ: %d:%u vs %d:%u", (int)t.kind,
		    (unsigned)t.port, rt.kind, rt.port);
		if (t.kind == SG_HOST_NAME)
			FZ_ASSERT(strcmp(t.host, rt.name) == 0,
			    "host %s vs reference %s", t.host, rt.name);
		else
			FZ_ASSERT(memcmp(t.addr, rt.addr, t.kind ==
			    SG_HOST_IPV4 ? 4 : 16) == 0, "address differs");
		FZ_ASSERT(strspn(t.host, "abcdefghijklmnopqrstuvwxyz"
		    "0123456789.-:") == strlen(t.host), "host not canonical: %s",
		    t.host);
		/* the private classifier takes any address */
		if (t.kind == SG_HOST_IPV4)
			(void)sg_addr_is_private(AF_INET, t.addr);
		else if (t.kind == SG_HOST_IPV6)
			(void)sg_addr_is_private(AF_INET6, t.addr);
	}
	if (lok && tok) {
		rm = rm0 = 0;
		for (start = 0, i = 0; i <= ll; i++) {
			if (i < ll && list[i] != ',')
				continue;
			FZ_ASSERT(ref_hostport(list + start, i - start, &rp) ==
			    0, "reference cannot read accepted pattern %.*s",
			    (int)(i - start), list + start);
			rm |= ref_pat_match(&rp, &rt, dports, 2);
			rm0 |= ref_pat_match(&rp, &rt, NULL, 0);
			start = i + 1;
		}
		pm = sg_hosts_match(&l, &t, &ports);
		pm0 = sg_hosts_match(&l, &t, NULL);
		FZ_ASSERT(pm == rm, "match %d, reference %d: [%.*s] %s %s", pm,
		    rm, (int)ll, list, method, u);
		FZ_ASSERT(pm0 == rm0, "match without ports %d, reference %d",
		    pm0, rm0);
	}
	sg_hostlist_clear(&l);
	free(uri);
	free(list);
	return 0;
}
