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
/*
 * fn is called each time the process is about to wait for requests
 * (after the ones that were ready have been served); NULL for none.
 * For what batches the work of those requests (lib/ops: the audit
 * trail's queue); it must not block.  It returns 0, or a time
 * (sg_now_us) by which it wants to be called again: the wait ends then
 * at the latest.
 */
void		 sg_serve_before_wait(int64_t (*fn)(void));
/*
 * Connections one process holds open at once, 1..SG_SERVE_CONNS_MAX
 * (call before sg_serve).  1, the default: one at a time, and a kept
 * connection (FCGI_KEEP_CONN) is closed while idle when another client
 * waits.  More: the process polls them all with the listening socket
 * and serves a connection only once its request's parameters are there,
 * so a web server's pool keeps its connections however many threads it
 * has, and an idle or slow client holds no process; an idle kept one is
 * closed (the least recently served first) only when the set is full
 * and another client connects; a new or part-sent one never is (the
 * newcomer then waits in the backlog).  The read deadline is unchanged: a connection's request
 * must be whole within timeout_ms of its accept, or of its first byte
 * on a kept connection.
 */
#define SG_SERVE_CONNS_MAX	256
void		 sg_serve_conns(int n);
/* 1 once after each SIGHUP (for reloads), else 0. */
int		 sg_serve_hup(void);

#endif
