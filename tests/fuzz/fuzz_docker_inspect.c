/* SPDX-License-Identifier: ISC */
/*
 * sandbox-create's check of what the daemon created
 * (create_check_inspect, services/sandbox-create/create.c;
 * docs/security.md 6.4): the inspect answer is hostile JSON from the
 * daemon's point of view.  The input is the inspect JSON.  Checked: a
 * container passes only with the hardening asked for (every cap dropped,
 * no-new-privileges, read-only root, not privileged), and the address it
 * returns is a literal or "".
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "create.h"
#include "json.h"
#include "fuzz.h"

static struct sg_cfg		 cfg;
static struct app	 app;
static struct create_spec	 spec[2];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sg_err	 err;
	int		 i;

	sg_cfg_defaults(&cfg);
	memset(&app, 0, sizeof(app));
	app.cfg = &cfg;
	app.now = FZ_NOW;
	sg_err_clear(&err);
	if (create_app_config(&app, &err) != SG_OK)
		FZ_FAIL("create_app_config: %s", err.msg);
	for (i = 0; i < 2; i++) {
		create_spec_init(&spec[i]);
		(void)snprintf(spec[i].user_id, sizeof(spec[i].user_id),
		    "user1");
		(void)snprintf(spec[i].org, sizeof(spec[i].org), FZ_ORG);
		(void)snprintf(spec[i].image, sizeof(spec[i].image), "%s",
		    cfg.image);
		spec[i].ttl = 3600;
	}
	/* spec 1 has hosts, so the sandbox is on the egress network */
	if (sg_hosts_parse("github.com", 10, &spec[1].hosts, NULL) != SG_OK)
		FZ_FAIL("hosts");
	return 0;
}

static int
has_str(const cJSON *arr, const char *s)
{
	const cJSON	*it;

	cJSON_ArrayForEach(it, arr)
		if (cJSON_IsString(it) && strcmp(it->valuestring, s) == 0)
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct sg_err	 err;
	cJSON		*j;
	const cJSON	*hc, *it;
	char		 ip[64];
	uint8_t		 a[16];
	int		 i;

	if (n > SG_DOCKER_MAX_BODY)
		return 0;
	if ((j = sg_json_parse((const char *)d, n, NULL)) == NULL)
		return 0;
	for (i = 0; i < 2; i++) {
		memset(ip, 'x', sizeof(ip));
		sg_err_clear(&err);
		if (create_check_inspect(&app, &spec[i], "sandbox_x", j, ip,
		    sizeof(ip), &err) != SG_OK) {
			FZ_ASSERT(err.rc != SG_OK, "refused without an error");
			continue;
		}
		FZ_ASSERT(memchr(ip, '\0', sizeof(ip)) != NULL, "ip unterminated");
		FZ_ASSERT(ip[0] == '\0' || inet_pton(AF_INET, ip, a) == 1 ||
		    inet_pton(AF_INET6, ip, a) == 1, "ip %s", ip);
		FZ_ASSERT(i == 1 || ip[0] == '\0', "address with network none");
		hc = sg_json_get(j, "HostConfig");
		FZ_ASSERT(cJSON_IsObject(hc), "no HostConfig accepted");
		it = sg_json_get(hc, "CapDrop");
		FZ_ASSERT(has_str(it, "ALL") || has_str(it, "CAP_ALL"),
		    "CapDrop without ALL accepted");
		it = sg_json_get(hc, "SecurityOpt");
		FZ_ASSERT(has_str(it, "no-new-privileges:true") ||
		    has_str(it, "no-new-privileges"),
		    "no-new-privileges missing");
		FZ_ASSERT(cJSON_IsTrue(sg_json_get(hc, "ReadonlyRootfs")),
		    "writable root accepted");
		FZ_ASSERT(cJSON_IsFalse(sg_json_get(hc, "Privileged")),
		    "privileged accepted");
		FZ_ASSERT(strcmp(sg_json_str(hc, "NetworkMode"), i == 0 ?
		    "none" : cfg.network) == 0, "network mode");
	}
	cJSON_Delete(j);
	return 0;
}
