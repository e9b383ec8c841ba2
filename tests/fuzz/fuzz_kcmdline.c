// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: the crashed kernel's command line (kcmdline_read) over kallsyms tables
// that place saved_command_line and page_offset_base where the input says, in memory the
// input fills (kcmdline_input.h).  It traps when a promise of kcmdline.h breaks: a result
// outside its list, an error without a reason or with a command line, a command line that is
// not NUL-terminated within OUTLEN, has a byte that is not printable, or is not the bytes at
// saved_command_line's pointer less the direct map's base, inside that direct map.
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/kcmdline_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t read_u64(struct fuzz_kc_mem *m, uint64_t pa)
{
	uint8_t b[8];

	if (fuzz_kc_read(m, pa, b, 8) < 0)
		__builtin_trap(); /* kcmdline_read read it: it must be readable */
	return synth_get(b, 8);
}

/* What a success must be, found again from the input. */
static void check_found(struct fuzz_kc_run *run)
{
	const struct fuzz_kc_variant *v = run->v;
	size_t len = strnlen(run->out, run->outlen);
	uint64_t ptr, base, pa;
	unsigned bits = run->l5 ? KCMDLINE_PHYS_BITS_L5 : KCMDLINE_PHYS_BITS_L4;
	char back[KCMDLINE_SIZE];

	if (len >= run->outlen || len >= KCMDLINE_SIZE || v->scl == UINT32_MAX || run->l5 > 1)
		__builtin_trap();
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)run->out[i];

		if ((c < 0x20 || c >= 0x7f) && c != '\t')
			__builtin_trap();
	}
	/* the image is at FUZZ_KC_IMG_PA: a variable at FUZZ_KC_KV + off is at IMG_PA + off */
	ptr = read_u64(&run->mem, FUZZ_KC_IMG_PA + run->scl);
	if (v->pob != UINT32_MAX) {
		base = read_u64(&run->mem, FUZZ_KC_IMG_PA + run->pob);
		if (base % KCMDLINE_PAGE_OFFSET_ALIGN || base >= KALLSYMS_START_KERNEL_MAP ||
		    base < (run->l5 ? KCMDLINE_PAGE_OFFSET_L5 : KCMDLINE_PAGE_OFFSET_L4))
			__builtin_trap();
	} else {
		base = run->l5 ? KCMDLINE_PAGE_OFFSET_L5 : KCMDLINE_PAGE_OFFSET_L4;
	}
	if (ptr < base || ptr - base >= (1ull << bits))
		__builtin_trap();
	pa = ptr - base;
	if (fuzz_kc_read(&run->mem, pa, back, len + 1) < 0 || memcmp(back, run->out, len + 1))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_kc_run run;
	int r;

	if (fuzz_kc_run(data, size, &run) != 0)
		return 0;
	if (run.open_r != 0)
		__builtin_trap(); /* the tables are ours */
	r = run.r;
	if (r == 0) {
		check_found(&run);
		return 0;
	}
	if (r != -ENOENT && r != -ERANGE && r != -EBADMSG && r != -ENOSPC && r != -EINVAL &&
	    r != -EFAULT)
		__builtin_trap();
	if (!run.why[0] || strnlen(run.why, sizeof(run.why)) == sizeof(run.why) || run.out[0])
		__builtin_trap();
	if ((r == -ENOENT) != (run.v->scl == UINT32_MAX) || (r == -EINVAL && run.l5 != 7) ||
	    (r == -ENOSPC && run.outlen >= KCMDLINE_SIZE))
		__builtin_trap();
	return 0;
}
