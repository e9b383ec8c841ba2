/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a libvirt domain's definition must hold for hvdump to serve it (`hvdump libvirt
 * check`): each requirement ok, missing or conflicting, why hvdump needs it, the XML to add. */
#ifndef HVDUMP_LIBVIRT_DOMCHECK_H
#define HVDUMP_LIBVIRT_DOMCHECK_H

#include <stdbool.h>

#include "libvirt/domxml.h"

enum domcheck_status {
	DOMCHECK_OK,          /* as hvdump needs it (or hvdump handles what is there) */
	DOMCHECK_MISSING,     /* absent: add the XML given */
	DOMCHECK_CONFLICTING, /* something there that hvdump cannot work with: change it */
};

/* The requirements, in the order they are reported. */
enum domcheck_req {
	DOMCHECK_TYPE,          /* <domain type='kvm'|'qemu'> */
	DOMCHECK_MACHINE,       /* x86_64, pc or q35 */
	DOMCHECK_MEMORY_BACKING, /* <source type='file'/>, <access mode='shared'/> */
	DOMCHECK_PANIC,         /* <panic model='isa'|'pvpanic'/> */
	DOMCHECK_ON_CRASH,      /* <on_crash>preserve</on_crash> */
	DOMCHECK_VMCOREINFO,    /* <features><vmcoreinfo state='on'/> (recommended) */
	DOMCHECK_DISCARD,       /* <memoryBacking><discard/>: handled at the crash */
	DOMCHECK_HUGEPAGES,     /* <memoryBacking><hugepages/>: refused */
	DOMCHECK_NUMA,          /* <cpu><numa>: refused */
	DOMCHECK_MEMORY_HOTPLUG, /* <maxMemory>, <memory model=...> devices: refused */
	DOMCHECK_BOOT,          /* a kernel the capture guest can boot: <kernel> or a disk */
	DOMCHECK_FIRMWARE,      /* BIOS or UEFI: both served */
	DOMCHECK_NREQ
};

struct domcheck_item {
	const char *key;       /* stable name: "memory-backing", "on-crash", ... */
	const char *title;     /* "memory backing", ... */
	bool required;         /* false: recommended (missing does not make the domain unready) */
	enum domcheck_status status;
	char state[320];       /* what the definition holds now, in words */
	const char *why;       /* why hvdump needs it */
	const char *fix;       /* the XML to add or the change to make (NULL when ok) */
};

struct domcheck {
	struct domcheck_item item[DOMCHECK_NREQ]; /* indexed by enum domcheck_req */
	bool ready;          /* every required item ok */
	unsigned nmissing;   /* required items missing or conflicting */
	unsigned nrecommended; /* recommended items not ok */
};

/* Check D (from domxml_parse()) into C.  Pure; cannot fail. */
void domcheck_run(const struct domxml *d, struct domcheck *c);

/* "ok", "missing", "conflicting" */
const char *domcheck_status_name(enum domcheck_status s);

#endif
