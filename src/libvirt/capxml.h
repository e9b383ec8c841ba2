/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The XML of a libvirt capture domain: the crashed domain's own XML (same name, UUID, devices),
 * booting the capture kernel under SeaBIOS on the kept RAM file, which <qemu:commandline>
 * arguments put under guest RAM (libvirt cannot be told which file backs it). */
#ifndef HVDUMP_LIBVIRT_CAPXML_H
#define HVDUMP_LIBVIRT_CAPXML_H

#include <stddef.h>
#include <stdint.h>

/* libvirt's namespace of QEMU pass-through arguments */
#define CAPXML_QEMU_NS "http://libvirt.org/schemas/domain/qemu/1.0"

/* The ids of the objects the capture domain's QEMU gets from hvdump (not libvirt's) */
#define CAPXML_RAM_ID "hvdump-ram"
#define CAPXML_QMP_ID "hvdump-qmp"

struct capxml_params {
	const char *kernel;   /* the capture kernel (absolute path) */
	const char *initrd;   /* its initrd (absolute path), NULL: none */
	const char *cmdline;  /* its whole command line */
	const char *ram_path; /* the kept RAM file: memory-backend-file mem-path (absolute) */
	uint64_t ram_size;    /* bytes of that backend (a multiple of 4 KiB, not 0) */
	uint64_t lowmem;      /* bytes of it below 4 GiB: -machine max-ram-below-4g (1 .. 4 GiB) */
	unsigned slots;       /* DIMM slots: -m slots= (0 exactly when maxmem == ram_size) */
	uint64_t maxmem;      /* -m maxmem= (bytes, >= ram_size, a multiple of 4 KiB) */
	const char *qmp_path; /* hvdump's own QMP socket, which QEMU listens on (absolute) */
};

/* The capture domain's XML, malloc'd and NUL-terminated in *OUT, from the crashed domain's
 * XML[0, LEN) (as virDomainGetXMLDesc gives it, live; read as domxml_read_doc() reads it).
 * Everything is kept as it is (name, UUID, devices, MACs, disks, <memoryBacking>,
 * <on_crash>, ...) but:
 *   - the root's id attribute (a live XML's) is dropped;
 *   - <memory> and <currentMemory> (when there) are RAM_SIZE in KiB: libvirt sets the balloon
 *     to <currentMemory> at the start, and QEMU would have it take from the capture guest
 *     what the kept file has beyond the crashed domain's memory;
 *   - <os> loses its firmware attribute and its <firmware>, <loader>, <nvram>, <boot>,
 *     <bootmenu>, <kernel>, <initrd>, <cmdline> and <dtb> (capture boots run under SeaBIOS:
 *     OVMF's allocations are not bounded by mem=), and gets <kernel>, <initrd> (when P has
 *     one) and <cmdline> from P after its <type>;
 *   - <on_reboot> is destroy (added after <on_poweroff>, or before <on_crash> or <devices>,
 *     when absent): a reboot must not boot the capture kernel again;
 *   - the root's last child is a <qemu:commandline> (or the domain's own, its arguments
 *     first) with, in this order (paths with commas doubled, sizes k = KiB):
 *       -object memory-backend-file,id=hvdump-ram,mem-path=RAM_PATH,size=RAM_SIZE,share=on,prealloc=off
 *       -machine memory-backend=hvdump-ram,max-ram-below-4g=LOWMEM
 *       -m size=RAM_SIZE/1024k,slots=SLOTS,maxmem=MAXMEM/1024k
 *       -chardev socket,id=hvdump-qmp,path=QMP_PATH,server=on,wait=off
 *       -mon chardev=hvdump-qmp,mode=control
 *     in libvirt's QEMU namespace (its declaration on the root reused, whatever its prefix,
 *     or added as xmlns:qemu).
 * 0, or -errno with WHY set and *OUT NULL: -EINVAL (not XML, a DOCTYPE, a root that is not
 * <domain>, no <os> or two of them; a parameter missing, not absolute where a path must be,
 * not UTF-8, holding a control character, or a size out of range), -E2BIG (the XML over
 * DOMXML_MAX_LEN, a string of P over DOMXML_MAX_STR), -ENOMEM. */
__attribute__((warn_unused_result)) int capxml_build(const char *xml, size_t len,
						      const struct capxml_params *p, char **out,
						      char *why, size_t whylen);

#endif
