// SPDX-License-Identifier: GPL-2.0-or-later
// The control socket's request line (control_parse): a command by its exact name, an unknown
// one, no command, and an object naming "cmd" twice, which is refused rather than read as
// whichever came last (hvdump save sends each key once; a second one is not ours).
#include <string.h>

#include "tap.h"
#include "vm/control.h"

static enum control_cmd parse(const char *s)
{
	return control_parse(s, strlen(s));
}

int main(void)
{
	tap_ok(parse("{\"cmd\": \"status\"}") == CONTROL_STATUS, "status");
	tap_ok(parse("{\"cmd\": \"save-resume\"}") == CONTROL_SAVE_RESUME, "save-resume");
	tap_ok(parse("{\"cmd\": \"save-discard\"}") == CONTROL_SAVE_DISCARD, "save-discard");
	tap_ok(parse("{\"cmd\": \"dump\"}") == CONTROL_DUMP, "dump");
	tap_ok(parse("{\"cmd\": \"nmi\"}") == CONTROL_NMI, "nmi");
	tap_ok(parse("{\"cmd\": \"status2\"}") == CONTROL_UNKNOWN, "another name: unknown");
	tap_ok(parse("{\"command\": \"status\"}") == CONTROL_BAD, "no \"cmd\": bad");
	tap_ok(parse("[{\"cmd\": \"status\"}]") == CONTROL_BAD, "not an object: bad");
	tap_ok(parse("{\"cmd\": \"status\", \"cmd\": \"save-discard\"}") == CONTROL_BAD,
	       "\"cmd\" twice: bad, not the last one");
	return tap_done();
}
