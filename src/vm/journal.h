/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Journal entries of crashes, save outcomes and copies (docs/hvdump-run.md): a fixed
 * MESSAGE_ID per event and HVDUMP_* fields, sent when journald listens and the VM's
 * configuration does not say --no-journal. */
#ifndef HVDUMP_VM_JOURNAL_H
#define HVDUMP_VM_JOURNAL_H

#include <sys/uio.h>

#include "vm/config.h"

/* journalctl MESSAGE_ID=... lists every one of them, of every VM */
#define REPORT_MSGID_CRASH       "97bb481814d44717bf59098dd2f9cf17"
#define REPORT_MSGID_SAVED       "96634b54a744427d929cb2684143e19a"
#define REPORT_MSGID_SAVE_FAILED "246caf2a2e7c42a595b85fd58cadafca"
#define REPORT_MSGID_COPY        "98f35c026fd14ea89c5b87d1d423c740"

#define JOURNAL_FIELDS_MAX 24

/* Fields of an entry, "NAME=value" each (malloc'd). */
struct journal_fields {
	struct iovec iov[JOURNAL_FIELDS_MAX];
	char *text[JOURNAL_FIELDS_MAX];
	int n;
};

/* Add NAME=VALUE to F (VALUE cut at 2048 bytes; NULL or empty: nothing). */
void journal_field(struct journal_fields *f, const char *name, const char *value);

/* Send one entry of C's VM for EVENT of the crash in DIR (may be NULL or ""), MSGID and
 * PRIORITY (syslog's) and MESSAGE, with F's fields (taken; F may be NULL); without any in F,
 * the fields of DIR's record as it is now. */
void journal_entry(const struct vm_config *c, const char *msgid, int priority, const char *event,
		   const char *dir, const char *message, struct journal_fields *f);

#endif
