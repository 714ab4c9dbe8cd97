/* SPDX-License-Identifier: ISC */
/*
 * Where the Redis credentials come from (redis.h): the URL's userinfo,
 * SANDGATE_REDIS_PASSWORD, SANDGATE_REDIS_PASSWORD_FILE and
 * SANDGATE_REDIS_USER.  Each secret has exactly one source: a password
 * in two places is refused rather than one silently winning.  Read once,
 * when the client is made (at the service's start); never logged, and
 * wiped when the client is freed (sg_redis_conn_clear).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "crypto.h"
#include "redis-private.h"

/* Longest password or user name accepted from any source. */
#define CRED_MAX	SG_REDIS_URL_MAX
/* Longest user name (Redis itself has no limit; ours is generous). */
#define USER_MAX	128

static enum sg_rc
cred_err(struct sg_err *err, const char *var, const char *why)
{
	/* The variable's name and why, never its value. */
	return sg_err_set(err, SG_EINVAL, "bad_redis_credentials", "%s: %s",
	    var, why);
}

/*
 * Printable ASCII (a space too when sp: a password may hold one, an ACL
 * user name cannot), non-empty.
 */
static int
cred_valid(const char *s, size_t len, int sp)
{
	size_t	 i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < (sp ? 0x20 : 0x21) ||
		    (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

/*
 * The password file: a regular file that only its owner may read or
 * write (as ssh does for a private key: a secret others can read is no
 * longer one), at most CRED_MAX bytes, one line (a final "\n" or "\r\n"
 * is dropped, as editors and `echo` add one).
 */
static enum sg_rc
read_password_file(const char *path, char **out, struct sg_err *err)
{
	const char	*var = "SANDGATE_REDIS_PASSWORD_FILE";
	char		 buf[CRED_MAX + 2];
	struct stat	 st;
	ssize_t		 n;
	size_t		 len = 0;
	enum sg_rc	 rc;
	int		 fd;

	*out = NULL;
	if (path[0] != '/')
		return cred_err(err, var, "must be an absolute path");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		return sg_err_set(err, SG_EINVAL, "bad_redis_credentials",
		    "%s: cannot open: %s", var, strerror(errno));
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		rc = cred_err(err, var, "not a regular file");
		goto out;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		rc = sg_err_set(err, SG_EINVAL, "bad_redis_credentials",
		    "%s: mode %04o lets group or others at the password "
		    "(chmod 600 or 400)", var, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	while (len < sizeof(buf)) {
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			rc = sg_err_set(err, SG_EINVAL, "bad_redis_credentials",
			    "%s: cannot read: %s", var, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	if (len > CRED_MAX) {
		rc = cred_err(err, var, "the password is too long");
		goto out;
	}
	if (!cred_valid(buf, len, 1)) {
		rc = cred_err(err, var, "empty, or not one line of printable "
		    "characters");
		goto out;
	}
	if ((*out = strndup(buf, len)) == NULL) {
		rc = sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
		goto out;
	}
	rc = SG_OK;
out:
	sg_cleanse(buf, sizeof(buf));
	(void)close(fd);
	return rc;
}

static enum sg_rc
set_password(struct sg_redis_conn *r, char *pw, const char *var,
    struct sg_err *err)
{
	if (r->password != NULL) {
		sg_cleanse(pw, strlen(pw));
		free(pw);
		return sg_err_set(err, SG_EINVAL, "bad_redis_credentials",
		    "%s is set and the password is given elsewhere too "
		    "(SANDGATE_REDIS or SANDGATE_REDIS_PASSWORD[_FILE])", var);
	}
	r->password = pw;
	return SG_OK;
}

enum sg_rc
sg_redis_creds_env(struct sg_redis_conn *r, struct sg_err *err)
{
	const char	*v;
	char		*pw;
	enum sg_rc	 rc;

	/* The environment keeps the password out of URLs that get logged. */
	if ((v = getenv("SANDGATE_REDIS_PASSWORD")) != NULL && *v != '\0') {
		if (strlen(v) > CRED_MAX)
			return cred_err(err, "SANDGATE_REDIS_PASSWORD",
			    "too long");
		if ((pw = strdup(v)) == NULL)
			return sg_err_set(err, SG_ENOMEM, NULL,
			    "out of memory");
		if ((rc = set_password(r, pw, "SANDGATE_REDIS_PASSWORD",
		    err)) != SG_OK)
			return rc;
	}
	/* A file keeps it out of the environment too (/proc/PID/environ). */
	if ((v = getenv("SANDGATE_REDIS_PASSWORD_FILE")) != NULL &&
	    *v != '\0') {
		if (strlen(v) > PATH_MAX)
			return cred_err(err, "SANDGATE_REDIS_PASSWORD_FILE",
			    "path too long");
		if ((rc = read_password_file(v, &pw, err)) != SG_OK)
			return rc;
		if ((rc = set_password(r, pw, "SANDGATE_REDIS_PASSWORD_FILE",
		    err)) != SG_OK)
			return rc;
	}
	if ((v = getenv("SANDGATE_REDIS_USER")) != NULL && *v != '\0') {
		if (r->user != NULL)
			return cred_err(err, "SANDGATE_REDIS_USER",
			    "SANDGATE_REDIS names a user too");
		if (strlen(v) > USER_MAX || !cred_valid(v, strlen(v), 0))
			return cred_err(err, "SANDGATE_REDIS_USER", "not a "
			    "user name (1..128 printable characters, no "
			    "space)");
		if ((r->user = strdup(v)) == NULL)
			return sg_err_set(err, SG_ENOMEM, NULL,
			    "out of memory");
	}
	/* AUTH user pass (Redis 6 ACLs) needs both. */
	if (r->user != NULL && r->password == NULL)
		return sg_redis_bad_url(err, "a user name needs a password");
	return SG_OK;
}
