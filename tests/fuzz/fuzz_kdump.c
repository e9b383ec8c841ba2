// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: a kdump-compressed file made of the input (in a memfd): kdump_open with
// every check, every valid pfn read and decompressed, the notes and VMCOREINFO; then the same
// file through dumpfile.h: ranges, page statistics, the page-table walk and the kernel log
// over the page cache, and a kallsyms reverse lookup.
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "format/dumpfile.h"
#include "format/kallsyms.h"
#include "format/kdump.h"
#include "format/printk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PFNS (1u << 20)   /* pfns visited per input: bitmaps can claim 8 per file byte */

static int fd = -1;

static int sink(void *ctx, const char *buf, size_t len)
{
	(void)ctx;
	(void)buf;
	(void)len;
	return 0;
}

static void raw_reader(void)
{
	static uint8_t page[KDUMP_PAGE_SIZE];
	const struct kdump_info *in;
	const uint8_t *notes;
	const char *text;
	struct kdump *k;
	char why[256];
	size_t len;
	unsigned n = 0;
	int r;

	r = kdump_open(fd, KDUMP_OPEN_INCOMPLETE, &k, why, sizeof(why));
	if (r > 0 || (r < 0 && !why[0]))
		__builtin_trap(); /* 0 or -errno, and a reason with every error */
	if (r < 0)
		return;
	in = kdump_get_info(k);
	if (in->nr_dumped > in->nr_valid)
		__builtin_trap();
	if (kdump_notes(k, &notes, &len) == 0 && len && !notes)
		__builtin_trap();
	if (kdump_vmcoreinfo(k, &text, &len) == 0 && text[len] != '\0')
		__builtin_trap(); /* documented NUL-terminated */
	for (uint64_t pfn = kdump_next_valid(k, 0); pfn < in->max_mapnr && n < MAX_PFNS;
	     pfn = kdump_next_valid(k, pfn + 1), n++) {
		r = kdump_read_page(k, pfn, page);
		if (r > 1)
			__builtin_trap();
	}
	kdump_close(k);
}

static void through_dumpfile(void)
{
	struct printk_source src = { .read = dumpfile_virt_cb, .max_ring_bits = 16 };
	struct dumpfile_page_stats st;
	struct dumpfile_range rg;
	struct printk_result res;
	struct kallsyms *ks;
	struct dumpfile *d;
	char path[64], name[KALLSYMS_NAME_MAX + 1];
	uint64_t from = 0, off, stext;
	unsigned n = 0;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (dumpfile_open(path, DUMPFILE_OPEN_INCOMPLETE, &d, NULL, 0) < 0)
		return;
	while (n++ < 4096 && dumpfile_next_range(d, from, &rg) == 0) {
		if (rg.size == 0 || rg.start < from)
			__builtin_trap(); /* ranges are non-empty and move forward */
		from = rg.start + rg.size;
	}
	if (dumpfile_kdump_info(d) && dumpfile_kdump_info(d)->nr_valid <= MAX_PFNS &&
	    dumpfile_page_stats(d, &st) == 0 &&
	    st.total != st.zero + st.nonzero + st.excluded + st.missing + st.unreadable)
		__builtin_trap();
	src.info = dumpfile_vmcoreinfo(d, &src.info_len);
	src.read_ctx = d;
	if (src.info && printk_dump(&src, sink, NULL, &res) == 0 && res.why[0])
		__builtin_trap();
	if (src.info && kallsyms_open(src.info, src.info_len, dumpfile_phys_cb, d, &ks) == 0) {
		if (kallsyms_count(ks) <= (1u << 16) && kallsyms_find(ks, "_stext", &stext) == 0)
			(void)kallsyms_addr_to_name(ks, stext + 0x10, name, sizeof(name), &off, NULL);
		kallsyms_close(ks);
	}
	dumpfile_close(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (fd < 0) {
		fd = memfd_create("fuzz_kdump", MFD_CLOEXEC);
		if (fd < 0)
			abort(); /* the harness, not the input */
	}
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	raw_reader();
	through_dumpfile();
	return 0;
}
