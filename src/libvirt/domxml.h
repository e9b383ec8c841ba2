/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What hvdump needs to know of a libvirt domain, read from its XML (libxml2 and XPath; the
 * text is libvirt's, but the guest's owner wrote most of it: every value is bounded). */
#ifndef HVDUMP_LIBVIRT_DOMXML_H
#define HVDUMP_LIBVIRT_DOMXML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest domain XML read (libvirt's own are a few KiB; its limit for a definition is
 * 10 MiB, which no domain hvdump serves comes near). */
#define DOMXML_MAX_LEN (4u << 20)
/* The longest string kept (names, paths, machine types); a longer one is refused. */
#define DOMXML_MAX_STR 4095u

/* <domain type=...> */
enum domxml_type { DOMXML_TYPE_OTHER, DOMXML_TYPE_KVM, DOMXML_TYPE_QEMU };

/* <os><type machine=...>: i440fx (pc, pc-i440fx-*), q35 (q35, pc-q35-*) or another */
enum domxml_machine { DOMXML_MACHINE_NONE, DOMXML_MACHINE_PC, DOMXML_MACHINE_Q35,
		      DOMXML_MACHINE_OTHER };

/* <memoryBacking><source type=...>: none (libvirt's default, anonymous memory) */
enum domxml_source { DOMXML_SRC_NONE, DOMXML_SRC_ANONYMOUS, DOMXML_SRC_FILE, DOMXML_SRC_MEMFD,
		     DOMXML_SRC_OTHER };

/* <memoryBacking><access mode=...> */
enum domxml_access { DOMXML_ACCESS_NONE, DOMXML_ACCESS_SHARED, DOMXML_ACCESS_PRIVATE,
		     DOMXML_ACCESS_OTHER };

/* <on_crash> (DOMXML_CRASH_NONE: absent, which libvirt takes as destroy) */
enum domxml_on_crash { DOMXML_CRASH_NONE, DOMXML_CRASH_DESTROY, DOMXML_CRASH_RESTART,
		       DOMXML_CRASH_PRESERVE, DOMXML_CRASH_RENAME_RESTART,
		       DOMXML_CRASH_COREDUMP_DESTROY, DOMXML_CRASH_COREDUMP_RESTART,
		       DOMXML_CRASH_OTHER };

/* <features><vmcoreinfo state=...> (no state attribute: on, as libvirt reads it) */
enum domxml_switch { DOMXML_SWITCH_ABSENT, DOMXML_SWITCH_ON, DOMXML_SWITCH_OFF };

/* <os> firmware: BIOS unless <os firmware='efi'> or a pflash <loader> says UEFI */
enum domxml_firmware { DOMXML_FW_BIOS, DOMXML_FW_UEFI };

/* The first <disk device='disk'>'s <source>: a file, a block device, or something hvdump
 * cannot open on the host (network, volume, ...) */
enum domxml_disk { DOMXML_DISK_NONE, DOMXML_DISK_FILE, DOMXML_DISK_BLOCK, DOMXML_DISK_OTHER };

/* Panic devices, as bits of domxml.panic_models */
#define DOMXML_PANIC_ISA (1u << 0)     /* model='isa' or no model: QEMU's pvpanic */
#define DOMXML_PANIC_PVPANIC (1u << 1) /* model='pvpanic': pvpanic-pci */
#define DOMXML_PANIC_OTHER (1u << 2)   /* hyperv, s390, pseries: not what a Linux guest on x86 uses */

struct domxml {
	char *name, *uuid;               /* <name>, <uuid> (NULL when absent) */
	enum domxml_type type;
	char *type_name;                 /* <domain type=...> as written */
	char *arch, *machine_name;       /* <os><type arch= machine=> (NULL when absent) */
	enum domxml_machine machine;
	uint64_t memory, current_memory; /* bytes (<memory>, <currentMemory>; 0 when absent) */
	uint64_t max_memory;             /* bytes of <maxMemory> (0: none) */
	unsigned max_memory_slots;       /* its slots= */
	unsigned vcpus;                  /* <vcpu> (0 when absent) */
	/* <memoryBacking> */
	bool has_memory_backing;
	enum domxml_source source;
	enum domxml_access access;
	bool discard, hugepages, locked;
	/* devices */
	unsigned panic_models;           /* DOMXML_PANIC_* of every <panic> */
	unsigned npanic;
	unsigned numa_cells;             /* <cpu><numa><cell> */
	unsigned memory_devices;         /* <devices><memory> (DIMMs, NVDIMMs, virtio-mem...) */
	char *memory_device_model;       /* the first one's model */
	enum domxml_on_crash on_crash;
	char *on_crash_name;             /* as written */
	enum domxml_switch vmcoreinfo;
	/* boot */
	enum domxml_firmware firmware;
	char *loader, *nvram;            /* <os><loader>, <os><nvram> paths (NULL when absent) */
	bool secure_boot;                /* <loader secure='yes'> */
	char *kernel, *initrd, *cmdline; /* <os><kernel>, <initrd>, <cmdline> */
	enum domxml_disk disk;
	char *disk_source;               /* the first disk's file or dev */
	char *disk_format;               /* its <driver type=...> (raw, qcow2, ...) */
	char *confinement;               /* "apparmor" or "selinux": a <seclabel> of that model
					  * not of type none (a running domain's XML has it when
					  * libvirt confines its QEMU); NULL: none */
};

/* Parse the domain XML in BUF[0, LEN) (need not be NUL-terminated; at most DOMXML_MAX_LEN)
 * into D.  No network access, no DTD, no entity substitution.  0, or -errno with WHY set and
 * D empty: -EINVAL (not XML, not a <domain>, a size or count that is not a number in range),
 * -E2BIG (too long: the text, or a string over DOMXML_MAX_STR), -ENOMEM.  The strings of D
 * are NUL-terminated, at most DOMXML_MAX_STR bytes, without NUL inside; free with
 * domxml_free().  Not thread-safe before domxml_init() has run once. */
__attribute__((warn_unused_result)) int domxml_parse(const char *buf, size_t len,
						      struct domxml *d, char *why, size_t whylen);

struct _xmlDoc;
/* The document tree of BUF[0, LEN), parsed as domxml_parse() parses it (at most
 * DOMXML_MAX_LEN bytes, no network, no DTD, no entity substitution; a DOCTYPE is refused) and
 * with a <domain> root in no namespace, in *DOC (free with xmlFreeDoc()).  0, or -errno with
 * WHY set and *DOC NULL: -EINVAL (not XML, a DOCTYPE, not a <domain>), -E2BIG, -ENOMEM. */
__attribute__((warn_unused_result)) int domxml_read_doc(const char *buf, size_t len,
							 struct _xmlDoc **doc, char *why,
							 size_t whylen);

/* libxml2's one-time set-up; call from the main thread before any other thread parses. */
void domxml_init(void);

/* Free D's strings; D is then empty (domxml_free of an empty D does nothing). */
void domxml_free(struct domxml *d);

/* The name of E, for messages ("destroy", "preserve", ... "(none)") */
const char *domxml_on_crash_name(enum domxml_on_crash e);

#endif
