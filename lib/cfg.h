/* SPDX-License-Identifier: ISC */
/*
 * Configuration from SANDGATE_* environment variables (docs/contract.md
 * §8), read once at start.  A bad value is an error naming
 * the variable; services stop with EX_CONFIG on it.
 *
 * An unset or empty variable takes the default shown below.  Integers
 * are plain decimal digits in a fixed range; booleans are "0" or "1";
 * strings that do not fit are refused, never truncated, and never hold
 * control characters.  SANDGATE_MEMORY is bytes or a number with a
 * k/m/g suffix (binary units, 6m..1024g); SANDGATE_CPUS is a decimal
 * such as "2" or "0.5" (0.01..1024, at most 9 decimals), kept as nano
 * CPUs.  SANDGATE_TOKEN_TTL may not exceed SANDGATE_TOKEN_MAX_TTL; when
 * it is unset, a lower SANDGATE_TOKEN_MAX_TTL lowers it too.
 */
#ifndef SG_CFG_H
#define SG_CFG_H

#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#include "sgerr.h"
#include "hosts.h"

#define SG_CFG_STR	512
#define SG_CFG_WORKERS_MAX	256	/* SANDGATE_WORKERS */
#define SG_PIDS_LIMIT_GVISOR	4096	/* default pids limit under runsc */

struct sg_cfg {
	char		 issuer[SG_CFG_STR];		/* SANDGATE_ISSUER, "sandgate" (<= 256) */
	char		 signing_key[PATH_MAX];		/* SANDGATE_SIGNING_KEY, "" */
	char		 verify_keys[4096];		/* SANDGATE_VERIFY_KEYS, "" */
	char		 operator_keys[4096];		/* SANDGATE_OPERATOR_KEYS, "" */
	char		 operator_signing_key[PATH_MAX]; /* SANDGATE_OPERATOR_SIGNING_KEY */
	int64_t		 leeway;			/* SANDGATE_LEEWAY, 30 (0..3600) */
	int64_t		 token_ttl;			/* SANDGATE_TOKEN_TTL, 14400 */
	int64_t		 token_max_ttl;			/* SANDGATE_TOKEN_MAX_TTL, 86400 (..366 d) */
	char		 redis[SG_CFG_STR];		/* SANDGATE_REDIS, redis://127.0.0.1:6379/0 */
	int		 redis_timeout_ms;		/* SANDGATE_REDIS_TIMEOUT_MS, 500 (1..60000) */
	int		 redis_fail_open;		/* SANDGATE_REDIS_FAILURE closed|open, closed */
	int		 redis_wait_replicas;		/* SANDGATE_REDIS_WAIT_REPLICAS, 0 (0..16) */
	int		 redis_wait_ms;			/* SANDGATE_REDIS_WAIT_MS, 100 (1..10000, < TIMEOUT_MS) */
	char		 docker_socket[PATH_MAX];	/* SANDGATE_DOCKER_SOCKET, /var/run/docker.sock */
	char		 docker_hosts[4096];		/* SANDGATE_DOCKER_HOSTS, "" (one engine: the socket) */
	char		 docker_cert_path[PATH_MAX];	/* SANDGATE_DOCKER_CERT_PATH, /etc/sandgate/docker */
	long		 docker_host_limit;		/* SANDGATE_DOCKER_HOST_LIMIT, 0 (none; ..1000000) */
	char		 runtime[64];			/* SANDGATE_RUNTIME, runsc */
	char		 image[SG_CFG_STR];		/* SANDGATE_IMAGE, sandgate-sandbox:latest */
	char		 images[2048];			/* SANDGATE_IMAGES, extra allowed images */
	char		 network[128];			/* SANDGATE_NETWORK, sandgate-egress */
	char		 proxy_url[SG_CFG_STR];		/* SANDGATE_PROXY_URL, http://172.30.99.1:8443 (IP) */
	char		 data_root[PATH_MAX];		/* SANDGATE_DATA_ROOT, /var/lib/sandgate */
	struct sg_ports	 egress_ports;			/* SANDGATE_EGRESS_PORTS, 80,443 */
	int		 deny_private;			/* SANDGATE_EGRESS_DENY_PRIVATE, 1 */
	int		 accept_no_aud;			/* SANDGATE_ACCEPT_NO_AUD, 0 */
	int64_t		 session_cache_ms;		/* SANDGATE_SESSION_CACHE_MS, 1000 (0..60000) */
	int		 report_mode;			/* SANDGATE_EGRESS_MODE enforce|report, enforce */
	int		 max_per_user;			/* SANDGATE_MAX_SANDBOXES_PER_USER, 10 (1..100000) */
	int		 log_level;			/* SANDGATE_LOG_LEVEL debug|info|warn|error, info */
	int		 log_rate;			/* SANDGATE_LOG_RATE, 50 lines/s (0: no limit, ..100000) */
	char		 socket[SG_CFG_STR];		/* SANDGATE_SOCKET, "" */
	int64_t		 memory_bytes;			/* SANDGATE_MEMORY, 4g */
	int64_t		 nano_cpus;			/* SANDGATE_CPUS, 2 */
	int64_t		 pids_limit;			/* SANDGATE_PIDS_LIMIT, 100; 4096 under runsc* (1..4194304) */
	char		 tmpfs_size[32];		/* SANDGATE_TMPFS_SIZE, 1G */
	int		 docker_timeout_s;		/* SANDGATE_DOCKER_TIMEOUT, 30 (1..3600) */
	int		 fcgi_timeout_ms;		/* SANDGATE_FCGI_TIMEOUT_MS, 5000 (100..600000) */
	int		 fcgi_conns;			/* SANDGATE_FCGI_CONNS, 0: the service's (1..256) */
	int		 workers;			/* SANDGATE_WORKERS, 1 (1..256): processes on the socket (lib/pool.h) */
	int		 dns_timeout_ms;		/* SANDGATE_DNS_TIMEOUT_MS, 2000 (100..30000) */
	char		 dns_servers[SG_CFG_STR];	/* SANDGATE_DNS_SERVERS, "" (resolv.conf) */
	char		 metrics_dir[PATH_MAX];		/* SANDGATE_METRICS_DIR, "" (metrics off) */
	int64_t		 metrics_port;			/* SANDGATE_METRICS_PORT, 0 (off; 1..65535) */
	int64_t		 audit_maxlen;			/* SANDGATE_AUDIT_MAXLEN, 100000 (0: off, ..100000000) */
	char		 secret_keys[1024];		/* SANDGATE_SECRET_KEYS, "" (key files, first seals) */
	char		 broker_ca_file[PATH_MAX];	/* SANDGATE_BROKER_CA_FILE, "" (system CAs) */
	int64_t		 budget_requests;		/* SANDGATE_BUDGET_REQUESTS, 0 (unlimited, ..10^12) */
};

/* Defaults, then the environment.  SG_EINVAL "bad_config" names the variable. */
enum sg_rc	 sg_cfg_load(struct sg_cfg *, struct sg_err *);
void		 sg_cfg_defaults(struct sg_cfg *);
/*
 * Whether the host of url ("scheme://host[:port]...") is an IP literal
 * (IPv6 in brackets): a sandbox has no DNS to resolve a proxy's name.
 */
int		 sg_cfg_proxy_host_is_ip(const char *url);

/*
 * What sg_cfg_check found: every error ("VAR: why", the value never
 * echoed) and every SANDGATE_* variable in the environment that the
 * configuration does not know, with the closest known name when one is
 * within three edits (a misspelling: SANDGATE_REDIS_TIMOUT_MS).  Counts
 * go on past SG_CFG_REPORT_MAX; only that many entries are kept.
 */
#define SG_CFG_REPORT_MAX	32
#define SG_CFG_MSG		160
#define SG_CFG_NAME		63
#define SG_CFG_VARS_MAX		64	/* names cfg.c reads, with room */

struct sg_cfg_warn {
	char		 name[SG_CFG_NAME + 1];
	char		 closest[SG_CFG_NAME + 1];	/* "" if none near */
};

struct sg_cfg_report {
	size_t			 nerr;
	size_t			 nwarn;
	char			 err[SG_CFG_REPORT_MAX][SG_CFG_MSG];
	struct sg_cfg_warn	 warn[SG_CFG_REPORT_MAX];
};

/*
 * sg_cfg_load, checking every variable instead of stopping at the first
 * bad one; err gets the first (as from sg_cfg_load), rep (may be NULL)
 * all of them and the unknown-name warnings.  SG_EINVAL if any error.
 */
enum sg_rc	 sg_cfg_check(struct sg_cfg *, struct sg_cfg_report *,
		    struct sg_err *);
/* "PROG: error: ..." and "PROG: warning: ..." lines, one per entry. */
void		 sg_cfg_report_print(FILE *, const char *prog,
		    const struct sg_cfg_report *);

#endif
