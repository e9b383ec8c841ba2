/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The panic in a kernel log: the last "Kernel panic - not syncing: " line, the oops or
 * warning that led to it (if any), and the "CPU: N PID: P Comm: C" line that names the task.
 * Fed the text `hvdump dmesg` prints ("[%5llu.%06lu] text\n" records, continuation lines
 * indented), in pieces of any size; the text comes from the crashed guest and is
 * untrusted: lines are cut at PANICSCAN_LINE_MAX bytes, numbers are bounded. */
#ifndef HVDUMP_FORMAT_PANICSCAN_H
#define HVDUMP_FORMAT_PANICSCAN_H

#include <stddef.h>
#include <stdint.h>

#define PANICSCAN_LINE_MAX 512u
/* The CPU line follows a direct panic() within this many records. */
#define PANICSCAN_CPU_LINES 8u

struct panicscan_line {
	char text[PANICSCAN_LINE_MAX + 1]; /* the whole record line, NUL-terminated */
	size_t len;
	char ts[32];                       /* "3.036255" */
};

struct panicscan {
	struct panicscan_line cur;         /* being assembled */
	struct panicscan_line last_oops, last_cpu;
	int have_oops, have_cpu;
	unsigned since_panic;
	uint64_t lines;
	/* the result: the last panic, its oops and its CPU line */
	struct panicscan_line panic, panic_oops, panic_cpu;
	int have_panic, have_panic_oops, have_panic_cpu;
};

/* Start (S zeroed by the caller is also a valid start). */
void panicscan_init(struct panicscan *s);

/* Feed LEN bytes of log text; always returns 0 (shaped as printk_emit_fn, CTX = S). */
int panicscan_feed(void *ctx, const char *buf, size_t len);

/* The end of the text: a last line without its newline is scanned. */
void panicscan_finish(struct panicscan *s);

/* The text of a record line after its "[ts] " prefix. */
const char *panicscan_text(const struct panicscan_line *l);

/* The panicking task from the CPU line: 0, or -ENOENT when there is none or it does not
 * parse.  COMM gets at most COMMLEN - 1 bytes (the kernel's comm is 15). */
int panicscan_task(const struct panicscan *s, unsigned long *cpu, unsigned long *pid,
		   char *comm, size_t commlen);

#endif
