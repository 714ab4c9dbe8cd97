/*
 * FastCGI requests and responses, and the accept loop every service runs.
 * Only http.c includes libfcgi: handlers see struct sg_req / sg_resp, so
 * unit tests build requests by hand (sg_req_init) and never need sockets.
 *
 * Paths: lighttpd, nginx and Apache fill SCRIPT_NAME/PATH_INFO each in
 * its own way (notes/web-servers.md), but all three pass the client's
 * REQUEST_URI.  sg_req_init takes the path from REQUEST_URI (up to '?'),
 * falling back to SCRIPT_NAME + PATH_INFO, and refuses paths that are not
 * origin-form, hold '%', "//", "/./", "/../" or control bytes; proxy
 * requests (absolute-form or CONNECT) keep path NULL and raw_uri set.
 *
 * Responses always carry an explicit Status (a FastCGI reply without one
 * means 200); a response whose status was never set goes out as a 500.
 * Header values never contain CR, LF, NUL or another control character
 * but HTAB: a value with one is dropped and the response becomes a 500
 * (so does a header named "Status", or one past SG_RESP_MAX_HEADERS).
 * JSON bodies get "Cache-Control: no-store" unless the handler set its
 * own Cache-Control, and every 503 gets Retry-After.
 *
 * Identity: the authorizer (token-verify) hands verified facts to the
 * backends as the CGI params SG_KIND ("operator" or "container"),
 * SG_SUB, SG_SCOPE (space-separated) and SG_CONTAINER_ID (lighttpd and
 * Apache: from Variable-SG_*; nginx: fastcgi_param with the same names).
 * Backends trust nothing else.  An absent or empty SG_KIND means the
 * request did not pass the authorizer: sg_req_auth answers 401.
 */
#ifndef SG_HTTP_H
#define SG_HTTP_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "sgerr.h"

#define SG_HTTP_MAX_BODY	(64 * 1024)
#define SG_HTTP_MAX_PATH	1024
#define SG_RESP_MAX_HEADERS	16

struct sg_req {
	char		**env;		/* "NAME=value", NULL-terminated */
	const char	 *method;	/* REQUEST_METHOD, "" if absent */
	const char	 *raw_uri;	/* REQUEST_URI, "" if absent */
	const char	 *path;		/* normalised origin-form path or NULL */
	const char	 *query;	/* QUERY_STRING or "" */
	int		  authorizer;	/* FCGI_ROLE=AUTHORIZER */
	char		 *body;		/* NUL-terminated copy, or NULL */
	size_t		  bodylen;
	char		  pathbuf[SG_HTTP_MAX_PATH + 1];
};

struct sg_resp {
	int		 status;
	size_t		 nhdr;
	char		*hdr[SG_RESP_MAX_HEADERS];	/* "Name: value" */
	char		*body;
	size_t		 bodylen;
	int		 failed;	/* a header was refused: sent as 500 */
};

/*
 * Fill req from env (not copied: it must outlive req) and a body (copied).
 * SG_EINVAL "bad_path" when the path is not acceptable.
 */
enum sg_rc	 sg_req_init(struct sg_req *, char **env, const char *body,
		    size_t bodylen, struct sg_err *);
void		 sg_req_clear(struct sg_req *);
/*
 * CONTENT_LENGTH read strictly (RFC 3875 4.1.2): absent or "" is 0,
 * else decimal digits only (no sign, space or exponent).  SG_EINVAL
 * "bad_content_length" when malformed, SG_ETOOBIG "payload_too_large"
 * when over max.  sg_serve applies it before reading any body.
 */
enum sg_rc	 sg_req_content_length(const char *s, size_t max, size_t *len,
		    struct sg_err *);
/*
 * A CGI parameter ("HTTP_AUTHORIZATION"), or NULL.  A name present twice
 * with different values is ambiguous and also NULL.
 */
const char	*sg_req_param(const struct sg_req *, const char *name);
/*
 * The body as a JSON object, after checking CONTENT_TYPE is
 * application/json (415 otherwise) and the JSON is strict (400).  On
 * failure resp holds the error and NULL is returned.
 */
cJSON		*sg_req_json(const struct sg_req *, struct sg_resp *);
/*
 * The value of one query parameter, percent-decoded ('+' is a space),
 * into buf.  Returns 1 if found, 0 if absent, -1 if malformed (anywhere
 * in the query), duplicated (names compared decoded), holding a control
 * byte (%00 included) or too long.
 */
int		 sg_req_query(const struct sg_req *, const char *name,
		    char *buf, size_t size);
/*
 * Require a verified identity: SG_KIND present (else 401 with
 * WWW-Authenticate), equal to kind when kind is not NULL (else 403), and
 * scope in SG_SCOPE when scope is not NULL (else 403
 * "insufficient_scope").  Returns 0 when allowed, else -1 with resp set.
 */
int		 sg_req_auth(const struct sg_req *, struct sg_resp *,
		    const char *kind, const char *scope);
/* 1 if scope is one of the space-separated words of list. */
int		 sg_scope_has(const char *list, const char *scope);

void		 sg_resp_init(struct sg_resp *);
void		 sg_resp_clear(struct sg_resp *);
/* Add a header; -1 (and status 500) if the value has CR, LF or NUL. */
int		 sg_resp_header(struct sg_resp *, const char *name,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Status plus a JSON body; consumes body (may be NULL for no body). */
void		 sg_resp_json(struct sg_resp *, int status, cJSON *body);
/* {"error":code,"message":...}; 503 answers also get Retry-After. */
void		 sg_resp_error(struct sg_resp *, int status, const char *code,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* sg_resp_error from a library error, status by sg_rc_http(). */
void		 sg_resp_from_err(struct sg_resp *, const struct sg_err *);
/* 405 with Allow. */
void		 sg_resp_method(struct sg_resp *, const char *allow);
/* The whole FastCGI stdout text ("Status: ...\r\n...\r\n\r\nbody"). */
char		*sg_resp_serialize(const struct sg_resp *, size_t *len);

typedef void	(*sg_handler)(void *app, struct sg_req *, struct sg_resp *);

/*
 * Run the FastCGI accept loop until SIGTERM/SIGINT/SIGUSR1 (the request
 * in flight is finished first).  listen: NULL or "" to use an inherited socket on
 * fd 0 (spawn-fcgi, lighttpd bin-path, systemd StandardInput=socket),
 * else "unix:/path", "/path" or "host:port" ("127.0.0.1:9000",
 * "[::1]:9000").  A unix socket gets mode 0660, or the octal
 * SANDGATE_SOCKET_MODE; a stale socket file is replaced, a live one is
 * an error.  One request at a time: run several processes to scale
 * (spawn-fcgi -F, several units; not several processes on one
 * SANDGATE_SOCKET path).  Bodies over max_body are answered 413 without
 * being read.  SIGHUP does not stop the loop (see sg_serve_hup); SIGPIPE
 * is ignored.  Returns 0 on a clean stop, -1 if the socket could not be
 * opened (err says why, naming SANDGATE_SOCKET where it applies).
 */
int		 sg_serve(const char *listen, size_t max_body, sg_handler,
		    void *app, struct sg_err *);
/* 1 once after each SIGHUP (for reloads), else 0. */
int		 sg_serve_hup(void);

#endif
