/* SPDX-License-Identifier: ISC */
/*
 * A scripted fake server on a unix socket for the wire-level fuzz targets
 * (Docker answers through libcurl, Redis replies through hiredis).  A
 * thread accepts connections; each time the client has sent one whole
 * request (HTTP/1.1 head plus Content-Length body, or one or more RESP
 * commands), it writes the next chunk of the script.  After the last
 * chunk it shuts its side down, so a client waiting for more sees EOF,
 * and every later request gets EOF at once.  The script is shared by the
 * connections of one test input, in order.
 */
#ifndef SG_FUZZ_FAKESRV_H
#define SG_FUZZ_FAKESRV_H

#include <stddef.h>
#include <stdint.h>

enum fz_proto {
	FZ_HTTP,
	FZ_RESP
};

#define FZ_SRV_CHUNKS	16

/* Start the thread; the socket lives in a fresh temporary directory. */
void		 fz_srv_start(enum fz_proto);
const char	*fz_srv_path(void);
/*
 * The script for the next requests: n chunks (copied).  Wait for the
 * previous script's connections to end first.
 */
void		 fz_srv_script(const uint8_t *const *chunk, const size_t *len,
		    size_t n);
/*
 * Split an input into chunks at each separator sep (not included); at
 * most FZ_SRV_CHUNKS.  Returns the count.
 */
size_t		 fz_split(const uint8_t *d, size_t n, const char *sep,
		    const uint8_t **chunk, size_t *len);

#endif
