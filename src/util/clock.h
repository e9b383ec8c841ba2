/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Monotonic time and CPU time, for deadlines, intervals and the supervisor's own cost. */
#ifndef HVDUMP_UTIL_CLOCK_H
#define HVDUMP_UTIL_CLOCK_H

#include <stdbool.h>

/* Milliseconds / microseconds of CLOCK_MONOTONIC. */
long long clock_ms(void);
long long clock_us(void);

/* CPU time (user + system, µs) of the calling thread (THREAD) or of the whole process; 0 if
 * the kernel cannot tell. */
long long clock_cpu_us(bool thread);

#endif
