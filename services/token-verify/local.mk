# SPDX-License-Identifier: ISC
# services/token-verify: the authorizer for the egress proxy and the API
# gateway (issue 4).
pkglibexec_PROGRAMS += services/token-verify/token-verify
# Everything but main.c; bench/ and tests/unit/ compile these too.
TV_SOURCES = services/token-verify/verify.c services/token-verify/verify.h \
	services/token-verify/verify-int.h \
	services/token-verify/keyfiles.c services/token-verify/creds.c \
	services/token-verify/decide.c \
	services/token-verify/reply.c \
	services/token-verify/cache.c services/token-verify/cache.h
services_token_verify_token_verify_SOURCES = \
	services/token-verify/main.c \
	$(TV_SOURCES)
services_token_verify_token_verify_LDADD = $(SG_LIBS)

# Test and benchmark helper: mints tokens with the library (not installed).
noinst_PROGRAMS += services/token-verify/tv-mint
services_token_verify_tv_mint_SOURCES = services/token-verify/tv-mint.c
services_token_verify_tv_mint_LDADD = $(SG_LIBS)

# The ceiling of bench/verify.sh: an always-200 authorizer on bare libfcgi.
noinst_PROGRAMS += bench/trivial_authz
bench_trivial_authz_SOURCES = bench/trivial-authz.c
bench_trivial_authz_CPPFLAGS = $(AM_CPPFLAGS) $(FCGI_CFLAGS)
bench_trivial_authz_LDADD = $(FCGI_LIBS)

# In-process cost of a decision (bench/verify.sh runs it).
noinst_PROGRAMS += bench/verify_decide
bench_verify_decide_SOURCES = bench/verify-decide.c $(TV_SOURCES)
bench_verify_decide_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/services/token-verify
bench_verify_decide_LDADD = $(SG_LIBS)

# tests/integration is distributed whole (Makefile.am); the benchmark:
EXTRA_DIST += bench/verify.sh

# The byte counter of the budgets: Apache's piped egress log (§7.2).
pkglibexec_PROGRAMS += services/token-verify/sandgate-budget-log
services_token_verify_sandgate_budget_log_SOURCES = \
	services/token-verify/budget-log.c
services_token_verify_sandgate_budget_log_CFLAGS = $(AM_CFLAGS) -pthread
services_token_verify_sandgate_budget_log_LDADD = $(SG_LIBS) -lpthread
