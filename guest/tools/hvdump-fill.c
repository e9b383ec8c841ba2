/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hvdump-fill MIB FILE [SEED]: write MIB MiB of memory-like data to FILE (meant for a tmpfs,
 * so it is guest RAM), fsync it, print "hvdump-guest: fill done mib=MIB file=FILE".
 * Each 4 KiB page is 2 KiB of pseudo-random bytes and 2 KiB of text, so a dump of it
 * compresses about 2:1, like real memory and unlike zeros or pure noise (the workload of the
 * realistic-guest benchmarks and tests).  Built statically into the demo initramfs. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PAGE 4096u
#define CHUNK (256u * PAGE)

static const char text[] =
	"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor "
	"incididunt ut labore et dolore magna aliqua. kernel: [ 12.345678] eth0: link up, "
	"1000 Mbps, full-duplex. GET /index.html HTTP/1.1 200 4096 \"Mozilla/5.0\" 0.002s\n";

static uint64_t mix(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static void fill_page(uint8_t *p, uint64_t *s, uint64_t index)
{
	size_t off = (size_t)(index % (sizeof(text) - 1));

	for (size_t i = 0; i < PAGE / 2; i += 8) {
		uint64_t v = mix(s);
		memcpy(p + i, &v, 8);
	}
	for (size_t i = PAGE / 2; i < PAGE; i++) {
		p[i] = (uint8_t)text[off];
		off = off + 1 == sizeof(text) - 1 ? 0 : off + 1;
	}
}

int main(int argc, char **argv)
{
	static uint8_t buf[CHUNK];
	unsigned long long mib, seed = 1;
	char *end;
	uint64_t s, page = 0, pages;
	int fd;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: hvdump-fill MIB FILE [SEED]\n");
		return 2;
	}
	errno = 0;
	mib = strtoull(argv[1], &end, 10);
	if (errno || *end || !mib || mib > (1ull << 22)) {
		fprintf(stderr, "hvdump-fill: bad MIB '%s'\n", argv[1]);
		return 2;
	}
	if (argc == 4) {
		seed = strtoull(argv[3], &end, 0);
		if (*end) {
			fprintf(stderr, "hvdump-fill: bad SEED '%s'\n", argv[3]);
			return 2;
		}
	}
	fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "hvdump-fill: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	s = seed;
	pages = mib << 8;
	while (page < pages) {
		size_t n = 0;
		for (; n < CHUNK && page < pages; n += PAGE, page++)
			fill_page(buf + n, &s, page);
		for (size_t done = 0; done < n;) {
			ssize_t w = write(fd, buf + done, n - done);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				fprintf(stderr, "hvdump-fill: writing %s after %llu MiB: %s\n", argv[2],
					(unsigned long long)(page >> 8), w < 0 ? strerror(errno) : "short");
				close(fd);
				return 1;
			}
			done += (size_t)w;
		}
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fprintf(stderr, "hvdump-fill: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	printf("hvdump-guest: fill done mib=%llu file=%s\n", mib, argv[2]);
	return 0;
}
