/* SPDX-License-Identifier: ISC */
/*
 * sd_notify(3) by hand (notify.h).  The protocol is one AF_UNIX
 * SOCK_DGRAM datagram of newline-separated VAR=value lines to the path
 * in $NOTIFY_SOCKET, where a leading '@' names an abstract socket
 * (systemd's sd_notify(3), "NOTES").  systemd takes the sender's
 * credentials from the socket, so any process of the unit may send
 * when the unit has NotifyAccess=all.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "notify.h"

#define NOTIFY_MSG_MAX	256

int
sg_notify(const char *msg)
{
	struct sockaddr_un	 sun;
	const char		*path;
	size_t			 plen, mlen;
	socklen_t		 slen;
	ssize_t			 n;
	int			 fd, saved;

	if ((path = getenv("NOTIFY_SOCKET")) == NULL || *path == '\0')
		return 1;
	plen = strlen(path);
	mlen = strlen(msg);
	if ((path[0] != '/' && path[0] != '@') ||
	    plen >= sizeof(sun.sun_path) || mlen > NOTIFY_MSG_MAX) {
		errno = EINVAL;
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, plen);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';		/* abstract namespace */
	slen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	n = sendto(fd, msg, mlen, MSG_NOSIGNAL, (struct sockaddr *)&sun, slen);
	saved = errno;
	(void)close(fd);
	errno = saved;
	return n == (ssize_t)mlen ? 0 : -1;
}
