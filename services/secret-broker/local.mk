# SPDX-License-Identifier: ISC
# services/secret-broker: secrets the sandbox never sees (issue 18).
pkglibexec_PROGRAMS += services/secret-broker/secret-broker
services_secret_broker_secret_broker_SOURCES = \
	services/secret-broker/main.c \
	services/secret-broker/broker.c services/secret-broker/broker.h \
	$(TV_SOURCES)
services_secret_broker_secret_broker_CPPFLAGS = $(AM_CPPFLAGS) \
	$(CURL_CFLAGS) -I$(top_srcdir)/services/token-verify
services_secret_broker_secret_broker_LDADD = $(SG_LIBS)

# Test helper: seals a secret and stores it, as the API does (not installed).
noinst_PROGRAMS += services/secret-broker/sb-seal
services_secret_broker_sb_seal_SOURCES = services/secret-broker/sb-seal.c
services_secret_broker_sb_seal_LDADD = $(SG_LIBS)
