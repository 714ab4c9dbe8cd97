/* SPDX-License-Identifier: ISC */
/*
 * The Redis URL (lib/redis.c, lib/redis-sentinel.c): redis://, unix: and
 * sentinel:// parsed without connecting.  Properties: only SG_OK, SG_EINVAL
 * or SG_ENOMEM; a refusal is "bad_redis_url" or "bad_redis_credentials"
 * with a printable message that names a SANDGATE_REDIS variable (that it
 * never echoes a password: tests/unit/check_session.c); an accepted URL starts
 * with one of the three schemes and has no byte outside printable ASCII.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "redis.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	unsetenv("SANDGATE_REDIS_PASSWORD");
	unsetenv("SANDGATE_REDIS_PASSWORD_FILE");
	unsetenv("SANDGATE_REDIS_USER");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct sg_redis	*r = NULL;
	struct sg_err	 err;
	enum sg_rc	 rc;
	char		*url;
	size_t		 i;

	if (n > SG_REDIS_URL_MAX + 16)
		return 0;
	url = fz_strndup(d, n);
	sg_err_clear(&err);
	rc = sg_redis_new(url, 100, &r, &err);
	FZ_ASSERT(rc == SG_OK || rc == SG_EINVAL || rc == SG_ENOMEM,
	    "rc %d", (int)rc);
	if (rc == SG_OK) {
		FZ_ASSERT(r != NULL, "no client");
		FZ_ASSERT(strncmp(url, "redis://", 8) == 0 ||
		    strncmp(url, "unix:", 5) == 0 ||
		    strncmp(url, "sentinel://", 11) == 0, "scheme");
		for (i = 0; url[i] != '\0'; i++)
			FZ_ASSERT((unsigned char)url[i] > 0x20 &&
			    (unsigned char)url[i] < 0x7f, "byte %02x accepted",
			    (unsigned char)url[i]);
		sg_redis_free(r);
	} else if (rc == SG_EINVAL) {
		FZ_ASSERT(r == NULL, "client left on failure");
		FZ_ASSERT(err.code != NULL &&
		    (strcmp(err.code, "bad_redis_url") == 0 ||
		    strcmp(err.code, "bad_redis_credentials") == 0 ||
		    strcmp(err.code, "bad_redis_timeout") == 0), "code %s",
		    err.code != NULL ? err.code : "-");
		FZ_ASSERT(strstr(err.msg, "SANDGATE_REDIS") != NULL ||
		    strcmp(err.code, "bad_redis_timeout") == 0,
		    "message names no variable: %s", err.msg);
		for (i = 0; err.msg[i] != '\0'; i++)
			FZ_ASSERT((unsigned char)err.msg[i] >= 0x20 &&
			    (unsigned char)err.msg[i] < 0x7f, "message byte");
	}
	free(url);
	return 0;
}
