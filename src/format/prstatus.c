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
	out->pid = le32_get(n->desc + 32);
	for (int i = 0; i < PR_NREGS; i++)
		out->reg[i] = le64_get(n->desc + 112 + 8 * i);
	return 0;
}
