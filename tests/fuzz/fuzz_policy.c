/* SPDX-License-Identifier: ISC */
/*
 * The policy overlay (lib/policy.c; docs/contract.md §10): the PATCH
 * body is an operator's JSON and the stored form is read back from
 * Redis, so both parsers read hostile text.  What the overlay parser
 * accepts stays within its limits, what narrows a token is covered by
 * it, the stored form round-trips, and a decision on any target is one
 * of the documented reasons.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hosts.h"
#include "json.h"
#include "policy.h"
#include "fuzz.h"

#define TOKEN	"api.example.com,*.cdn.example.net,192.0.2.1:8080"

static const char *const uris[][2] = {
	{ "GET", "http://api.example.com/v1/x" },
	{ "POST", "http://api.example.com/v1/../x" },
	{ "CONNECT", "a.cdn.example.net:443" },
	{ "GET", "http://192.0.2.1:8080/%2e%2e/" },
	{ "HEAD", "http://b.cdn.example.net" },
};

static void
check(const struct sg_policy *p)
{
	size_t	 i, j;

	FZ_ASSERT(p->overlay && p->n <= SG_POLICY_MAX_HOSTS, "hosts");
	for (i = 0; i < p->n; i++) {
		FZ_ASSERT(p->rules[i].npaths <= SG_POLICY_MAX_PATHS, "paths");
		for (j = 0; j < p->rules[i].npaths; j++)
			FZ_ASSERT(p->rules[i].paths[j][0] == '/' &&
			    strlen(p->rules[i].paths[j]) <=
			    SG_POLICY_PATH_MAX, "path");
	}
}

static void
decide_all(const struct sg_policy *p, const struct sg_ports *dflt)
{
	struct sg_target	 t;
	const char		*r;
	size_t			 i;

	for (i = 0; i < sizeof(uris) / sizeof(uris[0]); i++) {
		if (sg_target_parse(uris[i][0], uris[i][1], &t, NULL) != SG_OK)
			continue;
		r = sg_policy_decide(p, uris[i][0], uris[i][1], &t, dflt, 100);
		FZ_ASSERT(r == NULL || strcmp(r, "host_not_allowed") == 0 ||
		    strcmp(r, "method_not_allowed") == 0 ||
		    strcmp(r, "path_not_allowed") == 0 ||
		    strcmp(r, "policy_expired") == 0, "reason %s", r);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct sg_policy	*p = NULL, *q = NULL;
	struct sg_hostlist	 l;
	struct sg_ports		 dflt;
	struct sg_err		 err;
	cJSON			*j = NULL, *o = NULL;
	size_t			 i;
	char			*a = NULL, *b = NULL;

	sg_hostlist_init(&l);
	if (n > SG_POLICY_MAX_BODY * 4 ||
	    (j = sg_json_parse((const char *)d, n, NULL)) == NULL)
		return 0;
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (q = calloc(1, sizeof(*q))) == NULL)
		goto out;
	FZ_ASSERT(sg_hosts_parse(TOKEN, strlen(TOKEN), &l, NULL) == SG_OK,
	    "token");
	FZ_ASSERT(sg_ports_parse("80,443", &dflt, NULL) == SG_OK, "ports");
	/* the stored form: anything read must print and read back */
	sg_err_clear(&err);
	if (sg_policy_from_json(j, q, &err) == SG_OK) {
		decide_all(q, &dflt);
		FZ_ASSERT((o = sg_policy_to_json(q, 0)) != NULL, "to_json");
		a = sg_json_print(o);
		cJSON_Delete(o);
		o = NULL;
	}
	free(a);
	a = NULL;
	/* the PATCH body */
	sg_err_clear(&err);
	if (sg_policy_parse_overlay(j, p, &err) != SG_OK) {
		FZ_ASSERT(err.rc == SG_EINVAL || err.rc == SG_ENOMEM,
		    "rc %d", (int)err.rc);
		goto out;
	}
	check(p);
	decide_all(p, &dflt);
	sg_err_clear(&err);
	if (sg_policy_narrows(p, &l, 2000000000, &err) == SG_OK)
		for (i = 0; i < p->n; i++)
			FZ_ASSERT(sg_policy_covered(&l, &p->rules[i].pat),
			    "narrows but not covered");
	FZ_ASSERT((o = sg_policy_to_json(p, 0)) != NULL, "to_json");
	a = sg_json_print(o);
	FZ_ASSERT(a != NULL, "print");
	sg_policy_clear(q);
	sg_err_clear(&err);
	FZ_ASSERT(sg_policy_from_json(o, q, &err) == SG_OK,
	    "own output refused (%s): %s", err.msg, a);
	cJSON_Delete(o);
	FZ_ASSERT((o = sg_policy_to_json(q, 0)) != NULL, "to_json 2");
	b = sg_json_print(o);
	FZ_ASSERT(b != NULL && strcmp(a, b) == 0, "round trip: %s / %s", a,
	    b);
out:
	sg_hostlist_clear(&l);
	free(a);
	free(b);
	sg_policy_free(p);
	sg_policy_free(q);
	cJSON_Delete(o);
	cJSON_Delete(j);
	return 0;
}
