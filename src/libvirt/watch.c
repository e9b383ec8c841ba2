// SPDX-License-Identifier: GPL-2.0-or-later
// The companion's loop.  libvirt calls back from inside its event loop, where a call back
// into libvirt would nest in its RPC: a crash is only queued there, and served after the
// loop's iteration returns.  A domain is judged again at its crash, as it runs: what is not
// ready (changed since the start, or any domain under --all) is named and left alone.
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libvirt/capxml.h"
#include "libvirt/domcheck.h"
#include "libvirt/lvcrash.h"
#include "libvirt/watch.h"
#include "util/log.h"
#include "util/systemd.h"

#define WATCH_TICK_MS 500
#define WATCH_BUSY_TICK_MS 50  /* a capture saves and gives memory back */
#define WATCH_QUEUE 64
#define WATCH_COUNTED 1024
#define WATCH_CAPTURES 64

static volatile sig_atomic_t stop_sig;

static void on_signal(int sig) { stop_sig = sig; }

struct queued {
	char name[256], uuid[64];
};

/* Crashes seen of one domain in this watch: its records' "crash" numbers. */
struct counted {
	char name[256];
	unsigned n;
};

/* A capture domain being looked after, with what its crash was served with. */
struct served {
	struct lvcapture *cap;
	struct vm_config cfg;
	struct domxml d;
};

struct watch_state {
	const struct lvwatch *w;
	struct served *caps[WATCH_CAPTURES];
	unsigned ncaps;
	struct queued q[WATCH_QUEUE];
	unsigned nq, dropped;
	struct counted counts[WATCH_COUNTED];
	unsigned ncounts;
};

/* The number of NAME's next crash in this watch, from 1 (past WATCH_COUNTED domains, the
 * others share the last one's count). */
static unsigned next_number(struct watch_state *s, const char *name)
{
	unsigned i;

	for (i = 0; i < s->ncounts; i++)
		if (!strcmp(s->counts[i].name, name))
			return ++s->counts[i].n;
	if (s->ncounts < WATCH_COUNTED) {
		/* NAME may be a queued crash's, inside S: memmove */
		size_t n = strnlen(name, sizeof(s->counts[0].name) - 1);
		memmove(s->counts[s->ncounts].name, name, n);
		s->counts[s->ncounts++].name[n] = '\0';
	}
	return ++s->counts[s->ncounts - 1].n;
}

/* Is domain NAME (UUID) one of W's? Its index in W's list (0 with --all), or -1. */
static int watched(const struct lvwatch *w, const char *name, const char *uuid)
{
	if (w->all)
		return 0;
	for (size_t i = 0; i < w->ndomains; i++)
		if (!strcmp(w->domains[i], name) || !strcasecmp(w->domains[i], uuid))
			return (int)i;
	return -1;
}

static void on_crash_event(void *data, const char *name, const char *uuid)
{
	struct watch_state *s = data;

	if (watched(s->w, name, uuid) < 0)
		return;
	if (s->nq == WATCH_QUEUE || strlen(name) >= sizeof(s->q[0].name)) {
		s->dropped++;
		return;
	}
	snprintf(s->q[s->nq].name, sizeof(s->q[0].name), "%s", name);
	snprintf(s->q[s->nq].uuid, sizeof(s->q[0].uuid), "%s", uuid);
	s->nq++;
}

/* The domain NAME's running definition into D (its text into *XML, malloc'd), judged ready.
 * 0, or -errno (logged). */
static int ready_now(struct lvconn *l, const char *name, struct domxml *d, char **xml)
{
	struct domcheck c;
	char why[1024];
	bool active, persistent;
	int r = lvconn_domain_xml(l, name, false, xml, &active, &persistent, why, sizeof(why));

	if (r == 0)
		r = domxml_parse(*xml, strlen(*xml), d, why, sizeof(why));
	if (r < 0) {
		log_err("domain %s crashed, but its definition cannot be read: %s", name, why);
		return r;
	}
	domcheck_run(d, &c);
	if (c.ready)
		return 0;
	for (int i = 0; i < DOMCHECK_NREQ; i++)
		if (c.item[i].required && c.item[i].status != DOMCHECK_OK)
			log_err("domain %s: %s %s: %s", name, c.item[i].title,
				domcheck_status_name(c.item[i].status), c.item[i].state);
	log_err("domain %s crashed, but hvdump cannot serve it as it runs (above; `hvdump "
		"libvirt check %s`): left to libvirt", name, name);
	domxml_free(d);
	return -EINVAL;
}

/* The configuration a crash of domain D is served with: the watch's options, the domain's
 * name, memory, machine, and its kernel or first disk (where the capture kernel comes from). */
static void domain_config(struct vm_config *cfg, const struct vm_config *base,
			  const struct domxml *d, const char *name)
{
	*cfg = *base;
	cfg->name = name;
	cfg->memory = d->memory;
	cfg->cpus = d->vcpus ? d->vcpus : 1;
	cfg->machine = d->machine == DOMXML_MACHINE_Q35 ? QEMU_MACHINE_Q35 : QEMU_MACHINE_PC;
	cfg->kernel = d->kernel;
	cfg->initrd = d->kernel ? d->initrd : NULL;
	cfg->append = d->kernel ? d->cmdline : NULL;
	cfg->ndisks = 0;
	if (!d->kernel && d->disk_source) {
		snprintf(cfg->disks[0].path, sizeof(cfg->disks[0].path), "%s", d->disk_source);
		snprintf(cfg->disks[0].format, sizeof(cfg->disks[0].format), "%s",
			 d->disk_format ? d->disk_format : "");
		cfg->ndisks = 1;
	}
}

/* The capture of NAME being looked after, or NULL. */
static struct lvcapture *capture_of(struct watch_state *s, const char *name)
{
	for (unsigned i = 0; i < s->ncaps; i++)
		if (lvcapture_is(s->caps[i]->cap, name))
			return s->caps[i]->cap;
	return NULL;
}

static void served_free(struct served *v)
{
	if (!v)
		return;
	lvcapture_free(v->cap);
	domxml_free(&v->d);
	free(v);
}

static void serve(struct watch_state *s, const struct queued *q)
{
	const struct lvwatch *w = s->w;
	struct served *v;
	struct lvcrash c = { .name = q->name, .uuid = q->uuid, .uri = lvconn_uri(w->conn) };
	struct lvcapture *cap = capture_of(s, q->name);
	char uuid[64], why[512], *xml = NULL;
	bool crashed = false;

	if (cap) {
		lvcapture_crashed(cap);
		return;
	}
	if (lvconn_domain_state(w->conn, q->name, uuid, &c.id, &crashed, why, sizeof(why)) < 0 ||
	    c.id < 0) {
		log_err("domain %s crashed, but it is gone before hvdump could keep its RAM%s%s",
			q->name, c.id < 0 ? "" : ": ", c.id < 0 ? "" : why);
		return;
	}
	if (!vm_name_valid(q->name)) {
		log_err("domain %s crashed, but its name is not one hvdump's crash records take "
			"(letters, digits, '.', '_', '-'): left to libvirt", q->name);
		return;
	}
	v = calloc(1, sizeof(*v));
	if (!v || ready_now(w->conn, q->name, &v->d, &xml) < 0) {
		if (!v)
			log_err("domain %s crashed: out of memory", q->name);
		free(v);
		free(xml);
		return;
	}
	if (strstr(xml, "memory-backend-file,id=" CAPXML_RAM_ID ",")) {
		/* an earlier watcher's capture domain: guest RAM is not libvirt's pc.ram */
		log_err("domain %s crashed in a capture boot an earlier hvdump started: its memory "
			"is the mem-path of its %s backend (virsh dumpxml %s), not served; it stays "
			"paused", q->name, CAPXML_RAM_ID, q->name);
		served_free(v);
		free(xml);
		return;
	}
	domain_config(&v->cfg, w->base, &v->d, v->d.name ? v->d.name : q->name);
	c.xml = &v->d;
	c.cfg = &v->cfg;
	c.live_xml = xml;
	c.number = next_number(s, q->name);
	if (s->ncaps == WATCH_CAPTURES && v->cfg.on_crash == ON_CRASH_ASSISTED) {
		log_err("domain %s: %u capture domains are being looked after already; this crash "
			"is kept, not booted", q->name, s->ncaps);
		v->cfg.on_crash = ON_CRASH_PAUSE;
	}
	{
		char st[320];
		snprintf(st, sizeof(st), "STATUS=serving a crash of domain %s", q->name);
		sys_notify(st);
	}
	if (lvcrash_serve(w->conn, &c, &v->cap) < 0) {
		/* logged; the domain stays paused, or was started afresh */
	}
	free(xml);
	if (v->cap)
		s->caps[s->ncaps++] = v;
	else
		served_free(v);
	sys_notify("STATUS=watching for crashes");
}

/* Step every capture; forget those that ended.  True if one is busy. */
static bool step_captures(struct watch_state *s)
{
	bool busy = false;
	unsigned j = 0;

	for (unsigned i = 0; i < s->ncaps; i++) {
		if (!lvcapture_step(s->caps[i]->cap, s->w->conn)) {
			served_free(s->caps[i]);
			continue;
		}
		busy |= lvcapture_busy(s->caps[i]->cap);
		s->caps[j++] = s->caps[i];
	}
	s->ncaps = j;
	return busy;
}

/* Domains that crashed while no watcher ran (libvirt holds them paused, crashed): queued to
 * be served as if their event came now. */
static void pick_up(struct watch_state *s)
{
	const struct lvwatch *w = s->w;
	char **names = NULL, uuid[64], why[512];
	size_t n = 0;
	bool crashed;
	int id;

	if (w->all && lvconn_domain_names(w->conn, &names, &n, why, sizeof(why)) < 0)
		log_warn("cannot list the domains to find those that crashed before: %s", why);
	for (size_t i = 0; i < (w->all ? n : w->ndomains); i++) {
		const char *name = w->all ? names[i] : w->domains[i];
		if (lvconn_domain_state(w->conn, name, uuid, &id, &crashed, why, sizeof(why)) < 0 ||
		    !crashed || id < 0)
			continue;
		log_warn("domain %s crashed before this watch started (libvirt holds it paused, "
			 "crashed): serving it now", name);
		on_crash_event(s, name, uuid);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int lvwatch_run(const struct lvwatch *w)
{
	struct watch_state *s = calloc(1, sizeof(*s));
	struct sigaction sa = { .sa_handler = on_signal };
	char why[1024];
	int r;

	if (!s)
		return -ENOMEM;
	s->w = w;
	r = lvconn_watch_crashes(w->conn, WATCH_TICK_MS, on_crash_event, s, why, sizeof(why));
	if (r < 0) {
		log_err("%s", why);
		free(s);
		return r;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	log_info("watching %s%s for crashes (libvirt %s); SIGINT or SIGTERM stops", w->all
		 ? "every domain" : w->ndomains == 1 ? "domain " : "domains ",
		 w->all ? "" : w->domains[0], lvconn_uri(w->conn));
	sys_notify("READY=1\nSTATUS=watching for crashes");
	pick_up(s);
	while (!stop_sig) {
		r = lvconn_run_once(w->conn);
		for (unsigned i = 0; i < s->nq; i++)
			if (stop_sig)
				log_err("domain %s crashed: not served, hvdump is stopping (it stays "
					"as libvirt left it)", s->q[i].name);
			else
				serve(s, &s->q[i]);
		s->nq = 0;
		if (s->dropped)
			log_err("%u crash events came faster than hvdump could serve them: not served",
				s->dropped);
		s->dropped = 0;
		lvconn_set_tick(w->conn, step_captures(s) ? WATCH_BUSY_TICK_MS : WATCH_TICK_MS);
		if (r == -EPIPE) {
			log_err("libvirt closed the connection (libvirtd stopped?): not watching any "
				"more");
			break;
		}
	}
	sys_notify("STOPPING=1");
	if (stop_sig)
		log_info("stopped by signal %d; the domains are left as they are", (int)stop_sig);
	for (unsigned i = 0; i < s->ncaps; i++) {
		lvcapture_abandon(s->caps[i]->cap);
		served_free(s->caps[i]);
	}
	free(s);
	return r == -EPIPE ? r : 0;
}
