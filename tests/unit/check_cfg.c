/* SPDX-License-Identifier: ISC */
/*
 * Configuration (lib/cfg.c): the defaults of docs/contract.md §8, every
 * variable parsed strictly, and every bad value named in the error; the
 * report of --check-config (every error at once, misspelled names with
 * the known name they are closest to).
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "log.h"

extern char	**environ;

/* Start each test with no SANDGATE_* variable set. */
static void
setup(void)
{
	char	 name[256];
	char	**e;
	size_t	 n;

again:
	for (e = environ; *e != NULL; e++)
		if (strncmp(*e, "SANDGATE_", 9) == 0) {
			n = strcspn(*e, "=");
			ck_assert_uint_lt(n, sizeof(name));
			memcpy(name, *e, n);
			name[n] = '\0';
			unsetenv(name);
			goto again;
		}
}

static struct sg_cfg	 cfg;

/* Load with var=value; "ok" or the error message. */
static const char *
load_with(const char *var, const char *value)
{
	static char	 msg[256];
	struct sg_err	 err;

	setup();
	if (var != NULL)
		ck_assert_int_eq(setenv(var, value, 1), 0);
	sg_err_clear(&err);
	if (sg_cfg_load(&cfg, &err) == SG_OK) {
		ck_assert_int_eq(err.rc, SG_OK);
		return "ok";
	}
	ck_assert_int_eq(err.rc, SG_EINVAL);
	ck_assert_str_eq(err.code, "bad_config");
	snprintf(msg, sizeof(msg), "%s", err.msg);
	return msg;
}

/* The message starts with "VAR: ". */
static int
names(const char *msg, const char *var)
{
	size_t	 n = strlen(var);

	return strncmp(msg, var, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ';
}

#define BAD(var, value) do {						\
	const char *m_ = load_with((var), (value));			\
	ck_assert_msg(names(m_, (var)), "%s=\"%s\": got \"%s\"",	\
	    (var), (value), m_);					\
} while (0)
#define GOOD(var, value) do {						\
	const char *m_ = load_with((var), (value));			\
	ck_assert_msg(strcmp(m_, "ok") == 0, "%s=\"%s\": got \"%s\"",	\
	    (var), (value), m_);					\
} while (0)

START_TEST(defaults)
{
	ck_assert_str_eq(load_with(NULL, NULL), "ok");
	ck_assert_str_eq(cfg.issuer, "sandgate");
	ck_assert_str_eq(cfg.signing_key, "");
	ck_assert_str_eq(cfg.verify_keys, "");
	ck_assert_int_eq(cfg.leeway, 30);
	ck_assert_int_eq(cfg.token_ttl, 14400);
	ck_assert_int_eq(cfg.token_max_ttl, 86400);
	ck_assert_str_eq(cfg.redis, "redis://127.0.0.1:6379/0");
	ck_assert_int_eq(cfg.redis_timeout_ms, 500);
	ck_assert_int_eq(cfg.redis_fail_open, 0);
	ck_assert_str_eq(cfg.docker_socket, "/var/run/docker.sock");
	ck_assert_str_eq(cfg.runtime, "runsc");
	ck_assert_str_eq(cfg.image, "sandgate-sandbox:latest");
	ck_assert_str_eq(cfg.images, "");
	ck_assert_str_eq(cfg.network, "sandgate-egress");
	/* An IP literal: a sandbox has no DNS to resolve a name. */
	ck_assert_str_eq(cfg.proxy_url, "http://172.30.99.1:8443");
	ck_assert_str_eq(cfg.data_root, "/var/lib/sandgate");
	ck_assert_uint_eq(cfg.egress_ports.n, 2);
	ck_assert_uint_eq(cfg.egress_ports.v[0], 80);
	ck_assert_uint_eq(cfg.egress_ports.v[1], 443);
	ck_assert_int_eq(cfg.deny_private, 1);
	ck_assert_int_eq(cfg.accept_no_aud, 0);
	ck_assert_int_eq(cfg.session_cache_ms, 1000);
	ck_assert_int_eq(cfg.report_mode, 0);
	ck_assert_int_eq(cfg.max_per_user, 10);
	ck_assert_int_eq(cfg.log_level, SG_LOG_INFO);
	ck_assert_str_eq(cfg.socket, "");
	ck_assert_int_eq(cfg.memory_bytes, INT64_C(4) << 30);
	ck_assert_int_eq(cfg.nano_cpus, INT64_C(2000000000));
	/* the default runtime is runsc: its own threads count (cfg.c) */
	ck_assert_int_eq(cfg.pids_limit, SG_PIDS_LIMIT_GVISOR);
	ck_assert_str_eq(cfg.tmpfs_size, "1G");
	ck_assert_int_eq(cfg.docker_timeout_s, 30);
	ck_assert_int_eq(cfg.fcgi_timeout_ms, 5000);
	ck_assert_int_eq(cfg.fcgi_conns, 0);
	ck_assert_int_eq(cfg.log_rate, 50);
	ck_assert_int_eq(cfg.dns_timeout_ms, 2000);
	ck_assert_str_eq(cfg.dns_servers, "");
	ck_assert_str_eq(cfg.metrics_dir, "");
	ck_assert_int_eq(cfg.audit_maxlen, 100000);
}
END_TEST

/* An empty value is the default, not an error. */
START_TEST(empty_is_default)
{
	GOOD("SANDGATE_LEEWAY", "");
	ck_assert_int_eq(cfg.leeway, 30);
	GOOD("SANDGATE_ISSUER", "");
	ck_assert_str_eq(cfg.issuer, "sandgate");
	GOOD("SANDGATE_MEMORY", "");
	ck_assert_int_eq(cfg.memory_bytes, INT64_C(4) << 30);
}
END_TEST

START_TEST(good_values)
{
	GOOD("SANDGATE_ISSUER", "https://sandgate.example/issuer one");
	ck_assert_str_eq(cfg.issuer, "https://sandgate.example/issuer one");
	GOOD("SANDGATE_SIGNING_KEY", "/etc/sandgate/private key.pem");
	ck_assert_str_eq(cfg.signing_key, "/etc/sandgate/private key.pem");
	GOOD("SANDGATE_VERIFY_KEYS", "/a.pem,/b.json");
	ck_assert_str_eq(cfg.verify_keys, "/a.pem,/b.json");
	GOOD("SANDGATE_LEEWAY", "0");
	ck_assert_int_eq(cfg.leeway, 0);
	GOOD("SANDGATE_LEEWAY", "3600");
	ck_assert_int_eq(cfg.leeway, 3600);
	GOOD("SANDGATE_TOKEN_TTL", "86400");
	ck_assert_int_eq(cfg.token_ttl, 86400);
	GOOD("SANDGATE_TOKEN_MAX_TTL", "14400");
	ck_assert_int_eq(cfg.token_max_ttl, 14400);
	GOOD("SANDGATE_REDIS", "unix:/run/redis.sock");
	ck_assert_str_eq(cfg.redis, "unix:/run/redis.sock");
	GOOD("SANDGATE_REDIS", "redis://10.0.0.1:6380/2");
	GOOD("SANDGATE_REDIS", "sentinel://10.0.0.1,10.0.0.2:26380/sg/1");
	GOOD("SANDGATE_REDIS_WAIT_REPLICAS", "2");
	ck_assert_int_eq(cfg.redis_wait_replicas, 2);
	GOOD("SANDGATE_REDIS_WAIT_MS", "250");
	GOOD("SANDGATE_REDIS_TIMEOUT_MS", "1");
	ck_assert_int_eq(cfg.redis_timeout_ms, 1);
	GOOD("SANDGATE_REDIS_FAILURE", "open");
	ck_assert_int_eq(cfg.redis_fail_open, 1);
	GOOD("SANDGATE_REDIS_FAILURE", "closed");
	ck_assert_int_eq(cfg.redis_fail_open, 0);
	GOOD("SANDGATE_DOCKER_SOCKET", "/run/docker.sock");
	ck_assert_str_eq(cfg.docker_socket, "/run/docker.sock");
	GOOD("SANDGATE_RUNTIME", "runc");
	ck_assert_str_eq(cfg.runtime, "runc");
	/* runc: the contract's 100; a runsc variant keeps gVisor's default */
	ck_assert_int_eq(cfg.pids_limit, 100);
	GOOD("SANDGATE_RUNTIME", "runsc-kvm");
	ck_assert_int_eq(cfg.pids_limit, SG_PIDS_LIMIT_GVISOR);
	GOOD("SANDGATE_IMAGE", "registry.example:5000/sandbox@sha256:ab");
	GOOD("SANDGATE_IMAGES", "a:1,b:2");
	ck_assert_str_eq(cfg.images, "a:1,b:2");
	GOOD("SANDGATE_NETWORK", "sg-net_1.x");
	ck_assert_str_eq(cfg.network, "sg-net_1.x");
	GOOD("SANDGATE_PROXY_URL", "http://172.30.0.1:8443");
	ck_assert_str_eq(cfg.proxy_url, "http://172.30.0.1:8443");
	GOOD("SANDGATE_DATA_ROOT", "/srv/sandgate");
	ck_assert_str_eq(cfg.data_root, "/srv/sandgate");
	GOOD("SANDGATE_EGRESS_PORTS", "443");
	ck_assert_uint_eq(cfg.egress_ports.n, 1);
	ck_assert_uint_eq(cfg.egress_ports.v[0], 443);
	GOOD("SANDGATE_EGRESS_PORTS", "80,443,8443");
	ck_assert_uint_eq(cfg.egress_ports.n, 3);
	GOOD("SANDGATE_EGRESS_DENY_PRIVATE", "0");
	ck_assert_int_eq(cfg.deny_private, 0);
	GOOD("SANDGATE_ACCEPT_NO_AUD", "1");
	ck_assert_int_eq(cfg.accept_no_aud, 1);
	GOOD("SANDGATE_SESSION_CACHE_MS", "0");
	ck_assert_int_eq(cfg.session_cache_ms, 0);
	GOOD("SANDGATE_EGRESS_MODE", "report");
	ck_assert_int_eq(cfg.report_mode, 1);
	GOOD("SANDGATE_EGRESS_MODE", "enforce");
	ck_assert_int_eq(cfg.report_mode, 0);
	GOOD("SANDGATE_MAX_SANDBOXES_PER_USER", "3");
	ck_assert_int_eq(cfg.max_per_user, 3);
	GOOD("SANDGATE_LOG_LEVEL", "debug");
	ck_assert_int_eq(cfg.log_level, SG_LOG_DEBUG);
	GOOD("SANDGATE_LOG_LEVEL", "warn");
	ck_assert_int_eq(cfg.log_level, SG_LOG_WARN);
	GOOD("SANDGATE_LOG_LEVEL", "error");
	ck_assert_int_eq(cfg.log_level, SG_LOG_ERROR);
	GOOD("SANDGATE_SOCKET", "127.0.0.1:9000");
	ck_assert_str_eq(cfg.socket, "127.0.0.1:9000");
	GOOD("SANDGATE_SOCKET", "/run/sandgate/verify.sock");
	GOOD("SANDGATE_PIDS_LIMIT", "4096");
	ck_assert_int_eq(cfg.pids_limit, 4096);
	GOOD("SANDGATE_TMPFS_SIZE", "512m");
	ck_assert_str_eq(cfg.tmpfs_size, "512m");
	GOOD("SANDGATE_DOCKER_TIMEOUT", "60");
	ck_assert_int_eq(cfg.docker_timeout_s, 60);
	GOOD("SANDGATE_LOG_RATE", "0");
	ck_assert_int_eq(cfg.log_rate, 0);
	GOOD("SANDGATE_LOG_RATE", "100000");
	ck_assert_int_eq(cfg.log_rate, 100000);
	GOOD("SANDGATE_DNS_TIMEOUT_MS", "100");
	ck_assert_int_eq(cfg.dns_timeout_ms, 100);
	GOOD("SANDGATE_DNS_SERVERS", "127.0.0.1:5353,[::1]:53");
	ck_assert_str_eq(cfg.dns_servers, "127.0.0.1:5353,[::1]:53");
	GOOD("SANDGATE_FCGI_TIMEOUT_MS", "250");
	ck_assert_int_eq(cfg.fcgi_timeout_ms, 250);
	GOOD("SANDGATE_FCGI_CONNS", "1");
	ck_assert_int_eq(cfg.fcgi_conns, 1);
	GOOD("SANDGATE_FCGI_CONNS", "256");
	ck_assert_int_eq(cfg.fcgi_conns, 256);
	GOOD("SANDGATE_METRICS_DIR", "/run/sandgate/metrics");
	ck_assert_str_eq(cfg.metrics_dir, "/run/sandgate/metrics");
	GOOD("SANDGATE_AUDIT_MAXLEN", "0");
	ck_assert_int_eq(cfg.audit_maxlen, 0);
	GOOD("SANDGATE_AUDIT_MAXLEN", "100000000");
	ck_assert_int_eq(cfg.audit_maxlen, 100000000);
	GOOD("SANDGATE_BUDGET_REQUESTS", "0");
	ck_assert(cfg.budget_requests == 0);
	GOOD("SANDGATE_BUDGET_REQUESTS", "1000000000000");
	ck_assert(cfg.budget_requests == 1000000000000LL);
}
END_TEST

START_TEST(memory)
{
	GOOD("SANDGATE_MEMORY", "4g");
	ck_assert_int_eq(cfg.memory_bytes, INT64_C(4) << 30);
	GOOD("SANDGATE_MEMORY", "4G");
	ck_assert_int_eq(cfg.memory_bytes, INT64_C(4) << 30);
	GOOD("SANDGATE_MEMORY", "512m");
	ck_assert_int_eq(cfg.memory_bytes, INT64_C(512) << 20);
	GOOD("SANDGATE_MEMORY", "65536k");
	ck_assert_int_eq(cfg.memory_bytes, INT64_C(64) << 20);
	GOOD("SANDGATE_MEMORY", "1073741824");
	ck_assert_int_eq(cfg.memory_bytes, INT64_C(1) << 30);
	GOOD("SANDGATE_MEMORY", "6m");
	GOOD("SANDGATE_MEMORY", "1024g");
	BAD("SANDGATE_MEMORY", "5m");
	BAD("SANDGATE_MEMORY", "1025g");
	BAD("SANDGATE_MEMORY", "g");
	BAD("SANDGATE_MEMORY", "4gb");
	BAD("SANDGATE_MEMORY", "4t");
	BAD("SANDGATE_MEMORY", "-4g");
	BAD("SANDGATE_MEMORY", "+4g");
	BAD("SANDGATE_MEMORY", " 4g");
	BAD("SANDGATE_MEMORY", "4 g");
	BAD("SANDGATE_MEMORY", "4.5g");
	BAD("SANDGATE_MEMORY", "0x100000000");
	BAD("SANDGATE_MEMORY", "99999999999999999999");
	BAD("SANDGATE_MEMORY", "9999999999999999g");
}
END_TEST

START_TEST(cpus)
{
	GOOD("SANDGATE_CPUS", "2");
	ck_assert_int_eq(cfg.nano_cpus, INT64_C(2000000000));
	GOOD("SANDGATE_CPUS", "0.5");
	ck_assert_int_eq(cfg.nano_cpus, INT64_C(500000000));
	GOOD("SANDGATE_CPUS", "1.25");
	ck_assert_int_eq(cfg.nano_cpus, INT64_C(1250000000));
	GOOD("SANDGATE_CPUS", "0.01");
	ck_assert_int_eq(cfg.nano_cpus, INT64_C(10000000));
	GOOD("SANDGATE_CPUS", "1024");
	GOOD("SANDGATE_CPUS", "0.123456789");
	ck_assert_int_eq(cfg.nano_cpus, INT64_C(123456789));
	BAD("SANDGATE_CPUS", "0");
	BAD("SANDGATE_CPUS", "0.0");
	BAD("SANDGATE_CPUS", "0.009");
	BAD("SANDGATE_CPUS", "1025");
	BAD("SANDGATE_CPUS", "0.1234567891");
	BAD("SANDGATE_CPUS", ".5");
	BAD("SANDGATE_CPUS", "1.");
	BAD("SANDGATE_CPUS", "1,5");
	BAD("SANDGATE_CPUS", "-1");
	BAD("SANDGATE_CPUS", "1e3");
	BAD("SANDGATE_CPUS", "2 ");
	BAD("SANDGATE_CPUS", "1.2.3");
	BAD("SANDGATE_CPUS", "99999999999999999999");
}
END_TEST

/* Integers: digits only, in range. */
START_TEST(integers)
{
	static const char *const ints[] = { "SANDGATE_LEEWAY",
	    "SANDGATE_TOKEN_TTL", "SANDGATE_TOKEN_MAX_TTL",
	    "SANDGATE_REDIS_TIMEOUT_MS", "SANDGATE_SESSION_CACHE_MS",
	    "SANDGATE_MAX_SANDBOXES_PER_USER", "SANDGATE_PIDS_LIMIT",
	    "SANDGATE_DOCKER_TIMEOUT", "SANDGATE_FCGI_TIMEOUT_MS",
	    "SANDGATE_FCGI_CONNS", NULL };
	static const char *const bad[] = { "x", "-1", "+5", " 5", "5 ", "5x",
	    "0x10", "1e3", "5.0", "99999999999999999999",
	    "9223372036854775808", "100000000", "\t5", NULL };
	const char	*const *v, *const *b;

	for (v = ints; *v != NULL; v++)
		for (b = bad; *b != NULL; b++)
			BAD(*v, *b);
	BAD("SANDGATE_LEEWAY", "3601");
	BAD("SANDGATE_TOKEN_TTL", "0");
	BAD("SANDGATE_TOKEN_MAX_TTL", "0");
	BAD("SANDGATE_TOKEN_MAX_TTL", "31622401");
	BAD("SANDGATE_REDIS_TIMEOUT_MS", "0");
	BAD("SANDGATE_REDIS_TIMEOUT_MS", "60001");
	BAD("SANDGATE_SESSION_CACHE_MS", "60001");
	BAD("SANDGATE_MAX_SANDBOXES_PER_USER", "0");
	BAD("SANDGATE_PIDS_LIMIT", "0");
	BAD("SANDGATE_DOCKER_TIMEOUT", "0");
	BAD("SANDGATE_LOG_RATE", "100001");
	BAD("SANDGATE_LOG_RATE", "-1");
	BAD("SANDGATE_DNS_TIMEOUT_MS", "99");
	BAD("SANDGATE_DNS_TIMEOUT_MS", "30001");
	BAD("SANDGATE_FCGI_TIMEOUT_MS", "0");
	BAD("SANDGATE_FCGI_TIMEOUT_MS", "99");
	BAD("SANDGATE_FCGI_TIMEOUT_MS", "600001");
	BAD("SANDGATE_FCGI_CONNS", "0");
	BAD("SANDGATE_FCGI_CONNS", "257");
	BAD("SANDGATE_AUDIT_MAXLEN", "-1");
	BAD("SANDGATE_AUDIT_MAXLEN", "100000001");
	BAD("SANDGATE_AUDIT_MAXLEN", "1e5");
	BAD("SANDGATE_BUDGET_REQUESTS", "-1");
	BAD("SANDGATE_BUDGET_REQUESTS", "1000000000001");
	BAD("SANDGATE_BUDGET_REQUESTS", "5k");
	/* Leading zeros are still decimal. */
	GOOD("SANDGATE_LEEWAY", "010");
	ck_assert_int_eq(cfg.leeway, 10);
}
END_TEST

/* The default TTL may not exceed a lowered maximum. */
START_TEST(ttl_vs_max)
{
	BAD("SANDGATE_TOKEN_TTL", "86401");
	GOOD("SANDGATE_TOKEN_MAX_TTL", "3600");
	ck_assert_int_eq(cfg.token_ttl, 3600);
	{
		struct sg_err	 err;

		setup();
		setenv("SANDGATE_TOKEN_MAX_TTL", "3600", 1);
		setenv("SANDGATE_TOKEN_TTL", "3600", 1);
		sg_err_clear(&err);
		ck_assert_int_eq(sg_cfg_load(&cfg, &err), SG_OK);
		setenv("SANDGATE_TOKEN_TTL", "3601", 1);
		sg_err_clear(&err);
		ck_assert_int_eq(sg_cfg_load(&cfg, &err), SG_EINVAL);
		ck_assert_ptr_nonnull(strstr(err.msg, "SANDGATE_TOKEN_TTL:"));
	}
}
END_TEST

/* WAIT blocks the connection: its bound must be below the timeout. */
START_TEST(wait_vs_timeout)
{
	struct sg_err	 err;

	BAD("SANDGATE_REDIS_WAIT_REPLICAS", "17");
	BAD("SANDGATE_REDIS_WAIT_MS", "0");
	setup();
	setenv("SANDGATE_REDIS_WAIT_REPLICAS", "1", 1);
	setenv("SANDGATE_REDIS_TIMEOUT_MS", "100", 1);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_cfg_load(&cfg, &err), SG_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "SANDGATE_REDIS_WAIT_MS:"));
	setenv("SANDGATE_REDIS_WAIT_MS", "99", 1);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_cfg_load(&cfg, &err), SG_OK);
	ck_assert_int_eq(cfg.redis_wait_ms, 99);
	/* without replicas to wait for, the bound does not matter */
	setenv("SANDGATE_REDIS_WAIT_REPLICAS", "0", 1);
	setenv("SANDGATE_REDIS_WAIT_MS", "5000", 1);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_cfg_load(&cfg, &err), SG_OK);
}
END_TEST

START_TEST(booleans_and_words)
{
	static const char *const bools[] = { "SANDGATE_EGRESS_DENY_PRIVATE",
	    "SANDGATE_ACCEPT_NO_AUD", NULL };
	static const char *const bad[] = { "true", "false", "yes", "2",
	    "00", " 1", "1 ", "-1", "on", NULL };
	const char	*const *v, *const *b;

	for (v = bools; *v != NULL; v++)
		for (b = bad; *b != NULL; b++)
			BAD(*v, *b);
	BAD("SANDGATE_EGRESS_MODE", "Enforce");
	BAD("SANDGATE_EGRESS_MODE", "off");
	BAD("SANDGATE_EGRESS_MODE", "report ");
	BAD("SANDGATE_REDIS_FAILURE", "OPEN");
	BAD("SANDGATE_REDIS_FAILURE", "fail-open");
	BAD("SANDGATE_LOG_LEVEL", "warning");
	BAD("SANDGATE_LOG_LEVEL", "INFO");
	BAD("SANDGATE_LOG_LEVEL", "trace");
}
END_TEST

START_TEST(strings)
{
	char	*big;

	big = malloc(8192);
	ck_assert_ptr_nonnull(big);
	memset(big, 'a', 8191);
	big[8191] = '\0';
	big[0] = '/';
	/* Too long: refused, never truncated. */
	BAD("SANDGATE_ISSUER", big);
	BAD("SANDGATE_SIGNING_KEY", big);
	BAD("SANDGATE_VERIFY_KEYS", big);
	BAD("SANDGATE_DOCKER_SOCKET", big);
	BAD("SANDGATE_RUNTIME", big + 1);
	BAD("SANDGATE_IMAGE", big + 1);
	BAD("SANDGATE_IMAGES", big + 1);
	BAD("SANDGATE_NETWORK", big + 1);
	BAD("SANDGATE_DATA_ROOT", big);
	BAD("SANDGATE_METRICS_DIR", big);
	BAD("SANDGATE_METRICS_DIR", "run/metrics");
	BAD("SANDGATE_METRICS_DIR", "/run/sandgate metrics");
	BAD("SANDGATE_SOCKET", big + 1);
	BAD("SANDGATE_TMPFS_SIZE", "1111111111111111111111111111111111g");
	/* 256 bytes of issuer fit the iss claim; 257 do not. */
	big[256] = '\0';
	GOOD("SANDGATE_ISSUER", big);
	big[256] = 'a';
	big[257] = '\0';
	BAD("SANDGATE_ISSUER", big);
	free(big);

	BAD("SANDGATE_ISSUER", "issuer\nX-Evil: 1");
	BAD("SANDGATE_ISSUER", "issuer\x7f");
	BAD("SANDGATE_SIGNING_KEY", "/k.pem\n");
	BAD("SANDGATE_REDIS", "http://127.0.0.1:6379");
	BAD("SANDGATE_REDIS", "redis://a b");
	BAD("SANDGATE_REDIS", "127.0.0.1:6379");
	BAD("SANDGATE_DOCKER_SOCKET", "docker.sock");
	BAD("SANDGATE_DOCKER_SOCKET", "/var/run/docker sock");
	BAD("SANDGATE_RUNTIME", "run sc");
	BAD("SANDGATE_RUNTIME", "runsc;rm");
	BAD("SANDGATE_RUNTIME", "a/b");
	BAD("SANDGATE_IMAGE", "sandbox latest");
	BAD("SANDGATE_NETWORK", "net/x");
	BAD("SANDGATE_NETWORK", "net x");
	BAD("SANDGATE_PROXY_URL", "sandgate-proxy:8443");
	BAD("SANDGATE_PROXY_URL", "ftp://x");
	BAD("SANDGATE_PROXY_URL", "http://a b");
	BAD("SANDGATE_DATA_ROOT", "var/lib/sandgate");
	BAD("SANDGATE_SOCKET", "127.0.0.1: 9000");
	BAD("SANDGATE_TMPFS_SIZE", "1 G");
	BAD("SANDGATE_TMPFS_SIZE", "1T");
	BAD("SANDGATE_TMPFS_SIZE", "0");
	BAD("SANDGATE_TMPFS_SIZE", "size=1G,exec");
}
END_TEST

START_TEST(ports)
{
	BAD("SANDGATE_EGRESS_PORTS", "0");
	BAD("SANDGATE_EGRESS_PORTS", "65536");
	BAD("SANDGATE_EGRESS_PORTS", "80,");
	BAD("SANDGATE_EGRESS_PORTS", ",80");
	BAD("SANDGATE_EGRESS_PORTS", "80, 443");
	BAD("SANDGATE_EGRESS_PORTS", "http");
	BAD("SANDGATE_EGRESS_PORTS", "+443");
	BAD("SANDGATE_EGRESS_PORTS", "0443");
	BAD("SANDGATE_EGRESS_PORTS", "-1");
}
END_TEST

/* The first bad variable is named, and only it. */
START_TEST(names_the_variable)
{
	struct sg_err	 err;

	setup();
	setenv("SANDGATE_CPUS", "lots", 1);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_cfg_load(&cfg, &err), SG_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "SANDGATE_CPUS"));
	ck_assert_ptr_null(strstr(err.msg, "lots"));
	/* Without an err the result is the same. */
	ck_assert_int_eq(sg_cfg_load(&cfg, NULL), SG_EINVAL);
}
END_TEST

/* The proxy is named by address: a name would never resolve in a sandbox. */
START_TEST(proxy_ip_literal)
{
	const char	*m;

	GOOD("SANDGATE_PROXY_URL", "http://10.0.0.1:3128");
	GOOD("SANDGATE_PROXY_URL", "https://10.0.0.1:3128/");
	GOOD("SANDGATE_PROXY_URL", "http://[fd00::1]:3128/");
	GOOD("SANDGATE_PROXY_URL", "http://172.30.99.1");
	BAD("SANDGATE_PROXY_URL", "http://sandgate-proxy:8443");
	BAD("SANDGATE_PROXY_URL", "http://localhost:8443");
	BAD("SANDGATE_PROXY_URL", "http://10.0.0.1.nip.io:8443");
	BAD("SANDGATE_PROXY_URL", "http://1.2.3:8443");
	BAD("SANDGATE_PROXY_URL", "http://[fd00::1:8443");
	BAD("SANDGATE_PROXY_URL", "http://[10.0.0.1]:8443");
	BAD("SANDGATE_PROXY_URL", "http://:8443");
	BAD("SANDGATE_PROXY_URL", "http://");
	m = load_with("SANDGATE_PROXY_URL", "http://sandgate-proxy:8443");
	ck_assert_msg(strstr(m, "IP address") != NULL &&
	    strstr(m, "DNS") != NULL, "unclear: %s", m);
	/* The value is not echoed. */
	ck_assert_ptr_null(strstr(m, "sandgate-proxy"));
}
END_TEST

/* SANDGATE_DOCKER_HOSTS (lib/engines.h): its syntax, and not with a socket. */
START_TEST(docker_hosts)
{
	struct sg_err	 err;

	GOOD("SANDGATE_DOCKER_HOSTS", "a=unix:///run/d.sock,b=tcp://10.0.0.7:2376");
	ck_assert_str_eq(cfg.docker_hosts,
	    "a=unix:///run/d.sock,b=tcp://10.0.0.7:2376");
	ck_assert_str_eq(cfg.docker_cert_path, "/etc/sandgate/docker");
	BAD("SANDGATE_DOCKER_HOSTS", "a=tcp://10.0.0.7");
	BAD("SANDGATE_DOCKER_HOSTS", "a=unix:///x,a=unix:///y");
	BAD("SANDGATE_DOCKER_HOSTS", "a=http://10.0.0.7:2375");
	GOOD("SANDGATE_DOCKER_HOST_LIMIT", "50");
	ck_assert_int_eq(cfg.docker_host_limit, 50);
	BAD("SANDGATE_DOCKER_HOST_LIMIT", "-1");
	BAD("SANDGATE_DOCKER_CERT_PATH", "certs");
	setup();
	setenv("SANDGATE_DOCKER_SOCKET", "/run/docker.sock", 1);
	setenv("SANDGATE_DOCKER_HOSTS", "a=unix:///run/d.sock", 1);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_cfg_load(&cfg, &err), SG_EINVAL);
	ck_assert_msg(strstr(err.msg, "not both") != NULL, "unclear: %s",
	    err.msg);
	setup();
}
END_TEST

/* sg_cfg_check reports every bad variable, sg_cfg_load the first. */
START_TEST(check_reports_every_error)
{
	static struct sg_cfg_report	 rep;
	struct sg_err			 err;
	size_t				 i;

	setup();
	setenv("SANDGATE_CPUS", "lots", 1);
	setenv("SANDGATE_REDIS", "http://x", 1);
	setenv("SANDGATE_LEEWAY", "-1", 1);
	setenv("SANDGATE_LOG_LEVEL", "loud", 1);
	setenv("SANDGATE_PROXY_URL", "http://proxy:8443", 1);
	setenv("SANDGATE_EGRESS_PORTS", "80,", 1);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_cfg_check(&cfg, &rep, &err), SG_EINVAL);
	ck_assert_uint_eq(rep.nerr, 6);
	ck_assert(strncmp(rep.err[0], "SANDGATE_REDIS: ", 16) == 0);
	ck_assert(strncmp(rep.err[1], "SANDGATE_PROXY_URL: ", 20) == 0);
	ck_assert(strncmp(rep.err[2], "SANDGATE_LEEWAY: ", 17) == 0);
	ck_assert(strncmp(rep.err[3], "SANDGATE_LOG_LEVEL: ", 20) == 0);
	ck_assert(strncmp(rep.err[4], "SANDGATE_EGRESS_PORTS: ", 23) == 0);
	ck_assert(strncmp(rep.err[5], "SANDGATE_CPUS: ", 15) == 0);
	for (i = 0; i < rep.nerr; i++)
		ck_assert_ptr_null(strstr(rep.err[i], "lots"));
	/* err holds the first, exactly as sg_cfg_load reports it. */
	ck_assert_str_eq(err.msg, rep.err[0]);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_cfg_load(&cfg, &err), SG_EINVAL);
	ck_assert_str_eq(err.msg, rep.err[0]);
	/* A bad value leaves its default, not a half-parsed one. */
	ck_assert_int_eq(cfg.egress_ports.n, 2);
	ck_assert_int_eq(cfg.leeway, 30);
	/* A clean environment: no error, no warning. */
	setup();
	ck_assert_int_eq(sg_cfg_check(&cfg, &rep, NULL), SG_OK);
	ck_assert_uint_eq(rep.nerr, 0);
	ck_assert_uint_eq(rep.nwarn, 0);
}
END_TEST

/* Unknown SANDGATE_* names are warnings, with the nearest known name. */
START_TEST(unknown_names_warned)
{
	static struct sg_cfg_report	 rep;
	char				 name[64], *text = NULL;
	size_t				 i, len = 0;
	FILE				*f;

	setup();
	setenv("SANDGATE_REDIS_TIMOUT_MS", "100", 1);
	setenv("SANDGATE_SINGING_KEY", "/k.pem", 1);
	setenv("SANDGATE_COMPLETELY_OTHER_THING", "1", 1);
	/* Known, though read outside cfg.c: never warned about. */
	setenv("SANDGATE_REDIS_PASSWORD", "pw", 1);
	setenv("SANDGATE_SOCKET_MODE", "0660", 1);
	setenv("SANDGATE_WORKERS", "4", 1);
	setenv("SANDGATE_ISSUER", "me", 1);
	ck_assert_int_eq(sg_cfg_check(&cfg, &rep, NULL), SG_OK);
	ck_assert_uint_eq(rep.nerr, 0);
	ck_assert_uint_eq(rep.nwarn, 3);
	for (i = 0; i < rep.nwarn; i++) {
		if (strcmp(rep.warn[i].name, "SANDGATE_REDIS_TIMOUT_MS") == 0)
			ck_assert_str_eq(rep.warn[i].closest,
			    "SANDGATE_REDIS_TIMEOUT_MS");
		else if (strcmp(rep.warn[i].name, "SANDGATE_SINGING_KEY") == 0)
			ck_assert_str_eq(rep.warn[i].closest,
			    "SANDGATE_SIGNING_KEY");
		else {
			ck_assert_str_eq(rep.warn[i].name,
			    "SANDGATE_COMPLETELY_OTHER_THING");
			ck_assert_str_eq(rep.warn[i].closest, "");
		}
	}
	/* The misspelled setting did not take effect: the default holds. */
	ck_assert_int_eq(cfg.redis_timeout_ms, 500);
	/* Printed: names only, never a value. */
	ck_assert_ptr_nonnull(f = open_memstream(&text, &len));
	sg_cfg_report_print(f, "svc", &rep);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_ptr_nonnull(strstr(text, "svc: warning: "
	    "SANDGATE_REDIS_TIMOUT_MS is not a sandgate variable (did you "
	    "mean SANDGATE_REDIS_TIMEOUT_MS?)\n"));
	ck_assert_ptr_nonnull(strstr(text, "svc: warning: "
	    "SANDGATE_COMPLETELY_OTHER_THING is not a sandgate variable\n"));
	ck_assert_ptr_null(strstr(text, "/k.pem"));
	free(text);
	/* Past the cap, still counted. */
	setup();
	for (i = 0; i < SG_CFG_REPORT_MAX + 8; i++) {
		(void)snprintf(name, sizeof(name), "SANDGATE_ZZ_%zu", i);
		setenv(name, "1", 1);
	}
	ck_assert_int_eq(sg_cfg_check(&cfg, &rep, NULL), SG_OK);
	ck_assert_uint_eq(rep.nwarn, SG_CFG_REPORT_MAX + 8);
	/* A name longer than the buffer is cut, still warned about. */
	setup();
	memset(name, 'X', sizeof(name) - 1);
	memcpy(name, "SANDGATE_", 9);
	name[sizeof(name) - 1] = '\0';
	setenv(name, "1", 1);
	ck_assert_int_eq(sg_cfg_check(&cfg, &rep, NULL), SG_OK);
	ck_assert_uint_eq(rep.nwarn, 1);
	ck_assert_uint_eq(strlen(rep.warn[0].name), SG_CFG_NAME);
}
END_TEST

/* Errors past the cap are counted and summarised. */
START_TEST(report_print_errors)
{
	static struct sg_cfg_report	 rep;
	char				*text = NULL;
	size_t				 len = 0;
	FILE				*f;

	memset(&rep, 0, sizeof(rep));
	rep.nerr = SG_CFG_REPORT_MAX + 2;
	(void)snprintf(rep.err[0], sizeof(rep.err[0]), "SANDGATE_X: bad");
	ck_assert_ptr_nonnull(f = open_memstream(&text, &len));
	sg_cfg_report_print(f, "p", &rep);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert(strncmp(text, "p: error: SANDGATE_X: bad\n", 26) == 0);
	ck_assert_ptr_nonnull(strstr(text, "p: error: 2 more\n"));
	free(text);
}
END_TEST

/* SANDGATE_WORKERS: 1..256, and a pool needs the socket on fd 0. */
START_TEST(workers)
{
	ck_assert_str_eq(load_with(NULL, NULL), "ok");
	ck_assert_int_eq(cfg.workers, 1);
	ck_assert_str_eq(load_with("SANDGATE_WORKERS", "4"), "ok");
	ck_assert_int_eq(cfg.workers, 4);
	ck_assert_str_eq(load_with("SANDGATE_WORKERS", "256"), "ok");
	ck_assert_ptr_nonnull(strstr(load_with("SANDGATE_WORKERS", "0"),
	    "SANDGATE_WORKERS"));
	ck_assert_ptr_nonnull(strstr(load_with("SANDGATE_WORKERS", "257"),
	    "SANDGATE_WORKERS"));
	ck_assert_ptr_nonnull(strstr(load_with("SANDGATE_WORKERS", "4x"),
	    "SANDGATE_WORKERS"));
	setup();
	setenv("SANDGATE_SOCKET", "127.0.0.1:9000", 1);
	setenv("SANDGATE_WORKERS", "2", 1);
	ck_assert_int_eq(sg_cfg_load(&cfg, NULL), SG_EINVAL);
	setenv("SANDGATE_WORKERS", "1", 1);
	ck_assert_int_eq(sg_cfg_load(&cfg, NULL), SG_OK);
}
END_TEST

static Suite *
cfg_suite(void)
{
	Suite	*s = suite_create("cfg");
	TCase	*tc = tcase_create("cfg");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, empty_is_default);
	tcase_add_test(tc, good_values);
	tcase_add_test(tc, memory);
	tcase_add_test(tc, cpus);
	tcase_add_test(tc, integers);
	tcase_add_test(tc, ttl_vs_max);
	tcase_add_test(tc, wait_vs_timeout);
	tcase_add_test(tc, booleans_and_words);
	tcase_add_test(tc, strings);
	tcase_add_test(tc, ports);
	tcase_add_test(tc, names_the_variable);
	tcase_add_test(tc, proxy_ip_literal);
	tcase_add_test(tc, check_reports_every_error);
	tcase_add_test(tc, unknown_names_warned);
	tcase_add_test(tc, report_print_errors);
	tcase_add_test(tc, workers);
	tcase_add_test(tc, docker_hosts);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(cfg_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
