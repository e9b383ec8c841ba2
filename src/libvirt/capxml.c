// SPDX-License-Identifier: GPL-2.0-or-later
// The capture domain's XML: the crashed domain's own document, edited in place with libxml2
// (so whatever libvirt or the guest's owner wrote that hvdump does not change is written back
// as it was), and indented like the rest of the document when that is indented.
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlsave.h>
#include <libxml/xmlstring.h>

#include "libvirt/capxml.h"
#include "libvirt/domxml.h"

/* QEMU refuses more DIMM slots than ACPI describes (ACPI_MAX_RAM_SLOTS). */
#define MAX_SLOTS 256u
#define GIB (1ull << 30)

/* The QEMU options hvdump adds, each followed by its value (make_values()). */
static const char *const opts[] = { "-object", "-machine", "-m", "-chardev", "-mon" };
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

/* <os> children that boot something else than the capture kernel under SeaBIOS */
static const char *const os_dropped[] = { "firmware", "loader", "nvram", "boot", "bootmenu",
					  "kernel", "initrd", "cmdline", "dtb" };

struct edit {
	xmlDocPtr doc;
	xmlNodePtr root;
	bool pretty; /* the document is indented: indent what is added */
	char *why;
	size_t whylen;
};

/* S, the parameter WHAT: present, at most DOMXML_MAX_STR bytes, UTF-8 without control
 * characters (QEMU's option syntax cannot carry them, XML 1.0 not all), absolute if PATH. */
static int check_str(const char *what, const char *s, bool path, char *why, size_t whylen)
{
	size_t n;

	if (!s || (path && !*s)) {
		snprintf(why, whylen, "no %s", what);
		return -EINVAL;
	}
	n = strlen(s);
	if (n > DOMXML_MAX_STR) {
		snprintf(why, whylen, "the %s is %zu bytes long (at most %u)", what, n,
			 DOMXML_MAX_STR);
		return -E2BIG;
	}
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			snprintf(why, whylen, "the %s has a control character (0x%02x at byte %zu)",
				 what, (unsigned char)s[i], i);
			return -EINVAL;
		}
	}
	if (!xmlCheckUTF8((const xmlChar *)s)) {
		snprintf(why, whylen, "the %s is not UTF-8", what);
		return -EINVAL;
	}
	if (path && s[0] != '/') {
		snprintf(why, whylen, "the %s '%.64s' is not an absolute path", what, s);
		return -EINVAL;
	}
	return 0;
}

static int check_params(const struct capxml_params *p, char *why, size_t whylen)
{
	int r;

	if ((r = check_str("capture kernel", p->kernel, true, why, whylen)) ||
	    (p->initrd && (r = check_str("capture initrd", p->initrd, true, why, whylen))) ||
	    (r = check_str("capture command line", p->cmdline, false, why, whylen)) ||
	    (r = check_str("RAM file", p->ram_path, true, why, whylen)) ||
	    (r = check_str("QMP socket", p->qmp_path, true, why, whylen)))
		return r;
	if (!p->ram_size || p->ram_size % 4096 || p->maxmem % 4096)
		snprintf(why, whylen, "RAM size %" PRIu64 " and maxmem %" PRIu64 " are not both "
			 "multiples of 4 KiB (RAM not 0)", p->ram_size, p->maxmem);
	else if (p->maxmem < p->ram_size)
		snprintf(why, whylen, "maxmem %" PRIu64 " is below the RAM size %" PRIu64,
			 p->maxmem, p->ram_size);
	else if (!p->lowmem || p->lowmem > 4 * GIB)
		snprintf(why, whylen, "%" PRIu64 " bytes below 4 GiB is not 1 byte to 4 GiB",
			 p->lowmem);
	else if (p->slots > MAX_SLOTS || (p->slots && p->maxmem == p->ram_size))
		snprintf(why, whylen, "%u DIMM slots with maxmem %" PRIu64 " and RAM %" PRIu64
			 " (QEMU wants at most %u, and maxmem above RAM with slots)", p->slots,
			 p->maxmem, p->ram_size, MAX_SLOTS);
	else
		return 0;
	return -EINVAL;
}

/* S with each comma doubled (QEMU's option syntax), malloc'd; NULL when out of memory. */
static char *opt_escape(const char *s)
{
	size_t n = strlen(s) + 1;
	char *e, *d;

	for (const char *c = s; *c; c++)
		n += *c == ',';
	e = d = malloc(n);
	if (!e)
		return NULL;
	for (; *s; s++) {
		*d++ = *s;
		if (*s == ',')
			*d++ = ',';
	}
	*d = '\0';
	return e;
}

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, f);
	n = vasprintf(&s, f, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

/* VAL[i]: the value of opts[i] (P checked). -ENOMEM. */
static int make_values(const struct capxml_params *p, char *val[NOPTS])
{
	char *ram = opt_escape(p->ram_path), *qmp = opt_escape(p->qmp_path);
	int r = 0;

	if (ram && qmp) {
		val[0] = fmt("memory-backend-file,id=" CAPXML_RAM_ID ",mem-path=%s,size=%" PRIu64
			     ",share=on,prealloc=off", ram, p->ram_size);
		val[1] = fmt("memory-backend=" CAPXML_RAM_ID ",max-ram-below-4g=%" PRIu64,
			     p->lowmem);
		val[2] = fmt("size=%" PRIu64 "k,slots=%u,maxmem=%" PRIu64 "k", p->ram_size / 1024,
			     p->slots, p->maxmem / 1024);
		val[3] = fmt("socket,id=" CAPXML_QMP_ID ",path=%s,server=on,wait=off", qmp);
		val[4] = fmt("chardev=" CAPXML_QMP_ID ",mode=control");
	}
	for (size_t i = 0; i < NOPTS; i++)
		if (!val[i])
			r = -ENOMEM;
	free(ram);
	free(qmp);
	return r;
}

/* ---- tree editing ---------------------------------------------------------------------- */

/* N is the element NAME in no namespace (libvirt's own elements). */
static bool is_el(xmlNodePtr n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && !n->ns &&
	       !xmlStrcmp(n->name, (const xmlChar *)name);
}

static bool is_blank(xmlNodePtr n) { return n && n->type == XML_TEXT_NODE && xmlIsBlankNode(n); }

static xmlNodePtr child(xmlNodePtr parent, const char *name)
{
	for (xmlNodePtr c = parent->children; c; c = c->next)
		if (is_el(c, name))
			return c;
	return NULL;
}

/* Unlink and free N, and the indentation before it. */
static void drop(xmlNodePtr n)
{
	xmlNodePtr b = n->prev;

	if (is_blank(b)) {
		xmlUnlinkNode(b);
		xmlFreeNode(b);
	}
	xmlUnlinkNode(n);
	xmlFreeNode(n);
}

/* A newline and the indentation of an element DEPTH levels under the root; NULL: no memory. */
static xmlNodePtr blank(struct edit *e, int depth)
{
	static const char spaces[] = "\n                ";

	return xmlNewDocTextLen(e->doc, (const xmlChar *)spaces, 1 + 2 * depth);
}

/* N (new, or NULL: -ENOMEM) put after REF or, AFTER false, before it, at DEPTH. */
static int put_by(struct edit *e, xmlNodePtr ref, bool after, xmlNodePtr n, int depth)
{
	xmlNodePtr b;

	if (!n)
		return -ENOMEM;
	if (after)
		xmlAddNextSibling(ref, n);
	else
		xmlAddPrevSibling(ref, n);
	if (!e->pretty)
		return 0;
	if (!(b = blank(e, depth)))
		return -ENOMEM;
	if (after)
		xmlAddPrevSibling(n, b); /* REF, blank, N, REF's next */
	else
		xmlAddNextSibling(n, b); /* REF's blank, N, blank, REF */
	return 0;
}

/* N (new, or NULL: -ENOMEM) as PARENT's last child, at DEPTH. */
static int put_last(struct edit *e, xmlNodePtr parent, xmlNodePtr n, int depth)
{
	xmlNodePtr last = parent->last, b;

	if (!n)
		return -ENOMEM;
	if (is_blank(last)) {
		xmlAddPrevSibling(last, n); /* before the closing tag's indentation */
	} else {
		xmlAddChild(parent, n);
		if (e->pretty) {
			if (!(b = blank(e, depth - 1)))
				return -ENOMEM;
			xmlAddNextSibling(n, b);
		}
	}
	if (!e->pretty)
		return 0;
	if (!(b = blank(e, depth)))
		return -ENOMEM;
	xmlAddPrevSibling(n, b);
	return 0;
}

/* <os>: no firmware but SeaBIOS, no boot but P's kernel. */
static int edit_os(struct edit *e, const struct capxml_params *p)
{
	const char *names[] = { "kernel", "initrd", "cmdline" };
	const char *vals[] = { p->kernel, p->initrd, p->cmdline };
	xmlNodePtr os = NULL, next, at;
	int r;

	for (xmlNodePtr c = e->root->children; c; c = c->next) {
		if (is_el(c, "os") && os) {
			snprintf(e->why, e->whylen, "two <os> elements in the domain XML");
			return -EINVAL;
		}
		if (is_el(c, "os"))
			os = c;
	}
	if (!os) {
		snprintf(e->why, e->whylen, "no <os> in the domain XML");
		return -EINVAL;
	}
	xmlUnsetProp(os, (const xmlChar *)"firmware");
	for (xmlNodePtr c = os->children; c; c = next) {
		next = c->next;
		for (size_t i = 0; i < sizeof(os_dropped) / sizeof(os_dropped[0]); i++) {
			if (is_el(c, os_dropped[i])) {
				drop(c);
				break;
			}
		}
	}
	at = child(os, "type");
	for (size_t i = 0; i < 3; i++) {
		xmlNodePtr n;

		if (!vals[i])
			continue;
		n = xmlNewDocRawNode(e->doc, NULL, (const xmlChar *)names[i],
				     (const xmlChar *)vals[i]);
		r = at ? put_by(e, at, true, n, 2) : put_last(e, os, n, 2);
		if (r < 0)
			return r;
		at = n;
	}
	return 0;
}

/* <on_reboot>destroy: a reboot of the capture guest must not boot the capture kernel again. */
static int edit_on_reboot(struct edit *e)
{
	xmlNodePtr n, ref;
	bool found = false;

	for (xmlNodePtr c = e->root->children; c; c = c->next) {
		if (is_el(c, "on_reboot")) {
			xmlNodeSetContent(c, (const xmlChar *)"destroy");
			found = true;
		}
	}
	if (found)
		return 0;
	n = xmlNewDocRawNode(e->doc, NULL, (const xmlChar *)"on_reboot",
			     (const xmlChar *)"destroy");
	if ((ref = child(e->root, "on_poweroff")))
		return put_by(e, ref, true, n, 1);
	if ((ref = child(e->root, "on_crash")) || (ref = child(e->root, "devices")))
		return put_by(e, ref, false, n, 1);
	return put_last(e, e->root, n, 1);
}

/* <memory> and <currentMemory>: the size of the capture's RAM (KiB).  libvirt sets the balloon
 * to <currentMemory> as QEMU starts, and QEMU takes the balloon's target from all its RAM: the
 * kept file is larger than the crashed domain's memory (the copies of what the capture boot
 * overwrites), and the balloon would take the difference from the capture guest. */
static int edit_memory(struct edit *e, uint64_t ram_size)
{
	char kib[32];

	snprintf(kib, sizeof(kib), "%" PRIu64, ram_size / 1024);
	for (xmlNodePtr c = e->root->children; c; c = c->next) {
		if (!is_el(c, "memory") && !is_el(c, "currentMemory"))
			continue;
		xmlNodeSetContent(c, (const xmlChar *)kib);
		if (!xmlSetProp(c, (const xmlChar *)"unit", (const xmlChar *)"KiB"))
			return -ENOMEM;
	}
	return 0;
}

/* libvirt's QEMU namespace as the root declares it, or declared there now. */
static xmlNsPtr qemu_ns(struct edit *e)
{
	xmlNsPtr ns = xmlSearchNsByHref(e->doc, e->root, (const xmlChar *)CAPXML_QEMU_NS);

	if (!ns)
		ns = xmlNewNs(e->root, (const xmlChar *)CAPXML_QEMU_NS, (const xmlChar *)"qemu");
	if (!ns) /* "qemu" is the root's prefix of another namespace */
		ns = xmlNewNs(e->root, (const xmlChar *)CAPXML_QEMU_NS,
			      (const xmlChar *)"hvdump-qemu");
	return ns;
}

/* Our options and values after the domain's own QEMU arguments, in its <qemu:commandline>
 * (the first, when it has several) or in a new one as the root's last child. */
static int edit_commandline(struct edit *e, char *const val[NOPTS])
{
	xmlNodePtr cl = NULL;
	xmlNsPtr ns;
	int r;

	for (xmlNodePtr c = e->root->children; c && !cl; c = c->next)
		if (c->type == XML_ELEMENT_NODE && c->ns && c->ns->href &&
		    !xmlStrcmp(c->ns->href, (const xmlChar *)CAPXML_QEMU_NS) &&
		    !xmlStrcmp(c->name, (const xmlChar *)"commandline"))
			cl = c;
	ns = cl ? cl->ns : qemu_ns(e);
	if (!ns)
		return -ENOMEM;
	if (!cl) {
		cl = xmlNewDocNode(e->doc, ns, (const xmlChar *)"commandline", NULL);
		if ((r = put_last(e, e->root, cl, 1)) < 0)
			return r;
	}
	for (size_t i = 0; i < 2 * NOPTS; i++) {
		const char *v = i % 2 ? val[i / 2] : opts[i / 2];
		xmlNodePtr a = xmlNewDocNode(e->doc, ns, (const xmlChar *)"arg", NULL);

		if (a && !xmlNewProp(a, (const xmlChar *)"value", (const xmlChar *)v)) {
			xmlFreeNode(a);
			a = NULL;
		}
		if ((r = put_last(e, cl, a, 2)) < 0)
			return r;
	}
	return 0;
}

/* DOC as text (UTF-8, no XML declaration, as libvirt writes it), malloc'd in *OUT. */
static int dump(xmlDocPtr doc, char **out)
{
	xmlBufferPtr b = xmlBufferCreate();
	xmlSaveCtxtPtr s = b ? xmlSaveToBuffer(b, "UTF-8", XML_SAVE_NO_DECL) : NULL;
	int r = -ENOMEM;

	if (s) {
		long n = xmlSaveDoc(s, doc);

		if (xmlSaveClose(s) >= 0 && n >= 0 && xmlBufferContent(b))
			*out = strndup((const char *)xmlBufferContent(b), xmlBufferLength(b));
		if (*out)
			r = 0;
	}
	xmlBufferFree(b);
	return r;
}

int capxml_build(const char *xml, size_t len, const struct capxml_params *p, char **out,
		 char *why, size_t whylen)
{
	struct edit e = { .why = why, .whylen = whylen };
	char *val[NOPTS] = { NULL };
	int r;

	*out = NULL;
	why[0] = '\0';
	r = check_params(p, why, whylen);
	if (r == 0)
		r = make_values(p, val);
	if (r == 0)
		r = domxml_read_doc(xml, len, &e.doc, why, whylen);
	if (r == 0) {
		e.root = xmlDocGetRootElement(e.doc);
		e.pretty = is_blank(e.root->children);
		xmlUnsetProp(e.root, (const xmlChar *)"id");
		r = edit_os(&e, p);
	}
	if (r == 0)
		r = edit_memory(&e, p->ram_size);
	if (r == 0)
		r = edit_on_reboot(&e);
	if (r == 0)
		r = edit_commandline(&e, val);
	if (r == 0)
		r = dump(e.doc, out);
	if (r == -ENOMEM && !why[0])
		snprintf(why, whylen, "out of memory");
	xmlFreeDoc(e.doc);
	for (size_t i = 0; i < NOPTS; i++)
		free(val[i]);
	return r;
}
