// SPDX-License-Identifier: GPL-2.0-or-later
// pagehash: hash every 4 KiB page of a guest RAM file (QEMU memory-backend-file) into a
// pagehash.h record file, with each page's guest-physical address.
// Usage: pagehash [-j THREADS] [--gpa BASE] RAMFILE LOWMEM_BYTES OUT [SIZE_BYTES]
//   File offset off holds guest-physical address  off < LOWMEM ? off : 4 GiB + (off - LOWMEM),
//   or with --gpa (a DIMM file, mapped whole at BASE; LOWMEM is then ignored) BASE + off.
//   Numbers: decimal or 0x hex, with an optional K/M/G/T (binary) suffix.  SIZE (default: the
//   whole file) hashes only the first SIZE bytes.  Both must be multiples of 4096.
// Prints "pagehash: pages=<n> low=<n> high=<n> seconds=<s> rate=<GB/s>" on stdout.
// Exit 0 on success, 2 on usage or I/O errors.
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pagehash.h"

#define FOUR_GIB (UINT64_C(4) << 30)
#define READ_CHUNK (4u << 20)
#define MAX_THREADS 16

struct job {
	int fd;
	uint64_t first, end; /* page range [first, end) */
	uint64_t *hashes;    /* indexed by page number */
	int err;             /* errno of a failed read, or -1 for end of file */
};

static void usage(void)
{
	fprintf(stderr, "usage: pagehash [-j THREADS] [--gpa BASE] RAMFILE LOWMEM_BYTES OUT "
			"[SIZE_BYTES]\n");
	exit(2);
}

/* Decimal or 0x hex, optional K/M/G/T suffix (powers of 1024). */
static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned shift = 0;

	if (*s == '\0' || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	default: return -1;
	}
	if (*end != '\0' || (shift && v > (UINT64_MAX >> shift)))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

static void *hash_range(void *arg)
{
	struct job *j = arg;
	uint8_t *buf = NULL;

	if (posix_memalign((void **)&buf, PAGEHASH_PAGE_SIZE, READ_CHUNK) != 0) {
		j->err = ENOMEM;
		return NULL;
	}
	for (uint64_t pg = j->first; pg < j->end;) {
		uint64_t n = j->end - pg;
		if (n > READ_CHUNK / PAGEHASH_PAGE_SIZE)
			n = READ_CHUNK / PAGEHASH_PAGE_SIZE;
		if (pagehash_pread_full(j->fd, buf, (size_t)n * PAGEHASH_PAGE_SIZE,
					pg * PAGEHASH_PAGE_SIZE) < 0) {
			j->err = errno ? errno : -1;
			break;
		}
		for (uint64_t k = 0; k < n; k++)
			j->hashes[pg + k] = pagehash_page(buf + k * PAGEHASH_PAGE_SIZE);
		pg += n;
	}
	free(buf);
	return NULL;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	uint64_t low, size, base = 0;
	int have_base = 0;
	long nthreads = sysconf(_SC_NPROCESSORS_ONLN);
	struct stat st;
	int argi = 1;

	if (nthreads < 1)
		nthreads = 1;
	if (nthreads > 2)
		nthreads = 2;
	if (argc > 2 && strcmp(argv[1], "-j") == 0) {
		char *end;
		nthreads = strtol(argv[2], &end, 10);
		if (*end || nthreads < 1 || nthreads > MAX_THREADS)
			usage();
		argi = 3;
	}
	if (argc > argi + 1 && strcmp(argv[argi], "--gpa") == 0) {
		if (parse_size(argv[argi + 1], &base) < 0 || base % PAGEHASH_PAGE_SIZE) {
			fprintf(stderr, "pagehash: bad --gpa '%s' (page multiple)\n", argv[argi + 1]);
			return 2;
		}
		have_base = 1;
		argi += 2;
	}
	if (argc - argi != 3 && argc - argi != 4)
		usage();
	const char *ram = argv[argi], *outpath = argv[argi + 2];
	if (parse_size(argv[argi + 1], &low) < 0 || low % PAGEHASH_PAGE_SIZE || low > FOUR_GIB) {
		fprintf(stderr, "pagehash: bad LOWMEM_BYTES '%s' (page multiple, at most 4 GiB)\n",
			argv[argi + 1]);
		return 2;
	}

	double t0 = now();
	int fd = open(ram, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "pagehash: %s: %s\n", ram, strerror(errno));
		return 2;
	}
	size = (uint64_t)st.st_size;
	if (argc - argi == 4) {
		if (parse_size(argv[argi + 3], &size) < 0) {
			fprintf(stderr, "pagehash: bad SIZE_BYTES '%s'\n", argv[argi + 3]);
			return 2;
		}
		if (S_ISREG(st.st_mode) && size > (uint64_t)st.st_size) {
			fprintf(stderr, "pagehash: SIZE %" PRIu64 " is larger than %s (%" PRIu64
					" bytes)\n", size, ram, (uint64_t)st.st_size);
			return 2;
		}
	}
	if (size % PAGEHASH_PAGE_SIZE) {
		fprintf(stderr, "pagehash: size %" PRIu64 " is not a multiple of 4096\n", size);
		return 2;
	}
	uint64_t npages = size / PAGEHASH_PAGE_SIZE;
	uint64_t *hashes = malloc(npages ? (size_t)npages * sizeof(*hashes) : 1);
	if (!hashes) {
		fprintf(stderr, "pagehash: out of memory for %" PRIu64 " hashes\n", npages);
		return 2;
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);

	/* Split the pages into nthreads contiguous ranges. */
	struct job jobs[MAX_THREADS];
	pthread_t tids[MAX_THREADS];
	if ((uint64_t)nthreads > npages / 256 + 1)
		nthreads = (long)(npages / 256 + 1);
	for (long t = 0; t < nthreads; t++) {
		jobs[t] = (struct job){ fd, npages * (uint64_t)t / (uint64_t)nthreads,
					npages * (uint64_t)(t + 1) / (uint64_t)nthreads, hashes, 0 };
		if (t > 0 && pthread_create(&tids[t], NULL, hash_range, &jobs[t]) != 0) {
			fprintf(stderr, "pagehash: cannot start a thread\n");
			return 2;
		}
	}
	hash_range(&jobs[0]);
	for (long t = 1; t < nthreads; t++)
		pthread_join(tids[t], NULL);
	for (long t = 0; t < nthreads; t++) {
		if (jobs[t].err) {
			fprintf(stderr, "pagehash: reading %s: %s\n", ram,
				jobs[t].err > 0 ? strerror(jobs[t].err) : "unexpected end of file");
			return 2;
		}
	}
	double t1 = now();

	int ofd = open(outpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	struct pagehash_writer *w = malloc(sizeof(*w));
	if (ofd < 0 || !w || pagehash_writer_open(w, ofd) < 0) {
		fprintf(stderr, "pagehash: %s: %s\n", outpath, strerror(errno));
		return 2;
	}
	uint64_t nlow = 0;
	for (uint64_t pg = 0; pg < npages; pg++) {
		uint64_t off = pg * PAGEHASH_PAGE_SIZE;
		uint64_t paddr = have_base ? base + off : off < low ? off : FOUR_GIB + (off - low);
		nlow += !have_base && off < low;
		if (pagehash_writer_add(w, paddr, hashes[pg]) < 0) {
			fprintf(stderr, "pagehash: writing %s: %s\n", outpath, strerror(errno));
			return 2;
		}
	}
	if (pagehash_writer_finish(w) < 0 || close(ofd) < 0) {
		fprintf(stderr, "pagehash: writing %s: %s\n", outpath, strerror(errno));
		return 2;
	}
	double t2 = now();
	printf("pagehash: pages=%" PRIu64 " low=%" PRIu64 " high=%" PRIu64 " threads=%ld "
	       "seconds=%.2f rate=%.2fGB/s\n",
	       npages, nlow, npages - nlow, nthreads, t2 - t0,
	       t1 > t0 ? (double)size / (t1 - t0) / 1e9 : 0.0);
	free(hashes);
	free(w);
	close(fd);
	return 0;
}
