// SPDX-License-Identifier: GPL-2.0-or-later
// The guest saver's requests: phyp's `echo START SIZE > /sys/kernel/release_region`, over a
// virtio-serial port.  A tool in the capture guest saves /proc/vmcore to the guest's own
// storage and asks hvdump to release what it saved.  In this mode hvdump releases nothing
// the guest did not ask for, and the guest can release nothing but the crash's own pages.
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <stdarg.h>
#include <unistd.h>

#include "dump/release.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/size.h"
#include "vm/vm_internal.h"

#define HDR_READ (1u << 20)

static void reply(struct vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reply(struct vm *vm, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write_full(vm->gsave.fd, buf, (size_t)n) < 0)
		log_debug("guest saver went away before our reply");
}

void guestsave_close(struct vm *vm)
{
	if (vm->gsave.fd >= 0)
		close(vm->gsave.fd);
	vm->gsave.fd = -1;
	free(vm->gsave.segs);
	vm->gsave.segs = NULL;
	vm->gsave.nsegs = 0;
	vm->gsave.len = 0;
	vm->gsave.overlong = false;
}

/* The crash the guest sees as /proc/vmcore, the newest one, and its PT_LOADs, from the
 * header we wrote.  An older crash still unsaved (the capture guest before crashed while it
 * saved) is not the guest's to save or release: it stays preserved. */
static int load_segments(struct vm *vm)
{
	uint8_t *hdr;
	size_t need, n = 0;
	unsigned i = vm->npreserved - 1;
	int r;

	if (!vm->npreserved || vm->preserved[i].saved_ms)
		return -ENOENT;
	if (vm->gsave.segs && vm->gsave.crash == i)
		return 0;
	free(vm->gsave.segs);
	vm->gsave.segs = NULL;
	if (vm->ram_fd < 0 && (vm->ram_fd = open(vm->rd.ram, O_RDWR | O_CLOEXEC)) < 0)
		return -errno;
	hdr = malloc(HDR_READ);
	if (!hdr)
		return -ENOMEM;
	r = pread(vm->ram_fd, hdr, HDR_READ, (off_t)vm->preserved[i].hdr_off) == HDR_READ
		    ? elfcore_parse(hdr, HDR_READ, 0, &vm->gsave.segs, &vm->gsave.nsegs, &need)
		    : -EIO;
	free(hdr);
	if (r < 0)
		return r;
	for (size_t k = 0; k < vm->gsave.nsegs; k++)
		if (vm->gsave.segs[k].type == 1 /* PT_LOAD */)
			vm->gsave.segs[n++] = vm->gsave.segs[k];
	vm->gsave.nsegs = n;
	vm->gsave.crash = i;
	return 0;
}

/* Free the crash's pages in [PADDR, PADDR+SIZE); *FREED = bytes actually given up. */
static int release_range(struct vm *vm, uint64_t paddr, uint64_t size, uint64_t *freed,
			 const char **why)
{
	uint64_t end, covered = 0;
	int r;

	*freed = 0;
	if (!size || paddr % LAYOUT_PAGE || size % LAYOUT_PAGE ||
	    __builtin_add_overflow(paddr, size, &end)) {
		*why = "range must be non-empty and page-aligned";
		return -EINVAL;
	}
	r = load_segments(vm);
	if (r < 0) {
		*why = r == -ENOENT ? "no unsaved dump" : "cannot read the crash's ELF header";
		return r;
	}
	/* the whole range must be crash memory: count what the segments cover first */
	for (size_t k = 0; k < vm->gsave.nsegs; k++) {
		const struct elfcore_segment *s = &vm->gsave.segs[k];
		uint64_t a = paddr > s->paddr ? paddr : s->paddr;
		uint64_t b = end < s->paddr + s->memsz ? end : s->paddr + s->memsz;
		if (a < b)
			covered += b - a;
	}
	if (covered != size) {
		*why = "range is not all memory of the crashed kernel";
		return -ERANGE;
	}
	for (size_t k = 0; k < vm->gsave.nsegs; k++) {
		const struct elfcore_segment *s = &vm->gsave.segs[k];
		uint64_t a = paddr > s->paddr ? paddr : s->paddr;
		uint64_t b = end < s->paddr + s->memsz ? end : s->paddr + s->memsz;
		uint64_t held;
		if (a >= b)
			continue;
		r = vm_mem_punch(vm, s->offset + (a - s->paddr), b - a, &held);
		if (r < 0) {
			*why = r == -ERANGE ? "segment outside the RAM and DIMM files"
					    : "cannot free the range on the host";
			return r;
		}
		*freed += held;
	}
	return 0;
}

static void handle(struct vm *vm, char *line)
{
	unsigned long long a, b;
	const char *why = "";
	char extra;
	char sz[32];

	if (!strcmp(line, "hello 1")) {
		reply(vm, "ok hvdump 1");
	} else if (!strcmp(line, "status")) {
		reply(vm, "ok preserved=%u released=%" PRIu64 " returned=%" PRIu64, vm->npreserved,
		      vm->released, vm->release_added);
	} else if (sscanf(line, "release %llx %llx %c", &a, &b, &extra) == 2) {
		uint64_t freed;
		int r = release_range(vm, a, b, &freed, &why);
		if (r < 0) {
			log_warn("guest saver: release 0x%llx+0x%llx refused: %s", a, b, why);
			reply(vm, "err %s", why);
			return;
		}
		vm->released += freed;
		vm->release_pending += freed;
		reply(vm, "ok released=%" PRIu64, freed);
		log_debug("guest saver released 0x%llx+0x%llx (%" PRIu64 " bytes freed)", a, b, freed);
		save_give_back(vm, 0);
	} else if (!strcmp(line, "done")) {
		unsigned i;
		if (load_segments(vm) < 0) {
			reply(vm, "err no unsaved dump");
			return;
		}
		i = vm->gsave.crash;
		vm->preserved[i].saved_ms = clock_ms();
		record_update(vm->preserved[i].dir, "saved-by-guest",
			      json_pack("{s:I}", "released_bytes", (json_int_t)vm->released));
		log_info("the guest saved its dump (%s released on its request)",
			 size_human(vm->released, sz, sizeof(sz)));
		dimms_drop_crash(vm, vm->preserved[i].crash);
		free(vm->gsave.segs);
		vm->gsave.segs = NULL;
		for (i = 0; i < vm->npreserved && vm->preserved[i].saved_ms; i++)
			;
		if (i == vm->npreserved) {
			vm->npreserved = 0;
			vm_write_state(vm, "running");
			save_give_back(vm, 1);
		}
		reply(vm, "ok");
	} else {
		reply(vm, "err unknown request");
	}
}

void guestsave_input(struct vm *vm)
{
	char buf[4096];
	ssize_t n;

	while ((n = read(vm->gsave.fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			char c = buf[i];
			if (c == '\n') {
				if (!vm->gsave.overlong) {
					vm->gsave.line[vm->gsave.len] = '\0';
					handle(vm, vm->gsave.line);
				} else {
					reply(vm, "err line too long");
				}
				vm->gsave.len = 0;
				vm->gsave.overlong = false;
				if (vm->gsave.fd < 0)
					return;
			} else if (vm->gsave.len + 1 < sizeof(vm->gsave.line)) {
				vm->gsave.line[vm->gsave.len++] = c;
			} else {
				vm->gsave.overlong = true;
			}
		}
	}
	if (n == 0) {
		/* QEMU closed the port (it is exiting) */
		close(vm->gsave.fd);
		vm->gsave.fd = -1;
	}
}
