/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Running QEMU as another user (hvdump run --qemu-user): who that is, and taking on that
 * identity in a forked child before it runs QEMU. */
#ifndef HVDUMP_QEMU_USER_H
#define HVDUMP_QEMU_USER_H

#include <sys/types.h>

#define QEMU_USER_MAX_GROUPS 256

struct qemu_user {
	char name[64];
	uid_t uid;
	gid_t gid;                     /* its primary group */
	gid_t groups[QEMU_USER_MAX_GROUPS]; /* its supplementary groups, as initgroups() sets */
	int ngroups;
};

/* Look NAME up in the user database.  0; -ENOENT if there is no such user; -E2BIG if it is
 * in more than QEMU_USER_MAX_GROUPS groups; -ENAMETOOLONG; or another -errno. */
__attribute__((warn_unused_result)) int qemu_user_lookup(const char *name, struct qemu_user *out);

/* Become U for good, in a forked child before exec (only async-signal-safe calls): its
 * supplementary groups, then its group, then its user ID (real, effective and saved), and
 * check that root's cannot be taken back.  The caller must be root.  0 or -errno; on error
 * the child must not exec. */
__attribute__((warn_unused_result)) int qemu_user_enter(const struct qemu_user *u);

/* Can U open PATH with FLAGS (O_RDONLY or O_RDWR)?  Asked of the kernel: a forked child
 * becomes U and opens it.  0 or -errno. */
__attribute__((warn_unused_result)) int qemu_user_can_open(const struct qemu_user *u,
							    const char *path, int flags);

#endif
