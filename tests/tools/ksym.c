// SPDX-License-Identifier: GPL-2.0-or-later
// ksym: resolve kernel symbols in an ELF vmcore (QEMU dump-guest-memory) through the guest's
// own kallsyms tables, the way hvdump's format library does it: VMCOREINFO plus physical reads.
// Usage: ksym [-i KEY]... VMCORE.elf NAME...
//   -i KEY   first print "KEY VALUE" for a VMCOREINFO key (e.g. KERNELOFFSET)
// Prints "NAME VADDR PADDR 0xVALUE" per name (hex; VALUE is the u32 at PADDR), "NAME VADDR - -"
// when VADDR is not in the kernel image or not in the dump (per-CPU symbols), or
// "NAME error: MESSAGE" when the lookup fails.  Exit 0 if every name and key resolved, 1 if not, 2 on bad input.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format/elfcore.h"
#include "format/kallsyms.h"
#include "format/vmcoreinfo.h"

#define NOTES_MAX (1u << 20)

struct core {
	int fd;
	struct elfcore_segment *segs;
	size_t nsegs;
};

/* Physical reads from the PT_LOADs' file bytes; a range may span adjacent segments. */
static int core_read(void *ctx, uint64_t paddr, void *buf, size_t len)
{
	struct core *c = ctx;
	uint8_t *out = buf;

	while (len) {
		const struct elfcore_segment *s = NULL;
		uint64_t in, n;
		ssize_t got;

		for (size_t i = 0; i < c->nsegs; i++) {
			if (c->segs[i].type == 1 /* PT_LOAD */ && paddr >= c->segs[i].paddr &&
			    paddr - c->segs[i].paddr < c->segs[i].filesz) {
				s = &c->segs[i];
				break;
			}
		}
		if (!s)
			return -EFAULT;
		in = paddr - s->paddr;
		n = s->filesz - in < len ? s->filesz - in : len;
		got = pread(c->fd, out, (size_t)n, (off_t)(s->offset + in));
		if (got != (ssize_t)n)
			return got < 0 ? -errno : -EIO;
		out += n;
		paddr += n;
		len -= (size_t)n;
	}
	return 0;
}

static int core_open(const char *path, struct core *c, char *info, size_t *info_len)
{
	size_t hdrlen = 65536, need, tlen;
	const char *text;
	uint8_t *hdr = NULL, *notes = NULL;
	struct stat st;
	ssize_t got;
	int r;

	c->fd = open(path, O_RDONLY);
	if (c->fd < 0 || fstat(c->fd, &st) < 0)
		return -errno;
	for (;;) {
		free(hdr);
		hdr = malloc(hdrlen);
		if (!hdr)
			return -ENOMEM;
		got = pread(c->fd, hdr, hdrlen, 0);
		if (got < 0) {
			r = -errno;
			goto out;
		}
		r = elfcore_parse(hdr, (size_t)got, (uint64_t)st.st_size, &c->segs, &c->nsegs, &need);
		if (r != -ENODATA || need <= hdrlen || (off_t)need > st.st_size)
			break;
		hdrlen = need;
	}
	if (r < 0)
		goto out;
	r = -ENOENT;
	for (size_t i = 0; i < c->nsegs; i++) {
		if (c->segs[i].type != 4 /* PT_NOTE */ || c->segs[i].filesz > NOTES_MAX)
			continue;
		notes = malloc(c->segs[i].filesz ? c->segs[i].filesz : 1);
		if (!notes) {
			r = -ENOMEM;
			goto out;
		}
		if (pread(c->fd, notes, c->segs[i].filesz, (off_t)c->segs[i].offset) !=
		    (ssize_t)c->segs[i].filesz) {
			r = -EIO;
			goto out;
		}
		r = vmcoreinfo_find(notes, c->segs[i].filesz, &text, &tlen);
		if (r == 0) {
			if (tlen > VMCOREINFO_MAX)
				tlen = VMCOREINFO_MAX;
			memcpy(info, text, tlen);
			*info_len = tlen;
			goto out;
		}
		free(notes);
		notes = NULL;
	}
out:
	free(notes);
	free(hdr);
	return r;
}

int main(int argc, char **argv)
{
	static char info[VMCOREINFO_MAX];
	const char *keys[16];
	size_t nkeys = 0, info_len = 0;
	struct core c = { .fd = -1 };
	struct kallsyms *ks;
	int opt, r, rc = 0;

	while ((opt = getopt(argc, argv, "i:")) != -1) {
		if (opt != 'i' || nkeys == sizeof(keys) / sizeof(keys[0]))
			goto usage;
		keys[nkeys++] = optarg;
	}
	if (argc - optind < 2)
		goto usage;
	r = core_open(argv[optind], &c, info, &info_len);
	if (r < 0) {
		fprintf(stderr, "ksym: %s: no ELF vmcore with VMCOREINFO: %s\n", argv[optind],
			strerror(-r));
		return 2;
	}
	for (size_t i = 0; i < nkeys; i++) {
		char val[256];
		if (vmcoreinfo_get(info, info_len, keys[i], val, sizeof(val)) < 0) {
			printf("%s error: not in VMCOREINFO\n", keys[i]);
			rc = 1;
		} else {
			printf("%s %s\n", keys[i], val);
		}
	}
	r = kallsyms_open(info, info_len, core_read, &c, &ks);
	if (r < 0) {
		fprintf(stderr, "ksym: kallsyms tables: %s\n", strerror(-r));
		return 1;
	}
	for (int i = optind + 1; i < argc; i++) {
		uint64_t va, pa;
		uint8_t b[4];

		r = kallsyms_find(ks, argv[i], &va);
		if (r < 0) {
			printf("%s error: %s\n", argv[i], strerror(-r));
			rc = 1;
			continue;
		}
		/* a per-CPU symbol's value is an offset, not an image address */
		if (kallsyms_kimage_to_phys(info, info_len, va, &pa) < 0 ||
		    core_read(&c, pa, b, 4) < 0) {
			printf("%s %016llx - -\n", argv[i], (unsigned long long)va);
			continue;
		}
		printf("%s %016llx %llx 0x%08x\n", argv[i], (unsigned long long)va,
		       (unsigned long long)pa,
		       (unsigned)b[0] | (unsigned)b[1] << 8 | (unsigned)b[2] << 16 |
			       (unsigned)b[3] << 24);
	}
	kallsyms_close(ks);
	free(c.segs);
	close(c.fd);
	return rc;

usage:
	fprintf(stderr, "usage: ksym [-i KEY]... VMCORE.elf NAME...\n");
	return 2;
}
