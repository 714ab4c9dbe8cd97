/* SPDX-License-Identifier: ISC */
/*
 * sandgate audit verify [--file FILE] [--keys FILES] [--final]
 *     [--unsealed-ok] CONTAINER_ID
 * sandgate audit seal [--final] CONTAINER_ID
 *
 * verify checks a sandbox's chained trail (lib/chain.h) read from
 * SANDGATE_REDIS, or from a JSON-lines export (GET
 * /v1/sessions/{id}/decisions?export=1), against the public keys
 * (--keys, else SANDGATE_VERIFY_KEYS, else the public half of
 * SANDGATE_SIGNING_KEY): one line on stdout, exit 0 intact, 1 broken
 * (the line names the first bad record), 78 usage or configuration.
 * seal signs the trail's head now with SANDGATE_SIGNING_KEY (on
 * demand; destroy and reap seal with --final themselves).
 */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "cfg.h"
#include "chain.h"
#include "claims.h"
#include "cmd.h"
#include "crypto.h"
#include "keys.h"
#include "redis.h"

#define AUDIT_EXIT_USAGE	78

static void
usage(FILE *f)
{
	fprintf(f, "usage: sandgate audit verify [--file FILE] [--keys FILES] "
	    "[--final] [--unsealed-ok] CONTAINER_ID\n"
	    "       sandgate audit seal [--final] CONTAINER_ID\n");
}

static int
load_file(const char *path, cJSON **entries, struct sg_err *err)
{
	FILE	*fp;
	char	*buf = NULL;
	size_t	 cap = 0, len = 0, n;
	int	 ret = -1;

	if ((fp = fopen(path, "r")) == NULL) {
		(void)sg_err_set(err, SG_ENOENT, NULL, "%s: cannot open", path);
		return -1;
	}
	for (;;) {
		if (len + 65536 + 1 > cap) {
			char	*nb;

			if (cap > (size_t)64 * 1024 * 1024) {
				(void)sg_err_set(err, SG_ETOOBIG, NULL,
				    "%s: over 64 MiB", path);
				goto out;
			}
			cap = cap * 2 + 65536 + 1;
			if ((nb = realloc(buf, cap)) == NULL)
				goto out;
			buf = nb;
		}
		if ((n = fread(buf + len, 1, 65536, fp)) == 0)
			break;
		len += n;
	}
	if (buf != NULL && sg_chain_parse_lines(buf, len, entries, err) ==
	    SG_OK)
		ret = 0;
	else if (buf == NULL)
		(void)sg_err_set(err, SG_ENOENT, "no_trail", "%s: empty", path);
out:
	free(buf);
	(void)fclose(fp);
	return ret;
}

static int
do_verify(const struct sg_cfg *cfg, const char *cid, const char *file,
    const char *keys, int flags)
{
	struct sg_keyset	*ks = NULL;
	struct sg_redis		*r = NULL;
	struct sg_chain_result	 res;
	struct sg_err		 err;
	cJSON			*entries = NULL;
	int			 ret = SG_EXIT_FAIL;

	sg_err_clear(&err);
	if (keys == NULL)
		keys = cfg->verify_keys[0] != '\0' ? cfg->verify_keys :
		    cfg->signing_key;
	if (keys[0] == '\0' || sg_keyset_load(keys, &ks, &err) != SG_OK) {
		fprintf(stderr, "sandgate audit: keys: %s\n", keys[0] == '\0' ?
		    "SANDGATE_VERIFY_KEYS is not set (or use --keys)" :
		    err.msg);
		return AUDIT_EXIT_USAGE;
	}
	if (file != NULL) {
		if (load_file(file, &entries, &err) == -1) {
			fprintf(stderr, "sandgate audit: %s\n", err.msg);
			ret = err.rc == SG_ENOENT ? AUDIT_EXIT_USAGE :
			    SG_EXIT_FAIL;
			goto out;
		}
	} else if (sg_redis_new(cfg->redis, cfg->redis_timeout_ms, &r,
	    &err) != SG_OK || sg_audit_trail(r, cid, SG_CHAIN_READ_MAX,
	    &entries, &err) != SG_OK) {
		fprintf(stderr, "sandgate audit: redis: %s\n", err.msg);
		goto out;
	}
	if (sg_chain_verify(entries, cid, ks, flags, &res, &err) == SG_OK) {
		printf("%s: %s\n", cid, res.what);
		ret = SG_EXIT_OK;
	} else
		printf("%s: %s\n", cid, res.what[0] != '\0' ? res.what :
		    err.msg);
out:
	cJSON_Delete(entries);
	sg_redis_free(r);
	sg_keyset_free(ks);
	return ret;
}

static int
do_seal(const struct sg_cfg *cfg, const char *cid, int final)
{
	struct sg_key	*key = NULL;
	struct sg_redis	*r = NULL;
	struct sg_err	 err;
	int		 ret = SG_EXIT_FAIL;

	sg_err_clear(&err);
	if (cfg->signing_key[0] == '\0' ||
	    sg_key_load_pem(cfg->signing_key, &key, &err) != SG_OK ||
	    !sg_key_is_private(key)) {
		fprintf(stderr, "sandgate audit: SANDGATE_SIGNING_KEY: %s\n",
		    cfg->signing_key[0] == '\0' ? "not set" : err.msg[0] ?
		    err.msg : "not a private key");
		sg_key_free(key);
		return AUDIT_EXIT_USAGE;
	}
	if (sg_redis_new(cfg->redis, cfg->redis_timeout_ms, &r, &err) ==
	    SG_OK && sg_chain_seal(r, key, cid, "sandgate-cli",
	    final ? "sealed_final" : "on_demand", final, &err) == SG_OK) {
		printf("%s: sealed%s\n", cid, final ? " (final)" : "");
		ret = SG_EXIT_OK;
	} else
		fprintf(stderr, "sandgate audit: %s\n", err.msg);
	sg_redis_free(r);
	sg_key_free(key);
	return ret;
}

int
cmd_audit(int argc, char *argv[])
{
	static struct sg_cfg	 cfg;
	struct sg_err		 err;
	const char		*file = NULL, *keys = NULL, *cid = NULL;
	int			 i, flags = 0, final = 0, verify;

	(void)setlocale(LC_NUMERIC, "C");
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return SG_EXIT_OK;
	}
	if (argc < 2 || (strcmp(argv[1], "verify") != 0 &&
	    strcmp(argv[1], "seal") != 0)) {
		usage(stderr);
		return AUDIT_EXIT_USAGE;
	}
	verify = strcmp(argv[1], "verify") == 0;
	for (i = 2; i < argc; i++) {
		if (verify && strcmp(argv[i], "--file") == 0 && i + 1 < argc)
			file = argv[++i];
		else if (verify && strcmp(argv[i], "--keys") == 0 &&
		    i + 1 < argc)
			keys = argv[++i];
		else if (strcmp(argv[i], "--final") == 0) {
			flags |= SG_CHAIN_WANT_FINAL;
			final = 1;
		} else if (verify && strcmp(argv[i], "--unsealed-ok") == 0)
			flags |= SG_CHAIN_UNSEALED_OK;
		else if (argv[i][0] != '-' && cid == NULL)
			cid = argv[i];
		else {
			usage(stderr);
			return AUDIT_EXIT_USAGE;
		}
	}
	if (cid == NULL || !sg_id_valid(cid)) {
		fprintf(stderr, "sandgate audit: %s\n", cid == NULL ?
		    "a container id is required" : "bad container id");
		usage(stderr);
		return AUDIT_EXIT_USAGE;
	}
	sg_err_clear(&err);
	if (sg_cfg_load(&cfg, &err) != SG_OK) {
		fprintf(stderr, "sandgate audit: %s\n", err.msg);
		return AUDIT_EXIT_USAGE;
	}
	return verify ? do_verify(&cfg, cid, file, keys, flags) :
	    do_seal(&cfg, cid, final);
}
