/*
 * sandbox-create: validate the request, mint the container token, create
 * and start a hardened container, check that the hardening took effect,
 * record the session.  Any failure part-way undoes what was done: no
 * container, no session and no index entry is left behind (DESIGN.md,
 * Management API).  A crash part-way leaves a labelled container without
 * a session, which `sandgate reap` removes.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "claims.h"
#include "compat.h"
#include "create.h"
#include "crypto.h"
#include "json.h"
#include "jwt.h"
#include "clock.h"
#include "log.h"
#include "token.h"

#define ROUTE		"/v1/sandboxes"
#define LABEL_ID	"sandgate.container_id"
#define LABEL_USER	"sandgate.user_id"
#define LABEL_EXP	"sandgate.expires_at"
/* "http://container_<id>:jwt_<token>@host:port" */
#define PROXY_URL_MAX	(SG_JWT_MAX_LEN + 512)

/* The capabilities a sandbox keeps (DESIGN.md, Sandboxes). */
static const char *const cap_add[] = {
	"CHOWN", "SETUID", "SETGID", "NET_BIND_SERVICE", NULL
};

/* Name resolution: none (create.h, CREATE_DNS_SERVER). */
static const char *const dns_servers[] = { CREATE_DNS_SERVER, NULL };
static const char *const dns_search[] = { CREATE_DNS_SEARCH, NULL };
static const char *const dns_options[] = { CREATE_DNS_OPTIONS, NULL };

static const char *const body_fields[] = {
	"user_id", "organization_uuid", "allowed_hosts", "duration_hours",
	"image", "is_hipaa_regulated", "is_pci_compliant", NULL
};

static time_t
app_now(const struct create_app *app)
{
	return app->now != 0 ? app->now : time(NULL);
}

/*
 * "http://host:port[/]" into "host:port".  No userinfo, path, query or
 * anything a shell or URL parser could read twice.
 */
static enum sg_rc
parse_proxy_url(const char *url, char *out, size_t size, struct sg_err *err)
{
	const char	*p, *colon = NULL;
	size_t		 len, i;
	long		 port = 0;

	if (url == NULL || strncmp(url, "http://", 7) != 0)
		return sg_err_set(err, SG_EINVAL, "bad_config",
		    "SANDGATE_PROXY_URL must be http://host:port");
	p = url + 7;
	len = strlen(p);
	if (len > 0 && p[len - 1] == '/')
		len--;
	if (len == 0 || len >= size)
		return sg_err_set(err, SG_EINVAL, "bad_config",
		    "SANDGATE_PROXY_URL must be http://host:port");
	for (i = 0; i < len; i++) {
		if (p[i] == ':' && (p[0] != '[' || (i > 0 && p[i - 1] == ']')))
			colon = p + i;
		if (!((p[i] >= 'A' && p[i] <= 'Z') ||
		    (p[i] >= 'a' && p[i] <= 'z') ||
		    (p[i] >= '0' && p[i] <= '9') ||
		    p[i] == '.' || p[i] == '-' || p[i] == ':' ||
		    p[i] == '[' || p[i] == ']'))
			return sg_err_set(err, SG_EINVAL, "bad_config",
			    "SANDGATE_PROXY_URL has a character not allowed "
			    "in host:port");
	}
	if (colon == NULL || colon == p || colon + 1 == p + len)
		return sg_err_set(err, SG_EINVAL, "bad_config",
		    "SANDGATE_PROXY_URL needs an explicit port");
	for (i = (size_t)(colon + 1 - p); i < len; i++) {
		if (p[i] < '0' || p[i] > '9' || port > 65535)
			return sg_err_set(err, SG_EINVAL, "bad_config",
			    "SANDGATE_PROXY_URL has a bad port");
		port = port * 10 + (p[i] - '0');
	}
	if (port < 1 || port > 65535 || colon[1] == '0')
		return sg_err_set(err, SG_EINVAL, "bad_config",
		    "SANDGATE_PROXY_URL has a bad port");
	memcpy(out, p, len);
	out[len] = '\0';
	return SG_OK;
}

/* Whether image is SANDGATE_IMAGE or an element of SANDGATE_IMAGES. */
static int
image_allowed(const struct sg_cfg *cfg, const char *image)
{
	const char	*p, *e;
	size_t		 n = strlen(image);

	if (strcmp(image, cfg->image) == 0)
		return 1;
	for (p = cfg->images; *p != '\0'; p = *e == ',' ? e + 1 : e) {
		if ((e = strchr(p, ',')) == NULL)
			e = p + strlen(p);
		if ((size_t)(e - p) == n && strncmp(p, image, n) == 0)
			return 1;
	}
	return 0;
}

enum sg_rc
create_app_config(struct create_app *app, struct sg_err *err)
{
	const struct sg_cfg	*cfg = app->cfg;
	const char		*p, *e;
	char			 one[256];
	size_t			 i;

	if (parse_proxy_url(cfg->proxy_url, app->proxy_hostport,
	    sizeof(app->proxy_hostport), err) != SG_OK)
		return SG_EINVAL;
	/* The size goes into tmpfs mount options: no ',' may sneak in. */
	if (cfg->tmpfs_size[0] == '\0')
		return sg_err_set(err, SG_EINVAL, "bad_config",
		    "SANDGATE_TMPFS_SIZE is empty");
	for (i = 0; cfg->tmpfs_size[i] != '\0'; i++)
		if (!((cfg->tmpfs_size[i] >= '0' &&
		    cfg->tmpfs_size[i] <= '9') ||
		    strchr("kKmMgG", cfg->tmpfs_size[i]) != NULL))
			return sg_err_set(err, SG_EINVAL, "bad_config",
			    "SANDGATE_TMPFS_SIZE must be a number with an "
			    "optional k, m or g");
	if (!sg_docker_image_valid(cfg->image))
		return sg_err_set(err, SG_EINVAL, "bad_config",
		    "SANDGATE_IMAGE is not a valid image name");
	for (p = cfg->images; *p != '\0'; p = *e == ',' ? e + 1 : e) {
		if ((e = strchr(p, ',')) == NULL)
			e = p + strlen(p);
		if ((size_t)(e - p) >= sizeof(one))
			return sg_err_set(err, SG_EINVAL, "bad_config",
			    "SANDGATE_IMAGES has a name too long");
		memcpy(one, p, (size_t)(e - p));
		one[e - p] = '\0';
		if (!sg_docker_image_valid(one))
			return sg_err_set(err, SG_EINVAL, "bad_config",
			    "SANDGATE_IMAGES has an invalid image name");
	}
	if (!sg_docker_name_valid(cfg->network))
		return sg_err_set(err, SG_EINVAL, "bad_config",
		    "SANDGATE_NETWORK is not a valid network name");
	if (!sg_docker_name_valid(cfg->runtime))
		return sg_err_set(err, SG_EINVAL, "bad_config",
		    "SANDGATE_RUNTIME is not a valid runtime name");
	if (cfg->data_root[0] != '/')
		return sg_err_set(err, SG_EINVAL, "bad_config",
		    "SANDGATE_DATA_ROOT must be an absolute path");
	/* A bind spec is "src:dst:mode": the root must not hold a ':'. */
	if (strchr(cfg->data_root, ':') != NULL ||
	    strchr(cfg->data_root, ',') != NULL)
		return sg_err_set(err, SG_EINVAL, "bad_config",
		    "SANDGATE_DATA_ROOT must not contain ':' or ','");
	return SG_OK;
}

void
create_spec_init(struct create_spec *s)
{
	memset(s, 0, sizeof(*s));
	sg_hostlist_init(&s->hosts);
}

void
create_spec_clear(struct create_spec *s)
{
	sg_hostlist_clear(&s->hosts);
	memset(s, 0, sizeof(*s));
}

static int
known_field(const char *name)
{
	size_t	 i;

	for (i = 0; body_fields[i] != NULL; i++)
		if (strcmp(name, body_fields[i]) == 0)
			return 1;
	return 0;
}

static enum sg_rc
parse_bool(const cJSON *body, const char *name, int *out, struct sg_err *err)
{
	const cJSON	*v = sg_json_get(body, name);

	*out = 0;
	if (v == NULL)
		return SG_OK;
	if (!cJSON_IsBool(v))
		return sg_err_set(err, SG_EINVAL, "bad_field",
		    "%s must be true or false", name);
	*out = cJSON_IsTrue(v) ? 1 : 0;
	return SG_OK;
}

enum sg_rc
create_spec_parse(const struct sg_cfg *cfg, const cJSON *body,
    struct create_spec *s, struct sg_err *err)
{
	const cJSON	*f, *hosts, *h;
	const char	*str;
	char		*joined = NULL;
	struct sg_hostpat pat;
	struct sg_err	 e;
	int64_t		 hours, maxh;
	enum sg_rc	 rc = SG_EINVAL;
	int		 n;

	if (!cJSON_IsObject(body))
		return sg_err_set(err, SG_EINVAL, "bad_json",
		    "the body must be a JSON object");
	cJSON_ArrayForEach(f, body) {
		if (f->string == NULL || !known_field(f->string)) {
			if (f->string != NULL && sg_str_printable(f->string) &&
			    strlen(f->string) <= 40)
				return sg_err_set(err, SG_EINVAL,
				    "unknown_field", "unknown field \"%s\"",
				    f->string);
			return sg_err_set(err, SG_EINVAL, "unknown_field",
			    "unknown field");
		}
	}

	if (sg_json_get(body, "user_id") == NULL)
		return sg_err_set(err, SG_EINVAL, "missing_field",
		    "user_id is required");
	str = sg_json_str(body, "user_id");
	/* ^[A-Za-z0-9_-]{1,128}$: no '/', no '.', so safe as a path part. */
	if (str == NULL || !sg_id_valid(str))
		return sg_err_set(err, SG_EINVAL, "bad_field",
		    "user_id must match ^[A-Za-z0-9_-]{1,128}$");
	(void)strlcpy(s->user_id, str, sizeof(s->user_id));

	if (sg_json_get(body, "organization_uuid") == NULL)
		return sg_err_set(err, SG_EINVAL, "missing_field",
		    "organization_uuid is required");
	str = sg_json_str(body, "organization_uuid");
	if (str == NULL || !sg_uuid_valid(str))
		return sg_err_set(err, SG_EINVAL, "bad_field",
		    "organization_uuid must be a UUID");
	(void)strlcpy(s->org, str, sizeof(s->org));

	hosts = sg_json_get(body, "allowed_hosts");
	if (hosts == NULL)
		return sg_err_set(err, SG_EINVAL, "missing_field",
		    "allowed_hosts is required (it may be empty)");
	if (!cJSON_IsArray(hosts))
		return sg_err_set(err, SG_EINVAL, "bad_field",
		    "allowed_hosts must be an array of strings");
	n = 0;
	cJSON_ArrayForEach(h, hosts) {
		if (++n > SG_HOSTS_MAX)
			return sg_err_set(err, SG_EINVAL, "bad_field",
			    "allowed_hosts has more than %d entries",
			    SG_HOSTS_MAX);
		if (!cJSON_IsString(h) || h->valuestring == NULL)
			return sg_err_set(err, SG_EINVAL, "bad_field",
			    "allowed_hosts[%d] is not a string", n - 1);
		sg_err_clear(&e);
		if (sg_hostpat_parse(h->valuestring, strlen(h->valuestring),
		    &pat, &e) != SG_OK)
			return sg_err_set(err, SG_EINVAL, "bad_host_pattern",
			    "allowed_hosts[%d] is not a valid host pattern",
			    n - 1);
		sg_err_clear(&e);
		if (sg_hostlist_add(&s->hosts, &pat, &e) != SG_OK)
			return sg_err_set(err, e.rc == SG_ENOMEM ? SG_ENOMEM :
			    SG_EINVAL, "bad_field",
			    "allowed_hosts has too many entries");
	}
	if (s->hosts.n > 0) {
		if ((joined = sg_hostlist_join(&s->hosts)) == NULL)
			return sg_err_set(err, SG_ENOMEM, NULL,
			    "out of memory");
		if (strlen(joined) > SG_HOSTS_STR_MAX) {
			rc = sg_err_set(err, SG_EINVAL, "bad_field",
			    "allowed_hosts is longer than %d bytes",
			    SG_HOSTS_STR_MAX);
			goto out;
		}
	}

	maxh = cfg->token_max_ttl / 3600;
	if (maxh < 1)
		maxh = 1;
	sg_err_clear(&e);
	switch (sg_json_int(body, "duration_hours", 1, maxh, &hours, &e)) {
	case SG_OK:
		s->ttl = hours * 3600;
		break;
	case SG_ENOENT:
		s->ttl = cfg->token_ttl;
		if (s->ttl > cfg->token_max_ttl)
			s->ttl = cfg->token_max_ttl;
		break;
	default:
		rc = sg_err_set(err, SG_EINVAL, "bad_field",
		    "duration_hours must be an integer from 1 to %" PRId64,
		    maxh);
		goto out;
	}

	f = sg_json_get(body, "image");
	if (f == NULL)
		str = cfg->image;
	else if ((str = sg_json_str(body, "image")) == NULL) {
		rc = sg_err_set(err, SG_EINVAL, "bad_field",
		    "image must be a string");
		goto out;
	}
	if (!sg_docker_image_valid(str) || !image_allowed(cfg, str) ||
	    strlcpy(s->image, str, sizeof(s->image)) >= sizeof(s->image)) {
		rc = sg_err_set(err, SG_EINVAL, "image_not_allowed",
		    "image is not SANDGATE_IMAGE or listed in SANDGATE_IMAGES");
		goto out;
	}

	if (parse_bool(body, "is_hipaa_regulated", &s->hipaa, err) != SG_OK ||
	    parse_bool(body, "is_pci_compliant", &s->pci, err) != SG_OK)
		goto out;
	rc = SG_OK;
out:
	free(joined);
	return rc;
}

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

cJSON *
create_config(const struct create_app *app, const struct create_spec *s,
    const char *id, const char *token, int64_t expires_at)
{
	const struct sg_cfg	*cfg = app->cfg;
	cJSON			*c = NULL, *hc, *env, *labels;
	cJSON			*tmpfs, *binds;
	const char		*net;
	char			 proxy[PROXY_URL_MAX];
	char			 buf[PATH_MAX + 64];
	char			 num[32];
	int			 n;

	net = s->hosts.n > 0 ? cfg->network : "none";
	proxy[0] = '\0';
	n = snprintf(proxy, sizeof(proxy), "http://container_%s:jwt_%s@%s",
	    id, token, app->proxy_hostport);
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
	    (labels = cJSON_AddObjectToObject(c, "Labels")) == NULL ||
	    cJSON_AddStringToObject(labels, LABEL_ID, id) == NULL ||
	    cJSON_AddStringToObject(labels, LABEL_USER, s->user_id) == NULL)
		goto fail;
	(void)snprintf(num, sizeof(num), "%" PRId64, expires_at);
	if (cJSON_AddStringToObject(labels, LABEL_EXP, num) == NULL)
		goto fail;

	if ((hc = cJSON_AddObjectToObject(c, "HostConfig")) == NULL ||
	    cJSON_AddStringToObject(hc, "Runtime", cfg->runtime) == NULL ||
	    add_strings(hc, "CapDrop",
	    (const char *const[]){ "ALL", NULL }) == -1 ||
	    add_strings(hc, "CapAdd", cap_add) == -1 ||
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
	    add_strings(hc, "Dns", dns_servers) == -1 ||
	    add_strings(hc, "DnsSearch", dns_search) == -1 ||
	    add_strings(hc, "DnsOptions", dns_options) == -1 ||
	    cJSON_AddStringToObject(hc, "IpcMode", "private") == NULL ||
	    (tmpfs = cJSON_AddObjectToObject(hc, "Tmpfs")) == NULL ||
	    (binds = cJSON_AddArrayToObject(hc, "Binds")) == NULL)
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
create_check_inspect(const struct create_app *app,
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
	if ((v = sg_json_str(sg_json_get(conf, "Labels"), LABEL_ID)) == NULL ||
	    strcmp(v, id) != 0)
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
			for (i = 0; v != NULL && cap_add[i] != NULL; i++)
				if (strcmp(v, cap_add[i]) == 0)
					break;
			if (v == NULL || cap_add[i] == NULL)
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
	if (!same_strings(sg_json_get(hc, "Dns"), dns_servers))
		return refuse(err, "Dns");
	if (!same_strings(sg_json_get(hc, "DnsSearch"), dns_search))
		return refuse(err, "DnsSearch");
	if (!same_strings(sg_json_get(hc, "DnsOptions"), dns_options))
		return refuse(err, "DnsOptions");
	if ((v = sg_json_str(hc, "Runtime")) == NULL ||
	    strcmp(v, cfg->runtime) != 0)
		return refuse(err, "Runtime");

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

/*
 * Open (making it first if missing) the directory name below dirfd
 * without following a symlink.  A directory we make gets mode and
 * owner; one that exists must not be world-writable.
 */
static int
subdir(int dirfd, const char *name, mode_t mode, gid_t gid,
    struct sg_err *err)
{
	struct stat	 st;
	int		 fd, made = 0;

	if (mkdirat(dirfd, name, 0700) == 0)
		made = 1;
	else if (errno != EEXIST) {
		sg_err_set(err, SG_EINTERNAL, "data_dir",
		    "cannot make %.40s: %s", name, strerror(errno));
		return -1;
	}
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1) {
		sg_err_set(err, SG_EINTERNAL, "data_dir",
		    "cannot open %.40s: %s", name, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		sg_err_set(err, SG_EINTERNAL, "data_dir", "cannot stat %.40s",
		    name);
		goto fail;
	}
	if (made) {
		/* Only root can hand the group to the sandbox's gid. */
		if (geteuid() == 0 && fchown(fd, 0, gid) == -1) {
			sg_err_set(err, SG_EINTERNAL, "data_dir",
			    "cannot chown %.40s: %s", name, strerror(errno));
			goto fail;
		}
		if (fchmod(fd, mode) == -1) {
			sg_err_set(err, SG_EINTERNAL, "data_dir",
			    "cannot chmod %.40s: %s", name, strerror(errno));
			goto fail;
		}
	} else if ((st.st_mode & S_IWOTH) != 0) {
		sg_err_set(err, SG_EINTERNAL, "unsafe_data_dir",
		    "%.40s is world-writable", name);
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

enum sg_rc
create_dirs(const char *root, const char *user, struct sg_err *err)
{
	int		 rootfd = -1, users = -1, ufd = -1, fd = -1;
	enum sg_rc	 rc = SG_EINTERNAL;

	if (!sg_id_valid(user))
		return sg_err_set(err, SG_EINVAL, "bad_field", "bad user_id");
	if (mkdir(root, 0755) == -1 && errno != EEXIST) {
		sg_err_set(err, SG_EINTERNAL, "data_dir",
		    "cannot make SANDGATE_DATA_ROOT: %s", strerror(errno));
		goto out;
	}
	if ((rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		sg_err_set(err, SG_EINTERNAL, "data_dir",
		    "cannot open SANDGATE_DATA_ROOT: %s", strerror(errno));
		goto out;
	}
	if ((fd = subdir(rootfd, "skills", 0750, CREATE_SANDBOX_GID,
	    err)) == -1)
		goto out;
	close(fd);
	if ((users = subdir(rootfd, "users", 0755, 0, err)) == -1 ||
	    (ufd = subdir(users, user, 0755, 0, err)) == -1)
		goto out;
	if ((fd = subdir(ufd, "uploads", 0750, CREATE_SANDBOX_GID,
	    err)) == -1)
		goto out;
	close(fd);
	if ((fd = subdir(ufd, "outputs", 0770, CREATE_SANDBOX_GID,
	    err)) == -1)
		goto out;
	close(fd);
	fd = -1;
	rc = SG_OK;
out:
	if (ufd != -1)
		close(ufd);
	if (users != -1)
		close(users);
	if (rootfd != -1)
		close(rootfd);
	return rc;
}

static enum sg_rc
runtime_check(struct create_app *app, struct sg_err *err)
{
	enum sg_rc	 rc;

	if (sg_now_us() < app->runtime_ok_until)
		return SG_OK;
	rc = sg_docker_runtime_check(app->docker, app->cfg->runtime, err);
	if (rc == SG_OK)
		app->runtime_ok_until = sg_now_us() + CREATE_RUNTIME_CACHE_US;
	return rc;
}

/* Answer for a failure of a dependency: 503 when down, 502 when wrong. */
static void
fail_resp(struct sg_resp *resp, const char *step, const struct sg_err *err)
{
	const char	*code;

	code = err->code != NULL ? err->code : "internal_error";

	switch (err->rc) {
	case SG_EUNAVAIL:
	case SG_ETIMEOUT:
		sg_resp_error(resp, 503, code,
		    "a dependency is unavailable (%s); try again later", step);
		break;
	case SG_ENOMEM:
	case SG_EINTERNAL:
		sg_resp_error(resp, 500, code,
		    "the sandbox could not be created (%s)", step);
		break;
	default:
		sg_resp_error(resp, 502, code,
		    "the sandbox could not be created (%s)", step);
		break;
	}
}

static cJSON *
answer(const char *id, const struct sg_minted *m,
    const struct create_spec *s)
{
	cJSON	*a, *arr;
	char	 pat[SG_HOST_MAX + 16];
	size_t	 i;

	if ((a = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(a, "container_id", id) == NULL ||
	    cJSON_AddStringToObject(a, "token", m->token) == NULL ||
	    cJSON_AddStringToObject(a, "status", "running") == NULL ||
	    sg_json_add_int(a, "expires_at", m->exp) == -1 ||
	    (arr = cJSON_AddArrayToObject(a, "allowed_hosts")) == NULL)
		goto fail;
	for (i = 0; i < s->hosts.n; i++) {
		if (sg_hostpat_format(&s->hosts.v[i], pat, sizeof(pat)) < 0 ||
		    !cJSON_AddItemToArray(arr, cJSON_CreateString(pat)))
			goto fail;
	}
	return a;
fail:
	cJSON_Delete(a);
	return NULL;
}

void
create_handle(void *arg, struct sg_req *req, struct sg_resp *resp)
{
	struct create_app	*app = arg;
	struct create_spec	 spec;
	struct sg_mint_container mc;
	struct sg_minted	 minted;
	struct sg_session	 sess;
	struct sg_err		 err, e2;
	cJSON			*body = NULL, *config = NULL, *warn = NULL;
	cJSON			*ins = NULL, *ans = NULL;
	const char		*step = "validate", *sub;
	char			 id[SG_CONTAINER_ID_LEN + 1] = "";
	char			 did[SG_DOCKER_ID_MAX + 1] = "";
	char			 ip[64] = "";
	char			 lat[32], *hostsj = NULL;
	char			 us_prep[24], us_create[24], us_start[24];
	char			 us_inspect[24];
	int64_t			 t1 = 0, t2 = 0, t3 = 0;
	size_t			 count = 0;
	int64_t			 t0 = sg_now_us();
	time_t			 now = app_now(app);
	int			 created = 0, put_tried = 0, ok = 0;
	int			 reserved = 0;

	create_spec_init(&spec);
	memset(&minted, 0, sizeof(minted));
	sg_session_init(&sess);
	sg_err_clear(&err);
	sub = sg_req_param(req, "SG_SUB");

	if (req->path == NULL || strcmp(req->path, ROUTE) != 0) {
		sg_resp_error(resp, 404, "not_found", "no such route");
		goto done;
	}
	if (strcmp(req->method, "POST") != 0) {
		sg_resp_method(resp, "POST");
		goto done;
	}
	if (sg_req_auth(req, resp, "operator", "sandboxes:create") != 0)
		goto done;
	if (req->bodylen > SG_HTTP_MAX_BODY) {
		sg_resp_error(resp, 413, "payload_too_large",
		    "the body is over %d bytes", SG_HTTP_MAX_BODY);
		goto done;
	}
	if ((body = sg_req_json(req, resp)) == NULL)
		goto done;
	if (create_spec_parse(app->cfg, body, &spec, &err) != SG_OK) {
		if (err.rc == SG_ENOMEM)
			sg_resp_error(resp, 500, "out_of_memory",
			    "out of memory");
		else
			sg_resp_error(resp, 400, err.code, "%s", err.msg);
		goto done;
	}

	step = "token";
	if (sg_random_container_id(id, sizeof(id), &err) != SG_OK)
		goto fail;

	/*
	 * The count and the claim of a slot are one step in Redis
	 * (lib/session.h, reserve): concurrent creates for one user, in
	 * any number of processes, never pass the limit together.
	 */
	step = "limit";
	if (app->cfg->max_per_user > 0) {
		if (sg_session_reserve(app->redis, spec.user_id, id,
		    (size_t)app->cfg->max_per_user, CREATE_RESERVE_MS(app->cfg),
		    &count, &err) != SG_OK) {
			if (err.rc != SG_ELIMIT)
				goto fail;
			sg_resp_error(resp, 429, "too_many_sandboxes",
			    "user %s has %zu sandboxes, the limit is %d",
			    spec.user_id, count, app->cfg->max_per_user);
			goto done;
		}
		reserved = 1;
	}

	step = "runtime";
	if (runtime_check(app, &err) != SG_OK) {
		if (err.rc == SG_ENOENT) {
			sg_resp_error(resp, 503, "runtime_unavailable",
			    "the Docker daemon has no runtime \"%s\": register "
			    "it or change SANDGATE_RUNTIME",
			    app->cfg->runtime);
			goto logfail;
		}
		goto fail;
	}

	step = "directories";
	if (create_dirs(app->cfg->data_root, spec.user_id, &err) != SG_OK)
		goto fail;

	step = "token";
	memset(&mc, 0, sizeof(mc));
	mc.issuer = app->cfg->issuer;
	mc.sub = spec.user_id;
	mc.container_id = id;
	mc.org = spec.org;
	mc.hosts = &spec.hosts;
	mc.binding = 1;
	mc.hipaa = spec.hipaa;
	mc.pci = spec.pci;
	mc.ttl = spec.ttl;
	mc.now = now;
	if (sg_token_mint_container(app->key, &mc, &minted, &err) != SG_OK)
		goto fail;

	step = "create";
	if ((config = create_config(app, &spec, id, minted.token,
	    minted.exp)) == NULL) {
		sg_err_set(&err, SG_ENOMEM, NULL, "out of memory");
		goto fail;
	}
	t1 = sg_now_us();
	if (sg_docker_container_create(app->docker, id, config, did,
	    sizeof(did), &warn, &err) != SG_OK) {
		if (err.rc != SG_ENOENT)
			goto fail;
		/* 404 is a missing image or a missing network. */
		sg_err_clear(&e2);
		if (sg_docker_image_inspect(app->docker, spec.image, NULL,
		    &e2) == SG_ENOENT) {
			sg_resp_error(resp, 503, "image_unavailable",
			    "image %s is not on the Docker host and sandgate "
			    "never pulls", spec.image);
			goto logfail;
		}
		sg_resp_error(resp, 503, "network_unavailable",
		    "the Docker daemon could not attach the sandbox network: "
		    "check SANDGATE_NETWORK");
		goto logfail;
	}
	created = 1;
	if (warn != NULL) {
		/* e.g. a limit the kernel cannot enforce: refuse. */
		const cJSON	*w0 = cJSON_GetArrayItem(warn, 0);

		sg_err_set(&err, SG_EUPSTREAM, "docker_warning",
		    "docker warned: %.90s", cJSON_IsString(w0) &&
		    sg_str_printable(w0->valuestring) ? w0->valuestring : "?");
		goto fail;
	}

	step = "start";
	t2 = sg_now_us();
	if (sg_docker_container_start(app->docker, did, &err) != SG_OK) {
		/* Docker 20.10 checks the network only at start. */
		if (err.rc == SG_ENOENT && spec.hosts.n > 0) {
			sg_resp_error(resp, 503, "network_unavailable",
			    "the Docker daemon could not attach the sandbox "
			    "network: check SANDGATE_NETWORK");
			goto logfail;
		}
		goto fail;
	}

	step = "inspect";
	t3 = sg_now_us();
	if (sg_docker_container_inspect(app->docker, did, &ins, &err) !=
	    SG_OK ||
	    create_check_inspect(app, &spec, id, ins, ip, sizeof(ip),
	    &err) != SG_OK)
		goto fail;

	step = "session";
	(void)strlcpy(sess.container_id, id, sizeof(sess.container_id));
	(void)strlcpy(sess.user_id, spec.user_id, sizeof(sess.user_id));
	(void)strlcpy(sess.org, spec.org, sizeof(sess.org));
	(void)strlcpy(sess.jti, minted.jti, sizeof(sess.jti));
	sg_sha256_hex(minted.token, strlen(minted.token), sess.token_sha256);
	if (spec.hosts.n > 0)
		hostsj = sg_hostlist_join(&spec.hosts);
	else
		hostsj = strdup("");
	if (hostsj == NULL) {
		sg_err_set(&err, SG_ENOMEM, NULL, "out of memory");
		goto fail;
	}
	sess.allowed_hosts = hostsj;
	hostsj = NULL;
	(void)strlcpy(sess.container_ip, ip, sizeof(sess.container_ip));
	(void)strlcpy(sess.docker_id, did, sizeof(sess.docker_id));
	(void)strlcpy(sess.image, spec.image, sizeof(sess.image));
	sess.created_at = now;
	sess.expires_at = minted.exp;
	put_tried = 1;
	if (sg_session_put(app->redis, &sess, now, &err) != SG_OK)
		goto fail;

	step = "answer";
	if ((ans = answer(id, &minted, &spec)) == NULL) {
		sg_err_set(&err, SG_ENOMEM, NULL, "out of memory");
		goto fail;
	}
	sg_resp_json(resp, 201, ans);
	ans = NULL;
	ok = 1;
	(void)snprintf(lat, sizeof(lat), "%" PRId64, sg_now_us() - t0);
	/* Where the time goes: Docker's create and start dominate. */
	(void)snprintf(us_prep, sizeof(us_prep), "%" PRId64, t1 - t0);
	(void)snprintf(us_create, sizeof(us_create), "%" PRId64, t2 - t1);
	(void)snprintf(us_start, sizeof(us_start), "%" PRId64, t3 - t2);
	(void)snprintf(us_inspect, sizeof(us_inspect), "%" PRId64,
	    sg_now_us() - t3);
	sg_log(SG_LOG_INFO, "sandbox_created", "container_id", id,
	    "user_id", spec.user_id, "docker_id", did, "jti", minted.jti,
	    "sub", sub != NULL ? sub : "", "image", spec.image,
	    "container_ip", ip, "latency_us", lat, "prepare_us", us_prep,
	    "docker_create_us",
	    us_create, "docker_start_us", us_start, "inspect_session_us",
	    us_inspect, NULL);
	goto done;

fail:
	fail_resp(resp, step, &err);
logfail:
	(void)snprintf(lat, sizeof(lat), "%" PRId64, sg_now_us() - t0);
	sg_log(SG_LOG_WARN, "sandbox_create_failed", "container_id", id,
	    "user_id", spec.user_id, "sub", sub != NULL ? sub : "",
	    "step", step, "reason", err.code != NULL ? err.code : step,
	    "detail", err.msg, "latency_us", lat, NULL);
done:
	if (!ok) {
		/* Undo: the container first, so no token outlives it. */
		if (created) {
			sg_err_clear(&e2);
			if (sg_docker_container_remove(app->docker, did, 1, 1,
			    &e2) != SG_OK && e2.rc != SG_ENOENT)
				sg_log(SG_LOG_ERROR, "sandbox_undo_failed",
				    "container_id", id, "docker_id", did,
				    "reason", e2.code != NULL ? e2.code : "",
				    "detail", e2.msg, NULL);
		}
		if (put_tried) {
			sg_err_clear(&e2);
			if (sg_session_del(app->redis, id, spec.user_id,
			    &e2) != SG_OK && e2.rc != SG_ENOENT)
				sg_log(SG_LOG_ERROR, "sandbox_undo_failed",
				    "container_id", id, "step", "session",
				    "reason", e2.code != NULL ? e2.code : "",
				    "detail", e2.msg, NULL);
		}
	}
	/*
	 * The slot goes back last, after the undo; once the session is
	 * written it holds the slot itself.  A failure here only keeps the
	 * slot until the reservation's deadline.
	 */
	if (reserved) {
		sg_err_clear(&e2);
		if (sg_session_unreserve(app->redis, spec.user_id, id,
		    &e2) != SG_OK)
			sg_log(SG_LOG_WARN, "sandbox_unreserve_failed",
			    "container_id", id, "user_id", spec.user_id,
			    "reason", e2.code != NULL ? e2.code : "",
			    "detail", e2.msg, NULL);
	}
	free(hostsj);
	cJSON_Delete(ans);
	create_config_free(ins);
	cJSON_Delete(warn);
	create_config_free(config);
	cJSON_Delete(body);
	sg_session_clear(&sess);
	if (minted.token != NULL)
		sg_minted_clear(&minted);
	create_spec_clear(&spec);
}
