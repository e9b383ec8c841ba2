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

/* ---- the companion: events and QEMU's monitor (a read-write connection) ----------------- */

/* libvirt's default event loop; before lvconn_open() of a connection whose events are
 * wanted.  0 or -EIO with WHY. */
__attribute__((warn_unused_result)) int lvconn_events_init(char *why, size_t whylen);

/* A domain libvirt says panicked: its name and UUID (valid during the call). */
typedef void (*lvconn_crash_fn)(void *data, const char *name, const char *uuid);

/* Call FN(DATA, ...) from lvconn_run_once() for every lifecycle event Crashed/Panicked of any
 * domain of C; also wake lvconn_run_once() at least every TICK_MS.  0 or -EIO with WHY. */
__attribute__((warn_unused_result)) int lvconn_watch_crashes(struct lvconn *c, unsigned tick_ms,
							      lvconn_crash_fn fn, void *data,
							      char *why, size_t whylen);

/* Wake lvconn_run_once() at least every TICK_MS from now on. */
void lvconn_set_tick(struct lvconn *c, unsigned tick_ms);

/* Run one iteration of the event loop (waits for an event or a tick).  -EPIPE once libvirt
 * closed the connection (libvirtd stopped), else 0. */
__attribute__((warn_unused_result)) int lvconn_run_once(struct lvconn *c);

/* The names of C's domains, active or not (malloc'd array of malloc'd strings, *N of them).
 * 0 or -EIO with WHY. */
__attribute__((warn_unused_result)) int lvconn_domain_names(struct lvconn *c, char ***names,
							     size_t *n, char *why,
							     size_t whylen);

/* Domain NAME (a name or UUID): its UUID (VIR_UUID_STRING_BUFLEN bytes into UUID), its id
 * (-1 when not running), and whether libvirt holds it paused after a crash (paused for a
 * crash, or crashed).  0, -ENOENT or -EIO with WHY. */
__attribute__((warn_unused_result)) int lvconn_domain_state(struct lvconn *c, const char *name,
							     char *uuid, int *id, bool *crashed,
							     char *why, size_t whylen);

/* Send CMD to the QEMU of running domain NAME through libvirt's monitor passthrough
 * (virDomainQemuMonitorCommand: QMP JSON, or an HMP command line with HMP) and return its
 * reply in *REPLY (malloc'd; for QMP the whole JSON reply).  0, -ENOENT (no such domain,
 * not running) or -EIO with WHY (libvirt's or QEMU's error). */
__attribute__((warn_unused_result)) int lvconn_monitor(struct lvconn *c, const char *name,
							const char *cmd, bool hmp, char **reply,
							char *why, size_t whylen);

/* ---- the capture domain (libvirt/lvcapture.h) ------------------------------------------ */

/* Destroy running domain NAME (libvirt unlinks its RAM file; a hard link keeps it).  0 (also
 * when it was not running any more), -ENOENT or -EIO with WHY. */
__attribute__((warn_unused_result)) int lvconn_domain_destroy(struct lvconn *c, const char *name,
							       char *why, size_t whylen);

/* Create and start a transient domain from XML (virDomainCreateXML); its id into *ID.  0 or
 * -EIO with WHY (libvirt's reason). */
__attribute__((warn_unused_result)) int lvconn_create_xml(struct lvconn *c, const char *xml,
							   int *id, char *why, size_t whylen);

/* Start the persistent definition of domain NAME (virDomainCreate), once libvirt has it
 * inactive (waits up to 10 s for a domain whose QEMU just ended).  0, -ENOENT (no such
 * domain, or no persistent definition), -EBUSY (still running) or -EIO with WHY. */
__attribute__((warn_unused_result)) int lvconn_domain_start(struct lvconn *c, const char *name,
							     char *why, size_t whylen);

#endif
