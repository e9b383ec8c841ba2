/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_kcmdline's input, read by the target and by mkseed (which checks its seeds with it).
 *
 * Guest-physical memory is two regions:
 *   [FUZZ_KC_IMG_PA, + FUZZ_KC_IMG_SIZE)   a kernel image mapped at FUZZ_KC_KV with kallsyms
 *                                           tables (synth_kallsyms.h, base-relative), built
 *                                           once, in four variants: saved_command_line and
 *                                           page_offset_base both present, either, neither
 *   [FUZZ_KC_DATA_PA, + size - HEAD)        the input after its FUZZ_KC_HEAD bytes: the
 *                                           variables' values and the string, wherever the
 *                                           fuzzer puts them (FUZZ_KC_DATA_PA is the image's
 *                                           end: reads may cross from one into the other),
 *                                           zeros to the end of its last 4 KiB page
 * Everything else reads as -EFAULT.  The head:
 *   [0]     bit 0: NUMBER(pgtable_l5_enabled)=1 (else 0); bit 1: no such line at all;
 *           bits 2-3: the image variant (bit 2: no saved_command_line, bit 3: no
 *           page_offset_base); bit 4: OUTLEN is [1] + 1 (else KCMDLINE_SIZE); bit 5:
 *           pgtable_l5_enabled=7 (malformed)
 *   [1]     the small OUTLEN - 1
 *   [2..5]  saved_command_line's address - FUZZ_KC_KV, u32 little-endian (FUZZ_KC_DATA_VOFF +
 *           N puts it at byte N of the data)
 *   [6..9]  page_offset_base's, the same way
 * Header-only. */
#ifndef HVDUMP_TESTS_FUZZ_KCMDLINE_INPUT_H
#define HVDUMP_TESTS_FUZZ_KCMDLINE_INPUT_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "format/kallsyms.h"
#include "format/kcmdline.h"
#include "unit/synth_kallsyms.h"

#define FUZZ_KC_KV 0xffffffff81000000ull
#define FUZZ_KC_IMG_PA 0x1000000ull
#define FUZZ_KC_IMG_SIZE 0x60000u           /* the tables end before 0x50000 */
#define FUZZ_KC_DATA_PA (FUZZ_KC_IMG_PA + FUZZ_KC_IMG_SIZE)
#define FUZZ_KC_DATA_VOFF FUZZ_KC_IMG_SIZE  /* address - FUZZ_KC_KV of the data's byte 0 */
#define FUZZ_KC_HEAD 10u
/* The symbols' index in every variant's table: _stext, then these (when present), _end. */
#define FUZZ_KC_NO_SCL 1u
#define FUZZ_KC_NO_POB 2u

struct fuzz_kc_mem {
	const uint8_t *img;
	const uint8_t *data;
	size_t size;          /* of data */
};

static inline int fuzz_kc_read(void *ctx, uint64_t pa, void *buf, size_t len)
{
	const struct fuzz_kc_mem *m = ctx;
	uint64_t data_end = (m->size + 4095) & ~(uint64_t)4095;
	uint8_t *out = buf;

	while (len) {
		uint64_t o;
		size_t n;

		if (pa >= FUZZ_KC_IMG_PA && pa - FUZZ_KC_IMG_PA < FUZZ_KC_IMG_SIZE) {
			o = pa - FUZZ_KC_IMG_PA;
			n = FUZZ_KC_IMG_SIZE - o < len ? (size_t)(FUZZ_KC_IMG_SIZE - o) : len;
			memcpy(out, m->img + o, n);
		} else if (pa >= FUZZ_KC_DATA_PA && pa - FUZZ_KC_DATA_PA < data_end) {
			o = pa - FUZZ_KC_DATA_PA;
			n = data_end - o < len ? (size_t)(data_end - o) : len;
			if (o < m->size) {
				size_t have = m->size - o < n ? (size_t)(m->size - o) : n;

				memcpy(out, m->data + o, have);
				memset(out + have, 0, n - have);
			} else {
				memset(out, 0, n); /* memory comes in pages: zeros to the data's end */
			}
		} else {
			return -EFAULT;
		}
		out += n;
		pa += n;
		len -= n;
	}
	return 0;
}

struct fuzz_kc_variant {
	uint8_t img[FUZZ_KC_IMG_SIZE];
	struct synth_ks ks;
	uint32_t scl, pob;    /* index of each symbol, or UINT32_MAX */
};

/* The four images, built on first use. */
static inline struct fuzz_kc_variant *fuzz_kc_variant(unsigned v)
{
	static struct fuzz_kc_variant vs[4];
	static int built;

	if (!built) {
		for (unsigned i = 0; i < 4; i++) {
			struct fuzz_kc_variant *x = &vs[i];
			uint32_t n = 1;

			synth_ks_init(&x->ks, x->img, sizeof(x->img), FUZZ_KC_KV,
				      SYNTH_KS_RELATIVE);
			synth_ks_sym(&x->ks, 'T', "_stext", FUZZ_KC_KV, 0);
			x->scl = x->pob = UINT32_MAX;
			if (!(i & FUZZ_KC_NO_SCL)) {
				synth_ks_sym(&x->ks, 'D', "saved_command_line", FUZZ_KC_KV + 0x100, 0);
				x->scl = n++;
			}
			if (!(i & FUZZ_KC_NO_POB)) {
				synth_ks_sym(&x->ks, 'D', "page_offset_base", FUZZ_KC_KV + 0x108, 0);
				x->pob = n++;
			}
			synth_ks_sym(&x->ks, 'B', "_end", FUZZ_KC_KV + 0xff000, 0);
			synth_ks_infof(&x->ks, "OSRELEASE=6.1.0\n");
			synth_ks_finish(&x->ks);
			synth_ks_infof(&x->ks, "NUMBER(phys_base)=%lld\n",
				       synth_ks_phys_base(FUZZ_KC_KV, FUZZ_KC_IMG_PA));
		}
		built = 1;
	}
	return &vs[v & 3];
}

struct fuzz_kc_run {
	int open_r;                   /* kallsyms_open()'s result: the tables are ours, 0 */
	int r;
	char out[KCMDLINE_SIZE];
	size_t outlen;
	char why[256];
	uint32_t scl, pob;            /* the symbols' offsets from FUZZ_KC_KV, as placed */
	const struct fuzz_kc_variant *v;
	struct fuzz_kc_mem mem;
	uint64_t l5;                  /* pgtable_l5_enabled as given (0 without the line) */
};

/* kcmdline_read() over the input DATA[0, SIZE) into RUN.  Returns 1 for an input too short
 * for its head, else 0 (RUN->r holds the result). */
static inline int fuzz_kc_run(const uint8_t *data, size_t size, struct fuzz_kc_run *run)
{
	struct fuzz_kc_variant *v;
	struct kallsyms *ks = NULL;
	char info[sizeof(v->ks.info) + 64];
	int n;

	if (size < FUZZ_KC_HEAD)
		return 1;
	v = fuzz_kc_variant(data[0] >> 2);
	run->v = v;
	run->scl = (uint32_t)synth_get(data + 2, 4);
	run->pob = (uint32_t)synth_get(data + 6, 4);
	/* the table's offsets are the head's (base-relative: address - FUZZ_KC_KV) */
	if (v->scl != UINT32_MAX)
		synth_put(v->img + SYNTH_KS_O_ADDRS + 4 * v->scl, run->scl, 4);
	if (v->pob != UINT32_MAX)
		synth_put(v->img + SYNTH_KS_O_ADDRS + 4 * v->pob, run->pob, 4);
	run->l5 = data[0] & 0x20 ? 7 : data[0] & 1;
	if (data[0] & 2) {
		run->l5 = 0;
		n = snprintf(info, sizeof(info), "%s", v->ks.info);
	} else {
		n = snprintf(info, sizeof(info), "%sNUMBER(pgtable_l5_enabled)=%u\n", v->ks.info,
			     (unsigned)run->l5);
	}
	if (n < 0 || (size_t)n >= sizeof(info))
		return 1;
	run->mem = (struct fuzz_kc_mem){ v->img, data + FUZZ_KC_HEAD, size - FUZZ_KC_HEAD };
	run->outlen = data[0] & 0x10 ? (size_t)data[1] + 1 : KCMDLINE_SIZE;
	run->why[0] = '\0';
	memset(run->out, 0x55, sizeof(run->out));
	run->r = run->open_r = kallsyms_open(info, (size_t)n, fuzz_kc_read, &run->mem, &ks);
	if (run->open_r == 0)
		run->r = kcmdline_read(info, (size_t)n, ks, fuzz_kc_read, &run->mem, run->out,
				       run->outlen, run->why, sizeof(run->why));
	kallsyms_close(ks);
	return 0;
}

#endif
