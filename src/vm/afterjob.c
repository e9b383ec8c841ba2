// SPDX-License-Identifier: GPL-2.0-or-later
// The work after a save outcome (vm/afterjob.h).  It runs in a grandchild of the supervisor
// (the child in between ends at once, so the supervisor reaps it and never waits for the
// work): a fresh signal mask, no descriptor of the supervisor's but the log, stdin from
// /dev/null.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/log.h"
#include "util/systemd.h"
#include "vm/afterjob.h"
#include "vm/offhost_copy.h"
#include "vm/record.h"
#include "vm/journal.h"
#include "vm/vacuum.h"

#define HOOK_GRACE_MS 5000     /* after SIGTERM, a hook's processes get this long */
#define POLL_MS 100

/* A fresh process for the work: default signals, only the log kept open. */
static void detach(void)
{
	sigset_t none;
	int logfd = log_file_fd(), devnull;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	if (logfd > 3)
		close_range(3, (unsigned)logfd - 1, 0);
	close_range(logfd >= 3 ? (unsigned)logfd + 1 : 3, ~0u, 0);
	devnull = open("/dev/null", O_RDONLY);
	if (devnull >= 0 && devnull != STDIN_FILENO) {
		dup2(devnull, STDIN_FILENO);
		close(devnull);
	}
}

/* Wait for PID until DEADLINE_MS (clock_ms()); its status into *STATUS.  true: it ended. */
static bool wait_until(pid_t pid, long long deadline_ms, int *status)
{
	struct timespec poll = { 0, POLL_MS * 1000000L };

	for (;;) {
		pid_t w = waitpid(pid, status, WNOHANG);
		if (w == pid || (w < 0 && errno != EINTR))
			return true;
		if (clock_ms() >= deadline_ms)
			return false;
		nanosleep(&poll, NULL);
	}
}

static void hook_env(const char *event, const struct vm_config *c, const char *dir)
{
	struct crash_record rec;
	char why[256], path[4200];

	setenv("HVDUMP_EVENT", event, 1);
	setenv("HVDUMP_VM", c->name, 1);
	setenv("HVDUMP_CRASH_DIR", dir, 1);
	snprintf(path, sizeof(path), "%s/crash.json", dir);
	setenv("HVDUMP_RECORD", path, 1);
	if (record_read(dir, &rec, why, sizeof(why)) == 0) {
		setenv("HVDUMP_STATE", crash_state_name(rec.state), 1);
		if (rec.dump_file)
			setenv("HVDUMP_DUMP_FILE", rec.dump_file, 1);
	}
	record_free(&rec);
}

int afterjob_hook(const char *name, const char *cmd, const char *event, const struct vm_config *c,
		  const char *dir, unsigned timeout_s)
{
	long long t0 = clock_ms();
	int status = 0;
	pid_t pid = fork();

	if (pid < 0) {
		log_warn("%s hook not run: %s", name, strerror(errno));
		return -1;
	}
	if (pid == 0) {
		setpgid(0, 0);
		hook_env(event, c, dir);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);
	log_info("%s hook started for %s (pid %d)", name, dir, (int)pid);
	if (!wait_until(pid, t0 + (long long)timeout_s * 1000, &status)) {
		log_warn("%s hook still running after %u s: stopping it (SIGTERM, then SIGKILL)",
			 name, timeout_s);
		kill(-pid, SIGTERM);
		if (!wait_until(pid, clock_ms() + HOOK_GRACE_MS, &status)) {
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
		}
		return -1;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		log_info("%s hook done in %.1f s", name, (double)(clock_ms() - t0) / 1000.0);
		return 0;
	}
	if (WIFEXITED(status))
		log_warn("%s hook failed: exit status %d%s", name, WEXITSTATUS(status),
			 WEXITSTATUS(status) == 127 ? " (command not found?)" : "");
	else
		log_warn("%s hook killed by signal %d", name, WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	return -1;
}

/* Copy the saved crash in DIR to --dump-target, and say how it went (log, journal). */
static void copy_off_host(const struct vm_config *c, const char *dir)
{
	const struct vm_report *r = &c->report;
	struct offhost_opts o = { .identity = r->dump_target_identity };
	struct dump_target t;
	char why[1024], msg[1400];
	int e;

	if (dump_target_parse(r->dump_target, &t, why, sizeof(why)) < 0) {
		log_err("--dump-target %s: %s", r->dump_target, why); /* checked at start */
		return;
	}
	for (size_t i = 0; i < r->ndump_target_opts && i < OFFHOST_MAX_OPTIONS; i++)
		o.options[o.noptions++] = r->dump_target_opts[i];
	e = offhost_copy(dir, &t, &o, r->dump_target_drop_local, why, sizeof(why));
	if (e == -EINVAL) {
		log_warn("%s is not copied to %s: %s", dir, r->dump_target, why);
		return;
	}
	if (e < 0) {
		log_err("copying %s to %s failed: %s; the local dump stays (`hvdump copy %s` "
			"retries)", dir, r->dump_target, why, dir);
		snprintf(msg, sizeof(msg), "VM %s: copying the dump in %s to %s failed: %s", c->name,
			 dir, r->dump_target, why);
	} else {
		snprintf(msg, sizeof(msg), "VM %s: the dump in %s is copied to %s and checked%s",
			 c->name, dir, r->dump_target,
			 r->dump_target_drop_local ? "; the local dump is dropped" : "");
	}
	journal_entry(c, REPORT_MSGID_COPY, e < 0 ? SYS_PRIO_ERR : SYS_PRIO_INFO,
		      e < 0 ? "copy-failed" : "copied", dir, msg, NULL);
}

/* In the grandchild: the work, in order. */
static void work(const struct vm_config *c, const char *dir, bool saved)
{
	const struct vm_report *r = &c->report;

	if (saved && r->dump_target)
		copy_off_host(c, dir);
	if (saved && r->on_saved)
		afterjob_hook("on-saved", r->on_saved, "saved", c, dir, r->hook_timeout_s);
	if (!saved && r->on_save_failed)
		afterjob_hook("on-save-failed", r->on_save_failed, "save-failed", c, dir,
			      r->hook_timeout_s);
	if (saved && vacuum_limited(&r->vacuum))
		vacuum_run(c->dump_dir ? c->dump_dir : vm_default_dump_dir(), &r->vacuum, NULL);
}

void afterjob_start(const struct vm_config *c, const char *dir, bool saved)
{
	const struct vm_report *r = &c->report;
	int status;
	pid_t mid;

	if (!(saved ? r->on_saved || r->dump_target || vacuum_limited(&r->vacuum)
		    : r->on_save_failed != NULL))
		return;
	mid = fork();
	if (mid < 0) {
		log_warn("the work after the save of %s is not done: %s", dir, strerror(errno));
		return;
	}
	if (mid == 0) {
		pid_t job = fork();
		if (job == 0) {
			detach();
			work(c, dir, saved);
			_exit(0);
		}
		_exit(job < 0 ? 1 : 0);
	}
	while (waitpid(mid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		log_warn("the work after the save of %s is not done: cannot start its process", dir);
}
