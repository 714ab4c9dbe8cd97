/* SPDX-License-Identifier: ISC */
/*
 * The metric families' names, help, labels and caps, for metrics.c
 * alone (metrics-families.c holds the table).  A family's index is its
 * enum sg_metric value and is stored in the shared file: new families
 * go at the end of the enum, so a file written by an older or newer
 * build keeps meaning the same thing to this one (a family the build
 * does not know is skipped at render) and the layout version need not
 * change for them.
 */
#ifndef SG_METRICS_INTERNAL_H
#define SG_METRICS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "metrics.h"

enum family_type {
	T_COUNTER,
	T_HISTOGRAM
};

struct sg_metrics_family {
	const char	*name;
	enum family_type type;
	const char	*help;
	int		 with_service;	/* first label is the service */
	size_t		 nlabels;	/* without service */
	const char	*labels[SG_METRICS_LABELS];
	uint32_t	 cap;		/* distinct label sets */
};

extern const struct sg_metrics_family sg_metrics_families[SG_M_COUNT];

#endif
