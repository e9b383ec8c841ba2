// SPDX-License-Identifier: GPL-2.0-or-later
// Strict size parsing: a typo in --memory must be an error, never a silently different VM.
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/size.h"

static int unit_shift(const char *u, unsigned *shift)
{
	static const char units[] = "BKMGTPE";
	const char *p;

	if (*u == '\0')
		return 1; /* no suffix */
	p = strchr(units, toupper((unsigned char)*u));
	if (!p)
		return -EINVAL;
	*shift = (unsigned)(p - units) * 10;
	u++;
	if (p != units) {
		if (*u == 'i' || *u == 'I')
			u++;
		if (*u == 'b' || *u == 'B')
			u++;
	}
	return *u == '\0' ? 0 : -EINVAL;
}

int size_parse(const char *s, uint64_t default_unit, uint64_t *out)
{
	uint64_t whole = 0, frac_num = 0, frac_den = 1, mult, val, fpart;
	unsigned shift = 0;
	const char *p = s;
	int r;

	if (!s || !isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		if (__builtin_mul_overflow(whole, 10, &whole) ||
		    __builtin_add_overflow(whole, (uint64_t)(*p - '0'), &whole))
			return -ERANGE;
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		for (; isdigit((unsigned char)*p); p++) {
			if (frac_den >= 1000000000ULL)
				return -EINVAL; /* more precision than any size needs */
			frac_num = frac_num * 10 + (uint64_t)(*p - '0');
			frac_den *= 10;
		}
	}
	r = unit_shift(p, &shift);
	if (r < 0)
		return r;
	if (r == 1) {
		mult = default_unit;
		if (frac_den != 1)
			return -EINVAL; /* "1.5" with an implied unit is too ambiguous */
	} else {
		if (shift >= 64)
			return -ERANGE;
		mult = 1ULL << shift;
	}
	if (__builtin_mul_overflow(whole, mult, &val))
		return -ERANGE;
	if (frac_num) {
		/* frac_num/frac_den * mult must be a whole number of bytes */
		unsigned __int128 f = (unsigned __int128)frac_num * mult;
		if (f % frac_den)
			return -EINVAL;
		fpart = (uint64_t)(f / frac_den);
		if (__builtin_add_overflow(val, fpart, &val))
			return -ERANGE;
	}
	*out = val;
	return 0;
}

const char *size_format(uint64_t bytes, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	int i = -1;
	uint64_t v = bytes;

	while (v && (v & 1023) == 0 && i < 5) {
		v >>= 10;
		i++;
	}
	if (i < 0)
		snprintf(buf, len, "%lluB", (unsigned long long)bytes);
	else
		snprintf(buf, len, "%llu%c", (unsigned long long)v, units[i]);
	return buf;
}

const char *size_human(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)bytes;
	int i = 0;

	while (v >= 1024.0 && i < 6) {
		v /= 1024.0;
		i++;
	}
	if (i == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
	else
		snprintf(buf, len, "%.2f %s", v, units[i]);
	return buf;
}

int uint_parse(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = s;

	if (!s || !isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(*p - '0'), &v))
			return -ERANGE;
	}
	if (*p)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}
