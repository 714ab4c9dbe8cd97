/* SPDX-License-Identifier: ISC */
/*
 * sandgate token --sub NAME --scope "SCOPES" [--ttl SECONDS]
 * sandgate token revoke ... (revoke.c)
 *
 * Mint an operator token (aud "sandgate-api") with the key in
 * SANDGATE_OPERATOR_SIGNING_KEY (SANDGATE_SIGNING_KEY when that is unset)
 * and the issuer SANDGATE_ISSUER.  The lifetime
 * defaults to SANDGATE_TOKEN_TTL and may not exceed
 * SANDGATE_TOKEN_MAX_TTL, so every token minted here passes the
 * services' verifiers.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cfg.h"
#include "claims.h"
#include "cmd.h"
#include "keys.h"
#include "metrics.h"
#include "num.h"
#include "token.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: sandgate token --sub NAME --scope \"SCOPES\" "
	    "[--ttl SECONDS]\n"
	    "       sandgate token revoke [--jti JTI] < TOKEN\n\n"
	    "Print an operator token for NAME signed with "
	    "SANDGATE_OPERATOR_SIGNING_KEY\n"
	    "(SANDGATE_SIGNING_KEY when unset).  SCOPES is a space-separated "
	    "list of:\ntokens:issue sandboxes:create sandboxes:destroy "
	    "sessions:read metrics:read.\nThe lifetime defaults to "
	    "SANDGATE_TOKEN_TTL and is at most SANDGATE_TOKEN_MAX_TTL\n"
	    "seconds.  \"revoke\" refuses one operator token from now on "
	    "(see its --help).\n");
}

/*
 * sandgate_tokens_issued_total{kind="operator"}: only into a metrics file
 * the services made, of this build's layout (the CLI often runs as root,
 * and a file root created or replaced would lock them out of it), and
 * never a reason not to print the token.
 */
static void
count_issued(const struct sg_cfg *cfg)
{
	struct sg_err	 err;

	sg_err_clear(&err);
	if (sg_metrics_join(cfg->metrics_dir, "sandgate-token", &err) !=
	    SG_OK || !sg_metrics_enabled())
		return;
	sg_metrics_add(SG_M_TOKENS_ISSUED, 1, "operator");
	sg_metrics_close();
}

int
cmd_token(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "sub",	required_argument,	NULL, 's' },
		{ "scope",	required_argument,	NULL, 'S' },
		{ "ttl",	required_argument,	NULL, 't' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	static struct sg_cfg	 cfg;
	struct sg_key		*k = NULL;
	struct sg_minted	 m;
	struct sg_err		 err;
	const char		*sub = NULL, *scope = NULL, *ttls = NULL;
	const char		*var, *path;
	int64_t			 ttl;
	unsigned		 bits;
	int			 c, ret = SG_EXIT_FAIL;

	memset(&m, 0, sizeof(m));
	if (argc > 1 && strcmp(argv[1], "revoke") == 0)
		return cmd_token_revoke(argc - 1, argv + 1);
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1)
		switch (c) {
		case 's':
			sub = optarg;
			break;
		case 'S':
			scope = optarg;
			break;
		case 't':
			ttls = optarg;
			break;
		case 'h':
		default:
			return cmd_usage(c, usage);
		}
	if (optind != argc || sub == NULL || scope == NULL)
		return cmd_usage('?', usage);
	sg_err_clear(&err);
	if (sg_cfg_load(&cfg, &err) != SG_OK) {
		fprintf(stderr, "sandgate token: %s\n", err.msg);
		return SG_EXIT_USAGE;
	}
	ttl = cfg.token_ttl;
	if (ttls != NULL && sg_num_parse(ttls, 1, cfg.token_max_ttl, &ttl) == -1) {
		fprintf(stderr, "sandgate token: --ttl must be 1 to %lld "
		    "seconds (SANDGATE_TOKEN_MAX_TTL)\n",
		    (long long)cfg.token_max_ttl);
		return SG_EXIT_USAGE;
	}
	if (strlen(scope) > 255 || sg_scope_parse(scope, &bits) == -1) {
		fprintf(stderr, "sandgate token: --scope must be known scopes "
		    "separated by single spaces\n");
		return SG_EXIT_USAGE;
	}
	/*
	 * The operator key when there is one (docs/deploy.md §3): the
	 * sandbox key is held by token-issuer and sandbox-create, which must
	 * not be able to mint operator tokens.
	 */
	var = "SANDGATE_OPERATOR_SIGNING_KEY";
	path = cfg.operator_signing_key;
	if (path[0] == '\0') {
		var = "SANDGATE_SIGNING_KEY";
		path = cfg.signing_key;
	}
	if (path[0] == '\0') {
		fprintf(stderr, "sandgate token: SANDGATE_OPERATOR_SIGNING_KEY "
		    "(or SANDGATE_SIGNING_KEY) is not set\n");
		return SG_EXIT_USAGE;
	}
	if (sg_key_load_signing(path, &k, &err) != SG_OK) {
		fprintf(stderr, "sandgate token: %s: %s\n", var, err.msg);
		goto out;
	}
	if (sg_token_mint_operator(k, cfg.issuer, sub, scope, ttl,
	    time(NULL), &m, &err) != SG_OK) {
		fprintf(stderr, "sandgate token: %s\n", err.msg);
		ret = err.rc == SG_EINVAL ? SG_EXIT_USAGE : SG_EXIT_FAIL;
		goto out;
	}
	printf("%s\n", m.token);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "sandgate token: cannot write the token\n");
		goto out;
	}
	ret = SG_EXIT_OK;
	count_issued(&cfg);
out:
	sg_minted_clear(&m);
	sg_key_free(k);
	return ret;
}
