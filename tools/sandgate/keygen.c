/* SPDX-License-Identifier: ISC */
/*
 * sandgate keygen [--force] DIR
 *
 * A fresh P-256 signing key in DIR: private-key.pem (mode 0600),
 * public-key.pem and jwks.json (0644).  An existing private key is never
 * replaced without --force.  Each file is written to a temporary file in
 * DIR first and then linked (no --force: link(2) fails atomically if the
 * name exists) or renamed (--force) into place, so a reader never sees a
 * half-written key.  Prints the kid.
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
#include <unistd.h>

#include "cmd.h"
#include "crypto.h"
#include "keys.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: sandgate keygen [--force] DIR\n\n"
	    "Create a P-256 signing key in DIR (created 0700 if missing):\n"
	    "  private-key.pem  mode 0600, for SANDGATE_SIGNING_KEY\n"
	    "  public-key.pem   mode 0644, for SANDGATE_VERIFY_KEYS\n"
	    "  jwks.json        mode 0644, the public key as a JWK set\n"
	    "and print its kid (RFC 7638 thumbprint).  An existing private "
	    "key is\nkept unless --force is given.\n");
}

int
cmd_join(char *buf, size_t size, const char *dir, const char *name)
{
	int	 n;

	n = snprintf(buf, size, "%s/%s", dir, name);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

int
cmd_write_file(const char *cmd, const char *dir, const char *name,
    const char *data, size_t len, mode_t mode, int excl)
{
	char	 tmp[PATH_MAX], path[PATH_MAX];
	size_t	 off = 0;
	ssize_t	 w;
	int	 fd = -1, rc = -1, linked = 0;

	if (cmd_join(path, sizeof(path), dir, name) == -1 ||
	    cmd_join(tmp, sizeof(tmp), dir, ".sandgate-key.XXXXXX") == -1) {
		fprintf(stderr, "sandgate %s: path too long\n", cmd);
		return -1;
	}
	if ((fd = mkstemp(tmp)) == -1) {
		fprintf(stderr, "sandgate %s: %s: %s\n", cmd, dir,
		    strerror(errno));
		return -1;
	}
	if (fchmod(fd, mode) == -1)
		goto fail;
	while (off < len) {
		if ((w = write(fd, data + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)w;
	}
	if (fsync(fd) == -1 || close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (excl) {
		if (link(tmp, path) == -1) {
			if (errno == EEXIST)
				fprintf(stderr, "sandgate %s: %s exists; "
				    "use --force to replace it\n", cmd, path);
			else
				fprintf(stderr, "sandgate %s: %s: %s\n",
				    cmd, path, strerror(errno));
			goto out;
		}
		linked = 1;
	} else if (rename(tmp, path) == -1)
		goto fail;
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "sandgate %s: %s: %s\n", cmd, path, strerror(errno));
out:
	if (fd != -1)
		close(fd);
	if (rc == -1 || linked)
		(void)unlink(tmp);
	return rc;
}

char *
cmd_json_text(const cJSON *j)
{
	char	*t, *u;
	size_t	 n;

	if ((t = cJSON_Print(j)) == NULL)
		return NULL;
	n = strlen(t);
	if ((u = malloc(n + 2)) != NULL) {
		memcpy(u, t, n);
		u[n] = '\n';
		u[n + 1] = '\0';
	}
	free(t);
	return u;
}

int
cmd_keygen(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "force",	no_argument,	NULL, 'f' },
		{ "help",	no_argument,	NULL, 'h' },
		{ NULL,		0,		NULL, 0 }
	};
	struct sg_key	*k = NULL;
	struct sg_err	 err;
	struct stat	 st;
	cJSON		*jwks = NULL, *keys, *jwk = NULL;
	char		*priv = NULL, *pub = NULL, *text = NULL;
	const char	*dir;
	int		 c, force = 0, ret = SG_EXIT_FAIL;

	while ((c = getopt_long(argc, argv, "fh", longopts, NULL)) != -1)
		switch (c) {
		case 'f':
			force = 1;
			break;
		case 'h':
		default:
			return cmd_usage(c, usage);
		}
	if (argc - optind != 1)
		return cmd_usage('?', usage);
	dir = argv[optind];
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		fprintf(stderr, "sandgate keygen: %s: %s\n", dir,
		    strerror(errno));
		return SG_EXIT_FAIL;
	}
	if (stat(dir, &st) == -1 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "sandgate keygen: %s: not a directory\n", dir);
		return SG_EXIT_FAIL;
	}

	sg_err_clear(&err);
	if (sg_key_generate(&k, &err) != SG_OK) {
		fprintf(stderr, "sandgate keygen: %s\n", err.msg);
		goto out;
	}
	if ((priv = sg_key_pem(k, 1)) == NULL ||
	    (pub = sg_key_pem(k, 0)) == NULL ||
	    (jwks = cJSON_CreateObject()) == NULL ||
	    (keys = cJSON_AddArrayToObject(jwks, "keys")) == NULL ||
	    (jwk = sg_key_jwk(k)) == NULL) {
		fprintf(stderr, "sandgate keygen: out of memory\n");
		goto out;
	}
	cJSON_AddItemToArray(keys, jwk);
	jwk = NULL;
	if ((text = cmd_json_text(jwks)) == NULL) {
		fprintf(stderr, "sandgate keygen: out of memory\n");
		goto out;
	}
	/* The private key first: refusing must happen before anything. */
	if (cmd_write_file("keygen", dir, "private-key.pem", priv,
	    strlen(priv), 0600, !force) == -1 ||
	    cmd_write_file("keygen", dir, "public-key.pem", pub, strlen(pub),
	    0644, 0) == -1 ||
	    cmd_write_file("keygen", dir, "jwks.json", text, strlen(text),
	    0644, 0) == -1)
		goto out;
	printf("%s\n", sg_key_kid(k));
	ret = SG_EXIT_OK;
out:
	if (priv != NULL) {
		sg_cleanse(priv, strlen(priv));
		free(priv);
	}
	free(pub);
	free(text);
	cJSON_Delete(jwk);
	cJSON_Delete(jwks);
	sg_key_free(k);
	return ret;
}
