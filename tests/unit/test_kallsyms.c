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
#include "unit/synth.h"

/* One MiB of "physical memory" at MEM_PA holding the kernel image that starts at KV. */
#define MEM_PA   0x6a00000ull
#define MEM_SIZE (1u << 20)
#define KV       0xffffffff8f800000ull
#define PHYS_BASE ((int64_t)MEM_PA - (int64_t)(KV - KALLSYMS_START_KERNEL_MAP))

/* where the tables sit in the image */
#define O_NUM    0x1000u
#define O_BASE   0x1008u
#define O_TINDEX 0x2000u
#define O_TTABLE 0x3000u
#define O_ADDRS  0x10000u
#define O_NAMES  0x40000u

enum mode { ABS_PERCPU, RELATIVE, ADDRESSES };

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

/* Tokens: printable ASCII stands for itself; a few multi-character tokens as the kernel's
 * compressor makes them (one swallows the type character), one empty token. */
static const char *const multi[] = { "system_", "state", "init_", "jiff", "ies", "", "Dsys" };
#define T_EMPTY 0x85

static const char *token_of(unsigned t)
{
	static char one[256][2];

	if (t >= 0x80 && t - 0x80 < sizeof(multi) / sizeof(multi[0]))
		return multi[t - 0x80];
	if (t >= 0x20 && t < 0x7f) {
		one[t][0] = (char)t;
		return one[t];
	}
	return "";
}

struct img {
	struct mem m;
	enum mode mode;
	uint32_t n;
	size_t names_len;
	char info[2048];
	size_t info_len;
};

static void img_tokens(struct img *im)
{
	size_t pos = 0;

	for (unsigned t = 0; t < 256; t++) {
		const char *s = token_of(t);
		size_t l = strlen(s) + 1;

		synth_put(im->m.buf + O_TINDEX + 2 * t, pos, 2);
		memcpy(im->m.buf + O_TTABLE + pos, s, l);
		pos += l;
	}
}

/* Greedy compression with the tokens above; TYPE then NAME. */
static void img_sym(struct img *im, char type, const char *name, uint64_t addr, int percpu)
{
	char full[1024];
	uint8_t enc[1024];
	size_t flen, elen = 0, i = 0;
	uint8_t *p = im->m.buf + O_NAMES + im->names_len;
	uint8_t *a = im->m.buf + O_ADDRS;

	flen = (size_t)snprintf(full, sizeof(full), "%c%s", type, name);
	while (i < flen) {
		unsigned best = (uint8_t)full[i];
		size_t blen = 1;
		for (unsigned t = 0x80; t < 0x80 + sizeof(multi) / sizeof(multi[0]); t++) {
			size_t l = strlen(multi[t - 0x80]);
			if (l > blen && !strncmp(full + i, multi[t - 0x80], l))
				best = t, blen = l;
		}
		enc[elen++] = (uint8_t)best;
		i += blen;
	}
	if (elen >= 0x80) {
		*p++ = (uint8_t)(0x80 | (elen & 0x7f));
		*p++ = (uint8_t)(elen >> 7);
		im->names_len += 2;
	} else {
		*p++ = (uint8_t)elen;
		im->names_len++;
	}
	memcpy(p, enc, elen);
	im->names_len += elen;

	if (im->mode == ADDRESSES)
		synth_put(a + 8 * im->n, addr, 8);
	else if (im->mode == RELATIVE)
		synth_put(a + 4 * im->n, addr - KV, 4);
	else if (percpu)
		synth_put(a + 4 * im->n, addr, 4);
	else
		synth_put(a + 4 * im->n, (uint64_t)(int64_t)(KV - 1 - addr) & 0xffffffffu, 4);
	im->n++;
}

static void img_info(struct img *im, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void img_info(struct img *im, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	im->info_len += (size_t)vsnprintf(im->info + im->info_len, sizeof(im->info) - im->info_len,
					  fmt, ap);
	va_end(ap);
}

static char big[201];

static void img_build(struct img *im, enum mode mode)
{
	memset(im->m.buf, 0, MEM_SIZE);
	im->m.size = MEM_SIZE;
	im->m.max_read = 0;
	im->m.reads = 0;
	im->mode = mode;
	im->n = 0;
	im->names_len = 0;
	im->info_len = 0;
	img_tokens(im);
	if (mode == ABS_PERCPU)
		img_sym(im, 'D', "cpu_number", 0x1e000, 1);
	img_sym(im, 'T', "_stext", KV, 0);
	img_sym(im, 'T', "system_stat", KV + 0x100, 0);
	img_sym(im, 'd', "dup", KV + 0x180, 0);
	img_sym(im, 'D', "system_state_x", KV + 0x200, 0);
	img_sym(im, 'D', "system_state", KV + 0x300, 0);
	img_sym(im, 'D', "init_uts_ns", KV + 0x400, 0);
	img_sym(im, 't', big, KV + 0x480, 0);
	img_sym(im, 'D', "jiffies", KV + 0x500, 0);
	img_sym(im, 'd', "dup", KV + 0x580, 0);
	img_sym(im, 'B', "_end", KV + 0xff000, 0);
	synth_put(im->m.buf + O_NUM, im->n, 4);
	synth_put(im->m.buf + O_BASE, KV, 8);

	img_info(im, "OSRELEASE=6.1.0-synthetic\nSYMBOL(init_uts_ns)=%llx\n",
		 (unsigned long long)(KV + 0x400));
	img_info(im, "SYMBOL(kallsyms_names)=%llx\nSYMBOL(kallsyms_num_syms)=%llx\n",
		 (unsigned long long)(KV + O_NAMES), (unsigned long long)(KV + O_NUM));
	img_info(im, "SYMBOL(kallsyms_token_table)=%llx\nSYMBOL(kallsyms_token_index)=%llx\n",
		 (unsigned long long)(KV + O_TTABLE), (unsigned long long)(KV + O_TINDEX));
	if (mode == ADDRESSES)
		img_info(im, "SYMBOL(kallsyms_addresses)=%llx\n", (unsigned long long)(KV + O_ADDRS));
	else
		img_info(im, "SYMBOL(kallsyms_offsets)=%llx\nSYMBOL(kallsyms_relative_base)=%llx\n",
			 (unsigned long long)(KV + O_ADDRS), (unsigned long long)(KV + O_BASE));
	img_info(im, "NUMBER(phys_base)=%lld\nKERNELOFFSET=e800000\n"
		 "NUMBER(KERNEL_IMAGE_SIZE)=1073741824\n", (long long)PHYS_BASE);
}

static int look(struct img *im, const char *name, uint64_t *v)
{
	*v = 0;
	return kallsyms_lookup(im->info, im->info_len, mem_read, &im->m, name, v);
}

/* Replace KEY's line value in the VMCOREINFO text (KEY must be present). */
static void info_set(struct img *im, const char *key, const char *val)
{
	char out[2048], *line = strstr(im->info, key), *nl;
	size_t pre;

	if (!line || !(nl = strchr(line, '\n')))
		abort();
	pre = (size_t)(line - im->info);
	im->info_len = (size_t)snprintf(out, sizeof(out), "%.*s%s=%s%s", (int)pre, im->info, key,
					val, nl);
	memcpy(im->info, out, im->info_len + 1);
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
	img_build(&im, ABS_PERCPU);
	r = kallsyms_kimage_to_phys(im.info, im.info_len, KV + 0x1234, &pa);
	tap_ok(r == 0 && pa == MEM_PA + 0x1234, "kimage_to_phys with a negative phys_base");
	r = kallsyms_kimage_to_phys(im.info, im.info_len, KALLSYMS_START_KERNEL_MAP - 1, &pa);
	tap_is_int(r, -ERANGE, "below __START_KERNEL_map: -ERANGE");
	r = kallsyms_kimage_to_phys(im.info, im.info_len, KALLSYMS_START_KERNEL_MAP + (1ull << 30),
				    &pa);
	tap_is_int(r, -ERANGE, "past KERNEL_IMAGE_SIZE: -ERANGE");
	r = kallsyms_kimage_to_phys(im.info, im.info_len, 0xffffffffffffffffull, &pa);
	tap_is_int(r, -ERANGE, "last address of the address space: -ERANGE");
	info_set(&im, "NUMBER(phys_base)", "4503599627370496");
	r = kallsyms_kimage_to_phys(im.info, im.info_len, KV, &pa);
	tap_is_int(r, -ERANGE, "physical result past 2^52: -ERANGE");
	info_set(&im, "NUMBER(phys_base)", "12x");
	r = kallsyms_kimage_to_phys(im.info, im.info_len, KV, &pa);
	tap_is_int(r, -EINVAL, "malformed phys_base: -EINVAL");
	info_set(&im, "NUMBER(phys_base)", "-148897792");
	info_set(&im, "NUMBER(KERNEL_IMAGE_SIZE)", "0");
	r = kallsyms_kimage_to_phys(im.info, im.info_len, KV, &pa);
	tap_is_int(r, -EINVAL, "KERNEL_IMAGE_SIZE 0: -EINVAL");
	r = kallsyms_kimage_to_phys("OSRELEASE=x\n", 12, KV, &pa);
	tap_is_int(r, -ENOENT, "no phys_base: -ENOENT");

	/* --- the three encodings --- */
	img_build(&im, ABS_PERCPU);
	good_lookups(&im, "absolute-percpu");
	r = look(&im, "cpu_number", &v);
	tap_ok(r == 0 && v == 0x1e000, "absolute-percpu: per-CPU symbol keeps its absolute value");
	img_build(&im, RELATIVE);
	good_lookups(&im, "base-relative");
	img_build(&im, ADDRESSES);
	good_lookups(&im, "absolute addresses");

	/* one open, several finds */
	img_build(&im, ABS_PERCPU);
	r = kallsyms_open(im.info, im.info_len, mem_read, &im.m, &ks);
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
	img_build(&im, ABS_PERCPU);
	im.m.size = (O_NAMES + im.names_len + 4095) & ~4095u;
	r = look(&im, "_end", &v);
	tap_ok(r == 0 && v == KV + 0xff000, "names end %zu bytes before the end of memory: found",
	       im.m.size - O_NAMES - im.names_len);

	/* --- hostile tables --- */
	img_build(&im, ABS_PERCPU);
	strstr(im.info, "SYMBOL(kallsyms_relative_base)")[8] = 'K'; /* the key is gone */
	tap_is_int(look(&im, "jiffies", &v), -EOPNOTSUPP,
		   "no SYMBOL(kallsyms_relative_base) line: -EOPNOTSUPP");
	tap_is_int(kallsyms_lookup("OSRELEASE=5.10\nNUMBER(phys_base)=0\n", 35, mem_read, &im.m,
				   "jiffies", &v), -EOPNOTSUPP, "no kallsyms in VMCOREINFO: -EOPNOTSUPP");

	img_build(&im, ABS_PERCPU);
	info_set(&im, "SYMBOL(kallsyms_names)", "ff11000012340000");
	tap_is_int(look(&im, "jiffies", &v), -ERANGE, "names in the direct map: -ERANGE");

	img_build(&im, ABS_PERCPU);
	info_set(&im, "SYMBOL(kallsyms_relative_base)", "ffffffff8fa00000");
	tap_is_int(look(&im, "jiffies", &v), -EFAULT, "relative_base beyond memory: read error");

	img_build(&im, ABS_PERCPU);
	synth_put(im.m.buf + O_NUM, KALLSYMS_MAX_SYMS + 1, 4);
	tap_is_int(look(&im, "jiffies", &v), -EBADMSG, "num_syms 2^22+1: -EBADMSG");
	synth_put(im.m.buf + O_NUM, 0xffffffff, 4);
	tap_is_int(look(&im, "jiffies", &v), -EBADMSG, "num_syms 2^32-1: -EBADMSG");
	synth_put(im.m.buf + O_NUM, KALLSYMS_MAX_SYMS, 4);
	tap_is_int(look(&im, "jiffies", &v), -EFAULT,
		   "num_syms 2^22 with the offsets past memory: read error at open");

	/* a walk past the last real name: zeros there are a zero length */
	img_build(&im, ADDRESSES);
	synth_put(im.m.buf + O_NUM, KALLSYMS_MAX_SYMS, 4);
	tap_is_int(look(&im, "nothere", &v), -EBADMSG, "num_syms too large, zero length: -EBADMSG");
	/* ... and 1-token names all the way: the walk runs into the end of memory */
	memset(im.m.buf + O_NAMES + im.names_len, 0x01, MEM_SIZE - O_NAMES - im.names_len);
	im.m.reads = 0;
	tap_is_int(look(&im, "nothere", &v), -EFAULT, "num_syms too large: read error at memory end");
	tap_ok(im.m.reads < 64, "... after %lu reads (windowed)", im.m.reads);

	/* a name whose length runs past the end of memory while it still matches */
	img_build(&im, ADDRESSES);
	info_set(&im, "SYMBOL(kallsyms_names)", "ffffffff8f8fff00");
	synth_put(im.m.buf + O_NUM, 1, 4);
	im.m.buf[0xfff00] = 0xff, im.m.buf[0xfff01] = 0x7f; /* len 0x3fff */
	im.m.buf[0xfff02] = 'D';
	memset(im.m.buf + 0xfff03, T_EMPTY, 0xfd);
	tap_is_int(look(&im, "jiffies", &v), -EFAULT, "length past the end of memory: read error");
	im.m.buf[0xfff01] = 0x80; /* second length byte with bit 7 */
	tap_is_int(look(&im, "jiffies", &v), -EBADMSG, "length over 14 bits: -EBADMSG");
	im.m.buf[0xfff00] = 0;
	tap_is_int(look(&im, "jiffies", &v), -EBADMSG, "zero length: -EBADMSG");

	/* token index and token table */
	img_build(&im, ABS_PERCPU);
	synth_put(im.m.buf + O_TINDEX + 2 * 'j', 0xffff, 2);
	tap_is_int(look(&im, "jiffies", &v), -EBADMSG, "token index 0xffff: -EBADMSG");
	synth_put(im.m.buf + O_TINDEX + 2 * 'j', KALLSYMS_TOKEN_TABLE_MAX, 2);
	tap_is_int(look(&im, "jiffies", &v), -EBADMSG, "token index at the table limit: -EBADMSG");
	synth_put(im.m.buf + O_TINDEX + 2 * 'j', 0x800, 2);
	memset(im.m.buf + O_TTABLE + 0x800, 'j', KALLSYMS_TOKEN_TABLE_MAX - 0x800);
	tap_is_int(look(&im, "jiffies", &v), -EBADMSG, "token table without its NUL: -EBADMSG");
	img_build(&im, ABS_PERCPU);
	info_set(&im, "SYMBOL(kallsyms_token_table)", "ffffffff8f8ffff0");
	memset(im.m.buf + 0xffff0, 'x', 0x10);
	tap_is_int(look(&im, "jiffies", &v), -EFAULT, "token table running off memory: read error");

	free(im.m.buf);
	return tap_done();
}
