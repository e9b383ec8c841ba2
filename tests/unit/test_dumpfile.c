// SPDX-License-Identifier: GPL-2.0-or-later
// One reader for both formats, on a synthetic crashed guest written as an ELF vmcore and as
// kdump-compressed files (none, zlib, LZO, zstd): the same physical and virtual bytes, notes,
// VMCOREINFO, ranges and page counts; excluded, missing and corrupt pages; hostile files.
// Then kallsyms reverse lookup, and `hvdump info --json` end to end (parsed with jansson):
// panic, oops, the panicking task, CPUs numbered by GS_BASE, comm through current_task, RIP
// symbols and exit codes.  With arguments, `test_dumpfile --json FILE...` only checks that
// each FILE is the JSON `hvdump info --json` writes (tests/integration/t_info.sh uses it).
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "format/dumpfile.h"
#include "format/kallsyms.h"
#include "format/kdump.h"
#include "format/kdump_disk.h"
#include "format/prstatus.h"
#include "format/vmcore.h"
#include "tap.h"
#include "unit/synth.h"

#define MEMSZ (8u << 20)
#define NPFN (MEMSZ / 4096u)

/* where things sit in guest-physical memory (all inside the kernel image mapping too) */
#define P_RING    0x100000u
#define P_KSYMS   0x200000u     /* num_syms; token index +0x1000; table +0x2000; ... */
#define P_TEXT    0x300000u     /* "kernel text" */
#define P_INIT    0x302000u     /* init_task */
#define P_PCPUOFF 0x304000u     /* __per_cpu_offset[] */
#define P_AREA    0x320000u     /* per-CPU areas, 64 KiB apart */
#define P_TASK1   0x340000u     /* the panicking task */
#define P_STACK   0x360000u     /* two 16 KiB stacks */
#define P_VARS    0x301800u     /* saved_command_line, page_offset_base */
#define P_CMDLINE 0x380000u     /* the command line */
#define CMDLINE   "BOOT_IMAGE=/boot/vmlinuz root=UUID=0f1e2d3c ro console=ttyS0\tquiet"
#define COMM_OFF  0x7c8u
#define CURRENT   0x2000u       /* per-CPU offset of current_task */
#define MODULE_RIP 0xffffffffc0001234ull

static char dir[] = "/tmp/hvdump-dumpfile.XXXXXX";
static char hvdump[4096];
static struct synth s;

static char *path_in(const char *name)
{
	static char buf[8][256];
	static int next;
	char *p = buf[next++ % 8];

	snprintf(p, 256, "%s/%s", dir, name);
	return p;
}

static int write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int ok = fd >= 0 && write(fd, buf, len) == (ssize_t)len;

	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

static int read_all(const char *path, uint8_t **buf, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0)
		return -1;
	*len = (size_t)st.st_size;
	*buf = malloc(*len + 1);
	if (!*buf || read(fd, *buf, *len) != (ssize_t)*len) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* ---- the synthetic guest ----------------------------------------------------------------- */

/* kallsyms tables where every printable character is its own token; absolute addresses. */
static void ksyms_build(void)
{
	static const struct { char type; const char *name; uint64_t addr; } syms[] = {
		{ 'D', "current_task", CURRENT },        /* per-CPU: not a candidate */
		{ 'T', "_stext", SYNTH_TEXT(P_TEXT) },
		{ 't', "startup_alias", SYNTH_TEXT(P_TEXT) },
		{ 'T', "panic", SYNTH_TEXT(P_TEXT + 0x100) },
		{ 'T', "stop_this_cpu", SYNTH_TEXT(P_TEXT + 0x400) },
		{ 'T', "_etext", SYNTH_TEXT(P_TEXT + 0x1000) },
		{ 'D', "saved_command_line", SYNTH_TEXT(P_VARS) },
		{ 'D', "page_offset_base", SYNTH_TEXT(P_VARS + 8) },
		{ 'D', "init_task", SYNTH_TEXT(P_INIT) },
		{ 'D', "__per_cpu_offset", SYNTH_TEXT(P_PCPUOFF) },
		{ 'B', "_end", SYNTH_TEXT(0x3f0000) },
	};
	uint8_t *m = s.mem + P_KSYMS, *names = m + 0x4000;
	size_t tpos = 0, npos = 0;
	uint32_t n = sizeof(syms) / sizeof(syms[0]);

	for (unsigned t = 0; t < 256; t++) {
		synth_put(m + 0x1000 + 2 * t, tpos, 2);
		m[0x2000 + tpos++] = t >= 0x20 && t < 0x7f ? (uint8_t)t : 0;
		if (m[0x2000 + tpos - 1])
			m[0x2000 + tpos++] = 0;
	}
	synth_put(m, n, 4);
	for (uint32_t i = 0; i < n; i++) {
		size_t l = strlen(syms[i].name) + 1;

		names[npos++] = (uint8_t)l;
		names[npos++] = (uint8_t)syms[i].type;
		memcpy(names + npos, syms[i].name, l - 1);
		npos += l - 1;
		synth_put(m + 0x3000 + 8 * i, syms[i].addr, 8);
	}
	synth_infof(&s, "SYMBOL(kallsyms_num_syms)=%llx\nSYMBOL(kallsyms_token_index)=%llx\n"
		    "SYMBOL(kallsyms_token_table)=%llx\nSYMBOL(kallsyms_addresses)=%llx\n"
		    "SYMBOL(kallsyms_names)=%llx\n",
		    (unsigned long long)SYNTH_TEXT(P_KSYMS),
		    (unsigned long long)SYNTH_TEXT(P_KSYMS + 0x1000),
		    (unsigned long long)SYNTH_TEXT(P_KSYMS + 0x2000),
		    (unsigned long long)SYNTH_TEXT(P_KSYMS + 0x3000),
		    (unsigned long long)SYNTH_TEXT(P_KSYMS + 0x4000));
}

static uint64_t pcpu_off(unsigned cpu)
{
	return synth_dmap(&s) + P_AREA + cpu * 0x10000u;
}

/* Two CPUs: 0 idle in stop_this_cpu (init_task, "swapper/0"), 1 panicking in a module
 * (task "kworker/1:0"); tasks, per-CPU areas and stacks in memory; log and notes. */
static uint8_t *guest_build(size_t *notes_len)
{
	static uint8_t notes[16384];
	struct synth_prb r;
	uint64_t base;
	size_t len = 0;
	static const char *const log[] = {
		"hello from the guest",
		"BUG: kernel NULL pointer dereference, address: 0000000000000008",
		"CPU: 1 PID: 42 Comm: kworker/1:0 Not tainted 6.1.0-synthetic #1",
		"Call Trace:",
		"Kernel panic - not syncing: Fatal exception",
	};

	if (synth_init(&s, MEMSZ, 4))
		abort();
	base = synth_map_range(&s, P_RING, synth_prb_bytes(5, 12));
	synth_prb_init(&r, s.mem + P_RING, base, 0, 5, 12, 1000, 4096 * 3 - 40);
	synth_infof(&s, "SYMBOL(prb)=%llx\n%s", (unsigned long long)SYNTH_TEXT(P_RING),
		    SYNTH_PRB_INFO);
	for (unsigned i = 0; i < sizeof(log) / sizeof(log[0]); i++)
		synth_prb_add(&r, 1000000000ull * (i + 1) + 5000, log[i], strlen(log[i]));
	synth_infof(&s, "CRASHTIME=1700000000\n");
	ksyms_build();

	memcpy(s.mem + P_INIT + COMM_OFF, "swapper/0", 10);
	memcpy(s.mem + P_CMDLINE, CMDLINE, sizeof(CMDLINE));
	synth_put(s.mem + P_VARS, synth_dmap(&s) + P_CMDLINE, 8);
	synth_put(s.mem + P_VARS + 8, synth_dmap(&s), 8);
	memcpy(s.mem + P_TASK1 + COMM_OFF, "kworker/1:0", 12);
	synth_map_range(&s, P_AREA, 0x20000);
	synth_map_range(&s, P_STACK, 0x8000);
	for (unsigned cpu = 0; cpu < 2; cpu++) {
		synth_put(s.mem + P_PCPUOFF + 8 * cpu, pcpu_off(cpu), 8);
		synth_put(s.mem + P_AREA + cpu * 0x10000u + CURRENT,
			  SYNTH_TEXT(cpu ? P_TASK1 : P_INIT), 8);
	}
	/* stacks: a stale word, then return addresses into panic and stop_this_cpu */
	synth_put(s.mem + P_STACK + 0x4000 - 0x100, 0x1234, 8);
	synth_put(s.mem + P_STACK + 0x4000 - 0xf8, SYNTH_TEXT(P_TEXT + 0x100) + 0x30, 8);
	synth_put(s.mem + P_STACK + 0x8000 - 0x100, SYNTH_TEXT(P_TEXT + 0x400) + 0x8, 8);

	/* notes in the order CPU 1, CPU 0: GS_BASE tells which is which */
	for (unsigned k = 0; k < 2; k++) {
		unsigned cpu = 1 - k;
		uint8_t prs[PRSTATUS_X86_64_SIZE] = { 0 };
		uint8_t *reg = prs + 112;

		synth_put(prs + 32, cpu ? 42 : 0, 4);
		synth_put(reg + 8 * 16, cpu ? MODULE_RIP : SYNTH_TEXT(P_TEXT + 0x400) + 0x10, 8);
		synth_put(reg + 8 * 17, 0x10, 8);                           /* CS */
		synth_put(reg + 8 * 19, synth_dmap(&s) + P_STACK + (cpu ? 0x4000 : 0x8000) - 0x100,
			  8);                                                /* RSP */
		synth_put(reg + 8 * 22, pcpu_off(cpu), 8);                  /* GS_BASE */
		if (elfnote_append(notes, sizeof(notes), &len, "CORE", NT_PRSTATUS, prs, sizeof(prs)))
			abort();
	}
	if (elfnote_append(notes, sizeof(notes), &len, "VMCOREINFO", 0, s.info, s.info_len))
		abort();
	*notes_len = len;
	return notes;
}

/* The ELF vmcore of the guest: one PT_LOAD over all memory. */
static uint8_t *elf_build(const uint8_t *notes, size_t notes_len, size_t *len)
{
	struct elfcore_load load;
	size_t hdr = (elfcore_header_size(1, 0, notes_len) + 4095) & ~(size_t)4095;
	uint8_t *out;

	load = (struct elfcore_load){ .paddr = 0, .size = MEMSZ, .data_addr = hdr };
	*len = hdr + MEMSZ;
	out = calloc(1, *len);
	if (!out || elfcore_build(out, hdr, 0, &load, 1, notes, notes_len, NULL))
		abort();
	memcpy(out + hdr, s.mem, MEMSZ);
	return out;
}

/* The kdump file of the guest; STOP < NPFN leaves it incomplete after pfn STOP. */
static int kdump_build(const char *path, enum kdump_compression c, const uint8_t *notes,
		       size_t notes_len, uint64_t stop)
{
	struct kdump_range range = { 0, NPFN };
	struct kdump_writer_opts o = {
		.path = path, .max_mapnr = NPFN, .ranges = &range, .nranges = 1, .notes = notes,
		.notes_len = notes_len, .compression = c, .tv_sec = 1700000100,
	};
	struct kdump_compressor *cc;
	struct kdump_writer *w;
	struct kdump_cpage cp;
	uint8_t out[4096];
	int r;

	r = kdump_writer_create(&o, &w);
	if (r < 0)
		return r;
	r = kdump_compressor_new(c, 0, &cc);
	for (uint64_t pfn = 0; r == 0 && pfn < NPFN && pfn < stop; pfn++) {
		r = kdump_compress_page(cc, s.mem + pfn * 4096, out, &cp);
		if (r == 0)
			r = kdump_writer_append(w, pfn, &cp);
	}
	if (r == 0)
		r = stop < NPFN ? kdump_writer_sync(w, NULL) : kdump_writer_finish(w);
	kdump_compressor_free(cc);
	kdump_writer_free(w);
	return r;
}

/* ---- the reader -------------------------------------------------------------------------- */

static void expect_pages(uint64_t *zero, uint64_t *nonzero)
{
	*zero = *nonzero = 0;
	for (uint64_t p = 0; p < NPFN; p++)
		(*(kdump_page_is_zero(s.mem + p * 4096) ? zero : nonzero))++;
}

static void test_reader(const char *path, const char *fmt, const uint8_t *notes, size_t nlen)
{
	struct dumpfile *d = NULL;
	struct dumpfile_range rg;
	struct dumpfile_page_stats st;
	uint8_t *buf = malloc(3 * 4096 + 100);
	uint64_t pa, dm = synth_dmap(&s), zero, nonzero;
	const char *info;
	const uint8_t *n;
	size_t len;
	char why[256];
	int r;

	r = dumpfile_open(path, 0, &d, why, sizeof(why));
	if (!tap_ok(r == 0 && d, "%s: opens (%s)", fmt, r ? why : "ok")) {
		free(buf);
		return;
	}
	tap_is_str(dumpfile_format_name(d), fmt, "format name");
	n = dumpfile_notes(d, &len);
	tap_ok(len == nlen && !memcmp(n, notes, nlen), "%s: the notes blob as written", fmt);
	info = dumpfile_vmcoreinfo(d, &len);
	tap_ok(info && len == s.info_len && !memcmp(info, s.info, len), "%s: VMCOREINFO", fmt);
	tap_ok(dumpfile_next_range(d, 0, &rg) == 0 && rg.start == 0 && rg.size == MEMSZ &&
	       dumpfile_next_range(d, MEMSZ, &rg) == -ENOENT, "%s: one range [0, 8 MiB)", fmt);
	tap_ok(dumpfile_next_range(d, 0x1800, &rg) == 0 && rg.start == 0x1800 &&
	       rg.size == MEMSZ - 0x1800, "%s: a range clipped at FROM", fmt);

	r = dumpfile_read_phys(d, 0x2ff0, buf, 2 * 4096 + 100);
	tap_ok(r == 0 && !memcmp(buf, s.mem + 0x2ff0, 2 * 4096 + 100),
	       "%s: physical read across three pages", fmt);
	r = dumpfile_read_phys(d, P_KSYMS + 0x10, buf, 64);
	tap_ok(r == 0 && !memcmp(buf, s.mem + P_KSYMS + 0x10, 64), "%s: cached page re-read", fmt);
	tap_is_int(dumpfile_read_phys(d, MEMSZ - 8, buf, 16), -EFAULT,
		   "read running past the dump: -EFAULT");
	tap_is_int(dumpfile_read_phys(d, UINT64_MAX - 3, buf, 8), -EFAULT,
		   "read at the top of the address space: -EFAULT");
	tap_is_int(dumpfile_paging_levels(d), 4, "4-level paging from VMCOREINFO");
	tap_ok(dumpfile_kvtop(d, dm + P_AREA + 0x10, &pa) == 0 && pa == P_AREA + 0x10,
	       "%s: direct-map address through the page tables", fmt);
	r = dumpfile_read_virt(d, dm + P_AREA + 0x10000 + CURRENT, buf, 8);
	tap_ok(r == 0 && synth_get(buf, 8) == SYNTH_TEXT(P_TASK1), "%s: virtual read", fmt);
	tap_is_int(dumpfile_read_virt(d, dm + 0x7000000, buf, 8), -ENXIO, "unmapped: -ENXIO");

	expect_pages(&zero, &nonzero);
	r = dumpfile_page_stats(d, &st);
	tap_ok(r == 0 && st.total == NPFN && st.zero == zero && st.nonzero == nonzero &&
	       !st.excluded && !st.missing && !st.unreadable,
	       "%s: page stats %llu total, %llu zero, %llu present", fmt,
	       (unsigned long long)st.total, (unsigned long long)st.zero,
	       (unsigned long long)st.nonzero);
	dumpfile_close(d);
	free(buf);
}

/* Offset of pfn PFN's descriptor and data in a kdump file. */
static int desc_of(const char *path, uint64_t pfn, uint64_t *doff, uint64_t *data)
{
	struct kdump *k;
	uint32_t size, flags;
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	r = kdump_open(fd, KDUMP_OPEN_INCOMPLETE, &k, NULL, 0);
	if (r == 0) {
		r = kdump_page_desc(k, pfn, data, &size, &flags);
		*doff = kdump_desc_offset(k);
		kdump_close(k);
	}
	close(fd);
	return r;
}

static void patch(const char *path, uint64_t off, const void *bytes, size_t len)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || pwrite(fd, bytes, len, (off_t)off) != (ssize_t)len)
		abort();
	close(fd);
}

static void test_kdump_damage(const uint8_t *notes, size_t nlen)
{
	struct dumpfile *d;
	struct dumpfile_page_stats st;
	uint8_t buf[4096], junk[64];
	uint64_t doff, data;
	char why[256];
	const char *p;
	int r;

	/* excluded: the last pfn's bit cleared in bitmap 2 (its descriptor was the last) */
	p = path_in("excl.kdump");
	if (kdump_build(p, KDUMP_COMPRESS_NONE, notes, nlen, NPFN) < 0)
		abort();
	{
		uint8_t b;
		uint64_t bm2;
		struct kdump *k;
		int fd = open(p, O_RDONLY | O_CLOEXEC);

		if (fd < 0 || kdump_open(fd, 0, &k, NULL, 0) < 0)
			abort();
		bm2 = (1 + kdump_sub_hdr_blocks(k)) * 4096ull +
		      (kdump_desc_offset(k) - (1 + kdump_sub_hdr_blocks(k)) * 4096ull) / 2;
		kdump_close(k);
		close(fd);
		b = 0x7f;
		patch(p, bm2 + (NPFN - 1) / 8, &b, 1);
	}
	r = dumpfile_open(p, 0, &d, why, sizeof(why));
	tap_ok(r == 0, "bitmap 2 without the last pfn opens (%s)", r ? why : "ok");
	if (r == 0) {
		tap_is_int(dumpfile_read_phys(d, (NPFN - 1) * 4096ull, buf, 8), -ENODATA,
			   "excluded page: -ENODATA");
		r = dumpfile_page_stats(d, &st);
		tap_ok(r == 0 && st.excluded == 1 &&
		       st.total == NPFN && !st.unreadable, "excluded page counted");
		dumpfile_close(d);
	}

	/* corrupt data: a zstd page's bytes overwritten */
	p = path_in("bad.kdump");
	if (kdump_build(p, KDUMP_COMPRESS_ZSTD, notes, nlen, NPFN) < 0 ||
	    desc_of(p, P_KSYMS / 4096, &doff, &data) < 0)
		abort();
	memset(junk, 0xa5, sizeof(junk));
	patch(p, data, junk, 4); /* the zstd frame's magic */
	r = dumpfile_open(p, 0, &d, why, sizeof(why));
	tap_ok(r == 0, "a kdump with one corrupt page opens");
	if (r == 0) {
		tap_is_int(dumpfile_read_phys(d, P_KSYMS, buf, 8), -EIO, "corrupt page: -EIO");
		r = dumpfile_page_stats(d, &st);
		tap_ok(r == 0 && st.unreadable == 1 &&
		       st.first_unreadable == P_KSYMS && st.first_error == -EIO,
		       "corrupt page counted as unreadable, first at its address");
		dumpfile_close(d);
	}

	/* incomplete: stopped after half the pfns */
	p = path_in("half.kdump.part");
	if (kdump_build(p, KDUMP_COMPRESS_LZO, notes, nlen, NPFN / 2) < 0)
		abort();
	r = dumpfile_open(p, 0, &d, why, sizeof(why));
	tap_ok(r == -EAGAIN && strstr(why, "incomplete"), "incomplete refused by default: %s", why);
	r = dumpfile_open(p, DUMPFILE_OPEN_INCOMPLETE, &d, why, sizeof(why));
	tap_ok(r == 0 && dumpfile_kdump_info(d)->incomplete, "incomplete opens when asked");
	if (r == 0) {
		tap_is_int(dumpfile_read_phys(d, (NPFN - 1) * 4096ull, buf, 8), -ENODATA,
			   "missing page: -ENODATA");
		tap_ok(dumpfile_read_phys(d, 0x1000, buf, 8) == 0, "written page reads");
		r = dumpfile_page_stats(d, &st);
		tap_ok(r == 0 && st.missing == NPFN / 2 &&
		       st.total == NPFN, "missing pages counted (%llu)",
		       (unsigned long long)st.missing);
		dumpfile_close(d);
	}
}

static void expect_open_error(const char *name, const void *bytes, size_t len, int err,
			      const char *word)
{
	struct dumpfile *d = NULL;
	char why[256];
	const char *p = path_in(name);
	int r;

	if (write_file(p, bytes, len) < 0)
		abort();
	r = dumpfile_open(p, 0, &d, why, sizeof(why));
	tap_ok(r == err && d == NULL && strstr(why, word), "%s: %d, \"%s\"", name, r, why);
}

static void test_hostile(const uint8_t *elf, size_t elf_len)
{
	uint8_t rnd[8192], hdr[8192];
	unsigned x = 12345;
	struct dumpfile *d;
	char why[256];
	int r;

	for (size_t i = 0; i < sizeof(rnd); i++)
		rnd[i] = (uint8_t)((x = x * 1103515245u + 12345u) >> 16);
	rnd[0] = 'X';
	expect_open_error("empty", "", 0, -ENOEXEC, "empty");
	expect_open_error("random", rnd, sizeof(rnd), -ENOEXEC, "not an ELF file");
	expect_open_error("elf-cut", elf, 40, -EINVAL, "malformed ELF core");
	memcpy(hdr, "KDUMP   ", 8);
	memcpy(hdr + 8, rnd + 8, sizeof(hdr) - 8);
	synth_put(hdr + 8, 6, 4); /* a plausible version, then garbage */
	expect_open_error("kdump-garbage", hdr, sizeof(hdr), -EBADMSG, "");
	expect_open_error("kdump-short", hdr, 100, -EBADMSG, "shorter than a header");
	memcpy(rnd, "makedumpfile\0\0\0\0", 16);
	expect_open_error("flattened", rnd, sizeof(rnd), -EBADMSG, "flattened");
	r = dumpfile_open(dir, 0, &d, why, sizeof(why));
	tap_ok(r == -EISDIR, "a directory: %s", why);
	r = dumpfile_open(path_in("nope"), 0, &d, why, sizeof(why));
	tap_ok(r == -ENOENT && !strcmp(why, "No such file or directory"), "missing file: %s", why);
}

/* A truncated ELF opens; what it lacks is missing, not readable. */
static void test_truncated(const uint8_t *elf, size_t elf_len)
{
	struct dumpfile *d;
	struct dumpfile_page_stats st;
	const char *p = path_in("cut.elf");
	char why[256];
	int r;

	if (write_file(p, elf, elf_len - MEMSZ / 2 - 100) < 0)
		abort();
	r = dumpfile_open(p, 0, &d, why, sizeof(why));
	tap_ok(r == 0 && dumpfile_missing_bytes(d) == MEMSZ / 2 + 100, "truncated ELF opens");
	if (r == 0) {
		r = dumpfile_page_stats(d, &st);
		tap_ok(r == 0 && st.total == NPFN &&
		       st.missing == NPFN / 2 && st.zero + st.nonzero == NPFN / 2,
		       "truncated ELF: %llu pages missing of %llu", (unsigned long long)st.missing,
		       (unsigned long long)st.total);
		dumpfile_close(d);
	}
}

/* ---- size claims ---------------------------------------------------------------------------- */

/* An ELF core of one PT_LOAD at 0 claiming MEMSZ bytes, FILESZ of them stored (page 0 all 0x55,
 * the rest zeros), the file then extended (sparse) to FILE_SIZE bytes when larger. */
static const char *claim_elf(const char *name, uint64_t memsz, uint64_t filesz, uint64_t file_size)
{
	uint8_t hdr[4096] = { 0 };
	Elf64_Ehdr *e = (Elf64_Ehdr *)hdr;
	Elf64_Phdr *ph = (Elf64_Phdr *)(hdr + sizeof(*e));
	uint8_t *data = calloc(1, (size_t)filesz);
	const char *p = path_in(name);
	int fd;

	memcpy(e->e_ident, ELFMAG, SELFMAG);
	e->e_ident[EI_CLASS] = ELFCLASS64;
	e->e_ident[EI_DATA] = ELFDATA2LSB;
	e->e_ident[EI_VERSION] = EV_CURRENT;
	e->e_type = ET_CORE;
	e->e_machine = EM_X86_64;
	e->e_version = EV_CURRENT;
	e->e_phoff = sizeof(*e);
	e->e_ehsize = sizeof(*e);
	e->e_phentsize = sizeof(*ph);
	e->e_phnum = 1;
	*ph = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_W | PF_X,
			    .p_offset = sizeof(hdr), .p_vaddr = 0xffff888000000000ull,
			    .p_paddr = 0, .p_filesz = filesz, .p_memsz = memsz, .p_align = 4096 };
	if (!data)
		abort();
	memset(data, 0x55, filesz < 4096 ? (size_t)filesz : 4096);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, hdr, sizeof(hdr)) != (ssize_t)sizeof(hdr) ||
	    write(fd, data, (size_t)filesz) != (ssize_t)filesz ||
	    (file_size > sizeof(hdr) + filesz && ftruncate(fd, (off_t)file_size) < 0))
		abort();
	close(fd);
	free(data);
	return p;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A PT_LOAD is a few bytes whatever memory it claims: the zero tail past p_filesz is counted,
 * not read, and a claim no file of that size could hold is refused by dumpfile_claim_check
 * (issue 14: a 4 KiB ELF claiming 16 TiB kept `hvdump info` busy for more than 10 minutes). */
static void test_claims(void)
{
	const uint64_t tib16 = 16ull << 40;
	const char *huge = claim_elf("claim16t.elf", tib16, 8192, 0);
	const char *ok_small = claim_elf("claim64m.elf", 64u << 20, 8192, 0);
	const char *ok_ratio = claim_elf("claim20g.elf", 20ull << 30, 8192, (20ull << 30) / 4096);
	const char *no_ratio = claim_elf("claim20gx.elf", 20ull << 30, 8192, 0);
	struct dumpfile_page_stats st;
	struct dumpfile *d;
	char why[256];
	double t0;
	int r;

	r = dumpfile_open(huge, 0, &d, why, sizeof(why));
	tap_ok(r == 0, "an ELF claiming 16 TiB from 12 KiB opens (%s)", r ? why : "ok");
	if (r == 0) {
		why[0] = 0;
		r = dumpfile_claim_check(d, why, sizeof(why));
		tap_ok(r == -EFBIG && strstr(why, "16.00 TiB") && strstr(why, "12.00 KiB"),
		       "its claim is refused: %s", why);
		t0 = now_s();
		r = dumpfile_page_stats(d, &st);
		t0 = now_s() - t0;
		tap_ok(r == 0 && st.total == tib16 / 4096 && st.nonzero == 1 &&
		       st.zero == tib16 / 4096 - 1 && !st.missing && !st.unreadable && t0 < 1.0,
		       "its zero tail is counted, not read: %llu pages, %llu zero, in %.3f s",
		       (unsigned long long)st.total, (unsigned long long)st.zero, t0);
		dumpfile_close(d);
	}
	r = dumpfile_open(ok_small, 0, &d, why, sizeof(why));
	tap_ok(r == 0 && dumpfile_claim_check(d, why, sizeof(why)) == 0,
	       "64 MiB claimed by 12 KiB: accepted (at most 16 GiB always is)");
	if (r == 0) {
		r = dumpfile_page_stats(d, &st);
		tap_ok(r == 0 && st.total == 16384 && st.nonzero == 1 && st.zero == 16383,
		       "  and counted: %llu zero of %llu", (unsigned long long)st.zero,
		       (unsigned long long)st.total);
		dumpfile_close(d);
	}
	r = dumpfile_open(ok_ratio, 0, &d, why, sizeof(why));
	tap_ok(r == 0 && dumpfile_claim_check(d, why, sizeof(why)) == 0,
	       "20 GiB claimed by a 5 MiB file (4096 times its size): accepted");
	if (r == 0)
		dumpfile_close(d);
	r = dumpfile_open(no_ratio, 0, &d, why, sizeof(why));
	tap_ok(r == 0 && dumpfile_claim_check(d, why, sizeof(why)) == -EFBIG,
	       "20 GiB claimed by 12 KiB: refused");
	if (r == 0)
		dumpfile_close(d);
}

/* ---- kallsyms reverse lookup ---------------------------------------------------------------- */

static void test_reverse(const char *elf_path)
{
	struct dumpfile *d;
	struct kallsyms *ks;
	const char *info;
	char name[KALLSYMS_NAME_MAX + 1], tiny[5];
	uint64_t off = 0, size = 0;
	size_t len;

	if (dumpfile_open(elf_path, 0, &d, NULL, 0) < 0)
		abort();
	info = dumpfile_vmcoreinfo(d, &len);
	if (!tap_ok(kallsyms_open(info, len, dumpfile_phys_cb, d, &ks) == 0, "kallsyms tables found")) {
		dumpfile_close(d);
		return;
	}
	tap_ok(kallsyms_addr_to_name(ks, SYNTH_TEXT(P_TEXT + 0x130), name, sizeof(name), &off,
				     &size) == 0 && !strcmp(name, "panic") && off == 0x30 &&
	       size == 0x300, "panic+0x30/0x300 (%s+%#llx/%#llx)", name,
	       (unsigned long long)off, (unsigned long long)size);
	tap_ok(kallsyms_addr_to_name(ks, SYNTH_TEXT(P_TEXT + 0x10), name, sizeof(name), &off,
				     NULL) == 0 && !strcmp(name, "_stext") && off == 0x10,
	       "of two aliases the first in table order: %s", name);
	tap_ok(kallsyms_addr_to_name(ks, SYNTH_TEXT(P_TEXT + 0x400), name, sizeof(name), &off,
				     &size) == 0 && !strcmp(name, "stop_this_cpu") && off == 0,
	       "a symbol's own address: offset 0");
	tap_is_int(kallsyms_addr_to_name(ks, SYNTH_TEXT(P_TEXT - 1), name, sizeof(name), &off,
					 NULL), -ENOENT, "below every image symbol: -ENOENT");
	tap_is_int(kallsyms_addr_to_name(ks, SYNTH_TEXT(0x3f0000) + 8, name, sizeof(name), &off,
					 NULL), -ENOENT, "past _end: -ENOENT");
	tap_is_int(kallsyms_addr_to_name(ks, MODULE_RIP, name, sizeof(name), &off, NULL),
		   -ENOENT, "a module address: -ENOENT");
	tap_is_int(kallsyms_addr_to_name(ks, CURRENT + 8, name, sizeof(name), &off, NULL),
		   -ENOENT, "near a per-CPU value, outside the image: -ENOENT");
	tap_is_int(kallsyms_addr_to_name(ks, SYNTH_TEXT(P_TEXT + 0x400), tiny, sizeof(tiny),
					 &off, NULL), -ENOSPC, "name too long for the buffer: -ENOSPC");
	kallsyms_close(ks);
	dumpfile_close(d);
}

/* ---- hvdump info ----------------------------------------------------------------------------- */

/* Run `hvdump info ARGS... FILE`; stdout to OUT, stderr to ERR.  Returns the exit status. */
static int run_info(const char *file, int json, const char *out, const char *err)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(127);
		if (json)
			execl(hvdump, hvdump, "info", "--json", file, (char *)NULL);
		else
			execl(hvdump, hvdump, "info", file, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static unsigned lines_of(const char *path)
{
	uint8_t *b;
	size_t len;
	unsigned n = 0;

	if (read_all(path, &b, &len) < 0)
		return 0;
	for (size_t i = 0; i < len; i++)
		n += b[i] == '\n';
	free(b);
	return n;
}

static const char *jget_str(json_t *o, const char *path)
{
	json_t *v = o;
	char key[64];

	while (v && *path) {
		size_t l = strcspn(path, ".");

		snprintf(key, sizeof(key), "%.*s", (int)l, path);
		if (json_is_array(v))
			v = json_array_get(v, (size_t)atoi(key));
		else
			v = json_object_get(v, key);
		path += l + (path[l] == '.');
	}
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		static char num[8][32];
		static int next;
		char *p = num[next++ % 8];

		snprintf(p, 32, "%lld", (long long)json_integer_value(v));
		return p;
	}
	if (json_is_true(v))
		return "true";
	if (json_is_false(v))
		return "false";
	return json_is_null(v) ? "null" : NULL;
}

/* The keys every `hvdump info --json` object has. */
static int check_shape(json_t *j, const char *what)
{
	static const char *const keys[] = { "file", "file_size", "format", "incomplete",
					    "kernel_release", "crash_time", "command_line", "panic",
					    "cpus",
					    "memory", "pages", "problems" };
	int ok = json_is_object(j);

	for (size_t i = 0; ok && i < sizeof(keys) / sizeof(keys[0]); i++)
		ok = json_object_get(j, keys[i]) != NULL;
	ok = ok && json_is_array(json_object_get(j, "cpus")) &&
	     json_is_array(json_object_get(j, "problems"));
	return tap_ok(ok, "%s: the JSON object has every key", what);
}

static void expect(json_t *j, const char *path, const char *want, const char *what)
{
	const char *got = jget_str(j, path);
	char name[160];

	snprintf(name, sizeof(name), "%s: %s = %s", what, path, want);
	tap_is_str(got, want, name);
}

static void test_info(const char *path, const char *what, const char *format)
{
	const char *out = path_in("info.json"), *err = path_in("info.err");
	json_error_t je;
	json_t *j;
	int rc;

	rc = run_info(path, 1, out, err);
	tap_ok(rc == 0 && lines_of(err) == 0, "%s: hvdump info --json exits 0, nothing on stderr "
	       "(rc %d)", what, rc);
	j = json_load_file(out, 0, &je);
	if (!tap_ok(j != NULL, "%s: output parses as JSON (%s)", what, j ? "ok" : je.text))
		return;
	check_shape(j, what);
	expect(j, "format", format, what);
	expect(j, "kernel_release", "6.1.0-synthetic", what);
	expect(j, "crash_time", "2023-11-14T22:13:20Z", what);
	expect(j, "command_line", CMDLINE, what);
	expect(j, "panic.message", "Kernel panic - not syncing: Fatal exception", what);
	expect(j, "panic.uptime", "5.000005", what);
	expect(j, "panic.oops",
	       "BUG: kernel NULL pointer dereference, address: 0000000000000008", what);
	expect(j, "panic.cpu", "1", what);
	expect(j, "panic.pid", "42", what);
	expect(j, "panic.comm", "kworker/1:0", what);
	tap_is_int(json_array_size(json_object_get(j, "cpus")), 2, "two CPUs");
	/* note 0 is CPU 1 (by GS_BASE) */
	expect(j, "cpus.0.cpu", "1", what);
	expect(j, "cpus.0.panicking", "true", what);
	expect(j, "cpus.0.comm", "kworker/1:0", what);
	expect(j, "cpus.0.pid", "42", what);
	expect(j, "cpus.0.rip_symbol", "null", what);
	expect(j, "cpus.0.rip_area", "module", what);
	expect(j, "cpus.0.stack.0", "panic+0x30/0x300", what);
	expect(j, "cpus.1.cpu", "0", what);
	expect(j, "cpus.1.panicking", "false", what);
	expect(j, "cpus.1.comm", "swapper/0", what);
	expect(j, "cpus.1.rip_symbol", "stop_this_cpu+0x10/0xc00", what);
	expect(j, "cpus.1.stack.0", "stop_this_cpu+0x8/0xc00", what);
	expect(j, "memory.ranges", "1", what);
	expect(j, "memory.bytes", "8388608", what);
	expect(j, "pages.total", "2048", what);
	expect(j, "pages.unreadable", "0", what);
	json_decref(j);

	rc = run_info(path, 0, out, err);
	tap_ok(rc == 0 && lines_of(out) > 10, "%s: text form exits 0 (%u lines)", what,
	       lines_of(out));
	{
		uint8_t *b = NULL;
		size_t len = 0;

		if (read_all(out, &b, &len) == 0)
			b[len] = 0;
		tap_ok(b && strstr((char *)b, "\ncmdline     " CMDLINE "\n"),
		       "%s: text form: the command line", what);
		free(b);
	}
}

static void expect_info_rc(const char *path, int want, const char *word, const char *what)
{
	const char *out = path_in("e.out"), *err = path_in("e.err");
	uint8_t *b = NULL;
	size_t len = 0;
	int rc = run_info(path, 0, out, err);

	if (read_all(err, &b, &len) == 0) {
		while (len && b[len - 1] == '\n')
			len--;
		b[len] = 0;
	}
	tap_ok(rc == want && (want != 2 || lines_of(err) == 1) && b && strstr((char *)b, word),
	       "%s: exit %d", what, rc);
	if (b)
		tap_diag("%s", (char *)b);
	free(b);
}

/* The commands refuse an implausible claim at once and write nothing; --force-size goes on,
 * counting the zero tail without reading it. */
static void test_claims_cli(void)
{
	char cmd[8192], out[256], part[256];
	double t0 = now_s();
	int rc;

	snprintf(out, sizeof(out), "%s", path_in("claim.kdump"));
	snprintf(part, sizeof(part), "%s.part", out);
	expect_info_rc(path_in("claim16t.elf"), 2, "not a plausible dump (--force-size",
		       "hvdump info on an ELF claiming 16 TiB from 12 KiB");
	t0 = now_s() - t0;
	tap_ok(t0 < 1.0, "  refused in %.3f s", t0);
	snprintf(cmd, sizeof(cmd), "'%s' info --force-size '%s' >'%s' 2>&1", hvdump,
		 path_in("claim16t.elf"), path_in("c.out"));
	t0 = now_s();
	rc = system(cmd);
	t0 = now_s() - t0;
	snprintf(cmd, sizeof(cmd), "grep -q '4294967296 total: 1 present, 4294967295 zero' '%s'",
		 path_in("c.out"));
	tap_ok(WIFEXITED(rc) && WEXITSTATUS(rc) == 0 && system(cmd) == 0 && t0 < 1.0,
	       "  with --force-size: summarised in %.3f s, the zero tail counted", t0);
	snprintf(cmd, sizeof(cmd), "'%s' convert -q '%s' '%s' 2>'%s'", hvdump,
		 path_in("claim16t.elf"), path_in("claim.kdump"), path_in("c.err"));
	rc = system(cmd);
	snprintf(cmd, sizeof(cmd), "grep -q 'not a plausible dump (--force-size converts' '%s'",
		 path_in("c.err"));
	tap_ok(WIFEXITED(rc) && WEXITSTATUS(rc) == 2 && system(cmd) == 0 &&
	       access(out, F_OK) < 0 && access(part, F_OK) < 0,
	       "hvdump convert refuses it (exit 2) and writes nothing");
}

static int check_json_files(int argc, char **argv)
{
	for (int i = 2; i < argc; i++) {
		json_error_t je;
		json_t *j = json_load_file(argv[i], 0, &je);

		if (tap_ok(j != NULL, "%s parses as JSON (%s)", argv[i], j ? "ok" : je.text))
			check_shape(j, argv[i]);
		json_decref(j);
	}
	return tap_done();
}

int main(int argc, char **argv)
{
	static const struct { enum kdump_compression c; const char *name, *file; } kd[] = {
		{ KDUMP_COMPRESS_NONE, "kdump-none", "g.none" },
		{ KDUMP_COMPRESS_ZLIB, "kdump-zlib", "g.zlib" },
		{ KDUMP_COMPRESS_LZO, "kdump-lzo", "g.lzo" },
		{ KDUMP_COMPRESS_ZSTD, "kdump-zstd", "g.zstd" },
	};
	const uint8_t *notes;
	uint8_t *elf;
	size_t nlen, elf_len;
	char *slash;

	if (argc > 1 && !strcmp(argv[1], "--json"))
		return check_json_files(argc, argv);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	/* build/tests/unit/test_dumpfile -> build/hvdump */
	snprintf(hvdump, sizeof(hvdump), "%s", argv[0]);
	slash = strrchr(hvdump, '/');
	snprintf(slash ? slash + 1 : hvdump, sizeof(hvdump) - (size_t)(slash ? slash + 1 - hvdump : 0),
		 "../../hvdump");

	notes = guest_build(&nlen);
	elf = elf_build(notes, nlen, &elf_len);
	if (write_file(path_in("g.elf"), elf, elf_len) < 0)
		abort();
	test_reader(path_in("g.elf"), "ELF", notes, nlen);
	for (size_t i = 0; i < sizeof(kd) / sizeof(kd[0]); i++) {
		if (kdump_build(path_in(kd[i].file), kd[i].c, notes, nlen, NPFN) < 0)
			abort();
		test_reader(path_in(kd[i].file), kd[i].name, notes, nlen);
	}
	test_kdump_damage(notes, nlen);
	test_hostile(elf, elf_len);
	test_truncated(elf, elf_len);
	test_claims();
	test_reverse(path_in("g.elf"));

	if (access(hvdump, X_OK) == 0) {
		test_info(path_in("g.elf"), "ELF", "ELF");
		test_info(path_in("g.lzo"), "kdump-lzo", "kdump-lzo");
		test_info(path_in("g.zstd"), "kdump-zstd", "kdump-zstd");
		expect_info_rc(path_in("bad.kdump"), 1, "pages cannot be read", "corrupt page");
		expect_info_rc(path_in("half.kdump.part"), 1, "missing from the incomplete dump",
			       "incomplete kdump");
		expect_info_rc(path_in("cut.elf"), 1, "truncated", "truncated ELF");
		expect_info_rc(path_in("random"), 2, "not an ELF file", "random bytes");
		expect_info_rc(path_in("kdump-garbage"), 2, "kdump-garbage: ", "corrupt kdump header");
		expect_info_rc(path_in("elf-cut"), 2, "malformed ELF core", "ELF cut in its header");
		expect_info_rc(path_in("empty"), 2, "empty file", "empty file");
		test_claims_cli();
	} else {
		tap_diag("%s not built: hvdump info not tested", hvdump);
	}

	free(elf);
	synth_free(&s);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			tap_diag("could not remove %s", dir);
	}
	return tap_done();
}
