/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>

#include "hostpath.h"
#include "util.h"

#define RESOLVE_HOST (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)

static int __attribute__((format(printf, 4, 5)))
fail(int r, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return r;
}

static int open_beneath(int root, const char *rel, unsigned long flags)
{
	struct open_how how = { .flags = flags | O_PATH | O_CLOEXEC, .resolve = RESOLVE_HOST };

	return RET_NERRNO(syscall(SYS_openat2, root, rel, &how, sizeof(how)));
}

/* Kernel file systems are never a hostPath, whatever path leads to them (a bind mount). */
static bool kernel_fs(int fd)
{
	static const unsigned long magics[] = {
		PROC_SUPER_MAGIC,      SYSFS_MAGIC,	    DEBUGFS_MAGIC,
		TRACEFS_MAGIC,	       SECURITYFS_MAGIC,    BPF_FS_MAGIC,
		CGROUP2_SUPER_MAGIC,   CGROUP_SUPER_MAGIC,  EFIVARFS_MAGIC,
		DEVPTS_SUPER_MAGIC,    0x1cd1 /* devpts */, 0x62656570 /* configfs */,
		0x6e736673 /* nsfs */,
	};
	struct statfs sf;

	if (fstatfs(fd, &sf) < 0)
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(magics); i++)
		if ((unsigned long)sf.f_type == magics[i])
			return true;
	return false;
}

/* Creates the last component for the *OrCreate types; its parent is resolved like the path. */
static int create_last(int root, const char *rel, HostPathType type)
{
	char parent[4096];
	const char *slash = strrchr(rel, '/'), *base = slash ? slash + 1 : rel;
	_cleanup_close_ int pfd = -EBADF;
	int r;

	snprintf(parent, sizeof(parent), "%.*s", slash ? (int)(slash - rel) : 1, slash ? rel : ".");
	pfd = open_beneath(root, parent, O_DIRECTORY);
	if (pfd < 0)
		return pfd;
	if (type == HOST_PATH_DIRECTORY_OR_CREATE)
		r = RET_NERRNO(mkdirat(pfd, base, 0755));
	else {
		/* an O_PATH parent cannot create files: reopen it for real */
		_cleanup_close_ int dfd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0)
			return -errno;
		r = RET_NERRNO(openat(dfd, base,
				      O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
		if (r >= 0)
			close(r);
	}
	return r == -EEXIST ? 0 : r < 0 ? r : 0;
}

int host_path_open(const char *canonical, HostPathType type, char *err, size_t errlen)
{
	_cleanup_close_ int root = -EBADF, fd = -EBADF;
	const char *rel = canonical + strspn(canonical, "/");
	struct stat st;
	bool ok;

	root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return fail(-errno, err, errlen, "hostPath: cannot open /: %m");
	if (!rel[0])
		return fail(-EPERM, err, errlen, "hostPathForbidden: '/' is never mountable");
	fd = open_beneath(root, rel, 0);
	if (fd == -ENOENT &&
	    (type == HOST_PATH_DIRECTORY_OR_CREATE || type == HOST_PATH_FILE_OR_CREATE)) {
		int r = create_last(root, rel, type);
		if (r < 0)
			return fail(r, err, errlen, "hostPathType: cannot create %s '%s': %s",
				    host_path_type_to_string(type), canonical, strerror(-r));
		fd = open_beneath(root, rel, 0);
	}
	if (fd == -ELOOP || fd == -EXDEV)
		return fail(-ELOOP, err, errlen,
			    "hostPathSymlink: '%s' goes through a symbolic link "
			    "(refused: the path must be what it says)",
			    canonical);
	if (fd < 0)
		return fail(fd, err, errlen, "hostPath: '%s': %s", canonical, strerror(-fd));
	if (fstat(fd, &st) < 0)
		return fail(-errno, err, errlen, "hostPath: '%s': %m", canonical);
	if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode))
		return fail(-EPERM, err, errlen, "hostPathType: '%s' is a device or FIFO (refused)",
			    canonical);
	if (kernel_fs(fd))
		return fail(-EPERM, err, errlen,
			    "hostPathForbidden: '%s' is on a kernel file "
			    "system (never mountable)",
			    canonical);
	switch (type) {
	case HOST_PATH_DIRECTORY:
	case HOST_PATH_DIRECTORY_OR_CREATE:
		ok = S_ISDIR(st.st_mode);
		break;
	case HOST_PATH_FILE:
	case HOST_PATH_FILE_OR_CREATE:
		ok = S_ISREG(st.st_mode);
		break;
	case HOST_PATH_SOCKET:
		ok = S_ISSOCK(st.st_mode);
		break;
	default:
		ok = S_ISDIR(st.st_mode) || S_ISREG(st.st_mode) || S_ISSOCK(st.st_mode);
	}
	if (!ok)
		return fail(-EPERM, err, errlen, "hostPathType: '%s' is not a %s", canonical,
			    type ? host_path_type_to_string(type) : "directory, file or socket");
	return TAKE_FD(fd);
}

int host_path_stage(int fd, const char *staging, bool read_only, char *err, size_t errlen)
{
	struct mount_attr attr = {
		.attr_set =
			MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (read_only ? MOUNT_ATTR_RDONLY : 0),
	};
	_cleanup_close_ int mfd = -EBADF;
	struct stat st;
	int r;

	if (fstat(fd, &st) < 0)
		return fail(-errno, err, errlen, "hostPath: %m");
	if (S_ISDIR(st.st_mode))
		r = RET_NERRNO(mkdir(staging, 0700));
	else
		r = RET_NERRNO(mknod(staging, S_IFREG | 0600, 0));
	if (r < 0 && r != -EEXIST)
		return fail(r, err, errlen, "hostPath: cannot create %s: %s", staging,
			    strerror(-r));
	mfd = RET_NERRNO(open_tree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH));
	if (mfd < 0)
		return fail(mfd, err, errlen, "hostPath: open_tree: %s", strerror(-mfd));
	r = RET_NERRNO(mount_setattr(mfd, "", AT_EMPTY_PATH, &attr, sizeof(attr)));
	if (r < 0)
		return fail(r, err, errlen, "hostPath: mount_setattr: %s", strerror(-r));
	r = RET_NERRNO(move_mount(mfd, "", AT_FDCWD, staging, MOVE_MOUNT_F_EMPTY_PATH));
	if (r < 0)
		return fail(r, err, errlen, "hostPath: move_mount onto %s: %s", staging,
			    strerror(-r));
	return 0;
}

int host_path_unstage(const char *staging)
{
	int r = 0;

	/* stacked mounts (a restart that staged again) all come off */
	while (r >= 0)
		r = RET_NERRNO(umount2(staging, MNT_DETACH | UMOUNT_NOFOLLOW));
	return r == -EINVAL || r == -ENOENT ? 0 : r;
}
