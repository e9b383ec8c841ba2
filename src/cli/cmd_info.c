// SPDX-License-Identifier: GPL-2.0-or-later
// `hvdump info`: what an operator asks first about a dump: which kernel, why it crashed
// (the panic and oops lines of the kernel log), where each CPU was, and whether the dump
// is whole.  Everything is gathered into one JSON tree; the text form is printed from it,
// so the two cannot disagree.
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "format/dumpfile.h"
#include "format/kallsyms.h"
#include "format/kcmdline.h"
#include "format/kinfo.h"
#include "format/panicscan.h"
#include "format/printk.h"
#include "format/prstatus.h"
#include "format/vmcoreinfo.h"
#include "util/log.h"
#include "util/size.h"

static void info_usage(FILE *f)
{
	fprintf(f,
"Usage: hvdump info [--json] [--no-pages] [--force-size] FILE\n"
"Summarise the dump FILE (ELF vmcore or kdump-compressed): format and compression, kernel\n"
"release, crash time, the kernel's command line, the panic message and the oops before it,\n"
"each CPU's RIP (with its kernel symbol when the dump's kallsyms tables resolve it) and task,\n"
"the memory ranges, and page statistics (zero, present, excluded, missing, unreadable).\n"
"\n"
"  -j, --json       one JSON object on standard output instead of text\n"
"  -n, --no-pages   skip the page statistics (they read the whole dump)\n"
"      --force-size summarise an ELF FILE whose PT_LOADs claim far more memory than the\n"
"                   file could hold (more than 16 GiB, and 4096 times its size: refused\n"
"                   by default, as a forged or broken header)\n"
"  -h, --help       this text\n"
"\n"
"Exit status: 0 summary printed; 1 printed, but part of the dump is unreadable, missing or\n"
"corrupt (a warning names each problem; fields the dump simply lacks are not problems);\n"
"2 bad usage, or FILE is not a dump hvdump can open.  See docs/hvdump-info.md.\n");
}

static const struct option info_options[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "no-pages", no_argument, NULL, 'n' },
	{ "force-size", no_argument, NULL, 'S' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct info_ctx {
	const char *file;
	struct dumpfile *d;
	const char *vmci;
	size_t vmci_len;
	struct kallsyms *ks;      /* NULL: no symbols */
	int ks_err;               /* why not: kallsyms_open()'s error */
	json_t *root;
	json_t *problems;
};

/* Bytes from the dump, made printable ASCII (and so valid UTF-8 for JSON): others as \xNN. */
static json_t *jstr_bytes(const char *s, size_t len)
{
	char *buf = malloc(len * 4 + 1);
	size_t o = 0;
	json_t *j;

	if (!buf)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f)
			buf[o++] = (char)c;
		else
			o += (size_t)sprintf(buf + o, "\\x%02x", c);
	}
	buf[o] = '\0';
	j = json_string(buf);
	free(buf);
	return j;
}

static json_t *jstr(const char *s)
{
	return jstr_bytes(s, strlen(s));
}

static json_t *jhex(uint64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "0x%016" PRIx64, v);
	return json_string(b);
}

static void problem(struct info_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(struct info_ctx *c, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_array_append_new(c->problems, jstr(buf));
}

/* ---- the kernel log: panic, oops and the panicking task ---------------------------------- */

static json_t *line_json(const struct panicscan_line *l)
{
	return jstr(panicscan_text(l));
}

static void gather_panic(struct info_ctx *c)
{
	struct printk_source src = {
		.info = c->vmci, .info_len = c->vmci_len, .read = dumpfile_virt_cb, .read_ctx = c->d,
	};
	struct printk_result res;
	struct panicscan *s = calloc(1, sizeof(*s));
	unsigned long cpu, pid;
	char comm[64];
	json_t *panic;
	int r;

	if (!s) {
		problem(c, "out of memory reading the kernel log");
		return;
	}
	panicscan_init(s);
	r = printk_dump(&src, panicscan_feed, s, &res);
	panicscan_finish(s);
	json_object_set_new(c->root, "log_records", json_integer((json_int_t)res.records));
	if (r == -ENOKEY || r == -EOPNOTSUPP)
		json_object_set_new(c->root, "log_unavailable", jstr(res.why));
	else if (r < 0)
		problem(c, "kernel log: %s", res.why);
	if (res.corrupt)
		problem(c, "kernel log: %" PRIu64 " records with malformed data blocks", res.corrupt);
	if (!s->have_panic) {
		json_object_set_new(c->root, "panic", json_null());
		free(s);
		return;
	}
	panic = json_object();
	json_object_set_new(panic, "message", line_json(&s->panic));
	json_object_set_new(panic, "uptime", jstr(s->panic.ts));
	json_object_set_new(panic, "oops", s->have_panic_oops ? line_json(&s->panic_oops)
							       : json_null());
	if (s->have_panic_oops)
		json_object_set_new(panic, "oops_uptime", jstr(s->panic_oops.ts));
	if (panicscan_task(s, &cpu, &pid, comm, sizeof(comm)) == 0) {
		json_object_set_new(panic, "cpu", json_integer((json_int_t)cpu));
		json_object_set_new(panic, "pid", json_integer((json_int_t)pid));
		json_object_set_new(panic, "comm", jstr_bytes(comm, strlen(comm)));
	}
	json_object_set_new(c->root, "panic", panic);
	free(s);
}

/* ---- CPUs: NT_PRSTATUS, symbols, tasks (kinfo.h) ------------------------------------------ */

/* One CPU's object; the keys keep the order the summary has always had. */
static json_t *cpu_json(const struct kinfo_cpu *k, int qemu, const json_t *panic, long panic_cpu)
{
	const struct prstatus *p = &k->regs;
	json_t *cpu = json_object();

	json_object_set_new(cpu, "note", json_integer(k->note));
	if (k->cpu_from_gs)
		json_object_set_new(cpu, "cpu", json_integer(k->cpu));
	if (k->have_task) {
		json_object_set_new(cpu, "comm", jstr(k->comm));
		json_object_set_new(cpu, "task", jhex(k->task));
	}
	if (!k->cpu_from_gs)
		json_object_set_new(cpu, "cpu", json_integer(k->cpu));
	json_object_set_new(cpu, "pid", qemu ? json_null() : json_integer(p->pid));
	json_object_set_new(cpu, "rip", jhex(p->reg[PR_RIP]));
	json_object_set_new(cpu, "rsp", jhex(p->reg[PR_RSP]));
	json_object_set_new(cpu, "mode", json_string((p->reg[PR_CS] & 3) == 3 ? "user" : "kernel"));
	json_object_set_new(cpu, "rip_area", json_string(kinfo_area_name(k->rip_area)));
	json_object_set_new(cpu, "rip_symbol", k->rip_symbol[0] ? jstr(k->rip_symbol) : json_null());
	if (!k->have_task)
		json_object_set_new(cpu, "comm", json_null());
	json_object_set_new(cpu, "panicking", json_boolean((long)k->cpu == panic_cpu));
	if ((long)k->cpu == panic_cpu && qemu)
		json_object_set_new(cpu, "pid", json_deep_copy(json_object_get(panic, "pid")));
	if (k->have_stack) {
		json_t *stack = json_array();

		for (unsigned i = 0; i < k->nstack; i++)
			json_array_append_new(stack, jstr(k->stack[i]));
		json_object_set_new(cpu, "stack", stack);
	}
	return cpu;
}

static void gather_cpus(struct info_ctx *c)
{
	const json_t *panic = json_object_get(c->root, "panic");
	long panic_cpu = json_is_object(panic) && json_is_integer(json_object_get(panic, "cpu")) ?
			 (long)json_integer_value(json_object_get(panic, "cpu")) : -1;
	struct kinfo_source src = {
		.info = c->vmci, .info_len = c->vmci_len, .ks = c->ks, .read = dumpfile_virt_cb,
		.read_ctx = c->d, .panic_cpu = panic_cpu,
	};
	struct kinfo_cpu *cpu = malloc(sizeof(*cpu));
	json_t *cpus = json_array();
	struct kinfo *k = NULL;
	int r;

	src.notes = dumpfile_notes(c->d, &src.notes_len);
	if (!cpu || kinfo_open(&src, &k) < 0) {
		problem(c, "out of memory reading the CPU notes");
		goto out;
	}
	while ((r = kinfo_next_cpu(k, cpu)) != 0) {
		if (r == -EBADMSG) {
			problem(c, "the ELF notes are malformed after %u CPU notes", cpu->note);
			break;
		}
		if (r < 0) {
			problem(c, "NT_PRSTATUS note %u has %u bytes, not %u", cpu->note, cpu->descsz,
				PRSTATUS_X86_64_SIZE);
			continue;
		}
		json_array_append_new(cpus, cpu_json(cpu, kinfo_qemu_pids(k), panic, panic_cpu));
	}
out:
	kinfo_close(k);
	free(cpu);
	json_object_set_new(c->root, "cpus", cpus);
}

/* ---- the command line (kcmdline.h) ------------------------------------------------------ */

/* What the crashed kernel booted with: a string, or null with command_line_unavailable saying
 * why when the dump lacks it (no VMCOREINFO or kallsyms, the symbol or its memory absent);
 * values that break kcmdline.h's checks, or a read error, are problems. */
static void gather_cmdline(struct info_ctx *c)
{
	char line[KCMDLINE_SIZE], why[256];
	int r;

	if (!c->vmci) {
		r = -EOPNOTSUPP;
		snprintf(why, sizeof(why), "no VMCOREINFO");
	} else if (!c->ks) {
		r = c->ks_err;
		if (r == -EOPNOTSUPP)
			snprintf(why, sizeof(why), "no kallsyms tables in VMCOREINFO (a kernel "
				 "before 6.0?)");
		else
			snprintf(why, sizeof(why), "kallsyms tables unreadable: %s", strerror(-r));
	} else {
		r = kcmdline_read(c->vmci, c->vmci_len, c->ks, dumpfile_phys_cb, c->d, line, sizeof(line),
				  why, sizeof(why));
	}
	if (r == 0) {
		/* printable ASCII and tabs (kcmdline.h): valid UTF-8 as it is */
		json_object_set_new(c->root, "command_line", json_string(line));
		return;
	}
	json_object_set_new(c->root, "command_line", json_null());
	if (!c->ks || r == -ENOENT || r == -EFAULT || r == -ENODATA)
		json_object_set_new(c->root, "command_line_unavailable", jstr(why));
	else
		problem(c, "command line: %s", why);
}

/* ---- memory -------------------------------------------------------------------------------- */

static void gather_memory(struct info_ctx *c, int pages)
{
	struct dumpfile_page_stats st;
	struct dumpfile_range rg;
	uint64_t from = 0, n = 0, bytes = 0;
	json_t *mem = json_object(), *ranges = json_array();

	while (dumpfile_next_range(c->d, from, &rg) == 0) {
		if (n < 64) {
			json_t *j = json_object();

			json_object_set_new(j, "start", jhex(rg.start));
			json_object_set_new(j, "size", json_integer((json_int_t)rg.size));
			json_array_append_new(ranges, j);
		}
		n++;
		bytes += rg.size;
		from = rg.start + rg.size;
		if (from < rg.start)
			break;
	}
	json_object_set_new(mem, "ranges", json_integer((json_int_t)n));
	json_object_set_new(mem, "bytes", json_integer((json_int_t)bytes));
	json_object_set_new(mem, "list", ranges);   /* the first 64 */
	json_object_set_new(c->root, "memory", mem);
	if (dumpfile_missing_bytes(c->d))
		problem(c, "truncated: %" PRIu64 " bytes of its PT_LOADs lie past the end of the file",
			dumpfile_missing_bytes(c->d));
	if (!pages) {
		json_object_set_new(c->root, "pages", json_null());
		return;
	}
	if (dumpfile_page_stats(c->d, &st) < 0) {
		problem(c, "out of memory counting pages");
		return;
	}
	json_t *p = json_object();
	json_object_set_new(p, "total", json_integer((json_int_t)st.total));
	json_object_set_new(p, "present", json_integer((json_int_t)st.nonzero));
	json_object_set_new(p, "zero", json_integer((json_int_t)st.zero));
	json_object_set_new(p, "excluded", json_integer((json_int_t)st.excluded));
	json_object_set_new(p, "missing", json_integer((json_int_t)st.missing));
	json_object_set_new(p, "unreadable", json_integer((json_int_t)st.unreadable));
	json_object_set_new(c->root, "pages", p);
	if (st.unreadable)
		problem(c, "%" PRIu64 " pages cannot be read, the first at physical 0x%" PRIx64 " (%s)",
			st.unreadable, st.first_unreadable, strerror(-st.first_error));
	if (st.missing && !dumpfile_missing_bytes(c->d))
		problem(c, "%" PRIu64 " pages are missing from the incomplete dump", st.missing);
}

/* ---- the header ------------------------------------------------------------------------------ */

static json_t *jtime(int64_t t)
{
	char buf[64];
	struct tm tm;
	time_t tt = (time_t)t;

	if (!gmtime_r(&tt, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm))
		return json_null();
	return json_string(buf);
}

static void gather_header(struct info_ctx *c)
{
	const struct kdump_info *k = dumpfile_kdump_info(c->d);
	char rel[128], ct[32];
	uint64_t t;
	int r;

	json_object_set_new(c->root, "file", jstr(c->file));
	json_object_set_new(c->root, "file_size",
			    json_integer((json_int_t)dumpfile_file_size(c->d)));
	json_object_set_new(c->root, "format", json_string(dumpfile_format_name(c->d)));
	json_object_set_new(c->root, "incomplete", json_boolean(k && k->incomplete));
	if (k) {
		json_t *kj = json_object();

		json_object_set_new(kj, "header_version", json_integer(k->header_version));
		json_object_set_new(kj, "dump_level", json_integer(k->dump_level));
		json_object_set_new(kj, "nr_cpus", json_integer(k->nr_cpus));
		/* makedumpfile writes 0 when it converts an ELF vmcore */
		json_object_set_new(kj, "dump_time", k->tv_sec > 0 ? jtime(k->tv_sec) : json_null());
		json_object_set_new(kj, "release", jstr(k->uts.release));
		json_object_set_new(kj, "phys_base", json_integer((json_int_t)k->phys_base));
		json_object_set_new(kj, "flattened", json_boolean(k->flattened));
		/* QEMU 7.2 reads VMCOREINFO's decimal NUMBER(phys_base) as hexadecimal: readers
		 * that take the header's (libkdumpfile) then translate wrongly; hvdump uses
		 * VMCOREINFO's */
		uint64_t pb;
		if (c->vmci && vmcoreinfo_get_u64(c->vmci, c->vmci_len, "NUMBER(phys_base)", &pb) == 0)
			json_object_set_new(kj, "phys_base_agrees", json_boolean(pb == k->phys_base));
		json_object_set_new(c->root, "kdump", kj);
	}
	if (!c->vmci)
		json_object_set_new(c->root, "kernel_release", json_null());
	else if ((r = vmcoreinfo_get(c->vmci, c->vmci_len, "OSRELEASE", rel, sizeof(rel))) == 0)
		json_object_set_new(c->root, "kernel_release", jstr(rel));
	else
		json_object_set_new(c->root, "kernel_release", json_null());
	if (c->vmci && vmcoreinfo_get(c->vmci, c->vmci_len, "CRASHTIME", ct, sizeof(ct)) == 0 &&
	    uint_parse(ct, 0, INT64_MAX, &t) == 0)
		json_object_set_new(c->root, "crash_time", jtime((int64_t)t));
	else
		json_object_set_new(c->root, "crash_time", json_null());
	json_object_set_new(c->root, "paging_levels",
			    json_integer(dumpfile_paging_levels(c->d)));
}

/* ---- text ------------------------------------------------------------------------------------ */

static const char *js(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static json_int_t ji(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static void print_text(const json_t *root)
{
	const json_t *panic = json_object_get(root, "panic"), *cpus = json_object_get(root, "cpus");
	const json_t *mem = json_object_get(root, "memory"), *pages = json_object_get(root, "pages");
	const json_t *k = json_object_get(root, "kdump"), *cpu;
	char h[32];
	size_t i;

	printf("file        %s\n", js(root, "file"));
	printf("size        %" JSON_INTEGER_FORMAT " bytes (%s)\n", ji(root, "file_size"),
	       size_human((uint64_t)ji(root, "file_size"), h, sizeof(h)));
	const char *flat = k && json_is_true(json_object_get(k, "flattened"))
				   ? " (flattened, makedumpfile -F's layout: read in place)" : "";
	printf("format      %s%s%s\n", js(root, "format"), flat,
	       json_is_true(json_object_get(root, "incomplete")) ? " (incomplete)" : "");
	if (k)
		printf("kdump       header version %" JSON_INTEGER_FORMAT ", dump level %"
		       JSON_INTEGER_FORMAT ", %" JSON_INTEGER_FORMAT " CPUs, written %s\n",
		       ji(k, "header_version"), ji(k, "dump_level"), ji(k, "nr_cpus"),
		       js(k, "dump_time") ? js(k, "dump_time") : "at an unknown time");
	if (k && json_is_false(json_object_get(k, "phys_base_agrees")))
		printf("phys_base   the header's 0x%" PRIx64 " is not VMCOREINFO's (QEMU 7.2 reads its "
		       "decimal value as hexadecimal): VMCOREINFO's is used; `hvdump convert` "
		       "writes the right one\n", (uint64_t)ji(k, "phys_base"));
	printf("kernel      %s\n", js(root, "kernel_release") ? js(root, "kernel_release")
							    : "unknown (no OSRELEASE in VMCOREINFO)");
	printf("crash time  %s\n", js(root, "crash_time") ? js(root, "crash_time")
							: "unknown (no CRASHTIME in VMCOREINFO)");
	if (js(root, "command_line"))
		printf("cmdline     %s\n", *js(root, "command_line") ? js(root, "command_line")
								 : "(empty)");
	else if (js(root, "command_line_unavailable"))
		printf("cmdline     unknown (%s)\n", js(root, "command_line_unavailable"));
	else
		printf("cmdline     unknown\n");
	if (json_is_object(panic)) {
		printf("panic       [%s] %s\n", js(panic, "uptime"), js(panic, "message"));
		if (js(panic, "oops"))
			printf("oops        [%s] %s\n", js(panic, "oops_uptime"), js(panic, "oops"));
		if (json_object_get(panic, "cpu"))
			printf("task        CPU %" JSON_INTEGER_FORMAT ", PID %" JSON_INTEGER_FORMAT
			       ", comm %s\n", ji(panic, "cpu"), ji(panic, "pid"), js(panic, "comm"));
	} else if (js(root, "log_unavailable")) {
		printf("panic       unknown (kernel log unavailable: %s)\n",
		       js(root, "log_unavailable"));
	} else {
		printf("panic       none in the kernel log (%" JSON_INTEGER_FORMAT " records)\n",
		       ji(root, "log_records"));
	}
	printf("cpus        %zu\n", json_array_size(cpus));
	json_array_foreach(cpus, i, cpu) {
		const json_t *st = json_object_get(cpu, "stack"), *e;
		size_t j;

		printf("  cpu %-4" JSON_INTEGER_FORMAT " rip %s", ji(cpu, "cpu"), js(cpu, "rip"));
		if (js(cpu, "rip_symbol"))
			printf(" %s", js(cpu, "rip_symbol"));
		else
			printf(" (%s)", js(cpu, "rip_area"));
		if (json_is_integer(json_object_get(cpu, "pid")))
			printf("  pid %" JSON_INTEGER_FORMAT, ji(cpu, "pid"));
		printf("  comm %s", js(cpu, "comm") ? js(cpu, "comm") : "unknown");
		printf("%s\n", json_is_true(json_object_get(cpu, "panicking")) ? "  [panicking]" : "");
		if (json_array_size(st)) {
			printf("            stack");
			json_array_foreach(st, j, e)
				printf(" %s", json_string_value(e));
			printf("\n");
		}
	}
	printf("memory      %" JSON_INTEGER_FORMAT " ranges, %" JSON_INTEGER_FORMAT " bytes (%s)\n",
	       ji(mem, "ranges"), ji(mem, "bytes"),
	       size_human((uint64_t)ji(mem, "bytes"), h, sizeof(h)));
	if (json_is_object(pages))
		printf("pages       %" JSON_INTEGER_FORMAT " total: %" JSON_INTEGER_FORMAT
		       " present, %" JSON_INTEGER_FORMAT " zero, %" JSON_INTEGER_FORMAT
		       " excluded, %" JSON_INTEGER_FORMAT " missing, %" JSON_INTEGER_FORMAT
		       " unreadable\n", ji(pages, "total"), ji(pages, "present"), ji(pages, "zero"),
		       ji(pages, "excluded"), ji(pages, "missing"), ji(pages, "unreadable"));
}

int cmd_info(int argc, char **argv)
{
	struct info_ctx c = { 0 };
	int opt, r, json = 0, pages = 1, force_size = 0, rc = 2;
	char why[256], *text;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":jnh", info_options, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = 1;
			break;
		case 'n':
			pages = 0;
			break;
		case 'S':
			force_size = 1;
			break;
		case 'h':
			info_usage(stdout);
			return 0;
		default:
			log_err("unknown option %s (see hvdump info --help)", argv[optind - 1]);
			return 2;
		}
	}
	if (optind != argc - 1) {
		log_err(optind == argc ? "no dump given (usage: hvdump info [--json] FILE)" :
					 "more than one dump given (usage: hvdump info [--json] FILE)");
		return 2;
	}
	c.file = argv[optind];
	r = dumpfile_open(c.file, DUMPFILE_OPEN_INCOMPLETE, &c.d, why, sizeof(why));
	if (r < 0) {
		log_err("%s: %s", c.file, why);
		return 2;
	}
	if (!force_size && dumpfile_claim_check(c.d, why, sizeof(why)) < 0) {
		log_err("%s: %s (--force-size summarises it anyway)", c.file, why);
		dumpfile_close(c.d);
		return 2;
	}
	c.root = json_object();
	c.problems = json_array();
	if (!c.root || !c.problems) {
		log_err("out of memory");
		goto out_close;
	}
	c.vmci = dumpfile_vmcoreinfo(c.d, &c.vmci_len);
	if (c.vmci && (c.ks_err = kallsyms_open(c.vmci, c.vmci_len, dumpfile_phys_cb, c.d, &c.ks)) < 0)
		c.ks = NULL;
	gather_header(&c);
	gather_cmdline(&c);
	gather_panic(&c);
	gather_cpus(&c);
	gather_memory(&c, pages);
	json_object_set(c.root, "problems", c.problems);

	if (json) {
		text = json_dumps(c.root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (!text) {
			log_err("out of memory");
			goto out_close;
		}
		puts(text);
		free(text);
	} else {
		print_text(c.root);
	}
	if (fflush(stdout) != 0) {
		log_err("cannot write the summary: %s", strerror(errno));
		goto out_close;
	}
	{
		size_t i;
		json_t *p;

		json_array_foreach(c.problems, i, p)
			log_warn("%s: %s", c.file, json_string_value(p));
	}
	rc = json_array_size(c.problems) ? 1 : 0;

out_close:
	kallsyms_close(c.ks);
	json_decref(c.problems);
	json_decref(c.root);
	dumpfile_close(c.d);
	return rc;
}
