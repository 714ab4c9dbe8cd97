/* SPDX-License-Identifier: ISC */
/*
 * FastCGI responses: status, headers, a JSON body, and the FastCGI
 * stdout text they become.  No libfcgi here either: sg_serve (serve.c)
 * writes what sg_resp_serialize returns.
 *
 * Responses always start with an explicit Status (RFC 3875 6.3.3: a
 * reply without one means 200, which an authorizer must never send by
 * accident).  A response whose status was never set, or that had a
 * header refused, goes out as a 500.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "compat.h"
#include "json.h"
#include "response.h"

#define RESP_MAX_HDRNAME	64
#define RESP_MAX_HDRVAL		4096
#define RESP_RETRY_AFTER	"5"	/* seconds, on every 503 */

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
	/* A header may hold a secret (secret-broker's authorizer answer). */
	for (i = 0; i < resp->nhdr; i++) {
		explicit_bzero(resp->hdr[i], strlen(resp->hdr[i]));
		free(resp->hdr[i]);
	}
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
		explicit_bzero(resp->hdr[i], strlen(resp->hdr[i]));
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
	return n > 0 && n <= RESP_MAX_HDRNAME;
}

/* RFC 9110 5.5: no CTL but HTAB in a field value, so no CR, LF or NUL. */
static int
header_value_ok(const char *s, size_t len)
{
	size_t	 i;

	if (len > RESP_MAX_HDRVAL || strlen(s) != len)
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
	if (n < 0 || (size_t)n > RESP_MAX_HDRVAL ||
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
		(void)sg_resp_header(resp, "Retry-After", RESP_RETRY_AFTER);
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
sg_resp_store_error(struct sg_resp *resp, const struct sg_err *err)
{
	if (err->rc == SG_ENOMEM)
		sg_resp_error(resp, 500, "out_of_memory", "Out of memory.");
	else if (sg_rc_http_dep(err->rc) == 503)
		sg_resp_error(resp, 503, "redis_unavailable",
		    "The session store is unavailable; retry later.");
	else
		sg_resp_error(resp, 502, "bad_gateway",
		    "The session store answered with an error.");
}

void
sg_resp_method(struct sg_resp *resp, const char *allow)
{
	sg_resp_error(resp, 405, "method_not_allowed",
	    "This resource allows only %s.", allow);
	/* RFC 9110 15.5.6: a 405 MUST carry Allow. */
	resp_set_header(resp, "Allow", allow);
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

const char *
sg_resp_broken(size_t *len)
{
	*len = sizeof(resp_broken) - 1;
	return resp_broken;
}

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

/* The text for resp; head only: status and headers, the body to follow. */
static char *
serialize(const struct sg_resp *resp, size_t *len, int head)
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
	body = (head || (resp->body != NULL && resp->bodylen > 0)) &&
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
		buf_str(&b, "Retry-After: " RESP_RETRY_AFTER "\r\n");
	buf_add(&b, "\r\n", 2);
	if (body && !head)
		buf_add(&b, resp->body, resp->bodylen);
out:
	if (b.bad) {
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}


char *
sg_resp_serialize(const struct sg_resp *resp, size_t *len)
{
	return serialize(resp, len, 0);
}

int
sg_resp_stream_start(struct sg_resp *resp)
{
	char	*out;
	size_t	 len;
	int	 rc = 0;

	if (resp->streamed || resp->body != NULL)
		return -1;
	resp->streamed = 1;
	if (resp->put == NULL)
		return 0;
	if ((out = serialize(resp, &len, 1)) == NULL)
		return -1;
	if (resp->put(resp->putctx, out, len) != 0)
		rc = -1;
	free(out);
	return rc;
}

int
sg_resp_stream_write(struct sg_resp *resp, const char *p, size_t n)
{
	char	*nb;

	if (!resp->streamed || resp->aborted)
		return -1;
	if (n == 0)
		return 0;
	if (resp->put != NULL)
		return resp->put(resp->putctx, p, n);
	/* No client (unit tests): the stream is kept as the body. */
	if ((nb = realloc(resp->body, resp->bodylen + n + 1)) == NULL)
		return -1;
	resp->body = nb;
	memcpy(resp->body + resp->bodylen, p, n);
	resp->bodylen += n;
	return 0;
}

int
sg_resp_stream_flush(struct sg_resp *resp)
{
	if (!resp->streamed || resp->aborted)
		return -1;
	return resp->flush != NULL ? resp->flush(resp->putctx) : 0;
}

void
sg_resp_stream_abort(struct sg_resp *resp)
{
	resp->aborted = 1;
}
