// SPDX-License-Identifier: GPL-2.0-or-later
// The capture domain.  libvirt cannot be told which file backs guest RAM, nor take a DIMM
// file of the caller's, so the capture domain is the crashed domain's own XML with its
// firmware and boot replaced by the capture kernel and QEMU arguments that win over
// libvirt's: the kept file as the RAM backend, the crashed boot's low-RAM split, DIMM slots,
// and a QMP socket of hvdump's.  Through that socket hvdump hands QEMU each DIMM's file
// (add-fd), which libvirt's monitor passthrough cannot, and hears QEMU's events directly.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libvirt/capxml.h"
#include "libvirt/lvcapture.h"
#include "qemu/qmp.h"
#include "util/clock.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/size.h"
#include "vm/boot.h"
#include "vm/crashes.h"
#include "vm/guestmem.h"
#include "vm/memback.h"
#include "vm/record.h"
#include "vm/report.h"
#include "vm/saveflow.h"

#define QMP_CONNECT_MS 30000
#define CAPTURE_XML "capture.xml" /* the capture domain's XML, in the kept RAM's directory */
#define QMP_HANDSHAKE_MS 10000

struct lvcapture {
	char name[256];
	int id;                      /* the capture domain's libvirt id */
	const struct vm_config *cfg; /* the watch's, with the domain's facts (outlives C) */
	struct rundir rd;            /* the kept RAM's directory, hvdump's */
	struct boot boot;            /* the capture boot */
	struct crash_list crashes;   /* the one crash it runs on */
	struct memback mb;
	struct guest_mem gm;
	struct save_flow save;
	struct notes_stale stale;
	struct capture_kernel ck;
	struct qmp *qmp;             /* NULL once QEMU is gone */
	long long crash_ms;          /* the crash (monotonic) */
	bool reset;                  /* QEMU said the guest rebooted (on_reboot destroy) */
	bool shutdown_said;          /* QEMU's first SHUTDOWN event was logged */
	bool crashed;                /* the capture guest itself panicked */
	bool in_service_said;
};

static const char *const vital_events[] = { "SHUTDOWN", "DEVICE_DELETED", "GUEST_PANICKED",
					    NULL };

bool lvcapture_is(const struct lvcapture *c, const char *name)
{
	return c->qmp && !strcmp(c->name, name);
}

bool lvcapture_busy(const struct lvcapture *c)
{
	return c->save.saver || c->mb.pending || c->crashes.n;
}

static struct save_ctx save_ctx(struct lvcapture *c)
{
	return (struct save_ctx){ .cfg = c->cfg, .rd = &c->rd, .boot = &c->boot,
				  .crashes = &c->crashes, .mb = &c->mb, .gm = &c->gm,
				  .qmp = c->qmp };
}

/* ---- starting it -------------------------------------------------------------------------- */

/* Connect to the QMP socket QEMU listens on at PATH (it appears once QEMU runs).  0 or
 * -errno. */
static int qmp_attach(const char *path, struct qmp **q)
{
	long long until = clock_ms() + QMP_CONNECT_MS;
	int r;

	do {
		r = qmp_connect(path, q);
		if (r == 0) {
			r = qmp_handshake(*q, QMP_HANDSHAKE_MS);
			if (r < 0) {
				qmp_close(*q);
				*q = NULL;
			}
			return r;
		}
		usleep(20000);
	} while (clock_ms() < until);
	return r;
}

/* The capture domain's XML, also written to RD/capture.xml for the operator.  NULL after
 * logging why. */
static char *capture_xml(struct lvcapture *c, const struct lvcapture_in *in)
{
	uint64_t base = layout_device_memory_base(&c->boot.cur);
	char *append = boot_append(c->cfg, &c->boot), *xml = NULL, why[512], path[4200];
	struct capxml_params p = {
		.kernel = c->ck.kernel,
		.initrd = c->ck.initrd[0] ? c->ck.initrd : NULL,
		.cmdline = append,
		.ram_path = c->rd.ram,
		.ram_size = c->boot.cur.ram_size,
		.lowmem = c->boot.cur.lowmem,
		.qmp_path = c->rd.qmp,
	};
	int fd;

	c->mb.slots = p.slots = memback_slots(&c->mb);
	p.maxmem = c->boot.cur.ram_size +
		   dimms_span(&c->mb.dimms, base, dimms_window(&c->boot.cur), c->cfg->memory);
	if (!append) {
		log_err("out of memory");
		return NULL;
	}
	if (capxml_build(in->live_xml, strlen(in->live_xml), &p, &xml, why, sizeof(why)) < 0) {
		log_err("domain %s: cannot write the capture domain's XML: %s", c->name, why);
		xml = NULL;
	}
	free(append);
	snprintf(path, sizeof(path), "%s/" CAPTURE_XML, c->rd.path);
	fd = xml ? open_new_private(path, O_WRONLY) : -1;
	if (fd >= 0) {
		if (write_full(fd, xml, strlen(xml)) < 0)
			log_warn("cannot write %s: %s", path, strerror(errno));
		close(fd);
	}
	return xml;
}

/* The capture kernel and initrd read from the guest's disk into the kept RAM's directory
 * are QEMU's to read: its user is the RAM file's owner. */
static void give_to_qemu(const struct lvcapture *c)
{
	const char *files[] = { c->ck.kernel, c->ck.initrd };
	struct stat st;

	if (!c->ck.from_disk || stat(c->rd.ram, &st) < 0 || st.st_uid == geteuid())
		return;
	for (size_t i = 0; i < 2; i++)
		if (files[i][0] && chown(files[i], st.st_uid, st.st_gid) < 0)
			log_warn("cannot give %s to QEMU's user %u: %s", files[i],
				 (unsigned)st.st_uid, strerror(errno));
}

/* Lay out the capture boot in the kept file (the crashed domain is gone). */
static int lay_out(struct lvcapture *c, const struct lvcapture_in *in)
{
	struct crash_ctx x = { .cfg = c->cfg, .rd = &c->rd, .boot = in->boot,
			       .dimms = in->dimms, .c = in->cr };
	struct capture_next next;

	crash_run_hook(&x);
	if (crash_prepare_capture(&x, &c->crashes, &c->stale, NULL, &next) < 0)
		return -EIO; /* logged, recorded */
	if (!crashes_add(&c->crashes, in->cr->dir, in->cr->number, next.hdr_off, next.segs,
			 next.nsegs)) {
		log_err("out of memory keeping the crash's segments");
		capkernel_clear(&next.ck);
		return -ENOMEM;
	}
	c->ck = next.ck; /* the capture boot's strings live here */
	give_to_qemu(c);
	boot_capture(&c->boot, &next.next, next.hdr_gpa, c->ck.boot_region, c->ck.kernel,
		     c->ck.initrd[0] ? c->ck.initrd : NULL, c->ck.cmdline);
	memback_init(&c->mb, c->rd.path, c->cfg->memory, c->ck.boot_region,
		     c->cfg->hotplug_delay_s);
	memback_enter_capture(&c->mb, c->ck.boot_region);
	c->gm = (struct guest_mem){ .ram_path = c->rd.ram, .ram_fd = -1, .cur = &c->boot.cur,
				    .dimms = &c->mb.dimms };
	return 0;
}

/* The crash could not get its capture domain: bring the domain back from its persistent
 * definition (its crash stays kept where the record says). */
static void restart_plain(struct lvconn *l, const char *name, const char *dir)
{
	char why[512];

	if (lvconn_domain_start(l, name, why, sizeof(why)) < 0) {
		log_err("domain %s is shut off and could not be started again: %s", name, why);
		return;
	}
	log_info("domain %s started again from its definition, without a capture boot; its "
		 "crash is kept: `hvdump save --from %s` writes the dump", name, dir);
}

int lvcapture_start(struct lvconn *l, const struct lvcapture_in *in, struct lvcapture **out)
{
	struct lvcapture *c = calloc(1, sizeof(*c));
	char why[1024], *xml = NULL;
	long long t0;
	int r;

	*out = NULL;
	if (!c)
		return -ENOMEM;
	snprintf(c->name, sizeof(c->name), "%s", in->name);
	c->cfg = in->cfg;
	c->rd = *in->rd;
	snprintf(c->rd.qmp, sizeof(c->rd.qmp), "%s/qmp.sock", c->rd.path);
	c->crash_ms = in->cr->mono_ms;
	r = lvconn_domain_destroy(l, in->name, why, sizeof(why));
	if (r < 0) {
		log_err("domain %s: cannot destroy the crashed domain for its capture boot (%s); it "
			"stays paused", in->name, why);
		free(c);
		return r;
	}
	log_info("domain %s: crashed domain destroyed (its RAM is kept in %s)", in->name,
		 c->rd.ram);
	r = lay_out(c, in);
	if (r == 0)
		xml = capture_xml(c, in);
	t0 = clock_ms();
	if (r == 0 && !xml)
		r = -EINVAL;
	if (r == 0 && (r = lvconn_create_xml(l, xml, &c->id, why, sizeof(why))) < 0)
		log_err("domain %s: %s (its XML: %s/" CAPTURE_XML ")%s%s%s", in->name, why,
			c->rd.path,
			in->confinement ? "; libvirt confines QEMU with " : "",
			in->confinement ? in->confinement : "",
			in->confinement ? ": does its profile allow hvdump's directory "
					  "(docs/hvdump-libvirt.md, \"Confinement\")?" : "");
	free(xml);
	if (r == 0 && (r = qmp_attach(c->rd.qmp, &c->qmp)) < 0)
		log_err("domain %s: no answer on hvdump's QMP socket %s of the capture domain: %s; "
			"its memory cannot come back while it runs", in->name, c->rd.qmp, strerror(-r));
	if (r < 0) {
		if (c->crashes.n)
			record_update(in->cr->dir, CRASH_PRESERVED_UNSAVED,
				      json_pack("{s:s}", "capture_error",
						"the capture domain did not start (see the log)"));
		if (!c->qmp && c->id <= 0)
			restart_plain(l, in->name, in->cr->dir);
		else
			log_err("domain %s runs the capture kernel, but hvdump cannot reach it; "
				"`hvdump save --from %s` writes the dump", in->name, in->cr->dir);
		lvcapture_free(c);
		return r;
	}
	qmp_set_vital_events(c->qmp, vital_events);
	log_info("domain %s: capture domain started (libvirt id %d) in %lld ms, %lld ms after the "
		 "crash: same name and UUID, the capture kernel on the kept RAM", in->name, c->id,
		 clock_ms() - t0, clock_ms() - c->crash_ms);
	crash_capture_started(&c->crashes, c->crash_ms);
	memback_boot_started(&c->mb);
	{
		struct save_ctx sx = save_ctx(c);
		if (save_start(&c->save, &sx, false, c->mb.probe.state != PROBE_UP) == -ENOSPC)
			report_refused(c->cfg, in->cr->dir);
	}
	*out = c;
	return 0;
}

/* ---- while it runs ------------------------------------------------------------------------ */

static void check_all_saved(struct lvcapture *c)
{
	char sz[32];

	if (!c->crashes.n || !crashes_all_saved(&c->crashes))
		return;
	log_info("domain %s: every dump is saved (%s of memory freed on the host)", c->name,
		 size_human(c->mb.released, sz, sizeof(sz)));
	crashes_clear(&c->crashes);
}

static void on_save_news(struct lvcapture *c, enum save_news news)
{
	if (news == SAVE_RUNNING)
		return;
	report_outcome(c->cfg, c->crashes.c[c->save.saving].dir);
	if (news == SAVE_DONE)
		check_all_saved(c);
}

/* Once the capture guest is up: a held saver runs at full speed, and what is due comes
 * back. */
static void give_back(struct lvcapture *c)
{
	struct save_ctx x = save_ctx(c);

	if (!c->qmp || (!c->mb.pending && !save_held(&c->save)))
		return;
	if (!memback_guest_up(&c->mb, c->gm.ram_fd, &c->stale))
		return;
	if (save_held(&c->save))
		on_save_news(c, save_on_event(&c->save, &x, true));
	if (c->mb.pending)
		memback_give(&c->mb, c->qmp, &c->boot.cur, !c->save.saver && !c->crashes.n);
}

static void handle_event(struct lvcapture *c, json_t *ev)
{
	const char *name = json_string_value(json_object_get(ev, "event"));
	json_t *data = json_object_get(ev, "data");
	const char *reason;

	if (!name)
		return;
	if (!strcmp(name, "DEVICE_DELETED")) {
		dimms_deleted(&c->mb.dimms, c->qmp,
			      json_string_value(json_object_get(data, "device")));
	} else if (!strcmp(name, "SHUTDOWN")) {
		/* on_reboot destroy: QEMU ends at a reset of the guest's or the host's (virsh
		 * reset) instead of booting the capture kernel again; libvirt then ends QEMU,
		 * which says SHUTDOWN once more */
		reason = json_string_value(json_object_get(data, "reason"));
		if (c->reset || c->shutdown_said)
			return;
		c->reset = reason && (!strcmp(reason, "guest-reset") ||
				      !strcmp(reason, "host-qmp-system-reset"));
		c->shutdown_said = true;
		log_info("domain %s: the capture guest %s (%s)", c->name,
			 c->reset ? "was reset" : "is shutting down", reason ? reason : "?");
	}
}

/* The saver has news (its eventfd is readable now)? */
static bool saver_ready(const struct lvcapture *c)
{
	struct pollfd p;

	if (!c->save.saver)
		return false;
	p = (struct pollfd){ .fd = saver_event_fd(c->save.saver), .events = POLLIN };
	return poll(&p, 1, 0) == 1;
}

/* QEMU is gone or hvdump stops: end the saver (what is durable stays saved) and say what
 * came of its dump. */
static void stop_saving(struct lvcapture *c)
{
	struct save_ctx x = save_ctx(c);
	bool saving = c->save.saver != NULL;
	enum save_news news = save_stop(&c->save, &x);

	if (saving)
		report_outcome(c->cfg, c->crashes.c[c->save.saving].dir);
	if (news == SAVE_DONE)
		check_all_saved(c);
}

/* Remove the directory of the kept RAM: the file (its last name: libvirt's went with the
 * crashed domain), the socket, the lock, the XML. */
static void remove_area(struct lvcapture *c)
{
	char xml[4200];
	const char *paths[] = { c->rd.ram, c->rd.qmp, c->rd.lock, xml };

	snprintf(xml, sizeof(xml), "%s/" CAPTURE_XML, c->rd.path);
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (unlink(paths[i]) < 0 && errno != ENOENT)
			log_warn("cannot remove %s: %s", paths[i], strerror(errno));
	if (rmdir(c->rd.path) < 0)
		log_warn("cannot remove %s: %s", c->rd.path, strerror(errno));
}

/* The capture domain is gone: keep what is unsaved, remove the rest, and after a reboot
 * start the domain's own definition. */
static void finish(struct lvcapture *c, struct lvconn *l)
{
	char why[512];

	stop_saving(c);
	guestmem_close(&c->gm);
	if (c->crashes.n) {
		log_err("domain %s: the capture domain ended before its dump was saved",
			c->name);
		if (crash_keep_ram_file(&c->rd, &c->crashes, &c->mb.dimms, 1) < 0)
			log_err("its memory stays in %s", c->rd.ram);
		crashes_clear(&c->crashes);
		return;
	}
	if (c->crashed) {
		/* what the capture guest's own crash left is the operator's (lvcapture_crashed()) */
		log_warn("domain %s: the capture domain that crashed stopped; its memory stays in %s",
			 c->name, c->rd.path);
		return;
	}
	dimms_forget(&c->mb.dimms);
	capkernel_remove_files(&c->ck);
	remove_area(c);
	if (!c->reset) {
		log_info("domain %s: the capture domain stopped; its kept memory is removed",
			 c->name);
		return;
	}
	if (lvconn_domain_start(l, c->name, why, sizeof(why)) < 0)
		log_err("domain %s rebooted out of its capture boot, but it could not be started "
			"from its definition: %s", c->name, why);
	else
		log_info("domain %s rebooted out of its capture boot: started from its own "
			 "definition", c->name);
}

bool lvcapture_step(struct lvcapture *c, struct lvconn *l)
{
	struct save_ctx x;
	json_t *ev;
	int r;

	if (!c->qmp)
		return false;
	r = qmp_pump(c->qmp);
	while ((ev = qmp_next_event(c->qmp)) != NULL) {
		handle_event(c, ev);
		json_decref(ev);
	}
	if (r < 0) {
		qmp_close(c->qmp);
		c->qmp = NULL;
		finish(c, l);
		return false;
	}
	x = save_ctx(c);
	if (saver_ready(c))
		on_save_news(c, save_on_event(&c->save, &x,
					      !save_held(&c->save) ||
						      memback_guest_up(&c->mb, c->gm.ram_fd,
								       &c->stale)));
	save_tick(&c->save, &c->mb);
	give_back(c);
	if (!c->in_service_said && !lvcapture_busy(c)) {
		c->in_service_said = true;
		log_info("domain %s: runs under libvirt again with all its memory, %lld ms after "
			 "the crash", c->name, clock_ms() - c->crash_ms);
	}
	return true;
}

void lvcapture_crashed(struct lvcapture *c)
{
	c->crashed = true;
	log_err("domain %s: the capture guest itself panicked; it stays paused, not served again. "
		"Its memory (and what is unsaved of the first crash) is %s, and stays there when "
		"the domain is destroyed", c->name, c->rd.ram);
}

void lvcapture_abandon(struct lvcapture *c)
{
	if (!c->qmp)
		return;
	stop_saving(c);
	if (c->crashes.n)
		log_err("domain %s: hvdump stops before its dump is saved: it stays in the capture "
			"domain's memory (%s) while the domain runs; `hvdump save --from %s` "
			"continues it once the domain is destroyed", c->name, c->rd.ram,
			c->crashes.c[0].dir);
	log_info("domain %s is left running its capture boot (%s stays)", c->name, c->rd.path);
	qmp_close(c->qmp);
	c->qmp = NULL;
}

void lvcapture_free(struct lvcapture *c)
{
	if (!c)
		return;
	if (c->qmp)
		qmp_close(c->qmp);
	guestmem_close(&c->gm);
	crashes_clear(&c->crashes);
	capkernel_clear(&c->ck);
	free(c);
}
