// SPDX-License-Identifier: GPL-2.0-or-later
// The DIMMs.  Memory given back to a capture guest is a file-backed pc-dimm; once that guest
// crashes, the file is the only copy of what its kernel kept there.  So a DIMM outlives the
// QEMU that plugged it: the next capture boot re-attaches it read-only at the same address
// (its kernel, booted with mem=, cannot add memory above that limit while it boots, and the
// read-only mapping discards any write), the ELF core header maps it where it is, and only
// when its crash is saved is the file freed and the DIMM unplugged.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/fsutil.h"
#include "util/log.h"
#include "util/size.h"
#include "vm/dimms.h"

static uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

uint64_t dimms_window(const struct machine_layout *cur)
{
	return layout_device_memory_base(cur) + VM_DIMM_HEADROOM;
}

uint64_t dimms_place(const struct dimm_set *s, uint64_t window, uint64_t size)
{
	uint64_t a = window;
	bool moved = true;

	while (moved) {
		moved = false;
		for (unsigned i = 0; i < s->n; i++) {
			const struct vm_dimm *d = &s->d[i];
			if (a < d->gpa + d->size && d->gpa < a + size) {
				a = align_up(d->gpa + d->size, RELEASE_DIMM_ALIGN);
				moved = true;
			}
		}
	}
	return a;
}

int dimms_add(struct dimm_set *s, struct qmp *q, uint64_t window, uint64_t size, char *why,
	      size_t whylen)
{
	uint64_t addr = dimms_place(s, window, size);
	struct vm_dimm *d;
	int r;

	if (s->n == VM_MAX_DIMMS) {
		snprintf(why, whylen, "%u DIMMs already registered", s->n);
		return -ENOSPC;
	}
	d = &s->d[s->n];
	memset(d, 0, sizeof(*d));
	d->index = s->next;
	d->size = size;
	{
		char path[sizeof(d->path)];
		snprintf(path, sizeof(path), "%s/dimm-%u", s->dir, d->index);
		memcpy(d->path, path, sizeof(path));
	}
	r = release_add_dimm(q, d->path, s->owner, size, addr, d->index, &d->gpa, why, whylen);
	if (r < 0)
		return r;
	if (d->gpa != addr)
		log_warn("QEMU placed DIMM %u at 0x%llx, not 0x%llx", d->index,
			 (unsigned long long)d->gpa, (unsigned long long)addr);
	s->n++;
	s->next++;
	return 0;
}

static void remove_entry(struct dimm_set *s, unsigned i)
{
	memmove(&s->d[i], &s->d[i + 1], (s->n - i - 1) * sizeof(s->d[0]));
	s->n--;
}

void dimms_crashed(struct dimm_set *s, unsigned crash)
{
	for (unsigned i = s->n; i-- > 0;) {
		if (s->d[i].gone)
			remove_entry(s, i);
		else if (!s->d[i].crash)
			s->d[i].crash = crash;
	}
}

/* Does D hold crashed memory (of CRASH; 0: of any crash) not yet saved? */
static bool holds(const struct vm_dimm *d, unsigned crash)
{
	return !d->gone && d->crash && (!crash || d->crash == crash);
}

static int cmp_range(const void *a, const void *b)
{
	const struct mem_range *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

size_t dimms_ranges(const struct dimm_set *s, unsigned crash, struct mem_range *out, size_t max)
{
	size_t n = 0;

	for (unsigned i = 0; i < s->n && n < max; i++)
		if (holds(&s->d[i], crash))
			out[n++] = (struct mem_range){ s->d[i].gpa, s->d[i].size };
	qsort(out, n, sizeof(*out), cmp_range);
	return n;
}

size_t dimms_for_qemu(const struct dimm_set *s, struct qemu_dimm *out, size_t max)
{
	size_t n = 0;

	for (unsigned i = 0; i < s->n && n < max; i++) {
		const struct vm_dimm *d = &s->d[i];
		if (holds(d, 0))
			out[n++] = (struct qemu_dimm){ .index = d->index, .path = d->path, .fd = -1,
						       .gpa = d->gpa, .size = d->size };
	}
	return n;
}

int dimms_open_for_qemu(struct qemu_dimm *d, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int r = open_regular(d[i].path, O_RDONLY);

		d[i].fd = r < 0 ? -1 : r;
		if (r < 0) {
			log_err("cannot open %s, DIMM %u of a crash, for QEMU: %s", d[i].path,
				d[i].index, strerror(-r));
			dimms_close_for_qemu(d, i);
			return r;
		}
	}
	return 0;
}

void dimms_close_for_qemu(struct qemu_dimm *d, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (d[i].fd >= 0)
			close(d[i].fd);
		d[i].fd = -1;
	}
}

size_t dimms_for_saver(const struct dimm_set *s, struct saver_dimm *out, size_t max)
{
	size_t n = 0;

	for (unsigned i = 0; i < s->n && n < max; i++) {
		const struct vm_dimm *d = &s->d[i];
		if (holds(d, 0))
			out[n++] = (struct saver_dimm){ d->path, d->gpa, d->size };
	}
	return n;
}

uint64_t dimms_span(const struct dimm_set *s, uint64_t base, uint64_t window, uint64_t memory)
{
	uint64_t top = window;

	for (unsigned i = 0; i < s->n; i++)
		if (s->d[i].gpa + s->d[i].size > top)
			top = s->d[i].gpa + s->d[i].size;
	/* hot-added DIMMs fill gaps first fit, so they never end above top + what is returned */
	return top - base + align_up(memory, RELEASE_DIMM_ALIGN);
}

const struct vm_dimm *dimms_holding(const struct dimm_set *s, uint64_t gpa)
{
	for (unsigned i = 0; i < s->n; i++) {
		const struct vm_dimm *d = &s->d[i];
		if (holds(d, 0) && gpa >= d->gpa && gpa - d->gpa < d->size)
			return d;
	}
	return NULL;
}

/* Punch all of DIMM D's file; returns the bytes that were still allocated. */
static uint64_t punch_file(const struct vm_dimm *d)
{
	uint64_t held = 0;
	int fd = open(d->path, O_RDWR | O_CLOEXEC), r;

	if (fd < 0) {
		log_warn("cannot open %s to free it: %s", d->path, strerror(errno));
		return 0;
	}
	held = release_allocated(fd, 0, d->size);
	r = release_punch(fd, 0, d->size);
	if (r < 0)
		log_warn("cannot free %s: %s", d->path, strerror(-r));
	close(fd);
	return r < 0 ? 0 : held;
}

uint64_t dimms_drop_crash(struct dimm_set *s, struct qmp *q, unsigned crash)
{
	char why[256], sz[32];
	uint64_t freed = 0;

	for (unsigned i = 0; i < s->n; i++) {
		struct vm_dimm *d = &s->d[i];

		if (d->gone || d->crash != crash)
			continue;
		freed += punch_file(d);
		if (unlink(d->path) < 0)
			log_warn("cannot remove %s: %s", d->path, strerror(errno));
		d->gone = true;
		log_info("DIMM %u (%s at 0x%llx) of crash %u is saved: file removed, unplugging it",
			 d->index, size_human(d->size, sz, sizeof(sz)), (unsigned long long)d->gpa,
			 crash);
		if (q && release_del_dimm(q, d->index, why, sizeof(why)) < 0)
			log_warn("cannot unplug DIMM %u (its slot stays taken): %s", d->index, why);
	}
	return freed;
}

void dimms_deleted(struct dimm_set *s, struct qmp *q, const char *device)
{
	unsigned index;
	char extra;

	if (!device || sscanf(device, "dimm%u%c", &index, &extra) != 1)
		return;
	for (unsigned i = 0; i < s->n; i++) {
		if (s->d[i].index != index)
			continue;
		if (!s->d[i].gone) {
			log_warn("QEMU deleted DIMM %u, which hvdump did not unplug", index);
			return;
		}
		if (q && release_del_backend(q, index) < 0)
			log_warn("cannot drop the backend of DIMM %u", index);
		log_info("the guest gave up DIMM %u: its slot and addresses are free", index);
		remove_entry(s, i);
		return;
	}
}

json_t *dimms_json(const struct dimm_set *s, unsigned crash)
{
	json_t *a = json_array();

	for (unsigned i = 0; i < s->n; i++) {
		const struct vm_dimm *d = &s->d[i];
		if (d->gone || d->crash != crash)
			continue;
		json_array_append_new(a, json_pack("{s:s, s:I, s:I}", "file", d->path, "gpa",
						   (json_int_t)d->gpa, "bytes", (json_int_t)d->size));
	}
	return a;
}

int dimms_keep(struct dimm_set *s, unsigned ncrash)
{
	int r = 0;

	for (unsigned i = 0; i < s->n; i++) {
		struct vm_dimm *d = &s->d[i];
		char kept[4200];

		if (!holds(d, 0))
			continue;
		snprintf(kept, sizeof(kept), "%s/crash-%u.dimm-%u", s->dir, ncrash, d->index);
		if (rename(d->path, kept) < 0) {
			r = r ? r : -errno;
			log_err("cannot keep %s as %s: %s; it stays under its old name", d->path, kept,
				strerror(errno));
			continue;
		}
		snprintf(d->path, sizeof(d->path), "%s", kept);
	}
	return r;
}

void dimms_unregister_crashed(struct dimm_set *s)
{
	for (unsigned i = s->n; i-- > 0;)
		if (holds(&s->d[i], 0))
			remove_entry(s, i); /* kept: dimms_forget() must not remove them */
}

void dimms_forget(struct dimm_set *s)
{
	for (unsigned i = 0; i < s->n; i++)
		if (!s->d[i].gone && unlink(s->d[i].path) < 0 && errno != ENOENT)
			log_warn("cannot remove %s: %s", s->d[i].path, strerror(errno));
	s->n = 0;
	s->next = 0;
}
