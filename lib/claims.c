/* SPDX-License-Identifier: ISC */
/*
 * Claims of sandgate tokens (lib/claims.h; docs/contract.md §2;
 * docs/security.md 3.6 and 3.7).
 *
 * Everything here runs after the signature has been verified, on the
 * strict payload object from sg_jwt_verify.  Times are read from
 * valuedouble with sg_json_int (never cJSON's saturating valueint), the
 * leeway is applied once per comparison (T8), and every project claim is
 * type-checked exactly: flags are the strings "true"/"false" and nothing
 * else (C1, C2), ids and UUIDs have a fixed form (C3, C6), allowed_hosts
 * goes through the same parser as the egress check (C5) and may not hold
 * a wildcard on a public suffix (C12, lib/psl.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "claims.h"
#include "compat.h"
#include "json.h"
#include "psl.h"

/* Times are integral NumericDates in (0, 2^40) (docs/security.md 2.6). */
#define TIME_MIN	INT64_C(1)
#define TIME_MAX	((INT64_C(1) << 40) - 1)
/* Elements of an aud array we look at. */
#define AUD_MAX		16

static const struct {
	const char	*name;
	unsigned	 bit;
} scopes[] = {
	{ "tokens:issue",	SG_SCOPE_TOKENS_ISSUE },
	{ "sandboxes:create",	SG_SCOPE_SANDBOXES_CREATE },
	{ "sandboxes:destroy",	SG_SCOPE_SANDBOXES_DESTROY },
	{ "sessions:read",	SG_SCOPE_SESSIONS_READ },
	{ "metrics:read",	SG_SCOPE_METRICS_READ },
	{ "sandboxes:update",	SG_SCOPE_SANDBOXES_UPDATE },
	{ "secrets:write",	SG_SCOPE_SECRETS_WRITE },
};

const char *
sg_scope_name(unsigned bit)
{
	size_t	 i;

	for (i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++)
		if (scopes[i].bit == bit)
			return scopes[i].name;
	return NULL;
}

void
sg_claims_init(struct sg_claims *c)
{
	memset(c, 0, sizeof(*c));
	sg_hostlist_init(&c->hosts);
}

void
sg_claims_clear(struct sg_claims *c)
{
	if (c == NULL)
		return;
	free(c->allowed_hosts);
	sg_hostlist_clear(&c->hosts);
	sg_claims_init(c);
}

enum sg_rc
sg_claims_copy(struct sg_claims *dst, const struct sg_claims *src,
    struct sg_err *err)
{
	struct sg_claims	 c;

	c = *src;
	c.allowed_hosts = NULL;
	sg_hostlist_init(&c.hosts);
	if (src->allowed_hosts != NULL &&
	    (c.allowed_hosts = strdup(src->allowed_hosts)) == NULL)
		goto nomem;
	if (src->hosts.n > 0) {
		/* The patterns are plain data; hosts.c frees v with free(). */
		c.hosts.v = calloc(src->hosts.n, sizeof(*c.hosts.v));
		if (c.hosts.v == NULL)
			goto nomem;
		memcpy(c.hosts.v, src->hosts.v,
		    src->hosts.n * sizeof(*c.hosts.v));
		c.hosts.n = src->hosts.n;
	}
	*dst = c;
	return SG_OK;
nomem:
	sg_claims_clear(&c);
	return sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
}

int
sg_id_valid(const char *s)
{
	size_t	 n;

	if (s == NULL)
		return 0;
	for (n = 0; s[n] != '\0'; n++) {
		if (n >= SG_ID_MAX)
			return 0;
		if (!((s[n] >= 'A' && s[n] <= 'Z') ||
		    (s[n] >= 'a' && s[n] <= 'z') ||
		    (s[n] >= '0' && s[n] <= '9') || s[n] == '_' ||
		    s[n] == '-'))
			return 0;
	}
	return n > 0;
}

int
sg_uuid_valid(const char *s)
{
	size_t	 i;
	char	 c;

	if (s == NULL)
		return 0;
	for (i = 0; i < SG_UUID_LEN; i++) {
		c = s[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return 0;
		} else if (!((c >= '0' && c <= '9') ||
		    (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return 0;
	}
	return s[SG_UUID_LEN] == '\0';
}

/*
 * RFC 6749 3.3: scope-token *( SP scope-token ).  One space between
 * words, none at either end; every word known.
 */
int
sg_scope_parse(const char *s, unsigned *out)
{
	const char	*p, *e;
	unsigned	 bits = 0;
	size_t		 i, len;

	if (s == NULL || *s == '\0')
		return -1;
	for (p = s;; p = e + 1) {
		if ((e = strchr(p, ' ')) == NULL)
			e = p + strlen(p);
		len = (size_t)(e - p);
		for (i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++)
			if (strlen(scopes[i].name) == len &&
			    memcmp(scopes[i].name, p, len) == 0)
				break;
		if (i == sizeof(scopes) / sizeof(scopes[0]))
			return -1;
		bits |= scopes[i].bit;
		if (*e == '\0')
			break;
	}
	if (out != NULL)
		*out = bits;
	return 0;
}

int
sg_str_printable(const char *s)
{
	const unsigned char	*p;

	if (s == NULL)
		return 0;
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

/*
 * A required (or optional) string claim of at most max bytes with no
 * control characters (C10), copied into buf (size > max).  Returns
 * SG_OK, SG_ENOENT when absent and optional, or an error.
 */
static enum sg_rc
get_str(const cJSON *p, const char *name, int required, char *buf,
    size_t size, size_t max, struct sg_err *err)
{
	const cJSON	*it;
	size_t		 len;

	if ((it = sg_json_get(p, name)) == NULL) {
		if (!required)
			return SG_ENOENT;
		return sg_err_set(err, SG_EAUTH, "missing_claim",
		    "claim %s is missing", name);
	}
	if (!cJSON_IsString(it) || it->valuestring == NULL)
		return sg_err_set(err, SG_EAUTH, "bad_claim",
		    "claim %s is not a string", name);
	len = strlen(it->valuestring);
	if (len == 0 || len > max || len >= size)
		return sg_err_set(err, SG_EAUTH, "bad_claim",
		    "claim %s has a bad length", name);
	if (!sg_str_printable(it->valuestring))
		return sg_err_set(err, SG_EAUTH, "bad_claim",
		    "claim %s has control characters", name);
	memcpy(buf, it->valuestring, len + 1);
	return SG_OK;
}

/* A time claim: an integral number in [TIME_MIN, TIME_MAX]. */
static enum sg_rc
get_time(const cJSON *p, const char *name, int required, int64_t *out,
    struct sg_err *err)
{
	enum sg_rc	 rc;

	rc = sg_json_int(p, name, TIME_MIN, TIME_MAX, out, NULL);
	if (rc == SG_OK)
		return SG_OK;
	if (rc == SG_ENOENT) {
		if (!required)
			return SG_ENOENT;
		return sg_err_set(err, SG_EAUTH, "missing_claim",
		    "claim %s is missing", name);
	}
	return sg_err_set(err, SG_EAUTH, "bad_claim",
	    "claim %s is not an integer NumericDate in range", name);
}

/*
 * A flag: the exact string "true" or "false" (C1, C2).  A JSON boolean,
 * other spellings, padding or null are errors, never "false".
 */
static enum sg_rc
get_flag(const cJSON *p, const char *name, int dflt, int *out,
    struct sg_err *err)
{
	const cJSON	*it;

	if ((it = sg_json_get(p, name)) == NULL) {
		*out = dflt;
		return SG_OK;
	}
	if (cJSON_IsString(it) && it->valuestring != NULL) {
		if (strcmp(it->valuestring, "true") == 0) {
			*out = 1;
			return SG_OK;
		}
		if (strcmp(it->valuestring, "false") == 0) {
			*out = 0;
			return SG_OK;
		}
	}
	return sg_err_set(err, SG_EAUTH, "bad_claim",
	    "claim %s must be \"true\" or \"false\"", name);
}

/* Which of our audiences a string names: 1 egress, 2 api, 0 neither. */
static int
aud_of(const char *s)
{
	if (strcmp(s, SG_AUD_EGRESS) == 0)
		return 1;
	if (strcmp(s, SG_AUD_API) == 0)
		return 2;
	return 0;
}

/*
 * The kind from aud (RFC 7519 4.1.3; RFC 8725 3.9): a string or an array
 * of strings that names exactly one of our two audiences.  Without aud,
 * a container token where accept_no_aud allows it.
 */
static enum sg_rc
get_kind(const cJSON *p, const struct sg_verify_opts *o,
    struct sg_claims *c, struct sg_err *err)
{
	const cJSON	*aud, *e;
	int		 which = 0, n = 0, k;

	if ((aud = sg_json_get(p, "aud")) == NULL) {
		if (!o->accept_no_aud)
			return sg_err_set(err, SG_EAUTH, "bad_audience",
			    "token has no audience");
		c->has_aud = 0;
		c->kind = SG_KIND_CONTAINER;
		return SG_OK;
	}
	c->has_aud = 1;
	if (cJSON_IsString(aud) && aud->valuestring != NULL)
		which = aud_of(aud->valuestring);
	else if (cJSON_IsArray(aud)) {
		cJSON_ArrayForEach(e, aud) {
			if (!cJSON_IsString(e) || e->valuestring == NULL ||
			    ++n > AUD_MAX)
				return sg_err_set(err, SG_EAUTH,
				    "bad_audience", "bad audience array");
			if ((k = aud_of(e->valuestring)) == 0)
				continue;
			if (which != 0)
				return sg_err_set(err, SG_EAUTH,
				    "bad_audience", "ambiguous audience");
			which = k;
		}
	}
	if (which == 1)
		c->kind = SG_KIND_CONTAINER;
	else if (which == 2)
		c->kind = SG_KIND_OPERATOR;
	else
		return sg_err_set(err, SG_EAUTH, "bad_audience",
		    "token is not for sandgate");
	return SG_OK;
}

/*
 * exp first, right after iss: an expired token is reported as expired
 * whatever else it lacks (docs/security.md 3.8.1, RFC 7515 A.3).
 */
static enum sg_rc
get_exp(const cJSON *p, const struct sg_verify_opts *o, struct sg_claims *c,
    struct sg_err *err)
{
	enum sg_rc	 rc;

	if ((rc = get_time(p, "exp", 1, &c->exp, err)) != SG_OK)
		return rc;
	/* RFC 7519 4.1.4: the current time must be before exp. */
	if (!((int64_t)o->now < c->exp + o->leeway))
		return sg_err_set(err, SG_EAUTH, "token_expired",
		    "token expired");
	return SG_OK;
}

static enum sg_rc
get_times(const cJSON *p, const struct sg_verify_opts *o,
    struct sg_claims *c, struct sg_err *err)
{
	enum sg_rc	 rc;
	int64_t		 now = (int64_t)o->now, lw = o->leeway;

	if ((rc = get_time(p, "iat", 1, &c->iat, err)) != SG_OK)
		return rc;
	rc = get_time(p, "nbf", 0, &c->nbf, err);
	if (rc == SG_ENOENT)
		c->nbf = 0;
	else if (rc != SG_OK)
		return rc;
	/* RFC 7519 4.1.5. */
	if (c->nbf != 0 && c->nbf > now + lw)
		return sg_err_set(err, SG_EAUTH, "token_not_yet_valid",
		    "token not valid yet (nbf)");
	if (c->iat > now + lw)
		return sg_err_set(err, SG_EAUTH, "token_not_yet_valid",
		    "token issued in the future (iat)");
	if (c->iat > c->exp)
		return sg_err_set(err, SG_EAUTH, "bad_claim",
		    "iat is after exp");
	if (c->exp - c->iat > o->max_ttl)
		return sg_err_set(err, SG_EAUTH, "lifetime_too_long",
		    "token lifetime %lld s over the limit %lld s",
		    (long long)(c->exp - c->iat), (long long)o->max_ttl);
	return SG_OK;
}

static enum sg_rc
get_container(const cJSON *p, struct sg_claims *c, struct sg_err *err)
{
	const cJSON	*it;
	struct sg_err	 e;
	enum sg_rc	 rc;
	size_t		 len;

	if ((rc = get_str(p, "container_id", 1, c->container_id,
	    sizeof(c->container_id), SG_ID_MAX, err)) != SG_OK)
		return rc;
	if (!sg_id_valid(c->container_id))
		return sg_err_set(err, SG_EAUTH, "bad_claim",
		    "claim container_id is not a valid id");
	if ((rc = get_str(p, "organization_uuid", 1, c->org, sizeof(c->org),
	    SG_UUID_LEN, err)) != SG_OK)
		return rc;
	if (!sg_uuid_valid(c->org))
		return sg_err_set(err, SG_EAUTH, "bad_claim",
		    "claim organization_uuid is not a UUID");
	/* allowed_hosts: "" is a token that may reach nothing. */
	if ((it = sg_json_get(p, "allowed_hosts")) == NULL)
		return sg_err_set(err, SG_EAUTH, "missing_claim",
		    "claim allowed_hosts is missing");
	if (!cJSON_IsString(it) || it->valuestring == NULL)
		return sg_err_set(err, SG_EAUTH, "bad_claim",
		    "claim allowed_hosts is not a string");
	len = strlen(it->valuestring);
	if (len > SG_HOSTS_STR_MAX)
		return sg_err_set(err, SG_EAUTH, "bad_claim",
		    "claim allowed_hosts is too long");
	if (len > 0 && (rc = sg_hosts_parse(it->valuestring, len, &c->hosts,
	    NULL)) != SG_OK) {
		/* Out of memory is ours, not a bad token (a 500, not 401). */
		if (rc == SG_ENOMEM)
			return sg_err_set(err, SG_ENOMEM, NULL,
			    "out of memory");
		return sg_err_set(err, SG_EAUTH, "bad_claim",
		    "claim allowed_hosts is not a valid host list");
	}
	/* C12: "*.co.uk" is every site under co.uk, whoever signed it. */
	sg_err_clear(&e);
	if (sg_psl_check_hosts(&c->hosts, &e) != SG_OK)
		return sg_err_set(err, SG_EAUTH, "bad_claim",
		    "claim allowed_hosts: %s", e.msg);
	if ((c->allowed_hosts = strdup(it->valuestring)) == NULL)
		return sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
	if ((rc = get_flag(p, "enforce_container_binding", 1, &c->binding,
	    err)) != SG_OK ||
	    (rc = get_flag(p, "use_egress_gateway", 0,
	    &c->use_egress_gateway, err)) != SG_OK ||
	    (rc = get_flag(p, "enforce_centralized_egress", 0,
	    &c->enforce_centralized_egress, err)) != SG_OK ||
	    (rc = get_flag(p, "is_hipaa_regulated", 0, &c->hipaa,
	    err)) != SG_OK ||
	    (rc = get_flag(p, "is_pci_compliant", 0, &c->pci, err)) != SG_OK)
		return rc;
	return SG_OK;
}

enum sg_rc
sg_claims_validate(const cJSON *p, const struct sg_verify_opts *o,
    struct sg_claims *out, struct sg_err *err)
{
	struct sg_claims	 c;
	enum sg_rc		 rc;

	sg_claims_init(&c);
	if (p == NULL || o == NULL || o->issuer == NULL || out == NULL) {
		rc = sg_err_set(err, SG_EINTERNAL, NULL, "bad arguments");
		goto out;
	}
	if (!cJSON_IsObject(p)) {
		rc = sg_err_set(err, SG_EAUTH, "bad_payload",
		    "payload is not an object");
		goto out;
	}
	/* C7: iss, exactly. */
	if ((rc = get_str(p, "iss", 1, c.iss, sizeof(c.iss), SG_ISS_MAX,
	    err)) != SG_OK) {
		if (rc == SG_EAUTH && err != NULL &&
		    strcmp(err->code, "bad_claim") == 0)
			err->code = "bad_issuer";
		goto out;
	}
	if (strcmp(c.iss, o->issuer) != 0) {
		rc = sg_err_set(err, SG_EAUTH, "bad_issuer",
		    "token issuer is not the configured one");
		goto out;
	}
	if ((rc = get_exp(p, o, &c, err)) != SG_OK ||
	    (rc = get_kind(p, o, &c, err)) != SG_OK ||
	    (rc = get_times(p, o, &c, err)) != SG_OK)
		goto out;
	if ((rc = get_str(p, "jti", 1, c.jti, sizeof(c.jti), SG_ID_MAX,
	    err)) != SG_OK)
		goto out;
	if (!sg_id_valid(c.jti)) {
		rc = sg_err_set(err, SG_EAUTH, "bad_claim",
		    "claim jti is not a valid id");
		goto out;
	}
	/*
	 * The original Python service never set sub (nor aud, nor nbf):
	 * a token without aud (accepted only under accept_no_aud) may lack
	 * it, and sub stays "" (never made up).  A present sub is checked
	 * as ever; every token with aud needs one.
	 */
	rc = get_str(p, "sub", c.has_aud, c.sub, sizeof(c.sub), SG_SUB_MAX,
	    err);
	if (rc == SG_ENOENT)
		c.sub[0] = '\0';
	else if (rc != SG_OK)
		goto out;
	if (c.kind == SG_KIND_OPERATOR) {
		if ((rc = get_str(p, "scope", 1, c.scope, sizeof(c.scope),
		    sizeof(c.scope) - 1, err)) != SG_OK)
			goto out;
		if (sg_scope_parse(c.scope, &c.scopes) == -1) {
			rc = sg_err_set(err, SG_EAUTH, "bad_claim",
			    "claim scope has an unknown scope");
			goto out;
		}
	} else if ((rc = get_container(p, &c, err)) != SG_OK)
		goto out;
	*out = c;
	return SG_OK;
out:
	sg_claims_clear(&c);
	return rc;
}
