// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: the CPUs of `hvdump info` on an ELF vmcore made of the input, as the
// command finds them: the panicking CPU from the kernel log (printk + panicscan), kallsyms
// from VMCOREINFO, then kinfo's walk of every NT_PRSTATUS note (per-CPU offsets, current
// tasks and their comms, RIP symbols, stacks).  It traps when a promise of kinfo.h breaks.
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/kallsyms.h"
#include "format/kinfo.h"
#include "format/panicscan.h"
#include "format/printk.h"
#include "format/vmcore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int read_virt(void *ctx, uint64_t kvaddr, void *buf, size_t len)
{
	return vmcore_read_virt(ctx, kvaddr, buf, len);
}

static int read_phys(void *ctx, uint64_t paddr, void *buf, size_t len)
{
	return vmcore_read_phys(ctx, paddr, buf, len);
}

/* The CPU the log's panic names, or -1 (gather_panic in cmd_info.c). */
static long panic_cpu(struct vmcore *v, const char *info, size_t info_len)
{
	static struct panicscan s;
	struct printk_source src = { .info = info, .info_len = info_len, .read = read_virt,
				     .read_ctx = v, .max_ring_bits = 16 };
	struct printk_result res;
	unsigned long cpu, pid;
	char comm[64];

	if (!info)
		return -1;
	panicscan_init(&s);
	(void)printk_dump(&src, panicscan_feed, &s, &res);
	panicscan_finish(&s);
	if (panicscan_task(&s, &cpu, &pid, comm, sizeof(comm)) < 0)
		return -1;
	return (long)cpu;
}

static int is_str(const char *s, size_t max)
{
	return strnlen(s, max) < max;
}

/* Every promise kinfo.h makes about one CPU. */
static void check_cpu(const struct kinfo_cpu *c, unsigned note)
{
	int kernel = (c->regs.reg[PR_CS] & 3) == 0, user = (c->regs.reg[PR_CS] & 3) == 3;
	size_t len;

	if (c->note != note)
		__builtin_trap(); /* notes in order, one by one */
	if (c->cpu_from_gs ? !kernel || c->cpu >= KINFO_MAX_PERCPU : c->cpu != c->note)
		__builtin_trap();
	if (c->have_task) {
		len = strnlen(c->comm, sizeof(c->comm));
		if (len == 0 || len > 15)
			__builtin_trap();
		for (size_t i = 0; i < len; i++)
			if ((unsigned char)c->comm[i] < 0x20 || (unsigned char)c->comm[i] >= 0x7f)
				__builtin_trap();
	}
	if (c->rip_area > KINFO_AREA_UNKNOWN || (c->rip_area == KINFO_AREA_USER) != user)
		__builtin_trap();
	if (!is_str(c->rip_symbol, KINFO_SYM_MAX) ||
	    (c->rip_symbol[0] && (!kernel || c->note >= KINFO_SYMBOLIZED_CPUS)))
		__builtin_trap();
	if (c->nstack > KINFO_STACK_ENTRIES || (c->nstack && !c->have_stack) ||
	    (c->have_stack && !kernel))
		__builtin_trap();
	for (unsigned i = 0; i < c->nstack; i++)
		if (!c->stack[i][0] || !is_str(c->stack[i], KINFO_SYM_MAX))
			__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kinfo_cpu c;
	struct kinfo_source src = { .read = read_virt };
	struct kinfo *k;
	struct vmcore *v;
	unsigned note = 0;
	int r;

	if (vmcore_open_mem(data, size, &v) < 0)
		return 0;
	src.read_ctx = v;
	src.info = vmcore_info(v, &src.info_len);
	src.notes = vmcore_notes(v, &src.notes_len);
	src.panic_cpu = panic_cpu(v, src.info, src.info_len);
	if (src.info && kallsyms_open(src.info, src.info_len, read_phys, v, &src.ks) < 0)
		src.ks = NULL;
	if (kinfo_open(&src, &k) < 0)
		abort(); /* out of memory: the harness, not the input */
	while ((r = kinfo_next_cpu(k, &c)) != 0) {
		if (r == -EBADMSG) {
			if (c.note != note || kinfo_next_cpu(k, &c) != 0)
				__builtin_trap(); /* the walk is over */
			break;
		}
		if (r == -EINVAL) {
			if (c.note != note++ || c.descsz == 336)
				__builtin_trap();
			continue;
		}
		if (r != 1)
			__builtin_trap(); /* 1, 0, -EINVAL or -EBADMSG only */
		check_cpu(&c, note++);
	}
	kinfo_close(k);
	kallsyms_close(src.ks);
	vmcore_close(v);
	return 0;
}
