/* SPDX-License-Identifier: ISC */
/*
 * ops_cost: what metrics and the audit trail add to one decision log
 * line, in process (bench/python-ref.sh measures the same through nginx).
 *
 *   bench/ops_cost REDIS_URL METRICS_DIR [N]
 *
 * Logs N decision lines (stderr to /dev/null, as cheap as a file) in
 * three set-ups: the plain log, the log with metrics (shared file), and
 * the log with metrics and the audit trail (XADD on the non-blocking
 * connection; Redis must run at REDIS_URL).  Prints one JSON object with
 * nanoseconds per line, wall clock and CPU time of this process; the
 * audit's other cost, Redis's own CPU for the XADDs, is not in these
 * figures (see docs/operations.md).
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "cfg.h"
#include "compat.h"
#include "log.h"
#include "metrics.h"
#include "ops.h"

static double
cpu_ns(void)
{
	struct timespec	 ts;

	(void)clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double
wall_ns(void)
{
	struct timespec	 ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void
lines(long n, double *wall, double *cpu)
{
	struct sg_decision	 d;
	double			 w0, c0;
	long			 i;

	memset(&d, 0, sizeof(d));
	d.mode = "egress";
	d.decision = "allow";
	d.reason = "ok";
	d.status = 200;
	d.container_id = "sandbox_AAAAAAAAAAAAAAAAAAAAAA";
	d.jti = "3jIE4utsPHvkvRAl-FYeyw";
	d.sub = "user_1";
	d.target = "github.com:443";
	w0 = wall_ns();
	c0 = cpu_ns();
	for (i = 0; i < n; i++) {
		d.latency_us = i % 1000;
		sg_log_decision(&d);
	}
	*wall = (wall_ns() - w0) / (double)n;
	*cpu = (cpu_ns() - c0) / (double)n;
}

int
main(int argc, char *argv[])
{
	struct sg_cfg	 cfg;
	struct sg_err	 err;
	double		 w[3], c[3];
	long		 n = 200000;
	int		 fd;

	if (argc < 3) {
		fprintf(stderr, "usage: ops_cost REDIS_URL METRICS_DIR [N]\n");
		return 64;
	}
	if (argc > 3 && (n = strtol(argv[3], NULL, 10)) < 1000)
		n = 1000;
	if ((fd = open("/dev/null", O_WRONLY)) == -1 || dup2(fd, 2) == -1)
		return 1;
	sg_log_init("token-verify", SG_LOG_INFO);
	sg_cfg_defaults(&cfg);
	(void)strlcpy(cfg.redis, argv[1], sizeof(cfg.redis));
	lines(n, &w[0], &c[0]);
	(void)strlcpy(cfg.metrics_dir, argv[2], sizeof(cfg.metrics_dir));
	cfg.audit_maxlen = 0;
	sg_err_clear(&err);
	if (sg_ops_init(&cfg, "token-verify", &err) != SG_OK) {
		printf("{\"error\":\"%s\"}\n", err.msg);
		return 1;
	}
	lines(n, &w[1], &c[1]);
	cfg.audit_maxlen = 100000;
	if (sg_ops_init(&cfg, "token-verify", &err) != SG_OK) {
		printf("{\"error\":\"%s\"}\n", err.msg);
		return 1;
	}
	lines(n, &w[2], &c[2]);
	printf("{\"lines\":%ld,"
	    "\"log_only_ns\":%.0f,\"log_only_cpu_ns\":%.0f,"
	    "\"log_metrics_ns\":%.0f,\"log_metrics_cpu_ns\":%.0f,"
	    "\"log_metrics_audit_ns\":%.0f,\"log_metrics_audit_cpu_ns\":%.0f,"
	    "\"audit_sent\":%llu,\"audit_dropped\":%llu}\n", n,
	    w[0], c[0], w[1], c[1], w[2], c[2],
	    (unsigned long long)sg_metrics_get(SG_M_AUDIT, "sent"),
	    (unsigned long long)sg_metrics_get(SG_M_AUDIT, "dropped"));
	sg_ops_close();
	return 0;
}
