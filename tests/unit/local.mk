# tests/unit

# hosts engineer
check_PROGRAMS += tests/unit/check_hosts
tests_unit_check_hosts_SOURCES = tests/unit/check_hosts.c
tests_unit_check_hosts_CFLAGS = $(SG_CHECK_CFLAGS)
tests_unit_check_hosts_LDADD = $(SG_CHECK_LIBS)
