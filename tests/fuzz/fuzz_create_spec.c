/* SPDX-License-Identifier: ISC */
/*
 * sandbox-create's body check and container configuration
 * (create_spec_parse, create_config; docs/contract.md §6.1): the body of
 * POST /v1/sandboxes is client JSON.  What is accepted has valid ids,
 * a UUID, patterns the host parser accepts, a lifetime within the
 * configured maximum and an allowed image; the configuration built from
 * it keeps every hardening setting, binds only below the data root with
 * the user's own directories, and uses network none exactly when there
 * are no hosts.  Its "secrets" (docs/secrets.md): at most
 * SG_SECRET_PER_SANDBOX, each passing sg_secret_check, names unique, a
 * NAME_BASE_URL per secret and no value anywhere in the configuration.
 * The same input is also read as a PUT .../secrets/{name} body
 * (create_secret_parse against a fixed allow-list).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "claims.h"
#include "create.h"
#include "json.h"
#include "secret.h"
#include "fuzz.h"

static struct sg_cfg		 cfg;
static struct app	 app;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sg_err	 err;

	sg_cfg_defaults(&cfg);
	(void)snprintf(cfg.images, sizeof(cfg.images),
	    "python:3.12-slim,registry.example/x@sha256:%064d", 0);
	memset(&app, 0, sizeof(app));
	app.cfg = &cfg;
	app.now = FZ_NOW;
	sg_err_clear(&err);
	if (create_app_config(&app, &err) != SG_OK)
		FZ_FAIL("create_app_config: %s", err.msg);
	return 0;
}

static int
has(const cJSON *arr, const char *s)
{
	const cJSON	*it;

	cJSON_ArrayForEach(it, arr)
		if (cJSON_IsString(it) && strcmp(it->valuestring, s) == 0)
			return 1;
	return 0;
}

static void
check_config(const struct create_spec *s, const cJSON *c)
{
	const cJSON	*hc, *b;
	char		 pre[600];
	size_t		 pl;

	hc = sg_json_get(c, "HostConfig");
	FZ_ASSERT(cJSON_IsObject(hc), "HostConfig");
	FZ_ASSERT(has(sg_json_get(hc, "CapDrop"), "ALL"), "CapDrop");
	FZ_ASSERT(has(sg_json_get(hc, "SecurityOpt"),
	    "no-new-privileges:true"), "no-new-privileges");
	FZ_ASSERT(cJSON_IsTrue(sg_json_get(hc, "ReadonlyRootfs")), "rootfs");
	FZ_ASSERT(cJSON_IsFalse(sg_json_get(hc, "Privileged")), "privileged");
	FZ_ASSERT(strcmp(sg_json_str(hc, "NetworkMode"), s->hosts.n == 0 ?
	    "none" : cfg.network) == 0, "network");
	FZ_ASSERT(strcmp(sg_json_str(c, "Image"), s->image) == 0, "image");
	(void)snprintf(pre, sizeof(pre), "%s/", cfg.data_root);
	pl = strlen(pre);
	cJSON_ArrayForEach(b, sg_json_get(hc, "Binds")) {
		FZ_ASSERT(cJSON_IsString(b) && strncmp(b->valuestring, pre,
		    pl) == 0, "bind outside the data root");
		FZ_ASSERT(strstr(b->valuestring, "..") == NULL &&
		    strstr(b->valuestring, "//") == NULL, "bind %s",
		    b->valuestring);
		if (strncmp(b->valuestring + pl, "users/", 6) == 0)
			FZ_ASSERT(strncmp(b->valuestring + pl + 6, s->user_id,
			    strlen(s->user_id)) == 0 &&
			    b->valuestring[pl + 6 + strlen(s->user_id)] == '/',
			    "bind of another user's directory");
	}
}

static void
check_secrets(const struct create_spec *s, const cJSON *c)
{
	const cJSON	*e, *env = sg_json_get(c, "Env");
	char		 want[128];
	size_t		 i, k;

	FZ_ASSERT(s->nsecrets <= SG_SECRET_PER_SANDBOX, "too many secrets");
	FZ_ASSERT(s->nsecrets == 0 || s->hosts.n > 0, "secret without hosts");
	for (i = 0; i < s->nsecrets; i++) {
		FZ_ASSERT(sg_secret_check(&s->secrets[i], NULL) == SG_OK,
		    "secret %zu breaks the limits", i);
		for (k = 0; k < i; k++)
			FZ_ASSERT(strcmp(s->secrets[k].name,
			    s->secrets[i].name) != 0, "name twice");
		(void)snprintf(want, sizeof(want),
		    "%s_BASE_URL=http://%s/broker/%s", s->secrets[i].name,
		    app.proxy_hostport, s->secrets[i].name);
		FZ_ASSERT(has(env, want), "no %s", want);
		/* values long enough not to match by chance */
		if (strlen(s->secrets[i].value) < 12)
			continue;
		cJSON_ArrayForEach(e, env)
			FZ_ASSERT(strstr(e->valuestring,
			    s->secrets[i].value) == NULL, "a value in Env");
	}
}

/* The input as a PUT body: name from the "path", hosts fixed. */
static void
check_put(cJSON *j)
{
	static const char hl[] = "api.example.com,*.x.org:8443";
	struct sg_hostlist	 hosts;
	struct sg_secret	 sec;
	struct sg_err		 err;

	if (sg_json_get(j, "name") == NULL &&
	    cJSON_AddStringToObject(j, "name", "EXAMPLE") == NULL)
		return;
	sg_hostlist_init(&hosts);
	sg_err_clear(&err);
	FZ_ASSERT(sg_hosts_parse(hl, sizeof(hl) - 1, &hosts, &err) == SG_OK,
	    "hosts");
	sg_err_clear(&err);
	if (create_secret_parse(&cfg, &hosts, j, &sec, &err) == SG_OK) {
		FZ_ASSERT(sg_secret_check(&sec, NULL) == SG_OK, "PUT limits");
		FZ_ASSERT(strcmp(sec.host, "api.example.com") == 0 ||
		    strstr(sec.host, ".x.org:8443") != NULL,
		    "PUT host %s not allowed", sec.host);
	} else
		FZ_ASSERT(err.rc == SG_EINVAL && (strcmp(err.code,
		    "bad_secret") == 0 || strcmp(err.code,
		    "secret_host_not_allowed") == 0), "PUT rc %d", (int)err.rc);
	sg_hostlist_clear(&hosts);
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct create_spec	 s;
	struct sg_err		 err;
	cJSON			*j, *c;
	const char		*p;
	int			 ok;

	if (n > SG_HTTP_MAX_BODY)
		return 0;
	if ((j = sg_json_parse_object((const char *)d, n, NULL)) == NULL)
		return 0;
	create_spec_init(&s);
	sg_err_clear(&err);
	if (create_spec_parse(&cfg, j, &s, &err) == SG_OK) {
		FZ_ASSERT(sg_id_valid(s.user_id), "user_id");
		FZ_ASSERT(sg_uuid_valid(s.org), "org");
		FZ_ASSERT(s.hosts.n <= SG_HOSTS_MAX, "hosts");
		FZ_ASSERT(s.ttl >= 1 && s.ttl <= (cfg.token_max_ttl >= 3600 ?
		    cfg.token_max_ttl : 3600), "ttl %lld", (long long)s.ttl);
		ok = strcmp(s.image, cfg.image) == 0;
		for (p = cfg.images; !ok && *p != '\0';
		    p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
			size_t l = strcspn(p, ",");

			ok = strlen(s.image) == l && strncmp(p, s.image, l) == 0;
		}
		FZ_ASSERT(ok, "image %s not allowed", s.image);
		c = create_config(&app, "", &s, "sandbox_x", "eyJ.eyJ.sig",
		    FZ_NOW + s.ttl);
		FZ_ASSERT(c != NULL, "create_config");
		check_config(&s, c);
		check_secrets(&s, c);
		create_config_free(c);
	} else
		FZ_ASSERT(err.rc == SG_EINVAL || err.rc == SG_ENOMEM,
		    "rc %d", (int)err.rc);
	create_spec_clear(&s);
	check_put(j);
	cJSON_Delete(j);
	return 0;
}
