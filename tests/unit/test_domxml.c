// SPDX-License-Identifier: GPL-2.0-or-later
// libvirt domain XML (libvirt/domxml.c) and the check over it (libvirt/domcheck.c): the
// sample of tests/data/libvirt/ready.xml, variants of it, and XML that must be refused.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libvirt/domcheck.h"
#include "libvirt/domxml.h"
#include "tap.h"
#include "util/fsutil.h"

static char *ready_xml;

/* ready.xml with FROM (its first occurrence) replaced by TO; NULL when FROM is not there. */
static char *variant(const char *from, const char *to)
{
	const char *at = strstr(ready_xml, from);
	size_t n;
	char *s;

	if (!at)
		return NULL;
	n = strlen(ready_xml) - strlen(from) + strlen(to) + 1;
	s = malloc(n);
	if (s)
		snprintf(s, n, "%.*s%s%s", (int)(at - ready_xml), ready_xml, to, at + strlen(from));
	return s;
}

/* Check the variant FROM -> TO: item REQ has status WANT, the domain is READY or not. */
static void check_variant(const char *from, const char *to, enum domcheck_req req,
			  enum domcheck_status want, bool ready, const char *name)
{
	char *x = variant(from, to), why[256] = "";
	struct domcheck c;
	struct domxml d;
	int r = -1;

	if (x)
		r = domxml_parse(x, strlen(x), &d, why, sizeof(why));
	if (!tap_ok(r == 0, "%s: parses", name)) {
		tap_diag("%s", x ? why : "variant not made (FROM not in ready.xml)");
		free(x);
		return;
	}
	domcheck_run(&d, &c);
	tap_ok(c.item[req].status == want && c.ready == ready &&
	       (want == DOMCHECK_OK || c.item[req].fix),
	       "%s: %s %s (%s), %s", name, c.item[req].key, domcheck_status_name(want),
	       c.item[req].state, ready ? "ready" : "not ready");
	domxml_free(&d);
	free(x);
}

/* ready.xml with SECLABELS after </devices>: its confinement is WANT (NULL: none). */
static void confinement(const char *seclabels, const char *want)
{
	char to[512], *x, why[256] = "";
	struct domxml d;
	int r = -1;

	snprintf(to, sizeof(to), "</devices>\n  %s", seclabels);
	x = variant("</devices>", to);
	if (x)
		r = domxml_parse(x, strlen(x), &d, why, sizeof(why));
	tap_ok(r == 0 && (want ? d.confinement && !strcmp(d.confinement, want) : !d.confinement),
	       "%s: confinement %s (%s)", seclabels, want ? want : "none",
	       r == 0 && d.confinement ? d.confinement : "-");
	if (r == 0)
		domxml_free(&d);
	free(x);
}

static void refused(const char *xml, int want, const char *why_has, const char *name)
{
	char why[256] = "";
	struct domxml d;
	int r = domxml_parse(xml, strlen(xml), &d, why, sizeof(why));

	tap_ok(r == want && strstr(why, why_has) && !d.name, "%s: %d (%s)", name, r, why);
}

int main(void)
{
	struct domxml d;
	struct domcheck c;
	char why[256] = "", *big;
	size_t len;

	if (read_file("tests/data/libvirt/ready.xml", 1 << 20, &ready_xml, &len) < 0) {
		tap_skip_all("tests/data/libvirt/ready.xml not found (run from the repository root)");
		return 77;
	}
	domxml_init();
	tap_ok(domxml_parse(ready_xml, len, &d, why, sizeof(why)) == 0, "ready.xml parses (%s)", why);
	tap_ok(d.name && !strcmp(d.name, "hvd-ready") && d.uuid &&
	       !strcmp(d.uuid, "6f1c2a4e-1d8c-4c53-9b7e-2a1f00000001"), "name and uuid");
	tap_ok(d.type == DOMXML_TYPE_QEMU && d.machine == DOMXML_MACHINE_PC &&
	       !strcmp(d.arch, "x86_64"), "type qemu, x86_64, pc");
	tap_ok(d.memory == 512ull << 20 && d.current_memory == 512ull << 20 && !d.max_memory,
	       "<memory unit='MiB'>512 and <currentMemory unit='KiB'>524288 are 512 MiB");
	tap_ok(d.source == DOMXML_SRC_FILE && d.access == DOMXML_ACCESS_SHARED && d.discard &&
	       !d.hugepages, "memory backing: file, shared, discard");
	tap_ok(d.panic_models == DOMXML_PANIC_ISA && d.npanic == 1, "one isa panic device");
	tap_ok(d.on_crash == DOMXML_CRASH_PRESERVE && d.vmcoreinfo == DOMXML_SWITCH_ON,
	       "on_crash preserve, vmcoreinfo on");
	tap_ok(d.kernel && !strcmp(d.kernel, "/var/lib/hvdump/vmlinuz") && d.initrd &&
	       d.cmdline && !strcmp(d.cmdline, "console=ttyS0 panic=-1") && d.vcpus == 1,
	       "kernel, initrd, cmdline, vcpus");
	domcheck_run(&d, &c);
	tap_ok(c.ready && !c.nmissing && !c.nrecommended, "ready.xml is ready, nothing missing");
	tap_ok(!d.confinement, "no <seclabel>: not confined");
	domxml_free(&d);
	confinement("<seclabel type='dynamic' model='apparmor' relabel='yes'>"
		    "<label>libvirt-6f1c</label></seclabel>", "apparmor");
	confinement("<seclabel type='dynamic' model='dac' relabel='yes'/>"
		    "<seclabel type='dynamic' model='selinux'/>", "selinux");
	confinement("<seclabel type='none' model='apparmor'/>", NULL);
	confinement("<seclabel type='dynamic' model='dac' relabel='yes'/>", NULL);
	tap_ok(!d.name && !d.kernel, "domxml_free empties");

	check_variant("<memoryBacking>\n    <source type='file'/>\n    <access mode='shared'/>\n"
		      "    <discard/>\n  </memoryBacking>", "", DOMCHECK_MEMORY_BACKING,
		      DOMCHECK_MISSING, false, "no memoryBacking");
	check_variant("type='file'", "type='memfd'", DOMCHECK_MEMORY_BACKING, DOMCHECK_CONFLICTING,
		      false, "memfd");
	check_variant("mode='shared'", "mode='private'", DOMCHECK_MEMORY_BACKING, DOMCHECK_MISSING,
		      false, "private access");
	check_variant("<panic model='isa'>", "<panic model='hyperv'>", DOMCHECK_PANIC,
		      DOMCHECK_MISSING, false, "hyperv panic only");
	check_variant("<panic model='isa'>", "<panic model='pvpanic'>", DOMCHECK_PANIC, DOMCHECK_OK,
		      true, "pvpanic-pci");
	check_variant("<panic model='isa'>", "<panic>", DOMCHECK_PANIC, DOMCHECK_OK, true,
		      "panic without a model (isa)");
	check_variant("preserve", "coredump-restart", DOMCHECK_ON_CRASH, DOMCHECK_CONFLICTING,
		      false, "on_crash coredump-restart");
	check_variant("preserve", "destroy", DOMCHECK_ON_CRASH, DOMCHECK_MISSING, false,
		      "on_crash destroy (libvirt's default)");
	check_variant("<vmcoreinfo state='on'/>", "<vmcoreinfo/>", DOMCHECK_VMCOREINFO, DOMCHECK_OK,
		      true, "vmcoreinfo without state is on");
	check_variant("state='on'", "state='off'", DOMCHECK_VMCOREINFO, DOMCHECK_MISSING, true,
		      "vmcoreinfo off: missing, recommended only");
	check_variant("<discard/>", "<hugepages><page size='2' unit='MiB'/></hugepages>",
		      DOMCHECK_HUGEPAGES, DOMCHECK_CONFLICTING, false, "hugepages");
	check_variant("<vcpu", "<cpu><numa><cell id='0' cpus='0' memory='512' unit='MiB'/>"
		      "</numa></cpu><vcpu", DOMCHECK_NUMA, DOMCHECK_CONFLICTING, false, "NUMA");
	check_variant("<vcpu", "<maxMemory slots='8' unit='GiB'>4</maxMemory><vcpu",
		      DOMCHECK_MEMORY_HOTPLUG, DOMCHECK_CONFLICTING, false, "maxMemory");
	check_variant("machine='pc-i440fx-7.2'", "machine='pc-q35-7.2'", DOMCHECK_MACHINE,
		      DOMCHECK_OK, true, "q35");
	check_variant("machine='pc-i440fx-7.2'", "machine='microvm'", DOMCHECK_MACHINE,
		      DOMCHECK_CONFLICTING, false, "microvm");
	check_variant("arch='x86_64'", "arch='aarch64'", DOMCHECK_MACHINE, DOMCHECK_CONFLICTING,
		      false, "aarch64");
	check_variant("type='qemu'", "type='xen'", DOMCHECK_TYPE, DOMCHECK_CONFLICTING, false,
		      "xen domain");
	check_variant("<kernel>/var/lib/hvdump/vmlinuz</kernel>", "", DOMCHECK_BOOT,
		      DOMCHECK_CONFLICTING, false, "no kernel, no disk");
	check_variant("<kernel>/var/lib/hvdump/vmlinuz</kernel>", "<loader readonly='yes' "
		      "type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>", DOMCHECK_BOOT,
		      DOMCHECK_CONFLICTING, false, "UEFI, no kernel, no disk");
	check_variant("<serial type='pty'/>", "<disk type='network' device='disk'><source "
		      "protocol='rbd' name='pool/img'/></disk><disk type='file' device='disk'>"
		      "<source file='/x.img'/></disk>", DOMCHECK_BOOT, DOMCHECK_OK, true,
		      "direct boot with an rbd disk");

	/* the first disk, the firmware */
	{
		char *x = variant("<kernel>/var/lib/hvdump/vmlinuz</kernel>",
				  "<loader readonly='yes' secure='yes' type='pflash'>/usr/share/OVMF/"
				  "OVMF_CODE_4M.ms.fd</loader>"), *y = NULL;
		if (x) {
			char *at = strstr(x, "<serial type='pty'/>");
			if (at) {
				size_t n = strlen(x) + 200;
				y = malloc(n);
				if (y)
					snprintf(y, n, "%.*s<disk type='file' device='cdrom'><source "
						 "file='/cd.iso'/></disk><disk type='file'><driver "
						 "name='qemu' type='qcow2'/><source file='/vm/a.qcow2'/>"
						 "</disk>%s", (int)(at - x), x, at);
			}
		}
		tap_ok(y && domxml_parse(y, strlen(y), &d, why, sizeof(why)) == 0 &&
		       d.firmware == DOMXML_FW_UEFI && d.secure_boot && d.disk == DOMXML_DISK_FILE &&
		       !strcmp(d.disk_source, "/vm/a.qcow2") && !strcmp(d.disk_format, "qcow2") &&
		       !d.kernel, "UEFI secure boot, the first disk (not the cdrom) is the qcow2");
		domcheck_run(&d, &c);
		tap_ok(c.ready && c.item[DOMCHECK_BOOT].status == DOMCHECK_OK &&
		       strstr(c.item[DOMCHECK_FIRMWARE].state, "UEFI (secure boot)"),
		       "disk boot and UEFI are ok (%s)", c.item[DOMCHECK_FIRMWARE].state);
		domxml_free(&d);
		free(x);
		free(y);
	}

	/* sizes in libvirt's units */
	{
		static const struct { const char *mem; unsigned long long bytes; } sz[] = {
			{ "<memory>1048576</memory>", 1ull << 30 },
			{ "<memory unit='G'>2</memory>", 2ull << 30 },
			{ "<memory unit='GB'>2</memory>", 2000000000ull },
			{ "<memory unit='bytes'>4096</memory>", 4096 },
			{ "<memory unit='TiB'>1</memory>", 1ull << 40 },
		};
		for (size_t i = 0; i < sizeof(sz) / sizeof(sz[0]); i++) {
			char *x = variant("<memory unit='MiB'>512</memory>", sz[i].mem);
			int r = x ? domxml_parse(x, strlen(x), &d, why, sizeof(why)) : -1;
			tap_ok(r == 0 && d.memory == sz[i].bytes, "%s is %llu bytes", sz[i].mem,
			       sz[i].bytes);
			if (r == 0)
				domxml_free(&d);
			free(x);
		}
		static const char *const bad[] = {
			"<memory unit='MiB'>-1</memory>", "<memory unit='XiB'>1</memory>",
			"<memory unit='EiB'>4096</memory>", "<memory>18446744073709551616</memory>",
			"<memory>0x100</memory>",
		};
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			char *x = variant("<memory unit='MiB'>512</memory>", bad[i]);
			int r = x ? domxml_parse(x, strlen(x), &d, why, sizeof(why)) : 0;
			tap_ok(r == -EINVAL && strstr(why, "<memory>"), "%s refused (%s)", bad[i], why);
			free(x);
		}
	}

	refused("", -EINVAL, "not well-formed", "empty text");
	refused("<domain><name>x</name>", -EINVAL, "not well-formed", "cut short");
	refused("<network><name>x</name></network>", -EINVAL, "root element", "a network");
	refused("<?xml version='1.0'?><!DOCTYPE domain [<!ENTITY a 'aaaa'>]><domain><name>&a;"
		"</name></domain>", -EINVAL, "DOCTYPE", "a DOCTYPE with an entity");
	refused("<d:domain xmlns:d='urn:x'/>", -EINVAL, "root element", "a namespaced root");
	refused("<domain><vcpu>99999</vcpu></domain>", -EINVAL, "<vcpu>", "99999 vCPUs");
	big = malloc(DOMXML_MAX_STR + 64);
	if (big) {
		int n = snprintf(big, DOMXML_MAX_STR + 64, "<domain><name>");
		memset(big + n, 'a', DOMXML_MAX_STR + 1);
		strcpy(big + n + DOMXML_MAX_STR + 1, "</name></domain>");
		refused(big, -E2BIG, "the name is 4096 bytes", "a 4096-byte name");
		free(big);
	}
	tap_ok(domxml_parse(ready_xml, DOMXML_MAX_LEN + 1, &d, why, sizeof(why)) == -E2BIG,
	       "over DOMXML_MAX_LEN refused before it is read");
	tap_ok(domxml_parse("<domain/>", 9, &d, why, sizeof(why)) == 0 && !d.name &&
	       d.on_crash == DOMXML_CRASH_NONE && d.source == DOMXML_SRC_NONE, "an empty <domain/>");
	domcheck_run(&d, &c);
	tap_ok(!c.ready && c.item[DOMCHECK_MEMORY_BACKING].status == DOMCHECK_MISSING &&
	       c.item[DOMCHECK_PANIC].status == DOMCHECK_MISSING &&
	       c.item[DOMCHECK_ON_CRASH].status == DOMCHECK_MISSING, "an empty <domain/> lacks it all");
	domxml_free(&d);
	free(ready_xml);
	return tap_done();
}
