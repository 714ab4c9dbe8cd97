/* SPDX-License-Identifier: ISC */
/*
 * sandbox-create: its configuration (SANDGATE_PROXY_URL, the image
 * allow-list) and the validation of a request body into a create_spec.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claims.h"
#include "compat.h"
#include "crypto.h"
#include "create.h"
#include "create-int.h"
#include "json.h"
#include "session.h"

static const char *const body_fields[] = {
	"user_id", "organization_uuid", "allowed_hosts", "duration_hours",
	"image", "is_hipaa_regulated", "is_pci_compliant", "budget", "secrets",
	NULL
};

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

/*
 * The first key file of SANDGATE_SECRET_KEYS seals (docs/secrets.md,
 * "Key rotation"); the others are the broker's, for opening old records.
 * Unset: no key, and a create or PUT with secrets is a 503.
 */
static enum sg_rc
seal_key(struct app *app, struct sg_err *err)
{
	char		 path[sizeof(app->cfg->secret_keys)];
	struct sg_err	 e;
	size_t		 n;

	app->has_seal = 0;
	n = strcspn(app->cfg->secret_keys, ",");
	if (n == 0)
		return SG_OK;
	memcpy(path, app->cfg->secret_keys, n);
	path[n] = '\0';
	sg_err_clear(&e);
	if (sg_secret_key_load(path, &app->seal, &e) != SG_OK)
		return sg_err_set(err, SG_EINVAL, "bad_config",
		    "SANDGATE_SECRET_KEYS: %s", e.msg);
	app->has_seal = 1;
	return SG_OK;
}

enum sg_rc
create_app_config(struct app *app, struct sg_err *err)
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
	if (seal_key(app, err) != SG_OK)
		return SG_EINVAL;
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
	if (s->secrets != NULL) {
		sg_cleanse(s->secrets, sizeof(*s->secrets) *
		    SG_SECRET_PER_SANDBOX);
		free(s->secrets);
	}
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

/* allowed_hosts: an array of host patterns (lib/hosts.h), maybe empty. */
static enum sg_rc
parse_hosts(const cJSON *body, struct create_spec *s, struct sg_err *err)
{
	const cJSON	*hosts, *h;
	char		*joined;
	struct sg_hostpat pat;
	struct sg_err	 e;
	int		 n;

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
			free(joined);
			return sg_err_set(err, SG_EINVAL, "bad_field",
			    "allowed_hosts is longer than %d bytes",
			    SG_HOSTS_STR_MAX);
		}
		free(joined);
	}
	return SG_OK;
}

/* Whether the secret's host:port is allowed by the sandbox's hosts. */
static int
secret_host_allowed(const struct sg_cfg *cfg, const struct create_spec *s,
    const struct sg_secret *sec)
{
	struct sg_target t;
	struct sg_err	 e;
	char		 hp[SG_HOST_MAX + 16];

	(void)snprintf(hp, sizeof(hp), "%s%s", sec->host,
	    strchr(sec->host, ':') != NULL ? "" : ":443");
	sg_err_clear(&e);
	if (sg_target_parse("CONNECT", hp, &t, &e) != SG_OK)
		return 0;
	return sg_hosts_match(&s->hosts, &t, &cfg->egress_ports);
}

enum sg_rc
create_secret_parse(const struct sg_cfg *cfg, const struct sg_hostlist *h,
    const cJSON *o, struct sg_secret *sec, struct sg_err *err)
{
	struct create_spec	 tmp;

	if (sg_secret_from_json(o, sec, err) != SG_OK)
		return SG_EINVAL;
	tmp.hosts = *h;
	if (!secret_host_allowed(cfg, &tmp, sec)) {
		sg_cleanse(sec, sizeof(*sec));
		return sg_err_set(err, SG_EINVAL, "secret_host_not_allowed",
		    "the secret's host is not in the sandbox's allowed_hosts "
		    "(a secret is sent only to a host the sandbox may reach)");
	}
	return SG_OK;
}

/* "secrets": at most SG_SECRET_PER_SANDBOX, names unique, hosts allowed. */
static enum sg_rc
parse_secrets(const struct sg_cfg *cfg, const cJSON *body,
    struct create_spec *s, struct sg_err *err)
{
	const cJSON	*arr, *it;
	struct sg_err	 e;
	size_t		 i, n = 0;

	if ((arr = sg_json_get(body, "secrets")) == NULL)
		return SG_OK;
	if (!cJSON_IsArray(arr))
		return sg_err_set(err, SG_EINVAL, "bad_secret",
		    "secrets must be an array of objects");
	if (cJSON_GetArraySize(arr) > SG_SECRET_PER_SANDBOX)
		return sg_err_set(err, SG_EINVAL, "too_many_secrets",
		    "a sandbox holds at most %d secrets",
		    SG_SECRET_PER_SANDBOX);
	if (cJSON_GetArraySize(arr) == 0)
		return SG_OK;
	if ((s->secrets = calloc(SG_SECRET_PER_SANDBOX,
	    sizeof(*s->secrets))) == NULL)
		return sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
	cJSON_ArrayForEach(it, arr) {
		sg_err_clear(&e);
		if (create_secret_parse(cfg, &s->hosts, it, &s->secrets[n],
		    &e) != SG_OK)
			return sg_err_set(err, SG_EINVAL, e.code,
			    "secrets[%zu]: %s", n, e.msg);
		for (i = 0; i < n; i++)
			if (strcmp(s->secrets[i].name, s->secrets[n].name) == 0)
				return sg_err_set(err, SG_EINVAL,
				    "bad_secret", "secrets[%zu]: the name %s "
				    "is given twice", n, s->secrets[n].name);
		s->nsecrets = ++n;
	}
	return SG_OK;
}

enum sg_rc
create_spec_parse(const struct sg_cfg *cfg, const cJSON *body,
    struct create_spec *s, struct sg_err *err)
{
	const cJSON	*f;
	const char	*str;
	struct sg_err	 e;
	int64_t		 hours, maxh;
	enum sg_rc	 rc = SG_EINVAL;

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

	if ((rc = parse_hosts(body, s, err)) != SG_OK ||
	    (rc = parse_secrets(cfg, body, s, err)) != SG_OK)
		return rc;
	rc = SG_EINVAL;		/* what every goto out below returns */

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

	/* Optional; without it the operator's default (0: unlimited). */
	s->budget_requests = cfg->budget_requests;
	s->budget_bytes = 0;
	if ((f = sg_json_get(body, "budget")) != NULL &&
	    (rc = sg_session_budget_parse(f, &s->budget_requests,
	    &s->budget_bytes, SG_EINVAL, "bad_field", err)) != SG_OK)
		goto out;
	rc = SG_OK;
out:
	return rc;
}
