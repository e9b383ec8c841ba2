// SPDX-License-Identifier: GPL-2.0-or-later
// The guest's virtual hardware as the operator names it (hw.h): parse and check, nothing more.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu/hw.h"

uint64_t qemu_lowmem_pin(enum qemu_machine m)
{
	return m == QEMU_MACHINE_Q35 ? QEMU_LOWMEM_Q35 : QEMU_LOWMEM_PC;
}

uint64_t qemu_lowmem(enum qemu_machine m, uint64_t memory)
{
	uint64_t pin = qemu_lowmem_pin(m);

	return memory < pin ? memory : pin;
}

uint64_t qemu_lowmem_unpinned(enum qemu_machine m, uint64_t memory)
{
	/* QEMU 7.2, hw/i386/pc_piix.c and pc_q35.c, without max-ram-below-4g */
	uint64_t low = m == QEMU_MACHINE_Q35 ? (memory >= 0xb0000000ull ? 0x80000000ull : memory)
					     : (memory >= 0xe0000000ull ? 0xc0000000ull : memory);

	return low < memory ? low : memory;
}

int qemu_machine_parse(const char *s, enum qemu_machine *out)
{
	if (!strcmp(s, "pc"))
		*out = QEMU_MACHINE_PC;
	else if (!strcmp(s, "q35"))
		*out = QEMU_MACHINE_Q35;
	else
		return -EINVAL;
	return 0;
}

const char *qemu_machine_name(enum qemu_machine m)
{
	return m == QEMU_MACHINE_Q35 ? "q35" : "pc";
}

int qemu_firmware_parse(const char *s, enum qemu_firmware *out)
{
	if (!strcmp(s, "bios"))
		*out = QEMU_FIRMWARE_BIOS;
	else if (!strcmp(s, "uefi"))
		*out = QEMU_FIRMWARE_UEFI;
	else
		return -EINVAL;
	return 0;
}

const char *qemu_firmware_name(enum qemu_firmware f)
{
	return f == QEMU_FIRMWARE_UEFI ? "uefi" : "bios";
}

int qemu_disk_parse(const char *spec, struct qemu_disk *out, char *msg, size_t msglen)
{
	const char *fmt = strstr(spec, ",format=");

	size_t len = fmt ? (size_t)(fmt - spec) : strlen(spec);

	memset(out, 0, sizeof(*out));
	if (len == 0 || len >= sizeof(out->path)) {
		snprintf(msg, msglen, "--disk '%s': %s", spec, len ? "path too long" : "no file name");
		return -EINVAL;
	}
	memcpy(out->path, spec, len);
	if (!fmt)
		return 0;
	/* FILE,format=F: the path is everything before it (it may hold commas) */
	if (strchr(fmt + 1, ',')) {
		snprintf(msg, msglen, "--disk '%s': use FILE or FILE,format=raw|qcow2", spec);
		return -EINVAL;
	}
	fmt += strlen(",format=");
	if (strcmp(fmt, "raw") && strcmp(fmt, "qcow2")) {
		snprintf(msg, msglen, "--disk '%s': format '%s' is not raw or qcow2", spec, fmt);
		return -EINVAL;
	}
	snprintf(out->format, sizeof(out->format), "%s", fmt);
	return 0;
}

static int parse_mac(const char *s, size_t len, uint8_t mac[6])
{
	unsigned v[6];
	char buf[18], end;

	if (len != 17)
		return -EINVAL;
	memcpy(buf, s, 17);
	buf[17] = '\0';
	if (sscanf(buf, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &end) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		if (buf[i * 3] == ' ' || buf[i * 3] == '+' || buf[i * 3] == '-')
			return -EINVAL;
		mac[i] = (uint8_t)v[i];
	}
	if (mac[0] & 1) /* multicast */
		return -EINVAL;
	return 0;
}

/* hostfwd=PROTO:[ADDR]:PORT-[ADDR]:PORT, PROTO tcp or udp, addresses IPv4 digits and dots */
static bool hostfwd_ok(const char *v, size_t len)
{
	size_t i = 0;
	int colons = 0, dashes = 0;

	if (len > 4 && !strncmp(v, "tcp:", 4))
		i = 4;
	else if (len > 4 && !strncmp(v, "udp:", 4))
		i = 4;
	else
		return false;
	for (; i < len; i++) {
		char ch = v[i];
		if (ch == ':')
			colons++;
		else if (ch == '-')
			dashes++;
		else if (!((ch >= '0' && ch <= '9') || ch == '.'))
			return false;
	}
	return colons == 2 && dashes == 1 && v[len - 1] != ':' && v[len - 1] != '-';
}

static bool ifname_ok(const char *s, size_t len)
{
	if (len == 0 || len > QEMU_IFNAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-'))
			return false;
	}
	return true;
}

/* One ",KEY=VALUE" of a --nic value after its kind. */
static int nic_option(struct qemu_nic *n, const char *o, size_t len, const char *spec,
		      char *msg, size_t msglen)
{
	if (len > 4 && !strncmp(o, "mac=", 4)) {
		if (parse_mac(o + 4, len - 4, n->mac) < 0) {
			snprintf(msg, msglen, "--nic '%s': mac= wants a unicast XX:XX:XX:XX:XX:XX",
				 spec);
			return -EINVAL;
		}
		n->mac_given = true;
		return 0;
	}
	if (n->kind == QEMU_NIC_USER && len > 8 && !strncmp(o, "hostfwd=", 8)) {
		size_t used = strlen(n->opts);
		if (!hostfwd_ok(o + 8, len - 8)) {
			snprintf(msg, msglen, "--nic '%s': hostfwd= wants tcp|udp:[ADDR]:PORT-"
				 "[ADDR]:PORT, for example tcp::8080-:80", spec);
			return -EINVAL;
		}
		if (used + len + 2 > sizeof(n->opts)) {
			snprintf(msg, msglen, "--nic '%s': too many forwards", spec);
			return -EINVAL;
		}
		snprintf(n->opts + used, sizeof(n->opts) - used, "%s%.*s", used ? "," : "",
			 (int)len, o);
		return 0;
	}
	snprintf(msg, msglen, "--nic '%s': unknown option '%.*s' (%s)", spec, (int)len, o,
		 n->kind == QEMU_NIC_USER ? "user takes hostfwd= and mac=" : "this takes mac=");
	return -EINVAL;
}

int qemu_nic_parse(const char *spec, struct qemu_nic *out, char *msg, size_t msglen)
{
	const char *p, *comma = strchr(spec, ',');
	size_t head = comma ? (size_t)(comma - spec) : strlen(spec);
	int r;

	memset(out, 0, sizeof(*out));
	if (head == 4 && !strncmp(spec, "user", 4)) {
		out->kind = QEMU_NIC_USER;
	} else if ((head > 4 && !strncmp(spec, "tap=", 4)) ||
		   (head > 7 && !strncmp(spec, "bridge=", 7))) {
		size_t k = spec[0] == 't' ? 4 : 7;
		out->kind = spec[0] == 't' ? QEMU_NIC_TAP : QEMU_NIC_BRIDGE;
		if (!ifname_ok(spec + k, head - k)) {
			snprintf(msg, msglen, "--nic '%s': '%.*s' is not an interface name (1-%d "
				 "letters, digits, '_', '.', '-')", spec, (int)(head - k), spec + k,
				 QEMU_IFNAME_MAX);
			return -EINVAL;
		}
		memcpy(out->opts, spec + k, head - k);
	} else {
		snprintf(msg, msglen, "--nic '%s': use user[,hostfwd=...], tap=IFNAME or "
			 "bridge=BRIDGE", spec);
		return -EINVAL;
	}
	for (p = comma; p; p = comma) {
		p++;
		comma = strchr(p, ',');
		r = nic_option(out, p, comma ? (size_t)(comma - p) : strlen(p), spec, msg, msglen);
		if (r < 0)
			return r;
	}
	return 0;
}

void qemu_nic_default_mac(const char *name, unsigned index, uint8_t mac[6])
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (const char *s = name; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	h = (h ^ (index & 0xff)) * 16777619u;
	mac[0] = 0x52;
	mac[1] = 0x54;
	mac[2] = 0x00;
	mac[3] = (uint8_t)(h >> 16);
	mac[4] = (uint8_t)(h >> 8);
	mac[5] = (uint8_t)h;
}

void qemu_mac_format(const uint8_t mac[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}

/* ---- --qemu-arg ---------------------------------------------------------------------------- */

/* Options refused whatever their value, and why. */
static const struct {
	const char *opt, *why;
} refused[] = {
	{ "m", "hvdump sizes guest memory (--memory)" },
	{ "mem-path", "guest RAM is hvdump's file" },
	{ "mem-prealloc", "guest RAM is hvdump's file" },
	{ "numa", "NUMA memory nodes would bypass hvdump's memory backend" },
	{ "machine", "use --machine" },
	{ "M", "use --machine" },
	{ "accel", "use --accel" },
	{ "enable-kvm", "use --accel" },
	{ "smp", "use --cpus" },
	{ "cpu", "use --cpu" },
	{ "bios", "use --firmware" },
	{ "pflash", "use --firmware" },
	{ "kernel", "use --kernel" },
	{ "initrd", "use --initrd" },
	{ "append", "use --append" },
	{ "dtb", "x86 guests have no device tree" },
	{ "no-reboot", "the crash path needs QEMU's reboot handling as hvdump sets it" },
	{ "no-shutdown", "the crash path needs QEMU to exit on shutdown" },
	{ "action", "hvdump sets the panic and reboot actions" },
	{ "watchdog-action", "hvdump sets the panic and reboot actions" },
	{ "watchdog", "use --watchdog" },
	{ "daemonize", "hvdump supervises QEMU as its child" },
	{ "S", "hvdump starts QEMU paused itself" },
	{ "qmp", "hvdump owns the QMP monitor" },
	{ "qmp-pretty", "hvdump owns the QMP monitor" },
	{ "mon", "hvdump owns the QMP monitor" },
	{ "monitor", "hvdump owns the QMP monitor" },
	{ "serial", "the first serial port is the console hvdump watches" },
	{ "incoming", "migration would replace the memory hvdump preserves" },
	{ "loadvm", "a snapshot would replace the memory hvdump preserves" },
	{ "sandbox", "use --no-sandbox" },
	{ "runas", "use --qemu-user" },
	{ "chroot", "use --qemu-user" },
	{ "name", "use --name" },
	{ "readconfig", "a config file could add any of the options above" },
	{ "add-fd", "hvdump passes its own descriptors" },
};

/* -object/-device/-drive/-chardev values refused: a prefix of the value, and why. */
static const struct {
	const char *opt, *prefix, *why;
} refused_value[] = {
	{ "object", "memory-backend", "another memory backend would hold guest memory outside the "
				      "RAM file hvdump preserves" },
	{ "device", "pc-dimm", "hvdump plugs memory itself" },
	{ "device", "nvdimm", "hvdump plugs memory itself" },
	{ "device", "virtio-mem", "hvdump plugs memory itself" },
	{ "device", "virtio-pmem", "hvdump plugs memory itself" },
	{ "device", "pvpanic", "hvdump adds the panic device" },
	{ "device", "vmcoreinfo", "hvdump adds the vmcoreinfo device" },
	{ "device", "i6300esb", "use --watchdog (its expiry must reach hvdump as a crash)" },
	{ "device", "ib700", "use --watchdog (its expiry must reach hvdump as a crash)" },
	{ "drive", "if=pflash", "use --firmware" },
	{ "chardev", "id=qmp", "that chardev id is hvdump's" },
	{ "chardev", "id=console", "that chardev id is hvdump's" },
	{ "chardev", "id=hvsave", "that chardev id is hvdump's" },
	{ "netdev", "id=hvnet", "netdev ids hvnetN are hvdump's (--nic)" },
};

static bool value_has(const char *value, const char *prefix)
{
	size_t n = strlen(prefix);

	if (!strncmp(value, prefix, n))
		return true;
	/* KEY=VALUE forms: driver=, qom-type=, id= anywhere, if= anywhere */
	for (const char *p = strchr(value, ','); p; p = strchr(p + 1, ','))
		if (!strncmp(p + 1, prefix, n) ||
		    (!strncmp(p + 1, "driver=", 7) && !strncmp(p + 8, prefix, n)) ||
		    (!strncmp(p + 1, "qom-type=", 9) && !strncmp(p + 10, prefix, n)))
			return true;
	if ((!strncmp(value, "driver=", 7) && !strncmp(value + 7, prefix, n)) ||
	    (!strncmp(value, "qom-type=", 9) && !strncmp(value + 9, prefix, n)))
		return true;
	return false;
}

int qemu_extra_args_check(const char *const *args, size_t n, char *msg, size_t msglen)
{
	for (size_t i = 0; i < n; i++) {
		const char *a = args[i], *opt;
		if (a[0] != '-')
			continue;
		opt = a + (a[1] == '-' ? 2 : 1);
		for (size_t k = 0; k < sizeof(refused) / sizeof(refused[0]); k++)
			if (!strcmp(opt, refused[k].opt)) {
				snprintf(msg, msglen, "--qemu-arg %s: refused: %s", a, refused[k].why);
				return -EINVAL;
			}
		for (size_t k = 0; k < sizeof(refused_value) / sizeof(refused_value[0]); k++) {
			const char *v = i + 1 < n ? args[i + 1] : "";
			if (strcmp(opt, refused_value[k].opt) || !value_has(v, refused_value[k].prefix))
				continue;
			snprintf(msg, msglen, "--qemu-arg %s %s: refused: %s", a, v,
				 refused_value[k].why);
			return -EINVAL;
		}
		if (strchr(opt, '=')) {
			snprintf(msg, msglen, "--qemu-arg %s: give the option and its value as two "
				 "--qemu-arg words", a);
			return -EINVAL;
		}
	}
	return 0;
}
