/* SPDX-License-Identifier: ISC */
/*
 * Listening sockets for SANDGATE_SOCKET (lib/serve.c).  Each returns the
 * socket, listening and close-on-exec, or -1 with err set ("bad_config"
 * for a bad spec, "socket_in_use", "socket_failed"), naming the
 * variable.
 */
#ifndef SG_LISTEN_H
#define SG_LISTEN_H

#include "sgerr.h"

/*
 * A unix socket at the absolute path, mode 0660 or the octal
 * SANDGATE_SOCKET_MODE, created with no window of a looser mode.  A
 * stale socket file is replaced; a live one (someone accepts on it) or
 * a file that is not a socket is left alone and reported.
 */
int		 sg_listen_unix(const char *path, struct sg_err *);
/* "host:port" or "[v6]:port", numeric port 1-65535. */
int		 sg_listen_tcp(const char *spec, struct sg_err *);

#endif
