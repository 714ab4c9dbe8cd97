/* SPDX-License-Identifier: ISC */
/*
 * lib/metrics.c and the log hook of lib/ops.c: counters added by forked
 * processes sum up, the exposition is Prometheus text 0.0.4 (HELP, TYPE,
 * cumulative buckets ending in +Inf equal to _count), labels stay
 * bounded (codes only, a cap per family), the file is refused when it
 * is not ours, and decisions and sandbox events logged at any level are
 * counted.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "compat.h"
#include "log.h"
#include "metrics.h"
#include "ops.h"

static char	 dir[64];

static void
setup(void)
{
	struct sg_err	 err;

	sg_log_init("check-metrics", SG_LOG_ERROR);
	(void)strlcpy(dir, "/tmp/check_metrics.XXXXXX", sizeof(dir));
	ck_assert_ptr_nonnull(mkdtemp(dir));
	sg_err_clear(&err);
	ck_assert_msg(sg_metrics_open(dir, "check-metrics", &err) == SG_OK,
	    "%s", err.msg);
}

static void
teardown(void)
{
	char	 p[128];

	sg_ops_close();
	sg_metrics_close();
	(void)snprintf(p, sizeof(p), "%s/%s", dir, SG_METRICS_FILE);
	(void)unlink(p);
	(void)rmdir(dir);
}

static char *
render(void)
{
	struct sg_err	 err;
	char		*t;
	size_t		 len;

	sg_err_clear(&err);
	t = sg_metrics_render(NULL, 0, &len, &err);
	ck_assert_msg(t != NULL, "%s", err.msg);
	ck_assert_uint_eq(strlen(t), len);
	return t;
}

/* The value of the sample line that starts with prefix ("name{...} "). */
static double
sample(const char *text, const char *prefix)
{
	const char	*p = text;
	size_t		 n = strlen(prefix);

	while (p != NULL && *p != '\0') {
		if (strncmp(p, prefix, n) == 0 && p[n] == ' ')
			return strtod(p + n + 1, NULL);
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	return -1;
}

START_TEST(t_disabled)
{
	struct sg_err	 err;
	size_t		 len;

	sg_metrics_close();
	ck_assert_int_eq(sg_metrics_enabled(), 0);
	/* no file, no crash, nothing counted */
	sg_metrics_add(SG_M_DECISIONS, 1, "egress", "allow", "ok");
	sg_metrics_observe(SG_M_DECISION_SECONDS, 10, "egress");
	ck_assert_uint_eq(sg_metrics_get(SG_M_DECISIONS, "egress", "allow",
	    "ok"), 0);
	sg_err_clear(&err);
	ck_assert_ptr_null(sg_metrics_render(NULL, 0, &len, &err));
	ck_assert_str_eq(err.code, "metrics_disabled");
	/* "" is off as well */
	ck_assert_int_eq(sg_metrics_open("", "x", &err), SG_OK);
	ck_assert_int_eq(sg_metrics_enabled(), 0);
}
END_TEST

START_TEST(t_counts)
{
	sg_metrics_add(SG_M_DECISIONS, 1, "egress", "allow", "ok");
	sg_metrics_add(SG_M_DECISIONS, 2, "egress", "allow", "ok");
	sg_metrics_add(SG_M_DECISIONS, 5, "api", "deny", "missing_token");
	sg_metrics_add(SG_M_SANDBOXES_CREATED, 3, "runsc");
	ck_assert_uint_eq(sg_metrics_get(SG_M_DECISIONS, "egress", "allow",
	    "ok"), 3);
	ck_assert_uint_eq(sg_metrics_get(SG_M_DECISIONS, "api", "deny",
	    "missing_token"), 5);
	ck_assert_uint_eq(sg_metrics_get(SG_M_SANDBOXES_CREATED, "runsc"), 3);
	ck_assert_uint_eq(sg_metrics_get(SG_M_SANDBOXES_CREATED, "runc"), 0);
	/* a histogram used as a counter, or the reverse, is ignored */
	sg_metrics_add(SG_M_DECISION_SECONDS, 1, "egress");
	sg_metrics_observe(SG_M_DECISIONS, 1, "egress", "allow", "ok");
	ck_assert_uint_eq(sg_metrics_get(SG_M_DECISION_SECONDS, "egress"), 0);
	ck_assert_uint_eq(sg_metrics_get(SG_M_DECISIONS, "egress", "allow",
	    "ok"), 3);
}
END_TEST

/* Every process of every service adds up: forked writers, summed. */
START_TEST(t_fork_sum)
{
	enum { KIDS = 8, ADDS = 20000, OBS = 500 };
	pid_t	 pid[KIDS];
	int	 i, j, st;
	char	*t;

	sg_metrics_add(SG_M_REDIS_CALLS, 7);
	for (i = 0; i < KIDS; i++) {
		ck_assert_int_ge(pid[i] = fork(), 0);
		if (pid[i] == 0) {
			for (j = 0; j < ADDS; j++)
				sg_metrics_add(SG_M_REDIS_CALLS, 1);
			for (j = 0; j < OBS; j++)
				sg_metrics_observe(SG_M_DECISION_SECONDS,
				    j * 100, "egress");
			_exit(0);
		}
	}
	for (i = 0; i < KIDS; i++) {
		ck_assert_int_eq(waitpid(pid[i], &st, 0), pid[i]);
		ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	ck_assert_uint_eq(sg_metrics_get(SG_M_REDIS_CALLS),
	    (uint64_t)KIDS * ADDS + 7);
	ck_assert_uint_eq(sg_metrics_get(SG_M_DECISION_SECONDS, "egress"),
	    (uint64_t)KIDS * OBS);
	t = render();
	ck_assert_double_eq(sample(t, "sandgate_redis_calls_total"
	    "{service=\"check-metrics\"}"), (double)KIDS * ADDS + 7);
	ck_assert_double_eq(sample(t, "sandgate_decision_duration_seconds_"
	    "count{mode=\"egress\"}"), (double)KIDS * OBS);
	free(t);

	/* dead writers' slots are taken again and their counts kept */
	for (i = 0; i < 3 * SG_METRICS_SLOTS; i++) {
		ck_assert_int_ge(pid[0] = fork(), 0);
		if (pid[0] == 0) {
			sg_metrics_add(SG_M_REDIS_CALLS, 1);
			_exit(0);
		}
		ck_assert_int_eq(waitpid(pid[0], &st, 0), pid[0]);
	}
	ck_assert_uint_eq(sg_metrics_get(SG_M_REDIS_CALLS),
	    (uint64_t)KIDS * ADDS + 7 + 3 * SG_METRICS_SLOTS);
}
END_TEST

/*
 * Regression: the open lock outlived sg_metrics_open (the mapping kept
 * the file description, so close() did not release the flock) and the
 * second service process to start waited forever.
 */
START_TEST(t_second_opener)
{
	struct sg_err	 err;
	pid_t		 pid;
	int		 st;

	sg_metrics_add(SG_M_SANDBOXES_CREATED, 1, "runsc");
	ck_assert_int_ge(pid = fork(), 0);
	if (pid == 0) {
		(void)alarm(5);
		sg_metrics_close();
		sg_err_clear(&err);
		if (sg_metrics_open(dir, "second", &err) != SG_OK)
			_exit(2);
		sg_metrics_add(SG_M_SANDBOXES_CREATED, 1, "runsc");
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "second opener: status %d", st);
	ck_assert_uint_eq(sg_metrics_get(SG_M_SANDBOXES_CREATED, "runsc"), 2);
}
END_TEST

/* Another process opening the same directory sees the same counts. */
START_TEST(t_reopen)
{
	struct sg_err	 err;

	sg_metrics_add(SG_M_SANDBOXES_DESTROYED, 4);
	sg_metrics_close();
	sg_err_clear(&err);
	ck_assert_int_eq(sg_metrics_open(dir, "other-svc", &err), SG_OK);
	ck_assert_uint_eq(sg_metrics_get(SG_M_SANDBOXES_DESTROYED), 4);
}
END_TEST

START_TEST(t_exposition)
{
	struct sg_metrics_gauge	 g[2] = {
		{ "sandgate_live_sessions", "Sessions in Redis.", 12 },
		{ "sandgate_live_sessions_scan_complete", "1 if complete.", 1 }
	};
	struct sg_err		 err;
	const char		*p;
	char			*t, line[256];
	double			 prev = -1, v;
	size_t			 len, n;

	sg_metrics_observe(SG_M_DECISION_SECONDS, 40, "api");	/* <= 50us */
	sg_metrics_observe(SG_M_DECISION_SECONDS, 50, "api");	/* <= 50us */
	sg_metrics_observe(SG_M_DECISION_SECONDS, 1200, "api");	/* 2.5ms */
	sg_metrics_observe(SG_M_DECISION_SECONDS, 99000000, "api"); /* Inf */
	sg_metrics_add(SG_M_DECISIONS, 1, "api", "allow", "ok");
	/* Adding 0 makes a series show (sandbox-create's runtime at start). */
	sg_metrics_add(SG_M_SANDBOXES_CREATED, 0, "runsc");
	sg_err_clear(&err);
	ck_assert_ptr_nonnull(t = sg_metrics_render(g, 2, &len, &err));
	ck_assert_ptr_nonnull(strstr(t, "\nsandgate_sandboxes_created_total"
	    "{runtime=\"runsc\"} 0\n"));
	/* HELP and TYPE for every family, before its samples */
	ck_assert_ptr_nonnull(strstr(t, "# HELP sandgate_decisions_total "));
	ck_assert_ptr_nonnull(strstr(t,
	    "# TYPE sandgate_decisions_total counter\n"
	    "sandgate_decisions_total{mode=\"api\",decision=\"allow\","
	    "reason=\"ok\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(t,
	    "# TYPE sandgate_decision_duration_seconds histogram\n"));
	ck_assert_ptr_nonnull(strstr(t, "# TYPE sandgate_redis_calls_total "
	    "counter\n"));
	/* unlabelled counters show 0 before their first add */
	ck_assert_ptr_nonnull(strstr(t, "\nsandgate_sandboxes_destroyed_total "
	    "0\n"));
	/* buckets: le in seconds, cumulative, +Inf == count */
	ck_assert_double_eq(sample(t, "sandgate_decision_duration_seconds_"
	    "bucket{mode=\"api\",le=\"0.00005\"}"), 2);
	ck_assert_double_eq(sample(t, "sandgate_decision_duration_seconds_"
	    "bucket{mode=\"api\",le=\"0.001\"}"), 2);
	ck_assert_double_eq(sample(t, "sandgate_decision_duration_seconds_"
	    "bucket{mode=\"api\",le=\"0.0025\"}"), 3);
	ck_assert_double_eq(sample(t, "sandgate_decision_duration_seconds_"
	    "bucket{mode=\"api\",le=\"10\"}"), 3);
	ck_assert_double_eq(sample(t, "sandgate_decision_duration_seconds_"
	    "bucket{mode=\"api\",le=\"+Inf\"}"), 4);
	ck_assert_double_eq(sample(t, "sandgate_decision_duration_seconds_"
	    "count{mode=\"api\"}"), 4);
	ck_assert_double_eq_tol(sample(t, "sandgate_decision_duration_"
	    "seconds_sum{mode=\"api\"}"), 99.00129, 1e-6);
	/* gauges at the end */
	ck_assert_ptr_nonnull(strstr(t, "# TYPE sandgate_live_sessions gauge\n"
	    "sandgate_live_sessions 12\n"));
	ck_assert_double_eq(sample(t, "sandgate_metrics_processes"), 1);
	/* the release, as an info metric */
	ck_assert_ptr_nonnull(strstr(t, "# TYPE sandgate_build_info gauge\n"
	    "sandgate_build_info{version=\"" SG_VERSION "\"} 1\n"));
	/* every line: comment, or name{labels} value; buckets monotonic */
	for (p = t; *p != '\0'; p += n + 1) {
		n = strcspn(p, "\n");
		ck_assert_uint_lt(n, sizeof(line));
		memcpy(line, p, n);
		line[n] = '\0';
		ck_assert_msg(p[n] == '\n', "last line without newline");
		if (line[0] == '#') {
			ck_assert(strncmp(line, "# HELP ", 7) == 0 ||
			    strncmp(line, "# TYPE ", 7) == 0);
			continue;
		}
		ck_assert_msg(strspn(line, "abcdefghijklmnopqrstuvwxyz_") > 0,
		    "bad line %s", line);
		ck_assert_ptr_nonnull(strrchr(line, ' '));
		if (strncmp(line, "sandgate_decision_duration_seconds_bucket",
		    41) == 0) {
			v = strtod(strrchr(line, ' ') + 1, NULL);
			ck_assert_double_ge(v, prev);
			prev = v;
		}
	}
	free(t);
}
END_TEST

/* Labels: codes only, a cap per family, never an id or a name. */
START_TEST(t_label_bounds)
{
	char	 reason[32], *t;
	int	 i;

	/* not a code: "other" */
	sg_metrics_add(SG_M_DECISIONS, 1, "egress", "deny",
	    "sandbox_AAAAAAAAAAAAAAAAAAAAAA");
	sg_metrics_add(SG_M_DECISIONS, 1, "egress", "deny", "github.com");
	sg_metrics_add(SG_M_DECISIONS, 1, "egress", "deny", "a\"b\nc");
	sg_metrics_add(SG_M_DECISIONS, 1, "egress", "deny", NULL);
	sg_metrics_add(SG_M_DECISIONS, 1, "egress", "deny",
	    "a_very_long_reason_code_that_goes_past_forty_bytes");
	ck_assert_uint_eq(sg_metrics_get(SG_M_DECISIONS, "egress", "deny",
	    "other"), 5);
	/* a flood of distinct codes stops at the family's cap */
	for (i = 0; i < 2000; i++) {
		(void)snprintf(reason, sizeof(reason), "r%d", i);
		sg_metrics_add(SG_M_DECISIONS, 1, "api", "deny", reason);
	}
	ck_assert_uint_eq(sg_metrics_get(SG_M_DECISIONS, "api", "deny",
	    "r0"), 1);
	ck_assert_uint_eq(sg_metrics_get(SG_M_DECISIONS, "api", "deny",
	    "r1999"), 0);
	ck_assert_uint_gt(sg_metrics_get(SG_M_DECISIONS, "other", "other",
	    "other"), 1000);
	t = render();
	ck_assert_ptr_null(strstr(t, "sandbox_AAAA"));
	ck_assert_ptr_null(strstr(t, "github"));
	ck_assert_ptr_null(strstr(t, "r1999"));
	/* the family holds at most 256 label sets */
	{
		const char	*p = t;
		int		 n = 0;

		while ((p = strstr(p, "\nsandgate_decisions_total{")) != NULL) {
			n++;
			p++;
		}
		ck_assert_int_le(n, 256);
		ck_assert_int_ge(n, 200);
	}
	ck_assert_double_eq(sample(t, "sandgate_metrics_dropped_total"), 0);
	free(t);
}
END_TEST

/* The file must be ours: right layout, regular, not through a symlink. */
START_TEST(t_file_checks)
{
	struct sg_err	 err;
	struct stat	 old, now;
	char		 d2[64], p[128], l[128];
	int		 fd;

	sg_metrics_close();
	(void)strlcpy(d2, "/tmp/check_metrics.XXXXXX", sizeof(d2));
	ck_assert_ptr_nonnull(mkdtemp(d2));
	(void)snprintf(p, sizeof(p), "%s/%s", d2, SG_METRICS_FILE);
	/*
	 * Another layout (a rolling upgrade): another size, then the right
	 * size with another header.  Each is replaced by a new file, never
	 * refused, and the old inode is left to whoever still maps it.
	 */
	ck_assert_int_ge(fd = open(p, O_WRONLY | O_CREAT, 0600), 0);
	ck_assert_int_eq(write(fd, "garbage", 7), 7);
	ck_assert_int_eq(fstat(fd, &old), 0);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_metrics_open(d2, "x", &err), SG_OK);
	ck_assert_int_eq(sg_metrics_enabled(), 1);
	ck_assert_int_eq(stat(p, &now), 0);
	ck_assert(now.st_ino != old.st_ino);
	ck_assert_int_gt(now.st_size, 7);
	/* the old file's content is untouched (its processes' counts) */
	ck_assert_int_eq(fstat(fd, &old), 0);
	ck_assert_int_eq(old.st_size, 7);
	close(fd);
	sg_metrics_add(SG_M_SANDBOXES_DESTROYED, 1);
	sg_metrics_close();
	ck_assert_int_ge(fd = open(p, O_WRONLY), 0);
	ck_assert_int_eq(write(fd, "XXXX", 4), 4);
	close(fd);
	ck_assert_int_eq(stat(p, &old), 0);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_metrics_open(d2, "x", &err), SG_OK);
	ck_assert_int_eq(stat(p, &now), 0);
	ck_assert(now.st_ino != old.st_ino);
	ck_assert_int_eq(now.st_size, old.st_size);
	/* the same layout is kept, not replaced */
	sg_metrics_close();
	sg_err_clear(&err);
	ck_assert_int_eq(sg_metrics_open(d2, "x", &err), SG_OK);
	ck_assert_int_eq(stat(p, &old), 0);
	ck_assert(now.st_ino == old.st_ino);
	sg_metrics_close();
	/* a symlink */
	ck_assert_int_eq(unlink(p), 0);
	(void)snprintf(l, sizeof(l), "%s/target", d2);
	ck_assert_int_eq(symlink(l, p), 0);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_metrics_open(d2, "x", &err), SG_EINVAL);
	ck_assert_int_eq(access(l, F_OK), -1);
	/* a directory that does not exist */
	sg_err_clear(&err);
	ck_assert_int_eq(sg_metrics_open("/nonexistent/metrics", "x", &err),
	    SG_EINVAL);
	(void)unlink(p);
	(void)rmdir(d2);
}
END_TEST

/*
 * sg_metrics_join (sandgate token, maybe as root): only the services'
 * file of this layout; nothing created, nothing replaced.
 */
START_TEST(t_join)
{
	struct sg_err	 err;
	struct stat	 old, now;
	char		 d2[64], p[128];
	int		 fd;

	sg_metrics_close();
	(void)strlcpy(d2, "/tmp/check_metrics.XXXXXX", sizeof(d2));
	ck_assert_ptr_nonnull(mkdtemp(d2));
	(void)snprintf(p, sizeof(p), "%s/%s", d2, SG_METRICS_FILE);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_metrics_join(d2, "j", &err), SG_EUNAVAIL);
	ck_assert_str_eq(err.code, "metrics_absent");
	ck_assert_int_eq(sg_metrics_enabled(), 0);
	ck_assert_int_eq(access(p, F_OK), -1);
	/* another layout: refused, the file as it was */
	ck_assert_int_ge(fd = open(p, O_WRONLY | O_CREAT, 0600), 0);
	ck_assert_int_eq(write(fd, "garbage", 7), 7);
	close(fd);
	ck_assert_int_eq(stat(p, &old), 0);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_metrics_join(d2, "j", &err), SG_EUNAVAIL);
	ck_assert_str_eq(err.code, "metrics_other_layout");
	ck_assert_int_eq(sg_metrics_enabled(), 0);
	ck_assert_int_eq(stat(p, &now), 0);
	ck_assert(now.st_ino == old.st_ino && now.st_size == 7);
	/* the services' file: joined, its counts shared */
	ck_assert_int_eq(unlink(p), 0);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_metrics_open(d2, "svc", &err), SG_OK);
	sg_metrics_close();
	ck_assert_int_eq(stat(p, &old), 0);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_metrics_join(d2, "j", &err), SG_OK);
	sg_metrics_add(SG_M_TOKENS_ISSUED, 1, "operator");
	sg_metrics_close();
	ck_assert_int_eq(sg_metrics_open(d2, "j", &err), SG_OK);
	ck_assert_uint_eq(sg_metrics_get(SG_M_TOKENS_ISSUED, "operator"), 1);
	ck_assert_int_eq(stat(p, &now), 0);
	ck_assert(now.st_ino == old.st_ino);
	/* off stays off */
	sg_metrics_close();
	ck_assert_int_eq(sg_metrics_join("", "j", &err), SG_OK);
	ck_assert_int_eq(sg_metrics_enabled(), 0);
	(void)unlink(p);
	(void)rmdir(d2);
}
END_TEST

/* Decisions and sandbox events are counted through the log hook. */
START_TEST(t_ops_hook)
{
	struct sg_cfg		 cfg;
	struct sg_decision	 d;
	struct sg_err		 err;

	sg_cfg_defaults(&cfg);
	(void)strlcpy(cfg.metrics_dir, dir, sizeof(cfg.metrics_dir));
	cfg.audit_maxlen = 0;
	sg_err_clear(&err);
	ck_assert_msg(sg_ops_init(&cfg, "token-verify", &err) == SG_OK, "%s",
	    err.msg);
	/* counted whatever the log level (this one drops info lines) */
	sg_log_init("check-metrics", SG_LOG_ERROR);
	memset(&d, 0, sizeof(d));
	d.mode = "egress";
	d.decision = "would_deny";
	d.reason = "host_not_allowed";
	d.status = 200;
	d.container_id = "sandbox_AAAAAAAAAAAAAAAAAAAAAA";
	d.target = "github.com:443";
	d.latency_us = 300;
	sg_log_decision(&d);
	sg_log_decision(&d);
	ck_assert_uint_eq(sg_metrics_get(SG_M_DECISIONS, "egress",
	    "would_deny", "host_not_allowed"), 2);
	ck_assert_uint_eq(sg_metrics_get(SG_M_DECISION_SECONDS, "egress"), 2);
	sg_log(SG_LOG_INFO, "sandbox_created", "container_id", "sandbox_x",
	    "runtime", "runsc", (char *)NULL);
	sg_log(SG_LOG_INFO, "sandbox_created", "container_id", "sandbox_z",
	    "runtime", "runc", (char *)NULL);
	sg_log(SG_LOG_WARN, "sandbox_create_failed", "reason",
	    "docker_timeout", (char *)NULL);
	sg_log(SG_LOG_INFO, "sandbox_destroyed", (char *)NULL);
	sg_log_record("sandbox_reaped", "container_id", "sandbox_y", "reason",
	    "expired", (char *)NULL);
	sg_log(SG_LOG_INFO, "request", (char *)NULL);	/* not an ops event */
	/* The runtime label comes from the log line (issue 14). */
	ck_assert_uint_eq(sg_metrics_get(SG_M_SANDBOXES_CREATED, "runsc"), 1);
	ck_assert_uint_eq(sg_metrics_get(SG_M_SANDBOXES_CREATED, "runc"), 1);
	ck_assert_uint_eq(sg_metrics_get(SG_M_SANDBOX_CREATE_FAILURES,
	    "docker_timeout"), 1);
	ck_assert_uint_eq(sg_metrics_get(SG_M_SANDBOXES_DESTROYED), 1);
	ck_assert_uint_eq(sg_metrics_get(SG_M_SANDBOXES_REAPED, "expired"),
	    1);
	sg_ops_close();
	/* without the hook nothing more is counted */
	sg_log_decision(&d);
	ck_assert_int_eq(sg_metrics_enabled(), 0);
}
END_TEST

START_TEST(t_ops_bad_dir)
{
	struct sg_cfg	 cfg;
	struct sg_err	 err;

	sg_cfg_defaults(&cfg);
	(void)strlcpy(cfg.metrics_dir, "/nonexistent/dir",
	    sizeof(cfg.metrics_dir));
	sg_err_clear(&err);
	ck_assert_int_eq(sg_ops_init(&cfg, "x", &err), SG_EINVAL);
	ck_assert_str_eq(err.code, "bad_config");
	ck_assert_ptr_nonnull(strstr(err.msg, "SANDGATE_METRICS_DIR"));
}
END_TEST

static Suite *
metrics_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("metrics");
	tc = tcase_create("metrics");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_disabled);
	tcase_add_test(tc, t_counts);
	tcase_add_test(tc, t_fork_sum);
	tcase_add_test(tc, t_second_opener);
	tcase_add_test(tc, t_reopen);
	tcase_add_test(tc, t_exposition);
	tcase_add_test(tc, t_label_bounds);
	tcase_add_test(tc, t_file_checks);
	tcase_add_test(tc, t_join);
	tcase_add_test(tc, t_ops_hook);
	tcase_add_test(tc, t_ops_bad_dir);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(metrics_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
