/* SPDX-License-Identifier: ISC */
/*
 * sandgate-budget-log: the byte counter of the budgets (docs/contract.md
 * §7.2).  Apache's egress vhost pipes one line per request or CONNECT
 * tunnel into it (CustomLog "||sandgate-budget-log [ENVFILE]", format
 * "%u %I %O %{SG_REFUSED}e %{SG_REUSED}e %{SG_TARGET}e": the container
 * id token-verify vouched for, the bytes received from and sent to the
 * sandbox, headers included, mod_logio, why the proxy itself refused it,
 * "-" when it did not, and, for a request mod_sandgate_authz let through
 * on an allow it kept (SandgateDecisionCache), "1" and the target that
 * allow was for; the last three fields may be absent, as in the older
 * formats); it adds the bytes to sandgate:budget:<id>
 * (sg_budget_add_bytes, only for a sandbox with a budget) and
 * token-verify refuses the sandbox's next request once the budget is
 * used up.
 *
 * The reused allows: token-verify wrote the decision each one reuses
 * (with its reuse_ms) to the audit trail, but not the requests Apache
 * then let through on it.  They are counted here per sandbox and target
 * and written to the trail every SGB_FLUSH_MS, one "decision_reused"
 * entry per sandbox and target with their "count", and counted in
 * sandgate_decisions_total{mode="egress",decision="allow",
 * reason="reused"}, so that the trail and the metrics still account for
 * every request let out (docs/contract.md §7.4).
 *
 * Apache must never wait for it: a piped logger that stops reading
 * blocks the Apache threads that write to it.  So one thread only reads
 * stdin and sums the bytes per id into a table (bounded: SGB_IDS ids a
 * batch; a line over SGB_LINE_MAX or not of the format is skipped), and
 * another sends the table to Redis every SGB_FLUSH_MS.  When Redis
 * cannot answer the batch is dropped and counted (after a failure the
 * next SGB_BACKOFF_MS of batches are dropped without trying), never
 * kept: Redis away means requests are decided as token-verify decides
 * them then (503, or open with SANDGATE_REDIS_FAILURE=open), so bytes
 * moved meanwhile are at most undercounted.  Metrics:
 * sandgate_budget_bytes_total{result} and, for mod_sandgate_authz's own
 * refusals (SandgateMaxTunnels), sandgate_proxy_refused_total{reason},
 * into the services' metrics file only when it exists.  stderr is
 * Apache's error log.
 *
 * ENVFILE: SANDGATE_*=value lines (/etc/sandgate/sandgate.env) put into
 * the environment first, for an Apache that does not carry them.  A bad
 * configuration is logged and the program keeps reading (and dropping)
 * so that Apache is not blocked.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "audit.h"
#include "budget.h"
#include "cfg.h"
#include "claims.h"
#include "clock.h"
#include "hosts.h"
#include "log.h"
#include "metrics.h"
#include "redis.h"
#include "sgerr.h"

#define SGB_LINE_MAX	512	/* an id, two numbers, a reason, a target */
#define SGB_IDS		4096	/* distinct ids a batch holds */
#define SGB_REUSES	1024	/* sandbox and target pairs a batch holds */
#define SGB_TARGET_MAX	(SG_HOST_MAX + 8)	/* "[v6]:port" or "name:port" */
#define SGB_FLUSH_MS	100
#define SGB_BACKOFF_MS	1000
#define SGB_REDIS_MS	500	/* at most, per Redis call */
#define SGB_ENV_MAX	256	/* lines of ENVFILE */

struct sgb_ent {
	char	 id[SG_ID_MAX + 1];
	int64_t	 bytes;
};

/* Requests let through on a kept allow, per sandbox and target. */
struct sgb_reuse {
	char	 id[SG_ID_MAX + 1];
	char	 target[SGB_TARGET_MAX + 1];
	int64_t	 count;
};

struct sgb_table {
	struct sgb_ent	 ent[SGB_IDS * 2];	/* open addressing, half full */
	size_t		 n;
	int64_t		 dropped;		/* bytes that found no room */
	struct sgb_reuse reuse[SGB_REUSES * 2];	/* the same */
	size_t		 nreuse;
	int64_t		 reuse_dropped;		/* requests that found none */
};

static struct sgb_table	 tab[2];
static struct sg_audit	*audit;		/* the trail, or NULL: none */
static struct sgb_table	*cur = &tab[0];
static pthread_mutex_t	 mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 cv = PTHREAD_COND_INITIALIZER;
static int		 done;
static uint64_t		 bad_lines;

static uint64_t
hash(const char *s)
{
	uint64_t	 h = 1469598103934665603ULL;

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

/* Add bytes to id in t (mu held). */
static void
table_add(struct sgb_table *t, const char *id, int64_t bytes)
{
	size_t	 i, mask = SGB_IDS * 2 - 1;

	for (i = hash(id) & mask;; i = (i + 1) & mask) {
		if (t->ent[i].id[0] == '\0') {
			if (t->n >= SGB_IDS) {
				t->dropped += bytes;
				return;
			}
			(void)strcpy(t->ent[i].id, id);
			t->n++;
			break;
		}
		if (strcmp(t->ent[i].id, id) == 0)
			break;
	}
	/* Far below INT64_MAX: each line adds at most 2 * 10^18 / 2. */
	if (t->ent[i].bytes < INT64_MAX / 4)
		t->ent[i].bytes += bytes;
}

/* One more request of id to target let through on a kept allow (mu). */
static void
reuse_add(struct sgb_table *t, const char *id, const char *target)
{
	size_t	 i, mask = SGB_REUSES * 2 - 1;

	for (i = (hash(id) ^ hash(target) * 31) & mask;; i = (i + 1) & mask) {
		if (t->reuse[i].id[0] == '\0') {
			if (t->nreuse >= SGB_REUSES) {
				t->reuse_dropped++;
				return;
			}
			(void)strcpy(t->reuse[i].id, id);
			(void)strcpy(t->reuse[i].target, target);
			t->nreuse++;
			break;
		}
		if (strcmp(t->reuse[i].id, id) == 0 &&
		    strcmp(t->reuse[i].target, target) == 0)
			break;
	}
	t->reuse[i].count++;
}

/*
 * A target as token-verify formats it (decide.c): a host of letters,
 * digits, '.', '-', ':' or brackets and a port, nothing else.
 */
static int
target_ok(const char *s)
{
	size_t	 i, n = strlen(s);

	if (n == 0 || n > SGB_TARGET_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		    s[i] == '-' || s[i] == ':' || s[i] == '[' || s[i] == ']'))
			return 0;
	return 1;
}

/* A decimal of at most 18 digits ("-" is 0: mod_logio had nothing). */
static int
num(const char *s, int64_t *v)
{
	size_t	 i;

	*v = 0;
	if (strcmp(s, "-") == 0)
		return 1;
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= 18 || s[i] < '0' || s[i] > '9')
			return 0;
		*v = *v * 10 + (s[i] - '0');
	}
	return i > 0;
}

/*
 * The proxy's own refusal reason ("-": none), counted; 0 for a word
 * that is none of mod_sandgate_authz's (the metric's labels are ours).
 */
static int
refused(const char *why)
{
	static const char *const known[] = { "tunnels_exhausted",
	    "tunnels_unavailable", NULL };
	size_t		 i;

	if (why == NULL || strcmp(why, "-") == 0)
		return 1;
	for (i = 0; known[i] != NULL; i++)
		if (strcmp(why, known[i]) == 0) {
			sg_metrics_add(SG_M_PROXY_REFUSED, 1, known[i]);
			return 1;
		}
	return 0;
}

/* One line "ID IN OUT [REASON [REUSED TARGET]]" (NUL-ended, no newline). */
static void
line(char *s)
{
	char	*id, *in, *out, *why, *reused, *target, *save = NULL;
	int64_t	 a, b;
	int	 reuse;

	id = strtok_r(s, " ", &save);
	in = strtok_r(NULL, " ", &save);
	out = strtok_r(NULL, " ", &save);
	why = strtok_r(NULL, " ", &save);
	reused = strtok_r(NULL, " ", &save);
	target = strtok_r(NULL, " ", &save);
	if (id == NULL || in == NULL || out == NULL ||
	    strtok_r(NULL, " ", &save) != NULL || !num(in, &a) ||
	    !num(out, &b) || !refused(why) ||
	    (reused != NULL && strcmp(reused, "-") != 0 &&
	    strcmp(reused, "1") != 0) || (reused != NULL && target == NULL)) {
		bad_lines++;
		return;
	}
	reuse = reused != NULL && strcmp(reused, "1") == 0;
	/* "-": no authenticated sandbox (a refusal, the broker path). */
	if (strcmp(id, "-") == 0 || (a + b == 0 && !reuse))
		return;
	if (!sg_id_valid(id) || (reuse && !target_ok(target))) {
		bad_lines++;
		return;
	}
	pthread_mutex_lock(&mu);
	if (a + b > 0)
		table_add(cur, id, a + b);
	if (reuse)
		reuse_add(cur, id, target);
	pthread_mutex_unlock(&mu);
}

/* Read stdin to EOF, line by line; overlong lines are skipped whole. */
static void
reader(void)
{
	char	 buf[8192], ln[SGB_LINE_MAX + 1];
	size_t	 n = 0, i;
	ssize_t	 got;
	int	 skip = 0;

	for (;;) {
		got = read(STDIN_FILENO, buf, sizeof(buf));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return;
		for (i = 0; i < (size_t)got; i++) {
			if (buf[i] == '\n') {
				ln[n] = '\0';
				if (!skip)
					line(ln);
				n = 0;
				skip = 0;
			} else if (n < SGB_LINE_MAX)
				ln[n++] = buf[i];
			else if (!skip) {
				skip = 1;
				bad_lines++;
			}
		}
	}
}

/*
 * The reused allows of one batch: one "decision_reused" entry per
 * sandbox and target into the audit trail (a, when there is one), and
 * each request in sandgate_decisions_total.
 */
static void
flush_reuse(struct sg_audit *a, const struct sgb_table *t)
{
	const struct sgb_reuse	*e;
	cJSON			*o;
	size_t			 i, failed = 0, sent = 0, lost = 0;
	int64_t			 total = t->reuse_dropped;

	if (t->nreuse == 0 && total == 0)
		return;
	for (i = 0; i < SGB_REUSES * 2; i++) {
		e = &t->reuse[i];
		if (e->id[0] == '\0')
			continue;
		total += e->count;
		if (a == NULL)
			continue;
		if ((o = sg_log_begin(SG_LOG_INFO, "decision_reused")) ==
		    NULL ||
		    cJSON_AddStringToObject(o, "mode", "egress") == NULL ||
		    cJSON_AddStringToObject(o, "decision", "allow") == NULL ||
		    cJSON_AddStringToObject(o, "reason", "reused") == NULL ||
		    cJSON_AddNumberToObject(o, "status", 200) == NULL ||
		    cJSON_AddStringToObject(o, "container_id", e->id) == NULL ||
		    cJSON_AddStringToObject(o, "target", e->target) == NULL ||
		    cJSON_AddNumberToObject(o, "count",
		    (double)e->count) == NULL ||
		    cJSON_AddNumberToObject(o, "window_ms",
		    SGB_FLUSH_MS) == NULL) {
			cJSON_Delete(o);
			lost++;
			continue;
		}
		if (sg_audit_send(a, o, &failed, NULL) == SG_OK)
			sent++;
		else
			lost++;
		cJSON_Delete(o);
	}
	if (a != NULL)
		(void)sg_audit_push(a, &failed, NULL);
	if (total > 0)
		sg_metrics_add(SG_M_DECISIONS, (uint64_t)total, "egress",
		    "allow", "reused");
	if (sent > 0)
		sg_metrics_add(SG_M_AUDIT, sent, "sent");
	if (a != NULL && (lost += sg_audit_take_lost(a)) > 0)
		sg_metrics_add(SG_M_AUDIT, lost, "dropped");
	if (failed > 0)
		sg_metrics_add(SG_M_AUDIT, failed, "failed");
}

/* Send one batch; what cannot be sent is dropped and counted. */
static void
flush(struct sg_redis *r, struct sgb_table *t, int64_t *backoff_until)
{
	static int	 down;
	struct sg_err	 err;
	int64_t		 dropped = t->dropped, counted = 0, free_ = 0;
	int64_t		 now = sg_now_us() / 1000;
	size_t		 i;
	int		 c;

	for (i = 0; i < SGB_IDS * 2; i++) {
		if (t->ent[i].id[0] == '\0')
			continue;
		sg_err_clear(&err);
		if (r == NULL || now < *backoff_until)
			dropped += t->ent[i].bytes;
		else if (sg_budget_add_bytes(r, t->ent[i].id, t->ent[i].bytes,
		    &c, &err) != SG_OK) {
			dropped += t->ent[i].bytes;
			*backoff_until = now + SGB_BACKOFF_MS;
			if (!down)
				fprintf(stderr, "sandgate-budget-log: Redis: "
				    "%s; dropping bytes until it answers\n",
				    err.msg);
			down = 1;
		} else {
			if (down)
				fprintf(stderr, "sandgate-budget-log: Redis "
				    "answers again\n");
			down = 0;
			if (c)
				counted += t->ent[i].bytes;
			else
				free_ += t->ent[i].bytes;
		}
	}
	flush_reuse(audit, t);
	memset(t, 0, sizeof(*t));
	if (counted > 0)
		sg_metrics_add(SG_M_BUDGET_BYTES, (uint64_t)counted, "counted");
	if (free_ > 0)
		sg_metrics_add(SG_M_BUDGET_BYTES, (uint64_t)free_,
		    "unbudgeted");
	if (dropped > 0)
		sg_metrics_add(SG_M_BUDGET_BYTES, (uint64_t)dropped,
		    "dropped");
}

static void *
flusher(void *arg)
{
	struct sg_redis	*r = arg;
	struct sgb_table *t;
	struct timespec	 ts;
	int64_t		 backoff_until = 0;
	int		 last;

	for (;;) {
		pthread_mutex_lock(&mu);
		(void)clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += SGB_FLUSH_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		if (!done)
			(void)pthread_cond_timedwait(&cv, &mu, &ts);
		last = done;
		t = cur;
		cur = cur == &tab[0] ? &tab[1] : &tab[0];
		pthread_mutex_unlock(&mu);
		flush(r, t, &backoff_until);
		if (last)
			return NULL;
	}
}

/* SANDGATE_*=value lines of path into the environment. */
static void
load_env(const char *path)
{
	FILE	*f;
	char	 ln[4096], *eq;
	size_t	 n;
	int	 i;

	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "sandgate-budget-log: %s: %s\n", path,
		    strerror(errno));
		return;
	}
	for (i = 0; i < SGB_ENV_MAX && fgets(ln, sizeof(ln), f) != NULL; i++) {
		n = strcspn(ln, "\r\n");
		ln[n] = '\0';
		if (strncmp(ln, "SANDGATE_", 9) != 0 ||
		    (eq = strchr(ln, '=')) == NULL)
			continue;
		*eq = '\0';
		(void)setenv(ln, eq + 1, 0);
	}
	(void)fclose(f);
}

/*
 * Only a metrics file the services made, of this build's layout
 * (sg_metrics_join): Apache starts this program as root, and a file root
 * created, or replaced after a layout change, would lock the services
 * out of it.
 */
static void
metrics(const char *dir)
{
	struct sg_err	 err;

	sg_err_clear(&err);
	if (sg_metrics_join(dir, "budget-log", &err) != SG_OK)
		fprintf(stderr, "sandgate-budget-log: %s (no metrics)\n",
		    err.msg);
}

int
main(int argc, char **argv)
{
	struct sg_cfg	 cfg;
	struct sg_err	 err;
	struct sg_redis	*r = NULL;
	pthread_t	 th;

	if (argc > 2) {
		fprintf(stderr, "usage: sandgate-budget-log [ENVFILE]\n");
		return 64;
	}
	if (argc == 2)
		load_env(argv[1]);
	/* "budget-log" in the trail's entries (sg_log_begin) */
	sg_log_init("budget-log", SG_LOG_INFO);
	sg_err_clear(&err);
	if (sg_cfg_load(&cfg, &err) != SG_OK ||
	    sg_redis_new(cfg.redis, cfg.redis_timeout_ms < SGB_REDIS_MS ?
	    cfg.redis_timeout_ms : SGB_REDIS_MS, &r, &err) != SG_OK) {
		/* Keep reading: a logger that exits is restarted in a loop. */
		fprintf(stderr, "sandgate-budget-log: %s; bytes are not "
		    "counted\n", err.msg);
		r = NULL;
	} else {
		if (cfg.metrics_dir[0] != '\0')
			metrics(cfg.metrics_dir);
		if (cfg.audit_maxlen > 0 && sg_audit_new(cfg.redis,
		    cfg.audit_maxlen, &audit, &err) != SG_OK) {
			fprintf(stderr, "sandgate-budget-log: %s; reused "
			    "allows are counted, not audited\n", err.msg);
			audit = NULL;
		}
	}
	if (pthread_create(&th, NULL, flusher, r) != 0) {
		fprintf(stderr, "sandgate-budget-log: no thread\n");
		return 71;
	}
	reader();
	pthread_mutex_lock(&mu);
	done = 1;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
	(void)pthread_join(th, NULL);
	if (bad_lines > 0)
		fprintf(stderr, "sandgate-budget-log: %llu lines not of the "
		    "format \"%%u %%I %%O %%{SG_REFUSED}e %%{SG_REUSED}e "
		    "%%{SG_TARGET}e\" skipped\n",
		    (unsigned long long)bad_lines);
	(void)sg_audit_flush(audit, NULL, NULL);
	sg_audit_free(audit);
	sg_redis_free(r);
	return 0;
}
