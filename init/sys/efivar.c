/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "efivar.h"
#include "util.h"

#define EFIVAR_MAX 4096

int efivar_read(const char *path, void *buf, size_t size)
{
	uint8_t raw[4 + EFIVAR_MAX + 1];
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	size_t n = 0;

	if (fd < 0)
		return -errno;
	/* efivarfs hands the whole variable to the first read; loop for any other file system */
	while (n < sizeof(raw)) {
		ssize_t k = read(fd, raw + n, sizeof(raw) - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			break;
		n += (size_t)k;
	}
	if (n < 4)
		return -EBADMSG;
	if (n - 4 > size || n == sizeof(raw))
		return -E2BIG;
	memcpy(buf, raw + 4, n - 4);
	return (int)(n - 4);
}

/* Clears efivarfs' immutable flag of an existing variable; 0 when there is none. */
static int make_mutable(const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	int flags;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0) /* no flags on this file system: nothing to clear */
		return errno == ENOTTY || errno == EOPNOTSUPP ? 0 : -errno;
	if (!(flags & FS_IMMUTABLE_FL))
		return 0;
	flags &= ~FS_IMMUTABLE_FL;
	return ioctl(fd, FS_IOC_SETFLAGS, &flags) < 0 ? -errno : 0;
}

int efivar_write(const char *path, uint32_t attrs, const void *data, size_t size)
{
	uint8_t buf[4 + EFIVAR_MAX];
	_cleanup_close_ int fd = -EBADF;
	ssize_t k;
	int r;

	if (size > EFIVAR_MAX)
		return -E2BIG;
	r = make_mutable(path);
	if (r < 0)
		return r;
	for (int i = 0; i < 4; i++)
		buf[i] = (uint8_t)(attrs >> (8 * i));
	memcpy(buf + 4, data, size);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	/* one write: one SetVariable of the whole value */
	k = write(fd, buf, 4 + size);
	if (k < 0)
		return -errno;
	return (size_t)k == 4 + size ? 0 : -EIO;
}

int efivar_delete(const char *path)
{
	int r = make_mutable(path);

	if (r < 0)
		return r;
	return unlink(path) < 0 ? -errno : 0;
}
