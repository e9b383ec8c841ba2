// SPDX-License-Identifier: GPL-2.0-or-later
// elf-phdrs-first: move an ELF64 core's program headers to right after the ELF header, in
// place.  makedumpfile 1.7.2 reads program headers at offset 64 whatever e_phoff says, and
// QEMU 7.2 writes section headers there (e_phoff 192), so makedumpfile cannot read QEMU's
// ELF dumps as they are.  Segment data and offsets are untouched; the section headers (QEMU
// uses them only for e_phnum overflow, which this refuses) are dropped.
// Usage: elf-phdrs-first FILE      Exit 0 done (or nothing to do), 1 on failure.
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	Elf64_Ehdr eh;
	Elf64_Phdr *ph;
	size_t tab;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: elf-phdrs-first FILE\n");
		return 1;
	}
	fd = open(argv[1], O_RDWR);
	if (fd < 0 || pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum == PN_XNUM) {
		fprintf(stderr, "elf-phdrs-first: %s: not an ELF64 file it can rewrite\n", argv[1]);
		return 1;
	}
	if (eh.e_phoff == sizeof(eh))
		return 0;
	tab = (size_t)eh.e_phnum * sizeof(*ph);
	ph = malloc(tab);
	if (!ph || pread(fd, ph, tab, (off_t)eh.e_phoff) != (ssize_t)tab)
		return 1;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_filesz && ph[i].p_offset < sizeof(eh) + tab) {
			fprintf(stderr, "elf-phdrs-first: %s: segment %u starts at %#llx, inside the "
				"room the program headers need\n", argv[1], i,
				(unsigned long long)ph[i].p_offset);
			return 1;
		}
	}
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_shoff = 0;
	eh.e_shnum = 0;
	eh.e_shstrndx = 0;
	if (pwrite(fd, ph, tab, sizeof(eh)) != (ssize_t)tab ||
	    pwrite(fd, &eh, sizeof(eh), 0) != sizeof(eh) || close(fd) < 0) {
		perror("elf-phdrs-first");
		return 1;
	}
	free(ph);
	return 0;
}
