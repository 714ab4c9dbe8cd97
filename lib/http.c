/*
 * FastCGI requests and responses (the only file that includes libfcgi),
 * and the accept loop every service runs.
 *
 * Requests: the path comes from REQUEST_URI, which lighttpd, nginx and
 * Apache all pass as the client sent it (notes/web-servers.md 1.2, 2.2,
 * 3.2); SCRIPT_NAME + PATH_INFO is the fallback.  Nothing is decoded:
 * a path holding '%' is refused, since no route needs one and decoding
 * is how "..%2f" reaches a place a prefix check did not expect.
 *
 * Responses always start with an explicit Status (RFC 3875 6.3.3: a
 * reply without one means 200, which an authorizer must never send by
 * accident).  A response whose status was never set, or that had a
 * header refused, goes out as a 500.
 *
 * The loop: one request at a time per process (scale with processes:
 * spawn-fcgi -F, systemd, lighttpd max-procs).  SIGTERM, SIGINT and
 * SIGUSR1 stop it after the request in flight; SIGHUP only raises a flag
 * for sg_serve_hup().  These signals are blocked while a request is
 * handled and only delivered inside ppoll(2) on the listening socket,
 * so a signal never interrupts a read or write half-way, and there is
 * no window in which a stop request is missed before a blocking accept.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "compat.h"
#include "http.h"
#include "json.h"
#include "clock.h"
#include "log.h"

#define HTTP_MAX_QUERY		4096	/* bytes of QUERY_STRING */
#define HTTP_MAX_QNAME		64	/* bytes of a decoded query name */
#define HTTP_MAX_HDRNAME	64
#define HTTP_MAX_HDRVAL		4096
#define HTTP_RETRY_AFTER	"5"	/* seconds, on every 503 */
#define HTTP_BACKLOG		128
#define HTTP_SOCKET_MODE	0660	/* default mode of a unix socket */

static volatile sig_atomic_t	 serve_stop;
static volatile sig_atomic_t	 serve_hupped;

/*
 * The value of name in env.  *conflict is set when name appears more
 * than once with different values: which one is meant is then unknown,
 * so callers treat it as absent (and an authorizer's variables cannot be
 * shadowed by a second definition).
 */
static const char *
env_get(char *const *env, const char *name, int *conflict)
{
	const char	*v = NULL;
	size_t		 n;

	*conflict = 0;
	if (env == NULL || name == NULL)
		return NULL;
	n = strlen(name);
	for (; *env != NULL; env++) {
		if (strncmp(*env, name, n) != 0 || (*env)[n] != '=')
			continue;
		if (v == NULL)
			v = *env + n + 1;
		else if (strcmp(v, *env + n + 1) != 0)
			*conflict = 1;
	}
	return v;
}

const char *
sg_req_param(const struct sg_req *req, const char *name)
{
	const char	*v;
	int		 conflict;

	if (req == NULL)
		return NULL;
	v = env_get(req->env, name, &conflict);
	return conflict ? NULL : v;
}

static const char *
param_or_empty(const struct sg_req *req, const char *name)
{
	const char	*v;

	v = sg_req_param(req, name);
	return v != NULL ? v : "";
}

/*
 * An origin-form path we are willing to route on: starts with '/',
 * printable ASCII only, no '%', '\\' or '#', no empty segment ("//")
 * and no "." or ".." segment.
 */
static int
path_ok(const char *p)
{
	const char	*seg;
	size_t		 n;

	if (p[0] != '/')
		return 0;
	for (seg = p; *seg != '\0';) {
		seg++;			/* past '/' */
		n = strcspn(seg, "/");
		if (n == 0 && seg[0] == '/')
			return 0;	/* "//" */
		if ((n == 1 && seg[0] == '.') ||
		    (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return 0;
		seg += n;
	}
	for (; *p != '\0'; p++) {
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f ||
		    *p == '%' || *p == '\\' || *p == '#')
			return 0;
	}
	return 1;
}

static enum sg_rc
req_path(struct sg_req *req, struct sg_err *err)
{
	const char	*u = req->raw_uri, *sn, *pi;
	size_t		 n;
	int		 w;

	/* Proxy requests: CONNECT or absolute-form (RFC 9112 3.2.2, 3.2.3). */
	if (strcmp(req->method, "CONNECT") == 0 ||
	    (u[0] != '\0' && u[0] != '/'))
		return SG_OK;
	if (u[0] == '/') {
		n = strcspn(u, "?");
		if (n > SG_HTTP_MAX_PATH)
			return sg_err_set(err, SG_EINVAL, "bad_path",
			    "The request path is too long.");
		(void)memcpy(req->pathbuf, u, n);
		req->pathbuf[n] = '\0';
	} else {
		sn = param_or_empty(req, "SCRIPT_NAME");
		pi = param_or_empty(req, "PATH_INFO");
		if (*sn == '\0' && *pi == '\0')
			return sg_err_set(err, SG_EINVAL, "bad_path",
			    "The request has no path.");
		w = snprintf(req->pathbuf, sizeof(req->pathbuf), "%s%s", sn,
		    pi);
		if (w < 0 || (size_t)w >= sizeof(req->pathbuf))
			return sg_err_set(err, SG_EINVAL, "bad_path",
			    "The request path is too long.");
	}
	if (!path_ok(req->pathbuf))
		return sg_err_set(err, SG_EINVAL, "bad_path",
		    "The request path is not acceptable.");
	req->path = req->pathbuf;
	return SG_OK;
}

enum sg_rc
sg_req_init(struct sg_req *req, char **env, const char *body, size_t bodylen,
    struct sg_err *err)
{
	const char	*role;
	enum sg_rc	 rc;

	(void)memset(req, 0, sizeof(*req));
	req->env = env;
	req->method = param_or_empty(req, "REQUEST_METHOD");
	req->raw_uri = param_or_empty(req, "REQUEST_URI");
	req->query = param_or_empty(req, "QUERY_STRING");
	role = sg_req_param(req, "FCGI_ROLE");
	req->authorizer = role != NULL && strcmp(role, "AUTHORIZER") == 0;
	if ((rc = req_path(req, err)) != SG_OK)
		return rc;
	if (bodylen > 0) {
		if (body == NULL)
			return sg_err_set(err, SG_EINVAL, "bad_body",
			    "The request body is missing.");
		if (bodylen == SIZE_MAX ||
		    (req->body = malloc(bodylen + 1)) == NULL)
			return sg_err_set(err, SG_ENOMEM, "out_of_memory",
			    "Out of memory.");
		(void)memcpy(req->body, body, bodylen);
		req->body[bodylen] = '\0';
		req->bodylen = bodylen;
	}
	return SG_OK;
}

void
sg_req_clear(struct sg_req *req)
{
	if (req == NULL)
		return;
	if (req->body != NULL) {
		explicit_bzero(req->body, req->bodylen);
		free(req->body);
	}
	(void)memset(req, 0, sizeof(*req));
}

enum sg_rc
sg_req_content_length(const char *s, size_t max, size_t *len,
    struct sg_err *err)
{
	uint64_t	 v = 0;
	size_t		 i, n;

	*len = 0;
	if (s == NULL || *s == '\0')
		return SG_OK;
	/* RFC 3875 4.1.2 and RFC 9110 8.6: 1*DIGIT, nothing else. */
	n = strlen(s);
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return sg_err_set(err, SG_EINVAL, "bad_content_length",
			    "CONTENT_LENGTH is not a decimal number.");
	/* 19 digits always fit in 64 bits; more is too large anyway. */
	if (n > 19)
		return sg_err_set(err, SG_ETOOBIG, "payload_too_large",
		    "The request body is larger than %zu bytes.", max);
	for (i = 0; i < n; i++)
		v = v * 10 + (uint64_t)(s[i] - '0');
	if (v > max)
		return sg_err_set(err, SG_ETOOBIG, "payload_too_large",
		    "The request body is larger than %zu bytes.", max);
	*len = (size_t)v;
	return SG_OK;
}

/*
 * application/json, optionally with one charset parameter naming UTF-8
 * (RFC 8259 11 defines no parameters; clients send charset anyway).
 * Type, subtype, parameter name and charset value are case-insensitive
 * (RFC 9110 8.3.1, 8.3.2).
 */
static int
content_type_json(const char *ct)
{
	static const char	 type[] = "application/json";

	if (ct == NULL || strncasecmp(ct, type, sizeof(type) - 1) != 0)
		return 0;
	ct += sizeof(type) - 1;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	if (*ct == '\0')
		return 1;
	if (*ct++ != ';')
		return 0;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	if (strncasecmp(ct, "charset=", 8) != 0)
		return 0;
	ct += 8;
	if (strncasecmp(ct, "utf-8", 5) == 0)
		ct += 5;
	else if (strncasecmp(ct, "\"utf-8\"", 7) == 0)
		ct += 7;
	else
		return 0;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0';
}

cJSON *
sg_req_json(const struct sg_req *req, struct sg_resp *resp)
{
	struct sg_err	 err;
	cJSON		*j = NULL;

	sg_err_clear(&err);
	if (!content_type_json(sg_req_param(req, "CONTENT_TYPE"))) {
		sg_resp_error(resp, 415, "unsupported_media_type",
		    "The request body must be application/json.");
		return NULL;
	}
	if (req->bodylen > SG_HTTP_MAX_BODY) {
		sg_resp_error(resp, 413, "payload_too_large",
		    "The request body is larger than %d bytes.",
		    SG_HTTP_MAX_BODY);
		return NULL;
	}
	if (req->body == NULL || req->bodylen == 0) {
		sg_resp_error(resp, 400, "bad_json",
		    "The request body is empty.");
		return NULL;
	}
	if ((j = sg_json_parse_object(req->body, req->bodylen, &err)) == NULL) {
		if (err.rc == SG_ENOMEM)
			sg_resp_error(resp, 500, "out_of_memory",
			    "Out of memory.");
		else
			sg_resp_error(resp, 400, "bad_json",
			    "The request body is not a strict JSON object: %s",
			    err.msg[0] != '\0' ? err.msg : "parse error.");
		return NULL;
	}
	return j;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decode n bytes of application/x-www-form-urlencoded text into out
 * (NUL-terminated).  -1 on a bad escape, a control byte (raw or
 * escaped, NUL included) or when it does not fit.
 */
static int
form_decode(const char *s, size_t n, char *out, size_t size)
{
	size_t	 i, o = 0;
	int	 c, hi, lo;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '%') {
			if (i + 2 >= n)
				return -1;
			if ((hi = hexval(s[i + 1])) < 0 ||
			    (lo = hexval(s[i + 2])) < 0)
				return -1;
			c = hi * 16 + lo;
			i += 2;
		} else if (c == '+')
			c = ' ';
		if (c < 0x20 || c == 0x7f)
			return -1;
		if (o + 1 >= size)
			return -1;
		out[o++] = (char)c;
	}
	if (size == 0)
		return -1;
	out[o] = '\0';
	return 0;
}

static int
query_find(const struct sg_req *req, const char *name, char *buf,
    size_t size)
{
	const char	*p, *end, *eq;
	char		 key[HTTP_MAX_QNAME + 1];
	char		 val[HTTP_MAX_QUERY + 1];
	size_t		 klen;
	int		 found = 0;

	if (buf != NULL && size > 0)
		buf[0] = '\0';
	if (req == NULL || req->query == NULL || name == NULL)
		return 0;
	if (strlen(req->query) > HTTP_MAX_QUERY)
		return -1;
	/*
	 * The whole query must parse, and every name is compared decoded,
	 * so "user_id=a&user%5Fid=b" is the duplicate it is.
	 */
	for (p = req->query; *p != '\0'; p = *end == '&' ? end + 1 : end) {
		end = p + strcspn(p, "&");
		if (end == p)
			continue;	/* "a=1&&b=2", trailing '&' */
		eq = memchr(p, '=', (size_t)(end - p));
		klen = (size_t)((eq != NULL ? eq : end) - p);
		if (klen == 0 || form_decode(p, klen, key, sizeof(key)) != 0)
			return -1;
		if (eq == NULL)
			val[0] = '\0';
		else if (form_decode(eq + 1, (size_t)(end - eq - 1), val,
		    sizeof(val)) != 0)
			return -1;
		if (strcmp(key, name) != 0)
			continue;
		if (found)
			return -1;
		found = 1;
		if (buf == NULL || strlcpy(buf, val, size) >= size)
			return -1;
	}
	return found;
}

int
sg_req_query(const struct sg_req *req, const char *name, char *buf,
    size_t size)
{
	int	 rc;

	/* Nothing of a refused query is left in buf. */
	if ((rc = query_find(req, name, buf, size)) < 0 && buf != NULL &&
	    size > 0)
		buf[0] = '\0';
	return rc;
}

/* Responses. */

void
sg_resp_init(struct sg_resp *resp)
{
	(void)memset(resp, 0, sizeof(*resp));
}

void
sg_resp_clear(struct sg_resp *resp)
{
	size_t	 i;

	if (resp == NULL)
		return;
	for (i = 0; i < resp->nhdr; i++)
		free(resp->hdr[i]);
	if (resp->body != NULL) {
		/* Bodies may hold a freshly minted token. */
		explicit_bzero(resp->body, resp->bodylen);
		free(resp->body);
	}
	sg_resp_init(resp);
}

static void
resp_fail(struct sg_resp *resp)
{
	resp->failed = 1;
	resp->status = 500;
}

/* Index of header name (case-insensitive), or -1. */
static int
resp_find(const struct sg_resp *resp, const char *name)
{
	size_t	 i, n = strlen(name);

	for (i = 0; i < resp->nhdr; i++)
		if (strncasecmp(resp->hdr[i], name, n) == 0 &&
		    resp->hdr[i][n] == ':')
			return (int)i;
	return -1;
}

static void
resp_remove(struct sg_resp *resp, const char *name)
{
	int	 i;

	while ((i = resp_find(resp, name)) >= 0) {
		free(resp->hdr[i]);
		(void)memmove(&resp->hdr[i], &resp->hdr[i + 1],
		    (resp->nhdr - (size_t)i - 1) * sizeof(resp->hdr[0]));
		resp->nhdr--;
	}
}

/* RFC 9110 5.1: a token; we need no more than letters, digits, '-', '_'. */
static int
header_name_ok(const char *s)
{
	size_t	 n = 0;

	for (; *s != '\0'; s++, n++) {
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return 0;
	}
	return n > 0 && n <= HTTP_MAX_HDRNAME;
}

/* RFC 9110 5.5: no CTL but HTAB in a field value, so no CR, LF or NUL. */
static int
header_value_ok(const char *s, size_t len)
{
	size_t	 i;

	if (len > HTTP_MAX_HDRVAL || strlen(s) != len)
		return 0;	/* too long, or an embedded NUL */
	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] < 0x20 && s[i] != '\t') ||
		    (unsigned char)s[i] == 0x7f)
			return 0;
	return 1;
}

static int
resp_vheader(struct sg_resp *resp, const char *name, const char *fmt,
    va_list ap)
{
	char	*v = NULL, *h = NULL;
	int	 n, rc = -1;
	size_t	 hl;
	va_list	 aq;

	if (resp->failed)
		return -1;
	if (name == NULL || fmt == NULL || !header_name_ok(name) ||
	    strcasecmp(name, "Status") == 0 ||
	    resp->nhdr >= SG_RESP_MAX_HEADERS)
		goto out;
	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0 || (size_t)n > HTTP_MAX_HDRVAL ||
	    (v = malloc((size_t)n + 1)) == NULL)
		goto out;
	if (vsnprintf(v, (size_t)n + 1, fmt, ap) != n ||
	    !header_value_ok(v, (size_t)n))
		goto out;
	hl = strlen(name) + 2 + (size_t)n + 1;
	if ((h = malloc(hl)) == NULL)
		goto out;
	(void)snprintf(h, hl, "%s: %s", name, v);
	resp->hdr[resp->nhdr++] = h;
	h = NULL;
	rc = 0;
out:
	if (rc != 0)
		resp_fail(resp);
	free(v);
	free(h);
	return rc;
}

int
sg_resp_header(struct sg_resp *resp, const char *name, const char *fmt, ...)
{
	va_list	 ap;
	int	 rc;

	va_start(ap, fmt);
	rc = resp_vheader(resp, name, fmt, ap);
	va_end(ap);
	return rc;
}

static void
resp_set_header(struct sg_resp *resp, const char *name, const char *value)
{
	resp_remove(resp, name);
	(void)sg_resp_header(resp, name, "%s", value);
}

/* Wipe every string of a tree: response bodies may carry a token. */
static void
wipe_tree(cJSON *j)
{
	for (; j != NULL; j = j->next) {
		if (cJSON_IsString(j) && j->valuestring != NULL)
			explicit_bzero(j->valuestring, strlen(j->valuestring));
		wipe_tree(j->child);
	}
}

void
sg_resp_json(struct sg_resp *resp, int status, cJSON *body)
{
	char	*s = NULL;

	if (resp->body != NULL) {
		explicit_bzero(resp->body, resp->bodylen);
		free(resp->body);
		resp->body = NULL;
		resp->bodylen = 0;
	}
	if (resp->failed) {
		wipe_tree(body);
		cJSON_Delete(body);
		return;
	}
	resp->status = status;
	if (body == NULL) {
		resp_remove(resp, "Content-Type");
		return;
	}
	s = cJSON_PrintUnformatted(body);
	wipe_tree(body);
	cJSON_Delete(body);
	if (s == NULL) {
		resp_fail(resp);
		return;
	}
	resp->body = s;
	resp->bodylen = strlen(s);
	resp_set_header(resp, "Content-Type", "application/json");
}

static void
resp_verror(struct sg_resp *resp, int status, const char *code,
    const char *fmt, va_list ap)
{
	cJSON	*o = NULL;
	char	 msg[256];

	if (fmt == NULL || vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		msg[0] = '\0';
	if ((o = cJSON_CreateObject()) == NULL ||
	    sg_json_add_str(o, "error", code != NULL ? code :
	    "internal_error") != 0 ||
	    sg_json_add_str(o, "message", msg) != 0) {
		cJSON_Delete(o);
		resp_fail(resp);
		return;
	}
	sg_resp_json(resp, status, o);
	/* RFC 9110 10.2.3: tell clients of a 503 when to come back. */
	if (status == 503 && resp_find(resp, "Retry-After") < 0)
		(void)sg_resp_header(resp, "Retry-After", HTTP_RETRY_AFTER);
}

void
sg_resp_error(struct sg_resp *resp, int status, const char *code,
    const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	resp_verror(resp, status, code, fmt, ap);
	va_end(ap);
}

void
sg_resp_from_err(struct sg_resp *resp, const struct sg_err *err)
{
	enum sg_rc	 rc;

	rc = err != NULL && err->rc != SG_OK ? err->rc : SG_EINTERNAL;
	sg_resp_error(resp, sg_rc_http(rc),
	    err != NULL && err->code != NULL ? err->code : sg_rc_str(rc),
	    "%s", err != NULL && err->msg[0] != '\0' ? err->msg :
	    "The request failed.");
}

void
sg_resp_method(struct sg_resp *resp, const char *allow)
{
	sg_resp_error(resp, 405, "method_not_allowed",
	    "This resource allows only %s.", allow);
	/* RFC 9110 15.5.6: a 405 MUST carry Allow. */
	resp_set_header(resp, "Allow", allow);
}

int
sg_scope_has(const char *list, const char *scope)
{
	size_t	 n, m;

	if (list == NULL || scope == NULL || (m = strlen(scope)) == 0)
		return 0;
	while (*list != '\0') {
		n = strcspn(list, " ");
		if (n == m && strncmp(list, scope, m) == 0)
			return 1;
		list += n;
		while (*list == ' ')
			list++;
	}
	return 0;
}

int
sg_req_auth(const struct sg_req *req, struct sg_resp *resp, const char *kind,
    const char *scope)
{
	const char	*k;

	k = sg_req_param(req, "SG_KIND");
	if (k == NULL || *k == '\0') {
		/* Did not pass the authorizer (or it is not configured). */
		sg_resp_error(resp, 401, "invalid_token",
		    "The request carries no verified identity.");
		(void)sg_resp_header(resp, "WWW-Authenticate",
		    "Bearer error=\"invalid_token\"");
		return -1;
	}
	if (kind != NULL && strcmp(k, kind) != 0) {
		sg_resp_error(resp, 403, "forbidden",
		    "This identity may not use this resource.");
		return -1;
	}
	if (scope != NULL &&
	    !sg_scope_has(sg_req_param(req, "SG_SCOPE"), scope)) {
		sg_resp_error(resp, 403, "insufficient_scope",
		    "This resource needs the scope %s.", scope);
		return -1;
	}
	return 0;
}

static const char *
reason_phrase(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 407: return "Proxy Authentication Required";
	case 409: return "Conflict";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default:  return "Status";
	}
}

/* What goes out when the response itself is broken. */
static const char	 resp_broken[] =
    "Status: 500 Internal Server Error\r\n"
    "Content-Type: application/json\r\n"
    "Cache-Control: no-store\r\n"
    "\r\n"
    "{\"error\":\"internal_error\","
    "\"message\":\"The server could not build a response.\"}";

struct buf {
	char	*p;
	size_t	 len, size;
	int	 bad;
};

static void
buf_add(struct buf *b, const char *s, size_t n)
{
	char	*np;
	size_t	 ns;

	if (b->bad)
		return;
	if (b->len + n + 1 > b->size) {
		ns = b->size == 0 ? 512 : b->size;
		while (ns < b->len + n + 1)
			ns *= 2;
		if ((np = realloc(b->p, ns)) == NULL) {
			b->bad = 1;
			return;
		}
		b->p = np;
		b->size = ns;
	}
	(void)memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

char *
sg_resp_serialize(const struct sg_resp *resp, size_t *len)
{
	struct buf	 b = { NULL, 0, 0, 0 };
	char		 line[64];
	size_t		 i;
	int		 ct, body, json;

	*len = 0;
	if (resp->failed || resp->status < 100 || resp->status > 599) {
		buf_add(&b, resp_broken, sizeof(resp_broken) - 1);
		goto out;
	}
	(void)snprintf(line, sizeof(line), "Status: %d %s\r\n", resp->status,
	    reason_phrase(resp->status));
	buf_str(&b, line);
	/* RFC 9110 6.4.1: no content in 1xx, 204 and 304 answers. */
	body = resp->body != NULL && resp->bodylen > 0 &&
	    resp->status >= 200 && resp->status != 204 && resp->status != 304;
	for (i = 0; i < resp->nhdr; i++) {
		if (!body &&
		    strncasecmp(resp->hdr[i], "Content-Type:", 13) == 0)
			continue;
		buf_str(&b, resp->hdr[i]);
		buf_add(&b, "\r\n", 2);
	}
	ct = resp_find(resp, "Content-Type");
	json = body && ct >= 0 &&
	    strncasecmp(resp->hdr[ct] + 13, " application/json", 17) == 0;
	if (json && resp_find(resp, "Cache-Control") < 0)
		buf_str(&b, "Cache-Control: no-store\r\n");
	if (resp->status == 503 && resp_find(resp, "Retry-After") < 0)
		buf_str(&b, "Retry-After: " HTTP_RETRY_AFTER "\r\n");
	buf_add(&b, "\r\n", 2);
	if (body)
		buf_add(&b, resp->body, resp->bodylen);
out:
	if (b.bad) {
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}

/* The accept loop. */

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

int
sg_serve_hup(void)
{
	if (!serve_hupped)
		return 0;
	serve_hupped = 0;
	return 1;
}

/* SANDGATE_SOCKET_MODE: an octal mode for a unix socket, default 0660. */
static int
socket_mode(mode_t *mode, struct sg_err *err)
{
	const char	*s;
	unsigned	 v = 0;
	size_t		 i;

	*mode = HTTP_SOCKET_MODE;
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
static int
listen_unix(const char *path, struct sg_err *err)
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
	    listen(fd, HTTP_BACKLOG) != 0)
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
static int
listen_tcp(const char *spec, struct sg_err *err)
{
	struct addrinfo	 hints, *res = NULL;
	char		 host[256];
	const char	*colon, *port;
	size_t		 hl, i;
	int		 fd = -1, one = 1, gai;

	if ((colon = strrchr(spec, ':')) == NULL)
		goto bad;
	port = colon + 1;
	hl = (size_t)(colon - spec);
	if (hl >= 2 && spec[0] == '[' && spec[hl - 1] == ']') {
		spec++;
		hl -= 2;
	}
	if (hl == 0 || hl >= sizeof(host) || *port == '\0' || *port == '0' ||
	    strlen(port) > 5)
		goto bad;
	for (i = 0; port[i] != '\0'; i++)
		if (port[i] < '0' || port[i] > '9')
			goto bad;
	if (strtol(port, NULL, 10) > 65535)
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
	    listen(fd, HTTP_BACKLOG) != 0)
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

/* One request: body within max_body, the handler, the reply. */
static void
serve_one(FCGX_Request *fr, size_t max_body, sg_handler handler, void *app)
{
	struct sg_req	 req;
	struct sg_resp	 resp;
	struct sg_err	 err;
	char		*body = NULL, *out = NULL;
	const char	*cl;
	size_t		 len = 0, got = 0, outlen = 0;
	int64_t		 t0;
	int		 n, conflict;
	char		 status[8], lat[24];

	t0 = sg_now_us();
	(void)memset(&req, 0, sizeof(req));
	sg_resp_init(&resp);
	sg_err_clear(&err);
	cl = env_get(fr->envp, "CONTENT_LENGTH", &conflict);
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
	if (sg_req_init(&req, fr->envp, body, len, &err) != SG_OK) {
		sg_resp_from_err(&resp, &err);
		goto reply;
	}
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
	if ((out = sg_resp_serialize(&resp, &outlen)) != NULL)
		(void)FCGX_PutStr(out, (int)outlen, fr->out);
	else
		(void)FCGX_PutStr(resp_broken, (int)sizeof(resp_broken) - 1,
		    fr->out);
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

int
sg_serve(const char *listen, size_t max_body, sg_handler handler, void *app,
    struct sg_err *err)
{
	FCGX_Request		 fr;
	struct sigaction	 sa;
	struct pollfd		 pfd[2];
	struct stat		 st;
	sigset_t		 sigs, orig, waitmask;
	const char		*upath = NULL;
	ino_t			 uino = 0;
	int			 fd = -1, opened = 0, rc = -1, n, acc, np;
	int			 isl = 0, flags, inited = 0;
	socklen_t		 slen = sizeof(isl);
	const struct timespec	 backoff = { 0, 100 * 1000 * 1000 };

	serve_stop = 0;
	serve_hupped = 0;
	(void)sigemptyset(&sigs);
	(void)sigaddset(&sigs, SIGTERM);
	(void)sigaddset(&sigs, SIGINT);
	(void)sigaddset(&sigs, SIGHUP);
	(void)sigaddset(&sigs, SIGUSR1);
	(void)sigprocmask(SIG_BLOCK, &sigs, &orig);
	waitmask = orig;
	(void)sigdelset(&waitmask, SIGTERM);
	(void)sigdelset(&waitmask, SIGINT);
	(void)sigdelset(&waitmask, SIGHUP);
	(void)sigdelset(&waitmask, SIGUSR1);

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
	/* A web server that hangs up must cost an EPIPE, not the process. */
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGPIPE, &sa, NULL);

	if (FCGX_Init() != 0) {
		sg_err_set(err, SG_EINTERNAL, "fcgi_init", "FCGX_Init failed");
		goto out;
	}
	if (listen == NULL || *listen == '\0') {
		/* spawn-fcgi, lighttpd bin-path, systemd StandardInput=socket */
		fd = 0;
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &isl,
		    &slen) != 0 || !isl) {
			sg_err_set(err, SG_EINVAL, "bad_config",
			    "fd 0 is not a listening socket: start the service "
			    "with spawn-fcgi or a socket unit, or set "
			    "SANDGATE_SOCKET");
			goto out;
		}
	} else {
		if (strncmp(listen, "unix:", 5) == 0)
			upath = listen + 5;
		else if (listen[0] == '/')
			upath = listen;
		fd = upath != NULL ? listen_unix(upath, err) :
		    listen_tcp(listen, err);
		if (fd < 0)
			goto out;
		opened = 1;
		if (upath != NULL && stat(upath, &st) == 0)
			uino = st.st_ino;
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
		goto out;
	}
	if (FCGX_InitRequest(&fr, fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
		sg_err_set(err, SG_EINTERNAL, "fcgi_init",
		    "FCGX_InitRequest failed");
		goto out;
	}
	inited = 1;
	sg_log(SG_LOG_INFO, "listening", "socket",
	    listen != NULL && *listen != '\0' ? listen : "fd:0", NULL);
	while (!serve_stop) {
		/*
		 * Wait for the next request: on the listening socket, and on
		 * the open connection when the web server asked to keep it
		 * (FCGI_KEEP_CONN).  Signals are delivered only here.
		 */
		np = 0;
		if (fr.ipcFd >= 0) {
			pfd[np].fd = fr.ipcFd;
			pfd[np].events = POLLIN;
			pfd[np++].revents = 0;
		}
		pfd[np].fd = fd;
		pfd[np].events = POLLIN;
		pfd[np++].revents = 0;
		n = ppoll(pfd, np, NULL, &waitmask);
		if (serve_stop)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			sg_err_set(err, SG_EINTERNAL, "poll_failed",
			    "ppoll: %s", strerror(errno));
			goto out;
		}
		/*
		 * A new connection waits while the kept one is idle: close
		 * the idle one (as any server may), or one idle web server
		 * connection per process would starve every other client.
		 */
		if (np == 2 && pfd[0].revents == 0 && pfd[1].revents != 0) {
			/*
			 * Nothing is unread or unsent on it, so a plain close
			 * (libfcgi's "detached" close) needs none of the
			 * shutdown-and-drain wait of its usual one.
			 */
			fr.detached = 1;
			FCGX_Free(&fr, 1);
		}
		if ((acc = FCGX_Accept_r(&fr)) < 0) {
			/* EAGAIN: another process won; else back off a bit. */
			if (acc != -EAGAIN && acc != -EWOULDBLOCK &&
			    acc != -EINTR)
				(void)nanosleep(&backoff, NULL);
			continue;
		}
		serve_one(&fr, max_body, handler, app);
		FCGX_Finish_r(&fr);
	}
	rc = 0;
	sg_log(SG_LOG_INFO, "stopping", NULL);
out:
	if (inited)
		FCGX_Free(&fr, 1);
	if (opened) {
		(void)close(fd);
		/* Remove our socket file, unless someone replaced it. */
		if (upath != NULL && stat(upath, &st) == 0 &&
		    st.st_ino == uino)
			(void)unlink(upath);
	}
	(void)sigprocmask(SIG_SETMASK, &orig, NULL);
	return rc;
}
