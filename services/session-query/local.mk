# SPDX-License-Identifier: ISC
# services/session-query: GET /v1/sessions/{id}, GET /v1/sessions?user_id=U
pkglibexec_PROGRAMS += services/session-query/session-query
services_session_query_session_query_SOURCES = \
	services/session-query/main.c \
	services/session-query/query.c services/session-query/query.h \
	services/session-query/policy.c
services_session_query_session_query_LDADD = $(SG_LIBS)
