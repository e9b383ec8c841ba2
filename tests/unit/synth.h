/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Synthetic x86-64 guests for tests and fuzz seeds: guest-physical memory with page tables,
 * a VMCOREINFO text, printk rings written the way the kernel writes them, and an ELF vmcore
 * of it all.  Header-only (static inline) so each test program takes what it uses. */
#ifndef HVDUMP_TESTS_SYNTH_H
#define HVDUMP_TESTS_SYNTH_H

#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/elfcore.h"

#define SYNTH_KMAP        0xffffffff80000000ull
#define SYNTH_PHYS_BASE   ((uint64_t)-0x20000000ll)   /* negative, as under KASLR */
#define SYNTH_TEXT(paddr) (SYNTH_KMAP + 0x20000000ull + (paddr))
#define SYNTH_DMAP4       0xffff888000000000ull
#define SYNTH_DMAP5       0xff11000000000000ull

struct synth {
	uint8_t *mem;         /* guest-physical [0, size) */
	size_t size;
	size_t brk;           /* bump allocator, grows down from size */
	unsigned levels;
	uint64_t pgd;
	char info[8192];
	size_t info_len;
};

static inline void synth_put(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t synth_get(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	while (n--)
		v = v << 8 | p[n];
	return v;
}

/* Page-aligned allocation from the top of guest memory. */
static inline uint64_t synth_alloc(struct synth *s, size_t len)
{
	len = (len + 4095) & ~(size_t)4095;
	if (len > s->brk)
		abort(); /* a test bug, not input */
	s->brk -= len;
	memset(s->mem + s->brk, 0, len);
	return s->brk;
}

static inline void synth_infof(struct synth *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline void synth_infof(struct synth *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(s->info + s->info_len, sizeof(s->info) - s->info_len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(s->info) - s->info_len)
		abort();
	s->info_len += (size_t)n;
}

static inline void synth_map(struct synth *s, uint64_t vaddr, uint64_t paddr, uint64_t page);

/* SIZE bytes of guest memory, LEVELS-level paging with init_top_pgt in the kernel image, which
 * the page tables map too (2 MiB pages), as a real kernel's do. */
static inline int synth_init(struct synth *s, size_t size, unsigned levels)
{
	uint64_t uts;

	memset(s, 0, sizeof(*s));
	s->mem = calloc(1, size);
	if (!s->mem)
		return -ENOMEM;
	s->size = size;
	s->brk = size;
	s->levels = levels;
	s->pgd = synth_alloc(s, 4096);
	/* init_uts_ns: struct new_utsname (6 x 65 bytes), release at 65 * 2; makedumpfile
	 * reads it to learn the kernel version */
	uts = synth_alloc(s, 4096);
	memcpy(s->mem + uts, "Linux", 5);
	memcpy(s->mem + uts + 130, "6.1.0-synthetic", 15);
	synth_infof(s, "OSRELEASE=6.1.0-synthetic\nPAGESIZE=4096\n");
	synth_infof(s, "SYMBOL(init_uts_ns)=%llx\nOFFSET(uts_namespace.name)=0\n",
		    (unsigned long long)SYNTH_TEXT(uts));
	/* FLATMEM mem_map, only so makedumpfile's start-up accepts the dump */
	synth_put(s->mem + uts + 1024, 0xffffea0000000000ull, 8);
	synth_infof(s, "SYMBOL(mem_map)=%llx\nSIZE(page)=64\nOFFSET(page.flags)=0\n"
		    "OFFSET(page._refcount)=52\nOFFSET(page.mapping)=24\n",
		    (unsigned long long)SYNTH_TEXT(uts + 1024));
	synth_infof(s, "NUMBER(phys_base)=%lld\n", (long long)SYNTH_PHYS_BASE);
	synth_infof(s, "SYMBOL(init_top_pgt)=%llx\n", (unsigned long long)SYNTH_TEXT(s->pgd));
	synth_infof(s, "NUMBER(pgtable_l5_enabled)=%d\n", levels == 5);
	synth_infof(s, "KERNELOFFSET=20000000\nNUMBER(KERNEL_IMAGE_SIZE)=1073741824\n");
	synth_infof(s, "NUMBER(sme_mask)=0\n");
	for (uint64_t p = 0; p < size; p += 2u << 20)
		synth_map(s, SYNTH_TEXT(p), p, 2u << 20);
	return 0;
}

static inline void synth_free(struct synth *s)
{
	free(s->mem);
	s->mem = NULL;
}

static inline uint64_t synth_dmap(const struct synth *s)
{
	return s->levels == 5 ? SYNTH_DMAP5 : SYNTH_DMAP4;
}

/* Map VADDR -> PADDR with a page of PAGE bytes (4K, 2M or 1G); tables come from the top of
 * memory.  FLAGS are extra bits for the leaf entry (present is always set). */
static inline void synth_map(struct synth *s, uint64_t vaddr, uint64_t paddr, uint64_t page)
{
	unsigned leaf = page == (1u << 30) ? 3 : page == (1u << 21) ? 2 : 1;
	uint64_t table = s->pgd;

	for (unsigned level = s->levels; level > leaf; level--) {
		uint8_t *e = s->mem + table + ((vaddr >> (12 + 9 * (level - 1))) & 511) * 8;
		uint64_t v = synth_get(e, 8);

		if (!(v & 1)) {
			v = synth_alloc(s, 4096) | 0x63;
			synth_put(e, v, 8);
		}
		table = v & 0x000ffffffffff000ull;
	}
	synth_put(s->mem + table + ((vaddr >> (12 + 9 * (leaf - 1))) & 511) * 8,
		  paddr | 0x63 | (leaf > 1 ? 0x80 : 0), 8);
}

/* Map guest memory [PADDR, PADDR + LEN) into the direct map with 4K pages. */
static inline uint64_t synth_map_range(struct synth *s, uint64_t paddr, size_t len)
{
	for (uint64_t off = 0; off < len; off += 4096)
		synth_map(s, synth_dmap(s) + paddr + off, paddr + off, 4096);
	return synth_dmap(s) + paddr;
}

/* The ELF vmcore: one PT_NOTE with EXTRA[0, EXTRA_LEN) (whole notes, e.g. NT_PRSTATUS) and
 * then VMCOREINFO, PT_LOADs for guest memory.  NLOADS > 1 splits memory into that many
 * adjacent segments.  Returns a malloc'd image. */
static inline uint8_t *synth_elf_notes(const struct synth *s, unsigned nloads,
				       const uint8_t *extra, size_t extra_len, size_t *len)
{
	struct elfcore_load loads[8];
	uint8_t notes[16384], *out;
	size_t nlen = extra_len, hdr, chunk = s->size / nloads;

	if (nloads == 0 || nloads > 8 || chunk % 4096 || extra_len > sizeof(notes))
		abort();
	if (extra_len)
		memcpy(notes, extra, extra_len);
	if (elfnote_append(notes, sizeof(notes), &nlen, "VMCOREINFO", 0, s->info, s->info_len))
		abort();
	hdr = (elfcore_header_size(nloads, 0, nlen) + 4095) & ~(size_t)4095;
	for (unsigned i = 0; i < nloads; i++)
		loads[i] = (struct elfcore_load){ .paddr = i * chunk, .size = chunk,
						  .data_addr = hdr + i * chunk };
	*len = hdr + s->size;
	out = calloc(1, *len);
	if (!out || elfcore_build(out, hdr, 0, loads, nloads, notes, nlen, NULL))
		abort();
	memcpy(out + hdr, s->mem, s->size);
	return out;
}

/* The ELF vmcore with VMCOREINFO as its only note. */
static inline uint8_t *synth_elf(const struct synth *s, unsigned nloads, size_t *len)
{
	return synth_elf_notes(s, nloads, NULL, 0, len);
}

/* --- kallsyms tables and CPU notes ----------------------------------------------------------- */

struct synth_sym {
	char type;                /* 'T', 'D', ... */
	const char *name;         /* under 126 bytes */
	uint64_t addr;            /* a per-CPU offset (below SYNTH_KMAP) or an image address */
};

/* The kallsyms tables of SYMS (N, in address order: per-CPU symbols first, the image's end
 * last) in guest memory, and their SYMBOL() lines in VMCOREINFO.  Every token stands for its
 * own byte, so a name is stored as it reads.  ADDRESSES: kallsyms_addresses (u64), else
 * kallsyms_offsets with absolute per-CPU values (x86-64 up to 6.14) from the first image
 * symbol as kallsyms_relative_base. */
static inline void synth_kallsyms(struct synth *s, const struct synth_sym *syms, size_t n,
				  int addresses)
{
	size_t names_len = 0, pos = 0;
	uint64_t num, index, table, addrs, names, base = 0;

	for (size_t i = 0; i < n; i++) {
		names_len += 2 + strlen(syms[i].name);
		if (!base && syms[i].addr >= SYNTH_KMAP)
			base = syms[i].addr;
	}
	num = synth_alloc(s, 4096);           /* kallsyms_num_syms, then relative_base at +8 */
	index = synth_alloc(s, 4096);         /* token_index at 0, token_table at 512 */
	table = index + 512;
	addrs = synth_alloc(s, 8 * n);
	names = synth_alloc(s, names_len);
	synth_put(s->mem + num, n, 4);
	synth_put(s->mem + num + 8, base, 8);
	for (unsigned t = 0; t < 256; t++) {
		synth_put(s->mem + index + 2 * t, 2 * t, 2);
		s->mem[table + 2 * t] = (uint8_t)t;   /* token 0 is the empty string */
	}
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(syms[i].name);
		uint64_t a = syms[i].addr;

		if (l > 125 || (!addresses && a >= SYNTH_KMAP && a - base >= (1ull << 31)))
			abort();
		s->mem[names + pos] = (uint8_t)(l + 1);
		s->mem[names + pos + 1] = (uint8_t)syms[i].type;
		memcpy(s->mem + names + pos + 2, syms[i].name, l);
		pos += l + 2;
		if (addresses)
			synth_put(s->mem + addrs + 8 * i, a, 8);
		else if (a < SYNTH_KMAP)
			synth_put(s->mem + addrs + 4 * i, a, 4);
		else
			synth_put(s->mem + addrs + 4 * i, (base - 1 - a) & 0xffffffffu, 4);
	}
	synth_infof(s, "SYMBOL(kallsyms_names)=%llx\nSYMBOL(kallsyms_num_syms)=%llx\n"
		    "SYMBOL(kallsyms_token_table)=%llx\nSYMBOL(kallsyms_token_index)=%llx\n",
		    (unsigned long long)SYNTH_TEXT(names), (unsigned long long)SYNTH_TEXT(num),
		    (unsigned long long)SYNTH_TEXT(table), (unsigned long long)SYNTH_TEXT(index));
	if (addresses)
		synth_infof(s, "SYMBOL(kallsyms_addresses)=%llx\n",
			    (unsigned long long)SYNTH_TEXT(addrs));
	else
		synth_infof(s, "SYMBOL(kallsyms_offsets)=%llx\nSYMBOL(kallsyms_relative_base)=%llx\n",
			    (unsigned long long)SYNTH_TEXT(addrs),
			    (unsigned long long)SYNTH_TEXT(num + 8));
}

/* Append an x86-64 "CORE" NT_PRSTATUS note (pr_pid at 32, pr_reg at 112) to OUT. */
static inline void synth_prstatus(uint8_t *out, size_t cap, size_t *len, uint32_t pid,
				  const uint64_t reg[27])
{
	uint8_t desc[336] = { 0 };

	synth_put(desc + 32, pid, 4);
	for (unsigned i = 0; i < 27; i++)
		synth_put(desc + 112 + 8 * i, reg[i], 8);
	if (elfnote_append(out, cap, len, "CORE", NT_PRSTATUS, desc, sizeof(desc)))
		abort();
}

/* --- printk rings, written as the kernel writes them -------------------------------------- */

#define SYNTH_PRB_INFO \
	"SIZE(printk_ringbuffer)=88\nOFFSET(printk_ringbuffer.desc_ring)=0\n" \
	"OFFSET(printk_ringbuffer.text_data_ring)=48\nOFFSET(printk_ringbuffer.fail)=80\n" \
	"SIZE(prb_desc_ring)=48\nOFFSET(prb_desc_ring.count_bits)=0\n" \
	"OFFSET(prb_desc_ring.descs)=8\nOFFSET(prb_desc_ring.infos)=16\n" \
	"OFFSET(prb_desc_ring.head_id)=24\nOFFSET(prb_desc_ring.tail_id)=32\n" \
	"SIZE(prb_desc)=24\nOFFSET(prb_desc.state_var)=0\nOFFSET(prb_desc.text_blk_lpos)=8\n" \
	"SIZE(prb_data_blk_lpos)=16\nOFFSET(prb_data_blk_lpos.begin)=0\n" \
	"OFFSET(prb_data_blk_lpos.next)=8\nSIZE(printk_info)=88\nOFFSET(printk_info.seq)=0\n" \
	"OFFSET(printk_info.ts_nsec)=8\nOFFSET(printk_info.text_len)=16\n" \
	"OFFSET(printk_info.caller_id)=20\nOFFSET(printk_info.dev_info)=24\n" \
	"SIZE(prb_data_ring)=32\nOFFSET(prb_data_ring.size_bits)=0\n" \
	"OFFSET(prb_data_ring.data)=8\nOFFSET(prb_data_ring.head_lpos)=16\n" \
	"OFFSET(prb_data_ring.tail_lpos)=24\nSIZE(atomic_long_t)=8\n" \
	"OFFSET(atomic_long_t.counter)=0\n"

#define SYNTH_ID_MASK (~(3ull << 62))

/* A lockless ring laid out in a flat buffer that tests address as kernel memory at BASE. */
struct synth_prb {
	uint8_t *mem;             /* the buffer; offsets below are within it */
	uint64_t base;            /* its kernel virtual address */
	unsigned count_bits, size_bits;
	uint64_t prb, descs, infos, data;   /* offsets */
	uint64_t head_id, tail_id, head_lpos, tail_lpos, seq;
	unsigned wrapped;         /* data blocks stored wrapped so far */
};

static inline uint8_t *synth_prb_desc(struct synth_prb *r, uint64_t id)
{
	return r->mem + r->descs + (id & ((1ull << r->count_bits) - 1)) * 24;
}

static inline uint8_t *synth_prb_info(struct synth_prb *r, uint64_t id)
{
	return r->mem + r->infos + (id & ((1ull << r->count_bits) - 1)) * 88;
}

/* Lay out a ring at offset OFF of MEM (which needs synth_prb_bytes()).  The first id and
 * lpos are chosen by the caller so tests can start next to a wrap of either. */
static inline size_t synth_prb_bytes(unsigned count_bits, unsigned size_bits)
{
	return 4096 + ((size_t)24 << count_bits) + ((size_t)88 << count_bits) + (1ull << size_bits) + 64;
}

static inline void synth_prb_init(struct synth_prb *r, uint8_t *mem, uint64_t base, uint64_t off,
				  unsigned count_bits, unsigned size_bits, uint64_t first_id,
				  uint64_t first_lpos)
{
	memset(r, 0, sizeof(*r));
	r->mem = mem;
	r->base = base;
	r->count_bits = count_bits;
	r->size_bits = size_bits;
	r->prb = off + 8;              /* the pointer variable `prb` sits at off */
	r->descs = off + 128;
	r->infos = r->descs + ((uint64_t)24 << count_bits);
	r->data = r->infos + ((uint64_t)88 << count_bits);
	synth_put(mem + off, base + r->prb, 8);
	synth_put(mem + r->prb + 0, count_bits, 4);
	synth_put(mem + r->prb + 8, base + r->descs, 8);
	synth_put(mem + r->prb + 16, base + r->infos, 8);
	synth_put(mem + r->prb + 48, size_bits, 4);
	synth_put(mem + r->prb + 56, base + r->data, 8);
	/* the kernel starts with one reusable, data-less descriptor at head == tail */
	r->head_id = r->tail_id = first_id & SYNTH_ID_MASK;
	r->head_lpos = r->tail_lpos = first_lpos;
	synth_put(synth_prb_desc(r, r->head_id), 3ull << 62 | r->head_id, 8);
	synth_put(synth_prb_desc(r, r->head_id) + 8, 1, 8);
	synth_put(synth_prb_desc(r, r->head_id) + 16, 1, 8);
	synth_put(mem + r->prb + 24, r->head_id, 8);
	synth_put(mem + r->prb + 32, r->tail_id, 8);
}

/* Drop the oldest record: its descriptor becomes reusable and its data space free. */
static inline void synth_prb_pop(struct synth_prb *r)
{
	uint8_t *d = synth_prb_desc(r, r->tail_id);
	uint64_t next = synth_get(d + 16, 8);

	synth_put(d, 3ull << 62 | r->tail_id, 8);
	if (!(next & 1))
		r->tail_lpos = next;
	r->tail_id = (r->tail_id + 1) & SYNTH_ID_MASK;
	synth_put(r->mem + r->prb + 32, r->tail_id, 8);
}

/* Append a finalized record of TEXT (LEN bytes; 0 makes a data-less record). */
static inline void synth_prb_add(struct synth_prb *r, uint64_t ts, const void *text, size_t len)
{
	uint64_t size = 1ull << r->size_bits, count = 1ull << r->count_bits;
	uint64_t blk = (8 + len + 7) & ~7ull, begin = r->head_lpos, next = begin + blk, id;
	uint8_t *d, *info, *p;

	if (blk > size / 2)
		abort();
	if (len && begin / size != next / size) { /* would wrap: store at the start instead */
		next = (next & ~(size - 1)) + blk;
		r->wrapped++;
	}
	id = (r->head_id + 1) & SYNTH_ID_MASK;
	while (((id - r->tail_id) & SYNTH_ID_MASK) >= count ||
	       (len && next - r->tail_lpos > size))
		synth_prb_pop(r);
	d = synth_prb_desc(r, id);
	info = synth_prb_info(r, id);
	memset(info, 0, 88);
	synth_put(info, r->seq++, 8);
	synth_put(info + 8, ts, 8);
	synth_put(info + 16, len, 2);
	if (len) {
		p = r->mem + r->data + ((next - blk) & (size - 1));
		synth_put(p, id, 8);
		memcpy(p + 8, text, len);
		synth_put(d + 8, begin, 8);
		synth_put(d + 16, next, 8);
		r->head_lpos = next;
	} else {
		synth_put(d + 8, 3, 8);   /* NO_LPOS: data-less */
		synth_put(d + 16, 3, 8);
	}
	synth_put(d, 2ull << 62 | id, 8); /* finalized */
	r->head_id = id;
	synth_put(r->mem + r->prb + 24, id, 8);
}

/* --- log_buf (3.5 .. 5.9): struct printk_log { u64 ts_nsec; u16 len, text_len, dict_len;
 * u8 facility, flags:5, level:3; } = 16 bytes, records 8-aligned ------------------------------ */

#define SYNTH_LOGBUF_INFO \
	"SIZE(printk_log)=16\nOFFSET(printk_log.ts_nsec)=0\nOFFSET(printk_log.len)=8\n" \
	"OFFSET(printk_log.text_len)=10\n"

struct synth_logbuf {
	uint8_t *mem;
	uint64_t base;
	uint64_t buf, len;        /* offset of the buffer in mem, its size */
	uint64_t vars;            /* offset of: log_buf ptr, log_buf_len, first, next */
	uint64_t first, next;
};

static inline void synth_logbuf_sync(struct synth_logbuf *l)
{
	synth_put(l->mem + l->vars + 16, l->first, 4);
	synth_put(l->mem + l->vars + 24, l->next, 4);
}

static inline void synth_logbuf_init(struct synth_logbuf *l, uint8_t *mem, uint64_t base,
				     uint64_t off, uint64_t len)
{
	memset(l, 0, sizeof(*l));
	l->mem = mem;
	l->base = base;
	l->vars = off;
	l->buf = off + 64;
	l->len = len;
	synth_put(mem + off, base + l->buf, 8);
	synth_put(mem + off + 8, len, 4);
	synth_logbuf_sync(l);
}

/* Write a record at IDX (TLEN bytes of text, DICT_LEN of dictionary); returns the index
 * after it.  A zero-length header at an index marks the end of the buffer. */
static inline uint64_t synth_logbuf_put(struct synth_logbuf *l, uint64_t idx, uint64_t ts,
					const char *text, size_t tlen, size_t dict_len)
{
	uint64_t size = (16 + tlen + dict_len + 7) & ~7ull;
	uint8_t *p = l->mem + l->buf + idx;

	if (idx + size > l->len)
		abort();
	memset(p, 0, size);
	synth_put(p, ts, 8);
	synth_put(p + 8, size, 2);
	synth_put(p + 10, tlen, 2);
	synth_put(p + 12, dict_len, 2);
	memcpy(p + 16, text, tlen);
	memset(p + 16 + tlen, 'D', dict_len);
	return idx + size;
}

static inline void synth_logbuf_marker(struct synth_logbuf *l, uint64_t idx)
{
	memset(l->mem + l->buf + idx, 0, 16);
}

#endif
