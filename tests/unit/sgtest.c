/* SPDX-License-Identifier: ISC */
/*
 * What the Check tests share (sgtest.h).
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <fcntl.h>
#include <stdlib.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "metrics.h"
#include "redis.h"
#include "sgerr.h"
#include "sgtest.h"

int64_t
sgtest_ms(void)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
sgtest_free_port(void)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 fd, port;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1) {
		close(fd);
		return -1;
	}
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

void
sgtest_redis_sock(char *buf, size_t size, const char *dir, const char *name)
{
	(void)snprintf(buf, size, "%s/%s.sock", dir, name);
}

/* One PING on a fresh connection: whether any reply line comes back. */
static int
ping_once(const char *sock)
{
	struct sockaddr_un	 sun;
	struct pollfd		 pfd;
	char			 c;
	int			 fd, ok = 0;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, sock, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		return 0;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return 0;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0 &&
	    write(fd, "PING\r\n", 6) == 6) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		/* +PONG, -NOAUTH, -LOADING: it answers (RESP, first byte). */
		ok = poll(&pfd, 1, 200) == 1 && read(fd, &c, 1) == 1 &&
		    (c == '+' || c == '-');
	}
	close(fd);
	return ok;
}

int
sgtest_redis_wait(const char *sock, int secs)
{
	int	 i;

	for (i = 0; i < secs * 50; i++) {
		if (ping_once(sock))
			return 1;
		(void)usleep(20000);
	}
	return 0;
}

int
sgtest_redis_ready(struct sg_redis *rd)
{
	struct sg_err	 err;
	int		 i;

	for (i = 0; i < 250; i++) {
		sg_err_clear(&err);
		if (sg_redis_ping(rd, &err) == SG_OK)
			return 1;
		(void)usleep(20000);
	}
	return 0;
}

pid_t
sgtest_redis_start(const char *dir, const char *name, int port,
    const char *const *extra)
{
	const char	*argv[48];
	char		 portbuf[16], sock[128], logf[128];
	pid_t		 pid, parent = getpid();
	int		 n = 0, fd;

	(void)snprintf(portbuf, sizeof(portbuf), "%d", port > 0 ? port : 0);
	sgtest_redis_sock(sock, sizeof(sock), dir, name);
	(void)snprintf(logf, sizeof(logf), "%s/%s.log", dir, name);
	argv[n++] = "redis-server";
	argv[n++] = "--port";
	argv[n++] = portbuf;
	argv[n++] = "--bind";
	argv[n++] = "127.0.0.1";
	argv[n++] = "-::1";		/* optional: only where IPv6 is up */
	argv[n++] = "--unixsocket";
	argv[n++] = sock;
	argv[n++] = "--unixsocketperm";
	argv[n++] = "700";
	argv[n++] = "--save";
	argv[n++] = "";
	argv[n++] = "--appendonly";
	argv[n++] = "no";
	argv[n++] = "--dir";
	argv[n++] = dir;
	argv[n++] = "--logfile";
	argv[n++] = logf;
	while (extra != NULL && *extra != NULL && n < 46)
		argv[n++] = *extra++;
	argv[n] = NULL;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		/* Die with the process (or forked test) that started us. */
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		if ((fd = open("/dev/null", O_RDWR)) != -1) {
			(void)dup2(fd, 0);
			(void)dup2(fd, 1);
			(void)dup2(fd, 2);
		}
		execvp("redis-server", (char *const *)argv);
		_exit(127);
	}
	if (!sgtest_redis_wait(sock, 10)) {
		sgtest_redis_stop(pid, SIGKILL);
		return -1;
	}
	return pid;
}

void
sgtest_redis_stop(pid_t pid, int sig)
{
	int	 i;

	if (pid <= 0)
		return;
	(void)kill(pid, SIGCONT);
	(void)kill(pid, sig);
	for (i = 0; i < 500; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		(void)usleep(10000);
	}
	(void)kill(pid, SIGKILL);
	(void)waitpid(pid, NULL, 0);
}

int
sgtest_metrics_on(char *dir, size_t size, const char *service)
{
	struct sg_err	 err;

	if (strlcpy(dir, "/tmp/sgtest_metrics.XXXXXX", size) >= size ||
	    mkdtemp(dir) == NULL)
		return -1;
	sg_err_clear(&err);
	return sg_metrics_open(dir, service, &err) == SG_OK ? 0 : -1;
}

void
sgtest_metrics_off(const char *dir)
{
	char	 p[128];

	sg_metrics_close();
	(void)snprintf(p, sizeof(p), "%s/%s", dir, SG_METRICS_FILE);
	(void)unlink(p);
	(void)rmdir(dir);
}
