// SPDX-License-Identifier: GPL-2.0-or-later
#include <sys/resource.h>
#include <time.h>

#include "util/clock.h"

long long clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long clock_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

long long clock_cpu_us(bool thread)
{
	struct rusage ru;

	if (getrusage(thread ? RUSAGE_THREAD : RUSAGE_SELF, &ru) < 0)
		return 0;
	return (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
	       ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}
