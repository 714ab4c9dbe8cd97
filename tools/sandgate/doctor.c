/* SPDX-License-Identifier: ISC */
/*
 * sandgate doctor: what a host needs for sandgate, one line per check,
 * from the SANDGATE_* configuration the services read:
 *
 *   ok   NAME: what was found
 *   WARN NAME: what may be wrong, and what to do
 *   FAIL NAME: what is wrong, and what to do
 *
 * The checks: the configuration itself; the signing key (its mode, and
 * that it is a P-256 private key) and the secret keys' modes; Redis
 * (connect with the credentials, AUTH, PING); every Docker engine (it
 * answers, the runtime is registered, the sandbox network exists and is
 * internal); the firewall (a "sandgate" nft table is loaded).  A check
 * whose setting is not given is skipped with a line saying so.
 *
 * Exit status by the worst line: 0 all ok, 1 a warning, 2 a failure
 * (a bad configuration is one).  Nothing is written anywhere.
 */
#include "config.h"

#include <sys/stat.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "cmd.h"
#include "compat.h"
#include "engines.h"
#include "json.h"
#include "keys.h"
#include "log.h"
#include "redis.h"

enum level { L_OK, L_WARN, L_FAIL };

static enum level	worst;

static void
usage(FILE *f)
{
	fprintf(f, "usage: sandgate doctor\n"
	    "One line per check of this host (keys, Redis, Docker, the "
	    "firewall):\nok, WARN or FAIL.  Exit 0 all ok, 1 a warning, 2 a "
	    "failure.\n");
}

static void
say(enum level l, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
say(enum level l, const char *name, const char *fmt, ...)
{
	va_list	 ap;

	printf("%s %s: ", l == L_OK ? "ok  " : l == L_WARN ? "WARN" : "FAIL",
	    name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (l > worst)
		worst = l;
}

static void
check_signing_key(const struct sg_cfg *cfg)
{
	struct sg_key	*k = NULL;
	struct sg_err	 err;

	if (cfg->signing_key[0] == '\0') {
		say(L_OK, "signing key", "SANDGATE_SIGNING_KEY not set here "
		    "(only token-issuer and sandbox-create need it)");
		return;
	}
	sg_err_clear(&err);
	if (sg_key_load_signing(cfg->signing_key, &k, &err) != SG_OK)
		say(L_FAIL, "signing key", "%s", err.msg);
	else
		say(L_OK, "signing key", "%s: a private key, owner-only",
		    cfg->signing_key);
	sg_key_free(k);
}

/* Each file of SANDGATE_SECRET_KEYS: there, and no one else's to read. */
static void
check_secret_keys(const struct sg_cfg *cfg)
{
	struct stat	 st;
	char		 one[PATH_MAX];
	const char	*p = cfg->secret_keys;
	size_t		 n, bad = 0, good = 0;

	if (*p == '\0') {
		say(L_OK, "secret keys", "SANDGATE_SECRET_KEYS not set (no "
		    "secrets broker)");
		return;
	}
	while (*p != '\0') {
		n = strcspn(p, ",");
		if (n > 0 && n < sizeof(one)) {
			memcpy(one, p, n);
			one[n] = '\0';
			if (stat(one, &st) == -1) {
				say(L_FAIL, "secret keys", "%s: missing", one);
				bad++;
			} else if ((st.st_mode & 0077) != 0) {
				say(L_FAIL, "secret keys", "%s: mode %04o; "
				    "chmod 600 it", one,
				    (unsigned)(st.st_mode & 07777));
				bad++;
			} else
				good++;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	if (bad == 0)
		say(L_OK, "secret keys", "%zu file(s), owner-only", good);
}

static void
check_redis(const struct sg_cfg *cfg)
{
	struct sg_redis	*r = NULL;
	struct sg_err	 err;

	sg_err_clear(&err);
	if (sg_redis_new(cfg->redis, cfg->redis_timeout_ms, &r, &err) !=
	    SG_OK || sg_redis_ping(r, &err) != SG_OK)
		say(L_FAIL, "redis", "%s (SANDGATE_REDIS, _PASSWORD_FILE, "
		    "_USER)", err.msg);
	else
		say(L_OK, "redis", "PING answered");
	sg_redis_free(r);
}

/* One engine: it answers, has the runtime, and the network, internal. */
static void
check_engine(const struct sg_cfg *cfg, struct sg_engine *e)
{
	struct sg_err	 err;
	cJSON		*net = NULL;
	const cJSON	*in;
	char		 name[64], path[200];

	(void)snprintf(name, sizeof(name), "docker%s%s",
	    e->name[0] != '\0' ? " " : "", e->name);
	sg_err_clear(&err);
	if (sg_docker_ping(e->docker, &err) != SG_OK) {
		say(L_FAIL, name, "%s", err.msg);
		return;
	}
	say(L_OK, name, "answers on %s", sg_docker_where(e->docker));
	sg_err_clear(&err);
	if (sg_docker_runtime_check(e->docker, cfg->runtime, &err) != SG_OK)
		say(L_FAIL, name, "runtime \"%s\" not registered: %s",
		    cfg->runtime, err.msg);
	else
		say(strncmp(cfg->runtime, "runsc", 5) == 0 ? L_OK : L_WARN,
		    name, "runtime \"%s\" registered%s", cfg->runtime,
		    strncmp(cfg->runtime, "runsc", 5) == 0 ? "" :
		    " (not gVisor: sandboxes share the host kernel)");
	(void)snprintf(path, sizeof(path), "/networks/%s", cfg->network);
	sg_err_clear(&err);
	if (!sg_docker_name_valid(cfg->network) ||
	    sg_docker_call(e->docker, "GET", path, NULL, 0, NULL, &net,
	    &err) != SG_OK) {
		say(L_FAIL, name, "network \"%s\" missing: create it "
		    "(docs/deploy.md) or set SANDGATE_NETWORK", cfg->network);
		cJSON_Delete(net);
		return;
	}
	in = sg_json_get(net, "Internal");
	if (cJSON_IsTrue(in))
		say(L_OK, name, "network \"%s\" is internal", cfg->network);
	else
		say(L_FAIL, name, "network \"%s\" is not internal: sandboxes "
		    "could route around the proxy (docker network create "
		    "--internal)", cfg->network);
	cJSON_Delete(net);
}

/* A loaded nft table whose name starts with "sandgate". */
static void
check_firewall(void)
{
	FILE	*p;
	char	 line[256];
	size_t	 n = 0;
	int	 st;

	if ((p = popen("nft list tables 2>/dev/null", "r")) == NULL) {
		say(L_WARN, "firewall", "cannot run nft");
		return;
	}
	while (fgets(line, sizeof(line), p) != NULL)
		if (strncmp(line, "table ", 6) == 0 &&
		    strstr(line, " sandgate") != NULL)
			n++;
	st = pclose(p);
	if (st != 0 && n == 0)
		say(L_WARN, "firewall", "nft list tables failed (not root, "
		    "or nftables missing): not checked");
	else if (n == 0)
		say(L_FAIL, "firewall", "no sandgate nft table loaded "
		    "(sandgate-firewall.service, docs/deploy.md)");
	else
		say(L_OK, "firewall", "%zu sandgate nft table(s) loaded", n);
}

int
cmd_doctor(int argc, char *argv[])
{
	static struct sg_cfg	 cfg;
	struct sg_engines	*es = NULL;
	struct sg_err		 err;
	size_t			 i;

	if (argc > 1)
		return cmd_usage(strcmp(argv[1], "--help") == 0 ||
		    strcmp(argv[1], "-h") == 0 ? 'h' : '?', usage);
	worst = L_OK;
	sg_log_init("sandgate-doctor", SG_LOG_ERROR);
	sg_err_clear(&err);
	if (sg_cfg_load(&cfg, &err) != SG_OK) {
		say(L_FAIL, "config", "%s", err.msg);
		return SG_EXIT_USAGE;
	}
	say(L_OK, "config", "the SANDGATE_* variables are valid");
	check_signing_key(&cfg);
	check_secret_keys(&cfg);
	check_redis(&cfg);
	sg_err_clear(&err);
	if (sg_engines_new(&cfg, &es, &err) != SG_OK)
		say(L_FAIL, "docker", "%s", err.msg);
	else
		for (i = 0; i < es->n; i++)
			check_engine(&cfg, &es->e[i]);
	sg_engines_free(es);
	check_firewall();
	fflush(stdout);
	return worst == L_OK ? SG_EXIT_OK : worst == L_WARN ? SG_EXIT_FAIL :
	    SG_EXIT_USAGE;
}
