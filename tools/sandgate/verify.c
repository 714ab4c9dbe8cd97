/* SPDX-License-Identifier: ISC */
/*
 * sandgate verify [--audience AUD] [--container-id ID] [--target HOST:PORT]
 *
 * Verify one token read from stdin (one trailing newline is ignored)
 * with the keys of SANDGATE_VERIFY_KEYS (or the public half of
 * SANDGATE_SIGNING_KEY when that is unset) and the services' rules:
 * SANDGATE_ISSUER, SANDGATE_LEEWAY, SANDGATE_TOKEN_MAX_TTL,
 * SANDGATE_ACCEPT_NO_AUD.  Optionally check the audience, the container
 * binding, and whether the token lets its container reach a CONNECT
 * target (allowed_hosts, SANDGATE_EGRESS_PORTS, and the private-address
 * rule when SANDGATE_EGRESS_DENY_PRIVATE=1), as token-verify would.
 *
 * Prints the verified claims as one line of JSON and exits 0 (with a
 * one-line note on stderr when only SANDGATE_ACCEPT_NO_AUD let the token
 * in); otherwise the reason on stderr and exit 1; usage or configuration
 * errors exit 2.
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
#include "crypto.h"
#include "hosts.h"
#include "json.h"
#include "jwt.h"
#include "keys.h"
#include "token.h"

enum want_kind {
	WANT_ANY,
	WANT_CONTAINER,
	WANT_OPERATOR
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: sandgate verify [--audience AUD] "
	    "[--container-id ID] [--target HOST:PORT] < TOKEN\n\n"
	    "Verify the token on stdin with SANDGATE_VERIFY_KEYS (or the "
	    "public half of\nSANDGATE_SIGNING_KEY) and the SANDGATE_* "
	    "settings; print its claims as JSON.\n"
	    "  --audience AUD      egress, api, sandgate-egress or "
	    "sandgate-api\n"
	    "  --container-id ID   the container_id claim must equal ID\n"
	    "  --target HOST:PORT  the token must allow this CONNECT target\n"
	    "Exit status: 0 valid, 1 refused (reason on stderr), 2 usage or "
	    "configuration.\n");
}

static int
refuse(const char *code, const char *msg)
{
	fprintf(stderr, "sandgate verify: %s: %s\n", code, msg);
	return SG_EXIT_FAIL;
}

int
cmd_load_keysets(const char *cmd, const struct sg_cfg *cfg, int fallback,
    struct sg_keyset **ks, struct sg_keyset **op)
{
	struct sg_err	 err;
	const char	*keys;

	*ks = *op = NULL;
	sg_err_clear(&err);
	keys = cfg->verify_keys[0] != '\0' || !fallback ? cfg->verify_keys :
	    cfg->signing_key;
	if (keys[0] == '\0') {
		fprintf(stderr, "sandgate %s: SANDGATE_VERIFY_KEYS is not set\n",
		    cmd);
		return SG_EXIT_USAGE;
	}
	if (sg_keyset_load(keys, ks, &err) != SG_OK) {
		fprintf(stderr, "sandgate %s: SANDGATE_VERIFY_KEYS: %s\n", cmd,
		    err.msg);
		return SG_EXIT_USAGE;
	}
	if (cfg->operator_keys[0] == '\0')
		return SG_EXIT_OK;
	if (sg_keyset_load(cfg->operator_keys, op, &err) != SG_OK ||
	    sg_token_keys_apart(*ks, *op, &err) != SG_OK) {
		fprintf(stderr, "sandgate %s: SANDGATE_OPERATOR_KEYS: %s\n", cmd,
		    err.msg);
		sg_keyset_free(*ks);
		sg_keyset_free(*op);
		*ks = *op = NULL;
		return SG_EXIT_USAGE;
	}
	return SG_EXIT_OK;
}

long
cmd_read_token(const char *cmd, char *buf, size_t size)
{
	const char	*why = NULL;
	size_t		 n;

	n = fread(buf, 1, size, stdin);
	if (ferror(stdin)) {
		fprintf(stderr, "sandgate %s: io_error: cannot read stdin\n",
		    cmd);
		return -1;
	}
	if (n == size)
		why = "token too long";
	else {
		if (n > 0 && buf[n - 1] == '\n') {
			n--;
			if (n > 0 && buf[n - 1] == '\r')
				n--;
		}
		if (n == 0)
			why = "no token on stdin";
		else if (n > SG_JWT_MAX_LEN)
			why = "token too long";
	}
	if (why != NULL) {
		fprintf(stderr, "sandgate %s: malformed_token: %s\n", cmd, why);
		return -1;
	}
	buf[n] = '\0';
	return (long)n;
}

/* What the command line asks for; -1 to go on, else the exit status. */
static int
verify_args(int argc, char *argv[], enum want_kind *want, const char **cid,
    const char **target)
{
	static const struct option longopts[] = {
		{ "audience",		required_argument,	NULL, 'a' },
		{ "container-id",	required_argument,	NULL, 'c' },
		{ "target",		required_argument,	NULL, 't' },
		{ "help",		no_argument,		NULL, 'h' },
		{ NULL,			0,			NULL, 0 }
	};
	int	 c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1)
		switch (c) {
		case 'a':
			if (strcmp(optarg, "egress") == 0 ||
			    strcmp(optarg, SG_AUD_EGRESS) == 0)
				*want = WANT_CONTAINER;
			else if (strcmp(optarg, "api") == 0 ||
			    strcmp(optarg, SG_AUD_API) == 0)
				*want = WANT_OPERATOR;
			else {
				fprintf(stderr, "sandgate verify: --audience "
				    "is egress or api\n");
				return SG_EXIT_USAGE;
			}
			break;
		case 'c':
			*cid = optarg;
			if (!sg_id_valid(*cid)) {
				fprintf(stderr, "sandgate verify: "
				    "--container-id is not a valid id\n");
				return SG_EXIT_USAGE;
			}
			break;
		case 't':
			*target = optarg;
			break;
		case 'h':
		default:
			return cmd_usage(c, usage);
		}
	if (optind != argc)
		return cmd_usage('?', usage);
	return -1;
}

/*
 * Whether the valid token's claims cl are what was asked for: the
 * audience, the container, a target its allowed_hosts reach.  Refuses
 * (and returns -1) otherwise.
 */
static int
verify_claims(const struct sg_claims *cl, enum want_kind want,
    const char *cid, const char *target, const struct sg_cfg *cfg)
{
	struct sg_target	 t;
	struct sg_err		 err;

	sg_err_clear(&err);
	if ((want == WANT_CONTAINER && cl->kind != SG_KIND_CONTAINER) ||
	    (want == WANT_OPERATOR && cl->kind != SG_KIND_OPERATOR))
		return refuse("bad_audience", "token is not for this audience"),
		    -1;
	if (cid != NULL && (cl->kind != SG_KIND_CONTAINER ||
	    !sg_streq(cl->container_id, cid)))
		return refuse("container_mismatch",
		    "container_id is not the one given"), -1;
	if (target == NULL)
		return 0;
	if (cl->kind != SG_KIND_CONTAINER)
		return refuse("target_not_allowed",
		    "an operator token reaches no target"), -1;
	if (sg_target_parse("CONNECT", target, &t, &err) != SG_OK)
		return refuse("bad_target", err.msg), -1;
	if (!sg_hosts_match(&cl->hosts, &t, &cfg->egress_ports))
		return refuse("target_not_allowed",
		    "allowed_hosts does not allow the target"), -1;
	if (cfg->deny_private && sg_target_check_public(&t, &err) != SG_OK)
		return refuse(err.code != NULL ? err.code : "private_target",
		    err.msg), -1;
	return 0;
}

int
cmd_verify(int argc, char *argv[])
{
	static struct sg_cfg	 cfg;
	static char		 tok[SG_JWT_MAX_LEN + 3];
	struct sg_keyset	*ks = NULL, *op = NULL;
	struct sg_verify_opts	 vo;
	struct sg_claims	 cl;
	struct sg_err		 err;
	enum want_kind		 want = WANT_ANY;
	const char		*cid = NULL, *target = NULL;
	cJSON			*payload = NULL;
	char			*text = NULL;
	long			 len = -1;
	int			 ret = SG_EXIT_FAIL;

	if ((ret = verify_args(argc, argv, &want, &cid, &target)) != -1)
		return ret;
	ret = SG_EXIT_FAIL;
	sg_claims_init(&cl);
	sg_err_clear(&err);
	if (sg_cfg_load(&cfg, &err) != SG_OK) {
		fprintf(stderr, "sandgate verify: %s\n", err.msg);
		return SG_EXIT_USAGE;
	}
	if ((ret = cmd_load_keysets("verify", &cfg, 1, &ks, &op)) !=
	    SG_EXIT_OK)
		goto out;
	ret = SG_EXIT_FAIL;
	if ((len = cmd_read_token("verify", tok, sizeof(tok))) == -1)
		goto out;

	memset(&vo, 0, sizeof(vo));
	vo.issuer = cfg.issuer;
	vo.accept_no_aud = cfg.accept_no_aud;
	vo.leeway = cfg.leeway;
	vo.max_ttl = cfg.token_max_ttl;
	vo.now = time(NULL);
	if (sg_token_verify_kinds(ks, op, tok, (size_t)len, &vo, &cl,
	    &payload, &err) != SG_OK) {
		refuse(err.code != NULL ? err.code : "invalid_token", err.msg);
		goto out;
	}
	if (verify_claims(&cl, want, cid, target, &cfg) != 0)
		goto out;
	/*
	 * Accepted only because SANDGATE_ACCEPT_NO_AUD=1: say so, so an
	 * operator checking tokens before turning the mode off sees which
	 * ones still depend on it (docs/operations.md).
	 */
	if (!cl.has_aud)
		fprintf(stderr, "sandgate verify: note: accepted in "
		    "compatibility mode only (no aud; SANDGATE_ACCEPT_NO_AUD=1)"
		    "\n");
	if ((text = sg_json_print(payload)) == NULL) {
		fprintf(stderr, "sandgate verify: out of memory\n");
		goto out;
	}
	printf("%s\n", text);
	ret = fflush(stdout) == 0 ? SG_EXIT_OK : SG_EXIT_FAIL;
out:
	sg_cleanse(tok, sizeof(tok));
	free(text);
	cJSON_Delete(payload);
	sg_claims_clear(&cl);
	sg_keyset_free(ks);
	sg_keyset_free(op);
	return ret;
}
