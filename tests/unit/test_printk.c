// SPDX-License-Identifier: GPL-2.0-or-later
// Kernel log extraction from synthetic rings written the way the kernel writes them:
// makedumpfile's exact text, wrap-around of data blocks and ids, descriptor states,
// truncated blocks, the log_buf layout, and hostile values that must give an error, not a
// crash or an endless walk.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/printk.h"
#include "tap.h"
#include "unit/synth.h"

#define BASE 0xffff888000100000ull
#define MEMSZ (1u << 20)

struct flat {
	uint8_t *mem;
	uint64_t base;
	size_t size;
};

static int flat_read(void *ctx, uint64_t a, void *buf, size_t len)
{
	struct flat *f = ctx;

	if (a < f->base || a - f->base > f->size || len > f->size - (a - f->base))
		return -EFAULT;
	memcpy(buf, f->mem + (a - f->base), len);
	return 0;
}

struct sink {
	char *buf;
	size_t len, cap;
	int fail_after;   /* >0: fail the Nth emit call */
};

static int sink_emit(void *ctx, const char *buf, size_t len)
{
	struct sink *s = ctx;

	if (s->fail_after && --s->fail_after == 0)
		return -EPIPE;
	if (s->len + len + 1 > s->cap) {
		s->cap = (s->len + len + 1) * 2;
		s->buf = realloc(s->buf, s->cap);
		if (!s->buf)
			abort();
	}
	memcpy(s->buf + s->len, buf, len);
	s->len += len;
	s->buf[s->len] = '\0';
	return 0;
}

static struct flat mem;
static char info[16384];
static struct printk_result res;
static struct sink out;

static int run(const char *vmcoreinfo, unsigned max_bits)
{
	struct printk_source src = { .info = vmcoreinfo, .info_len = strlen(vmcoreinfo),
				     .read = flat_read, .read_ctx = &mem,
				     .max_ring_bits = max_bits };
	free(out.buf);
	memset(&out, 0, sizeof(out));
	return printk_dump(&src, sink_emit, &out, &res);
}

static const char *text(void) { return out.buf ? out.buf : ""; }

/* A fresh ring at offset 0 of the flat memory; VMCOREINFO in `info`. */
static void prb_new(struct synth_prb *r, unsigned cbits, unsigned sbits, uint64_t id,
		    uint64_t lpos)
{
	memset(mem.mem, 0, MEMSZ);
	synth_prb_init(r, mem.mem, BASE, 0, cbits, sbits, id, lpos);
	snprintf(info, sizeof(info), "OSRELEASE=6.1.0\nSYMBOL(prb)=%llx\n%s",
		 (unsigned long long)BASE, SYNTH_PRB_INFO);
}

static void test_format(void)
{
	static const uint8_t t[] = "a\nb\x01\xe2\t\x7f\r ~";

	free(out.buf);
	memset(&out, 0, sizeof(out));
	tap_ok(printk_format_record(1234567890123ull, t, sizeof(t) - 1, sink_emit, &out) == 0 &&
	       !strcmp(text(), "[ 1234.567890] a\n               b\\x01\\xffffffe2\t\\x7f\r ~\n"),
	       "format: prefix, newline indent, C-locale escapes, sign-extended high bytes");
	free(out.buf);
	memset(&out, 0, sizeof(out));
	tap_ok(printk_format_record(UINT64_MAX, (const uint8_t *)"", 0, sink_emit, &out) == 0 &&
	       !strcmp(text(), "[18446744073.709551] \n"), "format: largest timestamp, empty text");
}

static void test_basic(void)
{
	struct synth_prb r;

	prb_new(&r, 4, 10, 100, 0);
	synth_prb_add(&r, 0, "Linux version 6.1", 17);
	synth_prb_add(&r, 1500000, "two\nlines", 9);
	synth_prb_add(&r, 3000000999ull, "third", 5);
	tap_is_int(run(info, 0), 0, "basic ring: read");
	tap_is_str(text(), "[    0.000000] Linux version 6.1\n"
			   "[    0.001500] two\n"
			   "               lines\n"
			   "[    3.000000] third\n", "basic ring: makedumpfile's text");
	tap_ok(res.layout == PRINTK_LAYOUT_LOCKLESS && res.records == 3 && res.skipped == 1,
	       "basic ring: 3 printed, the initial reusable descriptor not");
}

static const char alpha[] = "abcdefghijklmnopqrstuvwxyz0123456789";

/* Lines "msg N ..." must be consecutive and end at LAST; returns the first N or -1.  Text
 * after "msg N " must be the first N % 37 letters of alpha. */
static long consecutive(const char *s, long last)
{
	long first = -1, prev = -1, n;
	const char *p = s;
	char *e;

	while ((p = strstr(p, "] msg ")) != NULL) {
		n = strtol(p + 6, &e, 10);
		if (prev >= 0 && n != prev + 1)
			return -1;
		if (*e == ' ' && (strncmp(e + 1, alpha, (size_t)(n % 37)) || e[1 + n % 37] != '\n'))
			return -1;
		if (first < 0)
			first = n;
		prev = n;
		p += 6;
	}
	return prev == last ? first : -1;
}

static void test_wrap(void)
{
	struct synth_prb r;
	char t[80];
	long first;

	/* a 512-byte data ring, 16 descriptors, lpos starting just before a wrap */
	prb_new(&r, 4, 9, 7, 512 * 5 - 24);
	for (int i = 0; i < 100; i++) {
		int n = snprintf(t, sizeof(t), "msg %d %.*s", i, i % 37, alpha);
		synth_prb_add(&r, (uint64_t)i * 1000, t, (size_t)n);
	}
	tap_is_int(run(info, 0), 0, "wrapped data ring: read");
	first = consecutive(text(), 99);
	tap_ok(first > 0 && res.records == (uint64_t)(100 - first) && res.records <= 15,
	       "wrapped data ring: the newest records, consecutive, ending with msg 99 (%ld..99)",
	       first);
	tap_ok(r.wrapped > 3, "wrapped data ring: %u blocks were stored wrapped", r.wrapped);

	/* descriptor ids crossing the 62-bit wrap */
	prb_new(&r, 3, 10, SYNTH_ID_MASK - 3, 0);
	for (int i = 0; i < 6; i++) {
		int n = snprintf(t, sizeof(t), "msg %d", i);
		synth_prb_add(&r, 1, t, (size_t)n);
	}
	tap_ok(run(info, 0) == 0 && consecutive(text(), 5) == 0 && r.head_id == 2,
	       "descriptor ids wrapping past 2^62: all records, in order");

	/* a full descriptor ring (data to spare): count - 1 records after the reusable one */
	prb_new(&r, 3, 12, 0, 0);
	for (int i = 0; i < 20; i++) {
		int n = snprintf(t, sizeof(t), "msg %d", i);
		synth_prb_add(&r, 1, t, (size_t)n);
	}
	tap_ok(run(info, 0) == 0 && consecutive(text(), 19) == 12 && res.records == 8,
	       "full descriptor ring: the last 8 records");
}

static void test_states(void)
{
	struct synth_prb r;
	uint8_t *d;

	prb_new(&r, 4, 10, 50, 0);
	for (int i = 0; i < 6; i++) {
		char t[8] = "msg X";
		t[4] = (char)('0' + i);
		synth_prb_add(&r, 0, t, 5);
	}
	synth_put(synth_prb_desc(&r, 52), 0ull << 62 | 52, 8);   /* reserved */
	synth_put(synth_prb_desc(&r, 53), 1ull << 62 | 53, 8);   /* committed */
	synth_put(synth_prb_desc(&r, 54), 3ull << 62 | 54, 8);   /* reusable */
	synth_put(synth_prb_desc(&r, 55), 2ull << 62 | (55 + 16), 8); /* recycled: id mismatch */
	tap_is_int(run(info, 0), 0, "states: read");
	tap_is_str(text(), "[    0.000000] msg 0\n[    0.000000] msg 2\n[    0.000000] msg 5\n",
		   "states: committed and finalized shown; reserved, reusable, recycled not");
	tap_ok(res.records == 3 && res.skipped == 4, "states: 3 printed, 4 skipped");

	prb_new(&r, 4, 10, 0, 0);
	synth_prb_add(&r, 0, "a", 1);
	synth_prb_add(&r, 0, "", 0);
	synth_prb_add(&r, 0, "b", 1);
	tap_ok(run(info, 0) == 0 && !strcmp(text(), "[    0.000000] a\n[    0.000000] b\n"),
	       "data-less record (empty line) is not printed, as makedumpfile does not");

	/* text_len larger than its block: the kernel truncated; print what the block holds */
	prb_new(&r, 4, 10, 0, 0);
	synth_prb_add(&r, 0, "abc", 3);
	synth_put(synth_prb_info(&r, 1) + 16, 200, 2);
	tap_ok(run(info, 0) == 0 &&
	       !strcmp(text(), "[    0.000000] abc\\x00\\x00\\x00\\x00\\x00\n"),
	       "truncated record: text_len clamped to the data block");

	/* a block whose next lies before its text: corrupt, skipped, the walk goes on */
	prb_new(&r, 4, 10, 0, 0);
	synth_prb_add(&r, 0, "first", 5);
	synth_prb_add(&r, 0, "second", 6);
	d = synth_prb_desc(&r, 1);
	synth_put(d + 16, synth_get(d + 8, 8) + 4, 8);
	tap_ok(run(info, 0) == 0 && res.corrupt == 1 && !strcmp(text(), "[    0.000000] second\n"),
	       "block shorter than its id header: counted corrupt, walk continues");
}

static void set_info_key(const char *key, const char *val)
{
	char *p = strstr(info, key), *e;

	if (!p)
		abort();
	e = strchr(p, '\n');
	if (val) {
		char rest[sizeof(info)];
		size_t at = (size_t)(p - info) + strlen(key);
		snprintf(rest, sizeof(rest), "%s", e);
		snprintf(info + at, sizeof(info) - at, "=%s%s", val, rest);
	} else {
		memmove(p, e + 1, strlen(e + 1) + 1);
	}
}

static void test_hostile(void)
{
	struct synth_prb r;

	prb_new(&r, 4, 10, 0, 0);
	synth_prb_add(&r, 0, "x", 1);
	synth_put(mem.mem + r.prb, 27, 4);
	tap_ok(run(info, 0) == -EBADMSG && strstr(res.why, "count_bits 27"),
	       "count_bits past the kernel's limit refused (%s)", res.why);
	synth_put(mem.mem + r.prb, 4, 4);
	synth_put(mem.mem + r.prb + 48, 32, 4);
	tap_ok(run(info, 0) == -EBADMSG && strstr(res.why, "size_bits 32"),
	       "data ring size_bits past the kernel's limit refused");
	synth_put(mem.mem + r.prb + 48, 10, 4);
	tap_ok(run(info, 3) == -EBADMSG, "max_ring_bits caps the ring");

	synth_put(mem.mem + r.prb + 24, 1ull << 40, 8);
	tap_ok(run(info, 0) == -EBADMSG && strstr(res.why, "apart"),
	       "head_id far from tail_id refused, no long walk (%s)", res.why);
	synth_put(mem.mem + r.prb + 24, 1, 8);

	synth_put(mem.mem + r.prb + 8, 0xffff800000000000ull, 8);
	tap_ok(run(info, 0) == -EFAULT && strstr(res.why, "descriptor state") &&
	       strstr(res.why, "not in the dump"), "descriptor array not in memory: -EFAULT (%s)",
	       res.why);
	synth_put(mem.mem + r.prb + 8, UINT64_MAX - 100, 8);
	tap_ok(run(info, 0) == -EBADMSG && strstr(res.why, "wraps"),
	       "descriptor array wrapping the address space refused");
	synth_put(mem.mem + r.prb + 8, BASE + r.descs, 8);
	synth_put(mem.mem, 0, 8);
	tap_ok(run(info, 0) == -EFAULT && strstr(res.why, "count_bits at 0x0:"),
	       "prb pointer NULL: -EFAULT naming the field (%s)", res.why);
	synth_put(mem.mem, BASE + r.prb, 8);
	tap_ok(run(info, 0) == 0 && !strcmp(text(), "[    0.000000] x\n"), "restored ring reads again");

	set_info_key("OFFSET(prb_desc.state_var)", NULL);
	tap_ok(run(info, 0) == -ENOKEY && strstr(res.why, "OFFSET(prb_desc.state_var)"),
	       "missing VMCOREINFO key named (%s)", res.why);
	prb_new(&r, 4, 10, 0, 0);
	set_info_key("OFFSET(printk_info.text_len)", "87");
	tap_ok(run(info, 0) == -EBADMSG && strstr(res.why, "printk_info.text_len"),
	       "OFFSET beyond its SIZE refused");
	prb_new(&r, 4, 10, 0, 0);
	set_info_key("SIZE(prb_desc)", "-24");
	tap_ok(run(info, 0) == -EBADMSG, "negative SIZE refused");
	prb_new(&r, 4, 10, 0, 0);
	set_info_key("SYMBOL(prb)", "zz");
	tap_ok(run(info, 0) == -EBADMSG && strstr(res.why, "malformed"), "malformed SYMBOL refused");
	tap_ok(run("OSRELEASE=6.1\n", 0) == -ENOKEY && strstr(res.why, "neither"),
	       "no SYMBOL(prb) nor SYMBOL(log_buf): -ENOKEY");

	prb_new(&r, 4, 10, 0, 0);
	for (int i = 0; i < 10; i++)
		synth_prb_add(&r, 0, "a line of text", 14);
	{
		struct printk_source src = { .info = info, .info_len = strlen(info),
					     .read = flat_read, .read_ctx = &mem };
		free(out.buf);
		memset(&out, 0, sizeof(out));
		out.fail_after = 1;
		tap_ok(printk_dump(&src, sink_emit, &out, &res) == -EPIPE && strstr(res.why, "write"),
		       "an output error stops the walk and is reported");
	}
}

static void logbuf_new(struct synth_logbuf *l, uint64_t len)
{
	memset(mem.mem, 0, MEMSZ);
	synth_logbuf_init(l, mem.mem, BASE, 0, len);
	snprintf(info, sizeof(info),
		 "OSRELEASE=4.19.0\nSYMBOL(log_buf)=%llx\nSYMBOL(log_buf_len)=%llx\n"
		 "SYMBOL(log_first_idx)=%llx\nSYMBOL(log_next_idx)=%llx\n%s",
		 (unsigned long long)BASE, (unsigned long long)BASE + 8,
		 (unsigned long long)BASE + 16, (unsigned long long)BASE + 24, SYNTH_LOGBUF_INFO);
}

static void test_log_buf(void)
{
	struct synth_logbuf l;
	uint64_t i;

	/* A at 160, B at 192, end marker at 232, C at 0, D at 32; first 160, next 64 */
	logbuf_new(&l, 256);
	i = synth_logbuf_put(&l, 160, 1000, "A one", 5, 3);
	i = synth_logbuf_put(&l, i, 2000000, "B two\nlines", 11, 0);
	synth_logbuf_marker(&l, i);
	i = synth_logbuf_put(&l, 0, 3000000000ull, "C \xff", 3, 8);
	i = synth_logbuf_put(&l, i, 4000000000ull, "D", 1, 0);
	l.first = 160;
	l.next = i;
	synth_logbuf_sync(&l);
	tap_is_int(run(info, 0), 0, "log_buf: read");
	tap_is_str(text(), "[    0.000001] A one\n"
			   "[    0.002000] B two\n"
			   "               lines\n"
			   "[    3.000000] C \\xffffffff\n"
			   "[    4.000000] D\n", "log_buf: records across the wrap, dictionaries not shown");
	tap_ok(res.layout == PRINTK_LAYOUT_LOG_BUF && res.records == 4, "log_buf: 4 records");

	l.first = l.next;
	synth_logbuf_sync(&l);
	tap_ok(run(info, 0) == 0 && res.records == 0 && out.len == 0, "log_buf: empty log");

	/* hostile */
	l.first = 300;
	synth_logbuf_sync(&l);
	tap_ok(run(info, 0) == -EBADMSG && strstr(res.why, "outside log_buf"),
	       "log_first_idx outside log_buf refused");
	l.first = 0;
	l.next = 120;  /* never reached: 0 -> 24 -> 48 -> 24 ... */
	synth_logbuf_sync(&l);
	synth_logbuf_put(&l, 0, 0, "loop", 4, 0);
	synth_logbuf_put(&l, 24, 0, "loop", 4, 0);
	synth_put(mem.mem + l.buf + 24 + 8, 0, 2);   /* marker: continue at 0 */
	tap_ok(run(info, 0) == -ELOOP && strstr(res.why, "cycle"),
	       "log_buf cycle detected, walk bounded (%s)", res.why);
	synth_put(mem.mem + l.buf + 8, 250, 2);
	tap_ok(run(info, 0) == -EBADMSG && strstr(res.why, "points outside"),
	       "record length leading outside log_buf refused");
	synth_put(mem.mem + l.buf + 8, 24, 2);
	synth_put(mem.mem + l.buf + 10, 9000, 2);
	l.next = 24;
	synth_logbuf_sync(&l);
	tap_ok(run(info, 0) == 0 && res.corrupt == 1, "text_len past log_buf: skipped as corrupt");
	synth_put(mem.mem + 8, 1u << 31 | 1u << 30, 4);
	tap_ok(run(info, 0) == -EBADMSG && strstr(res.why, "log_buf_len"),
	       "absurd log_buf_len refused");
	synth_put(mem.mem + 8, 256, 4);

	strcat(info, "SYMBOL(log_end)=ffffffff81000000\n");
	tap_ok(run(info, 0) == -EOPNOTSUPP && strstr(res.why, "3.5"),
	       "pre-3.5 log_end layout: -EOPNOTSUPP, said clearly");
}

int main(void)
{
	mem.mem = calloc(1, MEMSZ);
	mem.base = BASE;
	mem.size = MEMSZ;
	if (!mem.mem)
		return 1;
	test_format();
	test_basic();
	test_wrap();
	test_states();
	test_hostile();
	test_log_buf();
	free(out.buf);
	free(mem.mem);
	return tap_done();
}
