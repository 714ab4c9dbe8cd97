/* SPDX-License-Identifier: ISC */
/*
 * Helpers shared by the libFuzzer targets in tests/fuzz/ (not part of the
 * library build: tests/fuzz/build.sh compiles them with clang).
 *
 * A property that does not hold calls FZ_FAIL, which prints what broke
 * and aborts, so that libFuzzer records the input as a crash like any
 * sanitizer report.
 */
#ifndef SG_FUZZ_H
#define SG_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* tests/data: unit tests and fuzzers share the test keys and the clock. */
#ifndef SG_TESTDATA
#error "build with -DSG_TESTDATA=\"/abs/path/tests/data\""
#endif
#define FZ_NOW		((time_t)1767225600)	/* SG_TEST_NOW */
#define FZ_ISSUER	"sandgate-fuzz"
/* The container and jti of the tokens tests/fuzz/gen-tokens.c mints. */
#define FZ_CID		"sandbox_fuzzAAAAAAAAAAAAAAAAAA"
#define FZ_JTI		"fuzz-jti-0001"
#define FZ_ORG		"123e4567-e89b-12d3-a456-426614174000"

#define FZ_FAIL(...) do {						\
	fprintf(stderr, "\nFUZZ PROPERTY FAILED %s:%d: ", __FILE__,	\
	    __LINE__);							\
	fprintf(stderr, __VA_ARGS__);					\
	fputc('\n', stderr);						\
	abort();							\
} while (0)

#define FZ_ASSERT(cond, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "\nFUZZ PROPERTY FAILED %s:%d: (%s) ",	\
		    __FILE__, __LINE__, #cond);				\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		abort();						\
	}								\
} while (0)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

/* A NUL-terminated copy of the input (the library takes C strings too). */
static inline char *
fz_strndup(const uint8_t *d, size_t n)
{
	char	*s;

	if ((s = malloc(n + 1)) == NULL)
		abort();
	if (n > 0)
		memcpy(s, d, n);
	s[n] = '\0';
	return s;
}

/* Whole file into a malloc'd NUL-terminated buffer, or abort. */
static inline char *
fz_slurp(const char *path, size_t *lenp)
{
	FILE	*f;
	char	*b;
	long	 n;

	if ((f = fopen(path, "rb")) == NULL || fseek(f, 0, SEEK_END) != 0 ||
	    (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "fuzz: cannot read %s\n", path);
		abort();
	}
	if ((b = malloc((size_t)n + 1)) == NULL ||
	    fread(b, 1, (size_t)n, f) != (size_t)n)
		abort();
	b[n] = '\0';
	fclose(f);
	if (lenp != NULL)
		*lenp = (size_t)n;
	return b;
}

/*
 * A FastCGI parameter list and a body from one input: "NAME=value" lines
 * separated by '\n', then an empty line, then the body (any bytes).  The
 * env array is NULL-terminated; free it with fz_env_free.
 */
struct fz_env {
	char	**env;
	char	 *text;		/* the parameter lines, split in place */
	const uint8_t *body;
	size_t	  bodylen;
};

#define FZ_ENV_MAX	64

static inline void
fz_env_parse(const uint8_t *d, size_t n, struct fz_env *e)
{
	size_t	 i, hlen = n, k = 0;
	char	*p, *nl;

	memset(e, 0, sizeof(*e));
	for (i = 0; i + 1 < n; i++)
		if (d[i] == '\n' && d[i + 1] == '\n') {
			hlen = i;
			e->body = d + i + 2;
			e->bodylen = n - i - 2;
			break;
		}
	e->text = fz_strndup(d, hlen);
	if ((e->env = calloc(FZ_ENV_MAX + 1, sizeof(char *))) == NULL)
		abort();
	/* An embedded NUL ends the parameter text, as it would in C. */
	for (p = e->text; *p != '\0' && k < FZ_ENV_MAX; p = nl + 1) {
		if ((nl = strchr(p, '\n')) != NULL)
			*nl = '\0';
		if (*p != '\0')
			e->env[k++] = p;
		if (nl == NULL)
			break;
	}
	e->env[k] = NULL;
}

static inline void
fz_env_free(struct fz_env *e)
{
	free(e->env);
	free(e->text);
	memset(e, 0, sizeof(*e));
}

#endif
