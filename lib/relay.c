/* SPDX-License-Identifier: ISC */
/* What a secrets broker passes on of an upstream's answer (relay.h). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "relay.h"

/*
 * memchr finds each candidate first byte (the C library's is vectored:
 * a 1 MiB answer costs a fraction of what a byte-by-byte loop did).
 */
void
sg_mask(char *buf, size_t len, const char *value)
{
	size_t	 n = strlen(value);
	char	*p = buf, *end = buf + len, *q;

	if (n == 0 || n > len)
		return;
	while ((size_t)(end - p) >= n &&
	    (q = memchr(p, value[0], (size_t)(end - p) - n + 1)) != NULL) {
		if (memcmp(q, value, n) == 0) {
			memset(q, '*', n);
			p = q + n;
		} else
			p = q + 1;
	}
}

int
sg_relay_init(struct sg_relay *rl, const char *value, size_t max)
{
	memset(rl, 0, sizeof(*rl));
	rl->value = value;
	rl->vlen = strlen(value);
	rl->max = max;
	return rl->vlen > SG_RELAY_VALUE_MAX ? -1 : 0;
}

int
sg_relay_header(struct sg_relay *rl, const char *p, size_t n)
{
	const char	*e;
	size_t		 k;

	if (n > 5 && strncmp(p, "HTTP/", 5) == 0) {
		e = memchr(p, ' ', n);
		rl->status = e != NULL ? strtol(e + 1, NULL, 10) : 0;
		rl->ctype[0] = '\0';
	} else if (n > 13 && strncasecmp(p, "Content-Type:", 13) == 0) {
		for (p += 13, n -= 13; n > 0 && (*p == ' ' || *p == '\t'); p++)
			n--;
		for (k = n; k > 0 && (p[k - 1] == '\r' || p[k - 1] == '\n' ||
		    p[k - 1] == ' '); k--)
			;
		if (k >= sizeof(rl->ctype))
			k = 0;
		memcpy(rl->ctype, p, k);
		rl->ctype[k] = '\0';
	} else if (n > 15 && strncasecmp(p, "Content-Length:", 15) == 0) {
		if (strtoull(p + 15, NULL, 10) > rl->max) {
			rl->over = 1;
			return -1;
		}
	} else if ((n == 2 && p[0] == '\r') || (n == 1 && p[0] == '\n')) {
		/* The end of a header block; a 1xx one is not the answer. */
		if (rl->status >= 200 && rl->status <= 599) {
			sg_mask(rl->ctype, strlen(rl->ctype), rl->value);
			return 1;
		}
	}
	return 0;
}

int
sg_relay_body(struct sg_relay *rl, const char *p, size_t n, char **out,
    size_t *outlen)
{
	size_t	 len, keep;
	char	*w;

	*out = NULL;
	*outlen = 0;
	if (n > rl->max - rl->total) {
		rl->over = 1;
		return -1;
	}
	rl->total += n;
	len = rl->ncarry + n;
	if ((w = malloc(len > 0 ? len : 1)) == NULL)
		return -1;
	memcpy(w, rl->carry, rl->ncarry);
	memcpy(w + rl->ncarry, p, n);
	sg_mask(w, len, rl->value);
	keep = rl->vlen > 0 ? rl->vlen - 1 : 0;
	if (keep > len)
		keep = len;
	memcpy(rl->carry, w + len - keep, keep);
	rl->ncarry = keep;
	explicit_bzero(w + len - keep, keep);
	*out = w;
	*outlen = len - keep;
	return 0;
}

void
sg_relay_free(char *out, size_t outlen)
{
	if (out == NULL)
		return;
	explicit_bzero(out, outlen);
	free(out);
}

void
sg_relay_clear(struct sg_relay *rl)
{
	explicit_bzero(rl->carry, sizeof(rl->carry));
	rl->ncarry = 0;
}

int
sg_relay_skip(const char *name, size_t n, const char *secret_hdr)
{
	static const char *const skip[] = { "host", "authorization",
	    "proxy-authorization", "connection", "keep-alive", "te",
	    "trailer", "transfer-encoding", "upgrade", "proxy-connection",
	    "content-length", "content-type", "cookie", "expect", NULL };
	const char	*w;
	size_t		 i, k;
	int		 a, b;

	for (i = 0; skip[i] != NULL || secret_hdr != NULL; i++) {
		w = skip[i] != NULL ? skip[i] : secret_hdr;
		for (k = 0; k < n && w[k] != '\0'; k++) {
			a = (unsigned char)name[k];
			b = (unsigned char)w[k];
			a = a == '_' ? '-' : (a >= 'A' && a <= 'Z' ? a + 32 : a);
			b = b == '_' ? '-' : (b >= 'A' && b <= 'Z' ? b + 32 : b);
			if (a != b)
				break;
		}
		if (k == n && w[k] == '\0')
			return 1;
		if (skip[i] == NULL)
			break;		/* secret_hdr was the last */
	}
	return 0;
}

void
sg_relay_setopts(CURL *e, const struct sg_relay_call *rc, size_t max)
{
	curl_easy_reset(e);
	(void)curl_easy_setopt(e, CURLOPT_URL, rc->url);
	(void)curl_easy_setopt(e, CURLOPT_RESOLVE, rc->pin);
	/* TLS only, certificate and name checked (RFC 9110 4.3.4). */
	(void)curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https");
	(void)curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	(void)curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	(void)curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (rc->ca != NULL && rc->ca[0] != '\0')
		(void)curl_easy_setopt(e, CURLOPT_CAINFO, rc->ca);
	/* Never through a proxy the environment may name. */
	(void)curl_easy_setopt(e, CURLOPT_PROXY, "");
	(void)curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	(void)curl_easy_setopt(e, CURLOPT_TIMEOUT, (long)SG_RELAY_TIMEOUT_S);
	(void)curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT,
	    (long)SG_RELAY_CONNECT_S);
	(void)curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
	(void)curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, rc->method);
	if (rc->blen > 0) {
		(void)curl_easy_setopt(e, CURLOPT_POSTFIELDS, rc->body);
		(void)curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)rc->blen);
	} else if (rc->head)
		(void)curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	(void)curl_easy_setopt(e, CURLOPT_HTTPHEADER, rc->headers);
	(void)curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, rc->on_body);
	(void)curl_easy_setopt(e, CURLOPT_WRITEDATA, rc->arg);
	(void)curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, rc->on_header);
	(void)curl_easy_setopt(e, CURLOPT_HEADERDATA, rc->arg);
}

CURLcode
sg_relay_perform(CURLM *m, CURL *e, int *queued, int (*flush)(void *),
    void *arg, int *cut)
{
	CURLMsg		*msg;
	CURLcode	 cc = CURLE_RECV_ERROR;
	int		 running = 1, left;

	if (curl_multi_add_handle(m, e) != CURLM_OK)
		return CURLE_FAILED_INIT;
	for (;;) {
		if (curl_multi_perform(m, &running) != CURLM_OK)
			break;
		if (running == 0) {
			while ((msg = curl_multi_info_read(m, &left)) != NULL)
				if (msg->msg == CURLMSG_DONE &&
				    msg->easy_handle == e)
					cc = msg->data.result;
			break;
		}
		if (*queued) {
			*queued = 0;
			if (flush(arg) != 0) {
				*cut = 1;
				cc = CURLE_WRITE_ERROR;
				break;
			}
		}
		if (curl_multi_poll(m, NULL, 0, 1000, NULL) != CURLM_OK)
			break;
	}
	/* Mid-transfer (a failure here) this closes the connection. */
	(void)curl_multi_remove_handle(m, e);
	/* The header list may hold the secret: off the handle first. */
	(void)curl_easy_setopt(e, CURLOPT_HTTPHEADER, NULL);
	return cc;
}
