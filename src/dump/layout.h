/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The capture layout: where every crashed byte lives while a fresh kernel boots over it.
 *
 * QEMU maps RAM-file offset `off` to guest-physical `off < L ? off : 4 GiB + (off - L)`,
 * L being the low-RAM size.  A capture boot keeps L, so every crashed page keeps its
 * address, and grows the file by an extension that lands above 4 GiB:
 *
 *   file:  [ crashed RAM (R bytes) .................. | header+notes | copies of zones ]
 *   GPA:   [0 .. L) [4G .. 4G+R-L)                     \___ extension: 4G+R-L onwards __/
 *
 * The fresh boot overwrites a few zones of low RAM before its kernel honours mem=B: the
 * boot region [0, B) (kernel, setup data, its allocations), the firmware's zone at the top of
 * low RAM (SeaBIOS high tables, ACPI), and the initrd QEMU loads below min(L, the kernel's
 * initrd_addr_max) or, QEMU 7.1 on, at the top of low RAM.  Crashed RAM inside those zones is copied into the extension first, and
 * the ELF header maps it there (p_paddr = crashed address, p_offset = copy).
 *
 * Memory given back to a capture guest lives in pc-dimms backed by files of their own, at
 * guest-physical addresses in QEMU's device-memory area above the RAM file's high RAM.  When
 * such a guest crashes, the next capture boot re-attaches each DIMM file at the same address
 * (read-only; its kernel cannot use memory above mem= while booting), so the header maps
 * DIMM memory where it is: p_offset = p_paddr. */
#ifndef HVDUMP_DUMP_LAYOUT_H
#define HVDUMP_DUMP_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "format/elfcore.h"

#define LAYOUT_4G (4ull << 30)
#define LAYOUT_PAGE 4096ull
#define LAYOUT_ALIGN (2ull << 20)           /* extension pieces and sizes: 2 MiB */
#define LAYOUT_FIRMWARE_ZONE (32ull << 20)  /* measured: 16 MiB was too little */
#define LAYOUT_INITRD_MARGIN (4ull << 20)
#define LAYOUT_MAX_RANGES 320 /* a crashed capture guest: boot region and 256 DIMMs */
#define LAYOUT_MAX_ZONES 4
#define LAYOUT_DEVICE_MEMORY_ALIGN (1ull << 30) /* QEMU pc: device memory starts GiB-aligned */

/* One boot's RAM as QEMU lays it out. */
struct machine_layout {
	uint64_t ram_size;    /* bytes of the RAM file mapped as main memory */
	uint64_t lowmem;      /* L: how much of it sits below 4 GiB */
};

struct mem_range {
	uint64_t start;       /* guest-physical */
	uint64_t size;
};

/* Guest-physical address of RAM-file offset OFF. */
uint64_t layout_off_to_gpa(const struct machine_layout *m, uint64_t off);

/* RAM-file offset of guest-physical GPA; -ERANGE if GPA is not RAM in M. */
__attribute__((warn_unused_result)) int layout_gpa_to_off(const struct machine_layout *m,
							   uint64_t gpa, uint64_t *off);

/* Where QEMU's pc machine starts its device-memory area (pc-dimms) for a boot laid out as M:
 * the end of high RAM rounded up to 1 GiB (hw/i386/pc.c, QEMU 7.2). */
uint64_t layout_device_memory_base(const struct machine_layout *m);

/* The System RAM of a production guest laid out as M: everything but the legacy VGA/BIOS
 * hole [640 KiB, 1 MiB).  Returns the number of ranges written to OUT (at most 3). */
size_t layout_production_ram(const struct machine_layout *m, struct mem_range *out);

/* The System RAM of a capture guest booted with mem=B: [0, B) minus the same hole. */
size_t layout_capture_ram(uint64_t boot_region, struct mem_range *out);

struct capture_inputs {
	struct machine_layout cur;       /* layout of the boot that crashed */
	const struct mem_range *ram;     /* the crashed kernel's RAM, sorted, disjoint; what is
					  * not in the RAM file must lie in one of DIMMS */
	size_t nram;
	const struct mem_range *dimms;   /* every DIMM the capture boot re-attaches at the same
					  * address (the crashed kernel's and older crashes') */
	size_t ndimms;
	uint64_t boot_region;            /* B */
	uint64_t firmware_zone;          /* bytes at the top of low RAM the firmware may use */
	uint64_t initrd_size;
	uint64_t initrd_addr_max;        /* from the bzImage header (offset 0x22c) */
	size_t notes_len;
};

struct capture_copy {
	uint64_t src_off, dst_off, size; /* RAM-file offsets */
};

struct capture_plan {
	struct machine_layout next;      /* the capture boot's layout */
	uint64_t ext_off, ext_size;      /* extension, RAM-file offsets */
	uint64_t hdr_off, hdr_gpa;       /* ELF core header: file offset and elfcorehdr= */
	size_t hdr_size;
	struct mem_range zones[LAYOUT_MAX_ZONES];
	size_t nzones;
	struct capture_copy copies[2 * LAYOUT_MAX_RANGES + LAYOUT_MAX_ZONES];
	size_t ncopies;
	struct elfcore_load loads[3 * LAYOUT_MAX_RANGES + 2 * LAYOUT_MAX_ZONES];
	size_t nloads;
};

/* Plan a capture boot.  Returns 0, or -EINVAL when the inputs cannot work (the boot region
 * does not fit in low RAM, ranges overlap or are not RAM, too many pieces, a DIMM below the
 * capture boot's device-memory area), with a reason in WHY. */
__attribute__((warn_unused_result)) int capture_plan_build(const struct capture_inputs *in,
							    struct capture_plan *out,
							    char *why, size_t whylen);

/* The layout of crashed RAM kept for a later save (no capture boot yet): an extension after
 * the crashed RAM of the file laid out as CUR holds only the ELF core header (NOTES_LEN bytes
 * of notes), and every range of RAM is mapped where it is (p_offset = p_paddr):
 *
 *   file:  [ crashed RAM (R bytes), untouched | header+notes ]
 *
 * `hvdump save --from` reads such a file as it reads a capture boot's.  0, or -EINVAL (a
 * range that is not RAM in CUR, too many) with WHY. */
__attribute__((warn_unused_result)) int capture_plan_keep(const struct machine_layout *cur,
							   const struct mem_range *ram,
							   size_t nram, size_t notes_len,
							   struct capture_plan *out, char *why,
							   size_t whylen);

/* Read initrd_addr_max from a bzImage's first bytes (boot protocol >= 2.03), or the
 * protocol's default 0x37ffffff. */
uint64_t layout_initrd_addr_max(const uint8_t *head, size_t len);

#endif
