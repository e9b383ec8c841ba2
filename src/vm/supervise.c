// SPDX-License-Identifier: GPL-2.0-or-later
// The supervisor: one event loop per QEMU process.  It owns the decision of what happens when
// the guest powers off, reboots, crashes or when QEMU dies, and it never discards the RAM file
// of a crashed guest on its own.
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "qemu/accel.h"
#include "qemu/cmdline.h"
#include "qemu/process.h"
#include "qemu/qmp.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/size.h"
#include "vm/rundir.h"
#include "vm/vm.h"
#include "vm/vm_internal.h"
#include "vm/control.h"
#include "dump/release.h"

#define QMP_START_TIMEOUT_MS 15000
#define QMP_CMD_TIMEOUT_MS 5000
#define CONSOLE_PANIC_GRACE_MS 2000

/* ---- state record ------------------------------------------------------------------------ */

void vm_write_state(struct vm *vm, const char *state)
{
	char ts[40];
	json_t *j;
	char *text;
	int r;

	log_timestamp(ts, sizeof(ts));
	j = json_pack("{s:s, s:s, s:b, s:i, s:i, s:s, s:s, s:I, s:I, s:I, s:i, s:s, s:i, s:b}",
		      "name", vm->cfg->name, "state", state, "preserved", vm->npreserved > 0,
		      "hvdump_pid", (int)getpid(), "qemu_pid",
		      vm->qemu_running ? (int)vm->proc.pid : 0, "accel", vm->accel, "ram_file",
		      vm->rd.ram, "memory_bytes", (json_int_t)vm->cfg->memory, "ram_file_bytes",
		      (json_int_t)vm->cur.ram_size, "lowmem_bytes", (json_int_t)vm->cur.lowmem,
		      "cpus", (int)vm->cfg->cpus, "updated", ts, "boot", (int)vm->boot, "capture",
		      vm->capture);
	if (!j)
		return;
	if (vm->crashed) {
		json_object_set_new(j, "crash_time", json_string(vm->crash_time));
		if (vm->panic_text[0])
			json_object_set_new(j, "panic", json_string(vm->panic_text));
	}
	if (vm->npreserved) {
		json_t *a = json_array();
		for (unsigned i = 0; i < vm->npreserved; i++)
			json_array_append_new(a, json_string(vm->preserved[i].dir));
		json_object_set_new(j, "preserved_crashes", a);
	}
	text = json_dumps(j, JSON_INDENT(2));
	json_decref(j);
	if (!text)
		return;
	r = rundir_write_state(&vm->rd, text);
	if (r < 0)
		log_warn("cannot write %s: %s", vm->rd.state, strerror(-r));
	free(text);
}

/* ---- QMP ---------------------------------------------------------------------------------- */

static void qmp_simple(struct vm *vm, const char *cmd)
{
	char *err = NULL;
	int r;

	if (!vm->qmp)
		return;
	r = qmp_command(vm->qmp, cmd, NULL, QMP_CMD_TIMEOUT_MS, NULL, &err);
	if (r < 0 && r != -EPIPE)
		log_warn("QMP %s failed: %s", cmd, err ? err : strerror(-r));
	free(err);
}

void vm_request_quit(struct vm *vm)
{
	if (vm->quit_sent || !vm->qemu_running)
		return;
	vm->quit_sent = true;
	qmp_simple(vm, "quit");
	if (!vm->qmp && vm->qemu_running)
		kill(vm->proc.pid, SIGTERM);
}

static void event_time(json_t *ev, char *buf, size_t len)
{
	json_t *t = json_object_get(ev, "timestamp");
	json_int_t sec = json_integer_value(json_object_get(t, "seconds"));
	json_int_t usec = json_integer_value(json_object_get(t, "microseconds"));
	struct tm tm;
	time_t s = (time_t)sec;

	if (sec <= 0 || usec < 0 || usec > 999999 || !gmtime_r(&s, &tm)) {
		log_timestamp(buf, len);
		return;
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(usec / 1000));
}

static void handle_event(struct vm *vm, json_t *ev)
{
	const char *name = json_string_value(json_object_get(ev, "event"));
	json_t *data = json_object_get(ev, "data");
	char when[40];

	if (!name)
		return;
	log_debug("qmp event %s", name);
	if (!strcmp(name, "ACPI_DEVICE_OST")) {
		json_t *info = json_object_get(data, "info");
		json_int_t st = json_integer_value(json_object_get(info, "status"));
		json_int_t src = json_integer_value(json_object_get(info, "source"));
		const char *dev = json_string_value(json_object_get(info, "device"));
		if (src == 3 /* eject request */ && st != 0 && st != 0x84 /* in progress */)
			log_warn("the guest refuses to eject %s (ACPI status %lld): its slot stays taken",
				 dev ? dev : "a device", (long long)st);
		else if (src != 3 && st != 0)
			log_warn("the guest reports ACPI status %lld for %s: it may not use that memory",
				 (long long)st, dev ? dev : "a device");
		else
			log_debug("guest reports ACPI status %lld for %s", (long long)st,
				  dev ? dev : "a device");
	}
	if (!strcmp(name, "DEVICE_DELETED")) {
		dimms_deleted(vm, json_string_value(json_object_get(data, "device")));
	} else if (!strcmp(name, "GUEST_PANICKED")) {
		event_time(ev, when, sizeof(when));
		crash_handle(vm, when, "pvpanic");
	} else if (!strcmp(name, "SHUTDOWN")) {
		const char *reason = json_string_value(json_object_get(data, "reason"));
		reason = reason ? reason : "unknown";
		log_debug("QEMU shutting down: %s", reason);
		if (vm->end != END_NONE)
			return;
		if (!strcmp(reason, "guest-shutdown")) {
			log_info("guest powered off");
			vm->end = END_POWEROFF;
		} else if (!strcmp(reason, "guest-reset")) {
			log_info("guest rebooted");
			vm->end = END_RESET;
		} else if (!strcmp(reason, "host-qmp-quit") && vm->crashed) {
			vm->end = END_CRASH_KEPT;
		} else if (!strcmp(reason, "host-qmp-quit") || !strcmp(reason, "host-signal")) {
			vm->end = vm->crashed ? END_CRASH_KEPT : END_STOPPED;
		}
	}
}

static void qmp_input(struct vm *vm)
{
	json_t *ev;
	int r = qmp_pump(vm->qmp);

	while ((ev = qmp_next_event(vm->qmp)) != NULL) {
		handle_event(vm, ev);
		json_decref(ev);
	}
	if (r == -EPIPE || (r < 0 && r != -EPROTO)) {
		qmp_close(vm->qmp);
		vm->qmp = NULL;
	}
}

/* ---- signals ------------------------------------------------------------------------------ */

static void reap(struct vm *vm)
{
	int status;

	if (!vm->qemu_running)
		return;
	if (waitpid(vm->proc.pid, &status, WNOHANG) == vm->proc.pid) {
		vm->qemu_running = false;
		vm->qemu_status = status;
	}
}

static void signal_input(struct vm *vm)
{
	struct signalfd_siginfo si;

	while (read(vm->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGCHLD) {
			reap(vm);
			continue;
		}
		vm->stop_requested = true;
		if (vm->crashed) {
			log_info("%s: ending the paused QEMU, keeping the crashed guest's RAM",
				 strsignal((int)si.ssi_signo));
			if (vm->end == END_NONE)
				vm->end = END_CRASH_KEPT;
			vm_request_quit(vm);
			continue;
		}
		if (!vm->powerdown_sent && vm->qmp) {
			log_info("%s: asking the guest to power off (ACPI), up to %u s",
				 strsignal((int)si.ssi_signo), vm->cfg->shutdown_timeout_s);
			vm->powerdown_sent = true;
			vm->stop_deadline = clock_ms() + (long long)vm->cfg->shutdown_timeout_s * 1000;
			qmp_simple(vm, "system_powerdown");
		} else {
			log_info("%s again: stopping QEMU now", strsignal((int)si.ssi_signo));
			if (vm->end == END_NONE)
				vm->end = END_STOPPED;
			vm_request_quit(vm);
		}
	}
}

/* ---- one QEMU process --------------------------------------------------------------------- */

#define CONSOLE_PIPE_BYTES (1 << 20)

static void console_close(struct vm *vm)
{
	if (vm->console_fd >= 0)
		close(vm->console_fd);
	if (vm->console_in_fd >= 0)
		close(vm->console_in_fd);
	vm->console_fd = vm->console_in_fd = -1;
}

/* The console FIFOs QEMU's pipe chardev opens (RUN-DIR/console.in and .out), made afresh, our
 * ends open: 0 or -errno. */
static int console_fifos(struct vm *vm)
{
	const char *path[2] = { vm->rd.console_in, vm->rd.console_out };

	for (int i = 0; i < 2; i++) {
		if (unlink(path[i]) < 0 && errno != ENOENT)
			return -errno;
		if (mkfifo(path[i], 0600) < 0)
			return -errno;
	}
	/* O_RDWR on the input: it never blocks, and QEMU's open never waits for us */
	vm->console_in_fd = open(vm->rd.console_in, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	vm->console_fd = open(vm->rd.console_out, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	if (vm->console_in_fd < 0 || vm->console_fd < 0) {
		int e = -errno;
		console_close(vm);
		return e;
	}
	/* as much as an unprivileged process may ask for; the default 64 KiB if not */
	if (fcntl(vm->console_fd, F_SETPIPE_SZ, CONSOLE_PIPE_BYTES) < 0)
		log_debug("console pipe stays at its default size: %s", strerror(errno));
	return 0;
}

/* DIMM slots for a capture QEMU: one per memory block to give back, the DIMMs it re-attaches,
 * and a few spare, at most RELEASE_SLOTS.  No more than that: the guest's firmware tables
 * describe every slot and its kernel walks them all while it boots, which took about 0.4 s
 * of a TCG boot with 256 slots. */
static unsigned capture_slots(const struct vm *vm)
{
	uint64_t n = (vm->release_target + RELEASE_DIMM_ALIGN - 1) / RELEASE_DIMM_ALIGN +
		     vm->ndimm + 8;

	return n < RELEASE_SLOTS ? (unsigned)n : RELEASE_SLOTS;
}

static int start_qemu(struct vm *vm)
{
	struct qemu_boot b = {
		.qemu = vm->cfg->qemu,
		.name = vm->cfg->name,
		.cpus = vm->cfg->cpus,
		.kernel = vm->cfg->kernel,
		.initrd = vm->cfg->initrd,
		.disks = vm->cfg->disks,
		.ndisks = vm->cfg->ndisks,
		.accel = vm->accel,
		.cpu_model = vm->cpu_model,
		.ram_path = vm->rd.ram,
		.ram_size = vm->cur.ram_size,
		/* Pinned: a production boot gets min(RAM, 3 GiB) below 4 GiB whatever QEMU's
		 * defaults are; a capture boot keeps the crashed boot's split exactly, so every
		 * crashed page keeps its guest-physical address. */
		.lowmem_pin = vm->capture ? vm->cur.lowmem : VM_LOWMEM_MAX,
	};
	struct argv argv = { 0 };
	struct qemu_dimm dimms[VM_MAX_DIMMS];
	char msg[512], *line, *append;
	int qmp_listen = -1, con = -1, qmp_conn = -1, save_listen = -1, r;
	int keep[2], nkeep = 1;

	if (vm->fresh_ram) {
		r = rundir_create_ram(&vm->rd, vm->cur.ram_size, msg, sizeof(msg));
		if (r < 0) {
			log_err("%s", msg);
			return r;
		}
	}
	append = crash_boot_append(vm);
	if (!append)
		return -ENOMEM;
	b.append = append;
	if (vm->capture) {
		/* room to give the guest its memory back as pc-dimms while the dump is saved, and
		 * the DIMMs of the crashed kernel, re-attached where they were */
		b.slots = vm->slots = capture_slots(vm);
		b.maxmem = vm->cur.ram_size + dimms_span(vm);
		b.dimms = dimms;
		b.ndimms = dimms_for_qemu(vm, dimms, VM_MAX_DIMMS);
	}
	qmp_listen = unix_listen(vm->rd.qmp);
	con = qmp_listen >= 0 ? console_fifos(vm) : -1;
	if (qmp_listen < 0 || con < 0) {
		r = qmp_listen < 0 ? qmp_listen : con;
		log_err("cannot create the QMP socket and console FIFOs in %s: %s", vm->rd.path,
			strerror(-r));
		goto close_listen;
	}
	/* Connecting before QEMU exists is fine: the connections wait in the backlog, and once
	 * our copies of the listening sockets are closed, a QEMU that dies resets them. */
	qmp_conn = unix_connect(vm->rd.qmp);
	if (qmp_conn < 0) {
		r = qmp_conn;
		log_err("cannot connect to our own sockets in %s: %s", vm->rd.path, strerror(-r));
		goto close_conn;
	}
	b.qmp_fd = qmp_listen;
	b.console_path = vm->rd.console;
	if (vm->capture && vm->cfg->save == SAVE_GUEST) {
		save_listen = unix_listen(vm->rd.save);
		vm->gsave.fd = save_listen >= 0 ? unix_connect(vm->rd.save) : -1;
		if (vm->gsave.fd < 0) {
			r = save_listen < 0 ? save_listen : vm->gsave.fd;
			log_err("cannot create the guest saver's socket: %s", strerror(-r));
			goto close_conn;
		}
		b.save_port_fd = save_listen;
		keep[nkeep++] = save_listen;
	}
	r = qemu_build_argv(&b, &argv);
	free(append);
	append = NULL;
	if (r < 0) {
		log_err("out of memory building the QEMU command line");
		goto close_conn;
	}
	line = argv_join(&argv);
	log_debug("starting: %s", line ? line : argv.v[0]);
	free(line);
	keep[0] = qmp_listen;
	r = qemu_spawn(&argv, keep, nkeep, &vm->proc);
	argv_free(&argv);
	if (r < 0) {
		log_err("cannot run QEMU (%s): %s", vm->cfg->qemu, strerror(-r));
		goto close_conn;
	}
	vm->qemu_running = true;
	close(qmp_listen);
	qmp_listen = -1;
	if (save_listen >= 0) {
		close(save_listen);
		save_listen = -1;
		fcntl(vm->gsave.fd, F_SETFL, O_NONBLOCK);
	}

	r = qmp_open_fd(qmp_conn, &vm->qmp);
	qmp_conn = -1;
	if (r == 0)
		r = qmp_handshake(vm->qmp, QMP_START_TIMEOUT_MS);
	if (r < 0) {
		/* collect what QEMU said on its way out */
		for (int i = 0; i < 50 && vm->qemu_running; i++) {
			reap(vm);
			if (vm->qemu_running)
				usleep(20000);
		}
		if (vm->proc.stderr_fd >= 0)
			vm_qemu_stderr_input(vm);
		log_err("QEMU did not start%s%s", vm->err_last[0] ? ": " : "",
			vm->err_last[0] ? vm->err_last : "");
		return r;
	}
	log_debug("QMP connected to QEMU %s", qmp_qemu_version(vm->qmp));
	return 0;

close_conn:
	if (qmp_conn >= 0)
		close(qmp_conn);
close_listen:
	if (qmp_listen >= 0)
		close(qmp_listen);
	console_close(vm);
	if (save_listen >= 0)
		close(save_listen);
	if (vm->gsave.fd >= 0)
		close(vm->gsave.fd);
	vm->gsave.fd = -1;
	free(append);
	return r;
}

static void stop_qemu_process(struct vm *vm)
{
	if (vm->qemu_running) {
		kill(vm->proc.pid, SIGKILL);
		waitpid(vm->proc.pid, &vm->qemu_status, 0);
		vm->qemu_running = false;
	}
}

static void close_boot(struct vm *vm)
{
	save_stop(vm);
	guestsave_close(vm);
	if (vm->ram_fd >= 0)
		close(vm->ram_fd);
	vm->ram_fd = -1;
	if (vm->qmp)
		qmp_close(vm->qmp);
	vm->qmp = NULL;
	if (vm->console_fd >= 0)
		vm_console_input(vm);
	console_close(vm);
	vm_console_flush(vm);
	if (vm->proc.stderr_fd >= 0) {
		vm_qemu_stderr_input(vm);
		if (vm->proc.stderr_fd >= 0)
			close(vm->proc.stderr_fd);
	}
	vm->proc.stderr_fd = -1;
}

static enum boot_end boot_once(struct vm *vm)
{
	char *err = NULL;
	int r;

	vm->end = END_NONE;
	vm->crashed = vm->quit_sent = vm->powerdown_sent = vm->unpack_warned = false;
	vm->stop_deadline = vm->console_panic_ms = 0;
	vm->panic_text[0] = vm->err_last[0] = '\0';
	vm->err_len = vm->line_len = 0;
	vm->console_fd = vm->console_in_fd = -1;
	vm->proc.stderr_fd = -1;
	vm->boot++;

	r = start_qemu(vm);
	if (r < 0) {
		stop_qemu_process(vm);
		close_boot(vm);
		return END_QEMU_FAILED;
	}
	vm_write_state(vm, vm->capture ? "capture" : "running");
	r = qmp_command(vm->qmp, "cont", NULL, QMP_CMD_TIMEOUT_MS, NULL, &err);
	if (r < 0) {
		log_err("QEMU refused to start the guest: %s", err ? err : strerror(-r));
		free(err);
		stop_qemu_process(vm);
		close_boot(vm);
		return END_QEMU_FAILED;
	}
	log_info("guest '%s' started (boot %u, QEMU pid %d, %s%s)", vm->cfg->name, vm->boot,
		 (int)vm->proc.pid, vm->accel, vm->capture ? ", capture boot" : "");
	if (vm->capture)
		crash_capture_started(vm);
	save_maybe_start(vm);

	while (vm->qemu_running) {
		struct pollfd pfd[8];
		int n = 0, i_sig, i_qmp = -1, i_con = -1, i_err = -1, i_in = -1, i_save = -1;
		int i_ctl = -1, i_gs = -1;
		long long timeout = -1, now;
		json_t *ev;

		/* events queued while a command was waiting for its reply */
		while (vm->qmp && (ev = qmp_next_event(vm->qmp)) != NULL) {
			handle_event(vm, ev);
			json_decref(ev);
		}
		now = clock_ms();
		if (vm->stop_deadline) {
			if (now >= vm->stop_deadline) {
				log_info("guest did not power off in time; stopping QEMU");
				vm->stop_deadline = 0;
				if (vm->end == END_NONE)
					vm->end = END_STOPPED;
				vm_request_quit(vm);
				continue;
			}
			timeout = vm->stop_deadline - now;
		}
		if (vm->console_panic_ms) {
			long long due = vm->console_panic_ms + CONSOLE_PANIC_GRACE_MS;
			if (now >= due) {
				char when[40];
				log_warn("the guest console shows a kernel panic but pvpanic did not "
					 "report it: is the pvpanic-mmio module loaded in the guest?");
				qmp_simple(vm, "stop");
				log_timestamp(when, sizeof(when));
				crash_handle(vm, when, "console");
				continue;
			}
			if (timeout < 0 || due - now < timeout)
				timeout = due - now;
		}
		i_sig = n;
		pfd[n++] = (struct pollfd){ .fd = vm->sig_fd, .events = POLLIN };
		if (vm->qmp) {
			i_qmp = n;
			pfd[n++] = (struct pollfd){ .fd = qmp_fd(vm->qmp), .events = POLLIN };
		}
		if (vm->console_fd >= 0) {
			i_con = n;
			pfd[n++] = (struct pollfd){ .fd = vm->console_fd, .events = POLLIN };
		}
		if (vm->proc.stderr_fd >= 0) {
			i_err = n;
			pfd[n++] = (struct pollfd){ .fd = vm->proc.stderr_fd, .events = POLLIN };
		}
		{
			/* memory waiting to go back to the guest: look again soon */
			long long due = save_wake_ms(vm);
			if (due >= 0 && (timeout < 0 || due < timeout))
				timeout = due;
		}
		if (vm->saver) {
			i_save = n;
			pfd[n++] = (struct pollfd){ .fd = saver_event_fd(vm->saver), .events = POLLIN };
			if (timeout < 0 || timeout > 1000)
				timeout = 1000;
		}
		if (vm->gsave.fd >= 0) {
			i_gs = n;
			pfd[n++] = (struct pollfd){ .fd = vm->gsave.fd, .events = POLLIN };
		}
		if (vm->control_fd >= 0) {
			i_ctl = n;
			pfd[n++] = (struct pollfd){ .fd = vm->control_fd, .events = POLLIN };
		}
		if (vm->stdin_open && vm->console_in_fd >= 0) {
			i_in = n;
			pfd[n++] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
		}
		if (poll(pfd, (nfds_t)n, timeout > 1000000 ? 1000000 : (int)timeout) < 0) {
			if (errno == EINTR)
				continue;
			log_err("poll: %s", strerror(errno));
			break;
		}
		if (i_con >= 0 && pfd[i_con].revents)
			vm_console_input(vm);
		if (i_err >= 0 && pfd[i_err].revents)
			vm_qemu_stderr_input(vm);
		if (i_qmp >= 0 && pfd[i_qmp].revents)
			qmp_input(vm);
		if (pfd[i_sig].revents)
			signal_input(vm);
		if (i_save >= 0 && pfd[i_save].revents)
			save_on_event(vm);
		if (i_ctl >= 0 && pfd[i_ctl].revents)
			control_serve(vm, vm->control_fd);
		if (i_gs >= 0 && pfd[i_gs].revents)
			guestsave_input(vm);
		save_tick(vm);
		if (i_in >= 0 && pfd[i_in].revents) {
			char buf[4096];
			ssize_t got = read(STDIN_FILENO, buf, sizeof(buf));
			if (got <= 0)
				vm->stdin_open = false;
			else if (write_full(vm->console_in_fd, buf, (size_t)got) < 0)
				log_debug("console input dropped: %s", strerror(errno));
		}
	}
	if (vm->qemu_running)
		stop_qemu_process(vm);
	close_boot(vm);

	if (vm->end == END_NONE || (vm->end == END_STOPPED && !vm->quit_sent &&
				    !vm->powerdown_sent)) {
		char st[96];
		qemu_status_text(vm->qemu_status, st, sizeof(st));
		if (vm->crashed) {
			log_err("QEMU %s while holding the crashed guest; its RAM file is kept", st);
			return END_CRASH_KEPT;
		}
		log_err("QEMU %s unexpectedly%s%s", st, vm->err_last[0] ? ": " : "", vm->err_last);
		return END_QEMU_DIED;
	}
	return vm->end;
}

/* ---- the VM ------------------------------------------------------------------------------- */

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
		accel_probe_kvm(vm->cfg->qemu, vm->cfg->kernel, accel_cache_dir(), &p);
		vm->accel = p.kvm_ok ? "kvm" : "tcg";
		log_info("accelerator: %s (%s%s)", p.kvm_ok ? "KVM" : "TCG, software emulation",
			 p.reason, p.cached ? "; probed earlier this host boot" : "");
		break;
	}
	vm->cpu_model = vm->cfg->cpu_model ? vm->cfg->cpu_model
					    : (!strcmp(vm->accel, "kvm") ? "host" : "max");
}

/* Remove the DIMM files of the boot that ended and reset the release counters. */
static void forget_dimms(struct vm *vm)
{
	dimms_forget(vm);
	vm->hotplug_after_ms = 0;
	save_probe_reset(vm);
	vm->release_target = vm->release_pending = vm->release_added = vm->released = 0;
}

/* The next boot is an ordinary one: fresh zeroed RAM of the configured size. */
static void production_boot(struct vm *vm)
{
	forget_dimms(vm);
	vm->stale.n = 0;
	vm->cur.ram_size = vm->cfg->memory;
	vm->cur.lowmem = vm_lowmem(vm->cfg->memory);
	vm->nram = layout_production_ram(&vm->cur, vm->ram);
	vm->fresh_ram = true;
	vm->capture = false;
	vm->elfcorehdr = 0;
}

/* Size of the initrd and the kernel's initrd_addr_max: the capture layout needs both. */
static int read_boot_files(struct vm *vm)
{
	unsigned char head[0x240];
	struct stat st;
	ssize_t n = 0;
	int fd;

	vm->initrd_size = 0;
	if (vm->cfg->initrd) {
		if (stat(vm->cfg->initrd, &st) < 0)
			return -errno;
		vm->initrd_size = (uint64_t)st.st_size;
	}
	fd = open(vm->cfg->kernel, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = pread(fd, head, sizeof(head), 0);
	close(fd);
	vm->initrd_addr_max = layout_initrd_addr_max(head, n > 0 ? (size_t)n : 0);
	return 0;
}

int vm_run(const struct vm_config *cfg)
{
	struct vm vm = { .cfg = cfg, .sig_fd = -1, .console_fd = -1, .console_in_fd = -1, .ram_fd = -1,
			 .control_fd = -1, .gsave.fd = -1 };
	char msg[1024], run_dir[4096], sz[32];
	int code = VM_EXIT_ERROR, r;
	enum boot_end end;
	unsigned quick_resets = 0, nkept = 0, loop = 0;
	long long last_start = 0;

	if (cfg->run_dir)
		snprintf(run_dir, sizeof(run_dir), "%s", cfg->run_dir);
	else
		snprintf(run_dir, sizeof(run_dir), "%s/%s", rundir_default_base(), cfg->name);

	vm.sig_fd = setup_signals();
	if (vm.sig_fd < 0) {
		log_err("cannot set up signal handling: %s", strerror(-vm.sig_fd));
		return VM_EXIT_ERROR;
	}
	r = rundir_open(&vm.rd, run_dir, msg, sizeof(msg));
	if (r < 0) {
		log_err("%s", msg);
		close(vm.sig_fd);
		return r == -EBUSY || r == -EEXIST || r == -EPERM || r == -ENOTDIR ? VM_EXIT_USAGE
										     : VM_EXIT_ERROR;
	}
	{
		char logpath[4200];
		if (cfg->log_file)
			snprintf(logpath, sizeof(logpath), "%s", cfg->log_file);
		else
			snprintf(logpath, sizeof(logpath), "%s.log", run_dir);
		r = log_open_file(logpath);
		if (r < 0)
			log_warn("cannot open log file %s: %s", logpath, strerror(-r));
		else
			log_info("log file: %s", logpath);
	}
	vm.control_fd = unix_listen(vm.rd.control);
	if (vm.control_fd < 0)
		log_warn("no control socket (%s): `hvdump save` cannot reach this VM",
			 strerror(-vm.control_fd));
	else
		fcntl(vm.control_fd, F_SETFL, O_NONBLOCK);
	r = read_boot_files(&vm);
	if (r < 0) {
		log_err("cannot read the kernel or initrd: %s", strerror(-r));
		goto remove;
	}
	choose_accel(&vm);
	vm.stdin_open = cfg->console && isatty(STDIN_FILENO);
	log_info("VM '%s': %u vCPU, %s RAM, run directory %s, on crash: %s", cfg->name, cfg->cpus,
		 size_human(cfg->memory, sz, sizeof(sz)), run_dir, on_crash_name(cfg->on_crash));
	production_boot(&vm);

	for (;;) {
		last_start = clock_ms();
		end = boot_once(&vm);
		if (vm.stop_requested && end == END_CAPTURE) {
			log_info("stop requested during the crash: keeping the crashed RAM instead of "
				 "booting the capture kernel");
			end = END_CRASH_KEPT;
			break;
		}
		if (vm.stop_requested && (end == END_DUMPED || end == END_RESET)) {
			log_info("stop requested: not booting the guest again");
			if (end == END_RESET && vm.npreserved && crash_keep_ram_file(&vm) == 0) {
				nkept++;
				vm.npreserved = 0;
			}
			end = END_STOPPED;
			break;
		}
		if (end == END_CAPTURE) {
			/* a capture guest that crashed before it was in service: a loop? */
			bool unserved = vm.capture && (vm.probe.state != 1 ||
						       clock_ms() - last_start < CRASH_LOOP_WINDOW_MS);
			loop = unserved ? loop + 1 : 0;
			crash_run_hook(&vm);
			if (crash_prepare_capture(&vm) < 0) {
				log_err("the crashed guest's RAM is kept in %s", vm.rd.ram);
				end = END_CRASH_KEPT;
				break;
			}
			if (loop >= CRASH_LOOP_MAX) {
				log_err("crash loop: %u capture guests in a row crashed before they were "
					"in service; not booting another. The %u unsaved crash(es) are "
					"kept: `hvdump save --from CRASH-DIR` writes their dumps",
					loop, vm.npreserved);
				if (crash_keep_ram_file(&vm) < 0) {
					end = END_CRASH_KEPT;
					break;
				}
				nkept++;
				vm.npreserved = 0;
				end = END_CRASH_LOOP;
				break;
			}
			continue;
		}
		if (end == END_DUMPED) {
			production_boot(&vm);
			continue;
		}
		if (end != END_RESET)
			break;
		if (vm.npreserved) {
			/* the capture guest rebooted before its dumps were saved */
			if (crash_keep_ram_file(&vm) < 0) {
				end = END_CRASH_KEPT;
				break;
			}
			nkept++;
			vm.npreserved = 0;
		}
		production_boot(&vm);
		quick_resets = clock_ms() - last_start < 5000 ? quick_resets + 1 : 0;
		if (quick_resets >= 5) {
			log_err("guest rebooted %u times within seconds of starting; giving up",
				quick_resets);
			end = END_STOPPED;
			break;
		}
		log_info("starting a fresh QEMU for the rebooted guest");
	}

	if ((end == END_POWEROFF || end == END_STOPPED || end == END_QEMU_DIED ||
	     end == END_QEMU_FAILED) && vm.npreserved) {
		if (crash_keep_ram_file(&vm) == 0) {
			nkept++;
			vm.npreserved = 0;
		} else {
			end = END_CRASH_KEPT;
		}
	}
	switch (end) {
	case END_POWEROFF:
		code = VM_EXIT_POWEROFF;
		break;
	case END_STOPPED:
		code = VM_EXIT_STOPPED;
		break;
	case END_QEMU_FAILED:
	case END_QEMU_DIED:
		code = VM_EXIT_QEMU;
		break;
	case END_CRASH_DROPPED:
		code = VM_EXIT_CRASHED;
		break;
	case END_CRASH_LOOP:
		code = VM_EXIT_CRASH_LOOP;
		break;
	case END_CRASH_KEPT:
		code = VM_EXIT_CRASHED;
		vm.npreserved++; /* the live RAM file holds the crash */
		vm_write_state(&vm, "crashed");
		log_info("crashed guest's RAM kept in %s (state in %s)", vm.rd.ram, vm.rd.state);
		rundir_release(&vm.rd);
		goto out;
	case END_NONE:
	case END_RESET:
	case END_CAPTURE:
	case END_DUMPED:
		code = VM_EXIT_ERROR;
		break;
	}
	if (vm.ncrash && code != VM_EXIT_QEMU && code != VM_EXIT_CRASH_LOOP)
		code = VM_EXIT_CRASHED;
	if (nkept) {
		vm.npreserved = nkept; /* keeps "preserved": true in state.json */
		vm_write_state(&vm, "stopped-with-unsaved-crashes");
		log_info("run directory %s keeps %u RAM file(s) with unsaved crash dumps", vm.rd.path,
			 nkept);
		unlink(vm.rd.qmp);
		unlink(vm.rd.console_in);
		unlink(vm.rd.console_out);
		rundir_release(&vm.rd);
		goto out;
	}
remove:
	forget_dimms(&vm);
	rundir_remove(&vm.rd);
out:
	if (vm.control_fd >= 0) {
		close(vm.control_fd);
		unlink(vm.rd.control);
	}
	close(vm.sig_fd);
	log_close_file();
	return code;
}
