// SPDX-License-Identifier: GPL-2.0-or-later
// NT_PRSTATUS decoding: pr_pid at byte 32, pr_reg (27 x u64) at byte 112.
#include <elf.h>
#include <errno.h>

#include "format/prstatus.h"

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

int prstatus_decode(const struct elfnote *n, struct prstatus *out)
{
	if (n->type != NT_PRSTATUS || !elfnote_is(n, "CORE") || n->descsz != PRSTATUS_X86_64_SIZE)
		return -EINVAL;
	out->pid = (uint32_t)(n->desc[32] | n->desc[33] << 8 | n->desc[34] << 16 |
			      (uint32_t)n->desc[35] << 24);
	for (int i = 0; i < PR_NREGS; i++)
		out->reg[i] = get64(n->desc + 112 + 8 * i);
	return 0;
}
