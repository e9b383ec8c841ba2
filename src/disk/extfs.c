// SPDX-License-Identifier: GPL-2.0-or-later
// Lookups and copies over libext2fs.  Directories are scanned with ext2fs_dir_iterate2 and a
// budget of entries (empty ones included, so every block read costs at least one), which
// ext2fs_namei and ext2fs_lookup cannot be given; symbolic links are followed here, with
// their own bounds, so that a separate /boot can read "/boot/vmlinuz" links as "/vmlinuz".
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <et/com_err.h>

#include "disk/extfs.h"
#include "util/fsutil.h"

#define PATH_BUF 4096
#define COPY_CHUNK (1u << 20)

static int fs_errno(errcode_t e)
{
	if (e > 0 && e < 4096)
		return -(int)e;
	return e == EXT2_ET_NO_MEMORY ? -ENOMEM : -EIO;
}

static void fs_type(struct extfs *x)
{
	ext2_filsys fs = x->fs;
	const uint8_t *u = fs->super->s_uuid;
	const char *t = "ext2";

	if (ext2fs_has_feature_journal(fs->super))
		t = "ext3";
	if (ext2fs_has_feature_extents(fs->super) || ext2fs_has_feature_64bit(fs->super) ||
	    ext2fs_has_feature_flex_bg(fs->super) || ext2fs_has_feature_huge_file(fs->super) ||
	    ext2fs_has_feature_metadata_csum(fs->super) || ext2fs_has_feature_gdt_csum(fs->super))
		t = "ext4";
	snprintf(x->type, sizeof(x->type), "%s", t);
	snprintf(x->uuid, sizeof(x->uuid),
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
		 u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
		 u[15]);
	x->needs_recovery = ext2fs_has_feature_journal_needs_recovery(fs->super);
}

int extfs_open(struct extfs *x, struct blockdev *bd, uint64_t start, uint64_t size, char *why,
	       size_t whylen)
{
	char name[64];
	uint64_t bytes;
	errcode_t e;

	memset(x, 0, sizeof(*x));
	x->range.bd = bd;
	x->range.start = start;
	x->range.size = size;
	extio_name(&x->range, name, sizeof(name));
	/* the superblock alone first: a claimed size beyond the partition would make libext2fs
	 * allocate and read group descriptors for it */
	e = ext2fs_open2(name, NULL, EXT2_FLAG_64BITS | EXT2_FLAG_SUPER_ONLY, 0, 0, extio_manager(),
			 &x->fs);
	if (e == EXT2_ET_BAD_MAGIC || e == EXT2_ET_SHORT_READ)
		return -EMEDIUMTYPE;
	if (e) {
		snprintf(why, whylen, "%s", error_message(e));
		return fs_errno(e);
	}
	if (__builtin_mul_overflow(ext2fs_blocks_count(x->fs->super),
				   (uint64_t)x->fs->blocksize, &bytes) || bytes > size) {
		snprintf(why, whylen, "its superblock claims %llu blocks of %u bytes, more than the "
			 "partition's %llu bytes", (unsigned long long)ext2fs_blocks_count(x->fs->super),
			 x->fs->blocksize, (unsigned long long)size);
		ext2fs_close_free(&x->fs);
		return -EUCLEAN;
	}
	ext2fs_close_free(&x->fs);
	e = ext2fs_open2(name, NULL, EXT2_FLAG_64BITS, 0, 0, extio_manager(), &x->fs);
	if (e) {
		snprintf(why, whylen, "%s", error_message(e));
		x->fs = NULL;
		return fs_errno(e);
	}
	fs_type(x);
	return 0;
}

void extfs_close(struct extfs *x)
{
	if (x->fs)
		ext2fs_close_free(&x->fs);
}

/* ---- directories ---------------------------------------------------------------------- */

struct dirscan {
	const char *name;          /* looked for, or NULL: collect */
	size_t len;
	ext2_ino_t found;
	const char *const *prefixes;
	char **names;              /* collected */
	size_t n, cap;
	unsigned budget;
	int err;
};

static int dirscan_cb(ext2_ino_t dir, int entry, struct ext2_dir_entry *d, int offset,
		      int blocksize, char *buf, void *priv)
{
	struct dirscan *s = priv;
	size_t len = (size_t)ext2fs_dirent_name_len(d);

	if (!s->budget--) {
		s->err = -E2BIG;
		return DIRENT_ABORT;
	}
	if (!d->inode || len > EXT2_NAME_LEN)
		return 0;
	if (s->name) {
		if (len == s->len && !memcmp(d->name, s->name, len)) {
			s->found = d->inode;
			return DIRENT_ABORT;
		}
		return 0;
	}
	for (const char *const *p = s->prefixes; *p; p++) {
		size_t pl = strlen(*p);
		if (len < pl || memcmp(d->name, *p, pl))
			continue;
		if (s->n == s->cap) {
			size_t cap = s->cap ? 2 * s->cap : 16;
			char **nn = realloc(s->names, cap * sizeof(*nn));
			if (!nn) {
				s->err = -ENOMEM;
				return DIRENT_ABORT;
			}
			s->names = nn;
			s->cap = cap;
		}
		if (!(s->names[s->n] = strndup(d->name, len))) {
			s->err = -ENOMEM;
			return DIRENT_ABORT;
		}
		s->n++;
		break;
	}
	return 0;
}

static int dirscan_run(struct extfs *x, ext2_ino_t dir, struct dirscan *s)
{
	errcode_t e;

	s->budget = EXTFS_DIR_BUDGET;
	e = ext2fs_dir_iterate2(x->fs, dir, DIRENT_FLAG_INCLUDE_EMPTY, NULL, dirscan_cb, s);
	if (s->err)
		return s->err;
	if (e == EXT2_ET_NO_DIRECTORY)
		return -ENOTDIR;
	return e ? fs_errno(e) : 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int extfs_list(struct extfs *x, ext2_ino_t dir, const char *const *prefixes, char *out,
	       size_t outlen)
{
	struct dirscan s = { .prefixes = prefixes };
	size_t used = 0;
	int r = dirscan_run(x, dir, &s);

	if (outlen)
		out[0] = '\0';
	if (r == 0) {
		qsort(s.names, s.n, sizeof(*s.names), cmp_names);
		for (size_t i = 0; i < s.n && used < outlen; i++) {
			int n = snprintf(out + used, outlen - used, "%s%s", i ? ", " : "", s.names[i]);
			used += n > 0 ? (size_t)n : 0;
		}
		r = (int)s.n;
	}
	for (size_t i = 0; i < s.n; i++)
		free(s.names[i]);
	free(s.names);
	return r;
}

/* ---- lookups -------------------------------------------------------------------------- */

/* The target of the symbolic link INO into BUF (NUL-terminated).  0 or -errno. */
static int read_link(struct extfs *x, ext2_ino_t ino, struct ext2_inode *inode, char *buf,
		     size_t len)
{
	uint64_t size = EXT2_I_SIZE(inode);
	ext2_file_t f;
	unsigned got = 0;
	errcode_t e;

	if (size == 0 || size >= len)
		return size ? -ENAMETOOLONG : -ENOENT;
	if (ext2fs_is_fast_symlink(inode)) {
		if (size >= sizeof(inode->i_block))
			return -EUCLEAN;
		memcpy(buf, inode->i_block, size);
	} else {
		if ((e = ext2fs_file_open2(x->fs, ino, inode, 0, &f)))
			return fs_errno(e);
		e = ext2fs_file_read(f, buf, (unsigned)size, &got);
		ext2fs_file_close(f);
		if (e || got != size)
			return e ? fs_errno(e) : -EIO;
	}
	buf[size] = '\0';
	return strlen(buf) == size ? 0 : -EUCLEAN;
}

struct walk {
	struct extfs *x;
	bool boot_top;
	char path[PATH_BUF];       /* what is left to look up */
	unsigned links, steps;
};

/* Splice link TARGET in front of REST (the components after the link) in w->path. */
static int splice(struct walk *w, const char *target, const char *rest, ext2_ino_t *cur)
{
	char tmp[PATH_BUF];
	struct dirscan s = { .name = "boot", .len = 4 };

	if (target[0] == '/') {
		*cur = EXT2_ROOT_INO;
		if (w->boot_top && !strncmp(target, "/boot", 5) &&
		    (target[5] == '/' || !target[5]) &&
		    dirscan_run(w->x, EXT2_ROOT_INO, &s) == 0 && !s.found)
			target += 5;
	}
	if (snprintf(tmp, sizeof(tmp), "%s/%s", target, rest) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(w->path, tmp, sizeof(tmp));
	return 0;
}

int extfs_lookup(struct extfs *x, const char *path, bool boot_top, ext2_ino_t *ino,
		 struct ext2_inode *inode, char *why, size_t whylen)
{
	struct walk w = { .x = x, .boot_top = boot_top };
	ext2_ino_t cur = EXT2_ROOT_INO, child = EXT2_ROOT_INO;
	char comp[EXT2_NAME_LEN + 1], target[PATH_BUF];
	const char *p;
	errcode_t e;
	int r;

	if (snprintf(w.path, sizeof(w.path), "%s", path) >= (int)sizeof(w.path))
		return -ENAMETOOLONG;
	if ((e = ext2fs_read_inode(x->fs, cur, inode)))
		return fs_errno(e);
	p = w.path;
	for (;;) {
		struct dirscan s = { .name = comp };
		size_t len;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		len = strcspn(p, "/");
		if (len > EXT2_NAME_LEN) {
			snprintf(why, whylen, "a name of %zu bytes", len);
			return -ENAMETOOLONG;
		}
		if (++w.steps > EXTFS_MAX_STEPS) {
			snprintf(why, whylen, "over %d path components", EXTFS_MAX_STEPS);
			return -ELOOP;
		}
		memcpy(comp, p, len);
		comp[len] = '\0';
		p += len;
		s.len = len;
		if (!LINUX_S_ISDIR(inode->i_mode)) {
			snprintf(why, whylen, "not a directory before \"%s\"", comp);
			return -ENOTDIR;
		}
		if ((r = dirscan_run(x, cur, &s)) < 0) {
			snprintf(why, whylen, "reading the directory holding \"%s\": %s", comp,
				 r == -E2BIG ? "over the entry budget" : strerror(-r));
			return r;
		}
		if (!s.found) {
			snprintf(why, whylen, "no \"%s\"", comp);
			return -ENOENT;
		}
		child = s.found;
		if ((e = ext2fs_read_inode(x->fs, child, inode))) {
			snprintf(why, whylen, "inode %u of \"%s\": %s", child, comp, error_message(e));
			return fs_errno(e);
		}
		if (!LINUX_S_ISLNK(inode->i_mode)) {
			cur = child;
			continue;
		}
		if (++w.links > EXTFS_MAX_LINKS) {
			snprintf(why, whylen, "over %d symbolic links (a loop?) at \"%s\"",
				 EXTFS_MAX_LINKS, comp);
			return -ELOOP;
		}
		if ((r = read_link(x, child, inode, target, sizeof(target))) < 0 ||
		    (r = splice(&w, target, p, &cur)) < 0) {
			snprintf(why, whylen, "symbolic link \"%s\": %s", comp, strerror(-r));
			return r;
		}
		p = w.path;
		if ((e = ext2fs_read_inode(x->fs, cur, inode)))
			return fs_errno(e);
		child = cur;
	}
	*ino = child;
	return 0;
}

/* ---- copies --------------------------------------------------------------------------- */

int extfs_copy(struct extfs *x, ext2_ino_t ino, struct ext2_inode *inode, uint64_t max, int fd,
	       uint64_t *size, char *why, size_t whylen)
{
	uint64_t want = EXT2_I_SIZE(inode), done = 0;
	ext2_file_t f;
	char *buf;
	errcode_t e;
	int r = 0;

	if (LINUX_S_ISDIR(inode->i_mode)) {
		snprintf(why, whylen, "a directory");
		return -EISDIR;
	}
	if (!LINUX_S_ISREG(inode->i_mode)) {
		snprintf(why, whylen, "not a regular file (mode 0%o)", inode->i_mode);
		return -EINVAL;
	}
	if (want > max) {
		snprintf(why, whylen, "%llu bytes, over the limit of %llu", (unsigned long long)want,
			 (unsigned long long)max);
		return -EFBIG;
	}
	if ((e = ext2fs_file_open2(x->fs, ino, inode, 0, &f))) {
		snprintf(why, whylen, "%s", error_message(e));
		return fs_errno(e);
	}
	if (!(buf = malloc(COPY_CHUNK))) {
		ext2fs_file_close(f);
		return -ENOMEM;
	}
	while (done < want && r == 0) {
		unsigned n = want - done < COPY_CHUNK ? (unsigned)(want - done) : COPY_CHUNK, got = 0;
		if ((e = ext2fs_file_read(f, buf, n, &got))) {
			snprintf(why, whylen, "at byte %llu: %s", (unsigned long long)done,
				 error_message(e));
			r = fs_errno(e);
		} else if (got == 0) {
			snprintf(why, whylen, "ends at byte %llu of %llu", (unsigned long long)done,
				 (unsigned long long)want);
			r = -EIO;
		} else if ((r = write_full(fd, buf, got)) < 0) {
			snprintf(why, whylen, "writing: %s", strerror(-r));
		}
		done += got;
	}
	free(buf);
	ext2fs_file_close(f);
	*size = done;
	return r;
}
