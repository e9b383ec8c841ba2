// SPDX-License-Identifier: GPL-2.0-or-later
// libvirt domain XML read with libxml2: the document parsed once (no network, no DTD, no
// entities), then each fact one fixed XPath expression over it.  Whatever the text holds,
// a value is a string of bounded length or a count, never a pointer into the document.
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "libvirt/domxml.h"

struct xp {
	xmlXPathContextPtr ctx;
	char *why;
	size_t whylen;
};

/* XPath errors (none are expected from our fixed expressions) go nowhere: a failed
 * evaluation is reported by its caller. */
static void quiet(void *data, xmlErrorPtr err) { (void)data; (void)err; }

/* *OUT = the string value of EXPR ("string(...)" or "normalize-space(...)"): NULL when empty,
 * else a copy.  -E2BIG over DOMXML_MAX_STR, -ENOMEM. */
static int xp_str(struct xp *x, const char *what, const char *expr, char **out)
{
	xmlXPathObjectPtr o = xmlXPathEvalExpression((const xmlChar *)expr, x->ctx);
	const char *s;
	size_t n;
	int r = 0;

	*out = NULL;
	if (!o || o->type != XPATH_STRING || !o->stringval) {
		xmlXPathFreeObject(o);
		snprintf(x->why, x->whylen, "cannot evaluate %s", expr);
		return -ENOMEM;
	}
	s = (const char *)o->stringval;
	n = strlen(s);
	if (n > DOMXML_MAX_STR) {
		snprintf(x->why, x->whylen, "%s is %zu bytes long (at most %u)", what, n,
			 DOMXML_MAX_STR);
		r = -E2BIG;
	} else if (n && !(*out = strdup(s))) {
		r = -ENOMEM;
		snprintf(x->why, x->whylen, "out of memory");
	}
	xmlXPathFreeObject(o);
	return r;
}

/* The number EXPR ("count(...)") evaluates to, in *N; -ENOMEM when it does not evaluate. */
static int xp_count(struct xp *x, const char *expr, unsigned *n)
{
	xmlXPathObjectPtr o = xmlXPathEvalExpression((const xmlChar *)expr, x->ctx);
	int r = 0;

	if (!o || o->type != XPATH_NUMBER || !(o->floatval >= 0)) {
		snprintf(x->why, x->whylen, "cannot evaluate %s", expr);
		r = -ENOMEM;
	} else {
		*n = o->floatval > (double)UINT_MAX ? UINT_MAX : (unsigned)o->floatval;
	}
	xmlXPathFreeObject(o);
	return r;
}

/* Decimal digits only, at most MAX; false otherwise (empty, sign, blanks, overflow). */
static bool parse_u64(const char *s, uint64_t max, uint64_t *v)
{
	uint64_t n = 0;

	if (!s || !*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || __builtin_mul_overflow(n, 10, &n) ||
		    __builtin_add_overflow(n, (uint64_t)(*s - '0'), &n))
			return false;
	}
	if (n > max)
		return false;
	*v = n;
	return true;
}

/* libvirt's size units (virScaleInteger): none is KiB; b, bytes; k, KiB, KB ... E, EiB, EB,
 * case-insensitive; X and XiB are powers of 1024, XB of 1000. */
static bool unit_scale(const char *u, uint64_t *scale)
{
	static const char prefixes[] = "kmgtpe";
	const char *p;
	uint64_t base;

	if (!u || !*u) {
		*scale = 1024;
		return true;
	}
	if (!strcasecmp(u, "b") || !strcasecmp(u, "byte") || !strcasecmp(u, "bytes")) {
		*scale = 1;
		return true;
	}
	p = strchr(prefixes, u[0] | 0x20);
	if (!p)
		return false;
	if (!u[1] || !strcasecmp(u + 1, "ib"))
		base = 1024;
	else if (!strcasecmp(u + 1, "b"))
		base = 1000;
	else
		return false;
	*scale = 1;
	for (const char *q = prefixes; q <= p; q++)
		*scale *= base; /* at most 1024^6 */
	return true;
}

/* *BYTES = the size element EL (an XPath to it) in its unit; 0 when absent.  At most 1 EiB. */
static int xp_size(struct xp *x, const char *what, const char *el, uint64_t *bytes)
{
	char e1[128], e2[128], *num = NULL, *unit = NULL;
	uint64_t n, scale;
	int r;

	*bytes = 0;
	snprintf(e1, sizeof(e1), "normalize-space(%s)", el);
	snprintf(e2, sizeof(e2), "normalize-space(%s/@unit)", el);
	r = xp_str(x, what, e1, &num);
	if (r == 0)
		r = xp_str(x, what, e2, &unit);
	if (r == 0 && num) {
		if (!parse_u64(num, UINT64_MAX, &n) || !unit_scale(unit, &scale) ||
		    __builtin_mul_overflow(n, scale, bytes) || *bytes > (1ull << 60)) {
			snprintf(x->why, x->whylen, "%s '%.64s' '%.16s' is not a size libvirt writes",
				 what, num, unit ? unit : "");
			*bytes = 0;
			r = -EINVAL;
		}
	}
	free(num);
	free(unit);
	return r;
}

/* The index of S in NAMES (N of them, 1-based: 0 when S is NULL, N + 1 when unknown). */
static unsigned lookup(const char *s, const char *const *names, unsigned n)
{
	if (!s)
		return 0;
	for (unsigned i = 0; i < n; i++)
		if (!strcmp(s, names[i]))
			return i + 1;
	return n + 1;
}

static const char *const on_crash_names[] = {
	"destroy", "restart", "preserve", "rename-restart", "coredump-destroy", "coredump-restart",
};
#define N_ON_CRASH (sizeof(on_crash_names) / sizeof(on_crash_names[0]))

const char *domxml_on_crash_name(enum domxml_on_crash e)
{
	if (e == DOMXML_CRASH_NONE)
		return "(none)";
	return e <= N_ON_CRASH ? on_crash_names[e - 1] : "(another)";
}

static bool has_prefix(const char *s, const char *p) { return !strncmp(s, p, strlen(p)); }

static enum domxml_machine machine_of(const char *m)
{
	if (!m)
		return DOMXML_MACHINE_NONE;
	if (!strcmp(m, "q35") || has_prefix(m, "pc-q35-"))
		return DOMXML_MACHINE_Q35;
	if (!strcmp(m, "pc") || has_prefix(m, "pc-i440fx-") || has_prefix(m, "pc-"))
		return DOMXML_MACHINE_PC;
	return DOMXML_MACHINE_OTHER;
}

/* Identity, type, machine, sizes. */
static int read_identity(struct xp *x, struct domxml *d)
{
	static const char *const types[] = { "kvm", "qemu" };
	char *s = NULL;
	uint64_t v = 0;
	int r;

	if ((r = xp_str(x, "the name", "string(/domain/name)", &d->name)) ||
	    (r = xp_str(x, "the UUID", "normalize-space(/domain/uuid)", &d->uuid)) ||
	    (r = xp_str(x, "the domain type", "string(/domain/@type)", &d->type_name)) ||
	    (r = xp_str(x, "the architecture", "string(/domain/os/type/@arch)", &d->arch)) ||
	    (r = xp_str(x, "the machine type", "string(/domain/os/type/@machine)", &d->machine_name)))
		return r;
	r = (int)lookup(d->type_name, types, 2);
	d->type = r == 1 ? DOMXML_TYPE_KVM : r == 2 ? DOMXML_TYPE_QEMU : DOMXML_TYPE_OTHER;
	d->machine = machine_of(d->machine_name);
	if ((r = xp_size(x, "<memory>", "/domain/memory", &d->memory)) ||
	    (r = xp_size(x, "<currentMemory>", "/domain/currentMemory", &d->current_memory)) ||
	    (r = xp_size(x, "<maxMemory>", "/domain/maxMemory", &d->max_memory)))
		return r;
	r = xp_str(x, "<maxMemory slots>", "normalize-space(/domain/maxMemory/@slots)", &s);
	if (r == 0 && s && !parse_u64(s, 4096, &v)) {
		snprintf(x->why, x->whylen, "<maxMemory slots='%.32s'> is not 0 to 4096", s);
		r = -EINVAL;
	}
	d->max_memory_slots = (unsigned)v;
	free(s);
	s = NULL;
	v = 0;
	if (r == 0)
		r = xp_str(x, "<vcpu>", "normalize-space(/domain/vcpu)", &s);
	if (r == 0 && s && !parse_u64(s, 16384, &v)) {
		snprintf(x->why, x->whylen, "<vcpu>%.32s</vcpu> is not 0 to 16384", s);
		r = -EINVAL;
	}
	d->vcpus = (unsigned)v;
	free(s);
	return r;
}

/* <memoryBacking>, NUMA cells, memory devices, panic devices, on_crash, vmcoreinfo. */
static int read_memory(struct xp *x, struct domxml *d)
{
	static const char *const sources[] = { "anonymous", "file", "memfd" };
	static const char *const access[] = { "shared", "private" };
	char *s = NULL;
	unsigned n = 0, isa = 0, pv = 0;
	int r;

	if ((r = xp_count(x, "count(/domain/memoryBacking)", &n)))
		return r;
	d->has_memory_backing = n > 0;
	if ((r = xp_str(x, "<source type>", "string(/domain/memoryBacking/source/@type)", &s)))
		return r;
	d->source = (enum domxml_source)lookup(s, sources, 3);
	free(s);
	if ((r = xp_str(x, "<access mode>", "string(/domain/memoryBacking/access/@mode)", &s)))
		return r;
	d->access = (enum domxml_access)lookup(s, access, 2);
	free(s);
	if ((r = xp_count(x, "count(/domain/memoryBacking/discard)", &n)))
		return r;
	d->discard = n > 0;
	if ((r = xp_count(x, "count(/domain/memoryBacking/hugepages)", &n)))
		return r;
	d->hugepages = n > 0;
	if ((r = xp_count(x, "count(/domain/memoryBacking/locked)", &n)))
		return r;
	d->locked = n > 0;
	if ((r = xp_count(x, "count(/domain/cpu/numa/cell)", &d->numa_cells)) ||
	    (r = xp_count(x, "count(/domain/devices/memory)", &d->memory_devices)) ||
	    (r = xp_str(x, "a memory device's model", "string(/domain/devices/memory[1]/@model)",
			&d->memory_device_model)) ||
	    (r = xp_count(x, "count(/domain/devices/panic)", &d->npanic)) ||
	    (r = xp_count(x, "count(/domain/devices/panic[not(@model) or @model='isa'])", &isa)) ||
	    (r = xp_count(x, "count(/domain/devices/panic[@model='pvpanic'])", &pv)))
		return r;
	d->panic_models = (isa ? DOMXML_PANIC_ISA : 0) | (pv ? DOMXML_PANIC_PVPANIC : 0) |
			  (d->npanic > isa + pv ? DOMXML_PANIC_OTHER : 0);
	if ((r = xp_str(x, "<on_crash>", "normalize-space(/domain/on_crash)", &d->on_crash_name)))
		return r;
	/* a running domain's XML names the driver that confines its QEMU */
	if ((r = xp_str(x, "<seclabel model>",
			"string(/domain/seclabel[@model='apparmor' or @model='selinux']"
			"[not(@type='none')][1]/@model)", &d->confinement)))
		return r;
	d->on_crash = (enum domxml_on_crash)lookup(d->on_crash_name, on_crash_names, N_ON_CRASH);
	if ((r = xp_count(x, "count(/domain/features/vmcoreinfo)", &n)))
		return r;
	if ((r = xp_str(x, "<vmcoreinfo state>", "string(/domain/features/vmcoreinfo/@state)", &s)))
		return r;
	d->vmcoreinfo = !n ? DOMXML_SWITCH_ABSENT
		      : !s || !strcmp(s, "on") ? DOMXML_SWITCH_ON : DOMXML_SWITCH_OFF;
	free(s);
	return 0;
}

/* Firmware, direct kernel boot, the first disk. */
static int read_boot(struct xp *x, struct domxml *d)
{
	char *fw = NULL, *loader_type = NULL, *secure = NULL, *disk_type = NULL;
	int r;

	if ((r = xp_str(x, "<os firmware>", "string(/domain/os/@firmware)", &fw)) ||
	    (r = xp_str(x, "<loader type>", "string(/domain/os/loader/@type)", &loader_type)) ||
	    (r = xp_str(x, "<loader secure>", "string(/domain/os/loader/@secure)", &secure)) ||
	    (r = xp_str(x, "<loader>", "normalize-space(/domain/os/loader)", &d->loader)) ||
	    (r = xp_str(x, "<nvram>", "normalize-space(/domain/os/nvram)", &d->nvram)) ||
	    (r = xp_str(x, "<kernel>", "normalize-space(/domain/os/kernel)", &d->kernel)) ||
	    (r = xp_str(x, "<initrd>", "normalize-space(/domain/os/initrd)", &d->initrd)) ||
	    (r = xp_str(x, "<cmdline>", "string(/domain/os/cmdline)", &d->cmdline)))
		goto out;
	d->firmware = (fw && !strcmp(fw, "efi")) || (loader_type && !strcmp(loader_type, "pflash"))
			      ? DOMXML_FW_UEFI : DOMXML_FW_BIOS;
	d->secure_boot = secure && !strcmp(secure, "yes");
#define FIRST_DISK "/domain/devices/disk[not(@device) or @device='disk'][1]"
	if ((r = xp_str(x, "<disk type>", "string(" FIRST_DISK "/@type)", &disk_type)) ||
	    (r = xp_str(x, "<disk><source>", "string(" FIRST_DISK "/source/@file | " FIRST_DISK
			"/source/@dev)", &d->disk_source)) ||
	    (r = xp_str(x, "<disk><driver type>", "string(" FIRST_DISK "/driver/@type)",
			&d->disk_format)))
		goto out;
#undef FIRST_DISK
	d->disk = !disk_type ? DOMXML_DISK_NONE
		: !strcmp(disk_type, "file") ? DOMXML_DISK_FILE
		: !strcmp(disk_type, "block") ? DOMXML_DISK_BLOCK : DOMXML_DISK_OTHER;
	if (d->disk != DOMXML_DISK_FILE && d->disk != DOMXML_DISK_BLOCK) {
		free(d->disk_source);
		d->disk_source = NULL;
	}
out:
	free(fw);
	free(loader_type);
	free(secure);
	free(disk_type);
	return r;
}

void domxml_init(void) { xmlInitParser(); }

/* No DOCTYPE: libvirt never writes one; refusing it refuses every entity declaration, and so
 * entity expansion, with it. */
int domxml_read_doc(const char *buf, size_t len, xmlDocPtr *doc, char *why, size_t whylen)
{
	xmlParserCtxtPtr pc;
	xmlNodePtr root;

	*doc = NULL;
	if (len > DOMXML_MAX_LEN) {
		snprintf(why, whylen, "domain XML of %zu bytes (at most %u)", len, DOMXML_MAX_LEN);
		return -E2BIG;
	}
	xmlInitParser();
	pc = xmlNewParserCtxt();
	if (!pc) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	*doc = xmlCtxtReadMemory(pc, buf, (int)len, "domain.xml", NULL,
				 XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!*doc) {
		xmlErrorPtr e = xmlCtxtGetLastError(pc);
		char msg[200];
		size_t n;

		snprintf(msg, sizeof(msg), "%s", e && e->message ? e->message : "not XML");
		n = strlen(msg);
		while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
			msg[--n] = '\0';
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)msg[i] < 0x20 || msg[i] == 0x7f)
				msg[i] = '?';
		snprintf(why, whylen, "not well-formed XML (line %d): %s", e ? e->line : 0, msg);
		xmlFreeParserCtxt(pc);
		return -EINVAL;
	}
	xmlFreeParserCtxt(pc);
	root = xmlDocGetRootElement(*doc);
	if ((*doc)->intSubset || (*doc)->extSubset) {
		snprintf(why, whylen, "a DOCTYPE in domain XML (libvirt never writes one)");
	} else if (!root || root->ns || xmlStrcmp(root->name, (const xmlChar *)"domain")) {
		snprintf(why, whylen, "not a libvirt domain (the root element is not <domain>)");
	} else {
		return 0;
	}
	xmlFreeDoc(*doc);
	*doc = NULL;
	return -EINVAL;
}

int domxml_parse(const char *buf, size_t len, struct domxml *d, char *why, size_t whylen)
{
	struct xp x = { .why = why, .whylen = whylen };
	xmlDocPtr doc;
	int r;

	memset(d, 0, sizeof(*d));
	r = domxml_read_doc(buf, len, &doc, why, whylen);
	if (r < 0)
		return r;
	x.ctx = xmlXPathNewContext(doc);
	if (!x.ctx) {
		xmlFreeDoc(doc);
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	x.ctx->error = quiet;
	r = read_identity(&x, d);
	if (r == 0)
		r = read_memory(&x, d);
	if (r == 0)
		r = read_boot(&x, d);
	xmlXPathFreeContext(x.ctx);
	xmlFreeDoc(doc);
	if (r < 0)
		domxml_free(d);
	return r;
}

void domxml_free(struct domxml *d)
{
	char **strs[] = { &d->name, &d->uuid, &d->type_name, &d->arch, &d->machine_name,
			  &d->memory_device_model, &d->on_crash_name, &d->loader, &d->nvram,
			  &d->kernel, &d->initrd, &d->cmdline, &d->disk_source, &d->disk_format,
			  &d->confinement };

	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		free(*strs[i]);
	memset(d, 0, sizeof(*d));
}
