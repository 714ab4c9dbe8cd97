/* SPDX-License-Identifier: ISC */
/*
 * Several Docker engines: the list, placement, lookup (see engines.h).
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "compat.h"
#include "engines.h"
#include "log.h"
#include "session.h"

/* One parsed entry of SANDGATE_DOCKER_HOSTS. */
struct entry {
	char	 name[SG_ENGINE_NAME_MAX + 1];
	char	 proxy[SG_ENGINE_PROXY_MAX];	/* host:port, or "" */
	char	 unix_path[PATH_MAX];	/* "" for tcp */
	char	 hostport[256];		/* "" for unix */
};

/* host:port with a port in 1..65535; host a name, IPv4 or [IPv6]. */
static int
hostport_ok(const char *s)
{
	const char	*p;
	long		 port;
	char		*end;

	if (s[0] == '\0' || strlen(s) > 255 || strpbrk(s, "/?#@ ") != NULL)
		return 0;
	if (s[0] == '[') {
		if ((p = strchr(s, ']')) == NULL || p[1] != ':')
			return 0;
		p++;
	} else if ((p = strrchr(s, ':')) == NULL || p == s ||
	    memchr(s, ':', (size_t)(p - s)) != NULL)
		return 0;
	port = strtol(p + 1, &end, 10);
	return p[1] >= '0' && p[1] <= '9' && *end == '\0' && port >= 1 &&
	    port <= 65535;
}

/*
 * ";proxy=http://IP:port[/]" into host:port: the address the engine's
 * sandboxes reach their egress proxy at, an IP literal (they have no
 * DNS), as SANDGATE_PROXY_URL.
 */
static const char *
parse_proxy(const char *opt, char *out, size_t size)
{
	char		 hp[SG_ENGINE_PROXY_MAX];
	size_t		 n;

	if (strncmp(opt, "proxy=http://", 13) != 0)
		return "the only option is proxy=http://IP:port";
	if ((n = strlen(opt + 13)) > 0 && opt[13 + n - 1] == '/')
		n--;
	if (n == 0 || n >= sizeof(hp))
		return "a proxy= option must be http://IP:port";
	memcpy(hp, opt + 13, n);
	hp[n] = '\0';
	if (!hostport_ok(hp))
		return "a proxy= option must be http://IP:port";
	if (!sg_cfg_proxy_host_is_ip(opt + 6))	/* "http://..." */
		return "a proxy= host must be an IP address: a sandbox has "
		    "no DNS";
	(void)strlcpy(out, hp, size);
	return NULL;
}

/*
 * One "name=endpoint[;proxy=URL]" of len bytes at s into *e; NULL or why
 * not.
 */
static const char *
parse_entry(const char *s, size_t len, struct entry *e)
{
	const char	*eq = memchr(s, '=', len), *semi, *why;
	char		 ep[PATH_MAX + 16];
	size_t		 nl;

	memset(e, 0, sizeof(*e));
	if (eq == NULL)
		return "an entry is not name=endpoint";
	if ((semi = memchr(s, ';', len)) != NULL) {
		if ((size_t)(s + len - semi) > SG_ENGINE_PROXY_MAX + 16)
			return "a proxy= option is too long";
		memcpy(ep, semi + 1, (size_t)(s + len - semi - 1));
		ep[s + len - semi - 1] = '\0';
		if ((why = parse_proxy(ep, e->proxy, sizeof(e->proxy))) !=
		    NULL)
			return why;
		len = (size_t)(semi - s);
	}
	nl = (size_t)(eq - s);
	if (!sg_engine_name_valid(s, nl))
		return "an engine name is not [a-z0-9][a-z0-9_-]{0,31}";
	memcpy(e->name, s, nl);
	if (len - nl - 1 >= sizeof(ep))
		return "an endpoint is too long";
	memcpy(ep, eq + 1, len - nl - 1);
	ep[len - nl - 1] = '\0';
	if (strncmp(ep, "unix://", 7) == 0) {
		if (ep[7] != '/' || strlen(ep + 7) >= sizeof(e->unix_path))
			return "a unix:// endpoint needs an absolute path";
		(void)strlcpy(e->unix_path, ep + 7, sizeof(e->unix_path));
		return NULL;
	}
	if (strncmp(ep, "tcp://", 6) == 0) {
		if (!hostport_ok(ep + 6))
			return "a tcp:// endpoint must be host:port";
		(void)strlcpy(e->hostport, ep + 6, sizeof(e->hostport));
		return NULL;
	}
	return "an endpoint must start with unix:// or tcp://";
}

/* Every entry of spec into es (SG_ENGINES_MAX); NULL or why not. */
static const char *
parse_all(const char *spec, struct entry *es, size_t *n)
{
	const char	*p = spec, *why;
	size_t		 len, i;

	*n = 0;
	while (*p != '\0') {
		len = strcspn(p, ",");
		if (*n == SG_ENGINES_MAX)
			return "more than 16 engines";
		if ((why = parse_entry(p, len, &es[*n])) != NULL)
			return why;
		for (i = 0; i < *n; i++)
			if (strcmp(es[i].name, es[*n].name) == 0)
				return "an engine name appears twice";
		(*n)++;
		p += len;
		if (*p == ',' && *++p == '\0')
			return "an empty entry";
	}
	return *n == 0 ? "no engine" : NULL;
}

int
sg_engines_check(const char *spec, size_t *n, char *why, size_t size)
{
	struct entry	*es;
	const char	*w;

	*n = 0;
	if ((es = calloc(SG_ENGINES_MAX, sizeof(*es))) == NULL) {
		(void)strlcpy(why, "out of memory", size);
		return -1;
	}
	w = parse_all(spec, es, n);
	free(es);
	if (w != NULL) {
		(void)strlcpy(why, w, size);
		return -1;
	}
	return 0;
}

enum sg_rc
sg_engines_new(const struct sg_cfg *cfg, struct sg_engines **out,
    struct sg_err *err)
{
	struct sg_engines	*es;
	struct entry		*ents = NULL;
	const char		*why;
	char			 dir[PATH_MAX];
	size_t			 n = 0, i;
	enum sg_rc		 rc = SG_OK;
	int			 k;

	*out = NULL;
	if ((es = calloc(1, sizeof(*es))) == NULL ||
	    (ents = calloc(SG_ENGINES_MAX, sizeof(*ents))) == NULL) {
		free(es);
		return sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
	}
	es->limit = cfg->docker_host_limit;
	if (cfg->docker_hosts[0] == '\0') {
		n = 1;	/* the one engine, unnamed */
		(void)strlcpy(ents[0].unix_path, cfg->docker_socket,
		    sizeof(ents[0].unix_path));
	} else if ((why = parse_all(cfg->docker_hosts, ents, &n)) != NULL) {
		rc = sg_err_set(err, SG_EINVAL, "bad_config", "%s", why);
		goto out;
	}
	for (i = 0; i < n && rc == SG_OK; i++) {
		(void)strlcpy(es->e[i].name, ents[i].name,
		    sizeof(es->e[i].name));
		(void)strlcpy(es->e[i].proxy, ents[i].proxy,
		    sizeof(es->e[i].proxy));
		es->e[i].sandboxes = -1;
		if (ents[i].unix_path[0] != '\0') {
			rc = sg_docker_new(ents[i].unix_path,
			    cfg->docker_timeout_s, &es->e[i].docker, err);
			continue;
		}
		k = snprintf(dir, sizeof(dir), "%s/%s", cfg->docker_cert_path,
		    ents[i].name);
		if (k < 0 || (size_t)k >= sizeof(dir))
			rc = sg_err_set(err, SG_EINVAL, "bad_config",
			    "SANDGATE_DOCKER_CERT_PATH too long");
		else
			rc = sg_docker_new_tls(ents[i].hostport, dir,
			    cfg->docker_timeout_s, &es->e[i].docker, err);
	}
	es->n = n;
out:
	free(ents);
	if (rc != SG_OK)
		sg_engines_free(es);
	else
		*out = es;
	return rc;
}

void
sg_engines_free(struct sg_engines *es)
{
	size_t	 i;

	if (es == NULL)
		return;
	for (i = 0; i < es->n; i++)
		sg_docker_free(es->e[i].docker);
	free(es);
}

struct sg_engine *
sg_engines_find(struct sg_engines *es, const char *name)
{
	size_t	 i;

	if (es == NULL || es->n == 0)
		return NULL;
	if (name == NULL || name[0] == '\0')
		return &es->e[0];
	for (i = 0; i < es->n; i++)
		if (strcmp(es->e[i].name, name) == 0)
			return &es->e[i];
	return NULL;
}

enum sg_rc
sg_engine_count(struct sg_engine *e, long *count, struct sg_err *err)
{
	cJSON		*list = NULL;
	enum sg_rc	 rc;

	rc = sg_docker_container_list(e->docker, SG_LABEL_CONTAINER_ID,
	    &list, err);
	if (rc != SG_OK) {
		e->down_until = sg_now_us() + SG_ENGINE_DOWN_US;
		e->sandboxes = -1;
		if (!e->down_logged)
			sg_log(SG_LOG_WARN, "docker_engine_down", "engine",
			    e->name, "endpoint", sg_docker_where(e->docker),
			    "reason", err->code != NULL ? err->code : "",
			    "detail", err->msg, (char *)NULL);
		e->down_logged = 1;
		return rc;
	}
	e->sandboxes = cJSON_GetArraySize(list);
	cJSON_Delete(list);
	if (e->down_logged)
		sg_log(SG_LOG_INFO, "docker_engine_up", "engine", e->name,
		    "endpoint", sg_docker_where(e->docker), (char *)NULL);
	e->down_until = 0;
	e->down_logged = 0;
	if (count != NULL)
		*count = e->sandboxes;
	return SG_OK;
}

/* Count e and keep it in *best when it has room and fewer sandboxes. */
static void
consider(struct sg_engines *es, struct sg_engine *e, struct sg_engine **best,
    size_t *answered, struct sg_err *e1)
{
	struct sg_err	 e2;
	long		 n;

	sg_err_clear(&e2);
	if (sg_engine_count(e, &n, &e2) != SG_OK) {
		*e1 = e2;	/* the last engine's, for the message */
		return;
	}
	(*answered)++;
	if (es->limit > 0 && n >= es->limit)
		return;
	if (*best == NULL || n < (*best)->sandboxes)
		*best = e;
}

enum sg_rc
sg_engines_place(struct sg_engines *es, struct sg_engine **out,
    struct sg_err *err)
{
	struct sg_engine	*best = NULL;
	struct sg_err		 e1;
	int64_t			 now = sg_now_us();
	size_t			 i, answered = 0, skipped = 0;

	*out = NULL;
	sg_err_clear(&e1);
	/* One engine: nothing to choose, and no list per create. */
	if (es->n == 1 && es->limit == 0) {
		*out = &es->e[0];
		return SG_OK;
	}
	for (i = 0; i < es->n; i++) {
		if (es->e[i].down_until > now)
			skipped++;
		else
			consider(es, &es->e[i], &best, &answered, &e1);
	}
	/* Every one that was asked failed: the ones marked down, again. */
	for (i = 0; answered == 0 && skipped > 0 && i < es->n; i++)
		if (es->e[i].down_until > now)
			consider(es, &es->e[i], &best, &answered, &e1);
	if (best != NULL) {
		*out = best;
		return SG_OK;
	}
	if (answered > 0)
		return sg_err_set(err, SG_ELIMIT, "engines_full",
		    "every Docker engine holds its limit of %ld sandboxes "
		    "(SANDGATE_DOCKER_HOST_LIMIT)", es->limit);
	return sg_err_set(err, e1.rc == SG_ETIMEOUT ? SG_ETIMEOUT :
	    SG_EUNAVAIL, "docker_unavailable", "no Docker engine answered "
	    "(the last: %.90s)", e1.msg);
}
