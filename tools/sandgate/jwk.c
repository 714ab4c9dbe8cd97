/* SPDX-License-Identifier: ISC */
/*
 * sandgate jwk KEY.pem
 *
 * Print the public JWK (RFC 7517, with kid, use and alg) of a P-256 key
 * in PEM; a private key gives its public half.  Keys of any other curve
 * or type are refused by the loader.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "json.h"
#include "keys.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: sandgate jwk KEY.pem\n\n"
	    "Print the public JWK of a P-256 key (public or private PEM) as "
	    "one line of JSON.\n");
}

int
cmd_jwk(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "help",	no_argument,	NULL, 'h' },
		{ NULL,		0,		NULL, 0 }
	};
	struct sg_key	*k = NULL;
	struct sg_err	 err;
	cJSON		*jwk = NULL;
	char		*text = NULL;
	int		 c, ret = SG_EXIT_FAIL;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1)
		switch (c) {
		case 'h':
		default:
			return cmd_usage(c, usage);
		}
	if (argc - optind != 1)
		return cmd_usage('?', usage);
	sg_err_clear(&err);
	if (sg_key_load_pem(argv[optind], &k, &err) != SG_OK) {
		fprintf(stderr, "sandgate jwk: %s: %s\n", argv[optind],
		    err.msg);
		goto out;
	}
	if ((jwk = sg_key_jwk(k)) == NULL ||
	    (text = sg_json_print(jwk)) == NULL) {
		fprintf(stderr, "sandgate jwk: out of memory\n");
		goto out;
	}
	printf("%s\n", text);
	ret = SG_EXIT_OK;
out:
	free(text);
	cJSON_Delete(jwk);
	sg_key_free(k);
	return ret;
}
