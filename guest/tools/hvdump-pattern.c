/* hvdump-pattern MIB SEED: fill MIB MiB of anonymous memory with pattern pages
 * (pattern.h: page i = pattern_fill_page(SEED, i)), mlock it, print
 * "hvdump-guest: pattern ready seed=0x%08x pages=%u", then sleep forever holding it.
 * SEED: decimal, 0x-prefixed hex, or bare hex (e.g. "abc").
 * Built statically into the demo guest initramfs as /bin/hvdump-pattern. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pattern.h"

static int parse_u32(const char *s, int base, uint32_t *out)
{
	char *end;
	if (*s == '\0' || *s == '-' || *s == '+')
		return 0;
	errno = 0;
	unsigned long long v = strtoull(s, &end, base);
	if (errno || *end != '\0' || v > UINT32_MAX)
		return 0;
	*out = (uint32_t)v;
	return 1;
}

int main(int argc, char **argv)
{
	uint32_t mib, seed;

	if (argc != 3) {
		fprintf(stderr, "usage: hvdump-pattern MIB SEED\n");
		return 2;
	}
	if (!parse_u32(argv[1], 10, &mib) || mib == 0 || mib > 1024u * 1024u) {
		fprintf(stderr, "hvdump-pattern: bad MIB '%s'\n", argv[1]);
		return 2;
	}
	if (!parse_u32(argv[2], 0, &seed) && !parse_u32(argv[2], 16, &seed)) {
		fprintf(stderr, "hvdump-pattern: bad SEED '%s'\n", argv[2]);
		return 2;
	}

	size_t len = (size_t)mib << 20;
	uint32_t pages = (uint32_t)(len / PATTERN_PAGE_SIZE);
	uint8_t *mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		fprintf(stderr, "hvdump-pattern: mmap %u MiB: %s\n", mib, strerror(errno));
		return 1;
	}
	for (uint32_t i = 0; i < pages; i++)
		pattern_fill_page(mem + (size_t)i * PATTERN_PAGE_SIZE, seed, i);
	if (mlock(mem, len) != 0)
		fprintf(stderr, "hvdump-pattern: warning: mlock: %s (pages may be swapped)\n",
			strerror(errno));

	printf("hvdump-guest: pattern ready seed=0x%08x pages=%u\n", seed, pages);
	fflush(stdout);
	for (;;)
		pause();
}
