/* SPDX-License-Identifier: ISC */
/*
 * sandbox-create: the check that the hardening asked for took effect,
 * read back from docker inspect.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "create.h"
#include "create-int.h"
#include "json.h"

/* Whether arr (strings) has s, with or without Docker's "CAP_" prefix. */
static int
has_str(const cJSON *arr, const char *s, int cap)
{
	const cJSON	*e;
	const char	*v;

	cJSON_ArrayForEach(e, arr) {
		if (!cJSON_IsString(e) || (v = e->valuestring) == NULL)
			continue;
		if (cap && strncmp(v, "CAP_", 4) == 0)
			v += 4;
		if (strcmp(v, s) == 0)
			return 1;
	}
	return 0;
}

/* Whether arr is exactly the strings of want, in order. */
static int
same_strings(const cJSON *arr, const char *const *want)
{
	const cJSON	*e;
	size_t		 i = 0;

	if (!cJSON_IsArray(arr))
		return 0;
	cJSON_ArrayForEach(e, arr) {
		if (want[i] == NULL || !cJSON_IsString(e) ||
		    e->valuestring == NULL ||
		    strcmp(e->valuestring, want[i]) != 0)
			return 0;
		i++;
	}
	return want[i] == NULL;
}

static enum sg_rc
refuse(struct sg_err *err, const char *what)
{
	return sg_err_set(err, SG_EUPSTREAM, "hardening_not_applied",
	    "docker did not apply %s", what);
}

static enum sg_rc
check_int(const cJSON *hc, const char *name, int64_t want, struct sg_err *err)
{
	struct sg_err	 e;
	int64_t		 v;

	sg_err_clear(&e);
	if (sg_json_int(hc, name, INT64_MIN / 2, INT64_MAX / 2, &v, &e) !=
	    SG_OK || v != want)
		return refuse(err, name);
	return SG_OK;
}

enum sg_rc
create_check_inspect(const struct app *app,
    const struct create_spec *s, const char *id, const cJSON *ins, char *ip,
    size_t size, struct sg_err *err)
{
	const struct sg_cfg	*cfg = app->cfg;
	const cJSON		*hc, *conf, *state, *arr, *e, *nets, *ep;
	const char		*v, *net;
	char			 name[SG_ID_MAX + 2];
	struct in_addr		 a4;
	size_t			 i;

	if (size > 0)
		ip[0] = '\0';
	net = s->hosts.n > 0 ? cfg->network : "none";
	hc = sg_json_get(ins, "HostConfig");
	conf = sg_json_get(ins, "Config");
	state = sg_json_get(ins, "State");
	if (!cJSON_IsObject(hc) || !cJSON_IsObject(conf) ||
	    !cJSON_IsObject(state))
		return refuse(err, "the settings (inspect is incomplete)");

	(void)snprintf(name, sizeof(name), "/%s", id);
	if ((v = sg_json_str(ins, "Name")) == NULL || strcmp(v, name) != 0)
		return refuse(err, "the name");
	if ((v = sg_json_str(sg_json_get(conf, "Labels"),
	    SG_LABEL_CONTAINER_ID)) == NULL || strcmp(v, id) != 0)
		return refuse(err, "the labels");
	if ((v = sg_json_str(conf, "User")) == NULL ||
	    strcmp(v, CREATE_SANDBOX_USER) != 0)
		return refuse(err, "User");
	if (!cJSON_IsTrue(sg_json_get(state, "Running")))
		return sg_err_set(err, SG_EUPSTREAM, "sandbox_not_running",
		    "the container is not running after start");

	if (!cJSON_IsFalse(sg_json_get(hc, "Privileged")))
		return refuse(err, "Privileged=false");
	if (!cJSON_IsTrue(sg_json_get(hc, "ReadonlyRootfs")))
		return refuse(err, "ReadonlyRootfs");
	arr = sg_json_get(hc, "CapDrop");
	if (!cJSON_IsArray(arr) || !has_str(arr, "ALL", 1))
		return refuse(err, "CapDrop ALL");
	arr = sg_json_get(hc, "CapAdd");
	if (arr != NULL && !cJSON_IsNull(arr)) {
		if (!cJSON_IsArray(arr))
			return refuse(err, "CapAdd");
		cJSON_ArrayForEach(e, arr) {
			v = cJSON_IsString(e) ? e->valuestring : NULL;
			if (v != NULL && strncmp(v, "CAP_", 4) == 0)
				v += 4;
			for (i = 0; v != NULL && create_cap_add[i] != NULL;
			    i++)
				if (strcmp(v, create_cap_add[i]) == 0)
					break;
			if (v == NULL || create_cap_add[i] == NULL)
				return refuse(err, "CapAdd");
		}
	}
	arr = sg_json_get(hc, "SecurityOpt");
	if (!cJSON_IsArray(arr) ||
	    !(has_str(arr, "no-new-privileges:true", 0) ||
	    has_str(arr, "no-new-privileges", 0)))
		return refuse(err, "no-new-privileges");
	if (check_int(hc, "PidsLimit", cfg->pids_limit, err) != SG_OK ||
	    check_int(hc, "Memory", cfg->memory_bytes, err) != SG_OK ||
	    check_int(hc, "MemorySwap", cfg->memory_bytes, err) != SG_OK ||
	    check_int(hc, "NanoCpus", cfg->nano_cpus, err) != SG_OK)
		return SG_EUPSTREAM;
	if ((v = sg_json_str(hc, "NetworkMode")) == NULL || strcmp(v, net) != 0)
		return refuse(err, "NetworkMode");
	/* A daemon that dropped these would forward the sandbox's queries. */
	if (!same_strings(sg_json_get(hc, "Dns"), create_dns_servers))
		return refuse(err, "Dns");
	if (!same_strings(sg_json_get(hc, "DnsSearch"), create_dns_search))
		return refuse(err, "DnsSearch");
	if (!same_strings(sg_json_get(hc, "DnsOptions"), create_dns_options))
		return refuse(err, "DnsOptions");
	if ((v = sg_json_str(hc, "Runtime")) == NULL ||
	    strcmp(v, cfg->runtime) != 0)
		return refuse(err, "Runtime");
	/* IPv6 off (container.c, create_sysctls). */
	for (i = 0; create_sysctls[i] != NULL; i += 2)
		if ((v = sg_json_str(sg_json_get(hc, "Sysctls"),
		    create_sysctls[i])) == NULL ||
		    strcmp(v, create_sysctls[i + 1]) != 0)
			return refuse(err, "Sysctls (IPv6 off)");

	if (s->hosts.n == 0)
		return SG_OK;
	/* The egress proxy binds the token to this address. */
	nets = sg_json_get(sg_json_get(ins, "NetworkSettings"), "Networks");
	ep = sg_json_get(nets, net);
	if ((v = sg_json_str(ep, "IPAddress")) == NULL ||
	    inet_pton(AF_INET, v, &a4) != 1 || strlcpy(ip, v, size) >= size)
		return sg_err_set(err, SG_EUPSTREAM, "no_container_address",
		    "the container has no address on %s", net);
	return SG_OK;
}
