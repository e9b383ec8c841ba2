// SPDX-License-Identifier: GPL-2.0-or-later
// Size and integer parsing: every accepted spelling, and the typos that must be refused.
#include <errno.h>
#include <stdint.h>

#include "tap.h"
#include "util/size.h"

static void ok_size(const char *s, uint64_t unit, uint64_t want)
{
	uint64_t v = 0;
	int r = size_parse(s, unit, &v);
	if (!tap_ok(r == 0 && v == want, "size '%s' = %llu", s, (unsigned long long)want))
		tap_diag("  r=%d v=%llu", r, (unsigned long long)v);
}

static void bad_size(const char *s, int want_err)
{
	uint64_t v = 12345;
	int r = size_parse(s, 1, &v);
	if (!tap_ok(r == want_err && v == 12345, "size '%s' refused (%d)", s, want_err))
		tap_diag("  r=%d v=%llu", r, (unsigned long long)v);
}

int main(void)
{
	char buf[64];
	uint64_t v;

	ok_size("0", 1, 0);
	ok_size("4096", 1, 4096);
	ok_size("1024", 1 << 20, 1ull << 30);
	ok_size("2G", 1, 2ull << 30);
	ok_size("2g", 1, 2ull << 30);
	ok_size("2GiB", 1, 2ull << 30);
	ok_size("2GB", 1, 2ull << 30);
	ok_size("1536M", 1, 1536ull << 20);
	ok_size("1.5G", 1, 3ull << 29);
	ok_size("0.5K", 1, 512);
	ok_size("7B", 1 << 20, 7);
	ok_size("15E", 1, 15ull << 60);
	bad_size("", -EINVAL);
	bad_size("G", -EINVAL);
	bad_size("-1G", -EINVAL);
	bad_size(" 1G", -EINVAL);
	bad_size("1G ", -EINVAL);
	bad_size("1X", -EINVAL);
	bad_size("1GG", -EINVAL);
	bad_size("1.", -EINVAL);
	bad_size("1.5", -EINVAL);      /* fraction needs an explicit unit */
	bad_size("1.0000001K", -EINVAL); /* not a whole number of bytes */
	bad_size("99999999999999999999", -ERANGE);
	bad_size("17179869184G", -ERANGE);
	bad_size("16E", -ERANGE);

	tap_is_str(size_format(2ull << 30, buf, sizeof(buf)), "2G", "format 2G");
	tap_is_str(size_format(1536ull << 20, buf, sizeof(buf)), "1536M", "format 1536M");
	tap_is_str(size_format(4097, buf, sizeof(buf)), "4097B", "format 4097B");
	tap_is_str(size_human(3ull << 29, buf, sizeof(buf)), "1.50 GiB", "human 1.5 GiB");

	tap_ok(uint_parse("8", 1, 255, &v) == 0 && v == 8, "uint 8");
	tap_ok(uint_parse("0", 1, 255, &v) == -ERANGE, "uint 0 below range");
	tap_ok(uint_parse("256", 1, 255, &v) == -ERANGE, "uint 256 above range");
	tap_ok(uint_parse("2x", 1, 255, &v) == -EINVAL, "uint trailing junk");
	tap_ok(uint_parse("", 1, 255, &v) == -EINVAL, "uint empty");
	tap_ok(uint_parse("+3", 1, 255, &v) == -EINVAL, "uint sign");
	return tap_done();
}
