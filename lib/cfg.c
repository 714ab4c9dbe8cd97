/*
 * Configuration from SANDGATE_* environment variables (lib/cfg.h;
 * docs/contract.md §8).
 *
 * Every value is checked completely: integers are decimal digits only,
 * parsed by sg_num_parse and range-checked (no atoi, no sign, no spaces,
 * no suffix garbage), booleans are "0" or "1", enumerations are the listed
 * words, and strings that do not fit are refused rather than truncated.
 * An empty value means the default.  The first bad variable wins and is
 * named in the error (SG_EINVAL "bad_config").
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "log.h"
#include "num.h"
#include "claims.h"
#include "compat.h"
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

static enum sg_rc
bad(struct sg_err *err, const char *var, const char *why)
{
	return sg_err_set(err, SG_EINVAL, "bad_config", "%s: %s", var, why);
}

/* The value of var, or NULL when unset or empty (the default applies). */
static const char *
env(const char *var)
{
	const char	*v;

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
get_str(const char *var, enum str_kind kind, char *dst, size_t size,
    struct sg_err *err)
{
	const char	*v;

	if ((v = env(var)) == NULL)
		return SG_OK;
	if (strlen(v) >= size)
		return bad(err, var, "value too long");
	if (!sg_str_printable(v))
		return bad(err, var, "control characters in the value");
	switch (kind) {
	case STR_TEXT:
		break;
	case STR_WORD:
		if (has_space_or_ctl(v))
			return bad(err, var, "whitespace in the value");
		break;
	case STR_NAME:
		if (!is_name(v))
			return bad(err, var, "not a name of [A-Za-z0-9_.-]");
		break;
	case STR_ABSPATH:
		if (v[0] != '/' || has_space_or_ctl(v))
			return bad(err, var, "not an absolute path");
		break;
	}
	(void)strlcpy(dst, v, size);
	return SG_OK;
}

static enum sg_rc
get_int64(const char *var, int64_t min, int64_t max, int64_t *out,
    struct sg_err *err)
{
	const char	*v;
	char		 why[64];

	if ((v = env(var)) == NULL)
		return SG_OK;
	if (sg_num_parse(v, min, max, out) == -1) {
		(void)snprintf(why, sizeof(why), "not an integer in %lld..%lld",
		    (long long)min, (long long)max);
		return bad(err, var, why);
	}
	return SG_OK;
}

static enum sg_rc
get_int(const char *var, int min, int max, int *out, struct sg_err *err)
{
	int64_t		 v = *out;
	enum sg_rc	 rc;

	if ((rc = get_int64(var, min, max, &v, err)) == SG_OK)
		*out = (int)v;
	return rc;
}

static enum sg_rc
get_bool(const char *var, int *out, struct sg_err *err)
{
	const char	*v;

	if ((v = env(var)) == NULL)
		return SG_OK;
	if (strcmp(v, "0") == 0)
		*out = 0;
	else if (strcmp(v, "1") == 0)
		*out = 1;
	else
		return bad(err, var, "must be 0 or 1");
	return SG_OK;
}

/* One of the words; *out is its index. */
static enum sg_rc
get_enum(const char *var, const char *const *words, int *out,
    struct sg_err *err)
{
	const char	*v;
	int		 i;

	if ((v = env(var)) == NULL)
		return SG_OK;
	for (i = 0; words[i] != NULL; i++)
		if (strcmp(v, words[i]) == 0) {
			*out = i;
			return SG_OK;
		}
	return bad(err, var, "not one of the allowed words");
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
	(void)strlcpy(c->docker_socket, "/var/run/docker.sock",
	    sizeof(c->docker_socket));
	(void)strlcpy(c->runtime, "runsc", sizeof(c->runtime));
	(void)strlcpy(c->image, "sandgate-sandbox:latest", sizeof(c->image));
	(void)strlcpy(c->network, "sandgate-egress", sizeof(c->network));
	(void)strlcpy(c->proxy_url, "http://sandgate-proxy:8443",
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
	c->dns_timeout_ms = 2000;
	c->audit_maxlen = 100000;
}

static enum sg_rc
load_strings(struct sg_cfg *c, struct sg_err *err)
{
	enum sg_rc	 rc;

	if ((rc = get_str("SANDGATE_ISSUER", STR_TEXT, c->issuer,
	    SG_ISS_MAX + 1, err)) != SG_OK ||
	    (rc = get_str("SANDGATE_SIGNING_KEY", STR_TEXT, c->signing_key,
	    sizeof(c->signing_key), err)) != SG_OK ||
	    (rc = get_str("SANDGATE_VERIFY_KEYS", STR_TEXT, c->verify_keys,
	    sizeof(c->verify_keys), err)) != SG_OK ||
	    (rc = get_str("SANDGATE_REDIS", STR_WORD, c->redis,
	    sizeof(c->redis), err)) != SG_OK ||
	    (rc = get_str("SANDGATE_DOCKER_SOCKET", STR_ABSPATH,
	    c->docker_socket, sizeof(c->docker_socket), err)) != SG_OK ||
	    (rc = get_str("SANDGATE_RUNTIME", STR_NAME, c->runtime,
	    sizeof(c->runtime), err)) != SG_OK ||
	    (rc = get_str("SANDGATE_IMAGE", STR_WORD, c->image,
	    sizeof(c->image), err)) != SG_OK ||
	    (rc = get_str("SANDGATE_IMAGES", STR_WORD, c->images,
	    sizeof(c->images), err)) != SG_OK ||
	    (rc = get_str("SANDGATE_NETWORK", STR_NAME, c->network,
	    sizeof(c->network), err)) != SG_OK ||
	    (rc = get_str("SANDGATE_PROXY_URL", STR_WORD, c->proxy_url,
	    sizeof(c->proxy_url), err)) != SG_OK ||
	    (rc = get_str("SANDGATE_DATA_ROOT", STR_ABSPATH, c->data_root,
	    sizeof(c->data_root), err)) != SG_OK ||
	    (rc = get_str("SANDGATE_SOCKET", STR_WORD, c->socket,
	    sizeof(c->socket), err)) != SG_OK ||
	    (rc = get_str("SANDGATE_DNS_SERVERS", STR_WORD, c->dns_servers,
	    sizeof(c->dns_servers), err)) != SG_OK ||
	    (rc = get_str("SANDGATE_TMPFS_SIZE", STR_WORD, c->tmpfs_size,
	    sizeof(c->tmpfs_size), err)) != SG_OK ||
	    (rc = get_str("SANDGATE_METRICS_DIR", STR_ABSPATH, c->metrics_dir,
	    sizeof(c->metrics_dir) - 32, err)) != SG_OK)
		return rc;
	if (strncmp(c->redis, "redis://", 8) != 0 &&
	    strncmp(c->redis, "unix:", 5) != 0)
		return bad(err, "SANDGATE_REDIS",
		    "must start with redis:// or unix:");
	if (strncmp(c->proxy_url, "http://", 7) != 0 &&
	    strncmp(c->proxy_url, "https://", 8) != 0)
		return bad(err, "SANDGATE_PROXY_URL",
		    "must start with http:// or https://");
	if (!tmpfs_size_valid(c->tmpfs_size))
		return bad(err, "SANDGATE_TMPFS_SIZE",
		    "not a size like 1G or 512m");
	return SG_OK;
}

static enum sg_rc
load_numbers(struct sg_cfg *c, struct sg_err *err)
{
	enum sg_rc	 rc;

	if ((rc = get_int64("SANDGATE_LEEWAY", 0, 3600, &c->leeway,
	    err)) != SG_OK ||
	    (rc = get_int64("SANDGATE_TOKEN_MAX_TTL", 1, MAX_TTL_MAX,
	    &c->token_max_ttl, err)) != SG_OK ||
	    (rc = get_int64("SANDGATE_TOKEN_TTL", 1, MAX_TTL_MAX,
	    &c->token_ttl, err)) != SG_OK ||
	    (rc = get_int("SANDGATE_REDIS_TIMEOUT_MS", 1, 60000,
	    &c->redis_timeout_ms, err)) != SG_OK ||
	    (rc = get_int64("SANDGATE_SESSION_CACHE_MS", 0, 60000,
	    &c->session_cache_ms, err)) != SG_OK ||
	    (rc = get_int("SANDGATE_MAX_SANDBOXES_PER_USER", 1, 100000,
	    &c->max_per_user, err)) != SG_OK ||
	    (rc = get_int64("SANDGATE_PIDS_LIMIT", 1, 4194304,
	    &c->pids_limit, err)) != SG_OK ||
	    (rc = get_int("SANDGATE_DOCKER_TIMEOUT", 1, 3600,
	    &c->docker_timeout_s, err)) != SG_OK ||
	    (rc = get_int("SANDGATE_FCGI_TIMEOUT_MS", 100, 600000,
	    &c->fcgi_timeout_ms, err)) != SG_OK ||
	    (rc = get_int("SANDGATE_DNS_TIMEOUT_MS", 100, 30000,
	    &c->dns_timeout_ms, err)) != SG_OK ||
	    (rc = get_int("SANDGATE_LOG_RATE", 0, 100000, &c->log_rate,
	    err)) != SG_OK ||
	    (rc = get_int64("SANDGATE_AUDIT_MAXLEN", 0, 100000000,
	    &c->audit_maxlen, err)) != SG_OK)
		return rc;
	if (c->token_ttl > c->token_max_ttl) {
		/* A lowered maximum lowers the default lifetime with it. */
		if (env("SANDGATE_TOKEN_TTL") != NULL)
			return bad(err, "SANDGATE_TOKEN_TTL",
			    "larger than SANDGATE_TOKEN_MAX_TTL");
		c->token_ttl = c->token_max_ttl;
	}
	return SG_OK;
}

enum sg_rc
sg_cfg_load(struct sg_cfg *c, struct sg_err *err)
{
	static const char *const failure[] = { "closed", "open", NULL };
	static const char *const mode[] = { "enforce", "report", NULL };
	static const char *const level[] = { "debug", "info", "warn",
	    "error", NULL };
	const char	*v;
	enum sg_rc	 rc;

	sg_cfg_defaults(c);
	if ((rc = load_strings(c, err)) != SG_OK ||
	    (rc = load_numbers(c, err)) != SG_OK ||
	    (rc = get_bool("SANDGATE_EGRESS_DENY_PRIVATE", &c->deny_private,
	    err)) != SG_OK ||
	    (rc = get_bool("SANDGATE_ACCEPT_NO_AUD", &c->accept_no_aud,
	    err)) != SG_OK ||
	    (rc = get_enum("SANDGATE_REDIS_FAILURE", failure,
	    &c->redis_fail_open, err)) != SG_OK ||
	    (rc = get_enum("SANDGATE_EGRESS_MODE", mode, &c->report_mode,
	    err)) != SG_OK ||
	    (rc = get_enum("SANDGATE_LOG_LEVEL", level, &c->log_level,
	    err)) != SG_OK)
		return rc;
	/* The enum sg_log_level follows the order of level[]. */
	if ((v = env("SANDGATE_EGRESS_PORTS")) != NULL &&
	    (strlen(v) > 6 * SG_PORTS_MAX ||
	    sg_ports_parse(v, &c->egress_ports, NULL) != SG_OK ||
	    c->egress_ports.n == 0))
		return bad(err, "SANDGATE_EGRESS_PORTS",
		    "not a list of ports like 80,443");
	if ((v = env("SANDGATE_MEMORY")) != NULL &&
	    parse_size(v, MEMORY_MIN, MEMORY_MAX, &c->memory_bytes) == -1)
		return bad(err, "SANDGATE_MEMORY",
		    "not a size like 4g or 512m (6m at least)");
	if ((v = env("SANDGATE_CPUS")) != NULL &&
	    parse_cpus(v, &c->nano_cpus) == -1)
		return bad(err, "SANDGATE_CPUS",
		    "not a CPU count like 2 or 0.5 (0.01 to 1024)");
	return SG_OK;
}
