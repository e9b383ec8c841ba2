// SPDX-License-Identifier: GPL-2.0-or-later
// Finding the panic, its oops and its task in kernel log text (see panicscan.h).
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/panicscan.h"

static int starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int is_oops(const char *t)
{
	return starts(t, "BUG: ") || starts(t, "Oops: ") || starts(t, "kernel BUG at ") ||
	       starts(t, "general protection fault") || starts(t, "Unable to handle kernel") ||
	       starts(t, "WARNING: ");
}

/* A record's first line: "[%5llu.%06lu] text".  Split it into TS and the text. */
static int split_record(struct panicscan_line *l, const char **text)
{
	const char *close, *p;

	if (l->text[0] != '[')
		return 0;
	close = strstr(l->text, "] ");
	if (!close || close - l->text > 30)
		return 0;
	p = l->text + 1;
	while (*p == ' ')
		p++;
	snprintf(l->ts, sizeof(l->ts), "%.*s", (int)(close - p), p);
	*text = close + 2;
	return 1;
}

static void scan_line(struct panicscan *s)
{
	const char *t;

	s->cur.text[s->cur.len] = '\0';
	s->lines++;
	if (!split_record(&s->cur, &t))
		return; /* a continuation line */
	if (s->have_panic)
		s->since_panic++;
	if (starts(t, "Kernel panic - not syncing: ")) {
		s->panic = s->cur;
		s->have_panic = 1;
		s->have_panic_oops = s->have_oops;
		if (s->have_oops)
			s->panic_oops = s->last_oops;
		/* an oops prints its CPU line before the panic; a direct panic() after it */
		s->have_panic_cpu = s->have_oops && s->have_cpu;
		if (s->have_panic_cpu)
			s->panic_cpu = s->last_cpu;
		s->since_panic = 0;
		s->have_oops = 0;
		return;
	}
	if (is_oops(t)) {
		s->last_oops = s->cur;
		s->have_oops = 1;
		s->have_cpu = 0;
	} else if (starts(t, "CPU: ") && strstr(t, " PID: ") && strstr(t, " Comm: ")) {
		s->last_cpu = s->cur;
		s->have_cpu = 1;
		if (s->have_panic && !s->have_panic_cpu && s->since_panic <= PANICSCAN_CPU_LINES) {
			s->panic_cpu = s->cur;
			s->have_panic_cpu = 1;
		}
	}
}

void panicscan_init(struct panicscan *s)
{
	memset(s, 0, sizeof(*s));
}

int panicscan_feed(void *ctx, const char *buf, size_t len)
{
	struct panicscan *s = ctx;

	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n') {
			scan_line(s);
			s->cur.len = 0;
		} else if (s->cur.len < PANICSCAN_LINE_MAX) {
			s->cur.text[s->cur.len++] = buf[i];
		} /* else: the rest of an overlong line is dropped */
	}
	return 0;
}

void panicscan_finish(struct panicscan *s)
{
	if (s->cur.len)
		scan_line(s);
	s->cur.len = 0;
}

const char *panicscan_text(const struct panicscan_line *l)
{
	const char *t = strstr(l->text, "] ");

	return t ? t + 2 : l->text;
}

/* "CPU: 0 PID: 108 Comm: init Not tainted 6.1.0 #1" -> cpu, pid, comm. */
int panicscan_task(const struct panicscan *s, unsigned long *cpu, unsigned long *pid,
		   char *comm, size_t commlen)
{
	const char *t, *c, *end;
	char *e;

	if (!s->have_panic_cpu || !(t = strstr(s->panic_cpu.text, "] CPU: ")))
		return -ENOENT;
	*cpu = strtoul(t + 7, &e, 10);
	if (e == t + 7 || !starts(e, " PID: "))
		return -ENOENT;
	t = e + 6;
	*pid = strtoul(t, &e, 10);
	if (e == t || !starts(e, " Comm: "))
		return -ENOENT;
	c = e + 7;
	/* comm is "%.20s" and may hold spaces: it ends where the taint text starts */
	end = strstr(c, " Not tainted");
	if (!end)
		end = strstr(c, " Tainted: ");
	if (!end)
		end = strchr(c, ' ');
	if (!end)
		end = c + strlen(c);
	if (commlen)
		snprintf(comm, commlen, "%.*s", (int)(end - c), c);
	return 0;
}
