# SPDX-License-Identifier: ISC
# services/token-issuer: POST /v1/tokens, GET /.well-known/jwks.json
pkglibexec_PROGRAMS += services/token-issuer/token-issuer
services_token_issuer_token_issuer_SOURCES = \
	services/token-issuer/main.c \
	services/token-issuer/issuer.c services/token-issuer/issuer.h
services_token_issuer_token_issuer_LDADD = $(SG_LIBS)
