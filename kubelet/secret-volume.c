/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostpath.h"
#include "secret-volume.h"
#include "util.h"

/* The secret's bytes: a regular file, no symbolic link on the last step, at most
 * SECRET_FILE_MAX bytes. */
static int secret_read(const char *dir, const char *name, char *buf, size_t *size, char *err,
		       size_t errlen)
{
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int fd = -EBADF;
	struct stat st;
	ssize_t n;

	if (dfd >= 0)
		fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0 || fd < 0) {
		if (errno == ENOENT)
			return errorf(err, errlen, -ENOKEY,
				      "secret \"%s\" was not released to this node (no affirming "
				      "attestation carried it yet)", name);
		return errorf(err, errlen, -errno, "secret \"%s\": %s", name, strerror(errno));
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > SECRET_FILE_MAX)
		return errorf(err, errlen, -EBADMSG, "secret \"%s\": not a file of at most %d bytes",
			      name, SECRET_FILE_MAX);
	n = read(fd, buf, SECRET_FILE_MAX);
	if (n < 0)
		return errorf(err, errlen, -errno, "secret \"%s\": %s", name, strerror(errno));
	*size = (size_t)n;
	return 0;
}

int secret_volume_stage(const Volume *v, const char *secrets_dir, const char *staging, uid_t ids,
			char *err, size_t errlen)
{
	const unsigned long flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	char buf[SECRET_FILE_MAX], opts[96];
	_cleanup_close_ int dfd = -EBADF, fd = -EBADF;
	size_t size = 0;
	int r;

	r = secret_read(secrets_dir, v->secret_name, buf, &size, err, errlen);
	if (r < 0)
		return r;
	/* a restart stages afresh: the secret a renewed join brought */
	r = host_path_unstage(staging);
	if (r >= 0 && mkdir(staging, 0700) < 0 && errno != EEXIST)
		r = -errno;
	snprintf(opts, sizeof(opts), "size=16k,nr_inodes=4,mode=0555,uid=%u,gid=%u", (unsigned)ids,
		 (unsigned)ids);
	if (r >= 0)
		r = RET_NERRNO(mount("tmpfs", staging, "tmpfs", flags, opts));
	if (r < 0) {
		explicit_wipe(buf, sizeof(buf));
		return errorf(err, errlen, r, "secret volume %s: cannot mount %s: %s", v->name, staging,
			      strerror(-r));
	}
	dfd = open(staging, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	fd = dfd < 0 ? -EBADF
		     : openat(dfd, v->secret_name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			      0444);
	if (fd < 0 || write(fd, buf, size) != (ssize_t)size || fchown(fd, ids, ids) < 0)
		r = -errno ?: -EIO;
	/* a file open for writing keeps the remount read-only busy */
	if (fd >= 0 && close(TAKE_FD(fd)) < 0 && r >= 0)
		r = -errno;
	if (r >= 0 && mount("tmpfs", staging, NULL, MS_REMOUNT | MS_RDONLY | flags, opts) < 0)
		r = -errno;
	explicit_wipe(buf, sizeof(buf));
	if (r < 0) {
		(void)host_path_unstage(staging);
		return errorf(err, errlen, r, "secret volume %s: cannot write the secret: %s", v->name,
			      strerror(-r));
	}
	return 0;
}
