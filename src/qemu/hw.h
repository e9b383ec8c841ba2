/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The guest's virtual hardware as the operator names it: machine type, firmware, disks,
 * network cards and the extra QEMU arguments `--qemu-arg` passes through.  Parsing and
 * checking only (pure, no files touched); qemu_build_argv() turns them into QEMU options.
 *
 *   --machine pc|q35            i440fx or Q35 chipset
 *   --firmware bios|uefi        SeaBIOS, or OVMF with a variable store of the VM's own
 *   --disk FILE[,format=raw|qcow2]
 *   --nic user[,hostfwd=tcp:[ADDR]:PORT-[ADDR]:PORT]...[,mac=MAC]
 *   --nic tap=IFNAME[,mac=MAC]  an existing tap device, opened by QEMU (no scripts)
 *   --nic bridge=BRIDGE[,mac=MAC]  QEMU's bridge helper adds a tap to BRIDGE
 *
 * Every NIC is virtio-net with a MAC that stays the same across every boot of the VM (the
 * capture boot comes back with the address the guest had): given with mac=, else derived
 * from the VM's name and the NIC's position.  Values are checked character by character:
 * QEMU reads ',' as an option separator, so nothing the operator writes can add options. */
#ifndef HVDUMP_QEMU_HW_H
#define HVDUMP_QEMU_HW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum qemu_machine { QEMU_MACHINE_PC, QEMU_MACHINE_Q35 };
enum qemu_firmware { QEMU_FIRMWARE_BIOS, QEMU_FIRMWARE_UEFI };

/* Low RAM: guest-physical [0, L) holds RAM-file offsets [0, L), the rest of RAM is above
 * 4 GiB.  hvdump pins L with max-ram-below-4g so that it does not change when a capture
 * boot's -m grows: i440fx honours the pin as given up to 3.5 GiB (3 GiB is used); Q35 only
 * lowers its own choice (2 GiB from 2.75 GiB of RAM up, else 2.75 GiB), so 2 GiB is the
 * largest pin that is the same for every -m. */
#define QEMU_LOWMEM_PC (3ull << 30)
#define QEMU_LOWMEM_Q35 (2ull << 30)
uint64_t qemu_lowmem_pin(enum qemu_machine m);
/* L for a guest of MEMORY bytes. */
uint64_t qemu_lowmem(enum qemu_machine m, uint64_t memory);

/* L of a guest of MEMORY bytes that QEMU lays out by itself (no max-ram-below-4g: a libvirt
 * domain's): pc keeps all RAM low below 3.5 GiB, else 3 GiB (gigabyte-aligned, as pc-i440fx
 * machines since 2.x); q35 below 2.75 GiB, else 2 GiB. */
uint64_t qemu_lowmem_unpinned(enum qemu_machine m, uint64_t memory);

#define QEMU_DISK_FORMAT_MAX 8
#define QEMU_DISK_PATH_MAX 4096
struct qemu_disk {
	char path[QEMU_DISK_PATH_MAX];
	char format[QEMU_DISK_FORMAT_MAX]; /* "raw", "qcow2", or "" when it is to be detected */
};

enum qemu_nic_kind { QEMU_NIC_USER, QEMU_NIC_TAP, QEMU_NIC_BRIDGE };
#define QEMU_NIC_OPTS_MAX 512
#define QEMU_IFNAME_MAX 15             /* IFNAMSIZ - 1 */
struct qemu_nic {
	enum qemu_nic_kind kind;
	char opts[QEMU_NIC_OPTS_MAX];  /* user: "hostfwd=...,hostfwd=..." or ""; tap and bridge:
					* the interface name */
	uint8_t mac[6];
	bool mac_given;
};

int qemu_machine_parse(const char *s, enum qemu_machine *out);
const char *qemu_machine_name(enum qemu_machine m);
int qemu_firmware_parse(const char *s, enum qemu_firmware *out);
const char *qemu_firmware_name(enum qemu_firmware f);

/* "FILE[,format=raw|qcow2]" into *OUT (FILE may hold commas).  0, or -EINVAL with MSG. */
__attribute__((warn_unused_result)) int qemu_disk_parse(const char *spec, struct qemu_disk *out,
							 char *msg, size_t msglen);

/* One --nic value into *OUT.  0, or -EINVAL with MSG naming what is wrong. */
__attribute__((warn_unused_result)) int qemu_nic_parse(const char *spec, struct qemu_nic *out,
							char *msg, size_t msglen);

/* The MAC of NIC number INDEX of VM NAME when none is given: QEMU's locally administered
 * prefix 52:54:00 and three bytes of a hash of both, the same on every boot. */
void qemu_nic_default_mac(const char *name, unsigned index, uint8_t mac[6]);

/* "52:54:00:12:34:56" into BUF (18 bytes). */
void qemu_mac_format(const uint8_t mac[6], char buf[18]);

/* Check the --qemu-arg list ARGS[0..N): each element is one argv word.  What hvdump owns
 * for the crash path is refused: memory and its backends, machine, CPUs and firmware,
 * kernel and boot options, monitors, chardevs of its own, panic and reboot actions,
 * daemonizing, migration and snapshots, the sandbox and user switches.  0, or -EINVAL with
 * MSG naming the argument and why. */
__attribute__((warn_unused_result)) int qemu_extra_args_check(const char *const *args, size_t n,
							       char *msg, size_t msglen);

#endif
