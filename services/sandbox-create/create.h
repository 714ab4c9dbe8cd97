/* SPDX-License-Identifier: ISC */
/*
 * sandbox-create: POST /v1/sandboxes (docs/contract.md §5.2 and
 * §6).  The handler is pure with respect to FastCGI: it takes a
 * struct sg_req and fills a struct sg_resp, so Check tests drive it
 * without sockets; Docker and Redis are reached through the clients in
 * struct app.
 */
#ifndef SG_CREATE_H
#define SG_CREATE_H

#include <stdint.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cfg.h"
#include "docker.h"
#include "sgerr.h"
#include "hosts.h"
#include "request.h"
#include "response.h"
#include "keys.h"
#include "session.h"

#include "../sandbox-app.h"

/*
 * The sandbox runs as nobody:nogroup.  The test image and the deploy
 * image need no user of their own: a numeric uid:gid works without an
 * /etc/passwd entry.  The outputs directory is group-writable for this
 * gid (root:65534 0770), uploads and skills group-readable (0750).
 */
#define CREATE_SANDBOX_UID	65534
#define CREATE_SANDBOX_GID	65534
#define CREATE_SANDBOX_USER	"65534:65534"

/* Fields a create body may carry; anything else is a 400. */
#define CREATE_MAX_IMAGES	32

/*
 * How long a create holds its slot of the per-user limit until its
 * session is written (lib/session.h, reserve): longer than the longest
 * create (the runtime check, create, image inspect, start and inspect,
 * each bounded by SANDGATE_DOCKER_TIMEOUT, and Redis), so that a slow
 * create keeps its slot; a worker that dies mid-create frees it after
 * this long.
 */
#define CREATE_RESERVE_MS(cfg)	\
	(((int64_t)(cfg)->docker_timeout_s * 6 + 10) * 1000)

/* How long a positive runtime check is trusted (the /info call is slow). */
#define CREATE_RUNTIME_CACHE_US	(60 * 1000000LL)

/*
 * Sandboxes resolve no names (issue 9): a client behind HTTP(S)_PROXY
 * hands the host name to the proxy, which resolves it only after the
 * token and the allow-list have passed; a DNS query from the sandbox
 * itself could only carry data out (<secret>.attacker.example).
 *
 * On a user-defined network Docker answers 127.0.0.11 inside the
 * container and forwards every name it does not know itself to the
 * upstream servers.  Without HostConfig.Dns those are the daemon's own
 * (its /etc/resolv.conf), and a loopback one there (systemd-resolved's
 * 127.0.0.53, dnsmasq) is contacted from the HOST's network namespace,
 * where no rule on the sandbox bridge sees the query.  Servers given in
 * HostConfig.Dns are contacted from the container's namespace instead
 * (libnetwork sandbox_dns_unix.go setupDNS, resolver.go ServeDNS;
 * t-dns.sh shows both with a witness), so CREATE_DNS_SERVER, the
 * sandbox's own loopback, sends every forwarded query back where it
 * came from.  DnsSearch "." is Docker's "no search domain" and the
 * options are set, not left empty: an empty list means "copy the
 * host's".  ndots:0 is what the embedded server asks for anyway; one
 * attempt of one second makes a lookup fail in about a second.
 */
#define CREATE_DNS_SERVER	"127.0.0.1"
#define CREATE_DNS_SEARCH	"."
#define CREATE_DNS_OPTIONS	"ndots:0", "timeout:1", "attempts:1"


/* What a validated body asks for. */
struct create_spec {
	char			 user_id[SG_ID_MAX + 1];
	char			 org[SG_UUID_LEN + 1];
	struct sg_hostlist	 hosts;
	int64_t			 ttl;		/* seconds */
	char			 image[256];
	int			 hipaa;
	int			 pci;
	int64_t			 budget_requests;	/* 0: unlimited */
	int64_t			 budget_bytes;
	struct sg_secret	*secrets;	/* "secrets", malloc'd, wiped */
	size_t			 nsecrets;
};

/*
 * Check the configuration a create service needs (proxy URL, tmpfs size,
 * image names) and fill app->proxy_hostport.  SG_EINVAL "bad_config"
 * naming the variable.
 */
enum sg_rc	 create_app_config(struct app *, struct sg_err *);

/* The FastCGI handler (an sg_handler). */
void		 create_handle(void *app, struct sg_req *,
		    struct sg_resp *);

void		 create_spec_init(struct create_spec *);
void		 create_spec_clear(struct create_spec *);
/*
 * Validate a body against the configuration.  SG_EINVAL with a reason
 * code ("bad_field", "unknown_field", "missing_field", "bad_host_pattern",
 * "image_not_allowed") and a message naming the field.
 */
enum sg_rc	 create_spec_parse(const struct sg_cfg *, const cJSON *body,
		    struct create_spec *, struct sg_err *);

/*
 * One secret object ({"name","host","header","value"}) into sec, its
 * host checked against the sandbox's hosts h: SG_EINVAL "bad_secret"
 * or "secret_host_not_allowed" with a sentence (never the value).
 */
enum sg_rc	 create_secret_parse(const struct sg_cfg *,
		    const struct sg_hostlist *h, const cJSON *,
		    struct sg_secret *sec, struct sg_err *);

/*
 * The POST /containers/create body for a sandbox: every setting of
 * docs/contract.md §6.1.  token is the container token (it goes into the proxy
 * URLs); expires_at the label.  NULL on ENOMEM.  The result holds the
 * token: free it with create_config_free().
 */
cJSON		*create_config(const struct app *, const char *engine,
		    const struct create_spec *, const char *container_id,
		    const char *token, int64_t expires_at);
/* Wipe every string of Config.Env / Env in a tree, then delete it. */
void		 create_config_free(cJSON *);
/*
 * Refuse (SG_EUPSTREAM "hardening_not_applied", naming the setting) an
 * inspected container whose settings are not the ones asked for;
 * SG_EUPSTREAM "runtime_mismatch" when it runs under another runtime
 * than SANDGATE_RUNTIME (the caller removes it, as for any refusal).  On
 * SG_OK ip (size >= 64) holds the container's address on the sandbox
 * network, or "" with network none.
 */
enum sg_rc	 create_check_inspect(const struct app *,
		    const struct create_spec *, const char *container_id,
		    const cJSON *inspect, char *ip, size_t size,
		    struct sg_err *);
/*
 * The runtime of the contract: gVisor, registered with the daemon as
 * "runsc" (deploy/gvisor/register).  Any other SANDGATE_RUNTIME runs
 * untrusted code on the host kernel: allowed when an operator asks for
 * it, but said at start (create_runtime_warn), in GET /healthz and in
 * the runtime label of sandgate_sandboxes_created_total.
 */
#define CREATE_GVISOR_RUNTIME	"runsc"

int		 create_runtime_is_gvisor(const char *runtime);
/* Log "runtime_not_gvisor" (a warning) unless the runtime is gVisor. */
void		 create_runtime_warn(const struct sg_cfg *);

/*
 * The answer of GET /healthz for what the probes found: 200 and
 * {"status":"ok","runtime",...}, or 503 with "error" and "message"
 * naming the first check that failed; 500 (*out NULL) out of memory.
 */
int		 create_health_answer(const struct sg_cfg *,
		    const struct create_health *, cJSON **out);
/*
 * GET|HEAD /healthz: probe Docker, then answer as above.  The route is
 * open, and /info is a slow call: a worker probes at most once per
 * CREATE_HEALTH_CACHE_US and answers from the last probe in between.
 */
#define CREATE_HEALTH_CACHE_US	(2 * 1000000LL)
void		 create_healthz(struct app *, struct sg_req *,
		    struct sg_resp *);

/*
 * The secrets API (secrets.c, docs/secrets.md): PUT and DELETE
 * /v1/sandboxes/{id}/secrets/{name}, GET /v1/sandboxes/{id}/secrets.
 * 0 when the path is none of them (resp untouched), else 1.
 */
int		 create_secrets_handle(struct app *, struct sg_req *,
		    struct sg_resp *);
/*
 * Seal and store the spec's secrets for container id, ttl_s seconds
 * (the session's).  The caller deletes them (sg_sandbox_forget) when a
 * later step fails.
 */
enum sg_rc	 create_secrets_store(struct app *,
		    const struct create_spec *, const char *id, long ttl_s,
		    struct sg_err *);
/* Overwrite every "value" string of a body's "secrets" (before freeing). */
void		 create_secrets_wipe(cJSON *body);
/*
 * The egress proxy's host:port for a sandbox on engine (its proxy= in
 * SANDGATE_DOCKER_HOSTS, else SANDGATE_PROXY_URL's).
 */
const char	*create_proxy_of(const struct app *, const char *engine);
/* NAME_BASE_URL=http://<engine's proxy host:port>/broker/NAME into buf. */
int		 create_secret_base_url(const struct app *, const char *engine,
		    const char *name, char *buf, size_t size);

/*
 * Make <root>/users/<user>/{uploads,outputs} and <root>/skills if missing,
 * refusing symlinks and world-writable directories on the way.
 */
enum sg_rc	 create_dirs(const char *root, const char *user,
		    struct sg_err *);

#endif
