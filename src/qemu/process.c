// SPDX-License-Identifier: GPL-2.0-or-later
// QEMU process start-up.  Errors after fork() are reported through a close-on-exec pipe so a
// missing binary is a clear message, not a mysterious exit status.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "qemu/process.h"
#include "util/log.h"

int qemu_spawn(const struct argv *argv, const int *keep_fds, int nkeep,
	       const struct qemu_user *user, struct qemu_proc *out)
{
	/* what the child reports before it would have run QEMU: {stage, errno} */
	int errpipe[2], execpipe[2], child_err[2] = { 0, 0 };
	pid_t pid;
	ssize_t n;

	if (pipe2(errpipe, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(execpipe, O_CLOEXEC) < 0) {
		int r = -errno;
		close(errpipe[0]);
		close(errpipe[1]);
		return r;
	}
	pid = fork();
	if (pid < 0) {
		int r = -errno;
		close(errpipe[0]);
		close(errpipe[1]);
		close(execpipe[0]);
		close(execpipe[1]);
		return r;
	}
	if (pid == 0) {
		sigset_t all;
		int devnull = open("/dev/null", O_RDWR);

		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		signal(SIGPIPE, SIG_DFL);
		setpgid(0, 0);
		if (user && (child_err[1] = -qemu_user_enter(user))) {
			child_err[0] = 1;
			if (write(execpipe[1], child_err, sizeof(child_err)) < 0)
				_exit(125);
			_exit(126);
		}
		/* after the user change: changing the effective user ID clears it */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (devnull >= 0) {
			dup2(devnull, STDIN_FILENO);
			dup2(devnull, STDOUT_FILENO);
		}
		dup2(errpipe[1], STDERR_FILENO);
		for (int i = 0; i < nkeep; i++) {
			int fl = fcntl(keep_fds[i], F_GETFD);
			if (fl >= 0)
				fcntl(keep_fds[i], F_SETFD, fl & ~FD_CLOEXEC);
		}
		execvp(argv->v[0], argv->v);
		child_err[1] = errno;
		if (write(execpipe[1], child_err, sizeof(child_err)) < 0)
			_exit(126);
		_exit(127);
	}
	close(errpipe[1]);
	close(execpipe[1]);
	do {
		n = read(execpipe[0], child_err, sizeof(child_err));
	} while (n < 0 && errno == EINTR);
	close(execpipe[0]);
	if (n == (ssize_t)sizeof(child_err)) {
		waitpid(pid, NULL, 0);
		close(errpipe[0]);
		if (child_err[0] == 1)
			log_err("cannot become user %s (uid %u) to run QEMU: %s", user->name,
				(unsigned)user->uid, strerror(child_err[1]));
		return -child_err[1];
	}
	fcntl(errpipe[0], F_SETFL, O_NONBLOCK);
	out->pid = pid;
	out->stderr_fd = errpipe[0];
	return 0;
}

const char *qemu_status_text(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "was killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "stopped (status 0x%x)", status);
	return buf;
}
