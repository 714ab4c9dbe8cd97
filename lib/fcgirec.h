/* SPDX-License-Identifier: ISC */
/*
 * How much of a FastCGI request a client has sent, read from a peek at
 * its socket (lib/serve.c serves a kept connection only once its request
 * is there, so a slow client holds no worker).  No libfcgi here.
 */
#ifndef SG_FCGIREC_H
#define SG_FCGIREC_H

#include <stddef.h>

enum sg_fcgi_sent {
	SG_FCGI_PART,	/* more must come before libfcgi can read it */
	SG_FCGI_WHOLE	/* a request's parameters are whole, or the bytes
			   are no request (libfcgi then fails it at once) */
};

/*
 * p, n: the first bytes waiting on the connection.  SG_FCGI_WHOLE once
 * the records up to the empty FCGI_PARAMS one are all in p (the body, if
 * any, is read under the read deadline), or at the first record that is
 * not FastCGI version 1.
 */
enum sg_fcgi_sent sg_fcgi_sent(const unsigned char *p, size_t n);

#endif
