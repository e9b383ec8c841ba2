// SPDX-License-Identifier: GPL-2.0-or-later
// The supervisor: one boot after another (runloop.c runs each), and what each end means.  It
// owns the decision of what happens when the guest powers off, reboots, crashes or when QEMU
// dies, and it never discards the RAM file of a crashed guest on its own.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qemu/accel.h"
#include "qemu/sandbox.h"
#include "qemu/user.h"
#include "util/clock.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/size.h"
#include "vm/report.h"
#include "vm/supervisor.h"
#include "vm/vm.h"

static int setup_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

static void choose_accel(struct vm *vm)
{
	struct accel_probe p;
	int r;

	switch (vm->cfg->accel) {
	case ACCEL_TCG:
		vm->accel = "tcg";
		log_info("accelerator: TCG (requested with --accel tcg)");
		break;
	case ACCEL_KVM:
		vm->accel = "kvm";
		log_info("accelerator: KVM (requested with --accel kvm; not probed)");
		break;
	case ACCEL_AUTO:
		if (!vm->cfg->kernel) {
			/* the probe boots a kernel: without one hvdump cannot tell a KVM that runs
			 * a stock guest from one that does not (firmware alone runs on both) */
			vm->accel = "tcg";
			log_warn("accelerator: TCG (a disk boot gives no kernel to probe KVM with; "
				 "give --accel kvm when this host's KVM runs guests)");
			break;
		}
		accel_probe_kvm(vm->cfg->qemu, vm->cfg->kernel, accel_cache_dir(), &p);
		/* the probe ran as us; QEMU may run as a user without /dev/kvm */
		if (p.kvm_ok && vm->cfg->qemu_user &&
		    (r = qemu_user_can_open(vm->cfg->qemu_user, "/dev/kvm", O_RDWR)) < 0) {
			p.kvm_ok = false;
			snprintf(p.reason, sizeof(p.reason), "--qemu-user %s cannot open /dev/kvm: %s",
				 vm->cfg->qemu_user->name, strerror(-r));
		}
		vm->accel = p.kvm_ok ? "kvm" : "tcg";
		log_info("accelerator: %s (%s%s)", p.kvm_ok ? "KVM" : "TCG, software emulation",
			 p.reason, p.cached ? "; probed earlier this host boot" : "");
		break;
	}
	vm->cpu_model = vm->cfg->cpu_model ? vm->cfg->cpu_model
					    : (!strcmp(vm->accel, "kvm") ? "host" : "max");
}

/* QEMU's seccomp sandbox, asked of this QEMU once for the run: every QEMU of the run gets
 * the same. */
static void choose_sandbox(struct vm *vm)
{
	char why[256];

	vm->sandbox = false;
	if (!vm->cfg->sandbox) {
		log_warn("QEMU sandbox: off (--no-sandbox): a QEMU taken over by its guest may start "
			 "programs and change its user");
		return;
	}
	vm->sandbox = qemu_sandbox_probe(vm->cfg->qemu, why, sizeof(why));
	if (vm->sandbox)
		log_info("QEMU sandbox: on (seccomp; obsolete calls, set*id, fork/exec and "
			 "scheduler changes denied)");
	else
		log_warn("QEMU sandbox: off, this QEMU cannot run with -sandbox %s: %s",
			 QEMU_SANDBOX_OPTS, why);
}

/* Is hvdump's standard input meant for the guest's console: a terminal, or a pipe or FIFO
 * someone writes to (a script driving the guest)?  Not /dev/null or a file, as under a
 * service manager. */
static bool stdin_is_console(void)
{
	struct stat st;

	return isatty(STDIN_FILENO) || (fstat(STDIN_FILENO, &st) == 0 && S_ISFIFO(st.st_mode));
}

/* The next boot is an ordinary one: fresh zeroed RAM, nothing of the last boot due. */
static void production_boot(struct vm *vm)
{
	memback_reset(&vm->mb);
	vm->stale.n = 0;
	boot_production(&vm->boot, vm->cfg);
}

/* Keep the RAM file holding unsaved crashes under a name of its own.  0 or -errno (then the
 * run directory must be kept as it is). */
static int keep_unsaved(struct vm *vm)
{
	unsigned n;
	uint64_t held = crashes_unsaved_bytes(&vm->crashes, &n);
	int r;

	if (!vm->crashes.n)
		return 0;
	r = crash_keep_ram_file(&vm->rd, &vm->crashes, &vm->mb.dimms, vm->ncrash);
	if (r < 0)
		return r;
	vm->nkept++;
	report_kept(vm->cfg, n, held);
	crashes_clear(&vm->crashes);
	return 0;
}

/* After END_CAPTURE: lay out the capture boot, or say why not.  Returns the end to stop with,
 * or END_NONE to boot the capture.  LOOP counts capture guests that crashed before they were
 * in service; START_MS is when the boot that crashed started. */
static enum boot_end next_capture(struct vm *vm, unsigned *loop, long long start_ms)
{
	struct crash_ctx x = { .cfg = vm->cfg, .rd = &vm->rd, .s = &vm->s, .boot = &vm->boot,
			       .dimms = &vm->mb.dimms, .c = &vm->crash };
	bool unserved = vm->boot.capture && (vm->mb.probe.state != PROBE_UP ||
					     clock_ms() - start_ms < CRASH_LOOP_WINDOW_MS);
	struct capture_next next;

	*loop = unserved ? *loop + 1 : 0;
	crash_run_hook(&x);
	if (crash_prepare_capture(&x, &vm->crashes, &vm->stale, &vm->ck, &next) < 0) {
		log_err("the crashed guest's RAM is kept in %s", vm->rd.ram);
		return END_CRASH_KEPT;
	}
	if (!crashes_add(&vm->crashes, vm->crash.dir, vm->crash.number, next.hdr_off, next.segs,
			 next.nsegs)) {
		log_err("out of memory keeping the crash's segments; its RAM is kept in %s",
			vm->rd.ram);
		capkernel_clear(&next.ck);
		return END_CRASH_KEPT;
	}
	capkernel_clear(&vm->ck);
	vm->ck = next.ck; /* the capture boot's strings live here */
	boot_capture(&vm->boot, &next.next, next.hdr_gpa, vm->ck.boot_region, vm->ck.kernel,
		     vm->ck.initrd[0] ? vm->ck.initrd : NULL, vm->ck.cmdline);
	memback_enter_capture(&vm->mb, vm->ck.boot_region);
	if (*loop < CRASH_LOOP_MAX)
		return END_NONE;
	log_err("crash loop: %u capture guests in a row crashed before they were in service; not "
		"booting another. The %u unsaved crash(es) are kept: `hvdump save --from CRASH-DIR` "
		"writes their dumps", *loop, vm->crashes.n);
	return keep_unsaved(vm) < 0 ? END_CRASH_KEPT : END_CRASH_LOOP;
}

/* Boot until the VM is done; how it ended. */
static enum boot_end run_boots(struct vm *vm)
{
	unsigned quick_resets = 0, loop = 0;

	for (;;) {
		long long start_ms = clock_ms();
		enum boot_end end = vm_boot_once(vm);

		if (vm->stop_requested && end == END_CAPTURE) {
			log_info("stop requested during the crash: keeping the crashed RAM instead of "
				 "booting the capture kernel");
			return END_CRASH_KEPT;
		}
		if (vm->stop_requested && (end == END_DUMPED || end == END_RESET)) {
			log_info("stop requested: not booting the guest again");
			if (end == END_RESET && keep_unsaved(vm) < 0)
				log_err("the RAM file with unsaved crashes stays %s", vm->rd.ram);
			return END_STOPPED;
		}
		if (end == END_CAPTURE) {
			end = next_capture(vm, &loop, start_ms);
			if (end != END_NONE)
				return end;
			continue;
		}
		if (end == END_DUMPED) {
			production_boot(vm);
			continue;
		}
		if (end != END_RESET)
			return end;
		/* a capture guest that rebooted before its dumps were saved keeps them */
		if (keep_unsaved(vm) < 0)
			return END_CRASH_KEPT;
		production_boot(vm);
		quick_resets = clock_ms() - start_ms < 5000 ? quick_resets + 1 : 0;
		if (quick_resets >= 5) {
			log_err("guest rebooted %u times within seconds of starting; giving up",
				quick_resets);
			return END_STOPPED;
		}
		log_info("starting a fresh QEMU for the rebooted guest");
	}
}

static int exit_code(enum boot_end end)
{
	switch (end) {
	case END_POWEROFF:
		return VM_EXIT_POWEROFF;
	case END_STOPPED:
		return VM_EXIT_STOPPED;
	case END_QEMU_FAILED:
	case END_QEMU_DIED:
		return VM_EXIT_QEMU;
	case END_CRASH_DROPPED:
	case END_CRASH_KEPT:
		return VM_EXIT_CRASHED;
	case END_CRASH_LOOP:
		return VM_EXIT_CRASH_LOOP;
	case END_NONE:
	case END_RESET:
	case END_CAPTURE:
	case END_DUMPED:
		break;
	}
	return VM_EXIT_ERROR;
}

/* Claim the run directory, open the log and the control socket.  0, or an exit code. */
static int vm_open(struct vm *vm)
{
	char msg[1024], run_dir[4096], logpath[4200];
	int r;

	if (vm->cfg->run_dir)
		snprintf(run_dir, sizeof(run_dir), "%s", vm->cfg->run_dir);
	else
		snprintf(run_dir, sizeof(run_dir), "%s/%s", rundir_default_base(), vm->cfg->name);
	msg[0] = '\0';
	r = path_check_private(vm->cfg->dump_dir ? vm->cfg->dump_dir : vm_default_dump_dir(), msg,
			       sizeof(msg));
	if (r < 0) {
		log_err("dump directory: %s", msg[0] ? msg : strerror(-r));
		return VM_EXIT_USAGE;
	}
	r = rundir_open(&vm->rd, run_dir, msg, sizeof(msg));
	if (r < 0) {
		log_err("%s", msg);
		return r == -EBUSY || r == -EEXIST || r == -EPERM || r == -ENOTDIR ? VM_EXIT_USAGE
										     : VM_EXIT_ERROR;
	}
	if (vm->cfg->log_file)
		snprintf(logpath, sizeof(logpath), "%s", vm->cfg->log_file);
	else
		snprintf(logpath, sizeof(logpath), "%s.log", run_dir);
	r = log_open_file(logpath);
	if (r < 0)
		log_warn("cannot open log file %s: %s", logpath, strerror(-r));
	else
		log_info("log file: %s", logpath);
	vm->control_fd = unix_listen(vm->rd.control);
	if (vm->control_fd < 0)
		log_warn("no control socket (%s): `hvdump save` cannot reach this VM",
			 strerror(-vm->control_fd));
	else
		fcntl(vm->control_fd, F_SETFL, O_NONBLOCK);
	memback_init(&vm->mb, vm->rd.path, vm->cfg->memory, vm->cfg->boot_region,
		     vm->cfg->hotplug_delay_s);
	vm->mb.dimms.owner = vm->cfg->qemu_user;
	vm->gm = (struct guest_mem){ .ram_path = vm->rd.ram, .ram_fd = -1, .cur = &vm->boot.cur,
				     .dimms = &vm->mb.dimms };
	guestsave_init(&vm->gs);
	return 0;
}

/* The run is over with END: keep what holds unsaved crashes, clean up the rest.  The exit
 * code. */
static int vm_close(struct vm *vm, enum boot_end end)
{
	int code = exit_code(end);

	if ((end == END_POWEROFF || end == END_STOPPED || end == END_QEMU_DIED ||
	     end == END_QEMU_FAILED) && keep_unsaved(vm) < 0)
		end = END_CRASH_KEPT, code = VM_EXIT_CRASHED;
	/* 4 says crashed memory is kept unsaved (a service must not be restarted over it): a
	 * crash whose dump is saved and whose memory is back does not change how the run ends */
	if ((end == END_CRASH_KEPT || vm->nkept) && code != VM_EXIT_CRASH_LOOP)
		code = VM_EXIT_CRASHED;
	if (end == END_CRASH_KEPT) {
		/* the live RAM file holds the crash */
		vm_write_state(vm, VM_CRASHED, true);
		log_info("crashed guest's RAM kept in %s (state in %s)", vm->rd.ram, vm->rd.state);
		rundir_release(&vm->rd);
	} else if (vm->nkept) {
		capkernel_remove_files(&vm->ck);
		vm_write_state(vm, VM_STOPPED_UNSAVED, true);
		log_info("run directory %s keeps %u RAM file(s) with unsaved crash dumps", vm->rd.path,
			 vm->nkept);
		unlink(vm->rd.qmp);
		unlink(vm->rd.console_in);
		unlink(vm->rd.console_out);
		rundir_release(&vm->rd);
	} else {
		memback_reset(&vm->mb);
		capkernel_remove_files(&vm->ck);
		rundir_remove(&vm->rd);
	}
	return code;
}

int vm_run(const struct vm_config *cfg)
{
	static struct vm vm; /* large (DIMMs, ranges, crash list): not on the stack */
	char sz[32];
	int code, r;

	memset(&vm, 0, sizeof(vm));
	vm.cfg = cfg;
	vm.control_fd = -1;
	vm.sig_fd = setup_signals();
	if (vm.sig_fd < 0) {
		log_err("cannot set up signal handling: %s", strerror(-vm.sig_fd));
		return VM_EXIT_ERROR;
	}
	code = vm_open(&vm);
	if (code) {
		close(vm.sig_fd);
		return code;
	}
	r = boot_read_files(&vm.boot, cfg);
	if (r < 0) {
		log_err("cannot read the kernel or initrd: %s", strerror(-r));
		code = VM_EXIT_ERROR;
		memback_reset(&vm.mb);
		rundir_remove(&vm.rd);
	} else {
		choose_accel(&vm);
		choose_sandbox(&vm);
		if (cfg->qemu_user)
			log_info("QEMU runs as user %s (uid %u, gid %u); its RAM and DIMM files are "
				 "given to it", cfg->qemu_user->name, (unsigned)cfg->qemu_user->uid,
				 (unsigned)cfg->qemu_user->gid);
		vm.stdin_open = stdin_is_console(); /* --no-console is about output */
		log_info("VM '%s': %u vCPU, %s RAM, run directory %s, on crash: %s", cfg->name,
			 cfg->cpus, size_human(cfg->memory, sz, sizeof(sz)), vm.rd.path,
			 on_crash_name(cfg->on_crash));
		report_start(cfg);
		production_boot(&vm);
		code = vm_close(&vm, run_boots(&vm));
	}
	if (vm.control_fd >= 0) {
		close(vm.control_fd);
		unlink(vm.rd.control);
	}
	close(vm.sig_fd);
	capkernel_clear(&vm.ck);
	log_close_file();
	return code;
}
