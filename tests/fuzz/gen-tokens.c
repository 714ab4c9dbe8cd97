/* SPDX-License-Identifier: ISC */
/*
 * gen-tokens: write the signed seeds of the fuzz targets into DIR
 * (tests/fuzz/build.sh runs it).  The tokens are signed with test-key-1
 * for the fixed clock of the tests (fuzz.h), so that the fuzzers start
 * from inputs that get past the signature:
 *
 *   DIR/token/        compact tokens: valid container and operator ones,
 *                     expired, wrong issuer, bad claims (validly signed)
 *   DIR/token_signed/ "<header>\n<payload>" pairs for fuzz_token_signed
 *   DIR/verify/       FastCGI parameter sets for fuzz_verify: egress and
 *                     API requests carrying those tokens
 *
 *   gen-tokens DIR
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64url.h"
#include "json.h"
#include "jwt.h"
#include "keys.h"
#include "fuzz.h"

static struct sg_key	*key;
static const char	*dir;
static int		 nfiles;

static void
put(const char *sub, const char *name, const char *data, size_t len)
{
	char	 path[1024];
	FILE	*f;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, sub);
	if (mkdir(path, 0755) != 0 && errno != EEXIST) {
		perror(path);
		exit(1);
	}
	(void)snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
	if ((f = fopen(path, "wb")) == NULL ||
	    fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
	nfiles++;
}

static void
puts_(const char *sub, const char *name, const char *s)
{
	put(sub, name, s, strlen(s));
}

/* Container claims; hosts NULL leaves allowed_hosts out. */
static cJSON *
container(const char *cid, const char *hosts, const char *binding,
    int64_t iat, int64_t exp)
{
	cJSON	*c = cJSON_CreateObject();

	sg_json_add_str(c, "iss", FZ_ISSUER);
	sg_json_add_str(c, "sub", "user1");
	sg_json_add_str(c, "aud", "sandgate-egress");
	sg_json_add_int(c, "iat", iat);
	sg_json_add_int(c, "nbf", iat);
	sg_json_add_int(c, "exp", exp);
	sg_json_add_str(c, "jti", FZ_JTI);
	sg_json_add_str(c, "container_id", cid);
	sg_json_add_str(c, "organization_uuid", FZ_ORG);
	if (hosts != NULL)
		sg_json_add_str(c, "allowed_hosts", hosts);
	sg_json_add_str(c, "enforce_container_binding", binding);
	sg_json_add_str(c, "use_egress_gateway", "true");
	sg_json_add_str(c, "enforce_centralized_egress", "true");
	sg_json_add_str(c, "is_hipaa_regulated", "false");
	sg_json_add_str(c, "is_pci_compliant", "false");
	return c;
}

static cJSON *
operator(const char *scope)
{
	cJSON	*c = cJSON_CreateObject();

	sg_json_add_str(c, "iss", FZ_ISSUER);
	sg_json_add_str(c, "sub", "ops");
	sg_json_add_str(c, "aud", "sandgate-api");
	sg_json_add_int(c, "iat", FZ_NOW - 60);
	sg_json_add_int(c, "nbf", FZ_NOW - 60);
	sg_json_add_int(c, "exp", FZ_NOW + 3600);
	sg_json_add_str(c, "jti", "fuzz-op-0001");
	sg_json_add_str(c, "scope", scope);
	return c;
}

/* Sign and consume c; the token is malloc'd. */
static char *
sign(cJSON *c)
{
	char		*tok = NULL;
	struct sg_err	 err;

	sg_err_clear(&err);
	if (sg_jwt_sign(key, c, &tok, &err) != SG_OK) {
		fprintf(stderr, "gen-tokens: sign: %s\n", err.msg);
		exit(1);
	}
	cJSON_Delete(c);
	return tok;
}

/* The header\npayload seed of a claims object (not consumed). */
static void
pair(const char *name, const char *hdr, const cJSON *c)
{
	char	*p = sg_json_print(c), *s;
	size_t	 n = strlen(hdr) + strlen(p) + 2;

	s = malloc(n);
	(void)snprintf(s, n, "%s\n%s", hdr, p);
	put("token_signed", name, s, strlen(s));
	free(s);
	free(p);
}

/* A FastCGI parameter set for fuzz_verify. */
static void
egress(const char *name, const char *cfg, const char *tok, const char *cid,
    const char *method, const char *uri, const char *remote)
{
	char	 cred[10000], b64[14000], env[16000];

	(void)snprintf(cred, sizeof(cred), "container_%s:jwt_%s", cid, tok);
	if (sg_b64_encode(cred, strlen(cred), b64, sizeof(b64)) == 0)
		exit(1);
	(void)snprintf(env, sizeof(env),
	    "FUZZ_CFG=%s\nFCGI_ROLE=AUTHORIZER\nREQUEST_METHOD=%s\n"
	    "REQUEST_URI=%s\nREMOTE_ADDR=%s\n"
	    "HTTP_PROXY_AUTHORIZATION=Basic %s\n",
	    cfg, method, uri, remote, b64);
	puts_("verify", name, env);
}

static void
api(const char *name, const char *cfg, const char *tok, const char *method,
    const char *uri, const char *extra)
{
	char	 env[16000];

	(void)snprintf(env, sizeof(env),
	    "FUZZ_CFG=%s\nFCGI_ROLE=AUTHORIZER\nREQUEST_METHOD=%s\n"
	    "REQUEST_URI=%s\nREMOTE_ADDR=127.0.0.1\n"
	    "HTTP_AUTHORIZATION=Bearer %s\n%s",
	    cfg, method, uri, tok, extra);
	puts_("verify", name, env);
}

int
main(int argc, char *argv[])
{
	static const char hosts[] = "github.com,*.example.org:8443,"
	    "192.0.2.10,[2001:db8::1]:443,private.test,10.0.0.1,*.pypi.org";
	static const char hdr[] = "{\"alg\":\"ES256\",\"typ\":\"JWT\"}";
	char		 path[512], kidhdr[300];
	char		*t_ok, *t_nobind, *t_down, *t_bad, *t_old, *t_op, *t_op2;
	char		*t;
	cJSON		*c;

	if (argc != 2) {
		fprintf(stderr, "usage: gen-tokens DIR\n");
		return 2;
	}
	dir = argv[1];
	(void)snprintf(path, sizeof(path), "%s/test-key-1.pem", SG_TESTDATA);
	if (sg_key_load_pem(path, &key, NULL) != SG_OK) {
		fprintf(stderr, "gen-tokens: cannot load %s\n", path);
		return 1;
	}
	(void)snprintf(kidhdr, sizeof(kidhdr),
	    "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"%s\"}",
	    sg_key_kid(key));

	/* valid tokens */
	t_ok = sign(container(FZ_CID, hosts, "true", FZ_NOW - 60,
	    FZ_NOW + 3600));
	t_nobind = sign(container(FZ_CID, hosts, "false", FZ_NOW - 60,
	    FZ_NOW + 3600));
	t_down = sign(container("sandbox_fuzzDOWN", hosts, "false",
	    FZ_NOW - 60, FZ_NOW + 3600));
	t_bad = sign(container("sandbox_fuzzBAD", hosts, "false",
	    FZ_NOW - 60, FZ_NOW + 3600));
	t_old = sign(container("sandbox_fuzzOLD", hosts, "false",
	    FZ_NOW - 60, FZ_NOW + 3600));
	t_op = sign(operator("tokens:issue sandboxes:create "
	    "sandboxes:destroy sessions:read"));
	t_op2 = sign(operator("sessions:read"));
	puts_("token", "container-binding", t_ok);
	puts_("token", "container-nobinding", t_nobind);
	puts_("token", "operator-all", t_op);
	puts_("token", "operator-read", t_op2);
	/* validly signed, refused by the claims */
	t = sign(container(FZ_CID, hosts, "true", FZ_NOW - 7200,
	    FZ_NOW - 3600));
	puts_("token", "expired", t);
	free(t);
	t = sign(container(FZ_CID, "github.com,", "true", FZ_NOW - 60,
	    FZ_NOW + 3600));
	puts_("token", "bad-hosts", t);
	free(t);
	t = sign(container(FZ_CID, hosts, "TRUE", FZ_NOW - 60,
	    FZ_NOW + 3600));
	puts_("token", "bad-flag", t);
	free(t);
	t = sign(container(FZ_CID, NULL, "true", FZ_NOW - 60,
	    FZ_NOW + 3600));
	puts_("token", "no-hosts", t);
	free(t);
	t = sign(container(FZ_CID, hosts, "true", FZ_NOW - 60,
	    FZ_NOW + 86400 * 2));
	puts_("token", "too-long", t);
	free(t);

	/* header\npayload pairs */
	c = container(FZ_CID, hosts, "true", FZ_NOW - 60, FZ_NOW + 3600);
	pair("container", hdr, c);
	pair("container-kid", kidhdr, c);
	pair("alg-none", "{\"alg\":\"none\"}", c);
	pair("dup-alg", "{\"alg\":\"ES256\",\"alg\":\"none\"}", c);
	pair("case-alg", "{\"ALG\":\"none\",\"alg\":\"ES256\"}", c);
	pair("crit", "{\"alg\":\"ES256\",\"crit\":[\"exp\"]}", c);
	pair("jku", "{\"alg\":\"ES256\",\"jku\":\"http://127.0.0.1/\"}", c);
	pair("kid-path", "{\"alg\":\"ES256\",\"kid\":\"../../dev/null\"}", c);
	pair("typ", "{\"alg\":\"ES256\",\"typ\":\"at+jwt\"}", c);
	pair("ws", "{ \"alg\" : \"ES256\" }", c);
	cJSON_Delete(c);
	c = operator("sessions:read");
	pair("operator", hdr, c);
	cJSON_Delete(c);
	puts_("token_signed", "garbage-after", "{\"alg\":\"ES256\"}\n"
	    "{\"iss\":\"" FZ_ISSUER "\",\"exp\":1}xyz");
	puts_("token_signed", "exp-types", "{\"alg\":\"ES256\"}\n"
	    "{\"iss\":\"" FZ_ISSUER "\",\"sub\":\"u\",\"aud\":\"sandgate-api\","
	    "\"iat\":1767225540,\"exp\":1e400,\"jti\":\"j\","
	    "\"scope\":\"sessions:read\"}");
	puts_("token_signed", "exp-big", "{\"alg\":\"ES256\"}\n"
	    "{\"iss\":\"" FZ_ISSUER "\",\"sub\":\"u\",\"aud\":\"sandgate-api\","
	    "\"iat\":1767225540,\"exp\":99999999999999999999,\"jti\":\"j\","
	    "\"scope\":\"sessions:read\"}");
	puts_("token_signed", "nul-escape", "{\"alg\":\"ES256\"}\n"
	    "{\"iss\":\"" FZ_ISSUER "\\u0000x\",\"sub\":\"u\","
	    "\"aud\":\"sandgate-api\",\"iat\":1767225540,\"exp\":1767229200,"
	    "\"jti\":\"j\",\"scope\":\"sessions:read\"}");

	/* egress decisions (FUZZ_CFG bits: see fuzz_verify.c) */
	egress("allow-connect", "0", t_ok, FZ_CID, "CONNECT", "github.com:443",
	    "172.18.0.5");
	egress("allow-http", "0", t_nobind, FZ_CID, "GET",
	    "http://www.example.org:8443/x?y", "10.9.9.9");
	egress("deny-host", "0", t_nobind, FZ_CID, "CONNECT", "evil.com:443",
	    "172.18.0.5");
	egress("report-mode", "2", t_nobind, FZ_CID, "CONNECT",
	    "evil.com:443", "172.18.0.5");
	egress("binding-mismatch", "0", t_ok, FZ_CID, "CONNECT",
	    "github.com:443", "172.18.0.6");
	egress("binding-v4mapped", "0", t_ok, FZ_CID, "CONNECT",
	    "github.com:443", "::ffff:172.18.0.5");
	egress("cid-mismatch", "0", t_ok, "sandbox_other", "CONNECT",
	    "github.com:443", "172.18.0.5");
	egress("redis-down", "0", t_down, "sandbox_fuzzDOWN", "CONNECT",
	    "github.com:443", "172.18.0.5");
	egress("redis-down-open", "1", t_down, "sandbox_fuzzDOWN", "CONNECT",
	    "github.com:443", "172.18.0.5");
	egress("bad-session", "1", t_bad, "sandbox_fuzzBAD", "CONNECT",
	    "github.com:443", "172.18.0.5");
	egress("old-session", "0", t_old, "sandbox_fuzzOLD", "CONNECT",
	    "github.com:443", "172.18.0.5");
	egress("private-name", "4", t_nobind, FZ_CID, "CONNECT",
	    "private.test:443", "172.18.0.5");
	egress("private-ip", "4", t_nobind, FZ_CID, "CONNECT", "10.0.0.1:443",
	    "172.18.0.5");
	egress("public-ip", "4", t_nobind, FZ_CID, "GET",
	    "https://[2001:db8::1]/", "172.18.0.5");
	egress("wildcard", "4", t_nobind, FZ_CID, "CONNECT",
	    "files.pypi.org:443", "172.18.0.5");
	egress("operator-as-egress", "0", t_op, FZ_CID, "CONNECT",
	    "github.com:443", "172.18.0.5");
	egress("later", "2560", t_ok, FZ_CID, "CONNECT", "github.com:443",
	    "172.18.0.5");
	/* AuthType Basic: Apache decoded the credentials */
	{
		char env[12000];

		(void)snprintf(env, sizeof(env), "FUZZ_CFG=0\n"
		    "FCGI_ROLE=AUTHORIZER\nREQUEST_METHOD=CONNECT\n"
		    "REQUEST_URI=github.com:443\nREMOTE_ADDR=172.18.0.5\n"
		    "REMOTE_USER=container_%s\nREMOTE_PASSWD=jwt_%s\n", FZ_CID,
		    t_ok);
		puts_("verify", "remote-user", env);
	}

	/* API decisions */
	api("op-create", "0", t_op, "POST", "/v1/sandboxes", "");
	api("op-destroy", "0", t_op, "DELETE", "/v1/sandboxes/sandbox_x", "");
	api("op-read-list", "0", t_op2, "GET", "/v1/sessions?user_id=user1",
	    "");
	api("op-insufficient", "0", t_op2, "POST", "/v1/tokens", "");
	api("container-own", "0", t_ok, "GET", "/v1/sessions/" FZ_CID,
	    "HTTP_X_CONTAINER_ID=" FZ_CID "\n");
	api("container-nohdr", "0", t_ok, "GET", "/v1/sessions/" FZ_CID, "");
	api("container-nobind", "0", t_nobind, "GET", "/v1/sessions/" FZ_CID,
	    "");
	api("container-other", "0", t_nobind, "GET", "/v1/sessions/sandbox_b",
	    "");
	api("container-create", "0", t_ok, "POST", "/v1/sandboxes", "");
	api("twice", "0", t_op, "GET", "/v1/sessions?access_token=x", "");
	api("proxy-too", "0", t_op, "GET", "/v1/sessions/x",
	    "HTTP_PROXY_AUTHORIZATION=Basic eDp5\n");
	api("responder", "0", t_op, "GET", "/v1/sessions/x",
	    "FCGI_ROLE=RESPONDER\n");
	puts_("verify", "jwks", "FUZZ_CFG=0\nREQUEST_METHOD=GET\n"
	    "REQUEST_URI=/.well-known/jwks.json\n");
	puts_("verify", "health", "FUZZ_CFG=0\nREQUEST_METHOD=GET\n"
	    "REQUEST_URI=/healthz\nSCRIPT_NAME=/healthz\n");

	free(t_ok);
	free(t_nobind);
	free(t_down);
	free(t_bad);
	free(t_old);
	free(t_op);
	free(t_op2);
	sg_key_free(key);
	printf("gen-tokens: %d seed files\n", nfiles);
	return 0;
}
