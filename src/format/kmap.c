// SPDX-License-Identifier: GPL-2.0-or-later
// Where a crashed kernel mapped itself (kmap.h): its image and its direct map.
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "util/why.h"
#include "format/kmap.h"
#include "format/le.h"
#include "format/vmcoreinfo.h"

#define PAGE 4096u

int kmap_read_var(const char *vmcoreinfo, size_t len, struct kallsyms *ks, kallsyms_read_fn rd,
		  void *ctx, const char *name, uint64_t *val, char *why, size_t whylen)
{
	uint64_t va, pa;
	uint8_t b[8];
	int r;

	r = kallsyms_find(ks, name, &va);
	if (r == -ENOENT)
		return r;
	if (r < 0) {
		why_set(why, whylen, "cannot look %s up in kallsyms: %s", name, strerror(-r));
		return r;
	}
	r = kallsyms_kimage_to_phys(vmcoreinfo, len, va, &pa);
	if (r < 0) {
		why_set(why, whylen, "%s at 0x%" PRIx64 ": %s", name, va,
			r == -ERANGE ? "outside the kernel image mapping" :
			r == -ENOENT ? "no NUMBER(phys_base) in VMCOREINFO" :
				       "malformed NUMBER(phys_base) in VMCOREINFO");
		return r;
	}
	r = rd(ctx, pa, b, sizeof(b));
	if (r < 0) {
		why_set(why, whylen, "cannot read %s at physical 0x%" PRIx64 ": %s", name, pa,
			strerror(-r));
		return r;
	}
	*val = le64_get(b);
	return 0;
}

int kmap_direct_map(const char *vmcoreinfo, size_t len, struct kallsyms *ks, kallsyms_read_fn rd,
		    void *ctx, uint64_t *base, unsigned *bits, char *why, size_t whylen)
{
	uint64_t l5 = 0, min;
	int r = vmcoreinfo_get_u64(vmcoreinfo, len, "NUMBER(pgtable_l5_enabled)", &l5);

	if ((r < 0 && r != -ENOENT) || l5 > 1) {
		why_set(why, whylen, "malformed NUMBER(pgtable_l5_enabled) in VMCOREINFO");
		return -EINVAL;
	}
	min = l5 ? KMAP_PAGE_OFFSET_L5 : KMAP_PAGE_OFFSET_L4;
	*bits = l5 ? KMAP_PHYS_BITS_L5 : KMAP_PHYS_BITS_L4;
	r = kmap_read_var(vmcoreinfo, len, ks, rd, ctx, "page_offset_base", base, why, whylen);
	if (r == -ENOENT) {
		*base = min;
		return 0;
	}
	if (r < 0)
		return r;
	if (*base < min || *base >= KALLSYMS_START_KERNEL_MAP || *base % KMAP_PAGE_OFFSET_ALIGN) {
		why_set(why, whylen, "page_offset_base 0x%" PRIx64 " is not a direct-map base "
			"(%u-level paging)", *base, l5 ? 5 : 4);
		return -ERANGE;
	}
	return 0;
}

/* [_text, _end) and where _text is in physical memory. */
static int image(const char *vmcoreinfo, size_t len, struct kallsyms *ks, struct kmap *m,
		 char *why, size_t whylen)
{
	uint64_t text, end;
	int r = kallsyms_find(ks, "_text", &text);

	if (r == 0)
		r = kallsyms_find(ks, "_end", &end);
	if (r == -ENOENT)
		why_set(why, whylen, "no _text or _end in kallsyms");
	else if (r < 0)
		why_set(why, whylen, "cannot look _text and _end up in kallsyms: %s", strerror(-r));
	if (r < 0)
		return r;
	if (text % PAGE || text < KALLSYMS_START_KERNEL_MAP || end <= text ||
	    end - text > KMAP_IMAGE_MAX || end > UINT64_MAX - PAGE) {
		why_set(why, whylen, "_text 0x%" PRIx64 " and _end 0x%" PRIx64 " are not a kernel "
			"image", text, end);
		return -EBADMSG;
	}
	r = kallsyms_kimage_to_phys(vmcoreinfo, len, text, &m->text_paddr);
	if (r < 0) {
		why_set(why, whylen, "_text 0x%" PRIx64 " has no physical address: %s", text,
			r == -ERANGE ? "outside the kernel image mapping"
				     : "no usable NUMBER(phys_base) in VMCOREINFO");
		return r;
	}
	m->text_vaddr = text;
	m->text_size = (end - text + PAGE - 1) / PAGE * PAGE;
	if (m->text_paddr % PAGE || m->text_paddr > UINT64_MAX - m->text_size) {
		why_set(why, whylen, "_text at physical 0x%" PRIx64 " is not page-aligned",
			m->text_paddr);
		return -EBADMSG;
	}
	return 0;
}

int kmap_lookup(const char *vmcoreinfo, size_t len, kallsyms_read_fn rd, void *ctx,
		struct kmap *out, char *why, size_t whylen)
{
	struct kallsyms *ks;
	int r;

	memset(out, 0, sizeof(*out));
	if (!vmcoreinfo || !len) {
		why_set(why, whylen, "no VMCOREINFO");
		return -EOPNOTSUPP;
	}
	r = kallsyms_open(vmcoreinfo, len, rd, ctx, &ks);
	if (r == -EOPNOTSUPP)
		why_set(why, whylen, "no kallsyms tables in VMCOREINFO (a kernel before 6.0?)");
	else if (r < 0)
		why_set(why, whylen, "cannot open the kallsyms tables: %s", strerror(-r));
	if (r < 0)
		return r;
	r = image(vmcoreinfo, len, ks, out, why, whylen);
	if (r == 0)
		r = kmap_direct_map(vmcoreinfo, len, ks, rd, ctx, &out->direct_base,
				    &out->direct_bits, why, whylen);
	kallsyms_close(ks);
	if (r < 0)
		memset(out, 0, sizeof(*out));
	return r;
}
