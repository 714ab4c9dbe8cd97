/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <time.h>

#include "clock.h"

int64_t
sg_now_us(void)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
