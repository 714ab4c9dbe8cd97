/* SPDX-License-Identifier: ISC */
/*
 * What a secrets broker passes on of an upstream's answer: the status
 * and Content-Type of its header block, an answer over a size refused,
 * and its body with every copy of the secret masked ('*' of the same
 * length, so lengths the upstream sent stay right), the last
 * len(value) - 1 bytes held back until the next piece so that a copy
 * split between two is masked too.  Shared by secret-broker and by
 * mod_sandgate_authz's broker (deploy/apache/sga_broker.c), which
 * builds this file in: it depends on nothing but the C library and
 * libcurl.  The call's rules are here too, so that the two brokers keep
 * them alike: which request headers go on (sg_relay_skip), the call's
 * options (sg_relay_setopts) and the transfer (sg_relay_perform).
 */
#ifndef SG_RELAY_H
#define SG_RELAY_H

#include <stddef.h>

#include <curl/curl.h>

#define SG_RELAY_VALUE_MAX	4096	/* as SG_SECRET_VALUE_MAX */
#define SG_RELAY_CTYPE_MAX	128

struct sg_relay {
	const char	*value;		/* the secret, NUL-terminated */
	size_t		 vlen;
	size_t		 max;		/* of the body, at most */
	long		 status;	/* of the last status line */
	char		 ctype[SG_RELAY_CTYPE_MAX];	/* "" if none, or too long */
	char		 carry[SG_RELAY_VALUE_MAX];	/* held back */
	size_t		 ncarry, total;
	int		 over;		/* the answer is over max */
};

/* 0, or -1 when value is longer than SG_RELAY_VALUE_MAX. */
int		 sg_relay_init(struct sg_relay *, const char *value,
		    size_t max);
/*
 * One header line as libcurl hands it (its CRLF included): 1 at the end
 * of the answer's header block (status 200-599; rl->ctype masked), 0
 * for any other line, -1 when its Content-Length is over max (rl->over).
 */
int		 sg_relay_header(struct sg_relay *, const char *p, size_t n);
/*
 * n more bytes of the body: *out (to free with sg_relay_free) holds the
 * *outlen masked bytes that may go now.  0, or -1: over max (rl->over)
 * or out of memory.
 */
int		 sg_relay_body(struct sg_relay *, const char *p, size_t n,
		    char **out, size_t *outlen);
/* out wiped and freed. */
void		 sg_relay_free(char *out, size_t outlen);
/* The held-back bytes wiped. */
void		 sg_relay_clear(struct sg_relay *);
/*
 * A request header that does not go on: the hop's credentials, hop-by-hop
 * fields (RFC 9110 7.6.1), Host, Cookie, Expect, Content-Length and
 * -Type (set apart), and the sandbox's own copy of the secret's header
 * (a placeholder).  name[0..n) as sent or as a CGI variable names it
 * (PROXY_AUTHORIZATION): any case, '-' and '_' alike.
 */
int		 sg_relay_skip(const char *name, size_t n,
		    const char *secret_hdr);

/* One call to the secret's host. */
struct sg_relay_call {
	const char		*url;		/* https://host[:port]/path?q */
	const char		*method;
	const char		*ca;		/* PEM file, or NULL: the system's */
	const char		*body;		/* blen bytes, or none */
	size_t			 blen;
	int			 head;		/* HEAD: no body wanted */
	struct curl_slist	*pin;		/* CURLOPT_RESOLVE */
	struct curl_slist	*headers;
	curl_write_callback	 on_header, on_body;
	void			*arg;
};

/*
 * The handle reset and set for the call: https only, certificate and
 * name verified, no redirect, never a proxy, no signals, 10 s to
 * connect and 60 s in all (SG_RELAY_*_S), the answer's size limited.
 */
#define SG_RELAY_CONNECT_S	10
#define SG_RELAY_TIMEOUT_S	60
void		 sg_relay_setopts(CURL *, const struct sg_relay_call *,
		    size_t max);
/*
 * The transfer of e through m (whose cache keeps the connection), so that
 * what the callbacks queued (*queued set) is flushed (flush(arg): 0, or
 * -1 and *cut set) only when libcurl is about to wait: an answer that
 * comes at once leaves in one write with its end.  The call's CURLcode.
 */
CURLcode	 sg_relay_perform(CURLM *m, CURL *e, int *queued,
		    int (*flush)(void *), void *arg, int *cut);

/* Every copy of value (NUL-terminated; empty masks nothing) in buf. */
void		 sg_mask(char *buf, size_t len, const char *value);

#endif
