/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "rm-rf.h"
#include "util.h"

static int children(int dirfd, unsigned flags, dev_t dev)
{
	DIR *d = opendir_at(dirfd, NULL);
	struct dirent *de;
	int r = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		struct stat st;
		int q;

		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT)
				r = -errno;
			continue;
		}
		if ((flags & RM_RF_ONE_FS) && st.st_dev != dev)
			continue;
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd, de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0) {
				r = -errno;
				continue;
			}
			q = children(sub, flags, dev);
			close(sub);
			if (q < 0)
				r = q;
		}
		q = RET_NERRNO(unlinkat(dirfd, de->d_name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0));
		if (q < 0 && q != -ENOENT)
			r = q;
	}
	closedir(d);
	return r;
}

int rm_rf_children(int dirfd, unsigned flags)
{
	struct stat st;

	if (fstat(dirfd, &st) < 0)
		return -errno;
	return children(dirfd, flags, st.st_dev);
}

int rm_rf_at(int parent, const char *name)
{
	struct stat st;
	int fd;

	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return RET_NERRNO(unlinkat(parent, name, 0));
	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	(void)children(fd, 0, st.st_dev);
	close(fd);
	return RET_NERRNO(unlinkat(parent, name, AT_REMOVEDIR));
}

int rm_rf(const char *path)
{
	return rm_rf_at(AT_FDCWD, path);
}
