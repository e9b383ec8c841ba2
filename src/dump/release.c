// SPDX-License-Identifier: GPL-2.0-or-later
// Release.  The order matters: a range is punched only after the saver says its dump data is
// durable, and fresh memory is added to the guest only after its backing file exists.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "dump/release.h"

int release_punch(int ram_fd, uint64_t off, uint64_t len)
{
	if (fallocate(ram_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) < 0)
		return -errno;
	return 0;
}

uint64_t release_allocated(int ram_fd, uint64_t off, uint64_t len)
{
	uint64_t end = off + len, total = 0;
	off_t pos = (off_t)off;

	/* walk data extents with SEEK_DATA / SEEK_HOLE */
	while ((uint64_t)pos < end) {
		off_t data = lseek(ram_fd, pos, SEEK_DATA), hole;
		if (data < 0 || (uint64_t)data >= end)
			break;
		hole = lseek(ram_fd, data, SEEK_HOLE);
		if (hole < 0)
			hole = (off_t)end;
		total += ((uint64_t)hole < end ? (uint64_t)hole : end) - (uint64_t)data;
		pos = hole;
	}
	return total;
}

uint64_t release_dimm_size(uint64_t pending, uint64_t added, uint64_t target, uint64_t have,
			   unsigned slots_left, int final)
{
	const uint64_t block = RELEASE_DIMM_ALIGN;
	uint64_t left = target > added ? target - added : 0, size, cap;

	if (pending > left)
		pending = left;
	if (!pending || !slots_left)
		return 0;
	if (pending < block)
		return final || pending == left ? pending : 0;
	if (left / block <= slots_left)
		return block;
	/* too few slots for one block each: as large as the rest needs, as the guest can carry */
	size = (left / slots_left + block - 1) / block * block;
	cap = have > UINT64_MAX / 2 ? UINT64_MAX : have * 2;
	cap = cap / block * block;
	if (cap < block)
		cap = block;
	if (size > cap)
		size = cap;
	if (size > pending)
		return final ? pending / block * block : 0;
	return size;
}

int release_query_dimm(struct qmp *q, unsigned index, uint64_t *gpa, uint64_t *size)
{
	char dev[32];
	json_t *ret = NULL, *m;
	size_t i;
	int r;

	snprintf(dev, sizeof(dev), "dimm%u", index);
	r = qmp_command(q, "query-memory-devices", NULL, 10000, &ret, NULL);
	if (r < 0)
		return r;
	r = json_is_array(ret) ? -ENOENT : -EPROTO;
	json_array_foreach(ret, i, m) {
		json_t *data = json_object_get(m, "data");
		const char *id = json_string_value(json_object_get(data, "id"));
		json_t *a = json_object_get(data, "addr"), *s = json_object_get(data, "size");
		uint64_t end;

		if (!id || strcmp(id, dev))
			continue;
		if (!json_is_integer(a) || !json_is_integer(s) || json_integer_value(a) <= 0 ||
		    json_integer_value(s) <= 0) {
			r = -EPROTO;
			break;
		}
		*gpa = (uint64_t)json_integer_value(a);
		*size = (uint64_t)json_integer_value(s);
		r = *gpa % 4096 || *size % 4096 || __builtin_add_overflow(*gpa, *size, &end) ? -EPROTO
											   : 0;
		break;
	}
	json_decref(ret);
	return r;
}

int release_del_dimm(struct qmp *q, unsigned index, char *why, size_t whylen)
{
	char dev[32], *err = NULL;
	int r;

	snprintf(dev, sizeof(dev), "dimm%u", index);
	r = qmp_command(q, "device_del", json_pack("{s:s}", "id", dev), 10000, NULL, &err);
	if (r < 0)
		snprintf(why, whylen, "device_del %s: %s", dev, err ? err : strerror(-r));
	free(err);
	return r;
}

int release_del_backend(struct qmp *q, unsigned index)
{
	char id[32];

	snprintf(id, sizeof(id), "hvdimm%u", index);
	return qmp_command(q, "object-del", json_pack("{s:s}", "id", id), 10000, NULL, NULL);
}

/* Give QEMU the file FD for a new DIMM's backend ID: add-fd passes it (its reply says under
 * which number QEMU holds it), the backend reopens it as /proc/self/fd/N, which reaches that
 * very file without QEMU needing to see the run directory, and the fd set is dropped (the
 * backend has its own descriptor by then).  0 or -errno with WHY set. */
static int add_backend(struct qmp *q, const char *id, int fd, uint64_t size, char *why,
		       size_t whylen)
{
	char *err = NULL, mem_path[64];
	json_t *ret = NULL, *args;
	json_int_t qfd, set;
	int r;

	r = qmp_command_fd(q, "add-fd", NULL, fd, 10000, &ret, &err);
	if (r < 0) {
		snprintf(why, whylen, "add-fd for %s: %s", id, err ? err : strerror(-r));
		free(err);
		return r;
	}
	qfd = json_integer_value(json_object_get(ret, "fd"));
	set = json_integer_value(json_object_get(ret, "fdset-id"));
	json_decref(ret);
	if (qfd <= 2 || qfd > 1 << 30 || set < 0) {
		snprintf(why, whylen, "add-fd for %s: QEMU's reply has no descriptor", id);
		return -EPROTO;
	}
	snprintf(mem_path, sizeof(mem_path), "/proc/self/fd/%lld", (long long)qfd);
	args = json_pack("{s:s, s:s, s:s, s:I, s:b}", "qom-type", "memory-backend-file", "id", id,
			 "mem-path", mem_path, "size", (json_int_t)size, "share", 1);
	r = qmp_command(q, "object-add", args, 10000, NULL, &err);
	if (r < 0)
		snprintf(why, whylen, "object-add %s: %s", id, err ? err : strerror(-r));
	free(err);
	if (qmp_command(q, "remove-fd", json_pack("{s:I}", "fdset-id", set), 10000, NULL, NULL) < 0) {
		/* a set QEMU failed to drop costs it a descriptor, nothing more */
	}
	return r;
}

int release_add_dimm(struct qmp *q, const char *path, const struct qemu_user *owner,
		     uint64_t size, uint64_t addr, unsigned index, uint64_t *gpa, char *why,
		     size_t whylen)
{
	char id[32], dev[32], *err = NULL;
	uint64_t got_size;
	json_t *args;
	int fd, r;

	snprintf(id, sizeof(id), "hvdimm%u", index);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		r = -errno;
		snprintf(why, whylen, "cannot create %s: %s", path, strerror(errno));
		return r;
	}
	if (ftruncate(fd, (off_t)size) < 0 || (owner && fchown(fd, owner->uid, owner->gid) < 0)) {
		r = -errno;
		snprintf(why, whylen, "cannot size %s or give it to QEMU's user: %s", path,
			 strerror(errno));
		close(fd);
		unlink(path);
		return r;
	}
	r = add_backend(q, id, fd, size, why, whylen);
	close(fd);
	if (r < 0) {
		unlink(path);
		return r;
	}
	snprintf(dev, sizeof(dev), "dimm%u", index);
	args = json_pack("{s:s, s:s, s:s, s:I}", "driver", "pc-dimm", "id", dev, "memdev", id,
			 "addr", (json_int_t)addr);
	r = qmp_command(q, "device_add", args, 10000, NULL, &err);
	if (r < 0) {
		snprintf(why, whylen, "device_add pc-dimm: %s", err ? err : strerror(-r));
		free(err);
		if (qmp_command(q, "object-del", json_pack("{s:s}", "id", id), 10000, NULL, NULL) < 0)
			snprintf(why + strlen(why), whylen - strlen(why), " (and object-del failed)");
		unlink(path);
		return r;
	}
	/* QEMU places a DIMM exactly at addr or refuses it; the query confirms what it did, and
	 * what QEMU reports is what a later crash must re-attach */
	if (release_query_dimm(q, index, gpa, &got_size) < 0 || got_size != size)
		*gpa = addr;
	return 0;
}
