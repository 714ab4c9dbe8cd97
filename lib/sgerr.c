/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include "sgerr.h"

enum sg_rc
sg_err_set(struct sg_err *err, enum sg_rc rc, const char *code,
    const char *fmt, ...)
{
	va_list	 ap;

	if (err == NULL || err->rc != SG_OK)
		return rc;
	err->rc = rc;
	err->code = code != NULL ? code : sg_rc_str(rc);
	va_start(ap, fmt);
	(void)vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return rc;
}

void
sg_err_clear(struct sg_err *err)
{
	if (err == NULL)
		return;
	err->rc = SG_OK;
	err->code = NULL;
	err->msg[0] = '\0';
}

const char *
sg_rc_str(enum sg_rc rc)
{
	switch (rc) {
	case SG_OK:		return "ok";
	case SG_EINVAL:		return "invalid_request";
	case SG_EAUTH:		return "invalid_token";
	case SG_EPERM:		return "forbidden";
	case SG_ENOENT:		return "not_found";
	case SG_ECONFLICT:	return "conflict";
	case SG_ETOOBIG:	return "payload_too_large";
	case SG_EMEDIA:		return "unsupported_media_type";
	case SG_ELIMIT:		return "too_many_sandboxes";
	case SG_EUPSTREAM:	return "bad_gateway";
	case SG_EUNAVAIL:	return "unavailable";
	case SG_ETIMEOUT:	return "timeout";
	case SG_ENOMEM:		return "out_of_memory";
	case SG_EINTERNAL:	return "internal_error";
	}
	return "internal_error";
}

int
sg_rc_http(enum sg_rc rc)
{
	switch (rc) {
	case SG_OK:		return 200;
	case SG_EINVAL:		return 400;
	case SG_EAUTH:		return 401;
	case SG_EPERM:		return 403;
	case SG_ENOENT:		return 404;
	case SG_ECONFLICT:	return 409;
	case SG_ETOOBIG:	return 413;
	case SG_EMEDIA:		return 415;
	case SG_ELIMIT:		return 429;
	case SG_EUPSTREAM:	return 502;
	case SG_EUNAVAIL:	return 503;
	case SG_ETIMEOUT:	return 503;
	case SG_ENOMEM:
	case SG_EINTERNAL:	return 500;
	}
	return 500;
}

int
sg_rc_http_dep(enum sg_rc rc)
{
	switch (rc) {
	case SG_EUNAVAIL:
	case SG_ETIMEOUT:
		return 503;
	case SG_ENOMEM:
	case SG_EINTERNAL:
		return 500;
	default:
		return 502;
	}
}
