/* SPDX-License-Identifier: ISC */
/*
 * lib/docker.c against a tiny fake Docker daemon on a unix socket, forked
 * per test.  The fake exists for fault injection only (timeouts, error
 * statuses, oversize and garbled answers, a daemon that hangs up); the
 * real engine is exercised by tests/integration/t-docker.sh.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cfg.h"
#include "compat.h"
#include "docker.h"
#include "engines.h"
#include "json.h"

enum mode {
	M_OK,		/* plausible answers for every route */
	M_404,
	M_409,
	M_500,
	M_304,
	M_HANG,		/* read the request, never answer */
	M_HANGUP,	/* read the request, close without a word */
	M_BIG,		/* a 2 MiB answer */
	M_GARBAGE,	/* 200 with a body that is not JSON */
	M_DUPKEY,	/* 200 with duplicate members (strict JSON refuses) */
	M_WARN,		/* create answers with Warnings */
	M_NOID,		/* create answers without an Id */
	M_CTRL,		/* a 404 whose message holds control bytes */
	M_SLOW		/* answer after 1.5 s */
};

static char	 dir[64];
static char	 sock[96];
static char	 reqlog[128];
static pid_t	 fake = -1;

static void
write_all(int fd, const char *p, size_t n)
{
	ssize_t	 w;

	while (n > 0) {
		if ((w = write(fd, p, n)) <= 0) {
			if (w == -1 && errno == EINTR)
				continue;
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

static void
reply(int fd, int status, const char *body)
{
	char	 hdr[256];
	int	 n;

	n = snprintf(hdr, sizeof(hdr), "HTTP/1.1 %d X\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n", status, strlen(body));
	write_all(fd, hdr, (size_t)n);
	write_all(fd, body, strlen(body));
}

static void
serve_one(int fd, enum mode m)
{
	char	 buf[65536], method[16], path[4096], line[4200];
	size_t	 len = 0;
	ssize_t	 r;
	char	*end, *cl;
	long	 clen = 0;
	FILE	*f;

	/* Headers, then Content-Length bytes of body. */
	for (;;) {
		if (len + 1 >= sizeof(buf))
			return;
		if ((r = read(fd, buf + len, sizeof(buf) - 1 - len)) <= 0)
			return;
		len += (size_t)r;
		buf[len] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) != NULL)
			break;
	}
	if ((cl = strcasestr(buf, "Content-Length:")) != NULL && cl < end)
		clen = strtol(cl + 15, NULL, 10);
	while ((long)(len - (size_t)(end + 4 - buf)) < clen) {
		if (len + 1 >= sizeof(buf))
			break;
		if ((r = read(fd, buf + len, sizeof(buf) - 1 - len)) <= 0)
			break;
		len += (size_t)r;
		buf[len] = '\0';
	}
	if (sscanf(buf, "%15s %4095s", method, path) != 2)
		return;
	if ((f = fopen(reqlog, "a")) != NULL) {
		(void)snprintf(line, sizeof(line), "%s %s\n", method, path);
		fputs(line, f);
		fclose(f);
	}

	switch (m) {
	case M_HANG:
		sleep(30);
		return;
	case M_HANGUP:
		return;
	case M_404:
		reply(fd, 404, "{\"message\":\"No such container: x\"}");
		return;
	case M_409:
		reply(fd, 409, "{\"message\":\"Conflict. The container name "
		    "is already in use\"}");
		return;
	case M_500:
		reply(fd, 500, "{\"message\":\"server exploded\"}");
		return;
	case M_304:
		reply(fd, 304, "");
		return;
	case M_CTRL:
		reply(fd, 404,
		    "{\"message\":\"bad\\r\\nInjected: yes\\u0007\"}");
		return;
	case M_GARBAGE:
		reply(fd, 200, "{\"Id\":");
		return;
	case M_DUPKEY:
		reply(fd, 201, "{\"Id\":\"aaaa\",\"Id\":\"bbbb\"}");
		return;
	case M_BIG: {
		static char	 big[2 * 1024 * 1024 + 64];
		size_t		 i;

		big[0] = '"';
		for (i = 1; i < sizeof(big) - 2; i++)
			big[i] = 'a';
		big[sizeof(big) - 2] = '"';
		big[sizeof(big) - 1] = '\0';
		reply(fd, 200, big);
		return;
	}
	case M_SLOW:
		usleep(1500 * 1000);
		break;
	default:
		break;
	}

	if (strncmp(path, "/v1.41/", 7) != 0) {
		reply(fd, 400, "{\"message\":\"unversioned path\"}");
		return;
	}
	if (strstr(path, "/containers/create") != NULL) {
		if (m == M_WARN)
			reply(fd, 201, "{\"Id\":\"0123abcd\",\"Warnings\":"
			    "[\"Your kernel does not support swap limit\"]}");
		else if (m == M_NOID)
			reply(fd, 201, "{\"Warnings\":[]}");
		else
			reply(fd, 201, "{\"Id\":\"0123abcd\",\"Warnings\":[]}");
	} else if (strstr(path, "/start") != NULL ||
	    strstr(path, "/stop") != NULL ||
	    strncmp(method, "DELETE", 6) == 0 ||
	    strstr(path, "/connect") != NULL)
		reply(fd, 204, "");
	else if (strcmp(path, "/v1.41/info") == 0)
		reply(fd, 200, "{\"Runtimes\":{\"runc\":{\"path\":\"runc\"},"
		    "\"io.containerd.runc.v2\":{}},"
		    "\"DefaultRuntime\":\"runc\"}");
	else if (strncmp(path, "/v1.41/containers/json", 22) == 0)
		reply(fd, 200, "[{\"Id\":\"0123abcd\",\"Labels\":"
		    "{\"sandgate.container_id\":\"sandbox_x\"}}]");
	else if (strncmp(path, "/v1.41/images/", 14) == 0)
		reply(fd, 200, "{\"Id\":\"sha256:00\"}");
	else if (strcmp(path, "/v1.41/networks/sgnet") == 0 ||
	    strcmp(path, "/v1.41/networks/sg") == 0)
		reply(fd, 200, "{\"Name\":\"sgnet\",\"Id\":\"5a1b\"}");
	else if (strcmp(path, "/v1.41/_ping") == 0)
		reply(fd, 200, "OK");
	else
		reply(fd, 200, "{\"Id\":\"0123abcd\",\"Name\":\"/x\"}");
}

static void
start_fake(enum mode m)
{
	struct sockaddr_un	 sun;
	int			 ls, fd, ready[2];
	char			 c;

	ck_assert_int_eq(pipe(ready), 0);
	if ((fake = fork()) == 0) {
		close(ready[0]);
		ls = socket(AF_UNIX, SOCK_STREAM, 0);
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		(void)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock);
		if (ls == -1 || bind(ls, (struct sockaddr *)&sun,
		    sizeof(sun)) == -1 || listen(ls, 16) == -1)
			_exit(1);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		close(ready[1]);
		for (;;) {
			if ((fd = accept(ls, NULL, NULL)) == -1)
				continue;
			serve_one(fd, m);
			close(fd);
		}
	}
	ck_assert_int_gt(fake, 0);
	close(ready[1]);
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	close(ready[0]);
}

static void
setup(void)
{
	(void)snprintf(dir, sizeof(dir), "/tmp/check_docker.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	(void)snprintf(sock, sizeof(sock), "%s/docker.sock", dir);
	(void)snprintf(reqlog, sizeof(reqlog), "%s/requests.log", dir);
	fake = -1;
}

static void
teardown(void)
{
	if (fake > 0) {
		kill(fake, SIGKILL);
		waitpid(fake, NULL, 0);
		fake = -1;
	}
	unlink(sock);
	unlink(reqlog);
	rmdir(dir);
}

/* The request lines the fake saw, or "" */
static const char *
requests(void)
{
	static char	 buf[8192];
	FILE		*f;
	size_t		 n;

	buf[0] = '\0';
	if ((f = fopen(reqlog, "r")) == NULL)
		return buf;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static struct sg_docker *
client(int timeout)
{
	struct sg_docker	*d = NULL;
	struct sg_err		 err;

	sg_err_clear(&err);
	ck_assert_int_eq(sg_docker_new(sock, timeout, &d, &err), SG_OK);
	return d;
}

START_TEST(test_socket_missing)
{
	struct sg_docker	*d = client(2);
	struct sg_err		 err;
	cJSON			*out = NULL;

	sg_err_clear(&err);
	ck_assert_int_eq(sg_docker_container_inspect(d, "abc", &out, &err),
	    SG_EUNAVAIL);
	ck_assert_str_eq(err.code, "docker_unavailable");
	ck_assert_ptr_null(out);
	sg_docker_free(d);
}
END_TEST

START_TEST(test_connection_refused)
{
	struct sockaddr_un	 sun;
	struct sg_docker	*d = client(2);
	struct sg_err		 err;
	int			 s;

	/* A socket file nobody listens on: ECONNREFUSED. */
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	(void)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(s);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_docker_ping(d, &err), SG_EUNAVAIL);
	ck_assert_str_eq(err.code, "docker_unavailable");
	sg_docker_free(d);
}
END_TEST

START_TEST(test_versioned_paths)
{
	struct sg_docker	*d;
	struct sg_err		 err;
	cJSON			*out = NULL, *cfg, *warn = NULL;
	char			 id[SG_DOCKER_ID_MAX + 1];

	start_fake(M_OK);
	d = client(5);
	sg_err_clear(&err);
	cfg = cJSON_CreateObject();
	ck_assert_int_eq(sg_docker_container_create(d, "sandbox_abc", cfg, id,
	    sizeof(id), &warn, &err), SG_OK);
	ck_assert_str_eq(id, "0123abcd");
	ck_assert_ptr_null(warn);
	ck_assert_int_eq(sg_docker_container_start(d, id, &err), SG_OK);
	ck_assert_int_eq(sg_docker_container_inspect(d, id, &out, &err),
	    SG_OK);
	ck_assert_str_eq(sg_json_str(out, "Name"), "/x");
	cJSON_Delete(out);
	ck_assert_int_eq(sg_docker_container_stop(d, id, 5, &err), SG_OK);
	ck_assert_int_eq(sg_docker_container_remove(d, id, 1, 1, &err),
	    SG_OK);
	ck_assert_int_eq(sg_docker_network_connect(d, "sg-net", id, &err),
	    SG_OK);
	ck_assert_int_eq(sg_docker_ping(d, &err), SG_OK);
	ck_assert_str_eq(requests(),
	    "POST /v1.41/containers/create?name=sandbox_abc\n"
	    "POST /v1.41/containers/0123abcd/start\n"
	    "GET /v1.41/containers/0123abcd/json\n"
	    "POST /v1.41/containers/0123abcd/stop?t=5\n"
	    "DELETE /v1.41/containers/0123abcd?force=true&v=true\n"
	    "POST /v1.41/networks/sg-net/connect\n"
	    "GET /v1.41/_ping\n");
	cJSON_Delete(cfg);
	sg_docker_free(d);
}
END_TEST

START_TEST(test_list_filter_encoded)
{
	struct sg_docker	*d;
	struct sg_err		 err;
	cJSON			*out = NULL;

	start_fake(M_OK);
	d = client(5);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_docker_container_list(d, "sandgate.container_id",
	    &out, &err), SG_OK);
	ck_assert(cJSON_IsArray(out));
	ck_assert_int_eq(cJSON_GetArraySize(out), 1);
	cJSON_Delete(out);
	/* {"label":["sandgate.container_id"]} URL-encoded. */
	ck_assert_str_eq(requests(), "GET /v1.41/containers/json?all=1&"
	    "filters=%7B%22label%22%3A%5B%22sandgate.container_id%22%5D%7D\n");
	sg_docker_free(d);
}
END_TEST

START_TEST(test_runtime_check)
{
	struct sg_docker	*d;
	struct sg_err		 err;

	start_fake(M_OK);
	d = client(5);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_docker_runtime_check(d, "runc", &err), SG_OK);
	ck_assert_int_eq(sg_docker_runtime_check(d, "runsc", &err),
	    SG_ENOENT);
	ck_assert_str_eq(err.code, "runtime_unavailable");
	ck_assert_ptr_nonnull(strstr(err.msg, "runsc"));
	sg_docker_free(d);
}
END_TEST

START_TEST(test_network_inspect)
{
	struct sg_docker	*d;
	struct sg_err		 err;

	start_fake(M_OK);
	d = client(5);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_docker_network_inspect(d, "sgnet", &err), SG_OK);
	/* The daemon answered for another network (an id prefix). */
	ck_assert_int_eq(sg_docker_network_inspect(d, "sg", &err), SG_ENOENT);
	ck_assert_str_eq(err.code, "network_unavailable");
	ck_assert_ptr_nonnull(strstr(err.msg, "sg"));
	sg_err_clear(&err);
	ck_assert_int_eq(sg_docker_network_inspect(d, "a/b", &err),
	    SG_EINVAL);
	ck_assert_str_eq(err.code, "bad_docker_name");
	ck_assert_str_eq(requests(), "GET /v1.41/networks/sgnet\n"
	    "GET /v1.41/networks/sg\n");
	sg_docker_free(d);
}
END_TEST

START_TEST(test_network_inspect_missing)
{
	struct sg_docker	*d;
	struct sg_err		 err;

	start_fake(M_404);
	d = client(5);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_docker_network_inspect(d, "sgnet", &err),
	    SG_ENOENT);
	ck_assert_str_eq(err.code, "network_unavailable");
	sg_docker_free(d);
	teardown();
	setup();
	start_fake(M_HANG);
	d = client(1);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_docker_network_inspect(d, "sgnet", &err),
	    SG_ETIMEOUT);
	ck_assert_str_eq(err.code, "docker_timeout");
	sg_docker_free(d);
}
END_TEST

START_TEST(test_404)
{
	struct sg_docker	*d;
	struct sg_err		 err;
	cJSON			*out = NULL;

	start_fake(M_404);
	d = client(5);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_docker_container_inspect(d, "nope", &out, &err),
	    SG_ENOENT);
	ck_assert_str_eq(err.code, "docker_not_found");
	/* The daemon's message is kept for the log. */
	ck_assert_ptr_nonnull(strstr(err.msg, "No such container: x"));
	ck_assert_ptr_null(out);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_docker_image_inspect(d, "sandgate-test:latest",
	    NULL, &err), SG_ENOENT);
	ck_assert_str_eq(err.code, "image_unavailable");
	sg_docker_free(d);
}
END_TEST

START_TEST(test_409)
{
	struct sg_docker	*d;
	struct sg_err		 err;
	char			 id[SG_DOCKER_ID_MAX + 1];

	start_fake(M_409);
	d = client(5);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_docker_container_create(d, "sandbox_x", NULL, id,
	    sizeof(id), NULL, &err), SG_ECONFLICT);
	ck_assert_str_eq(err.code, "docker_conflict");
	ck_assert_ptr_nonnull(strstr(err.msg, "already in use"));
	ck_assert_str_eq(id, "");
	sg_docker_free(d);
}
END_TEST

START_TEST(test_500)
{
	struct sg_docker	*d;
	struct sg_err		 err;

	start_fake(M_500);
	d = client(5);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_docker_container_start(d, "abc", &err),
	    SG_EUPSTREAM);
	ck_assert_str_eq(err.code, "docker_error");
	ck_assert_ptr_nonnull(strstr(err.msg, "500 server exploded"));
	sg_docker_free(d);
}
END_TEST

START_TEST(test_304_is_success)
{
	struct sg_docker	*d;
	struct sg_err		 err;

	start_fake(M_304);
	d = client(5);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_docker_container_start(d, "abc", &err), SG_OK);
	ck_assert_int_eq(sg_docker_container_stop(d, "abc", 5, &err), SG_OK);
	ck_assert_int_eq(err.rc, SG_OK);
	sg_docker_free(d);
}
END_TEST

START_TEST(test_timeout)
{
	struct sg_docker	*d;
	struct sg_err		 err;
	cJSON			*out = NULL;
	time_t			 t0;

	start_fake(M_HANG);
	d = client(1);
	sg_err_clear(&err);
	t0 = time(NULL);
	ck_assert_int_eq(sg_docker_container_inspect(d, "abc", &out, &err),
	    SG_ETIMEOUT);
	ck_assert_str_eq(err.code, "docker_timeout");
	ck_assert_int_le(time(NULL) - t0, 3);
	sg_docker_free(d);
}
END_TEST

START_TEST(test_stop_waits_beyond_timeout)
{
	struct sg_docker	*d;
	struct sg_err		 err;

	/* The daemon may spend the whole grace before answering a stop. */
	start_fake(M_SLOW);
	d = client(1);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_docker_container_stop(d, "abc", 1, &err), SG_OK);
	/* A plain call with the same client times out. */
	ck_assert_int_eq(sg_docker_container_start(d, "abc", &err),
	    SG_ETIMEOUT);
	sg_docker_free(d);
}
END_TEST

START_TEST(test_hangup)
{
	struct sg_docker	*d;
	struct sg_err		 err;

	start_fake(M_HANGUP);
	d = client(5);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_docker_container_start(d, "abc", &err),
	    SG_EUNAVAIL);
	ck_assert_str_eq(err.code, "docker_unavailable");
	sg_docker_free(d);
}
END_TEST

START_TEST(test_oversize)
{
	struct sg_docker	*d;
	struct sg_err		 err;
	cJSON			*out = NULL;

	start_fake(M_BIG);
	d = client(5);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_docker_container_inspect(d, "abc", &out, &err),
	    SG_EUPSTREAM);
	ck_assert_str_eq(err.code, "docker_error");
	ck_assert_ptr_nonnull(strstr(err.msg, "over"));
	ck_assert_ptr_null(out);
	sg_docker_free(d);
}
END_TEST

START_TEST(test_garbage_json)
{
	struct sg_docker	*d;
	struct sg_err		 err;
	cJSON			*out = NULL;

	start_fake(M_GARBAGE);
	d = client(5);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_docker_container_inspect(d, "abc", &out, &err),
	    SG_EUPSTREAM);
	ck_assert_ptr_null(out);
	sg_docker_free(d);
}
END_TEST

START_TEST(test_duplicate_members)
{
	struct sg_docker	*d;
	struct sg_err		 err;
	char			 id[SG_DOCKER_ID_MAX + 1];

	/* cJSON alone would take the first "Id"; strict JSON refuses. */
	start_fake(M_DUPKEY);
	d = client(5);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_docker_container_create(d, "sandbox_x", NULL, id,
	    sizeof(id), NULL, &err), SG_EUPSTREAM);
	sg_docker_free(d);
}
END_TEST

START_TEST(test_warnings)
{
	struct sg_docker	*d;
	struct sg_err		 err;
	cJSON			*warn = NULL;
	char			 id[SG_DOCKER_ID_MAX + 1];

	start_fake(M_WARN);
	d = client(5);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_docker_container_create(d, "sandbox_x", NULL, id,
	    sizeof(id), &warn, &err), SG_OK);
	ck_assert(cJSON_IsArray(warn));
	ck_assert_int_eq(cJSON_GetArraySize(warn), 1);
	cJSON_Delete(warn);
	sg_docker_free(d);
}
END_TEST

START_TEST(test_no_id)
{
	struct sg_docker	*d;
	struct sg_err		 err;
	char			 id[SG_DOCKER_ID_MAX + 1];

	start_fake(M_NOID);
	d = client(5);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_docker_container_create(d, "sandbox_x", NULL, id,
	    sizeof(id), NULL, &err), SG_EUPSTREAM);
	sg_docker_free(d);
}
END_TEST

START_TEST(test_message_sanitised)
{
	struct sg_docker	*d;
	struct sg_err		 err;
	size_t			 i;

	start_fake(M_CTRL);
	d = client(5);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_docker_container_start(d, "abc", &err),
	    SG_ENOENT);
	for (i = 0; err.msg[i] != '\0'; i++)
		ck_assert(err.msg[i] >= 0x20 && err.msg[i] < 0x7f);
	sg_docker_free(d);
}
END_TEST

START_TEST(test_names_checked_before_any_request)
{
	static const char *const bad[] = {
		"", "../x", "a/b", "a?b", "a b", "a%2fb", "-x", ".x",
		"a\nb", "a#b", NULL
	};
	struct sg_docker	*d;
	struct sg_err		 err;
	cJSON			*out = NULL;
	size_t			 i;

	start_fake(M_OK);
	d = client(5);
	for (i = 0; bad[i] != NULL; i++) {
		sg_err_clear(&err);
		ck_assert_int_eq(sg_docker_container_inspect(d, bad[i], &out,
		    &err), SG_EINVAL);
		sg_err_clear(&err);
		ck_assert_int_eq(sg_docker_container_remove(d, bad[i], 1, 1,
		    &err), SG_EINVAL);
		ck_assert_str_eq(err.code, "bad_docker_name");
	}
	sg_err_clear(&err);
	ck_assert_int_eq(sg_docker_image_inspect(d, "../../etc", NULL, &err),
	    SG_EINVAL);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_docker_image_inspect(d, "a//b", NULL, &err),
	    SG_EINVAL);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_docker_container_stop(d, "abc", -1, &err),
	    SG_EINVAL);
	ck_assert_str_eq(requests(), "");
	ck_assert(sg_docker_image_valid("registry.local:5000/a/b:1.0"));
	ck_assert(sg_docker_image_valid("sandgate-test:latest"));
	sg_docker_free(d);
}
END_TEST

START_TEST(test_new_checks)
{
	struct sg_docker	*d = NULL;
	struct sg_err		 err;

	sg_err_clear(&err);
	ck_assert_int_eq(sg_docker_new(sock, 0, &d, &err), SG_EINVAL);
	ck_assert_ptr_null(d);
	sg_docker_free(NULL);
}
END_TEST


/* ---- several engines (lib/engines.h) ---------------------------------- */

START_TEST(test_engines_check)
{
	static const char *const good[] = {
		"a=unix:///var/run/docker.sock",
		"a=unix:///x,b=tcp://127.0.0.1:2376",
		"node-1=tcp://[::1]:2376,n_2=tcp://docker.example:1",
		"b=tcp://10.0.0.7:2376;proxy=http://172.31.99.1:8443/",
		"a=unix:///x,b=unix:///y;proxy=http://[fd00::1]:8443",
		NULL
	};
	static const char *const bad[] = {
		"", "a", "=unix:///x", "A=unix:///x", "-a=unix:///x",
		"a=unix://x", "a=http://127.0.0.1:1", "a=tcp://127.0.0.1",
		"a=tcp://127.0.0.1:0", "a=tcp://127.0.0.1:65536",
		"a=tcp://h:1/x", "a=tcp://u@h:1", "a=unix:///x,",
		"a=unix:///x,,b=unix:///y", "a=unix:///x,a=unix:///y",
		"abcdefghijabcdefghijabcdefghijabc=unix:///x",
		"a=tcp://::1:2376",
		"b=unix:///x;proxy=http://gateway:8443",
		"b=unix:///x;proxy=https://10.0.0.1:8443",
		"b=unix:///x;proxy=http://10.0.0.1",
		"b=unix:///x;proxy=http://10.0.0.1:8443/x",
		"b=unix:///x;via=http://10.0.0.1:8443",
		"b=unix:///x;",
		NULL
	};
	char	 why[128];
	size_t	 i, n;

	for (i = 0; good[i] != NULL; i++)
		ck_assert_msg(sg_engines_check(good[i], &n, why,
		    sizeof(why)) == 0, "%s: %s", good[i], why);
	ck_assert_uint_eq(n, 2);
	for (i = 0; bad[i] != NULL; i++)
		ck_assert_msg(sg_engines_check(bad[i], &n, why,
		    sizeof(why)) == -1 && why[0] != '\0', "accepted %s",
		    bad[i]);
	/* 16 is the most. */
	{
		char	 spec[1024] = "";
		char	 one[32];

		for (i = 0; i < 17; i++) {
			(void)snprintf(one, sizeof(one), "%se%zu=unix:///s",
			    i > 0 ? "," : "", i);
			(void)strlcat(spec, one, sizeof(spec));
			ck_assert_int_eq(sg_engines_check(spec, &n, why,
			    sizeof(why)), i < 16 ? 0 : -1);
		}
	}
}
END_TEST

static struct sg_engines *
engines(const char *spec, long limit)
{
	static struct sg_cfg	 cfg;
	struct sg_engines	*es = NULL;
	struct sg_err		 err;

	sg_cfg_defaults(&cfg);
	(void)snprintf(cfg.docker_hosts, sizeof(cfg.docker_hosts), "%s",
	    spec);
	cfg.docker_host_limit = limit;
	cfg.docker_timeout_s = 2;
	sg_err_clear(&err);
	ck_assert_int_eq(sg_engines_new(&cfg, &es, &err), SG_OK);
	return es;
}

START_TEST(test_engines_find)
{
	struct sg_engines	*es;
	char			 spec[300];

	(void)snprintf(spec, sizeof(spec), "a=unix://%s,b=unix://%s", sock,
	    sock);
	es = engines(spec, 0);
	ck_assert_uint_eq(es->n, 2);
	ck_assert_ptr_eq(sg_engines_find(es, ""), &es->e[0]);
	ck_assert_ptr_eq(sg_engines_find(es, NULL), &es->e[0]);
	ck_assert_ptr_eq(sg_engines_find(es, "b"), &es->e[1]);
	ck_assert_ptr_null(sg_engines_find(es, "c"));
	ck_assert_str_eq(sg_docker_where(es->e[1].docker), sock);
	sg_engines_free(es);
	/* Without SANDGATE_DOCKER_HOSTS: one engine, unnamed, the socket. */
	es = engines("", 0);
	ck_assert_uint_eq(es->n, 1);
	ck_assert_str_eq(es->e[0].name, "");
	ck_assert_str_eq(sg_docker_where(es->e[0].docker),
	    "/var/run/docker.sock");
	sg_engines_free(es);
}
END_TEST

/* An engine that does not answer is left out and marked down. */
START_TEST(test_engines_place_skips_down)
{
	struct sg_engines	*es;
	struct sg_engine	*e;
	struct sg_err		 err;
	char			 spec[400];

	start_fake(M_OK);
	(void)snprintf(spec, sizeof(spec), "a=unix://%s/none.sock,"
	    "b=unix://%s,c=tcp://127.0.0.1:1", dir, sock);
	es = engines(spec, 0);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_engines_place(es, &e, &err), SG_OK);
	ck_assert_str_eq(e->name, "b");
	ck_assert_int_eq(e->sandboxes, 1);	/* the fake lists one */
	ck_assert(es->e[0].down_until > 0);
	ck_assert(es->e[2].down_until > 0);
	ck_assert_int_eq(es->e[1].down_until, 0);
	/* Marked down: not asked again until the mark runs out. */
	ck_assert_int_eq(sg_engines_place(es, &e, &err), SG_OK);
	ck_assert_str_eq(e->name, "b");
	ck_assert_ptr_nonnull(strstr(requests(),
	    "GET /v1.41/containers/json"));
	sg_engines_free(es);
}
END_TEST

START_TEST(test_engines_place_limit)
{
	struct sg_engines	*es;
	struct sg_engine	*e;
	struct sg_err		 err;
	char			 spec[400];

	start_fake(M_OK);
	(void)snprintf(spec, sizeof(spec), "b=unix://%s", sock);
	es = engines(spec, 1);			/* the fake holds 1 */
	sg_err_clear(&err);
	ck_assert_int_eq(sg_engines_place(es, &e, &err), SG_ELIMIT);
	ck_assert_str_eq(err.code, "engines_full");
	ck_assert_ptr_null(e);
	sg_engines_free(es);
	es = engines(spec, 2);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_engines_place(es, &e, &err), SG_OK);
	ck_assert_str_eq(e->name, "b");
	sg_engines_free(es);
}
END_TEST

START_TEST(test_engines_none_answers)
{
	struct sg_engines	*es;
	struct sg_engine	*e;
	struct sg_err		 err;
	char			 spec[400];

	(void)snprintf(spec, sizeof(spec), "a=unix://%s/none.sock,"
	    "c=tcp://127.0.0.1:1", dir);
	es = engines(spec, 0);
	sg_err_clear(&err);
	ck_assert_int_eq(sg_engines_place(es, &e, &err), SG_EUNAVAIL);
	ck_assert_str_eq(err.code, "docker_unavailable");
	/* Both marked down: asked again all the same, not refused blind. */
	sg_err_clear(&err);
	ck_assert_int_eq(sg_engines_place(es, &e, &err), SG_EUNAVAIL);
	ck_assert_ptr_nonnull(strstr(err.msg, "tcp://127.0.0.1:1"));
	sg_engines_free(es);
}
END_TEST

START_TEST(test_tls_needs_certdir)
{
	struct sg_docker	*d = NULL;
	struct sg_err		 err;

	sg_err_clear(&err);
	ck_assert_int_eq(sg_docker_new_tls("127.0.0.1:2376", "rel", 5, &d,
	    &err), SG_EINVAL);
	ck_assert_ptr_null(d);
	ck_assert_int_eq(sg_docker_new_tls("127.0.0.1:2376/x", "/d", 5, &d,
	    &err), SG_EINVAL);
	/* Missing files: the handshake fails, never plain HTTP. */
	sg_err_clear(&err);
	ck_assert_int_eq(sg_docker_new_tls("127.0.0.1:1", "/nonexistent", 2,
	    &d, &err), SG_OK);
	ck_assert_str_eq(sg_docker_where(d), "tcp://127.0.0.1:1");
	ck_assert_int_ne(sg_docker_ping(d, &err), SG_OK);
	sg_docker_free(d);
}
END_TEST

static Suite *
docker_suite(void)
{
	Suite	*s = suite_create("docker");
	TCase	*tc = tcase_create("fake");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_socket_missing);
	tcase_add_test(tc, test_connection_refused);
	tcase_add_test(tc, test_versioned_paths);
	tcase_add_test(tc, test_list_filter_encoded);
	tcase_add_test(tc, test_runtime_check);
	tcase_add_test(tc, test_network_inspect);
	tcase_add_test(tc, test_network_inspect_missing);
	tcase_add_test(tc, test_404);
	tcase_add_test(tc, test_409);
	tcase_add_test(tc, test_500);
	tcase_add_test(tc, test_304_is_success);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_stop_waits_beyond_timeout);
	tcase_add_test(tc, test_hangup);
	tcase_add_test(tc, test_oversize);
	tcase_add_test(tc, test_garbage_json);
	tcase_add_test(tc, test_duplicate_members);
	tcase_add_test(tc, test_warnings);
	tcase_add_test(tc, test_no_id);
	tcase_add_test(tc, test_message_sanitised);
	tcase_add_test(tc, test_names_checked_before_any_request);
	tcase_add_test(tc, test_new_checks);
	tcase_add_test(tc, test_engines_check);
	tcase_add_test(tc, test_engines_find);
	tcase_add_test(tc, test_engines_place_skips_down);
	tcase_add_test(tc, test_engines_place_limit);
	tcase_add_test(tc, test_engines_none_answers);
	tcase_add_test(tc, test_tls_needs_certdir);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	signal(SIGPIPE, SIG_IGN);
	sr = srunner_create(docker_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
