// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: ELF core headers and note walks over untrusted bytes, through both
// elfcore_parse() directly and the vmcore reader's physical reads.
#include <stdint.h>
#include <stdlib.h>

#include "format/elfcore.h"
#include "format/prstatus.h"
#include "format/vmcore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elfcore_segment *segs;
	struct vmcore *v;
	size_t nsegs, need, decoded = 0;

	if (elfcore_parse(data, size, size, &segs, &nsegs, &need) == 0) {
		for (size_t i = 0; i < nsegs; i++) {
			struct elfnote n;
			struct prstatus ps;
			size_t pos = 0;

			if (segs[i].type != 4 /* PT_NOTE */)
				continue;
			/* elfcore_parse checked offset + filesz against size */
			while (elfnote_next(data + segs[i].offset, (size_t)segs[i].filesz, &pos, &n) == 1)
				if (prstatus_decode(&n, &ps) == 0)
					decoded++;
		}
		free(segs);
	}
	(void)decoded;
	if (vmcore_open_mem(data, size, &v) == 0) {
		uint8_t buf[64];
		size_t nl;

		for (size_t i = 0; i < vmcore_nloads(v) && i < 8; i++) {
			const struct elfcore_segment *s = vmcore_load(v, i);
			if (vmcore_read_phys(v, s->paddr + s->memsz / 2, buf, sizeof(buf)) == 0)
				(void)buf[0];
		}
		(void)vmcore_notes(v, &nl);
		vmcore_close(v);
	}
	return 0;
}
