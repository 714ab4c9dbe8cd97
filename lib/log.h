/* SPDX-License-Identifier: ISC */
/*
 * Logs: one JSON object per line on stderr with ts (RFC 3339 UTC with
 * milliseconds), service, level, event, and for decisions mode,
 * decision, reason, status, container_id, jti, sub, target, latency_us
 * (docs/contract.md §9).  Every value is escaped by cJSON, so no value can
 * split a line or forge a field; values are cut at 512 bytes and
 * invalid UTF-8 becomes '?'.  A NULL value is logged as null.  Lines
 * below the level given to sg_log_init are dropped (default: info).
 *
 * When stderr is the journal (systemd's JOURNAL_STREAM names its device
 * and inode), each line starts with its syslog priority, "<3>" error,
 * "<4>" warn, "<6>" info, "<7>" debug: journald takes it off the line
 * and files the line at that priority (SyslogLevelPrefix=, on by
 * default), so journalctl -p warning shows warnings and errors.
 *
 * This module cannot tell a secret from an id: keeping secrets out is
 * the CALLER's job.  Never pass a token (or a part of one), a key, a
 * password, an Authorization header or a request body as a value; log
 * the jti, the kid, the container id and reason codes instead.
 */
#ifndef SG_LOG_H
#define SG_LOG_H

#include <stdint.h>


enum sg_log_level {
	SG_LOG_DEBUG,
	SG_LOG_INFO,
	SG_LOG_WARN,
	SG_LOG_ERROR
};

struct sg_decision {
	const char	*mode;		/* "egress" or "api" */
	const char	*decision;	/* "allow", "deny", "would_deny", "error" */
	const char	*reason;	/* snake_case code */
	int		 status;
	const char	*container_id;	/* proven by a verified token */
	const char	*claimed_container_id; /* named, not proven; or NULL */
	const char	*jti;
	const char	*sub;
	const char	*target;	/* "host:port" or "METHOD /path" */
	/* the peer address the web server saw (REMOTE_ADDR), or NULL */
	const char	*client;
	int64_t		 latency_us;
	/* an allow the web server may reuse for this long (ms); 0: none */
	int64_t		 reuse_ms;
};

/* Also decides the journal prefix: sg_log_journal(JOURNAL_STREAM, 2). */
void		 sg_log_init(const char *service, int level);
/*
 * Whether fd is the stream journal_stream names ("DEV:INO", decimal, as
 * systemd sets JOURNAL_STREAM): 1 if so, 0 for NULL, a malformed value
 * or another file (stderr redirected by a wrapper that inherited it).
 */
int		 sg_log_journal(const char *journal_stream, int fd);
/*
 * At most per_second lines per second on stderr (bursts of twice that,
 * at least 20), 0 for no limit (the default).  Lines beyond it are
 * counted, and the next line printed is preceded by a "log_suppressed"
 * line with the count; the hook sees every line regardless.
 */
void		 sg_log_set_rate(int per_second);
/* Print the count of dropped lines now, if any (at exit). */
void		 sg_log_flush(void);
/*
 * Leveled event with optional extra "key", "value" string pairs,
 * NULL-ended (at most 32 pairs; ts, service, level and event cannot be
 * overridden by a pair).
 */
void		 sg_log(int level, const char *event, ...);
void		 sg_log_decision(const struct sg_decision *);
/*
 * The start of a line as the others: ts (RFC 3339 UTC, milliseconds),
 * service, level and event, for a caller that adds its own fields and
 * sends it elsewhere (sandgate-budget-log's audit entries).  The
 * caller frees it; NULL on ENOMEM.
 */
struct cJSON;
struct cJSON	*sg_log_begin(int level, const char *event);

/*
 * A hook that sees the lines of chosen events whatever the level, as
 * the objects that are (or would be) printed: metrics and the audit
 * trail (lib/ops.c) use it.  events: a NULL-terminated list of event
 * names kept by the caller; a name ending in '*' is a prefix.  The hook
 * must not log.  sg_log_set_hook(NULL, NULL) removes it.
 */
typedef void	(*sg_log_hook)(const char *event, const struct cJSON *line);
void		 sg_log_set_hook(sg_log_hook, const char *const *events);
/*
 * An event for the hook only, with no line on stderr (sandgate reap
 * reports on stdout); pairs as for sg_log.
 */
void		 sg_log_record(const char *event, ...);

#endif
