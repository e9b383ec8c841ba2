// SPDX-License-Identifier: GPL-2.0-or-later
// A dump's kernel log into a file, replaced only when complete (dmesgfile.h).
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dump/dmesgfile.h"
#include "format/dumpfile.h"
#include "util/fsutil.h"

static int emit_fd(void *ctx, const char *buf, size_t len)
{
	return write_full(*(int *)ctx, buf, len);
}

int dmesg_write_file(struct dumpfile *d, const char *name, const char *out_path,
		     struct printk_result *res, char *why, size_t whylen)
{
	struct printk_source src = { .read = dumpfile_virt_cb };
	char *tmp = NULL;
	int fd = -1, r;

	src.info = dumpfile_vmcoreinfo(d, &src.info_len);
	src.read_ctx = d;
	r = -ENOKEY;
	snprintf(why, whylen, "%s: no VMCOREINFO note: cannot find the kernel log", name);
	if (!src.info)
		goto out;
	r = -ENOMEM;
	snprintf(why, whylen, "out of memory");
	if (asprintf(&tmp, "%s.XXXXXX", out_path) < 0) {
		tmp = NULL;
		goto out;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		snprintf(why, whylen, "%s: cannot create: %s", out_path, strerror(errno));
		goto out;
	}
	r = printk_dump(&src, emit_fd, &fd, res);
	if (r < 0) {
		snprintf(why, whylen, "%s: cannot read the kernel log: %s", name, res->why);
		goto out;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		r = -errno;
		snprintf(why, whylen, "%s: %s", out_path, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, out_path) < 0) {
		r = -errno;
		snprintf(why, whylen, "%s: %s", out_path, strerror(errno));
		goto out;
	}
	free(tmp);
	tmp = NULL;
	r = fsync_parent(out_path);
	if (r < 0)
		snprintf(why, whylen, "%s: syncing its directory: %s", out_path, strerror(-r));
out:
	if (fd >= 0)
		close(fd);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	return r;
}
