/* SPDX-License-Identifier: ISC */
/*
 * FastCGI responses, built by handlers and serialised by sg_serve.
 *
 * Responses always carry an explicit Status (a FastCGI reply without one
 * means 200); a response whose status was never set goes out as a 500.
 * Header values never contain CR, LF, NUL or another control character
 * but HTAB: a value with one is dropped and the response becomes a 500
 * (so does a header named "Status", or one past SG_RESP_MAX_HEADERS).
 * JSON bodies get "Cache-Control: no-store" unless the handler set its
 * own Cache-Control, and every 503 gets Retry-After.
 */
#ifndef SG_RESPONSE_H
#define SG_RESPONSE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "sgerr.h"

#define SG_RESP_MAX_HEADERS	16

struct sg_resp {
	int		 status;
	size_t		 nhdr;
	char		*hdr[SG_RESP_MAX_HEADERS];	/* "Name: value" */
	char		*body;
	size_t		 bodylen;
	int		 failed;	/* a header was refused: sent as 500 */
	/*
	 * Streaming (sg_resp_stream_*): put queues bytes for the client
	 * (written when the queue is full), flush writes what is queued;
	 * both set by sg_serve (NULL in unit tests: the stream is then kept
	 * in body).  streamed once the status and headers were queued,
	 * aborted when the request is to be cut off without an end (the
	 * web server then drops the client's connection).
	 */
	int		(*put)(void *, const char *, size_t);
	int		(*flush)(void *);
	void		*putctx;
	int		 streamed;
	int		 aborted;
};

void		 sg_resp_init(struct sg_resp *);
void		 sg_resp_clear(struct sg_resp *);
/* Add a header; -1 (and status 500) if the value has CR, LF or NUL. */
int		 sg_resp_header(struct sg_resp *, const char *name,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/*
 * Queue the status and headers (resp->body must be NULL); then each
 * sg_resp_stream_write queues the next piece.  What is queued goes to
 * the client when the queue is full, at sg_resp_stream_flush, and with
 * the request's end, so that an answer produced at once leaves in one
 * write: call sg_resp_stream_flush before waiting for more.  -1 when
 * the client cannot be written to.  After the start a failure can only
 * be sg_resp_stream_abort: the request ends without its end record.
 */
int		 sg_resp_stream_start(struct sg_resp *);
int		 sg_resp_stream_write(struct sg_resp *, const char *, size_t);
int		 sg_resp_stream_flush(struct sg_resp *);
void		 sg_resp_stream_abort(struct sg_resp *);
/* Status plus a JSON body; consumes body (may be NULL for no body). */
void		 sg_resp_json(struct sg_resp *, int status, cJSON *body);
/* {"error":code,"message":...}; 503 answers also get Retry-After. */
void		 sg_resp_error(struct sg_resp *, int status, const char *code,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* sg_resp_error from a library error, status by sg_rc_http(). */
void		 sg_resp_from_err(struct sg_resp *, const struct sg_err *);
/*
 * A failed session-store (Redis) call, without its details: 500
 * out_of_memory, 503 redis_unavailable when Redis is down or slow (fail
 * closed, Retry-After), else 502 bad_gateway.
 */
void		 sg_resp_store_error(struct sg_resp *, const struct sg_err *);
/* 405 with Allow. */
void		 sg_resp_method(struct sg_resp *, const char *allow);
/* The whole FastCGI stdout text ("Status: ...\r\n...\r\n\r\nbody"). */
char		*sg_resp_serialize(const struct sg_resp *, size_t *len);
/*
 * A fixed 500 with a JSON body, for when a response cannot be built or
 * serialised at all (static storage; *len set to its length).
 */
const char	*sg_resp_broken(size_t *len);

#endif
