/* SPDX-License-Identifier: ISC */
/*
 * verify-decide: the cost of token-verify's decision in process, without
 * sockets or a web server in the way (bench/verify.sh runs it next to the
 * wrk runs).  With N distinct operator tokens, measures per second:
 *
 *   es256     sg_es256_verify over each token's signing input (the floor
 *             set by OpenSSL, as `openssl speed ecdsap256` measures it)
 *   jwt       sg_token_verify: form, header, signature, claims
 *   cold      sg_verify_decide with a token never seen (cache miss)
 *   warm      sg_verify_decide with a cached token (cache hit)
 *   handle    sg_verify_handle on a cached token: decision, response and
 *             the decision log line (stderr; point it at /dev/null or a
 *             file)
 *
 *   verify-decide KEY.pem [N [REDIS_URL]]   prints one JSON object
 *
 * The tokens are operator tokens, and a cold decision on one looks up
 * its revocation in Redis: REDIS_URL names a running one (without it
 * every cold decision fails, 503).
 *
 * Rates are per second of this process's CPU time (user + system), as
 * `openssl speed` counts by default, so a busy machine does not skew the
 * comparison with it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "b64url.h"
#include "cfg.h"
#include "claims.h"
#include "compat.h"
#include "request.h"
#include "response.h"
#include "jwt.h"
#include "keys.h"
#include "log.h"
#include "token.h"
#include "verify.h"

#define ISS	"https://sandgate.bench"

static double
now_s(void)
{
	struct timespec	 ts;

	(void)clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct reqenv {
	char	 auth[SG_JWT_MAX_LEN + 16];
	char	*env[8];
};

static void
env_make(struct reqenv *r, const char *tok)
{
	(void)snprintf(r->auth, sizeof(r->auth), "HTTP_AUTHORIZATION=Bearer %s",
	    tok);
	r->env[0] = (char *)"FCGI_ROLE=RESPONDER";
	r->env[1] = (char *)"REQUEST_METHOD=GET";
	r->env[2] = (char *)"REQUEST_URI=/v1/sessions/sandbox_BENCH";
	r->env[3] = (char *)"QUERY_STRING=";
	r->env[4] = (char *)"SCRIPT_NAME=/_sg_auth";
	r->env[5] = r->auth;
	r->env[6] = NULL;
}

int
main(int argc, char *argv[])
{
	static struct app	 v;
	struct sg_key		*key = NULL;
	struct sg_keyset	*ks = NULL;
	struct sg_cfg		 cfg;
	struct sg_err		 err;
	struct sg_minted	 m;
	struct sg_verify_opts	 opts;
	struct sg_claims	 c;
	struct sg_verdict	 vd;
	struct sg_req		 req;
	struct sg_resp		 resp;
	struct reqenv		 re;
	char			**toks = NULL, keys[4096];
	uint8_t			 sig[128];
	size_t			 n = 20000, i, siglen, warm;
	const char		*dot;
	double			 t0, es, jwt, cold, hot, handle;
	FILE			*f;
	char			*pem;
	time_t			 now = time(NULL);

	if (argc < 2 || argc > 4) {
		fprintf(stderr,
		    "usage: verify-decide KEY.pem [N [REDIS_URL]]\n");
		return 2;
	}
	if (argc >= 3)
		n = (size_t)strtoul(argv[2], NULL, 10);
	if (n < 100 || n > 1000000)
		n = 20000;
	sg_err_clear(&err);
	sg_log_init("verify-decide", SG_LOG_INFO);
	if (sg_key_load_pem(argv[1], &key, &err) != SG_OK) {
		fprintf(stderr, "%s: %s\n", argv[1], err.msg);
		return 1;
	}
	/* the public key in a file of its own, as the service reads it */
	(void)snprintf(keys, sizeof(keys), "/tmp/verify-decide.%d.pem",
	    (int)getpid());
	if ((pem = sg_key_pem(key, 0)) == NULL || (f = fopen(keys, "w")) ==
	    NULL || fputs(pem, f) < 0 || fclose(f) != 0) {
		fprintf(stderr, "cannot write %s\n", keys);
		return 1;
	}
	free(pem);
	if ((toks = calloc(n, sizeof(*toks))) == NULL)
		return 1;
	for (i = 0; i < n; i++) {
		memset(&m, 0, sizeof(m));
		if (sg_token_mint_operator(key, ISS, "bench", "sessions:read",
		    3600, now, &m, &err) != SG_OK) {
			fprintf(stderr, "mint: %s\n", err.msg);
			return 1;
		}
		toks[i] = strdup(m.token);
		sg_minted_clear(&m);
	}
	if (sg_keyset_load(keys, &ks, &err) != SG_OK) {
		fprintf(stderr, "keys: %s\n", err.msg);
		return 1;
	}

	/* es256: the signature alone */
	t0 = now_s();
	for (i = 0; i < n; i++) {
		dot = strrchr(toks[i], '.');
		if (sg_b64url_decode(dot + 1, strlen(dot + 1), sig,
		    sizeof(sig), &siglen, NULL) != SG_OK ||
		    sg_es256_verify(sg_keyset_at(ks, 0), toks[i],
		    (size_t)(dot - toks[i]), sig, siglen, NULL) != SG_OK) {
			fprintf(stderr, "es256 verify failed\n");
			return 1;
		}
	}
	es = (double)n / (now_s() - t0);

	/* jwt: sg_token_verify */
	memset(&opts, 0, sizeof(opts));
	opts.issuer = ISS;
	opts.leeway = 30;
	opts.max_ttl = 86400;
	opts.now = now;
	t0 = now_s();
	for (i = 0; i < n; i++) {
		sg_claims_init(&c);
		if (sg_token_verify(ks, toks[i], strlen(toks[i]), &opts, &c,
		    &err) != SG_OK) {
			fprintf(stderr, "verify: %s\n", err.msg);
			return 1;
		}
		sg_claims_clear(&c);
	}
	jwt = (double)n / (now_s() - t0);

	sg_cfg_defaults(&cfg);
	(void)strlcpy(cfg.issuer, ISS, sizeof(cfg.issuer));
	(void)strlcpy(cfg.verify_keys, keys, sizeof(cfg.verify_keys));
	/* operator tokens are checked against the revocations (Redis) */
	(void)strlcpy(cfg.redis, argc == 4 ? argv[3] :
	    "unix:/nonexistent/redis.sock", sizeof(cfg.redis));
	if (sg_verify_init(&v, &cfg, &err) != SG_OK) {
		fprintf(stderr, "init: %s\n", err.msg);
		return 1;
	}

	/* cold: every token new to the cache */
	t0 = now_s();
	for (i = 0; i < n; i++) {
		env_make(&re, toks[i]);
		if (sg_req_init(&req, re.env, NULL, 0, &err) != SG_OK)
			return 1;
		sg_verify_decide(&v, &req, &vd);
		if (vd.status != 200 || vd.cache_hit) {
			fprintf(stderr, "cold: %d %s\n", vd.status, vd.reason);
			return 1;
		}
		sg_req_clear(&req);
	}
	cold = (double)n / (now_s() - t0);

	/* warm: the same token again and again */
	warm = n * 10;
	env_make(&re, toks[0]);
	t0 = now_s();
	for (i = 0; i < warm; i++) {
		if (sg_req_init(&req, re.env, NULL, 0, &err) != SG_OK)
			return 1;
		sg_verify_decide(&v, &req, &vd);
		if (vd.status != 200) {
			fprintf(stderr, "warm: %d %s\n", vd.status, vd.reason);
			return 1;
		}
		sg_req_clear(&req);
	}
	hot = (double)warm / (now_s() - t0);

	/* handle: decision + response + log line */
	t0 = now_s();
	for (i = 0; i < warm; i++) {
		if (sg_req_init(&req, re.env, NULL, 0, &err) != SG_OK)
			return 1;
		sg_resp_init(&resp);
		sg_verify_handle(&v, &req, &resp);
		if (resp.status != 200)
			return 1;
		sg_resp_clear(&resp);
		sg_req_clear(&req);
	}
	handle = (double)warm / (now_s() - t0);

	printf("{\"tokens\":%zu,\"es256_per_s\":%.0f,\"jwt_per_s\":%.0f,"
	    "\"decide_cold_per_s\":%.0f,\"decide_warm_per_s\":%.0f,"
	    "\"handle_warm_per_s\":%.0f}\n", n, es, jwt, cold, hot, handle);
	sg_verify_clear(&v);
	sg_keyset_free(ks);
	sg_key_free(key);
	for (i = 0; i < n; i++)
		free(toks[i]);
	free(toks);
	(void)unlink(keys);
	return 0;
}
