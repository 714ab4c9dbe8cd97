/* SPDX-License-Identifier: ISC */
/*
 * Metrics in a shared file: see metrics.h for the design and why.
 *
 * Memory ordering: cells are plain counters added with relaxed atomics
 * (a scrape needs no consistent snapshot, only each cell whole); a
 * series is published by a release store of its state after its key
 * and cell are written, and read after an acquire load of it.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "log.h"
#include "metrics.h"
#include "metrics-internal.h"

#define MAGIC		0x53474d31u	/* "SGM1" */
#define LAYOUT_VERSION	1u
#define KEY_MAX		128		/* label values joined by ',' */
#define FAMILIES_MAX	32
#define SPIN_MAX	10000		/* waits for a series being claimed */

/* Histogram buckets: upper bounds in microseconds, then +Inf. */
static const int64_t bucket_us[] = {
	50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000,
	100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000
};
#define NBUCKETS	(sizeof(bucket_us) / sizeof(bucket_us[0]) + 1)
#define HIST_CELLS	(NBUCKETS + 2)	/* buckets, sum (us), count */

enum series_state {
	S_EMPTY = 0,
	S_CLAIMING,
	S_READY,
	S_DEAD		/* claimed but no cells were left */
};

struct shm_hdr {
	uint32_t	 magic;
	uint32_t	 version;
	uint32_t	 slots;
	uint32_t	 series;
	uint32_t	 cells;
	uint32_t	 key_max;
	uint64_t	 size;
	uint32_t	 next_cell;		/* atomic: cell allocator */
	uint32_t	 dropped;		/* atomic: series refused */
	uint32_t	 fam_count[FAMILIES_MAX];	/* atomic */
	int32_t		 slot_pid[SG_METRICS_SLOTS];	/* atomic */
};

struct shm_series {
	uint32_t	 state;			/* atomic: enum series_state */
	uint32_t	 hash;
	uint16_t	 family;
	uint16_t	 ncells;
	uint32_t	 cell;
	char		 key[KEY_MAX];
};

/* This process's view of the file. */
static struct {
	void			*map;
	size_t			 size;
	struct shm_hdr		*hdr;
	struct shm_series	*series;
	uint64_t		*cells;
	int			 slot;		/* -1: not taken yet */
	pid_t			 pid;		/* who took it */
	char			 service[SG_METRICS_LABEL_MAX + 1];
} M = { NULL, 0, NULL, NULL, NULL, -1, 0, "" };
/* When this process opened the metrics file: its start, near enough. */
static int64_t	 metrics_start_s;

static size_t
layout_size(void)
{
	return sizeof(struct shm_hdr) +
	    (size_t)SG_METRICS_SERIES * sizeof(struct shm_series) +
	    (size_t)SG_METRICS_SLOTS * SG_METRICS_CELLS * sizeof(uint64_t);
}

static void
layout_set(void *map)
{
	M.hdr = map;
	M.series = (struct shm_series *)((char *)map + sizeof(struct shm_hdr));
	M.cells = (uint64_t *)(M.series + SG_METRICS_SERIES);
}

/* [a-z0-9_-]{1,SG_METRICS_LABEL_MAX} */
static int
label_ok(const char *v)
{
	size_t	 n;

	if (v == NULL)
		return 0;
	for (n = 0; v[n] != '\0'; n++) {
		if (n >= SG_METRICS_LABEL_MAX)
			return 0;
		if (!((v[n] >= 'a' && v[n] <= 'z') ||
		    (v[n] >= '0' && v[n] <= '9') || v[n] == '_' ||
		    v[n] == '-'))
			return 0;
	}
	return n > 0;
}

void
sg_metrics_close(void)
{
	if (M.map != NULL)
		(void)munmap(M.map, M.size);
	M.map = NULL;
	M.size = 0;
	M.hdr = NULL;
	M.series = NULL;
	M.cells = NULL;
	M.slot = -1;
	M.pid = 0;
}

int
sg_metrics_enabled(void)
{
	return M.map != NULL;
}

static enum sg_rc
bad_dir(struct sg_err *err, const char *why, int e)
{
	return sg_err_set(err, SG_EINVAL, "bad_config",
	    "SANDGATE_METRICS_DIR: %s%s%s", why, e != 0 ? ": " : "",
	    e != 0 ? strerror(e) : "");
}

/* The header of a mapped file is this build's layout. */
static int
layout_ours(const struct shm_hdr *h, size_t size)
{
	return h->magic == MAGIC && h->version == LAYOUT_VERSION &&
	    h->slots == SG_METRICS_SLOTS && h->series == SG_METRICS_SERIES &&
	    h->cells == SG_METRICS_CELLS && h->key_max == KEY_MAX &&
	    h->size == size;
}

/*
 * Open path and take its lock: 1 with *fdp locked on the file the path
 * names now and *sb its status, 0 to try again (another process replaced
 * the file while this one waited for the lock), -1 with err set.
 */
static int
file_take(const char *path, int join, int *fdp, struct stat *sb,
    struct sg_err *err)
{
	struct stat	 ps;
	int		 fd;

	*fdp = -1;
	/* Never through a symlink planted in the directory. */
	if ((fd = open(path, O_RDWR | (join ? 0 : O_CREAT) | O_CLOEXEC |
	    O_NOFOLLOW, 0660)) == -1) {
		if (join && errno == ENOENT)
			sg_err_set(err, SG_EUNAVAIL, "metrics_absent",
			    "%s: no metrics file yet", path);
		else
			bad_dir(err, "cannot open " SG_METRICS_FILE, errno);
		return -1;
	}
	/* One initialiser at a time; the others wait and check. */
	if (flock(fd, LOCK_EX) == -1) {
		bad_dir(err, "cannot lock " SG_METRICS_FILE, errno);
		(void)close(fd);
		return -1;
	}
	if (fstat(fd, sb) == -1 || !S_ISREG(sb->st_mode)) {
		bad_dir(err, SG_METRICS_FILE " is not a regular file", 0);
		(void)close(fd);
		return -1;
	}
	if (lstat(path, &ps) == -1 || ps.st_dev != sb->st_dev ||
	    ps.st_ino != sb->st_ino) {
		(void)close(fd);
		return 0;
	}
	*fdp = fd;
	return 1;
}

/*
 * Map dir/SG_METRICS_FILE.  A file of another layout (a rolling upgrade:
 * processes of the previous build still map it) is unlinked, not
 * refused, and a new one made in its place: the old processes keep
 * counting into their mapping, unseen, until they restart.  A service
 * must never fail to start over its counters.
 */
static enum sg_rc	 metrics_open(const char *, const char *, int,
			    struct sg_err *);

enum sg_rc
sg_metrics_open(const char *dir, const char *service, struct sg_err *err)
{
	return metrics_open(dir, service, 0, err);
}

enum sg_rc
sg_metrics_join(const char *dir, const char *service, struct sg_err *err)
{
	return metrics_open(dir, service, 1, err);
}

/* join: only an existing file of this layout, never made or replaced. */
static enum sg_rc
metrics_open(const char *dir, const char *service, int join,
    struct sg_err *err)
{
	struct shm_hdr	*h;
	struct stat	 sb;
	char		 path[PATH_MAX];
	void		*map = MAP_FAILED;
	size_t		 size = layout_size();
	int		 fd = -1, n, tries = 0;
	enum sg_rc	 rc = SG_OK;

	sg_metrics_close();
	if (dir == NULL || *dir == '\0')
		return SG_OK;
	metrics_start_s = (int64_t)time(NULL);
	(void)strlcpy(M.service, label_ok(service) ? service : "other",
	    sizeof(M.service));
	n = snprintf(path, sizeof(path), "%s/%s", dir, SG_METRICS_FILE);
	if (n < 0 || (size_t)n >= sizeof(path))
		return bad_dir(err, "path too long", 0);
again:
	if (++tries > 4)
		return bad_dir(err, SG_METRICS_FILE " keeps being replaced", 0);
	if ((n = file_take(path, join, &fd, &sb, err)) <= 0) {
		if (n == 0)
			goto again;
		return err != NULL && err->rc != SG_OK ? err->rc : SG_EINVAL;
	}
	if (sb.st_size == 0 && ftruncate(fd, (off_t)size) == -1) {
		rc = bad_dir(err, "cannot size " SG_METRICS_FILE, errno);
		goto out;
	}
	if (sb.st_size != 0 && (uint64_t)sb.st_size != (uint64_t)size)
		goto replace;
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		rc = bad_dir(err, "cannot map " SG_METRICS_FILE, errno);
		goto out;
	}
	h = map;
	if (h->magic == 0) {
		/* New file: all zero (sparse) but the header. */
		h->version = LAYOUT_VERSION;
		h->slots = SG_METRICS_SLOTS;
		h->series = SG_METRICS_SERIES;
		h->cells = SG_METRICS_CELLS;
		h->key_max = KEY_MAX;
		h->size = size;
		__atomic_store_n(&h->magic, MAGIC, __ATOMIC_RELEASE);
	} else if (!layout_ours(h, size))
		goto replace;
	M.map = map;
	M.size = size;
	layout_set(map);
	map = MAP_FAILED;
	M.slot = -1;
	goto out;
replace:
	if (join) {
		rc = sg_err_set(err, SG_EUNAVAIL, "metrics_other_layout",
		    "%s: another build's layout", path);
		goto out;
	}
	/* Still holding the old file's lock: no one else unlinks twice. */
	if (unlink(path) == -1) {
		rc = bad_dir(err, "cannot replace " SG_METRICS_FILE, errno);
		goto out;
	}
	sg_log(SG_LOG_WARN, "metrics_file_replaced", "path", path,
	    "detail", "another layout (an older or newer build); counting "
	    "starts again in a new file", (char *)NULL);
	if (map != MAP_FAILED)
		(void)munmap(map, size);
	map = MAP_FAILED;
	(void)flock(fd, LOCK_UN);
	(void)close(fd);
	fd = -1;
	goto again;
out:
	if (map != MAP_FAILED)
		(void)munmap(map, size);
	if (fd != -1) {
		/*
		 * Unlock explicitly: the mapping keeps the open file
		 * description alive, so close() alone would keep the lock
		 * and every other process would wait for it forever.
		 */
		(void)flock(fd, LOCK_UN);
		(void)close(fd);
	}
	return rc;
}

/* The pid's process is gone (not merely someone else's). */
static int
pid_dead(int32_t pid)
{
	return pid <= 0 || (kill((pid_t)pid, 0) == -1 && errno == ESRCH);
}

/* A forked child takes a slot of its own (getpid() per add would cost). */
static void
slot_forget(void)
{
	M.slot = -1;
}

/* This process's slot: its own, a free or dead one, or shared 0. */
static int
slot_get(void)
{
	static int	 atfork;
	pid_t		 me;
	int32_t		 cur;
	int		 i;

	if (M.slot >= 0)
		return M.slot;
	if (!atfork) {
		(void)pthread_atfork(NULL, NULL, slot_forget);
		atfork = 1;
	}
	me = getpid();
	M.pid = me;
	M.slot = 0;
	for (i = 1; i < SG_METRICS_SLOTS; i++) {
		cur = __atomic_load_n(&M.hdr->slot_pid[i], __ATOMIC_RELAXED);
		if (cur == (int32_t)me) {
			M.slot = i;
			break;
		}
		if (cur != 0 && !pid_dead(cur))
			continue;
		/* Free or dead: its counts stay, they are part of the sum. */
		if (__atomic_compare_exchange_n(&M.hdr->slot_pid[i], &cur,
		    (int32_t)me, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
			M.slot = i;
			break;
		}
	}
	return M.slot;
}

static uint32_t
hash_key(unsigned fam, const char *key)
{
	uint32_t	 h = 2166136261u ^ fam;

	for (; *key != '\0'; key++) {
		h ^= (unsigned char)*key;
		h *= 16777619u;
	}
	return h;
}

/*
 * The key of a label set: the service (when the family has one), then
 * the values, ','-joined.  A value that is not a code becomes "other";
 * with overflow set, every value but the service does.
 */
static void
make_key(const struct sg_metrics_family *f, const char *const *v, int overflow,
    char *key, size_t size)
{
	size_t	 i, o = 0;
	int	 n;

	key[0] = '\0';
	if (f->with_service) {
		n = snprintf(key, size, "%s", M.service);
		o = n > 0 ? (size_t)n : 0;
	}
	for (i = 0; i < f->nlabels && o < size; i++) {
		n = snprintf(key + o, size - o, "%s%s", o > 0 ? "," : "",
		    !overflow && label_ok(v[i]) ? v[i] : "other");
		if (n < 0)
			break;
		o += (size_t)n;
	}
}

static int
key_is_overflow(const struct sg_metrics_family *f, const char *key)
{
	const char	*p = key;
	size_t		 i;

	if (f->nlabels == 0)
		return 1;
	if (f->with_service && (p = strchr(key, ',')) != NULL)
		p++;
	for (i = 0; i < f->nlabels; i++) {
		if (p == NULL || strncmp(p, "other", 5) != 0 ||
		    (p[5] != ',' && p[5] != '\0'))
			return 0;
		p = strchr(p, ',');
		if (p != NULL)
			p++;
	}
	return 1;
}

/*
 * The series for (fam, key), claimed if new; -1 when the table or the
 * cells are full (counted in dropped).  create 0: look only.
 */
static int
series_find(unsigned fam, const char *key, int create)
{
	const struct sg_metrics_family	*f = &sg_metrics_families[fam];
	struct shm_series	*s;
	uint32_t		 h = hash_key(fam, key), st, cell;
	uint32_t		 ncells = f->type == T_HISTOGRAM ? HIST_CELLS : 1;
	size_t			 i, idx;
	int			 spin;

	for (i = 0; i < SG_METRICS_SERIES; i++) {
		idx = (h + i) % SG_METRICS_SERIES;
		s = &M.series[idx];
		st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
		for (spin = 0; st == S_CLAIMING && spin < SPIN_MAX; spin++)
			st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
		if (st == S_READY) {
			if (s->hash == h && s->family == fam &&
			    strcmp(s->key, key) == 0)
				return (int)idx;
			continue;
		}
		if (st != S_EMPTY)
			continue;	/* dead, or its claimer died */
		if (!create)
			return -1;
		st = S_EMPTY;
		if (!__atomic_compare_exchange_n(&s->state, &st, S_CLAIMING, 0,
		    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			i--;	/* somebody took it: look at it again */
			continue;
		}
		cell = __atomic_fetch_add(&M.hdr->next_cell, ncells,
		    __ATOMIC_RELAXED);
		if (cell + ncells > SG_METRICS_CELLS) {
			__atomic_store_n(&s->state, S_DEAD, __ATOMIC_RELEASE);
			__atomic_fetch_add(&M.hdr->dropped, 1,
			    __ATOMIC_RELAXED);
			return -1;
		}
		s->hash = h;
		s->family = (uint16_t)fam;
		s->ncells = (uint16_t)ncells;
		s->cell = cell;
		(void)strlcpy(s->key, key, sizeof(s->key));
		__atomic_fetch_add(&M.hdr->fam_count[fam], 1,
		    __ATOMIC_RELAXED);
		__atomic_store_n(&s->state, S_READY, __ATOMIC_RELEASE);
		return (int)idx;
	}
	__atomic_fetch_add(&M.hdr->dropped, 1, __ATOMIC_RELAXED);
	return -1;
}

/* The series of a label set, with the family's cap applied. */
static int
series_for(unsigned fam, va_list ap)
{
	const struct sg_metrics_family	*f = &sg_metrics_families[fam];
	const char		*v[SG_METRICS_LABELS] = { NULL, NULL, NULL };
	char			 key[KEY_MAX];
	size_t			 i;
	int			 idx;

	for (i = 0; i < f->nlabels; i++)
		v[i] = va_arg(ap, const char *);
	make_key(f, v, 0, key, sizeof(key));
	if ((idx = series_find(fam, key, 0)) >= 0)
		return idx;
	/* New: within the cap, or the family's overflow set. */
	if (__atomic_load_n(&M.hdr->fam_count[fam], __ATOMIC_RELAXED) >=
	    f->cap - (f->nlabels > 0 ? 1 : 0) && !key_is_overflow(f, key))
		make_key(f, v, 1, key, sizeof(key));
	return series_find(fam, key, 1);
}

static uint64_t *
cells_of(int idx)
{
	int	 slot;

	if ((slot = slot_get()) < 0)
		return NULL;
	return &M.cells[(size_t)slot * SG_METRICS_CELLS +
	    M.series[idx].cell];
}

void
sg_metrics_add(enum sg_metric fam, uint64_t n, ...)
{
	va_list		 ap;
	uint64_t	*c;
	int		 idx;

	if (M.map == NULL || (unsigned)fam >= SG_M_COUNT ||
	    sg_metrics_families[fam].type != T_COUNTER)
		return;
	va_start(ap, n);
	idx = series_for(fam, ap);
	va_end(ap);
	if (idx < 0 || (c = cells_of(idx)) == NULL)
		return;
	(void)__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

void
sg_metrics_observe(enum sg_metric fam, int64_t us, ...)
{
	va_list		 ap;
	uint64_t	*c;
	size_t		 b;
	int		 idx;

	if (M.map == NULL || (unsigned)fam >= SG_M_COUNT ||
	    sg_metrics_families[fam].type != T_HISTOGRAM)
		return;
	va_start(ap, us);
	idx = series_for(fam, ap);
	va_end(ap);
	if (idx < 0 || (c = cells_of(idx)) == NULL)
		return;
	if (us < 0)
		us = 0;
	for (b = 0; b < NBUCKETS - 1 && us > bucket_us[b]; b++)
		continue;
	(void)__atomic_fetch_add(&c[b], 1, __ATOMIC_RELAXED);
	(void)__atomic_fetch_add(&c[NBUCKETS], (uint64_t)us,
	    __ATOMIC_RELAXED);
	(void)__atomic_fetch_add(&c[NBUCKETS + 1], 1, __ATOMIC_RELAXED);
}

/* Sum of one cell of a series over every slot. */
static uint64_t
cell_sum(const struct shm_series *s, size_t k)
{
	uint64_t	 t = 0;
	size_t		 slot;

	for (slot = 0; slot < SG_METRICS_SLOTS; slot++)
		t += __atomic_load_n(&M.cells[slot * SG_METRICS_CELLS +
		    s->cell + k], __ATOMIC_RELAXED);
	return t;
}

uint64_t
sg_metrics_get(enum sg_metric fam, ...)
{
	const struct sg_metrics_family	*f;
	const char		*v[SG_METRICS_LABELS] = { NULL, NULL, NULL };
	va_list			 ap;
	char			 key[KEY_MAX];
	uint64_t		 t = 0;
	size_t			 i;
	struct shm_series	*s;

	if (M.map == NULL || (unsigned)fam >= SG_M_COUNT)
		return 0;
	f = &sg_metrics_families[fam];
	va_start(ap, fam);
	for (i = 0; i < f->nlabels; i++)
		v[i] = va_arg(ap, const char *);
	va_end(ap);
	make_key(f, v, 0, key, sizeof(key));
	/* Every copy of the key (a crashed claimer can leave two). */
	for (i = 0; i < SG_METRICS_SERIES; i++) {
		s = &M.series[i];
		if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != S_READY ||
		    s->family != (uint16_t)fam || strcmp(s->key, key) != 0)
			continue;
		t += cell_sum(s, f->type == T_HISTOGRAM ? NBUCKETS + 1 : 0);
	}
	return t;
}

/* ---- exposition ------------------------------------------------------ */

struct buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
	int	 bad;
};

static void __attribute__((format(printf, 2, 3)))
bprintf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	*np;
	int	 n;

	if (b->bad)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->bad = 1;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		if ((np = realloc(b->p, b->cap * 2 + (size_t)n)) == NULL) {
			b->bad = 1;
			return;
		}
		b->p = np;
		b->cap = b->cap * 2 + (size_t)n;
	}
}

/* One summed series, for sorting and merging. */
struct row {
	unsigned	 fam;
	char		 key[KEY_MAX];
	uint64_t	 v[HIST_CELLS];
};

static int
row_cmp(const void *a, const void *b)
{
	const struct row	*x = a, *y = b;

	if (x->fam != y->fam)
		return x->fam < y->fam ? -1 : 1;
	return strcmp(x->key, y->key);
}

/* name{a="x",b="y"[,extra]} from a family and a key. */
static void
labels_out(struct buf *b, const struct sg_metrics_family *f, const char *key,
    const char *extra)
{
	const char	*p = key, *e;
	size_t		 i, n = f->nlabels + (f->with_service ? 1 : 0);
	int		 first = 1;

	if (n == 0 && extra == NULL)
		return;
	bprintf(b, "{");
	for (i = 0; i < n && p != NULL; i++) {
		e = strchr(p, ',');
		bprintf(b, "%s%s=\"%.*s\"", first ? "" : ",",
		    f->with_service && i == 0 ? "service" :
		    f->labels[i - (f->with_service ? 1 : 0)],
		    (int)(e != NULL ? (size_t)(e - p) : strlen(p)), p);
		first = 0;
		p = e != NULL ? e + 1 : NULL;
	}
	if (extra != NULL)
		bprintf(b, "%s%s", first ? "" : ",", extra);
	bprintf(b, "}");
}

/* le="0.00025": microseconds as seconds, no exponent, no trailing 0. */
static void
le_format(char *buf, size_t size, int64_t us)
{
	char	 frac[8];
	size_t	 n;

	(void)snprintf(frac, sizeof(frac), "%06lld", (long long)(us % 1000000));
	for (n = strlen(frac); n > 0 && frac[n - 1] == '0'; n--)
		frac[n - 1] = '\0';
	(void)snprintf(buf, size, "le=\"%lld%s%s\"", (long long)(us / 1000000),
	    n > 0 ? "." : "", frac);
}

static void
row_out(struct buf *b, const struct row *r)
{
	const struct sg_metrics_family	*f = &sg_metrics_families[r->fam];
	char			 le[48];
	uint64_t		 cum = 0;
	size_t			 k;

	if (f->type == T_COUNTER) {
		bprintf(b, "%s", f->name);
		labels_out(b, f, r->key, NULL);
		bprintf(b, " %llu\n", (unsigned long long)r->v[0]);
		return;
	}
	/* Histograms: name ends in _seconds; buckets are cumulative. */
	for (k = 0; k < NBUCKETS; k++) {
		cum += r->v[k];
		if (k < NBUCKETS - 1)
			le_format(le, sizeof(le), bucket_us[k]);
		else
			(void)snprintf(le, sizeof(le), "le=\"+Inf\"");
		bprintf(b, "%s_bucket", f->name);
		labels_out(b, f, r->key, le);
		bprintf(b, " %llu\n", (unsigned long long)cum);
	}
	bprintf(b, "%s_sum", f->name);
	labels_out(b, f, r->key, NULL);
	bprintf(b, " %.6f\n", (double)r->v[NBUCKETS] / 1e6);
	bprintf(b, "%s_count", f->name);
	labels_out(b, f, r->key, NULL);
	bprintf(b, " %llu\n", (unsigned long long)r->v[NBUCKETS + 1]);
}

char *
sg_metrics_render(const struct sg_metrics_gauge *g, size_t ng, size_t *len,
    struct sg_err *err)
{
	struct buf		 b = { NULL, 0, 0, 0 };
	struct row		*rows = NULL;
	struct shm_series	*s;
	const struct sg_metrics_family	*f;
	size_t			 i, k, n = 0, m, r;
	uint32_t		 used = 0;

	*len = 0;
	if (M.map == NULL) {
		sg_err_set(err, SG_EUNAVAIL, "metrics_disabled",
		    "SANDGATE_METRICS_DIR is not set");
		return NULL;
	}
	if ((rows = calloc(SG_METRICS_SERIES, sizeof(*rows))) == NULL ||
	    (b.p = malloc(b.cap = 16384)) == NULL)
		goto nomem;
	b.p[0] = '\0';
	for (i = 0; i < SG_METRICS_SERIES; i++) {
		s = &M.series[i];
		if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != S_READY ||
		    s->family >= SG_M_COUNT)
			continue;
		rows[n].fam = s->family;
		(void)strlcpy(rows[n].key, s->key, sizeof(rows[n].key));
		m = sg_metrics_families[s->family].type == T_HISTOGRAM ? HIST_CELLS : 1;
		for (k = 0; k < m; k++)
			rows[n].v[k] = cell_sum(s, k);
		n++;
	}
	qsort(rows, n, sizeof(*rows), row_cmp);
	/* Merge the copies of one key (a claimer that died half-way). */
	for (i = 0, m = 0; i < n; i++) {
		if (m > 0 && row_cmp(&rows[m - 1], &rows[i]) == 0) {
			for (k = 0; k < HIST_CELLS; k++)
				rows[m - 1].v[k] += rows[i].v[k];
			continue;
		}
		if (m != i)
			rows[m] = rows[i];
		m++;
	}
	n = m;
	for (i = 0, r = 0; i < SG_M_COUNT; i++) {
		f = &sg_metrics_families[i];
		bprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help,
		    f->name, f->type == T_COUNTER ? "counter" : "histogram");
		if (r >= n || rows[r].fam != i) {
			/* An unlabelled counter is 0 before its first add. */
			if (f->type == T_COUNTER && f->nlabels == 0 &&
			    !f->with_service)
				bprintf(&b, "%s 0\n", f->name);
			continue;
		}
		for (; r < n && rows[r].fam == i; r++)
			row_out(&b, &rows[r]);
	}
	for (i = 0; i < SG_METRICS_SLOTS; i++)
		if (!pid_dead(__atomic_load_n(&M.hdr->slot_pid[i],
		    __ATOMIC_RELAXED)))
			used++;
	/*
	 * The info-metric idiom: a constant 1 whose label carries the
	 * release, so a query can join it onto any series or alert on a
	 * mix of versions during a rollout.
	 */
	bprintf(&b, "# HELP sandgate_build_info The sandgate release this "
	    "process runs.\n"
	    "# TYPE sandgate_build_info gauge\n"
	    "sandgate_build_info{version=\"%s\"} 1\n", SG_VERSION);
	/*
	 * The Prometheus client convention: the start of the process that
	 * answers the scrape, so a restart shows even where counters,
	 * which live in the shared file, do not fall back to 0.
	 */
	bprintf(&b, "# HELP process_start_time_seconds Start time of the "
	    "process since unix epoch in seconds.\n"
	    "# TYPE process_start_time_seconds gauge\n"
	    "process_start_time_seconds %lld\n", (long long)metrics_start_s);
	bprintf(&b, "# HELP sandgate_metrics_processes Processes that hold a "
	    "slot of the metrics file and still run.\n"
	    "# TYPE sandgate_metrics_processes gauge\n"
	    "sandgate_metrics_processes %u\n", used);
	bprintf(&b, "# HELP sandgate_metrics_dropped_total Additions not "
	    "recorded because the metrics file was full.\n"
	    "# TYPE sandgate_metrics_dropped_total counter\n"
	    "sandgate_metrics_dropped_total %u\n",
	    __atomic_load_n(&M.hdr->dropped, __ATOMIC_RELAXED));
	for (i = 0; i < ng; i++)
		bprintf(&b, "# HELP %s %s\n# TYPE %s gauge\n%s %.17g\n",
		    g[i].name, g[i].help, g[i].name, g[i].name, g[i].value);
	if (b.bad)
		goto nomem;
	free(rows);
	*len = b.len;
	return b.p;
nomem:
	free(rows);
	free(b.p);
	sg_err_set(err, SG_ENOMEM, "out_of_memory", "out of memory");
	return NULL;
}
