/* SPDX-License-Identifier: ISC */
/*
 * tv-mint: mint sandgate tokens with the library, for token-verify's
 * integration tests and benchmark (not installed).  Prints one line per
 * token: "<token> <jti> <exp>".
 *
 *   tv-mint container KEY ISS SUB CID ORG HOSTS BINDING TTL [SHIFT] [COUNT]
 *   tv-mint operator KEY ISS SUB SCOPE TTL [SHIFT] [COUNT]
 *   tv-mint jwks KEY...      (the public keys as one JWK set)
 *
 * SHIFT (seconds, may be negative) moves the issue time away from now,
 * e.g. -7200 with TTL 3600 gives an expired token.  COUNT mints that many
 * operator tokens (each with its own jti) for cold-cache benchmarks; for
 * container tokens, COUNT containers CID_0, CID_1, ..., and each line
 * gets the container id as a fourth field.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "claims.h"
#include "sgerr.h"
#include "hosts.h"
#include "keys.h"
#include "num.h"
#include "token.h"

#define PROG	"tv-mint"

/*
 * <err.h> is shadowed by lib/sgerr.h on the include path, so errx is
 * spelled out here.
 */
static void __attribute__((noreturn, format(printf, 2, 3)))
die(int code, const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "%s: ", PROG);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

/*
 * A signed decimal, as strtoll(3) takes it (leading white space and a
 * sign allowed: SHIFT may be negative), the digits by sg_num_parse.
 */
static int64_t
num(const char *s, const char *what)
{
	const char	*p = s;
	int64_t		 v;
	int		 neg = 0;

	while (isspace((unsigned char)*p))
		p++;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (sg_num_parse(p, 0, INT64_MAX, &v) == 0)
		return neg ? -v : v;
	/* The one value whose magnitude is past INT64_MAX. */
	while (neg && p[0] == '0' && p[1] != '\0')
		p++;
	if (neg && strcmp(p, "9223372036854775808") == 0)
		return INT64_MIN;
	die(EX_USAGE, "bad %s: %s", what, s);
}

static void
usage(void)
{
	fprintf(stderr, "usage: tv-mint container KEY ISS SUB CID ORG HOSTS "
	    "BINDING TTL [SHIFT] [COUNT]\n"
	    "       tv-mint operator KEY ISS SUB SCOPE TTL [SHIFT] [COUNT]\n"
	    "       tv-mint jwks KEY...\n");
	exit(EX_USAGE);
}

int
main(int argc, char *argv[])
{
	struct sg_key		*key = NULL;
	struct sg_hostlist	 hosts;
	struct sg_mint_container mc;
	struct sg_minted	 m;
	struct sg_err		 e;
	int64_t			 shift = 0, count = 1, i;
	time_t			 now = time(NULL);

	sg_err_clear(&e);
	sg_hostlist_init(&hosts);
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "container") == 0) {
		if (argc < 10 || argc > 12)
			usage();
		if (argc >= 11)
			shift = num(argv[10], "shift");
		if (argc == 12)
			count = num(argv[11], "count");
		if (count < 1 || count > 1000000)
			die(EX_USAGE, "bad count");
		if (sg_key_load_pem(argv[2], &key, &e) != SG_OK)
			die(EX_DATAERR, "%s: %s", argv[2], e.msg);
		if (sg_hosts_parse(argv[7], strlen(argv[7]), &hosts, &e) !=
		    SG_OK)
			die(EX_DATAERR, "hosts: %s", e.msg);
		memset(&mc, 0, sizeof(mc));
		mc.issuer = argv[3];
		mc.sub = argv[4];
		mc.container_id = argv[5];
		mc.org = argv[6];
		mc.hosts = &hosts;
		mc.binding = strcmp(argv[8], "true") == 0;
		mc.ttl = num(argv[9], "ttl");
		mc.now = now + (time_t)shift;
		for (i = 0; i < count; i++) {
			char	 cid[SG_ID_MAX + 1];

			if (argc == 12) {
				(void)snprintf(cid, sizeof(cid), "%.100s_%lld",
				    argv[5], (long long)i);
				mc.container_id = cid;
			}
			memset(&m, 0, sizeof(m));
			if (sg_token_mint_container(key, &mc, &m, &e) != SG_OK)
				die(EX_DATAERR, "mint: %s", e.msg);
			if (argc == 12)
				printf("%s %s %lld %s\n", m.token, m.jti,
				    (long long)m.exp, cid);
			else
				printf("%s %s %lld\n", m.token, m.jti,
				    (long long)m.exp);
			sg_minted_clear(&m);
		}
	} else if (strcmp(argv[1], "operator") == 0) {
		if (argc < 7 || argc > 9)
			usage();
		if (argc >= 8)
			shift = num(argv[7], "shift");
		if (argc == 9)
			count = num(argv[8], "count");
		if (count < 1 || count > 1000000)
			die(EX_USAGE, "bad count");
		if (sg_key_load_pem(argv[2], &key, &e) != SG_OK)
			die(EX_DATAERR, "%s: %s", argv[2], e.msg);
		for (i = 0; i < count; i++) {
			memset(&m, 0, sizeof(m));
			if (sg_token_mint_operator(key, argv[3], argv[4],
			    argv[5], num(argv[6], "ttl"), now + (time_t)shift,
			    &m, &e) != SG_OK)
				die(EX_DATAERR, "mint: %s", e.msg);
			printf("%s %s %lld\n", m.token, m.jti,
			    (long long)m.exp);
			sg_minted_clear(&m);
		}
	} else if (strcmp(argv[1], "jwks") == 0) {
		struct sg_keyset	*ks;
		cJSON			*doc;
		char			*text;
		int			 j;

		if (argc < 3 || (ks = sg_keyset_new()) == NULL)
			usage();
		for (j = 2; j < argc; j++) {
			if (sg_key_load_pem(argv[j], &key, &e) != SG_OK ||
			    sg_keyset_add(ks, key, &e) != SG_OK)
				die(EX_DATAERR, "%s: %s", argv[j], e.msg);
			key = NULL;
		}
		if ((doc = sg_keyset_jwks(ks)) == NULL ||
		    (text = cJSON_PrintUnformatted(doc)) == NULL)
			die(EX_OSERR, "out of memory");
		printf("%s\n", text);
		free(text);
		cJSON_Delete(doc);
		sg_keyset_free(ks);
	} else
		usage();
	sg_hostlist_clear(&hosts);
	sg_key_free(key);
	return 0;
}
