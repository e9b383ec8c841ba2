// SPDX-License-Identifier: GPL-2.0-or-later
// kallsyms lookup on a synthetic kernel image written the way scripts/kallsyms lays it out
// (token table and index, compressed names with 1- and 2-byte lengths, base-relative offsets
// with and without absolute per-CPU values, or absolute addresses), and hostile tables that
// must give an error, never a crash, an overread or an endless walk.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/kallsyms.h"
#include "tap.h"
#include "unit/synth_kallsyms.h"

/* One MiB of "physical memory" at MEM_PA holding the kernel image that starts at KV. */
#define MEM_PA   0x6a00000ull
#define MEM_SIZE (1u << 20)
#define KV       0xffffffff8f800000ull
#define PHYS_BASE ((int64_t)MEM_PA - (int64_t)(KV - KALLSYMS_START_KERNEL_MAP))

struct mem {
	uint8_t *buf;
	size_t size;          /* readable bytes from MEM_PA (may be cut short by a test) */
	size_t max_read;
	unsigned long reads;
};

static int mem_read(void *ctx, uint64_t pa, void *buf, size_t len)
{
	struct mem *m = ctx;

	m->reads++;
	if (len > m->max_read)
		m->max_read = len;
	if (pa < MEM_PA || pa - MEM_PA > m->size || len > m->size - (pa - MEM_PA))
		return -EFAULT;
	memcpy(buf, m->buf + (pa - MEM_PA), len);
	return 0;
}

/* The image at MEM_PA (synth_kallsyms.h builds it) and the memory it is read through. */
struct img {
	struct mem m;
	struct synth_ks ks;
};

static char big[201];

static void img_build(struct img *im, enum synth_ks_mode mode)
{
	struct synth_ks *ks = &im->ks;

	im->m.size = MEM_SIZE;
	im->m.max_read = 0;
	im->m.reads = 0;
	synth_ks_init(ks, im->m.buf, MEM_SIZE, KV, mode);
	if (mode == SYNTH_KS_ABS_PERCPU)
		synth_ks_sym(ks, 'D', "cpu_number", 0x1e000, 1);
	synth_ks_sym(ks, 'T', "_stext", KV, 0);
	synth_ks_sym(ks, 'T', "system_stat", KV + 0x100, 0);
	synth_ks_sym(ks, 'd', "dup", KV + 0x180, 0);
	synth_ks_sym(ks, 'D', "system_state_x", KV + 0x200, 0);
	synth_ks_sym(ks, 'D', "system_state", KV + 0x300, 0);
	synth_ks_sym(ks, 'D', "init_uts_ns", KV + 0x400, 0);
	synth_ks_sym(ks, 't', big, KV + 0x480, 0);
	synth_ks_sym(ks, 'D', "jiffies", KV + 0x500, 0);
	synth_ks_sym(ks, 'd', "dup", KV + 0x580, 0);
	synth_ks_sym(ks, 'B', "_end", KV + 0xff000, 0);

	synth_ks_infof(ks, "OSRELEASE=6.1.0-synthetic\nSYMBOL(init_uts_ns)=%llx\n",
		       (unsigned long long)(KV + 0x400));
	synth_ks_finish(ks);
	synth_ks_infof(ks, "NUMBER(phys_base)=%lld\nKERNELOFFSET=e800000\n"
		       "NUMBER(KERNEL_IMAGE_SIZE)=1073741824\n", (long long)PHYS_BASE);
}

static int look(struct img *im, const char *name, uint64_t *v)
{
	*v = 0;
	return kallsyms_lookup(im->ks.info, im->ks.info_len, mem_read, &im->m, name, v);
}

static void info_set(struct img *im, const char *key, const char *val)
{
	synth_ks_info_set(&im->ks, key, val);
}

static void good_lookups(struct img *im, const char *what)
{
	uint64_t v;
	int r;

	r = look(im, "system_state", &v);
	tap_ok(r == 0 && v == KV + 0x300, "%s: system_state (not its prefix or extension)", what);
	r = look(im, "init_uts_ns", &v);
	tap_ok(r == 0 && v == KV + 0x400, "%s: init_uts_ns", what);
	r = look(im, "jiffies", &v);
	tap_ok(r == 0 && v == KV + 0x500, "%s: jiffies, after a 2-byte-length name", what);
	r = look(im, big, &v);
	tap_ok(r == 0 && v == KV + 0x480, "%s: 200-character name with a 2-byte length", what);
	r = look(im, "_stext", &v);
	tap_ok(r == 0 && v == KV, "%s: _stext at relative_base", what);
	r = look(im, "_end", &v);
	tap_ok(r == 0 && v == KV + 0xff000, "%s: last symbol", what);
	r = look(im, "dup", &v);
	tap_ok(r == 0 && v == KV + 0x180, "%s: duplicate name: the first one", what);
	r = look(im, "system_sta", &v);
	tap_ok(r == -ENOENT, "%s: absent name (a prefix of others): -ENOENT", what);
	tap_ok(im->m.max_read <= KALLSYMS_WINDOW, "%s: no read larger than the window (%zu)", what,
	       im->m.max_read);
}

int main(void)
{
	struct img im = { .m.buf = calloc(1, MEM_SIZE) };
	struct kallsyms *ks;
	uint64_t v, pa;
	int r;

	if (!im.m.buf)
		return 1;
	memset(big, 'a', 200);

	/* --- address translation --- */
	img_build(&im, SYNTH_KS_ABS_PERCPU);
	r = kallsyms_kimage_to_phys(im.ks.info, im.ks.info_len, KV + 0x1234, &pa);
	tap_ok(r == 0 && pa == MEM_PA + 0x1234, "kimage_to_phys with a negative phys_base");
	r = kallsyms_kimage_to_phys(im.ks.info, im.ks.info_len, KALLSYMS_START_KERNEL_MAP - 1, &pa);
	tap_is_int(r, -ERANGE, "below __START_KERNEL_map: -ERANGE");
	r = kallsyms_kimage_to_phys(im.ks.info, im.ks.info_len,
				    KALLSYMS_START_KERNEL_MAP + (1ull << 30), &pa);
	tap_is_int(r, -ERANGE, "past KERNEL_IMAGE_SIZE: -ERANGE");
	r = kallsyms_kimage_to_phys(im.ks.info, im.ks.info_len, 0xffffffffffffffffull, &pa);
	tap_is_int(r, -ERANGE, "last address of the address space: -ERANGE");
	info_set(&im, "NUMBER(phys_base)", "4503599627370496");
	r = kallsyms_kimage_to_phys(im.ks.info, im.ks.info_len, KV, &pa);
	tap_is_int(r, -ERANGE, "physical result past 2^52: -ERANGE");
	info_set(&im, "NUMBER(phys_base)", "12x");
	r = kallsyms_kimage_to_phys(im.ks.info, im.ks.info_len, KV, &pa);
	tap_is_int(r, -EINVAL, "malformed phys_base: -EINVAL");
	info_set(&im, "NUMBER(phys_base)", "-148897792");
	info_set(&im, "NUMBER(KERNEL_IMAGE_SIZE)", "0");
	r = kallsyms_kimage_to_phys(im.ks.info, im.ks.info_len, KV, &pa);
	tap_is_int(r, -EINVAL, "KERNEL_IMAGE_SIZE 0: -EINVAL");
	r = kallsyms_kimage_to_phys("OSRELEASE=x\n", 12, KV, &pa);
	tap_is_int(r, -ENOENT, "no phys_base: -ENOENT");

	/* --- the three encodings --- */
	img_build(&im, SYNTH_KS_ABS_PERCPU);
	good_lookups(&im, "absolute-percpu");
	r = look(&im, "cpu_number", &v);
	tap_ok(r == 0 && v == 0x1e000, "absolute-percpu: per-CPU symbol keeps its absolute value");
	img_build(&im, SYNTH_KS_RELATIVE);
	good_lookups(&im, "base-relative");
	img_build(&im, SYNTH_KS_ADDRESSES);
	good_lookups(&im, "absolute addresses");

	/* one open, several finds */
	img_build(&im, SYNTH_KS_ABS_PERCPU);
	r = kallsyms_open(im.ks.info, im.ks.info_len, mem_read, &im.m, &ks);
	tap_ok(r == 0 && kallsyms_count(ks) == 11, "open: 11 symbols");
	if (r == 0) {
		tap_ok(kallsyms_find(ks, "jiffies", &v) == 0 && v == KV + 0x500 &&
		       kallsyms_find(ks, "system_state", &v) == 0 && v == KV + 0x300,
		       "two finds on one handle");
		tap_is_int(kallsyms_find(ks, "", &v), -EINVAL, "empty name: -EINVAL");
		{
			char longname[600];
			memset(longname, 'x', sizeof(longname) - 1);
			longname[sizeof(longname) - 1] = '\0';
			tap_is_int(kallsyms_find(ks, longname, &v), -EINVAL, "599-char name: -EINVAL");
		}
		kallsyms_close(ks);
	}

	/* names near the end of readable memory: the 64 KiB window is cut to a page */
	img_build(&im, SYNTH_KS_ABS_PERCPU);
	im.m.size = (SYNTH_KS_O_NAMES + im.ks.names_len + 4095) & ~4095u;
	r = look(&im, "_end", &v);
	tap_ok(r == 0 && v == KV + 0xff000, "names end %zu bytes before the end of memory: found",
	       im.m.size - SYNTH_KS_O_NAMES - im.ks.names_len);

	/* --- hostile tables --- */
	img_build(&im, SYNTH_KS_ABS_PERCPU);
	strstr(im.ks.info, "SYMBOL(kallsyms_relative_base)")[8] = 'K'; /* the key is gone */
	tap_is_int(look(&im, "jiffies", &v), -EOPNOTSUPP,
		   "no SYMBOL(kallsyms_relative_base) line: -EOPNOTSUPP");
	tap_is_int(kallsyms_lookup("OSRELEASE=5.10\nNUMBER(phys_base)=0\n", 35, mem_read, &im.m,
				   "jiffies", &v), -EOPNOTSUPP, "no kallsyms in VMCOREINFO: -EOPNOTSUPP");

	img_build(&im, SYNTH_KS_ABS_PERCPU);
	info_set(&im, "SYMBOL(kallsyms_names)", "ff11000012340000");
	tap_is_int(look(&im, "jiffies", &v), -ERANGE, "names in the direct map: -ERANGE");

	img_build(&im, SYNTH_KS_ABS_PERCPU);
	info_set(&im, "SYMBOL(kallsyms_relative_base)", "ffffffff8fa00000");
	tap_is_int(look(&im, "jiffies", &v), -EFAULT, "relative_base beyond memory: read error");

	img_build(&im, SYNTH_KS_ABS_PERCPU);
	synth_put(im.m.buf + SYNTH_KS_O_NUM, KALLSYMS_MAX_SYMS + 1, 4);
	tap_is_int(look(&im, "jiffies", &v), -EBADMSG, "num_syms 2^22+1: -EBADMSG");
	synth_put(im.m.buf + SYNTH_KS_O_NUM, 0xffffffff, 4);
	tap_is_int(look(&im, "jiffies", &v), -EBADMSG, "num_syms 2^32-1: -EBADMSG");
	synth_put(im.m.buf + SYNTH_KS_O_NUM, KALLSYMS_MAX_SYMS, 4);
	tap_is_int(look(&im, "jiffies", &v), -EFAULT,
		   "num_syms 2^22 with the offsets past memory: read error at open");

	/* a walk past the last real name: zeros there are a zero length */
	img_build(&im, SYNTH_KS_ADDRESSES);
	synth_put(im.m.buf + SYNTH_KS_O_NUM, KALLSYMS_MAX_SYMS, 4);
	tap_is_int(look(&im, "nothere", &v), -EBADMSG, "num_syms too large, zero length: -EBADMSG");
	/* ... and 1-token names all the way: the walk runs into the end of memory */
	memset(im.m.buf + SYNTH_KS_O_NAMES + im.ks.names_len, 0x01,
	       MEM_SIZE - SYNTH_KS_O_NAMES - im.ks.names_len);
	im.m.reads = 0;
	tap_is_int(look(&im, "nothere", &v), -EFAULT, "num_syms too large: read error at memory end");
	tap_ok(im.m.reads < 64, "... after %lu reads (windowed)", im.m.reads);

	/* a name whose length runs past the end of memory while it still matches */
	img_build(&im, SYNTH_KS_ADDRESSES);
	info_set(&im, "SYMBOL(kallsyms_names)", "ffffffff8f8fff00");
	synth_put(im.m.buf + SYNTH_KS_O_NUM, 1, 4);
	im.m.buf[0xfff00] = 0xff, im.m.buf[0xfff01] = 0x7f; /* len 0x3fff */
	im.m.buf[0xfff02] = 'D';
	memset(im.m.buf + 0xfff03, SYNTH_KS_T_EMPTY, 0xfd);
	tap_is_int(look(&im, "jiffies", &v), -EFAULT, "length past the end of memory: read error");
	im.m.buf[0xfff01] = 0x80; /* second length byte with bit 7 */
	tap_is_int(look(&im, "jiffies", &v), -EBADMSG, "length over 14 bits: -EBADMSG");
	im.m.buf[0xfff00] = 0;
	tap_is_int(look(&im, "jiffies", &v), -EBADMSG, "zero length: -EBADMSG");

	/* token index and token table */
	img_build(&im, SYNTH_KS_ABS_PERCPU);
	synth_put(im.m.buf + SYNTH_KS_O_TINDEX + 2 * 'j', 0xffff, 2);
	tap_is_int(look(&im, "jiffies", &v), -EBADMSG, "token index 0xffff: -EBADMSG");
	synth_put(im.m.buf + SYNTH_KS_O_TINDEX + 2 * 'j', KALLSYMS_TOKEN_TABLE_MAX, 2);
	tap_is_int(look(&im, "jiffies", &v), -EBADMSG, "token index at the table limit: -EBADMSG");
	synth_put(im.m.buf + SYNTH_KS_O_TINDEX + 2 * 'j', 0x800, 2);
	memset(im.m.buf + SYNTH_KS_O_TTABLE + 0x800, 'j', KALLSYMS_TOKEN_TABLE_MAX - 0x800);
	tap_is_int(look(&im, "jiffies", &v), -EBADMSG, "token table without its NUL: -EBADMSG");
	img_build(&im, SYNTH_KS_ABS_PERCPU);
	info_set(&im, "SYMBOL(kallsyms_token_table)", "ffffffff8f8ffff0");
	memset(im.m.buf + 0xffff0, 'x', 0x10);
	tap_is_int(look(&im, "jiffies", &v), -EFAULT, "token table running off memory: read error");

	free(im.m.buf);
	return tap_done();
}
