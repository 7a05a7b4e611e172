/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "userns.h"
#include "util.h"

static uid_t shifted(unsigned long id, uid_t base)
{
	return (uid_t)(base + (id < POD_IDS ? id : 65534));
}

static int shift_at(int dfd, const char *name, dev_t dev, uid_t base, unsigned depth)
{
	struct stat st;
	int r;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (st.st_dev != dev)
		return 0; /* not across mounts */
	if (depth > 256)
		return -ELOOP;
	r = RET_NERRNO(fchownat(dfd, name, shifted(st.st_uid, base), shifted(st.st_gid, base),
				AT_SYMLINK_NOFOLLOW));
	if (r < 0)
		return r;
	/* chown drops set-user-ID and set-group-ID bits: put them back */
	if (S_ISREG(st.st_mode) && (st.st_mode & (S_ISUID | S_ISGID)))
		r = RET_NERRNO(fchmodat(dfd, name, st.st_mode & 07777, 0));
	if (r < 0 || !S_ISDIR(st.st_mode))
		return r;

	DIR *d = opendir_at(dfd, name);
	struct dirent *de;
	if (!d)
		return -errno;
	while (r >= 0 && (de = readdir(d)))
		if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
			r = shift_at(dirfd(d), de->d_name, dev, base, depth + 1);
	closedir(d);
	return r;
}

int rootfs_shift_owners(const char *root, uid_t base)
{
	struct stat st;

	if (lstat(root, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	return shift_at(AT_FDCWD, root, st.st_dev, base, 0);
}
