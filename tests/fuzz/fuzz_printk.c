// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: the whole `hvdump dmesg` path on an ELF vmcore made of the input:
// headers, notes, VMCOREINFO, page-table walks, the printk ring (either layout), formatting.
#include <stdint.h>

#include "format/printk.h"
#include "format/vmcore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int read_virt(void *ctx, uint64_t kvaddr, void *buf, size_t len)
{
	return vmcore_read_virt(ctx, kvaddr, buf, len);
}

static int sink(void *ctx, const char *buf, size_t len)
{
	size_t *total = ctx;

	(void)buf;
	*total += len;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct printk_source src = { .read = read_virt, .max_ring_bits = 16 };
	struct printk_result res;
	struct vmcore *v;
	size_t total = 0;

	if (vmcore_open_mem(data, size, &v) < 0)
		return 0;
	src.info = vmcore_info(v, &src.info_len);
	src.read_ctx = v;
	if (src.info && printk_dump(&src, sink, &total, &res) == 0 && res.why[0])
		__builtin_trap(); /* success leaves no reason behind */
	vmcore_close(v);
	return 0;
}
