/* SPDX-License-Identifier: ISC */
/* What glibc 2.36 (Debian 12) lacks. */
#ifndef SG_COMPAT_H
#define SG_COMPAT_H

#include <stddef.h>
#include <string.h>

#ifndef HAVE_STRLCPY
size_t	 strlcpy(char *, const char *, size_t);
#endif
#ifndef HAVE_STRLCAT
size_t	 strlcat(char *, const char *, size_t);
#endif

#endif
