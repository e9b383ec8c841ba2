// SPDX-License-Identifier: GPL-2.0-or-later
// A libvirt domain's crash.  The crashed RAM is a file libvirt made (memory_backing_dir) and
// libvirt unlinks when the domain is destroyed: a hard link of ours, taken first, keeps it;
// QEMU's discard-data is turned off before that (with <discard/> QEMU would punch the file
// empty at destroy, through our link too).  QEMU's one-page dump-guest-memory through libvirt
// 9.0 crashed libvirtd in the trial of issue 17, so the vCPU state comes from HMP `info
// registers -a`, and VMCOREINFO from the crashed memory, as `hvdump run` finds it.
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dump/notes.h"
#include "libvirt/lvcrash.h"
#include "qemu/hw.h"
#include "util/clock.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/size.h"
#include "vm/crashflow.h"
#include "vm/record.h"
#include "vm/report.h"

#define RAM_BACKEND "/objects/pc.ram"

/* The RAM file of the domain: QEMU's mem-path of its one RAM backend, into PATH.  An absolute
 * path of a regular file.  0 or -errno with WHY. */
static int ram_path(struct lvconn *l, const char *name, char *path, size_t len, char *why,
		    size_t whylen)
{
	char *reply = NULL;
	json_t *j;
	const char *p;
	struct stat st;
	int r = lvconn_monitor(l, name, "{\"execute\":\"qom-get\",\"arguments\":{\"path\":\""
				RAM_BACKEND "\",\"property\":\"mem-path\"}}", false, &reply, why,
			       whylen);

	if (r < 0)
		return r;
	j = json_loads(reply, 0, NULL);
	p = json_string_value(json_object_get(j, "return"));
	if (!p || p[0] != '/' || strlen(p) >= len) {
		snprintf(why, whylen, "QEMU's %s has no usable mem-path (%.200s): is guest RAM a "
			 "file (<memoryBacking><source type='file'/>)?", RAM_BACKEND, reply);
		r = -EPROTO;
	} else if (lstat(p, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "the RAM file %s is not a regular file here (%s)", p,
			 strerror(errno ? errno : EINVAL));
		r = -ENOENT;
	} else {
		snprintf(path, len, "%s", p);
	}
	json_decref(j);
	free(reply);
	return r;
}

/* Make the crash's run area beside libvirt's RAM directories, on their file system:
 * MEMORY_BACKING_DIR/hvdump/NAME-ID-TIME (0700), RAM being MEMORY_BACKING_DIR/libvirt/qemu/
 * ID-NAME/pc.ram as libvirt 9.0 names it (else the RAM file's directory's parent holds
 * hvdump/).  0 or -errno (logged). */
static int make_area(const struct lvcrash *c, const char *ram, char *area, size_t len)
{
	char base[4096], stamp[32], why[512] = "";
	const char *end = ram + strlen(ram);
	int up = strstr(ram, "/libvirt/qemu/") ? 4 : 2, r;

	while (up-- > 0 && end > ram)
		for (end--; end > ram && *end != '/'; end--)
			;
	snprintf(base, sizeof(base), "%.*s/hvdump", (int)(end - ram), ram);
	/* 0711: QEMU, as libvirt's QEMU user, goes through it to a capture's kept RAM */
	r = mkdir(base, 0711) < 0 && errno != EEXIST ? -errno : 0;
	if (r == 0 && chmod(base, 0711) < 0)
		r = -errno;
	if (r == 0)
		r = path_check_private(base, why, sizeof(why));
	if (r < 0) {
		log_err("cannot make hvdump's directory %s beside the RAM files: %s", base,
			why[0] ? why : strerror(-r));
		return r;
	}
	log_timestamp(stamp, sizeof(stamp));
	stamp[strcspn(stamp, ".")] = '\0';
	for (int i = 1; i < 100; i++) {
		r = snprintf(area, len, i > 1 ? "%s/%s-%d-%s-%d" : "%s/%s-%d-%s", base, c->name,
			     c->id, stamp, i);
		if (r < 0 || (size_t)r >= len)
			return -ENAMETOOLONG;
		if (mkdir(area, 0700) == 0)
			return 0;
		if (errno != EEXIST)
			break;
	}
	r = -errno;
	log_err("cannot make a directory for the kept RAM in %s: %s", base, strerror(errno));
	return r;
}

/* Step 1: the RAM file hard-linked as AREA/pc.ram (RD), QEMU's discard-data off first.
 * 0 or -errno (logged). */
static int keep_ram(struct lvconn *l, const struct lvcrash *c, struct rundir *rd, uint64_t *size)
{
	char ram[4096], why[1024], *reply = NULL;
	struct stat st;
	int r = ram_path(l, c->name, ram, sizeof(ram), why, sizeof(why)), fd;

	if (r < 0) {
		log_err("domain %s: cannot find its RAM file: %s", c->name, why);
		return r;
	}
	r = lvconn_monitor(l, c->name, "{\"execute\":\"qom-set\",\"arguments\":{\"path\":\""
			   RAM_BACKEND "\",\"property\":\"discard-data\",\"value\":false}}", false,
			   &reply, why, sizeof(why));
	free(reply);
	if (r < 0)
		log_warn("domain %s: cannot turn off discard-data of its RAM (%s): with <discard/>, "
			 "destroying the domain would wipe the kept RAM", c->name, why);
	r = make_area(c, ram, rd->path, sizeof(rd->path));
	if (r < 0)
		return r;
	snprintf(rd->ram, sizeof(rd->ram), "%s/pc.ram", rd->path);
	snprintf(rd->lock, sizeof(rd->lock), "%s/lock", rd->path);
	rd->lock_fd = -1;
	rd->created = 1;
	if (link(ram, rd->ram) < 0) {
		r = -errno;
		log_err("domain %s: cannot hard-link its RAM file %s as %s: %s", c->name, ram,
			rd->ram, strerror(errno));
		rmdir(rd->path);
		return r;
	}
	/* `hvdump save --from` takes this lock, so two of them never save the crash at once */
	fd = open_new_private(rd->lock, O_WRONLY);
	if (fd >= 0)
		close(fd);
	if (stat(rd->ram, &st) < 0 || st.st_size <= 0) {
		log_err("domain %s: the kept RAM file %s is empty or gone", c->name, rd->ram);
		return -EIO;
	}
	/* the directory is the QEMU user's (the RAM file's owner): a capture domain's QEMU
	 * opens the kept RAM in it and makes hvdump's QMP socket there */
	if (st.st_uid != geteuid() && chown(rd->path, st.st_uid, st.st_gid) < 0)
		log_warn("domain %s: cannot give %s to QEMU's user %u: %s", c->name, rd->path,
			 (unsigned)st.st_uid, strerror(errno));
	*size = (uint64_t)st.st_size;
	return 0;
}

/* Step 2: the vCPU state, from `info registers -a`, into N.  Logged; a failure leaves N
 * empty (the dump then has no registers). */
static void take_registers(struct lvconn *l, const struct lvcrash *c, struct crash_notes *n)
{
	char why[1024], *text = NULL;
	long long t0 = clock_ms();
	int r = lvconn_monitor(l, c->name, "info registers -a", true, &text, why, sizeof(why));

	if (r == 0)
		r = notes_from_hmp(text, strlen(text), n, why, sizeof(why));
	free(text);
	if (r < 0) {
		memset(n, 0, sizeof(*n));
		log_err("domain %s: no vCPU state (%s): the dump will have no registers", c->name,
			why);
		return;
	}
	log_info("domain %s: %u vCPUs' registers taken in %lld ms (info registers -a)", c->name,
		 n->ncpus, clock_ms() - t0);
}

/* What the record says of the detection. */
static json_t *detection(const struct lvcrash *c)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:i}", "event", "lifecycle crashed/panicked",
			 "uri", c->uri, "domain", c->name, "uuid", c->uuid, "domain_id", c->id);
}

static void tell_operator(const struct lvcrash *c, const struct rundir *rd, int r)
{
	if (r < 0) {
		log_err("domain %s: crash %u kept only in part (see above and %s/crash.json); the "
			"domain stays paused", c->name, c->number, c->dir);
		return;
	}
	log_info("domain %s: crash %u kept: its RAM is %s (it survives `virsh destroy %s`), the "
		 "record %s/crash.json", c->name, c->number, rd->ram, c->name, c->dir);
	log_info("domain %s stays paused as libvirt left it; now: `hvdump save --from %s` writes "
		 "the dump, then `virsh destroy %s` (and `virsh start %s`) and remove %s once it is "
		 "saved", c->name, c->dir, c->name, c->name, rd->path);
}

/* Boot the capture domain on the kept crash (X), or say why not. */
static int capture(struct lvconn *l, const struct lvcrash *c, const struct crash_ctx *x,
		   struct lvcapture **cap)
{
	struct lvcapture_in in = { .name = c->name, .uuid = c->uuid, .cfg = c->cfg, .rd = x->rd,
				   .boot = x->boot, .dimms = x->dimms, .cr = x->c,
				   .live_xml = c->live_xml, .confinement = c->xml->confinement };
	/* the release and the panic line are read from the kept RAM on the way (VMCOREINFO, the
	 * kernel's log); notes_free() leaves the release */
	int r = lvcapture_start(l, &in, cap);

	report_crash(c->cfg, x->c->dir, x->c->number, x->c->how, x->c->panic,
		     x->c->notes.osrelease);
	return r;
}

int lvcrash_serve(struct lvconn *l, struct lvcrash *c, struct lvcapture **cap)
{
	struct rundir *rd = calloc(1, sizeof(*rd));
	struct dimm_set *dimms = calloc(1, sizeof(*dimms));
	struct boot *boot = calloc(1, sizeof(*boot));
	struct crash *cr = calloc(1, sizeof(*cr));
	struct notes_stale stale = { .n = 0 };
	struct crash_ctx x = { .cfg = c->cfg, .rd = rd, .boot = boot, .dimms = dimms, .c = cr };
	enum qemu_machine m = c->xml->machine == DOMXML_MACHINE_Q35 ? QEMU_MACHINE_Q35
								   : QEMU_MACHINE_PC;
	long long t0 = clock_ms();
	int r = -ENOMEM;

	*cap = NULL;
	c->dir[0] = '\0';
	if (!rd || !dimms || !boot || !cr)
		goto out;
	log_timestamp(cr->time, sizeof(cr->time));
	cr->number = c->number;
	cr->how = "libvirt";
	cr->mono_ms = t0;
	cr->panic_from_log = true;
	log_err("domain %s: guest kernel panicked at %s (libvirt: crashed, panicked)", c->name,
		cr->time);
	r = keep_ram(l, c, rd, &boot->cur.ram_size);
	if (r < 0)
		goto out;
	log_info("domain %s: RAM kept in %lld ms: %s", c->name, clock_ms() - t0, rd->ram);
	boot->cur.lowmem = qemu_lowmem_unpinned(m, boot->cur.ram_size);
	boot->nram = layout_production_ram(&boot->cur, boot->ram);
	take_registers(l, c, &cr->notes);
	r = record_make_dir(c->cfg->dump_dir ? c->cfg->dump_dir : vm_default_dump_dir(), c->name,
			    cr->dir, sizeof(cr->dir));
	if (r < 0)
		goto out;
	snprintf(c->dir, sizeof(c->dir), "%s", cr->dir);
	cr->detail = detection(c);
	if (c->cfg->on_crash == ON_CRASH_ASSISTED) {
		r = capture(l, c, &x, cap);
		goto out;
	}
	r = crash_keep_in_place(&x, &stale);
	report_crash(c->cfg, cr->dir, cr->number, cr->how, cr->panic, cr->notes.osrelease);
	tell_operator(c, rd, r);
out:
	if (r == -ENOMEM)
		log_err("domain %s: out of memory serving its crash", c->name);
	if (cr) {
		notes_free(&cr->notes);
		json_decref(cr->detail);
	}
	free(cr);
	free(boot);
	free(dimms);
	free(rd);
	return r;
}
