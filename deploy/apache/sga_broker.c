/* SPDX-License-Identifier: ISC */
/*
 * The secrets broker inside Apache (sga_broker.h).  It does in the
 * Apache worker what secret-broker does behind mod_proxy_fcgi, with the
 * same rules, most of them shared code (lib/relay.c: which headers go
 * on, the call's options and transfer, the answer's masking; t-secrets*
 * run against both brokers):
 *
 * - the request's headers go on but the hop's credentials, hop-by-hop
 *   fields, Cookie, Expect and the sandbox's own copy of the secret's
 *   header (a placeholder); then the secret's header;
 * - the body is read whole first, at most 64 KiB (SG_HTTP_MAX_BODY);
 * - https only, certificate and name verified, no redirects followed,
 *   never through a proxy, only to the addresses the authorizer checked
 *   (CURLOPT_RESOLVE), 10 s to connect, 60 s in all;
 * - the answer's status, its Content-Type (masked) and Cache-Control:
 *   no-store, then its body as it comes, at most 8 MiB, every copy of
 *   the secret masked, the last len(value) - 1 bytes held back until
 *   the next piece so that a copy split between two is masked too;
 * - a failure before the status went out is 502 upstream_failed (or
 *   upstream_too_big) with {"error","message"}; after, the sandbox's
 *   connection is cut, so a cut answer is never taken for a whole one.
 *
 * Each process keeps up to SGB_IDLE_MAX libcurl handles between
 * requests, each with its own upstream connection cache, so a worker
 * thread's next call to the same host reuses a TLS connection (Apache's
 * mod_proxy keeps none for a target made per request).  The secret is
 * in the handle's header list only for the call, and wiped after.
 */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_filter.h"
#include "apr_strings.h"
#include "apr_thread_mutex.h"

#include "relay.h"
#include "sga_broker.h"

APLOG_USE_MODULE(sandgate_authz);

#define SGB_PREFIX	"/broker/"
#define SGB_MAX_BODY	(8 * 1024 * 1024)	/* as SG_BROKER_MAX_BODY */
#define SGB_MAX_REQ	(64 * 1024)		/* as SG_HTTP_MAX_BODY */
#define SGB_HDR_MAX	64
#define SGB_IDLE_MAX	64			/* handles kept per process */

struct sgb_handle {
	CURL		*easy;
	CURLM		*multi;		/* its cache keeps the connection */
};

static apr_thread_mutex_t	*sgb_mu;
static struct sgb_handle	 sgb_idle[SGB_IDLE_MAX];
static int			 sgb_nidle;
static int			 sgb_ready;	/* curl_global_init done */

static void
sgb_close(struct sgb_handle *h)
{
	if (h->multi != NULL)
		curl_multi_cleanup(h->multi);
	if (h->easy != NULL)
		curl_easy_cleanup(h->easy);
	h->multi = h->easy = NULL;
}

static apr_status_t
sgb_child_exit(void *arg)
{
	(void)arg;
	while (sgb_nidle > 0)
		sgb_close(&sgb_idle[--sgb_nidle]);
	if (sgb_ready)
		curl_global_cleanup();
	sgb_ready = 0;
	return APR_SUCCESS;
}

void
sga_broker_child_init(apr_pool_t *p, server_rec *s)
{
	sgb_nidle = 0;
	sgb_ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
	if (!sgb_ready)
		ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
		    "sandgate_authz: libcurl init failed; the broker answers "
		    "502");
	if (apr_thread_mutex_create(&sgb_mu, APR_THREAD_MUTEX_DEFAULT, p) !=
	    APR_SUCCESS)
		sgb_mu = NULL;	/* then no handle is kept */
	apr_pool_cleanup_register(p, NULL, sgb_child_exit,
	    apr_pool_cleanup_null);
}

/* A kept handle, or a new one: 0, or -1. */
static int
sgb_take(struct sgb_handle *h)
{
	h->easy = NULL;
	h->multi = NULL;
	if (sgb_mu != NULL) {
		apr_thread_mutex_lock(sgb_mu);
		if (sgb_nidle > 0)
			*h = sgb_idle[--sgb_nidle];
		apr_thread_mutex_unlock(sgb_mu);
		if (h->easy != NULL)
			return 0;
	}
	if (!sgb_ready || (h->easy = curl_easy_init()) == NULL ||
	    (h->multi = curl_multi_init()) == NULL) {
		sgb_close(h);
		return -1;
	}
	return 0;
}

/* Kept for the next call when it ended cleanly, else closed. */
static void
sgb_give(struct sgb_handle *h, int keep)
{
	if (keep && sgb_mu != NULL) {
		apr_thread_mutex_lock(sgb_mu);
		if (sgb_nidle < SGB_IDLE_MAX) {
			sgb_idle[sgb_nidle++] = *h;
			h->easy = NULL;
			h->multi = NULL;
		}
		apr_thread_mutex_unlock(sgb_mu);
	}
	sgb_close(h);
}

/* The refusal, in the form of secret-broker's ({"error","message"}). */
static int
sgb_deny(request_rec *r, int status, const char *code, const char *msg)
{
	r->status = status;
	ap_set_content_type(r, "application/json");
	apr_table_setn(r->headers_out, "Cache-Control", "no-store");
	ap_rprintf(r, "{\"error\":\"%s\",\"message\":\"%s\"}\n", code, msg);
	ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
	    "sandgate_authz: broker refused (%s)", code);
	return OK;
}

/* The upstream's answer as it comes (lib/relay.h). */
struct sgb_call {
	request_rec	*r;
	struct sg_relay	 rl;
	int		 started, cut;
	int		 queued;	/* something to flush before waiting */
};

static void
sgb_start(struct sgb_call *c)
{
	request_rec	*r = c->r;

	c->started = 1;
	r->status = (int)c->rl.status;
	if (c->rl.ctype[0] != '\0')
		ap_set_content_type(r, apr_pstrdup(r->pool, c->rl.ctype));
	else
		r->content_type = NULL;
	apr_table_setn(r->headers_out, "Cache-Control", "no-store");
	c->queued = 1;
}

static size_t
sgb_on_header(char *p, size_t sz, size_t nm, void *arg)
{
	struct sgb_call	*c = arg;
	size_t		 n = sz * nm;

	if (c->started)		/* trailers: not passed on */
		return n;
	switch (sg_relay_header(&c->rl, p, n)) {
	case -1:
		return 0;
	case 1:
		sgb_start(c);
		return n;
	default:
		return n;
	}
}

static size_t
sgb_on_body(char *p, size_t sz, size_t nm, void *arg)
{
	struct sgb_call	*c = arg;
	size_t		 n = sz * nm, len;
	char		*w;

	if (!c->started)
		sgb_start(c);
	if (sg_relay_body(&c->rl, p, n, &w, &len) != 0)
		return 0;
	if (len > 0 && ap_rwrite(w, (int)len, c->r) < 0) {
		c->cut = 1;
		sg_relay_free(w, len);
		return 0;
	}
	if (len > 0)
		c->queued = 1;
	sg_relay_free(w, len);
	return n;
}

static int
sgb_flush(void *arg)
{
	struct sgb_call	*c = arg;

	return ap_rflush(c->r) < 0 ? -1 : 0;
}

/* The request's headers to go on: see the top of this file. */
struct sgb_hdrs {
	request_rec		*r;
	const char		*secret_hdr;
	struct curl_slist	*l;
	int			 n, bad;
};

static int
sgb_hdr(void *arg, const char *key, const char *val)
{
	struct sgb_hdrs	*h = arg;
	struct curl_slist *t;

	/* Apache hands a CGI no field with '_' in its name: nor does this. */
	if (key == NULL || val == NULL || *key == '\0' ||
	    strchr(key, '_') != NULL ||
	    sg_relay_skip(key, strlen(key), h->secret_hdr))
		return 1;
	if (++h->n > SGB_HDR_MAX)
		return 1;
	if ((t = curl_slist_append(h->l, apr_pstrcat(h->r->pool, key, ": ",
	    val, NULL))) == NULL) {
		h->bad = 1;
		return 0;
	}
	h->l = t;
	return 1;
}

static void
sgb_wipe(struct curl_slist *l)
{
	struct curl_slist *x;

	for (x = l; x != NULL; x = x->next)
		explicit_bzero(x->data, strlen(x->data));
	curl_slist_free_all(l);
}

/* The header list, the secret's last; NULL when out of memory. */
static struct curl_slist *
sgb_headers(request_rec *r, const struct sga_brokered *b)
{
	struct sgb_hdrs	 h = { r, b->header, NULL, 0, 0 };
	struct curl_slist *t;
	const char	*ct = apr_table_get(r->headers_in, "Content-Type");
	char		*line;
	size_t		 n;

	apr_table_do(sgb_hdr, &h, r->headers_in, NULL);
	if (h.bad)
		goto fail;
	/* Empty: libcurl would send one of its own with a body. */
	t = curl_slist_append(h.l, apr_pstrcat(r->pool, "Content-Type:",
	    ct != NULL && *ct != '\0' ? " " : "", ct != NULL ? ct : "", NULL));
	if (t == NULL)
		goto fail;
	h.l = t;
	if ((t = curl_slist_append(h.l, "Expect:")) == NULL)
		goto fail;
	h.l = t;
	/* Not in r->pool: the secret must not outlive the call there. */
	n = strlen(b->header) + strlen(b->value) + 3;
	if ((line = malloc(n)) == NULL)
		goto fail;
	(void)snprintf(line, n, "%s: %s", b->header, b->value);
	t = curl_slist_append(h.l, line);
	explicit_bzero(line, n);
	free(line);
	if (t == NULL)
		goto fail;
	return t;
fail:
	sgb_wipe(h.l);
	return NULL;
}

/* The request body, whole: 0, or an HTTP status. */
static int
sgb_body(request_rec *r, char **body, apr_size_t *len)
{
	apr_size_t	 cap = 0;
	long		 n;
	int		 rc;
	char		*p = NULL, buf[8192];

	*body = NULL;
	*len = 0;
	if ((rc = ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK)) != OK)
		return rc;
	/* A Content-Length over the limit: refused before a byte is read. */
	if (r->remaining > SGB_MAX_REQ)
		return HTTP_REQUEST_ENTITY_TOO_LARGE;
	if (!ap_should_client_block(r))
		return 0;
	while ((n = ap_get_client_block(r, buf, sizeof(buf))) > 0) {
		if (*len + (apr_size_t)n > SGB_MAX_REQ)
			return HTTP_REQUEST_ENTITY_TOO_LARGE;
		if (*len + (apr_size_t)n > cap) {
			cap = cap == 0 ? 16384 : cap * 2;
			if (cap > SGB_MAX_REQ)
				cap = SGB_MAX_REQ;
			p = apr_palloc(r->pool, cap);
			if (*len > 0)
				memcpy(p, *body, *len);
			*body = p;
		}
		memcpy(*body + *len, buf, (size_t)n);
		*len += (apr_size_t)n;
	}
	return n < 0 ? HTTP_BAD_REQUEST : 0;
}

/*
 * The status went out: cut the sandbox's connection without the answer's
 * end (mod_proxy's way for a backend that broke: the chunked encoding's
 * last chunk is not sent).  What was written is flushed first, so the
 * headers are out (chunked) before the error: an error bucket that
 * reached the header filter would become a whole 502 page instead, and
 * a short body with its EOS a whole answer with a Content-Length.
 */
static void
sgb_cut(request_rec *r)
{
	conn_rec		*c = r->connection;
	apr_bucket_brigade	*bb;

	(void)ap_rflush(r);
	bb = apr_brigade_create(r->pool, c->bucket_alloc);
	APR_BRIGADE_INSERT_TAIL(bb, ap_bucket_error_create(HTTP_BAD_GATEWAY,
	    NULL, r->pool, c->bucket_alloc));
	APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(c->bucket_alloc));
	(void)ap_pass_brigade(r->output_filters, bb);
	c->keepalive = AP_CONN_CLOSE;
}

/*
 * The pins for libcurl: drop what an earlier call on this handle pinned
 * for host:port, then the authorizer's addresses.  NULL on a bad line.
 */
static struct curl_slist *
sgb_pin(request_rec *r, const char *resolve)
{
	struct curl_slist *l, *m;
	const char	*c1, *c2;

	if ((c1 = strchr(resolve, ':')) == NULL ||
	    (c2 = strchr(c1 + 1, ':')) == NULL || c2[1] == '\0')
		return NULL;
	if ((l = curl_slist_append(NULL, apr_pstrcat(r->pool, "-",
	    apr_pstrndup(r->pool, resolve, (apr_size_t)(c2 - resolve)),
	    NULL))) == NULL)
		return NULL;
	if ((m = curl_slist_append(l, resolve)) == NULL) {
		curl_slist_free_all(l);
		return NULL;
	}
	return m;
}

int
sga_broker_handle(request_rec *r, const struct sga_brokered *b)
{
	struct sgb_handle h;
	struct sg_relay_call rc;
	struct sgb_call	*c;
	struct curl_slist *pin = NULL, *hl = NULL;
	const char	*path = r->parsed_uri.path, *rest;
	char		*body, *url;
	apr_size_t	 blen;
	size_t		 nlen;
	CURLcode	 cc;
	int		 st;

	if (b->value == NULL || strlen(b->value) > SG_RELAY_VALUE_MAX ||
	    b->name == NULL || b->host == NULL || b->header == NULL ||
	    b->resolve == NULL) {
		ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "sandgate_authz: "
		    "SandgateBroker without a broker allow (is SandgateAuthz "
		    "secret-broker's socket here?)");
		return HTTP_INTERNAL_SERVER_ERROR;
	}
	/* The path the authorizer decided on: /broker/<name>[/rest]. */
	nlen = strlen(b->name);
	if (path == NULL || strncmp(path, SGB_PREFIX, strlen(SGB_PREFIX)) !=
	    0 || strncmp(path + strlen(SGB_PREFIX), b->name, nlen) != 0 ||
	    (path[strlen(SGB_PREFIX) + nlen] != '/' &&
	    path[strlen(SGB_PREFIX) + nlen] != '\0'))
		return sgb_deny(r, HTTP_NOT_FOUND, "not_found",
		    "broker paths are /broker/<NAME>/<path>");
	rest = path + strlen(SGB_PREFIX) + nlen;
	if (*rest == '\0')
		rest = "/";
	if ((st = sgb_body(r, &body, &blen)) != 0)
		return st == HTTP_REQUEST_ENTITY_TOO_LARGE ? sgb_deny(r, st,
		    "payload_too_large", "The request body is larger than "
		    "65536 bytes.") : st;
	url = apr_pstrcat(r->pool, "https://", b->host, rest,
	    r->args != NULL ? "?" : "", r->args != NULL ? r->args : "", NULL);
	c = apr_pcalloc(r->pool, sizeof(*c));
	c->r = r;
	(void)sg_relay_init(&c->rl, b->value, SGB_MAX_BODY);
	if ((pin = sgb_pin(r, b->resolve)) == NULL ||
	    (hl = sgb_headers(r, b)) == NULL || sgb_take(&h) != 0) {
		curl_slist_free_all(pin);
		sgb_wipe(hl);
		return sgb_deny(r, HTTP_BAD_GATEWAY, "upstream_failed",
		    "the upstream could not be reached over verified TLS");
	}
	memset(&rc, 0, sizeof(rc));
	rc.url = url;
	rc.method = r->method;
	rc.ca = b->ca;
	rc.body = body;
	rc.blen = blen;
	rc.head = r->header_only;
	rc.pin = pin;
	rc.headers = hl;
	rc.on_header = sgb_on_header;
	rc.on_body = sgb_on_body;
	rc.arg = c;
	sg_relay_setopts(h.easy, &rc, SGB_MAX_BODY);
	cc = sg_relay_perform(h.multi, h.easy, &c->queued, sgb_flush, c,
	    &c->cut);
	sgb_give(&h, cc == CURLE_OK && !c->cut);
	sgb_wipe(hl);
	curl_slist_free_all(pin);
	if (!c->started && cc != CURLE_OK) {
		sg_relay_clear(&c->rl);
		return c->rl.over ? sgb_deny(r, HTTP_BAD_GATEWAY,
		    "upstream_too_big", "the upstream's answer is over the "
		    "broker's limit") : sgb_deny(r, HTTP_BAD_GATEWAY,
		    "upstream_failed", "the upstream could not be reached "
		    "over verified TLS");
	}
	if (!c->started)
		sgb_start(c);
	/* The rest held back, once the answer is known to be whole. */
	if (cc != CURLE_OK || c->cut || (c->rl.ncarry > 0 &&
	    ap_rwrite(c->rl.carry, (int)c->rl.ncarry, r) < 0)) {
		ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
		    "sandgate_authz: broker answer for secret %s cut (%s)",
		    b->name, c->rl.over ? "upstream_too_big" : "upstream_failed");
		sgb_cut(r);
	}
	sg_relay_clear(&c->rl);
	return OK;
}
