// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: kallsyms lookup over a kernel image made of the input.  The input is the
// image's "physical memory"; its first 26 bytes also place the tables (kallsyms_input.h), so
// the fuzzer moves tables and contents alike.
#include <stdint.h>

#include "fuzz/kallsyms_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *name;
	uint64_t v;

	if (fuzz_ks_lookup(data, size, &name, &v) > 0 && size >= FUZZ_KS_HEAD)
		__builtin_trap(); /* 0 or -errno only */
	return 0;
}
