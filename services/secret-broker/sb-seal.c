/* SPDX-License-Identifier: ISC */
/*
 * Test helper: seal a secret and store it as the API does.
 *   sb-seal KEYFILE CID NAME HOST HEADER TTL_S   (value on stdin, one line;
 *   Redis from SANDGATE_REDIS)
 *   sb-seal -d CID NAME                           (delete it)
 * The value is read from stdin so it is never in a process's arguments.
 */
#include "config.h"

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "crypto.h"
#include "redis.h"
#include "secret.h"

int
main(int argc, char *argv[])
{
	struct sg_secret_key key;
	struct sg_secret s;
	struct sg_redis	*r;
	struct sg_err	 e;
	const char	*url = getenv("SANDGATE_REDIS");
	char		*rec = NULL;
	size_t		 n;

	sg_err_clear(&e);
	if (url == NULL || sg_redis_new(url, 1000, &r, &e) != SG_OK)
		errx(1, "SANDGATE_REDIS: %s", e.msg);
	if (argc == 4 && strcmp(argv[1], "-d") == 0) {
		if (sg_secret_del(r, argv[2], argv[3], &e) != SG_OK)
			errx(1, "%s", e.msg);
		sg_redis_free(r);
		return 0;
	}
	if (argc != 7)
		errx(2, "usage: sb-seal KEYFILE CID NAME HOST HEADER TTL_S");
	memset(&s, 0, sizeof(s));
	if (sg_secret_key_load(argv[1], &key, &e) != SG_OK)
		errx(1, "%s", e.msg);
	(void)strlcpy(s.name, argv[3], sizeof(s.name));
	(void)strlcpy(s.host, argv[4], sizeof(s.host));
	(void)strlcpy(s.header, argv[5], sizeof(s.header));
	if (fgets(s.value, sizeof(s.value), stdin) == NULL)
		errx(1, "no value on stdin");
	n = strlen(s.value);
	if (n > 0 && s.value[n - 1] == '\n')
		s.value[n - 1] = '\0';
	if (sg_secret_seal(&key, argv[2], &s, &rec, &e) != SG_OK ||
	    sg_secret_put(r, argv[2], s.name, rec, strtol(argv[6], NULL, 10),
	    &e) != SG_OK)
		errx(1, "%s", e.msg);
	sg_cleanse(&s, sizeof(s));
	sg_cleanse(&key, sizeof(key));
	free(rec);
	sg_redis_free(r);
	return 0;
}
