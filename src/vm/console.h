/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The guest's serial console and QEMU's stderr, as text: written to the log a line at a time
 * with host timestamps, and watched for a kernel panic pvpanic did not report and for a
 * capture kernel whose initramfs did not fit.  No I/O of its own but the log. */
#ifndef HVDUMP_VM_CONSOLE_H
#define HVDUMP_VM_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONSOLE_LOG_RATE (1u << 20)
#define CONSOLE_LOG_BURST (8u << 20)
#define CONSOLE_LOG_NOTE_MS 10000
/* QEMU's stderr has its own, smaller budget: a guest can make some devices warn at will */
#define CONSOLE_ERR_RATE (64u << 10)
#define CONSOLE_ERR_BURST (1u << 20)

/* A budget of bytes for the log: RATE a second, BURST at once; what is over it is counted,
 * not logged, and the count is said every CONSOLE_LOG_NOTE_MS at most. */
struct log_budget {
	double left;
	long long ms;
	unsigned long long unlogged;
	long long said_ms;
};

struct console {
	/* set by the owner */
	bool watch_panic;          /* look for "Kernel panic - not syncing" */
	uint64_t capture_region;   /* a capture boot in this boot region: watch its unpacking */
	/* what was seen */
	long long panic_ms;        /* a panic line was seen at this time (monotonic), 0: not */
	char panic_text[512];      /* ... and what followed "not syncing: " */
	bool unpack_failed;        /* the capture kernel's initramfs did not fit (said once) */
	char err_last[512];        /* QEMU's last line on stderr */
	/* the log's budgets for console text and QEMU's stderr (the panic watch and err_last
	 * see every line) */
	struct log_budget out, err;
	/* line assembly */
	char line[2048];
	size_t line_len;
	char errbuf[1024];
	size_t err_len;
};

/* Forget everything of the last boot; keep the owner's settings. */
void console_reset(struct console *c);

/* N bytes of console output; complete lines are logged and watched. */
void console_feed(struct console *c, const char *buf, size_t n);

/* The console is closing: log a partial last line. */
void console_flush(struct console *c);

/* N bytes of QEMU's stderr (EOF: N == 0 with AT_EOF): logged as warnings a line at a time,
 * within their budget. */
void console_err_feed(struct console *c, const char *buf, size_t n, bool at_eof);

#endif
