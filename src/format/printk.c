// SPDX-License-Identifier: GPL-2.0-or-later
// Kernel log extraction.  Records are read one at a time from the guest (never a whole ring
// at once), so a hostile ring size costs loop iterations, not memory, and those iterations are
// bounded by the ring size, which is capped at the kernel's own limit.
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/printk.h"
#include "format/vmcoreinfo.h"

#define DESC_STATE_SHIFT 62
#define DESC_ID_MASK     (~(3ull << DESC_STATE_SHIFT))
#define DESC_COMMITTED   1u
#define DESC_FINALIZED   2u
#define MAX_OFFSET       (1u << 16)  /* no field of these structures lies further in */
#define MAX_TEXT         65535u      /* text_len is a u16 */

struct out {
	printk_emit_fn emit;
	void *ctx;
	size_t len;
	char buf[8192];
};

static int out_flush(struct out *o)
{
	int r = 0;

	if (o->len)
		r = o->emit(o->ctx, o->buf, o->len);
	o->len = 0;
	return r;
}

/* Room for the longest piece appended at once: a newline and an indent, or "\xffffffNN". */
static int out_reserve(struct out *o, size_t n)
{
	return o->len + n > sizeof(o->buf) ? out_flush(o) : 0;
}

/* makedumpfile prints with isprint()/isspace() in the C locale (it never calls setlocale),
 * so these are spelt out rather than left to whatever locale we run in. */
static int c_isprint_or_space(uint8_t c)
{
	return (c >= 0x20 && c <= 0x7e) || (c >= '\t' && c <= '\r');
}

static int format_record(struct out *o, uint64_t ts_nsec, const uint8_t *text, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	char prefix[48];
	int indent, r;

	indent = snprintf(prefix, sizeof(prefix), "[%5" PRIu64 ".%06" PRIu64 "] ",
			  ts_nsec / 1000000000u, ts_nsec % 1000000000u / 1000u);
	r = out_reserve(o, (size_t)indent);
	if (r < 0)
		return r;
	memcpy(o->buf + o->len, prefix, (size_t)indent);
	o->len += (size_t)indent;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = text[i];

		r = out_reserve(o, 1 + sizeof(prefix));
		if (r < 0)
			return r;
		if (c == '\n') {
			o->buf[o->len++] = '\n';
			memset(o->buf + o->len, ' ', (size_t)indent);
			o->len += (size_t)indent;
		} else if (c_isprint_or_space(c)) {
			o->buf[o->len++] = (char)c;
		} else {
			/* "\\x%02x" of a (signed) char: bytes >= 0x80 sign-extend to 8 digits */
			memcpy(o->buf + o->len, c >= 0x80 ? "\\xffffff" : "\\x", c >= 0x80 ? 8 : 2);
			o->len += c >= 0x80 ? 8 : 2;
			o->buf[o->len++] = hex[c >> 4];
			o->buf[o->len++] = hex[c & 15];
		}
	}
	r = out_reserve(o, 1);
	if (r < 0)
		return r;
	o->buf[o->len++] = '\n';
	return 0;
}

int printk_format_record(uint64_t ts_nsec, const uint8_t *text, size_t len, printk_emit_fn emit,
			 void *emit_ctx)
{
	struct out *o = malloc(sizeof(*o));
	int r;

	if (!o)
		return -ENOMEM;
	o->emit = emit;
	o->ctx = emit_ctx;
	o->len = 0;
	r = format_record(o, ts_nsec, text, len);
	if (r == 0)
		r = out_flush(o);
	free(o);
	return r;
}

/* --- reading ------------------------------------------------------------------------------ */

struct walk {
	const struct printk_source *src;
	struct printk_result *res;
	struct out *out;
	uint8_t *text;                   /* MAX_TEXT bytes */
};

static int fail(struct walk *w, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct walk *w, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->res->why, sizeof(w->res->why), fmt, ap);
	va_end(ap);
	return err;
}

static int key(struct walk *w, const char *k, uint64_t *v)
{
	int r = vmcoreinfo_get_u64(w->src->info, w->src->info_len, k, v);

	if (r == -ENOENT)
		return fail(w, -ENOKEY, "VMCOREINFO lacks %s", k);
	if (r < 0)
		return fail(w, -EBADMSG, "VMCOREINFO has a malformed %s", k);
	return 0;
}

/* An OFFSET() that must leave WIDTH bytes inside a structure of SIZE bytes (0: no size known). */
static int key_off(struct walk *w, const char *k, uint64_t width, uint64_t size, uint64_t *v)
{
	int r = key(w, k, v);

	if (r < 0)
		return r;
	if (*v > MAX_OFFSET || (size && *v + width > size))
		return fail(w, -EBADMSG, "VMCOREINFO %s=%" PRId64 " is out of range", k, (int64_t)*v);
	return 0;
}

static int key_size(struct walk *w, const char *k, uint64_t *v)
{
	int r = key(w, k, v);

	if (r < 0)
		return r;
	if (*v == 0 || *v > MAX_OFFSET)
		return fail(w, -EBADMSG, "VMCOREINFO %s=%" PRId64 " is out of range", k, (int64_t)*v);
	return 0;
}

/* Present at all, even with a malformed value (which key() then reports)? */
static int has_key(const struct printk_source *src, const char *k)
{
	char v[32];
	int r = vmcoreinfo_get(src->info, src->info_len, k, v, sizeof(v));

	return r == 0 || r == -E2BIG;
}

/* ADDR + OFF, refusing a sum that wraps. */
static int addr_at(struct walk *w, uint64_t addr, uint64_t off, uint64_t *out, const char *what)
{
	if (__builtin_add_overflow(addr, off, out))
		return fail(w, -EBADMSG, "%s: address 0x%" PRIx64 " + 0x%" PRIx64 " wraps", what,
			    addr, off);
	return 0;
}

static const char *read_error(int err)
{
	switch (err) {
	case -EFAULT:
		return "not in the dump";
	case -ENXIO:
		return "not mapped by the guest's page tables";
	case -ENOKEY:
		return "cannot translate addresses (VMCOREINFO lacks NUMBER(phys_base) or "
		       "SYMBOL(init_top_pgt))";
	case -EBADMSG:
		return "malformed page-table entry";
	default:
		return strerror(-err);
	}
}

static int rd(struct walk *w, uint64_t addr, void *buf, size_t len, const char *what)
{
	int r = w->src->read(w->src->read_ctx, addr, buf, len);

	if (r < 0)
		return fail(w, r, "cannot read %s at 0x%" PRIx64 ": %s", what, addr, read_error(r));
	return 0;
}

static uint64_t le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	while (n--)
		v = v << 8 | p[n];
	return v;
}

static int rd_u(struct walk *w, uint64_t addr, unsigned width, uint64_t *v, const char *what)
{
	uint8_t b[8];
	int r = rd(w, addr, b, width, what);

	if (r == 0)
		*v = le(b, width);
	return r;
}

static unsigned bits_cap(const struct walk *w, unsigned kernel_max)
{
	unsigned m = w->src->max_ring_bits;
	return m && m < kernel_max ? m : kernel_max;
}

static int emit_text(struct walk *w, uint64_t ts, uint64_t text_addr, size_t len)
{
	int r = rd(w, text_addr, w->text, len, "record text");

	if (r < 0)
		return r;
	r = format_record(w->out, ts, w->text, len);
	if (r < 0)
		return fail(w, r, "cannot write the log: %s", strerror(-r));
	w->res->records++;
	return 0;
}

/* --- lockless ring (5.10+) ----------------------------------------------------------------- */

struct prb {
	uint64_t descs, infos, data, count, size;
	uint64_t desc_size, state_off, begin_off, next_off;
	uint64_t info_size, ts_off, len_off;
};

static int prb_setup(struct walk *w, struct prb *p, uint64_t *tail, uint64_t *head)
{
	uint64_t prb_sym, prb, dr, tr, o_cb, o_descs, o_infos, o_head, o_tail, o_sb, o_data, o_ctr;
	uint64_t o_dr, o_tr, o_state, o_lpos, o_begin, o_next, lpos_size, bits, a;
	int r;

	if ((r = key(w, "SYMBOL(prb)", &prb_sym)) ||
	    (r = key_off(w, "OFFSET(printk_ringbuffer.desc_ring)", 0, 0, &o_dr)) ||
	    (r = key_off(w, "OFFSET(printk_ringbuffer.text_data_ring)", 0, 0, &o_tr)) ||
	    (r = key_off(w, "OFFSET(prb_desc_ring.count_bits)", 4, 0, &o_cb)) ||
	    (r = key_off(w, "OFFSET(prb_desc_ring.descs)", 8, 0, &o_descs)) ||
	    (r = key_off(w, "OFFSET(prb_desc_ring.infos)", 8, 0, &o_infos)) ||
	    (r = key_off(w, "OFFSET(prb_desc_ring.head_id)", 8, 0, &o_head)) ||
	    (r = key_off(w, "OFFSET(prb_desc_ring.tail_id)", 8, 0, &o_tail)) ||
	    (r = key_off(w, "OFFSET(prb_data_ring.size_bits)", 4, 0, &o_sb)) ||
	    (r = key_off(w, "OFFSET(prb_data_ring.data)", 8, 0, &o_data)) ||
	    (r = key_size(w, "SIZE(prb_desc)", &p->desc_size)) ||
	    (r = key_off(w, "OFFSET(prb_desc.state_var)", 8, p->desc_size, &o_state)) ||
	    (r = key_off(w, "OFFSET(prb_desc.text_blk_lpos)", 16, p->desc_size, &o_lpos)) ||
	    (r = key_size(w, "SIZE(prb_data_blk_lpos)", &lpos_size)) ||
	    (r = key_off(w, "OFFSET(prb_data_blk_lpos.begin)", 8, lpos_size, &o_begin)) ||
	    (r = key_off(w, "OFFSET(prb_data_blk_lpos.next)", 8, lpos_size, &o_next)) ||
	    (r = key_size(w, "SIZE(printk_info)", &p->info_size)) ||
	    (r = key_off(w, "OFFSET(printk_info.ts_nsec)", 8, p->info_size, &p->ts_off)) ||
	    (r = key_off(w, "OFFSET(printk_info.text_len)", 2, p->info_size, &p->len_off)))
		return r;
	/* atomic_long_t is { long counter; } on every architecture; older VMCOREINFO omits it */
	if (vmcoreinfo_get_u64(w->src->info, w->src->info_len, "OFFSET(atomic_long_t.counter)",
			       &o_ctr) < 0)
		o_ctr = 0;
	if (o_ctr > MAX_OFFSET)
		return fail(w, -EBADMSG, "VMCOREINFO OFFSET(atomic_long_t.counter) is out of range");
	p->state_off = o_state + o_ctr;
	if (o_lpos + lpos_size > p->desc_size || p->state_off + 8 > p->desc_size)
		return fail(w, -EBADMSG, "VMCOREINFO: prb_desc fields lie beyond SIZE(prb_desc)");
	p->begin_off = o_lpos + o_begin;
	p->next_off = o_lpos + o_next;

	if ((r = rd_u(w, prb_sym, 8, &prb, "prb")) ||
	    (r = addr_at(w, prb, o_dr, &dr, "prb->desc_ring")) ||
	    (r = addr_at(w, prb, o_tr, &tr, "prb->text_data_ring")) ||
	    (r = addr_at(w, dr, o_cb, &a, "desc_ring.count_bits")) ||
	    (r = rd_u(w, a, 4, &bits, "desc_ring.count_bits")))
		return r;
	if (bits > bits_cap(w, PRINTK_MAX_DESC_BITS))
		return fail(w, -EBADMSG, "descriptor ring count_bits %" PRIu64 " is out of range", bits);
	p->count = 1ull << bits;
	if ((r = addr_at(w, dr, o_descs, &a, "desc_ring.descs")) ||
	    (r = rd_u(w, a, 8, &p->descs, "desc_ring.descs")) ||
	    (r = addr_at(w, dr, o_infos, &a, "desc_ring.infos")) ||
	    (r = rd_u(w, a, 8, &p->infos, "desc_ring.infos")) ||
	    (r = addr_at(w, dr, o_head + o_ctr, &a, "desc_ring.head_id")) ||
	    (r = rd_u(w, a, 8, head, "desc_ring.head_id")) ||
	    (r = addr_at(w, dr, o_tail + o_ctr, &a, "desc_ring.tail_id")) ||
	    (r = rd_u(w, a, 8, tail, "desc_ring.tail_id")) ||
	    (r = addr_at(w, tr, o_sb, &a, "text_data_ring.size_bits")) ||
	    (r = rd_u(w, a, 4, &bits, "text_data_ring.size_bits")))
		return r;
	if (bits > PRINTK_MAX_DATA_BITS)
		return fail(w, -EBADMSG, "text data ring size_bits %" PRIu64 " is out of range", bits);
	p->size = 1ull << bits;
	if ((r = addr_at(w, tr, o_data, &a, "text_data_ring.data")) ||
	    (r = rd_u(w, a, 8, &p->data, "text_data_ring.data")))
		return r;
	/* the arrays must not wrap the address space (so no element address below can) */
	if ((r = addr_at(w, p->descs, p->count * p->desc_size, &a, "descriptor array")) ||
	    (r = addr_at(w, p->infos, p->count * p->info_size, &a, "info array")) ||
	    (r = addr_at(w, p->data, p->size, &a, "text data ring")))
		return r;
	*head &= DESC_ID_MASK;
	*tail &= DESC_ID_MASK;
	if (((*head - *tail) & DESC_ID_MASK) >= p->count)
		return fail(w, -EBADMSG, "tail_id 0x%" PRIx64 " and head_id 0x%" PRIx64
			    " are more than the ring's %" PRIu64 " descriptors apart", *tail, *head,
			    p->count);
	return 0;
}

static int prb_record(struct walk *w, const struct prb *p, uint64_t id)
{
	uint64_t idx = id & (p->count - 1), desc = p->descs + idx * p->desc_size;
	uint64_t info = p->infos + idx * p->info_size, sv, begin, next, ts, len;
	int r;

	if ((r = rd_u(w, desc + p->state_off, 8, &sv, "descriptor state")))
		return r;
	/* a descriptor whose id is not ours has been recycled (or never used) */
	if ((sv & DESC_ID_MASK) != id ||
	    ((sv >> DESC_STATE_SHIFT) != DESC_COMMITTED && (sv >> DESC_STATE_SHIFT) != DESC_FINALIZED)) {
		w->res->skipped++;
		return 0;
	}
	if ((r = rd_u(w, desc + p->begin_off, 8, &begin, "descriptor text_blk_lpos")) ||
	    (r = rd_u(w, desc + p->next_off, 8, &next, "descriptor text_blk_lpos")))
		return r;
	begin &= p->size - 1;
	next &= p->size - 1;
	if (begin == next) { /* data-less: an empty line, or the text did not fit */
		w->res->skipped++;
		return 0;
	}
	if ((r = rd_u(w, info + p->len_off, 2, &len, "printk_info.text_len")) ||
	    (r = rd_u(w, info + p->ts_off, 8, &ts, "printk_info.ts_nsec")))
		return r;
	if (begin > next) /* the block wrapped: its data starts at the ring's beginning */
		begin = 0;
	begin += 8;  /* the block starts with its descriptor's id */
	if (next < begin) {
		w->res->corrupt++;
		return 0;
	}
	if (len > next - begin) /* the kernel truncated the text to fit the block */
		len = next - begin;
	return emit_text(w, ts, p->data + begin, (size_t)len);
}

static int dump_lockless(struct walk *w)
{
	uint64_t tail, head, id;
	struct prb p;
	int r;

	w->res->layout = PRINTK_LAYOUT_LOCKLESS;
	r = prb_setup(w, &p, &tail, &head);
	if (r < 0)
		return r;
	/* prb_setup checked that head is less than a ring ahead of tail: at most count steps */
	for (id = tail;; id = (id + 1) & DESC_ID_MASK) {
		r = prb_record(w, &p, id);
		if (r < 0 || id == head)
			return r;
	}
}

/* --- log_buf (3.5 .. 5.9) ------------------------------------------------------------------ */

struct logbuf {
	uint64_t buf, len, hdr, len_off, text_len_off, ts_off;
};

static int logbuf_u16(struct walk *w, const struct logbuf *l, uint64_t idx, uint64_t off,
		      uint64_t *v)
{
	return rd_u(w, l->buf + idx + off, 2, v, "log_buf record");
}

static int logbuf_record(struct walk *w, const struct logbuf *l, uint64_t idx)
{
	uint64_t text_len, ts;
	int r;

	if ((r = logbuf_u16(w, l, idx, l->text_len_off, &text_len)) ||
	    (r = rd_u(w, l->buf + idx + l->ts_off, 8, &ts, "log_buf record")))
		return r;
	if (text_len > l->len - l->hdr - idx) {
		w->res->corrupt++;
		return 0;
	}
	return emit_text(w, ts, l->buf + idx + l->hdr, (size_t)text_len);
}

static int dump_log_buf(struct walk *w)
{
	uint64_t sym_buf, sym_len, sym_first, sym_next, first, next, ptr, steps, unused;
	struct logbuf l;
	int r;

	w->res->layout = PRINTK_LAYOUT_LOG_BUF;
	if (has_key(w->src, "SYMBOL(log_end)"))
		return fail(w, -EOPNOTSUPP, "kernel older than 3.5 (SYMBOL(log_end)): its log_buf "
			    "layout is not supported");
	if ((r = key(w, "SYMBOL(log_buf)", &sym_buf)) ||
	    (r = key(w, "SYMBOL(log_buf_len)", &sym_len)) ||
	    (r = key(w, "SYMBOL(log_first_idx)", &sym_first)) ||
	    (r = key(w, "SYMBOL(log_next_idx)", &sym_next)) ||
	    (r = key_size(w, "SIZE(printk_log)", &l.hdr)) ||
	    (r = key_off(w, "OFFSET(printk_log.ts_nsec)", 8, l.hdr, &l.ts_off)) ||
	    (r = key_off(w, "OFFSET(printk_log.len)", 2, l.hdr, &l.len_off)) ||
	    (r = key_off(w, "OFFSET(printk_log.text_len)", 2, l.hdr, &l.text_len_off)))
		return r;
	if ((r = rd_u(w, sym_buf, 8, &l.buf, "log_buf")) ||
	    (r = rd_u(w, sym_len, 4, &l.len, "log_buf_len")) ||
	    (r = rd_u(w, sym_first, 4, &first, "log_first_idx")) ||
	    (r = rd_u(w, sym_next, 4, &next, "log_next_idx")))
		return r;
	if (l.len < l.hdr || l.len > 1ull << bits_cap(w, PRINTK_MAX_DATA_BITS))
		return fail(w, -EBADMSG, "log_buf_len %" PRIu64 " is out of range", l.len);
	if ((r = addr_at(w, l.buf, l.len, &unused, "log_buf")))
		return r;
	if (first > l.len - l.hdr || next > l.len - l.hdr)
		return fail(w, -EBADMSG, "log_first_idx %" PRIu64 " or log_next_idx %" PRIu64
			    " lies outside log_buf (%" PRIu64 " bytes)", first, next, l.len);

	/* A record is at least a header long, so more steps than headers fit is a cycle. */
	steps = l.len / l.hdr + 1;
	for (ptr = first; ptr != next;) {
		uint64_t rec = ptr, len;

		if (steps-- == 0)
			return fail(w, -ELOOP, "log_buf records form a cycle (log_first_idx %" PRIu64
				    ", log_next_idx %" PRIu64 ")", first, next);
		if ((r = logbuf_u16(w, &l, ptr, l.len_off, &len)))
			return r;
		if (len == 0) { /* end-of-buffer marker: this record is the one at the start */
			rec = 0;
			if ((r = logbuf_u16(w, &l, 0, l.len_off, &len)))
				return r;
		}
		if ((r = logbuf_record(w, &l, rec)))
			return r;
		ptr = rec + len;
		if (ptr > l.len - l.hdr)
			return fail(w, -EBADMSG, "a log_buf record at %" PRIu64 " points outside "
				    "log_buf (next at %" PRIu64 ")", rec, ptr);
	}
	return 0;
}

int printk_dump(const struct printk_source *src, printk_emit_fn emit, void *emit_ctx,
		struct printk_result *res)
{
	struct walk w = { .src = src, .res = res };
	int r, r2;

	memset(res, 0, sizeof(*res));
	if (!src->info)
		return fail(&w, -ENOKEY, "no VMCOREINFO");
	w.out = malloc(sizeof(*w.out));
	w.text = malloc(MAX_TEXT);
	if (!w.out || !w.text) {
		r = fail(&w, -ENOMEM, "out of memory");
		goto out_free;
	}
	w.out->emit = emit;
	w.out->ctx = emit_ctx;
	w.out->len = 0;
	if (has_key(src, "SYMBOL(prb)"))
		r = dump_lockless(&w);
	else if (has_key(src, "SYMBOL(log_buf)"))
		r = dump_log_buf(&w);
	else
		r = fail(&w, -ENOKEY, "VMCOREINFO has neither SYMBOL(prb) nor SYMBOL(log_buf)");
	/* what was formatted before an error is still written out */
	r2 = out_flush(w.out);
	if (r == 0 && r2 < 0)
		r = fail(&w, r2, "cannot write the log: %s", strerror(-r2));
out_free:
	free(w.text);
	free(w.out);
	return r;
}
