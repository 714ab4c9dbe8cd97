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
 * means 200).  Header values never contain CR, LF or NUL: a value with
 * one is dropped and the response becomes a 500.
 */
#ifndef SG_HTTP_H
#define SG_HTTP_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "err.h"

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
};

/*
 * Fill req from env (not copied: it must outlive req) and a body (copied).
 * SG_EINVAL "bad_path" when the path is not acceptable.
 */
enum sg_rc	 sg_req_init(struct sg_req *, char **env, const char *body,
		    size_t bodylen, struct sg_err *);
void		 sg_req_clear(struct sg_req *);
/* A CGI parameter ("HTTP_AUTHORIZATION"), or NULL. */
const char	*sg_req_param(const struct sg_req *, const char *name);
/*
 * The body as a JSON object, after checking CONTENT_TYPE is
 * application/json (415 otherwise) and the JSON is strict (400).  On
 * failure resp holds the error and NULL is returned.
 */
cJSON		*sg_req_json(const struct sg_req *, struct sg_resp *);
/*
 * The value of one query parameter, percent-decoded, into buf.  Returns 1
 * if found, 0 if absent, -1 if malformed, duplicated or too long.
 */
int		 sg_req_query(const struct sg_req *, const char *name,
		    char *buf, size_t size);

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
 * Run the FastCGI accept loop until SIGTERM/SIGINT (the request in flight
 * is finished first).  listen: NULL or "" to use an inherited socket on
 * fd 0 (spawn-fcgi, lighttpd bin-path, systemd StandardInput=socket),
 * else "unix:/path", "/path" or "127.0.0.1:port".  Bodies over max_body
 * are answered 413 without being read.  Returns 0 on a clean stop, -1 if
 * the socket could not be opened (err says why).
 */
int		 sg_serve(const char *listen, size_t max_body, sg_handler,
		    void *app, struct sg_err *);
/* 1 once after each SIGHUP (for reloads), else 0. */
int		 sg_serve_hup(void);

#endif
