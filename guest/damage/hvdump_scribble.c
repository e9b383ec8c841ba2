// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hvdump_scribble: the dying kernel overwrites the crash kernel's reserved memory, then
 * panics (bench/damage, scenario "scribble"; see guest/README.md, build-damage).
 *
 *   insmod hvdump_scribble.ko start=0xSTART size=0xBYTES
 *
 * START and BYTES are the "Crash kernel" range of /proc/iomem (the caller reads it there).
 * Every page of it is written with a pattern, the way a stray DMA or a wild pointer would,
 * and the module then calls panic().  A device's DMA ignores the CPU's page tables; after
 * `kexec -p` the kernel maps the loaded capture kernel read-only (x86's
 * arch_kexec_protect_crashkres), so the pages are written through a mapping of their own
 * (vmap), as the device would reach them, not through the direct map.
 * There is no way back: the module's init never returns.
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/panic.h>
#include <linux/pfn.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

static unsigned long start;
module_param(start, ulong, 0444);
MODULE_PARM_DESC(start, "physical start of the range to overwrite (the Crash kernel range)");
static unsigned long size;
module_param(size, ulong, 0444);
MODULE_PARM_DESC(size, "bytes to overwrite from start");

#define SCRIBBLE_BATCH 256 /* pages mapped at a time */

/* Write the pattern over NR pages from PFN through a vmap of them; 0 or a negative errno. */
static int scribble_pages(unsigned long pfn, unsigned int nr, struct page **pages)
{
	unsigned long *p;
	unsigned long i, words;
	void *va;
	unsigned int k;

	for (k = 0; k < nr; k++) {
		if (!pfn_valid(pfn + k))
			return -EFAULT;
		pages[k] = pfn_to_page(pfn + k);
	}
	va = vmap(pages, nr, VM_MAP, PAGE_KERNEL);
	if (!va)
		return -ENOMEM;
	/* each word says where it is: "DMA!" and the physical address */
	p = va;
	words = (unsigned long)nr * PAGE_SIZE / sizeof(*p);
	for (i = 0; i < words; i++)
		p[i] = 0x21414d4400000000UL ^ (PFN_PHYS(pfn) + i * sizeof(*p));
	vunmap(va);
	return 0;
}

static int __init hvdump_scribble_init(void)
{
	unsigned long pfn, end, n, done = 0;
	struct page **pages;
	int err = 0;

	if (!size || !PAGE_ALIGNED(start) || start + size < start) {
		pr_err("hvdump_scribble: start=%#lx size=%#lx: not a page-aligned range\n", start, size);
		return -EINVAL;
	}
	pages = kmalloc_array(SCRIBBLE_BATCH, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	end = PFN_UP(start + size);
	pr_emerg("hvdump_scribble: overwriting %#lx-%#lx (%lu MiB), as a stray DMA would\n",
		 start, start + size - 1, size >> 20);
	for (pfn = PFN_DOWN(start); pfn < end; pfn += n) {
		n = min_t(unsigned long, SCRIBBLE_BATCH, end - pfn);
		err = scribble_pages(pfn, n, pages);
		if (err)
			break;
		done += n;
	}
	kfree(pages);
	panic("hvdump_scribble: %lu pages of %#lx-%#lx overwritten (%d)", done, start,
	      start + size - 1, err);
	return 0; /* not reached */
}
module_init(hvdump_scribble_init);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("hvdump test module: overwrite the crash kernel region, then panic");
