/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the operator asked for: one VM's configuration, validated before anything starts. */
#ifndef HVDUMP_VM_CONFIG_H
#define HVDUMP_VM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dump/saver.h"
#include "format/kdump.h"
#include "qemu/hw.h"
#include "vm/vacuum.h"

enum accel_choice { ACCEL_AUTO, ACCEL_KVM, ACCEL_TCG };
enum on_crash {
	ON_CRASH_ASSISTED,     /* preserve RAM, boot a fresh kernel with the crash as /proc/vmcore */
	ON_CRASH_PAUSE,        /* keep the VM paused and its RAM; do nothing else */
	ON_CRASH_DUMP_RESTART, /* QEMU dump-guest-memory, then a fresh boot (libvirt's way) */
	ON_CRASH_POWEROFF,     /* discard the crashed guest */
};

#define VM_MAX_DISKS 16
#define VM_MAX_NICS 8
#define VM_MAX_QEMU_ARGS 64
/* Debian's ovmf package: the firmware and the template of each VM's variable store */
#define VM_UEFI_CODE "/usr/share/OVMF/OVMF_CODE_4M.fd"
#define VM_UEFI_VARS_TEMPLATE "/usr/share/OVMF/OVMF_VARS_4M.fd"
#define VM_MAX_CPUS 255          /* i440fx without interrupt remapping */
#define VM_MIN_MEMORY (128ull << 20)
#define VM_MEMORY_ALIGN (2ull << 20)
#define VM_LOWMEM_MAX (3ull << 30) /* QEMU pc: low RAM ends at 3 GiB on big guests */
#define VM_BOOT_REGION_DEFAULT (256ull << 20) /* the least default (vm_boot_region_default()) */
/* A boot region of whole memory blocks: memory comes back to the guest in blocks
 * (RELEASE_DIMM_ALIGN), so RAM minus the region is returned exactly. */
#define VM_BOOT_REGION_STEP (128ull << 20)
/* What a capture boot takes from its boot region (bench/boot-region, stock Debian 6.1 cloud
 * kernel): the kernel, its struct pages and tables (about 64 MiB), the bounce buffer the
 * crashed kernel had (64 MiB with RAM above 4 GiB; 2 MiB without, see boot_append()),
 * and VM_BOOT_INITRD_FACTOR times the initramfs: the archive stays reserved while it is
 * unpacked into the rootfs, a tmpfs the kernel limits to half the memory it has then, and the
 * files take about twice the archive (distro images pack about 2:1), so the rootfs needs
 * room for 2 x 2 archives beside the archive itself.  Measured: a 62 MiB initramfs in a
 * 384 MiB region of a 4 GiB guest ran out of rootfs space ("No space left on device", /init
 * without half its files). */
#define VM_BOOT_KERNEL (64ull << 20)
#define VM_BOOT_SWIOTLB_HIGH (64ull << 20)
#define VM_BOOT_SWIOTLB_LOW (2ull << 20)
#define VM_BOOT_INITRD_FACTOR 5
#define VM_BOOT_MIN_FREE (16ull << 20)   /* margin for a region given by hand: refused below */
#define VM_BOOT_WORK (96ull << 20)       /* a default leaves this for the guest's service */

struct qemu_user;

#define VM_MAX_TARGET_OPTS 16
#define VM_HOOK_TIMEOUT_DEFAULT 600

/* What hvdump tells the host's tools about crashes and saves, and what it does after each
 * save (docs/service.md). */
struct vm_report {
	bool journal;              /* a journal entry per crash and save outcome (default: when
				    * journald listens) */
	const char *on_saved;      /* shell command run after each saved dump, NULL: none */
	const char *on_save_failed; /* ... after each failed save */
	unsigned hook_timeout_s;   /* a hook still running after this is stopped */
	const char *metrics_file;  /* node-exporter textfile, NULL: none */
	struct vacuum_limits vacuum; /* applied to the dump directory after each save */
	const char *dump_target;   /* ssh://[USER@]HOST[:PORT]/PATH: each saved dump is copied */
	const char *dump_target_identity; /* ssh -i FILE */
	const char *dump_target_opts[VM_MAX_TARGET_OPTS]; /* ssh -o OPTION */
	size_t ndump_target_opts;
	bool dump_target_drop_local; /* the local dump goes once its copy is verified */
};

struct vm_config {
	const char *name;
	const char *kernel;      /* NULL: the firmware boots the first disk */
	const char *initrd;      /* may be NULL */
	const char *append;      /* may be NULL */
	const char *run_dir;     /* per-VM runtime directory; derived from name if NULL */
	const char *log_file;    /* derived if NULL */
	const char *qemu;        /* qemu-system-x86_64 binary */
	const struct qemu_user *qemu_user; /* --qemu-user: QEMU runs as this user (hvdump is
				  * root); NULL: as hvdump's user */
	const char *cpu_model;   /* NULL: "host" on KVM, "max" on TCG */
	const char *dump_dir;    /* crash records and dumps; derived if NULL */
	const char *capture_append; /* extra kernel parameters for capture boots */
	const char *dump_format; /* dump-restart: "elf" or "kdump-zlib", "kdump-lzo", ... */
	uint64_t boot_region;    /* B: RAM a capture boot runs in (mem=B) */
	bool boot_region_given;  /* --boot-region: else a disk boot's B follows its initrd */
	enum save_mode { SAVE_HOST, SAVE_GUEST, SAVE_NONE } save; /* who saves assisted dumps */
	enum save_format save_format; /* SAVE_KDUMP (default) or SAVE_ELF */
	enum kdump_compression compress; /* kdump page compression (default zstd) */
	unsigned save_threads;   /* compression threads; 0 = one per online CPU */
	unsigned dump_level;     /* host saver: makedumpfile -d bits left out (0..31) */
	uint64_t min_free;       /* kept free on the dump directory's file system: the space
				  * check and the saver's guard (dump/space.h); 0: 1% of it,
				  * 64 MiB to 2 GiB */
	unsigned hotplug_delay_s; /* wait this long into a capture boot before hot-adding */
	bool cpu_state_registers; /* vCPU state from `info registers -a` instead of a dump */
	const char *crash_hook;  /* shell command run on the preserved RAM before capture */
	uint64_t crash_memory_max; /* unsaved crashes hold at most this beyond RAM (0: twice
				  * the RAM) */
	struct qemu_disk disks[VM_MAX_DISKS]; /* formats detected once at start when not given */
	size_t ndisks;
	struct qemu_nic nics[VM_MAX_NICS];
	size_t nnics;
	const char *qemu_args[VM_MAX_QEMU_ARGS]; /* --qemu-arg, checked (qemu_extra_args_check) */
	size_t nqemu_args;
	enum qemu_machine machine;
	enum qemu_firmware firmware;
	const char *uefi_code;   /* OVMF code (read-only pflash) */
	const char *uefi_vars_template; /* copied to uefi_vars when that does not exist */
	const char *uefi_vars;   /* the VM's own variable store; NULL: vm_default_uefi_vars() */
	uint64_t memory;         /* bytes */
	unsigned cpus;
	enum accel_choice accel;
	enum on_crash on_crash;
	bool console;            /* relay the serial console to stdout */
	bool sandbox;            /* QEMU under its seccomp sandbox when it has one (default) */
	unsigned shutdown_timeout_s;
	bool watchdog;           /* an i6300esb whose expiry is a crash (detected_by watchdog) */
	unsigned hang_timeout_s; /* a kernel clock stopped this long is a hang; 0: not watched */
	struct vm_report report;
};

/* Fill in defaults (1 GiB, 1 vCPU, name "hvdump", qemu from $HVDUMP_QEMU or PATH). */
void vm_config_init(struct vm_config *c);

/* Check values that need no file system access.  On error writes a one-line explanation
 * naming the problem into MSG and returns -EINVAL.  HOST_CPUS bounds the vCPU count. */
__attribute__((warn_unused_result)) int vm_config_check(const struct vm_config *c,
							 unsigned host_cpus, char *msg,
							 size_t msglen);

/* The boot region a capture boot of a guest with MEMORY bytes of RAM and an INITRD_SIZE-byte
 * initramfs gets unless --boot-region says otherwise: what the kernel, its bounce buffer and
 * the unpacking initramfs take, VM_BOOT_WORK for the service to start in, rounded up to
 * whole 128 MiB memory blocks, at least VM_BOOT_REGION_DEFAULT (256 MiB, fadump's floor).  It does not grow with
 * RAM: the capture guest gets its memory back within seconds, and every byte of the region
 * is copied away while the guest is down. */
uint64_t vm_boot_region_default(const struct vm_config *c, uint64_t initrd_size);

/* Check the boot region against the RAM size and the initrd (INITRD_SIZE bytes): a capture
 * kernel must fit, with its unpacked initramfs and VM_BOOT_MIN_FREE to start /init in, and
 * leave most RAM to the dump. */
__attribute__((warn_unused_result)) int vm_config_check_boot_region(const struct vm_config *c,
								     uint64_t initrd_size,
								     char *msg, size_t msglen);

/* Default dump directory: $HVDUMP_DUMP_BASE, /var/crash/hvdump for root, else
 * ~/.local/share/hvdump/crash (static storage). */
const char *vm_default_dump_dir(void);

/* Valid VM names: 1-64 characters of [A-Za-z0-9._-], not starting with '.' or '-'. */
bool vm_name_valid(const char *name);

/* Size of guest RAM below 4 GiB (the pinned low-RAM split of C's machine and memory). */
uint64_t vm_lowmem(const struct vm_config *c);

const char *on_crash_name(enum on_crash oc);
__attribute__((warn_unused_result)) int on_crash_parse(const char *s, enum on_crash *out);

#endif
