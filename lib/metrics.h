/* SPDX-License-Identifier: ISC */
/*
 * Metrics: counters and histograms shared by every process of every
 * sandgate service, exposed as Prometheus text (exposition format
 * 0.0.4) by session-query at GET /metrics.
 *
 * Why a shared file.  Each service runs as several single-threaded
 * FastCGI processes (spawn-fcgi -F, multiwatch -f), and a scrape reaches
 * only one of them; the numbers must add up over all of them.  Counting
 * in Redis would put a network round trip (and a failure mode) on every
 * decision.  Instead every process maps one file, SANDGATE_METRICS_DIR/
 * sandgate.metrics (MAP_SHARED), and adds to its own slot of cells with
 * atomic adds; a scrape sums the slots.  The file lives in a directory
 * on tmpfs (/run/sandgate/metrics under systemd, whose units have
 * PrivateTmp= and RemoveIPC=, so neither /tmp nor POSIX shm would be
 * shared): it survives worker restarts, so counters only go down when
 * the whole machine restarts, which Prometheus treats as a reset.
 *
 * Layout (fixed sizes, checked at open): a header (magic, version,
 * sizes, a cell allocator, per-family series counts, the pid owning
 * each slot), a table of SG_METRICS_SERIES series (family, label values,
 * first cell), and SG_METRICS_SLOTS slots of SG_METRICS_CELLS 64-bit
 * cells.  A series is claimed once, by whichever process first uses it
 * (compare-and-swap on its state), and then found by hash.  A process
 * takes a free slot, or the slot of a dead process (its counts stay:
 * they are part of the sums), or shares slot 0 when all are taken; the
 * adds are atomic in any case, slots only spare cache-line bouncing.
 *
 * Labels stay bounded: every family has a fixed list of label names and
 * a cap on its distinct label sets; values must match [a-z0-9_-]{1,40}
 * (reason codes, modes, service names), anything else is "other", and
 * past the cap every label but "service" becomes "other".  Callers pass
 * only codes from the program text: never a container id, user, token,
 * host name or target.
 *
 * Without SANDGATE_METRICS_DIR nothing is recorded (every call is a
 * cheap no-op) and GET /metrics answers 503.  Not thread-safe to open;
 * adding is safe from any process.
 */
#ifndef SG_METRICS_H
#define SG_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "sgerr.h"

#define SG_METRICS_FILE		"sandgate.metrics"
#define SG_METRICS_SLOTS	64	/* processes with a slot of their own */
#define SG_METRICS_SERIES	1024	/* label sets, all families */
#define SG_METRICS_CELLS	4096	/* 64-bit cells per slot */
#define SG_METRICS_LABEL_MAX	40	/* bytes of one label value */
#define SG_METRICS_LABELS	3	/* label names per family, at most */

/* The families; their names, help and labels are in metrics.c. */
enum sg_metric {
	SG_M_DECISIONS,			/* mode, decision, reason */
	SG_M_DECISION_SECONDS,		/* histogram: mode */
	SG_M_TOKEN_CACHE,		/* result: hit | miss */
	SG_M_REDIS_CALLS,		/* service */
	SG_M_REDIS_ERRORS,		/* service, reason */
	SG_M_REDIS_SECONDS,		/* histogram: service */
	SG_M_DOCKER_CALLS,		/* service */
	SG_M_DOCKER_ERRORS,		/* service, reason */
	SG_M_DOCKER_SECONDS,		/* histogram: service */
	SG_M_SANDBOXES_CREATED,		/* runtime */
	SG_M_SANDBOX_CREATE_FAILURES,	/* reason */
	SG_M_SANDBOXES_DESTROYED,
	SG_M_SANDBOXES_REAPED,		/* reason */
	SG_M_AUDIT,			/* service, result */
	SG_M_COMPAT_TOKENS,		/* service */
	SG_M_BUDGET_EXHAUSTED,		/* kind: requests | bytes */
	SG_M_BUDGET_BYTES,		/* result: counted | unbudgeted | dropped */
	/* New families at the end only: see metrics-internal.h. */
	SG_M_KEY_RELOADS,		/* service, result: ok | failed */
	SG_M_TOKENS_ISSUED,		/* service, kind: sandbox | operator */
	SG_M_PROXY_REFUSED,		/* reason: tunnels_exhausted | ... */
	SG_M_COUNT
};

/* A value computed at scrape time (e.g. live sessions). */
struct sg_metrics_gauge {
	const char	*name;		/* [a-z_]+ */
	const char	*help;
	double		 value;
};

/*
 * Map dir/SG_METRICS_FILE, creating it (mode 0660 less the umask) when
 * absent.  service ("token-verify") fills the "service" label.  dir NULL
 * or "" leaves metrics off (SG_OK).  SG_EINVAL "bad_config" naming
 * SANDGATE_METRICS_DIR when the directory cannot be used.  A file of
 * another layout (an older or newer build's, during a rolling upgrade)
 * is replaced by a new one, with a warning "metrics_file_replaced";
 * processes still mapping the old one count unseen until they restart.
 * Opening again replaces the previous mapping.
 */
enum sg_rc	 sg_metrics_open(const char *dir, const char *service,
		    struct sg_err *);
/*
 * As sg_metrics_open, for a program that only adds to the services' file
 * and may run as root (sandgate token): the file must exist and be of
 * this build's layout.  It is never created or replaced, so no file of
 * root's is left for the services to be locked out of.  SG_EUNAVAIL
 * "metrics_absent" or "metrics_other_layout" (metrics stay off).
 */
enum sg_rc	 sg_metrics_join(const char *dir, const char *service,
		    struct sg_err *);
void		 sg_metrics_close(void);
int		 sg_metrics_enabled(void);

/*
 * Add n to a counter.  The label values follow the family's label names
 * in order, without "service" (it is added from sg_metrics_open).
 */
void		 sg_metrics_add(enum sg_metric, uint64_t n, ...);
/* One observation of us microseconds in a histogram; labels as above. */
void		 sg_metrics_observe(enum sg_metric, int64_t us, ...);

/*
 * The Prometheus text of every family summed over all slots, then the
 * gauges.  Returns a malloc'd NUL-terminated text (the caller frees it)
 * and its length, or NULL (SG_EUNAVAIL "metrics_disabled" when off,
 * SG_ENOMEM).
 */
char		*sg_metrics_render(const struct sg_metrics_gauge *, size_t,
		    size_t *len, struct sg_err *);

/*
 * For tests: the summed value of a counter (or a histogram's count),
 * labels as for sg_metrics_add; 0 when never set.
 */
uint64_t	 sg_metrics_get(enum sg_metric, ...);

#endif
