// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: a libvirt domain's XML (libvirt/domxml.c, libxml2 and XPath), then the
// check over what was read (libvirt/domcheck.c).  It traps when a promise of domxml.h or
// domcheck.h breaks: a return other than 0, -EINVAL, -E2BIG, -ENOMEM; a failure without a
// reason or with anything left in the result; a string over DOMXML_MAX_STR or holding a NUL;
// an enum out of its range; a second parse of the same text that differs; an item with a
// status out of range, a state with a control character, a fix on an ok item or none on
// another; a verdict that is not "every required item ok".  The same text then made a
// capture domain (libvirt/capxml.c): a return other than those, a failure without a reason or
// with an output, or (when the text parsed) an output that does not parse back with the
// capture kernel, its command line, SeaBIOS and the domain's name.
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "libvirt/capxml.h"
#include "libvirt/domcheck.h"
#include "libvirt/domxml.h"

static void check_str(const char *s)
{
	if (s && (!*s || strlen(s) > DOMXML_MAX_STR))
		__builtin_trap();
}

static const char *const *strs(const struct domxml *d, size_t *n)
{
	static const char *v[14];
	const char *const all[] = { d->name, d->uuid, d->type_name, d->arch, d->machine_name,
				    d->memory_device_model, d->on_crash_name, d->loader, d->nvram,
				    d->kernel, d->initrd, d->cmdline, d->disk_source, d->disk_format };
	memcpy(v, all, sizeof(all));
	*n = sizeof(all) / sizeof(all[0]);
	return v;
}

static bool same(const char *a, const char *b) { return (!a && !b) || (a && b && !strcmp(a, b)); }

static void check_result(const struct domxml *d, const struct domxml *e)
{
	size_t n, m;
	const char *const *s = strs(d, &n);
	const char *sd[14], *const *t;

	memcpy(sd, s, n * sizeof(*s));
	t = strs(e, &m);
	for (size_t i = 0; i < n; i++) {
		check_str(sd[i]);
		if (!same(sd[i], t[i]))
			__builtin_trap();
	}
	if (d->type > DOMXML_TYPE_QEMU || d->machine > DOMXML_MACHINE_OTHER ||
	    d->source > DOMXML_SRC_OTHER || d->access > DOMXML_ACCESS_OTHER ||
	    d->on_crash > DOMXML_CRASH_OTHER || d->vmcoreinfo > DOMXML_SWITCH_OFF ||
	    d->firmware > DOMXML_FW_UEFI || d->disk > DOMXML_DISK_OTHER ||
	    d->memory > (1ull << 60) || d->vcpus > 16384 || d->max_memory_slots > 4096 ||
	    (d->panic_models & ~7u) || (d->panic_models && !d->npanic) ||
	    (d->on_crash != DOMXML_CRASH_NONE) != (d->on_crash_name != NULL))
		__builtin_trap();
	if (d->memory != e->memory || d->current_memory != e->current_memory ||
	    d->max_memory != e->max_memory || d->numa_cells != e->numa_cells ||
	    d->panic_models != e->panic_models || d->on_crash != e->on_crash ||
	    d->source != e->source || d->access != e->access || d->discard != e->discard ||
	    d->hugepages != e->hugepages || d->disk != e->disk || d->firmware != e->firmware)
		__builtin_trap();
}

static void check_check(const struct domcheck *c)
{
	unsigned missing = 0;

	for (int i = 0; i < DOMCHECK_NREQ; i++) {
		const struct domcheck_item *it = &c->item[i];
		if (it->status > DOMCHECK_CONFLICTING || !it->key || !it->title || !it->why ||
		    (it->status == DOMCHECK_OK) != (it->fix == NULL) ||
		    strnlen(it->state, sizeof(it->state)) == sizeof(it->state))
			__builtin_trap();
		for (const char *p = it->state; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				__builtin_trap();
		if (it->required && it->status != DOMCHECK_OK)
			missing++;
	}
	if (missing != c->nmissing || c->ready != (missing == 0))
		__builtin_trap();
}

static void check_capxml(const uint8_t *data, size_t size, const struct domxml *in)
{
	static const struct capxml_params p = {
		.kernel = "/k,k", .initrd = "/i", .cmdline = "console=ttyS0 <&>", .ram_path = "/r,",
		.ram_size = 1ull << 30, .lowmem = 3ull << 29, .slots = 2, .maxmem = 2ull << 30,
		.qmp_path = "/q",
	};
	char why[256] = "", *out = NULL;
	struct domxml d;
	int r = capxml_build((const char *)data, size, &p, &out, why, sizeof(why));

	if (r != 0 && r != -EINVAL && r != -E2BIG && r != -ENOMEM)
		__builtin_trap();
	if ((r < 0 && (!why[0] || out)) || (r == 0 && !out))
		__builtin_trap();
	if (r == 0 && in && strlen(out) <= DOMXML_MAX_LEN) {
		if (domxml_parse(out, strlen(out), &d, why, sizeof(why)) != 0 ||
		    !same(d.kernel, p.kernel) || !same(d.initrd, p.initrd) ||
		    !same(d.cmdline, p.cmdline) || !same(d.name, in->name) ||
		    d.firmware != DOMXML_FW_BIOS || d.loader || d.nvram)
			__builtin_trap();
		domxml_free(&d);
	}
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct domxml zero;
	struct domxml d, e;
	struct domcheck c;
	char why[256] = "";
	int r, r2;

	domxml_init();
	r = domxml_parse((const char *)data, size, &d, why, sizeof(why));
	if (r != 0 && r != -EINVAL && r != -E2BIG && r != -ENOMEM)
		__builtin_trap();
	if (r < 0) {
		if (!why[0] || memcmp(&d, &zero, sizeof(d)))
			__builtin_trap();
		check_capxml(data, size, NULL);
		return 0;
	}
	r2 = domxml_parse((const char *)data, size, &e, why, sizeof(why));
	if (r2 != 0)
		__builtin_trap();
	check_result(&d, &e);
	domcheck_run(&d, &c);
	check_check(&c);
	check_capxml(data, size, &d);
	domxml_free(&d);
	domxml_free(&e);
	return 0;
}
