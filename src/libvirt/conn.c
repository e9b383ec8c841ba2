// SPDX-License-Identifier: GPL-2.0-or-later
// libvirt connections.  libvirt prints every error to stderr unless told otherwise: a no-op
// handler is installed before the first call, and each failure takes libvirt's last message.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/libvirt-qemu.h>
#include <libvirt/virterror.h>

#include "libvirt/conn.h"
#include "util/log.h"

#define START_WAIT_MS 10000 /* lvconn_domain_start(): for libvirt to see a QEMU gone */

struct lvconn {
	virConnectPtr conn;
	char *uri;
	bool watching; /* lvconn_watch_crashes() registered its close callback */
	bool closed;   /* ... and libvirt said the connection is closed */
	int timer;     /* the tick's timer (lvconn_watch_crashes()), 0: none */
};

static void quiet(void *data, virErrorPtr err) { (void)data; (void)err; }

/* WHY = WHAT: libvirt's last error message (control characters made '?'). */
static void lv_why(char *why, size_t whylen, const char *what)
{
	const char *m = virGetLastErrorMessage();

	snprintf(why, whylen, "%s: %s", what, m && *m ? m : "unknown libvirt error");
	for (char *p = why; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = '?';
}

int lvconn_open(const char *uri, bool readonly, struct lvconn **c, char *why, size_t whylen)
{
	struct lvconn *l;
	char what[300];

	*c = NULL;
	virSetErrorFunc(NULL, quiet);
	if (virInitialize() < 0) {
		lv_why(why, whylen, "cannot initialise libvirt");
		return -ECONNREFUSED;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	l->conn = readonly ? virConnectOpenReadOnly(uri) : virConnectOpen(uri);
	if (!l->conn) {
		snprintf(what, sizeof(what), "cannot connect to libvirt at %.200s",
			 uri ? uri : "its default URI");
		lv_why(why, whylen, what);
		free(l);
		return -ECONNREFUSED;
	}
	l->uri = virConnectGetURI(l->conn);
	*c = l;
	return 0;
}

const char *lvconn_uri(const struct lvconn *c) { return c->uri ? c->uri : "(unknown URI)"; }

static void on_close(virConnectPtr conn, int reason, void *opaque);

void lvconn_close(struct lvconn *c)
{
	if (!c)
		return;
	if (c->watching) /* it must not fire into C once freed */
		virConnectUnregisterCloseCallback(c->conn, on_close);
	virConnectClose(c->conn);
	free(c->uri);
	free(c);
}

/* NAME is a domain's name, else its UUID (36 characters, as virsh takes it). */
static virDomainPtr lookup(virConnectPtr conn, const char *name)
{
	virDomainPtr dom = virDomainLookupByName(conn, name);
	virErrorPtr e = virGetLastError();

	if (!dom && e && e->code == VIR_ERR_NO_DOMAIN && strlen(name) == VIR_UUID_STRING_BUFLEN - 1)
		dom = virDomainLookupByUUIDString(conn, name);
	return dom;
}

int lvconn_domain_xml(struct lvconn *c, const char *name, bool inactive, char **xml,
		      bool *active, bool *persistent, char *why, size_t whylen)
{
	virDomainPtr dom = lookup(c->conn, name);
	char what[300];
	int r = 0;

	*xml = NULL;
	*active = *persistent = false;
	if (!dom) {
		virErrorPtr e = virGetLastError();
		if (e && (e->code == VIR_ERR_NO_DOMAIN || e->code == VIR_ERR_INVALID_ARG)) {
			snprintf(why, whylen, "no domain '%.100s' on %s (virsh list --all)", name,
				 lvconn_uri(c));
			return -ENOENT;
		}
		snprintf(what, sizeof(what), "domain '%.100s'", name);
		lv_why(why, whylen, what);
		return -EIO;
	}
	*active = virDomainIsActive(dom) == 1;
	*persistent = virDomainIsPersistent(dom) == 1;
	*xml = virDomainGetXMLDesc(dom, inactive && *persistent ? VIR_DOMAIN_XML_INACTIVE : 0);
	if (!*xml) {
		snprintf(what, sizeof(what), "the XML of domain '%.100s'", name);
		lv_why(why, whylen, what);
		r = -EIO;
	}
	virDomainFree(dom);
	return r;
}

/* ---- the companion ------------------------------------------------------------------------ */

int lvconn_events_init(char *why, size_t whylen)
{
	virSetErrorFunc(NULL, quiet);
	if (virEventRegisterDefaultImpl() < 0) {
		lv_why(why, whylen, "cannot start libvirt's event loop");
		return -EIO;
	}
	return 0;
}

struct lvwatch_cb {
	lvconn_crash_fn fn;
	void *data;
};

static int on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque)
{
	struct lvwatch_cb *cb = opaque;
	char uuid[VIR_UUID_STRING_BUFLEN];
	const char *name = virDomainGetName(dom);

	(void)conn;
	if (event == VIR_DOMAIN_EVENT_CRASHED && detail == VIR_DOMAIN_EVENT_CRASHED_PANICKED &&
	    name && virDomainGetUUIDString(dom, uuid) == 0)
		cb->fn(cb->data, name, uuid);
	return 0;
}

static void on_tick(int timer, void *opaque) { (void)timer; (void)opaque; }

static void on_close(virConnectPtr conn, int reason, void *opaque)
{
	(void)conn;
	(void)reason;
	((struct lvconn *)opaque)->closed = true;
}

int lvconn_watch_crashes(struct lvconn *c, unsigned tick_ms, lvconn_crash_fn fn, void *data,
			 char *why, size_t whylen)
{
	struct lvwatch_cb *cb = calloc(1, sizeof(*cb));

	if (!cb) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	cb->fn = fn;
	cb->data = data;
	c->closed = false;
	if (virConnectDomainEventRegisterAny(c->conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
					     VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), cb,
					     free) < 0) {
		lv_why(why, whylen, "cannot listen for libvirt's domain events");
		free(cb);
		return -EIO;
	}
	c->watching = virConnectRegisterCloseCallback(c->conn, on_close, c, NULL) == 0;
	if (c->watching)
		c->timer = virEventAddTimeout((int)tick_ms, on_tick, NULL, NULL);
	if (!c->watching || c->timer < 0) {
		c->timer = 0;
		lv_why(why, whylen, "cannot watch libvirt's connection");
		return -EIO;
	}
	return 0;
}

void lvconn_set_tick(struct lvconn *c, unsigned tick_ms)
{
	if (c->timer > 0)
		virEventUpdateTimeout(c->timer, (int)tick_ms);
}

int lvconn_run_once(struct lvconn *c)
{
	if (!c->closed && virEventRunDefaultImpl() < 0)
		log_warn("libvirt's event loop: %s", virGetLastErrorMessage());
	return c->closed || virConnectIsAlive(c->conn) != 1 ? -EPIPE : 0;
}

int lvconn_domain_names(struct lvconn *c, char ***names, size_t *n, char *why, size_t whylen)
{
	virDomainPtr *doms = NULL;
	int k = virConnectListAllDomains(c->conn, &doms, 0);

	*names = NULL;
	*n = 0;
	if (k < 0) {
		lv_why(why, whylen, "cannot list libvirt's domains");
		return -EIO;
	}
	*names = calloc((size_t)k + 1, sizeof(**names));
	for (int i = 0; i < k; i++) {
		const char *name = virDomainGetName(doms[i]);
		if (*names && name && ((*names)[*n] = strdup(name)))
			(*n)++;
		virDomainFree(doms[i]);
	}
	free(doms);
	if (!*names) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* The running domain NAME, or NULL with WHY (*R: -ENOENT or -EIO). */
static virDomainPtr find(struct lvconn *c, const char *name, int *r, char *why, size_t whylen)
{
	virDomainPtr dom = lookup(c->conn, name);
	virErrorPtr e;
	char what[300];

	if (dom)
		return dom;
	e = virGetLastError();
	*r = e && (e->code == VIR_ERR_NO_DOMAIN || e->code == VIR_ERR_INVALID_ARG) ? -ENOENT : -EIO;
	snprintf(what, sizeof(what), "domain '%.100s'", name);
	lv_why(why, whylen, what);
	return NULL;
}

int lvconn_domain_state(struct lvconn *c, const char *name, char *uuid, int *id, bool *crashed,
			char *why, size_t whylen)
{
	int r = 0, state = 0, reason = 0;
	virDomainPtr dom = find(c, name, &r, why, whylen);
	unsigned int did;

	if (!dom)
		return r;
	*crashed = false;
	did = virDomainGetID(dom);
	*id = did == (unsigned int)-1 ? -1 : (int)did;
	if (virDomainGetUUIDString(dom, uuid) < 0 || virDomainGetState(dom, &state, &reason, 0) < 0) {
		lv_why(why, whylen, "the state of the domain");
		r = -EIO;
	} else {
		*crashed = (state == VIR_DOMAIN_PAUSED && reason == VIR_DOMAIN_PAUSED_CRASHED) ||
			   state == VIR_DOMAIN_CRASHED;
	}
	virDomainFree(dom);
	return r;
}

int lvconn_monitor(struct lvconn *c, const char *name, const char *cmd, bool hmp, char **reply,
		   char *why, size_t whylen)
{
	int r = 0;
	virDomainPtr dom = find(c, name, &r, why, whylen);
	char what[300];

	*reply = NULL;
	if (!dom)
		return r;
	if (virDomainQemuMonitorCommand(dom, cmd, reply,
					hmp ? VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP : 0) < 0) {
		snprintf(what, sizeof(what), "QEMU's monitor (%.60s)", cmd);
		lv_why(why, whylen, what);
		*reply = NULL;
		r = virDomainIsActive(dom) == 0 ? -ENOENT : -EIO;
	}
	virDomainFree(dom);
	return r;
}

/* ---- the capture domain ------------------------------------------------------------------ */

int lvconn_domain_destroy(struct lvconn *c, const char *name, char *why, size_t whylen)
{
	int r = 0;
	virDomainPtr dom = find(c, name, &r, why, whylen);

	if (!dom)
		return r;
	if (virDomainDestroy(dom) < 0) {
		lv_why(why, whylen, "virDomainDestroy");
		r = virDomainIsActive(dom) == 0 ? 0 : -EIO;
	}
	virDomainFree(dom);
	return r;
}

int lvconn_create_xml(struct lvconn *c, const char *xml, int *id, char *why, size_t whylen)
{
	virDomainPtr dom = virDomainCreateXML(c->conn, xml, 0);
	unsigned int did;

	*id = -1;
	if (!dom) {
		lv_why(why, whylen, "libvirt refused the capture domain");
		return -EIO;
	}
	did = virDomainGetID(dom);
	*id = did == (unsigned int)-1 ? -1 : (int)did;
	virDomainFree(dom);
	return 0;
}

int lvconn_domain_start(struct lvconn *c, const char *name, char *why, size_t whylen)
{
	int r = 0;
	virDomainPtr dom = find(c, name, &r, why, whylen);

	if (!dom)
		return r;
	/* libvirt tears a domain whose QEMU ended down on its own time: wait for it */
	for (int i = 0; i < START_WAIT_MS / 50 && virDomainIsActive(dom) == 1; i++)
		usleep(50000);
	if (virDomainIsPersistent(dom) != 1) {
		snprintf(why, whylen, "domain %.100s has no persistent definition to start", name);
		r = -ENOENT;
	} else if (virDomainIsActive(dom) == 1) {
		snprintf(why, whylen, "domain %.100s still runs %d s after its QEMU ended", name,
			 START_WAIT_MS / 1000);
		r = -EBUSY;
	} else if (virDomainCreate(dom) < 0) {
		lv_why(why, whylen, "virDomainCreate");
		r = -EIO;
	}
	virDomainFree(dom);
	return r;
}
