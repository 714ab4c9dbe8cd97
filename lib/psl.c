/* SPDX-License-Identifier: ISC */
/*
 * The Public Suffix List check (lib/psl.h).
 *
 * The list is loaded once per process (pthread_once) and never freed:
 * psl_latest(NULL) reads the distribution's file and keeps whichever of
 * it and libpsl's built-in copy is newer; psl_builtin() is the fallback
 * when that fails.  With no list at all every wildcard is refused: a
 * check that cannot be made fails closed.
 */
#include "config.h"

#include <pthread.h>
#include <stddef.h>

#include <libpsl.h>

#include "psl.h"

static pthread_once_t	 psl_once = PTHREAD_ONCE_INIT;
static const psl_ctx_t	*psl_list;
static const char	*psl_from = "none";

static void
psl_load(void)
{
	psl_ctx_t	*latest;

	if ((latest = psl_latest(NULL)) != NULL) {
		psl_list = latest;
		psl_from = latest == psl_builtin() ? "built-in" :
		    psl_dist_filename();
		if (psl_from == NULL)
			psl_from = "distribution file";
		return;
	}
	if ((psl_list = psl_builtin()) != NULL)
		psl_from = "built-in";
}

const char *
sg_psl_source(void)
{
	(void)pthread_once(&psl_once, psl_load);
	return psl_from;
}

int
sg_psl_is_public_suffix(const char *name)
{
	(void)pthread_once(&psl_once, psl_load);
	if (psl_list == NULL)
		return -1;
	if (name == NULL || *name == '\0')
		return 0;
	/*
	 * PSL_TYPE_ANY: the private section counts (github.io, appspot.com
	 * and s3.amazonaws.com are shared by unrelated customers, which is
	 * why they are listed).  PSL_TYPE_NO_STAR_RULE: only listed rules.
	 */
	return psl_is_public_suffix2(psl_list, name,
	    PSL_TYPE_ANY | PSL_TYPE_NO_STAR_RULE) ? 1 : 0;
}

enum sg_rc
sg_psl_check_hosts(const struct sg_hostlist *list, struct sg_err *err)
{
	const struct sg_hostpat	*p;
	size_t			 i;

	if (list == NULL)
		return SG_OK;
	for (i = 0; i < list->n; i++) {
		p = &list->v[i];
		if (p->kind != SG_HOST_NAME || !p->wildcard)
			continue;
		switch (sg_psl_is_public_suffix(p->name)) {
		case 0:
			break;
		case 1:
			return sg_err_set(err, SG_EINVAL,
			    "public_suffix_wildcard",
			    "*.%.64s is a wildcard on a public suffix: it "
			    "allows every site under it", p->name);
		default:
			return sg_err_set(err, SG_EINVAL,
			    "public_suffix_wildcard",
			    "*.%.64s: no public suffix list could be loaded, "
			    "so no wildcard is allowed", p->name);
		}
	}
	return SG_OK;
}
