// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: finding VMCOREINFO among notes and reading keys out of its text.
#include <stdint.h>
#include <string.h>

#include "format/vmcoreinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const keys[] = {
	"OSRELEASE", "PAGESIZE", "SYMBOL(prb)", "SYMBOL(log_buf)", "SYMBOL(log_buf_len)",
	"NUMBER(phys_base)", "KERNELOFFSET", "SIZE(printk_info)", "OFFSET(prb_desc.state_var)",
	"LENGTH(printk_info_device)", "NUMBER(pgtable_l5_enabled)", "",
};

static void read_keys(const char *text, size_t len)
{
	char val[64];
	uint64_t v;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (vmcoreinfo_get(text, len, keys[i], val, sizeof(val)) == 0 && strlen(val) >= sizeof(val))
			__builtin_trap();
		(void)vmcoreinfo_get_u64(text, len, keys[i], &v);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text;
	size_t tlen;

	/* the input as a notes segment, and as VMCOREINFO text */
	if (vmcoreinfo_find(data, size, &text, &tlen) == 0) {
		if ((const uint8_t *)text < data || (const uint8_t *)text + tlen > data + size)
			__builtin_trap();
		read_keys(text, tlen);
	}
	read_keys((const char *)data, size);
	(void)vmcoreinfo_note_at(data, size);
	/* the input as guest memory to find a note in (pages of 64 bytes, so inputs hold many) */
	{
		size_t n = 0;
		long long at = vmcoreinfo_scan(data, size, size, 64, NULL, NULL, &n);
		if (at >= 0 && ((size_t)at % 64 || (size_t)at + n > size || n < 24))
			__builtin_trap();
	}
	return 0;
}
