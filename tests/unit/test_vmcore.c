// SPDX-License-Identifier: GPL-2.0-or-later
// The ELF vmcore reader on synthetic dumps: physical reads across PT_LOADs and zero-filled
// tails, 4- and 5-level page walks with 4K/2M/1G pages, missing and malformed mappings,
// program headers where QEMU puts them, hostile headers, and the kernel log end to end.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/printk.h"
#include "format/vmcore.h"
#include "tap.h"
#include "unit/synth.h"

#define MEMSZ (8u << 20)

static struct vmcore *open_synth(const struct synth *s, unsigned nloads, uint8_t **img,
				 size_t *len)
{
	struct vmcore *v = NULL;

	*img = synth_elf(s, nloads, len);
	if (vmcore_open_mem(*img, *len, &v) < 0)
		return NULL;
	return v;
}

static int kv(struct vmcore *v, uint64_t va, uint64_t *pa)
{
	*pa = 0xdead;
	return vmcore_kvtop(v, va, pa);
}

static void test_paging(unsigned levels)
{
	struct synth s;
	struct vmcore *v;
	uint8_t *img, buf[64];
	uint64_t pa, dm, pat;
	size_t len;
	int rc;

	if (synth_init(&s, MEMSZ, levels))
		abort();
	dm = synth_dmap(&s);
	for (uint64_t p = 0; p < s.brk; p += 4096) /* not over the top-level table */
		s.mem[p] = (uint8_t)(p >> 12), s.mem[p + 1] = (uint8_t)(p >> 20);
	synth_map(&s, dm + 0x5000, 0x3000, 4096);
	synth_map(&s, dm + 0x40200000, 0x200000, 2u << 20);       /* 2 MiB page */
	synth_map(&s, dm + (5ull << 30), 0, 1u << 30);             /* 1 GiB page */
	synth_map(&s, dm + 0x7000, 0x7ff000000ull, 4096);          /* outside the dump */
	/* recursive slot: a top-level entry pointing at the top-level table itself */
	synth_put(s.mem + s.pgd + 8 * 300, s.pgd | 0x63, 8);
	/* a 512 GiB "page" (PS in a PML4/PML5 entry) is not an x86 thing */
	synth_put(s.mem + s.pgd + 8 * 400, 0x80 | 0x63, 8);
	v = open_synth(&s, 1, &img, &len);
	tap_ok(v != NULL && vmcore_paging_levels(v) == levels, "%u-level: opened, paging detected",
	       levels);
	if (!v)
		goto out;
	tap_ok(kv(v, dm + 0x5123, &pa) == 0 && pa == 0x3123, "%u-level: 4K page", levels);
	tap_ok(kv(v, dm + 0x40234567, &pa) == 0 && pa == 0x234567, "%u-level: 2M page", levels);
	tap_ok(kv(v, dm + (5ull << 30) + 0x345678, &pa) == 0 && pa == 0x345678,
	       "%u-level: 1G page", levels);
	tap_ok(vmcore_read_virt(v, dm + (5ull << 30) + 0x6ffe, buf, 4) == 0 && buf[2] == 7 &&
	       buf[3] == 0, "%u-level: read across a page boundary", levels);
	tap_ok(kv(v, SYNTH_TEXT(0x1234), &pa) == 0 && pa == 0x1234,
	       "%u-level: kernel text by phys_base (negative)", levels);
	tap_ok(kv(v, dm + 0x6000, &pa) == -ENXIO, "%u-level: unmapped page: -ENXIO", levels);
	tap_ok(kv(v, 0x0000900000000000ull, &pa) == -ENXIO || levels == 5,
	       "%u-level: non-canonical or unmapped: -ENXIO", levels);
	tap_ok(kv(v, 0x8000000000000000ull, &pa) == -ENXIO, "%u-level: non-canonical: -ENXIO",
	       levels);
	tap_ok(vmcore_read_virt(v, dm + 0x7000, buf, 8) == -EFAULT,
	       "%u-level: mapped to memory not in the dump: -EFAULT", levels);
	pat = 0xffff000000000000ull | 300ull << (12 + 9 * (levels - 1));
	if (levels == 5)
		pat = 0xff00000000000000ull | 300ull << 48 | 1ull << 56;
	rc = kv(v, pat, &pa);
	tap_ok(rc == 0 || rc == -ENXIO, "%u-level: a table pointing at itself ends the walk (%d)",
	       levels, rc);
	pat = (levels == 5 ? 0xff00000000000000ull | 400ull << 48 | 1ull << 56 :
			     0xffff000000000000ull | 400ull << 39);
	tap_ok(kv(v, pat, &pa) == -EBADMSG, "%u-level: PS bit at the top level: -EBADMSG", levels);
	/* a middle table outside the dump */
	synth_put(img + 4096 + s.pgd + 8 * 450, 0x7fff000000ull | 0x63, 8);
	pat = (levels == 5 ? 0xff00000000000000ull | 450ull << 48 | 1ull << 56 :
			     0xffff000000000000ull | 450ull << 39);
	tap_ok(kv(v, pat, &pa) == -EFAULT, "%u-level: page table outside the dump: -EFAULT",
	       levels);
	vmcore_close(v);
out:
	free(img);
	synth_free(&s);
}

static void test_phys(void)
{
	struct synth s;
	struct vmcore *v;
	uint8_t *img, buf[8192];
	size_t len;
	int zero = 1;

	if (synth_init(&s, MEMSZ, 4))
		abort();
	for (size_t i = 0; i < MEMSZ; i++)
		s.mem[i] = (uint8_t)(i * 7 + (i >> 12));
	v = open_synth(&s, 4, &img, &len);
	tap_ok(v && vmcore_nloads(v) == 4, "4 PT_LOADs");
	tap_ok(vmcore_read_phys(v, MEMSZ / 4 - 4096, buf, sizeof(buf)) == 0 &&
	       !memcmp(buf, s.mem + MEMSZ / 4 - 4096, sizeof(buf)), "read spanning two PT_LOADs");
	tap_ok(vmcore_read_phys(v, MEMSZ - 8, buf, 16) == -EFAULT, "read running off the end: -EFAULT");
	tap_ok(vmcore_read_phys(v, UINT64_MAX - 3, buf, 8) == -EFAULT, "read at the top: -EFAULT");
	vmcore_close(v);

	/* last PT_LOAD: p_filesz one page short of p_memsz -> that page reads as zeros */
	{
		uint8_t *ph = img + 64 + 4 * 56;
		uint64_t filesz = synth_get(ph + 32, 8) - 4096;

		synth_put(ph + 32, filesz, 8);
		tap_ok(vmcore_open_mem(img, len, &v) == 0, "PT_LOAD with p_filesz < p_memsz opens");
		tap_ok(v && vmcore_read_phys(v, MEMSZ - 4096 - 4, buf, 4096) == 0 &&
		       !memcmp(buf, s.mem + MEMSZ - 4096 - 4, 4), "bytes before p_filesz read");
		for (int i = 4; i < 4096; i++)
			zero &= buf[i] == 0;
		tap_ok(zero, "bytes past p_filesz read as zeros");
		vmcore_close(v);
	}
	free(img);

	/* PT_LOADs out of address order still read right; overlapping ones are refused */
	img = synth_elf(&s, 2, &len);
	{
		uint8_t tmp[56];
		memcpy(tmp, img + 64 + 56, 56);
		memcpy(img + 64 + 56, img + 64 + 112, 56);
		memcpy(img + 64 + 112, tmp, 56);
		tap_ok(vmcore_open_mem(img, len, &v) == 0 &&
		       vmcore_read_phys(v, MEMSZ / 2 - 4, buf, 8) == 0 &&
		       !memcmp(buf, s.mem + MEMSZ / 2 - 4, 8) && vmcore_load(v, 0)->paddr == 0,
		       "PT_LOADs in reverse order: sorted, reads span them");
		vmcore_close(v);
		synth_put(img + 64 + 56 + 24, MEMSZ / 2 - 4096, 8); /* second load starts 4K early */
		tap_ok(vmcore_open_mem(img, len, &v) == -EINVAL, "overlapping PT_LOADs: -EINVAL");
	}
	free(img);

	/* program headers after a gap, as QEMU writes them (section headers first) */
	img = synth_elf(&s, 2, &len);
	{
		uint8_t *img2 = malloc(len + 3 * 56);
		memcpy(img2, img, len);
		memcpy(img2 + len, img + 64, 3 * 56);
		memset(img2 + 64, 0xaa, 3 * 56);
		synth_put(img2 + 32, len, 8);
		tap_ok(vmcore_open_mem(img2, len + 3 * 56 - 56, &v) == -EINVAL,
		       "program headers past the end of the file: -EINVAL");
		tap_ok(vmcore_open_mem(img2, len + 3 * 56, &v) == 0 && vmcore_nloads(v) == 2 &&
		       vmcore_info(v, &len) != NULL, "program headers not at offset 64 (QEMU layout)");
		vmcore_close(v);
		free(img2);
	}
	free(img);
	synth_free(&s);
}

static void test_headers(void)
{
	struct synth s;
	struct vmcore *v = NULL;
	uint8_t *img, *bad;
	size_t len, tl;
	uint64_t pa;
	char path[] = "/tmp/hvdump-test-vmcore.XXXXXX";
	int fd;

	if (synth_init(&s, 1u << 20, 4))
		abort();
	img = synth_elf(&s, 1, &len);
	bad = malloc(len);

	tap_ok(vmcore_open_mem("\x7f" "EL", 3, &v) == -ENOEXEC, "3-byte file: -ENOEXEC");
	tap_ok(vmcore_open_mem(img, 40, &v) == -EINVAL, "truncated ELF header: -EINVAL");
	tap_ok(vmcore_open_mem("KDUMP   xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 64,
			       &v) == -ENOEXEC, "not ELF: -ENOEXEC");
	memcpy(bad, img, len);
	bad[4] = ELFCLASS32;
	tap_ok(vmcore_open_mem(bad, len, &v) == -EPROTONOSUPPORT, "ELF32: -EPROTONOSUPPORT");
	memcpy(bad, img, len);
	synth_put(bad + 32, UINT64_MAX - 8, 8);
	tap_ok(vmcore_open_mem(bad, len, &v) == -EINVAL, "e_phoff wrapping: -EINVAL");
	memcpy(bad, img, len);
	synth_put(bad + 64 + 56 + 8, UINT64_MAX - 4096, 8);   /* PT_LOAD p_offset + p_filesz wraps */
	tap_ok(vmcore_open_mem(bad, len, &v) == -EINVAL, "PT_LOAD file range wrapping: -EINVAL");
	memcpy(bad, img, len);
	synth_put(bad + 64 + 56 + 8, len + 100, 8);   /* PT_LOAD wholly past EOF */
	tap_ok(vmcore_open_mem(bad, len, &v) == 0 && vmcore_missing_bytes(v) == (1u << 20) &&
	       vmcore_nloads(v) == 0, "PT_LOAD wholly past the end: dropped, counted missing");
	vmcore_close(v);
	memcpy(bad, img, len);
	synth_put(bad + 64 + 56 + 24, UINT64_MAX - 4096, 8); /* p_paddr + p_memsz wraps */
	tap_ok(vmcore_open_mem(bad, len, &v) == -EINVAL, "PT_LOAD address range wrapping: -EINVAL");
	memcpy(bad, img, len);
	synth_put(bad + 64 + 32, len, 8);   /* PT_NOTE p_filesz */
	synth_put(bad + 64 + 40, len, 8);
	synth_put(bad + 64 + 8, 0, 8);
	tap_ok(vmcore_open_mem(bad, len, &v) == 0, "PT_NOTE covering the whole file opens");
	tap_ok(v && vmcore_info(v, &tl) == NULL && kv(v, 0xffff888000000000ull, &pa) == -ENOKEY,
	       "garbage notes: no VMCOREINFO, translation -ENOKEY");
	vmcore_close(v);
	memcpy(bad, img, len);
	synth_put(bad + 64 + 32, 0, 8);     /* PT_NOTE empty */
	tap_ok(vmcore_open_mem(bad, len, &v) == 0 && vmcore_info(v, &tl) == NULL &&
	       vmcore_paging_levels(v) == 0, "no VMCOREINFO: opens, cannot translate");
	vmcore_close(v);

	fd = mkstemp(path);
	if (fd < 0 || write(fd, img, len) != (ssize_t)len)
		abort();
	close(fd);
	tap_ok(vmcore_open(path, &v) == 0 && vmcore_nloads(v) == 1 && vmcore_info(v, &tl) &&
	       kv(v, SYNTH_TEXT(s.pgd), &pa) == 0 && pa == s.pgd, "vmcore_open() on a file");
	vmcore_close(v);
	if (truncate(path, (off_t)len - 4096) < 0)
		abort();
	tap_ok(vmcore_open(path, &v) == 0 && vmcore_missing_bytes(v) == 4096,
	       "truncated file opens, 4096 bytes reported missing");
	tap_ok(v && vmcore_read_phys(v, (1u << 20) - 4097, &pa, 1) == 0 &&
	       vmcore_read_phys(v, (1u << 20) - 4096, &pa, 1) == -EFAULT,
	       "truncated file: what is there reads, the missing page is not in the dump");
	vmcore_close(v);
	unlink(path);
	tap_ok(vmcore_open(path, &v) == -ENOENT, "missing file: -ENOENT");
	tap_ok(vmcore_open("/", &v) == -EISDIR, "a directory: -EISDIR");
	free(bad);
	free(img);
	synth_free(&s);
}

struct sink {
	char buf[4096];
	size_t len;
};

static int sink_emit(void *ctx, const char *buf, size_t len)
{
	struct sink *s = ctx;
	if (len > sizeof(s->buf) - 1 - s->len)
		return -ENOSPC;
	memcpy(s->buf + s->len, buf, len);
	s->len += len;
	s->buf[s->len] = 0;
	return 0;
}

static int read_virt(void *ctx, uint64_t va, void *buf, size_t len)
{
	return vmcore_read_virt(ctx, va, buf, len);
}

static void test_dmesg(unsigned levels)
{
	struct synth s;
	struct synth_prb r;
	struct vmcore *v;
	struct printk_result res;
	struct sink out = { .len = 0 };
	uint8_t *img;
	uint64_t p, base;
	size_t len;
	int rc;

	if (synth_init(&s, MEMSZ, levels))
		abort();
	p = 0x100000;
	base = synth_map_range(&s, p, synth_prb_bytes(5, 12));
	synth_prb_init(&r, s.mem + p, base, 0, 5, 12, 1000, 4096 * 3 - 40);
	synth_infof(&s, "SYMBOL(prb)=%llx\n%s", (unsigned long long)SYNTH_TEXT(p), SYNTH_PRB_INFO);
	synth_prb_add(&r, 5000, "hello from the guest", 20);
	synth_prb_add(&r, 6000000, "Kernel panic - not syncing: sysrq triggered crash", 49);
	v = open_synth(&s, 2, &img, &len);
	{
		struct printk_source src = { .read = read_virt, .read_ctx = v };
		src.info = vmcore_info(v, &src.info_len);
		rc = printk_dump(&src, sink_emit, &out, &res);
	}
	tap_ok(rc == 0 && !strcmp(out.buf, "[    0.000005] hello from the guest\n"
				  "[    0.006000] Kernel panic - not syncing: sysrq triggered crash\n"),
	       "%u-level: kernel log through page tables, ring wrapped", levels);
	tap_ok(r.wrapped == 1, "%u-level: one block stored wrapped", levels);
	vmcore_close(v);
	free(img);
	synth_free(&s);
}

int main(void)
{
	test_paging(4);
	test_paging(5);
	test_phys();
	test_headers();
	test_dmesg(4);
	test_dmesg(5);
	return tap_done();
}
