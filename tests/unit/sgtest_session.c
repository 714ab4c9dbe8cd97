/* SPDX-License-Identifier: ISC */
/*
 * A small driver of lib/session.c for tests/integration/t-redis.sh, which
 * restarts servers and plays "another tool" with redis-cli around it.
 *
 *   sgtest_session URL put ID USER TTL	a fixed session, expires now+TTL
 *   sgtest_session URL get ID		the stored session as JSON
 *   sgtest_session URL del ID [USER]
 *   sgtest_session URL list USER		{"sessions":[...]}
 *   sgtest_session URL count USER
 *   sgtest_session URL prune		how many ids were pruned
 *   sgtest_session URL ping
 *   sgtest_session URL wait-get ID TRIES MS
 *	get every MS ms with the same sg_redis until one succeeds (at most
 *	TRIES times); prints each distinct result in order ("redis_loading
 *	ok"), so a test sees that one object recovers by itself.
 *
 * Prints "OK" or the result on success (exit 0), else "ERR <code>" on
 * stdout and the message on stderr (exit 1); usage errors exit 2.
 * Timeout: SANDGATE_REDIS_TIMEOUT_MS or 500.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "compat.h"
#include "sgerr.h"
#include "json.h"
#include "session.h"

#define ORG	"123e4567-e89b-12d3-a456-426614174000"
#define SHA	"9f86d081884c7d659a2feaa0c55ad015" \
		"a3bf4f1b2b0b822cd15d6c15b0f00a08"

static void
usage(void)
{
	fprintf(stderr, "usage: sgtest_session URL put|get|del|list|count|"
	    "prune|ping|wait-get ...\n");
	exit(2);
}

static long
num(const char *s, long lo, long hi)
{
	char	*end = NULL;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		usage();
	return v;
}

static int
print_json(const cJSON *j)
{
	char	*txt = sg_json_print(j);

	if (txt == NULL)
		return -1;
	printf("%s\n", txt);
	free(txt);
	return 0;
}

static int
fail(const struct sg_err *err)
{
	printf("ERR %s\n", err->code != NULL ? err->code : "unknown");
	fprintf(stderr, "sgtest_session: %s: %s\n", sg_rc_str(err->rc),
	    err->msg);
	return 1;
}

static enum sg_rc
get_print(struct sg_redis *r, const char *id, struct sg_err *err)
{
	struct sg_session s;
	cJSON		*j = NULL;
	enum sg_rc	 rc;

	sg_session_init(&s);
	if ((rc = sg_session_get(r, id, &s, err)) == SG_OK) {
		if ((j = sg_session_to_json(&s)) == NULL || print_json(j) == -1)
			rc = sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
	}
	cJSON_Delete(j);
	sg_session_clear(&s);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct sg_redis	*r = NULL;
	struct sg_session s;
	struct sg_err	 err;
	const char	*cmd, *env;
	cJSON		*arr = NULL, *o = NULL;
	size_t		 n = 0;
	time_t		 now = time(NULL);
	long		 i, tries, ms;
	int		 tmo = 500, ret = 1;
	char		 last[64] = "";
	enum sg_rc	 rc = SG_EINTERNAL;

	if (argc < 3)
		usage();
	if ((env = getenv("SANDGATE_REDIS_TIMEOUT_MS")) != NULL)
		tmo = (int)num(env, 1, SG_REDIS_MAX_TIMEOUT_MS);
	cmd = argv[2];
	sg_err_clear(&err);
	sg_session_init(&s);
	if (sg_redis_new(argv[1], tmo, &r, &err) != SG_OK)
		return fail(&err);

	if (strcmp(cmd, "put") == 0 && argc == 6) {
		(void)strlcpy(s.container_id, argv[3], sizeof(s.container_id));
		(void)strlcpy(s.user_id, argv[4], sizeof(s.user_id));
		(void)strlcpy(s.org, ORG, sizeof(s.org));
		(void)strlcpy(s.jti, "jti-driver", sizeof(s.jti));
		(void)strlcpy(s.token_sha256, SHA, sizeof(s.token_sha256));
		s.allowed_hosts = strdup("api.github.com,*.pypi.org:443");
		(void)strlcpy(s.container_ip, "172.18.0.5",
		    sizeof(s.container_ip));
		(void)strlcpy(s.image, "sandgate/sandbox:latest",
		    sizeof(s.image));
		s.created_at = now;
		s.expires_at = now + num(argv[5], -86400, 86400 * 365);
		if (s.allowed_hosts == NULL)
			rc = sg_err_set(&err, SG_ENOMEM, NULL, "out of memory");
		else if ((rc = sg_session_put(r, &s, now, &err)) == SG_OK)
			printf("OK\n");
	} else if (strcmp(cmd, "get") == 0 && argc == 4) {
		rc = get_print(r, argv[3], &err);
	} else if (strcmp(cmd, "del") == 0 && (argc == 4 || argc == 5)) {
		if ((rc = sg_session_del(r, argv[3], argc == 5 ? argv[4] : NULL,
		    &err)) == SG_OK)
			printf("OK\n");
	} else if (strcmp(cmd, "list") == 0 && argc == 4) {
		if ((rc = sg_session_list(r, argv[3], &arr, &err)) == SG_OK) {
			if ((o = cJSON_CreateObject()) == NULL ||
			    !cJSON_AddItemToObject(o, "sessions", arr)) {
				cJSON_Delete(arr);
				rc = sg_err_set(&err, SG_ENOMEM, NULL, "oom");
			} else if (print_json(o) == -1)
				rc = sg_err_set(&err, SG_ENOMEM, NULL, "oom");
		}
	} else if (strcmp(cmd, "count") == 0 && argc == 4) {
		if ((rc = sg_session_count(r, argv[3], &n, &err)) == SG_OK)
			printf("%zu\n", n);
	} else if (strcmp(cmd, "prune") == 0 && argc == 3) {
		if ((rc = sg_session_prune(r, &n, &err)) == SG_OK)
			printf("%zu\n", n);
	} else if (strcmp(cmd, "ping") == 0 && argc == 3) {
		if ((rc = sg_redis_ping(r, &err)) == SG_OK)
			printf("OK\n");
	} else if (strcmp(cmd, "wait-get") == 0 && argc == 6) {
		tries = num(argv[4], 1, 10000);
		ms = num(argv[5], 1, 10000);
		for (i = 0; i < tries; i++) {
			const char	*res;

			sg_err_clear(&err);
			rc = sg_session_get(r, argv[3], &s, &err);
			res = rc == SG_OK ? "ok" : err.code != NULL ?
			    err.code : "unknown";
			if (strcmp(res, last) != 0) {
				printf("%s%s", last[0] != '\0' ? " " : "", res);
				(void)strlcpy(last, res, sizeof(last));
			}
			if (rc == SG_OK)
				break;
			usleep((useconds_t)ms * 1000);
		}
		printf("\n");
	} else
		usage();

	if (rc == SG_OK)
		ret = 0;
	else
		ret = fail(&err);
	cJSON_Delete(o);
	sg_session_clear(&s);
	sg_redis_free(r);
	return ret;
}
