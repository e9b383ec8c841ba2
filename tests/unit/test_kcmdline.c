// SPDX-License-Identifier: GPL-2.0-or-later
// The crashed kernel's command line (kcmdline.h) on synthetic memory: a kernel image with
// kallsyms tables (synth_kallsyms.h) holding saved_command_line and page_offset_base, and the
// string in the direct map.  Without and with KASLR, a kernel without page_offset_base,
// hostile pointers and bases, strings without a NUL or with bytes that are not printable, a
// missing symbol, reads that fail, a string that ends before unreadable memory.  Then
// crash_kernel_cmdline() (dump/kcmdline_ram.h) over a RAM file of the same memory with high
// RAM above 4 GiB: only inside the RAM ranges and the file.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dump/kcmdline_ram.h"
#include "format/kcmdline.h"
#include "tap.h"
#include "unit/synth_kallsyms.h"

/* Guest-physical memory [0, MEM_SIZE): the kernel image at IMG_PA, mapped at KV. */
#define IMG_PA   0x1000000ull
#define IMG_SIZE (1u << 20)
#define MEM_SIZE (IMG_PA + IMG_SIZE)
#define KV       0xffffffff8f800000ull
#define V_SCL    0x80000u          /* saved_command_line, from the image's start */
#define V_POB    0x80008u          /* page_offset_base */
#define STR_PA   0x200000ull       /* where the string usually is */
#define KASLR_BASE 0xffff9a4bc0000000ull

struct mem {
	uint8_t *buf;
	uint64_t hole, hole_end;  /* [hole, hole_end) cannot be read */
	size_t max_read;          /* the longest read outside the image */
	int fail;                 /* != 0: every read fails with this */
};

static int mem_read(void *ctx, uint64_t pa, void *buf, size_t len)
{
	struct mem *m = ctx;

	if (pa < IMG_PA && len > m->max_read)
		m->max_read = len;
	if (m->fail)
		return m->fail;
	if (pa > MEM_SIZE || len > MEM_SIZE - pa || (pa < m->hole_end && pa + len > m->hole))
		return -EFAULT;
	memcpy(buf, m->buf + pa, len);
	return 0;
}

struct guest {
	struct mem m;
	struct synth_ks ks;
	struct kallsyms *k;
};

enum { NO_SCL = 1, NO_POB = 2, L5 = 4 };

/* A kernel whose saved_command_line points at BASE + STR_PA (unless FLAGS leave it out),
 * whose page_offset_base is BASE; the string is CMDLINE. */
static int guest_build(struct guest *g, uint64_t base, const char *cmdline, unsigned flags)
{
	struct synth_ks *ks = &g->ks;

	kallsyms_close(g->k);
	g->k = NULL;
	memset(g->m.buf, 0, MEM_SIZE);
	g->m.hole = g->m.hole_end = 0;
	g->m.max_read = 0;
	g->m.fail = 0;
	synth_ks_init(ks, g->m.buf + IMG_PA, IMG_SIZE, KV, SYNTH_KS_RELATIVE);
	synth_ks_sym(ks, 'T', "_stext", KV, 0);
	synth_ks_sym(ks, 'D', "saved_command", KV + V_SCL - 0x10, 0);
	if (!(flags & NO_SCL))
		synth_ks_sym(ks, 'D', "saved_command_line", KV + V_SCL, 0);
	if (!(flags & NO_POB))
		synth_ks_sym(ks, 'D', "page_offset_base", KV + V_POB, 0);
	synth_ks_sym(ks, 'B', "_end", KV + 0xff000, 0);
	synth_ks_infof(ks, "OSRELEASE=6.1.0-synthetic\n");
	synth_ks_finish(ks);
	synth_ks_infof(ks, "NUMBER(phys_base)=%lld\nNUMBER(KERNEL_IMAGE_SIZE)=1073741824\n"
		       "NUMBER(pgtable_l5_enabled)=%d\n", synth_ks_phys_base(KV, IMG_PA),
		       !!(flags & L5));
	synth_put(g->m.buf + IMG_PA + V_SCL, base + STR_PA, 8);
	synth_put(g->m.buf + IMG_PA + V_POB, base, 8);
	memcpy(g->m.buf + STR_PA, cmdline, strlen(cmdline) + 1);
	return kallsyms_open(ks->info, ks->info_len, mem_read, &g->m, &g->k);
}

static void set_ptr(struct guest *g, uint64_t v)
{
	synth_put(g->m.buf + IMG_PA + V_SCL, v, 8);
}

static int get(struct guest *g, char *out, size_t outlen, char *why)
{
	why[0] = '\0';
	return kcmdline_read(g->ks.info, g->ks.info_len, g->k, mem_read, &g->m, out, outlen, why,
			     200);
}

static void expect(struct guest *g, int want, const char *want_str, const char *what)
{
	char out[KCMDLINE_SIZE], why[200];
	int r = get(g, out, sizeof(out), why);

	if (want == 0) {
		tap_ok(r == 0 && !strcmp(out, want_str), "%s: \"%.60s\"", what, out);
		if (r)
			tap_diag("  %d: %s", r, why);
	} else {
		tap_ok(r == want && why[0] && !out[0], "%s: %d (%s)", what, r, why);
	}
}

static const char *const CMDLINE =
	"BOOT_IMAGE=/boot/vmlinuz-6.1.0-57-cloud-amd64 root=UUID=3e1f5a7c-0d2b-4c8e-9f61-"
	"2a4b6c8d0e1f ro console=tty0 console=ttyS0,115200 earlyprintk=ttyS0,115200 "
	"consoleblank=0\tquiet";

static void normal(struct guest *g)
{
	char big[KCMDLINE_SIZE + 1], out[KCMDLINE_SIZE], why[200];
	uint64_t ppa;

	tap_ok(guest_build(g, KCMDLINE_PAGE_OFFSET_L4, CMDLINE, 0) == 0, "kallsyms opens");
	expect(g, 0, CMDLINE, "without KASLR");
	tap_ok(g->m.max_read <= 4096, "no read over a page (%zu)", g->m.max_read);
	tap_is_int(get(g, out, strlen(CMDLINE), why), -ENOSPC, "one byte short of room: -ENOSPC");
	tap_is_int(get(g, out, strlen(CMDLINE) + 1, why), 0, "exactly the room it needs");
	tap_is_int(get(g, out, 0, why), -EINVAL, "no room at all: -EINVAL");

	guest_build(g, KASLR_BASE, CMDLINE, 0);
	expect(g, 0, CMDLINE, "KASLR page_offset_base 0xffff9a4bc0000000");
	guest_build(g, KCMDLINE_PAGE_OFFSET_L5, CMDLINE, L5);
	expect(g, 0, CMDLINE, "5-level paging's page_offset_base");
	guest_build(g, KCMDLINE_PAGE_OFFSET_L5, CMDLINE, 0);
	expect(g, -ERANGE, NULL, "5-level paging's page_offset_base under 4-level paging");
	guest_build(g, KCMDLINE_PAGE_OFFSET_L5, CMDLINE, L5);
	set_ptr(g, KCMDLINE_PAGE_OFFSET_L5 + (1ull << 50) + STR_PA);
	expect(g, -EFAULT, NULL, "5-level paging: a pointer 1 PiB into the direct map is read");
	guest_build(g, KCMDLINE_PAGE_OFFSET_L5, CMDLINE, L5 | NO_POB);
	expect(g, 0, CMDLINE, "5-level paging without page_offset_base: the constant base");
	synth_ks_info_set(&g->ks, "NUMBER(pgtable_l5_enabled)", "2");
	expect(g, -EINVAL, NULL, "pgtable_l5_enabled=2: -EINVAL");
	guest_build(g, KCMDLINE_PAGE_OFFSET_L4, CMDLINE, NO_POB);
	expect(g, 0, CMDLINE, "no page_offset_base symbol: the constant base");
	guest_build(g, KASLR_BASE, CMDLINE, NO_POB);
	expect(g, -EFAULT, NULL, "no page_offset_base symbol, a KASLR pointer: read where the "
	       "constant base puts it");

	guest_build(g, KASLR_BASE, "", 0);
	expect(g, 0, "", "an empty command line");
	memset(big, 'x', KCMDLINE_SIZE - 1);
	big[KCMDLINE_SIZE - 1] = '\0';
	guest_build(g, KASLR_BASE, big, 0);
	expect(g, 0, big, "2047 characters and the NUL at the last byte");
	/* across a page boundary, ending in the page before memory that cannot be read */
	guest_build(g, KASLR_BASE, "", 0);
	ppa = 0x300000 - 20;
	memcpy(g->m.buf + ppa, CMDLINE, strlen(CMDLINE) + 1);
	set_ptr(g, KASLR_BASE + ppa);
	g->m.hole = (ppa + strlen(CMDLINE) + 1 + 4095) & ~4095ull;
	g->m.hole_end = IMG_PA;
	expect(g, 0, CMDLINE, "a string across a page boundary, unreadable memory after its page");
	/* the last page of memory, not page-aligned */
	ppa = 0x400000 - 100;
	memcpy(g->m.buf + ppa, "root=/dev/vda1", 15);
	set_ptr(g, KASLR_BASE + ppa);
	g->m.hole = 0x400000;
	g->m.hole_end = IMG_PA;
	expect(g, 0, "root=/dev/vda1", "a string in the last 100 bytes of memory");
	tap_is_int(kcmdline_lookup(g->ks.info, g->ks.info_len, mem_read, &g->m, out, sizeof(out),
				   why, sizeof(why)), 0, "kcmdline_lookup opens kallsyms itself");
	tap_is_str(out, "root=/dev/vda1", "  and finds the same");
}

static void hostile(struct guest *g)
{
	char out[KCMDLINE_SIZE], why[200], big[KCMDLINE_SIZE + 1];
	static const uint64_t bad_bases[] = { 0, 0x7fff80000000ull, 0xfeffffffc0000000ull,
					      KASLR_BASE + 0x1000, KALLSYMS_START_KERNEL_MAP,
					      0xffffffffc0000000ull };
	static const char *const bad_bytes[] = { "root=/dev/sda\x01", "a\nb", "console=\x7f",
						 "quiet \x80", "\xff" };

	guest_build(g, KASLR_BASE, CMDLINE, 0);
	set_ptr(g, KASLR_BASE - 4096);
	expect(g, -ERANGE, NULL, "pointer just below the direct map");
	set_ptr(g, 0);
	expect(g, -ERANGE, NULL, "NULL pointer");
	set_ptr(g, KV + V_SCL);
	expect(g, -ERANGE, NULL, "pointer into the kernel image mapping");
	set_ptr(g, KASLR_BASE + (1ull << 46));
	expect(g, -ERANGE, NULL, "pointer past 2^46 bytes of direct map (4-level paging)");
	set_ptr(g, UINT64_MAX);
	expect(g, -ERANGE, NULL, "pointer 0xffffffffffffffff");
	set_ptr(g, KASLR_BASE + MEM_SIZE + 0x1000);
	expect(g, -EFAULT, NULL, "pointer in the direct map, past memory: the read's -EFAULT");
	set_ptr(g, KASLR_BASE + (1ull << 46) - 1);
	expect(g, -EFAULT, NULL, "pointer to the direct map's last byte: -EFAULT, no overflow");

	for (size_t i = 0; i < sizeof(bad_bases) / sizeof(bad_bases[0]); i++) {
		char name[80];

		guest_build(g, bad_bases[i], CMDLINE, 0);
		snprintf(name, sizeof(name), "page_offset_base 0x%llx",
			 (unsigned long long)bad_bases[i]);
		expect(g, -ERANGE, NULL, name);
	}

	memset(big, 'y', sizeof(big) - 1);
	big[KCMDLINE_SIZE] = '\0';
	guest_build(g, KASLR_BASE, big, 0);
	expect(g, -EBADMSG, NULL, "no NUL within 2048 bytes");
	tap_ok(g->m.max_read <= 4096, "  read a page at a time (%zu)", g->m.max_read);
	for (size_t i = 0; i < sizeof(bad_bytes) / sizeof(bad_bytes[0]); i++) {
		char name[80];

		guest_build(g, KASLR_BASE, bad_bytes[i], 0);
		snprintf(name, sizeof(name), "a byte that is not printable (%zu)", i);
		expect(g, -EBADMSG, NULL, name);
	}

	guest_build(g, KASLR_BASE, CMDLINE, NO_SCL);
	expect(g, -ENOENT, NULL, "no saved_command_line symbol");
	guest_build(g, KASLR_BASE, CMDLINE, NO_SCL | NO_POB);
	expect(g, -ENOENT, NULL, "neither symbol (no CONFIG_KALLSYMS_ALL)");

	guest_build(g, KASLR_BASE, CMDLINE, 0);
	g->m.fail = -EIO;
	expect(g, -EIO, NULL, "a failing read: its error");
	g->m.fail = 0;
	g->m.hole = IMG_PA + V_SCL + 4;
	g->m.hole_end = IMG_PA + V_SCL + 8;
	expect(g, -EFAULT, NULL, "saved_command_line itself cannot be read");
	g->m.hole = g->m.hole_end = 0;
	synth_ks_info_set(&g->ks, "NUMBER(phys_base)", "12x");
	expect(g, -EINVAL, NULL, "malformed phys_base");
	synth_ks_info_set(&g->ks, "NUMBER(phys_base)", "4503599627370496");
	expect(g, -ERANGE, NULL, "phys_base placing the image past 2^52");

	tap_is_int(kcmdline_read(g->ks.info, g->ks.info_len, NULL, mem_read, &g->m, out,
				 sizeof(out), why, sizeof(why)), -EOPNOTSUPP, "no kallsyms: -EOPNOTSUPP");
	tap_is_int(kcmdline_lookup("OSRELEASE=5.10.0\nNUMBER(phys_base)=0\n", 37, mem_read, &g->m,
				   out, sizeof(out), why, sizeof(why)), -EOPNOTSUPP,
		   "kcmdline_lookup, VMCOREINFO without kallsyms (before 6.0): -EOPNOTSUPP");
	tap_diag("  %s", why);
	tap_is_int(kcmdline_read(g->ks.info, g->ks.info_len, NULL, mem_read, &g->m, out,
				 sizeof(out), NULL, 0), -EOPNOTSUPP, "WHY may be NULL");
}

/* The guest's memory as a RAM file: low RAM is the memory above, high RAM 4 MiB at 4 GiB. */
#define HIGH_SIZE (4ull << 20)

static int ram_get(int fd, const struct machine_layout *m, const struct mem_range *ram,
		   size_t nram, const struct guest *g, char *out, char *why)
{
	why[0] = '\0';
	return crash_kernel_cmdline(fd, m, ram, nram, g->ks.info, g->ks.info_len, out,
				    KCMDLINE_SIZE, why, 200);
}

static void ram_file(struct guest *g)
{
	const struct machine_layout m = { .ram_size = MEM_SIZE + HIGH_SIZE, .lowmem = MEM_SIZE };
	const struct mem_range ram[] = { { 0, 0xa0000 }, { 0x100000, MEM_SIZE - 0x100000 },
					 { LAYOUT_4G, HIGH_SIZE } };
	char path[] = "/tmp/hvdump-test-kcmdline.XXXXXX", out[KCMDLINE_SIZE], why[200];
	int fd = mkstemp(path), r;

	if (fd < 0) {
		tap_ok(0, "temporary RAM file: %s", strerror(errno));
		return;
	}
	unlink(path);
	guest_build(g, KASLR_BASE, CMDLINE, 0);
	memcpy(g->m.buf + 0xa0100, "in the hole", 12);
	r = pwrite(fd, g->m.buf, MEM_SIZE, 0) == (ssize_t)MEM_SIZE &&
	    pwrite(fd, "high RAM", 9, MEM_SIZE + 0x1000) == 9 &&
	    pwrite(fd, "last bytes", 11, MEM_SIZE + HIGH_SIZE - 11) == 11;
	tap_ok(r, "RAM file written");

	r = ram_get(fd, &m, ram, 3, g, out, why);
	tap_ok(r == 0 && !strcmp(out, CMDLINE), "RAM file: the command line in low RAM (%d %s)",
	       r, why);
	set_ptr(g, KASLR_BASE + LAYOUT_4G + 0x1000);
	pwrite(fd, g->m.buf + IMG_PA + V_SCL, 8, IMG_PA + V_SCL);
	r = ram_get(fd, &m, ram, 3, g, out, why);
	tap_ok(r == 0 && !strcmp(out, "high RAM"), "RAM file: in high RAM, above 4 GiB (%d %s)",
	       r, why);
	set_ptr(g, KASLR_BASE + LAYOUT_4G + HIGH_SIZE - 11);
	pwrite(fd, g->m.buf + IMG_PA + V_SCL, 8, IMG_PA + V_SCL);
	r = ram_get(fd, &m, ram, 3, g, out, why);
	tap_ok(r == 0 && !strcmp(out, "last bytes"), "RAM file: in the last bytes of RAM (%d %s)",
	       r, why);
	set_ptr(g, KASLR_BASE + 0xa0100);
	pwrite(fd, g->m.buf + IMG_PA + V_SCL, 8, IMG_PA + V_SCL);
	tap_is_int(ram_get(fd, &m, ram, 3, g, out, why), -EFAULT,
		   "RAM file: in the file but not in a RAM range: -EFAULT");
	set_ptr(g, KASLR_BASE + LAYOUT_4G + HIGH_SIZE + 0x100);
	pwrite(fd, g->m.buf + IMG_PA + V_SCL, 8, IMG_PA + V_SCL);
	tap_is_int(ram_get(fd, &m, ram, 3, g, out, why), -EFAULT, "RAM file: past RAM: -EFAULT");
	set_ptr(g, KASLR_BASE + LAYOUT_4G + 0x1000);
	pwrite(fd, g->m.buf + IMG_PA + V_SCL, 8, IMG_PA + V_SCL);
	tap_ok(ftruncate(fd, MEM_SIZE + 0x800) == 0, "RAM file cut short");
	tap_is_int(ram_get(fd, &m, ram, 3, g, out, why), -EIO,
		   "RAM file: the file ends before its RAM: -EIO");
	tap_is_int(crash_kernel_cmdline(fd, &m, ram, 3, NULL, 0, out, sizeof(out), why,
					sizeof(why)), -EOPNOTSUPP, "no VMCOREINFO: -EOPNOTSUPP");
	tap_is_int(crash_kernel_cmdline(fd, &m, ram, 0, g->ks.info, g->ks.info_len, out,
					sizeof(out), why, sizeof(why)), -EFAULT,
		   "no RAM ranges: nothing can be read (-EFAULT)");
	close(fd);
}

int main(void)
{
	struct guest g = { .m.buf = calloc(1, MEM_SIZE) };

	if (!g.m.buf)
		return 1;
	normal(&g);
	hostile(&g);
	ram_file(&g);
	kallsyms_close(g.k);
	free(g.m.buf);
	return tap_done();
}
