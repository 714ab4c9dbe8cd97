/* SPDX-License-Identifier: ISC */
/*
 * The listening sockets lib/serve.c opens for SANDGATE_SOCKET: a unix
 * socket (mode 0660 or SANDGATE_SOCKET_MODE) or a TCP one.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <errno.h>
#include <netdb.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "listen.h"
#include "num.h"

#define LISTEN_BACKLOG		128
#define LISTEN_SOCKET_MODE	0660	/* default mode of a unix socket */

/* SANDGATE_SOCKET_MODE: an octal mode for a unix socket, default 0660. */
static int
socket_mode(mode_t *mode, struct sg_err *err)
{
	const char	*s;
	unsigned	 v = 0;
	size_t		 i;

	*mode = LISTEN_SOCKET_MODE;
	if ((s = getenv("SANDGATE_SOCKET_MODE")) == NULL || *s == '\0')
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '7' || i >= 4) {
			sg_err_set(err, SG_EINVAL, "bad_config",
			    "SANDGATE_SOCKET_MODE: not an octal mode: %.16s", s);
			return -1;
		}
		v = v * 8 + (unsigned)(s[i] - '0');
	}
	if (v > 0777) {
		sg_err_set(err, SG_EINVAL, "bad_config",
		    "SANDGATE_SOCKET_MODE: not an octal mode: %.16s", s);
		return -1;
	}
	*mode = (mode_t)v;
	return 0;
}

/*
 * A unix socket at path.  A stale socket file is replaced, but a live
 * one (someone accepts on it) or any file that is not a socket is left
 * alone and reported.
 */
int
sg_listen_unix(const char *path, struct sg_err *err)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	mode_t			 mode, omask;
	int			 fd = -1, probe = -1, rc;

	if (socket_mode(&mode, err) != 0)
		return -1;
	(void)memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (*path != '/' ||
	    strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		sg_err_set(err, SG_EINVAL, "bad_config",
		    "SANDGATE_SOCKET: not an absolute socket path that fits: "
		    "%.64s", path);
		return -1;
	}
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			sg_err_set(err, SG_EINVAL, "bad_config",
			    "SANDGATE_SOCKET: %.64s exists and is not a socket",
			    path);
			return -1;
		}
		if ((probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC,
		    0)) >= 0) {
			rc = connect(probe, (struct sockaddr *)&sun,
			    sizeof(sun));
			(void)close(probe);
			if (rc == 0) {
				sg_err_set(err, SG_EUNAVAIL, "socket_in_use",
				    "SANDGATE_SOCKET: %.64s is in use", path);
				return -1;
			}
		}
		(void)unlink(path);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		goto fail;
	/* No window in which the socket exists with looser permissions. */
	omask = umask(0777 & ~mode);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	(void)umask(omask);
	if (rc != 0 || chmod(path, mode) != 0 ||
	    listen(fd, LISTEN_BACKLOG) != 0)
		goto fail;
	return fd;
fail:
	sg_err_set(err, SG_EUNAVAIL, "socket_failed",
	    "SANDGATE_SOCKET: cannot listen on %.64s: %s", path,
	    strerror(errno));
	if (fd >= 0)
		(void)close(fd);
	return -1;
}

/* "host:port", "[v6]:port". */
int
sg_listen_tcp(const char *spec, struct sg_err *err)
{
	struct addrinfo	 hints, *res = NULL;
	char		 host[256];
	const char	*colon, *port;
	size_t		 hl;
	int64_t		 pnum;
	int		 fd = -1, one = 1, gai;

	if ((colon = strrchr(spec, ':')) == NULL)
		goto bad;
	port = colon + 1;
	hl = (size_t)(colon - spec);
	if (hl >= 2 && spec[0] == '[' && spec[hl - 1] == ']') {
		spec++;
		hl -= 2;
	}
	/* A port is 1-65535, spelled without a leading zero. */
	if (hl == 0 || hl >= sizeof(host) || *port == '0' ||
	    sg_num_parse(port, 1, 65535, &pnum) != 0)
		goto bad;
	(void)memcpy(host, spec, hl);
	host[hl] = '\0';
	if (strchr(host, '[') != NULL || strchr(host, ']') != NULL)
		goto bad;
	(void)memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((gai = getaddrinfo(host, port, &hints, &res)) != 0) {
		sg_err_set(err, SG_EINVAL, "bad_config",
		    "SANDGATE_SOCKET: %.64s: %s", host, gai_strerror(gai));
		return -1;
	}
	if ((fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		goto fail;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (res->ai_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof(one));
	if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 ||
	    listen(fd, LISTEN_BACKLOG) != 0)
		goto fail;
	freeaddrinfo(res);
	return fd;
fail:
	sg_err_set(err, SG_EUNAVAIL, "socket_failed",
	    "SANDGATE_SOCKET: cannot listen on %.64s: %s", spec,
	    strerror(errno));
	if (fd >= 0)
		(void)close(fd);
	if (res != NULL)
		freeaddrinfo(res);
	return -1;
bad:
	sg_err_set(err, SG_EINVAL, "bad_config",
	    "SANDGATE_SOCKET: expected unix:/path, /path or host:port, "
	    "got %.64s", spec);
	return -1;
}
