/* SPDX-License-Identifier: ISC */
/*
 * sandgate token revoke [--jti JTI] < TOKEN
 *
 * Put one operator token on the revocation list (lib/revoke.h) in
 * SANDGATE_REDIS: token-verify refuses it on the API (401
 * "token_revoked") within SANDGATE_SESSION_CACHE_MS.  Given the token
 * on stdin, its signature is checked against SANDGATE_VERIFY_KEYS and
 * the entry lives until its exp plus SANDGATE_LEEWAY.  Given only a jti
 * (the token itself is lost: take the jti from the audit trail or the
 * decision log), the entry lives SANDGATE_TOKEN_MAX_TTL + SANDGATE_LEEWAY,
 * as long as any token can.  Container tokens are not revoked here:
 * destroying the sandbox kills its token (DELETE /v1/sandboxes/{id}).
 */
#include "config.h"

#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cfg.h"
#include "claims.h"
#include "cmd.h"
#include "compat.h"
#include "crypto.h"
#include "jwt.h"
#include "keys.h"
#include "redis.h"
#include "revoke.h"
#include "token.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: sandgate token revoke < TOKEN\n"
	    "       sandgate token revoke --jti JTI\n\n"
	    "Refuse one operator token on the API from now on (within "
	    "SANDGATE_SESSION_CACHE_MS).\nThe token's signature is checked "
	    "against SANDGATE_VERIFY_KEYS; with --jti alone\nthe entry lasts "
	    "SANDGATE_TOKEN_MAX_TTL + SANDGATE_LEEWAY seconds.  Prints the "
	    "jti and\nuntil when it is refused.\n");
}

/* The verified operator token on stdin: its jti and exp. */
static int
token_jti(const struct sg_cfg *cfg, char jti[SG_ID_MAX + 1], int64_t *exp)
{
	static char		 tok[SG_JWT_MAX_LEN + 3];
	struct sg_keyset	*ks = NULL, *op = NULL;
	struct sg_verify_opts	 vo;
	struct sg_claims	 cl;
	struct sg_err		 err;
	long			 len;
	int			 ret = SG_EXIT_FAIL;

	sg_claims_init(&cl);
	sg_err_clear(&err);
	if ((ret = cmd_load_keysets("token revoke", cfg, 0, &ks, &op)) !=
	    SG_EXIT_OK)
		return ret;
	ret = SG_EXIT_FAIL;
	if ((len = cmd_read_token("token revoke", tok, sizeof(tok))) == -1)
		goto out;
	memset(&vo, 0, sizeof(vo));
	vo.issuer = cfg->issuer;
	vo.accept_no_aud = cfg->accept_no_aud;
	vo.leeway = cfg->leeway;
	vo.max_ttl = cfg->token_max_ttl;
	vo.now = time(NULL);
	if (sg_token_verify_kinds(ks, op, tok, (size_t)len, &vo, &cl, NULL,
	    &err) != SG_OK) {
		fprintf(stderr, "sandgate token revoke: %s: %s (an expired "
		    "token needs no revoking)\n", err.code != NULL ? err.code :
		    "invalid_token", err.msg);
		goto out;
	}
	if (cl.kind != SG_KIND_OPERATOR) {
		fprintf(stderr, "sandgate token revoke: not an operator token; "
		    "a sandbox's token dies with the sandbox (DELETE "
		    "/v1/sandboxes/{id})\n");
		goto out;
	}
	(void)strlcpy(jti, cl.jti, SG_ID_MAX + 1);
	*exp = cl.exp;
	ret = SG_EXIT_OK;
out:
	sg_cleanse(tok, sizeof(tok));
	sg_claims_clear(&cl);
	sg_keyset_free(ks);
	sg_keyset_free(op);
	return ret;
}

int
cmd_token_revoke(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "jti",	required_argument,	NULL, 'j' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	static struct sg_cfg	 cfg;
	struct sg_redis		*r = NULL;
	struct sg_err		 err;
	struct passwd		*pw;
	char			 jti[SG_ID_MAX + 1], who[64];
	const char		*opt_jti = NULL;
	int64_t			 exp, now = (int64_t)time(NULL), until;
	int			 c, ret;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1)
		switch (c) {
		case 'j':
			opt_jti = optarg;
			break;
		case 'h':
		default:
			return cmd_usage(c, usage);
		}
	if (optind != argc)
		return cmd_usage('?', usage);
	if (opt_jti != NULL && !sg_id_valid(opt_jti)) {
		fprintf(stderr, "sandgate token revoke: --jti must match "
		    "^[A-Za-z0-9_-]{1,128}$\n");
		return SG_EXIT_USAGE;
	}
	sg_err_clear(&err);
	if (sg_cfg_load(&cfg, &err) != SG_OK) {
		fprintf(stderr, "sandgate token revoke: %s\n", err.msg);
		return SG_EXIT_USAGE;
	}
	if (opt_jti != NULL) {
		(void)strlcpy(jti, opt_jti, sizeof(jti));
		exp = now + cfg.token_max_ttl;
	} else if ((ret = token_jti(&cfg, jti, &exp)) != SG_EXIT_OK)
		return ret;
	until = exp + cfg.leeway;
	/* Who did it, for the audit: the invoking user, never a secret. */
	pw = getpwuid(getuid());
	(void)snprintf(who, sizeof(who), "cli:%s", pw != NULL &&
	    pw->pw_name != NULL ? pw->pw_name : "unknown");
	ret = SG_EXIT_FAIL;
	if (sg_redis_new(cfg.redis, cfg.redis_timeout_ms, &r, &err) != SG_OK ||
	    sg_revoke_put(r, jti, until, now, who, &err) != SG_OK)
		fprintf(stderr, "sandgate token revoke: SANDGATE_REDIS: %s\n",
		    err.msg);
	else {
		printf("%s %lld\n", jti, (long long)until);
		ret = fflush(stdout) == 0 ? SG_EXIT_OK : SG_EXIT_FAIL;
	}
	sg_redis_free(r);
	return ret;
}
