# services/sandbox-create: POST /v1/sandboxes
pkglibexec_PROGRAMS += services/sandbox-create/sandbox-create
services_sandbox_create_sandbox_create_SOURCES = \
	services/sandbox-create/main.c \
	services/sandbox-create/create.c services/sandbox-create/create.h
services_sandbox_create_sandbox_create_LDADD = $(SG_LIBS)
