// SPDX-License-Identifier: GPL-2.0-or-later
// Capture layout planning: pure arithmetic on sizes and addresses, tested without QEMU.
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "dump/layout.h"

#define HOLE_START 0xa0000ull
#define HOLE_END 0x100000ull

static uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }
static uint64_t align_down(uint64_t v, uint64_t a) { return v & ~(a - 1); }

uint64_t layout_off_to_gpa(const struct machine_layout *m, uint64_t off)
{
	return off < m->lowmem ? off : LAYOUT_4G + (off - m->lowmem);
}

int layout_gpa_to_off(const struct machine_layout *m, uint64_t gpa, uint64_t *off)
{
	if (gpa < m->lowmem) {
		*off = gpa;
		return 0;
	}
	if (gpa >= LAYOUT_4G && gpa - LAYOUT_4G < m->ram_size - m->lowmem) {
		*off = gpa - LAYOUT_4G + m->lowmem;
		return 0;
	}
	return -ERANGE;
}

uint64_t layout_device_memory_base(const struct machine_layout *m)
{
	uint64_t high = m->ram_size > m->lowmem ? m->ram_size - m->lowmem : 0;
	return align_up(LAYOUT_4G + high, LAYOUT_DEVICE_MEMORY_ALIGN);
}

size_t layout_production_ram(const struct machine_layout *m, struct mem_range *out)
{
	size_t n = 0;

	out[n++] = (struct mem_range){ 0, HOLE_START };
	if (m->lowmem > HOLE_END)
		out[n++] = (struct mem_range){ HOLE_END, m->lowmem - HOLE_END };
	if (m->ram_size > m->lowmem)
		out[n++] = (struct mem_range){ LAYOUT_4G, m->ram_size - m->lowmem };
	return n;
}

size_t layout_capture_ram(uint64_t boot_region, struct mem_range *out)
{
	struct machine_layout m = { .ram_size = boot_region, .lowmem = boot_region };
	return layout_production_ram(&m, out);
}

uint64_t layout_initrd_addr_max(const uint8_t *head, size_t len)
{
	uint16_t version;

	if (len < 0x230 || memcmp(head + 0x202, "HdrS", 4) != 0)
		return 0x37ffffff;
	version = (uint16_t)(head[0x206] | head[0x207] << 8);
	if (version < 0x203)
		return 0x37ffffff;
	return (uint64_t)head[0x22c] | (uint64_t)head[0x22d] << 8 | (uint64_t)head[0x22e] << 16 |
	       (uint64_t)head[0x22f] << 24;
}

/* Add [start, end) to the zone list, merging overlaps; the list stays sorted. */
static void add_zone(struct capture_plan *p, uint64_t start, uint64_t end)
{
	size_t i, j;

	if (end <= start)
		return;
	for (i = 0; i < p->nzones; i++) {
		struct mem_range *z = &p->zones[i];
		if (start <= z->start + z->size && end >= z->start) {
			uint64_t s = start < z->start ? start : z->start;
			uint64_t e = end > z->start + z->size ? end : z->start + z->size;
			/* remove z and re-add the union, which may now touch a neighbour */
			memmove(&p->zones[i], &p->zones[i + 1], (p->nzones - i - 1) * sizeof(*z));
			p->nzones--;
			add_zone(p, s, e);
			return;
		}
	}
	for (i = 0; i < p->nzones && p->zones[i].start < start; i++)
		;
	for (j = p->nzones; j > i; j--)
		p->zones[j] = p->zones[j - 1];
	p->zones[i] = (struct mem_range){ start, end - start };
	p->nzones++;
}

/* Is [S, E) inside one of the DIMMs? */
static bool in_dimm(const struct capture_inputs *in, uint64_t s, uint64_t e)
{
	for (size_t i = 0; i < in->ndimms; i++)
		if (s >= in->dimms[i].start && e - in->dimms[i].start <= in->dimms[i].size)
			return true;
	return false;
}

/* Every DIMM must fit where QEMU will let the capture boot re-attach it. */
static int check_dimms(const struct capture_inputs *in, const struct capture_plan *p, char *why,
		       size_t whylen)
{
	uint64_t base = layout_device_memory_base(&p->next), e;

	for (size_t i = 0; i < in->ndimms; i++) {
		const struct mem_range *d = &in->dimms[i];
		if (d->size == 0 || d->start % LAYOUT_PAGE || d->size % LAYOUT_PAGE ||
		    __builtin_add_overflow(d->start, d->size, &e)) {
			snprintf(why, whylen, "DIMM %zu is empty or unaligned", i);
			return -EINVAL;
		}
		if (d->start < base) {
			snprintf(why, whylen, "the DIMM at 0x%llx lies below the capture boot's device "
				 "memory (0x%llx): the extensions grew past it",
				 (unsigned long long)d->start, (unsigned long long)base);
			return -EINVAL;
		}
	}
	return 0;
}

/* The machine layout, boot region and RAM ranges a plan starts from: -EINVAL with WHY if
 * they make no sense. */
static int check_inputs(const struct capture_inputs *in, char *why, size_t whylen)
{
	const struct machine_layout *cur = &in->cur;
	uint64_t L = cur->lowmem, B = in->boot_region;

	if (L == 0 || L % LAYOUT_PAGE || cur->ram_size < L || cur->ram_size % LAYOUT_ALIGN ||
	    (cur->ram_size > L && L > LAYOUT_4G)) {
		snprintf(why, whylen, "inconsistent machine layout (RAM %llu, low %llu)",
			 (unsigned long long)cur->ram_size, (unsigned long long)L);
		return -EINVAL;
	}
	if (B % LAYOUT_ALIGN || B < HOLE_END || B >= L) {
		snprintf(why, whylen, "boot region of %llu MiB must be a 2 MiB multiple below the %llu "
			 "MiB of low RAM", (unsigned long long)(B >> 20), (unsigned long long)(L >> 20));
		return -EINVAL;
	}
	if (in->nram == 0 || in->nram > LAYOUT_MAX_RANGES) {
		snprintf(why, whylen, "%zu RAM ranges (1 to %d supported)", in->nram,
			 LAYOUT_MAX_RANGES);
		return -EINVAL;
	}
	return 0;
}

int capture_plan_build(const struct capture_inputs *in, struct capture_plan *p, char *why,
		       size_t whylen)
{
	const struct machine_layout *cur = &in->cur;
	uint64_t L = cur->lowmem, B = in->boot_region, F = in->firmware_zone;
	uint64_t initrd_top, initrd_start, next_dst, hdr_area, end;
	size_t nloads = 0;

	memset(p, 0, sizeof(*p));
	if (check_inputs(in, why, whylen) < 0)
		return -EINVAL;

	/* The zones the capture boot will overwrite, in its own (same-L) address space. */
	add_zone(p, 0, B);
	if (F > L)
		F = L;
	add_zone(p, align_down(L - F, LAYOUT_ALIGN), L);
	/* QEMU loads the initrd below min(L, initrd_addr_max), or (QEMU 7.1 and later, for a
	 * kernel with XLF_CAN_BE_LOADED_ABOVE_4G, as Debian's are) at the top of low RAM, just
	 * under its ACPI data: both places are zones, whichever this QEMU picks. */
	initrd_top = in->initrd_addr_max + 1 < L ? in->initrd_addr_max + 1 : L;
	for (int top = 0; top < 2 && in->initrd_size; top++) {
		uint64_t need = align_up(in->initrd_size, LAYOUT_PAGE) + LAYOUT_INITRD_MARGIN;
		if (top == 1)
			initrd_top = L;
		initrd_start = need < initrd_top ? align_down(initrd_top - need, LAYOUT_ALIGN) : 0;
		add_zone(p, initrd_start, align_up(initrd_top, LAYOUT_ALIGN) < L
					      ? align_up(initrd_top, LAYOUT_ALIGN) : L);
	}

	/* Split the crashed RAM at zone edges.  First pass counts copies to size the header. */
	p->ext_off = cur->ram_size;
	p->next.lowmem = L;
	for (int pass = 0; pass < 2; pass++) {
		uint64_t prev_end = 0;
		nloads = 0;
		p->ncopies = 0;
		next_dst = 0;
		if (pass == 1) {
			/* room for a kernel-image PT_LOAD beside each load that may hold part of
			 * the image (elfcore_build() with the crashed kernel's kmap) */
			p->hdr_size = elfcore_header_size(p->nloads, p->nloads, in->notes_len);
			hdr_area = align_up(p->hdr_size, LAYOUT_ALIGN);
			p->hdr_off = p->ext_off;
			next_dst = p->ext_off + hdr_area;
		}
		for (size_t i = 0; i < in->nram; i++) {
			uint64_t s = in->ram[i].start, e, off;
			if (__builtin_add_overflow(s, in->ram[i].size, &e) || in->ram[i].size == 0 ||
			    s % LAYOUT_PAGE || e % LAYOUT_PAGE || s < prev_end) {
				snprintf(why, whylen, "RAM range %zu is empty, unaligned or out of order", i);
				return -EINVAL;
			}
			prev_end = e;
			if (layout_gpa_to_off(cur, s, &off) < 0 && in_dimm(in, s, e)) {
				/* DIMM memory: re-attached at the same address, above every zone */
				if (nloads == sizeof(p->loads) / sizeof(p->loads[0])) {
					snprintf(why, whylen, "too many pieces in the capture layout");
					return -EINVAL;
				}
				p->loads[nloads++] = (struct elfcore_load){ .paddr = s, .size = e - s,
									    .data_addr = s };
				continue;
			}
			if (layout_gpa_to_off(cur, s, &off) < 0 ||
			    layout_gpa_to_off(cur, e - 1, &off) < 0 ||
			    (s < L && e > L)) {
				snprintf(why, whylen, "RAM range %zu is not RAM in the crashed layout", i);
				return -EINVAL;
			}
			while (s < e) {
				uint64_t piece_end = e, src_off;
				int in_zone = 0;
				for (size_t z = 0; z < p->nzones; z++) {
					uint64_t zs = p->zones[z].start, ze = zs + p->zones[z].size;
					if (s >= zs && s < ze) {
						in_zone = 1;
						piece_end = ze < e ? ze : e;
						break;
					}
					if (zs > s && zs < piece_end)
						piece_end = zs;
				}
				if (nloads == sizeof(p->loads) / sizeof(p->loads[0]) ||
				    p->ncopies == sizeof(p->copies) / sizeof(p->copies[0])) {
					snprintf(why, whylen, "too many pieces in the capture layout");
					return -EINVAL;
				}
				if (layout_gpa_to_off(cur, s, &src_off) < 0)
					return -EINVAL;
				p->loads[nloads] = (struct elfcore_load){ .paddr = s, .size = piece_end - s,
									  .data_addr = s };
				if (in_zone) {
					if (pass == 1) {
						p->copies[p->ncopies] = (struct capture_copy){
							.src_off = src_off, .dst_off = next_dst,
							.size = piece_end - s };
						p->loads[nloads].data_addr = LAYOUT_4G + (next_dst - L);
					}
					p->ncopies++;
					next_dst += align_up(piece_end - s, LAYOUT_PAGE);
				}
				nloads++;
				s = piece_end;
			}
		}
		p->nloads = nloads;
	}
	end = align_up(next_dst, LAYOUT_ALIGN);
	p->ext_size = end - p->ext_off;
	p->next.ram_size = end;
	p->hdr_gpa = layout_off_to_gpa(&p->next, p->hdr_off);
	return check_dimms(in, p, why, whylen);
}

int capture_plan_keep(const struct machine_layout *cur, const struct mem_range *ram,
		      size_t nram, size_t notes_len, struct capture_plan *p, char *why,
		      size_t whylen)
{
	uint64_t off, last, e;

	memset(p, 0, sizeof(*p));
	if (nram > sizeof(p->loads) / sizeof(p->loads[0]) || cur->ram_size % LAYOUT_ALIGN) {
		snprintf(why, whylen, "%zu RAM ranges in a RAM file of %llu bytes: not a layout "
			 "to keep", nram, (unsigned long long)cur->ram_size);
		return -EINVAL;
	}
	for (size_t i = 0; i < nram; i++) {
		if (__builtin_add_overflow(ram[i].start, ram[i].size, &e) || !ram[i].size ||
		    ram[i].start % LAYOUT_PAGE || e % LAYOUT_PAGE ||
		    layout_gpa_to_off(cur, ram[i].start, &off) < 0 ||
		    layout_gpa_to_off(cur, e - 1, &last) < 0 || last - off != ram[i].size - 1) {
			snprintf(why, whylen, "RAM range %zu is not RAM of the RAM file", i);
			return -EINVAL;
		}
		p->loads[i] = (struct elfcore_load){ .paddr = ram[i].start, .size = ram[i].size,
						     .data_addr = ram[i].start };
	}
	p->nloads = nram;
	p->hdr_size = elfcore_header_size(nram, nram, notes_len);
	p->ext_off = p->hdr_off = cur->ram_size;
	p->ext_size = align_up(p->hdr_size, LAYOUT_ALIGN);
	p->next = (struct machine_layout){ .ram_size = cur->ram_size + p->ext_size,
					   .lowmem = cur->lowmem };
	p->hdr_gpa = layout_off_to_gpa(&p->next, p->hdr_off);
	return 0;
}
