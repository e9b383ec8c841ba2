// SPDX-License-Identifier: GPL-2.0-or-later
// The CPUs of a crashed kernel: which CPU each NT_PRSTATUS note is, its task, its RIP's
// symbol and its stack, from kallsyms and kernel virtual reads (kinfo.h has the map).
#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/elfcore.h"
#include "format/kinfo.h"
#include "format/le.h"
#include "format/vmcoreinfo.h"

#define PAGE 4096u

struct kinfo {
	struct kinfo_source src;
	int qemu;                /* pr_pid is QEMU's CPU index + 1 */
	uint64_t image_size;     /* NUMBER(KERNEL_IMAGE_SIZE) */
	uint64_t stext, etext;   /* 0, 0: no stacks */
	int tasks;               /* the fields below were found */
	uint64_t current_task;   /* per-CPU offset of the current task pointer */
	uint64_t comm_off;       /* offset of task_struct.comm */
	uint64_t *percpu;        /* __per_cpu_offset[0, npercpu) */
	size_t npercpu;
	size_t pos;              /* of the next note */
	unsigned idx;            /* CORE NT_PRSTATUS notes seen */
};

static int read_u64(const struct kinfo *k, uint64_t va, uint64_t *v)
{
	uint8_t b[8];
	int r = k->src.read(k->src.read_ctx, va, b, sizeof(b));

	if (r == 0)
		*v = le64_get(b);
	return r;
}

/* The offset of task_struct.comm, from init_task: its comm is "swapper/0" (set by
 * init_idle) or "swapper".  VMCOREINFO does not carry it, and neither does kallsyms. */
static int find_comm_offset(const struct kinfo *k, uint64_t init_task, uint64_t *off)
{
	static const char *const names[] = { "swapper/0", "swapper" };
	size_t want = KINFO_STACK_BYTES; /* task_struct is under 16 KiB */
	uint8_t *buf = malloc(want);
	int r = -ENOENT;

	if (!buf)
		return -ENOMEM;
	if (k->src.read(k->src.read_ctx, init_task, buf, want) < 0)
		goto out_free;
	for (size_t n = 0; n < 2 && r; n++) {
		size_t len = strlen(names[n]) + 1;

		for (size_t i = 0; i + 16 <= want; i += 8) {
			if (memcmp(buf + i, names[n], len) == 0) {
				*off = i;
				r = 0;
				break;
			}
		}
	}
out_free:
	free(buf);
	return r;
}

/* __per_cpu_offset[] until a read fails.  An entry at a time would cost a page-table walk
 * each (8192 of them for a distribution kernel): read the entries that share a page in one
 * go, and only when that fails look at them one by one, to stop where that would. */
static void read_percpu(struct kinfo *k, uint64_t pco)
{
	uint8_t buf[PAGE];

	while (k->npercpu < KINFO_MAX_PERCPU) {
		uint64_t va;
		size_t n;

		if (__builtin_add_overflow(pco, 8 * (uint64_t)k->npercpu, &va))
			return;
		n = (PAGE - va % PAGE) / 8;
		if (n == 0)
			n = 1; /* an entry across two pages */
		if (n > KINFO_MAX_PERCPU - k->npercpu)
			n = KINFO_MAX_PERCPU - k->npercpu;
		if (n > 1 && k->src.read(k->src.read_ctx, va, buf, 8 * n) == 0) {
			for (size_t i = 0; i < n; i++)
				k->percpu[k->npercpu++] = le64_get(buf + 8 * i);
			continue;
		}
		for (size_t i = 0; i < n; i++, va += 8) {
			if (read_u64(k, va, &k->percpu[k->npercpu]) < 0)
				return;
			k->npercpu++;
		}
	}
}

static void tasks_setup(struct kinfo *k)
{
	struct kallsyms *ks = k->src.ks;
	uint64_t pco, init_task;

	if (!ks || kallsyms_find(ks, "__per_cpu_offset", &pco) < 0 ||
	    kallsyms_find(ks, "init_task", &init_task) < 0)
		return;
	/* 6.1 and before: a per-CPU current_task; 6.2 and later: pcpu_hot.current_task, its
	 * first member */
	if (kallsyms_find(ks, "current_task", &k->current_task) < 0 &&
	    kallsyms_find(ks, "pcpu_hot", &k->current_task) < 0)
		return;
	if (find_comm_offset(k, init_task, &k->comm_off) < 0)
		return;
	k->percpu = calloc(KINFO_MAX_PERCPU, sizeof(*k->percpu));
	if (!k->percpu)
		return;
	read_percpu(k, pco);
	k->tasks = k->npercpu > 0;
}

int kinfo_open(const struct kinfo_source *src, struct kinfo **out)
{
	struct kinfo *k = calloc(1, sizeof(*k));

	if (!k)
		return -ENOMEM;
	k->src = *src;
	if (vmcoreinfo_get_u64(src->info, src->info_len, "NUMBER(KERNEL_IMAGE_SIZE)",
			       &k->image_size) < 0)
		k->image_size = KALLSYMS_IMAGE_SIZE_DEFAULT;
	if (src->ks && (kallsyms_find(src->ks, "_stext", &k->stext) < 0 ||
			kallsyms_find(src->ks, "_etext", &k->etext) < 0))
		k->stext = k->etext = 0;
	k->qemu = prstatus_pids_are_cpu_numbers(src->notes, src->notes_len);
	tasks_setup(k);
	*out = k;
	return 0;
}

int kinfo_qemu_pids(const struct kinfo *k)
{
	return k->qemu;
}

void kinfo_close(struct kinfo *k)
{
	if (!k)
		return;
	free(k->percpu);
	free(k);
}

const char *kinfo_area_name(enum kinfo_area a)
{
	static const char *const names[] = {
		[KINFO_AREA_USER] = "user", [KINFO_AREA_KERNEL] = "kernel",
		[KINFO_AREA_MODULE] = "module", [KINFO_AREA_UNKNOWN] = "unknown",
	};

	return (unsigned)a < sizeof(names) / sizeof(names[0]) ? names[a] : "unknown";
}

static int kernel_mode(const struct prstatus *p)
{
	return (p->reg[PR_CS] & 3) == 0;
}

/* Which CPU a note is, and its current task's comm.  In kernel mode GS_BASE is that CPU's
 * __per_cpu_offset; otherwise (or if it matches none) the note's position is taken as the
 * CPU number, the order QEMU and the kernel both write them in. */
static void cpu_task(const struct kinfo *k, struct kinfo_cpu *c)
{
	uint64_t base, task = 0, va;
	size_t n = SIZE_MAX, len;
	char comm[17];

	if (!k->tasks)
		return;
	if (kernel_mode(&c->regs))
		for (size_t i = 0; i < k->npercpu && n == SIZE_MAX; i++)
			if (k->percpu[i] == c->regs.reg[PR_GS_BASE])
				n = i;
	if (n != SIZE_MAX) {
		c->cpu = (unsigned)n;
		c->cpu_from_gs = 1;
	} else if (c->note < k->npercpu) {
		n = c->note;
	} else {
		return;
	}
	/* per_cpu_ptr() adds modulo 2^64 (the offset may be "negative"); reads check the rest */
	base = k->percpu[n];
	if (read_u64(k, base + k->current_task, &task) < 0 ||
	    __builtin_add_overflow(task, k->comm_off, &va) ||
	    k->src.read(k->src.read_ctx, va, comm, 16) < 0)
		return;
	comm[16] = '\0';
	len = strnlen(comm, 16);
	if (len == 0 || len == 16)
		return; /* not a comm: the guess of the offset or the task pointer is wrong */
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)comm[i] < 0x20 || (unsigned char)comm[i] >= 0x7f)
			return;
	memcpy(c->comm, comm, len + 1);
	c->task = task;
	c->have_task = 1;
}

/* "panic+0x118/0x2f4" into BUF (KINFO_SYM_MAX bytes), or -ENOENT when kallsyms does not
 * cover ADDR. */
static int symbolize(const struct kinfo *k, uint64_t addr, char *buf)
{
	char name[KALLSYMS_NAME_MAX + 1];
	uint64_t off, size;

	if (!k->src.ks || kallsyms_addr_to_name(k->src.ks, addr, name, sizeof(name), &off,
						&size) < 0)
		return -ENOENT;
	snprintf(buf, KINFO_SYM_MAX, "%s+0x%" PRIx64 "/0x%" PRIx64, name, off, size);
	return 0;
}

static enum kinfo_area area_of(const struct kinfo *k, uint64_t cs, uint64_t addr)
{
	uint64_t image_end;

	if ((cs & 3) == 3)
		return KINFO_AREA_USER;
	if (addr >= KALLSYMS_START_KERNEL_MAP && addr - KALLSYMS_START_KERNEL_MAP < k->image_size)
		return KINFO_AREA_KERNEL;
	/* an image size that runs past 2^64 (VMCOREINFO is the guest's) leaves no module area */
	if (!__builtin_add_overflow(KALLSYMS_START_KERNEL_MAP, k->image_size, &image_end) &&
	    addr >= image_end && addr < KINFO_MODULES_END)
		return KINFO_AREA_MODULE;
	return KINFO_AREA_UNKNOWN;
}

/* Kernel text addresses on the stack from RSP to the top of its 16 KiB stack, resolved: the
 * return addresses of the call chain, and stale ones (like crash's "bt -t"). */
static void cpu_stack(const struct kinfo *k, struct kinfo_cpu *c)
{
	uint64_t rsp = c->regs.reg[PR_RSP];
	uint64_t top = (rsp | (KINFO_STACK_BYTES - 1)) + 1, va = rsp & ~7ull;
	uint8_t page[PAGE];

	c->have_stack = 1;
	if (top == 0)
		top = UINT64_MAX & ~7ull;
	while (va < top && c->nstack < KINFO_STACK_ENTRIES) {
		size_t n = PAGE - va % PAGE;

		if (n > top - va)
			n = (size_t)(top - va);
		if (k->src.read(k->src.read_ctx, va, page, n) < 0)
			break;
		for (size_t i = 0; i + 8 <= n && c->nstack < KINFO_STACK_ENTRIES; i += 8) {
			uint64_t w = le64_get(page + i);

			if (w < k->stext || w >= k->etext)
				continue;
			if (symbolize(k, w, c->stack[c->nstack]) == 0)
				c->nstack++;
		}
		va += n;
	}
}

int kinfo_next_cpu(struct kinfo *k, struct kinfo_cpu *c)
{
	struct elfnote n;
	int r;

	memset(c, 0, sizeof(*c));
	for (;;) {
		c->note = k->idx;
		if (!k->src.notes)
			return 0;
		r = elfnote_next(k->src.notes, k->src.notes_len, &k->pos, &n);
		if (r <= 0) {
			k->src.notes = NULL; /* over */
			return r < 0 ? -EBADMSG : 0;
		}
		if (n.type == NT_PRSTATUS && elfnote_is(&n, "CORE"))
			break;
	}
	k->idx++;
	c->descsz = n.descsz;
	if (prstatus_decode(&n, &c->regs) < 0)
		return -EINVAL;
	c->cpu = c->note;
	cpu_task(k, c);
	c->rip_area = area_of(k, c->regs.reg[PR_CS], c->regs.reg[PR_RIP]);
	if (c->note < KINFO_SYMBOLIZED_CPUS && kernel_mode(&c->regs))
		(void)symbolize(k, c->regs.reg[PR_RIP], c->rip_symbol);
	if (k->etext && kernel_mode(&c->regs) &&
	    (c->note < KINFO_STACK_CPUS || (long)c->cpu == k->src.panic_cpu))
		cpu_stack(k, c);
	return 1;
}
