/* SPDX-License-Identifier: ISC */
/*
 * sandgate reap [--dry-run] [--loop SECONDS]
 *
 * Destroys every sandgate container (label sandgate.container_id) whose
 * sandgate.expires_at has passed or whose session is gone (an orphan left
 * by a crash between create and the session write), then prunes user
 * index entries whose session expired.  A container without a session
 * whose id still holds a live reservation of its user's is a create in
 * progress, not an orphan: it is skipped ("skip ID: create in progress")
 * until the create writes its session or the reservation runs out.  With --loop it repeats every
 * SECONDS until SIGTERM or SIGINT, so no sandbox outlives its token by
 * more than one period (docs/contract.md §6.4); and it wakes early, at
 * the next sandgate.expires_at it saw, so that a sandbox is reaped
 * (and its tunnels cut) within a fraction of a second of its expiry.
 *
 * Open connections: before any container is removed, every host socket
 * whose peer is one of a victim's addresses is cut (lib/tunnel.h), all
 * victims first, so that a slow stop of one does not hold the others'
 * tunnels open.  Cutting needs CAP_NET_ADMIN; without it the failure is
 * reported on stderr and the pass goes on (the tunnels end with the
 * container).  Only containers with a
 * bind mount under SANDGATE_DATA_ROOT are considered: that is how
 * deployments sharing a Docker host are told apart.  One line per action on
 * stdout; problems on stderr; exit 1 if the last pass had a failure, 2
 * on a usage error or a bad configuration (cmd.h).
 */
#include "config.h"

#include <inttypes.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cfg.h"
#include "claims.h"
#include "cmd.h"
#include "compat.h"
#include "docker.h"
#include "engines.h"
#include "json.h"
#include "lock.h"
#include "log.h"
#include "num.h"
#include "ops.h"
#include "sandbox.h"
#include "session.h"
#include "tunnel.h"

#define LOOP_MAX_S	86400
#define NAP_MS		100	/* sleep step of --loop */
/*
 * How long a reaper may hold a sandbox's lock (lib/lock.h): longer than
 * any teardown (stop grace plus Docker's timeouts), short enough that a
 * reaper that died holding it delays the sandbox's removal only that
 * long.
 */
#define LOCK_TTL_MS	120000

/* A container to reap, found in the first half of a pass. */
struct victim {
	const char	*did, *cid, *user, *why;
	char		 lock[SG_LOCK_NAME_MAX + 1];
	char		 token[SG_LOCK_TOKEN_LEN + 1];
};

static volatile sig_atomic_t	reap_stop;

static void
on_signal(int sig)
{
	(void)sig;
	reap_stop = 1;
}

/* On stdout when asked for (--help, exit 0), else on stderr (exit 2). */
static void
usage(FILE *f)
{
	fprintf(f, "usage: sandgate reap [--dry-run] [--loop SECONDS]\n");
}

/* SANDGATE_SIGNING_KEY, when set: reaped trails are sealed with it. */
static struct sg_key	*seal_key;

static int
teardown(struct sg_docker *d, struct sg_redis *r, const char *did,
    const char *cid, const char *user, struct sg_err *err)
{
	if (sg_sandbox_teardown(d, r, did, cid, user, err) != SG_OK)
		return -1;
	sg_sandbox_seal(r, seal_key, cid, "sandgate-reap", "sandbox_reaped");
	/*
	 * An orphan's sandbox-create died before its session write, still
	 * holding a slot of the user's limit (lib/session.h, reserve):
	 * give it back now rather than at the reservation's deadline.  Best
	 * effort: the deadline frees it anyway.
	 */
	if (user != NULL)
		(void)sg_session_unreserve(r, user, cid, NULL);
	return 0;
}

/*
 * Whether a listed container belongs to this deployment: one of its bind
 * mounts lies under SANDGATE_DATA_ROOT.  Several sandgate deployments
 * (or test runs) may share one Docker host, each with its own Redis: a
 * container of another one would look like an orphan here.
 */
static int
ours(const cJSON *c, const char *root)
{
	const cJSON	*m;
	const char	*src;
	size_t		 n = strlen(root);

	while (n > 1 && root[n - 1] == '/')
		n--;
	cJSON_ArrayForEach(m, sg_json_get(c, "Mounts")) {
		if ((src = sg_json_str(m, "Source")) == NULL)
			continue;
		if (strncmp(src, root, n) == 0 && src[n] == '/')
			return 1;
	}
	return 0;
}

/*
 * Whether a live container without a session is an orphan: *why =
 * "orphan" if so, NULL if its session exists.  A container whose
 * sandbox-create still runs has no session yet, but its id holds the
 * user's reservation (lib/session.h, reserve) until the create has
 * written the session: SG_ECONFLICT then, and it must be left alone.  The
 * create reserves before it creates the container and unreserves only
 * after the session write, so the reservation is read first and the
 * session after it: read the other way round, a create finishing
 * between the two reads would look like an orphan.  Any Redis failure
 * is returned: never remove on a guess.
 */
static enum sg_rc
orphan(struct sg_redis *r, const char *cid, const char *user,
    const char **why, struct sg_err *err)
{
	struct sg_session	 sess;
	enum sg_rc		 rc;
	int			 live = 0;

	*why = NULL;
	sg_err_clear(err);
	/* Without a user label there is no reservation to look up. */
	if (user != NULL &&
	    (rc = sg_session_reserved(r, user, cid, &live, err)) != SG_OK)
		return rc;
	sg_session_init(&sess);
	sg_err_clear(err);
	rc = sg_session_get(r, cid, &sess, err);
	sg_session_clear(&sess);
	if (rc == SG_ENOENT) {
		if (live)
			return SG_ECONFLICT;
		*why = "orphan";
		return SG_OK;
	}
	return rc;
}

/*
 * Cut the connections of every address of a listed container (its
 * NetworkSettings.Networks).  Returns the number of failures.
 */
static int
cut(const cJSON *c, const char *cid)
{
	struct sg_err	 err;
	const cJSON	*n;
	const char	*ip;
	size_t		 k;
	int		 fails = 0, i;

	cJSON_ArrayForEach(n, sg_json_get(sg_json_get(c, "NetworkSettings"),
	    "Networks")) {
		for (i = 0; i < 2; i++) {
			ip = sg_json_str(n, i == 0 ? "IPAddress" :
			    "GlobalIPv6Address");
			if (ip == NULL || ip[0] == '\0')
				continue;
			sg_err_clear(&err);
			k = 0;
			if (sg_tunnel_cut(ip, &k, &err) != SG_OK) {
				fprintf(stderr, "sandgate reap: %s: cannot cut "
				    "connections of %s: %s\n", cid, ip,
				    err.msg);
				fails++;
			}
			if (k > 0)
				printf("cut %s %zu connections\n", cid, k);
		}
	}
	return fails;
}

/*
 * Several gateway nodes run a reaper each against one Redis and one
 * Docker engine: the sandbox's lock makes one of them do its teardown.
 * Taken (1), someone else has it (0), or unknown (-1: Redis failed;
 * never remove on a guess).  A reaper that listed the container before
 * another removed it takes the lock after the other released it, so
 * the container is looked up again under the lock: gone is done.
 */
static int
lock_victim(struct sg_docker *d, struct sg_redis *r, struct victim *v)
{
	struct sg_err	 err;
	cJSON		*info = NULL;
	enum sg_rc	 rc;
	int		 got = 0, rel;

	(void)snprintf(v->lock, sizeof(v->lock), "reap:%s", v->cid);
	sg_err_clear(&err);
	if (sg_lock_take(r, v->lock, LOCK_TTL_MS, v->token, &got,
	    &err) != SG_OK) {
		fprintf(stderr, "sandgate reap: %s: cannot lock: %s\n",
		    v->cid, err.msg);
		return -1;
	}
	if (!got) {
		printf("skip %s: another reaper has it\n", v->cid);
		return 0;
	}
	sg_err_clear(&err);
	rc = sg_docker_container_inspect(d, v->did, &info, &err);
	cJSON_Delete(info);
	if (rc == SG_OK)
		return 1;
	if (rc == SG_ENOENT)
		printf("skip %s: already reaped\n", v->cid);
	else
		fprintf(stderr, "sandgate reap: %s: cannot inspect: %s\n",
		    v->cid, err.msg);
	(void)sg_lock_release(r, v->lock, v->token, &rel, NULL);
	v->token[0] = '\0';
	return rc == SG_ENOENT ? 0 : -1;
}

/* Release the locks the victims hold (only ours: lib/lock.h). */
static void
unlock_victims(struct sg_redis *r, struct victim *vs, size_t nv)
{
	struct sg_err	 err;
	size_t		 i;
	int		 rel;

	for (i = 0; i < nv; i++) {
		if (vs[i].token[0] == '\0')
			continue;
		sg_err_clear(&err);
		if (sg_lock_release(r, vs[i].lock, vs[i].token, &rel,
		    &err) != SG_OK)
			fprintf(stderr, "sandgate reap: %s: cannot unlock "
			    "(it ends in %d s): %s\n", vs[i].cid,
			    LOCK_TTL_MS / 1000, err.msg);
		vs[i].token[0] = '\0';
	}
}

/* The second half of a pass: tear the victims down; the failures. */
static int
reap_victims(struct sg_docker *d, struct sg_redis *r, struct victim *vs,
    size_t nv)
{
	struct sg_err	 err;
	size_t		 i;
	int		 fails = 0;

	for (i = 0; i < nv && !reap_stop; i++) {
		sg_err_clear(&err);
		if (teardown(d, r, vs[i].did, vs[i].cid, vs[i].user,
		    &err) == -1) {
			printf("failed %s %s: %s\n", vs[i].cid, vs[i].why,
			    err.msg);
			fails++;
		} else {
			printf("reaped %s %s\n", vs[i].cid, vs[i].why);
			/* metrics and the audit trail only (lib/ops.h) */
			sg_log_record("sandbox_reaped", "container_id",
			    vs[i].cid, "user_id", vs[i].user != NULL ?
			    vs[i].user : "", "reason", vs[i].why, (char *)NULL);
		}
		fflush(stdout);
	}
	unlock_victims(r, vs, nv);
	return fails;
}

/*
 * One pass over one engine; returns the number of failures.  *next gets
 * the earliest expiry still ahead among the containers kept (0 if none)
 * when it is earlier than what it held.
 */
static int
reap_engine(struct sg_engine *eng, struct sg_redis *r, const char *root,
    int dry, int64_t *next)
{
	struct sg_docker	*d = eng->docker;
	struct sg_err		 err;
	cJSON			*list = NULL;
	const cJSON		*c, *labels;
	const char		*did, *cid, *user, *exps, *why;
	struct victim		*vs = NULL;
	int64_t			 exp;
	size_t			 kept = 0, foreign = 0, nv = 0;
	time_t			 now = time(NULL);
	int			 fails = 0, rc2;
	enum sg_rc		 rc;

	sg_err_clear(&err);
	if (sg_docker_container_list(d, SG_LABEL_CONTAINER_ID, &list,
	    &err) != SG_OK) {
		/* Its sandboxes keep their sessions: reported, not lost. */
		if (eng->name[0] != '\0')
			printf("engine %s unavailable: its sandboxes are "
			    "kept\n", eng->name);
		fprintf(stderr, "sandgate reap: %s%scannot list containers: "
		    "%s\n", eng->name, eng->name[0] != '\0' ? ": " : "",
		    err.msg);
		return 1;
	}
	if ((vs = calloc((size_t)cJSON_GetArraySize(list) + 1,
	    sizeof(*vs))) == NULL) {
		fprintf(stderr, "sandgate reap: out of memory\n");
		cJSON_Delete(list);
		return 1;
	}
	cJSON_ArrayForEach(c, list) {
		if (reap_stop)
			break;
		if (!ours(c, root)) {
			foreign++;
			continue;
		}
		did = sg_json_str(c, "Id");
		labels = sg_json_get(c, "Labels");
		cid = sg_json_str(labels, SG_LABEL_CONTAINER_ID);
		user = sg_json_str(labels, SG_LABEL_USER_ID);
		exps = sg_json_str(labels, SG_LABEL_EXPIRES_AT);
		if (did == NULL || !sg_docker_name_valid(did) ||
		    cid == NULL || !sg_id_valid(cid)) {
			fprintf(stderr, "sandgate reap: skipped a container "
			    "with unusable labels\n");
			fails++;
			continue;
		}
		if (user != NULL && !sg_id_valid(user))
			user = NULL;
		why = NULL;
		if (exps == NULL || sg_num_parse(exps, 0, INT64_C(1) << 40,
		    &exp) == -1)
			why = "bad_expiry";	/* cannot be trusted: reap */
		else if (exp <= (int64_t)now)
			why = "expired";
		else {
			rc = orphan(r, cid, user, &why, &err);
			if (rc == SG_ECONFLICT) {
				printf("skip %s: create in progress\n", cid);
				fflush(stdout);
				kept++;
				continue;
			}
			if (rc != SG_OK) {
				/* Cannot tell: never remove on a guess. */
				fprintf(stderr, "sandgate reap: %s: session "
				    "unknown: %s\n", cid, err.msg);
				fails++;
				continue;
			}
		}
		if (why == NULL) {
			kept++;
			if (exps != NULL && sg_num_parse(exps, 0,
			    INT64_C(1) << 40, &exp) == 0 &&
			    (*next == 0 || exp < *next))
				*next = exp;
			continue;
		}
		if (dry) {
			printf("would reap %s %s\n", cid, why);
			continue;
		}
		vs[nv].did = did;
		vs[nv].cid = cid;
		vs[nv].user = user;
		vs[nv].why = why;
		if ((rc2 = lock_victim(d, r, &vs[nv])) != 1) {
			fails += rc2 == -1;
			continue;
		}
		/* The tunnels at once; the slow part (stop) afterwards. */
		fails += cut(c, cid);
		nv++;
	}
	fflush(stdout);
	fails += reap_victims(d, r, vs, nv);
	free(vs);
	cJSON_Delete(list);

	if (eng->name[0] != '\0')
		printf("engine %s: kept %zu\n", eng->name, kept);
	else
		printf("kept %zu\n", kept);
	if (foreign > 0)
		printf("ignored %zu of other data roots\n", foreign);
	fflush(stdout);
	return fails;
}

/*
 * One pass: every engine, then the index.  Returns the number of
 * failures; *next as reap_engine's, over all engines.
 */
static int
reap_once(struct sg_engines *es, struct sg_redis *r, const char *root,
    int dry, int64_t *next)
{
	struct sg_err	 err;
	size_t		 i, pruned = 0;
	int		 fails = 0;

	*next = 0;
	for (i = 0; i < es->n && !reap_stop; i++)
		fails += reap_engine(&es->e[i], r, root, dry, next);
	if (!dry && !reap_stop) {
		sg_err_clear(&err);
		if (sg_session_prune(r, &pruned, &err) != SG_OK) {
			fprintf(stderr, "sandgate reap: cannot prune index: "
			    "%s\n", err.msg);
			fails++;
		} else if (pruned > 0)
			printf("pruned %zu index entries\n", pruned);
	}
	fflush(stdout);
	return fails;
}

int
cmd_reap(int argc, char *argv[])
{
	static struct sg_cfg	 cfg;
	struct sg_engines	*es = NULL;
	struct sg_redis		*r = NULL;
	struct sigaction	 sa;
	struct sg_err		 err;
	struct timespec		 nap = { 0, NAP_MS * 1000000L };
	int64_t			 loop = 0, next, until;
	int			 i, dry = 0, fails = 0, ret = SG_EXIT_USAGE;

	(void)setlocale(LC_NUMERIC, "C");
	/* argv[0] is "reap". */
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return SG_EXIT_OK;
		}
		if (strcmp(argv[i], "--dry-run") == 0 ||
		    strcmp(argv[i], "-n") == 0)
			dry = 1;
		else if (strcmp(argv[i], "--loop") == 0 && i + 1 < argc) {
			if (sg_num_parse(argv[++i], 1, LOOP_MAX_S, &loop) == -1) {
				fprintf(stderr, "sandgate reap: --loop wants "
				    "1 to %d seconds\n", LOOP_MAX_S);
				return SG_EXIT_USAGE;
			}
		} else if (strncmp(argv[i], "--loop=", 7) == 0) {
			if (sg_num_parse(argv[i] + 7, 1, LOOP_MAX_S,
			    &loop) == -1) {
				fprintf(stderr, "sandgate reap: --loop wants "
				    "1 to %d seconds\n", LOOP_MAX_S);
				return SG_EXIT_USAGE;
			}
		} else {
			usage(stderr);
			return SG_EXIT_USAGE;
		}
	}

	sg_err_clear(&err);
	if (sg_cfg_load(&cfg, &err) != SG_OK) {
		fprintf(stderr, "sandgate reap: %s\n", err.msg);
		return SG_EXIT_USAGE;	/* bad configuration */
	}
	sg_log_init("sandgate-reap", cfg.log_level);
	if (sg_ops_init(&cfg, "sandgate-reap", &err) != SG_OK) {
		fprintf(stderr, "sandgate reap: %s\n", err.msg);
		return SG_EXIT_USAGE;
	}
	if (sg_redis_new(cfg.redis, cfg.redis_timeout_ms, &r, &err) != SG_OK ||
	    sg_engines_new(&cfg, &es, &err) != SG_OK) {
		fprintf(stderr, "sandgate reap: %s\n", err.msg);
		ret = SG_EXIT_USAGE;
		goto out;
	}

	/*
	 * Not fatal: a reaper that cannot read the key still reaps (its
	 * unit passes the key as a credential; docs/operations.md).
	 */
	if (cfg.signing_key[0] != '\0' && (sg_key_load_pem(cfg.signing_key,
	    &seal_key, &err) != SG_OK || !sg_key_is_private(seal_key))) {
		sg_log(SG_LOG_WARN, "audit_seal_disabled", "detail",
		    err.msg[0] != '\0' ? err.msg : "not a private key",
		    (char *)NULL);
		sg_key_free(seal_key);
		seal_key = NULL;
		sg_err_clear(&err);
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);

	for (;;) {
		fails = reap_once(es, r, cfg.data_root, dry, &next);
		if (loop == 0 || reap_stop)
			break;
		/*
		 * Until the period is over or the next expiry comes, in
		 * short steps so SIGTERM ends the wait at once.  The labels
		 * count whole seconds and a sandbox is expired at
		 * expires_at <= now, so waking at that second is in time.
		 */
		until = (int64_t)time(NULL) + loop;
		if (next > 0 && next < until)
			until = next;
		while (!reap_stop && (int64_t)time(NULL) < until)
			(void)nanosleep(&nap, NULL);
		if (reap_stop)
			break;
	}
	ret = fails > 0 ? SG_EXIT_FAIL : SG_EXIT_OK;
out:
	sg_key_free(seal_key);
	seal_key = NULL;
	sg_engines_free(es);
	sg_redis_free(r);
	sg_ops_close();
	return ret;
}
