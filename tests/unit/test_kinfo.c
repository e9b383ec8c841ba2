// SPDX-License-Identifier: GPL-2.0-or-later
// kinfo (hvdump info's CPUs) on a synthetic crashed kernel (synth_kinfo.h) read through the
// ELF vmcore reader: which CPU each note is, its task and comm, its RIP's symbol and area,
// its stack; 4- and 5-level paging, current_task and pcpu_hot, both kallsyms layouts,
// QEMU's pids; then broken pieces that must leave a field unknown, never crash.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/kinfo.h"
#include "format/panicscan.h"
#include "format/printk.h"
#include "format/vmcore.h"
#include "tap.h"
#include "unit/synth_kinfo.h"

#define MAX_SEEN 40

struct world {
	struct synth s;
	uint8_t notes[16384];
	size_t nlen;
	uint8_t *img;
	struct vmcore *v;
	struct kallsyms *ks;
	struct kinfo_cpu cpu[MAX_SEEN];
	size_t ncpu;
	int end;                  /* what ended the walk: 0, -EBADMSG */
	unsigned bad_notes, bad_note, bad_descsz;
	int qemu;
	uint64_t fail_lo, fail_hi;   /* virtual reads that touch [fail_lo, fail_hi) fail */
};

static int rd_phys(void *ctx, uint64_t pa, void *buf, size_t len)
{
	return vmcore_read_phys(ctx, pa, buf, len);
}

static int rd_virt(void *ctx, uint64_t va, void *buf, size_t len)
{
	const struct world *w = ctx;

	if (va < w->fail_hi && va + len > w->fail_lo)
		return -EFAULT;
	return vmcore_read_virt(w->v, va, buf, len);
}

/* Make the kernel; CHANGE (if not NULL) breaks something in it before the dump is cut. */
static void world_make(struct world *w, const struct synth_kinfo_opts *o,
		       void (*change)(struct world *w))
{
	size_t len;

	memset(w, 0, sizeof(*w));
	if (synth_kinfo(&w->s, o, w->notes, sizeof(w->notes), &w->nlen))
		abort();
	if (change)
		change(w);
	w->img = synth_elf_notes(&w->s, 1, w->notes, w->nlen, &len);
	if (vmcore_open_mem(w->img, len, &w->v) < 0)
		abort();
}

/* Walk every CPU with SRC's notes, VMCOREINFO and reads from W (KS as given). */
static void world_walk(struct world *w, struct kallsyms *ks, long panic_cpu, const char *info,
		       size_t info_len)
{
	struct kinfo_source src = { .ks = ks, .read = rd_virt, .read_ctx = w,
				    .panic_cpu = panic_cpu, .info = info, .info_len = info_len };
	struct kinfo_cpu c;
	struct kinfo *k;
	int r;

	src.notes = vmcore_notes(w->v, &src.notes_len);
	w->ncpu = 0;
	w->bad_notes = 0;
	if (kinfo_open(&src, &k) < 0)
		abort();
	w->qemu = kinfo_qemu_pids(k);
	while ((r = kinfo_next_cpu(k, &c)) != 0 && r != -EBADMSG) {
		if (r == -EINVAL) {
			w->bad_notes++;
			w->bad_note = c.note;
			w->bad_descsz = c.descsz;
		} else if (r == 1 && w->ncpu < MAX_SEEN) {
			w->cpu[w->ncpu++] = c;
		} else {
			abort();
		}
	}
	w->end = r;
	if (r == -EBADMSG)
		w->bad_note = c.note;
	kinfo_close(k);
}

static void world_open(struct world *w, long panic_cpu)
{
	size_t info_len;
	const char *info = vmcore_info(w->v, &info_len);

	if (kallsyms_open(info, info_len, rd_phys, w->v, &w->ks) < 0)
		abort();
	world_walk(w, w->ks, panic_cpu, info, info_len);
}

static void world_free(struct world *w)
{
	kallsyms_close(w->ks);
	vmcore_close(w->v);
	free(w->img);
	synth_free(&w->s);
}

static void is_stack(const struct kinfo_cpu *c, const char *const *want, unsigned n,
		     const char *what)
{
	int ok = c->have_stack && c->nstack == n;

	for (unsigned i = 0; ok && i < n; i++)
		ok = strcmp(c->stack[i], want[i]) == 0;
	if (!tap_ok(ok, "%s", what)) {
		tap_diag("  have_stack %d, %u entries:", c->have_stack, c->nstack);
		for (unsigned i = 0; i < c->nstack; i++)
			tap_diag("    %s", c->stack[i]);
	}
}

static const char *const panic_stack[] = {
	"panic+0x18/0x200", "sysrq_handle_crash+0x16/0x80", "write_sysrq_trigger+0x24/0x180",
};
static const char *const idle_stack[] = { "stop_this_cpu+0x20/0xa00" };
static const char *const worker_stack[] = { "default_idle+0x40/0x100" };

/* The four CPUs of synth_kinfo.h with CPU 1 panicking. */
static void check_four(const struct world *w, const struct synth_kinfo_opts *o, const char *v)
{
	const struct kinfo_cpu *c = w->cpu;
	char name[160];

	tap_is_int(w->ncpu, 4, "four CPUs");
	if (w->ncpu != 4)
		return;
	snprintf(name, sizeof(name), "%s: CPU 0 by GS_BASE, idle in %s", v,
		 o->swapper ? "swapper" : "swapper/0");
	tap_ok(c[0].note == 0 && c[0].cpu == 0 && c[0].cpu_from_gs && c[0].have_task &&
	       !strcmp(c[0].comm, o->swapper ? "swapper" : "swapper/0") &&
	       c[0].task == SYNTH_TEXT(SK_INIT_TASK), "%s", name);
	tap_is_str(c[0].rip_symbol, "default_idle+0x10/0x100", "  its RIP's symbol");
	tap_is_str(kinfo_area_name(c[0].rip_area), "kernel", "  in the kernel image");
	tap_is_int(c[0].regs.pid, o->qemu == 1 ? 1 : 1000, "  pr_pid as written");
	is_stack(&c[0], idle_stack, 1, "  its stack");

	tap_ok(c[1].cpu == 1 && c[1].cpu_from_gs && c[1].have_task && !strcmp(c[1].comm, "init") &&
	       c[1].task == SYNTH_TEXT(SK_TASKS + 0x400), "%s: CPU 1 runs init", v);
	tap_ok(c[1].rip_area == KINFO_AREA_MODULE && !c[1].rip_symbol[0],
	       "  in a module, with no symbol");
	is_stack(&c[1], panic_stack, 3, "  panic and sysrq_handle_crash on its stack, not "
		 "data, _etext or junk");

	tap_ok(c[2].cpu == 2 && !c[2].cpu_from_gs && c[2].have_task && !strcmp(c[2].comm, "sh") &&
	       c[2].rip_area == KINFO_AREA_USER && !c[2].rip_symbol[0] && !c[2].have_stack,
	       "%s: CPU 2 in user mode: number from its note, task sh, no symbol or stack", v);
	tap_ok(c[3].cpu == 3 && !c[3].cpu_from_gs && c[3].have_task &&
	       !strcmp(c[3].comm, "kworker/3:1"),
	       "%s: CPU 3, whose GS_BASE matches no offset: number from its note", v);
	tap_is_str(c[3].rip_symbol, "stop_this_cpu+0x63/0xa00", "  its RIP's symbol");
	is_stack(&c[3], worker_stack, 1, "  its stack");
}

static void test_variants(void)
{
	static const struct synth_kinfo_opts variants[] = {
		{ .levels = 4, .ncpus = 4, .panic_cpu = 1, .bad_note = 1 },
		{ .levels = 5, .ncpus = 4, .panic_cpu = 1, .pcpu_hot = 1, .addresses = 1,
		  .qemu = 1, .swapper = 1 },
		{ .levels = 4, .ncpus = 4, .panic_cpu = 1, .qemu = 2 },
	};
	static struct world w;

	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		const struct synth_kinfo_opts *o = &variants[i];
		char v[96];

		snprintf(v, sizeof(v), "%u-level, %s, %s%s", o->levels,
			 o->pcpu_hot ? "pcpu_hot" : "current_task",
			 o->addresses ? "kallsyms_addresses" : "kallsyms_offsets",
			 o->qemu == 1 ? ", QEMU pids" : o->qemu ? ", QEMU notes, real pids" : "");
		world_make(&w, o, NULL);
		world_open(&w, 1);
		check_four(&w, o, v);
		tap_ok(w.qemu == (o->qemu == 1), "%s: pr_pid %s", v,
		       o->qemu == 1 ? "is QEMU's CPU index + 1" : "holds pids");
		tap_ok(w.end == 0 && w.bad_notes == (unsigned)o->bad_note &&
		       (!o->bad_note || (w.bad_note == 4 && w.bad_descsz == 100)),
		       "%s: %s", v, o->bad_note ? "a 100-byte NT_PRSTATUS is note 4, and the walk "
		       "goes on to the end" : "the walk ends after the notes");
		world_free(&w);
	}
}

/* The seed's log names the panicking CPU, as hvdump info would find it. */
static void test_log(void)
{
	struct synth_kinfo_opts o = { .levels = 4, .ncpus = 4, .panic_cpu = 3 };
	struct printk_source src = { .read = rd_virt };
	struct panicscan *ps = calloc(1, sizeof(*ps));
	struct printk_result res;
	static struct world w;
	unsigned long cpu = 99, pid = 0;
	char comm[16];
	int r;

	world_make(&w, &o, NULL);
	src.info = vmcore_info(w.v, &src.info_len);
	src.read_ctx = &w;
	panicscan_init(ps);
	r = printk_dump(&src, panicscan_feed, ps, &res);
	tap_ok(r == 0 && res.records == 6, "the kernel log reads: %llu records",
	       (unsigned long long)res.records);
	panicscan_finish(ps);
	tap_ok(panicscan_task(ps, &cpu, &pid, comm, sizeof(comm)) == 0 && cpu == 3 &&
	       pid == SK_PANIC_PID && !strcmp(comm, "init"), "and names CPU 3, pid 108, init");
	free(ps);
	world_free(&w);
}

/* Only the first KINFO_STACK_CPUS notes get a stack, and the panicking CPU. */
static void test_many(void)
{
	struct synth_kinfo_opts o = { .levels = 4, .ncpus = 20, .panic_cpu = 19 };
	static struct world w;
	int ok = 1;

	world_make(&w, &o, NULL);
	world_open(&w, 19);
	tap_is_int(w.ncpu, 20, "20 CPUs");
	for (size_t i = 4; i < w.ncpu && i < 19; i++)
		ok &= w.cpu[i].cpu == i && w.cpu[i].cpu_from_gs &&
		      w.cpu[i].have_stack == (i < KINFO_STACK_CPUS);
	tap_ok(ok, "idle CPUs 4-18 by GS_BASE, stacks for the first %u notes only",
	       KINFO_STACK_CPUS);
	if (w.ncpu == 20)
		is_stack(&w.cpu[19], panic_stack, 3, "the panicking CPU 19's stack still");
	world_walk(&w, w.ks, -1, NULL, 0);
	tap_ok(w.ncpu == 20 && !w.cpu[19].have_stack,
	       "without a panicking CPU from the log, CPU 19 has no stack");
	world_free(&w);
}

/* No kallsyms: CPU numbers from the notes, no task, symbol or stack; areas still. */
static void test_no_symbols(void)
{
	struct synth_kinfo_opts o = { .levels = 4, .ncpus = 4, .panic_cpu = 1 };
	static struct world w;
	int ok = 1;

	world_make(&w, &o, NULL);
	world_walk(&w, NULL, 1, NULL, 0);
	for (size_t i = 0; i < w.ncpu; i++)
		ok &= w.cpu[i].cpu == i && !w.cpu[i].cpu_from_gs && !w.cpu[i].have_task &&
		      !w.cpu[i].rip_symbol[0] && !w.cpu[i].have_stack;
	tap_ok(w.ncpu == 4 && ok, "no kallsyms: four CPUs numbered by their notes, nothing else");
	tap_ok(w.ncpu == 4 && w.cpu[1].rip_area == KINFO_AREA_MODULE &&
	       w.cpu[2].rip_area == KINFO_AREA_USER, "  areas from the default image size");
	world_free(&w);
}

static void no_swapper(struct world *w)
{
	memset(w->s.mem + SK_INIT_TASK + SK_COMM_OFF, 'x', 16);
}

static void bad_tasks(struct world *w)
{
	/* CPU 0's task pointer leads nowhere, CPU 1's comm is not text, CPU 3's is 16 bytes */
	synth_put(w->s.mem + SK_AREA(0), 0xffffffff00000000ull, 8);
	w->s.mem[SK_TASKS + 0x400 + SK_COMM_OFF + 1] = 0x07;
	memcpy(w->s.mem + SK_TASKS + 3 * 0x400 + SK_COMM_OFF, "0123456789abcdef", 16);
}

/* Broken pieces leave their fields unknown. */
static void test_hostile(void)
{
	struct synth_kinfo_opts o = { .levels = 4, .ncpus = 4, .panic_cpu = 1 };
	static const char huge[] = "NUMBER(KERNEL_IMAGE_SIZE)=4611686018427387904\n";
	static struct world w;
	uint64_t reg[PR_NREGS] = { 0 };
	int ok = 1;

	world_make(&w, &o, no_swapper);
	world_open(&w, 1);
	for (size_t i = 0; i < w.ncpu; i++)
		ok &= !w.cpu[i].have_task && w.cpu[i].cpu == i && !w.cpu[i].cpu_from_gs;
	tap_ok(w.ncpu == 4 && ok && !strcmp(w.cpu[0].rip_symbol, "default_idle+0x10/0x100"),
	       "no comm in init_task: no tasks, CPUs by their notes, symbols still");
	world_free(&w);

	world_make(&w, &o, bad_tasks);
	world_open(&w, 1);
	tap_ok(w.ncpu == 4 && !w.cpu[0].have_task && !w.cpu[1].have_task && w.cpu[2].have_task &&
	       !w.cpu[3].have_task && w.cpu[0].cpu_from_gs && w.cpu[1].cpu_from_gs,
	       "a task pointer to nowhere, a comm with a control byte, a comm of 16 bytes: "
	       "no task for those CPUs");
	world_free(&w);

	/* __per_cpu_offset[2] cannot be read: the walk stops there, in the middle of a page */
	world_make(&w, &o, NULL);
	w.fail_lo = SYNTH_TEXT(SK_PCO) + 16;
	w.fail_hi = w.fail_lo + 1;
	world_open(&w, 1);
	tap_ok(w.ncpu == 4 && w.cpu[0].have_task && w.cpu[1].have_task && !w.cpu[2].have_task &&
	       !w.cpu[3].have_task, "__per_cpu_offset unreadable from entry 2: tasks for CPUs "
	       "0 and 1 only");
	world_free(&w);

	/* the notes cut in the middle of the third */
	world_make(&w, &o, NULL);
	{
		size_t info_len, one = elfnote_size("CORE", PRSTATUS_X86_64_SIZE);
		const char *info = vmcore_info(w.v, &info_len);
		struct kinfo_source src = { .read = rd_virt, .read_ctx = &w, .panic_cpu = 1,
					    .info = info, .info_len = info_len,
					    .notes = w.notes, .notes_len = 2 * one + 40 };
		struct kinfo_cpu c;
		struct kinfo *k;
		int r1, r2, r3, r4;

		if (kallsyms_open(info, info_len, rd_phys, w.v, &w.ks) < 0 ||
		    kinfo_open(&src, &k) < 0)
			abort();
		r1 = kinfo_next_cpu(k, &c);
		r2 = kinfo_next_cpu(k, &c);
		r3 = kinfo_next_cpu(k, &c);
		tap_ok(r1 == 1 && r2 == 1 && r3 == -EBADMSG && c.note == 2,
		       "notes cut short: two CPUs, then -EBADMSG after 2 notes (%d %d %d, %u)",
		       r1, r2, r3, c.note);
		r4 = kinfo_next_cpu(k, &c);
		tap_ok(r4 == 0, "  and the walk is over");
		kinfo_close(k);
	}
	world_free(&w);

	/* an image size that wraps past 2^64 makes no module area out of the direct map, and
	 * an RSP at the top of the address space scans nothing */
	world_make(&w, &o, NULL);
	{
		struct kinfo_source src = { .read = rd_virt, .read_ctx = &w, .panic_cpu = -1,
					    .info = huge, .info_len = sizeof(huge) - 1 };
		struct kinfo_cpu c;
		struct kinfo *k;
		size_t info_len;
		const char *info = vmcore_info(w.v, &info_len);
		uint8_t notes[1024];
		size_t nlen = 0;
		int r;

		reg[PR_CS] = 0x10;
		reg[PR_RIP] = 0xffff888000001000ull;
		reg[PR_RSP] = 0xfffffffffffffff8ull;
		synth_prstatus(notes, sizeof(notes), &nlen, 1, reg);
		src.notes = notes;
		src.notes_len = nlen;
		if (kallsyms_open(info, info_len, rd_phys, w.v, &w.ks) < 0)
			abort();
		src.ks = w.ks;
		if (kinfo_open(&src, &k) < 0)
			abort();
		r = kinfo_next_cpu(k, &c);
		tap_ok(r == 1 && c.rip_area == KINFO_AREA_UNKNOWN,
		       "KERNEL_IMAGE_SIZE 2^62: a direct-map RIP is in no area (%s)",
		       kinfo_area_name(c.rip_area));
		tap_ok(c.have_stack && c.nstack == 0, "  RSP 0xfffffffffffffff8: an empty stack");
		tap_ok(kinfo_next_cpu(k, &c) == 0, "  one CPU");
		kinfo_close(k);
	}
	world_free(&w);
}

int main(void)
{
	test_variants();
	test_log();
	test_many();
	test_no_symbols();
	test_hostile();
	return tap_done();
}
