// SPDX-License-Identifier: GPL-2.0-or-later
// Configuration defaults and validation: every refusal names the option and the reason.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/size.h"
#include "vm/config.h"

void vm_config_init(struct vm_config *c)
{
	const char *q = getenv("HVDUMP_QEMU");

	memset(c, 0, sizeof(*c));
	c->name = "hvdump";
	c->memory = 1ull << 30;
	c->cpus = 1;
	c->qemu = q && *q ? q : "qemu-system-x86_64";
	c->accel = ACCEL_AUTO;
	c->on_crash = ON_CRASH_PAUSE;
	c->console = true;
	c->shutdown_timeout_s = 10;
}

bool vm_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 64 || name[0] == '.' || name[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = name[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-'))
			return false;
	}
	return true;
}

uint64_t vm_lowmem(uint64_t memory)
{
	return memory < VM_LOWMEM_MAX ? memory : VM_LOWMEM_MAX;
}

int vm_config_check(const struct vm_config *c, unsigned host_cpus, char *msg, size_t msglen)
{
	char a[32], b[32];
	unsigned max_cpus = host_cpus * 4;

	if (max_cpus > VM_MAX_CPUS)
		max_cpus = VM_MAX_CPUS;
	if (max_cpus == 0)
		max_cpus = 1;
	if (!vm_name_valid(c->name)) {
		snprintf(msg, msglen,
			 "--name '%s': use 1-64 characters of letters, digits, '.', '_' or '-'",
			 c->name);
		return -EINVAL;
	}
	if (!c->kernel || !*c->kernel) {
		snprintf(msg, msglen, "no guest kernel: give --kernel FILE");
		return -EINVAL;
	}
	if (c->memory < VM_MIN_MEMORY) {
		snprintf(msg, msglen, "--memory %s is too small: a Linux guest needs at least %s",
			 size_format(c->memory, a, sizeof(a)), size_format(VM_MIN_MEMORY, b, sizeof(b)));
		return -EINVAL;
	}
	if (c->memory % VM_MEMORY_ALIGN) {
		snprintf(msg, msglen, "--memory %s is not a multiple of 2M",
			 size_format(c->memory, a, sizeof(a)));
		return -EINVAL;
	}
	if (c->memory > (1ull << 46)) {
		snprintf(msg, msglen, "--memory %s exceeds the 64T a guest can address",
			 size_format(c->memory, a, sizeof(a)));
		return -EINVAL;
	}
	if (c->cpus == 0 || c->cpus > max_cpus) {
		snprintf(msg, msglen,
			 "--cpus %u is out of range: this host has %u CPUs, so use 1 to %u",
			 c->cpus, host_cpus, max_cpus);
		return -EINVAL;
	}
	if (c->append && strlen(c->append) > 2048) {
		snprintf(msg, msglen, "--append is %zu bytes; the x86 kernel command line holds 2048",
			 strlen(c->append));
		return -EINVAL;
	}
	return 0;
}

const char *on_crash_name(enum on_crash oc)
{
	switch (oc) {
	case ON_CRASH_PAUSE:
		return "pause";
	case ON_CRASH_POWEROFF:
		return "poweroff";
	}
	return "?";
}

int on_crash_parse(const char *s, enum on_crash *out)
{
	if (!strcmp(s, "pause"))
		*out = ON_CRASH_PAUSE;
	else if (!strcmp(s, "poweroff"))
		*out = ON_CRASH_POWEROFF;
	else
		return -EINVAL;
	return 0;
}
