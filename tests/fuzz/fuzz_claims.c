/* SPDX-License-Identifier: ISC */
/*
 * The claims validator (lib/claims.c, docs/security.md 3.6, 3.7) on any
 * strict JSON object: what it accepts obeys every rule of claims.h, with
 * the fixed clock of the unit tests.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "claims.h"
#include "hosts.h"
#include "json.h"
#include "fuzz.h"

#define LEEWAY	30
#define MAXTTL	86400

static void
check(const struct sg_claims *c, const struct sg_verify_opts *o)
{
	struct sg_hostlist	 hl;
	struct sg_claims	 cp;
	unsigned		 bits = 0;
	char			*j;

	FZ_ASSERT(strcmp(c->iss, o->issuer) == 0, "iss %s", c->iss);
	FZ_ASSERT(c->exp > 0 && c->iat > 0, "times");
	FZ_ASSERT((int64_t)o->now < c->exp + o->leeway, "expired accepted");
	FZ_ASSERT(c->iat <= (int64_t)o->now + o->leeway, "future iat");
	FZ_ASSERT(c->nbf <= (int64_t)o->now + o->leeway, "nbf in the future");
	FZ_ASSERT(c->iat <= c->exp, "iat > exp");
	FZ_ASSERT(c->exp - c->iat <= o->max_ttl, "lifetime too long");
	FZ_ASSERT(c->jti[0] != '\0', "empty jti");
	/* Only a compatibility-mode token (no aud) may lack sub. */
	FZ_ASSERT(c->sub[0] != '\0' || (!c->has_aud && o->accept_no_aud),
	    "empty sub");
	FZ_ASSERT(sg_str_printable(c->iss) && sg_str_printable(c->sub) &&
	    sg_str_printable(c->jti) && sg_str_printable(c->scope),
	    "control character in a claim");
	FZ_ASSERT(c->has_aud || o->accept_no_aud, "no aud accepted");
	if (c->kind == SG_KIND_OPERATOR) {
		FZ_ASSERT(c->has_aud, "operator token without aud");
		FZ_ASSERT(sg_scope_parse(c->scope, &bits) == 0 &&
		    bits == c->scopes && bits != 0, "scope %s", c->scope);
		return;
	}
	FZ_ASSERT(c->kind == SG_KIND_CONTAINER, "kind %d", (int)c->kind);
	FZ_ASSERT(sg_id_valid(c->container_id), "container_id");
	FZ_ASSERT(sg_uuid_valid(c->org), "organization_uuid");
	FZ_ASSERT(sg_str_printable(c->container_id) && sg_str_printable(c->org),
	    "control character");
	FZ_ASSERT(c->allowed_hosts != NULL, "allowed_hosts NULL");
	FZ_ASSERT(c->binding == 0 || c->binding == 1, "binding");
	/* the parsed list is the claim's list */
	sg_hostlist_init(&hl);
	FZ_ASSERT(sg_hosts_parse(c->allowed_hosts, strlen(c->allowed_hosts),
	    &hl, NULL) == SG_OK && hl.n == c->hosts.n &&
	    (hl.n == 0 || memcmp(hl.v, c->hosts.v, hl.n * sizeof(*hl.v)) == 0),
	    "hosts differ from the claim");
	sg_hostlist_clear(&hl);
	/* the canonical text parses to the same list */
	j = sg_hostlist_join(&c->hosts);
	FZ_ASSERT(j != NULL, "join");
	sg_hostlist_init(&hl);
	FZ_ASSERT(sg_hosts_parse(j, strlen(j), &hl, NULL) == SG_OK &&
	    hl.n == c->hosts.n, "canonical list %s refused", j);
	sg_hostlist_clear(&hl);
	free(j);
	/* the cache's deep copy */
	sg_claims_init(&cp);
	FZ_ASSERT(sg_claims_copy(&cp, c, NULL) == SG_OK, "copy");
	FZ_ASSERT(cp.hosts.n == c->hosts.n && strcmp(cp.allowed_hosts,
	    c->allowed_hosts) == 0 && cp.allowed_hosts != c->allowed_hosts,
	    "copy differs");
	sg_claims_clear(&cp);
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct sg_verify_opts	 o;
	struct sg_claims	 c;
	struct sg_err		 err;
	cJSON			*j;
	enum sg_rc		 rc[2];
	int			 kind[2] = { -1, -1 };
	int			 i;

	if (n > 65536)
		return 0;
	if ((j = sg_json_parse_object((const char *)d, n, NULL)) == NULL)
		return 0;
	memset(&o, 0, sizeof(o));
	o.issuer = FZ_ISSUER;
	o.leeway = LEEWAY;
	o.max_ttl = MAXTTL;
	o.now = FZ_NOW;
	for (i = 0; i < 2; i++) {
		o.accept_no_aud = i;
		sg_claims_init(&c);
		sg_err_clear(&err);
		rc[i] = sg_claims_validate(j, &o, &c, &err);
		if (rc[i] == SG_OK) {
			check(&c, &o);
			kind[i] = (int)c.kind;
		} else
			FZ_ASSERT(rc[i] == SG_ENOMEM || (rc[i] == SG_EAUTH &&
			    err.code != NULL), "rc %d, code %s", (int)rc[i],
			    err.code != NULL ? err.code : "(none)");
		sg_claims_clear(&c);
	}
	/* accepting tokens without aud only ever adds container tokens */
	if (rc[0] == SG_OK)
		FZ_ASSERT(rc[1] == SG_OK && kind[1] == kind[0],
		    "accept_no_aud=1 refused what accept_no_aud=0 accepted");
	/* another clock: the rules hold at any time */
	o.now = 1;
	o.accept_no_aud = 1;
	sg_claims_init(&c);
	if (sg_claims_validate(j, &o, &c, NULL) == SG_OK)
		check(&c, &o);
	sg_claims_clear(&c);
	cJSON_Delete(j);
	return 0;
}
