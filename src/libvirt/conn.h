/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A connection to libvirt (its C library, libvirt-dev): open one, find a domain, read its
 * XML.  libvirt's own error printing is turned off; its messages come back in WHY. */
#ifndef HVDUMP_LIBVIRT_CONN_H
#define HVDUMP_LIBVIRT_CONN_H

#include <stdbool.h>
#include <stddef.h>

struct lvconn;

/* Connect to URI (NULL: libvirt's default: $LIBVIRT_DEFAULT_URI, uri_default of libvirt.conf,
 * else qemu:///system for root), read-only when READONLY.  0 with *C set, or -ECONNREFUSED
 * with WHY set (libvirt's reason: no daemon, no permission, bad URI). */
__attribute__((warn_unused_result)) int lvconn_open(const char *uri, bool readonly,
						     struct lvconn **c, char *why, size_t whylen);

/* The URI libvirt says the connection has ("qemu:///system"), for messages. */
const char *lvconn_uri(const struct lvconn *c);

void lvconn_close(struct lvconn *c);

/* The XML of domain NAME (a name, else a UUID): its persistent definition when it has one
 * (INACTIVE set), else what runs (a transient domain).  *ACTIVE says whether it runs,
 * *PERSISTENT whether it has a persistent definition.  0 with *XML malloc'd
 * (NUL-terminated), -ENOENT (no such domain) or -EIO, WHY set. */
__attribute__((warn_unused_result)) int lvconn_domain_xml(struct lvconn *c, const char *name,
							   bool inactive, char **xml, bool *active,
							   bool *persistent, char *why,
							   size_t whylen);

#endif
