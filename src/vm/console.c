// SPDX-License-Identifier: GPL-2.0-or-later
// The guest's serial console and QEMU's stderr: written to the log a line at a time with host
// timestamps, and watched for a kernel panic pvpanic did not report.
#include <stdio.h>
#include <string.h>

#include "util/clock.h"
#include "util/log.h"
#include "util/size.h"
#include "vm/console.h"

#define PANIC_TEXT "Kernel panic - not syncing: "
#define UNPACK_FAILED "Initramfs unpacking failed"

void console_reset(struct console *c)
{
	bool watch = c->watch_panic;
	uint64_t region = c->capture_region;

	memset(c, 0, sizeof(*c));
	c->watch_panic = watch;
	c->capture_region = region;
}

/* Say how much of B's text was not logged since it was last said (at NOW_MS). */
static void say_unlogged(struct log_budget *b, bool err, long long now_ms)
{
	if (err)
		log_warn("%llu bytes of QEMU's stderr were not logged (it wrote more than %u KiB a "
			 "second)", b->unlogged, CONSOLE_ERR_RATE >> 10);
	else
		log_warn("%llu bytes of console output were not logged (the guest printed more "
			 "than %u KiB a second)", b->unlogged, CONSOLE_LOG_RATE >> 10);
	b->unlogged = 0;
	b->said_ms = now_ms;
}

/* May a line of N more bytes go to the log (B: the console's budget, or with ERR QEMU's
 * stderr's)?  The guest decides how much it prints, not how much the host writes: past the
 * budget, lines are counted, and the count is logged once the budget allows again. */
static bool log_budget(struct log_budget *b, bool err, size_t n)
{
	double rate = err ? CONSOLE_ERR_RATE : CONSOLE_LOG_RATE;
	double burst = err ? CONSOLE_ERR_BURST : CONSOLE_LOG_BURST;
	long long now = clock_ms();

	if (!b->ms)
		b->left = burst;
	else
		b->left += (double)(now - b->ms) * rate / 1000.0;
	if (b->left > burst)
		b->left = burst;
	b->ms = now;
	if (b->left < (double)n + 64) {
		b->unlogged += n + 1;
		return false;
	}
	b->left -= (double)n + 64;
	if (b->unlogged && now - b->said_ms >= CONSOLE_LOG_NOTE_MS)
		say_unlogged(b, err, now);
	return true;
}

static void console_line(struct console *c, const char *s, size_t n)
{
	char ts[40], hdr[64];
	const char *p;
	int h;

	while (n && (s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	if (log_budget(&c->out, false, n)) {
		log_timestamp(ts, sizeof(ts));
		h = snprintf(hdr, sizeof(hdr), "%s console: ", ts);
		log_raw_file(hdr, (size_t)h);
		log_raw_file(s, n);
		log_raw_file("\n", 1);
	}
	p = memmem(s, n, PANIC_TEXT, strlen(PANIC_TEXT));
	if (p && c->watch_panic && !c->panic_ms) {
		size_t off = (size_t)(p - s) + strlen(PANIC_TEXT), len = n - off;
		if (len >= sizeof(c->panic_text))
			len = sizeof(c->panic_text) - 1;
		/* the text reaches operators' terminals in hvdump's messages: no control
		 * characters (an escape sequence from the guest would be the terminal's) */
		for (size_t i = 0; i < len; i++) {
			unsigned char ch = (unsigned char)s[off + i];
			c->panic_text[i] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
		}
		c->panic_text[len] = '\0';
		c->panic_ms = clock_ms();
	}
	/* A boot region too small for the initramfs: the kernel says so only here, and the
	 * capture guest then comes up without half its files.  Said once per boot. */
	if (c->capture_region && !c->unpack_failed &&
	    memmem(s, n, UNPACK_FAILED, strlen(UNPACK_FAILED))) {
		char sz[32];
		c->unpack_failed = true;
		log_err("the capture kernel could not unpack its initramfs in the %s boot region: "
			"its guest may lack files; give it more with --boot-region",
			size_format(c->capture_region, sz, sizeof(sz)));
	}
}

void console_feed(struct console *c, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n' || c->line_len == sizeof(c->line)) {
			console_line(c, c->line, c->line_len);
			c->line_len = 0;
			if (buf[i] == '\n')
				continue;
		}
		c->line[c->line_len++] = buf[i];
	}
}

void console_flush(struct console *c)
{
	if (c->line_len) {
		console_line(c, c->line, c->line_len);
		c->line_len = 0;
	}
	if (c->out.unlogged)
		say_unlogged(&c->out, false, clock_ms());
}

static void err_line(struct console *c, const char *s)
{
	if (log_budget(&c->err, true, strlen(s)))
		log_warn("qemu: %s", s);
	snprintf(c->err_last, sizeof(c->err_last), "%s", s);
}

void console_err_feed(struct console *c, const char *buf, size_t n, bool at_eof)
{
	while (n) {
		size_t take = sizeof(c->errbuf) - 1 - c->err_len;
		char *nl;

		take = take < n ? take : n;
		/* a NUL byte is shown, not taken for the end of the text */
		for (size_t i = 0; i < take; i++)
			c->errbuf[c->err_len + i] = buf[i] ? buf[i] : '?';
		buf += take;
		n -= take;
		c->err_len += take;
		c->errbuf[c->err_len] = '\0';
		while ((nl = strchr(c->errbuf, '\n')) != NULL) {
			*nl = '\0';
			if (*c->errbuf)
				err_line(c, c->errbuf);
			c->err_len -= (size_t)(nl + 1 - c->errbuf);
			memmove(c->errbuf, nl + 1, c->err_len + 1);
		}
		if (c->err_len == sizeof(c->errbuf) - 1) {
			err_line(c, c->errbuf);
			c->err_len = 0;
		}
	}
	if (at_eof && c->err_len) {
		c->errbuf[c->err_len] = '\0';
		err_line(c, c->errbuf);
		c->err_len = 0;
	}
	if (at_eof && c->err.unlogged)
		say_unlogged(&c->err, true, clock_ms());
}
