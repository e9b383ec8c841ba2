// SPDX-License-Identifier: GPL-2.0-or-later
// The console and QEMU's stderr as text (src/vm/console.h): lines put together across reads
// and written to the log file, a panic line caught once and only when watched, an overlong
// line cut, the capture kernel's failed initramfs unpacking, and QEMU's last stderr line.
// What is logged is read back from a log file (log_open_file); warnings also go to stderr.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "util/clock.h"
#include "util/log.h"
#include "vm/console.h"

#define MAXL 16

/* What the log file got since the last look, by kind. */
struct logged {
	char *con[MAXL];           /* console lines (the text after "console: ") */
	char *warn[MAXL];          /* "qemu: " warnings (the text after it) */
	char *err[MAXL];           /* errors */
	size_t ncon, nwarn, nerr;
};

static int log_rd = -1;
static off_t log_mark;
static char log_buf[64 << 10];

static void collect(struct logged *l)
{
	ssize_t n = pread(log_rd, log_buf, sizeof(log_buf) - 1, log_mark);
	char *p = log_buf, *end, *nl;

	memset(l, 0, sizeof(*l));
	if (n < 0)
		n = 0;
	log_mark += n;
	log_buf[n] = '\0';
	end = log_buf + n;
	/* memchr, not strchr: a console line may hold a NUL byte */
	for (; (nl = memchr(p, '\n', (size_t)(end - p))) != NULL; p = nl + 1) {
		char *sp = memchr(p, ' ', (size_t)(nl - p)), *w;

		*nl = '\0';
		if (!sp)
			continue;
		sp++;
		if (!strncmp(sp, "console: ", 9)) {
			if (l->ncon < MAXL)
				l->con[l->ncon++] = sp + 9;
		} else if ((w = strstr(sp, "] warning: qemu: ")) != NULL) {
			if (l->nwarn < MAXL)
				l->warn[l->nwarn++] = w + 17;
		} else if ((w = strstr(sp, "] error: ")) != NULL) {
			if (l->nerr < MAXL)
				l->err[l->nerr++] = w + 9;
		}
	}
}

static int all_of(const char *s, char ch, size_t n)
{
	if (strlen(s) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] != ch)
			return 0;
	return 1;
}

static void feed(struct console *c, const char *s)
{
	console_feed(c, s, strlen(s));
}

static struct console c; /* 4 KiB of buffers: not on the stack */

static void t_lines(void)
{
	struct logged l;

	memset(&c, 0, sizeof(c));
	feed(&c, "Linux version 6.1");
	collect(&l);
	tap_is_int(l.ncon, 0, "a partial line is not logged");
	feed(&c, ".0 (gcc)\nsecond li");
	feed(&c, "ne\r\nthird");
	collect(&l);
	tap_ok(l.ncon == 2 && !strcmp(l.con[0], "Linux version 6.1.0 (gcc)") &&
	       !strcmp(l.con[1], "second line"),
	       "lines put together across reads, CR LF dropped");
	tap_ok(c.line_len == 5 && !memcmp(c.line, "third", 5), "the rest waits (\"third\")");
	console_flush(&c);
	collect(&l);
	tap_ok(l.ncon == 1 && !strcmp(l.con[0], "third") && c.line_len == 0,
	       "console_flush logs the partial line");
	console_flush(&c);
	collect(&l);
	tap_is_int(l.ncon, 0, "a second flush logs nothing");
	console_feed(&c, "a\0b\n", 4);
	collect(&l);
	tap_ok(l.ncon == 1 && !memcmp(l.con[0], "a\0b", 4), "a NUL byte is passed through");
}

static void t_long_lines(void)
{
	static char big[4096];
	struct logged l;

	memset(&c, 0, sizeof(c));
	memset(big, 'a', sizeof(c.line));
	memset(big + sizeof(c.line), 'b', 100);
	big[sizeof(c.line) + 100] = '\n';
	console_feed(&c, big, sizeof(c.line) + 101);
	collect(&l);
	tap_ok(l.ncon == 2 && all_of(l.con[0], 'a', sizeof(c.line)) && all_of(l.con[1], 'b', 100),
	       "a line of %zu + 100 bytes: logged as %zu and 100", sizeof(c.line), sizeof(c.line));
	big[sizeof(c.line)] = '\n';
	console_feed(&c, big, sizeof(c.line) + 1);
	collect(&l);
	tap_ok(l.ncon == 1 && all_of(l.con[0], 'a', sizeof(c.line)) && c.line_len == 0,
	       "a line of exactly %zu bytes: one line, no empty one after", sizeof(c.line));

	/* a panic line after the cut is still seen */
	c.watch_panic = true;
	memset(big, 'x', 2100);
	console_feed(&c, big, 2100);
	feed(&c, " Kernel panic - not syncing: late\n");
	tap_is_str(c.panic_text, "late", "a panic at the end of an overlong line is caught");
}

static void t_panic(void)
{
	static char text[1024];
	long long before, after, ms;
	struct logged l;

	collect(&l); /* what earlier tests logged */
	memset(&c, 0, sizeof(c));
	feed(&c, "[    2.345678] Kernel panic - not syncing: Fatal exception\n");
	collect(&l);
	tap_ok(c.panic_ms == 0 && c.panic_text[0] == '\0', "panic not watched: nothing recorded");
	tap_ok(l.ncon == 1 && strstr(l.con[0], "not syncing: Fatal exception"),
	       "... but the line is logged");

	c.watch_panic = true;
	before = clock_ms();
	feed(&c, "[    2.345678] Kernel panic - not syncing: VFS: Unable to mount root fs on "
		 "unknown-block(0,0)\r\n");
	after = clock_ms();
	tap_is_str(c.panic_text, "VFS: Unable to mount root fs on unknown-block(0,0)",
		   "watched: the text after \"not syncing: \", without CR LF");
	tap_ok(c.panic_ms > 0 && c.panic_ms >= before && c.panic_ms <= after,
	       "panic_ms is the monotonic time it was seen");
	ms = c.panic_ms;
	feed(&c, "Kernel panic - not syncing: Attempted to kill init!\n");
	tap_ok(c.panic_ms == ms && !strcmp(c.panic_text, "VFS: Unable to mount root fs on "
					   "unknown-block(0,0)"), "a second panic: the first is kept");

	console_reset(&c);
	tap_ok(c.watch_panic && c.panic_ms == 0 && c.panic_text[0] == '\0',
	       "console_reset forgets the panic, keeps watch_panic");
	feed(&c, "<0>Kernel pa");
	feed(&c, "nic - not syncing: Attempted to kill init! exitcode=0x00000009");
	tap_is_int(c.panic_ms, 0, "a panic line not yet complete is not taken");
	feed(&c, "\n");
	tap_is_str(c.panic_text, "Attempted to kill init! exitcode=0x00000009",
		   "... and is once its newline comes");

	console_reset(&c);
	memcpy(text, "Kernel panic - not syncing: ", 28);
	memset(text + 28, 'z', 600);
	text[628] = '\n';
	console_feed(&c, text, 629);
	tap_ok(c.panic_ms > 0 && all_of(c.panic_text, 'z', sizeof(c.panic_text) - 1),
	       "600 bytes of panic text: the first %zu kept", sizeof(c.panic_text) - 1);

	console_reset(&c);
	feed(&c, "Kernel panic - not syncing\n");
	tap_is_int(c.panic_ms, 0, "\"not syncing\" without \": \" is not the panic line");
}

/* The panic text reaches the operator's terminal in hvdump's messages: control characters
 * from the guest are shown as '?'. */
static void t_panic_escapes(void)
{
	memset(&c, 0, sizeof(c));
	c.watch_panic = true;
	feed(&c, "Kernel panic - not syncing: \x1b]0;owned\x07\x1b[2Jgone\t!\n");
	tap_is_str(c.panic_text, "?]0;owned??[2Jgone?!", "control characters in the panic text are '?'");
}

static void t_unpack(void)
{
	struct logged l;

	collect(&l);
	memset(&c, 0, sizeof(c));
	feed(&c, "[    0.912345] Initramfs unpacking failed: write error\n");
	collect(&l);
	tap_ok(!c.unpack_failed && l.nerr == 0, "not a capture boot: not watched");

	c.capture_region = 384ull << 20;
	feed(&c, "[    0.912345] Initramfs unpacking failed: write error\n");
	collect(&l);
	tap_ok(c.unpack_failed, "capture boot: unpack_failed");
	tap_ok(l.nerr == 1 && strstr(l.err[0], "could not unpack its initramfs in the 384M boot "
					       "region"), "... said naming the boot region (%s)",
	       l.nerr ? l.err[0] : "nothing");
	feed(&c, "Initramfs unpacking failed: broken padding\n");
	collect(&l);
	tap_ok(c.unpack_failed && l.nerr == 0 && l.ncon == 1, "said once");
	console_reset(&c);
	tap_ok(!c.unpack_failed && c.capture_region == 384ull << 20,
	       "console_reset clears it, keeps the region");
	feed(&c, "Initramfs unpacking");
	feed(&c, " failed: write error\n");
	tap_ok(c.unpack_failed, "the next boot's, across two reads");
}

static void t_stderr(void)
{
	static char big[1024];
	struct logged l;
	const char *s;

	collect(&l);
	memset(&c, 0, sizeof(c));
	s = "qemu-system-x86_64: warning: host doesn't support requested feature\nqemu-sys";
	console_err_feed(&c, s, strlen(s), false);
	tap_is_str(c.err_last, "qemu-system-x86_64: warning: host doesn't support requested "
		   "feature", "the last complete line");
	s = "tem-x86_64: terminating on signal 15 from pid 1234\n";
	console_err_feed(&c, s, strlen(s), false);
	tap_is_str(c.err_last, "qemu-system-x86_64: terminating on signal 15 from pid 1234",
		   "a line across two reads");
	collect(&l);
	tap_ok(l.nwarn == 2 && !strcmp(l.warn[1], "qemu-system-x86_64: terminating on signal 15 "
				       "from pid 1234"), "both logged as warnings");
	console_err_feed(&c, "\n\n", 2, false);
	tap_is_str(c.err_last, "qemu-system-x86_64: terminating on signal 15 from pid 1234",
		   "empty lines do not replace it");
	console_err_feed(&c, "last words", 10, false);
	tap_is_str(c.err_last, "qemu-system-x86_64: terminating on signal 15 from pid 1234",
		   "a line without newline waits");
	console_err_feed(&c, NULL, 0, true);
	tap_is_str(c.err_last, "last words", "at EOF the unterminated last line counts");
	tap_is_int(c.err_len, 0, "... and the buffer is empty");
	collect(&l);
	tap_ok(l.nwarn == 1 && !strcmp(l.warn[0], "last words"), "... and is logged");
	console_err_feed(&c, NULL, 0, true);
	tap_is_str(c.err_last, "last words", "a second EOF changes nothing");

	console_err_feed(&c, "one\ntwo", 7, true);
	tap_is_str(c.err_last, "two", "data and EOF in one call: the unterminated line");

	memset(big, 'q', 700);
	big[700] = '\n';
	console_err_feed(&c, big, 701, false);
	tap_ok(all_of(c.err_last, 'q', sizeof(c.err_last) - 1),
	       "a 700-byte line: its first %zu bytes kept", sizeof(c.err_last) - 1);

	/* a NUL byte: shown as '?', the lines after it are still found */
	memset(&c, 0, sizeof(c));
	console_err_feed(&c, "bad\0byte\n", 9, false);
	console_err_feed(&c, "real error\n", 11, false);
	tap_is_str(c.err_last, "real error", "stderr lines after a NUL byte are still taken");
	console_err_feed(&c, "half\0way", 8, true);
	tap_is_str(c.err_last, "half?way", "a NUL byte in the last line is shown, not an end");
}

/* A guest that floods its console: the log takes CONSOLE_LOG_BURST at once, counts the rest,
 * and the panic watch still sees every line. */
static void t_flood(void)
{
	static char line[128];
	struct stat before, after;
	size_t total = 0;

	memset(&c, 0, sizeof(c));
	c.watch_panic = true;
	memset(line, 'f', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\n';
	fstat(log_rd, &before);
	for (; total < 3 * (size_t)CONSOLE_LOG_BURST; total += sizeof(line))
		console_feed(&c, line, sizeof(line));
	feed(&c, "[ 9.0] Kernel panic - not syncing: after the flood\n");
	console_flush(&c); /* the count not yet said is said when the console closes */
	tap_is_int(c.out.unlogged, 0, "the console's close says what was not logged");
	fstat(log_rd, &after);
	tap_ok(after.st_size - before.st_size <= (off_t)CONSOLE_LOG_BURST * 2,
	       "a 24 MiB flood puts at most about the burst in the log (%lld bytes)",
	       (long long)(after.st_size - before.st_size));
	{
		/* counted: in the warnings logged whenever the budget allowed again, and since */
		size_t len = (size_t)(after.st_size - before.st_size);
		char *text = malloc(len + 1), *p;
		unsigned long long counted = c.out.unlogged;
		if (text && pread(log_rd, text, len, before.st_size) == (ssize_t)len) {
			text[len] = '\0';
			for (p = text; (p = strstr(p, "warning: ")) != NULL; p++) {
				unsigned long long n;
				if (sscanf(p, "warning: %llu bytes of console output were not logged",
					   &n) == 1)
					counted += n;
			}
		}
		free(text);
		tap_ok(counted + (unsigned long long)len >= total && counted > 8ull << 20,
		       "... the rest is counted, not lost from the account (%llu bytes)", counted);
	}
	tap_ok(c.panic_ms && !strcmp(c.panic_text, "after the flood"),
	       "... and the panic watch still sees the line after it");
}

/* QEMU's stderr has its own, smaller budget (a guest can make some devices warn at will):
 * a flood of warnings puts at most about CONSOLE_ERR_BURST in the log, the rest is counted
 * and said at EOF, and the last line is still kept for the message when QEMU dies. */
static void t_err_flood(void)
{
	static char line[128];
	struct stat before, after;
	size_t total = 0;

	memset(&c, 0, sizeof(c));
	memset(line, 'w', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\n';
	fstat(log_rd, &before);
	for (; total < 8 * (size_t)CONSOLE_ERR_BURST; total += sizeof(line))
		console_err_feed(&c, line, sizeof(line), false);
	console_err_feed(&c, "the last word\n", 14, false);
	tap_ok(c.err.unlogged > 4ull * CONSOLE_ERR_BURST,
	       "an 8 MiB flood on QEMU's stderr: %llu bytes counted, not logged", c.err.unlogged);
	console_err_feed(&c, NULL, 0, true);
	fstat(log_rd, &after);
	tap_ok(after.st_size - before.st_size <= (off_t)CONSOLE_ERR_BURST * 2,
	       "  at most about the burst in the log (%lld bytes)",
	       (long long)(after.st_size - before.st_size));
	tap_ok(c.err.unlogged == 0 && !strcmp(c.err_last, "the last word"),
	       "  the count is said at EOF, and the last line is kept for QEMU's death message");
}

int main(void)
{
	char path[] = "/tmp/hvdump-console-log.XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0 || log_open_file(path) < 0 || (log_rd = open(path, O_RDONLY)) < 0) {
		tap_skip_all("no temporary log file");
		return 77;
	}
	close(fd);
	unlink(path);
	t_lines();
	t_long_lines();
	t_panic();
	t_panic_escapes();
	t_unpack();
	t_stderr();
	t_flood();
	t_err_flood();
	log_close_file();
	close(log_rd);
	return tap_done();
}
