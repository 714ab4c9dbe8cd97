/* SPDX-License-Identifier: ISC */
/*
 * FastCGI requests as handlers see them.  Handlers get a struct sg_req
 * and fill a struct sg_resp (response.h); unit tests build requests by
 * hand (sg_req_init) and never need sockets or libfcgi.
 *
 * Paths: lighttpd, nginx and Apache fill SCRIPT_NAME/PATH_INFO each in
 * its own way, but all three pass the client's REQUEST_URI.  sg_req_init
 * takes the path from REQUEST_URI (up to '?'), falling back to
 * SCRIPT_NAME + PATH_INFO, and refuses paths that are not origin-form,
 * hold '%', "//", "/./", "/../" or control bytes; proxy requests
 * (absolute-form or CONNECT) keep path NULL and raw_uri set.
 *
 * Identity: the authorizer (token-verify) hands verified facts to the
 * backends as the CGI params SG_KIND ("operator" or "container"),
 * SG_SUB, SG_SCOPE (space-separated) and SG_CONTAINER_ID (lighttpd and
 * Apache: from Variable-SG_*; nginx: fastcgi_param with the same names).
 * Backends trust nothing else.  An absent or empty SG_KIND means the
 * request did not pass the authorizer: sg_req_auth answers 401.
 */
#ifndef SG_REQUEST_H
#define SG_REQUEST_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "response.h"
#include "sgerr.h"

#define SG_HTTP_MAX_BODY	(64 * 1024)
#define SG_HTTP_MAX_PATH	1024

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

/* What a service runs for each request (sg_serve in serve.h calls it). */
typedef void	(*sg_handler)(void *app, struct sg_req *, struct sg_resp *);

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
 * The value of name in a raw environment ("NAME=value", NULL-terminated),
 * or NULL; *conflict is set when name appears more than once with
 * different values (sg_req_param answers NULL then).  For sg_serve,
 * which must tell "absent" from "given twice" before a request exists.
 */
const char	*sg_req_env_get(char *const *env, const char *name,
		    int *conflict);
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
/* 1 for GET or HEAD (RFC 9110 9.3.2: HEAD is GET without the body). */
int		 sg_req_is_get(const struct sg_req *);
/* 1 if scope is one of the space-separated words of list. */
int		 sg_scope_has(const char *list, const char *scope);

#endif
