// SPDX-License-Identifier: GPL-2.0-or-later
// Option files (util/optfile.h): each line one long option, values with spaces and quotes,
// flags with and without yes/no, repeats kept in order; unknown and refused names, missing
// and unwanted values, junk, long lines and NUL bytes refused with FILE:LINE.
#include <errno.h>
#include <string.h>

#include "util/optfile.h"
#include "tap.h"

static const struct option opts[] = {
	{ "name", required_argument, NULL, 'n' }, { "append", required_argument, NULL, 'a' },
	{ "disk", required_argument, NULL, 'd' }, { "no-console", no_argument, NULL, 1 },
	{ "watchdog", no_argument, NULL, 2 },     { "config", required_argument, NULL, 3 },
	{ "help", no_argument, NULL, 'h' },       { NULL, 0, NULL, 0 },
};
static const char *const refused[] = { "config", "help", NULL };

static int parse(const char *text, struct argv *a, char *why, size_t len)
{
	return optfile_parse(text, strlen(text), "vm.conf", opts, refused, a, why, len);
}

static void joined(const char *text, const char *want, const char *what)
{
	struct argv a = { 0 };
	char why[256] = "", *j;
	int r = parse(text, &a, why, sizeof(why));

	j = a.n ? argv_join(&a) : NULL;
	tap_ok(r == 0 && ((!want && !j) || (want && j && !strcmp(j, want))), "%s: %s", what,
	       j ? j : why[0] ? why : "(nothing)");
	free(j);
	argv_free(&a);
}

static void refused_with(const char *text, const char *want, const char *what)
{
	struct argv a = { 0 };
	char why[256] = "";
	int r = optfile_parse(text, strlen(text), "vm.conf", opts, refused, &a, why, sizeof(why));

	tap_ok(r == -EINVAL && strstr(why, want), "%s: %s", what, why);
	argv_free(&a);
}

int main(void)
{
	static char big[8000];

	joined("name = web1\n", "--name=web1", "name = value");
	joined("  # comment\n\nname=web1  \r\n", "--name=web1", "comments, blanks, no spaces, CRLF");
	joined("append = \"console=ttyS0 root=/dev/vda1\"\n",
	       "'--append=console=ttyS0 root=/dev/vda1'", "a quoted value with spaces");
	joined("append = a=\"b\" c\n", "'--append=a=\"b\" c'", "quotes inside are kept");
	joined("disk = a.img\ndisk = b.img\n", "--disk=a.img --disk=b.img", "repeats, in order");
	joined("no-console\nwatchdog = yes\n", "--no-console --watchdog", "flags: bare, = yes");
	joined("watchdog = false\n", NULL, "a flag = false: left out");
	joined("name = x", "--name=x", "no newline at the end");
	refused_with("bogus = 1\n", "vm.conf:1: 'bogus' is not an option", "an unknown name");
	refused_with("name = a\nconfig = other.conf\n", "vm.conf:2: 'config'", "config itself");
	refused_with("help\n", "'help'", "help");
	refused_with("name\n", "vm.conf:1: name needs a value", "a value missing");
	refused_with("name =\n", "name needs a value", "an empty value");
	refused_with("no-console = 3\n", "no-console takes no value", "a value for a flag");
	refused_with("name web1\n", "expected NAME or NAME = VALUE", "no '='");
	refused_with("--name = x\n", "'--name' is not an option", "dashes");
	memset(big, 'x', sizeof(big) - 1);
	memcpy(big, "name = ", 7);
	refused_with(big, "longer than 4096", "a long line");
	static const char nul[] = "name = a\0b\n";
	struct argv a = { 0 };
	char why[256] = "";
	tap_ok(optfile_parse(nul, sizeof(nul) - 1, "vm.conf", opts, refused, &a, why,
			     sizeof(why)) == -EINVAL && strstr(why, "a NUL byte"),
	       "a NUL byte: %s", why);
	argv_free(&a);
	return tap_done();
}
