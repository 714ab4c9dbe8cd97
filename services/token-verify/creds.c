/* SPDX-License-Identifier: ISC */
/*
 * token-verify: the credentials a request carries (RFC 6750 Bearer,
 * RFC 7617 Basic) and the comparison of client addresses.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "b64url.h"
#include "compat.h"
#include "crypto.h"
#include "request.h"
#include "sgerr.h"
#include "verify.h"
#include "verify-int.h"

/* ---- parsing ---------------------------------------------------------- */

static int
is_token_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

enum sg_rc
sg_verify_parse_bearer(const char *hdr, const char **tok, size_t *toklen,
    struct sg_err *err)
{
	size_t	 n, i;

	if (hdr == NULL || *hdr == '\0')
		return sg_err_set(err, SG_EAUTH, "missing_token",
		    "no bearer token");
	n = strlen(hdr);
	if (n > SG_VERIFY_MAX_AUTH)
		return sg_err_set(err, SG_EAUTH, "bad_authorization",
		    "authorization too long");
	/* RFC 6750 2.1: the scheme is case-insensitive; one SP follows. */
	if (n < 8 || strncasecmp(hdr, "Bearer", 6) != 0 || hdr[6] != ' ')
		return sg_err_set(err, SG_EAUTH, "bad_authorization",
		    "not a bearer credential");
	hdr += 7;
	n -= 7;
	/*
	 * One JWS compact token and nothing else: a second token, a comma
	 * (nginx joins duplicate headers with ", "), whitespace or padding
	 * all fall outside [A-Za-z0-9_.-] (docs/security.md E13/E14).
	 */
	for (i = 0; i < n; i++)
		if (!is_token_char((unsigned char)hdr[i]))
			return sg_err_set(err, SG_EAUTH, "bad_authorization",
			    "malformed bearer credential");
	*tok = hdr;
	*toklen = n;
	return SG_OK;
}

/* "container_<id>" and "jwt_<token>" out of user and password. */
static enum sg_rc
split_userpass(const char *user, size_t ulen, const char *pass, size_t plen,
    char cid[SG_ID_MAX + 1], const char **tok, size_t *toklen,
    struct sg_err *err)
{
	size_t	 plu = sizeof(PREFIX_USER) - 1, plp = sizeof(PREFIX_PASS) - 1;
	size_t	 idlen;

	if (ulen <= plu || memcmp(user, PREFIX_USER, plu) != 0)
		return sg_err_set(err, SG_EAUTH, "bad_credentials",
		    "user is not container_<id>");
	idlen = ulen - plu;
	if (idlen > SG_ID_MAX)
		return sg_err_set(err, SG_EAUTH, "bad_credentials",
		    "container id too long");
	memcpy(cid, user + plu, idlen);
	cid[idlen] = '\0';
	if (strlen(cid) != idlen || !sg_id_valid(cid))
		return sg_err_set(err, SG_EAUTH, "bad_credentials",
		    "bad container id");
	if (plen <= plp || memcmp(pass, PREFIX_PASS, plp) != 0)
		return sg_err_set(err, SG_EAUTH, "bad_credentials",
		    "password is not jwt_<token>");
	if (memchr(pass, '\0', plen) != NULL)
		return sg_err_set(err, SG_EAUTH, "bad_credentials",
		    "NUL in password");
	*tok = pass + plp;
	*toklen = plen - plp;
	return SG_OK;
}

enum sg_rc
sg_verify_parse_basic(const char *hdr, char *buf, size_t size,
    char cid[SG_ID_MAX + 1], const char **tok, size_t *toklen,
    struct sg_err *err)
{
	const char	*colon;
	size_t		 n, outlen = 0;

	if (hdr == NULL || *hdr == '\0')
		return sg_err_set(err, SG_EAUTH, "missing_credentials",
		    "no proxy credentials");
	n = strlen(hdr);
	if (n > SG_VERIFY_MAX_AUTH)
		return sg_err_set(err, SG_EAUTH, "bad_credentials",
		    "credentials too long");
	/* RFC 7617 2, RFC 9110 11.1: case-insensitive scheme, one SP. */
	if (n < 7 || strncasecmp(hdr, "Basic", 5) != 0 || hdr[5] != ' ')
		return sg_err_set(err, SG_EAUTH, "bad_credentials",
		    "not a Basic credential");
	hdr += 6;
	n -= 6;
	if (SG_B64URL_DECLEN(n) + 1 > size)
		return sg_err_set(err, SG_EAUTH, "bad_credentials",
		    "credentials too long");
	/* Strict: padding required, canonical bits, no whitespace. */
	if (sg_b64_decode(hdr, n, (uint8_t *)buf, size - 1, &outlen, NULL) !=
	    SG_OK)
		return sg_err_set(err, SG_EAUTH, "bad_credentials",
		    "bad base64 in credentials");
	buf[outlen] = '\0';
	if ((colon = memchr(buf, ':', outlen)) == NULL)
		return sg_err_set(err, SG_EAUTH, "bad_credentials",
		    "no ':' in credentials");
	return split_userpass(buf, (size_t)(colon - buf), colon + 1,
	    outlen - (size_t)(colon + 1 - buf), cid, tok, toklen, err);
}

int
sg_verify_addr_eq(const char *a, const char *b)
{
	uint8_t		 x[16], y[16];
	int		 fx, fy;
	static const uint8_t mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};
	const char	*s[2] = { a, b };
	uint8_t		*o[2] = { x, y };
	int		*f[2] = { &fx, &fy };
	int		 i;

	if (a == NULL || b == NULL || *a == '\0' || *b == '\0')
		return 0;
	for (i = 0; i < 2; i++) {
		if (inet_pton(AF_INET, s[i], o[i]) == 1) {
			*f[i] = AF_INET;
			continue;
		}
		if (inet_pton(AF_INET6, s[i], o[i]) != 1)
			return 0;
		/* ::ffff:a.b.c.d is the IPv4 address a.b.c.d */
		if (memcmp(o[i], mapped, sizeof(mapped)) == 0) {
			memmove(o[i], o[i] + 12, 4);
			*f[i] = AF_INET;
		} else
			*f[i] = AF_INET6;
	}
	if (fx != fy)
		return 0;
	return memcmp(x, y, fx == AF_INET ? 4 : 16) == 0;
}

/* Egress credentials: Proxy-Authorization, else REMOTE_USER/PASSWD. */
enum sg_rc
sg_verify_egress_creds(const struct sg_req *req, char *buf, size_t size,
    char cid[SG_ID_MAX + 1], const char **tok, size_t *toklen,
    struct sg_err *err)
{
	const char	*hdr, *user, *pass;
	size_t		 ulen, plen;

	hdr = sg_req_param(req, "HTTP_PROXY_AUTHORIZATION");
	if (hdr != NULL)
		return sg_verify_parse_basic(hdr, buf, size, cid, tok, toklen,
		    err);
	/* AuthType Basic: Apache decoded the header itself. */
	user = sg_req_param(req, "REMOTE_USER");
	pass = sg_req_param(req, "REMOTE_PASSWD");
	if (user == NULL || pass == NULL)
		return sg_err_set(err, SG_EAUTH, "missing_credentials",
		    "no proxy credentials");
	ulen = strlen(user);
	plen = strlen(pass);
	if (ulen + plen + 2 > size)
		return sg_err_set(err, SG_EAUTH, "bad_credentials",
		    "credentials too long");
	memcpy(buf, pass, plen + 1);
	return split_userpass(user, ulen, buf, plen, cid, tok, toklen, err);
}
