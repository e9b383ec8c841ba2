// SPDX-License-Identifier: GPL-2.0-or-later
// The space check before a save (dump/space.h): the reserve and the decision as pure
// functions; the estimate of a synthetic crash against the file the saver then really writes
// (ELF exactly, kdump from above within 60%); the test hooks; and the saver's guard, which
// stops a save before the file system's free space falls below its reserve, resumably.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "dump/saveconf.h"
#include "dump/saver.h"
#include "dump/space.h"
#include "tap.h"

#define MiB (1ull << 20)
#define RAM (48 * MiB)

static char dir[64];

static void reserve_and_decide(void)
{
	tap_ok(space_reserve(1ull << 30, 0) == 64 * MiB, "reserve of 1 GiB: the 64 MiB floor");
	tap_ok(space_reserve(100ull << 30, 0) == (100ull << 30) / 100, "reserve of 100 GiB: 1%%");
	tap_ok(space_reserve(1ull << 40, 0) == 2ull << 30, "reserve of 1 TiB: the 2 GiB cap");
	tap_ok(space_reserve(1ull << 40, 5 * MiB) == 5 * MiB, "--min-free wins");
	tap_ok(space_decide(1000, 100, 900, 10) == SPACE_AS_CONFIGURED, "fits to the byte");
	tap_ok(space_decide(1000, 100, 901, 900) == SPACE_DUMP_LEVEL_31, "one byte over: level 31");
	tap_ok(space_decide(1000, 100, 901, 901) == SPACE_REFUSED, "level 31 over too: refused");
	tap_ok(space_decide(1000, 100, 901, SPACE_NO_FALLBACK) == SPACE_REFUSED,
	       "no fallback (ELF, a partial dump): refused");
	tap_ok(space_decide(50, 100, 0, 0) == SPACE_AS_CONFIGURED,
	       "nothing to write fits even below the reserve");
	tap_ok(space_decide(50, 100, 1, 1) == SPACE_REFUSED, "below the reserve: refused");
	tap_ok(!strcmp(space_decision_name(SPACE_DUMP_LEVEL_31), "dump-level-31") &&
		       !strcmp(space_decision_name(SPACE_REFUSED), "refused") &&
		       !strcmp(space_decision_name(SPACE_AS_CONFIGURED), "as-configured"),
	       "decision names as the record spells them");
}

/* A crash of RAM bytes: a quarter zero pages, half text-like pages (compress well), a quarter
 * random; two loads with a hole between them, mapped one to one. */
static int make_ram(const char *path)
{
	uint8_t *page = malloc(4096);
	uint64_t x = 88172645463325252ull;
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600), r = 0;

	for (uint64_t p = 0; fd >= 0 && page && r == 0 && p < RAM / 4096; p++) {
		unsigned kind = (unsigned)((p * 2654435761u) >> 7) % 4;
		for (size_t i = 0; i < 4096; i += 8) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			uint64_t w = kind == 0 ? 0 : kind == 3 ? x : 0x2065687420666f20ull + (x & 0x0f);
			memcpy(page + i, &w, 8);
		}
		r = pwrite(fd, page, 4096, (off_t)(p * 4096)) == 4096 ? 0 : -1;
	}
	free(page);
	if (fd >= 0)
		close(fd);
	return fd < 0 || r < 0 ? -1 : 0;
}

static const struct elfcore_segment segs[] = {
	{ .type = 1 /* PT_LOAD */, .offset = 0, .paddr = 0, .filesz = 20 * MiB, .memsz = 20 * MiB },
	{ .type = 1, .offset = 24 * MiB, .paddr = 24 * MiB, .filesz = 24 * MiB, .memsz = 24 * MiB },
};

/* Run the saver on CFG to its end; its result, why in WHY. */
static int run_saver(const struct saver_config *cfg, char *why, size_t len)
{
	struct saver *s;
	struct saver_range rg[64];
	int result = -EINVAL;

	if (saver_start(cfg, &s) < 0)
		return -EIO;
	for (;;) {
		struct pollfd p = { .fd = saver_event_fd(s), .events = POLLIN };
		(void)poll(&p, 1, 200);
		while (saver_take(s, rg, 64) > 0)
			;
		if (saver_finished(s, &result, why, len))
			break;
	}
	saver_free(s);
	return result;
}

static uint64_t disk_bytes(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (uint64_t)st.st_blocks * 512 : 0;
}

static void estimate_vs_real(const struct save_source *src, enum save_format fmt)
{
	char sub[128], why[512];
	struct save_target t;
	enum save_format other;
	struct space_check c;
	struct saver_config sc;

	snprintf(sub, sizeof(sub), "%s/%s", dir, fmt == SAVE_ELF ? "elf" : "kdump");
	mkdir(sub, 0700);
	if (save_target_pick(sub, fmt, &t, &other) < 0) {
		tap_ok(0, "target in %s", sub);
		return;
	}
	struct space_request rq = { .src = src, .t = &t, .comp = KDUMP_COMPRESS_ZSTD };
	int r = space_check_run(&rq, &c, why, sizeof(why));
	if (!tap_ok(r == 0 && c.decision == SPACE_AS_CONFIGURED, "%s: space check runs (%s)",
		    fmt == SAVE_ELF ? "ELF" : "kdump", r ? why : c.method))
		return;
	saver_config_fill(&sc, src, &t, KDUMP_COMPRESS_ZSTD, 0, 1, false);
	sc.min_free = c.guard;
	r = run_saver(&sc, why, sizeof(why));
	uint64_t real = disk_bytes(t.out);
	tap_diag("%s: estimate %llu bytes (%s, %llu of %llu pages sampled, %lld ms), written %llu",
		 fmt == SAVE_ELF ? "ELF" : "kdump", (unsigned long long)c.estimate_bytes, c.method,
		 (unsigned long long)c.sampled, (unsigned long long)c.pages, c.ms,
		 (unsigned long long)real);
	if (fmt == SAVE_ELF) {
		struct stat st;
		tap_ok(r == 0 && stat(t.out, &st) == 0 && (uint64_t)st.st_size == c.estimate_bytes,
		       "ELF: the estimate is the file's size exactly");
		return;
	}
	tap_ok(r == 0 && real && c.estimate_bytes >= real && c.estimate_bytes <= real * 16 / 10,
	       "kdump: the estimate is above what was written, by less than 60%%");
	tap_ok(c.sampled >= 4096 / 2 && c.estimate_bytes < RAM / 2,
	       "kdump: thousands of pages sampled; not the uncompressed worst case");
}

static void hooks(const struct save_source *src)
{
	struct save_target t = { .format = SAVE_KDUMP };
	struct space_request rq = { .src = src, .t = &t, .comp = KDUMP_COMPRESS_ZSTD };
	struct space_check c;
	char why[256];

	snprintf(t.out, sizeof(t.out), "%s/vmcore.kdump", dir);
	setenv("HVDUMP_TEST_SPACE_ESTIMATE", "1", 1);
	tap_ok(space_check_run(&rq, &c, why, sizeof(why)) == 0 && c.estimate_bytes == 1 &&
		       !strcmp(c.method, "test-override") && c.guard == c.reserve_bytes,
	       "HVDUMP_TEST_SPACE_ESTIMATE: the estimate is its value, the guard stays");
	unsetenv("HVDUMP_TEST_SPACE_ESTIMATE");
	setenv("HVDUMP_TEST_SPACE_OFF", "1", 1);
	tap_ok(space_check_run(&rq, &c, why, sizeof(why)) == 0 && c.guard == 0 &&
		       c.decision == SPACE_AS_CONFIGURED,
	       "HVDUMP_TEST_SPACE_OFF: no check, no guard");
	unsetenv("HVDUMP_TEST_SPACE_OFF");
	rq.min_free = UINT64_MAX / 2;
	tap_ok(space_check_run(&rq, &c, why, sizeof(why)) == 0 && c.decision == SPACE_REFUSED,
	       "a reserve above the free space: refused");
}

/* The guard: a reserve just below the free space stops an ELF save after a chunk or two with
 * -ENOSPC; without it the save resumes and completes, the same bytes as the crash. */
static void guard(const struct save_source *src)
{
	char sub[128], why[512], cmd[512];
	struct save_target t;
	enum save_format other;
	struct saver_config sc;
	struct statvfs fs;
	int r;

	snprintf(sub, sizeof(sub), "%s/guard", dir);
	mkdir(sub, 0700);
	if (save_target_pick(sub, SAVE_ELF, &t, &other) < 0 || statvfs(sub, &fs) < 0) {
		tap_ok(0, "guard: target");
		return;
	}
	saver_config_fill(&sc, src, &t, KDUMP_COMPRESS_NONE, 0, 1, false);
	sc.chunk = 4 * MiB;
	sc.min_free = (uint64_t)fs.f_bavail * fs.f_frsize - 12 * MiB;
	r = run_saver(&sc, why, sizeof(why));
	tap_ok(r == -ENOSPC && strstr(why, "down to its reserve"), "guard: stops with -ENOSPC (%s)",
	       why);
	uint64_t done = 0;
	bool kept = saver_read_progress(t.out, &done) == 0;
	tap_ok(kept && done > 0 && done < RAM,
	       "guard: what was written is kept as progress (%llu bytes)", (unsigned long long)done);
	if (save_target_pick(sub, SAVE_ELF, &t, &other) < 0 || !t.resume) {
		tap_ok(0, "guard: the partial dump is continued");
		return;
	}
	saver_config_fill(&sc, src, &t, KDUMP_COMPRESS_NONE, 0, 1, false);
	r = run_saver(&sc, why, sizeof(why));
	snprintf(cmd, sizeof(cmd), "cmp -s -i 4096:0 -n %llu %s/vmcore.elf %s/ram",
		 (unsigned long long)(20 * MiB), sub, dir);
	tap_ok(r == 0 && system(cmd) == 0, "guard: resumed without it, complete, the crash's bytes");
}

int main(void)
{
	char ram[96], cmd[96];
	snprintf(dir, sizeof(dir), "/tmp/hvdump-space.XXXXXX");
	if (!mkdtemp(dir)) {
		tap_skip_all("no temporary directory");
		return 0;
	}
	snprintf(ram, sizeof(ram), "%s/ram", dir);
	reserve_and_decide();
	if (!tap_ok(make_ram(ram) == 0, "a %llu MiB synthetic crash", RAM / MiB))
		return tap_done();
	struct save_source src = { .ram_path = ram, .layout = { .ram_size = RAM, .lowmem = RAM },
				   .segs = segs, .nsegs = 2 };
	estimate_vs_real(&src, SAVE_ELF);
	estimate_vs_real(&src, SAVE_KDUMP);
	hooks(&src);
	guard(&src);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		tap_diag("cannot remove %s", dir);
	return tap_done();
}
