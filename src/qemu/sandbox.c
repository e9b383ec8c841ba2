// SPDX-License-Identifier: GPL-2.0-or-later
// The sandbox probe.  Whether QEMU was built with seccomp, and whether this kernel lets it
// install its filter, is asked of QEMU itself rather than guessed from its version or
// package: the probe is the same option string the real QEMU gets.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "qemu/sandbox.h"
#include "util/clock.h"

#define PROBE_TIMEOUT_MS 10000
#define PROBE_QMP "{\"execute\":\"qmp_capabilities\"}\n{\"execute\":\"quit\"}\n"

/* Start QEMU with the sandbox, its stdin the QMP script (already in the pipe IN), stderr
 * into ERR.  The pid or -errno. */
static pid_t start_probe(const char *qemu, int in, int err)
{
	pid_t pid = fork();
	int devnull;

	if (pid != 0)
		return pid < 0 ? -errno : pid;
	devnull = open("/dev/null", O_WRONLY);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	dup2(in, STDIN_FILENO);
	if (devnull >= 0)
		dup2(devnull, STDOUT_FILENO);
	dup2(err, STDERR_FILENO);
	execlp(qemu, qemu, "-sandbox", QEMU_SANDBOX_OPTS, "-machine", "none", "-nodefaults",
	       "-no-user-config", "-display", "none", "-S", "-qmp", "stdio", (char *)NULL);
	_exit(127);
}

/* Read what QEMU says on ERR until it closes it or the deadline; keep the first line. */
static void read_complaint(int err, long long deadline, char *why, size_t whylen)
{
	char buf[1024];
	size_t got = 0;

	for (;;) {
		struct pollfd pfd = { .fd = err, .events = POLLIN };
		long long left = deadline - clock_ms();
		ssize_t n;

		if (left <= 0 || (poll(&pfd, 1, (int)left) < 0 && errno != EINTR))
			break;
		n = read(err, buf + got, sizeof(buf) - 1 - got);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;
		if (got + (size_t)n < sizeof(buf) - 1)
			got += (size_t)n;
	}
	buf[got] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (buf[0])
		snprintf(why, whylen, "%s", buf);
}

bool qemu_sandbox_probe(const char *qemu, char *why, size_t whylen)
{
	int in[2], err[2], status = 0;
	long long deadline = clock_ms() + PROBE_TIMEOUT_MS;
	bool exited = false;
	pid_t pid;

	snprintf(why, whylen, "QEMU did not say why");
	if (pipe2(in, O_CLOEXEC) < 0)
		goto no_pipe;
	if (pipe2(err, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		goto no_pipe;
	}
	/* the script is far below a pipe's capacity: written whole before QEMU starts */
	if (write(in[1], PROBE_QMP, strlen(PROBE_QMP)) != (ssize_t)strlen(PROBE_QMP))
		snprintf(why, whylen, "cannot write the probe's QMP script: %s", strerror(errno));
	close(in[1]);
	pid = start_probe(qemu, in[0], err[1]);
	close(in[0]);
	close(err[1]);
	if (pid < 0) {
		snprintf(why, whylen, "fork: %s", strerror((int)-pid));
		close(err[0]);
		return false;
	}
	fcntl(err[0], F_SETFL, O_NONBLOCK);
	read_complaint(err[0], deadline, why, whylen);
	close(err[0]);
	while (!exited && clock_ms() < deadline) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		exited = w == pid || (w < 0 && errno != EINTR);
		if (!exited)
			usleep(10000);
	}
	if (!exited) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		snprintf(why, whylen, "QEMU with -sandbox did not quit within %d s",
			 PROBE_TIMEOUT_MS / 1000);
		return false;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return true;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		snprintf(why, whylen, "could not run %s", qemu);
	else if (WIFSIGNALED(status))
		snprintf(why, whylen, "QEMU with -sandbox was killed by signal %d (%s)",
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
	return false;
no_pipe:
	snprintf(why, whylen, "pipe: %s", strerror(errno));
	return false;
}
