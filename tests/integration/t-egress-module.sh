#!/bin/sh
# SPDX-License-Identifier: ISC
# Every check of t-egress-apache.sh with the project's Apache module
# (deploy/apache/mod_sandgate_authz.c: kept FastCGI connections to
# token-verify on unix sockets) in place of mod_authnz_fcgi.  Skipped
# when the build has no module (configure found no apxs).
SG_EGRESS_AUTHZ=module exec sh "$(dirname "$0")/t-egress-apache.sh"
