// SPDX-License-Identifier: GPL-2.0-or-later
// NT_PRSTATUS decoding: pr_pid at byte 32, pr_reg (27 x u64) at byte 112.
#include <elf.h>
#include <errno.h>

#include "format/le.h"
#include "format/prstatus.h"

int prstatus_decode(const struct elfnote *n, struct prstatus *out)
{
	if (n->type != NT_PRSTATUS || !elfnote_is(n, "CORE") || n->descsz != PRSTATUS_X86_64_SIZE)
		return -EINVAL;
	out->pid = le32_get(n->desc + PRSTATUS_PID_OFFSET);
	for (int i = 0; i < PR_NREGS; i++)
		out->reg[i] = le64_get(n->desc + 112 + 8 * i);
	return 0;
}

bool prstatus_pids_are_cpu_numbers(const uint8_t *notes, size_t len)
{
	struct elfnote n;
	struct prstatus p;
	size_t pos = 0;
	uint32_t k = 0;
	bool seq = true;

	while (notes && elfnote_next(notes, len, &pos, &n) == 1)
		if (prstatus_decode(&n, &p) == 0 && p.pid != ++k)
			seq = false;
	return k && seq;
}
