// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: finding the panic, its oops and its task in kernel log text (the text
// comes from the crashed guest's ring buffer).  The first byte picks the piece size the text
// is fed in; the result must not depend on it.
#include <stdint.h>
#include <string.h>

#include "format/panicscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct panicscan a, b;

static void scan(struct panicscan *s, const char *text, size_t len, size_t piece)
{
	panicscan_init(s);
	for (size_t off = 0; off < len; off += piece)
		panicscan_feed(s, text + off, len - off < piece ? len - off : piece);
	panicscan_finish(s);
}

static void check_line(const struct panicscan_line *l)
{
	if (l->len > PANICSCAN_LINE_MAX || memchr(l->text, '\0', sizeof(l->text)) == NULL ||
	    memchr(l->ts, '\0', sizeof(l->ts)) == NULL)
		__builtin_trap();
	const char *t = panicscan_text(l);
	if (t < l->text || t > l->text + strlen(l->text))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned long cpu, pid;
	char comm[16];

	if (size < 1)
		return 0;
	size_t piece = (size_t)data[0] % 64 + 1;
	const char *text = (const char *)data + 1;
	size--;
	scan(&a, text, size, size ? size : 1);
	scan(&b, text, size, piece);
	if (a.have_panic != b.have_panic || a.have_panic_oops != b.have_panic_oops ||
	    a.have_panic_cpu != b.have_panic_cpu ||
	    (a.have_panic && strcmp(a.panic.text, b.panic.text) != 0))
		__builtin_trap();
	if (a.have_panic) {
		check_line(&a.panic);
		if (a.have_panic_oops)
			check_line(&a.panic_oops);
		if (a.have_panic_cpu)
			check_line(&a.panic_cpu);
	}
	if (panicscan_task(&a, &cpu, &pid, comm, sizeof(comm)) == 0 && strlen(comm) >= sizeof(comm))
		__builtin_trap();
	return 0;
}
