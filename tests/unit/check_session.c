/* SPDX-License-Identifier: ISC */
/*
 * Session store against real redis-server processes started here, in a
 * temporary directory, on unix sockets and loopback TCP ports.  Servers
 * that a test kills, pauses or reconfigures belong to that test alone;
 * every server dies with the process that started it (PR_SET_PDEATHSIG)
 * and is otherwise stopped by its PID.  A second, raw hiredis connection
 * inspects what is on the wire.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>

#include "budget.h"
#include "compat.h"
#include "lock.h"
#include "sgerr.h"
#include "session.h"
#include "sgtest.h"

#define TIMEOUT_MS	300
#define PASSWORD	"s3cret pass:@/"	/* of the auth servers */
#define USER		"user-1_a"
#define ORG		"123e4567-e89b-12d3-a456-426614174000"
#define SHA		"9f86d081884c7d659a2feaa0c55ad015" \
			"a3bf4f1b2b0b822cd15d6c15b0f00a08"
#define DOCKER_ID	"4f2a5e9c0b1d3e7f8a6b5c4d3e2f1a0b" \
			"9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f"

static char	 tmpdir[64];
static char	 main_sock[128];
static int	 main_port;
static pid_t	 main_pid = -1;
static char	 auth_sock[128];
static pid_t	 auth_pid = -1;

/* ---- servers ---------------------------------------------------------- */

/* sgtest_redis_start / _stop (tests/unit/sgtest.c) run each server. */

/* ---- raw inspection ---------------------------------------------------- */

static redisContext *
raw_open(const char *sock)
{
	redisContext	*c = redisConnectUnix(sock);

	ck_assert_msg(c != NULL && c->err == 0, "raw connect %s", sock);
	return c;
}

/* A command with string arguments; the reply (caller frees). */
static redisReply *
raw(redisContext *c, int argc, const char **argv)
{
	redisReply	*r = redisCommandArgv(c, argc, argv, NULL);

	ck_assert_msg(r != NULL, "raw command %s failed", argv[0]);
	return r;
}

static long long
raw_int(redisContext *c, int argc, const char **argv)
{
	redisReply	*r = raw(c, argc, argv);
	long long	 v;

	ck_assert_msg(r->type == REDIS_REPLY_INTEGER, "%s: type %d", argv[0],
	    r->type);
	v = r->integer;
	freeReplyObject(r);
	return v;
}

static void
raw_ok(redisContext *c, int argc, const char **argv)
{
	redisReply	*r = raw(c, argc, argv);

	ck_assert_msg(r->type == REDIS_REPLY_STATUS, "%s: type %d (%s)",
	    argv[0], r->type, r->type == REDIS_REPLY_ERROR ? r->str : "");
	freeReplyObject(r);
}

static void
raw_set(redisContext *c, const char *key, const char *val, size_t len)
{
	const char	*argv[] = { "SET", key, val };
	size_t		 lens[] = { 3, strlen(key), len };
	redisReply	*r = redisCommandArgv(c, 3, argv, lens);

	ck_assert(r != NULL && r->type == REDIS_REPLY_STATUS);
	freeReplyObject(r);
}

static long long
raw_exists(redisContext *c, const char *key)
{
	const char	*argv[] = { "EXISTS", key };

	return raw_int(c, 2, argv);
}

static long long
raw_ismember(redisContext *c, const char *key, const char *m)
{
	const char	*argv[] = { "SISMEMBER", key, m };

	return raw_int(c, 3, argv);
}

/* An INFO field as a number (e.g. total_connections_received). */
static long long
raw_info(redisContext *c, const char *field)
{
	const char	*argv[] = { "INFO" };
	redisReply	*r = raw(c, 1, argv);
	char		*p;
	long long	 v = -1;

	ck_assert(r->type == REDIS_REPLY_STRING ||
	    r->type == REDIS_REPLY_STATUS);
	if ((p = strstr(r->str, field)) != NULL &&
	    p[strlen(field)] == ':')
		v = strtoll(p + strlen(field) + 1, NULL, 10);
	freeReplyObject(r);
	ck_assert_msg(v >= 0, "INFO %s", field);
	return v;
}

/* Whether INFO has the line "field:value". */
static int
raw_info_has(redisContext *c, const char *line)
{
	const char	*argv[] = { "INFO" };
	redisReply	*r = raw(c, 1, argv);
	const char	*p;
	size_t		 n = strlen(line);
	int		 yes = 0;

	ck_assert(r->type == REDIS_REPLY_STRING ||
	    r->type == REDIS_REPLY_STATUS);
	for (p = r->str; p != NULL && !yes; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		yes = strncmp(p, line, n) == 0 &&
		    (p[n] == '\r' || p[n] == '\n' || p[n] == '\0');
	}
	freeReplyObject(r);
	return yes;
}

static void
flush(const char *sock)
{
	redisContext	*c = raw_open(sock);
	const char	*argv[] = { "FLUSHALL" };

	raw_ok(c, 1, argv);
	redisFree(c);
}

/* ---- helpers ----------------------------------------------------------- */

static struct sg_redis *
client(const char *url, int ms)
{
	struct sg_redis	*r = NULL;
	struct sg_err	 err;

	sg_err_clear(&err);
	ck_assert_msg(sg_redis_new(url, ms, &r, &err) == SG_OK,
	    "sg_redis_new: %s", err.msg);
	return r;
}

static struct sg_redis *
main_unix(void)
{
	char	 url[160];

	(void)snprintf(url, sizeof(url), "unix:%s", main_sock);
	return client(url, TIMEOUT_MS);
}

static struct sg_redis *
main_tcp(void)
{
	char	 url[64];

	(void)snprintf(url, sizeof(url), "redis://127.0.0.1:%d", main_port);
	return client(url, TIMEOUT_MS);
}

static void
mksession(struct sg_session *s, const char *id, const char *user,
    int64_t created, int64_t expires)
{
	sg_session_init(s);
	(void)strlcpy(s->container_id, id, sizeof(s->container_id));
	(void)strlcpy(s->user_id, user, sizeof(s->user_id));
	(void)strlcpy(s->org, ORG, sizeof(s->org));
	(void)strlcpy(s->jti, "jti_AAAAAAAAAAAAAAAAAAAA", sizeof(s->jti));
	(void)strlcpy(s->token_sha256, SHA, sizeof(s->token_sha256));
	s->allowed_hosts = strdup("api.github.com,*.pypi.org:443");
	ck_assert(s->allowed_hosts != NULL);
	(void)strlcpy(s->container_ip, "172.18.0.5", sizeof(s->container_ip));
	(void)strlcpy(s->docker_id, DOCKER_ID, sizeof(s->docker_id));
	(void)strlcpy(s->image, "sandgate/sandbox:latest", sizeof(s->image));
	s->created_at = created;
	s->expires_at = expires;
}

static void
expect(enum sg_rc got, const struct sg_err *err, enum sg_rc want,
    const char *code, const char *what)
{
	ck_assert_msg(got == want, "%s: rc %s (%s: %s), want %s", what,
	    sg_rc_str(got), err->code ? err->code : "-", err->msg,
	    sg_rc_str(want));
	if (code != NULL)
		ck_assert_msg(err->code != NULL && strcmp(err->code, code) == 0,
		    "%s: code %s, want %s", what,
		    err->code ? err->code : "-", code);
}

static void
assert_same(const struct sg_session *a, const struct sg_session *b)
{
	ck_assert_str_eq(a->container_id, b->container_id);
	ck_assert_str_eq(a->user_id, b->user_id);
	ck_assert_str_eq(a->org, b->org);
	ck_assert_str_eq(a->jti, b->jti);
	ck_assert_str_eq(a->token_sha256, b->token_sha256);
	ck_assert_str_eq(a->allowed_hosts ? a->allowed_hosts : "",
	    b->allowed_hosts ? b->allowed_hosts : "");
	ck_assert_str_eq(a->container_ip, b->container_ip);
	ck_assert_str_eq(a->docker_id, b->docker_id);
	ck_assert_str_eq(a->image, b->image);
	ck_assert_int_eq(a->created_at, b->created_at);
	ck_assert_int_eq(a->expires_at, b->expires_at);
}

static double
ms_since(const struct timespec *t0)
{
	struct timespec	 t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static void
setup(void)
{
	unsetenv("SANDGATE_REDIS_PASSWORD");
	flush(main_sock);
}

/* ---- URL ---------------------------------------------------------------- */

START_TEST(test_url_good)
{
	static const char *const good[] = {
		"redis://127.0.0.1:6379",
		"redis://127.0.0.1:6379/0",
		"redis://127.0.0.1:6379/15",
		"redis://127.0.0.1",
		"redis://localhost:6380/",
		"redis://redis.internal.example:6379/2",
		"redis://[::1]:6379/3",
		"redis://[2001:db8::1]",
		"redis://:secret@127.0.0.1:6379/1",
		"redis://:p%40ss%2Fw%3Ard@127.0.0.1:6379",
		"redis://:p@ss/w@127.0.0.1:6379/4",	/* last '@' wins */
		"redis://svc-user:secret@localhost",
		"unix:/run/redis/redis.sock",
		"unix:/run/redis/redis.sock?db=2",
		"unix:///run/redis/redis.sock",
		"sentinel://127.0.0.1:26379/mymaster",
		"sentinel://127.0.0.1:26379/mymaster/0",
		"sentinel://a.example,b.example:26380,[::1]:3/m-1.x_y/7",
		"sentinel://u:pw@10.0.0.1,10.0.0.2,10.0.0.3/sg/1",
	};
	struct sg_redis	*r;
	struct sg_err	 err;
	size_t		 i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		r = NULL;
		sg_err_clear(&err);
		ck_assert_msg(sg_redis_new(good[i], 100, &r, &err) == SG_OK,
		    "%s: %s", good[i], err.msg);
		ck_assert_ptr_nonnull(r);
		sg_redis_free(r);
	}
}
END_TEST

START_TEST(test_url_bad)
{
	static const char *const bad[] = {
		"", "127.0.0.1:6379", "http://127.0.0.1", "rediss://h:1",
		"redis://", "redis://:pw@", "redis://h:", "redis://h:0",
		"redis://h:65536", "redis://h:06379", "redis://h:+1",
		"redis://h:1x", "redis://h:1/x", "redis://h:1/-1",
		"redis://h:1/01", "redis://h:1/1/2", "redis://h:1/1?db=2",
		"redis://h:1#x", "redis://h h:1", "redis://h\r\n:1",
		"redis://[::1", "redis://[::1]x", "redis://[]:1",
		"redis://[fe80::1%25eth0]:1", "redis://[nothex]:1",
		"redis://127.1:6379", "redis://0x7f000001:6379",
		"redis://-h:1", "redis://h-.example:1", "redis://a..b:1",
		"redis://pw@h:1", "redis://:p%zz@h:1", "redis://:p%00@h:1",
		"redis://:p%4@h:1", "redis://:p w@h:1", "redis://user:@h:1",
		"unix:", "unix:relative.sock", "unix:/x?db=", "unix:/x?db=a",
		"unix:/x?foo=1", "unix:/x?db=1&x=2", "unix:/a b",
		"unix:/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
		"sentinel://", "sentinel://h:1", "sentinel://h:1/",
		"sentinel://h:1//0", "sentinel://h:1/m/", "sentinel://h:1/m/x",
		"sentinel://h:1/m/0/1", "sentinel://h:1,/m", "sentinel://,h/m",
		"sentinel://h:0/m", "sentinel://h:1x/m", "sentinel://127.1/m",
		"sentinel://h/m m", "sentinel://h/m*", "sentinel://h/m?x",
		"sentinel://h,h,h,h,h,h,h,h,h/m", "sentinel://user:@h/m",
		"sentinel://h/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		    "xxxxxxxxxxxxxxxx",
	};
	struct sg_redis	*r;
	struct sg_err	 err;
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = (struct sg_redis *)&err;	/* must be reset to NULL */
		sg_err_clear(&err);
		ck_assert_msg(sg_redis_new(bad[i], 100, &r, &err) == SG_EINVAL,
		    "accepted %s", bad[i]);
		ck_assert_ptr_null(r);
		ck_assert_msg(strstr(err.msg, "SANDGATE_REDIS") != NULL,
		    "%s: message %s names no variable", bad[i], err.msg);
	}
	/* Timeouts out of range. */
	sg_err_clear(&err);
	ck_assert_int_eq(sg_redis_new("unix:/x", 0, &r, &err), SG_EINVAL);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_redis_new("unix:/x", -5, &r, &err), SG_EINVAL);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_redis_new("unix:/x", SG_REDIS_MAX_TIMEOUT_MS + 1,
	    &r, &err), SG_EINVAL);
	ck_assert_int_eq(sg_redis_new(NULL, 100, &r, NULL), SG_EINVAL);
}
END_TEST

/* A password must never show up in an error message. */
START_TEST(test_url_password_not_echoed)
{
	struct sg_redis	*r = NULL;
	struct sg_err	 err;

	sg_err_clear(&err);
	ck_assert_int_eq(sg_redis_new("redis://:Hunter2secret@h:99999", 100,
	    &r, &err), SG_EINVAL);
	ck_assert_ptr_null(strstr(err.msg, "Hunter2"));
	/* Both the environment and the URL: ambiguous, refused. */
	setenv("SANDGATE_REDIS_PASSWORD", "Hunter2env", 1);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_redis_new("redis://:Hunter2url@h:1", 100, &r,
	    &err), SG_EINVAL);
	ck_assert_ptr_null(strstr(err.msg, "Hunter2"));
	ck_assert_ptr_nonnull(strstr(err.msg, "SANDGATE_REDIS_PASSWORD"));
	/* The environment alone is fine, and an empty one is unset. */
	sg_err_clear(&err);
	ck_assert_int_eq(sg_redis_new("redis://h:1", 100, &r, &err), SG_OK);
	sg_redis_free(r);
	setenv("SANDGATE_REDIS_PASSWORD", "", 1);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_redis_new("redis://user:@h:1", 100, &r, &err),
	    SG_EINVAL);
	unsetenv("SANDGATE_REDIS_PASSWORD");
}
END_TEST

/*
 * SANDGATE_REDIS_PASSWORD_FILE: owner-only mode, one line, the only
 * source of the password; SANDGATE_REDIS_USER needs one.
 */
START_TEST(test_url_password_file)
{
	struct sg_redis	*r = NULL;
	struct sg_err	 err;
	char		 path[] = "/tmp/sg-check-pwXXXXXX";
	int		 fd;

	ck_assert_int_ne(fd = mkstemp(path), -1);
	ck_assert_int_eq(write(fd, "Hunter2file\n", 12), 12);
	ck_assert_int_eq(close(fd), 0);
	setenv("SANDGATE_REDIS_PASSWORD_FILE", path, 1);
	ck_assert_int_eq(chmod(path, 0600), 0);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_redis_new("redis://h:1", 100, &r, &err), SG_OK);
	sg_redis_free(r);
	/* with an ACL user from the environment */
	setenv("SANDGATE_REDIS_USER", "svc-verify", 1);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_redis_new("redis://h:1", 100, &r, &err), SG_OK);
	sg_redis_free(r);
	/* and the URL naming one too: ambiguous */
	sg_err_clear(&err);
	ck_assert_int_eq(sg_redis_new("redis://other:@h:1", 100, &r, &err),
	    SG_EINVAL);
	setenv("SANDGATE_REDIS_USER", "bad user", 1);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_redis_new("redis://h:1", 100, &r, &err),
	    SG_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "SANDGATE_REDIS_USER"));
	unsetenv("SANDGATE_REDIS_USER");
	/* readable by the group or others: refused, the mode named */
	ck_assert_int_eq(chmod(path, 0640), 0);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_redis_new("redis://h:1", 100, &r, &err),
	    SG_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "0640"));
	ck_assert_ptr_nonnull(strstr(err.msg, "SANDGATE_REDIS_PASSWORD_FILE"));
	ck_assert_int_eq(chmod(path, 0604), 0);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_redis_new("redis://h:1", 100, &r, &err),
	    SG_EINVAL);
	ck_assert_int_eq(chmod(path, 0400), 0);
	/* a password in the URL as well: refused, never echoed */
	sg_err_clear(&err);
	ck_assert_int_eq(sg_redis_new("redis://:Hunter2url@h:1", 100, &r,
	    &err), SG_EINVAL);
	ck_assert_ptr_null(strstr(err.msg, "Hunter2"));
	/* two lines, or empty */
	ck_assert_int_eq(chmod(path, 0600), 0);
	ck_assert_int_ne(fd = open(path, O_WRONLY | O_TRUNC), -1);
	ck_assert_int_eq(write(fd, "a\nb\n", 4), 4);
	ck_assert_int_eq(close(fd), 0);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_redis_new("redis://h:1", 100, &r, &err),
	    SG_EINVAL);
	ck_assert_ptr_null(strstr(err.msg, "a\nb"));
	ck_assert_int_ne(fd = open(path, O_WRONLY | O_TRUNC), -1);
	ck_assert_int_eq(close(fd), 0);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_redis_new("redis://h:1", 100, &r, &err),
	    SG_EINVAL);
	/* missing, relative */
	ck_assert_int_eq(unlink(path), 0);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_redis_new("redis://h:1", 100, &r, &err),
	    SG_EINVAL);
	setenv("SANDGATE_REDIS_PASSWORD_FILE", "pw.txt", 1);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_redis_new("redis://h:1", 100, &r, &err),
	    SG_EINVAL);
	unsetenv("SANDGATE_REDIS_PASSWORD_FILE");
}
END_TEST

/* /db and ?db= select the database on every connection. */
START_TEST(test_url_db)
{
	struct sg_session s;
	struct sg_redis	*r;
	struct sg_err	 err;
	redisContext	*c;
	char		 url[192];
	const char	*sel3[] = { "SELECT", "3" };
	const char	*sel5[] = { "SELECT", "5" };
	time_t		 now = time(NULL);

	mksession(&s, "sandbox_db3", USER, now, now + 600);
	(void)snprintf(url, sizeof(url), "redis://127.0.0.1:%d/3", main_port);
	r = client(url, TIMEOUT_MS);
	sg_err_clear(&err);
	expect(sg_session_put(r, &s, now, &err), &err, SG_OK, NULL, "put db3");
	sg_redis_free(r);

	(void)strlcpy(s.container_id, "sandbox_db5", sizeof(s.container_id));
	(void)snprintf(url, sizeof(url), "unix:%s?db=5", main_sock);
	r = client(url, TIMEOUT_MS);
	sg_err_clear(&err);
	expect(sg_session_put(r, &s, now, &err), &err, SG_OK, NULL, "put db5");
	sg_redis_free(r);

	c = raw_open(main_sock);
	ck_assert_int_eq(raw_exists(c, "sandgate:session:sandbox_db3"), 0);
	raw_ok(c, 2, sel3);
	ck_assert_int_eq(raw_exists(c, "sandgate:session:sandbox_db3"), 1);
	ck_assert_int_eq(raw_exists(c, "sandgate:session:sandbox_db5"), 0);
	raw_ok(c, 2, sel5);
	ck_assert_int_eq(raw_exists(c, "sandgate:session:sandbox_db5"), 1);
	redisFree(c);

	/* A database the server does not have. */
	(void)snprintf(url, sizeof(url), "unix:%s?db=999", main_sock);
	r = client(url, TIMEOUT_MS);
	sg_err_clear(&err);
	expect(sg_redis_ping(r, &err), &err, SG_EUNAVAIL, "redis_select",
	    "db 999");
	sg_redis_free(r);
	sg_session_clear(&s);
}
END_TEST

START_TEST(test_url_ipv6)
{
	struct sg_redis	*r;
	struct sg_err	 err;
	char		 url[64];
	redisContext	*c;

	/* Only where the server could bind ::1 (it is optional there). */
	c = redisConnect("::1", main_port);
	if (c == NULL || c->err != 0) {
		if (c != NULL)
			redisFree(c);
		return;
	}
	redisFree(c);
	(void)snprintf(url, sizeof(url), "redis://[::1]:%d/0", main_port);
	r = client(url, TIMEOUT_MS);
	sg_err_clear(&err);
	expect(sg_redis_ping(r, &err), &err, SG_OK, NULL, "ping [::1]");
	sg_redis_free(r);
}
END_TEST

/* ---- store ------------------------------------------------------------- */

static void
roundtrip(struct sg_redis *r, const char *id)
{
	struct sg_session s, got;
	struct sg_err	 err;
	time_t		 now = time(NULL);

	mksession(&s, id, USER, now, now + 3600);
	sg_session_init(&got);
	sg_err_clear(&err);
	expect(sg_session_put(r, &s, now, &err), &err, SG_OK, NULL, "put");
	sg_err_clear(&err);
	expect(sg_session_get(r, id, &got, &err), &err, SG_OK, NULL, "get");
	assert_same(&s, &got);
	/* get into a used struct replaces it without leaking. */
	sg_err_clear(&err);
	expect(sg_session_get(r, id, &got, &err), &err, SG_OK, NULL, "get2");
	assert_same(&s, &got);
	sg_session_clear(&got);
	sg_session_clear(&s);
}

START_TEST(test_roundtrip_unix)
{
	struct sg_redis	*r = main_unix();

	roundtrip(r, "sandbox_AAAAAAAAAAAAAAAAAAAAAA");
	sg_redis_free(r);
}
END_TEST

/* lib/lock.h: one holder; released only with its token. */
START_TEST(test_lock)
{
	struct sg_redis	*r = main_unix(), *r2 = main_unix();
	char		 tok[SG_LOCK_TOKEN_LEN + 1], tok2[SG_LOCK_TOKEN_LEN + 1];
	char		 wrong[SG_LOCK_TOKEN_LEN + 1];
	struct sg_err	 err;
	int		 got, rel;

	sg_err_clear(&err);
	ck_assert_int_eq(sg_lock_take(r, "reap:sandbox_A", 5000, tok, &got,
	    &err), SG_OK);
	ck_assert_int_eq(got, 1);
	ck_assert_uint_eq(strlen(tok), SG_LOCK_TOKEN_LEN);
	/* a second client (another node) does not get it */
	ck_assert_int_eq(sg_lock_take(r2, "reap:sandbox_A", 5000, tok2, &got,
	    &err), SG_OK);
	ck_assert_int_eq(got, 0);
	ck_assert_str_eq(tok2, "");
	/* another name is another lock */
	ck_assert_int_eq(sg_lock_take(r2, "reap:sandbox_B", 5000, tok2, &got,
	    &err), SG_OK);
	ck_assert_int_eq(got, 1);
	/* not the owner: nothing released */
	memset(wrong, 'a', SG_LOCK_TOKEN_LEN);
	wrong[SG_LOCK_TOKEN_LEN] = '\0';
	ck_assert_int_eq(sg_lock_release(r2, "reap:sandbox_A", wrong, &rel,
	    &err), SG_OK);
	ck_assert_int_eq(rel, 0);
	ck_assert_int_eq(sg_lock_release(r2, "reap:sandbox_A", tok2, &rel,
	    &err), SG_OK);
	ck_assert_int_eq(rel, 0);
	/* the owner releases; then the other takes it */
	ck_assert_int_eq(sg_lock_release(r, "reap:sandbox_A", tok, &rel,
	    &err), SG_OK);
	ck_assert_int_eq(rel, 1);
	ck_assert_int_eq(sg_lock_release(r, "reap:sandbox_A", tok, &rel,
	    &err), SG_OK);
	ck_assert_int_eq(rel, 0);
	ck_assert_int_eq(sg_lock_take(r2, "reap:sandbox_A", 50, tok2, &got,
	    &err), SG_OK);
	ck_assert_int_eq(got, 1);
	/* the TTL ends a holder that died */
	usleep(120000);
	ck_assert_int_eq(sg_lock_take(r, "reap:sandbox_A", 5000, tok, &got,
	    &err), SG_OK);
	ck_assert_int_eq(got, 1);
	/* bad names and TTLs */
	ck_assert_int_eq(sg_lock_take(r, "", 5000, tok, &got, &err),
	    SG_EINVAL);
	ck_assert_int_eq(sg_lock_take(r, "a b", 5000, tok, &got, &err),
	    SG_EINVAL);
	ck_assert_int_eq(sg_lock_take(r, "x", 0, tok, &got, &err),
	    SG_EINVAL);
	ck_assert_int_eq(sg_lock_take(r, "x", SG_LOCK_MAX_TTL_MS + 1, tok,
	    &got, &err), SG_EINVAL);
	ck_assert_int_eq(sg_lock_release(r, "x", "short", &rel, &err),
	    SG_EINVAL);
	sg_redis_free(r);
	sg_redis_free(r2);
}
END_TEST

/*
 * SANDGATE_REDIS_WAIT_REPLICAS: a session write waits for replicas; a
 * server without any cannot acknowledge it (redis_not_replicated).
 */
START_TEST(test_put_wait)
{
	struct sg_redis	*r = main_unix();
	struct sg_session s;
	struct sg_err	 err;
	time_t		 now = time(NULL);
	int64_t		 t0;

	mksession(&s, "sandbox_WAITWAITWAITWAITWAITWA", "user_wait", now,
	    now + 600);
	sg_redis_set_wait(r, 1, 50);
	sg_err_clear(&err);
	t0 = (int64_t)time(NULL);
	ck_assert_int_eq(sg_session_put(r, &s, now, &err), SG_EUNAVAIL);
	ck_assert_str_eq(err.code, "redis_not_replicated");
	ck_assert_int_le((int64_t)time(NULL) - t0, 2);
	sg_redis_set_wait(r, 0, 50);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_session_put(r, &s, now, &err), SG_OK);
	sg_session_clear(&s);
	sg_redis_free(r);
}
END_TEST

START_TEST(test_roundtrip_tcp)
{
	struct sg_redis	*r = main_tcp();

	roundtrip(r, "sandbox_BBBBBBBBBBBBBBBBBBBBBB");
	sg_redis_free(r);
}
END_TEST

/* Sessions without hosts or address (network none) are valid. */
START_TEST(test_roundtrip_empty_fields)
{
	struct sg_session s, got;
	struct sg_redis	*r = main_unix();
	struct sg_err	 err;
	redisContext	*c;
	const char	*argv[] = { "GET", "sandgate:session:sandbox_empty" };
	redisReply	*rep;
	time_t		 now = time(NULL);

	mksession(&s, "sandbox_empty", USER, now, now + 60);
	free(s.allowed_hosts);
	s.allowed_hosts = NULL;
	s.container_ip[0] = '\0';
	s.docker_id[0] = '\0';
	sg_session_init(&got);
	sg_err_clear(&err);
	expect(sg_session_put(r, &s, now, &err), &err, SG_OK, NULL, "put");
	expect(sg_session_get(r, "sandbox_empty", &got, &err), &err, SG_OK,
	    NULL, "get");
	ck_assert_str_eq(got.allowed_hosts, "");
	ck_assert_str_eq(got.container_ip, "");
	c = raw_open(main_sock);
	rep = raw(c, 2, argv);
	ck_assert_int_eq(rep->type, REDIS_REPLY_STRING);
	ck_assert_ptr_nonnull(strstr(rep->str, "\"allowed_hosts\":[]"));
	freeReplyObject(rep);
	redisFree(c);
	sg_session_clear(&got);
	sg_session_clear(&s);
	sg_redis_free(r);
}
END_TEST

/* The stored object is the contract: its members, no token, its TTL. */
START_TEST(test_wire_contract)
{
	static const char *const names[] = {
		"container_id", "user_id", "organization_uuid", "jti",
		"token_sha256", "allowed_hosts", "container_ip", "docker_id",
		"image", "created_at", "expires_at"
	};
	struct sg_session s;
	struct sg_redis	*r = main_unix();
	struct sg_err	 err;
	redisContext	*c;
	const char	*get[] = { "GET", "sandgate:session:sandbox_wire" };
	const char	*ttl[] = { "TTL", "sandgate:session:sandbox_wire" };
	const char	*uttl[] = { "TTL", "sandgate:user:" USER };
	const char	*type[] = { "TYPE", "sandgate:user:" USER };
	redisReply	*rep;
	cJSON		*o, *it, *h;
	size_t		 i, n = 0;
	long long	 t;
	time_t		 now = time(NULL);

	mksession(&s, "sandbox_wire", USER, now - 10, now + 3600);
	sg_err_clear(&err);
	expect(sg_session_put(r, &s, now, &err), &err, SG_OK, NULL, "put");
	c = raw_open(main_sock);
	rep = raw(c, 2, get);
	ck_assert_int_eq(rep->type, REDIS_REPLY_STRING);
	o = cJSON_ParseWithLength(rep->str, rep->len);
	ck_assert_ptr_nonnull(o);
	ck_assert(cJSON_IsObject(o));
	cJSON_ArrayForEach(it, o) {
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strcmp(it->string, names[i]) == 0)
				break;
		ck_assert_msg(i < sizeof(names) / sizeof(names[0]),
		    "unexpected member %s", it->string);
		n++;
	}
	ck_assert_uint_eq(n, sizeof(names) / sizeof(names[0]));
	ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(o, "token"));
	ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(o,
	    "token_sha256")->valuestring, SHA);
	ck_assert(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(o,
	    "expires_at")));
	ck_assert_int_eq((int64_t)cJSON_GetObjectItemCaseSensitive(o,
	    "expires_at")->valuedouble, now + 3600);
	ck_assert_int_eq((int64_t)cJSON_GetObjectItemCaseSensitive(o,
	    "created_at")->valuedouble, now - 10);
	h = cJSON_GetObjectItemCaseSensitive(o, "allowed_hosts");
	ck_assert(cJSON_IsArray(h));
	ck_assert_int_eq(cJSON_GetArraySize(h), 2);
	ck_assert_str_eq(cJSON_GetArrayItem(h, 0)->valuestring,
	    "api.github.com");
	ck_assert_str_eq(cJSON_GetArrayItem(h, 1)->valuestring,
	    "*.pypi.org:443");
	cJSON_Delete(o);
	freeReplyObject(rep);

	/* TTL = expires_at - now, within a second. */
	t = raw_int(c, 2, ttl);
	ck_assert_msg(t >= 3599 && t <= 3600, "ttl %lld", t);
	/* The index: a set holding the id, with no TTL of its own. */
	rep = raw(c, 2, type);
	ck_assert_str_eq(rep->str, "set");
	freeReplyObject(rep);
	ck_assert_int_eq(raw_ismember(c, "sandgate:user:" USER,
	    "sandbox_wire"), 1);
	ck_assert_int_eq(raw_int(c, 2, uttl), -1);
	redisFree(c);
	sg_session_clear(&s);
	sg_redis_free(r);
}
END_TEST

/* EX with a TTL <= 0 would delete the key or fail: refused before. */
START_TEST(test_put_expired)
{
	struct sg_session s;
	struct sg_redis	*r = main_unix();
	struct sg_err	 err;
	time_t		 now = time(NULL);

	mksession(&s, "sandbox_old", USER, now - 100, now);
	sg_err_clear(&err);
	expect(sg_session_put(r, &s, now, &err), &err, SG_EINVAL,
	    "session_expired", "exp == now");
	s.expires_at = now - 1;
	sg_err_clear(&err);
	expect(sg_session_put(r, &s, now, &err), &err, SG_EINVAL,
	    "session_expired", "exp < now");
	sg_session_clear(&s);
	sg_redis_free(r);
}
END_TEST

START_TEST(test_expiry)
{
	struct sg_session s, got;
	struct sg_redis	*r = main_unix();
	struct sg_err	 err;
	redisContext	*c;
	cJSON		*arr = NULL;
	time_t		 now = time(NULL);

	mksession(&s, "sandbox_short", USER, now, now + 1);
	sg_session_init(&got);
	sg_err_clear(&err);
	expect(sg_session_put(r, &s, now, &err), &err, SG_OK, NULL, "put");
	usleep(1500000);
	sg_err_clear(&err);
	expect(sg_session_get(r, "sandbox_short", &got, &err), &err,
	    SG_ENOENT, "session_not_found", "get expired");
	c = raw_open(main_sock);
	ck_assert_int_eq(raw_ismember(c, "sandgate:user:" USER,
	    "sandbox_short"), 1);
	sg_err_clear(&err);
	expect(sg_session_list(r, USER, &arr, &err), &err, SG_OK, NULL,
	    "list");
	ck_assert_int_eq(cJSON_GetArraySize(arr), 0);
	ck_assert_int_eq(raw_ismember(c, "sandgate:user:" USER,
	    "sandbox_short"), 0);
	ck_assert_int_eq(raw_exists(c, "sandgate:user:" USER), 0);
	cJSON_Delete(arr);
	redisFree(c);
	sg_session_clear(&s);
	sg_redis_free(r);
}
END_TEST

/* The optional engine: written only when set, checked, round trip. */
START_TEST(test_engine_codec)
{
	static const char *const bad[] = { "", "B", "-b", "b/c",
	    "abcdefghijabcdefghijabcdefghijabc" };
	struct sg_session s, got;
	struct sg_err	 err;
	cJSON		*o;
	size_t		 i;
	time_t		 now = time(NULL);

	mksession(&s, "sandbox_engine", USER, now, now + 60);
	sg_session_init(&got);
	o = sg_session_to_json(&s);
	ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(o, "engine"));
	cJSON_Delete(o);
	(void)strlcpy(s.engine, "node-2", sizeof(s.engine));
	o = sg_session_to_json(&s);
	ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(o,
	    "engine")->valuestring, "node-2");
	sg_err_clear(&err);
	ck_assert_int_eq(sg_session_from_json(o, &got, &err), SG_OK);
	ck_assert_str_eq(got.engine, "node-2");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cJSON_ReplaceItemInObjectCaseSensitive(o, "engine",
		    cJSON_CreateString(bad[i]));
		sg_err_clear(&err);
		ck_assert_msg(sg_session_from_json(o, &got, &err) ==
		    SG_EUPSTREAM, "accepted engine \"%s\"", bad[i]);
		ck_assert_str_eq(err.code, "bad_session");
	}
	cJSON_ReplaceItemInObjectCaseSensitive(o, "engine",
	    cJSON_CreateNumber(1));
	ck_assert_int_eq(sg_session_from_json(o, &got, &err), SG_EUPSTREAM);
	cJSON_Delete(o);
	(void)strlcpy(s.engine, "Bad", sizeof(s.engine));
	ck_assert_int_eq(sg_session_check(&s, SG_EINVAL, "bad_session", &err),
	    SG_EINVAL);
	sg_session_clear(&s);
	sg_session_clear(&got);
}
END_TEST

/* The optional budget: strict limits, absent = unlimited, round trip. */
START_TEST(test_budget_codec)
{
	static const char *const bad[] = {
		"{}", "[]", "5", "{\"requests\":0}", "{\"requests\":-1}",
		"{\"requests\":1.5}", "{\"requests\":\"5\"}",
		"{\"requests\":1000000000001}", "{\"bytes\":1125899906842625}",
		"{\"requests\":5,\"requests\":6}", "{\"requests\":5,\"x\":1}",
		"{\"bytes\":null}", "{\"requests\":1e400}"
	};
	struct sg_session s, got;
	struct sg_err	 err;
	cJSON		*o, *b;
	int64_t		 rq, by;
	size_t		 i;
	time_t		 now = time(NULL);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o = cJSON_Parse(bad[i]);
		sg_err_clear(&err);
		ck_assert_msg(sg_session_budget_parse(o, &rq, &by, SG_EINVAL,
		    "bad_field", &err) == SG_EINVAL, "accepted %s", bad[i]);
		ck_assert_str_eq(err.code, "bad_field");
		cJSON_Delete(o);
	}
	o = cJSON_Parse("{\"requests\":1000000000000,\"bytes\":1}");
	sg_err_clear(&err);
	ck_assert_int_eq(sg_session_budget_parse(o, &rq, &by, SG_EINVAL,
	    "bad_field", &err), SG_OK);
	ck_assert(rq == SG_BUDGET_MAX_REQUESTS && by == 1);
	cJSON_Delete(o);

	/* Without a budget: no member written, unlimited when read. */
	mksession(&s, "sandbox_budget", USER, now, now + 60);
	sg_session_init(&got);
	o = sg_session_to_json(&s);
	ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(o, "budget"));
	sg_err_clear(&err);
	ck_assert_int_eq(sg_session_from_json(o, &got, &err), SG_OK);
	ck_assert(got.budget_requests == 0 && got.budget_bytes == 0);
	cJSON_Delete(o);

	/* With one: only the limits that are set, read back the same. */
	s.budget_requests = 5;
	o = sg_session_to_json(&s);
	b = cJSON_GetObjectItemCaseSensitive(o, "budget");
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(b, "bytes"));
	sg_err_clear(&err);
	ck_assert_int_eq(sg_session_from_json(o, &got, &err), SG_OK);
	ck_assert(got.budget_requests == 5 && got.budget_bytes == 0);
	cJSON_Delete(o);

	/* A stored session with a bad budget is a bad session. */
	o = sg_session_to_json(&s);
	cJSON_ReplaceItemInObjectCaseSensitive(o, "budget",
	    cJSON_Parse("{\"requests\":0}"));
	sg_err_clear(&err);
	ck_assert_int_eq(sg_session_from_json(o, &got, &err), SG_EUPSTREAM);
	ck_assert_str_eq(err.code, "bad_session");
	cJSON_Delete(o);

	/* put refuses an out-of-range budget too. */
	s.budget_bytes = SG_BUDGET_MAX_BYTES + 1;
	sg_err_clear(&err);
	ck_assert_int_eq(sg_session_check(&s, SG_EINVAL, "bad_session", &err),
	    SG_EINVAL);
	sg_session_clear(&s);
	sg_session_clear(&got);
}
END_TEST

/* The counters: N allowed, then refused; bytes; gone with the session. */
START_TEST(test_budget_counters)
{
	struct sg_session s;
	struct sg_redis	*r = main_unix();
	struct sg_err	 err;
	struct sg_budget_use u;
	enum sg_budget_verdict vd;
	redisContext	*c = raw_open(main_sock);
	const char	*ttl[] = { "TTL", "sandgate:budget:sandbox_bud1" };
	int		 i, counted;
	time_t		 now = time(NULL);

	/* No session: nothing counted, nothing created. */
	sg_err_clear(&err);
	expect(sg_budget_take(r, "sandbox_bud1", 5, 0, &vd, &u, &err), &err,
	    SG_ENOENT, "session_not_found", "take without session");
	ck_assert_int_eq(raw_exists(c, "sandgate:budget:sandbox_bud1"), 0);

	mksession(&s, "sandbox_bud1", USER, now, now + 600);
	s.budget_requests = 5;
	s.budget_bytes = 1000;
	sg_err_clear(&err);
	expect(sg_session_put(r, &s, now, &err), &err, SG_OK, NULL, "put");
	/* Bytes before the first request: not counted (no hash yet). */
	expect(sg_budget_add_bytes(r, "sandbox_bud1", 10, &counted, &err),
	    &err, SG_OK, NULL, "bytes early");
	ck_assert_int_eq(counted, 0);
	for (i = 1; i <= 5; i++) {
		expect(sg_budget_take(r, "sandbox_bud1", 5, 1000, &vd, &u,
		    &err), &err, SG_OK, NULL, "take");
		ck_assert_int_eq(vd, SG_BUDGET_OK);
		ck_assert_int_eq(u.requests, i);
	}
	expect(sg_budget_take(r, "sandbox_bud1", 5, 1000, &vd, &u, &err),
	    &err, SG_OK, NULL, "take 6");
	ck_assert_int_eq(vd, SG_BUDGET_REQUESTS);
	ck_assert_int_eq(u.requests, 5);
	/* The hash lives as long as the session. */
	ck_assert_int_gt(raw_int(c, 2, ttl), 500);

	expect(sg_budget_add_bytes(r, "sandbox_bud1", 1000, &counted, &err),
	    &err, SG_OK, NULL, "bytes");
	ck_assert_int_eq(counted, 1);
	expect(sg_budget_take(r, "sandbox_bud1", 0, 1000, &vd, &u, &err),
	    &err, SG_OK, NULL, "take bytes");
	ck_assert_int_eq(vd, SG_BUDGET_BYTES);
	expect(sg_budget_get(r, "sandbox_bud1", &u, &err), &err, SG_OK, NULL,
	    "get");
	ck_assert(u.requests == 5 && u.bytes == 1000);

	expect(sg_session_del(r, "sandbox_bud1", NULL, &err), &err, SG_OK,
	    NULL, "del");
	ck_assert_int_eq(raw_exists(c, "sandgate:budget:sandbox_bud1"), 0);
	sg_session_clear(&s);
	redisFree(c);
	sg_redis_free(r);
}
END_TEST

START_TEST(test_del)
{
	struct sg_session s, got;
	struct sg_redis	*r = main_unix();
	struct sg_err	 err;
	redisContext	*c = raw_open(main_sock);
	time_t		 now = time(NULL);

	mksession(&s, "sandbox_del1", USER, now, now + 600);
	sg_session_init(&got);
	sg_err_clear(&err);
	expect(sg_session_put(r, &s, now, &err), &err, SG_OK, NULL, "put1");
	(void)strlcpy(s.container_id, "sandbox_del2", sizeof(s.container_id));
	expect(sg_session_put(r, &s, now, &err), &err, SG_OK, NULL, "put2");

	/* user NULL: the session tells whose index to update. */
	expect(sg_session_del(r, "sandbox_del1", NULL, &err), &err, SG_OK,
	    NULL, "del1");
	ck_assert_int_eq(raw_exists(c, "sandgate:session:sandbox_del1"), 0);
	ck_assert_int_eq(raw_ismember(c, "sandgate:user:" USER,
	    "sandbox_del1"), 0);
	expect(sg_session_get(r, "sandbox_del1", &got, &err), &err,
	    SG_ENOENT, NULL, "get del1");
	/* Again: gone already. */
	sg_err_clear(&err);
	expect(sg_session_del(r, "sandbox_del1", NULL, &err), &err,
	    SG_ENOENT, "session_not_found", "del1 again");

	/* With the user given. */
	sg_err_clear(&err);
	expect(sg_session_del(r, "sandbox_del2", USER, &err), &err, SG_OK,
	    NULL, "del2");
	ck_assert_int_eq(raw_exists(c, "sandgate:session:sandbox_del2"), 0);
	ck_assert_int_eq(raw_exists(c, "sandgate:user:" USER), 0);
	sg_err_clear(&err);
	expect(sg_session_del(r, "sandbox_del2", USER, &err), &err,
	    SG_ENOENT, NULL, "del2 again");

	/* A corrupt session is deleted all the same when user is NULL. */
	raw_set(c, "sandgate:session:sandbox_bad", "{not json", 9);
	sg_err_clear(&err);
	expect(sg_session_del(r, "sandbox_bad", NULL, &err), &err, SG_OK,
	    NULL, "del corrupt");
	ck_assert_int_eq(raw_exists(c, "sandgate:session:sandbox_bad"), 0);
	redisFree(c);
	sg_session_clear(&s);
	sg_redis_free(r);
}
END_TEST

START_TEST(test_list)
{
	struct sg_session s;
	struct sg_redis	*r = main_tcp();
	struct sg_err	 err;
	redisContext	*c = raw_open(main_sock);
	const char	*sadd[] = { "SADD", "sandgate:user:" USER,
	    "bad id!", "sandbox_ghost" };
	cJSON		*arr = NULL, *o;
	const char	*ids[] = { "sandbox_l3", "sandbox_l1", "sandbox_l2" };
	size_t		 i, n = 99;
	time_t		 now = time(NULL);

	for (i = 0; i < 3; i++) {
		/* created_at order l1 < l2 < l3, put order l3, l1, l2 */
		mksession(&s, ids[i], USER, now - (i == 0 ? 1 : 10 - (int)i),
		    now + 600);
		sg_err_clear(&err);
		expect(sg_session_put(r, &s, now, &err), &err, SG_OK, NULL,
		    "put");
		sg_session_clear(&s);
	}
	mksession(&s, "sandbox_other", "someone-else", now, now + 600);
	expect(sg_session_put(r, &s, now, &err), &err, SG_OK, NULL, "put");
	sg_session_clear(&s);
	/* Index garbage: an invalid member and an id with no session. */
	ck_assert_int_eq(raw_int(c, 4, sadd), 2);

	sg_err_clear(&err);
	expect(sg_session_list(r, USER, &arr, &err), &err, SG_OK, NULL,
	    "list");
	ck_assert_int_eq(cJSON_GetArraySize(arr), 3);
	for (i = 0; i < 3; i++) {
		char	 want[32];

		(void)snprintf(want, sizeof(want), "sandbox_l%zu", i + 1);
		o = cJSON_GetArrayItem(arr, (int)i);
		ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(o,
		    "container_id")->valuestring, want);
		ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(o,
		    "user_id")->valuestring, USER);
		ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(o,
		    "token"));
	}
	cJSON_Delete(arr);
	arr = NULL;
	ck_assert_int_eq(raw_ismember(c, "sandgate:user:" USER, "bad id!"),
	    0);
	ck_assert_int_eq(raw_ismember(c, "sandgate:user:" USER,
	    "sandbox_ghost"), 0);

	/* A session key removed behind our back (eviction). */
	ck_assert_int_eq(raw_int(c, 2, (const char *[]){ "DEL",
	    "sandgate:session:sandbox_l2" }), 1);
	sg_err_clear(&err);
	expect(sg_session_count(r, USER, &n, &err), &err, SG_OK, NULL,
	    "count");
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(raw_ismember(c, "sandgate:user:" USER,
	    "sandbox_l2"), 0);

	/* A user with nothing. */
	expect(sg_session_list(r, "nobody", &arr, &err), &err, SG_OK, NULL,
	    "list nobody");
	ck_assert(cJSON_IsArray(arr));
	ck_assert_int_eq(cJSON_GetArraySize(arr), 0);
	cJSON_Delete(arr);
	expect(sg_session_count(r, "nobody", &n, &err), &err, SG_OK, NULL,
	    "count nobody");
	ck_assert_uint_eq(n, 0);
	redisFree(c);
	sg_redis_free(r);
}
END_TEST

/* A session filed under a user it does not name leaves that index. */
START_TEST(test_list_foreign_session)
{
	struct sg_session s;
	struct sg_redis	*r = main_unix();
	struct sg_err	 err;
	redisContext	*c = raw_open(main_sock);
	const char	*sadd[] = { "SADD", "sandgate:user:" USER,
	    "sandbox_theirs" };
	size_t		 n = 99;
	time_t		 now = time(NULL);

	mksession(&s, "sandbox_theirs", "other", now, now + 600);
	sg_err_clear(&err);
	expect(sg_session_put(r, &s, now, &err), &err, SG_OK, NULL, "put");
	ck_assert_int_eq(raw_int(c, 3, sadd), 1);
	expect(sg_session_count(r, USER, &n, &err), &err, SG_OK, NULL,
	    "count");
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(raw_exists(c, "sandgate:user:" USER), 0);
	expect(sg_session_count(r, "other", &n, &err), &err, SG_OK, NULL,
	    "count other");
	ck_assert_uint_eq(n, 1);
	redisFree(c);
	sg_session_clear(&s);
	sg_redis_free(r);
}
END_TEST

START_TEST(test_list_limit)
{
	struct sg_redis	*r = main_unix();
	struct sg_err	 err;
	redisContext	*c = raw_open(main_sock);
	const char	*argv[2 + SG_SESSION_MAX_PER_USER + 1];
	static char	 ids[SG_SESSION_MAX_PER_USER + 1][16];
	cJSON		*arr = NULL;
	size_t		 n;
	int		 i;

	argv[0] = "SADD";
	argv[1] = "sandgate:user:many";
	for (i = 0; i <= SG_SESSION_MAX_PER_USER; i++) {
		(void)snprintf(ids[i], sizeof(ids[i]), "sandbox_%d", i);
		argv[2 + i] = ids[i];
	}
	/* Exactly the limit: fine (all ghosts, all pruned). */
	ck_assert_int_eq(raw_int(c, 2 + SG_SESSION_MAX_PER_USER, argv),
	    SG_SESSION_MAX_PER_USER);
	sg_err_clear(&err);
	expect(sg_session_count(r, "many", &n, &err), &err, SG_OK, NULL,
	    "count at limit");
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(raw_exists(c, "sandgate:user:many"), 0);
	/* One over. */
	ck_assert_int_eq(raw_int(c, 3 + SG_SESSION_MAX_PER_USER, argv),
	    SG_SESSION_MAX_PER_USER + 1);
	sg_err_clear(&err);
	expect(sg_session_count(r, "many", &n, &err), &err, SG_ETOOBIG,
	    "too_many_sessions", "count over");
	sg_err_clear(&err);
	expect(sg_session_list(r, "many", &arr, &err), &err, SG_ETOOBIG,
	    "too_many_sessions", "list over");
	ck_assert_ptr_null(arr);
	redisFree(c);
	sg_redis_free(r);
}
END_TEST

START_TEST(test_prune)
{
	struct sg_session s;
	struct sg_redis	*r = main_unix();
	struct sg_err	 err;
	redisContext	*c = raw_open(main_sock);
	const char	*g1[] = { "SADD", "sandgate:user:ghosts",
	    "sandbox_g1", "sandbox_g2", "sandbox_g3" };
	const char	*g2[] = { "SADD", "sandgate:user:mixed",
	    "sandbox_g4" };
	const char	*wt[] = { "SET", "sandgate:user:notaset", "x" };
	const char	*bad[] = { "SADD", "sandgate:user:bad user", "x" };
	size_t		 pruned = 99;
	time_t		 now = time(NULL);

	mksession(&s, "sandbox_live", "mixed", now, now + 600);
	sg_err_clear(&err);
	expect(sg_session_put(r, &s, now, &err), &err, SG_OK, NULL, "put");
	ck_assert_int_eq(raw_int(c, 5, g1), 3);
	ck_assert_int_eq(raw_int(c, 3, g2), 1);
	raw_ok(c, 3, wt);
	ck_assert_int_eq(raw_int(c, 3, bad), 1);

	expect(sg_session_prune(r, &pruned, &err), &err, SG_OK, NULL,
	    "prune");
	ck_assert_uint_eq(pruned, 4);
	ck_assert_int_eq(raw_exists(c, "sandgate:user:ghosts"), 0);
	ck_assert_int_eq(raw_ismember(c, "sandgate:user:mixed",
	    "sandbox_live"), 1);
	ck_assert_int_eq(raw_ismember(c, "sandgate:user:mixed",
	    "sandbox_g4"), 0);
	/* Keys that are not ours to judge are left alone. */
	ck_assert_int_eq(raw_exists(c, "sandgate:user:notaset"), 1);
	ck_assert_int_eq(raw_exists(c, "sandgate:user:bad user"), 1);
	/* Nothing left to do. */
	expect(sg_session_prune(r, &pruned, &err), &err, SG_OK, NULL,
	    "prune again");
	ck_assert_uint_eq(pruned, 0);
	redisFree(c);
	sg_session_clear(&s);
	sg_redis_free(r);
}
END_TEST

/* Prune over more keys than one SCAN round returns. */
START_TEST(test_prune_many)
{
	struct sg_redis	*r = main_unix();
	struct sg_err	 err;
	redisContext	*c = raw_open(main_sock);
	char		 key[64];
	const char	*argv[] = { "SADD", key, "sandbox_dead" };
	size_t		 pruned = 0;
	int		 i;

	for (i = 0; i < 350; i++) {
		(void)snprintf(key, sizeof(key), "sandgate:user:u%d", i);
		ck_assert_int_eq(raw_int(c, 3, argv), 1);
	}
	sg_err_clear(&err);
	expect(sg_session_prune(r, &pruned, &err), &err, SG_OK, NULL,
	    "prune");
	ck_assert_uint_eq(pruned, 350);
	ck_assert_int_eq(raw_int(c, 1, (const char *[]){ "DBSIZE" }), 0);
	redisFree(c);
	sg_redis_free(r);
}
END_TEST

/* C6: ids are checked before they reach a key, before any Redis call. */
START_TEST(test_hostile_ids)
{
	static const char *const hostile[] = {
		"", "a b", "x EX 0", "a\r\nFLUSHALL", "*", "sandbox_*",
		"../etc/passwd", "sandgate:session:x", "a:b", "a\tb", "a.b",
		"\xc3\xa9t\xc3\xa9", "x\x01",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaa"	/* 129 */
	};
	struct sg_session s, got;
	struct sg_redis	*r;
	struct sg_err	 err;
	cJSON		*arr = NULL;
	size_t		 i, n;
	char		 url[160];
	time_t		 now = time(NULL);

	/* A client whose server does not exist: any call would fail. */
	(void)snprintf(url, sizeof(url), "unix:%s/nothing.sock", tmpdir);
	r = client(url, TIMEOUT_MS);
	sg_session_init(&got);
	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		sg_err_clear(&err);
		expect(sg_session_get(r, hostile[i], &got, &err), &err,
		    SG_EINVAL, "bad_id", hostile[i]);
		sg_err_clear(&err);
		expect(sg_session_del(r, hostile[i], NULL, &err), &err,
		    SG_EINVAL, "bad_id", hostile[i]);
		sg_err_clear(&err);
		expect(sg_session_del(r, "sandbox_ok", hostile[i], &err), &err,
		    SG_EINVAL, "bad_id", hostile[i]);
		sg_err_clear(&err);
		expect(sg_session_list(r, hostile[i], &arr, &err), &err,
		    SG_EINVAL, "bad_id", hostile[i]);
		sg_err_clear(&err);
		expect(sg_session_count(r, hostile[i], &n, &err), &err,
		    SG_EINVAL, "bad_id", hostile[i]);

		/* Too long for the struct: the get/del/list cases cover it. */
		if (strlen(hostile[i]) > SG_ID_MAX)
			continue;
		mksession(&s, "sandbox_ok", USER, now, now + 60);
		(void)strlcpy(s.container_id, hostile[i],
		    sizeof(s.container_id));
		sg_err_clear(&err);
		expect(sg_session_put(r, &s, now, &err), &err, SG_EINVAL,
		    "bad_session", hostile[i]);
		(void)strlcpy(s.container_id, "sandbox_ok",
		    sizeof(s.container_id));
		(void)strlcpy(s.user_id, hostile[i], sizeof(s.user_id));
		sg_err_clear(&err);
		expect(sg_session_put(r, &s, now, &err), &err, SG_EINVAL,
		    "bad_session", hostile[i]);
		sg_session_clear(&s);
	}
	ck_assert_int_eq(sg_session_get(r, NULL, &got, NULL), SG_EINVAL);
	/* The same client does reach for Redis with a valid id. */
	sg_err_clear(&err);
	expect(sg_session_get(r, "sandbox_ok", &got, &err), &err,
	    SG_EUNAVAIL, "redis_connect", "valid id");
	sg_redis_free(r);
}
END_TEST

/*
 * C6: '-' and '_' are id characters and make it into the keys as they
 * are; a space cannot, and values reach Redis only as arguments.
 */
START_TEST(test_key_names)
{
	struct sg_session s;
	struct sg_redis	*r = main_unix();
	struct sg_err	 err;
	redisContext	*c = raw_open(main_sock);
	redisReply	*rep;
	const char	*keys[] = { "KEYS", "*" };
	time_t		 now = time(NULL);
	size_t		 i;

	mksession(&s, "sandbox_-x_-", "-a_b-", now, now + 60);
	sg_err_clear(&err);
	expect(sg_session_put(r, &s, now, &err), &err, SG_OK, NULL, "put");
	rep = raw(c, 2, keys);
	ck_assert_int_eq(rep->type, REDIS_REPLY_ARRAY);
	ck_assert_uint_eq(rep->elements, 2);
	for (i = 0; i < rep->elements; i++)
		ck_assert_msg(strcmp(rep->element[i]->str,
		    "sandgate:session:sandbox_-x_-") == 0 ||
		    strcmp(rep->element[i]->str, "sandgate:user:-a_b-") == 0,
		    "key %s", rep->element[i]->str);
	freeReplyObject(rep);
	/* Neither an image with a space nor a host list with one. */
	(void)strlcpy(s.image, "img EX 0", sizeof(s.image));
	sg_err_clear(&err);
	expect(sg_session_put(r, &s, now, &err), &err, SG_EINVAL,
	    "bad_session", "image");
	(void)strlcpy(s.image, "img", sizeof(s.image));
	free(s.allowed_hosts);
	s.allowed_hosts = strdup("a.com,b.com EX 0");
	sg_err_clear(&err);
	expect(sg_session_put(r, &s, now, &err), &err, SG_EINVAL,
	    "bad_session", "hosts");
	redisFree(c);
	sg_session_clear(&s);
	sg_redis_free(r);
}
END_TEST

/* ---- what other tools may have stored ---------------------------------- */

/* A valid stored object, member by member, in the contract's order. */
static const char *const good_members[][2] = {
	{ "container_id",	"\"sandbox_s\"" },
	{ "user_id",		"\"u-1\"" },
	{ "organization_uuid",	"\"" ORG "\"" },
	{ "jti",		"\"jti-1\"" },
	{ "token_sha256",	"\"" SHA "\"" },
	{ "allowed_hosts",	"[\"a.example.com\",\"*.b.example:8443\"]" },
	{ "container_ip",	"\"10.0.0.2\"" },
	{ "docker_id",		"\"" DOCKER_ID "\"" },
	{ "image",		"\"sandgate/sandbox:1.0\"" },
	{ "created_at",		"1767225600" },
	{ "expires_at",		"1767229200" },
};
#define NMEMBERS (sizeof(good_members) / sizeof(good_members[0]))

/*
 * One case: member name and replacement value (NULL value: drop the
 * member), or name NULL and the whole text in value.  ok: must load.
 */
struct stored_case {
	const char	*name;
	const char	*value;
	int		 ok;
};

#define HEX64U	"9F86D081884C7D659A2FEAA0C55AD015" \
		"A3BF4F1B2B0B822CD15D6C15B0F00A08"

static const struct stored_case stored_cases[] = {
	/* whole texts */
	{ NULL, "", 0 },
	{ NULL, "{not json", 0 },
	{ NULL, "[]", 0 },
	{ NULL, "\"x\"", 0 },
	{ NULL, "null", 0 },
	{ NULL, "{}", 0 },
	/* types and formats, member by member */
	{ "container_id", "1", 0 },
	{ "container_id", "null", 0 },
	{ "container_id", "\"\"", 0 },
	{ "container_id", "\"sandbox_other\"", 0 },	/* not the key's */
	{ "container_id", "\"sandbox_s\\u0000x\"", 0 },
	{ "container_id", "[\"sandbox_s\"]", 0 },
	{ "user_id", "\"a b\"", 0 },
	{ "user_id", "\"u\\r\\nFLUSHALL\"", 0 },
	{ "user_id", "5", 0 },
	{ "organization_uuid", "\"not-a-uuid\"", 0 },
	{ "organization_uuid", "\"\"", 0 },
	{ "jti", "\"a/b\"", 0 },
	{ "jti", "true", 0 },
	{ "token_sha256", "\"" HEX64U "\"", 0 },
	{ "token_sha256", "\"9f86d081\"", 0 },
	{ "token_sha256", "\"" SHA "0\"", 0 },
	{ "token_sha256", "\"eyJhbGciOiJFUzI1NiJ9.e30.sig\"", 0 },
	{ "allowed_hosts", "\"a.example.com\"", 0 },
	{ "allowed_hosts", "[\"a.example.com\",1]", 0 },
	{ "allowed_hosts", "[\"a b.com\"]", 0 },
	{ "allowed_hosts", "[\"a.com,b.com\"]", 0 },
	{ "allowed_hosts", "[\"*\"]", 0 },
	{ "allowed_hosts", "[\"\"]", 0 },
	{ "allowed_hosts", "[\"https://a.com\"]", 0 },
	{ "allowed_hosts", "{}", 0 },
	{ "allowed_hosts", "null", 0 },
	{ "container_ip", "\"10.0.0.256\"", 0 },
	{ "container_ip", "\"host\"", 0 },
	{ "container_ip", "167772162", 0 },
	{ "docker_id", "\"XYZ\"", 0 },
	{ "docker_id", "\"" SHA "0\"", 0 },
	{ "image", "\"a b\"", 0 },
	{ "image", "\"a\\nb\"", 0 },
	{ "created_at", "\"1767225600\"", 0 },
	{ "created_at", "1767225600.5", 0 },
	{ "created_at", "0", 0 },
	{ "created_at", "-1", 0 },
	{ "created_at", "1e400", 0 },
	{ "created_at", "99999999999999999999", 0 },
	{ "created_at", "1099511627776", 0 },		/* 2^40 */
	{ "created_at", "null", 0 },
	{ "expires_at", "1767225599", 0 },		/* before created */
	{ "expires_at", "true", 0 },
	{ "expires_at", "[1767229200]", 0 },
	/* missing members */
	{ "container_id", NULL, 0 },
	{ "user_id", NULL, 0 },
	{ "organization_uuid", NULL, 0 },
	{ "jti", NULL, 0 },
	{ "token_sha256", NULL, 0 },
	{ "allowed_hosts", NULL, 0 },
	{ "container_ip", NULL, 0 },
	{ "docker_id", NULL, 0 },
	{ "image", NULL, 0 },
	{ "created_at", NULL, 0 },
	{ "expires_at", NULL, 0 },
	/* what must load */
	{ "allowed_hosts", "[]", 1 },
	{ "container_ip", "\"\"", 1 },
	{ "container_ip", "\"fd00::2\"", 1 },
	{ "docker_id", "\"\"", 1 },
	{ "organization_uuid", "\"123E4567-E89B-12D3-A456-426614174000\"", 1 },
	{ "user_id", "\"\\u0075-1\"", 1 },
	{ "expires_at", "1767225600", 1 },		/* == created */
	{ "created_at", "1.7672256e9", 1 },		/* integral */
};

static size_t
stored_text(char *buf, size_t size, const struct stored_case *c)
{
	size_t	 i, n = 0;
	int	 first = 1;

	if (c->name == NULL)
		return strlcpy(buf, c->value, size);
	n += strlcpy(buf + n, "{", size - n);
	for (i = 0; i < NMEMBERS; i++) {
		const char	*v = good_members[i][1];

		if (strcmp(c->name, good_members[i][0]) == 0)
			v = c->value;
		if (v == NULL)
			continue;
		n += (size_t)snprintf(buf + n, size - n, "%s\"%s\":%s",
		    first ? "" : ",", good_members[i][0], v);
		first = 0;
		ck_assert(n < size);
	}
	n += strlcpy(buf + n, "}", size - n);
	ck_assert(n < size);
	return n;
}

START_TEST(test_stored_case)
{
	const struct stored_case *c = &stored_cases[_i];
	struct sg_session got;
	struct sg_redis	*r = main_unix();
	struct sg_err	 err;
	redisContext	*rc = raw_open(main_sock);
	char		 buf[2048];
	size_t		 len;

	len = stored_text(buf, sizeof(buf), c);
	raw_set(rc, "sandgate:session:sandbox_s", buf, len);
	sg_session_init(&got);
	sg_err_clear(&err);
	if (c->ok)
		expect(sg_session_get(r, "sandbox_s", &got, &err), &err,
		    SG_OK, NULL, buf);
	else {
		expect(sg_session_get(r, "sandbox_s", &got, &err), &err,
		    SG_EUPSTREAM, "bad_session", buf);
		ck_assert_str_eq(got.container_id, "");	/* untouched */
	}
	sg_session_clear(&got);
	redisFree(rc);
	sg_redis_free(r);
}
END_TEST

/* Text-level traps that the table cannot express. */
START_TEST(test_stored_text)
{
	struct stored_case good = { "image", "\"sandgate/sandbox:1.0\"", 1 };
	struct sg_session got;
	struct sg_redis	*r = main_unix();
	struct sg_err	 err;
	redisContext	*rc = raw_open(main_sock);
	char		 buf[2048], bad[2200], *big;
	size_t		 len, n;
	cJSON		*arr = NULL;
	const char	*sadd[] = { "SADD", "sandgate:user:u-1",
	    "sandbox_s" };

	sg_session_init(&got);
	len = stored_text(buf, sizeof(buf), &good);
	raw_set(rc, "sandgate:session:sandbox_s", buf, len);
	sg_err_clear(&err);
	expect(sg_session_get(r, "sandbox_s", &got, &err), &err, SG_OK, NULL,
	    "good");

	/* Duplicate member (J1), BOM (J13), trailing text (J3), NUL (J4). */
	(void)snprintf(bad, sizeof(bad), "{\"container_id\":\"sandbox_x\",%s",
	    buf + 1);
	raw_set(rc, "sandgate:session:sandbox_s", bad, strlen(bad));
	sg_err_clear(&err);
	expect(sg_session_get(r, "sandbox_s", &got, &err), &err,
	    SG_EUPSTREAM, "bad_session", "duplicate");
	(void)snprintf(bad, sizeof(bad), "\xef\xbb\xbf%s", buf);
	raw_set(rc, "sandgate:session:sandbox_s", bad, strlen(bad));
	sg_err_clear(&err);
	expect(sg_session_get(r, "sandbox_s", &got, &err), &err,
	    SG_EUPSTREAM, "bad_session", "bom");
	(void)snprintf(bad, sizeof(bad), "%s{}", buf);
	raw_set(rc, "sandgate:session:sandbox_s", bad, strlen(bad));
	sg_err_clear(&err);
	expect(sg_session_get(r, "sandbox_s", &got, &err), &err,
	    SG_EUPSTREAM, "bad_session", "trailing");
	memcpy(bad, buf, len);
	bad[len] = '\0';
	memcpy(bad + len + 1, "{}", 2);
	raw_set(rc, "sandgate:session:sandbox_s", bad, len + 3);
	sg_err_clear(&err);
	expect(sg_session_get(r, "sandbox_s", &got, &err), &err,
	    SG_EUPSTREAM, "bad_session", "nul");

	/* Over the size limit, padded with an unknown member. */
	n = SG_SESSION_MAX_JSON + 16;
	big = malloc(n + 1);
	ck_assert_ptr_nonnull(big);
	(void)snprintf(big, n + 1, "{\"pad\":\"%*s", (int)(n - len - 10), "");
	(void)strlcpy(big + strlen(big), "\",", n + 1 - strlen(big));
	(void)strlcpy(big + strlen(big), buf + 1, n + 1 - strlen(big));
	ck_assert_uint_gt(strlen(big), SG_SESSION_MAX_JSON);
	raw_set(rc, "sandgate:session:sandbox_s", big, strlen(big));
	sg_err_clear(&err);
	expect(sg_session_get(r, "sandbox_s", &got, &err), &err,
	    SG_EUPSTREAM, "bad_session", "big");
	free(big);

	/* A list over a corrupt session fails closed. */
	raw_set(rc, "sandgate:session:sandbox_s", "[]", 2);
	ck_assert_int_eq(raw_int(rc, 3, sadd), 1);
	sg_err_clear(&err);
	expect(sg_session_list(r, "u-1", &arr, &err), &err, SG_EUPSTREAM,
	    "bad_session", "list");
	ck_assert_ptr_null(arr);
	sg_err_clear(&err);
	expect(sg_session_count(r, "u-1", &n, &err), &err, SG_EUPSTREAM,
	    "bad_session", "count");
	/* Not a string at all: WRONGTYPE. */
	ck_assert_int_eq(raw_int(rc, 3, (const char *[]){ "SADD",
	    "sandgate:session:sandbox_s2", "x" }), 1);
	sg_err_clear(&err);
	expect(sg_session_get(r, "sandbox_s2", &got, &err), &err,
	    SG_EUPSTREAM, "redis_error", "wrongtype");
	/* ...and the next call works on a fresh connection. */
	sg_err_clear(&err);
	expect(sg_session_get(r, "sandbox_s", &got, &err), &err,
	    SG_EUPSTREAM, "bad_session", "after wrongtype");
	sg_session_clear(&got);
	redisFree(rc);
	sg_redis_free(r);
}
END_TEST

START_TEST(test_json_roundtrip)
{
	struct sg_session s, t;
	struct sg_err	 err;
	cJSON		*j;

	mksession(&s, "sandbox_j", USER, 1767225600, 1767229200);
	sg_session_init(&t);
	j = sg_session_to_json(&s);
	ck_assert_ptr_nonnull(j);
	sg_err_clear(&err);
	expect(sg_session_from_json(j, &t, &err), &err, SG_OK, NULL, "rt");
	assert_same(&s, &t);
	cJSON_Delete(j);
	sg_err_clear(&err);
	expect(sg_session_from_json(NULL, &t, &err), &err, SG_EUPSTREAM,
	    "bad_session", "null");
	j = cJSON_CreateArray();
	sg_err_clear(&err);
	expect(sg_session_from_json(j, &t, &err), &err, SG_EUPSTREAM,
	    "bad_session", "array");
	cJSON_Delete(j);
	assert_same(&s, &t);		/* untouched by the failures */
	sg_session_clear(&t);
	sg_session_clear(&s);
	sg_session_clear(NULL);
}
END_TEST

/* ---- failures ----------------------------------------------------------- */

START_TEST(test_ping)
{
	struct sg_redis	*r = main_unix();
	struct sg_err	 err;
	char		 url[160];

	sg_err_clear(&err);
	expect(sg_redis_ping(r, &err), &err, SG_OK, NULL, "ping");
	sg_redis_free(r);
	r = main_tcp();
	expect(sg_redis_ping(r, &err), &err, SG_OK, NULL, "ping tcp");
	sg_redis_free(r);
	(void)snprintf(url, sizeof(url), "unix:%s/none.sock", tmpdir);
	r = client(url, TIMEOUT_MS);
	sg_err_clear(&err);
	expect(sg_redis_ping(r, &err), &err, SG_EUNAVAIL, "redis_connect",
	    "no socket");
	sg_redis_free(r);
	(void)snprintf(url, sizeof(url), "redis://127.0.0.1:%d",
	    sgtest_free_port());
	r = client(url, TIMEOUT_MS);
	sg_err_clear(&err);
	expect(sg_redis_ping(r, &err), &err, SG_EUNAVAIL, "redis_connect",
	    "closed port");
	sg_redis_free(r);
	sg_redis_free(NULL);
}
END_TEST

START_TEST(test_auth)
{
	struct sg_session s;
	struct sg_redis	*r;
	struct sg_err	 err;
	char		 url[192];
	time_t		 now = time(NULL);

	mksession(&s, "sandbox_auth", USER, now, now + 60);
	/* No password: NOAUTH. */
	(void)snprintf(url, sizeof(url), "unix:%s", auth_sock);
	r = client(url, TIMEOUT_MS);
	sg_err_clear(&err);
	expect(sg_session_put(r, &s, now, &err), &err, SG_EUNAVAIL,
	    "redis_auth", "no password");
	sg_redis_free(r);
	/* Wrong password in the environment: WRONGPASS, never echoed. */
	setenv("SANDGATE_REDIS_PASSWORD", "wrong-Pa55", 1);
	r = client(url, TIMEOUT_MS);
	sg_err_clear(&err);
	expect(sg_redis_ping(r, &err), &err, SG_EUNAVAIL, "redis_auth",
	    "wrong password");
	ck_assert_ptr_null(strstr(err.msg, "wrong-Pa55"));
	/* Every call tries again; still wrong. */
	sg_err_clear(&err);
	expect(sg_session_put(r, &s, now, &err), &err, SG_EUNAVAIL,
	    "redis_auth", "wrong password 2");
	sg_redis_free(r);
	/* The right one, from the environment... */
	setenv("SANDGATE_REDIS_PASSWORD", PASSWORD, 1);
	r = client(url, TIMEOUT_MS);
	sg_err_clear(&err);
	expect(sg_session_put(r, &s, now, &err), &err, SG_OK, NULL,
	    "env password");
	sg_redis_free(r);
	unsetenv("SANDGATE_REDIS_PASSWORD");
	sg_session_clear(&s);
}
END_TEST

START_TEST(test_auth_url)
{
	struct sg_redis	*r;
	struct sg_err	 err;
	char		 url[192];
	int		 port = sgtest_free_port();
	const char	*extra[] = { "--requirepass", PASSWORD, NULL };
	pid_t		 pid;

	/* TCP, since only redis:// URLs carry a password. */
	pid = sgtest_redis_start(tmpdir, "authtcp", port, extra);
	ck_assert_int_gt(pid, 0);
	(void)snprintf(url, sizeof(url),
	    "redis://:s3cret%%20pass%%3A%%40%%2F@127.0.0.1:%d/1", port);
	r = client(url, TIMEOUT_MS);
	sg_err_clear(&err);
	expect(sg_redis_ping(r, &err), &err, SG_OK, NULL, "url password");
	sg_redis_free(r);
	/* Raw '@' and '/' work too: userinfo ends at the last '@'. */
	(void)snprintf(url, sizeof(url),
	    "redis://default:s3cret%%20pass:@/@127.0.0.1:%d", port);
	r = client(url, TIMEOUT_MS);
	sg_err_clear(&err);
	expect(sg_redis_ping(r, &err), &err, SG_OK, NULL, "raw @ and /");
	sg_redis_free(r);
	(void)snprintf(url, sizeof(url), "redis://:nope@127.0.0.1:%d", port);
	r = client(url, TIMEOUT_MS);
	sg_err_clear(&err);
	expect(sg_redis_ping(r, &err), &err, SG_EUNAVAIL, "redis_auth",
	    "wrong url password");
	sg_redis_free(r);
	sgtest_redis_stop(pid, SIGTERM);
}
END_TEST

/*
 * docs/security.md 6.3: a replica answers writes with READONLY (a
 * demoted master too); the context must go, and the next call reconnect.
 */
START_TEST(test_readonly)
{
	struct sg_session s, got;
	struct sg_redis	*r;
	struct sg_err	 err;
	redisContext	*c;
	char		 url[160], port[16], sock[128];
	const char	*extra[] = { "--replicaof", "127.0.0.1", port, NULL };
	long long	 conns;
	pid_t		 pid;
	int		 i;
	time_t		 now = time(NULL);

	(void)snprintf(port, sizeof(port), "%d", main_port);
	pid = sgtest_redis_start(tmpdir, "replica", 0, extra);
	ck_assert_int_gt(pid, 0);
	sgtest_redis_sock(sock, sizeof(sock), tmpdir, "replica");
	(void)snprintf(url, sizeof(url), "unix:%s", sock);
	r = client(url, TIMEOUT_MS);
	c = raw_open(sock);
	mksession(&s, "sandbox_ro", USER, now, now + 60);
	sg_session_init(&got);
	/*
	 * A replica still loading its first sync would say LOADING.  Redis 7
	 * syncs diskless after repl-diskless-sync-delay (5 s), so wait 12 s.
	 */
	for (i = 0; i < 600 && !raw_info_has(c, "master_link_status:up");
	    i++)
		usleep(20000);
	ck_assert_msg(i < 600, "replica did not sync");

	sg_err_clear(&err);
	expect(sg_redis_ping(r, &err), &err, SG_OK, NULL, "ping replica");
	conns = raw_info(c, "total_connections_received");
	sg_err_clear(&err);
	expect(sg_session_put(r, &s, now, &err), &err, SG_EUNAVAIL,
	    "redis_readonly", "put on replica");
	/* Reads still work there, over a new connection. */
	sg_err_clear(&err);
	expect(sg_session_get(r, "sandbox_ro", &got, &err), &err, SG_ENOENT,
	    NULL, "get on replica");
	ck_assert_int_eq(raw_info(c, "total_connections_received"),
	    conns + 1);
	redisFree(c);
	sg_session_clear(&s);
	sg_redis_free(r);
	sgtest_redis_stop(pid, SIGTERM);
}
END_TEST

/* A replica that lost its master and may not serve stale data. */
START_TEST(test_masterdown)
{
	struct sg_session got;
	struct sg_redis	*r;
	struct sg_err	 err;
	char		 url[160], port[16], sock[128];
	const char	*extra[] = { "--replicaof", "127.0.0.1", port,
	    "--replica-serve-stale-data", "no", NULL };
	pid_t		 pid;

	(void)snprintf(port, sizeof(port), "%d", sgtest_free_port());
	pid = sgtest_redis_start(tmpdir, "orphan", 0, extra);
	ck_assert_int_gt(pid, 0);
	sgtest_redis_sock(sock, sizeof(sock), tmpdir, "orphan");
	(void)snprintf(url, sizeof(url), "unix:%s", sock);
	r = client(url, TIMEOUT_MS);
	sg_session_init(&got);
	sg_err_clear(&err);
	expect(sg_session_get(r, "sandbox_x", &got, &err), &err, SG_EUNAVAIL,
	    "redis_masterdown", "get");
	sg_redis_free(r);
	sgtest_redis_stop(pid, SIGTERM);
}
END_TEST

/* maxmemory reached with noeviction: writes fail with OOM. */
START_TEST(test_oom)
{
	struct sg_session s;
	struct sg_redis	*r;
	struct sg_err	 err;
	redisContext	*c;
	char		 url[160], sock[128];
	const char	*set1[] = { "CONFIG", "SET", "maxmemory", "1" };
	pid_t		 pid;
	time_t		 now = time(NULL);

	pid = sgtest_redis_start(tmpdir, "oom", 0, NULL);
	ck_assert_int_gt(pid, 0);
	sgtest_redis_sock(sock, sizeof(sock), tmpdir, "oom");
	(void)snprintf(url, sizeof(url), "unix:%s", sock);
	c = raw_open(sock);
	raw_ok(c, 4, set1);
	r = client(url, TIMEOUT_MS);
	mksession(&s, "sandbox_oom", USER, now, now + 60);
	sg_err_clear(&err);
	expect(sg_session_put(r, &s, now, &err), &err, SG_EUNAVAIL,
	    "redis_oom", "put");
	redisFree(c);
	sg_session_clear(&s);
	sg_redis_free(r);
	sgtest_redis_stop(pid, SIGTERM);
}
END_TEST

/* A script that runs too long: BUSY to everyone else. */
START_TEST(test_busy)
{
	struct sg_session got;
	struct sg_redis	*r;
	struct sg_err	 err;
	redisContext	*c, *k;
	redisReply	*rep;
	char		 url[160], sock[128];
	const char	*thr[] = { "CONFIG", "SET", "busy-reply-threshold",
	    "100" };
	const char	*loop[] = { "EVAL", "while true do end", "0" };
	const char	*kill_[] = { "SCRIPT", "KILL" };
	void		*v = NULL;
	int		 i;
	pid_t		 pid;

	pid = sgtest_redis_start(tmpdir, "busy", 0, NULL);
	ck_assert_int_gt(pid, 0);
	sgtest_redis_sock(sock, sizeof(sock), tmpdir, "busy");
	(void)snprintf(url, sizeof(url), "unix:%s", sock);
	c = raw_open(sock);
	k = raw_open(sock);
	raw_ok(c, 4, thr);
	r = client(url, 2000);
	/* Start the endless script without waiting for its answer. */
	ck_assert_int_eq(redisAppendCommandArgv(c, 3, loop, NULL), REDIS_OK);
	{
		int	 done = 0;

		while (!done)
			ck_assert_int_eq(redisBufferWrite(c, &done), REDIS_OK);
	}
	/* Until the script has run past the threshold (at most 5 s). */
	sg_session_init(&got);
	for (i = 0; i < 100; i++) {
		sg_err_clear(&err);
		if (sg_session_get(r, "sandbox_x", &got, &err) != SG_ENOENT)
			break;
		usleep(50000);
	}
	expect(err.rc, &err, SG_EUNAVAIL, "redis_busy", "get while busy");
	rep = raw(k, 2, kill_);
	freeReplyObject(rep);
	ck_assert_int_eq(redisGetReply(c, &v), REDIS_OK);
	freeReplyObject(v);
	sg_err_clear(&err);
	expect(sg_session_get(r, "sandbox_x", &got, &err), &err, SG_ENOENT,
	    NULL, "get after");
	redisFree(k);
	redisFree(c);
	sg_redis_free(r);
	sgtest_redis_stop(pid, SIGTERM);
}
END_TEST

/*
 * The server dies (SIGKILL) under an open connection: the call fails as
 * unavailable (and SIGPIPE does not kill us: nothing here ignores it),
 * calls fail while it is down, and once it is back on the same socket
 * and port the same sg_redis object works again.
 * Pins: after a restart the first call failed on the stale connection
 * (503 from a service); it now reconnects and succeeds, once.
 */
static void
kill_restart(int tcp)
{
	struct sg_session s, got;
	struct sg_redis	*r;
	struct sg_err	 err;
	char		 url[160], sock[128];
	int		 port = sgtest_free_port(), i;
	pid_t		 pid;
	time_t		 now = time(NULL);

	pid = sgtest_redis_start(tmpdir, "phoenix", port, NULL);
	ck_assert_int_gt(pid, 0);
	sgtest_redis_sock(sock, sizeof(sock), tmpdir, "phoenix");
	if (tcp)
		(void)snprintf(url, sizeof(url), "redis://127.0.0.1:%d", port);
	else
		(void)snprintf(url, sizeof(url), "unix:%s", sock);
	r = client(url, TIMEOUT_MS);
	mksession(&s, "sandbox_k", USER, now, now + 60);
	sg_session_init(&got);
	sg_err_clear(&err);
	expect(sg_session_put(r, &s, now, &err), &err, SG_OK, NULL, "put");

	sgtest_redis_stop(pid, SIGKILL);
	/* Twice each: once on the dead connection, once reconnecting. */
	for (i = 0; i < 2; i++) {
		sg_err_clear(&err);
		expect(sg_session_put(r, &s, now, &err), &err, SG_EUNAVAIL,
		    NULL, "put while down");
		sg_err_clear(&err);
		expect(sg_session_get(r, "sandbox_k", &got, &err), &err,
		    SG_EUNAVAIL, NULL, "get while down");
	}
	ck_assert_str_eq(err.code, "redis_connect");

	pid = sgtest_redis_start(tmpdir, "phoenix", port, NULL);
	ck_assert_int_gt(pid, 0);
	/* No persistence: the session is gone, the connection is back. */
	sg_err_clear(&err);
	expect(sg_session_get(r, "sandbox_k", &got, &err), &err, SG_ENOENT,
	    NULL, "get after restart");
	sg_err_clear(&err);
	expect(sg_session_put(r, &s, now, &err), &err, SG_OK, NULL,
	    "put after restart");
	/*
	 * Killed again, restarted before the next call: the first call
	 * meets the stale connection, reconnects and succeeds; a put
	 * (MULTI/EXEC) as well as a get; and after a graceful restart.
	 */
	sgtest_redis_stop(pid, SIGKILL);
	pid = sgtest_redis_start(tmpdir, "phoenix", port, NULL);
	ck_assert_int_gt(pid, 0);
	sg_err_clear(&err);
	expect(sg_session_get(r, "sandbox_k", &got, &err), &err, SG_ENOENT,
	    NULL, "first get after restart (stale connection)");
	sgtest_redis_stop(pid, SIGKILL);
	pid = sgtest_redis_start(tmpdir, "phoenix", port, NULL);
	ck_assert_int_gt(pid, 0);
	sg_err_clear(&err);
	expect(sg_session_put(r, &s, now, &err), &err, SG_OK, NULL,
	    "first put after restart (stale connection)");
	sgtest_redis_stop(pid, SIGTERM);
	pid = sgtest_redis_start(tmpdir, "phoenix", port, NULL);
	ck_assert_int_gt(pid, 0);
	sg_err_clear(&err);
	expect(sg_redis_ping(r, &err), &err, SG_OK, NULL,
	    "first ping after SIGTERM restart");
	sg_err_clear(&err);
	expect(sg_session_get(r, "sandbox_k", &got, &err), &err, SG_ENOENT,
	    NULL, "get");
	sg_session_clear(&s);
	sg_redis_free(r);
	sgtest_redis_stop(pid, SIGTERM);
}

START_TEST(test_kill_restart_unix)
{
	kill_restart(0);
}
END_TEST

START_TEST(test_kill_restart_tcp)
{
	kill_restart(1);
}
END_TEST

/*
 * A server that stops answering (SIGSTOP): each call gives up after about
 * the timeout, whether on the open connection or on a new one (the
 * kernel still accepts into the listen backlog), and works after SIGCONT.
 */
static void
sigstop(int tcp)
{
	struct sg_session s, got;
	struct sg_redis	*r;
	struct sg_err	 err;
	struct timespec	 t0;
	char		 url[160], sock[128];
	double		 ms;
	int		 i, tmo = 200, port = sgtest_free_port();
	pid_t		 pid;
	time_t		 now = time(NULL);

	pid = sgtest_redis_start(tmpdir, "frozen", port, NULL);
	ck_assert_int_gt(pid, 0);
	sgtest_redis_sock(sock, sizeof(sock), tmpdir, "frozen");
	if (tcp)
		(void)snprintf(url, sizeof(url), "redis://127.0.0.1:%d", port);
	else
		(void)snprintf(url, sizeof(url), "unix:%s", sock);
	r = client(url, tmo);
	mksession(&s, "sandbox_f", USER, now, now + 60);
	sg_session_init(&got);
	sg_err_clear(&err);
	expect(sg_session_put(r, &s, now, &err), &err, SG_OK, NULL, "put");

	ck_assert_int_eq(kill(pid, SIGSTOP), 0);
	for (i = 0; i < 2; i++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		sg_err_clear(&err);
		expect(sg_session_get(r, "sandbox_f", &got, &err), &err,
		    SG_ETIMEOUT, "redis_timeout", "get while stopped");
		ms = ms_since(&t0);
		ck_assert_msg(ms >= tmo * 0.75 && ms < tmo * 5,
		    "call %d took %.0f ms, timeout %d ms", i, ms, tmo);
	}
	ck_assert_int_eq(kill(pid, SIGCONT), 0);
	sg_err_clear(&err);
	expect(sg_session_get(r, "sandbox_f", &got, &err), &err, SG_OK, NULL,
	    "get after SIGCONT");
	sg_session_clear(&got);
	sg_session_clear(&s);
	sg_redis_free(r);
	sgtest_redis_stop(pid, SIGTERM);
}

START_TEST(test_sigstop_unix)
{
	sigstop(0);
}
END_TEST

START_TEST(test_sigstop_tcp)
{
	sigstop(1);
}
END_TEST

/* A context opened before fork() is not shared by the child. */
START_TEST(test_fork)
{
	struct sg_redis	*r = main_unix();
	struct sg_err	 err;
	redisContext	*c = raw_open(main_sock);
	long long	 conns;
	pid_t		 pid;
	int		 status;

	sg_err_clear(&err);
	expect(sg_redis_ping(r, &err), &err, SG_OK, NULL, "ping");
	conns = raw_info(c, "total_connections_received");
	if ((pid = fork()) == 0) {
		status = sg_redis_ping(r, NULL) == SG_OK ? 0 : 1;
		sg_redis_free(r);
		redisFree(c);
		_exit(status);
	}
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(raw_info(c, "total_connections_received"),
	    conns + 1);
	/* The parent's connection is still its own. */
	expect(sg_redis_ping(r, &err), &err, SG_OK, NULL, "ping parent");
	ck_assert_int_eq(raw_info(c, "total_connections_received"),
	    conns + 1);
	redisFree(c);
	sg_redis_free(r);
}
END_TEST

/* ---- the per-user limit ----------------------------------------------- */

#define RACERS	24
#define LIMIT	5

/*
 * Pins: the per-user sandbox limit was a count followed by a separate
 * session write, so concurrent creates for one user could all pass it.
 * RACERS processes, released at once, each reserve a slot for their own
 * id with the limit LIMIT, two sessions of the user already there:
 * exactly LIMIT - 2 succeed, every other one is SG_ELIMIT.
 */
START_TEST(test_reserve_race)
{
	struct sg_session s;
	struct sg_redis	*r = main_unix();
	struct sg_err	 err;
	redisContext	*c = raw_open(main_sock);
	const char	*zcard[] = { "ZCARD", "sandgate:reserve:" USER };
	pid_t		 pids[RACERS];
	int		 go[2], i, st, ok = 0, full = 0;
	char		 b;
	time_t		 now = time(NULL);

	for (i = 0; i < 2; i++) {
		char	 id[32];

		(void)snprintf(id, sizeof(id), "sandbox_live%d", i);
		mksession(&s, id, USER, now, now + 600);
		sg_err_clear(&err);
		expect(sg_session_put(r, &s, now, &err), &err, SG_OK, NULL,
		    "put");
		sg_session_clear(&s);
	}
	ck_assert_int_eq(pipe(go), 0);
	for (i = 0; i < RACERS; i++) {
		ck_assert_int_ge(pids[i] = fork(), 0);
		if (pids[i] == 0) {
			struct sg_redis	*cr;
			char		 id[32], url[160];
			enum sg_rc	 rc;

			close(go[1]);
			(void)snprintf(url, sizeof(url), "unix:%s", main_sock);
			if (sg_redis_new(url, 2000, &cr, NULL) != SG_OK ||
			    sg_redis_ping(cr, NULL) != SG_OK)
				_exit(3);
			/* connected; now wait for the others (EOF) */
			if (read(go[0], &b, 1) != 0)
				_exit(4);
			(void)snprintf(id, sizeof(id), "sandbox_race%02d", i);
			rc = sg_session_reserve(cr, USER, id, LIMIT, 60000,
			    NULL, NULL);
			sg_redis_free(cr);
			_exit(rc == SG_OK ? 0 : rc == SG_ELIMIT ? 1 : 2);
		}
	}
	close(go[0]);
	usleep(200000);
	close(go[1]);			/* EOF for every reader: go */
	for (i = 0; i < RACERS; i++) {
		ck_assert_int_eq(waitpid(pids[i], &st, 0), pids[i]);
		ck_assert(WIFEXITED(st));
		ck_assert_msg(WEXITSTATUS(st) <= 1, "racer %d: exit %d", i,
		    WEXITSTATUS(st));
		if (WEXITSTATUS(st) == 0)
			ok++;
		else
			full++;
	}
	ck_assert_int_eq(ok, LIMIT - 2);
	ck_assert_int_eq(full, RACERS - (LIMIT - 2));
	ck_assert_int_eq(raw_int(c, 2, zcard), LIMIT - 2);
	redisFree(c);
	sg_redis_free(r);
}
END_TEST

/*
 * What a reservation is: counted with the sessions, left alone by list,
 * count and prune, counted once when its session is written, gone with
 * unreserve or its deadline; a second reserve of the same id (a retried
 * command) holds the same slot.
 */
START_TEST(test_reserve)
{
	struct sg_session s;
	struct sg_redis	*r = main_unix();
	struct sg_err	 err;
	redisContext	*c = raw_open(main_sock);
	const char	*zcard[] = { "ZCARD", "sandgate:reserve:" USER };
	cJSON		*arr = NULL;
	size_t		 n = 99, pruned;
	time_t		 now = time(NULL);

	sg_err_clear(&err);
	expect(sg_session_reserve(r, USER, "sandbox_a", 2, 60000, &n, &err),
	    &err, SG_OK, NULL, "reserve a");
	ck_assert_uint_eq(n, 1);
	expect(sg_session_reserve(r, USER, "sandbox_a", 2, 60000, &n, &err),
	    &err, SG_OK, NULL, "reserve a again");
	ck_assert_uint_eq(n, 1);
	/* list, count and prune see no session and drop nothing */
	expect(sg_session_count(r, USER, &n, &err), &err, SG_OK, NULL,
	    "count");
	ck_assert_uint_eq(n, 0);
	expect(sg_session_list(r, USER, &arr, &err), &err, SG_OK, NULL,
	    "list");
	ck_assert_int_eq(cJSON_GetArraySize(arr), 0);
	cJSON_Delete(arr);
	expect(sg_session_prune(r, &pruned, &err), &err, SG_OK, NULL,
	    "prune");
	ck_assert_int_eq(raw_int(c, 2, zcard), 1);
	expect(sg_session_reserve(r, USER, "sandbox_b", 2, 60000, &n, &err),
	    &err, SG_OK, NULL, "reserve b");
	ck_assert_uint_eq(n, 2);
	expect(sg_session_reserve(r, USER, "sandbox_c", 2, 60000, &n, &err),
	    &err, SG_ELIMIT, "too_many_sandboxes", "reserve c at the limit");
	ck_assert_uint_eq(n, 2);
	/* a's session written, its reservation not yet dropped: one */
	mksession(&s, "sandbox_a", USER, now, now + 600);
	sg_err_clear(&err);
	expect(sg_session_put(r, &s, now, &err), &err, SG_OK, NULL, "put a");
	sg_session_clear(&s);
	sg_err_clear(&err);
	expect(sg_session_reserve(r, USER, "sandbox_c", 3, 60000, &n, &err),
	    &err, SG_OK, NULL, "reserve c, limit 3");
	ck_assert_uint_eq(n, 3);
	expect(sg_session_unreserve(r, USER, "sandbox_a", &err), &err, SG_OK,
	    NULL, "unreserve a");
	/* b fails: unreserve frees its slot */
	expect(sg_session_unreserve(r, USER, "sandbox_b", &err), &err, SG_OK,
	    NULL, "unreserve b");
	expect(sg_session_reserve(r, USER, "sandbox_d", 3, 60000, &n, &err),
	    &err, SG_OK, NULL, "reserve d");
	ck_assert_uint_eq(n, 3);
	expect(sg_session_unreserve(r, USER, "sandbox_c", &err), &err, SG_OK,
	    NULL, "unreserve c");
	expect(sg_session_unreserve(r, USER, "sandbox_d", &err), &err, SG_OK,
	    NULL, "unreserve d");
	expect(sg_session_unreserve(r, USER, "sandbox_d", &err), &err, SG_OK,
	    NULL, "unreserve d again");
	ck_assert_int_eq(raw_exists(c, "sandgate:reserve:" USER), 0);
	/* A reservation whose holder died runs out. */
	expect(sg_session_reserve(r, "dies", "sandbox_e", 1, 150, &n, &err),
	    &err, SG_OK, NULL, "reserve e");
	expect(sg_session_reserve(r, "dies", "sandbox_f", 1, 150, &n, &err),
	    &err, SG_ELIMIT, NULL, "reserve f while e holds");
	usleep(400000);
	sg_err_clear(&err);
	expect(sg_session_reserve(r, "dies", "sandbox_f", 1, 150, &n, &err),
	    &err, SG_OK, NULL, "reserve f after e ran out");
	ck_assert_uint_eq(n, 1);
	usleep(400000);
	ck_assert_int_eq(raw_exists(c, "sandgate:reserve:dies"), 0);
	/* Bad arguments never reach Redis. */
	sg_err_clear(&err);
	expect(sg_session_reserve(r, "bad user", "sandbox_g", 1, 1000, &n,
	    &err), &err, SG_EINVAL, "bad_id", "bad user");
	sg_err_clear(&err);
	expect(sg_session_reserve(r, USER, "bad id!", 1, 1000, &n, &err),
	    &err, SG_EINVAL, "bad_id", "bad id");
	sg_err_clear(&err);
	expect(sg_session_reserve(r, USER, "sandbox_g", 0, 1000, &n, &err),
	    &err, SG_EINVAL, NULL, "limit 0");
	sg_err_clear(&err);
	expect(sg_session_reserve(r, USER, "sandbox_g", 1, 0, &n, &err),
	    &err, SG_EINVAL, NULL, "ttl 0");
	redisFree(c);
	sg_redis_free(r);
}
END_TEST

/*
 * Pins: the reaper destroyed a sandbox still being created (no session
 * yet).  reserved tells it: live while the deadline is ahead of Redis's
 * clock, not for an unknown id, not once the deadline has passed.
 */
START_TEST(test_reserved)
{
	struct sg_redis	*r = main_unix();
	struct sg_err	 err;
	redisContext	*c = raw_open(main_sock);
	const char	*zadd[] = { "ZADD", "sandgate:reserve:" USER, "1000",
	    "sandbox_old" };
	size_t		 n;
	int		 live = -1;

	sg_err_clear(&err);
	expect(sg_session_reserve(r, USER, "sandbox_rl", 5, 60000, &n, &err),
	    &err, SG_OK, NULL, "reserve");
	expect(sg_session_reserved(r, USER, "sandbox_rl", &live, &err), &err,
	    SG_OK, NULL, "reserved, live");
	ck_assert_int_eq(live, 1);
	live = -1;
	expect(sg_session_reserved(r, USER, "sandbox_none", &live, &err),
	    &err, SG_OK, NULL, "not reserved");
	ck_assert_int_eq(live, 0);
	live = -1;
	expect(sg_session_reserved(r, "nobody", "sandbox_rl", &live, &err),
	    &err, SG_OK, NULL, "another user's");
	ck_assert_int_eq(live, 0);
	/* a deadline in the past (1 s after the epoch) not yet removed */
	ck_assert_int_eq(raw_int(c, 4, zadd), 1);
	live = -1;
	expect(sg_session_reserved(r, USER, "sandbox_old", &live, &err),
	    &err, SG_OK, NULL, "expired");
	ck_assert_int_eq(live, 0);
	expect(sg_session_unreserve(r, USER, "sandbox_rl", &err), &err, SG_OK,
	    NULL, "unreserve");
	live = -1;
	expect(sg_session_reserved(r, USER, "sandbox_rl", &live, &err), &err,
	    SG_OK, NULL, "after unreserve");
	ck_assert_int_eq(live, 0);
	expect(sg_session_unreserve(r, USER, "sandbox_old", &err), &err,
	    SG_OK, NULL, "unreserve old");
	sg_err_clear(&err);
	expect(sg_session_reserved(r, "bad user", "sandbox_rl", &live, &err),
	    &err, SG_EINVAL, "bad_id", "bad user");
	redisFree(c);
	sg_redis_free(r);
}
END_TEST

/* A user set over the bound: SG_ETOOBIG, as count. */
START_TEST(test_reserve_bound)
{
	struct sg_redis	*r = main_unix();
	struct sg_err	 err;
	redisContext	*c = raw_open(main_sock);
	const char	*argv[2 + SG_SESSION_MAX_PER_USER + 1];
	static char	 ids[SG_SESSION_MAX_PER_USER + 1][16];
	int		 i;

	argv[0] = "SADD";
	argv[1] = "sandgate:user:many";
	for (i = 0; i <= SG_SESSION_MAX_PER_USER; i++) {
		(void)snprintf(ids[i], sizeof(ids[i]), "sandbox_%d", i);
		argv[2 + i] = ids[i];
	}
	ck_assert_int_eq(raw_int(c, 3 + SG_SESSION_MAX_PER_USER, argv),
	    SG_SESSION_MAX_PER_USER + 1);
	sg_err_clear(&err);
	expect(sg_session_reserve(r, "many", "sandbox_x", 5, 1000, NULL,
	    &err), &err, SG_ETOOBIG, "too_many_sessions", "over the bound");
	redisFree(c);
	sg_redis_free(r);
}
END_TEST

/* ---- main ---------------------------------------------------------------- */

static Suite *
session_suite(void)
{
	Suite	*s = suite_create("session");
	TCase	*tc;

	tc = tcase_create("url");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_url_good);
	tcase_add_test(tc, test_url_bad);
	tcase_add_test(tc, test_url_password_not_echoed);
	tcase_add_test(tc, test_url_password_file);
	tcase_add_test(tc, test_url_db);
	tcase_add_test(tc, test_url_ipv6);
	tcase_add_test(tc, test_budget_codec);
	tcase_add_test(tc, test_engine_codec);
	suite_add_tcase(s, tc);

	tc = tcase_create("store");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_roundtrip_unix);
	tcase_add_test(tc, test_lock);
	tcase_add_test(tc, test_put_wait);
	tcase_add_test(tc, test_roundtrip_tcp);
	tcase_add_test(tc, test_roundtrip_empty_fields);
	tcase_add_test(tc, test_wire_contract);
	tcase_add_test(tc, test_put_expired);
	tcase_add_test(tc, test_expiry);
	tcase_add_test(tc, test_del);
	tcase_add_test(tc, test_budget_counters);
	tcase_add_test(tc, test_list);
	tcase_add_test(tc, test_list_foreign_session);
	tcase_add_test(tc, test_list_limit);
	tcase_add_test(tc, test_prune);
	tcase_add_test(tc, test_prune_many);
	tcase_add_test(tc, test_hostile_ids);
	tcase_add_test(tc, test_key_names);
	tcase_add_test(tc, test_reserve_race);
	tcase_add_test(tc, test_reserve);
	tcase_add_test(tc, test_reserved);
	tcase_add_test(tc, test_reserve_bound);
	suite_add_tcase(s, tc);

	tc = tcase_create("stored");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_loop_test(tc, test_stored_case, 0,
	    sizeof(stored_cases) / sizeof(stored_cases[0]));
	tcase_add_test(tc, test_stored_text);
	tcase_add_test(tc, test_json_roundtrip);
	suite_add_tcase(s, tc);

	tc = tcase_create("failures");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_ping);
	tcase_add_test(tc, test_auth);
	tcase_add_test(tc, test_auth_url);
	tcase_add_test(tc, test_readonly);
	tcase_add_test(tc, test_masterdown);
	tcase_add_test(tc, test_oom);
	tcase_add_test(tc, test_busy);
	tcase_add_test(tc, test_kill_restart_unix);
	tcase_add_test(tc, test_kill_restart_tcp);
	tcase_add_test(tc, test_sigstop_unix);
	tcase_add_test(tc, test_sigstop_tcp);
	tcase_add_test(tc, test_fork);
	suite_add_tcase(s, tc);
	return s;
}

static void
rm_tmpdir(void)
{
	DIR		*d;
	struct dirent	*e;
	char		 path[PATH_MAX];

	if ((d = opendir(tmpdir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		(void)snprintf(path, sizeof(path), "%s/%s", tmpdir, e->d_name);
		(void)unlink(path);
	}
	closedir(d);
	(void)rmdir(tmpdir);
}

int
main(void)
{
	SRunner		*sr;
	const char	*extra[] = { "--requirepass", PASSWORD, NULL };
	int		 failed;

	(void)strlcpy(tmpdir, "/tmp/sgsess.XXXXXX", sizeof(tmpdir));
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	if ((main_port = sgtest_free_port()) <= 0 ||
	    (main_pid = sgtest_redis_start(tmpdir, "main", main_port,
	    NULL)) <= 0 ||
	    (auth_pid = sgtest_redis_start(tmpdir, "auth", 0, extra)) <= 0) {
		fprintf(stderr, "cannot start redis-server (see %s)\n", tmpdir);
		sgtest_redis_stop(main_pid, SIGTERM);
		return 1;
	}
	sgtest_redis_sock(main_sock, sizeof(main_sock), tmpdir, "main");
	sgtest_redis_sock(auth_sock, sizeof(auth_sock), tmpdir, "auth");

	sr = srunner_create(session_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);

	sgtest_redis_stop(auth_pid, SIGTERM);
	sgtest_redis_stop(main_pid, SIGTERM);
	if (failed == 0)
		rm_tmpdir();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
