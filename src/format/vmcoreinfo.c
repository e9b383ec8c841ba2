// SPDX-License-Identifier: GPL-2.0-or-later
// VMCOREINFO parsing.  Values are found by whole-line key match, so "SYMBOL(log_buf)" never
// matches "SYMBOL(log_buf_len)".
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "format/elfcore.h"
#include "format/vmcoreinfo.h"

int vmcoreinfo_get(const char *text, size_t len, const char *key, char *out, size_t outlen)
{
	size_t klen = strlen(key), pos = 0;

	while (pos < len) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t llen = nl ? (size_t)(nl - line) : len - pos;

		if (llen > klen && memcmp(line, key, klen) == 0 && line[klen] == '=') {
			size_t vlen = llen - klen - 1;
			const char *nul = memchr(line + klen + 1, '\0', vlen);
			if (nul)
				vlen = (size_t)(nul - (line + klen + 1));
			if (vlen + 1 > outlen)
				return -E2BIG;
			memcpy(out, line + klen + 1, vlen);
			out[vlen] = '\0';
			return 0;
		}
		pos += llen + 1;
	}
	return -ENOENT;
}

int vmcoreinfo_get_u64(const char *text, size_t len, const char *key, uint64_t *out)
{
	char buf[32], *end;
	int r = vmcoreinfo_get(text, len, key, buf, sizeof(buf));
	int decimal = strncmp(key, "NUMBER(", 7) == 0 || strncmp(key, "LENGTH(", 7) == 0 ||
		      strncmp(key, "SIZE(", 5) == 0 || strncmp(key, "OFFSET(", 7) == 0;

	if (r < 0)
		return r;
	if (!buf[0])
		return -EINVAL;
	errno = 0;
	if (decimal)
		*out = (uint64_t)strtoll(buf, &end, 10);
	else
		*out = strtoull(buf, &end, 16);
	if (errno || *end)
		return -EINVAL;
	return 0;
}

int vmcoreinfo_find(const uint8_t *notes, size_t len, const char **text, size_t *tlen)
{
	struct elfnote n;
	size_t pos = 0;
	int r;

	while ((r = elfnote_next(notes, len, &pos, &n)) > 0) {
		if (elfnote_is(&n, "VMCOREINFO")) {
			*text = (const char *)n.desc;
			*tlen = n.descsz;
			return 0;
		}
	}
	return r < 0 ? r : -ENOENT;
}

size_t vmcoreinfo_note_at(const uint8_t *page, size_t avail)
{
	struct elfnote n;
	size_t pos = 0;

	if (avail < sizeof(Elf64_Nhdr) + 12 + 10)
		return 0;
	/* cheap pre-check: n_namesz == 11 (the first field), then the name */
	if (page[0] != 11 || page[1] || page[2] || page[3] ||
	    memcmp(page + sizeof(Elf64_Nhdr), "VMCOREINFO", 11))
		return 0;
	if (elfnote_next(page, avail, &pos, &n) != 1 || n.descsz > VMCOREINFO_MAX ||
	    n.descsz < 10 || memcmp(n.desc, "OSRELEASE=", 10) != 0)
		return 0;
	return n.size;
}

long long vmcoreinfo_scan(const uint8_t *buf, size_t len, size_t avail, size_t page,
			  vmcoreinfo_skip_fn skip, void *ctx, size_t *note_len)
{
	if (!page)
		return -1;
	if (avail < len)
		len = avail;
	for (size_t o = 0; len >= page && o <= len - page; o += page) {
		size_t note = vmcoreinfo_note_at(buf + o, avail - o);
		if (!note || (skip && skip(ctx, buf + o, note)))
			continue;
		*note_len = note;
		return (long long)o;
	}
	return -1;
}
