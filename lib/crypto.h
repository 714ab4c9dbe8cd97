/* SPDX-License-Identifier: ISC */
/*
 * Small cryptographic utilities on OpenSSL: randomness, SHA-256,
 * constant-time comparison, wiping.  Kept apart from jwt.c/keys.c so that
 * the services can use them without touching OpenSSL types.
 */
#ifndef SG_CRYPTO_H
#define SG_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "sgerr.h"

/* Length of a container id: "sandbox_" + 22 base64url chars (16 bytes). */
#define SG_CONTAINER_ID_LEN	30
/* Length of a jti: 22 base64url chars (16 random bytes). */
#define SG_JTI_LEN		22

enum sg_rc	 sg_random(void *, size_t, struct sg_err *);
/* Write "sandbox_" + 22 random base64url chars and a NUL into buf. */
enum sg_rc	 sg_random_container_id(char *buf, size_t size, struct sg_err *);
/* Write 22 random base64url chars and a NUL into buf. */
enum sg_rc	 sg_random_jti(char *buf, size_t size, struct sg_err *);
void		 sg_sha256(const void *, size_t, uint8_t out[32]);
/* Lowercase hex of SHA-256(data); out holds 65 bytes. */
void		 sg_sha256_hex(const void *, size_t, char out[65]);
/*
 * Lowercase hex of SHA-1(data); out holds 41 bytes.  Only for names that
 * others define by SHA-1 (a Redis script's EVALSHA name), never for
 * integrity.
 */
void		 sg_sha1_hex(const void *, size_t, char out[41]);
/* Constant-time equality of two buffers of the same length. */
int		 sg_memeq(const void *, const void *, size_t);
/* Constant-time equality of two NUL-terminated strings (length leaks). */
int		 sg_streq(const char *, const char *);
void		 sg_cleanse(void *, size_t);

#endif
