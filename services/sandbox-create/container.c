/* SPDX-License-Identifier: ISC */
/*
 * sandbox-create: the Docker create body of a hardened sandbox
 * (docs/contract.md §6.1) and its wiping.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "create.h"
#include "create-int.h"
#include "crypto.h"
#include "json.h"

/* The capabilities a sandbox keeps (docs/contract.md §6.1). */
const char *const create_cap_add[] = {
	"CHOWN", "SETUID", "SETGID", "NET_BIND_SERVICE", NULL
};

/* Name resolution: none (create.h, CREATE_DNS_SERVER). */
const char *const create_dns_servers[] = { CREATE_DNS_SERVER, NULL };
const char *const create_dns_search[] = { CREATE_DNS_SEARCH, NULL };
const char *const create_dns_options[] = { CREATE_DNS_OPTIONS, NULL };

/*
 * IPv6 off in the sandbox (create-int.h).  Docker's enable_icc=false
 * drops bridge traffic between sandboxes for IPv4 only, and every
 * interface gets a link-local fe80:: address (RFC 4862 5.3) even on a
 * network without IPv6: "all" covers the interfaces present when the
 * runtime applies it, "default" any added later.
 */
const char *const create_sysctls[] = {
	"net.ipv6.conf.all.disable_ipv6", "1",
	"net.ipv6.conf.default.disable_ipv6", "1",
	NULL
};

static int
add_strings(cJSON *obj, const char *name, const char *const *v)
{
	cJSON	*a;
	size_t	 i;

	if ((a = cJSON_AddArrayToObject(obj, name)) == NULL)
		return -1;
	for (i = 0; v[i] != NULL; i++)
		if (!cJSON_AddItemToArray(a, cJSON_CreateString(v[i])))
			return -1;
	return 0;
}

/* Append "<a><b>" to arr; the text may hold the token, so wipe it. */
static int
add_env(cJSON *arr, const char *a, const char *b)
{
	char	 buf[PROXY_URL_MAX + 32];
	int	 n;

	n = snprintf(buf, sizeof(buf), "%s%s", a, b);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -1;
	n = cJSON_AddItemToArray(arr, cJSON_CreateString(buf)) ? 0 : -1;
	sg_cleanse(buf, sizeof(buf));
	return n;
}

/*
 * JAVA_TOOL_OPTIONS: the JDK reads no proxy variable, only the system
 * properties http(s).proxyHost/Port and http.nonProxyHosts (the JDK's
 * "Networking Properties"); the empty disabledSchemes lists undo the
 * JDK's default (8u111 on) of refusing Basic proxy credentials, so Basic
 * works for CONNECT (tunneling) and for plain requests (proxying).  No
 * credentials here: the JVM prints this variable to stderr ("Picked up
 * JAVA_TOOL_OPTIONS"), so the token stays in HTTPS_PROXY, where the
 * tools image's agent (deploy/image/tools/) reads it.
 */
static int
add_java_env(cJSON *arr, const char *hostport)
{
	char		 buf[1024];
	char		 host[300];
	const char	*colon = strrchr(hostport, ':');
	size_t		 hl;
	int		 n;

	if (colon == NULL || (hl = (size_t)(colon - hostport)) >= sizeof(host))
		return -1;
	memcpy(host, hostport, hl);
	host[hl] = '\0';
	n = snprintf(buf, sizeof(buf), "JAVA_TOOL_OPTIONS="
	    "-Dhttp.proxyHost=%s -Dhttp.proxyPort=%s "
	    "-Dhttps.proxyHost=%s -Dhttps.proxyPort=%s "
	    "-Dhttp.nonProxyHosts=localhost|127.0.0.1 "
	    "-Djdk.http.auth.tunneling.disabledSchemes= "
	    "-Djdk.http.auth.proxying.disabledSchemes=",
	    host, colon + 1, host, colon + 1);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -1;
	return cJSON_AddItemToArray(arr, cJSON_CreateString(buf)) ? 0 : -1;
}

const char *
create_proxy_of(const struct app *app, const char *engine)
{
	const struct sg_engine	*e;

	e = app->engines != NULL ? sg_engines_find(app->engines, engine) :
	    NULL;
	return e != NULL && e->proxy[0] != '\0' ? e->proxy :
	    app->proxy_hostport;
}

int
create_secret_base_url(const struct app *app, const char *engine,
    const char *name, char *buf, size_t size)
{
	int	 n;

	n = snprintf(buf, size, "http://%s/broker/%s",
	    create_proxy_of(app, engine), name);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/*
 * Per secret NAME_BASE_URL (docs/secrets.md, "The sandbox's side"): the
 * broker's path on the egress proxy; the value stays outside.
 */
static int
add_secret_env(const struct app *app, const char *engine, cJSON *env,
    const struct create_spec *s)
{
	char	 var[SG_SECRET_NAME_MAX + 16], url[400];
	size_t	 i;

	for (i = 0; i < s->nsecrets; i++) {
		(void)snprintf(var, sizeof(var), "%s_BASE_URL=",
		    s->secrets[i].name);
		if (create_secret_base_url(app, engine, s->secrets[i].name, url,
		    sizeof(url)) == -1 || add_env(env, var, url) == -1)
			return -1;
	}
	return 0;
}

cJSON *
create_config(const struct app *app, const char *engine,
    const struct create_spec *s, const char *id, const char *token,
    int64_t expires_at)
{
	const struct sg_cfg	*cfg = app->cfg;
	cJSON			*c = NULL, *hc, *env, *labels;
	cJSON			*tmpfs, *binds, *sysctls;
	const char		*net;
	char			 proxy[PROXY_URL_MAX];
	char			 buf[PATH_MAX + 64];
	char			 num[32];
	int			 n;

	net = s->hosts.n > 0 ? cfg->network : "none";
	proxy[0] = '\0';
	n = snprintf(proxy, sizeof(proxy), "http://container_%s:jwt_%s@%s",
	    id, token, create_proxy_of(app, engine));
	if (n < 0 || (size_t)n >= sizeof(proxy))
		goto fail;

	if ((c = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(c, "Image", s->image) == NULL ||
	    cJSON_AddStringToObject(c, "User", CREATE_SANDBOX_USER) == NULL ||
	    cJSON_AddNumberToObject(c, "StopTimeout",
	    SG_DOCKER_STOP_GRACE) == NULL ||
	    (env = cJSON_AddArrayToObject(c, "Env")) == NULL ||
	    add_env(env, "CONTAINER_ID=", id) == -1 ||
	    add_env(env, "HTTP_PROXY=", proxy) == -1 ||
	    add_env(env, "HTTPS_PROXY=", proxy) == -1 ||
	    add_env(env, "http_proxy=", proxy) == -1 ||
	    add_env(env, "https_proxy=", proxy) == -1 ||
	    add_env(env, "NO_PROXY=", "localhost,127.0.0.1") == -1 ||
	    /*
	     * What common clients read instead (docs/contract.md §6.1):
	     * lower-case no_proxy (curl, wget, Go read only one spelling
	     * each), npm its own config from npm_config_* variables.
	     */
	    add_env(env, "no_proxy=", "localhost,127.0.0.1") == -1 ||
	    add_env(env, "npm_config_proxy=", proxy) == -1 ||
	    add_env(env, "npm_config_https_proxy=", proxy) == -1 ||
	    add_java_env(env, create_proxy_of(app, engine)) == -1 ||
	    add_secret_env(app, engine, env, s) == -1 ||
	    (labels = cJSON_AddObjectToObject(c, "Labels")) == NULL ||
	    cJSON_AddStringToObject(labels, SG_LABEL_CONTAINER_ID, id) ==
	    NULL ||
	    cJSON_AddStringToObject(labels, SG_LABEL_USER_ID, s->user_id) ==
	    NULL)
		goto fail;
	(void)snprintf(num, sizeof(num), "%" PRId64, expires_at);
	if (cJSON_AddStringToObject(labels, SG_LABEL_EXPIRES_AT, num) == NULL)
		goto fail;

	if ((hc = cJSON_AddObjectToObject(c, "HostConfig")) == NULL ||
	    cJSON_AddStringToObject(hc, "Runtime", cfg->runtime) == NULL ||
	    add_strings(hc, "CapDrop",
	    (const char *const[]){ "ALL", NULL }) == -1 ||
	    add_strings(hc, "CapAdd", create_cap_add) == -1 ||
	    add_strings(hc, "SecurityOpt",
	    (const char *const[]){ "no-new-privileges:true", NULL }) == -1 ||
	    cJSON_AddBoolToObject(hc, "ReadonlyRootfs", 1) == NULL ||
	    cJSON_AddBoolToObject(hc, "Privileged", 0) == NULL ||
	    sg_json_add_int(hc, "Memory", cfg->memory_bytes) == -1 ||
	    /* Equal to Memory: no swap on top of the limit. */
	    sg_json_add_int(hc, "MemorySwap", cfg->memory_bytes) == -1 ||
	    sg_json_add_int(hc, "NanoCpus", cfg->nano_cpus) == -1 ||
	    sg_json_add_int(hc, "PidsLimit", cfg->pids_limit) == -1 ||
	    cJSON_AddStringToObject(hc, "NetworkMode", net) == NULL ||
	    add_strings(hc, "Dns", create_dns_servers) == -1 ||
	    add_strings(hc, "DnsSearch", create_dns_search) == -1 ||
	    add_strings(hc, "DnsOptions", create_dns_options) == -1 ||
	    cJSON_AddStringToObject(hc, "IpcMode", "private") == NULL ||
	    (sysctls = cJSON_AddObjectToObject(hc, "Sysctls")) == NULL ||
	    (tmpfs = cJSON_AddObjectToObject(hc, "Tmpfs")) == NULL ||
	    (binds = cJSON_AddArrayToObject(hc, "Binds")) == NULL)
		goto fail;
	for (n = 0; create_sysctls[n] != NULL; n += 2)
		if (cJSON_AddStringToObject(sysctls, create_sysctls[n],
		    create_sysctls[n + 1]) == NULL)
			goto fail;
	(void)snprintf(buf, sizeof(buf), "size=%s,mode=1777", cfg->tmpfs_size);
	if (cJSON_AddStringToObject(tmpfs, "/tmp", buf) == NULL)
		goto fail;
	n = snprintf(buf, sizeof(buf), "%s/users/%s/uploads:/mnt/uploads:ro",
	    cfg->data_root, s->user_id);
	if (n < 0 || (size_t)n >= sizeof(buf) ||
	    !cJSON_AddItemToArray(binds, cJSON_CreateString(buf)))
		goto fail;
	n = snprintf(buf, sizeof(buf), "%s/users/%s/outputs:/mnt/outputs:rw",
	    cfg->data_root, s->user_id);
	if (n < 0 || (size_t)n >= sizeof(buf) ||
	    !cJSON_AddItemToArray(binds, cJSON_CreateString(buf)))
		goto fail;
	n = snprintf(buf, sizeof(buf), "%s/skills:/mnt/skills:ro",
	    cfg->data_root);
	if (n < 0 || (size_t)n >= sizeof(buf) ||
	    !cJSON_AddItemToArray(binds, cJSON_CreateString(buf)))
		goto fail;
	if ((hc = cJSON_AddObjectToObject(hc, "RestartPolicy")) == NULL ||
	    cJSON_AddStringToObject(hc, "Name", "no") == NULL)
		goto fail;
	sg_cleanse(proxy, sizeof(proxy));
	return c;
fail:
	sg_cleanse(proxy, sizeof(proxy));
	create_config_free(c);
	return NULL;
}

static void
wipe_env(cJSON *env)
{
	cJSON	*e;

	cJSON_ArrayForEach(e, env)
		if (cJSON_IsString(e) && e->valuestring != NULL)
			sg_cleanse(e->valuestring, strlen(e->valuestring));
}

void
create_config_free(cJSON *c)
{
	cJSON	*cfg;

	if (c == NULL)
		return;
	/* The create body has Env on top, an inspect under Config. */
	wipe_env(cJSON_GetObjectItemCaseSensitive(c, "Env"));
	if ((cfg = cJSON_GetObjectItemCaseSensitive(c, "Config")) != NULL)
		wipe_env(cJSON_GetObjectItemCaseSensitive(cfg, "Env"));
	cJSON_Delete(c);
}
