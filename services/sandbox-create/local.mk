# SPDX-License-Identifier: ISC
# services/sandbox-create: POST /v1/sandboxes, GET /healthz
pkglibexec_PROGRAMS += services/sandbox-create/sandbox-create
# Everything but main.c; tests/unit/ compiles these too.
SC_SOURCES = services/sandbox-create/create.c services/sandbox-create/create.h \
	services/sandbox-create/create-int.h services/sandbox-create/spec.c \
	services/sandbox-create/container.c services/sandbox-create/harden.c \
	services/sandbox-create/dirs.c services/sandbox-create/health.c \
	services/sandbox-create/secrets.c
services_sandbox_create_sandbox_create_SOURCES = \
	services/sandbox-create/main.c $(SC_SOURCES)
services_sandbox_create_sandbox_create_LDADD = $(SG_LIBS)
