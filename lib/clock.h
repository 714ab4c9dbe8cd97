/* SPDX-License-Identifier: ISC */
/*
 * The clocks.  Wall time for claims and sessions comes in as a time_t
 * argument so that tests can fix it; elapsed time for latencies and
 * deadlines is read here, from the monotonic clock, which no settimeofday
 * or NTP step moves.
 */
#ifndef SG_CLOCK_H
#define SG_CLOCK_H

#include <stdint.h>

/* Microseconds on the monotonic clock (0 if it cannot be read). */
int64_t		 sg_now_us(void);

#endif
