// SPDX-License-Identifier: GPL-2.0-or-later
// libvirt connections.  libvirt prints every error to stderr unless told otherwise: a no-op
// handler is installed before the first call, and each failure takes libvirt's last message.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "libvirt/conn.h"

struct lvconn {
	virConnectPtr conn;
	char *uri;
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

void lvconn_close(struct lvconn *c)
{
	if (!c)
		return;
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
