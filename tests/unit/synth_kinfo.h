/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A synthetic crashed kernel for kinfo.h (the CPUs of `hvdump info`): kallsyms tables,
 * __per_cpu_offset, a current task per CPU with its comm, stacks holding return addresses,
 * one CORE NT_PRSTATUS note per CPU, and a printk ring whose panic names the panicking CPU.
 * Used by test_kinfo and by mkseed for fuzz_kinfo's seeds.
 *
 *   guest-physical (256 KiB, all of it mapped at SYNTH_TEXT())
 *   0x01000  text: _stext, default_idle, panic, sysrq_handle_crash, write_sysrq_trigger,
 *            stop_this_cpu; _etext at 0x02000
 *   0x02000  per-CPU areas, 64 bytes each: the current task pointer at +0
 *   0x04000  init_task (16 KiB), the idle task of CPU 0: "swapper/0" at SK_COMM_OFF
 *   0x08000  the other CPUs' current tasks, 1 KiB each (CPU i's at 0x08000 + 1 KiB i)
 *   0x10000  three 16 KiB stacks: idle, panic, worker
 *   0x1c000  the printk ring
 *   0x20000  __per_cpu_offset[8192]: CPU i's entry points its per-CPU area at 0x02000 + 64 i
 *   0x30000  _end; above it page tables, init_uts_ns and the kallsyms tables (synth.h)
 *
 * The CPUs: the panicking one runs "init" (pid 108) in a module (pvpanic's notifier), with
 * panic and sysrq_handle_crash on its stack; CPU 2 (unless it panics) runs "sh" in user
 * mode; CPU 3 (unless it panics) runs "kworker/3:1" with a GS_BASE that matches no per-CPU
 * offset (its CPU number comes from its note's position); the others are idle in
 * default_idle.  The notes are in CPU order, then (BAD_NOTE) a CORE NT_PRSTATUS note of
 * the wrong size. */
#ifndef HVDUMP_TESTS_SYNTH_KINFO_H
#define HVDUMP_TESTS_SYNTH_KINFO_H

#include "format/prstatus.h"
#include "unit/synth.h"

#define SK_MEM        0x40000u
#define SK_MAX_CPUS   32u
#define SK_TEXT       0x1000u
#define SK_AREA(i)    (0x2000u + 64u * (i))
#define SK_INIT_TASK  0x4000u
#define SK_TASKS      0x8000u
#define SK_COMM_OFF   0x2a8u
#define SK_STACK_IDLE   0x10000u
#define SK_STACK_PANIC  0x14000u
#define SK_STACK_WORKER 0x18000u
#define SK_RING       0x1c000u
#define SK_PCO        0x20000u
#define SK_END        0x30000u
#define SK_PERCPU_VAR 0x1e000u      /* &current_task (or &pcpu_hot), a per-CPU offset */
#define SK_MODULE_RIP (SYNTH_KMAP + (1ull << 30) + 0x5230)
#define SK_USER_RIP   0x401000ull
#define SK_WORKER_GS  0x5555000ull  /* matches no __per_cpu_offset entry */
#define SK_PANIC_PID  108u

/* Text symbols and their offsets in the text page. */
#define SK_DEFAULT_IDLE 0x100u
#define SK_PANIC        0x200u
#define SK_SYSRQ        0x400u
#define SK_WRITE_SYSRQ  0x480u
#define SK_STOP_CPU     0x600u
#define SK_ADDR(off)    SYNTH_TEXT(SK_TEXT + (off))

struct synth_kinfo_opts {
	unsigned levels;          /* page-table levels, 4 or 5 */
	unsigned ncpus;           /* 1 to SK_MAX_CPUS */
	unsigned panic_cpu;       /* < ncpus */
	int pcpu_hot;             /* 6.2 and later: pcpu_hot instead of current_task */
	int addresses;            /* kallsyms_addresses instead of base-relative offsets */
	int qemu;                 /* pr_pid = CPU + 1 and a "QEMU" note, as QEMU writes them;
				   * 2: the "QEMU" note with real pids (hvdump's capture) */
	int bad_note;             /* a last CORE NT_PRSTATUS note of 100 bytes */
	int swapper;              /* init_task's comm is "swapper", not "swapper/0" */
};

enum sk_role { SK_IDLE, SK_PANICKING, SK_USER, SK_WORKER };

static inline enum sk_role synth_kinfo_role(const struct synth_kinfo_opts *o, unsigned cpu)
{
	if (cpu == o->panic_cpu)
		return SK_PANICKING;
	return cpu == 2 ? SK_USER : cpu == 3 ? SK_WORKER : SK_IDLE;
}

/* CPU's current task: init_task when CPU 0 is idle, else its own. */
static inline uint64_t synth_kinfo_task(const struct synth_kinfo_opts *o, unsigned cpu)
{
	if (cpu == 0 && synth_kinfo_role(o, cpu) == SK_IDLE)
		return SK_INIT_TASK;
	return SK_TASKS + 0x400u * cpu;
}

static inline uint64_t synth_kinfo_percpu(unsigned cpu)
{
	return SYNTH_TEXT(SK_AREA(cpu)) - SK_PERCPU_VAR;
}

static inline const char *synth_kinfo_comm(const struct synth_kinfo_opts *o, unsigned cpu,
					   char *buf, size_t len)
{
	switch (synth_kinfo_role(o, cpu)) {
	case SK_PANICKING:
		return "init";
	case SK_USER:
		return "sh";
	case SK_WORKER:
		return "kworker/3:1";
	default:
		if (cpu == 0)
			return o->swapper ? "swapper" : "swapper/0";
		snprintf(buf, len, "swapper/%u", cpu);
		return buf;
	}
}

static inline void synth_kinfo_text(struct synth *s, const struct synth_kinfo_opts *o)
{
	struct synth_sym syms[] = {
		{ 'D', o->pcpu_hot ? "pcpu_hot" : "current_task", SK_PERCPU_VAR },
		{ 'T', "_stext", SK_ADDR(0) },
		{ 't', "default_idle", SK_ADDR(SK_DEFAULT_IDLE) },
		{ 'T', "panic", SK_ADDR(SK_PANIC) },
		{ 't', "sysrq_handle_crash", SK_ADDR(SK_SYSRQ) },
		{ 't', "write_sysrq_trigger", SK_ADDR(SK_WRITE_SYSRQ) },
		{ 'T', "stop_this_cpu", SK_ADDR(SK_STOP_CPU) },
		{ 'T', "_etext", SK_ADDR(0x1000) },
		{ 'D', "init_task", SYNTH_TEXT(SK_INIT_TASK) },
		{ 'D', "__per_cpu_offset", SYNTH_TEXT(SK_PCO) },
		{ 'B', "_end", SYNTH_TEXT(SK_END) },
	};

	synth_kallsyms(s, syms, sizeof(syms) / sizeof(syms[0]), o->addresses);
}

/* The kernel log: boot lines, the sysrq panic and its CPU line. */
static inline void synth_kinfo_log(struct synth *s, const struct synth_kinfo_opts *o)
{
	struct synth_prb ring;
	char line[128];
	static const char *const lines[] = {
		"Linux version 6.1.0-synthetic", "Command line: console=ttyS0",
		"sysrq: Trigger a crash", "Kernel panic - not syncing: sysrq triggered crash",
	};

	synth_prb_init(&ring, s->mem + SK_RING, SYNTH_TEXT(SK_RING), 0, 4, 10, 7, 0);
	synth_infof(s, "SYMBOL(prb)=%llx\n%s", (unsigned long long)SYNTH_TEXT(SK_RING),
		    SYNTH_PRB_INFO);
	for (unsigned i = 0; i < 4; i++)
		synth_prb_add(&ring, 1000000000ull * (i + 1), lines[i], strlen(lines[i]));
	snprintf(line, sizeof(line), "CPU: %u PID: %u Comm: init Not tainted 6.1.0-synthetic #1",
		 o->panic_cpu, SK_PANIC_PID);
	synth_prb_add(&ring, 4000100000ull, line, strlen(line));
	synth_prb_add(&ring, 4000200000ull, "Call Trace:", 11);
}

/* One CPU: its per-CPU offset, current task, comm, stack words and note. */
static inline void synth_kinfo_cpu(struct synth *s, const struct synth_kinfo_opts *o,
				   unsigned cpu, uint8_t *notes, size_t cap, size_t *nlen)
{
	uint64_t reg[PR_NREGS] = { 0 }, stack;
	enum sk_role role = synth_kinfo_role(o, cpu);
	char buf[32];
	const char *comm = synth_kinfo_comm(o, cpu, buf, sizeof(buf));

	synth_put(s->mem + SK_PCO + 8 * cpu, synth_kinfo_percpu(cpu), 8);
	synth_put(s->mem + SK_AREA(cpu), SYNTH_TEXT(synth_kinfo_task(o, cpu)), 8);
	memcpy(s->mem + synth_kinfo_task(o, cpu) + SK_COMM_OFF, comm, strlen(comm) + 1);
	reg[PR_CS] = 0x10;
	reg[PR_SS] = 0x18;
	reg[PR_GS_BASE] = synth_kinfo_percpu(cpu);
	switch (role) {
	case SK_PANICKING:
		stack = SK_STACK_PANIC;
		reg[PR_RIP] = SK_MODULE_RIP;
		reg[PR_RSP] = SYNTH_TEXT(stack + 0x3f00);
		synth_put(s->mem + stack + 0x3f00, 0xdeadbeefull, 8);
		synth_put(s->mem + stack + 0x3f08, SK_ADDR(SK_PANIC + 0x18), 8);
		synth_put(s->mem + stack + 0x3f10, SYNTH_TEXT(SK_INIT_TASK), 8); /* data, not text */
		synth_put(s->mem + stack + 0x3f18, SK_ADDR(SK_SYSRQ + 0x16), 8);
		synth_put(s->mem + stack + 0x3f20, SK_ADDR(0x1000), 8);          /* _etext: not text */
		synth_put(s->mem + stack + 0x3f28, SK_ADDR(SK_WRITE_SYSRQ + 0x24), 8);
		break;
	case SK_USER:
		reg[PR_CS] = 0x33;
		reg[PR_SS] = 0x2b;
		reg[PR_GS_BASE] = 0;
		reg[PR_RIP] = SK_USER_RIP;
		reg[PR_RSP] = 0x7ffc12345678ull;
		break;
	case SK_WORKER:
		stack = SK_STACK_WORKER;
		reg[PR_GS_BASE] = SK_WORKER_GS;
		reg[PR_RIP] = SK_ADDR(SK_STOP_CPU + 0x63);
		reg[PR_RSP] = SYNTH_TEXT(stack + 0x3fe0);
		synth_put(s->mem + stack + 0x3ff0, SK_ADDR(SK_DEFAULT_IDLE + 0x40), 8);
		break;
	default:
		stack = SK_STACK_IDLE;
		reg[PR_RIP] = SK_ADDR(SK_DEFAULT_IDLE + 0x10);
		reg[PR_RSP] = SYNTH_TEXT(stack + 0x3fc0);
		synth_put(s->mem + stack + 0x3fc8, SK_ADDR(SK_STOP_CPU + 0x20), 8);
		break;
	}
	synth_prstatus(notes, cap, nlen,
		       o->qemu == 1 ? cpu + 1 : role == SK_PANICKING ? SK_PANIC_PID : 1000 + cpu, reg);
}

/* Build the kernel in S (synth_init()ed here with SK_MEM bytes) and its notes (without
 * VMCOREINFO; synth_elf_notes() adds it).  Returns 0 or -ENOMEM. */
static inline int synth_kinfo(struct synth *s, const struct synth_kinfo_opts *o,
			      uint8_t *notes, size_t cap, size_t *nlen)
{
	uint8_t bad[100] = { 0 };

	if (o->ncpus == 0 || o->ncpus > SK_MAX_CPUS || o->panic_cpu >= o->ncpus)
		abort();
	if (synth_init(s, SK_MEM, o->levels))
		return -ENOMEM;
	synth_kinfo_text(s, o);
	synth_kinfo_log(s, o);
	memcpy(s->mem + SK_INIT_TASK + SK_COMM_OFF, o->swapper ? "swapper" : "swapper/0",
	       o->swapper ? 8 : 10);
	*nlen = 0;
	for (unsigned cpu = 0; cpu < o->ncpus; cpu++)
		synth_kinfo_cpu(s, o, cpu, notes, cap, nlen);
	if (o->qemu && elfnote_append(notes, cap, nlen, "QEMU", 0, bad, 16))
		abort();
	if (o->bad_note && elfnote_append(notes, cap, nlen, "CORE", NT_PRSTATUS, bad, sizeof(bad)))
		abort();
	return 0;
}

#endif
