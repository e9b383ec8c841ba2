// SPDX-License-Identifier: GPL-2.0-or-later
// The guest's serial console and QEMU's stderr: relayed to the operator, written to the log a
// line at a time with host timestamps, and watched for a kernel panic pvpanic did not report.
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "util/fsutil.h"
#include "util/log.h"
#include "util/size.h"
#include "vm/vm_internal.h"

#define PANIC_TEXT "Kernel panic - not syncing: "

static void console_line(struct vm *vm, const char *s, size_t n)
{
	char ts[40];
	const char *p;

	while (n && (s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	log_timestamp(ts, sizeof(ts));
	{
		char hdr[64];
		int h = snprintf(hdr, sizeof(hdr), "%s console: ", ts);
		log_raw_file(hdr, (size_t)h);
		log_raw_file(s, n);
		log_raw_file("\n", 1);
	}
	p = memmem(s, n, PANIC_TEXT, strlen(PANIC_TEXT));
	if (p && !vm->console_panic_ms && !vm->crashed) {
		size_t off = (size_t)(p - s) + strlen(PANIC_TEXT), len = n - off;
		if (len >= sizeof(vm->panic_text))
			len = sizeof(vm->panic_text) - 1;
		memcpy(vm->panic_text, s + off, len);
		vm->panic_text[len] = '\0';
		vm->console_panic_ms = clock_ms();
	}
	/* A boot region too small for the initramfs: the kernel says so only here, and the
	 * capture guest then comes up without half its files.  Said once per boot. */
	if (vm->capture && !vm->unpack_warned &&
	    memmem(s, n, "Initramfs unpacking failed", strlen("Initramfs unpacking failed"))) {
		char sz[32];
		vm->unpack_warned = true;
		log_err("the capture kernel could not unpack its initramfs in the %s boot region: "
			"its guest may lack files; give it more with --boot-region",
			size_format(vm->cfg->boot_region, sz, sizeof(sz)));
	}
}

void vm_console_input(struct vm *vm)
{
	char buf[8192];

	for (;;) {
		ssize_t n = read(vm->console_fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0 || errno != EAGAIN) {
				close(vm->console_fd);
				vm->console_fd = -1;
			}
			break;
		}
		if (vm->cfg->console && write_full(STDOUT_FILENO, buf, (size_t)n) < 0)
			log_debug("console relay to stdout failed: %s", strerror(errno));
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n' || vm->line_len == sizeof(vm->line)) {
				console_line(vm, vm->line, vm->line_len);
				vm->line_len = 0;
				if (buf[i] == '\n')
					continue;
			}
			vm->line[vm->line_len++] = buf[i];
		}
	}
}

void vm_qemu_stderr_input(struct vm *vm)
{
	for (;;) {
		ssize_t n = read(vm->proc.stderr_fd, vm->errbuf + vm->err_len,
				 sizeof(vm->errbuf) - 1 - vm->err_len);
		char *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0 || errno != EAGAIN) {
				close(vm->proc.stderr_fd);
				vm->proc.stderr_fd = -1;
				if (vm->err_len) {
					vm->errbuf[vm->err_len] = '\0';
					log_warn("qemu: %s", vm->errbuf);
					snprintf(vm->err_last, sizeof(vm->err_last), "%s", vm->errbuf);
					vm->err_len = 0;
				}
			}
			return;
		}
		vm->err_len += (size_t)n;
		vm->errbuf[vm->err_len] = '\0';
		while ((nl = strchr(vm->errbuf, '\n')) != NULL) {
			*nl = '\0';
			if (*vm->errbuf) {
				log_warn("qemu: %s", vm->errbuf);
				snprintf(vm->err_last, sizeof(vm->err_last), "%s", vm->errbuf);
			}
			vm->err_len -= (size_t)(nl + 1 - vm->errbuf);
			memmove(vm->errbuf, nl + 1, vm->err_len + 1);
		}
		if (vm->err_len == sizeof(vm->errbuf) - 1) {
			log_warn("qemu: %s", vm->errbuf);
			vm->err_len = 0;
		}
	}
}

void vm_console_flush(struct vm *vm)
{
	if (vm->line_len) {
		console_line(vm, vm->line, vm->line_len);
		vm->line_len = 0;
	}
}
