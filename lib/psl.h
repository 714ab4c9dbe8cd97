/* SPDX-License-Identifier: ISC */
/*
 * The Public Suffix List (https://publicsuffix.org/, through libpsl):
 * a host pattern "*.X" where X is a public suffix ("*.co.uk",
 * "*.github.io") would allow every site registered under X, so it is
 * refused when a token is signed (lib/token.c) and again when one is
 * verified (lib/claims.c).  docs/security.md 3.7, C12.
 */
#ifndef SG_PSL_H
#define SG_PSL_H

#include "hosts.h"
#include "sgerr.h"

/*
 * Where the list in use came from: the distribution's file (Debian's
 * publicsuffix package, /usr/share/publicsuffix) when psl_latest finds it
 * newer than the copy built into libpsl, else "built-in"; "none" when
 * there is neither (then every wildcard is refused).  The first call
 * loads the list; it is kept for the life of the process, so an updated
 * package takes effect at the next restart.
 */
const char	*sg_psl_source(void);
/*
 * 1 if name (normalised: lowercase, no trailing dot) is a public suffix
 * in the ICANN or the private section, the list's wildcard and exception
 * rules applied but not the implicit "*" rule (an unlisted TLD is not
 * called a suffix here; single-label wildcards are refused by the host
 * parser anyway); 0 if not; -1 when no list could be loaded.
 */
int		 sg_psl_is_public_suffix(const char *name);
/*
 * SG_OK unless a wildcard name pattern of list is "*." + a public suffix:
 * then SG_EINVAL "public_suffix_wildcard" with a sentence naming the
 * pattern (or the missing list).  An exact name that is a
 * public suffix ("github.io") is one host and passes.
 */
enum sg_rc	 sg_psl_check_hosts(const struct sg_hostlist *,
		    struct sg_err *);

#endif
