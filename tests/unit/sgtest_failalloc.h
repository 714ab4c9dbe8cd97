/* SPDX-License-Identifier: ISC */
/*
 * Allocation failures on demand for the Check tests that pin "out of
 * memory reported as the client's fault" bugs.  A test binary linked with
 * SG_FAILALLOC_WRAP (tests/unit/local.mk: ld --wrap of malloc, calloc,
 * realloc, strdup and strndup) sends the calls made by libsandgate.a and
 * by the test itself through here; calls made inside shared libraries
 * (cJSON, OpenSSL, hiredis) are not affected.  cJSON allocates through
 * its hooks: sgtest_failalloc_cjson() points them here too.  The real
 * allocator (glibc, or ASan's or valgrind's replacement) does the work
 * otherwise.
 *
 * sgtest_failalloc_at(n): the nth wrapped allocation from now fails with
 * ENOMEM (0: the next one); sgtest_failalloc_off() disarms;
 * sgtest_failalloc_calls() counts the calls since sgtest_failalloc_at.
 * Include this in one file per binary.
 */
#ifndef SGTEST_FAILALLOC_H
#define SGTEST_FAILALLOC_H

#include <errno.h>
#include <stddef.h>

#include <cjson/cJSON.h>

void	*__real_malloc(size_t);
void	*__real_calloc(size_t, size_t);
void	*__real_realloc(void *, size_t);
char	*__real_strdup(const char *);
char	*__real_strndup(const char *, size_t);
void	*__wrap_malloc(size_t);
void	*__wrap_calloc(size_t, size_t);
void	*__wrap_realloc(void *, size_t);
char	*__wrap_strdup(const char *);
char	*__wrap_strndup(const char *, size_t);

static long	 sgtest_failalloc_n = -1;	/* calls left before the failure */
static long	 sgtest_failalloc_count;

static int
sgtest_failalloc_fail(void)
{
	if (sgtest_failalloc_n < 0)
		return 0;
	sgtest_failalloc_count++;
	if (sgtest_failalloc_n-- > 0)
		return 0;
	sgtest_failalloc_n = -1;		/* one failure per arming */
	errno = ENOMEM;
	return 1;
}

static inline void
sgtest_failalloc_at(long n)
{
	sgtest_failalloc_count = 0;
	sgtest_failalloc_n = n;
}

static inline void
sgtest_failalloc_off(void)
{
	sgtest_failalloc_n = -1;
}

/* Whether the failure armed by sgtest_failalloc_at happened. */
static inline int
sgtest_failalloc_hit(long n)
{
	return sgtest_failalloc_count > n;
}

void *
__wrap_malloc(size_t n)
{
	return sgtest_failalloc_fail() ? NULL : __real_malloc(n);
}

void *
__wrap_calloc(size_t a, size_t b)
{
	return sgtest_failalloc_fail() ? NULL : __real_calloc(a, b);
}

void *
__wrap_realloc(void *p, size_t n)
{
	return sgtest_failalloc_fail() ? NULL : __real_realloc(p, n);
}

char *
__wrap_strdup(const char *s)
{
	return sgtest_failalloc_fail() ? NULL : __real_strdup(s);
}

char *
__wrap_strndup(const char *s, size_t n)
{
	return sgtest_failalloc_fail() ? NULL : __real_strndup(s, n);
}

/* cJSON's allocations through the counter too; cJSON_InitHooks(NULL) undoes. */
static inline void
sgtest_failalloc_cjson(void)
{
	cJSON_Hooks	 h = { __wrap_malloc, free };

	cJSON_InitHooks(&h);
}

#endif
