// SPDX-License-Identifier: GPL-2.0-or-later
// mkseed: seed corpora for the fuzz targets.
// Usage: mkseed OUTDIR [VMCORE]
// Writes OUTDIR/{elfcore,vmcoreinfo,printk}/: small synthetic vmcores (lockless ring with
// 4- and 5-level paging, log_buf), and, given a real VMCORE, a cut-down copy of it that holds
// only the pages `hvdump dmesg` reads (its notes, page tables and printk ring), so the fuzzer
// starts from what a real kernel writes at a size it can mutate quickly.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/printk.h"
#include "format/vmcore.h"
#include "unit/synth.h"

struct pages {
	uint64_t *pfn;
	size_t n, cap;
};

static void trace_page(void *ctx, uint64_t paddr, size_t len)
{
	struct pages *p = ctx;

	for (uint64_t pfn = paddr / 4096; pfn <= (paddr + len - 1) / 4096; pfn++) {
		if (p->n && p->pfn[p->n - 1] == pfn)
			continue;
		if (p->n == p->cap) {
			p->cap = p->cap ? 2 * p->cap : 256;
			p->pfn = realloc(p->pfn, p->cap * sizeof(*p->pfn));
			if (!p->pfn)
				abort();
		}
		p->pfn[p->n++] = pfn;
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int write_file(const char *dir, const char *sub, const char *name, const void *buf,
		      size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "mkseed: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int put_all(const char *dir, const char *name, const uint8_t *elf, size_t len,
		   const uint8_t *notes, size_t nlen)
{
	if (write_file(dir, "elfcore", name, elf, len) || write_file(dir, "printk", name, elf, len) ||
	    write_file(dir, "vmcoreinfo", name, notes, nlen))
		return -1;
	return 0;
}

static int null_emit(void *ctx, const char *buf, size_t len)
{
	(void)ctx, (void)buf, (void)len;
	return 0;
}

static int read_virt(void *ctx, uint64_t va, void *buf, size_t len)
{
	return vmcore_read_virt(ctx, va, buf, len);
}

/* Cut VMCORE down to the pages the kernel-log walk touches. */
static int from_dump(const char *dir, const char *path)
{
	struct printk_source src = { .read = read_virt };
	struct printk_result res;
	struct pages pg = { 0 };
	struct elfcore_load *loads;
	struct vmcore *v;
	const uint8_t *notes;
	uint8_t *out;
	size_t nlen, nloads = 0, hdr, off;
	int r;

	r = vmcore_open(path, &v);
	if (r < 0) {
		fprintf(stderr, "mkseed: %s: %s\n", path, strerror(-r));
		return -1;
	}
	src.info = vmcore_info(v, &src.info_len);
	src.read_ctx = v;
	vmcore_set_trace(v, trace_page, &pg);
	r = printk_dump(&src, null_emit, NULL, &res);
	vmcore_set_trace(v, NULL, NULL);
	if (r < 0) {
		fprintf(stderr, "mkseed: %s: %s\n", path, res.why);
		goto fail;
	}
	qsort(pg.pfn, pg.n, sizeof(*pg.pfn), cmp_u64);
	loads = calloc(pg.n + 1, sizeof(*loads));
	if (!loads)
		abort();
	for (size_t i = 0; i < pg.n; i++) {
		if (i && pg.pfn[i] == pg.pfn[i - 1])
			continue;
		if (nloads && loads[nloads - 1].paddr + loads[nloads - 1].size == pg.pfn[i] * 4096) {
			loads[nloads - 1].size += 4096;
			continue;
		}
		loads[nloads++] = (struct elfcore_load){ .paddr = pg.pfn[i] * 4096, .size = 4096 };
	}
	notes = vmcore_notes(v, &nlen);
	hdr = elfcore_header_size(nloads, nlen);
	off = hdr;
	for (size_t i = 0; i < nloads; i++) {
		loads[i].data_addr = off;
		off += loads[i].size;
	}
	out = calloc(1, off);
	if (!out || elfcore_build(out, hdr, 0, loads, nloads, notes, nlen) < 0)
		abort();
	for (size_t i = 0; i < nloads; i++)
		if (vmcore_read_phys(v, loads[i].paddr, out + loads[i].data_addr, loads[i].size) < 0)
			abort();
	r = put_all(dir, "real-dump.elf", out, off, notes, nlen);
	printf("mkseed: %s: %zu pages in %zu PT_LOADs, %zu bytes, %llu records\n", path,
	       (size_t)(off - hdr) / 4096, nloads, off, (unsigned long long)res.records);
	free(out);
	free(loads);
	free(pg.pfn);
	vmcore_close(v);
	return r;
fail:
	free(pg.pfn);
	vmcore_close(v);
	return -1;
}

static int synthetic(const char *dir)
{
	static const char *const lines[] = {
		"Linux version 6.1.0-synthetic", "Command line: console=ttyS0",
		"two\nlines", "tab\tand \x01 and \xe2\x82\xac", "sysrq: Trigger a crash",
		"Kernel panic - not syncing: sysrq triggered crash",
	};
	int r = 0;

	for (unsigned levels = 4; levels <= 5; levels++) {
		struct synth s;
		struct synth_prb ring;
		uint64_t base, p = 0x4000;
		uint8_t *elf;
		size_t len;
		char name[32];

		if (synth_init(&s, 64 * 1024, levels))
			return -1;
		base = synth_map_range(&s, p, synth_prb_bytes(4, 9));
		synth_prb_init(&ring, s.mem + p, base, 0, 4, 9, 42, 3 * 512 - 48);
		synth_infof(&s, "SYMBOL(prb)=%llx\n%s", (unsigned long long)SYNTH_TEXT(p),
			    SYNTH_PRB_INFO);
		for (int i = 0; i < 24; i++)
			synth_prb_add(&ring, (uint64_t)i * 1234567, lines[i % 6], strlen(lines[i % 6]));
		elf = synth_elf(&s, 1, &len);
		snprintf(name, sizeof(name), "synthetic-prb-%ulevel.elf", levels);
		r |= put_all(dir, name, elf, len, elf + 64 + 2 * 56, elfnote_size("VMCOREINFO", s.info_len));
		free(elf);
		synth_free(&s);
	}
	{
		struct synth s;
		struct synth_logbuf l;
		uint64_t base, p = 0x4000, i;
		uint8_t *elf;
		size_t len;

		if (synth_init(&s, 64 * 1024, 4))
			return -1;
		base = synth_map_range(&s, p, 64 + 512);
		synth_logbuf_init(&l, s.mem + p, base, 0, 512);
		synth_infof(&s, "SYMBOL(log_buf)=%llx\nSYMBOL(log_buf_len)=%llx\n"
			    "SYMBOL(log_first_idx)=%llx\nSYMBOL(log_next_idx)=%llx\n%s",
			    (unsigned long long)base, (unsigned long long)base + 8,
			    (unsigned long long)base + 16, (unsigned long long)base + 24,
			    SYNTH_LOGBUF_INFO);
		i = synth_logbuf_put(&l, 400, 1000, lines[0], strlen(lines[0]), 12);
		synth_logbuf_marker(&l, i);
		i = synth_logbuf_put(&l, 0, 2000, lines[2], strlen(lines[2]), 0);
		i = synth_logbuf_put(&l, i, 3000, lines[3], strlen(lines[3]), 20);
		l.first = 400;
		l.next = i;
		synth_logbuf_sync(&l);
		elf = synth_elf(&s, 1, &len);
		r |= put_all(dir, "synthetic-logbuf.elf", elf, len, elf + 64 + 2 * 56,
			     elfnote_size("VMCOREINFO", s.info_len));
		free(elf);
		synth_free(&s);
	}
	return r;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: mkseed OUTDIR [VMCORE]\n");
		return 2;
	}
	if (synthetic(argv[1]) < 0)
		return 1;
	if (argc == 3 && from_dump(argv[1], argv[2]) < 0)
		return 1;
	return 0;
}
