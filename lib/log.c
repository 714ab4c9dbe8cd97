/* SPDX-License-Identifier: ISC */
/*
 * Structured logs: one JSON object per line on stderr (docs/contract.md §9).
 *
 * Every line is built as a cJSON object and printed unformatted, so a
 * value with a quote, a newline or any other control byte is escaped and
 * cannot split a line or forge a field.  Values are also cut at
 * LOG_MAX_VALUE bytes and invalid UTF-8 is replaced by '?', so that a
 * hostile target or header cannot make lines huge or undecodable.
 *
 * This module cannot know what is secret: callers must never pass a
 * token, key, password or request body as a value (STYLE.md, secrets).
 * Only identifiers (container id, jti, sub), reason codes and targets
 * belong here.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "compat.h"
#include "clock.h"
#include "json.h"
#include "log.h"

#define LOG_MAX_VALUE	512	/* bytes of one value after sanitising */
#define LOG_MAX_PAIRS	32	/* extra pairs in one sg_log call */

static char	 log_service[64] = "sandgate";
static int	 log_level = SG_LOG_INFO;
static int	 log_journal;		/* stderr is the journal: "<N>" first */

/*
 * The rate limit (sg_log_set_rate): a token bucket of lines.  journald
 * drops a unit's lines beyond RateLimitBurst (10000) per
 * RateLimitIntervalSec (30 s) by default, at random as far as we are
 * concerned, and a flood of refused requests would make it drop the
 * lines that matter.  We drop first, count what we dropped, and say so
 * in the next line we print (event log_suppressed).  The audit hook
 * still sees every line: the trail is complete, the log is sampled.
 */
static double	 log_rate;		/* lines per second; 0: no limit */
static double	 log_burst;
static double	 log_tokens;
static int64_t	 log_last_us;
static uint64_t	 log_dropped;
static char	 log_dropped_since[48];
static sg_log_hook	 log_hook;
static const char *const *log_hook_events;
static int		 log_in_hook;

void
sg_log_set_hook(sg_log_hook hook, const char *const *events)
{
	log_hook = hook;
	log_hook_events = events;
}

/* Whether the hook wants this event (cheap: no line is built if not). */
static int
hook_wants(const char *event)
{
	const char *const	*e;
	size_t			 n;

	if (log_hook == NULL || log_hook_events == NULL || event == NULL ||
	    log_in_hook)
		return 0;
	for (e = log_hook_events; *e != NULL; e++) {
		n = strlen(*e);
		if (n > 0 && (*e)[n - 1] == '*') {
			if (strncmp(event, *e, n - 1) == 0)
				return 1;
		} else if (strcmp(event, *e) == 0)
			return 1;
	}
	return 0;
}

static void
hook_call(const char *event, const cJSON *o)
{
	/* A hook that logged would come back here: once is enough. */
	log_in_hook = 1;
	log_hook(event, o);
	log_in_hook = 0;
}

void
sg_log_init(const char *service, int level)
{
	if (service != NULL && *service != '\0')
		(void)strlcpy(log_service, service, sizeof(log_service));
	if (level < SG_LOG_DEBUG)
		level = SG_LOG_DEBUG;
	if (level > SG_LOG_ERROR)
		level = SG_LOG_ERROR;
	log_level = level;
	log_journal = sg_log_journal(getenv("JOURNAL_STREAM"), STDERR_FILENO);
}

/* A decimal number ending at sep (':' or the end); NULL if none. */
static const char *
parse_dec(const char *s, int sep, uintmax_t *v)
{
	uintmax_t	 n = 0;
	const char	*p;

	for (p = s; *p >= '0' && *p <= '9'; p++) {
		if (n > (UINTMAX_MAX - 9) / 10)
			return NULL;
		n = n * 10 + (uintmax_t)(*p - '0');
	}
	if (p == s || *p != sep)
		return NULL;
	*v = n;
	return p;
}

int
sg_log_journal(const char *journal_stream, int fd)
{
	struct stat	 sb;
	uintmax_t	 dev, ino;
	const char	*p;

	if (journal_stream == NULL ||
	    (p = parse_dec(journal_stream, ':', &dev)) == NULL ||
	    parse_dec(p + 1, '\0', &ino) == NULL || fstat(fd, &sb) == -1)
		return 0;
	return (uintmax_t)sb.st_dev == dev && (uintmax_t)sb.st_ino == ino;
}

/* The syslog priority (RFC 5424) of a line's level, as "<N>". */
static const char *
line_prefix(const cJSON *o)
{
	const char	*l;

	l = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o,
	    "level"));
	if (l == NULL)
		return "<3>";
	if (strcmp(l, "debug") == 0)
		return "<7>";
	if (strcmp(l, "info") == 0)
		return "<6>";
	return strcmp(l, "warn") == 0 ? "<4>" : "<3>";
}

static const char *
level_name(int level)
{
	switch (level) {
	case SG_LOG_DEBUG:
		return "debug";
	case SG_LOG_INFO:
		return "info";
	case SG_LOG_WARN:
		return "warn";
	default:
		return "error";
	}
}

/* RFC 3339 UTC with milliseconds: 2026-01-01T00:00:00.000Z. */
static void
log_ts(char *buf, size_t size)
{
	struct timespec	 ts;
	struct tm	 tm;
	char		 day[32];

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0 ||
	    gmtime_r(&ts.tv_sec, &tm) == NULL ||
	    strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
		(void)strlcpy(buf, "1970-01-01T00:00:00.000Z", size);
		return;
	}
	(void)snprintf(buf, size, "%s.%03ldZ", day, ts.tv_nsec / 1000000);
}

/*
 * A copy of v safe to log: at most LOG_MAX_VALUE bytes (cut on a
 * character boundary, "..." appended), invalid UTF-8 bytes as '?'.
 * Control characters are left to cJSON, which escapes them.
 */
static void
log_clean(const char *v, char *out, size_t size)
{
	const unsigned char	*s = (const unsigned char *)v;
	size_t			 n, i = 0, o = 0, k;

	n = strlen(v);
	while (i < n) {
		k = sg_utf8_seq(s + i, n - i);
		if (o + (k == 0 ? 1 : k) + 4 > size || o >= LOG_MAX_VALUE) {
			(void)memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (k == 0) {
			out[o++] = '?';
			i++;
			continue;
		}
		(void)memcpy(out + o, s + i, k);
		o += k;
		i += k;
	}
	out[o] = '\0';
}

static void
add_str(cJSON *o, const char *key, const char *v)
{
	char	 buf[LOG_MAX_VALUE + 8];

	if (v == NULL) {
		(void)cJSON_AddNullToObject(o, key);
		return;
	}
	log_clean(v, buf, sizeof(buf));
	(void)cJSON_AddStringToObject(o, key, buf);
}

cJSON *
sg_log_begin(int level, const char *event)
{
	cJSON	*o = NULL;
	char	 ts[48];

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	log_ts(ts, sizeof(ts));
	(void)cJSON_AddStringToObject(o, "ts", ts);
	add_str(o, "service", log_service);
	(void)cJSON_AddStringToObject(o, "level", level_name(level));
	add_str(o, "event", event != NULL ? event : "event");
	return o;
}

void
sg_log_set_rate(int per_second)
{
	log_rate = per_second > 0 ? per_second : 0;
	/* Two seconds' worth at once: start-up lines are never dropped. */
	log_burst = log_rate * 2 < 20 ? 20 : log_rate * 2;
	log_tokens = log_burst;
	log_last_us = 0;
}

/* Whether a line may be printed now (one token taken if so). */
static int
log_admit(void)
{
	int64_t	 now;

	if (log_rate <= 0)
		return 1;
	now = sg_now_us();
	if (log_last_us != 0 && now > log_last_us) {
		log_tokens += (double)(now - log_last_us) * log_rate / 1e6;
		if (log_tokens > log_burst)
			log_tokens = log_burst;
	}
	log_last_us = now;
	if (log_tokens < 1)
		return 0;
	log_tokens -= 1;
	return 1;
}

static void	 emit_line(const cJSON *);

/* Before the first line after a gap: how many were dropped, since when. */
static void
emit_suppressed(void)
{
	cJSON	*o;

	if ((o = sg_log_begin(SG_LOG_WARN, "log_suppressed")) == NULL)
		return;		/* counted on: the next line tries again */
	(void)cJSON_AddNumberToObject(o, "dropped", (double)log_dropped);
	(void)cJSON_AddStringToObject(o, "since", log_dropped_since);
	(void)cJSON_AddStringToObject(o, "detail", "lines beyond "
	    "SANDGATE_LOG_RATE were not printed (the audit trail has them)");
	log_dropped = 0;
	emit_line(o);
	cJSON_Delete(o);
}

void
sg_log_flush(void)
{
	if (log_dropped > 0)
		emit_suppressed();
}

/* Print o, unless the rate limit says no (then count it). */
static void
emit_keep(const cJSON *o)
{
	if (o == NULL)
		return;
	if (!log_admit()) {
		if (log_dropped++ == 0)
			log_ts(log_dropped_since, sizeof(log_dropped_since));
		return;
	}
	if (log_dropped > 0)
		emit_suppressed();
	emit_line(o);
}

/*
 * Print o as one line, with its priority first for the journal, in a
 * single write(2) where possible.
 */
static void
emit_line(const cJSON *o)
{
	char	*s = NULL, *j;
	size_t	 len, off = 0;
	ssize_t	 w;

	if ((s = cJSON_PrintUnformatted(o)) == NULL)
		return;
	len = strlen(s);
	/* The terminating NUL becomes the newline. */
	s[len++] = '\n';
	if (log_journal && (j = malloc(len + 3)) != NULL) {
		(void)memcpy(j, line_prefix(o), 3);
		(void)memcpy(j + 3, s, len);
		free(s);
		s = j;
		len += 3;
	}
	while (off < len) {
		w = write(STDERR_FILENO, s + off, len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		off += (size_t)w;
	}
	free(s);
}

/* emit_keep, then free o. */
static void
log_emit(cJSON *o)
{
	emit_keep(o);
	cJSON_Delete(o);
}

/* The pairs of a va_list into o. */
static void
add_pairs(cJSON *o, va_list ap)
{
	const char	*k, *v;
	int		 i;

	for (i = 0; i < LOG_MAX_PAIRS; i++) {
		if ((k = va_arg(ap, const char *)) == NULL)
			break;
		v = va_arg(ap, const char *);
		/* The fixed fields cannot be overridden by a pair. */
		if (strcmp(k, "ts") == 0 || strcmp(k, "service") == 0 ||
		    strcmp(k, "level") == 0 || strcmp(k, "event") == 0)
			continue;
		add_str(o, k, v);
	}
}

void
sg_log(int level, const char *event, ...)
{
	va_list		 ap;
	cJSON		*o = NULL;
	int		 hook;

	hook = hook_wants(event);
	if (level < log_level && !hook)
		return;
	if ((o = sg_log_begin(level, event)) == NULL)
		return;
	va_start(ap, event);
	add_pairs(o, ap);
	va_end(ap);
	if (hook)
		hook_call(event, o);
	if (level < log_level) {
		cJSON_Delete(o);
		return;
	}
	log_emit(o);
}

void
sg_log_record(const char *event, ...)
{
	va_list		 ap;
	cJSON		*o = NULL;

	if (!hook_wants(event))
		return;
	if ((o = sg_log_begin(SG_LOG_INFO, event)) == NULL)
		return;
	va_start(ap, event);
	add_pairs(o, ap);
	va_end(ap);
	hook_call(event, o);
	cJSON_Delete(o);
}

void
sg_log_decision(const struct sg_decision *d)
{
	cJSON	*o = NULL;
	int	 level, hook;

	if (d == NULL)
		return;
	level = d->decision != NULL && strcmp(d->decision, "error") == 0 ?
	    SG_LOG_ERROR : SG_LOG_INFO;
	hook = hook_wants("decision");
	if (level < log_level && !hook)
		return;
	if ((o = sg_log_begin(level, "decision")) == NULL)
		return;
	add_str(o, "mode", d->mode);
	add_str(o, "decision", d->decision);
	add_str(o, "reason", d->reason);
	(void)cJSON_AddNumberToObject(o, "status", d->status);
	add_str(o, "container_id", d->container_id);
	if (d->claimed_container_id != NULL)
		add_str(o, "claimed_container_id", d->claimed_container_id);
	add_str(o, "jti", d->jti);
	add_str(o, "sub", d->sub);
	add_str(o, "target", d->target);
	add_str(o, "client", d->client);
	(void)cJSON_AddNumberToObject(o, "latency_us", (double)d->latency_us);
	if (d->reuse_ms > 0)
		(void)cJSON_AddNumberToObject(o, "reuse_ms",
		    (double)d->reuse_ms);
	/*
	 * stderr first: the hook (audit trail) may find Redis away, and
	 * the line must be out before anything else can go wrong.
	 */
	if (level >= log_level) {
		if (!hook) {
			log_emit(o);
			return;
		}
		emit_keep(o);
	}
	if (hook)
		hook_call("decision", o);
	cJSON_Delete(o);
}
