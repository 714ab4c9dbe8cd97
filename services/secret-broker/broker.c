/* SPDX-License-Identifier: ISC */
/*
 * secret-broker's handler (broker.h): the path, the decision, the secret,
 * the upstream call over libcurl, the answer.
 */
#include "config.h"

#include <sys/socket.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "broker.h"
#include "compat.h"
#include "crypto.h"
#include "hosts.h"
#include "log.h"
#include "redis.h"
#include "relay.h"
#include "resolve.h"

#define PREFIX		"/broker/"
#define ENV_MAX		256
#define HDR_MAX		64

/*
 * The authorizer's answer hands the secret itself to the web server, so
 * it is given only on a unix socket, where the file's mode says who may
 * connect (mod_sandgate_authz speaks nothing else).  On a TCP port any
 * local process holding a sandbox's credentials could read its secret
 * (REMOTE_ADDR is the FastCGI client's word), where the responder only
 * ever lets it use one.  The socket: SANDGATE_SOCKET, else fd 0.
 */
static int
handoff_allowed(const struct sg_cfg *cfg)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);

	if (cfg->socket[0] != '\0')
		return cfg->socket[0] == '/' ||
		    strncmp(cfg->socket, "unix:", 5) == 0;
	return getsockname(0, (struct sockaddr *)&ss, &len) == 0 &&
	    ss.ss_family == AF_UNIX;
}

enum sg_rc
sg_broker_init(struct broker *b, const struct sg_cfg *cfg, struct sg_err *err)
{
	char		 list[sizeof(cfg->secret_keys)];
	char		*p, *path;
	enum sg_rc	 rc;

	if ((rc = sg_verify_init(&b->v, cfg, err)) != SG_OK)
		return rc;
	(void)strlcpy(list, cfg->secret_keys, sizeof(list));
	b->nkeys = 0;
	for (p = list; (path = strsep(&p, ",")) != NULL;) {
		if (path[0] == '\0')
			continue;
		if (b->nkeys == SG_SECRET_KEYS_MAX)
			return sg_err_set(err, SG_EINVAL, "bad_config",
			    "SANDGATE_SECRET_KEYS: at most %d key files",
			    SG_SECRET_KEYS_MAX);
		if ((rc = sg_secret_key_load(path, &b->keys[b->nkeys],
		    err)) != SG_OK)
			return sg_err_set(err, SG_EINVAL, "bad_config",
			    "SANDGATE_SECRET_KEYS: %s", err->msg);
		b->nkeys++;
	}
	if (b->nkeys == 0)
		return sg_err_set(err, SG_EINVAL, "bad_config",
		    "SANDGATE_SECRET_KEYS: no key file");
	(void)strlcpy(b->ca_file, cfg->broker_ca_file, sizeof(b->ca_file));
	b->handoff = handoff_allowed(cfg);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (b->curl = curl_easy_init()) == NULL ||
	    (b->multi = curl_multi_init()) == NULL)
		return sg_err_set(err, SG_ENOMEM, NULL, "libcurl init failed");
	return SG_OK;
}

void
sg_broker_clear(struct broker *b)
{
	if (b->curl != NULL)
		curl_easy_cleanup(b->curl);
	if (b->multi != NULL)
		curl_multi_cleanup(b->multi);
	b->curl = b->multi = NULL;
	sg_cleanse(b->keys, sizeof(b->keys));
	sg_verify_clear(&b->v);
}

/* "/broker/NAME/rest": name into name, *rest the "/rest" (or "/"). */
static int
split_path(const char *path, char name[SG_SECRET_NAME_MAX + 1],
    const char **rest)
{
	const char	*s, *e;
	size_t		 n;

	if (path == NULL || strncmp(path, PREFIX, strlen(PREFIX)) != 0)
		return 0;
	s = path + strlen(PREFIX);
	e = strchr(s, '/');
	n = e != NULL ? (size_t)(e - s) : strlen(s);
	if (n == 0 || n > SG_SECRET_NAME_MAX)
		return 0;
	memcpy(name, s, n);
	name[n] = '\0';
	*rest = e != NULL ? e : "/";
	return 1;
}

/*
 * The credentials as the proxy takes them: Proxy-Authorization, else
 * Authorization (a base URL with userinfo, http://container_<id>:jwt_<t>@
 * gateway:8443/broker/NAME, makes clients send it there).  Both hold
 * Basic base64(container_<id>:jwt_<token>).
 */
static const char *
creds(const struct sg_req *req)
{
	const char	*c = sg_req_param(req, "HTTP_PROXY_AUTHORIZATION");

	return c != NULL ? c : sg_req_param(req, "HTTP_AUTHORIZATION");
}

/*
 * token-verify's egress decision for CONNECT host:port with the
 * request's credentials and client address.  vd->status 200 when allowed.
 */
static void
decide(struct broker *b, const struct sg_req *req, const char *cred,
    const char *host, struct sg_verdict *vd)
{
	char		*env[8], e_auth[SG_VERIFY_MAX_AUTH + 40];
	char		 e_uri[SG_HOST_MAX + 32], e_addr[96];
	const char	*addr = sg_req_param(req, "REMOTE_ADDR");
	struct sg_req	 vr;
	struct sg_err	 err;
	size_t		 n = 0;

	memset(vd, 0, sizeof(*vd));
	vd->status = 500;
	(void)snprintf(e_auth, sizeof(e_auth), "HTTP_PROXY_AUTHORIZATION=%s",
	    cred);
	(void)snprintf(e_uri, sizeof(e_uri), "REQUEST_URI=%s", host);
	(void)snprintf(e_addr, sizeof(e_addr), "REMOTE_ADDR=%s",
	    addr != NULL ? addr : "");
	env[n++] = (char *)"REQUEST_METHOD=CONNECT";
	env[n++] = e_uri;
	env[n++] = e_auth;
	env[n++] = e_addr;
	env[n++] = (char *)"FCGI_ROLE=RESPONDER";
	env[n] = NULL;
	sg_err_clear(&err);
	if (sg_req_init(&vr, env, NULL, 0, &err) == SG_OK) {
		sg_verify_decide(&b->v, &vr, vd);
		sg_req_clear(&vr);
	}
	sg_cleanse(e_auth, sizeof(e_auth));
}

/* The request's HTTP_* params as header lines, then the secret's. */
static struct curl_slist *
headers(const struct sg_req *req, const struct sg_secret *s)
{
	struct curl_slist *l = NULL, *t;
	char		 line[SG_SECRET_HEADER_MAX + SG_SECRET_VALUE_MAX + 4];
	char		 hdr[256];
	const char	*e, *eq;
	size_t		 i, j, n, count = 0;

	for (i = 0; req->env[i] != NULL; i++) {
		e = req->env[i];
		if (strncmp(e, "HTTP_", 5) != 0 ||
		    (eq = strchr(e, '=')) == NULL)
			continue;
		n = (size_t)(eq - (e + 5));
		if (n == 0 || n >= sizeof(hdr) / 2 ||
		    sg_relay_skip(e + 5, n, s->header) || ++count > HDR_MAX)
			continue;
		for (j = 0; j < n; j++)
			hdr[j] = e[5 + j] == '_' ? '-' : e[5 + j];
		hdr[n] = '\0';
		(void)snprintf(line, sizeof(line), "%s: %s", hdr, eq + 1);
		if ((t = curl_slist_append(l, line)) == NULL)
			goto fail;
		l = t;
	}
	/* CGI keeps the body's type apart (RFC 3875 4.1.3). */
	e = sg_req_param(req, "CONTENT_TYPE");
	(void)snprintf(line, sizeof(line), "Content-Type:%s%s",
	    e != NULL && e[0] != '\0' ? " " : "", e != NULL ? e : "");
	if ((t = curl_slist_append(l, line)) == NULL)
		goto fail;
	l = t;
	/* curl would add it by itself; the upstream gets none. */
	if ((t = curl_slist_append(l, "Expect:")) == NULL)
		goto fail;
	l = t;
	(void)snprintf(line, sizeof(line), "%s: %s", s->header, s->value);
	t = curl_slist_append(l, line);
	sg_cleanse(line, sizeof(line));
	if (t == NULL)
		goto fail;
	return t;
fail:
	sg_cleanse(line, sizeof(line));
	curl_slist_free_all(l);
	return NULL;
}

/*
 * One upstream call, streamed (lib/relay.h: the status, Content-Type and
 * body passed on, the secret masked, the tail held back).
 */
struct call {
	struct sg_resp	*resp;
	struct sg_relay	 rl;
	int		 started, cut;
	int		 queued;	/* written since the last flush */
	CURLcode	 cc;
};

static int
start(struct call *c)
{
	struct sg_resp	*resp = c->resp;

	c->started = 1;
	resp->status = (int)c->rl.status;
	if (c->rl.ctype[0] != '\0')
		(void)sg_resp_header(resp, "Content-Type", "%s", c->rl.ctype);
	(void)sg_resp_header(resp, "Cache-Control", "no-store");
	if (sg_resp_stream_start(resp) != 0) {
		c->cut = 1;
		return -1;
	}
	c->queued = 1;
	return 0;
}

static size_t
on_header(char *p, size_t sz, size_t nm, void *arg)
{
	struct call	*c = arg;
	size_t		 n = sz * nm;

	if (c->started)		/* trailers: not passed on */
		return n;
	switch (sg_relay_header(&c->rl, p, n)) {
	case -1:
		return 0;
	case 1:
		return start(c) != 0 ? 0 : n;
	default:
		return n;
	}
}

static size_t
on_body(char *p, size_t sz, size_t nm, void *arg)
{
	struct call	*c = arg;
	size_t		 n = sz * nm, len;
	char		*w;

	if (!c->started && start(c) != 0)
		return 0;
	if (sg_relay_body(&c->rl, p, n, &w, &len) != 0)
		return 0;
	if (len > 0 && sg_resp_stream_write(c->resp, w, len) != 0) {
		c->cut = 1;
		sg_relay_free(w, len);
		return 0;
	}
	if (len > 0)
		c->queued = 1;
	sg_relay_free(w, len);
	return n;
}

/*
 * The addresses libcurl may connect to for the secret's host: resolved
 * once here (the decision's resolver and cache) and, under
 * SANDGATE_EGRESS_DENY_PRIVATE, each checked as the decision checks
 * them; then handed to libcurl (CURLOPT_RESOLVE) so that it never asks
 * the name again.  Without this a name whose answer changes between the
 * decision and the connection (DNS rebinding) would carry the secret to
 * an address nobody checked.  NULL with err set.
 */
static struct curl_slist *
pin(struct broker *b, const struct sg_secret *s, struct sg_err *err)
{
	struct sg_target	 t;
	struct sg_resolved	 res;
	struct curl_slist	*l, *m;
	char			 uri[SG_HOST_MAX + 16], a[INET6_ADDRSTRLEN];
	char			 line[SG_HOST_MAX + 16 +
				    SG_RESOLVE_MAX_ADDRS * (INET6_ADDRSTRLEN + 3)];
	size_t			 i, k, n, hl;
	unsigned		 port = sg_secret_port(s);

	hl = strcspn(s->host, ":");
	n = (size_t)snprintf(uri, sizeof(uri), "%.*s:%u", (int)hl, s->host,
	    port);
	if (n >= sizeof(uri) ||
	    sg_target_parse("CONNECT", uri, &t, err) != SG_OK)
		return NULL;
	if (sg_target_addrs(&t, &b->v.local, b->v.cfg.deny_private, &res,
	    err) != SG_OK)
		return NULL;
	n = (size_t)snprintf(line, sizeof(line), "%.*s:%u:", (int)hl,
	    s->host, port);
	for (i = 0, k = 0; i < res.n && n < sizeof(line); i++) {
		if (inet_ntop(res.a[i].family, res.a[i].addr, a,
		    sizeof(a)) == NULL)
			continue;
		n += (size_t)snprintf(line + n, sizeof(line) - n,
		    res.a[i].family == AF_INET6 ? "%s[%s]" : "%s%s",
		    k++ > 0 ? "," : "", a);
	}
	if (n >= sizeof(line) || k == 0) {
		sg_err_set(err, SG_EINTERNAL, "upstream_failed",
		    "no address of the secret's host could be pinned");
		return NULL;
	}
	/* Drop what an earlier request pinned for host:port, then pin. */
	(void)snprintf(uri, sizeof(uri), "-%.*s:%u", (int)hl, s->host, port);
	if ((l = curl_slist_append(NULL, uri)) == NULL ||
	    (m = curl_slist_append(l, line)) == NULL) {
		curl_slist_free_all(l);
		sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
		return NULL;
	}
	return m;
}

static int
flush(void *arg)
{
	struct call	*c = arg;

	return sg_resp_stream_flush(c->resp);
}

static void
upstream(struct broker *b, const struct sg_req *req, const struct sg_secret *s,
    const char *rest, struct curl_slist *pinned, struct call *c)
{
	struct sg_relay_call rc;
	struct curl_slist *hl, *x;
	char		 url[SG_HOST_MAX + 16 + SG_HTTP_MAX_PATH + 8192];
	int		 n;

	c->cc = CURLE_OUT_OF_MEMORY;
	n = snprintf(url, sizeof(url), "https://%s%s%s%s", s->host, rest,
	    req->query[0] != '\0' ? "?" : "", req->query);
	if (n < 0 || (size_t)n >= sizeof(url)) {
		c->cc = CURLE_URL_MALFORMAT;
		return;
	}
	if ((hl = headers(req, s)) == NULL)
		return;
	memset(&rc, 0, sizeof(rc));
	rc.url = url;
	rc.method = req->method;
	rc.ca = b->ca_file;
	rc.body = req->body;
	rc.blen = req->bodylen;
	rc.head = strcmp(req->method, "HEAD") == 0;
	rc.pin = pinned;
	rc.headers = hl;
	rc.on_header = on_header;
	rc.on_body = on_body;
	rc.arg = c;
	sg_relay_setopts(b->curl, &rc, SG_BROKER_MAX_BODY);
	c->cc = sg_relay_perform(b->multi, b->curl, &c->queued, flush, c,
	    &c->cut);
	/* The header list holds the secret: wiped before it is freed. */
	for (x = hl; x != NULL; x = x->next)
		sg_cleanse(x->data, strlen(x->data));
	curl_slist_free_all(hl);
}

static void
deny(struct sg_resp *resp, int status, const char *code, const char *name,
    const char *msg)
{
	sg_resp_error(resp, status, code, "%s", msg);
	sg_log(SG_LOG_INFO, "broker_deny", "reason", code, "secret", name,
	    (char *)NULL);
}

/* The decision's refusal as the broker's: 401 for credentials, else 403. */
static void
deny_verdict(struct sg_resp *resp, const struct sg_verdict *vd,
    const char *name)
{
	if (vd->status == 503)
		deny(resp, 503, "unavailable", name,
		    "the session store cannot answer");
	else if (vd->status == 407)
		deny(resp, 401, vd->reason != NULL ? vd->reason :
		    "bad_credentials", name,
		    "the sandbox's proxy credentials are missing or not valid "
		    "here");
	else
		deny(resp, 403, vd->reason != NULL ? vd->reason : "denied",
		    name, "the secret's host is not allowed for this token");
}

/* The sandbox's record for name, the host read from it before it is opened. */
static enum sg_rc
record(struct broker *b, const char *cid, const char *name, char **rec,
    size_t *len, char host[SG_HOST_MAX + 8], struct sg_err *err)
{
	cJSON		*o;
	const cJSON	*h;
	enum sg_rc	 rc;

	if ((rc = sg_secret_get(b->v.redis, cid, name, rec, len, err)) != SG_OK)
		return rc;
	o = cJSON_ParseWithLength(*rec, *len);
	h = cJSON_GetObjectItemCaseSensitive(o, "host");
	if (!cJSON_IsString(h) || strlcpy(host, h->valuestring,
	    SG_HOST_MAX + 8) >= SG_HOST_MAX + 8)
		rc = sg_err_set(err, SG_EINVAL, "bad_secret",
		    "not a secret record");
	cJSON_Delete(o);
	return rc;
}

/*
 * The path of the request: origin-form as it is, or the path of an
 * absolute-form http://<proxy>/broker/... (a client that went through
 * its proxy settings), checked by sg_req_init's same rules.
 */
static const char *
req_path(const struct sg_req *req, char *buf, size_t size)
{
	char		 e_uri[SG_HTTP_MAX_PATH + 32];
	char		*env[3];
	const char	*p;
	struct sg_req	 r;
	int		 n;

	if (req->path != NULL)
		return req->path;
	if (strncmp(req->raw_uri, "http://", 7) != 0 ||
	    (p = strchr(req->raw_uri + 7, '/')) == NULL)
		return NULL;
	n = snprintf(e_uri, sizeof(e_uri), "REQUEST_URI=%s", p);
	if (n < 0 || (size_t)n >= sizeof(e_uri))
		return NULL;
	env[0] = e_uri;
	env[1] = (char *)"REQUEST_METHOD=GET";
	env[2] = NULL;
	if (sg_req_init(&r, env, NULL, 0, NULL) != SG_OK || r.path == NULL) {
		sg_req_clear(&r);
		return NULL;
	}
	(void)strlcpy(buf, r.path, size);
	sg_req_clear(&r);
	return buf;
}

/*
 * As the authorizer of mod_sandgate_authz's broker (FCGI_ROLE=AUTHORIZER,
 * docs/secrets.md "Inside Apache"): the call is Apache's to make, so the
 * answer is what it needs for it, as Variable-* headers of a 200 that
 * the module keeps out of the request's environment: the secret's host,
 * the addresses checked for it (a CURLOPT_RESOLVE line), its header and
 * value, and how long the module may reuse all of it (the decision's
 * reuse_ms: what is left of the session lookup's bound, so a DELETE or a
 * revocation is seen within SANDGATE_SESSION_CACHE_MS).  -1 when a value
 * cannot be sent (control bytes never are: the secret's rules).
 */
static int
authorize(struct sg_resp *resp, const struct sg_verdict *vd,
    const struct sg_secret *s, const char *name, const char *resolve)
{
	int	 bad = 0;

	resp->status = 200;
	bad |= sg_resp_header(resp, "Variable-SG_CONTAINER_ID", "%s",
	    vd->container_id) != 0;
	bad |= sg_resp_header(resp, "Variable-SG_BROKER_SECRET", "%s",
	    name) != 0;
	bad |= sg_resp_header(resp, "Variable-SG_BROKER_HOST", "%s",
	    s->host) != 0;
	bad |= sg_resp_header(resp, "Variable-SG_BROKER_RESOLVE", "%s",
	    resolve) != 0;
	bad |= sg_resp_header(resp, "Variable-SG_BROKER_HEADER", "%s",
	    s->header) != 0;
	bad |= sg_resp_header(resp, "Variable-SG_BROKER_VALUE", "%s",
	    s->value) != 0;
	/*
	 * As token-verify's allows: how long it may be reused, and its
	 * target, which sandgate-budget-log writes into the trail for each
	 * request let through on it.
	 */
	if (vd->reuse_ms > 0 && sg_str_printable(vd->target))
		bad |= sg_resp_header(resp, "Variable-SG_REUSE_MS", "%lld",
		    (long long)vd->reuse_ms) != 0 ||
		    sg_resp_header(resp, "Variable-SG_TARGET", "%s",
		    vd->target) != 0;
	if (bad) {
		sg_resp_clear(resp);
		sg_resp_init(resp);
		return -1;
	}
	return 0;
}

/* The broker's own call: the upstream's answer streamed to the sandbox. */
static void
relay(struct broker *b, const struct sg_req *req, struct sg_resp *resp,
    const struct sg_secret *s, const char *name, const char *cid,
    const char *rest, struct curl_slist *pinned)
{
	struct call	 c;

	memset(&c, 0, sizeof(c));
	c.resp = resp;
	(void)sg_relay_init(&c.rl, s->value, SG_BROKER_MAX_BODY);
	upstream(b, req, s, rest, pinned, &c);
	if (!c.started && c.cc != CURLE_OK) {
		deny(resp, 502, c.rl.over ? "upstream_too_big" :
		    "upstream_failed", name, c.rl.over ?
		    "the upstream's answer is over the broker's limit" :
		    "the upstream could not be reached over verified TLS");
		goto out;
	}
	/* The rest held back, once the answer is known to be whole. */
	if ((!c.started && start(&c) != 0) || c.cc != CURLE_OK || c.cut ||
	    sg_resp_stream_write(resp, c.rl.carry, c.rl.ncarry) != 0) {
		/*
		 * The status went out: a failure now cannot become a 502.
		 * The request is cut off without its end, so Apache drops
		 * the sandbox's connection rather than pass a cut answer.
		 */
		sg_resp_stream_abort(resp);
		sg_log(SG_LOG_WARN, "broker_cut", "reason", c.rl.over ?
		    "upstream_too_big" : "upstream_failed", "secret", name,
		    "container_id", cid, (char *)NULL);
		goto out;
	}
	sg_log(SG_LOG_INFO, "broker", "secret", name, "container_id", cid,
	    (char *)NULL);
out:
	sg_relay_clear(&c.rl);
}

void
sg_broker_handle(void *arg, struct sg_req *req, struct sg_resp *resp)
{
	struct broker	*b = arg;
	struct sg_verdict vd;
	struct sg_secret s;
	struct sg_err	 err;
	char		 name[SG_SECRET_NAME_MAX + 1], cid[SG_ID_MAX + 1];
	char		 host[SG_HOST_MAX + 8], buf[SG_VERIFY_MAX_AUTH];
	char		 pbuf[SG_HTTP_MAX_PATH + 1];
	char		*rec = NULL;
	struct curl_slist *pinned = NULL;
	const char	*rest, *cred, *tok;
	size_t		 len, toklen;

	memset(&s, 0, sizeof(s));
	sg_err_clear(&err);
	if (req->authorizer && !b->handoff) {
		deny(resp, 403, "handoff_refused", "-", "this broker hands "
		    "secrets to the proxy only on a unix socket");
		goto out;
	}
	if (!split_path(req_path(req, pbuf, sizeof(pbuf)), name, &rest)) {
		deny(resp, 404, "not_found", "-",
		    "broker paths are /broker/<NAME>/<path>");
		goto out;
	}
	if ((cred = creds(req)) == NULL || strlen(cred) >= sizeof(buf) ||
	    sg_verify_parse_basic(cred, buf, sizeof(buf), cid, &tok, &toklen,
	    &err) != SG_OK) {
		deny(resp, 401, "bad_credentials", name,
		    "send the sandbox's proxy credentials (Basic "
		    "container_<id>:jwt_<token>)");
		goto out;
	}
	sg_cleanse(buf, sizeof(buf));
	/* Only the claimed sandbox's own hash is read; the decision proves it. */
	if (record(b, cid, name, &rec, &len, host, &err) != SG_OK) {
		if (err.rc == SG_EUNAVAIL || err.rc == SG_ETIMEOUT) {
			deny(resp, 503, "unavailable", name,
			    "the session store cannot answer");
			goto out;
		}
		/*
		 * The credentials still decide first, so that a request
		 * without a valid token learns nothing about which names
		 * another sandbox holds.  ".invalid" (RFC 6761 6.4) is in
		 * no allow-list and never resolved.
		 */
		decide(b, req, cred, "name.invalid:443", &vd);
		if (vd.status == 407 || vd.status == 503)
			deny_verdict(resp, &vd, name);
		else
			deny(resp, 403, "secret_not_found", name,
			    "this sandbox has no secret of that name");
		goto out;
	}
	decide(b, req, cred, host, &vd);
	if (vd.status != 200 || vd.decision == NULL ||
	    strcmp(vd.decision, "allow") != 0 ||
	    strcmp(vd.container_id, cid) != 0) {
		deny_verdict(resp, &vd, name);
		goto out;
	}
	if (sg_secret_open(b->keys, b->nkeys, vd.container_id, name, rec, len,
	    &s, &err) != SG_OK || strcmp(s.host, host) != 0) {
		deny(resp, 403, "secret_unreadable", name,
		    "the secret cannot be opened for this sandbox");
		goto out;
	}
	sg_err_clear(&err);
	if ((pinned = pin(b, &s, &err)) == NULL) {
		/* A name that now answers a private address: the rule's own. */
		if (err.code != NULL && (strcmp(err.code, "private_target") ==
		    0 || strcmp(err.code, "local_target") == 0))
			deny(resp, 403, err.code, name, err.msg);
		else
			deny(resp, 502, "upstream_failed", name,
			    "the secret's host did not resolve");
		goto out;
	}
	if (req->authorizer) {
		if (authorize(resp, &vd, &s, name, pinned->next->data) != 0)
			deny(resp, 500, "internal_error", name,
			    "the secret cannot be handed to the proxy");
		else
			sg_log(SG_LOG_INFO, "broker_authorize", "secret", name,
			    "container_id", cid, (char *)NULL);
		goto out;
	}
	relay(b, req, resp, &s, name, cid, rest, pinned);
out:
	sg_cleanse(buf, sizeof(buf));
	sg_cleanse(&s, sizeof(s));
	curl_slist_free_all(pinned);
	free(rec);
}
