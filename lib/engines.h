/* SPDX-License-Identifier: ISC */
/*
 * Several Docker engines (SANDGATE_DOCKER_HOSTS; docs/scaling.md): the
 * list, placement of a new sandbox by free capacity, and finding the
 * engine a session names.  Without SANDGATE_DOCKER_HOSTS there is one
 * engine, named "" (the empty name), on SANDGATE_DOCKER_SOCKET: sessions
 * written before engines existed name none and mean that one.
 *
 * SANDGATE_DOCKER_HOSTS is a comma list of name=endpoint:
 *
 *   a=unix:///var/run/docker.sock,b=tcp://10.0.0.7:2376;proxy=http://172.31.99.1:8443
 *
 * names ^[a-z0-9][a-z0-9_-]{0,31}$, each once, at most SG_ENGINES_MAX;
 * endpoints unix://<absolute path> or tcp://<host>:<port>; the option
 * proxy= is where that engine's sandboxes reach their egress proxy (an
 * IP literal, as SANDGATE_PROXY_URL, which is the default): on another
 * machine the proxy is that machine's own Apache on its sandbox bridge.  A tcp://
 * engine is spoken to only over TLS with client certificates, as
 * Docker's own --tlsverify: SANDGATE_DOCKER_CERT_PATH/<name>/ca.pem,
 * cert.pem and key.pem (lib/docker.h).  The name is what the session
 * records (sg_session.engine), so an engine can move to another address
 * without its sandboxes being lost: keep its name.
 *
 * Placement (sg_engines_place): every engine not marked down is asked
 * for its sandboxes (the containers labelled sandgate.container_id); the
 * one with the fewest below SANDGATE_DOCKER_HOST_LIMIT (0: no limit)
 * wins, the first listed on a tie.  An engine that does not answer is
 * marked down for SG_ENGINE_DOWN_US and left out of placement meanwhile
 * (logged once, "docker_engine_down", and "docker_engine_up" when it
 * answers again); its sandboxes stay in Redis, and destroy and the
 * reaper report them until it is back.  Counts are read at each
 * placement, so concurrent creates on other workers may pass a limit by
 * at most the number of workers placing at that moment.
 */
#ifndef SG_ENGINES_H
#define SG_ENGINES_H

#include <stddef.h>
#include <stdint.h>

#include "cfg.h"
#include "docker.h"
#include "session.h"
#include "sgerr.h"

#define SG_ENGINES_MAX		16
#define SG_ENGINE_DOWN_US	(10 * 1000000LL)	/* out of placement */
#define SG_ENGINE_PROXY_MAX	64	/* "[v6]:port" and its NUL */

struct sg_engine {
	char		 name[SG_ENGINE_NAME_MAX + 1];	/* "" when only one */
	char		 proxy[SG_ENGINE_PROXY_MAX];	/* host:port; "": the default */
	struct sg_docker *docker;
	int64_t		 down_until;	/* sg_now_us(); 0: in placement */
	int		 down_logged;
	long		 sandboxes;	/* at the last count; -1: unknown */
	int64_t		 runtime_ok_until; /* sandbox-create's cache */
};

struct sg_engines {
	struct sg_engine e[SG_ENGINES_MAX];
	size_t		 n;
	long		 limit;		/* per engine; 0: none */
};

/*
 * Check SANDGATE_DOCKER_HOSTS's syntax (for lib/cfg.c): 0, or -1 with
 * why (size >= 128) saying what is wrong.  n gets the number of entries.
 */
int		 sg_engines_check(const char *spec, size_t *n, char *why,
		    size_t size);
/* The engines of cfg, with handles; none connects yet. */
enum sg_rc	 sg_engines_new(const struct sg_cfg *, struct sg_engines **,
		    struct sg_err *);
void		 sg_engines_free(struct sg_engines *);
/*
 * The engine a session names ("" or NULL: the first, the only one before
 * SANDGATE_DOCKER_HOSTS); NULL when no engine of that name is configured.
 */
struct sg_engine *sg_engines_find(struct sg_engines *, const char *name);
/*
 * Where a new sandbox goes (see above).  SG_ELIMIT "engines_full" when
 * every engine that answered holds its limit; SG_EUNAVAIL
 * "docker_unavailable" (or the last engine's error) when none answered.
 */
enum sg_rc	 sg_engines_place(struct sg_engines *, struct sg_engine **,
		    struct sg_err *);
/*
 * Count one engine's sandboxes now (sg_engines_place's probe, also for
 * /healthz); marks it down or up.  *count may be NULL.
 */
enum sg_rc	 sg_engine_count(struct sg_engine *, long *count,
		    struct sg_err *);

#endif
