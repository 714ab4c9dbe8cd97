# tests/unit

# hosts engineer
check_PROGRAMS += tests/unit/check_hosts
tests_unit_check_hosts_SOURCES = tests/unit/check_hosts.c
tests_unit_check_hosts_CFLAGS = $(SG_CHECK_CFLAGS)
tests_unit_check_hosts_LDADD = $(SG_CHECK_LIBS)

# http engineer: http + log, token-issuer, session-query
check_PROGRAMS += tests/unit/check_http
tests_unit_check_http_SOURCES = tests/unit/check_http.c
tests_unit_check_http_CFLAGS = $(SG_CHECK_CFLAGS)
tests_unit_check_http_LDADD = $(SG_CHECK_LIBS)
