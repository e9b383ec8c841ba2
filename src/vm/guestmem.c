// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <unistd.h>

#include "dump/release.h"
#include "vm/guestmem.h"

int guestmem_open(struct guest_mem *m)
{
	if (m->ram_fd < 0 && (m->ram_fd = open(m->ram_path, O_RDWR | O_CLOEXEC)) < 0)
		return -errno;
	return 0;
}

void guestmem_close(struct guest_mem *m)
{
	if (m->ram_fd >= 0)
		close(m->ram_fd);
	m->ram_fd = -1;
}

/* The part of [GPA, GPA+LEN) that starts at GPA and lies in one file: *FD (the RAM file or an
 * opened DIMM file, *OWNED then set), *OFF and *N. */
static int locate_piece(struct guest_mem *m, uint64_t gpa, uint64_t len, int *fd, bool *owned,
			uint64_t *off, uint64_t *n)
{
	const struct machine_layout *l = m->cur;
	const struct vm_dimm *d;
	int r;

	*owned = false;
	if (layout_gpa_to_off(l, gpa, off) == 0) {
		uint64_t end = gpa < l->lowmem ? l->lowmem : LAYOUT_4G + (l->ram_size - l->lowmem);
		if ((r = guestmem_open(m)) < 0)
			return r;
		*fd = m->ram_fd;
		*n = end - gpa < len ? end - gpa : len;
		return 0;
	}
	d = dimms_holding(m->dimms, gpa);
	if (!d)
		return -ERANGE;
	*fd = open(d->path, O_RDWR | O_CLOEXEC);
	if (*fd < 0)
		return -errno;
	*owned = true;
	*off = gpa - d->gpa;
	*n = d->size - *off < len ? d->size - *off : len;
	return 0;
}

int guestmem_punch(struct guest_mem *m, uint64_t gpa, uint64_t len, uint64_t *freed)
{
	uint64_t end;

	*freed = 0;
	if (__builtin_add_overflow(gpa, len, &end))
		return -ERANGE;
	while (gpa < end) {
		uint64_t off = 0, n = 0;
		bool owned = false;
		int fd = -1, r = locate_piece(m, gpa, end - gpa, &fd, &owned, &off, &n);

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
