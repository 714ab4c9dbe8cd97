/* SPDX-License-Identifier: ISC */
/*
 * trivial-authz: a FastCGI authorizer that always says 200, straight on
 * libfcgi, as the ceiling of bench/verify.sh (nginx auth_request with
 * nothing to decide).  Serves the socket inherited on fd 0 (spawn-fcgi).
 * It sends the same four X-SG-* headers token-verify sends, so the two
 * runs differ only in the decision.
 */
#include "config.h"

#include <fcgiapp.h>
#include <stdio.h>

int
main(void)
{
	FCGX_Request	 r;

	if (FCGX_Init() != 0)
		return 1;
	if (FCGX_InitRequest(&r, 0, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&r) >= 0) {
		FCGX_FPrintF(r.out, "Status: 200 OK\r\n"
		    "X-SG-Sub: bench\r\n"
		    "X-SG-Scope: sessions:read\r\n"
		    "X-SG-Container-Id: -\r\n"
		    "X-SG-Kind: operator\r\n\r\n");
		FCGX_Finish_r(&r);
	}
	return 0;
}
