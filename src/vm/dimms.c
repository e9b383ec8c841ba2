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

#include "dump/release.h"
#include "util/log.h"
#include "util/size.h"
#include "vm/vm_internal.h"

static uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

/* Hot-added DIMMs go at or above this address. */
static uint64_t dimm_window(const struct vm *vm)
{
	return layout_device_memory_base(&vm->cur) + VM_DIMM_HEADROOM;
}

/* The lowest address at or above the window where SIZE bytes overlap no DIMM QEMU may still
 * hold (dropped ones included: the guest may not have ejected them yet). */
static uint64_t plan_addr(const struct vm *vm, uint64_t size)
{
	uint64_t a = dimm_window(vm);
	bool moved = true;

	while (moved) {
		moved = false;
		for (unsigned i = 0; i < vm->ndimm; i++) {
			const struct vm_dimm *d = &vm->dimms[i];
			if (a < d->gpa + d->size && d->gpa < a + size) {
				a = align_up(d->gpa + d->size, RELEASE_DIMM_ALIGN);
				moved = true;
			}
		}
	}
	return a;
}

int dimms_add(struct vm *vm, uint64_t size, char *why, size_t whylen)
{
	struct vm_dimm *d;
	uint64_t addr = plan_addr(vm, size);
	int r;

	if (vm->ndimm == VM_MAX_DIMMS) {
		snprintf(why, whylen, "%u DIMMs already registered", vm->ndimm);
		return -ENOSPC;
	}
	d = &vm->dimms[vm->ndimm];
	memset(d, 0, sizeof(*d));
	d->index = vm->dimm_next;
	d->size = size;
	snprintf(d->path, sizeof(d->path), "%s/dimm-%u", vm->rd.path, d->index);
	r = release_add_dimm(vm->qmp, d->path, size, addr, d->index, &d->gpa, why, whylen);
	if (r < 0)
		return r;
	if (d->gpa != addr)
		log_warn("QEMU placed DIMM %u at 0x%llx, not 0x%llx", d->index,
			 (unsigned long long)d->gpa, (unsigned long long)addr);
	vm->ndimm++;
	vm->dimm_next++;
	return 0;
}

static void remove_entry(struct vm *vm, unsigned i)
{
	memmove(&vm->dimms[i], &vm->dimms[i + 1], (vm->ndimm - i - 1) * sizeof(vm->dimms[0]));
	vm->ndimm--;
}

void dimms_crashed(struct vm *vm)
{
	for (unsigned i = vm->ndimm; i-- > 0;) {
		if (vm->dimms[i].gone)
			remove_entry(vm, i);
		else if (!vm->dimms[i].crash)
			vm->dimms[i].crash = vm->ncrash;
	}
}

static int cmp_range(const void *a, const void *b)
{
	const struct mem_range *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

size_t dimms_ranges(const struct vm *vm, unsigned crash, struct mem_range *out, size_t max)
{
	size_t n = 0;

	for (unsigned i = 0; i < vm->ndimm && n < max; i++) {
		const struct vm_dimm *d = &vm->dimms[i];
		if (d->gone || !d->crash || (crash && d->crash != crash))
			continue;
		out[n++] = (struct mem_range){ d->gpa, d->size };
	}
	qsort(out, n, sizeof(*out), cmp_range);
	return n;
}

size_t dimms_for_qemu(const struct vm *vm, struct qemu_dimm *out, size_t max)
{
	size_t n = 0;

	for (unsigned i = 0; i < vm->ndimm && n < max; i++) {
		const struct vm_dimm *d = &vm->dimms[i];
		if (!d->gone && d->crash)
			out[n++] = (struct qemu_dimm){ d->index, d->path, d->gpa, d->size };
	}
	return n;
}

size_t dimms_for_saver(const struct vm *vm, struct saver_dimm *out, size_t max)
{
	size_t n = 0;

	for (unsigned i = 0; i < vm->ndimm && n < max; i++) {
		const struct vm_dimm *d = &vm->dimms[i];
		if (!d->gone && d->crash)
			out[n++] = (struct saver_dimm){ d->path, d->gpa, d->size };
	}
	return n;
}

uint64_t dimms_span(const struct vm *vm)
{
	uint64_t base = layout_device_memory_base(&vm->cur), top = dimm_window(vm);

	for (unsigned i = 0; i < vm->ndimm; i++)
		if (vm->dimms[i].gpa + vm->dimms[i].size > top)
			top = vm->dimms[i].gpa + vm->dimms[i].size;
	/* hot-added DIMMs fill gaps first fit, so they never end above top + what is returned */
	return top - base + align_up(vm->cfg->memory, RELEASE_DIMM_ALIGN);
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

void dimms_drop_crash(struct vm *vm, unsigned crash)
{
	char why[256], sz[32];

	for (unsigned i = 0; i < vm->ndimm; i++) {
		struct vm_dimm *d = &vm->dimms[i];
		uint64_t held;

		if (d->gone || d->crash != crash)
			continue;
		held = punch_file(d);
		vm->released += held;
		vm->release_pending += held;
		if (unlink(d->path) < 0)
			log_warn("cannot remove %s: %s", d->path, strerror(errno));
		d->gone = true;
		log_info("DIMM %u (%s at 0x%llx) of crash %u is saved: file removed, unplugging it",
			 d->index, size_human(d->size, sz, sizeof(sz)), (unsigned long long)d->gpa,
			 crash);
		if (vm->qmp && release_del_dimm(vm->qmp, d->index, why, sizeof(why)) < 0)
			log_warn("cannot unplug DIMM %u (its slot stays taken): %s", d->index, why);
	}
}

void dimms_deleted(struct vm *vm, const char *device)
{
	unsigned index;
	char extra;

	if (!device || sscanf(device, "dimm%u%c", &index, &extra) != 1)
		return;
	for (unsigned i = 0; i < vm->ndimm; i++) {
		if (vm->dimms[i].index != index)
			continue;
		if (!vm->dimms[i].gone) {
			log_warn("QEMU deleted DIMM %u, which hvdump did not unplug", index);
			return;
		}
		if (vm->qmp && release_del_backend(vm->qmp, index) < 0)
			log_warn("cannot drop the backend of DIMM %u", index);
		log_info("the guest gave up DIMM %u: its slot and addresses are free", index);
		remove_entry(vm, i);
		return;
	}
}

json_t *dimms_json(const struct vm *vm, unsigned crash)
{
	json_t *a = json_array();

	for (unsigned i = 0; i < vm->ndimm; i++) {
		const struct vm_dimm *d = &vm->dimms[i];
		if (d->gone || d->crash != crash)
			continue;
		json_array_append_new(a, json_pack("{s:s, s:I, s:I}", "file", d->path, "gpa",
						   (json_int_t)d->gpa, "bytes", (json_int_t)d->size));
	}
	return a;
}

int dimms_keep(struct vm *vm)
{
	int r = 0;

	for (unsigned i = 0; i < vm->ndimm; i++) {
		struct vm_dimm *d = &vm->dimms[i];
		char kept[4200];

		if (d->gone || !d->crash)
			continue;
		snprintf(kept, sizeof(kept), "%s/crash-%u.dimm-%u", vm->rd.path, vm->ncrash, d->index);
		if (rename(d->path, kept) < 0) {
			r = r ? r : -errno;
			log_err("cannot keep %s as %s: %s; it stays under its old name", d->path, kept,
				strerror(errno));
			continue;
		}
		snprintf(d->path, sizeof(d->path), "%s", kept);
	}
	for (unsigned i = 0; i < vm->npreserved; i++)
		if (!vm->preserved[i].saved_ms)
			record_update(vm->preserved[i].dir, NULL,
				      json_pack("{s:o}", "dimms", dimms_json(vm, vm->preserved[i].crash)));
	for (unsigned i = vm->ndimm; i-- > 0;)
		if (!vm->dimms[i].gone && vm->dimms[i].crash)
			remove_entry(vm, i); /* kept: dimms_forget() must not remove them */
	return r;
}

void dimms_forget(struct vm *vm)
{
	for (unsigned i = 0; i < vm->ndimm; i++)
		if (!vm->dimms[i].gone && unlink(vm->dimms[i].path) < 0 && errno != ENOENT)
			log_warn("cannot remove %s: %s", vm->dimms[i].path, strerror(errno));
	vm->ndimm = 0;
	vm->dimm_next = 0;
}

/* The part of [GPA, GPA+LEN) that starts at GPA and lies in one file: *FD (the RAM file or an
 * opened DIMM file, *OWNED then set), *OFF and *N. */
static int locate_piece(struct vm *vm, uint64_t gpa, uint64_t len, int *fd, bool *owned,
			uint64_t *off, uint64_t *n)
{
	const struct machine_layout *m = &vm->cur;

	*owned = false;
	if (layout_gpa_to_off(m, gpa, off) == 0) {
		uint64_t end = gpa < m->lowmem ? m->lowmem : LAYOUT_4G + (m->ram_size - m->lowmem);
		if (vm->ram_fd < 0 && (vm->ram_fd = open(vm->rd.ram, O_RDWR | O_CLOEXEC)) < 0)
			return -errno;
		*fd = vm->ram_fd;
		*n = end - gpa < len ? end - gpa : len;
		return 0;
	}
	for (unsigned i = 0; i < vm->ndimm; i++) {
		const struct vm_dimm *d = &vm->dimms[i];
		if (d->gone || !d->crash || gpa < d->gpa || gpa - d->gpa >= d->size)
			continue;
		*fd = open(d->path, O_RDWR | O_CLOEXEC);
		if (*fd < 0)
			return -errno;
		*owned = true;
		*off = gpa - d->gpa;
		*n = d->size - *off < len ? d->size - *off : len;
		return 0;
	}
	return -ERANGE;
}

int vm_mem_punch(struct vm *vm, uint64_t gpa, uint64_t len, uint64_t *freed)
{
	uint64_t end;

	*freed = 0;
	if (__builtin_add_overflow(gpa, len, &end))
		return -ERANGE;
	while (gpa < end) {
		uint64_t off = 0, n = 0;
		bool owned = false;
		int fd = -1, r = locate_piece(vm, gpa, end - gpa, &fd, &owned, &off, &n);

		if (r < 0)
			return r;
		*freed += release_allocated(fd, off, n);
		r = release_punch(fd, off, n);
		if (owned)
			close(fd);
		if (r < 0)
			return r;
		gpa += n;
	}
	return 0;
}
