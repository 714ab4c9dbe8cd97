# SPDX-License-Identifier: ISC
# lib/: the common library.  Only keys.c, jwt.c, crypto.c and secret.c include
# OpenSSL,
# only the files that include redis-private.h (redis.c, redis-send.c,
# redis-creds.c, redis-sentinel.c, lock.c, session-store.c, secret-store.c,
# policy-store.c, audit.c, revoke.c, budget.c) hiredis, only docker.c libcurl,
# only resolve.c c-ares, only serve.c
# libfcgi (request.c and response.c, what handlers use, need none of
# them).  session.c is the session codec alone, without Redis.
noinst_LIBRARIES += lib/libsandgate.a
lib_libsandgate_a_CPPFLAGS = $(AM_CPPFLAGS) $(CRYPTO_CFLAGS) \
	$(HIREDIS_CFLAGS) $(CURL_CFLAGS) $(FCGI_CFLAGS) $(PSL_CFLAGS) \
	$(CARES_CFLAGS)
lib_libsandgate_a_SOURCES = \
	lib/compat.h lib/compat/strlcpy.c \
	lib/sgerr.h lib/sgerr.c \
	lib/crypto.h lib/crypto.c \
	lib/b64url.h lib/b64url.c \
	lib/json.h lib/json.c \
	lib/keys.h lib/keys-internal.h lib/keys.c lib/keyset.c \
	lib/jwt.h lib/jwt.c \
	lib/hosts.h lib/hosts.c \
	lib/localaddr.h lib/localaddr.c \
	lib/resolve.h lib/resolve.c \
	lib/psl.h lib/psl.c \
	lib/claims.h lib/claims.c \
	lib/token.h lib/token.c \
	lib/cfg.h lib/cfg.c \
	lib/log.h lib/log.c \
	lib/clock.h lib/clock.c \
	lib/relay.h lib/relay.c \
	lib/num.h lib/num.c \
	lib/request.h lib/request.c \
	lib/response.h lib/response.c \
	lib/serve.h lib/serve.c lib/fcgirec.h lib/fcgirec.c \
	lib/listen.h lib/listen.c \
	lib/notify.h lib/notify.c \
	lib/pool.h lib/pool.c \
	lib/redis.h lib/redis-private.h lib/redis.c lib/redis-send.c \
	lib/redis-creds.c lib/redis-sentinel.c lib/lock.h lib/lock.c \
	lib/session.h lib/session.c lib/session-store.c \
	lib/secret.h lib/secret.c lib/secret-store.c \
	lib/budget.h lib/budget.c \
	lib/policy.h lib/policy.c lib/policy-store.c \
	lib/revoke.h lib/revoke.c \
	lib/docker.h lib/docker.c lib/engines.h lib/engines.c \
	lib/sandbox.h lib/sandbox.c lib/tunnel.h lib/tunnel.c \
	lib/service.h lib/service.c \
	lib/route.h lib/route.c \
	lib/metrics.h lib/metrics-internal.h lib/metrics.c \
	lib/metrics-families.c \
	lib/audit.h lib/audit.c lib/chain.h lib/chain.c \
	lib/ops.h lib/ops.c
