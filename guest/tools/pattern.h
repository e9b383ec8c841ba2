/* pattern.h: deterministic, self-describing 4 KiB memory pattern pages.
 *
 * Shared by the guest tool (hvdump-pattern) and host-side tests: a guest fills memory
 * with pattern pages, and a dump of that memory can be checked page by page without
 * knowing where the pages landed physically.
 *
 * Page layout (PATTERN_PAGE_SIZE bytes):
 *   [0, 46)   ASCII "HVDUMP-PATTERN v1 seed=XXXXXXXX page=XXXXXXXX\n"
 *             (seed and page index as 8 lowercase hex digits)
 *   [46, 64)  zero bytes
 *   [64, 4096) pseudo-random bytes from (seed, index): splitmix64 stream seeded with
 *             (seed << 32 | index), each 64-bit output stored little-endian.
 *
 * C11, libc only, header-only (static inline).
 */
#ifndef HVDUMP_PATTERN_H
#define HVDUMP_PATTERN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PATTERN_MAGIC "HVDUMP-PATTERN v1 "
#define PATTERN_PAGE_SIZE 4096u
#define PATTERN_HEADER_SIZE 64u
/* Length of the ASCII header text, up to and including its '\n'. */
#define PATTERN_HEADER_TEXT_LEN (sizeof(PATTERN_MAGIC) - 1 + 5 + 8 + 6 + 8 + 1)

static inline uint64_t pattern_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static inline uint64_t pattern_stream_init(uint32_t seed, uint32_t index)
{
	return ((uint64_t)seed << 32) | index;
}

static inline void pattern_put_hex32(uint8_t *out, uint32_t v)
{
	static const char digits[] = "0123456789abcdef";
	for (int i = 7; i >= 0; i--) {
		out[i] = (uint8_t)digits[v & 0xf];
		v >>= 4;
	}
}

/* Parse exactly 8 lowercase hex digits; return 1 on success. */
static inline int pattern_get_hex32(const uint8_t *in, uint32_t *v)
{
	uint32_t r = 0;
	for (int i = 0; i < 8; i++) {
		uint8_t c = in[i];
		uint32_t d;
		if (c >= '0' && c <= '9')
			d = (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (uint32_t)(c - 'a' + 10);
		else
			return 0;
		r = (r << 4) | d;
	}
	*v = r;
	return 1;
}

/* Write the 64-byte header (text + zero padding) for (seed, index). */
static inline void pattern_fill_header(uint8_t hdr[PATTERN_HEADER_SIZE], uint32_t seed,
				       uint32_t index)
{
	uint8_t *p = hdr;
	memset(hdr, 0, PATTERN_HEADER_SIZE);
	memcpy(p, PATTERN_MAGIC, sizeof(PATTERN_MAGIC) - 1);
	p += sizeof(PATTERN_MAGIC) - 1;
	memcpy(p, "seed=", 5);
	p += 5;
	pattern_put_hex32(p, seed);
	p += 8;
	memcpy(p, " page=", 6);
	p += 6;
	pattern_put_hex32(p, index);
	p += 8;
	*p = '\n';
}

/* Fill a whole 4 KiB page with the pattern for (seed, index). */
static inline void pattern_fill_page(uint8_t page[PATTERN_PAGE_SIZE], uint32_t seed,
				     uint32_t index)
{
	uint64_t st = pattern_stream_init(seed, index);
	pattern_fill_header(page, seed, index);
	for (size_t off = PATTERN_HEADER_SIZE; off < PATTERN_PAGE_SIZE; off += 8) {
		uint64_t x = pattern_splitmix64(&st);
		for (int b = 0; b < 8; b++)
			page[off + (size_t)b] = (uint8_t)(x >> (8 * b));
	}
}

/* Parse a page's header only.  Return 1 and set *seed / *index (either may be NULL)
 * if the 64-byte header is exactly what pattern_fill_page writes, else 0. */
static inline int pattern_parse_header(const uint8_t *page, uint32_t *seed, uint32_t *index)
{
	const uint8_t *p = page;
	uint32_t s, i;
	if (memcmp(p, PATTERN_MAGIC, sizeof(PATTERN_MAGIC) - 1) != 0)
		return 0;
	p += sizeof(PATTERN_MAGIC) - 1;
	if (memcmp(p, "seed=", 5) != 0 || !pattern_get_hex32(p + 5, &s))
		return 0;
	p += 5 + 8;
	if (memcmp(p, " page=", 6) != 0 || !pattern_get_hex32(p + 6, &i))
		return 0;
	p += 6 + 8;
	if (*p++ != '\n')
		return 0;
	for (; p < page + PATTERN_HEADER_SIZE; p++)
		if (*p != 0)
			return 0;
	if (seed)
		*seed = s;
	if (index)
		*index = i;
	return 1;
}

/* Return 1 if page (PATTERN_PAGE_SIZE bytes) is a complete, correct pattern page, and set
 * *seed / *index (either may be NULL).  Return 0 otherwise; *seed / *index are still set
 * when the header parsed but the body does not match (to report a corrupted page). */
static inline int pattern_check_page(const uint8_t *page, uint32_t *seed, uint32_t *index)
{
	uint32_t s, i;
	if (!pattern_parse_header(page, &s, &i))
		return 0;
	if (seed)
		*seed = s;
	if (index)
		*index = i;
	uint64_t st = pattern_stream_init(s, i);
	for (size_t off = PATTERN_HEADER_SIZE; off < PATTERN_PAGE_SIZE; off += 8) {
		uint64_t x = pattern_splitmix64(&st), y = 0;
		for (int b = 0; b < 8; b++)
			y |= (uint64_t)page[off + (size_t)b] << (8 * b);
		if (x != y)
			return 0;
	}
	return 1;
}

#endif /* HVDUMP_PATTERN_H */
