# SPDX-License-Identifier: ISC
# tools/sandgate: the operator CLI (reap.c is the docker engineer's).
bin_PROGRAMS += tools/sandgate/sandgate
tools_sandgate_sandgate_SOURCES = tools/sandgate/main.c tools/sandgate/cmd.h \
	tools/sandgate/keygen.c tools/sandgate/keys.c tools/sandgate/jwk.c tools/sandgate/token.c tools/sandgate/revoke.c \
	tools/sandgate/verify.c tools/sandgate/reap.c tools/sandgate/audit.c \
	tools/sandgate/doctor.c
tools_sandgate_sandgate_LDADD = $(SG_LIBS)

# Integration tests of the CLI (run by tests/integration/run-all.sh).
dist_check_SCRIPTS += tests/integration/t-cli.sh tests/integration/t-interop.sh \
	tests/integration/t-keys.sh
