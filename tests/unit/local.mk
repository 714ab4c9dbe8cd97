# SPDX-License-Identifier: ISC
# tests/unit
#
# Every Check binary also links tests/unit/sgtest.c (sgtest.h: the fixed
# clock, a real redis-server child, free ports); the allocation-failure
# wrappers are tests/unit/sgtest_failalloc.h.
SGTEST_SOURCES = tests/unit/sgtest.c tests/unit/sgtest.h

# hosts engineer
check_PROGRAMS += tests/unit/check_policy
tests_unit_check_policy_SOURCES = tests/unit/check_policy.c $(SGTEST_SOURCES)
tests_unit_check_policy_CFLAGS = $(SG_CHECK_CFLAGS)
tests_unit_check_policy_LDADD = $(SG_CHECK_LIBS)
check_PROGRAMS += tests/unit/check_hosts
tests_unit_check_hosts_SOURCES = tests/unit/check_hosts.c $(SGTEST_SOURCES)
tests_unit_check_hosts_CFLAGS = $(SG_CHECK_CFLAGS)
tests_unit_check_hosts_LDADD = $(SG_CHECK_LIBS)

# tunnel: cutting a peer's connections (sock_diag SOCK_DESTROY)
check_PROGRAMS += tests/unit/check_tunnel
tests_unit_check_tunnel_SOURCES = tests/unit/check_tunnel.c
tests_unit_check_tunnel_CFLAGS = $(SG_CHECK_CFLAGS)
tests_unit_check_tunnel_LDADD = $(SG_CHECK_LIBS)

# share: mod_sandgate_authz's open requests and tunnels per sandbox
check_PROGRAMS += tests/unit/check_share
tests_unit_check_share_SOURCES = tests/unit/check_share.c \
	deploy/apache/sga_share.c deploy/apache/sga_share.h
tests_unit_check_share_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/deploy/apache -DSGA_SHARE_FAULTS
tests_unit_check_share_CFLAGS = $(SG_CHECK_CFLAGS)
tests_unit_check_share_LDADD = $(SG_CHECK_LIBS) -lpthread

# cache: mod_sandgate_authz's decision cache
check_PROGRAMS += tests/unit/check_cache
tests_unit_check_cache_SOURCES = tests/unit/check_cache.c \
	deploy/apache/sga_cache.c deploy/apache/sga_cache.h
tests_unit_check_cache_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/deploy/apache
tests_unit_check_cache_CFLAGS = $(SG_CHECK_CFLAGS)
tests_unit_check_cache_LDADD = $(SG_CHECK_LIBS) -lpthread

# fcgi: how much of a FastCGI request a held connection has sent
check_PROGRAMS += tests/unit/check_fcgi
tests_unit_check_fcgi_SOURCES = tests/unit/check_fcgi.c
tests_unit_check_fcgi_CFLAGS = $(SG_CHECK_CFLAGS)
tests_unit_check_fcgi_LDADD = $(SG_CHECK_LIBS)

# num: strict decimal numbers and hex digits
check_PROGRAMS += tests/unit/check_num
tests_unit_check_num_SOURCES = tests/unit/check_num.c $(SGTEST_SOURCES)
tests_unit_check_num_CFLAGS = $(SG_CHECK_CFLAGS)
tests_unit_check_num_LDADD = $(SG_CHECK_LIBS)

# http engineer: http + log, token-issuer, session-query
check_PROGRAMS += tests/unit/check_http
tests_unit_check_http_SOURCES = tests/unit/check_http.c $(SGTEST_SOURCES)
tests_unit_check_http_CFLAGS = $(SG_CHECK_CFLAGS)
tests_unit_check_http_LDADD = $(SG_CHECK_LIBS)
check_PROGRAMS += tests/unit/check_issuer
tests_unit_check_issuer_SOURCES = tests/unit/check_issuer.c $(SGTEST_SOURCES) \
	services/token-issuer/issuer.c
tests_unit_check_issuer_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/services/token-issuer
tests_unit_check_issuer_CFLAGS = $(SG_CHECK_CFLAGS)
tests_unit_check_issuer_LDADD = $(SG_CHECK_LIBS)
check_PROGRAMS += tests/unit/check_query
tests_unit_check_query_SOURCES = tests/unit/check_query.c $(SGTEST_SOURCES) \
	services/session-query/query.c services/session-query/policy.c
tests_unit_check_query_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/services/session-query
tests_unit_check_query_CFLAGS = $(SG_CHECK_CFLAGS)
tests_unit_check_query_LDADD = $(SG_CHECK_LIBS)

# crypto engineer: b64url, keys, jwt, wycheproof
check_PROGRAMS += tests/unit/check_b64url
tests_unit_check_b64url_SOURCES = tests/unit/check_b64url.c $(SGTEST_SOURCES)
tests_unit_check_b64url_CFLAGS = $(SG_CHECK_CFLAGS)
tests_unit_check_b64url_LDADD = $(SG_CHECK_LIBS)
check_PROGRAMS += tests/unit/check_keys
tests_unit_check_keys_SOURCES = tests/unit/check_keys.c $(SGTEST_SOURCES)
tests_unit_check_keys_CFLAGS = $(SG_CHECK_CFLAGS)
tests_unit_check_keys_LDADD = $(SG_CHECK_LIBS)
check_PROGRAMS += tests/unit/check_jwt
tests_unit_check_jwt_SOURCES = tests/unit/check_jwt.c $(SGTEST_SOURCES)
tests_unit_check_jwt_CFLAGS = $(SG_CHECK_CFLAGS)
tests_unit_check_jwt_LDADD = $(SG_CHECK_LIBS)
check_PROGRAMS += tests/unit/check_wycheproof
tests_unit_check_wycheproof_SOURCES = tests/unit/check_wycheproof.c $(SGTEST_SOURCES)
tests_unit_check_wycheproof_CFLAGS = $(SG_CHECK_CFLAGS)
tests_unit_check_wycheproof_LDADD = $(SG_CHECK_LIBS)

# docker engineer: docker client, sandbox-create/-destroy handlers
check_PROGRAMS += tests/unit/check_docker
tests_unit_check_docker_SOURCES = tests/unit/check_docker.c $(SGTEST_SOURCES)
tests_unit_check_docker_CFLAGS = $(SG_CHECK_CFLAGS)
tests_unit_check_docker_LDADD = $(SG_CHECK_LIBS)
check_PROGRAMS += tests/unit/check_sandbox
tests_unit_check_sandbox_SOURCES = tests/unit/check_sandbox.c $(SGTEST_SOURCES) \
	$(SC_SOURCES) \
	services/sandbox-destroy/destroy.c services/sandbox-destroy/destroy.h
tests_unit_check_sandbox_CFLAGS = $(SG_CHECK_CFLAGS)
tests_unit_check_sandbox_LDADD = $(SG_CHECK_LIBS)

# claims engineer: json, claims, cfg, security
check_PROGRAMS += tests/unit/check_json
tests_unit_check_json_SOURCES = tests/unit/check_json.c $(SGTEST_SOURCES)
tests_unit_check_json_CFLAGS = $(SG_CHECK_CFLAGS)
tests_unit_check_json_LDADD = $(SG_CHECK_LIBS)
check_PROGRAMS += tests/unit/check_claims
tests_unit_check_claims_SOURCES = tests/unit/check_claims.c $(SGTEST_SOURCES)
tests_unit_check_claims_CFLAGS = $(SG_CHECK_CFLAGS)
tests_unit_check_claims_LDADD = $(SG_CHECK_LIBS)
check_PROGRAMS += tests/unit/check_cfg
tests_unit_check_cfg_SOURCES = tests/unit/check_cfg.c $(SGTEST_SOURCES)
tests_unit_check_cfg_CFLAGS = $(SG_CHECK_CFLAGS)
tests_unit_check_cfg_LDADD = $(SG_CHECK_LIBS)
check_PROGRAMS += tests/unit/check_security
tests_unit_check_security_SOURCES = tests/unit/check_security.c $(SGTEST_SOURCES)
tests_unit_check_security_CFLAGS = $(SG_CHECK_CFLAGS)
tests_unit_check_security_LDADD = $(SG_CHECK_LIBS)

# session engineer: the Redis session store (starts its own redis-server)
check_PROGRAMS += tests/unit/check_session
tests_unit_check_session_SOURCES = tests/unit/check_session.c $(SGTEST_SOURCES)
tests_unit_check_session_CFLAGS = $(SG_CHECK_CFLAGS) $(HIREDIS_CFLAGS)
tests_unit_check_session_LDADD = $(SG_CHECK_LIBS)
# a driver for tests/integration/t-redis.sh (built by make, not a test)
noinst_PROGRAMS += tests/unit/sgtest_session
tests_unit_sgtest_session_SOURCES = tests/unit/sgtest_session.c
tests_unit_sgtest_session_LDADD = $(SG_LIBS)

# verify engineer: token-verify's decisions (drives the handler directly)
check_PROGRAMS += tests/unit/check_verify
tests_unit_check_verify_SOURCES = tests/unit/check_verify.c $(SGTEST_SOURCES) $(TV_SOURCES)
tests_unit_check_verify_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/services/token-verify
tests_unit_check_verify_CFLAGS = $(SG_CHECK_CFLAGS)
tests_unit_check_verify_LDADD = $(SG_CHECK_LIBS)

# ops engineer: metrics (shared file, forked writers), the audit trail
check_PROGRAMS += tests/unit/check_metrics
tests_unit_check_metrics_SOURCES = tests/unit/check_metrics.c $(SGTEST_SOURCES)
tests_unit_check_metrics_CFLAGS = $(SG_CHECK_CFLAGS)
tests_unit_check_metrics_LDADD = $(SG_CHECK_LIBS)
check_PROGRAMS += tests/unit/check_chain
tests_unit_check_chain_SOURCES = tests/unit/check_chain.c $(SGTEST_SOURCES)
tests_unit_check_chain_CFLAGS = $(SG_CHECK_CFLAGS)
tests_unit_check_chain_LDADD = $(SG_CHECK_LIBS)

check_PROGRAMS += tests/unit/check_audit
tests_unit_check_audit_SOURCES = tests/unit/check_audit.c $(SGTEST_SOURCES)
tests_unit_check_audit_CFLAGS = $(SG_CHECK_CFLAGS)
tests_unit_check_audit_LDADD = $(SG_CHECK_LIBS)

# fixes engineer: allocation failures on demand (tests/unit/sgtest_failalloc.h)
# for the tests that pin "out of memory reported as a client error".
SG_FAILALLOC_WRAP = $(AM_LDFLAGS) -Wl,--wrap=malloc,--wrap=calloc \
	-Wl,--wrap=realloc,--wrap=strdup,--wrap=strndup
tests_unit_check_claims_SOURCES += tests/unit/sgtest_failalloc.h
tests_unit_check_claims_LDFLAGS = $(SG_FAILALLOC_WRAP)
tests_unit_check_security_SOURCES += tests/unit/sgtest_failalloc.h
tests_unit_check_security_LDFLAGS = $(SG_FAILALLOC_WRAP)
tests_unit_check_issuer_SOURCES += tests/unit/sgtest_failalloc.h
tests_unit_check_issuer_LDFLAGS = $(SG_FAILALLOC_WRAP)
tests_unit_check_verify_SOURCES += tests/unit/sgtest_failalloc.h
tests_unit_check_verify_LDFLAGS = $(SG_FAILALLOC_WRAP) \
	-Wl,--wrap=i2d_ECDSA_SIG

# secrets: sealing (lib/secret.c) and the broker's masking
check_PROGRAMS += tests/unit/check_secret
tests_unit_check_secret_SOURCES = tests/unit/check_secret.c \
	services/secret-broker/broker.c $(TV_SOURCES)
tests_unit_check_secret_CPPFLAGS = $(AM_CPPFLAGS) $(CURL_CFLAGS) \
	-I$(top_srcdir)/services/secret-broker \
	-I$(top_srcdir)/services/token-verify
tests_unit_check_secret_CFLAGS = $(SG_CHECK_CFLAGS)
tests_unit_check_secret_LDADD = $(SG_CHECK_LIBS)
