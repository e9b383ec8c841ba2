/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copying a saved crash off the host (`hvdump copy`, `hvdump run --dump-target`), as kdump's
 * SSH= target does, and saying so in its record (docs/hvdump-copy.md). */
#ifndef HVDUMP_VM_OFFHOST_COPY_H
#define HVDUMP_VM_OFFHOST_COPY_H

#include <stdbool.h>
#include <stddef.h>

#include "dump/offhost.h"

/* Copy the crash in CRASH_DIR to T's PATH/NAME (NAME: CRASH_DIR's own name), with ssh run
 * as O says (dump/offhost.h).  Blocking, no event loop, no thread; it starts ssh processes
 * and waits for them (waitpid on their pids only), so SIGCHLD must not be ignored.  Meant
 * for a child process after a save, or for `hvdump copy`.
 *
 * The crash must be finished: state "saved" or "dumped", its record naming its dump file
 * ("dump_file"; only its name is used, looked up in CRASH_DIR, never followed through a
 * symbolic link) and that file present.  Copied, in this order, each as NAME.part then
 * checked (SHA-256 of the bytes read here against sha256sum's there):
 *   1. the dump file, streamed (never held in memory), progress logged every 5 s;
 *   2. dmesg.txt when the crash directory has one;
 *   3. crash.json: the local record as it is then, with "dump_file" and "dmesg_file"
 *      naming the remote files, "copied_from" {host, dir, dump_file, time} saying where it
 *      came from, and "dump_target" {url, remote_dir, files, verified: true} listing the
 *      two files above, checked.
 * Then all three are renamed into place, the record last, and the remote directory synced:
 * a remote crash.json means a complete, checked copy.  Only then is the local record
 * updated (record_merge): "dump_target" {url, remote_dir, files [{name, bytes, sha256}] (the
 * three), verified: true, copy_ms, time, local_dropped: false}.
 *
 * DROP_LOCAL: after that, the local dump file is removed (and the directory synced), and
 * the record's "dump_target" says "local_dropped": true; dmesg.txt and crash.json stay.
 *
 * Returns 0 (copied, checked, recorded; dropped when asked).
 * -EINVAL with WHY: this crash cannot be copied (no record, not finished, no dump file, the
 *   local dump dropped already, an unusable ssh option); nothing was tried or recorded.
 * Any other -errno with WHY: the copy failed (ssh's or the remote shell's own words: "Host
 *   key verification failed", "Connection refused", "Permission denied"; or a copy that
 *   does not match).  The record gets "dump_target_error" {url, error, time}; the remote
 *   .part files are removed when the host can still be reached; the local dump is
 *   untouched.  A copy that succeeded but whose local dump could not be dropped, or whose
 *   record could not be updated, returns -errno with WHY saying so (the dump stays). */
__attribute__((warn_unused_result)) int offhost_copy(const char *crash_dir,
						      const struct dump_target *t,
						      const struct offhost_opts *o, bool drop_local,
						      char *why, size_t whylen);

#endif
