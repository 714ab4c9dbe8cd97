/* SPDX-License-Identifier: ISC */
/*
 * The FastCGI accept loop every service runs (the only part of the
 * library that includes libfcgi).  Only the services' main.c include
 * this; handlers see request.h and response.h.
 */
#ifndef SG_SERVE_H
#define SG_SERVE_H

#include <stddef.h>

#include "request.h"
#include "response.h"
#include "sgerr.h"

/*
 * Run the FastCGI accept loop until SIGTERM/SIGINT/SIGUSR1 (the request
 * in flight is finished first).  listen: NULL or "" to use an inherited
 * socket on fd 0 (spawn-fcgi, lighttpd bin-path, systemd
 * StandardInput=socket), else "unix:/path", "/path" or "host:port" ("127.0.0.1:9000",
 * "[::1]:9000").  A unix socket gets mode 0660, or the octal
 * SANDGATE_SOCKET_MODE; a stale socket file is replaced, a live one is
 * an error.  One request at a time: run several processes to scale
 * (spawn-fcgi -F, several units; not several processes on one
 * SANDGATE_SOCKET path).  Bodies over max_body are answered 413 without
 * being read.  Reading a request and writing its reply each must finish
 * within timeout_ms (0: no limit), or the connection is closed (logged
 * as fcgi_timeout).  SIGHUP does not stop the loop (see sg_serve_hup); SIGPIPE
 * is ignored.  Returns 0 on a clean stop, -1 if the socket could not be
 * opened (err says why, naming SANDGATE_SOCKET where it applies).
 */
int		 sg_serve(const char *listen, size_t max_body, int timeout_ms,
		    sg_handler, void *app, struct sg_err *);
/*
 * fn is called when no request has come for ms milliseconds, and again
 * every ms while none comes (between requests, never during one); NULL
 * for none.  For work that must not wait for the next request (lib/ops:
 * the audit trail's open repeat runs and its queue).
 */
void		 sg_serve_idle(void (*fn)(void), int ms);
/* 1 once after each SIGHUP (for reloads), else 0. */
int		 sg_serve_hup(void);

#endif
