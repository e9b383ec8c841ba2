// SPDX-License-Identifier: GPL-2.0-or-later
// The crashed kernel's command line from the crashed RAM file: format/kcmdline.c over
// guest-physical reads that layout_gpa_to_off() places in the file, inside the crashed
// kernel's RAM ranges only.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dump/kcmdline_ram.h"
#include "format/kcmdline.h"
#include "format/dumpfile.h"
#include "format/kmap.h"
#include "format/panicscan.h"
#include "format/printk.h"
#include "dump/taskpid.h"

struct ram_src {
	int fd;
	const struct machine_layout *m;
	const struct mem_range *ram;
	size_t nram;
};

/* Of the ranges, the bytes from PA on that one holds (0: none holds PA). */
static uint64_t in_ram(const struct ram_src *s, uint64_t pa)
{
	for (size_t i = 0; i < s->nram; i++)
		if (pa >= s->ram[i].start && pa - s->ram[i].start < s->ram[i].size)
			return s->ram[i].size - (pa - s->ram[i].start);
	return 0;
}

/* kallsyms_read_fn over the RAM file: piece by piece, each inside one range, one side of the
 * low-RAM end (the file holds high RAM right after low RAM) and the file's RAM. */
static int ram_read(void *ctx, uint64_t pa, void *buf, size_t len)
{
	const struct ram_src *s = ctx;
	uint8_t *p = buf;

	while (len) {
		uint64_t n = in_ram(s, pa), off;
		ssize_t got;

		if (n == 0 || layout_gpa_to_off(s->m, pa, &off) < 0 || off >= s->m->ram_size)
			return -EFAULT;
		if (n > len)
			n = len;
		if (pa < s->m->lowmem && n > s->m->lowmem - pa)
			n = s->m->lowmem - pa;
		if (n > s->m->ram_size - off)
			n = s->m->ram_size - off;
		got = pread(s->fd, p, (size_t)n, (off_t)off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -errno;
		if (got == 0)
			return -EIO; /* the file ends before the RAM it should hold */
		p += got;
		pa += (uint64_t)got;
		len -= (size_t)got;
	}
	return 0;
}

int crash_kernel_cmdline(int ram_fd, const struct machine_layout *m, const struct mem_range *ram,
			 size_t nram, const char *vmcoreinfo, size_t vmcoreinfo_len, char *out,
			 size_t outlen, char *why, size_t whylen)
{
	struct ram_src s = { ram_fd, m, ram, nram };

	if (!vmcoreinfo || !vmcoreinfo_len) {
		if (outlen)
			out[0] = '\0';
		snprintf(why, whylen, "no VMCOREINFO");
		return -EOPNOTSUPP;
	}
	return kcmdline_lookup(vmcoreinfo, vmcoreinfo_len, ram_read, &s, out, outlen, why, whylen);
}

int crash_kernel_kmap(int ram_fd, const struct machine_layout *m, const struct mem_range *ram,
		      size_t nram, const char *vmcoreinfo, size_t vmcoreinfo_len, struct kmap *out,
		      char *why, size_t whylen)
{
	struct ram_src s = { ram_fd, m, ram, nram };

	return kmap_lookup(vmcoreinfo, vmcoreinfo_len, ram_read, &s, out, why, whylen);
}

int crash_notes_pids(int ram_fd, const struct machine_layout *m, const struct mem_range *ram,
		     size_t nram, struct crash_notes *notes, char *why, size_t whylen)
{
	struct ram_src s = { ram_fd, m, ram, nram };

	return taskpid_set(notes, ram_read, &s, why, whylen);
}

int crash_kernel_panic(int ram_fd, const struct machine_layout *m, const struct mem_range *ram,
		       size_t nram, const struct crash_notes *notes, char *out, size_t outlen,
		       char *why, size_t whylen)
{
	struct ram_src s = { ram_fd, m, ram, nram };
	struct dumpfile_range *r = calloc(nram ? nram : 1, sizeof(*r));
	struct dumpfile_source src = { .read = ram_read, .ctx = &s, .ranges = r, .nranges = nram,
				       .notes = notes->buf, .notes_len = notes->len };
	struct panicscan *ps = calloc(1, sizeof(*ps));
	struct printk_source pk = { 0 };
	struct printk_result res = { 0 };
	struct dumpfile *d = NULL;
	int e = -ENOMEM;

	out[0] = '\0';
	snprintf(why, whylen, "out of memory");
	for (size_t i = 0; r && i < nram; i++)
		r[i] = (struct dumpfile_range){ .start = ram[i].start, .size = ram[i].size };
	pk.info = notes_vmcoreinfo(notes, &pk.info_len);
	if (r && ps && !pk.info) {
		snprintf(why, whylen, "no VMCOREINFO");
		e = -EOPNOTSUPP;
	} else if (r && ps && (e = dumpfile_open_source(&src, &d)) < 0) {
		snprintf(why, whylen, "cannot read the crashed memory as a dump (%s)", strerror(-e));
	} else if (r && ps) {
		pk.read = dumpfile_virt_cb;
		pk.read_ctx = d;
		panicscan_init(ps);
		e = printk_dump(&pk, panicscan_feed, ps, &res);
		panicscan_finish(ps);
		if (ps->have_panic) {
			/* as hvdump run's console watch records it: what follows "not syncing: " */
			const char *t = panicscan_text(&ps->panic), *ns = strstr(t, "not syncing: ");
			snprintf(out, outlen, "%s", ns ? ns + strlen("not syncing: ") : t);
			e = 0;
		} else {
			snprintf(why, whylen, "%s", e < 0 ? res.why : "no panic line in the log");
			e = e < 0 ? e : -ENOENT;
		}
	}
	dumpfile_close(d);
	free(ps);
	free(r);
	return e;
}
