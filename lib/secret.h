/* SPDX-License-Identifier: ISC */
/*
 * Secrets the sandbox never sees (docs/secrets.md): one credential
 * header for one host, sealed at rest with AES-256-GCM (NIST SP 800-38D)
 * under a key that only the writer and the broker hold.  The additional
 * data binds the container id, the name, the host and the header name,
 * so a ciphertext copied to another sandbox, another name or another
 * host does not open.
 *
 * The record stored in Redis (field <name> of the hash
 * sandgate:secrets:<container id>) is JSON:
 *   {"v":1,"kid":"<16 hex>","host":"h[:port]","header":"Name",
 *    "nonce":"<b64url 12 bytes>","ct":"<b64url ciphertext + 16-byte tag>"}
 * kid is the first 8 bytes of SHA-256(key) in hex: the broker picks the
 * key by it, so keys can be rotated (docs/secrets.md, "Key rotation").
 */
#ifndef SG_SECRET_H
#define SG_SECRET_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "hosts.h"
#include "sgerr.h"

#define SG_SECRET_NAME_MAX	32	/* ^[A-Z][A-Z0-9_]{0,31}$ */
#define SG_SECRET_HEADER_MAX	64	/* RFC 9110 5.1 token */
#define SG_SECRET_VALUE_MAX	4096	/* visible ASCII and SP/HTAB */
#define SG_SECRET_PER_SANDBOX	8
#define SG_SECRET_KEY_LEN	32
#define SG_SECRET_KID_LEN	16
#define SG_SECRET_KEYS_MAX	4
/* Longest stored record (value, base64url, JSON around it). */
#define SG_SECRET_REC_MAX	8192
#define SG_SECRET_HASH_PREFIX	"sandgate:secrets:"

struct sg_secret_key {
	char		 kid[SG_SECRET_KID_LEN + 1];
	uint8_t		 k[SG_SECRET_KEY_LEN];
};

struct sg_secret {
	char		 name[SG_SECRET_NAME_MAX + 1];
	char		 host[SG_HOST_MAX + 8];	/* name[:port] */
	char		 header[SG_SECRET_HEADER_MAX + 1];
	char		 value[SG_SECRET_VALUE_MAX + 1];	/* "" when not opened */
};

/* 1 when s is a secret name: ^[A-Z][A-Z0-9_]{0,31}$. */
int		 sg_secret_name_ok(const char *s);
/*
 * A key file: 64 hex digits (32 bytes) and an optional newline, nothing
 * else.  SG_EINVAL "bad_secret_key" otherwise; the buffer is wiped.
 */
enum sg_rc	 sg_secret_key_load(const char *path, struct sg_secret_key *,
		    struct sg_err *);
/* The same from 32 raw bytes (tests). */
void		 sg_secret_key_from_raw(const uint8_t k[SG_SECRET_KEY_LEN],
		    struct sg_secret_key *);
/* Name, host, header and value within the limits above; SG_EINVAL. */
enum sg_rc	 sg_secret_check(const struct sg_secret *, struct sg_err *);
/*
 * {"name","host","header","value"} (all strings, nothing else) into s,
 * checked.  SG_EINVAL with "bad_secret" and a sentence naming the field.
 */
enum sg_rc	 sg_secret_from_json(const cJSON *, struct sg_secret *,
		    struct sg_err *);
/* The host's port: the one after ':' or 443. */
unsigned	 sg_secret_port(const struct sg_secret *);
/*
 * Seal s for container cid under key: *rec is the malloc'd record
 * (NUL-terminated JSON, no plaintext in it).
 */
enum sg_rc	 sg_secret_seal(const struct sg_secret_key *, const char *cid,
		    const struct sg_secret *, char **rec, struct sg_err *);
/*
 * Open a record for cid and name with whichever of keys[0..n) has its
 * kid.  SG_EPERM "secret_unreadable" for a tampered record, another
 * sandbox's, another name's, or an unknown kid; SG_EINVAL "bad_secret"
 * for one that is not a record.  out->value is the plaintext: wipe out
 * with sg_cleanse when done.
 */
enum sg_rc	 sg_secret_open(const struct sg_secret_key *, size_t n,
		    const char *cid, const char *name, const char *rec,
		    size_t len, struct sg_secret *out, struct sg_err *);

/* Redis (secret-store.c): the hash sandgate:secrets:<cid>. */
struct sg_redis;
/*
 * HSET the record and give the hash ttl_s seconds (the session's).
 * SG_ELIMIT "too_many_secrets" when a new name would exceed
 * SG_SECRET_PER_SANDBOX.
 */
enum sg_rc	 sg_secret_put(struct sg_redis *, const char *cid,
		    const char *name, const char *rec, long ttl_s,
		    struct sg_err *);
/* HGET: *rec malloc'd; SG_ENOENT "secret_not_found". */
enum sg_rc	 sg_secret_get(struct sg_redis *, const char *cid,
		    const char *name, char **rec, size_t *len, struct sg_err *);
/* HDEL one name; SG_ENOENT when there was none. */
enum sg_rc	 sg_secret_del(struct sg_redis *, const char *cid,
		    const char *name, struct sg_err *);
/*
 * HGETALL: *out is a malloc'd array of {"name","host"} for the records
 * (the host as stored in each record; never a value, which is not in
 * the record in the clear anyway), sorted by name.  [] for none.
 */
enum sg_rc	 sg_secret_list(struct sg_redis *, const char *cid,
		    cJSON **out, struct sg_err *);
/* DEL the whole hash (the sandbox's teardown). */
enum sg_rc	 sg_secret_del_all(struct sg_redis *, const char *cid,
		    struct sg_err *);

#endif
