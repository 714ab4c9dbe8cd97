/*
 * sandgate: the operator's command line (docs/contract.md §1): keys,
 * operator tokens, offline verification, reaping expired sandboxes.
 *
 *	sandgate keygen [--force] DIR
 *	sandgate jwk KEY.pem
 *	sandgate token --sub NAME --scope "SCOPES" [--ttl SECONDS]
 *	sandgate verify [--audience AUD] [--container-id ID] [--target H:P]
 *	sandgate reap [--dry-run] [--loop SECONDS]
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cmd.h"

static const struct {
	const char	*name;
	int		(*fn)(int, char *[]);
	const char	*what;
} cmds[] = {
	{ "keygen",	cmd_keygen,	"create a P-256 key pair and jwks.json" },
	{ "jwk",	cmd_jwk,	"print the public JWK of a PEM key" },
	{ "token",	cmd_token,	"mint an operator token" },
	{ "verify",	cmd_verify,	"verify a token read from stdin" },
	{ "reap",	cmd_reap,	"destroy sandboxes whose token expired" },
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
	    "       sandgate --version\n\ncommands:\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].what);
	fprintf(f, "\nConfiguration comes from the SANDGATE_* environment "
	    "variables.\nExit status: 0 success, 1 failure, 2 usage or "
	    "configuration error.\n");
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
		printf("sandgate %s\n", PACKAGE_VERSION);
		return SG_EXIT_OK;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "sandgate: unknown command \"%.64s\"\n", argv[1]);
	usage(stderr);
	return SG_EXIT_USAGE;
}
