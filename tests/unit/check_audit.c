/* SPDX-License-Identifier: ISC */
/*
 * The audit trail (lib/audit.c with its stream reader, sg_redis_send in
 * lib/redis-send.c, the hook in lib/ops.c) against a real redis-server
 * started here on a unix socket: entries written and read back filtered
 * by container, newest first, with the scan bounded; the stream capped;
 * foreign entries cleaned; and Redis stopped (SIGSTOP) or killed: the
 * writer never waits, drops entries past its backlog and catches up.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "audit.h"
#include "cfg.h"
#include "chain.h"
#include "keys.h"
#include "json.h"
#include "compat.h"
#include "clock.h"
#include "log.h"
#include "metrics.h"
#include "ops.h"
#include "session.h"
#include "sgtest.h"

#define CID_A	"sandbox_AAAAAAAAAAAAAAAAAAAAAA"
#define CID_B	"sandbox_BBBBBBBBBBBBBBBBBBBBBB"

static char		 tmpdir[64];
static char		 sock[128];
static char		 url[160];
static pid_t		 redis_pid = -1;
static struct sg_redis	*rd;		/* blocking reader */

static void
redis_stop(void)
{
	sgtest_redis_stop(redis_pid, SIGKILL);
	redis_pid = -1;
	(void)unlink(sock);
}

static void
setup(void)
{
	struct sg_err	 err;

	sg_log_init("check-audit", SG_LOG_ERROR);
	(void)strlcpy(tmpdir, "/tmp/check_audit.XXXXXX", sizeof(tmpdir));
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	sgtest_redis_sock(sock, sizeof(sock), tmpdir, "redis");
	(void)snprintf(url, sizeof(url), "unix:%s", sock);
	sg_err_clear(&err);
	ck_assert(sg_redis_new(url, 500, &rd, &err) == SG_OK);
	redis_pid = sgtest_redis_start(tmpdir, "redis", 0, NULL);
	ck_assert_msg(redis_pid > 0, "redis-server did not start");
	ck_assert(sgtest_redis_ready(rd));
}

static void
teardown(void)
{
	char	 p[192];

	sg_ops_close();
	sg_redis_free(rd);
	rd = NULL;
	redis_stop();
	(void)snprintf(p, sizeof(p), "%s/redis.log", tmpdir);
	(void)unlink(p);
	(void)snprintf(p, sizeof(p), "%s/%s", tmpdir, SG_METRICS_FILE);
	(void)unlink(p);
	(void)rmdir(tmpdir);
}

/*
 * A decision line as log.c builds it.  Denials get a target of their
 * own (deny-<i>.example): identical ones in a row are aggregated.
 */
static cJSON *
line(const char *cid, int i, const char *decision)
{
	cJSON	*o;
	char	 tgt[64];

	ck_assert_ptr_nonnull(o = cJSON_CreateObject());
	cJSON_AddStringToObject(o, "ts", "2026-01-01T00:00:00.000Z");
	cJSON_AddStringToObject(o, "service", "token-verify");
	cJSON_AddStringToObject(o, "level", "info");
	cJSON_AddStringToObject(o, "event", "decision");
	cJSON_AddStringToObject(o, "mode", "egress");
	cJSON_AddStringToObject(o, "decision", decision);
	cJSON_AddStringToObject(o, "reason", "ok");
	cJSON_AddNumberToObject(o, "status", 200);
	cJSON_AddStringToObject(o, "container_id", cid);
	cJSON_AddNullToObject(o, "sub");
	if (strcmp(decision, "deny") == 0)
		(void)snprintf(tgt, sizeof(tgt), "deny-%d.example:443", i);
	else
		(void)snprintf(tgt, sizeof(tgt), "github.com:443");
	cJSON_AddStringToObject(o, "target", tgt);
	cJSON_AddNumberToObject(o, "latency_us", i);
	return o;
}

/* Entries in the stream (up to 1000). */
static size_t
stream_len(void)
{
	struct sg_err	 err;
	cJSON		*page = NULL;
	size_t		 n;

	sg_err_clear(&err);
	ck_assert_msg(sg_redis_stream_page(rd, SG_AUDIT_STREAM, "+", 1000,
	    &page, &err) == SG_OK, "%s", err.msg);
	n = (size_t)cJSON_GetArraySize(page);
	cJSON_Delete(page);
	return n;
}

/* Flush the sender (a may be NULL) until the stream has want entries. */
static int
wait_len(struct sg_audit *a, size_t want)
{
	int	 i;

	for (i = 0; i < 300; i++) {
		(void)sg_audit_flush(a, NULL, NULL);
		if (stream_len() >= want)
			return 1;
		(void)usleep(10000);
	}
	return 0;
}

/*
 * Let Redis catch up every 200 entries: a chained per-sandbox entry costs
 * Redis about 30 us (a Lua call, lib/chain.h), so a burst of thousands
 * in a tight loop would outrun it and fill SG_AUDIT_MAX_PENDING, which
 * these tests are not about (t_redis_stopped is).
 */
static void
pace(struct sg_audit *a, int i)
{
	int	 k;

	if (i % 200 != 199)
		return;
	for (k = 0; k < 500 && sg_audit_pending(a) > 0; k++) {
		(void)sg_audit_flush(a, NULL, NULL);
		(void)usleep(2000);
	}
}

START_TEST(t_send_read)
{
	struct sg_audit	*a = NULL;
	struct sg_err	 err;
	cJSON		*o, *res = NULL;
	const cJSON	*e;
	size_t		 scanned, failed;
	int		 i, complete;
	double		 prev = 1e18;

	sg_err_clear(&err);
	ck_assert(sg_audit_new(url, 100000, &a, &err) == SG_OK);
	for (i = 0; i < 50; i++) {
		o = line(i % 5 < 3 ? CID_A : CID_B, i, "allow");
		sg_err_clear(&err);
		ck_assert_msg(sg_audit_send(a, o, &failed, &err) == SG_OK,
		    "%s", err.msg);
		ck_assert_uint_eq(failed, 0);
		cJSON_Delete(o);
	}
	ck_assert(wait_len(a, 50));
	/* A's ten newest, newest first */
	sg_err_clear(&err);
	ck_assert(sg_audit_read(rd, CID_A, 10, 1000, &res, &scanned,
	    &complete, &err) == SG_OK);
	ck_assert_int_eq(cJSON_GetArraySize(res), 10);
	/* one page of 1000 held the whole stream */
	ck_assert_int_eq(complete, 1);
	cJSON_ArrayForEach(e, res) {
		ck_assert_str_eq(cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(e, "container_id")), CID_A);
		ck_assert(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(e,
		    "status")));
		ck_assert_double_lt(cJSON_GetObjectItemCaseSensitive(e,
		    "latency_us")->valuedouble, prev);
		prev = cJSON_GetObjectItemCaseSensitive(e,
		    "latency_us")->valuedouble;
		ck_assert_ptr_nonnull(cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(e, "id")));
		ck_assert_str_eq(cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(e, "target")),
		    "github.com:443");
		/* a null member is not a field */
		ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(e, "sub"));
	}
	cJSON_Delete(res);
	/* all of A's: 30, read from A's own stream (only its entries) */
	ck_assert(sg_audit_read(rd, CID_A, 1000, 1000, &res, &scanned,
	    &complete, &err) == SG_OK);
	ck_assert_int_eq(cJSON_GetArraySize(res), 30);
	ck_assert_int_eq(complete, 1);
	ck_assert_uint_eq(scanned, 30);
	cJSON_Delete(res);
	/* a bounded scan stops early and says so */
	ck_assert(sg_audit_read(rd, CID_B, 1000, 7, &res, &scanned,
	    &complete, &err) == SG_OK);
	ck_assert_uint_eq(scanned, 7);
	ck_assert_int_eq(complete, 0);
	ck_assert_int_le(cJSON_GetArraySize(res), 7);
	cJSON_Delete(res);
	/* unknown container: nothing; a bad id never reaches Redis */
	ck_assert(sg_audit_read(rd, "sandbox_none", 10, 100, &res, &scanned,
	    &complete, &err) == SG_OK);
	ck_assert_int_eq(cJSON_GetArraySize(res), 0);
	cJSON_Delete(res);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_audit_read(rd, "a b", 10, 100, &res, &scanned,
	    &complete, &err), SG_EINVAL);
	ck_assert_int_eq(sg_audit_read(rd, CID_A, 0, 100, &res, &scanned,
	    &complete, &err), SG_EINVAL);
	ck_assert_int_eq(sg_audit_read(rd, CID_A, 10, SG_AUDIT_SCAN_MAX + 1,
	    &res, &scanned, &complete, &err), SG_EINVAL);
	/* paging: B's own stream over more than one page of 1000 */
	for (i = 0; i < 2100; i++) {
		o = line(i % 2 == 0 ? CID_B : "sandbox_noise", i, "deny");
		ck_assert(sg_audit_send(a, o, NULL, NULL) == SG_OK);
		cJSON_Delete(o);
		pace(a, i);
	}
	for (i = 0; i < 300; i++) {
		(void)sg_audit_flush(a, NULL, NULL);
		ck_assert(sg_audit_read(rd, CID_B, 1000, SG_AUDIT_SCAN_MAX,
		    &res, &scanned, &complete, &err) == SG_OK);
		if (cJSON_GetArraySize(res) == 1000 &&
		    cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(res,
		    0), "latency_us")->valuedouble == 2098)
			break;
		cJSON_Delete(res);
		res = NULL;
		(void)usleep(10000);
	}
	ck_assert_ptr_nonnull(res);
	ck_assert_int_eq(cJSON_GetArraySize(res), 1000);
	/* newest first across pages: 2098, 2096, ... */
	ck_assert_double_eq(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetArrayItem(res, 999), "latency_us")->valuedouble, 100);
	ck_assert_int_eq(complete, 0);
	cJSON_Delete(res);
	sg_audit_free(a);
}
END_TEST

/* XADD MAXLEN ~ N keeps the stream near N. */
START_TEST(t_capped)
{
	struct sg_audit	*a = NULL;
	struct sg_err	 err;
	cJSON		*o;
	size_t		 n;
	int		 i;

	sg_err_clear(&err);
	ck_assert_int_eq(sg_audit_new(url, 0, &a, &err), SG_EINVAL);
	ck_assert(sg_audit_new(url, 100, &a, &err) == SG_OK);
	for (i = 0; i < 3000; i++) {
		o = line(CID_A, i, "allow");
		ck_assert(sg_audit_send(a, o, NULL, NULL) == SG_OK);
		cJSON_Delete(o);
		pace(a, i);
	}
	/* wait for the last one: the newest entry has latency_us 2999 */
	for (i = 0; i < 300; i++) {
		cJSON	*res = NULL;
		size_t	 sc;
		int	 c;

		(void)sg_audit_flush(a, NULL, NULL);
		ck_assert(sg_audit_read(rd, CID_A, 1, 10, &res, &sc, &c,
		    &err) == SG_OK);
		if (cJSON_GetArraySize(res) == 1 &&
		    cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(res,
		    0), "latency_us")->valuedouble == 2999) {
			cJSON_Delete(res);
			break;
		}
		cJSON_Delete(res);
		(void)usleep(10000);
	}
	n = stream_len();
	/* "~" trims whole nodes of stream-node-max-entries (100) */
	ck_assert_uint_ge(n, 100);
	ck_assert_uint_le(n, 300);
	sg_audit_free(a);
}
END_TEST

/* Entries written by someone else: bad UTF-8 and odd names left out. */
START_TEST(t_foreign)
{
	struct sg_redis_sender *s = NULL;
	struct sg_err	 err;
	const char	*argv[] = { "XADD", SG_AUDIT_STREAM, "*",
	    "container_id", CID_A, "reason", "bad\xff", "id", "forged",
	    "status", "abc", "latency_us", "12", "nul", "a\0b" };
	size_t		 len[15];
	cJSON		*res = NULL, *e;
	size_t		 sc, i;
	int		 c;

	for (i = 0; i < 15; i++)
		len[i] = strlen(argv[i]);
	len[14] = 3;
	sg_err_clear(&err);
	ck_assert(sg_redis_sender_new(url, 500, &s, &err) == SG_OK);
	ck_assert(sg_redis_send(s, 15, argv, len, 1 << 20, NULL, &err) ==
	    SG_OK);
	/* a sender is never used for reads: its own type (lib/redis.h) */
	ck_assert(wait_len(NULL, 1));
	ck_assert(sg_audit_read(rd, CID_A, 10, 10, &res, &sc, &c, &err) ==
	    SG_OK);
	ck_assert_int_eq(cJSON_GetArraySize(res), 1);
	e = cJSON_GetArrayItem(res, 0);
	ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(e, "reason"));
	ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(e, "nul"));
	ck_assert_str_ne(cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(e, "id")), "forged");
	/* not a number: kept as the string it is */
	ck_assert_str_eq(cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(e, "status")), "abc");
	ck_assert_double_eq(cJSON_GetObjectItemCaseSensitive(e,
	    "latency_us")->valuedouble, 12);
	cJSON_Delete(res);
	sg_redis_sender_free(s);
}
END_TEST

/*
 * Regression: the writer must never wait for Redis.  Stopped Redis
 * (SIGSTOP): 20000 entries go (queued, then dropped past the backlog)
 * within a bound that no blocking read would meet; once Redis runs
 * again the queue drains.
 */
START_TEST(t_redis_stopped)
{
	struct sg_audit	*a = NULL;
	struct sg_err	 err;
	cJSON		*o;
	int64_t		 t0, worst = 0, t;
	int		 i, ok = 0, dropped = 0;
	size_t		 before;

	sg_err_clear(&err);
	ck_assert(sg_audit_new(url, 100000, &a, &err) == SG_OK);
	o = line(CID_A, -1, "allow");
	ck_assert(sg_audit_send(a, o, NULL, NULL) == SG_OK);	/* connect */
	cJSON_Delete(o);
	ck_assert(wait_len(a, 1));
	before = stream_len();
	ck_assert_int_eq(kill(redis_pid, SIGSTOP), 0);
	t0 = sgtest_ms();
	for (i = 0; i < 20000; i++) {
		o = line(CID_A, i, "allow");
		t = sg_now_us();
		sg_err_clear(&err);
		if (sg_audit_send(a, o, NULL, &err) == SG_OK)
			ok++;
		else {
			ck_assert_str_eq(err.code, "redis_backlog");
			dropped++;
		}
		t = sg_now_us() - t;
		if (t > worst)
			worst = t;
		cJSON_Delete(o);
	}
	t = sgtest_ms() - t0;
	ck_assert_int_eq(kill(redis_pid, SIGCONT), 0);
	/*
	 * Bounded: no entry waited for Redis.  A writer that read or
	 * waited would hang here until the test's timeout (Redis never
	 * answers while stopped); the bounds leave room for valgrind.
	 */
	ck_assert_int_lt(t, 20000);
	ck_assert_int_lt(worst, 1000000);
	ck_assert_int_gt(ok, 100);
	ck_assert_int_gt(dropped, 0);
	ck_assert_uint_le(sg_audit_pending(a), SG_AUDIT_MAX_PENDING + 4096);
	/* Redis reads again: what was queued arrives */
	for (i = 0; i < 1000 && sg_audit_pending(a) > 0; i++) {
		(void)sg_audit_flush(a, NULL, NULL);
		(void)usleep(2000);
	}
	ck_assert_uint_eq(sg_audit_pending(a), 0);
	ck_assert(stream_len() > before);
	sg_audit_free(a);
}
END_TEST

/* Redis gone: the writer fails at once and backs off. */
START_TEST(t_redis_killed)
{
	struct sg_audit	*a = NULL;
	struct sg_err	 err;
	cJSON		*o;
	int64_t		 t0;
	int		 i, fails = 0;

	sg_err_clear(&err);
	ck_assert(sg_audit_new(url, 1000, &a, &err) == SG_OK);
	redis_stop();
	t0 = sgtest_ms();
	for (i = 0; i < 1000; i++) {
		o = line(CID_A, i, "deny");
		if (sg_audit_send(a, o, NULL, NULL) != SG_OK)
			fails++;
		cJSON_Delete(o);
	}
	ck_assert_int_lt(sgtest_ms() - t0, 1000);
	ck_assert_int_eq(fails, 1000);
	/* back: after the backoff the next entry goes through */
	redis_pid = sgtest_redis_start(tmpdir, "redis", 0, NULL);
	ck_assert_int_gt(redis_pid, 0);
	ck_assert(sgtest_redis_ready(rd));
	(void)usleep(1100000);
	o = line(CID_A, 7, "allow");
	sg_err_clear(&err);
	ck_assert_msg(sg_audit_send(a, o, NULL, &err) == SG_OK, "%s",
	    err.msg);
	cJSON_Delete(o);
	ck_assert(wait_len(a, 1));
	sg_audit_free(a);
}
END_TEST

/* Entries of one container in its own stream (up to 1000). */
static size_t
own_len(const char *cid)
{
	struct sg_err	 err;
	cJSON		*page = NULL;
	char		 key[256];
	size_t		 n;

	(void)snprintf(key, sizeof(key), "%s%s", SG_AUDIT_SANDBOX_PREFIX, cid);
	sg_err_clear(&err);
	ck_assert_msg(sg_redis_stream_page(rd, key, "+", 1000, &page,
	    &err) == SG_OK, "%s", err.msg);
	n = (size_t)cJSON_GetArraySize(page);
	cJSON_Delete(page);
	return n;
}

/*
 * A flood from one source rolls the shared stream over but not another
 * sandbox's own trail; a name only claimed makes no trail at all
 * (docs/security.md 4.5).
 */
START_TEST(t_sandbox_trails)
{
	struct sg_audit	*a = NULL;
	struct sg_err	 err;
	cJSON		*o, *res = NULL;
	size_t		 scanned;
	int		 i, complete;

	sg_err_clear(&err);
	ck_assert(sg_audit_new(url, 100, &a, &err) == SG_OK);
	for (i = 0; i < 5; i++) {
		o = line(CID_A, i, "allow");
		ck_assert(sg_audit_send(a, o, NULL, NULL) == SG_OK);
		cJSON_Delete(o);
	}
	for (i = 0; i < 3000; i++) {
		o = line(CID_B, 100 + i, "deny");
		ck_assert(sg_audit_send(a, o, NULL, NULL) == SG_OK);
		cJSON_Delete(o);
		pace(a, i);
	}
	/* a forged name: claimed only */
	o = line(CID_A, 9999, "deny");
	cJSON_DeleteItemFromObjectCaseSensitive(o, "container_id");
	cJSON_AddStringToObject(o, "claimed_container_id", "sandbox_claimed");
	ck_assert(sg_audit_send(a, o, NULL, NULL) == SG_OK);
	cJSON_Delete(o);
	for (i = 0; i < 300 && own_len(CID_B) < 1000; i++) {
		(void)sg_audit_flush(a, NULL, NULL);
		(void)usleep(10000);
	}
	for (i = 0; i < 300 && sg_audit_pending(a) > 0; i++) {
		(void)sg_audit_flush(a, NULL, NULL);
		(void)usleep(10000);
	}
	(void)usleep(50000);
	/* the shared stream was rolled over: A is gone from it */
	ck_assert_uint_le(stream_len(), 300);
	/* A's own trail is whole */
	ck_assert(sg_audit_read(rd, CID_A, 100, 100, &res, &scanned,
	    &complete, &err) == SG_OK);
	ck_assert_int_eq(cJSON_GetArraySize(res), 5);
	ck_assert_int_eq(complete, 1);
	cJSON_Delete(res);
	ck_assert_uint_eq(own_len(CID_A), 5);
	ck_assert_uint_eq(own_len("sandbox_claimed"), 0);
	sg_audit_free(a);
}
END_TEST

/* Calls of cmd Redis has served (INFO commandstats), or -1. */
static long
calls_of(const char *cmd)
{
	char	 c[320], want[64], buf[512];
	FILE	*p;
	long	 n = -1;
	size_t	 k;

	(void)snprintf(c, sizeof(c), "redis-cli -s %s INFO commandstats", sock);
	(void)snprintf(want, sizeof(want), "cmdstat_%s:calls=", cmd);
	k = strlen(want);
	ck_assert_ptr_nonnull(p = popen(c, "r"));
	while (fgets(buf, sizeof(buf), p) != NULL)
		if (strncmp(buf, want, k) == 0)
			n = strtol(buf + k, NULL, 10);
	(void)pclose(p);
	return n < 0 ? 0 : n;
}

/*
 * Flush a (NULL: nothing, only wait) until the sandbox's own stream has
 * want entries.
 */
static int
wait_own(struct sg_audit *a, const char *cid, size_t want)
{
	int	 i;

	for (i = 0; i < 300; i++) {
		(void)sg_audit_flush(a, NULL, NULL);
		if (own_len(cid) >= want)
			return 1;
		(void)usleep(10000);
	}
	return 0;
}

/* The sandbox's own trail checks as one chain of n entries. */
static void
chain_ok(const char *cid, size_t n, int flags)
{
	struct sg_chain_result res;
	struct sg_err	 err;
	cJSON		*t = NULL;

	sg_err_clear(&err);
	ck_assert_msg(sg_audit_trail(rd, cid, 1000, &t, &err) == SG_OK, "%s",
	    err.msg);
	ck_assert_int_eq(cJSON_GetArraySize(t), (int)n);
	ck_assert_msg(sg_chain_verify(t, cid, NULL, flags, &res, &err) ==
	    SG_OK, "%s: %s", res.what, err.msg);
	ck_assert_uint_eq(res.records, n);
	cJSON_Delete(t);
}

/*
 * Decisions wait for sg_audit_push and go in batches: one chain-script
 * call per batch whatever the sandboxes in it, each sandbox's copies one
 * chain; a batch is never over SG_AUDIT_BATCH_MAX; a lifecycle event
 * goes out at once with what waited before it.
 */
START_TEST(t_batches)
{
	struct sg_audit	*a = NULL;
	struct sg_err	 err;
	cJSON		*o;
	long		 c0;
	int		 i;

	sg_err_clear(&err);
	ck_assert(sg_audit_new(url, 100000, &a, &err) == SG_OK);
	c0 = calls_of("evalsha");
	for (i = 0; i < 150; i++) {
		o = line(i % 2 ? CID_B : CID_A, i, "allow");
		ck_assert(sg_audit_send(a, o, NULL, NULL) == SG_OK);
		cJSON_Delete(o);
		if (i % 10 == 9)
			ck_assert(sg_audit_push(a, NULL, NULL) == SG_OK);
	}
	ck_assert(wait_own(a, CID_A, 75));
	ck_assert(wait_own(a, CID_B, 75));
	ck_assert(wait_len(a, 150));
	ck_assert_uint_eq(stream_len(), 150);
	ck_assert_int_eq(calls_of("evalsha") - c0, 15);
	chain_ok(CID_A, 75, SG_CHAIN_UNSEALED_OK);
	chain_ok(CID_B, 75, SG_CHAIN_UNSEALED_OK);

	/* no push: full batches go out by themselves, SG_AUDIT_BATCH_MAX */
	c0 = calls_of("evalsha");
	for (i = 0; i < 2 * SG_AUDIT_BATCH_MAX + 8; i++) {
		o = line(CID_A, 1000 + i, "allow");
		ck_assert(sg_audit_send(a, o, NULL, NULL) == SG_OK);
		cJSON_Delete(o);
	}
	(void)wait_own(NULL, CID_A, 75 + 2 * SG_AUDIT_BATCH_MAX); /* no flush */
	ck_assert_uint_eq(own_len(CID_A), 75 + 2 * SG_AUDIT_BATCH_MAX);
	ck_assert_int_eq(calls_of("evalsha") - c0, 2);
	ck_assert_uint_gt(sg_audit_pending(a), 0);	/* the 8 wait */
	/* a lifecycle event takes them along, unflushed */
	o = line(CID_A, 0, "allow");
	cJSON_ReplaceItemInObjectCaseSensitive(o, "event",
	    cJSON_CreateString("sandbox_destroyed"));
	ck_assert(sg_audit_send(a, o, NULL, NULL) == SG_OK);
	cJSON_Delete(o);
	(void)wait_own(NULL, CID_A, 75 + 2 * SG_AUDIT_BATCH_MAX + 9);
	ck_assert_uint_eq(own_len(CID_A), 75 + 2 * SG_AUDIT_BATCH_MAX + 9);
	ck_assert_int_eq(calls_of("evalsha") - c0, 3);
	chain_ok(CID_A, 75 + 2 * SG_AUDIT_BATCH_MAX + 9,
	    SG_CHAIN_UNSEALED_OK);
	sg_audit_free(a);
}
END_TEST

/*
 * The window: a push right after another is put off until
 * SG_AUDIT_BATCH_US after it (due says when), then goes out; after a
 * quiet spell the first push goes out at once.
 */
START_TEST(t_batch_window)
{
	struct sg_audit	*a = NULL;
	struct sg_err	 err;
	cJSON		*o;
	int64_t		 due = -1, t0;

	sg_err_clear(&err);
	ck_assert(sg_audit_new(url, 100000, &a, &err) == SG_OK);
	ck_assert(sg_audit_push(a, NULL, &due) == SG_OK);
	ck_assert(due == 0);			/* nothing queued */
	(void)usleep(2 * SG_AUDIT_BATCH_US);
	o = line(CID_A, 1, "allow");
	ck_assert(sg_audit_send(a, o, NULL, NULL) == SG_OK);
	ck_assert(sg_audit_push(a, NULL, &due) == SG_OK);
	ck_assert(due == 0);			/* quiet before: out now */
	ck_assert_uint_eq(sg_audit_pending(a), 0);
	t0 = sg_now_us();
	ck_assert(sg_audit_send(a, o, NULL, NULL) == SG_OK);
	ck_assert(sg_audit_push(a, NULL, &due) == SG_OK);
	if (sg_now_us() - t0 < SG_AUDIT_BATCH_US / 2) {
		/* (a slow machine may have passed the window already) */
		ck_assert(due > t0 && due <= t0 + SG_AUDIT_BATCH_US);
		ck_assert_uint_gt(sg_audit_pending(a), 0);
	}
	(void)usleep(2 * SG_AUDIT_BATCH_US);
	ck_assert(sg_audit_push(a, NULL, &due) == SG_OK);
	ck_assert(due == 0);
	ck_assert_uint_eq(sg_audit_pending(a), 0);
	cJSON_Delete(o);
	(void)wait_own(NULL, CID_A, 2);
	ck_assert_uint_eq(own_len(CID_A), 2);
	sg_audit_free(a);
}
END_TEST

/*
 * A final seal between batches closes the trail: the batch after it
 * appends nothing to that sandbox (and the rest of the batch goes in),
 * the shared stream keeps every entry, the sealed chain verifies.
 */
START_TEST(t_batch_after_seal)
{
	struct sg_audit	*a = NULL;
	struct sg_key	*k = NULL, *pub = NULL;
	struct sg_keyset *ks;
	struct sg_chain_result res;
	struct sg_err	 err;
	cJSON		*o, *t = NULL;
	int		 i;

	sg_err_clear(&err);
	ck_assert(sg_audit_new(url, 100000, &a, &err) == SG_OK);
	ck_assert_int_eq(sg_key_generate(&k, NULL), SG_OK);
	for (i = 0; i < 5; i++) {
		o = line(CID_A, i, "allow");
		ck_assert(sg_audit_send(a, o, NULL, NULL) == SG_OK);
		cJSON_Delete(o);
	}
	ck_assert(wait_own(a, CID_A, 5));
	ck_assert_msg(sg_chain_seal(rd, k, CID_A, "test", "destroyed", 1,
	    &err) == SG_OK, "%s", err.msg);
	for (i = 0; i < 10; i++) {
		o = line(i % 2 ? CID_B : CID_A, 10 + i, "allow");
		ck_assert(sg_audit_send(a, o, NULL, NULL) == SG_OK);
		cJSON_Delete(o);
	}
	ck_assert(wait_own(a, CID_B, 5));
	ck_assert(wait_len(a, 15));
	ck_assert_uint_eq(own_len(CID_A), 6);
	ck_assert_uint_eq(stream_len(), 15);
	chain_ok(CID_B, 5, SG_CHAIN_UNSEALED_OK);
	ck_assert(sg_audit_trail(rd, CID_A, 1000, &t, &err) == SG_OK);
	ck_assert_ptr_nonnull(ks = sg_keyset_new());
	ck_assert_int_eq(sg_key_public(k, &pub, NULL), SG_OK);
	ck_assert_int_eq(sg_keyset_add(ks, pub, NULL), SG_OK);
	ck_assert_msg(sg_chain_verify(t, CID_A, ks, SG_CHAIN_WANT_FINAL, &res,
	    &err) == SG_OK, "%s", res.what);
	ck_assert_uint_eq(res.records, 6);
	ck_assert_int_eq(res.final, 1);
	cJSON_Delete(t);
	sg_keyset_free(ks);
	sg_key_free(k);
	sg_audit_free(a);
}
END_TEST

/*
 * Identical denials in a row are one entry and a count; a different
 * entry, or the end of the window, closes the run.
 */
START_TEST(t_repeats)
{
	struct sg_audit	*a = NULL;
	struct sg_err	 err;
	cJSON		*o, *res = NULL;
	const cJSON	*e;
	size_t		 scanned;
	int		 i, complete;

	sg_err_clear(&err);
	ck_assert(sg_audit_new(url, 100000, &a, &err) == SG_OK);
	for (i = 0; i < 100; i++) {
		o = line(CID_A, 0, "deny");	/* the same target each time */
		ck_assert(sg_audit_send(a, o, NULL, NULL) == SG_OK);
		cJSON_Delete(o);
	}
	ck_assert_uint_eq(sg_audit_take_aggregated(a), 99);
	ck_assert_uint_eq(sg_audit_take_aggregated(a), 0);
	o = line(CID_A, 1, "allow");
	ck_assert(sg_audit_send(a, o, NULL, NULL) == SG_OK);
	cJSON_Delete(o);
	/* the same denial twice, a window apart: two runs of one */
	o = line(CID_A, 2, "deny");
	ck_assert(sg_audit_send(a, o, NULL, NULL) == SG_OK);
	(void)usleep((SG_AUDIT_REPEAT_MS + 100) * 1000);
	ck_assert(sg_audit_send(a, o, NULL, NULL) == SG_OK);
	cJSON_Delete(o);
	ck_assert_uint_eq(sg_audit_take_aggregated(a), 0);
	ck_assert(wait_len(a, 5));
	ck_assert(sg_audit_read(rd, CID_A, 100, 100, &res, &scanned,
	    &complete, &err) == SG_OK);
	/* newest first: deny, deny, allow, decision_repeated, deny */
	ck_assert_int_eq(cJSON_GetArraySize(res), 5);
	e = cJSON_GetArrayItem(res, 3);
	ck_assert_str_eq(sg_json_str(e, "event"), "decision_repeated");
	ck_assert_double_eq(cJSON_GetObjectItemCaseSensitive(e,
	    "count")->valuedouble, 99);
	ck_assert_str_eq(sg_json_str(e, "target"), "deny-0.example:443");
	ck_assert_ptr_nonnull(sg_json_str(e, "first_ts"));
	ck_assert_ptr_nonnull(sg_json_str(e, "last_ts"));
	ck_assert_str_eq(sg_json_str(cJSON_GetArrayItem(res, 4), "event"),
	    "decision");
	ck_assert_str_eq(sg_json_str(cJSON_GetArrayItem(res, 2), "decision"),
	    "allow");
	cJSON_Delete(res);
	/* a run with nothing after it: the idle tick writes its count */
	o = line(CID_B, 3, "deny");
	for (i = 0; i < 10; i++)
		ck_assert(sg_audit_send(a, o, NULL, NULL) == SG_OK);
	cJSON_Delete(o);
	ck_assert(sg_audit_tick(a, NULL) == SG_OK);
	ck_assert(wait_len(a, 6));
	(void)usleep(100000);
	ck_assert_uint_eq(stream_len(), 6);	/* not yet: still in window */
	(void)usleep((SG_AUDIT_REPEAT_MS + 50) * 1000);
	ck_assert(sg_audit_tick(a, NULL) == SG_OK);
	ck_assert(wait_len(a, 7));
	ck_assert(sg_audit_read(rd, CID_B, 10, 10, &res, &scanned,
	    &complete, &err) == SG_OK);
	ck_assert_int_eq(cJSON_GetArraySize(res), 2);
	e = cJSON_GetArrayItem(res, 0);
	ck_assert_str_eq(sg_json_str(e, "event"), "decision_repeated");
	ck_assert_double_eq(cJSON_GetObjectItemCaseSensitive(e,
	    "count")->valuedouble, 9);
	cJSON_Delete(res);
	sg_audit_free(a);
}
END_TEST

/* The log hook: the decision line on stderr and in the stream, counted. */
START_TEST(t_ops_decision)
{
	struct sg_cfg		 cfg;
	struct sg_decision	 d;
	struct sg_err		 err;
	cJSON			*res = NULL, *e;
	char			 cap[192], buf[4096];
	size_t			 sc, n;
	int			 c, fd, saved, i;
	FILE			*f;

	sg_cfg_defaults(&cfg);
	(void)strlcpy(cfg.redis, url, sizeof(cfg.redis));
	(void)strlcpy(cfg.metrics_dir, tmpdir, sizeof(cfg.metrics_dir));
	cfg.audit_maxlen = 1000;
	sg_err_clear(&err);
	ck_assert_msg(sg_ops_init(&cfg, "token-verify", &err) == SG_OK, "%s",
	    err.msg);
	sg_log_init("token-verify", SG_LOG_INFO);
	(void)snprintf(cap, sizeof(cap), "%s/stderr", tmpdir);
	ck_assert_int_ge(fd = open(cap, O_RDWR | O_CREAT | O_TRUNC, 0600), 0);
	saved = dup(2);
	ck_assert_int_ge(dup2(fd, 2), 0);
	memset(&d, 0, sizeof(d));
	d.mode = "egress";
	d.decision = "deny";
	d.reason = "host_not_allowed";
	d.status = 403;
	d.container_id = CID_B;
	d.jti = "jti-1";
	d.sub = "user-1";
	d.target = "evil.example:443";
	d.latency_us = 120;
	sg_log_decision(&d);
	sg_log(SG_LOG_INFO, "sandbox_destroyed", "container_id", CID_B,
	    (char *)NULL);
	(void)dup2(saved, 2);
	close(saved);
	close(fd);
	ck_assert_ptr_nonnull(f = fopen(cap, "r"));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	(void)unlink(cap);
	ck_assert_ptr_nonnull(strstr(buf, "\"reason\":\"host_not_allowed\""));
	for (i = 0; i < 300; i++) {
		ck_assert(sg_audit_read(rd, CID_B, 10, 100, &res, &sc, &c,
		    &err) == SG_OK);
		if (cJSON_GetArraySize(res) == 2)
			break;
		cJSON_Delete(res);
		res = NULL;
		(void)usleep(10000);
	}
	ck_assert_ptr_nonnull(res);
	ck_assert_int_eq(cJSON_GetArraySize(res), 2);
	e = cJSON_GetArrayItem(res, 1);
	ck_assert_str_eq(cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(e, "event")), "decision");
	ck_assert_str_eq(cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(e, "service")), "token-verify");
	ck_assert_str_eq(cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(e, "target")),
	    "evil.example:443");
	ck_assert_double_eq(cJSON_GetObjectItemCaseSensitive(e,
	    "status")->valuedouble, 403);
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetArrayItem(res, 0), "event")), "sandbox_destroyed");
	cJSON_Delete(res);
	ck_assert_uint_eq(sg_metrics_get(SG_M_AUDIT, "sent"), 2);
	ck_assert_uint_eq(sg_metrics_get(SG_M_DECISIONS, "egress", "deny",
	    "host_not_allowed"), 1);
	/*
	 * Redis away: the entry is dropped (at the write, before the wait
	 * for the next request), the decision still counted
	 */
	sg_log_init("token-verify", SG_LOG_ERROR);
	redis_stop();
	sg_log_decision(&d);
	sg_ops_push();
	ck_assert_uint_eq(sg_metrics_get(SG_M_AUDIT, "dropped"), 1);
	ck_assert_uint_eq(sg_metrics_get(SG_M_DECISIONS, "egress", "deny",
	    "host_not_allowed"), 2);
}
END_TEST

static Suite *
audit_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("audit");
	tc = tcase_create("audit");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_send_read);
	tcase_add_test(tc, t_capped);
	tcase_add_test(tc, t_foreign);
	tcase_add_test(tc, t_sandbox_trails);
	tcase_add_test(tc, t_batches);
	tcase_add_test(tc, t_batch_window);
	tcase_add_test(tc, t_batch_after_seal);
	tcase_add_test(tc, t_repeats);
	tcase_add_test(tc, t_redis_stopped);
	tcase_add_test(tc, t_redis_killed);
	tcase_add_test(tc, t_ops_decision);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(audit_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
