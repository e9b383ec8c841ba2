// SPDX-License-Identifier: GPL-2.0-or-later
// elf2kdump: convert an ELF vmcore (QEMU dump-guest-memory, /proc/vmcore) to kdump-compressed
// with src/format/kdump.h, the way a streaming saver uses it: compression in -j worker
// threads, one appender in pfn order, a checkpoint every --sync-every MiB.
// Usage: elf2kdump [-c none|zlib|lzo|zstd] [-l LEVEL] [-j THREADS] [--sync-every MIB]
//                  [--max-pfn N] [--stop-after-pfn PFN | --resume] ELF OUT
//   --max-pfn N           leave out memory at and above pfn N (QEMU dumps its BIOS ROM at
//                         4 GiB - 256 KiB; makedumpfile refuses to refilter a dump whose
//                         max_mapnr exceeds the kernel's memory map)
//   --stop-after-pfn PFN  checkpoint once PFN is appended, then exit without finishing (a
//                         simulated crash; OUT is left incomplete, at OUT.part)
//   --resume              continue OUT.part from its last checkpoint instead of starting over
// The file is written as OUT.part and renamed to OUT when complete.
// Prints "elf2kdump: alg=<a> pages=<n> zero=<n> raw=<n> ram_mb=<n> out_mb=<n>
//   compress_s=<s> compress_mb_s=<r> total_s=<s>" (compress_mb_s: MB of guest RAM per second
//   of compression CPU time, summed over threads).  Exit 0, 1 on failure, 2 on usage.
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "format/elfcore.h"
#include "format/kdump.h"

#define CHUNK 256u /* pages per worker task */
#define MAX_THREADS 16

struct run {
	uint64_t start_pfn, npages;
	const uint8_t *data;  /* file bytes of the segment */
	uint64_t filesz;
};

struct chunk {
	uint64_t n;
	uint64_t pfn[CHUNK];
	const uint8_t *src[CHUNK];
	uint8_t *out;               /* CHUNK * 4096 */
	struct kdump_cpage cp[CHUNK];
	struct kdump_compressor *c;
	double cpu_s;
	int err;
};

static const uint8_t zero_page[KDUMP_PAGE_SIZE];

static double now_s(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *compress_chunk(void *arg)
{
	struct chunk *ch = arg;
	double t0 = now_s(CLOCK_THREAD_CPUTIME_ID);

	for (uint64_t i = 0; i < ch->n && !ch->err; i++)
		ch->err = kdump_compress_page(ch->c, ch->src[i], ch->out + i * KDUMP_PAGE_SIZE,
					      &ch->cp[i]);
	ch->cpu_s = now_s(CLOCK_THREAD_CPUTIME_ID) - t0;
	return NULL;
}

static int cmp_run(const void *a, const void *b)
{
	const struct run *x = a, *y = b;
	return x->start_pfn < y->start_pfn ? -1 : x->start_pfn > y->start_pfn;
}

/* The bytes of valid pfn PFN: inside the segment's file bytes, or a zero page past them.
 * A page cut by p_filesz is copied into TMP with zeros after. */
static const uint8_t *page_of(const struct run *runs, size_t nruns, uint64_t pfn, uint8_t *tmp)
{
	for (size_t i = 0; i < nruns; i++) {
		const struct run *r = &runs[i];
		if (pfn < r->start_pfn || pfn - r->start_pfn >= r->npages)
			continue;
		uint64_t off = (pfn - r->start_pfn) * KDUMP_PAGE_SIZE;
		if (off + KDUMP_PAGE_SIZE <= r->filesz)
			return r->data + off;
		if (off >= r->filesz)
			return zero_page;
		memset(tmp, 0, KDUMP_PAGE_SIZE);
		memcpy(tmp, r->data + off, r->filesz - off);
		return tmp;
	}
	return zero_page;
}

static void usage(void)
{
	fprintf(stderr, "usage: elf2kdump [-c none|zlib|lzo|zstd] [-l LEVEL] [-j THREADS] "
			"[--sync-every MIB] [--max-pfn N] [--stop-after-pfn PFN | --resume] ELF OUT\n");
	exit(2);
}

int main(int argc, char **argv)
{
	enum kdump_compression alg = KDUMP_COMPRESS_ZSTD;
	int level = 0, threads = 1, resume = 0, ret;
	uint64_t sync_every = 64, stop_after = UINT64_MAX, max_pfn_opt = UINT64_MAX;
	const char *in_path = NULL, *out_path = NULL;
	char part[4096], why[256];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-c") && i + 1 < argc) {
			if (kdump_compression_parse(argv[++i], &alg) < 0)
				usage();
		} else if (!strcmp(argv[i], "-l") && i + 1 < argc) {
			level = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "-j") && i + 1 < argc) {
			threads = atoi(argv[++i]);
			if (threads < 1 || threads > MAX_THREADS)
				usage();
		} else if (!strcmp(argv[i], "--sync-every") && i + 1 < argc) {
			sync_every = strtoull(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "--stop-after-pfn") && i + 1 < argc) {
			stop_after = strtoull(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "--max-pfn") && i + 1 < argc) {
			max_pfn_opt = strtoull(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "--resume")) {
			resume = 1;
		} else if (argv[i][0] == '-') {
			usage();
		} else if (!in_path) {
			in_path = argv[i];
		} else if (!out_path) {
			out_path = argv[i];
		} else {
			usage();
		}
	}
	if (!in_path || !out_path)
		usage();
	snprintf(part, sizeof(part), "%s.part", out_path);

	/* map the ELF and find its notes and loads */
	int fd = open(in_path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "elf2kdump: %s: %s\n", in_path, strerror(errno));
		return 1;
	}
	const uint8_t *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		fprintf(stderr, "elf2kdump: mmap %s: %s\n", in_path, strerror(errno));
		return 1;
	}
	struct elfcore_segment *segs;
	size_t nsegs, need;
	ret = elfcore_parse(map, (size_t)st.st_size, (uint64_t)st.st_size, &segs, &nsegs, &need);
	if (ret < 0) {
		fprintf(stderr, "elf2kdump: %s: not an ELF core we read (%s)\n", in_path,
			strerror(-ret));
		return 1;
	}
	struct run *runs = calloc(nsegs, sizeof(*runs));
	struct kdump_range *ranges = calloc(nsegs, sizeof(*ranges));
	size_t nruns = 0;
	const uint8_t *notes = NULL;
	size_t notes_len = 0;
	uint64_t max_pfn = 0;
	for (size_t i = 0; i < nsegs; i++) {
		if (segs[i].type == 4 /* PT_NOTE */ && !notes) {
			notes = map + segs[i].offset;
			notes_len = segs[i].filesz;
			continue;
		}
		if (segs[i].type != 1 /* PT_LOAD */ || segs[i].memsz == 0)
			continue;
		if (segs[i].paddr % KDUMP_PAGE_SIZE || segs[i].memsz % KDUMP_PAGE_SIZE) {
			fprintf(stderr, "elf2kdump: PT_LOAD at %#" PRIx64 " not page-aligned\n",
				segs[i].paddr);
			return 1;
		}
		runs[nruns] = (struct run){ segs[i].paddr / KDUMP_PAGE_SIZE,
					    segs[i].memsz / KDUMP_PAGE_SIZE, map + segs[i].offset,
					    segs[i].filesz };
		if (runs[nruns].start_pfn >= max_pfn_opt)
			continue;
		if (runs[nruns].npages > max_pfn_opt - runs[nruns].start_pfn)
			runs[nruns].npages = max_pfn_opt - runs[nruns].start_pfn;
		if (runs[nruns].start_pfn + runs[nruns].npages > max_pfn)
			max_pfn = runs[nruns].start_pfn + runs[nruns].npages;
		nruns++;
	}
	qsort(runs, nruns, sizeof(*runs), cmp_run);
	for (size_t i = 0; i < nruns; i++)
		ranges[i] = (struct kdump_range){ runs[i].start_pfn,
						  runs[i].start_pfn + runs[i].npages };

	struct kdump_writer *w;
	if (resume) {
		ret = kdump_writer_resume(part, out_path, &w, why, sizeof(why));
		if (ret < 0) {
			fprintf(stderr, "elf2kdump: resume %s: %s (%s)\n", part, why, strerror(-ret));
			return 1;
		}
		alg = kdump_writer_compression(w);
		level = kdump_writer_level(w);
		fprintf(stderr, "elf2kdump: resuming at pfn %#" PRIx64 "\n", kdump_writer_next_pfn(w));
	} else {
		struct kdump_writer_opts o = {
			.path = part, .final_path = out_path, .max_mapnr = max_pfn,
			.ranges = ranges, .nranges = nruns, .notes = notes, .notes_len = notes_len,
			.compression = alg, .level = level,
		};
		ret = kdump_writer_create(&o, &w);
		if (ret < 0) {
			fprintf(stderr, "elf2kdump: create %s: %s\n", part, strerror(-ret));
			return 1;
		}
	}

	struct chunk *ch = calloc((size_t)threads, sizeof(*ch));
	uint8_t *tmp = malloc((size_t)threads * CHUNK * KDUMP_PAGE_SIZE);
	for (int t = 0; t < threads; t++) {
		ch[t].out = malloc((size_t)CHUNK * KDUMP_PAGE_SIZE);
		if (!ch[t].out || kdump_compressor_new(alg, level, &ch[t].c) < 0) {
			fprintf(stderr, "elf2kdump: out of memory\n");
			return 1;
		}
	}
	double t0 = now_s(CLOCK_MONOTONIC), cpu = 0;
	uint64_t since_sync = 0, durable = 0;
	int failed = 0;
	while (!failed && kdump_writer_next_pfn(w) < max_pfn) {
		/* gather up to THREADS chunks of the next valid pfns */
		uint64_t pfn = kdump_writer_next_pfn(w);
		int used = 0;
		for (int t = 0; t < threads && pfn < max_pfn; t++, used++) {
			ch[t].n = 0;
			ch[t].err = 0;
			for (size_t r = 0; r < nruns && ch[t].n < CHUNK; r++) {
				uint64_t end = runs[r].start_pfn + runs[r].npages;
				if (pfn < runs[r].start_pfn)
					pfn = runs[r].start_pfn;
				for (; pfn < end && ch[t].n < CHUNK; pfn++) {
					uint64_t k = ch[t].n++;
					uint8_t *scratch = tmp + ((size_t)t * CHUNK + k) * KDUMP_PAGE_SIZE;
					ch[t].pfn[k] = pfn;
					ch[t].src[k] = page_of(runs, nruns, pfn, scratch);
				}
			}
			if (ch[t].n == 0)
				break;
		}
		pthread_t tid[MAX_THREADS];
		for (int t = 0; t < used; t++)
			if (threads > 1)
				pthread_create(&tid[t], NULL, compress_chunk, &ch[t]);
			else
				compress_chunk(&ch[t]);
		for (int t = 0; t < used && threads > 1; t++)
			pthread_join(tid[t], NULL);
		/* append in pfn order */
		for (int t = 0; t < used && !failed; t++) {
			cpu += ch[t].cpu_s;
			if (ch[t].err) {
				fprintf(stderr, "elf2kdump: compress: %s\n", strerror(-ch[t].err));
				failed = 1;
				break;
			}
			for (uint64_t i = 0; i < ch[t].n; i++) {
				uint64_t p = ch[t].pfn[i];
				ret = kdump_writer_append(w, p, &ch[t].cp[i]);
				if (ret < 0) {
					fprintf(stderr, "elf2kdump: append pfn %#" PRIx64 ": %s\n", p,
						strerror(-ret));
					failed = 1;
					break;
				}
				since_sync += KDUMP_PAGE_SIZE;
				if (p >= stop_after) {
					ret = kdump_writer_sync(w, &durable);
					fprintf(stderr,
						"elf2kdump: stopping without finish, durable below "
						"pfn %#" PRIx64 " (%s)\n",
						durable, ret < 0 ? strerror(-ret) : "ok");
					kdump_writer_free(w);
					return ret < 0 ? 1 : 0;
				}
			}
		}
		if (!failed && sync_every && since_sync >= (sync_every << 20)) {
			ret = kdump_writer_sync(w, &durable);
			if (ret < 0) {
				fprintf(stderr, "elf2kdump: sync: %s\n", strerror(-ret));
				failed = 1;
			}
			since_sync = 0;
		}
	}
	if (!failed && (ret = kdump_writer_finish(w)) < 0) {
		fprintf(stderr, "elf2kdump: finish: %s\n", strerror(-ret));
		failed = 1;
	}
	double total = now_s(CLOCK_MONOTONIC) - t0;
	struct kdump_writer_stats s;
	kdump_writer_get_stats(w, &s);
	double ram_mb = (double)s.pages * KDUMP_PAGE_SIZE / 1e6;
	if (!failed)
		printf("elf2kdump: alg=%s pages=%" PRIu64 " zero=%" PRIu64 " raw=%" PRIu64
		       " ram_mb=%.1f out_mb=%.1f compress_s=%.3f compress_mb_s=%.0f total_s=%.3f\n",
		       kdump_compression_name(alg), s.pages, s.zero_pages, s.raw_pages, ram_mb,
		       (double)s.file_bytes / 1e6, cpu, cpu > 0 ? ram_mb / cpu : 0.0, total);
	kdump_writer_free(w);
	for (int t = 0; t < threads; t++) {
		kdump_compressor_free(ch[t].c);
		free(ch[t].out);
	}
	free(ch);
	free(tmp);
	free(runs);
	free(ranges);
	free(segs);
	munmap((void *)map, (size_t)st.st_size);
	close(fd);
	return failed;
}
