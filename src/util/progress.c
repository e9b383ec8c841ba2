// SPDX-License-Identifier: GPL-2.0-or-later
// Progress bar / periodic progress lines on stderr.
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/progress.h"
#include "util/size.h"

#define TTY_EVERY_MS 100
#define LOG_EVERY_MS 5000
#define BAR 30


void progress_start(struct progress *p, const char *what, uint64_t total, bool enabled)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->what, sizeof(p->what), "%s", what);
	p->total = total;
	p->enabled = enabled;
	p->tty = enabled && isatty(STDERR_FILENO);
	p->start_ms = p->last_ms = clock_ms();
}

void progress_update(struct progress *p, uint64_t done)
{
	long long now = clock_ms(), ms;
	char a[32], b[32];
	int pct;

	if (!p->enabled || now - p->last_ms < (p->tty ? TTY_EVERY_MS : LOG_EVERY_MS))
		return;
	p->last_ms = now;
	ms = now - p->start_ms;
	pct = p->total ? (int)(done > p->total ? 100 : done * 100 / p->total) : 0;
	size_human(done, a, sizeof(a));
	size_human(p->total, b, sizeof(b));
	if (p->tty) {
		char bar[BAR + 1];
		int fill = pct * BAR / 100;
		memset(bar, '#', (size_t)fill);
		memset(bar + fill, '.', (size_t)(BAR - fill));
		bar[BAR] = '\0';
		fprintf(stderr, "\r%s [%s] %3d%% %s of %s, %.0f MB/s  ", p->what, bar, pct, a, b,
			ms > 0 ? (double)done / 1e3 / (double)ms : 0.0);
		p->drawn = true;
	} else {
		fprintf(stderr, "hvdump: %s: %s of %s (%d%%), %.0f MB/s\n", p->what, a, b, pct,
			ms > 0 ? (double)done / 1e3 / (double)ms : 0.0);
	}
	fflush(stderr);
}

void progress_end(struct progress *p)
{
	if (p->drawn)
		fprintf(stderr, "\r%*s\r", (int)(strlen(p->what) + BAR + 48), "");
	p->drawn = false;
}
