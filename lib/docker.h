/* SPDX-License-Identifier: ISC */
/*
 * A small Docker Engine API client on libcurl over the daemon's unix
 * socket (SANDGATE_DOCKER_SOCKET), or over TCP with TLS client
 * certificates (a tcp:// entry of SANDGATE_DOCKER_HOSTS, lib/engines.h).
 * Only docker.c includes libcurl.
 *
 * Every path is pinned to API v1.41 (Docker 20.10, Debian 12's docker.io)
 * so that the daemon never silently reinterprets a field; a field newer
 * than that version would be ignored, which is why sandbox-create inspects
 * what it created (docs/security.md 6.4).
 *
 * Every call has a total timeout (a stop gets its grace period on top),
 * response bodies are capped at SG_DOCKER_MAX_BODY, and JSON answers are
 * parsed with sg_json_parse.  Errors are classified:
 *
 *   socket missing, connection refused	SG_EUNAVAIL  "docker_unavailable"
 *   no answer within the timeout		SG_ETIMEOUT  "docker_timeout"
 *   404					SG_ENOENT    "docker_not_found"
 *   409					SG_ECONFLICT "docker_conflict"
 *   other 4xx				SG_EINVAL    "docker_bad_request"
 *   5xx, oversize or garbled answers	SG_EUPSTREAM "docker_error"
 *   TLS handshake or certificate failed	SG_EUPSTREAM "docker_tls_failed"
 *
 * with the daemon's own "message" kept in err->msg for the log (never
 * for a client: it may name host paths).  304 ("already started",
 * "already stopped") counts as success for start and stop.
 *
 * One struct sg_docker holds one libcurl handle, so consecutive calls
 * reuse the connection; it is not thread-safe (one per FastCGI worker).
 */
#ifndef SG_DOCKER_H
#define SG_DOCKER_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "sgerr.h"

#define SG_DOCKER_API		"v1.41"
#define SG_DOCKER_MAX_BODY	(1024 * 1024)	/* bytes of one answer */
#define SG_DOCKER_ID_MAX	64		/* a full container id */
#define SG_DOCKER_STOP_GRACE	5		/* s, docs/contract.md §6.4 */
#define SG_DOCKER_DEFAULT_SOCKET "/var/run/docker.sock"

/*
 * The labels sandbox-create puts on a sandbox; sandbox-destroy and
 * `sandgate reap` find and trust a container only by them.
 */
#define SG_LABEL_CONTAINER_ID	"sandgate.container_id"
#define SG_LABEL_USER_ID	"sandgate.user_id"
#define SG_LABEL_EXPIRES_AT	"sandgate.expires_at"

struct sg_docker;

/*
 * A client for the daemon on socket_path; timeout_s (>= 1) bounds every
 * call.  Does not connect yet.
 */
enum sg_rc	 sg_docker_new(const char *socket_path, int timeout_s,
		    struct sg_docker **, struct sg_err *);
/*
 * A client for a daemon listening on TCP (hostport "127.0.0.1:2376") with
 * TLS as Docker's own --tlsverify: the daemon's certificate is checked
 * against certdir/ca.pem alone, with its name or address; the client
 * presents certdir/cert.pem and certdir/key.pem.  Plain TCP is never
 * spoken: it would give root on the engine to anyone who can reach it.
 * The files are read at each connection (a renewed certificate is used
 * on the next one).
 */
enum sg_rc	 sg_docker_new_tls(const char *hostport, const char *certdir,
		    int timeout_s, struct sg_docker **, struct sg_err *);
void		 sg_docker_free(struct sg_docker *);
/* The endpoint for messages: the socket path or "tcp://host:port". */
const char	*sg_docker_where(const struct sg_docker *);

/*
 * One raw call: method and a path below /v1.41 ("/containers/json?all=1"),
 * with an optional JSON body.  *status gets the HTTP status; *out (if not
 * NULL) the parsed answer when there is one (the caller frees it).  Status
 * 2xx (and 304) is SG_OK; everything else is classified as above.  The
 * timeout is the client's plus extra_s.
 */
enum sg_rc	 sg_docker_call(struct sg_docker *, const char *method,
		    const char *path, const cJSON *body, int extra_s,
		    long *status, cJSON **out, struct sg_err *);

/* GET /_ping: SG_OK when the daemon answers. */
enum sg_rc	 sg_docker_ping(struct sg_docker *, struct sg_err *);
/*
 * Whether the daemon has the runtime registered (GET /info, "Runtimes").
 * SG_OK if so; SG_ENOENT "runtime_unavailable" if the daemon answered
 * without it; other codes when the daemon did not answer.
 */
enum sg_rc	 sg_docker_runtime_check(struct sg_docker *,
		    const char *runtime, struct sg_err *);
/*
 * GET /images/{name}/json.  SG_ENOENT "image_unavailable" for an image the
 * daemon does not have: sandgate never pulls.  out may be NULL.
 */
enum sg_rc	 sg_docker_image_inspect(struct sg_docker *,
		    const char *image, cJSON **out, struct sg_err *);

/*
 * POST /containers/create?name=<name>.  On SG_OK the full id is in id
 * (size >= SG_DOCKER_ID_MAX + 1) and *warnings (if not NULL) holds the
 * daemon's "Warnings" array or NULL when it had none.
 */
enum sg_rc	 sg_docker_container_create(struct sg_docker *,
		    const char *name, const cJSON *config, char *id,
		    size_t size, cJSON **warnings, struct sg_err *);
/* POST /containers/{id}/start; "already started" (304) is SG_OK. */
enum sg_rc	 sg_docker_container_start(struct sg_docker *, const char *id,
		    struct sg_err *);
/* GET /containers/{id}/json; the caller frees *out. */
enum sg_rc	 sg_docker_container_inspect(struct sg_docker *,
		    const char *id, cJSON **out, struct sg_err *);
/*
 * POST /containers/{id}/stop?t=<grace>; "already stopped" (304) is SG_OK.
 * The HTTP timeout is the client's plus the grace.
 */
enum sg_rc	 sg_docker_container_stop(struct sg_docker *, const char *id,
		    int grace_s, struct sg_err *);
/* DELETE /containers/{id}?force=&v=. */
enum sg_rc	 sg_docker_container_remove(struct sg_docker *,
		    const char *id, int force, int volumes, struct sg_err *);
/*
 * GET /containers/json?all=1&filters={"label":[label]}: every container
 * (running or not) carrying the label ("key" or "key=value").  *out is
 * the daemon's array; the caller frees it.
 */
enum sg_rc	 sg_docker_container_list(struct sg_docker *,
		    const char *label, cJSON **out, struct sg_err *);
/*
 * GET /networks/{net}: SG_OK when a network of exactly that name exists;
 * SG_ENOENT "network_unavailable" when the daemon has none (an id prefix
 * that matches another network does not count); other codes when the
 * daemon did not answer.
 */
enum sg_rc	 sg_docker_network_inspect(struct sg_docker *,
		    const char *net, struct sg_err *);
/* POST /networks/{net}/connect {"Container": id}. */
enum sg_rc	 sg_docker_network_connect(struct sg_docker *,
		    const char *net, const char *id, struct sg_err *);

/*
 * Names passed to the calls above are checked first: ids and names are
 * ^[A-Za-z0-9_.-]{1,128}$ (no '/' or '?' can reach a URL); images may
 * also hold ':', '/' and '@'.  SG_EINVAL "bad_docker_name" otherwise.
 */
int		 sg_docker_name_valid(const char *);
int		 sg_docker_image_valid(const char *);

#endif
