/* SPDX-License-Identifier: ISC */
/*
 * Name resolution with a deadline and a TTL cache: see resolve.h.
 * c-ares does the DNS; we drive it with select(2) until the answer or
 * the deadline, whichever comes first.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <netinet/in.h>

#include <ares.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "compat.h"
#include "resolve.h"

struct entry {
	char			 name[SG_RESOLVE_NAME_MAX + 1];
	struct sg_resolved	 r;
	enum sg_rc		 rc;		/* SG_OK or SG_EPERM */
	const char		*code;		/* its error code */
	int64_t			 expires_us;
	int64_t			 used_us;
};

struct sg_resolver {
	ares_channel	 ch;
	int		 timeout_ms;
	struct entry	 cache[SG_RESOLVE_CACHE];
};

/* One lookup in flight. */
struct query {
	int			 done;
	int			 status;
	struct ares_addrinfo	*res;
};

static int	 library_ready;

enum sg_rc
sg_resolver_new(int timeout_ms, const char *servers, struct sg_resolver **out,
    struct sg_err *err)
{
	struct sg_resolver	*r = NULL;
	struct ares_options	 opt;
	int			 s;

	*out = NULL;
	if (timeout_ms < 100 || timeout_ms > 30000)
		return sg_err_set(err, SG_EINVAL, "bad_config",
		    "SANDGATE_DNS_TIMEOUT_MS: must be 100..30000");
	if (!library_ready) {
		if ((s = ares_library_init(ARES_LIB_INIT_ALL)) != ARES_SUCCESS)
			return sg_err_set(err, SG_EINTERNAL, "dns_init",
			    "c-ares: %s", ares_strerror(s));
		library_ready = 1;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
	r->timeout_ms = timeout_ms;
	/*
	 * Each try gets a share of the deadline, so that a second server
	 * (or a retry) is asked before it passes; the deadline is ours.
	 */
	(void)memset(&opt, 0, sizeof(opt));
	opt.timeout = timeout_ms / 2 > 0 ? timeout_ms / 2 : 1;
	opt.tries = 2;
	if ((s = ares_init_options(&r->ch, &opt, ARES_OPT_TIMEOUTMS |
	    ARES_OPT_TRIES)) != ARES_SUCCESS) {
		free(r);
		return sg_err_set(err, SG_EINTERNAL, "dns_init",
		    "c-ares: %s", ares_strerror(s));
	}
	if (servers != NULL && *servers != '\0' &&
	    ares_set_servers_ports_csv(r->ch, servers) != ARES_SUCCESS) {
		ares_destroy(r->ch);
		free(r);
		return sg_err_set(err, SG_EINVAL, "bad_config",
		    "SANDGATE_DNS_SERVERS: not a list of addresses");
	}
	*out = r;
	return SG_OK;
}

void
sg_resolver_free(struct sg_resolver *r)
{
	if (r == NULL)
		return;
	ares_destroy(r->ch);
	free(r);
}

static void
on_answer(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
	struct query	*q = arg;

	(void)timeouts;
	q->done = 1;
	q->status = status;
	q->res = res;
}

/* The cache entry for name (lower case), or NULL. */
static struct entry *
lookup_cache(struct sg_resolver *r, const char *name, int64_t now)
{
	size_t	 i;

	for (i = 0; i < SG_RESOLVE_CACHE; i++)
		if (r->cache[i].name[0] != '\0' &&
		    strcmp(r->cache[i].name, name) == 0) {
			if (r->cache[i].expires_us <= now)
				return NULL;
			r->cache[i].used_us = now;
			return &r->cache[i];
		}
	return NULL;
}

/* The slot for name: its own, an empty one, or the least recently used. */
static struct entry *
slot_for(struct sg_resolver *r, const char *name)
{
	struct entry	*lru = &r->cache[0];
	size_t		 i;

	for (i = 0; i < SG_RESOLVE_CACHE; i++) {
		if (strcmp(r->cache[i].name, name) == 0 ||
		    r->cache[i].name[0] == '\0')
			return &r->cache[i];
		if (r->cache[i].used_us < lru->used_us)
			lru = &r->cache[i];
	}
	return lru;
}

/* The addresses of res into out; the smallest TTL in *ttl. */
static void
collect(const struct ares_addrinfo *res, struct sg_resolved *out, int *ttl)
{
	const struct ares_addrinfo_node	*n;
	const struct sockaddr_in	*s4;
	const struct sockaddr_in6	*s6;

	out->n = 0;
	*ttl = SG_RESOLVE_TTL_MAX;
	for (n = res != NULL ? res->nodes : NULL; n != NULL &&
	    out->n < SG_RESOLVE_MAX_ADDRS; n = n->ai_next) {
		if (n->ai_family == AF_INET &&
		    n->ai_addrlen >= (ares_socklen_t)sizeof(*s4)) {
			s4 = (const struct sockaddr_in *)(const void *)
			    n->ai_addr;
			(void)memcpy(out->a[out->n].addr, &s4->sin_addr, 4);
		} else if (n->ai_family == AF_INET6 &&
		    n->ai_addrlen >= (ares_socklen_t)sizeof(*s6)) {
			s6 = (const struct sockaddr_in6 *)(const void *)
			    n->ai_addr;
			(void)memcpy(out->a[out->n].addr, &s6->sin6_addr, 16);
		} else
			continue;
		out->a[out->n].family = n->ai_family;
		out->n++;
		if (n->ai_ttl < *ttl)
			*ttl = n->ai_ttl;
	}
	if (*ttl < 1)
		*ttl = 1;	/* /etc/hosts answers carry none */
}

/*
 * Run the lookup until it answers or the deadline passes: 0, or -1 on
 * the deadline (the query is cancelled; its callback has run).
 */
static int
run(struct sg_resolver *r, const char *name, struct query *q)
{
	struct ares_addrinfo_hints	 hints;
	struct timeval			 maxtv, tvbuf, *tv;
	fd_set				 rd, wr;
	int64_t				 deadline, left;
	int				 nfds;

	(void)memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	ares_getaddrinfo(r->ch, name, NULL, &hints, on_answer, q);
	deadline = sg_now_us() + (int64_t)r->timeout_ms * 1000;
	while (!q->done) {
		if ((left = deadline - sg_now_us()) <= 0) {
			ares_cancel(r->ch);	/* calls on_answer */
			return -1;
		}
		FD_ZERO(&rd);
		FD_ZERO(&wr);
		nfds = ares_fds(r->ch, &rd, &wr);
		maxtv.tv_sec = left / 1000000;
		maxtv.tv_usec = left % 1000000;
		tv = ares_timeout(r->ch, &maxtv, &tvbuf);
		if (select(nfds, &rd, &wr, NULL, tv) < 0 && errno != EINTR) {
			ares_cancel(r->ch);
			return -1;
		}
		ares_process(r->ch, &rd, &wr);
	}
	return 0;
}

enum sg_rc
sg_resolve(struct sg_resolver *r, const char *name, struct sg_resolved *out,
    struct sg_err *err)
{
	struct query	 q;
	struct entry	*e;
	char		 key[SG_RESOLVE_NAME_MAX + 1];
	int64_t		 now;
	size_t		 i, len;
	int		 ttl, late;

	out->n = 0;
	out->cached = 0;
	if (r == NULL || name == NULL || (len = strlen(name)) == 0 ||
	    len > SG_RESOLVE_NAME_MAX)
		return sg_err_set(err, SG_EPERM, "unresolvable_target",
		    "the target name does not resolve");
	for (i = 0; i <= len; i++)
		key[i] = (char)tolower((unsigned char)name[i]);
	now = sg_now_us();
	if ((e = lookup_cache(r, key, now)) != NULL) {
		*out = e->r;
		out->cached = 1;
		if (e->rc != SG_OK)
			return sg_err_set(err, e->rc, e->code, "%s",
			    strcmp(e->code, "dns_timeout") == 0 ?
			    "the target name did not resolve in time" :
			    "the target name does not resolve");
		return SG_OK;
	}
	(void)memset(&q, 0, sizeof(q));
	late = run(r, key, &q) != 0;
	e = slot_for(r, key);
	(void)strlcpy(e->name, key, sizeof(e->name));
	e->used_us = now;
	if (!late && q.status == ARES_SUCCESS)
		collect(q.res, &e->r, &ttl);
	else {
		e->r.n = 0;
		ttl = SG_RESOLVE_NEGATIVE_TTL;
	}
	if (q.res != NULL)
		ares_freeaddrinfo(q.res);
	e->r.cached = 0;
	e->expires_us = now + (int64_t)ttl * 1000000;
	if (late) {
		e->rc = SG_EPERM;
		e->code = "dns_timeout";
	} else if (e->r.n == 0) {
		e->rc = SG_EPERM;
		e->code = "unresolvable_target";
		e->expires_us = now + (int64_t)SG_RESOLVE_NEGATIVE_TTL *
		    1000000;
	} else {
		e->rc = SG_OK;
		e->code = NULL;
	}
	*out = e->r;
	if (e->rc != SG_OK)
		return sg_err_set(err, e->rc, e->code, "%s", late ?
		    "the target name did not resolve in time" :
		    "the target name does not resolve");
	return SG_OK;
}
