// SPDX-License-Identifier: GPL-2.0-or-later
/* LD_PRELOAD shim for tests: fsync() of a directory fails with EIO once the file named by
 * FAILDIRSYNC_WHEN exists (so a test can fail exactly the directory sync that follows a
 * rename to that name, as a failing disk would).  Everything else goes to the real fsync. */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int fsync(int fd)
{
	static int (*real)(int);
	const char *when = getenv("FAILDIRSYNC_WHEN");
	struct stat st;

	if (!real)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	if (when && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) && access(when, F_OK) == 0) {
		errno = EIO;
		return -1;
	}
	return real ? real(fd) : (errno = ENOSYS, -1);
}
