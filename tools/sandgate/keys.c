/* SPDX-License-Identifier: ISC */
/*
 * sandgate keys [--operator] init|rotate|activate|retire|list DIR
 *
 * The key directory the units read (docs/deploy.md §3), by the names they
 * read:
 *
 *	signing.pem	 the private key token-issuer and sandbox-create sign
 *			 with (LoadCredential=signing.pem:DIR/signing.pem),
 *			 0600
 *	verify.jwks.json every public key a verifier accepts
 *			 (SANDGATE_VERIFY_KEYS=DIR/verify.jwks.json), 0644
 *	next.pem	 during a rotation only: the staged private key, 0600
 *
 * and, with --operator, the same for the key of operator tokens, which
 * no service holds (the CLI signs with it): operator.pem
 * (SANDGATE_OPERATOR_SIGNING_KEY), operator.jwks.json
 * (SANDGATE_OPERATOR_KEYS), operator-next.pem.
 *
 * A rotation is three steps with waits between them, so that no verifier
 * ever sees a token signed by a key it does not know yet and no token
 * stops working before it expires:
 *
 *	rotate	 next.pem made, its public key added to verify.jwks.json;
 *		 wait until every verifier has reloaded
 *	activate next.pem becomes signing.pem (the old private key is gone);
 *		 restart the signers; new tokens carry the new kid
 *	retire	 verify.jwks.json keeps the signing (and a staged) key only;
 *		 refused until SANDGATE_TOKEN_MAX_TTL + SANDGATE_LEEWAY after
 *		 the activation (signing.pem's mtime), unless --force (a
 *		 compromised key)
 *
 * Every file is replaced through a temporary file and rename(2).
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cfg.h"
#include "cmd.h"
#include "crypto.h"
#include "keys.h"

/* The names of one key kind: sandbox tokens, or with --operator theirs. */
struct names {
	const char	*signing, *next, *jwks;
};
static const struct names sandbox_names = {
	"signing.pem", "next.pem", "verify.jwks.json"
};
static const struct names operator_names = {
	"operator.pem", "operator-next.pem", "operator.jwks.json"
};
static const struct names *nm = &sandbox_names;

#define SIGNING		(nm->signing)
#define NEXT		(nm->next)
#define JWKS		(nm->jwks)

static void
usage(FILE *f)
{
	fprintf(f, "usage: sandgate keys [--operator] init DIR\n"
	    "       sandgate keys [--operator] rotate DIR\n"
	    "       sandgate keys [--operator] activate DIR\n"
	    "       sandgate keys [--operator] retire [--force] DIR\n"
	    "       sandgate keys [--operator] list DIR\n\n"
	    "The key directory of the units (e.g. /etc/sandgate/keys):\n"
	    "  signing.pem         0600, the sandbox-token key "
	    "(LoadCredential)\n"
	    "  verify.jwks.json    0644, SANDGATE_VERIFY_KEYS\n"
	    "  next.pem            0600, a staged key during a rotation\n"
	    "and with --operator, the operator-token key, which no service "
	    "holds:\n"
	    "  operator.pem        0600, SANDGATE_OPERATOR_SIGNING_KEY (the "
	    "CLI)\n"
	    "  operator.jwks.json  0644, SANDGATE_OPERATOR_KEYS\n"
	    "  operator-next.pem   0600, staged\n\n"
	    "init      the first signing key\n"
	    "rotate    stage a new key: next.pem, public key published\n"
	    "activate  the staged key signs from now on (restart signers)\n"
	    "retire    unpublish every key but the signing and staged one;\n"
	    "          refused until SANDGATE_TOKEN_MAX_TTL + "
	    "SANDGATE_LEEWAY after\n"
	    "          the activation unless --force\n"
	    "list      each key's kid and role\n");
}

static int
path_of(char *buf, const char *dir, const char *name)
{
	if (cmd_join(buf, PATH_MAX, dir, name) == -1) {
		fprintf(stderr, "sandgate keys: %s: path too long\n", dir);
		return -1;
	}
	return 0;
}

/* 1 if dir/name exists, 0 if not, -1 on another error (printed). */
static int
exists(const char *dir, const char *name, struct stat *st)
{
	char	 p[PATH_MAX];

	if (path_of(p, dir, name) == -1)
		return -1;
	if (stat(p, st) == 0)
		return 1;
	if (errno == ENOENT)
		return 0;
	fprintf(stderr, "sandgate keys: %s: %s\n", p, strerror(errno));
	return -1;
}

/* The private key dir/name (mode checked), or NULL (printed). */
static struct sg_key *
load_private(const char *dir, const char *name)
{
	struct sg_key	*k;
	struct sg_err	 err;
	char		 p[PATH_MAX];

	if (path_of(p, dir, name) == -1)
		return NULL;
	sg_err_clear(&err);
	if (sg_key_load_signing(p, &k, &err) != SG_OK) {
		fprintf(stderr, "sandgate keys: %s\n", err.msg);
		return NULL;
	}
	return k;
}

/* The published set; an empty one when the file does not exist. */
static struct sg_keyset *
load_jwks(const char *dir)
{
	struct sg_keyset *ks = NULL;
	struct sg_err	 err;
	struct stat	 st;
	char		 p[PATH_MAX];
	int		 e;

	if ((e = exists(dir, JWKS, &st)) == -1 || path_of(p, dir, JWKS) == -1)
		return NULL;
	if (e == 0) {
		if ((ks = sg_keyset_new()) == NULL)
			fprintf(stderr, "sandgate keys: out of memory\n");
		return ks;
	}
	sg_err_clear(&err);
	if (sg_keyset_load(p, &ks, &err) != SG_OK) {
		fprintf(stderr, "sandgate keys: %s\n", err.msg);
		return NULL;
	}
	return ks;
}

static int
save_jwks(const char *dir, const struct sg_keyset *ks)
{
	cJSON	*j;
	char	*text = NULL;
	int	 rc = -1;

	if ((j = sg_keyset_jwks(ks)) == NULL ||
	    (text = cmd_json_text(j)) == NULL)
		fprintf(stderr, "sandgate keys: out of memory\n");
	else
		rc = cmd_write_file("keys", dir, JWKS, text, strlen(text),
		    0644, 0);
	free(text);
	cJSON_Delete(j);
	return rc;
}

/* Add the public half of k to ks unless its kid is there already. */
static int
publish(struct sg_keyset *ks, const struct sg_key *k)
{
	struct sg_key	*pub;
	struct sg_err	 err;

	if (sg_keyset_find(ks, sg_key_kid(k)) != NULL)
		return 0;
	sg_err_clear(&err);
	if (sg_key_public(k, &pub, &err) != SG_OK ||
	    sg_keyset_add(ks, pub, &err) != SG_OK) {
		fprintf(stderr, "sandgate keys: %s\n", err.msg);
		return -1;
	}
	return 0;
}

/*
 * A new private key written to dir/name (which must not exist) and
 * published: the public half first, so that the key is known to the
 * verifiers before anything can sign with it.
 */
static int
make_key(const char *dir, const char *name)
{
	struct sg_keyset *ks = NULL;
	struct sg_key	*k = NULL;
	struct sg_err	 err;
	struct stat	 st;
	char		*pem = NULL;
	int		 e, rc = -1;

	if ((e = exists(dir, name, &st)) != 0) {
		if (e == 1)
			fprintf(stderr, "sandgate keys: %s/%s exists\n", dir,
			    name);
		return -1;
	}
	sg_err_clear(&err);
	if ((ks = load_jwks(dir)) == NULL)
		goto out;
	if (sg_key_generate(&k, &err) != SG_OK) {
		fprintf(stderr, "sandgate keys: %s\n", err.msg);
		goto out;
	}
	if ((pem = sg_key_pem(k, 1)) == NULL) {
		fprintf(stderr, "sandgate keys: out of memory\n");
		goto out;
	}
	if (publish(ks, k) == -1 || save_jwks(dir, ks) == -1 ||
	    cmd_write_file("keys", dir, name, pem, strlen(pem), 0600, 1) == -1)
		goto out;
	printf("%s\n", sg_key_kid(k));
	rc = 0;
out:
	if (pem != NULL) {
		sg_cleanse(pem, strlen(pem));
		free(pem);
	}
	sg_key_free(k);
	sg_keyset_free(ks);
	return rc;
}

static int
keys_activate(const char *dir)
{
	struct sg_keyset *ks = NULL;
	struct sg_key	*k = NULL;
	char		 from[PATH_MAX], to[PATH_MAX];
	int		 rc = -1;

	if ((k = load_private(dir, NEXT)) == NULL ||
	    (ks = load_jwks(dir)) == NULL)
		goto out;
	if (sg_keyset_find(ks, sg_key_kid(k)) == NULL) {
		fprintf(stderr, "sandgate keys: %s/%s is not in %s; run "
		    "\"sandgate keys rotate\" again\n", dir, NEXT, JWKS);
		goto out;
	}
	if (path_of(from, dir, NEXT) == -1 || path_of(to, dir, SIGNING) == -1)
		goto out;
	/* The rename replaces the old private key in one step. */
	if (rename(from, to) == -1 || utimensat(AT_FDCWD, to, NULL, 0) == -1) {
		fprintf(stderr, "sandgate keys: %s: %s\n", to, strerror(errno));
		goto out;
	}
	printf("%s\n", sg_key_kid(k));
	rc = 0;
out:
	sg_key_free(k);
	sg_keyset_free(ks);
	return rc;
}

/* Until when the old keys must stay published; -1 (printed). */
static int
retire_after(const char *dir, time_t *when)
{
	static struct sg_cfg	 cfg;
	struct sg_err		 err;
	struct stat		 st;

	sg_err_clear(&err);
	if (sg_cfg_load(&cfg, &err) != SG_OK) {
		fprintf(stderr, "sandgate keys: %s\n", err.msg);
		return -1;
	}
	if (exists(dir, SIGNING, &st) != 1) {
		fprintf(stderr, "sandgate keys: %s/%s is missing\n", dir,
		    SIGNING);
		return -1;
	}
	*when = st.st_mtime + (time_t)cfg.token_max_ttl + (time_t)cfg.leeway;
	return 0;
}

static int
keys_retire(const char *dir, int force)
{
	struct sg_keyset *ks = NULL, *keep = NULL;
	struct sg_key	*sign = NULL, *next = NULL;
	struct stat	 st;
	time_t		 when, now = time(NULL);
	size_t		 i, n;
	int		 rc = -1;

	if (retire_after(dir, &when) == -1 ||
	    (sign = load_private(dir, SIGNING)) == NULL)
		goto out;
	if (exists(dir, NEXT, &st) == 1 &&
	    (next = load_private(dir, NEXT)) == NULL)
		goto out;
	if (now < when && !force) {
		fprintf(stderr, "sandgate keys: tokens signed by the old keys "
		    "may live until %lld (%lld s from now: "
		    "SANDGATE_TOKEN_MAX_TTL + SANDGATE_LEEWAY after the "
		    "activation); use --force only for a compromised key\n",
		    (long long)when, (long long)(when - now));
		goto out;
	}
	if ((ks = load_jwks(dir)) == NULL || (keep = sg_keyset_new()) == NULL)
		goto out;
	if (publish(keep, sign) == -1 || (next != NULL &&
	    publish(keep, next) == -1))
		goto out;
	n = sg_keyset_count(ks);
	for (i = 0; i < n; i++)
		if (sg_keyset_find(keep, sg_key_kid(sg_keyset_at(ks, i))) ==
		    NULL)
			printf("%s\n", sg_key_kid(sg_keyset_at(ks, i)));
	rc = save_jwks(dir, keep);
out:
	sg_key_free(sign);
	sg_key_free(next);
	sg_keyset_free(ks);
	sg_keyset_free(keep);
	return rc;
}

static int
keys_list(const char *dir)
{
	struct sg_keyset *ks;
	struct sg_key	*sign = NULL, *next = NULL;
	struct stat	 st;
	const char	*kid, *role;
	size_t		 i, n;
	int		 rc = -1;

	if ((ks = load_jwks(dir)) == NULL)
		return -1;
	if (exists(dir, SIGNING, &st) == 1 &&
	    (sign = load_private(dir, SIGNING)) == NULL)
		goto out;
	if (exists(dir, NEXT, &st) == 1 &&
	    (next = load_private(dir, NEXT)) == NULL)
		goto out;
	n = sg_keyset_count(ks);
	for (i = 0; i < n; i++) {
		kid = sg_key_kid(sg_keyset_at(ks, i));
		role = sign != NULL && strcmp(kid, sg_key_kid(sign)) == 0 ?
		    "signing" : next != NULL &&
		    strcmp(kid, sg_key_kid(next)) == 0 ? "next" : "verify-only";
		printf("%s %s\n", kid, role);
	}
	rc = 0;
	if (sign != NULL && sg_keyset_find(ks, sg_key_kid(sign)) == NULL) {
		fprintf(stderr, "sandgate keys: the signing key %s is not in "
		    "%s: verifiers refuse its tokens\n", sg_key_kid(sign), JWKS);
		rc = -1;
	}
out:
	sg_key_free(sign);
	sg_key_free(next);
	sg_keyset_free(ks);
	return rc;
}

int
cmd_keys(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "force",	no_argument,	NULL, 'f' },
		{ "operator",	no_argument,	NULL, 'o' },
		{ "help",	no_argument,	NULL, 'h' },
		{ NULL,		0,		NULL, 0 }
	};
	struct stat	 st;
	const char	*verb, *dir;
	int		 c, force = 0, rc;

	/* Options before the verb: --operator, --help. */
	nm = &sandbox_names;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		if (c != 'o')
			return cmd_usage(c, usage);
		nm = &operator_names;
	}
	if (argc - optind < 1)
		return cmd_usage('?', usage);
	verb = argv[optind];
	argc -= optind;
	argv += optind;
	optind = 0;	/* glibc: start over on the verb's own argv */
	while ((c = getopt_long(argc, argv, "fh", longopts, NULL)) != -1)
		switch (c) {
		case 'f':
			force = 1;
			break;
		case 'o':
			nm = &operator_names;
			break;
		case 'h':
		default:
			return cmd_usage(c, usage);
		}
	if (argc - optind != 1 || (force && strcmp(verb, "retire") != 0))
		return cmd_usage('?', usage);
	dir = argv[optind];
	/* Packages make DIR (0750 root:sandgate); a new one is root's. */
	if (strcmp(verb, "init") == 0 && mkdir(dir, 0700) == -1 &&
	    errno != EEXIST) {
		fprintf(stderr, "sandgate keys: %s: %s\n", dir,
		    strerror(errno));
		return SG_EXIT_FAIL;
	}
	if (stat(dir, &st) == -1 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "sandgate keys: %s: not a directory\n", dir);
		return SG_EXIT_FAIL;
	}
	if (strcmp(verb, "init") == 0)
		rc = make_key(dir, SIGNING);
	else if (strcmp(verb, "rotate") == 0) {
		if ((rc = exists(dir, SIGNING, &st)) == 0)
			fprintf(stderr, "sandgate keys: %s/%s is missing: "
			    "\"sandgate keys init\" first\n", dir, SIGNING);
		rc = rc == 1 ? make_key(dir, NEXT) : -1;
	}
	else if (strcmp(verb, "activate") == 0)
		rc = keys_activate(dir);
	else if (strcmp(verb, "retire") == 0)
		rc = keys_retire(dir, force);
	else if (strcmp(verb, "list") == 0)
		rc = keys_list(dir);
	else
		return cmd_usage('?', usage);
	return rc == 0 ? SG_EXIT_OK : SG_EXIT_FAIL;
}
