// SPDX-License-Identifier: GPL-2.0-or-later
// pagecmp: compare two pagehash.h record files, the crashed RAM as hashed on the host
// (tests/tools/pagehash) and the capture guest's /proc/vmcore (hvdump-vmcheck).
// Usage: pagecmp HOST.hsh [MORE-HOST.hsh...] GUEST.hsh [--skip START-END]...
//   Several host files are one host record set (the RAM file and each DIMM file hashed apart).
//   START-END: hex addresses (0x optional), END exclusive; host pages starting inside a skip
//   range are not counted as uncovered.
// Reports guest pages absent from the host file (guest-only), pages whose hashes differ
// (mismatched), host pages outside the skip ranges that no guest page covers (uncovered), and
// repeated guest paddrs (duplicates), then one line:
//   pagecmp: host=<n> guest=<n> matched=<n> mismatched=<n> guest-only=<n> uncovered=<n> duplicates=<n>
// Every guest record counts once in matched, mismatched or guest-only.  Exit 0 only when
// mismatched, guest-only, uncovered and duplicates are all 0; 1 when not; 2 on usage or
// input errors (unreadable or malformed files, duplicate paddrs in the host file).
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pagehash.h"

#define SHOW 10 /* addresses / ranges printed per kind */

struct range {
	uint64_t start, end;
};

/* Consecutive pages of one kind, printed as ranges (the first SHOW of them). */
struct runs {
	const char *what;
	uint64_t start, end; /* the open run; end == 0: none */
	unsigned shown, more;
};

static void runs_flush(struct runs *r)
{
	if (r->end == 0)
		return;
	if (r->shown < SHOW) {
		printf("pagecmp: %s 0x%" PRIx64 "-0x%" PRIx64 " (%" PRIu64 " pages)\n", r->what,
		       r->start, r->end, (r->end - r->start) / PAGEHASH_PAGE_SIZE);
		r->shown++;
	} else {
		r->more++;
	}
	r->end = 0;
}

static void runs_add(struct runs *r, uint64_t paddr)
{
	if (r->end != 0 && paddr == r->end) {
		r->end += PAGEHASH_PAGE_SIZE;
		return;
	}
	runs_flush(r);
	r->start = paddr;
	r->end = paddr + PAGEHASH_PAGE_SIZE;
}

static void runs_done(struct runs *r)
{
	runs_flush(r);
	if (r->more)
		printf("pagecmp: ... and %u more %s ranges\n", r->more, r->what);
}

static int cmp_rec(const void *a, const void *b)
{
	const struct pagehash_record *x = a, *y = b;
	if (x->paddr != y->paddr)
		return x->paddr < y->paddr ? -1 : 1;
	return x->hash < y->hash ? -1 : x->hash > y->hash;
}

static void sort_records(struct pagehash_record *r, uint64_t n)
{
	for (uint64_t i = 1; i < n; i++) {
		if (r[i - 1].paddr > r[i].paddr) {
			qsort(r, (size_t)n, sizeof(*r), cmp_rec);
			return;
		}
	}
}

static int parse_hex(const char *s, const char *stop, uint64_t *v)
{
	char *end;
	if (stop - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (s == stop || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 16);
	if (errno || end != stop)
		return -1;
	*v = x;
	return 0;
}

static int parse_range(const char *s, struct range *r)
{
	const char *dash = strchr(s, '-');
	if (!dash || parse_hex(s, dash, &r->start) < 0 ||
	    parse_hex(dash + 1, dash + strlen(dash), &r->end) < 0 || r->end <= r->start)
		return -1;
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: pagecmp HOST.hsh [MORE-HOST.hsh...] GUEST.hsh [--skip START-END]...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char **files = calloc((size_t)argc, sizeof(*files));
	struct range *skips = calloc((size_t)argc, sizeof(*skips));
	size_t nskip = 0, nfiles = 0;
	char err[512];

	if (!skips || !files)
		return 2;
	for (int i = 1; i < argc; i++) {
		const char *arg = NULL;
		if (strcmp(argv[i], "--skip") == 0) {
			if (++i >= argc)
				usage();
			arg = argv[i];
		} else if (strncmp(argv[i], "--skip=", 7) == 0) {
			arg = argv[i] + 7;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			usage();
		} else {
			files[nfiles++] = argv[i];
			continue;
		}
		if (parse_range(arg, &skips[nskip]) < 0) {
			fprintf(stderr, "pagecmp: bad --skip range '%s' (want hex START-END, END > START)\n",
				arg);
			free(skips);
			return 2;
		}
		nskip++;
	}
	if (nfiles < 2)
		usage();

	struct pagehash_record *host = NULL, *guest = NULL;
	uint64_t nhost = 0, nguest;
	int rc = 2;
	for (size_t f = 0; f + 1 < nfiles; f++) {
		struct pagehash_record *more, *all;
		uint64_t nmore;
		if (pagehash_load(files[f], &more, &nmore, err, sizeof(err)) < 0) {
			fprintf(stderr, "pagecmp: %s\n", err);
			goto out;
		}
		all = realloc(host, (size_t)(nhost + nmore) * sizeof(*host) + 1);
		if (!all) {
			free(more);
			fprintf(stderr, "pagecmp: out of memory\n");
			goto out;
		}
		if (nmore)
			memcpy(all + nhost, more, (size_t)nmore * sizeof(*host));
		free(more);
		host = all;
		nhost += nmore;
	}
	if (pagehash_load(files[nfiles - 1], &guest, &nguest, err, sizeof(err)) < 0) {
		fprintf(stderr, "pagecmp: %s\n", err);
		goto out;
	}
	sort_records(host, nhost);
	sort_records(guest, nguest);
	for (uint64_t i = 1; i < nhost; i++) {
		if (host[i].paddr == host[i - 1].paddr) {
			fprintf(stderr, "pagecmp: duplicate paddr 0x%" PRIx64 " in the host files\n",
				host[i].paddr);
			goto out;
		}
	}
	for (uint64_t i = 0; i < nhost + nguest; i++) {
		uint64_t a = i < nhost ? host[i].paddr : guest[i - nhost].paddr;
		if (a % PAGEHASH_PAGE_SIZE) {
			fprintf(stderr, "pagecmp: %s: paddr 0x%" PRIx64 " is not page aligned\n",
				i < nhost ? "a host file" : files[nfiles - 1], a);
			goto out;
		}
	}

	/* Merge walk over both sorted lists. */
	uint64_t matched = 0, mismatched = 0, guest_only = 0, uncovered = 0, duplicates = 0;
	uint64_t skipped = 0;
	struct runs r_mis = { "mismatched", 0, 0, 0, 0 }, r_gonly = { "guest-only", 0, 0, 0, 0 };
	struct runs r_unc = { "uncovered", 0, 0, 0, 0 }, r_dup = { "duplicated", 0, 0, 0, 0 };
	uint64_t h = 0;
	for (uint64_t g = 0; g < nguest; g++) {
		uint64_t pa = guest[g].paddr;
		if (g > 0 && guest[g - 1].paddr == pa) {
			duplicates++;
			runs_add(&r_dup, pa);
		}
		/* Host pages below this guest page that no guest page covers. */
		for (; h < nhost && host[h].paddr < pa; h++) {
			if (g > 0 && guest[g - 1].paddr == host[h].paddr)
				continue;
			int skip = 0;
			for (size_t s = 0; s < nskip && !skip; s++)
				skip = host[h].paddr >= skips[s].start && host[h].paddr < skips[s].end;
			if (skip) {
				skipped++;
			} else {
				uncovered++;
				runs_add(&r_unc, host[h].paddr);
			}
		}
		if (h < nhost && host[h].paddr == pa) {
			if (host[h].hash == guest[g].hash) {
				matched++;
			} else {
				if (mismatched < SHOW)
					printf("pagecmp: mismatch at paddr 0x%" PRIx64 ": host %016" PRIx64
					       " guest %016" PRIx64 "\n",
					       pa, host[h].hash, guest[g].hash);
				mismatched++;
				runs_add(&r_mis, pa);
			}
		} else {
			guest_only++;
			runs_add(&r_gonly, pa);
		}
	}
	for (; h < nhost; h++) {
		if (nguest > 0 && guest[nguest - 1].paddr == host[h].paddr)
			continue;
		int skip = 0;
		for (size_t s = 0; s < nskip && !skip; s++)
			skip = host[h].paddr >= skips[s].start && host[h].paddr < skips[s].end;
		if (skip) {
			skipped++;
		} else {
			uncovered++;
			runs_add(&r_unc, host[h].paddr);
		}
	}
	runs_done(&r_mis);
	runs_done(&r_gonly);
	runs_done(&r_unc);
	runs_done(&r_dup);
	if (nskip)
		printf("pagecmp: skipped=%" PRIu64 " (uncovered host pages inside --skip ranges)\n",
		       skipped);
	printf("pagecmp: host=%" PRIu64 " guest=%" PRIu64 " matched=%" PRIu64 " mismatched=%" PRIu64
	       " guest-only=%" PRIu64 " uncovered=%" PRIu64 " duplicates=%" PRIu64 "\n",
	       nhost, nguest, matched, mismatched, guest_only, uncovered, duplicates);
	rc = (mismatched || guest_only || uncovered || duplicates) ? 1 : 0;
out:
	free(host);
	free(guest);
	free(skips);
	free(files);
	return rc;
}
