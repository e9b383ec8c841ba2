/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The kernel log (printk ring buffer) of a crashed Linux guest, found through VMCOREINFO alone
 * and printed exactly as `makedumpfile --dump-dmesg` (1.7.x) prints it.
 *
 * Two layouts, chosen as makedumpfile chooses: SYMBOL(prb) present means the lockless ring
 * (Linux 5.10 and later), else the variable-length `struct printk_log` records in log_buf
 * (Linux 3.5 to 5.9).
 *
 * Lockless (kernel/printk/printk_ringbuffer.h):
 *
 *   prb --> struct printk_ringbuffer
 *           desc_ring:      count_bits, descs, infos, head_id, tail_id
 *           text_data_ring: size_bits, data
 *
 *   descs[id % count]  state_var = state(2 bits) << 62 | id;  text_blk_lpos {begin, next}
 *   infos[id % count]  seq, ts_nsec, text_len, caller_id, dev_info
 *   data[begin % size] unsigned long id, then the text; a block that would run past the end
 *                      of the ring is stored from data[0] instead (begin % size > next % size)
 *
 *   Records tail_id..head_id (inclusive, in id order = sequence order) are printed when their
 *   state is committed or finalized and their block holds data.
 *
 * log_buf (kernel/printk/printk.c before 5.10):
 *
 *   log_buf[log_first_idx] --> struct printk_log {ts_nsec, len, text_len, dict_len, ...},
 *   text, dict, padding; the next record follows at +len; len == 0 marks the end of the
 *   buffer (continue at log_buf[0]); stop at log_next_idx.
 *
 * Output, per record: "[%5llu.%06lu] " (seconds, microseconds), then the text with every
 * '\n' followed by the width of that prefix in spaces, bytes that are neither printable nor
 * white space in the C locale as "\xNN" (bytes >= 0x80 as "\xffffffNN", as makedumpfile's
 * sign-extending printf does), and a final '\n'.  Dictionaries, dev_info and caller ids are
 * not printed (makedumpfile 1.7.2 does not print them).
 *
 * Every value read from the guest is untrusted: ring sizes are capped at the kernel's own
 * limits, indices masked, lengths clamped, and walks bounded. */
#ifndef HVDUMP_FORMAT_PRINTK_H
#define HVDUMP_FORMAT_PRINTK_H

#include <stddef.h>
#include <stdint.h>

/* Read LEN bytes at kernel virtual address KVADDR.  Returns 0 or a negative errno; the
 * vmcore reader's conventions (-EFAULT not in the dump, -ENXIO not mapped, -ENOKEY no
 * translation, -EBADMSG bad page-table entry) get specific words in printk_result.why. */
typedef int (*printk_read_fn)(void *ctx, uint64_t kvaddr, void *buf, size_t len);
/* Take LEN bytes of output.  Returns 0 or a negative errno (which stops the walk). */
typedef int (*printk_emit_fn)(void *ctx, const char *buf, size_t len);

/* Kernel limits (LOG_BUF_LEN_MAX is 2^31; the descriptor ring is 1/32 of that). */
#define PRINTK_MAX_DATA_BITS 31u
#define PRINTK_MAX_DESC_BITS 26u

struct printk_source {
	const char *info;          /* VMCOREINFO text */
	size_t info_len;
	printk_read_fn read;
	void *read_ctx;
	/* If not 0, refuse descriptor rings of more than 2^max_ring_bits entries and log_bufs
	 * of more than 2^max_ring_bits bytes (what bounds the walk's length): fuzzers use it to
	 * keep each input fast. */
	unsigned max_ring_bits;
};

enum printk_layout { PRINTK_LAYOUT_NONE, PRINTK_LAYOUT_LOCKLESS, PRINTK_LAYOUT_LOG_BUF };

struct printk_result {
	enum printk_layout layout;
	uint64_t records;          /* printed */
	uint64_t skipped;          /* not printed: reserved, reusable or data-less, as the kernel
				    * itself would not show them */
	uint64_t corrupt;          /* not printed: the record's data block is malformed */
	char why[200];             /* on error: what was wrong, for a one-line message */
};

/* Print the kernel log described by SRC through EMIT, oldest record first.  Returns 0, or:
 *   -ENOKEY       VMCOREINFO lacks a key the layout needs (why names it)
 *   -EOPNOTSUPP   a layout this code does not read (pre-3.5 log_end)
 *   -EBADMSG      the ring's metadata is inconsistent (why says which value)
 *   -ELOOP        log_buf records form a cycle
 *   or what SRC->read or EMIT returned.
 * Records printed before an error stay printed; RES is always filled. */
__attribute__((warn_unused_result)) int printk_dump(const struct printk_source *src,
						     printk_emit_fn emit, void *emit_ctx,
						     struct printk_result *res);

/* Format one record (as above) through EMIT.  Returns 0 or what EMIT returned. */
__attribute__((warn_unused_result)) int printk_format_record(uint64_t ts_nsec,
							      const uint8_t *text, size_t len,
							      printk_emit_fn emit, void *emit_ctx);

#endif
