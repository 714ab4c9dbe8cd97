/* SPDX-License-Identifier: ISC */
/*
 * P-256 keys and key sets.  A key is a P-256 EC key, private (can sign
 * and verify) or public (verify only); any other curve or key type is
 * refused on load.  Its kid is the RFC 7638 JWK thumbprint of the public
 * key (base64url of SHA-256 over {"crv","kty","x","y"}) unless a JWK
 * carried its own kid.  A key set holds several public keys, selected by
 * kid, so that keys can be rotated with overlap.
 */
#ifndef SG_KEYS_H
#define SG_KEYS_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "sgerr.h"

#define SG_KID_MAX	128	/* longest kid accepted anywhere */
#define SG_KEYSET_MAX	16	/* keys in one verification set */
#define SG_KEYFILE_MAX	(64 * 1024)

struct sg_key;
struct sg_keyset;

/* A fresh P-256 private key. */
enum sg_rc	 sg_key_generate(struct sg_key **, struct sg_err *);
/* PEM: "PRIVATE KEY", "EC PRIVATE KEY" or "PUBLIC KEY"; P-256 only. */
enum sg_rc	 sg_key_from_pem(const char *buf, size_t len, struct sg_key **,
		    struct sg_err *);
/*
 * A whole regular file of at most SG_KEYFILE_MAX bytes in a NUL-terminated
 * malloc'd buffer (*len bytes read, *size allocated: wipe it with
 * sg_cleanse before free).
 */
enum sg_rc	 sg_key_read_file(const char *path, char **out, size_t *len,
		    size_t *size, struct sg_err *);
enum sg_rc	 sg_key_load_pem(const char *path, struct sg_key **,
		    struct sg_err *);
/*
 * The private key a service signs with: sg_key_load_pem, then refused
 * unless it is a private key in a regular file that no other user can
 * read or write (mode & 0007 == 0) and its group cannot write.  Group
 * read is allowed (a key shared with the service's group, 0640).
 */
enum sg_rc	 sg_key_load_signing(const char *path, struct sg_key **,
		    struct sg_err *);
/* DER SubjectPublicKeyInfo. */
enum sg_rc	 sg_key_from_spki(const uint8_t *der, size_t len,
		    struct sg_key **, struct sg_err *);
/*
 * A public JWK: kty "EC", crv "P-256", x and y of 32 bytes each, a point
 * on the curve; "use" other than "sig" or "key_ops" without "verify" is
 * refused (Wycheproof ec_key_for_encryption); a "d" member is ignored.
 */
enum sg_rc	 sg_key_from_jwk(const cJSON *, struct sg_key **,
		    struct sg_err *);
void		 sg_key_free(struct sg_key *);

const char	*sg_key_kid(const struct sg_key *);
int		 sg_key_is_private(const struct sg_key *);
/* A new key holding only the public half of k. */
enum sg_rc	 sg_key_public(const struct sg_key *k, struct sg_key **,
		    struct sg_err *);
/* The public JWK {kty,crv,x,y,kid,use:"sig",alg:"ES256"}; NULL on ENOMEM. */
cJSON		*sg_key_jwk(const struct sg_key *);
/*
 * PEM text of the private (if private != 0) or public key; malloc'd.  A
 * private key's text is secret: sg_cleanse it before free.
 */
char		*sg_key_pem(const struct sg_key *, int private);
/* Write PEM to path with the given mode (O_EXCL not used; replaces). */
enum sg_rc	 sg_key_write_pem(const struct sg_key *, int private,
		    const char *path, mode_t, struct sg_err *);

struct sg_keyset *sg_keyset_new(void);
void		 sg_keyset_free(struct sg_keyset *);
/* Takes ownership of k (also on error).  A duplicate kid is SG_EINVAL. */
enum sg_rc	 sg_keyset_add(struct sg_keyset *, struct sg_key *k,
		    struct sg_err *);
/*
 * Load a comma-separated list of files, each a PEM key (private keys
 * contribute their public half) or a JWKS {"keys":[...]}.
 */
enum sg_rc	 sg_keyset_load(const char *paths, struct sg_keyset **,
		    struct sg_err *);
/* Parse a JWKS document into ks. */
enum sg_rc	 sg_keyset_add_jwks(struct sg_keyset *ks, const char *buf,
		    size_t len, struct sg_err *);
size_t		 sg_keyset_count(const struct sg_keyset *);
const struct sg_key *sg_keyset_at(const struct sg_keyset *, size_t);
/* Exact kid match; NULL when absent. */
const struct sg_key *sg_keyset_find(const struct sg_keyset *, const char *kid);
/* {"keys":[public JWKs]}; NULL on ENOMEM. */
cJSON		*sg_keyset_jwks(const struct sg_keyset *);

#endif
