// SPDX-License-Identifier: GPL-2.0-or-later
// `hvdump libvirt SUBCOMMAND`: hvdump for domains that libvirt runs (docs/hvdump-libvirt.md).
// `check` says what a domain's definition lacks for hvdump, with the XML to add; `watch`
// serves each crash of the domains it watches (libvirt/watch.h).
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/run_report.h"
#include "cli/save_opts.h"
#include "libvirt/conn.h"
#include "libvirt/domcheck.h"
#include "libvirt/domxml.h"
#include "libvirt/watch.h"
#include "util/fsutil.h"

static void libvirt_usage(FILE *f)
{
	fprintf(f,
"Usage: hvdump libvirt check [--connect URI] [--json] NAME\n"
"       hvdump libvirt check [--json] --xml FILE\n"
"       hvdump libvirt watch [--connect URI] [--dump-dir DIR] [--on-crash assisted|pause]\n"
"                            [CAPTURE AND SAVE OPTIONS] (--domain NAME ... | --all)\n"
"hvdump for domains that libvirt runs.  Subcommands:\n"
"  check   say, for each thing hvdump needs in a domain's definition (memory backing,\n"
"          panic device, on_crash, vmcoreinfo, discard, hugepages, NUMA, ...), whether it\n"
"          is ok, missing or conflicting, why hvdump needs it and the XML to add\n"
"  watch   listen for crashes of the domains (libvirt's lifecycle event crashed/panicked)\n"
"          and serve each: keep its RAM (a hard link that survives `virsh destroy`), the\n"
"          vCPU registers, the crash directory with its record and notes; then boot the\n"
"          capture kernel as the same domain (same name and UUID) on the kept RAM, save\n"
"          the dump while it runs and give its memory back; it runs on under libvirt\n"
"\n"
"  NAME                  the domain's name or UUID; its persistent definition is checked\n"
"                        (what runs, for a transient domain)\n"
"  -c, --connect URI     libvirt's URI (default: libvirt's, as virsh: $LIBVIRT_DEFAULT_URI,\n"
"                        else qemu:///system for root); a read-only connection\n"
"      --xml FILE        check a domain XML file instead (virsh dumpxml's); no libvirtd\n"
"      --json            one JSON object instead of text\n"
"  -d, --domain NAME     watch: a domain to watch (name or UUID; repeatable); each must be\n"
"                        ready (as check says) as it runs, else as defined\n"
"      --all             watch: every domain; those not ready are named and not served\n"
"      --dump-dir DIR    watch: where crash directories go (default: as hvdump run's,\n"
"                        $HVDUMP_DUMP_BASE or /var/crash/hvdump)\n"
"      --on-crash assisted|pause  watch: assisted (default): the capture boot, as above;\n"
"                        pause: keep the crash and leave the domain paused for `hvdump\n"
"                        save --from CRASH-DIR`\n"
"  -h, --help            this text\n"
"\n"
"Watch's capture boots and saves take these options of hvdump run (hvdump-run(1)):\n");
	save_opts_usage(f);
	run_report_usage(f);
	fprintf(f,
"Exit status of check: 0 ready (recommended items may be listed as missing), 1 a required\n"
"item is missing or conflicting (listed), 2 bad usage, no such domain, cannot connect, or a\n"
"file that is not domain XML.  Of watch: 0 stopped by SIGINT or SIGTERM, 1 libvirt closed\n"
"the connection, 2 bad usage, cannot connect, no such domain, or a domain not ready (its\n"
"report is printed).\n"
"See docs/hvdump-libvirt.md.\n");
}

struct check_opts {
	const char *uri, *xml_file, *name;
	bool json;
};

/* Parse check's options into O.  -1 to go on, else the exit status. */
static int check_options(int argc, char **argv, struct check_opts *o)
{
	static const struct option opts[] = {
		{ "connect", required_argument, NULL, 'c' }, { "xml", required_argument, NULL, 'x' },
		{ "json", no_argument, NULL, 'j' },          { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': o->uri = optarg; break;
		case 'x': o->xml_file = optarg; break;
		case 'j': o->json = true; break;
		case 'h': libvirt_usage(stdout); return 0;
		default: libvirt_usage(stderr); return 2;
		}
	}
	if (optind < argc)
		o->name = argv[optind++];
	if (optind < argc || !o->name == !o->xml_file || (o->xml_file && o->uri)) {
		fprintf(stderr, "hvdump: error: libvirt check takes one domain NAME, or --xml FILE "
				"without --connect (see hvdump libvirt --help)\n");
		return 2;
	}
	return -1;
}

/* Where the XML came from, for the report. */
struct origin {
	const char *uri, *file, *definition; /* definition: "persistent", "running", "file" */
	bool active;
	const struct domcheck *running;      /* the running domain's check, when it differs */
};

/* TEXT after LABEL, wrapped at 96 columns, later lines indented under the first word. */
static void print_wrapped(const char *label, const char *text)
{
	int col = printf("      %s:", label), indent = col + 1;

	while (*text) {
		size_t w = strcspn(text, " ");
		if (col >= indent && col + 1 + (int)w > 96)
			col = printf("\n%*s", indent, "") - 1;
		else
			col += printf(" ");
		col += printf("%.*s", (int)w, text);
		text += w;
		while (*text == ' ')
			text++;
	}
	putchar('\n');
}

static void print_text(const struct domxml *d, const struct domcheck *c, const struct origin *o)
{
	printf("domain %s (%s), %s%s%s:\n", d->name ? d->name : "(no name)",
	       d->uuid ? d->uuid : "no uuid", o->file ? "file " : "", o->file ? o->file : o->uri,
	       o->file ? "" : !strcmp(o->definition, "persistent") ? ", its persistent definition"
							       : ", transient, as it runs");
	for (int i = 0; i < DOMCHECK_NREQ; i++) {
		const struct domcheck_item *it = &c->item[i];

		printf("  %-12s %-15s %s\n", domcheck_status_name(it->status), it->title, it->state);
		if (it->status == DOMCHECK_OK)
			continue;
		print_wrapped(it->required ? "why" : "recommended", it->why);
		if (it->fix) {
			const char *p = it->fix, *nl;
			printf("      fix:\n");
			for (; (nl = strchr(p, '\n')); p = nl + 1)
				printf("        %.*s\n", (int)(nl - p), p);
			printf("        %s\n", p);
		}
	}
	if (c->ready)
		printf("ready: hvdump can serve this domain%s\n",
		       c->nrecommended ? " (a recommended item is missing)" : "");
	else
		printf("not ready: %u required item%s missing or conflicting\n", c->nmissing,
		       c->nmissing == 1 ? "" : "s");
	if (o->running)
		printf("note: the running domain does not have this definition yet (%s as it runs): "
		       "it takes effect when the domain is next started\n",
		       o->running->ready ? "ready" : "not ready");
}

static json_t *items_json(const struct domcheck *c)
{
	json_t *a = json_array();

	for (int i = 0; i < DOMCHECK_NREQ && a; i++) {
		const struct domcheck_item *it = &c->item[i];
		json_array_append_new(a, json_pack("{s:s, s:s, s:b, s:s, s:s, s:s, s:s?}", "key",
						   it->key, "title", it->title, "required",
						   it->required, "status",
						   domcheck_status_name(it->status), "state", it->state,
						   "why", it->why, "fix", it->fix));
	}
	return a;
}

static int print_json(const struct domxml *d, const struct domcheck *c, const struct origin *o)
{
	json_t *j = json_pack("{s:s?, s:s?, s:s?, s:s?, s:s, s:b, s:b, s:I, s:I, s:o}", "name",
			      d->name, "uuid", d->uuid, "uri", o->uri, "xml_file", o->file,
			      "definition", o->definition, "active", o->active, "ready", c->ready,
			      "missing", (json_int_t)c->nmissing, "recommended_missing",
			      (json_int_t)c->nrecommended, "items", items_json(c));

	if (j && o->running)
		json_object_set_new(j, "running", json_pack("{s:b, s:o}", "ready", o->running->ready,
							    "items", items_json(o->running)));
	if (!j || json_dumpf(j, stdout, JSON_INDENT(2)) < 0) {
		json_decref(j);
		fprintf(stderr, "hvdump: error: cannot write the JSON report\n");
		return -EIO;
	}
	putchar('\n');
	json_decref(j);
	return 0;
}

static bool same_check(const struct domcheck *a, const struct domcheck *b)
{
	for (int i = 0; i < DOMCHECK_NREQ; i++)
		if (a->item[i].status != b->item[i].status)
			return false;
	return true;
}

/* The running domain's check into RUN when DEF's domain runs with another definition:
 * true when it differs from DEF's check. */
static bool running_differs(struct lvconn *l, const char *name, const struct domcheck *def,
			    struct domcheck *run)
{
	struct domxml d;
	char *xml = NULL, why[512];
	bool active, persistent, differs = false;

	if (lvconn_domain_xml(l, name, false, &xml, &active, &persistent, why, sizeof(why)) == 0 &&
	    active &&
	    domxml_parse(xml, strlen(xml), &d, why, sizeof(why)) == 0) {
		domcheck_run(&d, run);
		differs = !same_check(def, run);
		domxml_free(&d);
	}
	free(xml);
	return differs;
}

static int cmd_check(int argc, char **argv)
{
	struct check_opts o = { 0 };
	struct origin org = { 0 };
	struct lvconn *l = NULL;
	struct domcheck c, run;
	struct domxml d;
	char *xml = NULL, why[1024];
	bool persistent = false;
	size_t len = 0;
	int r;

	r = check_options(argc, argv, &o);
	if (r >= 0)
		return r;
	domxml_init();
	if (o.xml_file) {
		org.file = o.xml_file;
		org.definition = "file";
		r = read_file(o.xml_file, DOMXML_MAX_LEN, &xml, &len);
		if (r < 0) {
			fprintf(stderr, "hvdump: error: %s: %s\n", o.xml_file,
				r == -EFBIG ? "larger than any domain XML (4 MiB)" : strerror(-r));
			return 2;
		}
	} else {
		r = lvconn_open(o.uri, true, &l, why, sizeof(why));
		if (r == 0)
			r = lvconn_domain_xml(l, o.name, true, &xml, &org.active, &persistent, why,
					      sizeof(why));
		if (r < 0) {
			fprintf(stderr, "hvdump: error: %s\n", why);
			lvconn_close(l);
			return 2;
		}
		org.uri = lvconn_uri(l);
		len = strlen(xml);
	}
	r = domxml_parse(xml, len, &d, why, sizeof(why));
	free(xml);
	if (r < 0) {
		fprintf(stderr, "hvdump: error: %s: %s\n", o.xml_file ? o.xml_file : o.name, why);
		lvconn_close(l);
		return 2;
	}
	domcheck_run(&d, &c);
	if (l) {
		org.definition = persistent ? "persistent" : "running";
		if (persistent && org.active && running_differs(l, o.name, &c, &run))
			org.running = &run;
	}
	r = o.json ? print_json(&d, &c, &org) : (print_text(&d, &c, &org), 0);
	domxml_free(&d);
	lvconn_close(l);
	return r < 0 ? 2 : c.ready ? 0 : 1;
}

/* ---- watch ------------------------------------------------------------------------------- */

#define WATCH_MAX_DOMAINS 64

struct watch_opts {
	const char *uri;
	struct vm_config cfg;        /* each crash's options */
	const char *domains[WATCH_MAX_DOMAINS];
	size_t ndomains;
	bool all;
};

/* Parse watch's options into O.  -1 to go on, else the exit status. */
static int watch_options(int argc, char **argv, struct watch_opts *o)
{
	enum { OPT_ALL = 256, OPT_DUMP_DIR, OPT_ON_CRASH };
	static const struct option opts[] = {
		{ "connect", required_argument, NULL, 'c' },
		{ "domain", required_argument, NULL, 'd' },
		{ "all", no_argument, NULL, OPT_ALL },
		{ "dump-dir", required_argument, NULL, OPT_DUMP_DIR },
		{ "on-crash", required_argument, NULL, OPT_ON_CRASH },
		{ "help", no_argument, NULL, 'h' },
		SAVE_OPTIONS,
		RUN_REPORT_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	int c, r;

	vm_config_init(&o->cfg);
	o->cfg.on_crash = ON_CRASH_ASSISTED;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': o->uri = optarg; continue;
		case OPT_DUMP_DIR: o->cfg.dump_dir = optarg; continue;
		case OPT_ALL: o->all = true; continue;
		case OPT_ON_CRASH:
			if (strcmp(optarg, "assisted") && strcmp(optarg, "pause")) {
				fprintf(stderr, "hvdump: error: --on-crash %s: assisted or pause\n",
					optarg);
				return 2;
			}
			o->cfg.on_crash = optarg[0] == 'a' ? ON_CRASH_ASSISTED : ON_CRASH_PAUSE;
			continue;
		case 'd':
			if (o->ndomains == WATCH_MAX_DOMAINS) {
				fprintf(stderr, "hvdump: error: at most %d --domain (or --all)\n",
					WATCH_MAX_DOMAINS);
				return 2;
			}
			o->domains[o->ndomains++] = optarg;
			continue;
		case 'h': libvirt_usage(stdout); return 0;
		case '?': libvirt_usage(stderr); return 2;
		}
		r = parse_save_opt(c, optarg, &o->cfg);
		if (r == 1)
			r = parse_report_opt(c, optarg, &o->cfg);
		if (r != 0)
			return 2; /* said why (every option of the table is one of the above) */
	}
	if (optind < argc || !o->ndomains == !o->all) {
		fprintf(stderr, "hvdump: error: libvirt watch takes --domain NAME (one or more) or "
				"--all, and no other argument (see hvdump libvirt --help)\n");
		return 2;
	}
	if (o->cfg.dump_dir && o->cfg.dump_dir[0] != '/') {
		fprintf(stderr, "hvdump: error: --dump-dir %s: an absolute path, please\n",
			o->cfg.dump_dir);
		return 2;
	}
	return -1;
}

/* Is domain NAME ready, as it runs (else as defined)?  When not: with REFUSE, check's report
 * and an error; else a one-line warning.  0 ready, 1 not, 2 cannot tell (said why). */
static int watch_ready(struct lvconn *l, const char *name, bool refuse)
{
	struct origin org = { .uri = lvconn_uri(l) };
	struct domcheck c;
	struct domxml d;
	char *xml = NULL, why[1024];
	bool persistent;
	int r = lvconn_domain_xml(l, name, false, &xml, &org.active, &persistent, why, sizeof(why));

	if (r == 0)
		r = domxml_parse(xml, strlen(xml), &d, why, sizeof(why));
	free(xml);
	if (r < 0) {
		fprintf(stderr, "hvdump: %s: %s\n", refuse ? "error" : "warning", why);
		return 2;
	}
	domcheck_run(&d, &c);
	if (c.ready && d.confinement)
		fprintf(stderr, "hvdump: warning: domain %s: libvirt confines its QEMU with %s, whose "
				"per-domain profile does not name hvdump's kept RAM and QMP socket: "
				"allow MEMORY_BACKING_DIR/hvdump/** (docs/hvdump-libvirt.md, "
				"\"Confinement\"), or a capture boot will be refused (the crash is then "
				"kept and the domain started afresh)\n", name, d.confinement);
	org.definition = org.active || !persistent ? "running" : "persistent";
	if (!c.ready && refuse) {
		print_text(&d, &c, &org);
		fprintf(stderr, "hvdump: error: domain %s is not ready for hvdump (above): not "
				"watching\n", name);
	} else if (!c.ready) {
		fprintf(stderr, "hvdump: warning: domain %s is not ready for hvdump (%u required "
				"item%s missing or conflicting; `hvdump libvirt check %s`): its crashes "
				"are left to libvirt\n", name, c.nmissing, c.nmissing == 1 ? "" : "s",
			name);
	}
	domxml_free(&d);
	return c.ready ? 0 : 1;
}

static int cmd_watch(int argc, char **argv)
{
	struct watch_opts o = { .uri = NULL };
	struct lvwatch w = { 0 };
	struct lvconn *l = NULL;
	char why[1024], **names = NULL;
	size_t n = 0;
	int r = watch_options(argc, argv, &o);

	if (r >= 0)
		return r;
	domxml_init();
	r = lvconn_events_init(why, sizeof(why));
	if (r == 0)
		r = lvconn_open(o.uri, false, &l, why, sizeof(why));
	if (r < 0) {
		fprintf(stderr, "hvdump: error: %s\n", why);
		return 2;
	}
	for (size_t i = 0; i < o.ndomains && r == 0; i++)
		r = watch_ready(l, o.domains[i], true) ? 2 : 0;
	if (o.all && lvconn_domain_names(l, &names, &n, why, sizeof(why)) == 0)
		for (size_t i = 0; i < n; i++)
			(void)!watch_ready(l, names[i], false);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (r == 0) {
		w = (struct lvwatch){ .conn = l, .base = &o.cfg, .all = o.all,
				      .domains = o.domains, .ndomains = o.ndomains };
		r = lvwatch_run(&w);
		r = r == -EPIPE ? 1 : r < 0 ? 2 : 0;
	}
	lvconn_close(l);
	return r;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} subcommands[] = {
	{ "check", cmd_check },
	{ "watch", cmd_watch },
};

int cmd_libvirt(int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		libvirt_usage(stdout);
		return 0;
	}
	for (size_t i = 0; argc >= 2 && i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "hvdump: error: %s%s%s: hvdump libvirt's subcommands are check and watch "
			"(see hvdump libvirt --help)\n",
		argc >= 2 ? "unknown subcommand '" : "no subcommand", argc >= 2 ? argv[1] : "",
		argc >= 2 ? "'" : "");
	return 2;
}
