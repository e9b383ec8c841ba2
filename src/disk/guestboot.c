// SPDX-License-Identifier: GPL-2.0-or-later
// The search: disks in order, partitions in table order, each ext2/3/4 file system asked for
// /boot/vmlinuz-R, else (no /boot on it) for /vmlinuz-R.  What each place held instead goes
// into one report, so that "not found" tells the operator where to look and what is there.
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "disk/blockdev.h"
#include "disk/extfs.h"
#include "disk/guestboot.h"
#include "format/fsmagic.h"
#include "format/parttable.h"
#include "util/clock.h"
#include "util/fsutil.h"

#define REPORT_MAX 8192

struct search {
	const char *release;
	const char *outdir;
	struct guestboot_found *out;
	char report[REPORT_MAX];
	size_t len;
	bool first;               /* no partition of this disk reported yet */
	int err;                  /* the first failure that was not "not here" */
	char err_why[1024];
};

static void say(struct search *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct search *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (s->len >= sizeof(s->report) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(s->report + s->len, sizeof(s->report) - s->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		s->len += (size_t)n < sizeof(s->report) - s->len ? (size_t)n : sizeof(s->report) - s->len - 1;
}

static void note(struct guestboot_found *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct guestboot_found *out, const char *fmt, ...)
{
	size_t l = strlen(out->note);
	va_list ap;

	if (l + 3 >= sizeof(out->note))
		return;
	if (l) {
		memcpy(out->note + l, "; ", 3);
		l += 2;
	}
	va_start(ap, fmt);
	vsnprintf(out->note + l, sizeof(out->note) - l, fmt, ap);
	va_end(ap);
}

/* Remember the first hard failure (a found file refused, a disk unreadable). */
static void failed(struct search *s, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void failed(struct search *s, int err, const char *fmt, ...)
{
	va_list ap;

	if (s->err)
		return;
	s->err = err;
	va_start(ap, fmt);
	vsnprintf(s->err_why, sizeof(s->err_why), fmt, ap);
	va_end(ap);
}

static bool release_ok(const char *r)
{
	size_t n = strlen(r);

	if (n == 0 || n > GUESTBOOT_RELEASE_MAX)
		return false;
	return strspn(r, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._+~-") == n;
}

/* ---- copying out ---------------------------------------------------------------------- */

/* A bzImage: "HdrS" at 0x202 (the x86 boot protocol's header). */
static bool is_bzimage(int fd)
{
	char m[4];

	return pread(fd, m, 4, 0x202) == 4 && !memcmp(m, "HdrS", 4);
}

/* Copy INO to OUTDIR/NAME through NAME.part: 0 with the final path in DST, or -errno with WHY.
 * KERNEL: it must be a bzImage. */
static int copy_out(struct search *s, struct extfs *x, ext2_ino_t ino, struct ext2_inode *inode,
		    const char *name, uint64_t max, bool kernel, char *dst, size_t dstlen,
		    uint64_t *bytes, char *why, size_t whylen)
{
	char part[PATH_MAX + 8];
	int fd, r;

	if (snprintf(dst, dstlen, "%s/%s", s->outdir, name) >= (int)dstlen ||
	    snprintf(part, sizeof(part), "%s.part", dst) >= (int)sizeof(part)) {
		snprintf(why, whylen, "output path too long");
		return -ENAMETOOLONG;
	}
	fd = open_new_private(part, O_RDWR);
	if (fd < 0) {
		snprintf(why, whylen, "cannot create %s: %s", part, strerror(-fd));
		return fd;
	}
	r = extfs_copy(x, ino, inode, max, fd, bytes, why, whylen);
	if (r == 0 && kernel && !is_bzimage(fd)) {
		snprintf(why, whylen, "not a bzImage (no \"HdrS\" at 0x202)");
		r = -ENOEXEC;
	}
	if (r == 0 && fsync(fd) < 0) {
		r = -errno;
		snprintf(why, whylen, "fsync %s: %s", part, strerror(-r));
	}
	if (close(fd) < 0 && r == 0) {
		r = -errno;
		snprintf(why, whylen, "close %s: %s", part, strerror(-r));
	}
	if (r == 0 && rename(part, dst) < 0) {
		r = -errno;
		snprintf(why, whylen, "rename %s: %s", part, strerror(-r));
	}
	if (r < 0) {
		unlink(part);
		dst[0] = '\0';
		return r;
	}
	if ((r = fsync_parent(dst)) < 0) {
		snprintf(why, whylen, "fsync %s: %s", s->outdir, strerror(-r));
		unlink(dst);
		dst[0] = '\0';
	}
	return r;
}

/* The initramfs next to the kernel found in DIR ("/boot" or ""): 0 (copied or absent: a
 * note says which) or -errno with WHY. */
static int fetch_initrd(struct search *s, struct extfs *x, const char *dir, bool boot_top,
			char *why, size_t whylen)
{
	static const char *const forms[][2] = {
		{ "initrd.img-", "" }, { "initramfs-", ".img" }, { "initrd-", "" },
	};
	struct guestboot_found *out = s->out;
	char name[GUESTBOOT_RELEASE_MAX + 32], sub[256];
	struct ext2_inode inode;
	ext2_ino_t ino;
	int r;

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		snprintf(name, sizeof(name), "%s%s%s", forms[i][0], s->release, forms[i][1]);
		snprintf(out->initrd_src, sizeof(out->initrd_src), "%s/%s", dir, name);
		r = extfs_lookup(x, out->initrd_src, boot_top, &ino, &inode, sub, sizeof(sub));
		if (r == -ENOENT)
			continue;
		if (r == 0) {
			snprintf(name, sizeof(name), "initrd.img-%s", s->release);
			r = copy_out(s, x, ino, &inode, name, GUESTBOOT_INITRD_MAX, false, out->initrd,
				     sizeof(out->initrd), &out->initrd_bytes, sub, sizeof(sub));
		}
		if (r < 0)
			snprintf(why, whylen, "%s: %s", out->initrd_src, sub);
		return r;
	}
	out->initrd_src[0] = out->initrd[0] = '\0';
	note(out, "no initramfs: none of %s/initrd.img-%s, initramfs-%s.img, initrd-%s on it",
	     dir, s->release, s->release, s->release);
	return 0;
}

/* ---- one file system ------------------------------------------------------------------ */

/* Fetch from X when it has the kernel: 1 (fetched), 0 (not here; the report says what is),
 * or -errno (found but refused; s->err set). */
static int search_fs(struct search *s, struct extfs *x)
{
	static const char *const boot_names[] = { "vmlinuz", "initrd", "initramfs", NULL };
	static const char *const top_names[] = { "vmlinuz-", "initrd.img-", NULL };
	struct guestboot_found *out = s->out;
	char name[GUESTBOOT_RELEASE_MAX + 16], sub[256], list[1024];
	struct ext2_inode inode;
	ext2_ino_t ino, boot;
	bool top;
	int r;

	snprintf(name, sizeof(name), "vmlinuz-%s", s->release);
	r = extfs_lookup(x, "/boot", false, &boot, &inode, sub, sizeof(sub));
	top = r < 0 || !LINUX_S_ISDIR(inode.i_mode);
	if (!top)
		snprintf(out->kernel_src, sizeof(out->kernel_src), "/boot/%s", name);
	else
		snprintf(out->kernel_src, sizeof(out->kernel_src), "/%s", name);
	r = extfs_lookup(x, out->kernel_src, top, &ino, &inode, sub, sizeof(sub));
	if (r == -ENOENT) {
		int n = extfs_list(x, top ? EXT2_ROOT_INO : boot, top ? top_names : boot_names, list,
				   sizeof(list));
		if (!top)
			say(s, "/boot without %s%s%s", name, n > 0 ? "; it has " : "",
			    n > 0 ? list : n == 0 ? " (no vmlinuz* in it: empty, /boot may be a "
			    "separate partition)" : "");
		else if (n > 0)
			say(s, "no /boot; its top (a /boot file system) has %s but not %s", list, name);
		else
			say(s, "no /boot directory, no vmlinuz-* at its top");
		return 0;
	}
	if (r == 0) {
		r = copy_out(s, x, ino, &inode, name, GUESTBOOT_KERNEL_MAX, true, out->kernel,
			     sizeof(out->kernel), &out->kernel_bytes, sub, sizeof(sub));
	}
	if (r < 0) {
		say(s, "%s refused: %s", out->kernel_src, sub);
		failed(s, r, "%s refused: %s", out->kernel_src, sub);
		return r;
	}
	out->separate_boot = top;
	r = fetch_initrd(s, x, top ? "" : "/boot", top, list, sizeof(list));
	if (r < 0) {
		unlink(out->kernel);
		out->kernel[0] = '\0';
		say(s, "%s found, but the initramfs refused: %s", out->kernel_src, list);
		failed(s, r, "the initramfs next to %s refused: %s", out->kernel_src, list);
		return r;
	}
	snprintf(out->fs_type, sizeof(out->fs_type), "%s", x->type);
	snprintf(out->fs_uuid, sizeof(out->fs_uuid), "%s", x->uuid);
	if (x->needs_recovery)
		note(out, "the file system's journal was not replayed (the guest did not unmount "
		     "it): files changed just before the crash may read as they were before");
	return 1;
}

/* ---- disks ---------------------------------------------------------------------------- */

static int bd_read(void *ctx, void *buf, size_t len, uint64_t off)
{
	return blockdev_read(ctx, buf, len, off);
}

/* One partition (NUMBER 0: the whole disk) of BD: 1 fetched, 0 not there, -errno refused. */
static int search_region(struct search *s, struct blockdev *bd, uint64_t start, uint64_t size,
			 const struct parttable_entry *e)
{
	size_t plen = size < FSMAGIC_PROBE_LEN ? (size_t)size : FSMAGIC_PROBE_LEN;
	char why[256];
	const char *kind;
	struct extfs x;
	uint8_t *probe;
	int r;

	if (e)
		say(s, "%spartition %u%s%s%s (%s): ", s->first ? "" : "; ", e->number,
		    e->label[0] ? " \"" : "", e->label, e->label[0] ? "\"" : "", e->type_name);
	s->first = false;
	if (!(probe = malloc(plen ? plen : 1))) {
		failed(s, -ENOMEM, "out of memory");
		return -ENOMEM;
	}
	r = blockdev_read(bd, probe, plen, start);
	kind = r < 0 ? NULL : fsmagic_name(probe, plen);
	free(probe);
	if (!kind) {
		say(s, "unreadable: %s", strerror(-r));
		failed(s, r, "reading %llu bytes at %llu: %s", (unsigned long long)plen,
		       (unsigned long long)start, strerror(-r));
		return 0;
	}
	if (strcmp(kind, "ext2/3/4")) {
		say(s, "%s, not ext2/3/4", kind);
		return 0;
	}
	r = extfs_open(&x, bd, start, size, why, sizeof(why));
	if (r < 0) {
		say(s, "ext2/3/4 that cannot be read: %s", r == -EMEDIUMTYPE ? "no superblock" : why);
		return 0;
	}
	say(s, "%s UUID %s: ", x.type, x.uuid);
	r = search_fs(s, &x);
	extfs_close(&x);
	if (r == 1) {
		s->out->partition = e ? e->number : 0;
	}
	return r;
}

static int search_disk(struct search *s, unsigned idx, const struct guest_disk *d,
		       const char *qemu_nbd)
{
	const char *base = strrchr(d->path, '/') ? strrchr(d->path, '/') + 1 : d->path;
	struct parttable *pt;
	struct blockdev bd;
	char why[768];
	int r;

	say(s, "%sdisk %u %s", idx ? "; " : "", idx, base);
	r = blockdev_open(&bd, d->path, d->format, d->via_nbd, qemu_nbd, why, sizeof(why));
	if (r < 0) {
		say(s, " (cannot open: %s)", why);
		failed(s, r, "disk %u: %s", idx, why);
		return 0;
	}
	pt = calloc(1, sizeof(*pt));
	r = pt ? parttable_read(bd_read, &bd, bd.size, pt, why, sizeof(why)) : -ENOMEM;
	if (r < 0) {
		say(s, " (%s%s: %s)", bd.format, bd.detected ? ", detected" : "",
		    r == -ENOMEM ? "out of memory" : why);
		failed(s, r, "disk %u (%s): %s", idx, base, r == -ENOMEM ? "out of memory" : why);
	} else {
		say(s, " (%s%s, %s%s%s: ", bd.format, bd.detected ? ", detected" : "",
		    pt->kind == PARTTABLE_NONE ? "no partition table" : parttable_kind_name(pt->kind),
		    pt->note[0] ? ", " : "", pt->note);
		s->first = true;
		r = 0;
		for (size_t i = 0; i < pt->n && r == 0; i++)
			r = search_region(s, &bd, pt->e[i].start, pt->e[i].size, &pt->e[i]);
		if (pt->kind == PARTTABLE_NONE)
			r = search_region(s, &bd, 0, bd.size, NULL);
		if (pt->kind != PARTTABLE_NONE && !pt->n)
			say(s, "no partitions");
		say(s, ")");
		if (r == 1) {
			s->out->disk = idx;
			snprintf(s->out->table, sizeof(s->out->table), "%s",
				 parttable_kind_name(pt->kind));
			if (pt->note[0])
				note(s->out, "disk %u: %s", idx, pt->note);
		}
	}
	s->out->bytes_read += bd.bytes;
	free(pt);
	blockdev_close(&bd);
	return r;
}

int guestboot_fetch(const struct guest_disk *disks, size_t ndisks, const char *release,
		    const char *qemu_nbd, const char *outdir, struct guestboot_found *out,
		    char *why, size_t whylen)
{
	long long t0 = clock_ms();
	struct search *s;
	int r = 0;

	memset(out, 0, sizeof(*out));
	if (!release || !release_ok(release)) {
		snprintf(why, whylen, "kernel release \"%.80s\" is not 1-%d of [A-Za-z0-9._+~-]",
			 release ? release : "", GUESTBOOT_RELEASE_MAX);
		return -EINVAL;
	}
	if (!ndisks) {
		snprintf(why, whylen, "no disk to search for vmlinuz-%s", release);
		return -EINVAL;
	}
	if (!(s = calloc(1, sizeof(*s))))
		return -ENOMEM;
	s->release = release;
	s->outdir = outdir;
	s->out = out;
	for (size_t i = 0; i < ndisks && r == 0; i++)
		r = search_disk(s, (unsigned)i, &disks[i], qemu_nbd);
	out->ms = clock_ms() - t0;
	if (r == 1) {
		r = 0;
	} else if (s->err) {
		snprintf(why, whylen, "%s; searched for vmlinuz-%s: %s", s->err_why, release,
			 s->report);
		r = s->err;
	} else {
		snprintf(why, whylen, "no /boot/vmlinuz-%s (nor /vmlinuz-%s on a /boot file system) "
			 "on %s", release, release, s->report);
		r = -ENOENT;
	}
	free(s);
	return r;
}
