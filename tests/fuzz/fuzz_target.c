/* SPDX-License-Identifier: ISC */
/*
 * sg_target_parse (REQUEST_METHOD + REQUEST_URI of a proxy request;
 * docs/security.md 4.1, 4.2): a target it accepts is canonical, stays
 * the same when the host is written in upper case, can be written as an
 * exact pattern that matches it, and an IP target classifies the same as
 * its IPv4-in-IPv6 disguises (mapped, NAT64, 6to4).  The first input byte
 * picks the method.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hosts.h"
#include "fuzz.h"

static void
check_disguises(const uint8_t v4[4])
{
	uint8_t	 a[16];
	int	 p = sg_addr_is_private(AF_INET, v4);

	memset(a, 0, sizeof(a));
	a[10] = a[11] = 0xff;
	memcpy(a + 12, v4, 4);
	FZ_ASSERT(sg_addr_is_private(AF_INET6, a) == p, "mapped differs");
	memset(a, 0, sizeof(a));
	a[1] = 0x64;
	a[2] = 0xff;
	a[3] = 0x9b;
	memcpy(a + 12, v4, 4);
	FZ_ASSERT(sg_addr_is_private(AF_INET6, a) == p, "NAT64 differs");
	memset(a, 0, sizeof(a));
	a[0] = 0x20;
	a[1] = 0x02;
	memcpy(a + 2, v4, 4);
	FZ_ASSERT(sg_addr_is_private(AF_INET6, a) == p, "6to4 differs");
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static const char *const methods[] = {
		"CONNECT", "GET", "POST", "connect", "", "HEAD", "OPTIONS",
		"CONNECT "
	};
	struct sg_target	 t, t2;
	struct sg_hostpat	 pat;
	struct sg_hostlist	 l;
	const char		*m, *a;
	size_t			 alen;
	char			*uri, *up, buf[SG_HOST_MAX + 16];
	uint8_t			 a6[16];
	size_t			 i;
	int			 k;

	if (n < 1 || n > 20000)
		return 0;
	m = methods[d[0] % (sizeof(methods) / sizeof(methods[0]))];
	uri = fz_strndup(d + 1, n - 1);
	if (sg_target_parse(m, uri, &t, NULL) != SG_OK) {
		FZ_ASSERT(t.port == 0 && t.host[0] == '\0',
		    "refused target left data");
		free(uri);
		return 0;
	}
	FZ_ASSERT(t.port != 0 && t.host[0] != '\0', "empty");
	FZ_ASSERT(strlen(t.host) <= SG_HOST_MAX, "long host");
	FZ_ASSERT(t.host[strlen(t.host) - 1] != '.', "trailing dot kept");
	for (i = 0; t.host[i] != '\0'; i++)
		FZ_ASSERT(strchr("abcdefghijklmnopqrstuvwxyz0123456789.-:",
		    t.host[i]) != NULL, "host byte 0x%02x",
		    (unsigned char)t.host[i]);
	/* no userinfo or delimiter tricks in the authority (H2, H3) */
	a = strcmp(m, "CONNECT") == 0 ? uri : strstr(uri, "://");
	FZ_ASSERT(a != NULL, "no scheme");
	if (a != uri)
		a += 3;
	alen = strcmp(m, "CONNECT") == 0 ? strlen(a) : strcspn(a, "/?");
	for (i = 0; i < alen; i++)
		FZ_ASSERT(strchr("@#%\\", a[i]) == NULL,
		    "'%c' in the authority accepted", a[i]);
	switch (t.kind) {
	case SG_HOST_IPV4:
		FZ_ASSERT(inet_pton(AF_INET, t.host, a6) == 1 &&
		    memcmp(a6, t.addr, 4) == 0, "v4 text/bytes differ");
		check_disguises(t.addr);
		break;
	case SG_HOST_IPV6:
		FZ_ASSERT(inet_pton(AF_INET6, t.host, a6) == 1 &&
		    memcmp(a6, t.addr, 16) == 0, "v6 text/bytes differ");
		(void)sg_addr_is_private(AF_INET6, t.addr);
		break;
	case SG_HOST_NAME:
		FZ_ASSERT(strchr(t.host, ':') == NULL, "':' in a name");
		break;
	default:
		FZ_FAIL("kind %d", (int)t.kind);
	}

	/* the same request with the host in upper case */
	up = strdup(uri);
	for (i = 0; up[i] != '\0'; i++)
		if (up[i] >= 'a' && up[i] <= 'z')
			up[i] = (char)(up[i] - 'a' + 'A');
	FZ_ASSERT(sg_target_parse(m, up, &t2, NULL) == SG_OK &&
	    memcmp(&t, &t2, sizeof(t)) == 0, "upper case changes the target");
	free(up);

	/* written as an exact pattern with its port, it matches itself */
	if (t.kind == SG_HOST_IPV6)
		k = snprintf(buf, sizeof(buf), "[%s]:%u", t.host,
		    (unsigned)t.port);
	else
		k = snprintf(buf, sizeof(buf), "%s:%u", t.host,
		    (unsigned)t.port);
	FZ_ASSERT(k > 0 && (size_t)k < sizeof(buf), "fits");
	FZ_ASSERT(sg_hostpat_parse(buf, (size_t)k, &pat, NULL) == SG_OK,
	    "target %s is no pattern", buf);
	l.n = 1;
	l.v = &pat;
	FZ_ASSERT(sg_hosts_match(&l, &t, NULL) == 1, "%s does not match "
	    "itself", buf);
	/* and a different port does not */
	pat.port = (uint16_t)(t.port == 65535 ? 1 : t.port + 1);
	FZ_ASSERT(sg_hosts_match(&l, &t, NULL) == 0, "port ignored");
	free(uri);
	return 0;
}
