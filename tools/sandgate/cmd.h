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

#include <sys/types.h>

#include <stdio.h>

/*
 * How every command ends its option switch and its operand check: 'h'
 * (--help) prints usage to stdout and is SG_EXIT_OK; anything else (an
 * unknown option, wrong operands: pass '?') prints it to stderr and is
 * SG_EXIT_USAGE.
 */
int	cmd_usage(int c, void (*usage)(FILE *));

/* dir/name into buf; -1 if it does not fit. */
int	cmd_join(char *buf, size_t size, const char *dir, const char *name);
/*
 * Write len bytes of data to dir/name with mode, through a temporary
 * file in dir (fsync, then link or rename: a reader never sees half a
 * file).  With excl the name must not exist yet.  0, or -1 with a
 * message "sandgate CMD: ..." on stderr.
 */
int	cmd_write_file(const char *cmd, const char *dir, const char *name,
	    const char *data, size_t len, mode_t mode, int excl);
/* Indented JSON text with a final newline; malloc'd, NULL on ENOMEM. */
struct cJSON;
char	*cmd_json_text(const struct cJSON *);

/*
 * A token from stdin into buf (size > SG_JWT_MAX_LEN + 2): at most
 * SG_JWT_MAX_LEN bytes after one trailing "\n" or "\r\n" is removed.
 * The length, or -1 with "sandgate CMD: code: reason" on stderr.
 */
long	cmd_read_token(const char *cmd, char *buf, size_t size);
/*
 * The verifier's key sets from cfg: *ks from SANDGATE_VERIFY_KEYS (with
 * fallback, the public half of SANDGATE_SIGNING_KEY when that is unset),
 * *op from SANDGATE_OPERATOR_KEYS (NULL when unset; never sharing a key
 * with *ks).  SG_EXIT_OK, or SG_EXIT_USAGE with the reason printed.
 */
struct sg_cfg;
struct sg_keyset;
int	cmd_load_keysets(const char *cmd, const struct sg_cfg *cfg,
	    int fallback, struct sg_keyset **ks, struct sg_keyset **op);

int	cmd_keygen(int argc, char *argv[]);
/* tools/sandgate/doctor.c: one line per check of the host. */
int	cmd_doctor(int argc, char *argv[]);
/* tools/sandgate/keys.c: the key directory the units read. */
int	cmd_keys(int argc, char *argv[]);
int	cmd_jwk(int argc, char *argv[]);
int	cmd_token(int argc, char *argv[]);
/* tools/sandgate/revoke.c: sandgate token revoke. */
int	cmd_token_revoke(int argc, char *argv[]);
int	cmd_verify(int argc, char *argv[]);
/* tools/sandgate/audit.c: exit 78 (not 2) on usage, as issue 17 asks. */
int	cmd_audit(int argc, char *argv[]);
/* tools/sandgate/reap.c (the docker engineer's). */
int	cmd_reap(int argc, char *argv[]);

#endif
