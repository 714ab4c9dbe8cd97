/* SPDX-License-Identifier: ISC */
/*
 * The stored session object (lib/session.c; docs/contract.md §7.2): Redis
 * holds JSON that other tools may write, so sg_session_from_json reads
 * hostile text.  What it accepts obeys session.h's rules, and writing it
 * back (sg_session_to_json) gives an object that reads to the same
 * struct: the format round-trips.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "claims.h"
#include "hosts.h"
#include "json.h"
#include "session.h"
#include "fuzz.h"

static void
check(const struct sg_session *s)
{
	struct sg_hostlist	 l;
	uint8_t			 a[16];
	size_t			 i;

	FZ_ASSERT(sg_id_valid(s->container_id) && sg_id_valid(s->user_id),
	    "ids");
	FZ_ASSERT(sg_uuid_valid(s->org), "org");
	FZ_ASSERT(sg_id_valid(s->jti), "jti");
	FZ_ASSERT(strlen(s->token_sha256) == 64 &&
	    strspn(s->token_sha256, "0123456789abcdef") == 64, "sha256");
	FZ_ASSERT(s->container_ip[0] == '\0' ||
	    inet_pton(AF_INET, s->container_ip, a) == 1 ||
	    inet_pton(AF_INET6, s->container_ip, a) == 1, "ip");
	FZ_ASSERT(strlen(s->docker_id) <= 64 && strspn(s->docker_id,
	    "0123456789abcdef") == strlen(s->docker_id), "docker_id");
	for (i = 0; s->image[i] != '\0'; i++)
		FZ_ASSERT(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS"
		    "TUVWXYZ0123456789._/:@-", s->image[i]) != NULL, "image");
	FZ_ASSERT(s->created_at > 0 && s->created_at <= s->expires_at &&
	    s->expires_at < (INT64_C(1) << 40), "times");
	if (s->allowed_hosts != NULL) {
		sg_hostlist_init(&l);
		FZ_ASSERT(sg_hosts_parse(s->allowed_hosts,
		    strlen(s->allowed_hosts), &l, NULL) == SG_OK,
		    "allowed_hosts %s does not parse", s->allowed_hosts);
		sg_hostlist_clear(&l);
	}
}

static int
same(const struct sg_session *a, const struct sg_session *b)
{
	const char	*ha = a->allowed_hosts ? a->allowed_hosts : "";
	const char	*hb = b->allowed_hosts ? b->allowed_hosts : "";

	return strcmp(a->container_id, b->container_id) == 0 &&
	    strcmp(a->user_id, b->user_id) == 0 &&
	    strcmp(a->org, b->org) == 0 && strcmp(a->jti, b->jti) == 0 &&
	    strcmp(a->token_sha256, b->token_sha256) == 0 &&
	    strcmp(ha, hb) == 0 &&
	    strcmp(a->container_ip, b->container_ip) == 0 &&
	    strcmp(a->docker_id, b->docker_id) == 0 &&
	    strcmp(a->image, b->image) == 0 &&
	    a->created_at == b->created_at && a->expires_at == b->expires_at;
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct sg_session	 s, s2;
	struct sg_err		 err;
	cJSON			*j = NULL, *o = NULL, *j2 = NULL;
	char			*txt = NULL;

	if (n > SG_SESSION_MAX_JSON)
		return 0;
	if ((j = sg_json_parse_object((const char *)d, n, NULL)) == NULL)
		return 0;
	sg_session_init(&s);
	sg_session_init(&s2);
	sg_err_clear(&err);
	if (sg_session_from_json(j, &s, &err) != SG_OK) {
		FZ_ASSERT(err.rc == SG_ENOMEM || (err.rc == SG_EUPSTREAM &&
		    err.code != NULL && strcmp(err.code, "bad_session") == 0),
		    "rc %d", (int)err.rc);
		FZ_ASSERT(s.allowed_hosts == NULL && s.container_id[0] == '\0',
		    "failed read left data");
		goto out;
	}
	check(&s);
	o = sg_session_to_json(&s);
	FZ_ASSERT(o != NULL, "to_json");
	txt = sg_json_print(o);
	FZ_ASSERT(txt != NULL, "print");
	j2 = sg_json_parse_object(txt, strlen(txt), NULL);
	FZ_ASSERT(j2 != NULL, "own output is not strict JSON: %s", txt);
	sg_err_clear(&err);
	FZ_ASSERT(sg_session_from_json(j2, &s2, &err) == SG_OK,
	    "own output refused (%s): %s", err.msg, txt);
	FZ_ASSERT(same(&s, &s2), "round trip changed the session: %s", txt);
out:
	sg_session_clear(&s2);
	sg_session_clear(&s);
	free(txt);
	cJSON_Delete(j2);
	cJSON_Delete(o);
	cJSON_Delete(j);
	return 0;
}
