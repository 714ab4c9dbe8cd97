/* SPDX-License-Identifier: ISC */
/*
 * The session object (session.h): to and from the contract's JSON, and
 * the validation both directions share.  Pure: no Redis here (the store
 * is session-store.c).
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "hosts.h"
#include "json.h"
#include "session.h"

#define TS_MAX		((int64_t)1 << 40)	/* times in (0, 2^40) */

/* The members of the stored object, in the contract's order. */
enum member {
	M_CONTAINER_ID,
	M_USER_ID,
	M_ORG,
	M_JTI,
	M_TOKEN_SHA256,
	M_ALLOWED_HOSTS,
	M_CONTAINER_IP,
	M_DOCKER_ID,
	M_IMAGE,
	M_CREATED_AT,
	M_EXPIRES_AT,
	M_BUDGET,		/* optional */
	M_POLICY,	/* optional */
	M_ENGINE,	/* optional */
	M_COUNT
};

static const char *const member_names[M_COUNT] = {
	"container_id",
	"user_id",
	"organization_uuid",
	"jti",
	"token_sha256",
	"allowed_hosts",
	"container_ip",
	"docker_id",
	"image",
	"created_at",
	"expires_at",
	"budget",
	"policy",
	"engine"
};

/* ---- the session object ---------------------------------------------- */

void
sg_session_init(struct sg_session *s)
{
	memset(s, 0, sizeof(*s));
	s->allowed_hosts = NULL;
}

void
sg_session_clear(struct sg_session *s)
{
	if (s == NULL)
		return;
	free(s->allowed_hosts);
	sg_policy_free(s->policy);
	sg_session_init(s);
}

static int
is_hex_lower(const char *s, size_t min, size_t max)
{
	size_t	 i, len = strlen(s);

	if (len < min || len > max)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int
sg_engine_name_valid(const char *s, size_t n)
{
	size_t	 i;

	if (n == 0 || n > SG_ENGINE_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9'))
			continue;
		if (i > 0 && (s[i] == '_' || s[i] == '-'))
			continue;
		return 0;
	}
	return 1;
}

/* A Docker image reference: [A-Za-z0-9._/:@-], no spaces or controls. */
static int
image_valid(const char *s)
{
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++) {
		char	 c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == '/' || c == ':' || c == '@' || c == '-'))
			return 0;
	}
	return i < sizeof(((struct sg_session *)NULL)->image);
}

static int
ip_valid(const char *s)
{
	unsigned char	 a[16];

	if (*s == '\0')
		return 1;
	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

/* One allowed_hosts element, as sg_hostpat_parse accepts it. */
static int
hostpat_valid(const char *s, size_t len)
{
	struct sg_hostpat	 pat;

	if (len == 0 || len > SG_HOST_MAX + 8)
		return 0;
	return sg_hostpat_parse(s, len, &pat, NULL) == SG_OK;
}

/* A comma list of patterns, "" or NULL for none. */
static int
hosts_valid(const char *s)
{
	const char	*p, *e;
	size_t		 n = 0;

	if (s == NULL || *s == '\0')
		return 1;
	if (strlen(s) > SG_HOSTS_STR_MAX)
		return 0;
	for (p = s;; p = e + 1) {
		e = p + strcspn(p, ",");
		if (++n > SG_HOSTS_MAX || !hostpat_valid(p, (size_t)(e - p)))
			return 0;
		if (*e == '\0')
			return 1;
	}
}

/*
 * Every field of a session against the contract; the same rules for what
 * we write (put: SG_EINVAL) and what we read (SG_EUPSTREAM bad_session).
 */
enum sg_rc
sg_session_check(const struct sg_session *s, enum sg_rc bad, const char *code,
    struct sg_err *err)
{
	const char	*what = NULL;

	if (!sg_id_valid(s->container_id))
		what = "container_id";
	else if (!sg_id_valid(s->user_id))
		what = "user_id";
	else if (!sg_uuid_valid(s->org))
		what = "organization_uuid";
	else if (!sg_id_valid(s->jti))
		what = "jti";
	else if (!is_hex_lower(s->token_sha256, 64, 64))
		what = "token_sha256";
	else if (!hosts_valid(s->allowed_hosts))
		what = "allowed_hosts";
	else if (!ip_valid(s->container_ip))
		what = "container_ip";
	else if (!is_hex_lower(s->docker_id, 0, 64))
		what = "docker_id";
	else if (!image_valid(s->image))
		what = "image";
	else if (s->created_at <= 0 || s->created_at >= TS_MAX)
		what = "created_at";
	else if (s->expires_at <= 0 || s->expires_at >= TS_MAX ||
	    s->expires_at < s->created_at)
		what = "expires_at";
	else if (s->budget_requests < 0 ||
	    s->budget_requests > SG_BUDGET_MAX_REQUESTS ||
	    s->budget_bytes < 0 || s->budget_bytes > SG_BUDGET_MAX_BYTES)
		what = "budget";
	else if (s->engine[0] != '\0' &&
	    !sg_engine_name_valid(s->engine, strlen(s->engine)))
		what = "engine";
	if (what != NULL)
		return sg_err_set(err, bad, code, "session: bad %s", what);
	return SG_OK;
}

/* An integral JSON number in [1, max], without cJSON's valueint. */
static int
get_limit(const cJSON *it, int64_t max, int64_t *v)
{
	double	 d;

	if (!cJSON_IsNumber(it))
		return 0;
	d = it->valuedouble;
	if (!(d >= 1 && d <= (double)max))	/* also false for NaN */
		return 0;
	*v = (int64_t)d;
	return (double)*v == d;
}

enum sg_rc
sg_session_budget_parse(const cJSON *o, int64_t *requests, int64_t *bytes,
    enum sg_rc bad, const char *code, struct sg_err *err)
{
	const cJSON	*it;
	int64_t		 r = 0, b = 0;
	int		 nr = 0, nb = 0;

	if (!cJSON_IsObject(o))
		return sg_err_set(err, bad, code,
		    "budget must be an object with requests and/or bytes");
	cJSON_ArrayForEach(it, o) {
		if (it->string != NULL && strcmp(it->string, "requests") == 0) {
			if (nr++ > 0 || !get_limit(it, SG_BUDGET_MAX_REQUESTS,
			    &r))
				return sg_err_set(err, bad, code,
				    "budget.requests must be an integer from "
				    "1 to %lld", (long long)SG_BUDGET_MAX_REQUESTS);
		} else if (it->string != NULL &&
		    strcmp(it->string, "bytes") == 0) {
			if (nb++ > 0 || !get_limit(it, SG_BUDGET_MAX_BYTES, &b))
				return sg_err_set(err, bad, code,
				    "budget.bytes must be an integer from 1 "
				    "to %lld", (long long)SG_BUDGET_MAX_BYTES);
		} else
			return sg_err_set(err, bad, code,
			    "budget has a member other than requests and "
			    "bytes");
	}
	if (nr == 0 && nb == 0)
		return sg_err_set(err, bad, code,
		    "budget needs requests or bytes");
	*requests = r;
	*bytes = b;
	return SG_OK;
}

cJSON *
sg_session_to_json(const struct sg_session *s)
{
	cJSON		*o = NULL, *arr = NULL, *str, *b, *pol;
	const char	*p, *e;
	char		 buf[SG_HOST_MAX + 16];
	size_t		 n;

	if (s == NULL || (o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (sg_json_add_str(o, "container_id", s->container_id) == -1 ||
	    sg_json_add_str(o, "user_id", s->user_id) == -1 ||
	    sg_json_add_str(o, "organization_uuid", s->org) == -1 ||
	    sg_json_add_str(o, "jti", s->jti) == -1 ||
	    sg_json_add_str(o, "token_sha256", s->token_sha256) == -1 ||
	    (arr = cJSON_AddArrayToObject(o, "allowed_hosts")) == NULL)
		goto fail;
	if (s->allowed_hosts != NULL && *s->allowed_hosts != '\0') {
		for (p = s->allowed_hosts;; p = e + 1) {
			e = p + strcspn(p, ",");
			n = (size_t)(e - p);
			/* Longer than any valid pattern: put refuses it. */
			if (n >= sizeof(buf))
				n = sizeof(buf) - 1;
			memcpy(buf, p, n);
			buf[n] = '\0';
			if ((str = cJSON_CreateString(buf)) == NULL)
				goto fail;
			cJSON_AddItemToArray(arr, str);
			if (*e == '\0')
				break;
		}
	}
	if (sg_json_add_str(o, "container_ip", s->container_ip) == -1 ||
	    sg_json_add_str(o, "docker_id", s->docker_id) == -1 ||
	    sg_json_add_str(o, "image", s->image) == -1 ||
	    sg_json_add_int(o, "created_at", s->created_at) == -1 ||
	    sg_json_add_int(o, "expires_at", s->expires_at) == -1)
		goto fail;
	if (s->budget_requests > 0 || s->budget_bytes > 0) {
		if ((b = cJSON_AddObjectToObject(o, "budget")) == NULL ||
		    (s->budget_requests > 0 && sg_json_add_int(b, "requests",
		    s->budget_requests) == -1) ||
		    (s->budget_bytes > 0 && sg_json_add_int(b, "bytes",
		    s->budget_bytes) == -1))
			goto fail;
	}
	if (s->engine[0] != '\0' &&
	    sg_json_add_str(o, "engine", s->engine) == -1)
		goto fail;
	if (s->policy != NULL) {
		if ((pol = sg_policy_to_json(s->policy, 0)) == NULL)
			goto fail;
		cJSON_AddItemToObject(o, "policy", pol);
	}
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

/* A string member into buf; 0 unless it is a string that fits. */
static int
get_str(const cJSON *it, char *buf, size_t size)
{
	if (!cJSON_IsString(it) || it->valuestring == NULL)
		return 0;
	return strlcpy(buf, it->valuestring, size) < size;
}

/* An integral JSON number in (0, 2^40), without cJSON's valueint. */
static int
get_int(const cJSON *it, int64_t *v)
{
	double	 d;

	if (!cJSON_IsNumber(it))
		return 0;
	d = it->valuedouble;
	if (!(d > 0 && d < (double)TS_MAX))	/* also false for NaN */
		return 0;
	*v = (int64_t)d;
	return (double)*v == d;
}

/* The allowed_hosts array, joined with ',' into a malloc'd string. */
static int
get_hosts(const cJSON *it, char **out)
{
	const cJSON	*h;
	char		*buf = NULL;
	size_t		 n = 0, len = 0, l;

	if (!cJSON_IsArray(it))
		return 0;
	if ((buf = malloc(SG_HOSTS_STR_MAX + 1)) == NULL)
		return -1;
	buf[0] = '\0';
	cJSON_ArrayForEach(h, it) {
		if (!cJSON_IsString(h) || h->valuestring == NULL ||
		    ++n > SG_HOSTS_MAX)
			goto bad;
		l = strlen(h->valuestring);
		/* No ',' in an element, else the join would split it. */
		if (!hostpat_valid(h->valuestring, l) ||
		    strchr(h->valuestring, ',') != NULL ||
		    len + (len > 0) + l > SG_HOSTS_STR_MAX)
			goto bad;
		if (len > 0)
			buf[len++] = ',';
		memcpy(buf + len, h->valuestring, l);
		len += l;
		buf[len] = '\0';
	}
	*out = buf;
	return 1;
bad:
	free(buf);
	return 0;
}

/*
 * Strict: every contract member exactly once (case-sensitive names), of
 * its type, within its limits and format (sg_session_check).  Unknown
 * members are ignored: they never reach the output, which is always
 * rebuilt from the struct.  On failure *out is untouched.
 */
/* The buffer of a plain string member of s, or NULL. */
static char *
str_member(struct sg_session *s, enum member m, size_t *size)
{
	switch (m) {
	case M_CONTAINER_ID:
		*size = sizeof(s->container_id);
		return s->container_id;
	case M_USER_ID:
		*size = sizeof(s->user_id);
		return s->user_id;
	case M_ORG:
		*size = sizeof(s->org);
		return s->org;
	case M_JTI:
		*size = sizeof(s->jti);
		return s->jti;
	case M_TOKEN_SHA256:
		*size = sizeof(s->token_sha256);
		return s->token_sha256;
	case M_CONTAINER_IP:
		*size = sizeof(s->container_ip);
		return s->container_ip;
	case M_DOCKER_ID:
		*size = sizeof(s->docker_id);
		return s->docker_id;
	case M_IMAGE:
		*size = sizeof(s->image);
		return s->image;
	case M_ENGINE:
		*size = sizeof(s->engine);
		return s->engine;
	default:
		return NULL;
	}
}

enum sg_rc
sg_session_from_json(const cJSON *o, struct sg_session *out,
    struct sg_err *err)
{
	struct sg_session	 s;
	const cJSON		*it;
	unsigned		 seen = 0;
	size_t			 i, size;
	char			*buf;
	int			 ok;
	enum sg_rc		 rc;

	sg_session_init(&s);
	if (out == NULL || !cJSON_IsObject(o))
		return sg_err_set(err, SG_EUPSTREAM, "bad_session",
		    "session is not a JSON object");
	cJSON_ArrayForEach(it, o) {
		if (it->string == NULL) {
			rc = sg_err_set(err, SG_EUPSTREAM, "bad_session",
			    "session member without a name");
			goto out;
		}
		for (i = 0; i < M_COUNT; i++)
			if (strcmp(it->string, member_names[i]) == 0)
				break;
		if (i == M_COUNT)
			continue;
		if (seen & (1u << i)) {
			rc = sg_err_set(err, SG_EUPSTREAM, "bad_session",
			    "session: duplicate %s", member_names[i]);
			goto out;
		}
		seen |= 1u << i;
		switch ((enum member)i) {
		case M_ALLOWED_HOSTS:
			ok = get_hosts(it, &s.allowed_hosts);
			if (ok == -1) {
				rc = sg_err_set(err, SG_ENOMEM, NULL,
				    "out of memory");
				goto out;
			}
			break;
		case M_CREATED_AT:
			ok = get_int(it, &s.created_at);
			break;
		case M_EXPIRES_AT:
			ok = get_int(it, &s.expires_at);
			break;
		case M_BUDGET:
			ok = sg_session_budget_parse(it, &s.budget_requests,
			    &s.budget_bytes, SG_EUPSTREAM, "bad_session",
			    NULL) == SG_OK;
			break;
		case M_POLICY:
			if ((s.policy = calloc(1, sizeof(*s.policy))) == NULL) {
				rc = sg_err_set(err, SG_ENOMEM, NULL,
				    "out of memory");
				goto out;
			}
			sg_policy_init(s.policy);
			if ((rc = sg_policy_from_json(it, s.policy, err)) !=
			    SG_OK)
				goto out;
			ok = 1;
			break;
		default:
			buf = str_member(&s, (enum member)i, &size);
			ok = buf != NULL && get_str(it, buf, size) &&
			    (i != M_ENGINE || buf[0] != '\0');
			break;
		}
		if (!ok) {
			rc = sg_err_set(err, SG_EUPSTREAM, "bad_session",
			    "session: bad %s", member_names[i]);
			goto out;
		}
	}
	for (i = 0; i < M_COUNT; i++) {
		if (i != M_POLICY && i != M_BUDGET && i != M_ENGINE &&
		    !(seen & (1u << i))) {
			rc = sg_err_set(err, SG_EUPSTREAM, "bad_session",
			    "session: missing %s", member_names[i]);
			goto out;
		}
	}
	if ((rc = sg_session_check(&s, SG_EUPSTREAM, "bad_session", err)) !=
	    SG_OK)
		goto out;
	sg_session_clear(out);
	*out = s;
	sg_session_init(&s);
	rc = SG_OK;
out:
	sg_session_clear(&s);
	return rc;
}
