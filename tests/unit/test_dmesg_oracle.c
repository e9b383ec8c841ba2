// SPDX-License-Identifier: GPL-2.0-or-later
// makedumpfile as the oracle: synthetic ELF vmcores (both printk layouts, wrapped rings,
// every descriptor state, truncated and empty records, dictionaries, escapes, 4- and 5-level
// paging) must give byte-for-byte the text `makedumpfile --dump-dmesg` writes for them.
// Skips when makedumpfile is not installed.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/printk.h"
#include "format/vmcore.h"
#include "tap.h"
#include "unit/synth.h"

static char dir[] = "/tmp/hvdump-oracle.XXXXXX";

struct sink {
	char *buf;
	size_t len;
};

static int sink_emit(void *ctx, const char *buf, size_t len)
{
	struct sink *s = ctx;
	char *n = realloc(s->buf, s->len + len + 1);

	if (!n)
		return -ENOMEM;
	s->buf = n;
	memcpy(s->buf + s->len, buf, len);
	s->len += len;
	return 0;
}

static int read_virt(void *ctx, uint64_t va, void *buf, size_t len)
{
	return vmcore_read_virt(ctx, va, buf, len);
}

/* Write S as an ELF vmcore, run both, compare. */
static void compare(const struct synth *s, const char *name)
{
	char elf[256], out[256], cmd[1024];
	struct printk_source src = { .read = read_virt };
	struct printk_result res;
	struct sink ours = { NULL, 0 };
	struct vmcore *v = NULL;
	uint8_t *img;
	char *theirs = NULL;
	size_t len, tlen = 0;
	FILE *f;
	int r;

	img = synth_elf(s, 2, &len);
	snprintf(elf, sizeof(elf), "%s/%s.elf", dir, name);
	snprintf(out, sizeof(out), "%s/%s.txt", dir, name);
	f = fopen(elf, "wb");
	if (!f || fwrite(img, 1, len, f) != len || fclose(f))
		abort();
	snprintf(cmd, sizeof(cmd), "makedumpfile --dump-dmesg %s %s >%s/%s.log 2>&1", elf, out,
		 dir, name);
	r = system(cmd);
	f = fopen(out, "rb");
	if (f) {
		theirs = malloc(1 << 20);
		tlen = fread(theirs, 1, 1 << 20, f);
		fclose(f);
	}
	tap_ok(r == 0 && theirs, "%s: makedumpfile reads the synthetic dump", name);

	if (vmcore_open_mem(img, len, &v) == 0) {
		src.info = vmcore_info(v, &src.info_len);
		src.read_ctx = v;
		r = printk_dump(&src, sink_emit, &ours, &res);
		vmcore_close(v);
	} else {
		r = -1;
	}
	tap_ok(r == 0 && theirs && ours.len == tlen && !memcmp(ours.buf, theirs, tlen),
	       "%s: byte-identical to makedumpfile (%zu bytes, %llu records)", name, tlen,
	       (unsigned long long)res.records);
	if (theirs && (ours.len != tlen || memcmp(ours.buf, theirs, tlen)))
		tap_diag("ours:\n%.*s\ntheirs:\n%.*s", (int)ours.len, ours.buf, (int)tlen, theirs);
	free(theirs);
	free(ours.buf);
	free(img);
	unlink(elf);
	unlink(out);
	snprintf(cmd, sizeof(cmd), "%s/%s.log", dir, name);
	unlink(cmd);
}

static const char *const lines[] = {
	"Linux version 6.1.0 (synthetic)", "multi\nline\nrecord", "esc \x01\x1b\x7f \xe2\x82\xac \xff",
	"tab\there\rcr\vvt\fff", "", "a longer line of text to push the ring around its end: 0123456789",
};

static void lockless(unsigned levels)
{
	struct synth s;
	struct synth_prb r;
	uint64_t p = 0x100000, base;
	char name[64];

	if (synth_init(&s, 4u << 20, levels))
		abort();
	base = synth_map_range(&s, p, synth_prb_bytes(5, 10));
	synth_prb_init(&r, s.mem + p, base, 0, 5, 10, (1ull << 62) - 40, 1024 * 7 - 64);
	synth_infof(&s, "SYMBOL(prb)=%llx\n%s", (unsigned long long)SYNTH_TEXT(p), SYNTH_PRB_INFO);
	for (int i = 0; i < 90; i++) {
		const char *t = lines[i % 6];
		synth_prb_add(&r, (uint64_t)i * 987654321ull, t, strlen(t));
	}
	snprintf(name, sizeof(name), "prb-%ulevel-wrapped", levels);
	compare(&s, name);

	/* every state, a recycled id, a truncated text */
	synth_put(synth_prb_desc(&r, r.head_id - 1), 0ull << 62 | (r.head_id - 1), 8);
	synth_put(synth_prb_desc(&r, r.head_id - 2), 1ull << 62 | (r.head_id - 2), 8);
	synth_put(synth_prb_desc(&r, r.head_id - 3), 3ull << 62 | (r.head_id - 3), 8);
	synth_put(synth_prb_desc(&r, r.head_id - 4), 2ull << 62 | (r.head_id - 4 + 32), 8);
	synth_put(synth_prb_info(&r, r.head_id - 5) + 16, 60000, 2);
	snprintf(name, sizeof(name), "prb-%ulevel-states", levels);
	compare(&s, name);
	tap_ok(r.wrapped > 2, "prb-%ulevel: %u wrapped blocks, ids crossed 2^62", levels, r.wrapped);
	synth_free(&s);
}

static void log_buf(void)
{
	struct synth s;
	struct synth_logbuf l;
	uint64_t p = 0x100000, base, i;

	if (synth_init(&s, 4u << 20, 4))
		abort();
	base = synth_map_range(&s, p, 64 + 4096);
	synth_logbuf_init(&l, s.mem + p, base, 0, 4096);
	synth_infof(&s, "SYMBOL(log_buf)=%llx\nSYMBOL(log_buf_len)=%llx\n"
		    "SYMBOL(log_first_idx)=%llx\nSYMBOL(log_next_idx)=%llx\n%s",
		    (unsigned long long)base, (unsigned long long)base + 8,
		    (unsigned long long)base + 16, (unsigned long long)base + 24, SYNTH_LOGBUF_INFO);
	/* oldest records at the end of the buffer, a zero-length marker, newer ones from 0 */
	i = 3000;
	for (int k = 0; i < 3900; k++)
		i = synth_logbuf_put(&l, i, 1000000ull * (uint64_t)k, lines[k % 6], strlen(lines[k % 6]),
				     (size_t)(k % 3) * 11);
	synth_logbuf_marker(&l, i);
	l.first = 3000;
	i = 0;
	for (int k = 0; k < 20; k++)
		i = synth_logbuf_put(&l, i, 5000000000ull + (uint64_t)k, lines[k % 6],
				     strlen(lines[k % 6]), 7);
	l.next = i;
	synth_logbuf_sync(&l);
	compare(&s, "log_buf-wrapped");
	synth_free(&s);
}

int main(void)
{
	if (system("command -v makedumpfile >/dev/null 2>&1") != 0) {
		tap_skip_all("makedumpfile not installed (apt-get install makedumpfile)");
		return 0;
	}
	if (!mkdtemp(dir))
		return 1;
	lockless(4);
	lockless(5);
	log_buf();
	rmdir(dir);
	return tap_done();
}
