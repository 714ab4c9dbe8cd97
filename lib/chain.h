/* SPDX-License-Identifier: ISC */
/*
 * Chained, signed per-sandbox audit trails (docs/contract.md §7.4).
 *
 * Every entry of sandgate:audit:<container_id> carries three fields the
 * writer does not choose freely:
 *
 *   digest  lowercase hex SHA-256 of the entry's canonical form: its
 *           other fields (all but seq, prev, digest) sorted by name in
 *           byte order, each written as name, a NUL byte, value, a NUL
 *           byte (names and values never hold NUL: Redis strings are
 *           read as C strings here).  The writer computes it.
 *   seq     1, 2, 3, ... in the order Redis appended the entries.
 *   prev    the digest of entry seq - 1 (64 zeros for seq 1).
 *
 * seq and prev are set by Redis itself: entries are appended by a Lua
 * script (sg_chain_script) that reads the stream's last entry and adds
 * the new ones (a writer's batch) in the same atomic step, so writers in
 * any number of processes and nodes form one linear sequence without a
 * round trip (the audit sender stays fire-and-forget).  Redis 7's Lua
 * offers only SHA-1, so the script hashes nothing: the chain value is
 * computed by whoever reads the trail,
 *
 *   head_0 = 32 zero bytes, head_n = SHA-256(head_{n-1} || digest_n)
 *
 * (raw 32-byte values), which commits to every entry's content and to
 * their order.  A seal (event "trail_sealed") is an entry whose "jws"
 * is an ES256 JWS, kid of the signing key, over {"iss":"sandgate",
 * "sub":<container_id>, "audit_seq":n, "audit_head":hex(head_n),
 * "final":bool, "iat":...}: the n entries before it are signed.  After
 * a final seal (at destroy or reap) the script appends nothing more, so
 * an entry found after one was added around the script.
 */
#ifndef SG_CHAIN_H
#define SG_CHAIN_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "keys.h"
#include "redis.h"
#include "sgerr.h"

#define SG_CHAIN_HEX	65		/* 64 hex digits and a NUL */
#define SG_CHAIN_ZERO \
	"0000000000000000000000000000000000000000000000000000000000000000"
#define SG_CHAIN_EVENT_SEAL	"trail_sealed"
#define SG_CHAIN_READ_MAX	20000	/* entries read for a verify */
#define SG_CHAIN_SEAL_TRIES	8	/* appends raced by other writers */

/*
 * Appends entries to sandboxes' streams, in order.  KEYS: the streams.
 * ARGV: maxlen, ttl, the expected seq of the last entry of KEYS[1] (""
 * for any), then per entry: the index of its stream in KEYS (1-based),
 * its digest, n, then n name/value pairs.  Returns -1 (nothing
 * appended) when the expected seq was given and is not KEYS[1]'s, else
 * the number of entries appended (none to a stream closed by a final
 * seal; 0 when an expected seq was given and KEYS[1] is closed).
 */
extern const char sg_chain_script[];

/* A field name the chain reserves (the writer must drop it). */
int		 sg_chain_reserved(const char *name);
/*
 * digest of n name/value pairs (names distinct, not reserved) into hex;
 * SG_ENOMEM or SG_EINVAL.
 */
enum sg_rc	 sg_chain_digest(const char **names, const char **values,
		    size_t n, char hex[SG_CHAIN_HEX], struct sg_err *);

struct sg_chain_result {
	size_t		 records;	/* entries checked */
	size_t		 sealed_seq;	/* entries covered by the last seal */
	int		 sealed;	/* a seal verified */
	int		 final;		/* the last seal is final */
	char		 bad_id[64];	/* stream id of the first bad entry */
	size_t		 bad_index;	/* its position, 1-based */
	char		 what[256];	/* one line: what is wrong / what is ok */
};

#define SG_CHAIN_UNSEALED_OK	0x01	/* entries after the last seal ok */
#define SG_CHAIN_WANT_FINAL	0x02	/* the trail must end in a final seal */
#define SG_CHAIN_NO_CHECK	0x04	/* for tests: skip every check */

/*
 * Check a trail: entries oldest first, each {"id", "fields": {strings}}
 * (sg_audit_trail, sg_chain_parse_lines).  SG_OK when intact; SG_EAUTH
 * with res naming the first bad entry; other codes for bad arguments or
 * memory.  keys: the public keys (JWKS) the seals must verify under.
 */
enum sg_rc	 sg_chain_verify(const cJSON *entries, const char *cid,
		    const struct sg_keyset *keys, int flags,
		    struct sg_chain_result *, struct sg_err *);
/* head_n of the first n entries (recomputed digests), hex. */
enum sg_rc	 sg_chain_head(const cJSON *entries, size_t n,
		    char hex[SG_CHAIN_HEX], struct sg_err *);
/*
 * A JSON-lines export (one entry per line, as sg_chain_verify takes
 * them) parsed back; at most SG_CHAIN_READ_MAX lines.
 */
enum sg_rc	 sg_chain_parse_lines(const char *buf, size_t len,
		    cJSON **entries, struct sg_err *);
/* The export: one compact JSON object per line; malloc'd, NULL ENOMEM. */
char		*sg_chain_export(const cJSON *entries, size_t *len);
/*
 * Sign the head of cid's trail with key and append the seal (final:
 * nothing is appended after it).  reason: "sandbox_destroyed",
 * "sandbox_reaped", "on_demand"...  SG_ENOENT when the trail is empty
 * or gone; SG_OK also when it already ends in a final seal.  ttl: the
 * trail's expiry in seconds from now.
 */
enum sg_rc	 sg_chain_seal(struct sg_redis *, const struct sg_key *,
		    const char *cid, const char *service, const char *reason,
		    int final, struct sg_err *);

#endif
