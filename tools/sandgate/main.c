/* SPDX-License-Identifier: ISC */
/*
 * sandgate: the operator's command line (docs/contract.md §1): keys,
 * operator tokens, offline verification, reaping expired sandboxes.
 *
 *	sandgate keygen [--force] DIR
 *	sandgate keys init|rotate|activate|retire|list DIR
 *	sandgate jwk KEY.pem
 *	sandgate token --sub NAME --scope "SCOPES" [--ttl SECONDS]
 *	sandgate verify [--audience AUD] [--container-id ID] [--target H:P]
 *	sandgate reap [--dry-run] [--loop SECONDS]
 */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cfg.h"
#include "cmd.h"

static const struct {
	const char	*name;
	int		(*fn)(int, char *[]);
	const char	*what;
} cmds[] = {
	{ "keygen",	cmd_keygen,	"create a P-256 key pair and jwks.json" },
	{ "keys",	cmd_keys,	"the units' key directory: init, rotate, "
	    "activate, retire" },
	{ "jwk",	cmd_jwk,	"print the public JWK of a PEM key" },
	{ "token",	cmd_token,	"mint an operator token" },
	{ "verify",	cmd_verify,	"verify a token read from stdin" },
	{ "reap",	cmd_reap,	"destroy sandboxes whose token expired" },
	{ "audit",	cmd_audit,	"verify or seal a sandbox's audit trail" },
	{ "doctor",	cmd_doctor,	"check this host: keys, Redis, Docker, "
	    "firewall" },
};

int
cmd_usage(int c, void (*usage)(FILE *))
{
	if (c == 'h') {
		usage(stdout);
		return SG_EXIT_OK;
	}
	usage(stderr);
	return SG_EXIT_USAGE;
}

static void
usage(FILE *f)
{
	size_t	 i;

	fprintf(f, "usage: sandgate COMMAND [OPTIONS]\n"
	    "       sandgate COMMAND --help\n"
	    "       sandgate --version\n"
	    "       sandgate --check-config\n\ncommands:\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].what);
	fprintf(f, "\nConfiguration comes from the SANDGATE_* environment "
	    "variables (sandgate(7)).\n--check-config reports every error "
	    "and unknown name in them, exit 0 or 78.\n"
	    "Exit status: 0 success, 1 failure, 2 usage or "
	    "configuration error.\n");
}

/*
 * The configuration as the commands load it (sandgate reap's unit runs
 * this first).  Keys are not opened: the reaper's user may not read the
 * signing key the shared sandgate.env names.
 */
static int
check_config(void)
{
	static struct sg_cfg_report	 rep;
	static struct sg_cfg		 cfg;

	(void)setlocale(LC_ALL, "C");
	(void)sg_cfg_check(&cfg, &rep, NULL);
	sg_cfg_report_print(stderr, "sandgate", &rep);
	if (rep.nerr > 0)
		return EX_CONFIG;
	printf("sandgate: configuration ok\n");
	return SG_EXIT_OK;
}

int
main(int argc, char *argv[])
{
	size_t	 i;

	if (argc < 2) {
		usage(stderr);
		return SG_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return SG_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 ||
	    strcmp(argv[1], "-V") == 0) {
		/* "sandgate PROGRAM VERSION", as every service prints it. */
		printf("sandgate cli %s\n", SG_VERSION);
		return SG_EXIT_OK;
	}
	if (strcmp(argv[1], "--check-config") == 0)
		return check_config();
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "sandgate: unknown command \"%.64s\"\n", argv[1]);
	usage(stderr);
	return SG_EXIT_USAGE;
}
