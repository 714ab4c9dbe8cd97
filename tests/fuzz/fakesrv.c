/* SPDX-License-Identifier: ISC */
/*
 * The scripted fake server of the wire-level fuzz targets (fakesrv.h).
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "fakesrv.h"

#define REQ_MAX		(4 * 1024 * 1024)
#define IO_TIMEOUT_MS	3000
/*
 * After an answer, how long a client that has all it needs may take to
 * send its next request (or to hang up).  A RESP client still short of
 * replies gets EOF at once (resp_replies_done); an HTTP client gets one
 * answer per connection.
 */
#define NEXT_WAIT_MS	200

static pthread_mutex_t	 mu = PTHREAD_MUTEX_INITIALIZER;
static uint8_t		*chunks[FZ_SRV_CHUNKS];
static size_t		 lens[FZ_SRV_CHUNKS];
static size_t		 nchunks, next;
static unsigned		 gen;
static enum fz_proto	 proto;
static char		 dir[64];
static char		 path[128];
static int		 lfd = -1;

const char *
fz_srv_path(void)
{
	return path;
}

void
fz_srv_script(const uint8_t *const *c, const size_t *l, size_t n)
{
	size_t	 i;

	pthread_mutex_lock(&mu);
	for (i = 0; i < nchunks; i++)
		free(chunks[i]);
	if (n > FZ_SRV_CHUNKS)
		n = FZ_SRV_CHUNKS;
	for (i = 0; i < n; i++) {
		if ((chunks[i] = malloc(l[i] + 1)) == NULL)
			abort();
		if (l[i] > 0)
			memcpy(chunks[i], c[i], l[i]);
		lens[i] = l[i];
	}
	nchunks = n;
	next = 0;
	gen++;
	pthread_mutex_unlock(&mu);
}

size_t
fz_split(const uint8_t *d, size_t n, const char *sep, const uint8_t **c,
    size_t *l)
{
	size_t	 k = 0, i, start = 0, sl = strlen(sep);

	for (i = 0; i + sl <= n && k + 1 < FZ_SRV_CHUNKS; i++)
		if (memcmp(d + i, sep, sl) == 0) {
			c[k] = d + start;
			l[k++] = i - start;
			i += sl - 1;
			start = i + 1;
		}
	c[k] = d + start;
	l[k++] = n - start;
	return k;
}

/* Wait up to ms for fd to be readable; 1 when it is. */
static int
readable(int fd, int ms)
{
	struct pollfd	 p;

	p.fd = fd;
	p.events = POLLIN;
	p.revents = 0;
	return poll(&p, 1, ms) == 1;
}

/* Parse a decimal at s (n bytes) up to "\r\n"; -1 when not one. */
static long
dec(const char *s, size_t n, size_t *used)
{
	size_t	 i = 0;
	long	 v = 0;

	if (i < n && s[i] == '-')
		i++;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		if (v < 100000000)
			v = v * 10 + (s[i] - '0');
	if (i + 1 >= n || s[i] != '\r' || s[i + 1] != '\n')
		return -2;		/* incomplete (or junk: never ends) */
	*used = i + 2;
	return s[0] == '-' ? -1 : v;
}

/*
 * Whether buf holds whole RESP commands and nothing partial; *ncmd gets
 * their number.
 */
static int
resp_complete(const char *b, size_t n, size_t *ncmd)
{
	size_t	 pos = 0, used;
	long	 argc, len, j;

	*ncmd = 0;
	while (pos < n) {
		if (b[pos] != '*') {
			/* inline command: ends at a newline */
			const char *nl = memchr(b + pos, '\n', n - pos);

			if (nl == NULL)
				return 0;
			pos = (size_t)(nl - b) + 1;
			(*ncmd)++;
			continue;
		}
		if ((argc = dec(b + pos + 1, n - pos - 1, &used)) < -1)
			return 0;
		pos += 1 + used;
		for (j = 0; j < argc; j++) {
			if (pos >= n || b[pos] != '$')
				return pos >= n ? 0 : 1;
			if ((len = dec(b + pos + 1, n - pos - 1, &used)) < -1)
				return 0;
			pos += 1 + used;
			if (len < 0)
				continue;
			if (n - pos < (size_t)len + 2)
				return 0;
			pos += (size_t)len + 2;
		}
		(*ncmd)++;
	}
	return 1;
}

/*
 * Whether a RESP2 client that sent ncmd commands finds all its replies in
 * c (or something it cannot parse, which ends its wait as well).  If not,
 * it waits for more, and the server had better end the connection at
 * once than let it run into its timeout.
 */
static int
resp_replies_done(const uint8_t *c, size_t n, size_t ncmd)
{
	size_t	 pos = 0, got = 0, depth = 0, i, eol;
	long	 left[64];	/* elements still due at each array level */
	long	 v;
	int	 neg, type;

	while (got < ncmd) {
		if (pos >= n)
			return 0;
		/* hiredis ends a line at the first "\r\n" (seekNewline) */
		for (eol = 0, i = pos + 1; i + 1 < n; i++)
			if (c[i] == '\r' && c[i + 1] == '\n') {
				eol = i;
				break;
			}
		if (eol == 0)
			return 0;		/* it waits for the line */
		type = c[pos];
		if (type == '+' || type == '-' || type == ':') {
			pos = eol + 2;
		} else if (type == '$' || type == '*') {
			/*
			 * hiredis 0.14 readLongLong: an optional sign, then
			 * digits up to the '\r'; anything else reads as -1,
			 * a nil reply (newer hiredis call it an error).
			 */
			i = pos + 1;
			neg = c[i] == '-';
			if (c[i] == '-' || c[i] == '+')
				i++;
			for (v = 0; i < eol && c[i] != '\r'; i++) {
				if (c[i] < '0' || c[i] > '9') {
					v = -1;
					neg = 0;
					break;
				}
				if (v < 100000000)
					v = v * 10 + (c[i] - '0');
			}
			if (neg)
				v = -v;
			if (v < -1)
				v = -1;	/* hiredis: a nil of any negative size */
			pos = eol + 2;
			if (type == '$' && v >= 0) {
				if (n - pos < (size_t)v + 2)
					return 0;	/* waits for the data */
				pos += (size_t)v + 2;
			}
			if (type == '*' && v > 0) {
				/* hiredis 0.14: "depth > 7" is an error */
				if (depth >= 7)
					return 1;
				left[depth++] = v;
				continue;	/* its elements complete it */
			}
		} else
			return 1;	/* a protocol error for the client */
		/* one value done: it completes arrays, or is a reply */
		while (depth > 0 && --left[depth - 1] == 0)
			depth--;
		if (depth == 0)
			got++;
	}
	return 1;
}

/* Whether buf holds a whole HTTP request (head + Content-Length body). */
static int
http_complete(const char *b, size_t n)
{
	const char	*end, *p;
	size_t		 head;
	long		 cl = 0;

	if ((end = memmem(b, n, "\r\n\r\n", 4)) == NULL)
		return 0;
	head = (size_t)(end - b) + 4;
	for (p = b; p < end; p++) {
		if ((p == b || p[-1] == '\n') &&
		    strncasecmp(p, "content-length:", 15) == 0) {
			cl = strtol(p + 15, NULL, 10);
			break;
		}
	}
	return n >= head + (size_t)(cl > 0 ? cl : 0);
}

/*
 * Read one whole request, waiting first_ms for its first byte; 0 when
 * there is one, -1 on EOF or timeout.
 */
static int
read_request(int fd, char **buf, size_t *cap, int first_ms, size_t *ncmd)
{
	size_t	 n = 0;
	ssize_t	 r;

	for (;;) {
		if (!readable(fd, n == 0 ? first_ms : IO_TIMEOUT_MS))
			return -1;
		if (n + 65536 > *cap) {
			if (*cap >= REQ_MAX)
				return -1;
			*cap = *cap == 0 ? 131072 : *cap * 2;
			if ((*buf = realloc(*buf, *cap)) == NULL)
				abort();
		}
		if ((r = read(fd, *buf + n, *cap - n - 1)) <= 0)
			return -1;
		n += (size_t)r;
		(*buf)[n] = '\0';
		*ncmd = 1;
		if (proto == FZ_HTTP ? http_complete(*buf, n) :
		    resp_complete(*buf, n, ncmd)) {
			/* a pipeline may come in more than one write */
			if (proto == FZ_RESP && readable(fd, 0))
				continue;
			return 0;
		}
	}
}

static int
write_all(int fd, const uint8_t *p, size_t n)
{
	ssize_t	 w;

	while (n > 0) {
		if ((w = send(fd, p, n, MSG_NOSIGNAL)) <= 0) {
			if (w < 0 && errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void
serve(int fd)
{
	char		*buf = NULL;
	size_t		 cap = 0, l = 0;
	uint8_t		*c = NULL;
	unsigned	 mygen;
	int		 last = 0, wait = IO_TIMEOUT_MS;
	size_t		 ncmd = 0;
	char		 junk[4096];

	pthread_mutex_lock(&mu);
	mygen = gen;
	pthread_mutex_unlock(&mu);
	while (!last && read_request(fd, &buf, &cap, wait, &ncmd) == 0) {
		pthread_mutex_lock(&mu);
		c = NULL;
		last = 1;
		if (gen == mygen && next < nchunks) {
			if ((c = malloc(lens[next] + 1)) == NULL)
				abort();
			l = lens[next];
			memcpy(c, chunks[next], l);
			next++;
			last = next >= nchunks;
		}
		pthread_mutex_unlock(&mu);
		if (c == NULL)
			break;
		if (write_all(fd, c, l) != 0) {
			free(c);
			break;
		}
		/* a client still waiting for replies gets EOF now */
		if (proto == FZ_RESP && !resp_replies_done(c, l, ncmd))
			last = 1;
		free(c);
		wait = NEXT_WAIT_MS;
	}
	/* EOF for the client, then wait until it lets go */
	(void)shutdown(fd, SHUT_WR);
	while (readable(fd, IO_TIMEOUT_MS) && read(fd, junk, sizeof(junk)) > 0)
		;
	free(buf);
	close(fd);
}

static void *
loop(void *arg)
{
	int	 fd;

	(void)arg;
	for (;;) {
		if ((fd = accept(lfd, NULL, NULL)) < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			perror("fakesrv: accept");
			abort();
		}
		serve(fd);
	}
	return NULL;
}

static void
cleanup(void)
{
	if (path[0] != '\0')
		(void)unlink(path);
	if (dir[0] != '\0')
		(void)rmdir(dir);
}

void
fz_srv_start(enum fz_proto p)
{
	struct sockaddr_un	 sa;
	pthread_t		 t;

	proto = p;
	(void)snprintf(dir, sizeof(dir), "/tmp/sg-fuzz-XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("fakesrv: mkdtemp");
		abort();
	}
	(void)snprintf(path, sizeof(path), "%s/s.sock", dir);
	atexit(cleanup);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((lfd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(lfd, 16) != 0) {
		perror("fakesrv: socket");
		abort();
	}
	if (pthread_create(&t, NULL, loop, NULL) != 0)
		abort();
	(void)pthread_detach(t);
}
