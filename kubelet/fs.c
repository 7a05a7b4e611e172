/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "fs.h"
#include "util.h"

int rm_rf_at(int parent, const char *name)
{
	struct stat st;

	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (S_ISDIR(st.st_mode)) {
		int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
		struct dirent *de;
		if (!d) {
			if (fd >= 0)
				close(fd);
			return -errno;
		}
		while ((de = readdir(d)))
			if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
				(void)rm_rf_at(dirfd(d), de->d_name);
		closedir(d);
		return RET_NERRNO(unlinkat(parent, name, AT_REMOVEDIR));
	}
	return RET_NERRNO(unlinkat(parent, name, 0));
}

int rm_rf(const char *path)
{
	return rm_rf_at(AT_FDCWD, path);
}
