// SPDX-License-Identifier: GPL-2.0-or-later
// One boot of the VM: start its QEMU, and run one event loop until that QEMU is gone.  The
// loop owns every decision of the boot (the guest powered off, rebooted, crashed; a dump is
// saved; memory is due back; the operator asked for something) and calls down into the parts
// that carry them out.
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "qemu/qmp.h"
#include "util/clock.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/size.h"
#include "vm/control.h"
#include "util/systemd.h"
#include "vm/record.h"
#include "vm/report.h"
#include "vm/supervisor.h"

#define QMP_CMD_TIMEOUT_MS 5000
#define CONSOLE_PANIC_GRACE_MS 2000

/* ---- saving and giving memory back -------------------------------------------------------- */

static struct save_ctx save_ctx(struct vm *vm)
{
	return (struct save_ctx){ .cfg = vm->cfg, .rd = &vm->rd, .boot = &vm->boot,
				  .crashes = &vm->crashes, .mb = &vm->mb, .gm = &vm->gm,
				  .qmp = vm->s.qmp };
}

static bool guest_up(struct vm *vm)
{
	return memback_guest_up(&vm->mb, vm->gm.ram_fd, &vm->stale);
}

/* Every preserved crash saved (or dropped)?  Then the capture guest is the production guest,
 * and all its memory is due (SAY: log it). */
static void check_all_saved(struct vm *vm, bool say)
{
	char sz[32];

	if (!crashes_all_saved(&vm->crashes))
		return;
	if (say && vm->crashes.n)
		log_info("every dump is saved (%s of memory freed on the host)",
			 size_human(vm->mb.released, sz, sizeof(sz)));
	crashes_clear(&vm->crashes);
	if (vm->s.running) /* else QEMU is ending, and the run's end writes the state */
		vm_write_state(vm, VM_RUNNING, false);
}

static void on_save_news(struct vm *vm, enum save_news news);

/* The one step that gives memory back: once the capture guest is up, a held saver runs at
 * full speed and what is due is hot-added. */
static void give_back(struct vm *vm)
{
	struct save_ctx x = save_ctx(vm);

	if (!vm->mb.pending && !save_held(&vm->save))
		return;
	if (!guest_up(vm))
		return;
	if (save_held(&vm->save))
		on_save_news(vm, save_on_event(&vm->save, &x, true));
	if (vm->mb.pending)
		memback_give(&vm->mb, vm->s.qmp, &vm->boot.cur,
			     !vm->save.saver && !vm->crashes.n);
}

static void start_saving(struct vm *vm, bool resume, int *r)
{
	struct save_ctx x = save_ctx(vm);
	int e = save_start(&vm->save, &x, resume, vm->mb.probe.state != PROBE_UP);
	int i = crashes_oldest_unsaved(&vm->crashes);

	if (e == -ENOSPC && i >= 0) /* no room for it: kept preserved */
		report_refused(vm->cfg, vm->crashes.c[i].dir);
	if (r)
		*r = e;
}

static void on_save_news(struct vm *vm, enum save_news news)
{
	if (news == SAVE_RUNNING)
		return;
	report_outcome(vm->cfg, vm->crashes.c[vm->save.saving].dir);
	if (news != SAVE_DONE)
		return;
	check_all_saved(vm, true);
	if (vm->crashes.n)
		start_saving(vm, false, NULL); /* the next one */
}

static void save_input(struct vm *vm)
{
	struct save_ctx x = save_ctx(vm);
	bool up = !save_held(&vm->save) || guest_up(vm);

	on_save_news(vm, save_on_event(&vm->save, &x, up));
	give_back(vm);
}

/* The capture guest says it saved crash I itself. */
static void saved_by_guest(struct vm *vm, unsigned i)
{
	struct preserved_crash *pc = &vm->crashes.c[i];
	char sz[32];

	crashes_mark_saved(&vm->crashes, i, clock_ms());
	record_update(pc->dir, CRASH_SAVED_BY_GUEST,
		      json_pack("{s:I}", "released_bytes", (json_int_t)vm->mb.released));
	log_info("the guest saved its dump (%s released on its request)",
		 size_human(vm->mb.released, sz, sizeof(sz)));
	memback_credit(&vm->mb, dimms_drop_crash(&vm->mb.dimms, vm->s.qmp, pc->crash));
	report_outcome(vm->cfg, pc->dir);
	check_all_saved(vm, false);
}

static void guestsave_ready(struct vm *vm)
{
	struct gs_outcome out;

	guestsave_input(&vm->gs, &vm->crashes, &vm->gm, &vm->mb, &out);
	if (out.saved >= 0)
		saved_by_guest(vm, (unsigned)out.saved);
	if (out.released || out.saved >= 0)
		give_back(vm);
}

/* ---- the operator ------------------------------------------------------------------------- */

static void on_crash(struct vm *vm, const char *when, const char *how, json_t *detail);

/* The operator asks for a dump of the running guest: stop it and take the crash path. */
static json_t *operator_dump(struct vm *vm)
{
	char when[40];

	if (vm->crashed || !vm->s.qmp)
		return control_error(vm->crashed ? "the guest has crashed already; its dump is "
						   "being taken" : "QEMU is not reachable");
	log_info("operator asked for a dump: stopping the guest");
	session_command(&vm->s, "stop");
	log_timestamp(when, sizeof(when));
	on_crash(vm, when, "operator", NULL);
	return json_pack("{s:b, s:i, s:s, s:b}", "ok", 1, "crash", (int)vm->crash.number, "dir",
			 vm->crash.dir, "capture", vm->end == END_CAPTURE);
}

static void control_ready(struct vm *vm)
{
	struct save_ctx x = save_ctx(vm);
	enum control_cmd cmd;
	json_t *reply = NULL;
	int fd = control_accept(vm->control_fd, &cmd), r;

	if (fd < 0)
		return;
	switch (cmd) {
	case CONTROL_STATUS:
		reply = vm_status_json(vm);
		break;
	case CONTROL_SAVE_RESUME:
		log_info("operator asked to resume saving");
		start_saving(vm, true, &r);
		reply = r == 0 ? control_ok()
		      : control_error(r == -EBUSY ? "a save is already running"
				      : r == -ENOENT ? "no unsaved dump in a running capture boot"
				      : r == -EXDEV ? "the capture guest's saver freed part of the "
						      "dump already: the host cannot save it whole"
				      : r == -ENOSPC ? "no room for the dump above the dump "
						       "directory's reserve (the log says how much)"
						     : strerror(-r));
		break;
	case CONTROL_SAVE_DISCARD:
		log_info("operator asked to discard the unsaved dumps");
		r = save_discard(&vm->save, &x);
		reply = r == 0 ? control_ok()
			       : control_error("a save is running; wait for it or let it fail");
		if (r == 0) {
			check_all_saved(vm, false);
			give_back(vm);
		}
		break;
	case CONTROL_DUMP:
		reply = operator_dump(vm);
		break;
	case CONTROL_NMI:
		reply = vm_inject_nmi(vm);
		break;
	case CONTROL_BAD:
		reply = control_error("expected {\"cmd\": \"status|save-resume|save-discard|dump|"
				      "nmi\"}");
		break;
	case CONTROL_UNKNOWN:
		reply = control_error("unknown command");
		break;
	}
	control_reply(fd, reply);
}

/* ---- a crash ------------------------------------------------------------------------------ */

/* Say what happened to crash C. */
static void announce(const struct crash *c)
{
	const char *what = json_string_value(json_object_get(c->detail, "what"));

	if (!strcmp(c->how, "operator"))
		log_warn("guest stopped at %s for the dump the operator asked for", c->time);
	else if (!strcmp(c->how, "watchdog"))
		log_err("guest watchdog expired at %s: the guest stopped feeding it; dumping it as "
			"a crash", c->time);
	else if (!strcmp(c->how, "stall"))
		log_err("guest kernel hung at %s: %s; dumping it as a crash", c->time,
			what ? what : "its clock stopped");
	else
		log_err("guest kernel panicked at %s (detected by %s)%s%s", c->time, c->how,
			c->panic[0] ? ": " : "", c->panic);
}

/* The guest crashed, hung, or was stopped for a dump (QEMU paused, QMP alive) at WHEN (UTC),
 * detected by HOW; DETAIL (stolen; may be NULL) goes into the record. */
static void on_crash(struct vm *vm, const char *when, const char *how, json_t *detail)
{
	struct crash *c = &vm->crash;
	enum crash_action act;
	struct crash_ctx x = { .cfg = vm->cfg, .rd = &vm->rd, .s = &vm->s, .boot = &vm->boot,
			       .dimms = &vm->mb.dimms, .c = c };

	if (vm->crashed) {
		json_decref(detail);
		return;
	}
	vm->crashed = true;
	vm->ncrash++;
	dimms_crashed(&vm->mb.dimms, vm->ncrash);
	vm->s.con.watch_panic = false;
	notes_free(&c->notes);
	json_decref(c->detail);
	memset(c, 0, sizeof(*c));
	c->number = vm->ncrash;
	c->how = how;
	c->mono_ms = clock_ms();
	c->detail = detail;
	if (vm->nmi_ms && !strcmp(how, "pvpanic")) {
		if (!c->detail)
			c->detail = json_object();
		json_object_set_new(c->detail, "after_operator_nmi_ms",
				    json_integer(c->mono_ms - vm->nmi_ms));
		log_info("the guest panicked %lld ms after the operator's NMI",
			 c->mono_ms - vm->nmi_ms);
	}
	vm->nmi_ms = 0;
	snprintf(c->time, sizeof(c->time), "%s", when);
	snprintf(c->panic, sizeof(c->panic), "%s", vm->s.con.panic_text);
	vm->s.con.panic_ms = 0;
	announce(c);
	if (vm->boot.capture && vm->crashes.n)
		log_warn("the capture guest crashed too; the earlier crash stays preserved");
	vm_write_state(vm, VM_CRASHED, vm->crashes.n > 0);

	act = crash_handle(&x);
	report_crash(vm->cfg, c->dir, c->number, how, c->panic, c->notes.osrelease);
	switch (act) {
	case CRASH_ACT_CAPTURE:
		vm->end = END_CAPTURE;
		break;
	case CRASH_ACT_DUMPED:
		vm->end = END_DUMPED;
		break;
	case CRASH_ACT_DROP:
		vm->end = END_CRASH_DROPPED;
		break;
	case CRASH_ACT_PAUSE:
		return;
	}
	session_quit(&vm->s);
}

/* The console showed a panic and pvpanic has not reported one within the grace period. */
static void console_crash(struct vm *vm)
{
	char when[40];

	log_warn("the guest console shows a kernel panic but pvpanic did not report it: is the "
		 "pvpanic-mmio module loaded in the guest?");
	session_command(&vm->s, "stop");
	log_timestamp(when, sizeof(when));
	on_crash(vm, when, "console", NULL);
}

/* ---- QMP events and signals --------------------------------------------------------------- */

static void acpi_ost(json_t *data)
{
	json_t *info = json_object_get(data, "info");
	json_int_t st = json_integer_value(json_object_get(info, "status"));
	json_int_t src = json_integer_value(json_object_get(info, "source"));
	const char *dev = json_string_value(json_object_get(info, "device"));

	dev = dev ? dev : "a device";
	if (src == 3 /* eject request */ && st != 0 && st != 0x84 /* in progress */)
		log_warn("the guest refuses to eject %s (ACPI status %lld): its slot stays taken",
			 dev, (long long)st);
	else if (src != 3 && st != 0)
		log_warn("the guest reports ACPI status %lld for %s: it may not use that memory",
			 (long long)st, dev);
	else
		log_debug("guest reports ACPI status %lld for %s", (long long)st, dev);
}

static void shutdown_event(struct vm *vm, json_t *data)
{
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
	} else if (!strcmp(reason, "host-qmp-quit") || !strcmp(reason, "host-signal")) {
		vm->end = vm->crashed ? END_CRASH_KEPT : END_STOPPED;
	}
}

/* The events handle_event() acts on that the guest cannot repeat at will: never dropped from
 * a full QMP queue (ACPI_DEVICE_OST is only logged, and a guest can make QEMU send it as
 * often as it likes). */
static const char *const vital_events[] = { "GUEST_PANICKED", "WATCHDOG", "SHUTDOWN",
					    "DEVICE_DELETED", NULL };

static void handle_event(struct vm *vm, json_t *ev)
{
	const char *name = json_string_value(json_object_get(ev, "event"));
	json_t *data = json_object_get(ev, "data");
	char when[40];

	if (!name)
		return;
	log_debug("qmp event %s", name);
	if (!strcmp(name, "ACPI_DEVICE_OST")) {
		acpi_ost(data);
	} else if (!strcmp(name, "DEVICE_DELETED")) {
		dimms_deleted(&vm->mb.dimms, vm->s.qmp,
			      json_string_value(json_object_get(data, "device")));
	} else if (!strcmp(name, "GUEST_PANICKED")) {
		vm_event_time(ev, when, sizeof(when));
		on_crash(vm, when, "pvpanic", NULL);
	} else if (!strcmp(name, "WATCHDOG")) {
		const char *action = json_string_value(json_object_get(data, "action"));
		vm_event_time(ev, when, sizeof(when));
		if (action && strcmp(action, "pause"))
			log_warn("QEMU's watchdog action was %s, not pause", action);
		on_crash(vm, when, "watchdog",
			 json_pack("{s:s, s:s}", "device", "i6300esb", "qemu_action",
				   action ? action : "unknown"));
	} else if (!strcmp(name, "SHUTDOWN")) {
		shutdown_event(vm, data);
	}
}

/* Events queued (while a command waited for its reply, or just read). */
static void drain_events(struct vm *vm)
{
	json_t *ev;

	while (vm->s.qmp && (ev = qmp_next_event(vm->s.qmp)) != NULL) {
		handle_event(vm, ev);
		json_decref(ev);
	}
}

static void qmp_ready(struct vm *vm)
{
	int r = qmp_pump(vm->s.qmp);
	unsigned long long dropped = qmp_dropped_events(vm->s.qmp);
	long long now = clock_ms();

	if (dropped > vm->qmp_dropped && now - vm->qmp_dropped_said_ms >= QMP_DROPPED_NOTE_MS) {
		log_warn("QEMU sent events faster than they were handled: %llu dropped so far "
			 "(only ones hvdump does not act on)", dropped);
		vm->qmp_dropped = dropped;
		vm->qmp_dropped_said_ms = now;
	}
	drain_events(vm);
	if (vm->s.qmp && (r == -EPIPE || (r < 0 && r != -EPROTO))) {
		qmp_close(vm->s.qmp);
		vm->s.qmp = NULL;
	}
}

/* Stop the VM: the first signal asks the guest to power off, the second ends QEMU.  A crashed
 * guest's QEMU ends at once, its RAM kept. */
static void stop_signal(struct vm *vm, int sig)
{
	vm->stop_requested = true;
	sys_notify("STOPPING=1");
	if (vm->crashed) {
		log_info("%s: ending the paused QEMU, keeping the crashed guest's RAM", strsignal(sig));
		if (vm->end == END_NONE)
			vm->end = END_CRASH_KEPT;
		session_quit(&vm->s);
	} else if (!vm->powerdown_sent && vm->s.qmp) {
		log_info("%s: asking the guest to power off (ACPI), up to %u s", strsignal(sig),
			 vm->cfg->shutdown_timeout_s);
		vm->powerdown_sent = true;
		vm->stop_deadline = clock_ms() + (long long)vm->cfg->shutdown_timeout_s * 1000;
		session_command(&vm->s, "system_powerdown");
	} else {
		log_info("%s again: stopping QEMU now", strsignal(sig));
		if (vm->end == END_NONE)
			vm->end = END_STOPPED;
		session_quit(&vm->s);
	}
}

static void signal_ready(struct vm *vm)
{
	struct signalfd_siginfo si;

	while (read(vm->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			session_reap(&vm->s);
		else
			stop_signal(vm, (int)si.ssi_signo);
	}
}

static void stdin_ready(struct vm *vm)
{
	char buf[4096];
	ssize_t got = read(STDIN_FILENO, buf, sizeof(buf));

	if (got <= 0)
		vm->stdin_open = false;
	else if (write_full(vm->s.console_in_fd, buf, (size_t)got) < 0)
		log_debug("console input dropped: %s", strerror(errno));
}

/* ---- one QEMU process --------------------------------------------------------------------- */

/* QEMU is gone (or going): stop the saver, close everything of this process. */
static void close_boot(struct vm *vm)
{
	struct save_ctx x = save_ctx(vm);
	bool saving = vm->save.saver != NULL;
	enum save_news news = save_stop(&vm->save, &x);

	if (saving)
		report_outcome(vm->cfg, vm->crashes.c[vm->save.saving].dir);
	if (news == SAVE_DONE)
		check_all_saved(vm, true);
	guestsave_close(&vm->gs);
	guestmem_close(&vm->gm);
	hangwatch_free(&vm->hang);
	session_close(&vm->s);
}

/* What to wait for, and how long. */
struct waits {
	struct pollfd pfd[8];
	int n;
	int sig, qmp, con, err, save, ctl, gs, in;
	long long timeout;
};

static int add_wait(struct waits *w, int fd)
{
	w->pfd[w->n] = (struct pollfd){ .fd = fd, .events = POLLIN };
	return w->n++;
}

static void lower_timeout(struct waits *w, long long ms)
{
	if (ms >= 0 && (w->timeout < 0 || ms < w->timeout))
		w->timeout = ms;
}

static void prepare_waits(struct vm *vm, struct waits *w, long long now)
{
	*w = (struct waits){ .qmp = -1, .con = -1, .err = -1, .save = -1, .ctl = -1, .gs = -1,
			     .in = -1, .timeout = -1 };
	if (vm->stop_deadline)
		lower_timeout(w, vm->stop_deadline - now);
	if (vm->s.con.panic_ms)
		lower_timeout(w, vm->s.con.panic_ms + CONSOLE_PANIC_GRACE_MS - now);
	if (vm->nmi_ms)
		lower_timeout(w, vm->nmi_ms + VM_NMI_WAIT_MS - now);
	if (vm->cfg->hang_timeout_s && !vm->crashed)
		lower_timeout(w, hangwatch_wake_ms(&vm->hang, now));
	/* memory waiting to go back to the guest: look again soon */
	lower_timeout(w, memback_wake_ms(&vm->mb, save_held(&vm->save),
					 !vm->save.saver && !vm->crashes.n));
	w->sig = add_wait(w, vm->sig_fd);
	if (vm->s.qmp)
		w->qmp = add_wait(w, qmp_fd(vm->s.qmp));
	if (vm->s.console_fd >= 0)
		w->con = add_wait(w, vm->s.console_fd);
	if (vm->s.proc.stderr_fd >= 0)
		w->err = add_wait(w, vm->s.proc.stderr_fd);
	if (vm->save.saver) {
		w->save = add_wait(w, saver_event_fd(vm->save.saver));
		lower_timeout(w, 1000);
	}
	if (vm->gs.fd >= 0)
		w->gs = add_wait(w, vm->gs.fd);
	if (vm->control_fd >= 0)
		w->ctl = add_wait(w, vm->control_fd);
	if (vm->stdin_open && vm->s.console_in_fd >= 0)
		w->in = add_wait(w, STDIN_FILENO);
}

static bool ready(const struct waits *w, int i)
{
	return i >= 0 && w->pfd[i].revents;
}

/* --hang-timeout: a look at the guest's clock, when due; a hung guest is stopped and dumped.
 * True if it was. */
static bool hang_check(struct vm *vm, long long now)
{
	json_t *detail = vm_hang_look(vm, now);
	char when[40];

	if (!detail)
		return false;
	session_command(&vm->s, "stop");
	log_timestamp(when, sizeof(when));
	on_crash(vm, when, "stall", detail);
	return true;
}

/* Deadlines that passed: true if the loop must look again before waiting. */
static bool deadlines(struct vm *vm, long long now)
{
	if (vm->stop_deadline && now >= vm->stop_deadline) {
		log_info("guest did not power off in time; stopping QEMU");
		vm->stop_deadline = 0;
		if (vm->end == END_NONE)
			vm->end = END_STOPPED;
		session_quit(&vm->s);
		return true;
	}
	if (vm->s.con.panic_ms && now >= vm->s.con.panic_ms + CONSOLE_PANIC_GRACE_MS) {
		console_crash(vm);
		return true;
	}
	if (vm->nmi_ms && now >= vm->nmi_ms + VM_NMI_WAIT_MS) {
		log_warn("the guest did not panic within %d s of the NMI and runs on: boot it with "
			 "unknown_nmi_panic=1 (or panic_on_unrecovered_nmi=1) for an NMI to dump "
			 "it, or use hvdump dump", VM_NMI_WAIT_MS / 1000);
		vm->nmi_ms = 0;
	}
	return hang_check(vm, now);
}

static void dispatch(struct vm *vm, const struct waits *w)
{
	if (ready(w, w->con))
		session_console_input(&vm->s);
	if (ready(w, w->err))
		session_stderr_input(&vm->s);
	if (ready(w, w->qmp))
		qmp_ready(vm);
	if (ready(w, w->sig))
		signal_ready(vm);
	if (ready(w, w->save))
		save_input(vm);
	if (ready(w, w->ctl))
		control_ready(vm);
	if (ready(w, w->gs))
		guestsave_ready(vm);
	save_tick(&vm->save, &vm->mb);
	give_back(vm);
	if (ready(w, w->in))
		stdin_ready(vm);
}

/* Start QEMU and let the guest run. */
static int boot_start(struct vm *vm)
{
	char *err = NULL;
	int r;

	vm->end = END_NONE;
	vm->crashed = vm->powerdown_sent = false;
	vm->stop_deadline = vm->nmi_ms = 0;
	session_init(&vm->s, vm->cfg->console);
	vm->s.con.watch_panic = true;
	vm->s.con.capture_region = vm->boot.capture ? vm->boot.boot_region : 0;
	vm->nboot++;
	if (vm_start_qemu(vm, vital_events) < 0)
		return -1;
	vm_write_state(vm, vm->boot.capture ? VM_CAPTURE : VM_RUNNING, vm->crashes.n > 0);
	r = qmp_command(vm->s.qmp, "cont", NULL, QMP_CMD_TIMEOUT_MS, NULL, &err);
	if (r < 0) {
		log_err("QEMU refused to start the guest: %s", err ? err : strerror(-r));
		free(err);
		return -1;
	}
	log_info("guest '%s' started (boot %u, QEMU pid %d, %s%s)", vm->cfg->name, vm->nboot,
		 (int)vm->s.proc.pid, vm->accel, vm->boot.capture ? ", capture boot" : "");
	if (vm->boot.capture) {
		crash_capture_started(&vm->crashes, vm->crash.mono_ms);
		memback_boot_started(&vm->mb);
	}
	if (vm->cfg->hang_timeout_s)
		vm_hang_start(vm);
	start_saving(vm, false, NULL);
	return 0;
}

enum boot_end vm_boot_once(struct vm *vm)
{
	if (boot_start(vm) < 0) {
		session_kill(&vm->s);
		close_boot(vm);
		return END_QEMU_FAILED;
	}
	while (vm->s.running) {
		struct waits w;
		long long now;

		drain_events(vm);
		now = clock_ms();
		if (deadlines(vm, now))
			continue;
		prepare_waits(vm, &w, now);
		if (poll(w.pfd, (nfds_t)w.n, w.timeout > 1000000 ? 1000000 : (int)w.timeout) < 0) {
			if (errno == EINTR)
				continue;
			log_err("poll: %s", strerror(errno));
			break;
		}
		dispatch(vm, &w);
	}
	session_kill(&vm->s);
	close_boot(vm);
	if (vm->end == END_NONE ||
	    (vm->end == END_STOPPED && !vm->s.quit_sent && !vm->powerdown_sent)) {
		char st[96];
		qemu_status_text(vm->s.status, st, sizeof(st));
		if (vm->crashed) {
			log_err("QEMU %s while holding the crashed guest; its RAM file is kept", st);
			return END_CRASH_KEPT;
		}
		log_err("QEMU %s unexpectedly%s%s", st, vm->s.con.err_last[0] ? ": " : "",
			vm->s.con.err_last);
		return END_QEMU_DIED;
	}
	return vm->end;
}
