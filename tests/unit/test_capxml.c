// SPDX-License-Identifier: GPL-2.0-or-later
// The capture domain's XML (libvirt/capxml.c): a BIOS domain booted directly and a UEFI q35
// domain booted from its disk, as virDomainGetXMLDesc gives them live, made capture domains
// and read back (domxml_parse() and XPath); domains with QEMU arguments of their own; refusals.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "libvirt/capxml.h"
#include "libvirt/domxml.h"
#include "tap.h"

/* A running BIOS pc domain booted directly (a live XML: id, aliases, a pty path). */
static const char bios_xml[] =
	"<domain type='qemu' id='3'>\n"
	"  <name>hvd-cap</name>\n"
	"  <uuid>6f1c2a4e-1d8c-4c53-9b7e-2a1f00000003</uuid>\n"
	"  <memory unit='KiB'>524288</memory>\n"
	"  <currentMemory unit='KiB'>524288</currentMemory>\n"
	"  <memoryBacking>\n"
	"    <source type='file'/>\n"
	"    <access mode='shared'/>\n"
	"    <discard/>\n"
	"  </memoryBacking>\n"
	"  <vcpu placement='static'>1</vcpu>\n"
	"  <os>\n"
	"    <type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type>\n"
	"    <kernel>/var/lib/hvdump/vmlinuz</kernel>\n"
	"    <initrd>/var/lib/hvdump/initrd.img</initrd>\n"
	"    <cmdline>console=ttyS0 panic=-1</cmdline>\n"
	"    <boot dev='hd'/>\n"
	"  </os>\n"
	"  <features>\n"
	"    <acpi/>\n"
	"    <vmcoreinfo state='on'/>\n"
	"  </features>\n"
	"  <on_poweroff>destroy</on_poweroff>\n"
	"  <on_reboot>restart</on_reboot>\n"
	"  <on_crash>preserve</on_crash>\n"
	"  <devices>\n"
	"    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n"
	"    <interface type='user'>\n"
	"      <mac address='52:54:00:a1:b2:c3'/>\n"
	"      <model type='virtio'/>\n"
	"      <alias name='net0'/>\n"
	"    </interface>\n"
	"    <serial type='pty'>\n"
	"      <source path='/dev/pts/4'/>\n"
	"      <target type='isa-serial' port='0'/>\n"
	"      <alias name='serial0'/>\n"
	"    </serial>\n"
	"    <panic model='isa'>\n"
	"      <address type='isa' iobase='0x505'/>\n"
	"    </panic>\n"
	"  </devices>\n"
	"</domain>\n";

/* A running q35 UEFI domain booted from its disk, firmware autoselected, no <on_reboot>, no
 * <currentMemory>, <memory> in MiB (as written by hand). */
static const char uefi_xml[] =
	"<domain type='kvm' id='12'>\n"
	"  <name>hvd-uefi</name>\n"
	"  <uuid>6f1c2a4e-1d8c-4c53-9b7e-2a1f00000012</uuid>\n"
	"  <memory unit='MiB'>1024</memory>\n"
	"  <memoryBacking>\n"
	"    <source type='file'/>\n"
	"    <access mode='shared'/>\n"
	"  </memoryBacking>\n"
	"  <vcpu placement='static'>2</vcpu>\n"
	"  <os firmware='efi'>\n"
	"    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>\n"
	"    <firmware>\n"
	"      <feature enabled='no' name='enrolled-keys'/>\n"
	"      <feature enabled='no' name='secure-boot'/>\n"
	"    </firmware>\n"
	"    <loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>\n"
	"    <nvram template='/usr/share/OVMF/OVMF_VARS_4M.fd'>"
	"/var/lib/libvirt/qemu/nvram/hvd-uefi_VARS.fd</nvram>\n"
	"    <boot dev='hd'/>\n"
	"    <bootmenu enable='no'/>\n"
	"  </os>\n"
	"  <features>\n"
	"    <acpi/>\n"
	"    <smm state='on'/>\n"
	"  </features>\n"
	"  <on_poweroff>destroy</on_poweroff>\n"
	"  <on_crash>preserve</on_crash>\n"
	"  <devices>\n"
	"    <disk type='file' device='disk'>\n"
	"      <driver name='qemu' type='qcow2'/>\n"
	"      <source file='/var/lib/libvirt/images/hvd-uefi.qcow2'/>\n"
	"      <target dev='vda' bus='virtio'/>\n"
	"    </disk>\n"
	"    <panic model='isa'/>\n"
	"  </devices>\n"
	"</domain>\n";

/* Domains with QEMU arguments of their own: under the prefix qemu, and under q (compact). */
static const char own_qemu_xml[] =
	"<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n"
	"  <name>hvd-own</name>\n"
	"  <os>\n"
	"    <type arch='x86_64' machine='pc'>hvm</type>\n"
	"  </os>\n"
	"  <devices/>\n"
	"  <qemu:commandline>\n"
	"    <qemu:arg value='-global'/>\n"
	"    <qemu:arg value='isa-debugcon.iobase=0x402'/>\n"
	"  </qemu:commandline>\n"
	"</domain>\n";
static const char q_prefix_xml[] =
	"<domain type='qemu' xmlns:q='http://libvirt.org/schemas/domain/qemu/1.0'>"
	"<name>hvd-q</name><os><type arch='x86_64' machine='pc'>hvm</type></os>"
	"<q:commandline><q:arg value='-d'/><q:arg value='guest_errors'/></q:commandline>"
	"<devices/></domain>";

static const struct capxml_params params = {
	.kernel = "/var/lib/hvdump/capture/vmlinuz",
	.initrd = "/var/lib/hvdump/capture/initrd & co.img",
	.cmdline = "console=ttyS0 mem=384M elfcorehdr=0x17c00000 <hvdump>",
	.ram_path = "/var/lib/hvdump/crash/hvd-cap-1/ram",
	.ram_size = 640ull << 20,
	.lowmem = 640ull << 20,
	.slots = 4,
	.maxmem = 1152ull << 20,
	.qmp_path = "/run/hvdump/hvd-cap.qmp",
};

/* The values of the QEMU arguments (of every <commandline>), and how many <commandline>. */
struct qargs {
	char *v[32];
	int n, ncl;
};

static void qargs_free(struct qargs *q)
{
	for (int i = 0; i < q->n; i++)
		free(q->v[i]);
	memset(q, 0, sizeof(*q));
}

/* XPath EXPR over XML as a number (-1 when it does not evaluate) */
static double xp_num(xmlXPathContextPtr ctx, const char *expr)
{
	xmlXPathObjectPtr o = xmlXPathEvalExpression((const xmlChar *)expr, ctx);
	double v = o && o->type == XPATH_NUMBER ? o->floatval : -1;

	xmlXPathFreeObject(o);
	return v;
}

/* Parse XML and read its QEMU arguments into Q, and XPath number facts into NUMS. */
static int read_back(const char *xml, struct qargs *q, const char *const *exprs, double *nums)
{
	xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "out.xml", NULL, XML_PARSE_NONET);
	xmlXPathContextPtr ctx = doc ? xmlXPathNewContext(doc) : NULL;
	xmlXPathObjectPtr o;

	memset(q, 0, sizeof(*q));
	if (!ctx) {
		xmlFreeDoc(doc);
		return -1;
	}
	xmlXPathRegisterNs(ctx, (const xmlChar *)"qemu", (const xmlChar *)CAPXML_QEMU_NS);
	o = xmlXPathEvalExpression((const xmlChar *)"/domain/qemu:commandline/qemu:arg/@value",
				   ctx);
	for (int i = 0; o && o->nodesetval && i < o->nodesetval->nodeNr && q->n < 32; i++)
		q->v[q->n++] = (char *)xmlNodeGetContent(o->nodesetval->nodeTab[i]);
	xmlXPathFreeObject(o);
	q->ncl = (int)xp_num(ctx, "count(/domain/qemu:commandline)");
	for (int i = 0; exprs && exprs[i]; i++)
		nums[i] = xp_num(ctx, exprs[i]);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	return 0;
}

/* The ten values hvdump adds for PARAMS (qmp path QMP as QEMU wants it written) */
static void our_args(const char *want[10], const char *qmp_opt)
{
	static char qmp[256];

	snprintf(qmp, sizeof(qmp), "socket,id=hvdump-qmp,path=%s,server=on,wait=off", qmp_opt);
	want[0] = "-object";
	want[1] = "memory-backend-file,id=hvdump-ram,mem-path=/var/lib/hvdump/crash/hvd-cap-1/ram,"
		  "size=671088640,share=on,prealloc=off";
	want[2] = "-machine";
	want[3] = "memory-backend=hvdump-ram,max-ram-below-4g=671088640";
	want[4] = "-m";
	want[5] = "size=655360k,slots=4,maxmem=1179648k";
	want[6] = "-chardev";
	want[7] = qmp;
	want[8] = "-mon";
	want[9] = "chardev=hvdump-qmp,mode=control";
}

/* Q holds the FIRST values given, then ours; in one <commandline>. */
static void check_args(const struct qargs *q, const char *const *first, int nfirst,
		       const char *qmp_opt, const char *name)
{
	const char *want[10];
	int bad = -1;

	our_args(want, qmp_opt);
	for (int i = 0; i < nfirst + 10 && bad < 0; i++) {
		const char *w = i < nfirst ? first[i] : want[i - nfirst];

		if (i >= q->n || strcmp(q->v[i], w))
			bad = i;
	}
	if (!tap_ok(q->n == nfirst + 10 && bad < 0 && q->ncl == 1,
		    "%s: one <qemu:commandline>, %d arguments in order", name, nfirst + 10))
		tap_diag("  %d arguments, %d commandline, first wrong: %d (%s)", q->n, q->ncl, bad,
			 bad >= 0 && bad < q->n ? q->v[bad] : "-");
}

static void test_bios(void)
{
	static const char *const exprs[] = { "count(/domain/@id)", "count(/domain/os/boot)",
					     "count(/domain/on_reboot[.='destroy'])",
					     "count(/domain/on_reboot)", "count(/domain/os/*)",
					     "number(/domain/currentMemory[@unit='KiB'])", NULL };
	char why[256] = "", *out = NULL;
	double nums[6] = { -1, -1, -1, -1, -1, -1 };
	struct domxml d;
	struct qargs q;
	int r = capxml_build(bios_xml, strlen(bios_xml), &params, &out, why, sizeof(why));

	if (!tap_ok(r == 0 && out, "BIOS domain: built (%s)", why))
		return;
	r = domxml_parse(out, strlen(out), &d, why, sizeof(why));
	tap_ok(r == 0, "BIOS domain: the output reparses (%s)", why);
	if (r == 0) {
		tap_is_str(d.kernel, params.kernel, "the capture kernel");
		tap_is_str(d.initrd, params.initrd, "its initrd (an & escaped)");
		tap_is_str(d.cmdline, params.cmdline, "its command line (< > escaped)");
		tap_ok(d.firmware == DOMXML_FW_BIOS && !d.loader && !d.nvram, "BIOS, no loader/nvram");
		tap_ok(d.on_crash == DOMXML_CRASH_PRESERVE && d.source == DOMXML_SRC_FILE &&
		       d.access == DOMXML_ACCESS_SHARED && d.discard &&
		       d.panic_models == DOMXML_PANIC_ISA && d.vmcoreinfo == DOMXML_SWITCH_ON,
		       "on_crash, memoryBacking, panic, vmcoreinfo kept");
		tap_ok(d.memory == params.ram_size, "<memory> is the capture's RAM (%llu MiB)",
		       (unsigned long long)(d.memory >> 20));
		domxml_free(&d);
	}
	tap_ok(strstr(out, "<name>hvd-cap</name>") &&
	       strstr(out, "<uuid>6f1c2a4e-1d8c-4c53-9b7e-2a1f00000003</uuid>") &&
	       strstr(out, "<mac address=\"52:54:00:a1:b2:c3\"/>") &&
	       strstr(out, "<source path=\"/dev/pts/4\"/>") &&
	       strstr(out, "<type arch=\"x86_64\" machine=\"pc-i440fx-7.2\">hvm</type>"),
	       "name, uuid, MAC, serial, machine unchanged");
	tap_ok(strstr(out, "\n    <kernel>/var/lib/hvdump/capture/vmlinuz</kernel>\n"
		      "    <initrd>") && !strstr(out, "\n\n") && strncmp(out, "<?xml", 5),
	       "indented like the rest, no blank lines, no XML declaration");
	r = read_back(out, &q, exprs, nums);
	tap_ok(r == 0 && nums[0] == 0 && nums[1] == 0, "no id, no <boot>");
	tap_ok(nums[2] == 1 && nums[3] == 1, "one <on_reboot>, destroy");
	tap_ok(nums[4] == 4, "<os> holds type, kernel, initrd, cmdline (%g elements)", nums[4]);
	tap_ok(nums[5] == 655360, "<currentMemory> (the balloon's target) is the capture's RAM, "
	       "655360 KiB (%g)", nums[5]);
	check_args(&q, NULL, 0, params.qmp_path, "BIOS domain");
	tap_ok(strstr(out, " xmlns:qemu=\"" CAPXML_QEMU_NS "\"") != NULL, "xmlns:qemu declared");
	qargs_free(&q);
	free(out);
}

static void test_uefi(void)
{
	static const char *const exprs[] = {
		"count(/domain/os/@firmware)", "count(/domain/os/firmware|/domain/os/loader|"
		"/domain/os/nvram|/domain/os/boot|/domain/os/bootmenu)",
		"count(/domain/on_reboot[.='destroy'])",
		"count(/domain/on_poweroff/following-sibling::*[1][self::on_reboot])",
		"count(/domain/os/initrd)", "count(/domain/features/smm)",
		"number(/domain/memory[@unit='KiB'])", "count(/domain/currentMemory)", NULL };
	struct capxml_params p = params;
	char why[256] = "", *out = NULL;
	double nums[8];
	struct domxml d;
	struct qargs q;
	int r;

	p.initrd = NULL;
	r = capxml_build(uefi_xml, strlen(uefi_xml), &p, &out, why, sizeof(why));
	if (!tap_ok(r == 0 && out, "UEFI q35 domain: built (%s)", why))
		return;
	r = domxml_parse(out, strlen(out), &d, why, sizeof(why));
	tap_ok(r == 0 && d.firmware == DOMXML_FW_BIOS && !d.loader && !d.nvram && d.kernel &&
	       !strcmp(d.kernel, p.kernel) && !d.initrd && d.machine == DOMXML_MACHINE_Q35 &&
	       d.disk == DOMXML_DISK_FILE, "UEFI q35: BIOS now, the kernel, no initrd, the disk kept");
	if (r == 0)
		domxml_free(&d);
	r = read_back(out, &q, exprs, nums);
	tap_ok(r == 0 && nums[0] == 0 && nums[1] == 0,
	       "no firmware attribute, <firmware>, <loader>, <nvram>, <boot>, <bootmenu>");
	tap_ok(nums[2] == 1 && nums[3] == 1, "<on_reboot>destroy added after <on_poweroff>");
	tap_ok(nums[4] == 0 && nums[5] == 1, "no <initrd> without one; <smm> kept");
	tap_ok(nums[6] == 655360 && nums[7] == 0, "<memory> 655360 KiB, no <currentMemory> added "
	       "(%g, %g)", nums[6], nums[7]);
	tap_ok(!strstr(out, "OVMF") && !strstr(out, "id=\"12\""), "no OVMF path, no id left");
	check_args(&q, NULL, 0, params.qmp_path, "UEFI domain");
	qargs_free(&q);
	free(out);
}

static void test_own_args(const char *xml, const char *const *first, int nfirst,
			  const char *name)
{
	char why[256] = "", *out = NULL;
	struct qargs q;
	int r = capxml_build(xml, strlen(xml), &params, &out, why, sizeof(why));

	if (!tap_ok(r == 0 && out, "%s: built (%s)", name, why))
		return;
	r = read_back(out, &q, NULL, NULL);
	tap_ok(r == 0, "%s: the output parses", name);
	check_args(&q, first, nfirst, params.qmp_path, name);
	qargs_free(&q);
	free(out);
}

static void refused(const char *xml, const struct capxml_params *p, int want, const char *has,
		    const char *name)
{
	char why[256] = "", *out = (char *)"x";
	int r = capxml_build(xml, strlen(xml), p, &out, why, sizeof(why));

	tap_ok(r == want && !out && strstr(why, has), "refused: %s: %d (%s)", name, r, why);
}

int main(void)
{
	static const char *const own[2] = { "-global", "isa-debugcon.iobase=0x402" };
	static const char *const q_own[2] = { "-d", "guest_errors" };
	struct capxml_params p = params;
	char why[256], *out = NULL;
	struct qargs q;

	domxml_init();
	test_bios();
	test_uefi();
	test_own_args(own_qemu_xml, own, 2, "own <qemu:commandline>");
	test_own_args(q_prefix_xml, q_own, 2, "own <q:commandline>");
	test_own_args("<domain xmlns:qemu='urn:another'><os/></domain>", NULL, 0,
		      "the prefix qemu bound to another namespace");

	refused("<network><name>x</name></network>", &params, -EINVAL, "not <domain>",
		"a network");
	refused("<!DOCTYPE domain><domain><os/></domain>", &params, -EINVAL, "DOCTYPE",
		"a DOCTYPE");
	refused("<domain><name>x</name></domain>", &params, -EINVAL, "no <os>", "no <os>");
	refused("<domain><os/><os/></domain>", &params, -EINVAL, "two <os>", "two <os>");
	refused("<domain><os>", &params, -EINVAL, "not well-formed", "cut short");
	p.ram_path = "crash/ram";
	refused(bios_xml, &p, -EINVAL, "not an absolute path", "a relative RAM path");
	p = params;
	p.qmp_path = "/run/hvdump/a\nb.qmp";
	refused(bios_xml, &p, -EINVAL, "control character", "a newline in the QMP path");
	p = params;
	p.kernel = "/boot/vm\tlinuz";
	refused(bios_xml, &p, -EINVAL, "control character", "a tab in the kernel path");
	p = params;
	p.cmdline = "console=ttyS0 \xc3(";
	refused(bios_xml, &p, -EINVAL, "not UTF-8", "a command line that is not UTF-8");
	p = params;
	p.ram_size += 512;
	refused(bios_xml, &p, -EINVAL, "multiples of 4 KiB", "RAM size not a multiple of 4096");
	p = params;
	p.maxmem = p.ram_size - 4096;
	refused(bios_xml, &p, -EINVAL, "below the RAM size", "maxmem below RAM");
	p = params;
	p.lowmem = 5ull << 30;
	refused(bios_xml, &p, -EINVAL, "below 4 GiB", "5 GiB below 4 GiB");
	p = params;
	p.maxmem = p.ram_size;
	refused(bios_xml, &p, -EINVAL, "DIMM slots", "slots without room above RAM");
	p.slots = 0;
	tap_ok(capxml_build(bios_xml, strlen(bios_xml), &p, &out, why, sizeof(why)) == 0 &&
	       strstr(out, "size=655360k,slots=0,maxmem=655360k"), "no slots, maxmem = RAM: ok");
	free(out);
	out = NULL;
	tap_ok(capxml_build(bios_xml, DOMXML_MAX_LEN + 1, &params, &out, why, sizeof(why)) ==
	       -E2BIG && !out, "over DOMXML_MAX_LEN refused (%s)", why);

	/* a comma in a path is doubled, whatever else it holds */
	p = params;
	p.qmp_path = "/run/hvdump/a,b,,c.qmp";
	p.ram_path = "/var/lib/hvdump/x,y/ram";
	if (tap_ok(capxml_build(bios_xml, strlen(bios_xml), &p, &out, why, sizeof(why)) == 0,
		   "commas in paths: built (%s)", why) && read_back(out, &q, NULL, NULL) == 0) {
		tap_ok(q.n == 10 && !strcmp(q.v[7], "socket,id=hvdump-qmp,path=/run/hvdump/a,,b,,,,c.qmp,"
					    "server=on,wait=off") &&
		       !strncmp(q.v[1], "memory-backend-file,id=hvdump-ram,mem-path=/var/lib/hvdump/"
				"x,,y/ram,size=", 71), "commas doubled (%s)", q.n == 10 ? q.v[7] : "");
		qargs_free(&q);
	}
	free(out);
	return tap_done();
}
