/* SPDX-License-Identifier: ISC */
/*
 * What jwt.c needs to see of a struct sg_key, and nobody else: the
 * OpenSSL key and its cached operation contexts.  Only keys.c and jwt.c
 * include this header.
 */
#ifndef SG_KEYS_INTERNAL_H
#define SG_KEYS_INTERNAL_H

#include <openssl/evp.h>

#include "keys.h"

/* The P-256 EVP_PKEY of a key; never NULL for a loaded key. */
EVP_PKEY	*sg_key_pkey(const struct sg_key *);
/* SHA-256, fetched once per key so that hot paths skip the lookup. */
const EVP_MD	*sg_key_md(const struct sg_key *);

/*
 * Borrow an EVP_PKEY_CTX already initialised for signing (sign != 0,
 * private keys only) or verifying with this key.  Setting up a context
 * costs about a fifth of an ECDSA P-256 signature (provider lookup and
 * allocation; bench/es256.sh), so every key keeps one of each.  If that
 * one is in use by another thread a fresh context is made instead.
 * NULL on failure.  Give it back with sg_key_ctx_put in every case.
 */
EVP_PKEY_CTX	*sg_key_ctx_get(const struct sg_key *, int sign);
void		 sg_key_ctx_put(const struct sg_key *, int sign,
		    EVP_PKEY_CTX *);

#endif
