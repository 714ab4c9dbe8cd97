/* SPDX-License-Identifier: ISC */
/*
 * token-verify: the key files of SANDGATE_VERIFY_KEYS, their reload when
 * one changes on disk, and the set-up and clearing of struct app.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache.h"
#include "cfg.h"
#include "compat.h"
#include "sgerr.h"
#include "keys.h"
#include "hosts.h"
#include "log.h"
#include "metrics.h"
#include "resolve.h"
#include "session.h"
#include "token.h"
#include "verify.h"
#include "verify-int.h"

/* ---- key files ---------------------------------------------------- */

/* The files of one comma list (var names it) appended to v->files. */
static enum sg_rc
keyfiles_add(struct app *v, const char *var, const char *list,
    struct sg_err *err)
{
	const char	*p = list, *comma;
	size_t		 len;

	while (*p != '\0') {
		comma = strchr(p, ',');
		len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (len == 0 || len >= PATH_MAX)
			return sg_err_set(err, SG_EINVAL, "bad_config",
			    "%s: bad path list", var);
		if (v->nfiles == SG_VERIFY_KEYFILES)
			return sg_err_set(err, SG_EINVAL, "bad_config",
			    "%s: more than %d key files in all", var,
			    SG_VERIFY_KEYFILES);
		memcpy(v->files[v->nfiles].path, p, len);
		v->files[v->nfiles].path[len] = '\0';
		v->nfiles++;
		if (comma == NULL)
			break;
		p = comma + 1;
		if (*p == '\0')
			return sg_err_set(err, SG_EINVAL, "bad_config",
			    "%s: bad path list", var);
	}
	return SG_OK;
}

/* Every watched file: SANDGATE_VERIFY_KEYS, then SANDGATE_OPERATOR_KEYS. */
static enum sg_rc
keyfiles_parse(struct app *v, struct sg_err *err)
{
	enum sg_rc	 rc;

	v->nfiles = 0;
	if ((rc = keyfiles_add(v, "SANDGATE_VERIFY_KEYS", v->cfg.verify_keys,
	    err)) != SG_OK)
		return rc;
	if (v->nfiles == 0)
		return sg_err_set(err, SG_EINVAL, "bad_config",
		    "SANDGATE_VERIFY_KEYS: not set");
	return keyfiles_add(v, "SANDGATE_OPERATOR_KEYS", v->cfg.operator_keys,
	    err);
}

/*
 * Both key sets from the configuration: *ks never empty, *op NULL when
 * SANDGATE_OPERATOR_KEYS is unset, never sharing a key with *ks.
 */
static enum sg_rc
keysets_load(const struct app *v, struct sg_keyset **ks,
    struct sg_keyset **op, struct sg_err *err)
{
	enum sg_rc	 rc;

	*ks = *op = NULL;
	if ((rc = sg_keyset_load(v->cfg.verify_keys, ks, err)) != SG_OK)
		goto fail;
	if (*ks == NULL || sg_keyset_count(*ks) == 0) {
		rc = sg_err_set(err, SG_EINVAL, "bad_config",
		    "SANDGATE_VERIFY_KEYS: no key");
		goto fail;
	}
	if (v->cfg.operator_keys[0] == '\0')
		return SG_OK;
	if ((rc = sg_keyset_load(v->cfg.operator_keys, op, err)) != SG_OK)
		goto fail;
	if (*op == NULL || sg_keyset_count(*op) == 0) {
		rc = sg_err_set(err, SG_EINVAL, "bad_config",
		    "SANDGATE_OPERATOR_KEYS: no key");
		goto fail;
	}
	if ((rc = sg_token_keys_apart(*ks, *op, err)) != SG_OK)
		goto fail;
	return SG_OK;
fail:
	sg_keyset_free(*ks);
	sg_keyset_free(*op);
	*ks = *op = NULL;
	return rc == SG_ENOMEM ? rc : SG_EINVAL;
}

static void
keyfile_stat(struct sg_verify_keyfile *f)
{
	struct stat	 sb;

	if (stat(f->path, &sb) == -1) {
		f->ok = 0;
		f->dev = 0;
		f->ino = 0;
		f->size = 0;
		memset(&f->mtime, 0, sizeof(f->mtime));
		memset(&f->ctime, 0, sizeof(f->ctime));
		return;
	}
	f->ok = 1;
	f->dev = sb.st_dev;
	f->ino = sb.st_ino;
	f->size = sb.st_size;
	f->mtime = sb.st_mtim;
	f->ctime = sb.st_ctim;
}

static int
keyfile_same(const struct sg_verify_keyfile *a,
    const struct sg_verify_keyfile *b)
{
	return a->ok == b->ok && a->dev == b->dev && a->ino == b->ino &&
	    a->size == b->size &&
	    a->mtime.tv_sec == b->mtime.tv_sec &&
	    a->mtime.tv_nsec == b->mtime.tv_nsec &&
	    a->ctime.tv_sec == b->ctime.tv_sec &&
	    a->ctime.tv_nsec == b->ctime.tv_nsec;
}

int
sg_verify_reload(struct app *v, int force, struct sg_err *err)
{
	struct sg_verify_keyfile nf[SG_VERIFY_KEYFILES];
	struct sg_keyset	*ks = NULL, *op = NULL;
	int64_t			 now = mono_us(v);
	size_t			 i;
	int			 changed = 0;

	if (!force && v->last_stat_us != 0 && now >= v->last_stat_us &&
	    now - v->last_stat_us < SG_VERIFY_STAT_US)
		return 0;
	v->last_stat_us = now;
	for (i = 0; i < v->nfiles; i++) {
		nf[i] = v->files[i];
		keyfile_stat(&nf[i]);
		if (!keyfile_same(&nf[i], &v->files[i]))
			changed = 1;
	}
	if (!force && !changed)
		return 0;
	/*
	 * Remember what was seen even if the load fails, so a broken file
	 * is tried again when it changes, not every second.  A writer that
	 * is half done changes the file again when it finishes.
	 */
	for (i = 0; i < v->nfiles; i++)
		v->files[i] = nf[i];
	if (keysets_load(v, &ks, &op, err) != SG_OK) {
		v->st.reload_failures++;
		sg_metrics_add(SG_M_KEY_RELOADS, 1, "failed");
		sg_err_set(err, SG_EINVAL, "bad_keys", "no usable key");
		return -1;
	}
	/* Build first, swap on success: requests never see no keys. */
	sg_keyset_free(v->keys);
	v->keys = ks;
	sg_keyset_free(v->op_keys);
	v->op_keys = op;
	/* Tokens verified under a removed kid must not live on. */
	sg_tcache_flush(v->cache);
	v->st.reloads++;
	sg_metrics_add(SG_M_KEY_RELOADS, 1, "ok");
	return 1;
}

/* ---- setup ------------------------------------------------------------ */

enum sg_rc
sg_verify_init(struct app *v, const struct sg_cfg *cfg,
    struct sg_err *err)
{
	enum sg_rc	 rc;
	size_t		 i;

	memset(v, 0, sizeof(*v));
	v->cfg = *cfg;
	if ((rc = keyfiles_parse(v, err)) != SG_OK)
		goto out;
	for (i = 0; i < v->nfiles; i++)
		keyfile_stat(&v->files[i]);
	if ((rc = keysets_load(v, &v->keys, &v->op_keys, err)) != SG_OK)
		goto out;
	/*
	 * Without operator keys a stolen sandbox-signing key (token-issuer,
	 * sandbox-create hold it) also mints operator tokens: say so.
	 */
	if (v->op_keys == NULL)
		sg_log(SG_LOG_WARN, "operator_keys_shared", "detail",
		    "SANDGATE_OPERATOR_KEYS is not set: operator tokens are "
		    "accepted under the sandbox keys", (char *)NULL);
	if ((rc = sg_redis_new(v->cfg.redis, v->cfg.redis_timeout_ms,
	    &v->redis, err)) != SG_OK)
		goto out;
	if ((v->cache = sg_tcache_new(SG_TCACHE_DEFAULT)) == NULL) {
		rc = sg_err_set(err, SG_ENOMEM, "out_of_memory",
		    "token cache");
		goto out;
	}
	/* Target names: a deadline per lookup and a cache (resolve.h). */
	if ((rc = sg_resolver_new(v->cfg.dns_timeout_ms, v->cfg.dns_servers,
	    &v->resolver, err)) != SG_OK)
		goto out;
	sg_hosts_set_resolver(v->resolver);
	v->last_stat_us = mono_us(v);
	rc = SG_OK;
out:
	if (rc != SG_OK)
		sg_verify_clear(v);
	return rc;
}

void
sg_verify_clear(struct app *v)
{
	sg_tcache_free(v->cache);
	v->cache = NULL;
	sg_hosts_set_resolver(NULL);
	sg_resolver_free(v->resolver);
	v->resolver = NULL;
	sg_keyset_free(v->keys);
	v->keys = NULL;
	sg_keyset_free(v->op_keys);
	v->op_keys = NULL;
	sg_redis_free(v->redis);
	v->redis = NULL;
}
