// SPDX-License-Identifier: GPL-2.0-or-later
// The requirements of docs/hvdump-libvirt.md, one function each: what the definition holds,
// ok / missing / conflicting, and the words and XML the operator gets.  The reasons are the
// feasibility trial's (issue 17): libvirt 9.0 and QEMU 7.2.
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "libvirt/domcheck.h"

const char *domcheck_status_name(enum domcheck_status s)
{
	return s == DOMCHECK_OK ? "ok" : s == DOMCHECK_MISSING ? "missing" : "conflicting";
}

/* Set IT's status and state (printf-style); control characters in the state (from names and
 * paths of the XML) become '?'. */
static void say(struct domcheck_item *it, enum domcheck_status s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void say(struct domcheck_item *it, enum domcheck_status s, const char *fmt, ...)
{
	va_list ap;

	it->status = s;
	va_start(ap, fmt);
	vsnprintf(it->state, sizeof(it->state), fmt, ap);
	va_end(ap);
	for (char *p = it->state; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

static const char *or_none(const char *s) { return s ? s : "(none)"; }

static void check_type(const struct domxml *d, struct domcheck_item *it)
{
	it->why = "hvdump works with QEMU itself (its RAM file, QMP, pvpanic): a domain of "
		  "libvirt's qemu driver, type kvm or qemu (TCG)";
	if (d->type == DOMXML_TYPE_OTHER) {
		say(it, DOMCHECK_CONFLICTING, "type '%.64s'", or_none(d->type_name));
		it->fix = "<domain type='kvm'>  (or type='qemu' without KVM)";
	} else {
		say(it, DOMCHECK_OK, "type '%s'", d->type_name);
	}
}

static void check_machine(const struct domxml *d, struct domcheck_item *it)
{
	it->why = "the capture guest's memory layout is x86-64's, on QEMU's pc (i440FX) or q35 "
		  "machine";
	if ((d->arch && strcmp(d->arch, "x86_64")) ||
	    d->machine == DOMXML_MACHINE_OTHER) {
		say(it, DOMCHECK_CONFLICTING, "arch '%.32s', machine '%.64s'", or_none(d->arch),
		    or_none(d->machine_name));
		it->fix = "<type arch='x86_64' machine='q35'>hvm</type>  (in <os>; or machine='pc')";
	} else {
		say(it, DOMCHECK_OK, "arch %s, machine %s", d->arch ? d->arch : "x86_64 (default)",
		    d->machine_name ? d->machine_name : "(libvirt's default)");
	}
}

static void check_backing(const struct domxml *d, struct domcheck_item *it)
{
	static const char *const src[] = { "no <source> (anonymous memory)", "anonymous",
					   "file", "memfd", "another" };
	static const char *const acc[] = { "no <access> (private)", "shared", "private",
					   "another" };

	it->why = "hvdump keeps the crashed guest's RAM: it must be a file of its own under "
		  "libvirt's memory_backing_dir (DIR/ID-NAME/pc.ram) that QEMU writes through "
		  "(shared), so that a hard link taken at the crash keeps it when libvirt destroys "
		  "the domain, and the capture guest boots on it";
	it->fix = "<memoryBacking>\n  <source type='file'/>\n  <access mode='shared'/>\n"
		  "</memoryBacking>";
	if (!d->has_memory_backing) {
		say(it, DOMCHECK_MISSING, "no <memoryBacking>: anonymous memory, gone with QEMU");
	} else if (d->source == DOMXML_SRC_FILE && d->access == DOMXML_ACCESS_SHARED) {
		say(it, DOMCHECK_OK, "source type='file', access mode='shared'");
		it->fix = NULL;
	} else if (d->source == DOMXML_SRC_MEMFD) {
		say(it, DOMCHECK_CONFLICTING, "source type='memfd': RAM without a name under "
		    "memory_backing_dir, nothing to keep");
	} else {
		say(it, DOMCHECK_MISSING, "source: %s; access: %s", src[d->source],
		    acc[d->access]);
	}
}

static void check_panic(const struct domxml *d, struct domcheck_item *it)
{
	it->why = "a panicking guest kernel tells QEMU through the pvpanic device; libvirt then "
		  "pauses the guest and reports the crash (lifecycle event Crashed, Panicked) to "
		  "hvdump.  The guest needs its pvpanic driver (Debian's kernels load it for the "
		  "device by themselves)";
	if (d->panic_models & (DOMXML_PANIC_ISA | DOMXML_PANIC_PVPANIC)) {
		say(it, DOMCHECK_OK, "<panic model='%s'>",
		    d->panic_models & DOMXML_PANIC_ISA ? "isa" : "pvpanic");
		return;
	}
	it->fix = "<panic model='isa'/>  (in <devices>)";
	if (d->npanic)
		say(it, DOMCHECK_MISSING, "only a panic device a Linux guest on x86 does not use "
		    "(hyperv, s390, pseries)");
	else
		say(it, DOMCHECK_MISSING, "no <panic> device: a panic is not seen until the guest "
		    "reboots or hangs");
}

static void check_on_crash(const struct domxml *d, struct domcheck_item *it)
{
	it->why = "with preserve, libvirt keeps the crashed guest paused, its memory intact, "
		  "until hvdump has taken it; destroy and restart throw the crashed memory away, "
		  "coredump-destroy and coredump-restart write all of it through libvirt while "
		  "the guest is down";
	it->fix = "<on_crash>preserve</on_crash>  (in <domain>, after <on_reboot>)";
	if (d->on_crash == DOMXML_CRASH_PRESERVE) {
		say(it, DOMCHECK_OK, "preserve");
		it->fix = NULL;
	} else if (d->on_crash == DOMXML_CRASH_NONE || d->on_crash == DOMXML_CRASH_DESTROY) {
		/* libvirt writes its default, destroy, into every definition it stores */
		say(it, DOMCHECK_MISSING, "%s: libvirt destroys a crashed guest",
		    d->on_crash == DOMXML_CRASH_NONE ? "no <on_crash>" : "destroy, libvirt's default");
	} else {
		say(it, DOMCHECK_CONFLICTING, "<on_crash>%.64s</on_crash>", d->on_crash_name);
	}
}

static void check_vmcoreinfo(const struct domxml *d, struct domcheck_item *it)
{
	it->why = "the guest kernel gives QEMU the address of its VMCOREINFO note (crash and "
		  "makedumpfile need it); without it hvdump searches guest memory for the note, "
		  "which takes tens of milliseconds more at the crash";
	if (d->vmcoreinfo == DOMXML_SWITCH_ON) {
		say(it, DOMCHECK_OK, "on");
		return;
	}
	it->fix = "<vmcoreinfo state='on'/>  (in <features>)";
	say(it, DOMCHECK_MISSING, d->vmcoreinfo == DOMXML_SWITCH_OFF ? "state='off'"
								     : "no <vmcoreinfo>");
}

static void check_discard(const struct domxml *d, struct domcheck_item *it)
{
	it->why = "<discard/> makes QEMU wipe the RAM file when the domain is destroyed "
		  "(OpenStack Nova sets it); hvdump turns it off on the crashed domain first "
		  "(qom-set /objects/pc.ram discard-data false), so nothing needs to change";
	say(it, DOMCHECK_OK, d->discard ? "<discard/>: turned off at the crash"
					: "no <discard/>");
}

static void check_hugepages(const struct domxml *d, struct domcheck_item *it)
{
	it->why = "refused: with <hugepages/> guest RAM is a hugetlbfs file, and hvdump writes "
		  "the capture guest's ELF core header into the RAM file with write(2) and gives "
		  "memory back as it is saved by punching 4 KiB holes; hugetlbfs takes neither, "
		  "and its pool would have to hold the crashed memory and the capture guest's";
	if (!d->hugepages) {
		say(it, DOMCHECK_OK, "no <hugepages/>");
		return;
	}
	say(it, DOMCHECK_CONFLICTING, "<hugepages/> in <memoryBacking>");
	it->fix = "remove <hugepages/> (and its <page> elements) from <memoryBacking>";
}

static void check_numa(const struct domxml *d, struct domcheck_item *it)
{
	it->why = "refused: with NUMA cells libvirt gives each cell a memory backend of its own "
		  "(ram-node0, ...), while the capture domain's RAM override (-machine "
		  "memory-backend=) needs guest RAM in the one backend pc.ram; hvdump gives "
		  "memory back with pc-dimm devices of its own, so libvirt's NUMA-based hot-plug "
		  "is not needed";
	if (!d->numa_cells) {
		say(it, DOMCHECK_OK, "no NUMA cells");
		return;
	}
	say(it, DOMCHECK_CONFLICTING, "%u NUMA cell%s in <cpu><numa>", d->numa_cells,
	    d->numa_cells == 1 ? "" : "s");
	it->fix = "remove <numa> from <cpu>";
}

static void check_hotplug(const struct domxml *d, struct domcheck_item *it)
{
	it->why = "refused: hvdump keeps one RAM file, and memory in <memory> devices (DIMMs, "
		  "NVDIMMs, virtio-mem) is in files of their own; <maxMemory> and those devices "
		  "need NUMA cells in libvirt.  The capture domain gets its own slots and maxmem "
		  "for the memory hvdump gives back";
	if (!d->max_memory && !d->memory_devices) {
		say(it, DOMCHECK_OK, "no <maxMemory>, no memory devices");
		return;
	}
	if (d->memory_devices)
		say(it, DOMCHECK_CONFLICTING, "%u <memory> device%s (model '%.32s')",
		    d->memory_devices, d->memory_devices == 1 ? "" : "s",
		    or_none(d->memory_device_model));
	else
		say(it, DOMCHECK_CONFLICTING, "<maxMemory> of %llu MiB, %u slots",
		    (unsigned long long)(d->max_memory >> 20), d->max_memory_slots);
	it->fix = "remove <maxMemory> and the <memory> devices (add their size to <memory>)";
}

static void check_boot(const struct domxml *d, struct domcheck_item *it)
{
	it->why = "the capture guest boots the crashed guest's own kernel again: the domain's "
		  "<kernel> and <initrd>, or /boot/vmlinuz-RELEASE and its initrd read from the "
		  "boot disk on the host (ext2/3/4, raw or qcow2; docs/guest-disk.md)";
	if (d->kernel) {
		say(it, DOMCHECK_OK, "direct kernel boot: %.120s, initrd %.120s", d->kernel,
		    or_none(d->initrd));
	} else if (d->disk == DOMXML_DISK_FILE || d->disk == DOMXML_DISK_BLOCK) {
		say(it, DOMCHECK_OK, "disk boot: %.200s (%.16s)", or_none(d->disk_source),
		    d->disk_format ? d->disk_format : "raw");
	} else {
		say(it, DOMCHECK_CONFLICTING, d->disk == DOMXML_DISK_NONE
			    ? "no <kernel> and no disk"
			    : "no <kernel>, and the first disk is not a file or block device the "
			      "host can read (network, volume, ...)");
		it->fix = "<kernel>/path/vmlinuz</kernel> and <initrd>/path/initrd.img</initrd> "
			  "(in <os>), or a file- or block-backed boot disk";
	}
}

static void check_firmware(const struct domxml *d, struct domcheck_item *it)
{
	it->why = "capture boots run under SeaBIOS whatever the firmware (OVMF's allocations are "
		  "not bounded by mem=), as with hvdump run; the guest's own boots keep theirs";
	if (d->firmware == DOMXML_FW_BIOS)
		say(it, DOMCHECK_OK, "BIOS");
	else
		say(it, DOMCHECK_OK, "UEFI%s, loader %.160s", d->secure_boot ? " (secure boot)" : "",
		    or_none(d->loader));
}

static const struct {
	const char *key, *title;
	bool required;
	void (*fn)(const struct domxml *d, struct domcheck_item *it);
} reqs[DOMCHECK_NREQ] = {
	[DOMCHECK_TYPE] = { "domain-type", "domain type", true, check_type },
	[DOMCHECK_MACHINE] = { "machine", "machine", true, check_machine },
	[DOMCHECK_MEMORY_BACKING] = { "memory-backing", "memory backing", true, check_backing },
	[DOMCHECK_PANIC] = { "panic", "panic device", true, check_panic },
	[DOMCHECK_ON_CRASH] = { "on-crash", "on_crash", true, check_on_crash },
	[DOMCHECK_VMCOREINFO] = { "vmcoreinfo", "vmcoreinfo", false, check_vmcoreinfo },
	[DOMCHECK_DISCARD] = { "discard", "discard", true, check_discard },
	[DOMCHECK_HUGEPAGES] = { "hugepages", "hugepages", true, check_hugepages },
	[DOMCHECK_NUMA] = { "numa", "NUMA", true, check_numa },
	[DOMCHECK_MEMORY_HOTPLUG] = { "memory-hotplug", "memory devices", true, check_hotplug },
	[DOMCHECK_BOOT] = { "boot", "capture kernel", true, check_boot },
	[DOMCHECK_FIRMWARE] = { "firmware", "firmware", true, check_firmware },
};

void domcheck_run(const struct domxml *d, struct domcheck *c)
{
	memset(c, 0, sizeof(*c));
	for (int i = 0; i < DOMCHECK_NREQ; i++) {
		struct domcheck_item *it = &c->item[i];

		it->key = reqs[i].key;
		it->title = reqs[i].title;
		it->required = reqs[i].required;
		reqs[i].fn(d, it);
		if (it->status != DOMCHECK_OK && it->required)
			c->nmissing++;
		else if (it->status != DOMCHECK_OK)
			c->nrecommended++;
	}
	c->ready = c->nmissing == 0;
}
