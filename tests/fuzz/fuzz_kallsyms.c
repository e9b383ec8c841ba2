// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: kallsyms lookup over a kernel image made of the input.  The input is the
// image's "physical memory"; its first 26 bytes also place the tables (little-endian u32
// offsets into the input of kallsyms_names, _num_syms, _token_table, _token_index,
// _offsets/_addresses, _relative_base, then a mode byte and a name byte), so the fuzzer moves
// tables and contents alike.
#include <stdio.h>
#include <stdint.h>

#include "format/kallsyms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PA 0x1000000ull
#define KV 0xffffffff81000000ull

struct img {
	const uint8_t *data;
	size_t size;
};

static int img_read(void *ctx, uint64_t pa, void *buf, size_t len)
{
	const struct img *m = ctx;
	uint8_t *out = buf;

	if (pa < PA || pa - PA > m->size || len > m->size - (pa - PA))
		return -14; /* -EFAULT */
	for (size_t i = 0; i < len; i++)
		out[i] = m->data[pa - PA + i];
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "system_state", "init_uts_ns", "jiffies", "a",
					     "_stext" };
	struct img m = { data, size };
	uint32_t o[6];
	char info[1024];
	uint64_t v;
	int n, r;

	if (size < 26)
		return 0;
	for (int i = 0; i < 6; i++)
		o[i] = (uint32_t)data[4 * i] | (uint32_t)data[4 * i + 1] << 8 |
		       (uint32_t)data[4 * i + 2] << 16 | (uint32_t)data[4 * i + 3] << 24;
	n = snprintf(info, sizeof(info),
		     "OSRELEASE=6.1.0\nNUMBER(phys_base)=%lld\n"
		     "SYMBOL(kallsyms_names)=%llx\nSYMBOL(kallsyms_num_syms)=%llx\n"
		     "SYMBOL(kallsyms_token_table)=%llx\nSYMBOL(kallsyms_token_index)=%llx\n"
		     "SYMBOL(%s)=%llx\nSYMBOL(kallsyms_relative_base)=%llx\n",
		     (long long)PA - (long long)(KV - KALLSYMS_START_KERNEL_MAP),
		     KV + o[0], KV + o[1], KV + o[2], KV + o[3],
		     data[24] & 1 ? "kallsyms_addresses" : "kallsyms_offsets", KV + o[4],
		     KV + o[5]);
	if (n < 0 || (size_t)n >= sizeof(info))
		return 0;
	r = kallsyms_lookup(info, (size_t)n, img_read, &m, names[data[25] % 5], &v);
	if (r > 0)
		__builtin_trap(); /* 0 or -errno only */
	return 0;
}
