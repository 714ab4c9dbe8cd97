/*
 * Logs: one JSON object per line on stderr with ts, service, level,
 * event, and for decisions decision, reason, container_id, jti, sub,
 * target, latency_us (DESIGN.md, Logs).  Never a token, key, password or
 * body: callers pass only the fields below, and every value is escaped
 * by cJSON so no line can be split.
 */
#ifndef SG_LOG_H
#define SG_LOG_H

#include <stdint.h>

#include "cfg.h"

struct sg_decision {
	const char	*mode;		/* "egress" or "api" */
	const char	*decision;	/* "allow", "deny", "would_deny", "error" */
	const char	*reason;	/* snake_case code */
	int		 status;
	const char	*container_id;
	const char	*jti;
	const char	*sub;
	const char	*target;	/* "host:port" or "METHOD /path" */
	int64_t		 latency_us;
};

void		 sg_log_init(const char *service, int level);
/* Leveled event with optional extra "key", "value" string pairs, NULL-ended. */
void		 sg_log(int level, const char *event, ...);
void		 sg_log_decision(const struct sg_decision *);
/* Microseconds on the monotonic clock. */
int64_t		 sg_now_us(void);

#endif
