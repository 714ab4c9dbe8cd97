/* SPDX-License-Identifier: ISC */
/*
 * The sandgate operator CLI: one function per command, each called with
 * argv[0] set to the command's name ("keygen", "verify", ...).  Commands
 * return the process exit status: 0 success, 1 failure (a token refused,
 * a file not written), 2 a usage error or bad configuration.
 */
#ifndef SG_CMD_H
#define SG_CMD_H

#define SG_EXIT_OK	0
#define SG_EXIT_FAIL	1
#define SG_EXIT_USAGE	2

#include <stdio.h>

/*
 * How every command ends its option switch and its operand check: 'h'
 * (--help) prints usage to stdout and is SG_EXIT_OK; anything else (an
 * unknown option, wrong operands: pass '?') prints it to stderr and is
 * SG_EXIT_USAGE.
 */
int	cmd_usage(int c, void (*usage)(FILE *));

int	cmd_keygen(int argc, char *argv[]);
int	cmd_jwk(int argc, char *argv[]);
int	cmd_token(int argc, char *argv[]);
int	cmd_verify(int argc, char *argv[]);
/* tools/sandgate/audit.c: exit 78 (not 2) on usage, as issue 17 asks. */
int	cmd_audit(int argc, char *argv[]);
/* tools/sandgate/reap.c (the docker engineer's). */
int	cmd_reap(int argc, char *argv[]);

#endif
