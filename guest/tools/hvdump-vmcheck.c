/* hvdump-vmcheck [--out FILE] [VMCORE]: hash every 4 KiB page of every PT_LOAD of an ELF64
 * core file (default /proc/vmcore) with pagehash.h, and write the records (paddr = the
 * segment's p_paddr + i * 4096) to FILE: usually a block device such as /dev/vdb, which the
 * host then compares with the crashed RAM (tests/tools/pagecmp).
 *
 * A PT_LOAD in the kernel image mapping (p_vaddr at or above 0xffffffff80000000: kexec's and
 * hvdump's headers add one for the kernel image, an alias of RAM) is not hashed into FILE:
 * each of its pages must equal the RAM page at the same p_paddr, else the check fails.
 *
 * Also counts the PT_NOTE notes: NT_PRSTATUS notes named "CORE", and the "VMCOREINFO" note's
 * OSRELEASE= value.  Prints one line on stdout:
 *   hvdump-guest: vmcheck loads=<n> pages=<n> prstatus=<n> vmcoreinfo=<OSRELEASE|none> seconds=<s>
 * or, exiting 1:
 *   hvdump-guest: vmcheck FAILED: <why>
 * The core file is untrusted: every size and offset is checked.  Built statically into the
 * demo guest initramfs as /bin/hvdump-vmcheck; also builds and runs on the host. */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pagehash.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "hvdump-vmcheck reads little-endian ELF structures directly"
#endif

#define READ_BUF (4u << 20)         /* bytes per pread() of segment data */
#define MAX_PHNUM (1u << 20)        /* program headers we accept */
#define MAX_NOTES_SIZE (64u << 20)  /* bytes of one PT_NOTE we accept */
#define OSRELEASE_MAX 64

static const char *prog = "hvdump-vmcheck";

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail(const char *fmt, ...)
{
	va_list ap;
	fflush(stdout);
	printf("hvdump-guest: vmcheck FAILED: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(1);
}

static void usage(void)
{
	fprintf(stderr, "usage: %s [--out FILE] [VMCORE]   (VMCORE defaults to /proc/vmcore)\n",
		prog);
	exit(2);
}

/* Read exactly len bytes at off, or fail naming what was read. */
static void read_at(int fd, void *buf, size_t len, uint64_t off, const char *what)
{
	if (pagehash_pread_full(fd, buf, len, off) < 0)
		fail("reading %s (%zu bytes at offset 0x%" PRIx64 "): %s", what, len, off,
		     errno ? strerror(errno) : "unexpected end of file");
}

/* Is [off, off + len) inside a file of size fsize (UINT64_MAX: unknown)?  No overflow. */
static int in_file(uint64_t off, uint64_t len, uint64_t fsize)
{
	return off <= fsize && len <= fsize - off;
}

static uint64_t align4(uint64_t x)
{
	return (x + 3) & ~UINT64_C(3);
}

struct notes_info {
	unsigned prstatus;
	int vmcoreinfo; /* seen */
	char osrelease[OSRELEASE_MAX + 1];
};

/* Copy the OSRELEASE= value out of VMCOREINFO text (lines "KEY=VALUE\n"). */
static void find_osrelease(const uint8_t *desc, uint64_t len, struct notes_info *ni)
{
	static const char key[] = "OSRELEASE=";
	const uint64_t klen = sizeof(key) - 1;
	uint64_t i = 0;

	while (i < len) {
		uint64_t eol = i;
		while (eol < len && desc[eol] != '\n')
			eol++;
		if (eol - i >= klen && memcmp(desc + i, key, klen) == 0) {
			size_t n = 0;
			for (uint64_t j = i + klen; j < eol && desc[j] != '\0' && n < OSRELEASE_MAX; j++)
				ni->osrelease[n++] = (desc[j] > ' ' && desc[j] < 0x7f) ? (char)desc[j] : '?';
			ni->osrelease[n] = '\0';
			return;
		}
		i = eol + 1;
	}
}

/* Walk the notes of one PT_NOTE segment (4-byte aligned Elf64_Nhdr entries). */
static void parse_notes(const uint8_t *buf, uint64_t len, unsigned seg, struct notes_info *ni)
{
	uint64_t off = 0;

	while (len - off >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr nh;
		memcpy(&nh, buf + off, sizeof(nh));
		if (nh.n_namesz == 0 && nh.n_descsz == 0 && nh.n_type == 0)
			break; /* zero padding */
		uint64_t name_off = off + sizeof(nh);
		uint64_t desc_off = name_off + align4(nh.n_namesz);
		uint64_t end = desc_off + align4(nh.n_descsz); /* < 2^35: no overflow */
		if (end > len || desc_off + nh.n_descsz > len)
			fail("PT_NOTE %u: note at offset 0x%" PRIx64 " (namesz %u, descsz %u) runs past "
			     "the segment's end 0x%" PRIx64,
			     seg, off, nh.n_namesz, nh.n_descsz, len);
		const char *name = (const char *)buf + name_off;
		size_t nlen = strnlen(name, nh.n_namesz);
		if (nh.n_type == NT_PRSTATUS && nlen == 4 && memcmp(name, "CORE", 4) == 0)
			ni->prstatus++;
		if (nlen == 10 && memcmp(name, "VMCOREINFO", 10) == 0 && !ni->vmcoreinfo) {
			ni->vmcoreinfo = 1;
			find_osrelease(buf + desc_off, nh.n_descsz, ni);
		}
		off = end;
	}
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define KIMAGE_START 0xffffffff80000000ull

/* A kernel-image PT_LOAD, and the hashes of the RAM pages it must equal. */
struct alias {
	const Elf64_Phdr *ph;
	uint64_t *ram;
	uint8_t *seen;
};

static void alias_note(struct alias *al, size_t nal, uint64_t paddr, uint64_t h)
{
	for (size_t a = 0; a < nal; a++) {
		const Elf64_Phdr *p = al[a].ph;
		if (paddr >= p->p_paddr && paddr - p->p_paddr < p->p_memsz) {
			al[a].ram[(paddr - p->p_paddr) / PAGEHASH_PAGE_SIZE] = h;
			al[a].seen[(paddr - p->p_paddr) / PAGEHASH_PAGE_SIZE] = 1;
		}
	}
}

/* Every page of the alias A equals the RAM page at its p_paddr (BUF: READ_BUF bytes). */
static void alias_check(int fd, const struct alias *a, uint8_t *buf)
{
	const Elf64_Phdr *p = a->ph;

	for (uint64_t pos = 0; pos < p->p_memsz;) {
		uint64_t n = p->p_memsz - pos;
		if (n > READ_BUF)
			n = READ_BUF;
		read_at(fd, buf, (size_t)n, p->p_offset + pos, "kernel image PT_LOAD data");
		for (uint64_t k = 0; k < n; k += PAGEHASH_PAGE_SIZE) {
			uint64_t i = (pos + k) / PAGEHASH_PAGE_SIZE;
			if (!a->seen[i])
				fail("kernel image segment at 0x%" PRIx64 ": paddr 0x%" PRIx64
				     " is in no RAM PT_LOAD", (uint64_t)p->p_vaddr, p->p_paddr + pos + k);
			if (pagehash_page(buf + k) != a->ram[i])
				fail("kernel image segment at 0x%" PRIx64 ": page at paddr 0x%" PRIx64
				     " differs from RAM's", (uint64_t)p->p_vaddr, p->p_paddr + pos + k);
		}
		pos += n;
	}
}

int main(int argc, char **argv)
{
	const char *path = "/proc/vmcore", *out = NULL;
	int have_path = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--out") == 0) {
			if (++i >= argc)
				usage();
			out = argv[i];
		} else if (strncmp(argv[i], "--out=", 6) == 0) {
			out = argv[i] + 6;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage();
		} else if (argv[i][0] == '-' || have_path) {
			usage();
		} else {
			path = argv[i];
			have_path = 1;
		}
	}
	if (out && *out == '\0')
		usage();

	double t0 = now();
	int fd = open(path, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		fail("%s: %s", path, strerror(errno));
	/* /proc/vmcore and files report their size; anything else is bounded by short reads. */
	uint64_t fsize = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : UINT64_MAX;

	/* ELF header. */
	Elf64_Ehdr eh;
	if (fsize < sizeof(eh))
		fail("%s: %" PRIu64 " bytes, too small for an ELF64 header", path, fsize);
	read_at(fd, &eh, sizeof(eh), 0, "the ELF header");
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
		fail("%s: not an ELF file", path);
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh.e_ident[EI_VERSION] != EV_CURRENT)
		fail("%s: not a little-endian ELF64 version-1 file (class %u data %u version %u)",
		     path, eh.e_ident[EI_CLASS], eh.e_ident[EI_DATA], eh.e_ident[EI_VERSION]);
	if (eh.e_type != ET_CORE)
		fail("%s: e_type %u is not ET_CORE", path, eh.e_type);
	if (eh.e_phentsize != sizeof(Elf64_Phdr))
		fail("%s: e_phentsize %u, expected %zu", path, eh.e_phentsize, sizeof(Elf64_Phdr));
	uint64_t phnum = eh.e_phnum;
	if (phnum == PN_XNUM) {
		/* The real count is in section header 0's sh_info. */
		Elf64_Shdr sh;
		if (eh.e_shoff == 0 || eh.e_shentsize != sizeof(sh) ||
		    !in_file(eh.e_shoff, sizeof(sh), fsize))
			fail("%s: e_phnum is PN_XNUM but section header 0 is missing or bad", path);
		read_at(fd, &sh, sizeof(sh), eh.e_shoff, "section header 0");
		phnum = sh.sh_info;
	}
	if (phnum == 0)
		fail("%s: no program headers", path);
	if (phnum > MAX_PHNUM)
		fail("%s: %" PRIu64 " program headers, more than the %u accepted", path, phnum,
		     MAX_PHNUM);
	uint64_t phsize = phnum * sizeof(Elf64_Phdr);
	if (!in_file(eh.e_phoff, phsize, fsize))
		fail("%s: program header table (0x%" PRIx64 " + %" PRIu64 " bytes) is past the end "
		     "of the file (%" PRIu64 " bytes)",
		     path, (uint64_t)eh.e_phoff, phsize, fsize);
	Elf64_Phdr *ph = malloc((size_t)phsize);
	if (!ph)
		fail("out of memory for %" PRIu64 " program headers", phnum);
	read_at(fd, ph, (size_t)phsize, eh.e_phoff, "the program headers");

	/* Check every segment before hashing anything. */
	uint64_t loads = 0, pages = 0, apages = 0;
	struct alias *al = calloc(phnum, sizeof(*al));
	size_t nal = 0;
	if (!al)
		fail("out of memory");
	struct notes_info ni = { 0, 0, "" };
	for (uint64_t i = 0; i < phnum; i++) {
		const Elf64_Phdr *p = &ph[i];
		if (p->p_type == PT_NOTE) {
			if (!in_file(p->p_offset, p->p_filesz, fsize))
				fail("PT_NOTE %" PRIu64 ": offset 0x%" PRIx64 " + size 0x%" PRIx64
				     " is past the end of the file",
				     i, (uint64_t)p->p_offset, (uint64_t)p->p_filesz);
			if (p->p_filesz > MAX_NOTES_SIZE)
				fail("PT_NOTE %" PRIu64 ": %" PRIu64 " bytes, more than the %u accepted", i,
				     (uint64_t)p->p_filesz, MAX_NOTES_SIZE);
			if (p->p_filesz == 0)
				continue;
			uint8_t *nb = malloc((size_t)p->p_filesz);
			if (!nb)
				fail("out of memory for PT_NOTE %" PRIu64, i);
			read_at(fd, nb, (size_t)p->p_filesz, p->p_offset, "a PT_NOTE segment");
			parse_notes(nb, p->p_filesz, (unsigned)i, &ni);
			free(nb);
			continue;
		}
		if (p->p_type != PT_LOAD)
			continue;
		if (p->p_memsz % PAGEHASH_PAGE_SIZE != 0)
			fail("PT_LOAD %" PRIu64 " (paddr 0x%" PRIx64 "): p_memsz 0x%" PRIx64
			     " is not a multiple of 4096",
			     i, (uint64_t)p->p_paddr, (uint64_t)p->p_memsz);
		if (p->p_filesz != p->p_memsz)
			fail("PT_LOAD %" PRIu64 " (paddr 0x%" PRIx64 "): p_filesz 0x%" PRIx64
			     " != p_memsz 0x%" PRIx64,
			     i, (uint64_t)p->p_paddr, (uint64_t)p->p_filesz, (uint64_t)p->p_memsz);
		if (p->p_paddr % PAGEHASH_PAGE_SIZE != 0)
			fail("PT_LOAD %" PRIu64 ": p_paddr 0x%" PRIx64 " is not page aligned", i,
			     (uint64_t)p->p_paddr);
		if (p->p_paddr + p->p_memsz < p->p_paddr)
			fail("PT_LOAD %" PRIu64 ": p_paddr 0x%" PRIx64 " + p_memsz 0x%" PRIx64
			     " overflows",
			     i, (uint64_t)p->p_paddr, (uint64_t)p->p_memsz);
		if (!in_file(p->p_offset, p->p_filesz, fsize))
			fail("PT_LOAD %" PRIu64 " (paddr 0x%" PRIx64 "): offset 0x%" PRIx64
			     " + size 0x%" PRIx64 " is past the end of the file (%" PRIu64 " bytes)",
			     i, (uint64_t)p->p_paddr, (uint64_t)p->p_offset, (uint64_t)p->p_filesz,
			     fsize);
		if (p->p_vaddr >= KIMAGE_START) {
			al[nal].ph = p;
			al[nal].ram = calloc(p->p_memsz / PAGEHASH_PAGE_SIZE + 1, sizeof(uint64_t));
			al[nal].seen = calloc(p->p_memsz / PAGEHASH_PAGE_SIZE + 1, 1);
			if (!al[nal].ram || !al[nal].seen)
				fail("out of memory for the kernel image segment %" PRIu64, i);
			apages += p->p_memsz / PAGEHASH_PAGE_SIZE;
			nal++;
			continue;
		}
		loads++;
		pages += p->p_memsz / PAGEHASH_PAGE_SIZE;
	}

	/* Output. */
	int ofd = -1;
	struct pagehash_writer *w = NULL;
	if (out) {
		ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (ofd < 0)
			fail("%s: %s", out, strerror(errno));
		w = malloc(sizeof(*w));
		if (!w)
			fail("out of memory");
		if (pagehash_writer_open(w, ofd) < 0)
			fail("writing %s: %s", out, strerror(errno));
	}

	/* Hash. */
	uint8_t *buf = NULL;
	if ((loads || nal) && posix_memalign((void **)&buf, PAGEHASH_PAGE_SIZE, READ_BUF) != 0)
		fail("out of memory for a %u-byte read buffer", READ_BUF);
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	uint64_t done = 0;
	for (uint64_t i = 0; i < phnum; i++) {
		const Elf64_Phdr *p = &ph[i];
		if (p->p_type != PT_LOAD || p->p_vaddr >= KIMAGE_START)
			continue;
		for (uint64_t pos = 0; pos < p->p_memsz;) {
			uint64_t n = p->p_memsz - pos;
			if (n > READ_BUF)
				n = READ_BUF;
			read_at(fd, buf, (size_t)n, p->p_offset + pos, "PT_LOAD data");
			for (uint64_t k = 0; k < n; k += PAGEHASH_PAGE_SIZE) {
				uint64_t h = pagehash_page(buf + k);
				alias_note(al, nal, p->p_paddr + pos + k, h);
				if (w && pagehash_writer_add(w, p->p_paddr + pos + k, h) < 0)
					fail("writing %s: %s", out, strerror(errno));
			}
			pos += n;
			done += n / PAGEHASH_PAGE_SIZE;
		}
	}
	if (done != pages)
		fail("internal error: hashed %" PRIu64 " pages, expected %" PRIu64, done, pages);
	for (size_t a = 0; a < nal; a++)
		alias_check(fd, &al[a], buf);
	if (w) {
		if (pagehash_writer_finish(w) < 0)
			fail("writing %s: %s", out, strerror(errno));
		if (close(ofd) < 0)
			fail("closing %s: %s", out, strerror(errno));
	}
	close(fd);
	printf("hvdump-guest: vmcheck loads=%" PRIu64 " pages=%" PRIu64 " kimage_pages=%" PRIu64
	       " prstatus=%u vmcoreinfo=%s seconds=%.2f\n",
	       loads, pages, apages, ni.prstatus,
	       ni.vmcoreinfo ? (ni.osrelease[0] ? ni.osrelease : "unknown") : "none", now() - t0);
	free(buf);
	free(w);
	free(ph);
	return 0;
}
