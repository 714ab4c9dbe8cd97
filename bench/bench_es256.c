/* SPDX-License-Identifier: ISC */
/*
 * ES256 throughput through the library: the raw primitive
 * (sg_es256_sign/verify) and whole tokens (sg_jwt_sign/verify), each for
 * a bounded time.  bench/es256.sh runs it next to `openssl speed
 * ecdsap256` and passes those figures in with -O/-V, so that the JSON
 * written with -o carries both and their ratios.
 *
 *   bench_es256 [-q] [-s seconds] [-o out.json] [-O openssl_sign/s]
 *       [-V openssl_verify/s]
 *
 * -q prints one line "RESULT sign verify jwt_sign jwt_verify token_bytes"
 * (operations per user-CPU second) followed by the same four rates per
 * elapsed second, for the script to combine rounds.
 *
 * The primitive is measured on a 20-byte message, the size `openssl
 * speed` signs (it signs those bytes as a digest; we hash them first,
 * which costs well under 1 % of a signature).  Token figures use a
 * realistic container token (about 600 bytes), header and payload JSON
 * included.
 */
#include "config.h"

#include <sys/resource.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "crypto.h"
#include "jwt.h"
#include "keys.h"

#define BATCH		64		/* operations between clock reads */
#define MAX_OPS		50000000L	/* bound on any loop */
#define TARGET_RATIO	0.9

#define CLAIMS	"{\"iss\":\"https://sandgate.example\",\"sub\":\"user-1\"," \
	"\"aud\":\"sandgate-egress\",\"iat\":1767225600,\"nbf\":1767225600," \
	"\"exp\":1767240000,\"jti\":\"q7m1Yk0bZC7Qd3l2n0xW3A\"," \
	"\"container_id\":\"sandbox_3Jc0mK1xQe5sT9Lr2Yb8Aw\"," \
	"\"organization_uuid\":\"0b9e2c1e-5f0c-4c43-9d6e-6f1c2a7b8d90\"," \
	"\"allowed_hosts\":\"github.com,*.pypi.org,files.pythonhosted.org\"," \
	"\"enforce_container_binding\":\"true\"," \
	"\"use_egress_gateway\":\"true\"," \
	"\"enforce_centralized_egress\":\"true\"," \
	"\"is_hipaa_regulated\":\"false\",\"is_pci_compliant\":\"false\"}"

enum op { OP_SIGN, OP_VERIFY, OP_JWT_SIGN, OP_JWT_VERIFY };

struct ctx {
	struct sg_key		*key;
	struct sg_keyset	*ks;
	cJSON			*claims;
	char			*token;
	uint8_t			 msg[20];
	uint8_t			 sig[SG_ES256_SIGLEN];
};

/* Not <err.h>: lib/sgerr.h shadows it on the include path. */
static void
die(const char *what)
{
	fprintf(stderr, "bench_es256: %s\n", what);
	exit(1);
}

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
one(struct ctx *c, enum op op)
{
	char	*t = NULL;

	switch (op) {
	case OP_SIGN:
		if (sg_es256_sign(c->key, c->msg, sizeof(c->msg), c->sig,
		    NULL) != SG_OK)
			die("sg_es256_sign failed");
		break;
	case OP_VERIFY:
		if (sg_es256_verify(c->key, c->msg, sizeof(c->msg), c->sig,
		    sizeof(c->sig), NULL) != SG_OK)
			die("sg_es256_verify failed");
		break;
	case OP_JWT_SIGN:
		if (sg_jwt_sign(c->key, c->claims, &t, NULL) != SG_OK)
			die("sg_jwt_sign failed");
		free(t);
		break;
	case OP_JWT_VERIFY:
		if (sg_jwt_verify(c->ks, c->token, strlen(c->token), NULL,
		    NULL, NULL) != SG_OK)
			die("sg_jwt_verify failed");
		break;
	}
}

static double
user_cpu(void)
{
	struct rusage	 ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		die("getrusage");
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
}

struct rate {
	double	 cpu;	/* per user CPU second, as openssl speed */
	double	 wall;	/* per second of elapsed time */
};

/*
 * Operations per second over about secs seconds of elapsed time (and at
 * most MAX_OPS).  `openssl speed` stops on a wall-clock alarm but divides
 * by the user CPU time it used (its default; -elapsed changes that), so
 * that other load on the machine does not count against it.  We report
 * the same figure, and the elapsed-time one beside it.
 */
static struct rate
run(struct ctx *c, enum op op, double secs)
{
	struct rate	 r;
	double		 t0, t, u0, u;
	long		 n = 0;
	int		 i;

	/* Warm up: caches, lazy initialisation, CPU frequency. */
	for (i = 0; i < BATCH; i++)
		one(c, op);
	t0 = now();
	u0 = user_cpu();
	do {
		for (i = 0; i < BATCH; i++)
			one(c, op);
		n += BATCH;
		t = now();
	} while (t - t0 < secs && n < MAX_OPS);
	u = user_cpu();
	r.wall = (double)n / (t - t0);
	r.cpu = u > u0 ? (double)n / (u - u0) : r.wall;
	return r;
}

static double
ratio(double ours, double theirs)
{
	return theirs > 0 ? ours / theirs : 0;
}

int
main(int argc, char *argv[])
{
	struct ctx	 c;
	struct sg_key	*pub = NULL;
	struct sg_err	 e;
	cJSON		*out, *o, *r;
	const char	*outpath = NULL;
	char		*text, *end;
	double		 secs = 3, ossl_sign = 0, ossl_verify = 0;
	struct rate	 rs, rv, rjs, rjv;
	double		 sign, verify, jsign, jverify;
	FILE		*f;
	int		 ch, pass, quiet = 0;

	while ((ch = getopt(argc, argv, "qs:o:O:V:")) != -1) {
		switch (ch) {
		case 'q':
			quiet = 1;
			break;
		case 's':
			secs = strtod(optarg, &end);
			if (*end != '\0' || secs <= 0 || secs > 60)
				die("-s: 0 < seconds <= 60");
			break;
		case 'o':
			outpath = optarg;
			break;
		case 'O':
			ossl_sign = strtod(optarg, &end);
			if (*end != '\0' || ossl_sign < 0)
				die("-O: a rate");
			break;
		case 'V':
			ossl_verify = strtod(optarg, &end);
			if (*end != '\0' || ossl_verify < 0)
				die("-V: a rate");
			break;
		default:
			fprintf(stderr, "usage: bench_es256 [-q] [-s seconds] "
			    "[-o out.json] [-O openssl_sign/s] "
			    "[-V openssl_verify/s]\n");
			return 2;
		}
	}

	memset(&c, 0, sizeof(c));
	sg_err_clear(&e);
	if (sg_key_generate(&c.key, &e) != SG_OK)
		die(e.msg);
	if ((c.ks = sg_keyset_new()) == NULL ||
	    sg_key_public(c.key, &pub, &e) != SG_OK ||
	    sg_keyset_add(c.ks, pub, &e) != SG_OK)
		die(e.msg);
	if ((c.claims = cJSON_Parse(CLAIMS)) == NULL)
		die("claims");
	if (sg_jwt_sign(c.key, c.claims, &c.token, &e) != SG_OK)
		die(e.msg);
	memcpy(c.msg, "sandgate es256 bench", sizeof(c.msg));
	one(&c, OP_SIGN);

	rs = run(&c, OP_SIGN, secs);
	rv = run(&c, OP_VERIFY, secs);
	rjs = run(&c, OP_JWT_SIGN, secs);
	rjv = run(&c, OP_JWT_VERIFY, secs);
	sign = rs.cpu;
	verify = rv.cpu;
	jsign = rjs.cpu;
	jverify = rjv.cpu;

	if (quiet) {
		printf("RESULT %.1f %.1f %.1f %.1f %zu %.1f %.1f %.1f %.1f\n",
		    sign, verify, jsign, jverify, strlen(c.token), rs.wall,
		    rv.wall, rjs.wall, rjv.wall);
		goto done;
	}
	printf("%-28s %12s %12s\n", "", "sign/s", "verify/s");
	printf("%-28s %12.1f %12.1f\n", "sg_es256 (20-byte message)", sign,
	    verify);
	printf("%-28s %12.1f %12.1f   (token %zu bytes)\n",
	    "sg_jwt (container token)", jsign, jverify, strlen(c.token));
	printf("%-28s %12.1f %12.1f   (elapsed time)\n", "sg_es256, wall clock",
	    rs.wall, rv.wall);
	if (ossl_sign > 0 && ossl_verify > 0) {
		printf("%-28s %12.1f %12.1f\n", "openssl speed ecdsap256",
		    ossl_sign, ossl_verify);
		printf("%-28s %12.3f %12.3f\n", "ratio sg_es256/openssl",
		    ratio(sign, ossl_sign), ratio(verify, ossl_verify));
		printf("%-28s %12.3f %12.3f\n", "ratio sg_jwt/openssl",
		    ratio(jsign, ossl_sign), ratio(jverify, ossl_verify));
	}
	pass = ratio(sign, ossl_sign) >= TARGET_RATIO &&
	    ratio(verify, ossl_verify) >= TARGET_RATIO;

	if (outpath != NULL) {
		out = cJSON_CreateObject();
		cJSON_AddStringToObject(out, "bench", "es256");
		cJSON_AddNumberToObject(out, "seconds_per_measurement", secs);
		o = cJSON_AddObjectToObject(out, "sandgate");
		cJSON_AddNumberToObject(o, "es256_sign_per_s", sign);
		cJSON_AddNumberToObject(o, "es256_verify_per_s", verify);
		cJSON_AddNumberToObject(o, "jwt_sign_per_s", jsign);
		cJSON_AddNumberToObject(o, "jwt_verify_per_s", jverify);
		cJSON_AddNumberToObject(o, "es256_sign_per_wall_s", rs.wall);
		cJSON_AddNumberToObject(o, "es256_verify_per_wall_s", rv.wall);
		cJSON_AddNumberToObject(o, "jwt_sign_per_wall_s", rjs.wall);
		cJSON_AddNumberToObject(o, "jwt_verify_per_wall_s", rjv.wall);
		cJSON_AddStringToObject(o, "divisor", "user CPU time");
		cJSON_AddNumberToObject(o, "es256_message_bytes",
		    sizeof(c.msg));
		cJSON_AddNumberToObject(o, "token_bytes",
		    (double)strlen(c.token));
		o = cJSON_AddObjectToObject(out, "openssl_speed_ecdsap256");
		cJSON_AddNumberToObject(o, "sign_per_s", ossl_sign);
		cJSON_AddNumberToObject(o, "verify_per_s", ossl_verify);
		r = cJSON_AddObjectToObject(out, "ratio_to_openssl");
		cJSON_AddNumberToObject(r, "es256_sign",
		    ratio(sign, ossl_sign));
		cJSON_AddNumberToObject(r, "es256_verify",
		    ratio(verify, ossl_verify));
		cJSON_AddNumberToObject(r, "jwt_sign", ratio(jsign, ossl_sign));
		cJSON_AddNumberToObject(r, "jwt_verify",
		    ratio(jverify, ossl_verify));
		cJSON_AddNumberToObject(out, "target_ratio", TARGET_RATIO);
		cJSON_AddBoolToObject(out, "primitive_meets_target", pass);
		text = cJSON_Print(out);
		if (text == NULL || (f = fopen(outpath, "w")) == NULL)
			die(outpath);
		fprintf(f, "%s\n", text);
		if (fclose(f) != 0)
			die(outpath);
		free(text);
		cJSON_Delete(out);
	}

done:
	free(c.token);
	cJSON_Delete(c.claims);
	sg_keyset_free(c.ks);
	sg_key_free(c.key);
	return 0;
}
