// SPDX-License-Identifier: GPL-2.0-or-later
// KVM probe.  A /dev/kvm that opens is not proof: some paravirtual KVMs run firmware and the
// decompressor and then hang a stock kernel.  So the probe boots the real guest kernel, with
// no root file system, and succeeds only when that kernel gets as far as its root-mount panic.
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "qemu/accel.h"
#include "util/log.h"

#define PROBE_TIMEOUT_MS 6000
#define PROBE_SUCCESS "Kernel panic - not syncing"

const char *accel_cache_dir(void)
{
	static char dir[4096];
	const char *x = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");

	if (x && *x)
		snprintf(dir, sizeof(dir), "%s/hvdump", x);
	else if (home && *home)
		snprintf(dir, sizeof(dir), "%s/.cache/hvdump", home);
	else
		snprintf(dir, sizeof(dir), "/var/cache/hvdump");
	return dir;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The cache key: this host boot and this QEMU binary. */
static void cache_key(const char *qemu, char *key, size_t len)
{
	char boot[64] = "unknown";
	struct stat st = { 0 };
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
	char path[4096];

	if (f) {
		if (fgets(boot, sizeof(boot), f))
			boot[strcspn(boot, "\n")] = '\0';
		fclose(f);
	}
	/* resolve a bare name through PATH the same way execvp will */
	if (!strchr(qemu, '/')) {
		const char *p = getenv("PATH");
		char *dup = strdup(p ? p : "/usr/bin:/bin"), *save = NULL;
		for (char *d = dup ? strtok_r(dup, ":", &save) : NULL; d; d = strtok_r(NULL, ":", &save)) {
			snprintf(path, sizeof(path), "%s/%s", d, qemu);
			if (stat(path, &st) == 0)
				break;
			memset(&st, 0, sizeof(st));
		}
		free(dup);
	} else {
		stat(qemu, &st);
	}
	snprintf(key, len, "boot=%s qemu=%s ino=%llu mtime=%lld", boot, qemu,
		 (unsigned long long)st.st_ino, (long long)st.st_mtime);
}

static int cache_read(const char *dir, const char *key, struct accel_probe *out)
{
	char path[4200], line[600];
	FILE *f;
	int found = 0;

	snprintf(path, sizeof(path), "%s/kvm-probe", dir);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fgets(line, sizeof(line), f) && (line[strcspn(line, "\n")] = '\0', !strcmp(line, key)) &&
	    fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "kvm=1 ", 6) || !strncmp(line, "kvm=0 ", 6)) {
			out->kvm_ok = line[4] == '1';
			snprintf(out->reason, sizeof(out->reason), "%.250s", line + 6);
			out->cached = true;
			found = 1;
		}
	}
	fclose(f);
	return found;
}

static void cache_write(const char *dir, const char *key, const struct accel_probe *p)
{
	char path[4200], tmp[4300];
	FILE *f;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return;
	snprintf(path, sizeof(path), "%s/kvm-probe", dir);
	snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid());
	f = fopen(tmp, "we");
	if (!f)
		return;
	fprintf(f, "%s\nkvm=%d %s\n", key, p->kvm_ok ? 1 : 0, p->reason);
	if (fclose(f) == 0 && rename(tmp, path) == 0)
		return;
	unlink(tmp);
}

static int kvm_device_ok(char *why, size_t len)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC), api;

	if (fd < 0) {
		snprintf(why, len, "/dev/kvm: %s", strerror(errno));
		return 0;
	}
	api = ioctl(fd, KVM_GET_API_VERSION, 0);
	close(fd);
	if (api != KVM_API_VERSION) {
		snprintf(why, len, "/dev/kvm speaks API %d, not %d", api, KVM_API_VERSION);
		return 0;
	}
	return 1;
}

/* Boot KERNEL under KVM with no root and wait for its root-mount panic on the serial port. */
static int kvm_boot_ok(const char *qemu, const char *kernel, char *why, size_t len)
{
	int pipefd[2];
	pid_t pid;
	char out[65536];
	size_t got = 0;
	long long start = now_ms(), deadline = start + PROBE_TIMEOUT_MS;
	int status = 0, exited = 0, ok = 0;

	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		snprintf(why, len, "pipe: %s", strerror(errno));
		return 0;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(why, len, "fork: %s", strerror(errno));
		close(pipefd[0]);
		close(pipefd[1]);
		return 0;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);
		dup2(pipefd[1], STDOUT_FILENO);
		if (devnull >= 0) {
			dup2(devnull, STDIN_FILENO);
			dup2(devnull, STDERR_FILENO);
		}
		execlp(qemu, qemu, "-accel", "kvm", "-machine", "pc", "-cpu", "host", "-m", "256M",
		       "-nodefaults", "-no-user-config", "-display", "none", "-serial", "stdio",
		       "-no-reboot", "-kernel", kernel, "-append",
		       "console=ttyS0 panic=-1 loglevel=1 root=/dev/hvdump-probe-none", (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
	for (;;) {
		struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };
		long long left = deadline - now_ms();
		ssize_t n;

		if (left <= 0)
			break;
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
			break;
		n = read(pipefd[0], out + got, sizeof(out) - 1 - got);
		if (n > 0) {
			got += (size_t)n;
			out[got] = '\0';
			if (strstr(out, PROBE_SUCCESS)) {
				ok = 1;
				break;
			}
			if (got == sizeof(out) - 1)
				got = 0; /* only the tail matters */
			continue;
		}
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			break;
	}
	if (waitpid(pid, &status, WNOHANG) == pid) {
		exited = 1;
	} else {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	close(pipefd[0]);
	if (ok)
		snprintf(why, len, "KVM booted the guest kernel in %lld ms", now_ms() - start);
	else if (exited && WIFEXITED(status) && WEXITSTATUS(status) == 127)
		snprintf(why, len, "could not run %s", qemu);
	else if (exited)
		snprintf(why, len, "QEMU with KVM exited before the guest kernel got going");
	else
		snprintf(why, len,
			 "/dev/kvm is present but a test boot of the guest kernel made no progress "
			 "in %d s",
			 PROBE_TIMEOUT_MS / 1000);
	return ok;
}

void accel_probe_kvm(const char *qemu, const char *kernel, const char *cache_dir,
		     struct accel_probe *out)
{
	char key[512];

	memset(out, 0, sizeof(*out));
	if (!kvm_device_ok(out->reason, sizeof(out->reason)))
		return;
	cache_key(qemu, key, sizeof(key));
	if (cache_dir && cache_read(cache_dir, key, out))
		return;
	out->kvm_ok = kvm_boot_ok(qemu, kernel, out->reason, sizeof(out->reason));
	if (cache_dir)
		cache_write(cache_dir, key, out);
}
