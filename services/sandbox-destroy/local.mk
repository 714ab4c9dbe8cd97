# SPDX-License-Identifier: ISC
# services/sandbox-destroy: DELETE /v1/sandboxes/{id}
pkglibexec_PROGRAMS += services/sandbox-destroy/sandbox-destroy
services_sandbox_destroy_sandbox_destroy_SOURCES = \
	services/sandbox-destroy/main.c \
	services/sandbox-destroy/destroy.c services/sandbox-destroy/destroy.h
services_sandbox_destroy_sandbox_destroy_LDADD = $(SG_LIBS)
