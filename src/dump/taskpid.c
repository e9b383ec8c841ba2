// SPDX-License-Identifier: GPL-2.0-or-later
// Each crashed CPU's pid in its NT_PRSTATUS note (taskpid.h).
#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "dump/taskpid.h"
#include "format/btf.h"
#include "format/elfcore.h"
#include "format/kinfo.h"
#include "format/le.h"
#include "format/prstatus.h"
#include "format/vmcore.h"
#include "format/vmcoreinfo.h"
#include "util/why.h"

static int xlat_read(void *ctx, uint64_t vaddr, void *buf, size_t len)
{
	return vmcore_xlat_read_virt(ctx, vaddr, buf, len);
}

/* task_struct.pid's offset, from the BTF in the image.  0 or an error, WHY set. */
static int pid_offset(const char *info, size_t len, struct kallsyms *ks, kallsyms_read_fn rd,
		      void *ctx, uint64_t *off, char *why, size_t whylen)
{
	uint64_t start, stop, pa;
	uint8_t *btf;
	int r = kallsyms_find(ks, "__start_BTF", &start);

	if (r == 0)
		r = kallsyms_find(ks, "__stop_BTF", &stop);
	if (r < 0) {
		why_set(why, whylen, "no BTF in the kernel (__start_BTF, __stop_BTF): %s",
			strerror(-r));
		return r;
	}
	if (stop <= start || stop - start > BTF_MAX_SIZE ||
	    kallsyms_kimage_to_phys(info, len, start, &pa) < 0) {
		why_set(why, whylen, "BTF at 0x%" PRIx64 "-0x%" PRIx64 " is not in the image",
			start, stop);
		return -EBADMSG;
	}
	btf = malloc((size_t)(stop - start));
	if (!btf)
		return -ENOMEM;
	r = rd(ctx, pa, btf, (size_t)(stop - start));
	if (r == 0)
		r = btf_member_offset(btf, (size_t)(stop - start), "task_struct", "pid", off);
	free(btf);
	if (r < 0)
		why_set(why, whylen, "no task_struct.pid in the kernel's BTF: %s", strerror(-r));
	return r;
}

/* The byte offset in N's notes of the INDEX-th CORE NT_PRSTATUS note's payload, or 0. */
static size_t prstatus_desc(const struct crash_notes *n, unsigned index)
{
	struct elfnote e;
	size_t pos = 0;
	unsigned k = 0;

	while (elfnote_next(n->buf, n->len, &pos, &e) == 1) {
		if (e.type != NT_PRSTATUS || !elfnote_is(&e, "CORE"))
			continue;
		if (k++ == index)
			return e.descsz >= PRSTATUS_PID_OFFSET + 4 ? (size_t)(e.desc - n->buf) : 0;
	}
	return 0;
}

/* Walk the CPUs: each one's task's pid into its note.  The number set. */
static int set_all(struct crash_notes *n, struct kinfo *k, struct vmcore_xlat *x, uint64_t off)
{
	struct kinfo_cpu *c = malloc(sizeof(*c));
	int set = 0, r;

	if (!c)
		return -ENOMEM;
	while ((r = kinfo_next_cpu(k, c)) != 0) {
		uint8_t b[4];
		uint32_t pid;
		size_t d;

		if (r == -EBADMSG)
			break;
		if (r < 0 || !c->have_task || vmcore_xlat_read_virt(x, c->task + off, b, 4) < 0)
			continue;
		pid = le32_get(b);
		d = prstatus_desc(n, c->note);
		if (pid > TASKPID_PID_MAX || d == 0)
			continue;
		le32_put(n->buf + d + PRSTATUS_PID_OFFSET, pid);
		if (c->note < n->ncpus && c->note < NOTES_MAX_CPUS)
			n->cpu[c->note].pid = pid;
		set++;
	}
	free(c);
	return set;
}

int taskpid_set(struct crash_notes *n, kallsyms_read_fn rd, void *ctx, char *why, size_t whylen)
{
	size_t len = 0;
	const char *info = notes_vmcoreinfo(n, &len);
	struct kallsyms *ks = NULL;
	struct kinfo *k = NULL;
	struct vmcore_xlat x;
	uint64_t off;
	int r;

	if (!info) {
		why_set(why, whylen, "no VMCOREINFO");
		return -EOPNOTSUPP;
	}
	r = kallsyms_open(info, len, rd, ctx, &ks);
	if (r < 0) {
		why_set(why, whylen, "no kallsyms tables: %s", strerror(-r));
		return r;
	}
	r = pid_offset(info, len, ks, rd, ctx, &off, why, whylen);
	if (r == 0) {
		vmcore_xlat_init(&x, info, len, rd, ctx);
		struct kinfo_source src = { .info = info, .info_len = len, .notes = n->buf,
					    .notes_len = n->len, .ks = ks, .read = xlat_read,
					    .read_ctx = &x, .panic_cpu = -1 };
		r = kinfo_open(&src, &k);
	}
	if (r == 0)
		r = set_all(n, k, &x, off);
	if (r == 0)
		why_set(why, whylen, "no CPU's current task could be read");
	kinfo_close(k);
	kallsyms_close(ks);
	return r;
}
