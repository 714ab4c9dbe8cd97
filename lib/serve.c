/* SPDX-License-Identifier: ISC */
/*
 * The FastCGI accept loop every service runs: the listening socket, the
 * signals, one request at a time.  The only file that includes libfcgi.
 *
 * One request at a time per process (scale with processes: spawn-fcgi
 * -F, systemd, lighttpd max-procs), on one connection at a time, or on
 * several held open at once (sg_serve_conns; see mux_loop).  SIGTERM, SIGINT and SIGUSR1 stop
 * the loop after the request in flight; SIGHUP only raises a flag for
 * sg_serve_hup().  These signals are blocked while a request is handled
 * and only delivered inside ppoll(2) on the listening socket, so a
 * signal never interrupts a read or write half-way, and there is no
 * window in which a stop request is missed before a blocking accept.
 *
 * Deadlines: reading a request (its FastCGI records, parameters and
 * body) and writing its reply each have SANDGATE_FCGI_TIMEOUT_MS.  One
 * process serves one connection at a time, so a client that connects
 * and sends nothing, or drips a byte now and then, would otherwise hold
 * the process for ever -- four idle sockets from any local process
 * would stop every decision of a four-worker pool.  The deadline is an
 * interval timer (ITIMER_REAL): its SIGALRM handler shuts the connection
 * down, so the blocked read(2) or write(2) inside libfcgi returns (EOF,
 * EPIPE; SA_RESTART restarts it onto the shut socket) and libfcgi drops
 * the connection.  A per-read SO_RCVTIMEO would not bound a slow drip,
 * and accepted unix sockets do not inherit it.  The time a handler
 * spends (Redis, Docker) is not under this deadline: those calls have
 * their own timeouts.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "compat.h"
#include "clock.h"
#include "fcgirec.h"
#include "listen.h"
#include "log.h"
#include "notify.h"
#include "redis.h"
#include "serve.h"

#define SERVE_PEEK		16384	/* bytes a request is looked for in */
#define SERVE_RECHECK_US	500	/* a part-sent request's next look */

static volatile sig_atomic_t	 serve_stop;
static volatile sig_atomic_t	 serve_hupped;
static volatile sig_atomic_t	 serve_timedout;
static const int *volatile	 serve_cur_fdp;	/* what a deadline cuts */
static int			 serve_timeout_ms;
static void			(*serve_idle_fn)(void);
static int			 serve_idle_ms;
static int64_t			(*serve_wait_fn)(void);
static int			 serve_maxconns = 1;


static void
on_stop(int sig)
{
	(void)sig;
	serve_stop = 1;
}

static void
on_hup(int sig)
{
	(void)sig;
	serve_hupped = 1;
}

/* The deadline passed: cut the connection the blocked call is on. */
static void
on_alarm(int sig)
{
	const int	*fdp = serve_cur_fdp;
	int		 fd, save = errno;

	(void)sig;
	/*
	 * Read now, not when the deadline was set: libfcgi accepts the
	 * connection (and stores its fd) inside FCGX_Accept_r, after.
	 */
	if (fdp != NULL && (fd = *fdp) >= 0) {
		(void)shutdown(fd, SHUT_RDWR);	/* async-signal-safe */
		serve_timedout = 1;
	}
	errno = save;
}

/*
 * Start the deadline for the connection whose fd is *fdp (the request's
 * ipcFd: still -1 until libfcgi accepts), or stop it (fdp NULL).
 */
static void
deadline(const int *fdp)
{
	struct itimerval	 it;

	(void)memset(&it, 0, sizeof(it));
	if (fdp == NULL || serve_timeout_ms <= 0) {
		(void)setitimer(ITIMER_REAL, &it, NULL);
		serve_cur_fdp = NULL;
		return;
	}
	serve_cur_fdp = fdp;
	it.it_value.tv_sec = serve_timeout_ms / 1000;
	it.it_value.tv_usec = (serve_timeout_ms % 1000) * 1000;
	(void)setitimer(ITIMER_REAL, &it, NULL);
}

void
sg_serve_idle(void (*fn)(void), int ms)
{
	serve_idle_fn = ms > 0 ? fn : NULL;
	serve_idle_ms = ms;
}

void
sg_serve_before_wait(int64_t (*fn)(void))
{
	serve_wait_fn = fn;
}

/*
 * Call serve_wait_fn; when its due time is sooner than *ts (or there is
 * no *ts: has_ts 0), *ts is cut to it: 1, else 0.
 */
static int
serve_due(struct timespec *ts, int has_ts)
{
	int64_t	 due, left;

	if (serve_wait_fn == NULL || (due = serve_wait_fn()) == 0)
		return 0;
	if ((left = due - sg_now_us()) < 0)
		left = 0;
	if (has_ts && left >= (int64_t)ts->tv_sec * 1000000 +
	    ts->tv_nsec / 1000)
		return 0;
	ts->tv_sec = (time_t)(left / 1000000);
	ts->tv_nsec = (long)(left % 1000000) * 1000;
	return 1;
}

int
sg_serve_hup(void)
{
	if (!serve_hupped)
		return 0;
	serve_hupped = 0;
	return 1;
}

/*
 * sg_resp's put and flush: a streamed answer's bytes into libfcgi's
 * buffer (written when it is full), and what the buffer holds to the
 * web server.
 */
static int
serve_put(void *arg, const char *p, size_t n)
{
	FCGX_Request	*fr = arg;
	int		 rc = 0;

	if (n > INT_MAX)
		return -1;
	deadline(&fr->ipcFd);	/* each write has the whole time */
	if (FCGX_PutStr(p, (int)n, fr->out) != (int)n)
		rc = -1;
	deadline(NULL);		/* the handler's calls have their own */
	return rc;
}

static int
serve_flush(void *arg)
{
	FCGX_Request	*fr = arg;
	int		 rc;

	deadline(&fr->ipcFd);
	rc = FCGX_FFlush(fr->out) != 0 ? -1 : 0;
	deadline(NULL);
	return rc;
}

/* One request: body within max_body, the handler, the reply. */
static void
serve_one(FCGX_Request *fr, size_t max_body, sg_handler handler, void *app)
{
	struct sg_req	 req;
	struct sg_resp	 resp;
	struct sg_err	 err;
	char		*body = NULL, *out = NULL;
	const char	*cl, *broken;
	size_t		 len = 0, got = 0, outlen = 0, blen;
	int64_t		 t0;
	int		 n, conflict;
	char		 status[8], lat[24];

	t0 = sg_now_us();
	(void)memset(&req, 0, sizeof(req));
	sg_resp_init(&resp);
	sg_err_clear(&err);
	cl = sg_req_env_get(fr->envp, "CONTENT_LENGTH", &conflict);
	if (conflict) {
		sg_err_set(&err, SG_EINVAL, "bad_content_length",
		    "CONTENT_LENGTH is given twice.");
		goto refuse;
	}
	if (sg_req_content_length(cl, max_body, &len, &err) != SG_OK)
		goto refuse;
	if (len > 0) {
		if ((body = malloc(len + 1)) == NULL) {
			sg_err_set(&err, SG_ENOMEM, "out_of_memory",
			    "Out of memory.");
			goto refuse;
		}
		while (got < len) {
			n = FCGX_GetStr(body + got, (int)(len - got), fr->in);
			if (n <= 0)
				break;
			got += (size_t)n;
		}
		if (got != len) {
			sg_err_set(&err, SG_EINVAL, "bad_body",
			    "The request body is shorter than CONTENT_LENGTH.");
			goto refuse;
		}
	}
	deadline(NULL);		/* the handler's calls have their own */
	if (sg_req_init(&req, fr->envp, body, len, &err) != SG_OK) {
		sg_resp_from_err(&resp, &err);
		goto reply;
	}
	resp.put = serve_put;
	resp.flush = serve_flush;
	resp.putctx = fr;
	handler(app, &req, &resp);
	goto reply;
refuse:
	sg_resp_from_err(&resp, &err);
	/*
	 * The body was not read (or not all of it): the connection must
	 * not carry another request, or its rest would be taken for one.
	 */
	fr->keepConnection = 0;
reply:
	deadline(&fr->ipcFd);	/* until FCGX_Finish_r has flushed it */
	if (resp.aborted) {
		/*
		 * A streamed answer that failed half-way: no end record, the
		 * connection shut, so the web server drops its client's
		 * connection instead of passing a cut answer as whole.
		 */
		fr->keepConnection = 0;
		/* What was queued goes first: the status is then out too. */
		(void)FCGX_FFlush(fr->out);
		(void)shutdown(fr->ipcFd, SHUT_RDWR);
	} else if (resp.streamed)
		;
	else if ((out = sg_resp_serialize(&resp, &outlen)) != NULL)
		(void)FCGX_PutStr(out, (int)outlen, fr->out);
	else {
		broken = sg_resp_broken(&blen);
		(void)FCGX_PutStr(broken, (int)blen, fr->out);
	}
	(void)snprintf(status, sizeof(status), "%d", resp.failed ||
	    resp.status < 100 || resp.status > 599 ? 500 : resp.status);
	(void)snprintf(lat, sizeof(lat), "%lld", (long long)(sg_now_us() - t0));
	sg_log(SG_LOG_DEBUG, "request",
	    "method", req.method != NULL ? req.method : "",
	    "path", req.path != NULL ? req.path : "",
	    "status", status, "latency_us", lat, NULL);
	if (out != NULL) {
		explicit_bzero(out, outlen);
		free(out);
	}
	if (body != NULL) {
		explicit_bzero(body, len);
		free(body);
	}
	sg_req_clear(&req);
	sg_resp_clear(&resp);
}


/*
 * Block the stop and reload signals (they are delivered only inside
 * ppoll, with *waitmask) and install their handlers; *orig is the mask
 * to restore.
 */
static void
serve_signals(sigset_t *orig, sigset_t *waitmask)
{
	struct sigaction	 sa;
	sigset_t		 sigs;

	(void)sigemptyset(&sigs);
	(void)sigaddset(&sigs, SIGTERM);
	(void)sigaddset(&sigs, SIGINT);
	(void)sigaddset(&sigs, SIGHUP);
	(void)sigaddset(&sigs, SIGUSR1);
	(void)sigprocmask(SIG_BLOCK, &sigs, orig);
	*waitmask = *orig;
	(void)sigdelset(waitmask, SIGTERM);
	(void)sigdelset(waitmask, SIGINT);
	(void)sigdelset(waitmask, SIGHUP);
	(void)sigdelset(waitmask, SIGUSR1);

	/* No SA_RESTART: the signal must end the wait in ppoll(2). */
	(void)memset(&sa, 0, sizeof(sa));
	sa.sa_mask = sigs;
	sa.sa_handler = on_stop;
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	/*
	 * USR1 is the graceful stop of multiwatch and of libfcgi itself
	 * (whose own handler, installed by FCGX_Init when USR1 is still
	 * SIG_DFL, would make reads in flight return EOF instead).
	 */
	(void)sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_hup;
	(void)sigaction(SIGHUP, &sa, NULL);
	/*
	 * The deadline: SA_RESTART, so the interrupted read or write inside
	 * libfcgi is restarted and meets the socket on_alarm shut down.
	 */
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART;
	(void)sigaction(SIGALRM, &sa, NULL);
	sa.sa_flags = 0;
	/* A web server that hangs up must cost an EPIPE, not the process. */
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) == 0)
		sg_redis_pipe_ignored(1);
}

/* Close a socket serve_open opened (if it did) and remove its file. */
static void
serve_close(int fd, int opened, const char *upath, ino_t uino)
{
	struct stat	 st;

	if (!opened)
		return;
	(void)close(fd);
	/* Remove our socket file, unless someone replaced it. */
	if (upath != NULL && stat(upath, &st) == 0 && st.st_ino == uino)
		(void)unlink(upath);
}

/*
 * The listening socket, non-blocking: fd 0 when listen is NULL or "",
 * else one we open (*opened set, *upath its unix path or NULL, *uino
 * the inode of that socket file).  -1 with err set on failure.
 */
static int
serve_open(const char *listen, int *opened, const char **upath, ino_t *uino,
    struct sg_err *err)
{
	struct stat	 st;
	int		 fd, isl = 0, flags;
	socklen_t	 slen = sizeof(isl);

	*opened = 0;
	*upath = NULL;
	*uino = 0;
	if (listen == NULL || *listen == '\0') {
		/* spawn-fcgi, lighttpd bin-path, systemd StandardInput=socket */
		fd = 0;
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &isl,
		    &slen) != 0 || !isl) {
			sg_err_set(err, SG_EINVAL, "bad_config",
			    "fd 0 is not a listening socket: start the service "
			    "with spawn-fcgi or a socket unit, or set "
			    "SANDGATE_SOCKET");
			return -1;
		}
	} else {
		if (strncmp(listen, "unix:", 5) == 0)
			*upath = listen + 5;
		else if (listen[0] == '/')
			*upath = listen;
		fd = *upath != NULL ? sg_listen_unix(*upath, err) :
		    sg_listen_tcp(listen, err);
		if (fd < 0)
			return -1;
		*opened = 1;
		if (*upath != NULL && stat(*upath, &st) == 0)
			*uino = st.st_ino;
	}
	/*
	 * Non-blocking: when several processes share the socket, another
	 * one may take the connection between our ppoll and accept; the
	 * accept then fails with EAGAIN instead of blocking with the stop
	 * signals masked.  Accepted sockets do not inherit the flag.
	 */
	if ((flags = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
		sg_err_set(err, SG_EINTERNAL, "socket_failed",
		    "cannot make the socket non-blocking: %s", strerror(errno));
		serve_close(fd, *opened, *upath, *uino);
		*opened = 0;
		return -1;
	}
	return fd;
}

/* Log (once) a connection the deadline cut while it was in phase. */
static void
timed_out(const char *phase)
{
	char	 ms[16];

	if (!serve_timedout)
		return;
	serve_timedout = 0;
	(void)snprintf(ms, sizeof(ms), "%d", serve_timeout_ms);
	sg_log(SG_LOG_WARN, "fcgi_timeout", "phase", phase, "timeout_ms", ms,
	    "detail", "a FastCGI client was too slow; its connection was "
	    "closed", (char *)NULL);
}

/* The next connection on fd, or -1: none waits (EAGAIN) or it failed. */
static int
serve_accept(int fd)
{
	const struct timespec	 backoff = { 0, 100 * 1000 * 1000 };
	int			 c, one = 1;

	if ((c = accept4(fd, NULL, NULL, SOCK_CLOEXEC)) < 0) {
		/* EAGAIN: another process won; else back off a bit. */
		if (errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR && errno != ECONNABORTED)
			(void)nanosleep(&backoff, NULL);
		return -1;
	}
	(void)setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return c;
}

/*
 * Take the next connection from the listening socket fd into fr: 1, or
 * 0 when there is none (another process took it) or it failed.
 *
 * We accept, not libfcgi: FCGX_Accept_r, when a connection fails
 * (a deadline cut it), closes it and accepts the next one itself, in a
 * loop of its own, where no deadline of ours would cover the read.  So
 * fr->listen_sock is -1 (libfcgi's accept fails at once and
 * FCGX_Accept_r returns), and each connection reaches FCGX_Accept_r
 * already open, as a kept connection does (keepConnection, so its
 * opening FCGX_Finish_r leaves the fd alone; the BEGIN_REQUEST record
 * then sets it from the web server's FCGI_KEEP_CONN flag).  Like libfcgi,
 * no Nagle on TCP: replies are small and the web server waits for them.
 */
static int
serve_take(FCGX_Request *fr, int fd)
{
	int	 c;

	if ((c = serve_accept(fd)) < 0)
		return 0;
	fr->ipcFd = c;
	fr->keepConnection = 1;
	return 1;
}

/* Accept and serve requests on fd until a stop signal: 0, or -1. */
static int
serve_loop(FCGX_Request *fr, int fd, const sigset_t *waitmask,
    size_t max_body, sg_handler handler, void *app, struct sg_err *err)
{
	struct pollfd		 pfd[2];
	struct timespec		 idle, ts;
	int			 n, np, kept, cut;

	idle.tv_sec = serve_idle_ms / 1000;
	idle.tv_nsec = (long)(serve_idle_ms % 1000) * 1000000;
	while (!serve_stop) {
		/*
		 * Wait for the next request: on the listening socket, and on
		 * the open connection when the web server asked to keep it
		 * (FCGI_KEEP_CONN).  Signals are delivered only here.
		 */
		np = 0;
		if ((kept = fr->ipcFd >= 0)) {
			pfd[np].fd = fr->ipcFd;
			pfd[np].events = POLLIN;
			pfd[np++].revents = 0;
		}
		pfd[np].fd = fd;
		pfd[np].events = POLLIN;
		pfd[np++].revents = 0;
		ts = idle;
		cut = serve_due(&ts, serve_idle_fn != NULL);
		n = ppoll(pfd, np, serve_idle_fn != NULL || cut ? &ts : NULL,
		    waitmask);
		if (serve_stop)
			break;
		if (n == 0) {
			/* The due time came first: not idle yet. */
			if (!cut)
				serve_idle_fn();
			continue;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			sg_err_set(err, SG_EINTERNAL, "poll_failed",
			    "ppoll: %s", strerror(errno));
			return -1;
		}
		if (!kept || pfd[0].revents == 0) {
			/*
			 * A new connection waits while the kept one is idle:
			 * close the idle one (as any server may), or one idle
			 * web server connection per process would starve
			 * every other client.  Nothing is unread or unsent on
			 * it, so a plain close (libfcgi's "detached" close)
			 * needs none of the shutdown-and-drain wait of its
			 * usual one.
			 */
			if (kept) {
				fr->detached = 1;
				FCGX_Free(fr, 1);
			}
			if (!serve_take(fr, fd))
				continue;
		}
		deadline(&fr->ipcFd);
		if (FCGX_Accept_r(fr) < 0) {
			/* The connection failed or was cut; libfcgi closed it. */
			deadline(NULL);
			timed_out("read");
			continue;
		}
		serve_one(fr, max_body, handler, app);
		FCGX_Finish_r(fr);
		deadline(NULL);
		timed_out("request");
	}
	return 0;
}

/*
 * Several connections per process (sg_serve_conns): the listening
 * socket and every connection held open are polled together, and a
 * connection is served only once a peek at it shows its request's
 * parameters whole, so neither an idle connection nor a slow one holds
 * the process.  A part-sent request cannot be waited for by poll (its
 * bytes keep the socket readable): it is looked at again every
 * SERVE_RECHECK_US until it is whole or its deadline passes.  A
 * connection's deadline runs from its accept until its first request is
 * whole, and from the first byte of each later one; one held idle after
 * a request has none, but the least recently served of those is closed
 * when the set is full and another client connects (mux_victim).  A new
 * or part-sent one is never closed for a newcomer: with none to close,
 * the newcomer waits in the backlog until a place is free.
 */
struct serve_conn {
	int		 fd;
	int		 part;		/* its request is part-sent */
	int		 look;		/* peek at it in this round */
	int64_t		 due_us;	/* whole by then or cut; 0: none */
	int64_t		 used_us;	/* accepted or last served */
};

struct serve_mux {
	struct serve_conn	*c;
	struct pollfd		*pfd;	/* [0] the listening socket */
	int			 n;
};

void
sg_serve_conns(int n)
{
	serve_maxconns = n < 1 ? 1 : n > SG_SERVE_CONNS_MAX ?
	    SG_SERVE_CONNS_MAX : n;
}

static void
mux_drop(struct serve_mux *m, int i, int close_it)
{
	if (close_it)
		(void)close(m->c[i].fd);
	m->c[i] = m->c[--m->n];
}

/* -1 closed or failed, 0 nothing waits, 1 part-sent, 2 whole. */
static int
mux_peek(int fd)
{
	static unsigned char	 buf[SERVE_PEEK];
	ssize_t			 n;

	n = recv(fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR ? 0 : -1;
	if (n == 0)
		return -1;
	/* Longer than we look at: libfcgi reads it under the deadline. */
	if ((size_t)n == sizeof(buf))
		return 2;
	return sg_fcgi_sent(buf, (size_t)n) == SG_FCGI_WHOLE ? 2 : 1;
}

/*
 * The connection to close for a new one, or -1: the least recently
 * served of those held idle after a request (with idle_now, only those
 * the last poll found nothing on).  A new or part-sent one never goes:
 * the web server's request on it would be lost, and its deadline frees
 * the place anyway.
 */
static int
mux_victim(const struct serve_mux *m, int idle_now)
{
	int	 i, old = -1;

	for (i = 0; i < m->n; i++) {
		if (m->c[i].part || m->c[i].due_us != 0 ||
		    (idle_now && m->c[i].look))
			continue;
		if (old < 0 || m->c[i].used_us < m->c[old].used_us)
			old = i;
	}
	return old;
}

/*
 * Accept what waits on fd while there is room, or an idle connection to
 * close for it; the rest waits in the backlog.
 */
static void
mux_accept(struct serve_mux *m, int fd)
{
	int64_t	 now;
	int	 c, old = -1, k;

	for (k = 0; k < 16; k++) {
		if (m->n == serve_maxconns && (old = mux_victim(m, 1)) < 0)
			return;
		if ((c = serve_accept(fd)) < 0)
			return;
		if (m->n == serve_maxconns)
			mux_drop(m, old, 1);
		now = sg_now_us();
		m->c[m->n].fd = c;
		m->c[m->n].part = 0;
		m->c[m->n].look = 1;	/* its request may be there already */
		m->c[m->n].due_us = serve_timeout_ms > 0 ?
		    now + (int64_t)serve_timeout_ms * 1000 : 0;
		m->c[m->n++].used_us = now;
	}
}

/* Serve the whole request waiting on connection i. */
static void
mux_serve(FCGX_Request *fr, struct serve_mux *m, int i, size_t max_body,
    sg_handler handler, void *app)
{
	fr->ipcFd = m->c[i].fd;
	fr->keepConnection = 1;
	deadline(&fr->ipcFd);
	if (FCGX_Accept_r(fr) < 0) {
		/* The connection failed or was cut; libfcgi closed it. */
		deadline(NULL);
		timed_out("read");
		mux_drop(m, i, 0);
		return;
	}
	serve_one(fr, max_body, handler, app);
	FCGX_Finish_r(fr);
	deadline(NULL);
	timed_out("request");
	if (fr->ipcFd < 0) {
		mux_drop(m, i, 0);	/* not kept: libfcgi closed it */
		return;
	}
	fr->ipcFd = -1;
	m->c[i].part = 0;
	m->c[i].due_us = 0;
	m->c[i].used_us = sg_now_us();
}

/* Peek at what poll marked and at part-sent requests: 1 if one was served. */
static int
mux_scan(FCGX_Request *fr, struct serve_mux *m, size_t max_body,
    sg_handler handler, void *app)
{
	struct serve_conn	*c;
	int			 i, served = 0, st;

	/* Downwards: a dropped one's place takes one already seen. */
	for (i = m->n - 1; i >= 0; i--) {
		c = &m->c[i];
		st = c->look || c->part ? mux_peek(c->fd) : 0;
		c->look = 0;
		if (st < 0) {
			mux_drop(m, i, 1);
			continue;
		}
		if (st == 2) {
			mux_serve(fr, m, i, max_body, handler, app);
			served = 1;
			continue;
		}
		c->part = st == 1;
		if (c->part && c->due_us == 0 && serve_timeout_ms > 0)
			c->due_us = sg_now_us() +
			    (int64_t)serve_timeout_ms * 1000;
		if (c->due_us != 0 && sg_now_us() >= c->due_us) {
			serve_timedout = 1;
			timed_out("read");
			mux_drop(m, i, 1);
		}
	}
	return served;
}

/* How long ppoll may wait (*ts), or NULL for no limit. */
static struct timespec *
mux_wait(const struct serve_mux *m, int64_t last, struct timespec *ts)
{
	int64_t	 now = sg_now_us(), at = -1;
	int	 i;

	if (serve_idle_fn != NULL)
		at = last + (int64_t)serve_idle_ms * 1000;
	for (i = 0; i < m->n; i++) {
		if (m->c[i].due_us != 0 && (at < 0 || m->c[i].due_us < at))
			at = m->c[i].due_us;
		if (m->c[i].part && (at < 0 || now + SERVE_RECHECK_US < at))
			at = now + SERVE_RECHECK_US;
	}
	if (at < 0)
		return NULL;
	at = at > now ? at - now : 0;
	ts->tv_sec = (time_t)(at / 1000000);
	ts->tv_nsec = (long)(at % 1000000) * 1000;
	return ts;
}

/* serve_loop for several connections (serve_maxconns > 1). */
static int
mux_loop(FCGX_Request *fr, int fd, const sigset_t *waitmask,
    size_t max_body, sg_handler handler, void *app, struct serve_mux *m,
    struct sg_err *err)
{
	struct timespec	 ts, *tsp;
	int64_t		 last = sg_now_us();
	int		 i, np, n;

	while (!serve_stop) {
		/* Full, with nothing to close for a newcomer: let it wait. */
		m->pfd[0].fd = m->n < serve_maxconns || mux_victim(m, 0) >= 0 ?
		    fd : -1;
		m->pfd[0].events = POLLIN;
		m->pfd[0].revents = 0;
		for (np = 1, i = 0; i < m->n; i++) {
			/* A part-sent request keeps its socket readable. */
			m->pfd[np].fd = m->c[i].part ? -1 : m->c[i].fd;
			m->pfd[np].events = POLLIN;
			m->pfd[np++].revents = 0;
		}
		tsp = mux_wait(m, last, &ts);
		if (serve_due(&ts, tsp != NULL) != 0)
			tsp = &ts;
		n = ppoll(m->pfd, (nfds_t)np, tsp, waitmask);
		if (serve_stop)
			break;
		if (n < 0 && errno != EINTR) {
			sg_err_set(err, SG_EINTERNAL, "poll_failed",
			    "ppoll: %s", strerror(errno));
			return -1;
		}
		for (i = 0; i < m->n; i++)
			m->c[i].look = n > 0 && m->pfd[i + 1].revents != 0;
		if (n > 0 && m->pfd[0].revents != 0)
			mux_accept(m, fd);
		if (mux_scan(fr, m, max_body, handler, app))
			last = sg_now_us();
		if (serve_idle_fn != NULL &&
		    sg_now_us() - last >= (int64_t)serve_idle_ms * 1000) {
			serve_idle_fn();
			last = sg_now_us();
		}
	}
	return 0;
}

int
sg_serve(const char *listen, size_t max_body, int timeout_ms,
    sg_handler handler, void *app, struct sg_err *err)
{
	FCGX_Request	 fr;
	struct serve_mux m = { NULL, NULL, 0 };
	sigset_t	 orig, waitmask;
	const char	*upath = NULL;
	ino_t		 uino = 0;
	int		 fd = -1, opened = 0, rc = -1, inited = 0;

	serve_stop = 0;
	serve_hupped = 0;
	serve_timedout = 0;
	serve_timeout_ms = timeout_ms;
	serve_signals(&orig, &waitmask);
	if (FCGX_Init() != 0) {
		sg_err_set(err, SG_EINTERNAL, "fcgi_init", "FCGX_Init failed");
		goto out;
	}
	if ((fd = serve_open(listen, &opened, &upath, &uino, err)) < 0)
		goto out;
	/* No listening socket for libfcgi: serve_take accepts. */
	if (FCGX_InitRequest(&fr, -1, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
		sg_err_set(err, SG_EINTERNAL, "fcgi_init",
		    "FCGX_InitRequest failed");
		goto out;
	}
	inited = 1;
	sg_log(SG_LOG_INFO, "listening", "socket",
	    listen != NULL && *listen != '\0' ? listen : "fd:0", NULL);
	/*
	 * Ready only now, with the socket listening and every handle made
	 * (Type=notify; in a pool, NotifyAccess=all lets the first worker
	 * say it).
	 */
	(void)sg_notify("READY=1");
	if (serve_maxconns > 1) {
		m.c = calloc((size_t)serve_maxconns, sizeof(*m.c));
		m.pfd = calloc((size_t)serve_maxconns + 1, sizeof(*m.pfd));
		if (m.c == NULL || m.pfd == NULL) {
			sg_err_set(err, SG_ENOMEM, "out_of_memory",
			    "Out of memory.");
			goto out;
		}
		if (mux_loop(&fr, fd, &waitmask, max_body, handler, app, &m,
		    err) != 0)
			goto out;
	} else if (serve_loop(&fr, fd, &waitmask, max_body, handler, app,
	    err) != 0)
		goto out;
	rc = 0;
	sg_log(SG_LOG_INFO, "stopping", NULL);
out:
	deadline(NULL);
	if (inited)
		FCGX_Free(&fr, 1);
	while (m.n > 0)
		mux_drop(&m, m.n - 1, 1);
	free(m.c);
	free(m.pfd);
	serve_close(fd, opened, upath, uino);
	(void)sigprocmask(SIG_SETMASK, &orig, NULL);
	return rc;
}
