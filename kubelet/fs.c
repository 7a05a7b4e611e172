/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "fs.h"
#include "util.h"

int open_beneath(int dirfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)flags | O_CLOEXEC | O_NOFOLLOW,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	return RET_NERRNO(syscall(SYS_openat2, dirfd, path, &how, sizeof(how)));
}

static const char *type_name(mode_t m)
{
	return S_ISFIFO(m)   ? "a FIFO"
	       : S_ISCHR(m)  ? "a character device"
	       : S_ISBLK(m)  ? "a block device"
	       : S_ISSOCK(m) ? "a socket"
	       : S_ISDIR(m)  ? "a folder"
			     : "not a regular file";
}

int read_regular_fileat(int dirfd, const char *name, size_t max, char **ret, char *err,
			size_t errlen)
{
	_cleanup_close_ int fd = -EBADF;
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t len = 0;
	ssize_t k;

	fd = openat(dirfd, name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 && errno == ELOOP)
		return errorf(err, errlen, -ELOOP, "a symbolic link");
	if (fd < 0) { /* a socket cannot be opened (ENXIO): say what it is */
		int r = -errno;
		if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode))
			return errorf(err, errlen, -EBADFD, "%s", type_name(st.st_mode));
		return errorf(err, errlen, r, "%s", strerror(-r));
	}
	if (fstat(fd, &st) < 0)
		return errorf(err, errlen, -errno, "%s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return errorf(err, errlen, -EBADFD, "%s", type_name(st.st_mode));
	if ((uint64_t)st.st_size > max)
		return errorf(err, errlen, -EFBIG, "larger than %zu bytes", max);
	buf = malloc((size_t)st.st_size + 2);
	if (!buf)
		return -ENOMEM;
	/* one byte more than it had: a file that grows past max is caught too */
	while (len < (size_t)st.st_size + 1 &&
	       (k = read(fd, buf + len, (size_t)st.st_size + 1 - len)) != 0) {
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return errorf(err, errlen, -errno, "%s", strerror(errno));
		}
		len += (size_t)k;
	}
	if (len > max)
		return errorf(err, errlen, -EFBIG, "larger than %zu bytes", max);
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	return (int)len;
}
