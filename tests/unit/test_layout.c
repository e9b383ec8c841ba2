// SPDX-License-Identifier: GPL-2.0-or-later
// Capture layout planning: every crashed page is described exactly once, pages the capture
// boot will overwrite are relocated into the extension above the crashed RAM, nothing else
// moves, and impossible requests are refused.
#include <errno.h>
#include <string.h>

#include "dump/layout.h"
#include "tap.h"

#define M (1ull << 20)
#define G (1ull << 30)

/* Check the plan's invariants; returns the number of problems. */
static int check_plan(const char *name, const struct capture_inputs *in,
		      const struct capture_plan *p)
{
	int bad = 0;
	uint64_t pages = 0, ram_pages = 0;

	for (size_t i = 0; i < in->nram; i++)
		ram_pages += in->ram[i].size / LAYOUT_PAGE;
	for (size_t i = 0; i < p->nloads; i++) {
		const struct elfcore_load *l = &p->loads[i];
		uint64_t src, dst;
		int in_zone = 0;

		pages += l->size / LAYOUT_PAGE;
		for (size_t z = 0; z < p->nzones; z++)
			if (l->paddr < p->zones[z].start + p->zones[z].size &&
			    l->paddr + l->size > p->zones[z].start)
				in_zone = 1;
		if (i && l->paddr < p->loads[i - 1].paddr + p->loads[i - 1].size)
			bad++, tap_diag("%s: load %zu overlaps its predecessor", name, i);
		if (layout_gpa_to_off(&in->cur, l->paddr, &src) < 0) {
			int dimm = 0;
			for (size_t d = 0; d < in->ndimms; d++)
				dimm |= l->paddr >= in->dimms[d].start &&
					l->paddr + l->size <= in->dimms[d].start + in->dimms[d].size;
			if (!dimm)
				bad++, tap_diag("%s: load %zu is not crashed RAM", name, i);
			else if (l->data_addr != l->paddr || in_zone)
				bad++, tap_diag("%s: DIMM load %zu moved", name, i);
			continue;
		}
		if (layout_gpa_to_off(&p->next, l->data_addr, &dst) < 0 ||
		    layout_gpa_to_off(&p->next, l->data_addr + l->size - 1, &dst) < 0)
			bad++, tap_diag("%s: load %zu data is not RAM in the capture boot", name, i);
		if (l->data_addr == l->paddr) {
			if (in_zone)
				bad++, tap_diag("%s: load %zu left in an overwritten zone", name, i);
			continue;
		}
		if (!in_zone)
			bad++, tap_diag("%s: load %zu relocated needlessly", name, i);
		if (layout_gpa_to_off(&p->next, l->data_addr, &dst) < 0)
			continue;
		{
			int found = 0;
			for (size_t c = 0; c < p->ncopies; c++)
				if (p->copies[c].src_off == src && p->copies[c].dst_off == dst &&
				    p->copies[c].size == l->size)
					found = 1;
			if (!found)
				bad++, tap_diag("%s: load %zu has no matching copy", name, i);
		}
		if (dst < p->ext_off + p->hdr_size || dst + l->size > p->next.ram_size)
			bad++, tap_diag("%s: load %zu copy outside the extension", name, i);
	}
	if (pages != ram_pages)
		bad++, tap_diag("%s: loads cover %llu pages, RAM has %llu", name,
				(unsigned long long)pages, (unsigned long long)ram_pages);
	for (size_t c = 0; c + 1 < p->ncopies; c++)
		if (p->copies[c].dst_off + p->copies[c].size > p->copies[c + 1].dst_off)
			bad++, tap_diag("%s: copies %zu and %zu overlap", name, c, c + 1);
	if (p->next.lowmem != in->cur.lowmem)
		bad++, tap_diag("%s: capture changes the low-RAM split", name);
	if (p->next.ram_size % LAYOUT_ALIGN || p->ext_off != in->cur.ram_size)
		bad++, tap_diag("%s: extension misplaced", name);
	if (p->hdr_gpa != layout_off_to_gpa(&p->next, p->hdr_off) || p->hdr_gpa < LAYOUT_4G)
		bad++, tap_diag("%s: header address wrong", name);
	return bad;
}

/* zoned: [start, end) lies inside the plan's zones (each page in one of them) */
static int zoned(const struct capture_plan *p, uint64_t start, uint64_t end)
{
	for (uint64_t a = start; a < end; a += 4096) {
		int in = 0;
		for (size_t z = 0; z < p->nzones; z++)
			if (a >= p->zones[z].start && a < p->zones[z].start + p->zones[z].size)
				in = 1;
		if (!in)
			return 0;
	}
	return 1;
}

static void plan_case(const char *name, uint64_t ram, uint64_t B, uint64_t initrd)
{
	struct capture_inputs in = { 0 };
	struct mem_range r[4];
	static struct capture_plan p;
	char why[256] = "";
	int rc;

	in.cur.ram_size = ram;
	in.cur.lowmem = ram < 3 * G ? ram : 3 * G;
	in.nram = layout_production_ram(&in.cur, r);
	in.ram = r;
	in.boot_region = B;
	in.firmware_zone = LAYOUT_FIRMWARE_ZONE;
	in.initrd_size = initrd;
	in.initrd_addr_max = 0x7fffffff;
	in.notes_len = 5000;
	rc = capture_plan_build(&in, &p, why, sizeof(why));
	tap_ok(rc == 0, "%s: planned (%s)", name, why);
	tap_is_int(check_plan(name, &in, &p), 0, "plan invariants hold");
	tap_diag("%s: %zu loads, %zu copies, %zu zones, extension %llu MiB", name, p.nloads,
		 p.ncopies, p.nzones, (unsigned long long)(p.ext_size >> 20));
	/* QEMU 7.1 and later load the initrd of a kernel that may have it above 4 GiB at the top
	 * of low RAM, under 128 KiB of ACPI data, whatever initrd_addr_max says; before, below
	 * min(L, initrd_addr_max).  Both must be zones (a 42 MB initrd on a 16 GiB guest once
	 * lost its lowest 10 MiB of crashed RAM: only the firmware zone covered the top). */
	if (initrd) {
		uint64_t L = in.cur.lowmem, top2 = L < 0x80000000ull ? L : 0x80000000ull;
		uint64_t sz = (initrd + 4095) & ~4095ull;
		tap_ok(zoned(&p, L - 128 * 1024 - sz, L - 128 * 1024),
		       "%s: the initrd at the top of low RAM is in a zone", name);
		tap_ok(zoned(&p, top2 - sz, top2), "%s: the initrd below initrd_addr_max is in a zone",
		       name);
	}

	/* a crash of that capture guest: its RAM is [0, B) minus the hole */
	{
		struct capture_inputs in2 = in;
		struct mem_range r2[4];
		static struct capture_plan p2;
		in2.cur = p.next;
		in2.nram = layout_capture_ram(B, r2);
		in2.ram = r2;
		rc = capture_plan_build(&in2, &p2, why, sizeof(why));
		tap_ok(rc == 0, "%s, crash in capture: planned (%s)", name, why);
		tap_is_int(check_plan(name, &in2, &p2), 0, "recursive plan invariants hold");
		tap_ok(p2.ext_off == p.next.ram_size, "second extension follows the first");
	}
	/* a crash of that capture guest after memory came back as DIMMs: the DIMMs are crashed
	 * RAM outside the RAM file, mapped where they are */
	{
		struct capture_inputs in3 = in;
		struct mem_range r3[8], dimms[2];
		static struct capture_plan p3;
		size_t n = layout_capture_ram(B, r3);
		uint64_t base = layout_device_memory_base(&p.next) + 4 * G;
		dimms[0] = (struct mem_range){ base, 256 * M };
		dimms[1] = (struct mem_range){ base + 256 * M, 128 * M };
		r3[n++] = dimms[0];
		r3[n++] = dimms[1];
		in3.cur = p.next;
		in3.ram = r3;
		in3.nram = n;
		in3.dimms = dimms;
		in3.ndimms = 2;
		rc = capture_plan_build(&in3, &p3, why, sizeof(why));
		tap_ok(rc == 0, "%s, crash with DIMMs: planned (%s)", name, why);
		tap_is_int(check_plan(name, &in3, &p3), 0, "plan with DIMMs: invariants hold");
		tap_ok(p3.nloads >= 2 && p3.loads[p3.nloads - 1].paddr == base + 256 * M &&
		       p3.loads[p3.nloads - 1].data_addr == base + 256 * M,
		       "DIMM memory described where it is");
		dimms[1].start = layout_device_memory_base(&p.next) - 128 * M;
		tap_ok(capture_plan_build(&in3, &p3, why, sizeof(why)) == -EINVAL,
		       "DIMM below the device-memory area refused: %s", why);
		dimms[1].start = base + 256 * M;
		r3[n - 1].start = base + 512 * M;
		tap_ok(capture_plan_build(&in3, &p3, why, sizeof(why)) == -EINVAL,
		       "crashed range in no DIMM refused: %s", why);
	}
}

/* A crash kept for a later save: each RAM range mapped where it is, the header after it. */
static void keep_case(void)
{
	struct machine_layout m = { .ram_size = 5 * G, .lowmem = 3 * G };
	static struct capture_plan p;
	struct mem_range r[4];
	size_t n = layout_production_ram(&m, r);
	char why[256];
	uint64_t off;
	int same = 1;

	tap_ok(capture_plan_keep(&m, r, n, 4096, &p, why, sizeof(why)) == 0, "keep: 5G guest planned");
	for (size_t i = 0; i < p.nloads; i++)
		same &= p.loads[i].paddr == r[i].start && p.loads[i].data_addr == r[i].start &&
			p.loads[i].size == r[i].size;
	tap_ok(p.nloads == n && same, "keep: every range where it was, nothing relocated");
	tap_ok(p.ncopies == 0 && p.nzones == 0, "keep: no copies, no zones");
	tap_ok(p.ext_off == 5 * G && p.hdr_off == 5 * G && p.ext_size == 2 * M &&
	       p.next.ram_size == 5 * G + 2 * M && p.next.lowmem == 3 * G,
	       "keep: the header in a 2 MiB extension after the RAM");
	tap_ok(p.hdr_gpa == 6 * G && layout_gpa_to_off(&p.next, p.hdr_gpa, &off) == 0 &&
	       off == p.hdr_off, "keep: the header's address maps to its offset");
	r[2].size += 4096;
	tap_ok(capture_plan_keep(&m, r, n, 4096, &p, why, sizeof(why)) == -EINVAL,
	       "keep: a range past the RAM file refused: %s", why);
	m.ram_size = 5 * G + 4096;
	tap_ok(capture_plan_keep(&m, r, n, 4096, &p, why, sizeof(why)) == -EINVAL,
	       "keep: a RAM file not 2 MiB-aligned refused: %s", why);
}

int main(void)
{
	struct mem_range r[4];
	struct machine_layout m = { .ram_size = 5 * G, .lowmem = 3 * G };
	uint64_t off;

	tap_is_int(layout_production_ram(&m, r), 3, "5G guest: three RAM ranges");
	tap_ok(r[0].start == 0 && r[0].size == 0xa0000, "below the VGA hole");
	tap_ok(r[1].start == 0x100000 && r[1].size == 3 * G - 0x100000, "1 MiB to 3 GiB");
	tap_ok(r[2].start == 4 * G && r[2].size == 2 * G, "2 GiB above 4 GiB");
	tap_ok(layout_off_to_gpa(&m, 3 * G) == 4 * G, "offset 3G is GPA 4G");
	tap_ok(layout_gpa_to_off(&m, 4 * G + 5, &off) == 0 && off == 3 * G + 5, "GPA 4G+5 maps back");
	tap_ok(layout_gpa_to_off(&m, 3 * G + 5, &off) == -ERANGE, "PCI hole is not RAM");
	tap_ok(layout_gpa_to_off(&m, 6 * G, &off) == -ERANGE, "past the end is not RAM");
	tap_ok(layout_device_memory_base(&m) == 6 * G, "device memory after 2 GiB high RAM: 6 GiB");
	m.ram_size = 5 * G + 300 * M;
	tap_ok(layout_device_memory_base(&m) == 7 * G, "device memory rounds up to a GiB");
	m.ram_size = 3 * G;
	tap_ok(layout_device_memory_base(&m) == 4 * G, "no high RAM: device memory at 4 GiB");

	plan_case("1G guest", 1 * G, 256 * M, 1 * M);
	plan_case("2G guest, 20M initrd", 2 * G, 256 * M, 20 * M);
	plan_case("5G guest, 20M initrd", 5 * G, 256 * M, 20 * M);
	plan_case("3G guest", 3 * G, 128 * M, 0);
	plan_case("16G guest, 42M initrd", 16 * G, 512 * M, 42 * M);
	plan_case("4G guest, 60M initrd", 4 * G, 512 * M, 60 * M);
	keep_case();

	{
		unsigned char head[0x240] = { 0 };
		memcpy(head + 0x202, "HdrS", 4);
		head[0x206] = 0x0f;
		head[0x207] = 0x02;
		head[0x22c] = 0xff, head[0x22d] = 0xff, head[0x22e] = 0xff, head[0x22f] = 0x7f;
		tap_ok(layout_initrd_addr_max(head, sizeof(head)) == 0x7fffffff, "initrd_addr_max read");
		tap_ok(layout_initrd_addr_max(head, 0x100) == 0x37ffffff, "short header: default");
	}
	{
		struct capture_inputs in = { .cur = { 1 * G, 1 * G }, .boot_region = 1 * G,
					     .firmware_zone = 32 * M, .initrd_addr_max = 0x7fffffff };
		static struct capture_plan p;
		char why[256];
		in.nram = layout_production_ram(&in.cur, r);
		in.ram = r;
		tap_ok(capture_plan_build(&in, &p, why, sizeof(why)) == -EINVAL,
		       "boot region as large as low RAM refused: %s", why);
		in.boot_region = 3 * M;
		tap_ok(capture_plan_build(&in, &p, why, sizeof(why)) == -EINVAL,
		       "unaligned boot region refused: %s", why);
		in.boot_region = 256 * M;
		r[1].start += 1;
		tap_ok(capture_plan_build(&in, &p, why, sizeof(why)) == -EINVAL,
		       "unaligned RAM range refused: %s", why);
	}
	return tap_done();
}
