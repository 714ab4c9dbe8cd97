/* SPDX-License-Identifier: ISC */
/*
 * chain_cost: what chaining adds to one decision's audit entry, in
 * process (bench/chain.sh runs it next to verify_decide's decision cost).
 *
 *   bench/chain_cost REDIS_URL old|new [N [BATCH]]
 *
 * new: N decision lines through sg_audit_send, as token-verify writes
 * them (the shared XADD plus the per-sandbox copy through the chain
 * script: canonical form, SHA-256, EVALSHA), pushed every BATCH entries
 * (default 1) as a worker pushes them before each wait for requests:
 * BATCH is how many requests it served per wake-up.  old: the same N entries as
 * the code before chaining sent them (XADD shared, XADD per-sandbox,
 * EXPIRE).  Prints {"mode","n","cpu_ns_per_entry"}: this process's CPU
 * time per entry, until Redis has taken everything.  Redis's own CPU is
 * read around each run by bench/chain.sh (INFO cpu).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "audit.h"
#include "num.h"
#include "redis.h"

#define CID	"sandbox_AAAAAAAAAAAAAAAAAAAAAA"

static double
cpu_ns(void)
{
	struct timespec	 ts;

	(void)clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static cJSON *
line(int64_t i)
{
	cJSON	*o = cJSON_CreateObject();
	char	 tgt[64];

	(void)snprintf(tgt, sizeof(tgt), "host%lld.example:443", (long long)i);
	cJSON_AddStringToObject(o, "ts", "2026-12-03T17:11:02.360Z");
	cJSON_AddStringToObject(o, "service", "token-verify");
	cJSON_AddStringToObject(o, "level", "info");
	cJSON_AddStringToObject(o, "event", "decision");
	cJSON_AddStringToObject(o, "mode", "egress");
	cJSON_AddStringToObject(o, "decision", "allow");
	cJSON_AddStringToObject(o, "reason", "ok");
	cJSON_AddNumberToObject(o, "status", 200);
	cJSON_AddStringToObject(o, "container_id", CID);
	cJSON_AddStringToObject(o, "jti", "j8jxiVSIHZuvQGGzcZLn6A");
	cJSON_AddStringToObject(o, "sub", "loaduser");
	cJSON_AddStringToObject(o, "target", tgt);
	cJSON_AddStringToObject(o, "client", "127.0.0.1");
	cJSON_AddNumberToObject(o, "latency_us", (double)(i % 100));
	return o;
}

/* The pre-chain writer: its three commands, argv built the same way. */
static void
old_send(struct sg_redis_sender *s, const cJSON *o)
{
	const char	*argv[6 + 2 * SG_AUDIT_MAX_FIELDS], *exp[3];
	char		 num[SG_AUDIT_MAX_FIELDS][32];
	const cJSON	*m;
	int		 argc = 0, nf = 0;

	argv[argc++] = "XADD";
	argv[argc++] = SG_AUDIT_STREAM;
	argv[argc++] = "MAXLEN";
	argv[argc++] = "~";
	argv[argc++] = "100000";
	argv[argc++] = "*";
	cJSON_ArrayForEach(m, o) {
		argv[argc++] = m->string;
		if (cJSON_IsNumber(m)) {
			(void)snprintf(num[nf], sizeof(num[nf]), "%lld",
			    (long long)m->valuedouble);
			argv[argc++] = num[nf++];
		} else
			argv[argc++] = m->valuestring;
	}
	(void)sg_redis_send(s, argc, argv, NULL, SG_AUDIT_MAX_PENDING, NULL,
	    NULL);
	argv[1] = SG_AUDIT_SANDBOX_PREFIX CID;
	argv[4] = "10000";
	(void)sg_redis_send(s, argc, argv, NULL, SG_AUDIT_MAX_PENDING, NULL,
	    NULL);
	exp[0] = "EXPIRE";
	exp[1] = argv[1];
	exp[2] = "604800";
	(void)sg_redis_send(s, 3, exp, NULL, SG_AUDIT_MAX_PENDING, NULL, NULL);
}

int
main(int argc, char *argv[])
{
	struct sg_redis_sender	*s = NULL;
	struct sg_audit		*a = NULL;
	cJSON			*o;
	int64_t			 n = 20000, batch = 1, i;
	double			 t0, t;
	int			 new;

	if (argc < 3 || (strcmp(argv[2], "old") != 0 &&
	    strcmp(argv[2], "new") != 0) || (argc > 3 &&
	    sg_num_parse(argv[3], 1, 10000000, &n) == -1) || (argc > 4 &&
	    sg_num_parse(argv[4], 1, SG_AUDIT_BATCH_MAX, &batch) == -1)) {
		fprintf(stderr,
		    "usage: chain_cost REDIS_URL old|new [N [BATCH]]\n");
		return 78;
	}
	new = strcmp(argv[2], "new") == 0;
	if (new ? sg_audit_new(argv[1], 100000, &a, NULL) != SG_OK :
	    sg_redis_sender_new(argv[1], 1000, &s, NULL) != SG_OK) {
		fprintf(stderr, "chain_cost: cannot set up\n");
		return 1;
	}
	t0 = cpu_ns();
	for (i = 0; i < n; i++) {
		o = line(i);
		if (new)
			(void)sg_audit_send(a, o, NULL, NULL);
		else
			old_send(s, o);
		cJSON_Delete(o);
		/* a worker that served BATCH requests, about to wait */
		if (new && i % batch == batch - 1)
			(void)sg_audit_push(a, NULL, NULL);
		/* as a worker between requests: the queue stays short */
		if (i % 64 == 63) {
			if (new)
				(void)sg_audit_flush(a, NULL, NULL);
			else
				(void)sg_redis_flush(s, NULL, NULL);
			if ((new ? sg_audit_pending(a) : sg_redis_pending(s)) >
			    256 * 1024)
				(void)usleep(1000);
		}
	}
	while ((new ? sg_audit_pending(a) : sg_redis_pending(s)) > 0) {
		if (new)
			(void)sg_audit_flush(a, NULL, NULL);
		else
			(void)sg_redis_flush(s, NULL, NULL);
		(void)usleep(1000);
	}
	t = cpu_ns() - t0;
	printf("{\"mode\":\"%s\",\"n\":%lld,\"batch\":%lld,"
	    "\"cpu_ns_per_entry\":%.0f}\n", argv[2], (long long)n,
	    (long long)batch, t / (double)n);
	sg_audit_free(a);
	sg_redis_sender_free(s);
	return 0;
}
