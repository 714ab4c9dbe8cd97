/* SPDX-License-Identifier: ISC */
/*
 * Compact JWS with ES256 only (RFC 7515, RFC 7518 3.4).  This layer checks
 * form, header and signature; claims are claims.c's business.
 *
 * Verification rules (docs/security.md section 2): at most SG_JWT_MAX_LEN
 * bytes of [A-Za-z0-9_.-], exactly three non-empty segments, strict
 * base64url, header a strict JSON object with alg exactly "ES256", no
 * crit/jku/x5u/jwk/x5c/x5t/x5t#S256/cty/zip/enc/b64 members, typ (when
 * present) "JWT", kid (when present) a short printable string that must
 * name a key of the set exactly; without kid only a set of one key is
 * used.  The signature is 64 bytes r||s with 1 <= r,s < n, verified over
 * the signing input exactly as received; high-S is accepted.
 */
#ifndef SG_JWT_H
#define SG_JWT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "sgerr.h"
#include "keys.h"

#define SG_JWT_MAX_LEN		8192
#define SG_ES256_SIGLEN		64

/* Raw ES256 over msg: SHA-256 then ECDSA P-256, r||s left-padded. */
enum sg_rc	 sg_es256_sign(const struct sg_key *, const void *msg,
		    size_t len, uint8_t sig[SG_ES256_SIGLEN], struct sg_err *);
/* SG_OK when sig (siglen bytes, must be 64) is valid for msg; SG_EAUTH not. */
enum sg_rc	 sg_es256_verify(const struct sg_key *, const void *msg,
		    size_t len, const uint8_t *sig, size_t siglen,
		    struct sg_err *);

/*
 * Sign a claims object as a compact JWS with header
 * {"alg":"ES256","typ":"JWT","kid":<kid of key>}.  *out is malloc'd.
 */
enum sg_rc	 sg_jwt_sign(const struct sg_key *, const cJSON *claims,
		    char **out, struct sg_err *);
/*
 * The length sg_jwt_sign would give claims under this key (the signature
 * has a fixed length), without signing; 0 on ENOMEM or bad arguments.
 */
size_t		 sg_jwt_sign_len(const struct sg_key *,
		    const cJSON *claims);
/*
 * Verify form, header and signature of tok (len bytes, not necessarily
 * NUL-terminated).  On SG_OK the caller owns *claims (the parsed, strict
 * payload object); *kid_out (if not NULL) points at the kid of the key
 * that verified, valid while the key set lives.  Errors are SG_EAUTH with
 * a reason code: "malformed_token", "bad_header", "unsupported_alg",
 * "unknown_kid", "bad_signature", "bad_payload" (or SG_ENOMEM).
 */
enum sg_rc	 sg_jwt_verify(const struct sg_keyset *, const char *tok,
		    size_t len, cJSON **claims, const char **kid_out,
		    struct sg_err *);
/*
 * The same checks without parsing the payload: on SG_OK *payload (if not
 * NULL) is the decoded payload, malloc'd and NUL-terminated after
 * *payloadlen bytes, for the caller to free.  For JWS test vectors whose
 * payload is not JSON; services use sg_jwt_verify.
 */
enum sg_rc	 sg_jwt_verify_raw(const struct sg_keyset *, const char *tok,
		    size_t len, uint8_t **payload, size_t *payloadlen,
		    const char **kid_out, struct sg_err *);

#endif
