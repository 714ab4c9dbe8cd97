/* SPDX-License-Identifier: ISC */
/*
 * Docker Engine API client over the unix socket (see docker.h).  The only
 * file that includes libcurl.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "compat.h"
#include "docker.h"
#include "json.h"
#include "clock.h"
#include "log.h"
#include "metrics.h"

/* Container lists may be long. */
#define LIST_MAX_BODY	(16 * 1024 * 1024)
#define CONNECT_MAX_S	5

struct sg_docker {
	CURL		*h;
	char		 sock[PATH_MAX];	/* unix socket, or "" for TCP */
	char		 base[300];	/* "http://localhost", "https://h:p" */
	char		 where[PATH_MAX];	/* for messages */
	char		 ca[PATH_MAX], cert[PATH_MAX], key[PATH_MAX];
	int		 timeout_s;
};

struct buf {
	char		*p;
	size_t		 len;
	size_t		 cap;
	size_t		 max;
	int		 overflow;
};

static int	curl_ready;

static size_t
write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct buf	*b = arg;
	size_t		 n = size * nmemb;
	size_t		 ncap;
	char		*np;

	if (n > b->max - b->len) {
		b->overflow = 1;
		return 0;	/* CURLE_WRITE_ERROR ends the transfer */
	}
	if (b->len + n + 1 > b->cap) {
		ncap = b->cap == 0 ? 4096 : b->cap;
		while (ncap < b->len + n + 1)
			ncap *= 2;
		if (ncap > b->max + 1)
			ncap = b->max + 1;
		if ((np = realloc(b->p, ncap)) == NULL)
			return 0;
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return n;
}

int
sg_docker_name_valid(const char *s)
{
	size_t	 i;

	if (s == NULL || s[0] == '\0' || s[0] == '.' || s[0] == '-')
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= 128)
			return 0;
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '_' || s[i] == '-' || s[i] == '.'))
			return 0;
	}
	return 1;
}

int
sg_docker_image_valid(const char *s)
{
	size_t	 i;

	if (s == NULL || s[0] == '\0' || s[0] == '.' || s[0] == '-' ||
	    s[0] == '/')
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= 255)
			return 0;
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '_' || s[i] == '-' || s[i] == '.' ||
		    s[i] == ':' || s[i] == '/' || s[i] == '@'))
			return 0;
		/* No "..", "//" or "/." segments can be smuggled in. */
		if (s[i] == '/' && (s[i + 1] == '/' || s[i + 1] == '.' ||
		    s[i + 1] == '\0'))
			return 0;
		if (s[i] == '.' && s[i + 1] == '.')
			return 0;
	}
	return 1;
}

/* A handle with its timeout and libcurl; the endpoint is the caller's. */
static enum sg_rc
docker_alloc(int timeout_s, struct sg_docker **out, struct sg_err *err)
{
	struct sg_docker	*d;

	*out = NULL;
	if (timeout_s < 1 || timeout_s > 3600)
		return sg_err_set(err, SG_EINVAL, "bad_config",
		    "docker timeout %d s out of range", timeout_s);
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return sg_err_set(err, SG_EINTERNAL, "curl_init",
			    "libcurl initialisation failed");
		curl_ready = 1;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
	if ((d->h = curl_easy_init()) == NULL) {
		free(d);
		return sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
	}
	d->timeout_s = timeout_s;
	*out = d;
	return SG_OK;
}

enum sg_rc
sg_docker_new(const char *socket_path, int timeout_s, struct sg_docker **out,
    struct sg_err *err)
{
	struct sg_docker	*d = NULL;
	enum sg_rc		 rc;

	*out = NULL;
	if (socket_path == NULL || socket_path[0] == '\0')
		socket_path = SG_DOCKER_DEFAULT_SOCKET;
	if (strlen(socket_path) >= sizeof(d->sock))
		return sg_err_set(err, SG_EINVAL, "bad_config",
		    "docker socket path too long");
	if ((rc = docker_alloc(timeout_s, &d, err)) != SG_OK)
		return rc;
	(void)strlcpy(d->sock, socket_path, sizeof(d->sock));
	(void)strlcpy(d->where, socket_path, sizeof(d->where));
	(void)strlcpy(d->base, "http://localhost", sizeof(d->base));
	*out = d;
	return SG_OK;
}

enum sg_rc
sg_docker_new_tls(const char *hostport, const char *certdir, int timeout_s,
    struct sg_docker **out, struct sg_err *err)
{
	struct sg_docker	*d = NULL;
	enum sg_rc		 rc;
	int			 n1, n2, n3;

	*out = NULL;
	if (hostport == NULL || hostport[0] == '\0' ||
	    strlen(hostport) > 255 || strpbrk(hostport, "/?#@ ") != NULL)
		return sg_err_set(err, SG_EINVAL, "bad_config",
		    "docker TCP endpoint must be host:port");
	if (certdir == NULL || certdir[0] != '/')
		return sg_err_set(err, SG_EINVAL, "bad_config",
		    "a tcp:// docker engine needs an absolute certificate "
		    "directory");
	if ((rc = docker_alloc(timeout_s, &d, err)) != SG_OK)
		return rc;
	(void)snprintf(d->base, sizeof(d->base), "https://%s", hostport);
	(void)snprintf(d->where, sizeof(d->where), "tcp://%s", hostport);
	n1 = snprintf(d->ca, sizeof(d->ca), "%s/ca.pem", certdir);
	n2 = snprintf(d->cert, sizeof(d->cert), "%s/cert.pem", certdir);
	n3 = snprintf(d->key, sizeof(d->key), "%s/key.pem", certdir);
	if (n1 < 0 || (size_t)n1 >= sizeof(d->ca) || n2 < 0 ||
	    (size_t)n2 >= sizeof(d->cert) || n3 < 0 ||
	    (size_t)n3 >= sizeof(d->key)) {
		sg_docker_free(d);
		return sg_err_set(err, SG_EINVAL, "bad_config",
		    "docker certificate directory path too long");
	}
	*out = d;
	return SG_OK;
}

const char *
sg_docker_where(const struct sg_docker *d)
{
	return d->where;
}

void
sg_docker_free(struct sg_docker *d)
{
	if (d == NULL)
		return;
	if (d->h != NULL)
		curl_easy_cleanup(d->h);
	free(d);
}

/* Copy the daemon's message into err, printable ASCII only. */
static enum sg_rc
set_daemon_err(struct sg_err *err, enum sg_rc rc, const char *code,
    long status, const char *method, const char *path, const cJSON *ans)
{
	const char	*m = NULL;
	char		 clean[96];
	char		 route[24];
	size_t		 i;

	if (ans != NULL)
		m = sg_json_str(ans, "message");
	if (m == NULL)
		m = "";
	for (i = 0; m[i] != '\0' && i + 1 < sizeof(clean); i++)
		clean[i] = (m[i] >= 0x20 && m[i] < 0x7f) ? m[i] : '?';
	clean[i] = '\0';
	/* The route up to '?', cut short: the daemon's words matter more. */
	for (i = 0; path[i] != '\0' && path[i] != '?' &&
	    i + 1 < sizeof(route); i++)
		route[i] = path[i];
	route[i] = '\0';
	/* The daemon's words first: err->msg has room for 127 bytes. */
	return sg_err_set(err, rc, code, "docker: %ld %s (%s %s)", status,
	    clean, method, route);
}

/* The reason label of a failed call (lib/metrics.h), from its code. */
static const char *
metric_reason(enum sg_rc rc)
{
	switch (rc) {
	case SG_EUNAVAIL:	return "docker_unavailable";
	case SG_ETIMEOUT:	return "docker_timeout";
	case SG_ENOENT:		return "docker_not_found";
	case SG_ECONFLICT:	return "docker_conflict";
	case SG_EINVAL:		return "docker_bad_request";
	case SG_EUPSTREAM:	return "docker_error";
	case SG_ENOMEM:		return "out_of_memory";
	default:		return "internal_error";
	}
}

/*
 * TLS to a tcp:// engine, as Docker's own --tlsverify: the daemon's
 * certificate checked against ca.pem alone (not the system CAs) with its
 * name or address, and the client's cert.pem/key.pem presented.
 */
static CURLcode
tls_setopt(struct sg_docker *d)
{
	CURLcode	 cc;

	if ((cc = curl_easy_setopt(d->h, CURLOPT_CAINFO, d->ca)) !=
	    CURLE_OK ||
	    (cc = curl_easy_setopt(d->h, CURLOPT_CAPATH, NULL)) != CURLE_OK ||
	    (cc = curl_easy_setopt(d->h, CURLOPT_SSLCERT, d->cert)) !=
	    CURLE_OK ||
	    (cc = curl_easy_setopt(d->h, CURLOPT_SSLKEY, d->key)) !=
	    CURLE_OK ||
	    (cc = curl_easy_setopt(d->h, CURLOPT_SSL_VERIFYPEER, 1L)) !=
	    CURLE_OK ||
	    (cc = curl_easy_setopt(d->h, CURLOPT_SSL_VERIFYHOST, 2L)) !=
	    CURLE_OK)
		return cc;
	return curl_easy_setopt(d->h, CURLOPT_SSLVERSION,
	    (long)CURL_SSLVERSION_TLSv1_2);
}

/*
 * The handle's options for one request (reset first, keeping the
 * connection cache); b receives the answer.  Total timeout total s.
 */
static enum sg_rc
call_setopt(struct sg_docker *d, const char *url, const char *method,
    long total, const char *reqbody, struct buf *b, struct sg_err *err)
{
	curl_easy_reset(d->h);
	if ((d->sock[0] != '\0' ?
	    curl_easy_setopt(d->h, CURLOPT_UNIX_SOCKET_PATH, d->sock) :
	    tls_setopt(d)) != CURLE_OK ||
	    curl_easy_setopt(d->h, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(d->h, CURLOPT_PROTOCOLS_STR,
	    d->sock[0] != '\0' ? "http" : "https") != CURLE_OK ||
	    curl_easy_setopt(d->h, CURLOPT_NOPROXY, "*") != CURLE_OK ||
	    curl_easy_setopt(d->h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(d->h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(d->h, CURLOPT_TIMEOUT, total) != CURLE_OK ||
	    curl_easy_setopt(d->h, CURLOPT_CONNECTTIMEOUT,
	    (long)(d->timeout_s < CONNECT_MAX_S ? d->timeout_s :
	    CONNECT_MAX_S)) != CURLE_OK ||
	    curl_easy_setopt(d->h, CURLOPT_WRITEFUNCTION, write_cb) !=
	    CURLE_OK ||
	    curl_easy_setopt(d->h, CURLOPT_WRITEDATA, b) != CURLE_OK ||
	    curl_easy_setopt(d->h, CURLOPT_CUSTOMREQUEST, method) !=
	    CURLE_OK)
		return sg_err_set(err, SG_EINTERNAL, "curl_setopt",
		    "libcurl refused an option");
	if (strcmp(method, "GET") == 0)
		curl_easy_setopt(d->h, CURLOPT_HTTPGET, 1L);
	else if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(d->h, CURLOPT_NOBODY, 1L);
	else if (strcmp(method, "DELETE") != 0) {
		/* POST with an empty body still needs the length. */
		curl_easy_setopt(d->h, CURLOPT_POSTFIELDS,
		    reqbody != NULL ? reqbody : "");
		curl_easy_setopt(d->h, CURLOPT_POSTFIELDSIZE,
		    (long)(reqbody != NULL ? strlen(reqbody) : 0));
	}
	return SG_OK;
}

/* A failed curl_easy_perform as the error a caller can act on. */
static enum sg_rc
perform_err(const struct sg_docker *d, CURLcode cc, const char *method,
    long total, const struct buf *b, size_t maxbody, struct sg_err *err)
{
	switch (cc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
		return sg_err_set(err, SG_EUNAVAIL, "docker_unavailable",
		    "docker daemon not reachable on %.80s", d->where);
	case CURLE_OPERATION_TIMEDOUT:
		return sg_err_set(err, SG_ETIMEOUT, "docker_timeout",
		    "docker %s did not answer in %ld s", method, total);
	case CURLE_WRITE_ERROR:
		if (b->overflow)
			return sg_err_set(err, SG_EUPSTREAM, "docker_error",
			    "docker answer over %zu bytes", maxbody);
		return sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
		return sg_err_set(err, SG_EUPSTREAM, "docker_tls_failed",
		    "TLS with the docker engine on %.80s failed: %s",
		    d->where, curl_easy_strerror(cc));
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
		return sg_err_set(err, SG_EUNAVAIL, "docker_unavailable",
		    "docker daemon closed the connection (%s)",
		    curl_easy_strerror(cc));
	default:
		return sg_err_set(err, SG_EUPSTREAM, "docker_error",
		    "docker call failed: %s", curl_easy_strerror(cc));
	}
}

/* The daemon's non-2xx status as an error (ans: its parsed answer). */
static enum sg_rc
status_err(long status, const char *method, const char *path,
    const cJSON *ans, struct sg_err *err)
{
	if (status == 404)
		return set_daemon_err(err, SG_ENOENT, "docker_not_found",
		    status, method, path, ans);
	if (status == 409)
		return set_daemon_err(err, SG_ECONFLICT, "docker_conflict",
		    status, method, path, ans);
	if (status >= 400 && status < 500)
		return set_daemon_err(err, SG_EINVAL, "docker_bad_request",
		    status, method, path, ans);
	return set_daemon_err(err, SG_EUPSTREAM, "docker_error", status,
	    method, path, ans);
}

static enum sg_rc
call(struct sg_docker *d, const char *method, const char *path,
    const cJSON *body, int extra_s, size_t maxbody, long *status_out,
    cJSON **out, struct sg_err *err)
{
	int64_t			 t0 = sg_now_us();
	struct curl_slist	*hdrs = NULL, *tmp = NULL;
	struct buf		 b;
	char			 url[2048];
	char			*reqbody = NULL;
	cJSON			*ans = NULL;
	struct sg_err		 perr;
	CURLcode		 cc;
	long			 status = 0;
	long			 total;
	enum sg_rc		 rc = SG_EINTERNAL;
	int			 n;

	memset(&b, 0, sizeof(b));
	b.max = maxbody;
	sg_err_clear(&perr);
	if (status_out != NULL)
		*status_out = 0;
	if (out != NULL)
		*out = NULL;

	n = snprintf(url, sizeof(url), "%s/%s%s", d->base, SG_DOCKER_API,
	    path);
	if (n < 0 || (size_t)n >= sizeof(url)) {
		rc = sg_err_set(err, SG_EINVAL, "bad_docker_name",
		    "docker request path too long");
		goto out;
	}
	if (body != NULL && (reqbody = sg_json_print(body)) == NULL) {
		rc = sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
		goto out;
	}
	total = (long)d->timeout_s + (extra_s > 0 ? extra_s : 0);
	if ((rc = call_setopt(d, url, method, total, reqbody, &b, err)) !=
	    SG_OK)
		goto out;
	/* No "Expect: 100-continue" round trip for bodies over 1 KiB. */
	if ((hdrs = curl_slist_append(NULL,
	    "Content-Type: application/json")) == NULL ||
	    (tmp = curl_slist_append(hdrs, "Expect:")) == NULL ||
	    curl_easy_setopt(d->h, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK) {
		rc = sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
		goto out;
	}

	if ((cc = curl_easy_perform(d->h)) != CURLE_OK) {
		rc = perform_err(d, cc, method, total, &b, maxbody, err);
		goto out;
	}
	curl_easy_getinfo(d->h, CURLINFO_RESPONSE_CODE, &status);
	if (status_out != NULL)
		*status_out = status;

	/*
	 * Parse what will be used: the answer when the caller wants it, the
	 * error message otherwise (/_ping answers plain "OK").
	 */
	if (b.len > 0 && (out != NULL || status < 200 || status >= 300)) {
		ans = sg_json_parse(b.p, b.len, &perr);
		if (ans == NULL && status >= 200 && status < 300) {
			rc = sg_err_set(err, SG_EUPSTREAM, "docker_error",
			    "docker %s answered %ld with bad JSON", method,
			    status);
			goto out;
		}
	}

	if ((status >= 200 && status < 300) || status == 304) {
		rc = SG_OK;
		if (out != NULL) {
			*out = ans;
			ans = NULL;
		}
	} else
		rc = status_err(status, method, path, ans, err);
out:
	/* Every call counted and timed, failures by reason (metrics.h). */
	sg_metrics_add(SG_M_DOCKER_CALLS, 1);
	sg_metrics_observe(SG_M_DOCKER_SECONDS, sg_now_us() - t0);
	if (rc != SG_OK)
		sg_metrics_add(SG_M_DOCKER_ERRORS, 1, metric_reason(rc));
	curl_slist_free_all(hdrs);
	if (d != NULL && d->h != NULL)
		curl_easy_setopt(d->h, CURLOPT_HTTPHEADER, NULL);
	cJSON_Delete(ans);
	free(reqbody);
	free(b.p);
	return rc;
}

enum sg_rc
sg_docker_call(struct sg_docker *d, const char *method, const char *path,
    const cJSON *body, int extra_s, long *status, cJSON **out,
    struct sg_err *err)
{
	if (path == NULL || path[0] != '/')
		return sg_err_set(err, SG_EINVAL, "bad_docker_name",
		    "docker path must start with '/'");
	return call(d, method, path, body, extra_s, SG_DOCKER_MAX_BODY,
	    status, out, err);
}

static enum sg_rc
check_name(const char *s, struct sg_err *err)
{
	if (!sg_docker_name_valid(s))
		return sg_err_set(err, SG_EINVAL, "bad_docker_name",
		    "bad container or network name");
	return SG_OK;
}

enum sg_rc
sg_docker_ping(struct sg_docker *d, struct sg_err *err)
{
	return call(d, "GET", "/_ping", NULL, 0, 64, NULL, NULL, err);
}

enum sg_rc
sg_docker_runtime_check(struct sg_docker *d, const char *runtime,
    struct sg_err *err)
{
	cJSON		*info = NULL;
	const cJSON	*rts;
	enum sg_rc	 rc;

	if (runtime == NULL || runtime[0] == '\0')
		return sg_err_set(err, SG_EINVAL, "bad_config",
		    "empty runtime name");
	if ((rc = call(d, "GET", "/info", NULL, 0, SG_DOCKER_MAX_BODY, NULL,
	    &info, err)) != SG_OK)
		goto out;
	rts = sg_json_get(info, "Runtimes");
	if (!cJSON_IsObject(rts)) {
		rc = sg_err_set(err, SG_EUPSTREAM, "docker_error",
		    "docker /info has no Runtimes");
		goto out;
	}
	if (sg_json_get(rts, runtime) == NULL) {
		rc = sg_err_set(err, SG_ENOENT, "runtime_unavailable",
		    "runtime %.40s is not registered with the docker daemon",
		    runtime);
		goto out;
	}
	rc = SG_OK;
out:
	cJSON_Delete(info);
	return rc;
}

enum sg_rc
sg_docker_image_inspect(struct sg_docker *d, const char *image, cJSON **out,
    struct sg_err *err)
{
	struct sg_err	 e;
	char		 path[320];
	enum sg_rc	 rc;
	int		 n;

	if (out != NULL)
		*out = NULL;
	if (!sg_docker_image_valid(image))
		return sg_err_set(err, SG_EINVAL, "bad_docker_name",
		    "bad image name");
	n = snprintf(path, sizeof(path), "/images/%s/json", image);
	if (n < 0 || (size_t)n >= sizeof(path))
		return sg_err_set(err, SG_EINVAL, "bad_docker_name",
		    "image name too long");
	sg_err_clear(&e);
	rc = call(d, "GET", path, NULL, 0, SG_DOCKER_MAX_BODY, NULL, out, &e);
	if (rc == SG_ENOENT)
		return sg_err_set(err, SG_ENOENT, "image_unavailable",
		    "image %.60s is not on the docker host (sandgate never "
		    "pulls)", image);
	if (rc != SG_OK && err != NULL && err->rc == SG_OK)
		*err = e;
	return rc;
}

enum sg_rc
sg_docker_container_create(struct sg_docker *d, const char *name,
    const cJSON *config, char *id, size_t size, cJSON **warnings,
    struct sg_err *err)
{
	cJSON		*ans = NULL;
	const cJSON	*w;
	const char	*s;
	char		 path[192];
	enum sg_rc	 rc;

	if (warnings != NULL)
		*warnings = NULL;
	if (size > 0)
		id[0] = '\0';
	if ((rc = check_name(name, err)) != SG_OK)
		return rc;
	(void)snprintf(path, sizeof(path), "/containers/create?name=%s",
	    name);
	if ((rc = call(d, "POST", path, config, 0, SG_DOCKER_MAX_BODY, NULL,
	    &ans, err)) != SG_OK)
		goto out;
	s = sg_json_str(ans, "Id");
	if (s == NULL || !sg_docker_name_valid(s) ||
	    strlcpy(id, s, size) >= size) {
		rc = sg_err_set(err, SG_EUPSTREAM, "docker_error",
		    "docker create answered without a usable Id");
		goto out;
	}
	w = sg_json_get(ans, "Warnings");
	if (warnings != NULL && cJSON_IsArray(w) &&
	    cJSON_GetArraySize(w) > 0)
		*warnings = cJSON_DetachItemFromObjectCaseSensitive(ans,
		    "Warnings");
	rc = SG_OK;
out:
	cJSON_Delete(ans);
	return rc;
}

enum sg_rc
sg_docker_container_start(struct sg_docker *d, const char *id,
    struct sg_err *err)
{
	char		 path[192];
	enum sg_rc	 rc;

	if ((rc = check_name(id, err)) != SG_OK)
		return rc;
	(void)snprintf(path, sizeof(path), "/containers/%s/start", id);
	return call(d, "POST", path, NULL, 0, SG_DOCKER_MAX_BODY, NULL, NULL,
	    err);
}

enum sg_rc
sg_docker_container_inspect(struct sg_docker *d, const char *id, cJSON **out,
    struct sg_err *err)
{
	char		 path[192];
	enum sg_rc	 rc;

	*out = NULL;
	if ((rc = check_name(id, err)) != SG_OK)
		return rc;
	(void)snprintf(path, sizeof(path), "/containers/%s/json", id);
	if ((rc = call(d, "GET", path, NULL, 0, SG_DOCKER_MAX_BODY, NULL, out,
	    err)) != SG_OK)
		return rc;
	if (!cJSON_IsObject(*out)) {
		cJSON_Delete(*out);
		*out = NULL;
		return sg_err_set(err, SG_EUPSTREAM, "docker_error",
		    "docker inspect answered without an object");
	}
	return SG_OK;
}

enum sg_rc
sg_docker_container_stop(struct sg_docker *d, const char *id, int grace_s,
    struct sg_err *err)
{
	char		 path[192];
	enum sg_rc	 rc;

	if ((rc = check_name(id, err)) != SG_OK)
		return rc;
	if (grace_s < 0 || grace_s > 600)
		return sg_err_set(err, SG_EINVAL, "bad_stop_grace",
		    "stop grace %d s out of range", grace_s);
	(void)snprintf(path, sizeof(path), "/containers/%s/stop?t=%d", id,
	    grace_s);
	/* The daemon may take the whole grace before it answers. */
	return call(d, "POST", path, NULL, grace_s + 5, SG_DOCKER_MAX_BODY,
	    NULL, NULL, err);
}

enum sg_rc
sg_docker_container_remove(struct sg_docker *d, const char *id, int force,
    int volumes, struct sg_err *err)
{
	char		 path[192];
	enum sg_rc	 rc;

	if ((rc = check_name(id, err)) != SG_OK)
		return rc;
	(void)snprintf(path, sizeof(path), "/containers/%s?force=%s&v=%s", id,
	    force ? "true" : "false", volumes ? "true" : "false");
	/* A forced removal kills first; give it the stop grace too. */
	return call(d, "DELETE", path, NULL, SG_DOCKER_STOP_GRACE + 5,
	    SG_DOCKER_MAX_BODY, NULL, NULL, err);
}

enum sg_rc
sg_docker_container_list(struct sg_docker *d, const char *label, cJSON **out,
    struct sg_err *err)
{
	cJSON		*f = NULL, *arr = NULL;
	char		*ftext = NULL, *esc = NULL;
	char		 path[1024];
	enum sg_rc	 rc = SG_ENOMEM;
	int		 n;

	*out = NULL;
	if (label == NULL || label[0] == '\0' || strlen(label) > 256)
		return sg_err_set(err, SG_EINVAL, "bad_docker_name",
		    "bad label filter");
	if ((f = cJSON_CreateObject()) == NULL ||
	    (arr = cJSON_AddArrayToObject(f, "label")) == NULL ||
	    !cJSON_AddItemToArray(arr, cJSON_CreateString(label)) ||
	    (ftext = sg_json_print(f)) == NULL ||
	    (esc = curl_easy_escape(d->h, ftext, 0)) == NULL) {
		rc = sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
		goto out;
	}
	n = snprintf(path, sizeof(path), "/containers/json?all=1&filters=%s",
	    esc);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		rc = sg_err_set(err, SG_EINVAL, "bad_docker_name",
		    "label filter too long");
		goto out;
	}
	if ((rc = call(d, "GET", path, NULL, 0, LIST_MAX_BODY, NULL, out,
	    err)) != SG_OK)
		goto out;
	if (!cJSON_IsArray(*out)) {
		cJSON_Delete(*out);
		*out = NULL;
		rc = sg_err_set(err, SG_EUPSTREAM, "docker_error",
		    "docker list answered without an array");
		goto out;
	}
	rc = SG_OK;
out:
	curl_free(esc);
	free(ftext);
	cJSON_Delete(f);
	return rc;
}

enum sg_rc
sg_docker_network_connect(struct sg_docker *d, const char *net,
    const char *id, struct sg_err *err)
{
	cJSON		*body = NULL;
	char		 path[192];
	enum sg_rc	 rc;

	if ((rc = check_name(net, err)) != SG_OK ||
	    (rc = check_name(id, err)) != SG_OK)
		return rc;
	(void)snprintf(path, sizeof(path), "/networks/%s/connect", net);
	if ((body = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(body, "Container", id) == NULL) {
		cJSON_Delete(body);
		return sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
	}
	rc = call(d, "POST", path, body, 0, SG_DOCKER_MAX_BODY, NULL, NULL,
	    err);
	cJSON_Delete(body);
	return rc;
}

enum sg_rc
sg_docker_network_inspect(struct sg_docker *d, const char *net,
    struct sg_err *err)
{
	struct sg_err	 e;
	cJSON		*ans = NULL;
	const char	*name;
	char		 path[192];
	enum sg_rc	 rc;

	if ((rc = check_name(net, err)) != SG_OK)
		return rc;
	(void)snprintf(path, sizeof(path), "/networks/%s", net);
	sg_err_clear(&e);
	rc = call(d, "GET", path, NULL, 0, SG_DOCKER_MAX_BODY, NULL, &ans, &e);
	if (rc != SG_OK && rc != SG_ENOENT) {
		if (err != NULL)
			*err = e;
		goto out;
	}
	/*
	 * The daemon also resolves a prefix of a network's id: only the
	 * network of that very name counts.
	 */
	if (rc == SG_ENOENT || (name = sg_json_str(ans, "Name")) == NULL ||
	    strcmp(name, net) != 0) {
		rc = sg_err_set(err, SG_ENOENT, "network_unavailable",
		    "network %.60s does not exist on the docker host", net);
		goto out;
	}
	rc = SG_OK;
out:
	cJSON_Delete(ans);
	return rc;
}
