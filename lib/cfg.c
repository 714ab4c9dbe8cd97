/* SPDX-License-Identifier: ISC */
/*
 * Configuration from SANDGATE_* environment variables (lib/cfg.h;
 * docs/contract.md §8).
 *
 * Every value is checked completely: integers are decimal digits only,
 * parsed by sg_num_parse and range-checked (no atoi, no sign, no spaces,
 * no suffix garbage), booleans are "0" or "1", enumerations are the listed
 * words, and strings that do not fit are refused rather than truncated.
 * An empty value means the default.  Every variable is checked, so
 * sg_cfg_check can report every bad one at once (--check-config); the
 * first is the one sg_cfg_load names in its error (SG_EINVAL
 * "bad_config").  Messages name the variable, never echo its value (it
 * may be a password or a path an operator would rather not log).
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "engines.h"
#include "log.h"
#include "num.h"
#include "claims.h"
#include "compat.h"
#include "session.h"
#include "token.h"

#define KIB		INT64_C(1024)
#define MIB		(KIB * 1024)
#define GIB		(MIB * 1024)
#define NANO		INT64_C(1000000000)

/* Docker refuses memory limits under 6 MiB. */
#define MEMORY_MIN	(6 * MIB)
#define MEMORY_MAX	(KIB * GIB)
/* Docker takes 0.01 CPUs and up. */
#define CPUS_MIN	(NANO / 100)
#define CPUS_MAX	(1024 * NANO)
#define MAX_TTL_MAX	SG_TOKEN_TTL_LIMIT	/* 366 days */

/*
 * One load: the first error (for sg_cfg_load), every error and warning
 * (for sg_cfg_check), and the names looked up, which are the names the
 * configuration knows (for the misspelling warnings).
 */
struct ld {
	struct sg_err		*err;
	struct sg_cfg_report	*rep;
	const char		*seen[SG_CFG_VARS_MAX];
	size_t			 nseen;
	size_t			 nerr;
};

static enum sg_rc
bad(struct ld *l, const char *var, const char *why)
{
	if (l->nerr++ == 0)
		(void)sg_err_set(l->err, SG_EINVAL, "bad_config", "%s: %s",
		    var, why);
	if (l->rep != NULL && l->rep->nerr < SG_CFG_REPORT_MAX)
		(void)snprintf(l->rep->err[l->rep->nerr], SG_CFG_MSG,
		    "%s: %s", var, why);
	if (l->rep != NULL)
		l->rep->nerr++;
	return SG_EINVAL;
}

/* The value of var, or NULL when unset or empty (the default applies). */
static const char *
env(struct ld *l, const char *var)
{
	const char	*v;
	size_t		 i;

	for (i = 0; i < l->nseen; i++)
		if (l->seen[i] == var || strcmp(l->seen[i], var) == 0)
			break;
	if (i == l->nseen && l->nseen < SG_CFG_VARS_MAX)
		l->seen[l->nseen++] = var;
	if ((v = getenv(var)) == NULL || *v == '\0')
		return NULL;
	return v;
}

static int
has_space_or_ctl(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s == 0x7f)
			return 1;
	return 0;
}

/* [A-Za-z0-9_.-]+ : Docker runtime and network names. */
static int
is_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' ||
		    *s == '-'))
			return 0;
	return 1;
}

/* A string variable; kinds of check below. */
enum str_kind {
	STR_TEXT,	/* printable, spaces allowed */
	STR_WORD,	/* printable, no whitespace */
	STR_NAME,	/* [A-Za-z0-9_.-]+ */
	STR_ABSPATH	/* an absolute path, no whitespace */
};

static enum sg_rc
get_str(struct ld *l, const char *var, enum str_kind kind, char *dst,
    size_t size)
{
	const char	*v;

	if ((v = env(l, var)) == NULL)
		return SG_OK;
	if (strlen(v) >= size)
		return bad(l, var, "value too long");
	if (!sg_str_printable(v))
		return bad(l, var, "control characters in the value");
	switch (kind) {
	case STR_TEXT:
		break;
	case STR_WORD:
		if (has_space_or_ctl(v))
			return bad(l, var, "whitespace in the value");
		break;
	case STR_NAME:
		if (!is_name(v))
			return bad(l, var, "not a name of [A-Za-z0-9_.-]");
		break;
	case STR_ABSPATH:
		if (v[0] != '/' || has_space_or_ctl(v))
			return bad(l, var, "not an absolute path");
		break;
	}
	(void)strlcpy(dst, v, size);
	return SG_OK;
}

static enum sg_rc
get_int64(struct ld *l, const char *var, int64_t min, int64_t max,
    int64_t *out)
{
	const char	*v;
	char		 why[64];

	if ((v = env(l, var)) == NULL)
		return SG_OK;
	if (sg_num_parse(v, min, max, out) == -1) {
		(void)snprintf(why, sizeof(why), "not an integer in %lld..%lld",
		    (long long)min, (long long)max);
		return bad(l, var, why);
	}
	return SG_OK;
}

static enum sg_rc
get_int(struct ld *l, const char *var, int min, int max, int *out)
{
	int64_t		 v = *out;
	enum sg_rc	 rc;

	if ((rc = get_int64(l, var, min, max, &v)) == SG_OK)
		*out = (int)v;
	return rc;
}

static enum sg_rc
get_bool(struct ld *l, const char *var, int *out)
{
	const char	*v;

	if ((v = env(l, var)) == NULL)
		return SG_OK;
	if (strcmp(v, "0") == 0)
		*out = 0;
	else if (strcmp(v, "1") == 0)
		*out = 1;
	else
		return bad(l, var, "must be 0 or 1");
	return SG_OK;
}

/* One of the words; *out is its index. */
static enum sg_rc
get_enum(struct ld *l, const char *var, const char *const *words,
    int *out)
{
	const char	*v;
	int		 i;

	if ((v = env(l, var)) == NULL)
		return SG_OK;
	for (i = 0; words[i] != NULL; i++)
		if (strcmp(v, words[i]) == 0) {
			*out = i;
			return SG_OK;
		}
	return bad(l, var, "not one of the allowed words");
}

/* "4g", "512m", "64k", "1048576" or "1048576b"; binary units. */
static int
parse_size(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char	 num[32];
	size_t	 n = strlen(s);
	int64_t	 v, mult = 1;

	if (n == 0 || n >= sizeof(num))
		return -1;
	switch (s[n - 1]) {
	case 'k': case 'K': mult = KIB; n--; break;
	case 'm': case 'M': mult = MIB; n--; break;
	case 'g': case 'G': mult = GIB; n--; break;
	case 'b': case 'B': n--; break;
	default: break;
	}
	if (n == 0)
		return -1;
	memcpy(num, s, n);
	num[n] = '\0';
	if (sg_num_parse(num, 0, INT64_MAX / mult, &v) == -1)
		return -1;
	v *= mult;
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* "2", "0.5", "1.25": CPUs into nano CPUs, at most 9 decimals. */
static int
parse_cpus(const char *s, int64_t *out)
{
	char		 num[32];
	const char	*dot;
	int64_t		 whole, frac = 0, scale = NANO;
	size_t		 n, i;

	if ((dot = strchr(s, '.')) == NULL)
		n = strlen(s);
	else
		n = (size_t)(dot - s);
	if (n == 0 || n >= sizeof(num))
		return -1;
	memcpy(num, s, n);
	num[n] = '\0';
	if (sg_num_parse(num, 0, CPUS_MAX / NANO, &whole) == -1)
		return -1;
	if (dot != NULL) {
		if (dot[1] == '\0' || strlen(dot + 1) > 9)
			return -1;
		for (i = 1; dot[i] != '\0'; i++) {
			if (dot[i] < '0' || dot[i] > '9')
				return -1;
			scale /= 10;
			frac += (dot[i] - '0') * scale;
		}
	}
	whole = whole * NANO + frac;
	if (whole < CPUS_MIN || whole > CPUS_MAX)
		return -1;
	*out = whole;
	return 0;
}

/* Docker's tmpfs size: digits with an optional k/m/g unit. */
static int
tmpfs_size_valid(const char *s)
{
	int64_t	 v;

	return parse_size(s, 1, INT64_MAX, &v) == 0;
}

void
sg_cfg_defaults(struct sg_cfg *c)
{
	memset(c, 0, sizeof(*c));
	(void)strlcpy(c->issuer, "sandgate", sizeof(c->issuer));
	c->leeway = 30;
	c->token_ttl = 14400;
	c->token_max_ttl = 86400;
	(void)strlcpy(c->redis, "redis://127.0.0.1:6379/0", sizeof(c->redis));
	c->redis_timeout_ms = 500;
	c->redis_fail_open = 0;
	c->redis_wait_replicas = 0;
	c->redis_wait_ms = 100;
	(void)strlcpy(c->docker_socket, "/var/run/docker.sock",
	    sizeof(c->docker_socket));
	(void)strlcpy(c->docker_cert_path, "/etc/sandgate/docker",
	    sizeof(c->docker_cert_path));
	(void)strlcpy(c->runtime, "runsc", sizeof(c->runtime));
	(void)strlcpy(c->image, "sandgate-sandbox:latest", sizeof(c->image));
	(void)strlcpy(c->network, "sandgate-egress", sizeof(c->network));
	(void)strlcpy(c->proxy_url, "http://172.30.99.1:8443",
	    sizeof(c->proxy_url));
	(void)strlcpy(c->data_root, "/var/lib/sandgate", sizeof(c->data_root));
	c->egress_ports.n = 2;
	c->egress_ports.v[0] = 80;
	c->egress_ports.v[1] = 443;
	c->deny_private = 1;
	c->accept_no_aud = 0;
	c->session_cache_ms = 1000;
	c->report_mode = 0;
	c->max_per_user = 10;
	c->log_level = SG_LOG_INFO;
	c->log_rate = 50;
	c->memory_bytes = 4 * GIB;
	c->nano_cpus = 2 * NANO;
	c->pids_limit = 100;
	(void)strlcpy(c->tmpfs_size, "1G", sizeof(c->tmpfs_size));
	c->docker_timeout_s = 30;
	c->fcgi_timeout_ms = 5000;
	c->workers = 1;
	c->dns_timeout_ms = 2000;
	c->audit_maxlen = 100000;
}

/*
 * The proxy's host must be an IP literal: a sandbox sits on an internal
 * network without DNS (docs/contract.md §6.1), so a name in HTTP_PROXY
 * would never resolve and every request would fail inside the sandbox,
 * not here.  "scheme://" has been checked; IPv6 in brackets (RFC 3986,
 * 3.2.2).  Also the rule for proxy= in SANDGATE_DOCKER_HOSTS (engines.c).
 */
int
sg_cfg_proxy_host_is_ip(const char *url)
{
	const char	*h = strstr(url, "://") + 3, *e;
	char		 host[INET6_ADDRSTRLEN + 1];
	unsigned char	 a[sizeof(struct in6_addr)];
	size_t		 n;

	if (*h == '[') {
		if ((e = strchr(++h, ']')) == NULL)
			return 0;
	} else
		e = h + strcspn(h, ":/");
	if ((n = (size_t)(e - h)) == 0 || n >= sizeof(host))
		return 0;
	memcpy(host, h, n);
	host[n] = '\0';
	return inet_pton(h[-1] == '[' ? AF_INET6 : AF_INET, host, a) == 1;
}

/* SANDGATE_DOCKER_HOSTS and its companions (lib/engines.h). */
static void
load_engines(struct ld *l, struct sg_cfg *c)
{
	char	 why[128];
	size_t	 n;
	int64_t	 lim = 0;

	(void)get_str(l, "SANDGATE_DOCKER_CERT_PATH", STR_ABSPATH,
	    c->docker_cert_path, sizeof(c->docker_cert_path));
	if (get_int64(l, "SANDGATE_DOCKER_HOST_LIMIT", 0, 1000000, &lim) ==
	    SG_OK)
		c->docker_host_limit = (long)lim;
	if (get_str(l, "SANDGATE_DOCKER_HOSTS", STR_WORD, c->docker_hosts,
	    sizeof(c->docker_hosts)) != SG_OK || c->docker_hosts[0] == '\0')
		return;
	if (sg_engines_check(c->docker_hosts, &n, why, sizeof(why)) == -1)
		(void)bad(l, "SANDGATE_DOCKER_HOSTS", why);
	else if (env(l, "SANDGATE_DOCKER_SOCKET") != NULL)
		(void)bad(l, "SANDGATE_DOCKER_HOSTS", "set it or "
		    "SANDGATE_DOCKER_SOCKET, not both (a unix socket is an "
		    "entry name=unix:///path)");
}

static void
load_strings(struct ld *l, struct sg_cfg *c)
{
	(void)get_str(l, "SANDGATE_ISSUER", STR_TEXT, c->issuer,
	    SG_ISS_MAX + 1);
	(void)get_str(l, "SANDGATE_SIGNING_KEY", STR_TEXT, c->signing_key,
	    sizeof(c->signing_key));
	(void)get_str(l, "SANDGATE_VERIFY_KEYS", STR_TEXT, c->verify_keys,
	    sizeof(c->verify_keys));
	(void)get_str(l, "SANDGATE_OPERATOR_KEYS", STR_TEXT, c->operator_keys,
	    sizeof(c->operator_keys));
	(void)get_str(l, "SANDGATE_OPERATOR_SIGNING_KEY", STR_TEXT,
	    c->operator_signing_key, sizeof(c->operator_signing_key));
	if (get_str(l, "SANDGATE_REDIS", STR_WORD, c->redis,
	    sizeof(c->redis)) == SG_OK &&
	    strncmp(c->redis, "redis://", 8) != 0 &&
	    strncmp(c->redis, "sentinel://", 11) != 0 &&
	    strncmp(c->redis, "unix:", 5) != 0)
		(void)bad(l, "SANDGATE_REDIS",
		    "must start with redis://, sentinel:// or unix:");
	(void)get_str(l, "SANDGATE_DOCKER_SOCKET", STR_ABSPATH,
	    c->docker_socket, sizeof(c->docker_socket));
	load_engines(l, c);
	(void)get_str(l, "SANDGATE_RUNTIME", STR_NAME, c->runtime,
	    sizeof(c->runtime));
	(void)get_str(l, "SANDGATE_IMAGE", STR_WORD, c->image,
	    sizeof(c->image));
	(void)get_str(l, "SANDGATE_IMAGES", STR_WORD, c->images,
	    sizeof(c->images));
	(void)get_str(l, "SANDGATE_NETWORK", STR_NAME, c->network,
	    sizeof(c->network));
	if (get_str(l, "SANDGATE_PROXY_URL", STR_WORD, c->proxy_url,
	    sizeof(c->proxy_url)) == SG_OK) {
		if (strncmp(c->proxy_url, "http://", 7) != 0 &&
		    strncmp(c->proxy_url, "https://", 8) != 0)
			(void)bad(l, "SANDGATE_PROXY_URL",
			    "must start with http:// or https://");
		else if (!sg_cfg_proxy_host_is_ip(c->proxy_url))
			(void)bad(l, "SANDGATE_PROXY_URL", "the host must be "
			    "an IP address, not a name: a sandbox has no DNS");
	}
	(void)get_str(l, "SANDGATE_DATA_ROOT", STR_ABSPATH, c->data_root,
	    sizeof(c->data_root));
	(void)get_str(l, "SANDGATE_SOCKET", STR_WORD, c->socket,
	    sizeof(c->socket));
	(void)get_str(l, "SANDGATE_DNS_SERVERS", STR_WORD, c->dns_servers,
	    sizeof(c->dns_servers));
	if (get_str(l, "SANDGATE_TMPFS_SIZE", STR_WORD, c->tmpfs_size,
	    sizeof(c->tmpfs_size)) == SG_OK &&
	    !tmpfs_size_valid(c->tmpfs_size))
		(void)bad(l, "SANDGATE_TMPFS_SIZE",
		    "not a size like 1G or 512m");
	(void)get_str(l, "SANDGATE_SECRET_KEYS", STR_TEXT, c->secret_keys,
	    sizeof(c->secret_keys));
	(void)get_str(l, "SANDGATE_BROKER_CA_FILE", STR_ABSPATH,
	    c->broker_ca_file, sizeof(c->broker_ca_file));
	(void)get_str(l, "SANDGATE_METRICS_DIR", STR_ABSPATH, c->metrics_dir,
	    sizeof(c->metrics_dir) - 32);
	/* The gateway's loopback scrape listener (docs/operations.md). */
	(void)get_int64(l, "SANDGATE_METRICS_PORT", 0, 65535, &c->metrics_port);
}

static void
load_numbers(struct ld *l, struct sg_cfg *c)
{
	enum sg_rc	 ttl_rc, max_rc;

	(void)get_int64(l, "SANDGATE_LEEWAY", 0, 3600, &c->leeway);
	max_rc = get_int64(l, "SANDGATE_TOKEN_MAX_TTL", 1, MAX_TTL_MAX,
	    &c->token_max_ttl);
	ttl_rc = get_int64(l, "SANDGATE_TOKEN_TTL", 1, MAX_TTL_MAX,
	    &c->token_ttl);
	(void)get_int(l, "SANDGATE_REDIS_TIMEOUT_MS", 1, 60000,
	    &c->redis_timeout_ms);
	(void)get_int(l, "SANDGATE_REDIS_WAIT_REPLICAS", 0, 16,
	    &c->redis_wait_replicas);
	/* WAIT blocks the connection: it must end before our read timeout. */
	if (get_int(l, "SANDGATE_REDIS_WAIT_MS", 1, 10000,
	    &c->redis_wait_ms) == SG_OK && c->redis_wait_replicas > 0 &&
	    c->redis_wait_ms >= c->redis_timeout_ms)
		(void)bad(l, "SANDGATE_REDIS_WAIT_MS",
		    "must be below SANDGATE_REDIS_TIMEOUT_MS");
	(void)get_int64(l, "SANDGATE_SESSION_CACHE_MS", 0, 60000,
	    &c->session_cache_ms);
	(void)get_int(l, "SANDGATE_MAX_SANDBOXES_PER_USER", 1, 100000,
	    &c->max_per_user);
	(void)get_int64(l, "SANDGATE_PIDS_LIMIT", 1, 4194304, &c->pids_limit);
	/*
	 * Under gVisor the pids cgroup holds the sandbox's own host threads
	 * too (the Sentry, the gofer, ptrace's tracer threads): measured, an
	 * idle sandbox takes 49 of them and fifty short processes inside
	 * take it to about 600, and at the limit the whole sandbox exits.
	 * So 100 is a runc figure; gVisor's default is SG_PIDS_LIMIT_GVISOR,
	 * still a bound for the host against a fork bomb.
	 */
	if (env(l, "SANDGATE_PIDS_LIMIT") == NULL &&
	    strncmp(c->runtime, "runsc", 5) == 0)
		c->pids_limit = SG_PIDS_LIMIT_GVISOR;
	(void)get_int(l, "SANDGATE_DOCKER_TIMEOUT", 1, 3600,
	    &c->docker_timeout_s);
	(void)get_int(l, "SANDGATE_FCGI_TIMEOUT_MS", 100, 600000,
	    &c->fcgi_timeout_ms);
	(void)get_int(l, "SANDGATE_FCGI_CONNS", 1, 256, &c->fcgi_conns);
	(void)get_int(l, "SANDGATE_WORKERS", 1, SG_CFG_WORKERS_MAX, &c->workers);
	/* The pool's workers share the socket the manager inherited. */
	if (c->workers > 1 && c->socket[0] != '\0')
		(void)bad(l, "SANDGATE_WORKERS", "more than 1 needs the "
		    "socket on fd 0 (a socket unit, spawn-fcgi -n), not "
		    "SANDGATE_SOCKET");
	(void)get_int(l, "SANDGATE_DNS_TIMEOUT_MS", 100, 30000,
	    &c->dns_timeout_ms);
	(void)get_int(l, "SANDGATE_LOG_RATE", 0, 100000, &c->log_rate);
	(void)get_int64(l, "SANDGATE_AUDIT_MAXLEN", 0, 100000000,
	    &c->audit_maxlen);
	/* The default budget of a sandbox whose create names none. */
	(void)get_int64(l, "SANDGATE_BUDGET_REQUESTS", 0,
	    SG_BUDGET_MAX_REQUESTS, &c->budget_requests);
	if (ttl_rc == SG_OK && max_rc == SG_OK &&
	    c->token_ttl > c->token_max_ttl) {
		/* A lowered maximum lowers the default lifetime with it. */
		if (env(l, "SANDGATE_TOKEN_TTL") != NULL)
			(void)bad(l, "SANDGATE_TOKEN_TTL",
			    "larger than SANDGATE_TOKEN_MAX_TTL");
		else
			c->token_ttl = c->token_max_ttl;
	}
}

static void
load_other(struct ld *l, struct sg_cfg *c)
{
	static const char *const failure[] = { "closed", "open", NULL };
	static const char *const mode[] = { "enforce", "report", NULL };
	/* The enum sg_log_level follows the order of level[]. */
	static const char *const level[] = { "debug", "info", "warn",
	    "error", NULL };
	const char	*v;

	(void)get_bool(l, "SANDGATE_EGRESS_DENY_PRIVATE", &c->deny_private);
	(void)get_bool(l, "SANDGATE_ACCEPT_NO_AUD", &c->accept_no_aud);
	(void)get_enum(l, "SANDGATE_REDIS_FAILURE", failure,
	    &c->redis_fail_open);
	(void)get_enum(l, "SANDGATE_EGRESS_MODE", mode, &c->report_mode);
	(void)get_enum(l, "SANDGATE_LOG_LEVEL", level, &c->log_level);
	if ((v = env(l, "SANDGATE_EGRESS_PORTS")) != NULL &&
	    (strlen(v) > 6 * SG_PORTS_MAX ||
	    sg_ports_parse(v, &c->egress_ports, NULL) != SG_OK ||
	    c->egress_ports.n == 0)) {
		c->egress_ports.n = 2;
		c->egress_ports.v[0] = 80;
		c->egress_ports.v[1] = 443;
		(void)bad(l, "SANDGATE_EGRESS_PORTS",
		    "not a list of ports like 80,443");
	}
	if ((v = env(l, "SANDGATE_MEMORY")) != NULL &&
	    parse_size(v, MEMORY_MIN, MEMORY_MAX, &c->memory_bytes) == -1)
		(void)bad(l, "SANDGATE_MEMORY",
		    "not a size like 4g or 512m (6m at least)");
	if ((v = env(l, "SANDGATE_CPUS")) != NULL &&
	    parse_cpus(v, &c->nano_cpus) == -1)
		(void)bad(l, "SANDGATE_CPUS",
		    "not a CPU count like 2 or 0.5 (0.01 to 1024)");
}

/*
 * SANDGATE_* names read outside this file, which the configuration
 * knows all the same: the Redis credentials (lib/redis-creds.c reads
 * them so they are never copied into struct sg_cfg), the listening
 * socket's mode (lib/serve.c), the runsc path of deploy/gvisor/register.
 */
static const char *const other_names[] = {
	"SANDGATE_REDIS_PASSWORD", "SANDGATE_REDIS_PASSWORD_FILE",
	"SANDGATE_REDIS_USER", "SANDGATE_SOCKET_MODE",
	"SANDGATE_RUNSC", NULL
};

/* Levenshtein distance of a and b, capped at SG_CFG_NAME (cheap). */
static size_t
distance(const char *a, const char *b)
{
	size_t	 row[SG_CFG_NAME + 1], la = strlen(a), lb = strlen(b);
	size_t	 i, j, diag, up, best;

	if (la > SG_CFG_NAME || lb > SG_CFG_NAME)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		diag = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			up = row[j];
			best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

static int
known(const struct ld *l, const char *name)
{
	size_t	 i;

	for (i = 0; i < l->nseen; i++)
		if (strcmp(l->seen[i], name) == 0)
			return 1;
	for (i = 0; other_names[i] != NULL; i++)
		if (strcmp(other_names[i], name) == 0)
			return 1;
	return 0;
}

/* The known name nearest to name, if near enough to be a typo. */
static const char *
closest(const struct ld *l, const char *name)
{
	const char	*best = NULL, *k;
	size_t		 i, d, bestd = 4, n;

	n = l->nseen;
	for (i = 0; i < n + sizeof(other_names) / sizeof(other_names[0]) - 1;
	    i++) {
		k = i < n ? l->seen[i] : other_names[i - n];
		if ((d = distance(name, k)) < bestd) {
			bestd = d;
			best = k;
		}
	}
	return best;
}

/* A warning for every SANDGATE_* variable the configuration does not know. */
static void
unknown_names(struct ld *l)
{
	struct sg_cfg_warn	*w;
	const char		*k;
	char			 name[SG_CFG_NAME + 1];
	char			**e;
	size_t			 n;

	if (l->rep == NULL)
		return;
	for (e = environ; *e != NULL; e++) {
		if (strncmp(*e, "SANDGATE_", 9) != 0)
			continue;
		n = strcspn(*e, "=");
		if (n > SG_CFG_NAME)
			n = SG_CFG_NAME;	/* cut, still named */
		memcpy(name, *e, n);
		name[n] = '\0';
		if (known(l, name))
			continue;
		if (l->rep->nwarn < SG_CFG_REPORT_MAX) {
			w = &l->rep->warn[l->rep->nwarn];
			(void)strlcpy(w->name, name, sizeof(w->name));
			k = closest(l, name);
			(void)strlcpy(w->closest, k != NULL ? k : "",
			    sizeof(w->closest));
		}
		l->rep->nwarn++;
	}
}

enum sg_rc
sg_cfg_check(struct sg_cfg *c, struct sg_cfg_report *rep, struct sg_err *err)
{
	struct ld	 l;

	memset(&l, 0, sizeof(l));
	l.err = err;
	l.rep = rep;
	if (rep != NULL)
		memset(rep, 0, sizeof(*rep));
	sg_cfg_defaults(c);
	load_strings(&l, c);
	load_numbers(&l, c);
	load_other(&l, c);
	unknown_names(&l);
	return l.nerr == 0 ? SG_OK : SG_EINVAL;
}

enum sg_rc
sg_cfg_load(struct sg_cfg *c, struct sg_err *err)
{
	return sg_cfg_check(c, NULL, err);
}

void
sg_cfg_report_print(FILE *f, const char *prog, const struct sg_cfg_report *r)
{
	size_t	 i;

	for (i = 0; i < r->nerr && i < SG_CFG_REPORT_MAX; i++)
		fprintf(f, "%s: error: %s\n", prog, r->err[i]);
	if (r->nerr > SG_CFG_REPORT_MAX)
		fprintf(f, "%s: error: %zu more\n", prog,
		    r->nerr - SG_CFG_REPORT_MAX);
	for (i = 0; i < r->nwarn && i < SG_CFG_REPORT_MAX; i++) {
		if (r->warn[i].closest[0] != '\0')
			fprintf(f, "%s: warning: %s is not a sandgate "
			    "variable (did you mean %s?)\n", prog,
			    r->warn[i].name, r->warn[i].closest);
		else
			fprintf(f, "%s: warning: %s is not a sandgate "
			    "variable\n", prog, r->warn[i].name);
	}
	if (r->nwarn > SG_CFG_REPORT_MAX)
		fprintf(f, "%s: warning: %zu more unknown SANDGATE_* "
		    "variables\n", prog, r->nwarn - SG_CFG_REPORT_MAX);
}
