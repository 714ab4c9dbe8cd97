/* SPDX-License-Identifier: ISC */
/*
 * The host's own addresses (localaddr.h).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <ifaddrs.h>

#include <string.h>

#include "hosts.h"
#include "localaddr.h"

enum sg_rc
sg_localaddrs_load(struct sg_localaddrs *l, const struct ifaddrs *list,
    struct sg_err *err)
{
	const struct ifaddrs	*i;
	const uint8_t		*b;
	struct sg_localaddr	 e;
	size_t			 k;

	l->n = 0;
	l->loaded_us = 0;
	for (i = list; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL)
			continue;
		memset(&e, 0, sizeof(e));
		if (i->ifa_addr->sa_family == AF_INET) {
			b = (const uint8_t *)&((const struct sockaddr_in *)
			    (const void *)i->ifa_addr)->sin_addr;
			e.family = AF_INET;
			memcpy(e.a, b, 4);
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			b = (const uint8_t *)&((const struct sockaddr_in6 *)
			    (const void *)i->ifa_addr)->sin6_addr;
			e.family = AF_INET6;
			memcpy(e.a, b, 16);
		} else
			continue;
		/* Refused anyway (loopback, private, link-local...). */
		if (sg_addr_is_private(e.family, e.a))
			continue;
		for (k = 0; k < l->n; k++)
			if (l->v[k].family == e.family &&
			    memcmp(l->v[k].a, e.a, 16) == 0)
				break;
		if (k < l->n)
			continue;
		if (l->n == SG_LOCALADDR_MAX) {
			l->n = 0;
			return sg_err_set(err, SG_ETOOBIG,
			    "too_many_local_addresses",
			    "the host has more than %d public addresses",
			    SG_LOCALADDR_MAX);
		}
		l->v[l->n++] = e;
	}
	return SG_OK;
}

enum sg_rc
sg_localaddrs_refresh(struct sg_localaddrs *l, int64_t now_us,
    struct sg_err *err)
{
	struct ifaddrs	*list = NULL;
	enum sg_rc	 rc;

	if (l->loaded_us != 0 && now_us >= l->loaded_us &&
	    now_us - l->loaded_us < SG_LOCALADDR_TTL_US)
		return SG_OK;
	if (getifaddrs(&list) != 0) {
		l->n = 0;
		l->loaded_us = 0;
		return sg_err_set(err, SG_EINTERNAL,
		    "local_addresses_unavailable",
		    "cannot list the host's addresses");
	}
	rc = sg_localaddrs_load(l, list, err);
	freeifaddrs(list);
	if (rc == SG_OK)
		l->loaded_us = now_us != 0 ? now_us : 1;
	return rc;
}

int
sg_localaddrs_has(const struct sg_localaddrs *l, int family,
    const uint8_t *addr)
{
	static const uint8_t	 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				    0xff, 0xff };
	uint8_t			 a[16];
	size_t			 k;

	if (l == NULL || addr == NULL)
		return 0;
	memset(a, 0, sizeof(a));
	if (family == AF_INET6 && memcmp(addr, mapped, 12) == 0) {
		family = AF_INET;
		memcpy(a, addr + 12, 4);
	} else if (family == AF_INET)
		memcpy(a, addr, 4);
	else if (family == AF_INET6)
		memcpy(a, addr, 16);
	else
		return 0;
	for (k = 0; k < l->n; k++)
		if (l->v[k].family == family && memcmp(l->v[k].a, a, 16) == 0)
			return 1;
	return 0;
}
