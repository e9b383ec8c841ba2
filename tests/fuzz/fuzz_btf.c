// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: the kernel's BTF, read for a structure member's offset (format/btf.h).
#include <stdint.h>

#include "format/btf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t off;

	/* any offset a member declares is acceptable: memory safety and bounded work are checked */
	(void)btf_member_offset(data, size, "task_struct", "pid", &off);
	(void)btf_member_offset(data, size, "s", "", &off);
	return 0;
}
