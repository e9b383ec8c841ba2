// SPDX-License-Identifier: GPL-2.0-or-later
// `hvdump vacuum`: remove old saved crashes from a dump directory, oldest first, until the
// limits hold, as `journalctl --vacuum-*` and kdump-tools' KDUMP_NUM_DUMPS do.  Only a crash
// whose dump is finished (saved, saved-by-guest, discarded, dumped) is ever removed: one
// whose memory is still preserved, unsaved or being saved is the only copy of its evidence,
// and is never touched, whatever the limits say.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/crashdir.h"
#include "util/size.h"
#include "vm/config.h"

static void vacuum_usage(FILE *f)
{
	fprintf(f,
"Usage: hvdump vacuum [--dump-dir DIR] [--keep N] [--max-use SIZE] [--keep-free SIZE]\n"
"                     [--dry-run]\n"
"Remove the oldest saved crashes of DIR (their directories: dump, dmesg.txt, notes, record)\n"
"until every limit given holds.  A crash whose memory is preserved, unsaved or being saved\n"
"is never removed, whatever the limits say.\n"
"\n"
"      --dump-dir DIR     as for hvdump list\n"
"      --keep N           keep at most N saved crashes (the newest)\n"
"      --max-use SIZE     keep the crash directories together under SIZE (e.g. 20G)\n"
"      --keep-free SIZE   keep SIZE free on DIR's file system\n"
"      --dry-run          say what would be removed; remove nothing\n"
"  -h, --help             this text\n"
"\n"
"Exit status: 0 the limits hold, 1 they do not (only crashes that may not be removed are\n"
"left, or a removal failed: said on stderr), 2 bad usage or DIR cannot be read.\n"
"See docs/hvdump-list.md.\n");
}

/* Bytes the regular files of DIR take on disk (st_blocks). */
static uint64_t dir_bytes(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	uint64_t sum = 0;
	struct stat st;

	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode))
			sum += (uint64_t)st.st_blocks * 512;
	closedir(d);
	return sum;
}

/* Remove crash directory DIR: its regular files and symbolic links (never followed), then
 * itself.  0, or -errno (a subdirectory, or a file that cannot be removed, keeps it) with
 * WHY.  The record goes last, so a removal cut short leaves a record naming what is left. */
static int remove_crash(const char *dir, char *why, size_t whylen)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct stat st;
	int r = 0;

	if (!d) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -errno;
	}
	while (r == 0 && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    !strcmp(de->d_name, "crash.json"))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    S_ISDIR(st.st_mode)) {
			r = -ENOTEMPTY;
			snprintf(why, whylen, "%s is a directory or unreadable: left alone", de->d_name);
		} else if (unlinkat(dirfd(d), de->d_name, 0) < 0) {
			r = -errno;
			snprintf(why, whylen, "%s: %s", de->d_name, strerror(errno));
		}
	}
	if (r == 0 && unlinkat(dirfd(d), "crash.json", 0) < 0 && errno != ENOENT) {
		r = -errno;
		snprintf(why, whylen, "crash.json: %s", strerror(errno));
	}
	closedir(d);
	if (r == 0 && rmdir(dir) < 0) {
		r = -errno;
		snprintf(why, whylen, "%s", strerror(errno));
	}
	return r;
}

static uint64_t free_bytes(const char *dir)
{
	struct statvfs sv;

	return statvfs(dir, &sv) == 0 ? (uint64_t)sv.f_bavail * sv.f_frsize : 0;
}

struct limits {
	long long keep;          /* -1: none */
	uint64_t max_use, keep_free;
	bool has_max_use, has_keep_free, dry_run;
};

/* Do the limits hold with SAVED saved crashes, USE bytes, FREE bytes free? */
static bool within(const struct limits *l, size_t saved, uint64_t use, uint64_t freeb)
{
	return (l->keep < 0 || (long long)saved <= l->keep) && (!l->has_max_use || use <= l->max_use) &&
	       (!l->has_keep_free || freeb >= l->keep_free);
}

static int vacuum(const char *base, const struct limits *l)
{
	struct crash_entry *v;
	uint64_t use = 0, freeb, *sizes;
	size_t n, saved = 0, removed = 0;
	unsigned bad = 0;
	char why[512], a[32];
	int r = crashdir_collect(base, NULL, NULL, false, &v, &n, &bad), rc = 0;

	if (r < 0) {
		fprintf(stderr, "hvdump: error: %s: %s\n", base, strerror(-r));
		return 2;
	}
	sizes = calloc(n ? n : 1, sizeof(*sizes));
	if (!sizes) {
		crashdir_free(v, n);
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		sizes[i] = dir_bytes(v[i].dir);
		use += sizes[i];
		saved += crash_state_final(v[i].r.state);
	}
	freeb = free_bytes(base);
	for (size_t i = 0; i < n && !within(l, saved, use, freeb); i++) {
		if (!crash_state_final(v[i].r.state))
			continue; /* its memory is the only copy of the evidence */
		if (l->dry_run) {
			printf("would remove %s (%s crash %llu, %s, %s)\n", v[i].dir, v[i].r.vm,
			       (unsigned long long)v[i].r.crash, crash_state_name(v[i].r.state),
			       size_human(sizes[i], a, sizeof(a)));
		} else if ((r = remove_crash(v[i].dir, why, sizeof(why))) < 0) {
			fprintf(stderr, "hvdump: %s: cannot remove: %s\n", v[i].dir, why);
			rc = 1;
			continue;
		} else {
			printf("removed %s (%s crash %llu, %s)\n", v[i].dir, v[i].r.vm,
			       (unsigned long long)v[i].r.crash, size_human(sizes[i], a, sizeof(a)));
		}
		removed++;
		saved--;
		use -= sizes[i];
		freeb += sizes[i];
	}
	if (!within(l, saved, use, freeb)) {
		fprintf(stderr, "hvdump: %s: the limits do not hold: what is left is preserved or "
			"unsaved crash memory (never removed) or could not be removed\n", base);
		rc = 1;
	}
	printf("%s %zu crash(es); %zu saved and %zu others left, %s in crash directories\n",
	       l->dry_run ? "would remove" : "removed", removed, saved, n - removed - saved,
	       size_human(use, a, sizeof(a)));
	free(sizes);
	crashdir_free(v, n);
	return rc ? rc : bad ? 1 : 0;
}

int cmd_vacuum(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dump-dir", required_argument, NULL, 'D' }, { "keep", required_argument, NULL, 'k' },
		{ "max-use", required_argument, NULL, 'm' },  { "keep-free", required_argument, NULL, 'f' },
		{ "dry-run", no_argument, NULL, 'n' },        { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct limits l = { .keep = -1 };
	const char *base = NULL;
	uint64_t v;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'D': base = optarg; break;
		case 'k':
			if (uint_parse(optarg, 0, 1000000, &v) < 0) {
				fprintf(stderr, "hvdump: error: --keep %s: not 0..1000000\n", optarg);
				return 2;
			}
			l.keep = (long long)v;
			break;
		case 'm':
		case 'f':
			if (size_parse(optarg, 1, &v) < 0) {
				fprintf(stderr, "hvdump: error: --%s %s: not a size (e.g. 20G)\n",
					c == 'm' ? "max-use" : "keep-free", optarg);
				return 2;
			}
			if (c == 'm') {
				l.max_use = v;
				l.has_max_use = true;
			} else {
				l.keep_free = v;
				l.has_keep_free = true;
			}
			break;
		case 'n': l.dry_run = true; break;
		case 'h': vacuum_usage(stdout); return 0;
		default: vacuum_usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "hvdump: error: unexpected argument '%s' (see hvdump vacuum --help)\n",
			argv[optind]);
		return 2;
	}
	if (l.keep < 0 && !l.has_max_use && !l.has_keep_free) {
		fprintf(stderr, "hvdump: error: vacuum needs a limit: --keep, --max-use or "
			"--keep-free\n");
		return 2;
	}
	return vacuum(base ? base : vm_default_dump_dir(), &l);
}
