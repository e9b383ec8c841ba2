/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_kallsyms's input, read by the target and by mkseed (which checks its seeds with it):
 * a kernel image's "physical memory" at FUZZ_KS_PA, mapped at FUZZ_KS_KV, whose first 26 bytes
 * place the tables: little-endian u32 offsets into the input of kallsyms_names, _num_syms,
 * _token_table, _token_index, _offsets or _addresses, _relative_base, then a mode byte (bit 0:
 * kallsyms_addresses) and the name looked up (one of five).  Header-only. */
#ifndef HVDUMP_TESTS_FUZZ_KALLSYMS_INPUT_H
#define HVDUMP_TESTS_FUZZ_KALLSYMS_INPUT_H

#include <stdint.h>
#include <stdio.h>

#include "format/kallsyms.h"

#define FUZZ_KS_PA 0x1000000ull
#define FUZZ_KS_KV 0xffffffff81000000ull
#define FUZZ_KS_HEAD 26u

static const char *const fuzz_ks_names[5] = { "system_state", "init_uts_ns", "jiffies", "a",
					       "_stext" };

struct fuzz_ks_img {
	const uint8_t *data;
	size_t size;
};

static inline int fuzz_ks_read(void *ctx, uint64_t pa, void *buf, size_t len)
{
	const struct fuzz_ks_img *m = ctx;
	uint8_t *out = buf;

	if (pa < FUZZ_KS_PA || pa - FUZZ_KS_PA > m->size || len > m->size - (pa - FUZZ_KS_PA))
		return -14; /* -EFAULT */
	for (size_t i = 0; i < len; i++)
		out[i] = m->data[pa - FUZZ_KS_PA + i];
	return 0;
}

/* kallsyms_lookup() of the input's name (*NAME) in the input DATA[0, SIZE): its result, 1 for
 * an input too short to place the tables. */
static inline int fuzz_ks_lookup(const uint8_t *data, size_t size, const char **name,
				 uint64_t *v)
{
	struct fuzz_ks_img m = { data, size };
	uint32_t o[6];
	char info[1024];
	int n;

	if (size < FUZZ_KS_HEAD)
		return 1;
	for (int i = 0; i < 6; i++)
		o[i] = (uint32_t)data[4 * i] | (uint32_t)data[4 * i + 1] << 8 |
		       (uint32_t)data[4 * i + 2] << 16 | (uint32_t)data[4 * i + 3] << 24;
	n = snprintf(info, sizeof(info),
		     "OSRELEASE=6.1.0\nNUMBER(phys_base)=%lld\n"
		     "SYMBOL(kallsyms_names)=%llx\nSYMBOL(kallsyms_num_syms)=%llx\n"
		     "SYMBOL(kallsyms_token_table)=%llx\nSYMBOL(kallsyms_token_index)=%llx\n"
		     "SYMBOL(%s)=%llx\nSYMBOL(kallsyms_relative_base)=%llx\n",
		     (long long)FUZZ_KS_PA - (long long)(FUZZ_KS_KV - KALLSYMS_START_KERNEL_MAP),
		     FUZZ_KS_KV + o[0], FUZZ_KS_KV + o[1], FUZZ_KS_KV + o[2], FUZZ_KS_KV + o[3],
		     data[24] & 1 ? "kallsyms_addresses" : "kallsyms_offsets", FUZZ_KS_KV + o[4],
		     FUZZ_KS_KV + o[5]);
	if (n < 0 || (size_t)n >= sizeof(info))
		return 1;
	*name = fuzz_ks_names[data[25] % 5];
	return kallsyms_lookup(info, (size_t)n, fuzz_ks_read, &m, *name, v);
}

#endif
