/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "peer.h"
#include "util.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif

static int read_cap_eff(pid_t pid, unsigned long long *ret)
{
	_cleanup_fclose_ FILE *f = NULL;
	char path[32], line[256];

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	while (fgets(line, sizeof(line), f)) {
		const char *v = startswith(line, "CapEff:");
		char *end;

		if (!v)
			continue;
		errno = 0;
		*ret = strtoull(v, &end, 16);
		if (errno || end == v)
			return -EBADMSG;
		return 0;
	}
	return -EBADMSG;
}

/* 1 when PID lives in our (the initial) user namespace: capabilities in CapEff count only there.
 * A process that made its own user namespace shows a full CapEff that means nothing to us. */
static int same_user_ns(pid_t pid)
{
	struct stat ours, theirs;
	char path[48];

	if (stat("/proc/self/ns/user", &ours) < 0)
		return -errno;
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	if (stat(path, &theirs) < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	return ours.st_dev == theirs.st_dev && ours.st_ino == theirs.st_ino;
}

int peer_pidfd_has_cap(int pidfd, pid_t pid, int cap)
{
	unsigned long long eff;
	int r, same;

	if (pid <= 1 || pid == getpid() || cap < 0 || cap > 63)
		return -EPERM;
	same = same_user_ns(pid);
	if (same < 0)
		return same;
	r = read_cap_eff(pid, &eff);
	if (r < 0)
		return r;
	/* Still alive (a zombie counts: its pid cannot be reused before it is reaped), so the
	 * status read was this process's. */
	if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0)
		return errno == ESRCH ? -ESRCH : -errno;
	return same && (eff & (1ULL << cap));
}

int peer_pid_has_cap(pid_t pid, int cap)
{
	_cleanup_close_ int pidfd = -EBADF;

	if (pid <= 1 || pid == getpid())
		return -EPERM;
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return -errno;
	return peer_pidfd_has_cap(pidfd, pid, cap);
}

/* The pid a pidfd refers to, from its fdinfo ("Pid:"). */
static int pidfd_pid(int pidfd, pid_t *ret)
{
	_cleanup_fclose_ FILE *f = NULL;
	char path[48], line[128];

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *end;
		long pid;

		if (!startswith(line, "Pid:"))
			continue;
		errno = 0;
		pid = strtol(line + 4, &end, 10);
		if (errno || end == line + 4 || (*end && *end != '\n'))
			return -EBADMSG;
		if (pid <= 0 || pid > INT_MAX)
			return -ESRCH;
		*ret = (pid_t)pid;
		return 0;
	}
	return -EBADMSG;
}

int peer_socket_pidfd(int sock, pid_t *ret_pid, uid_t *ret_uid, int *ret_pidfd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int pidfd = -EBADF, r;

	if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -errno;
	len = sizeof(pidfd);
	if (getsockopt(sock, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) == 0) {
		pid_t pid = 0;
		r = pidfd_pid(pidfd, &pid);
		if (r < 0) {
			close(pidfd);
			return r;
		}
		cred.pid = pid;
	} else if (errno == ENOPROTOOPT || errno == EINVAL) {
		/* Before Linux 6.5: the pid SO_PEERCRED took at connect. The caller checks that the
		 * connection is still up, so the process that connected is still alive. */
		pidfd = (int)syscall(SYS_pidfd_open, cred.pid, 0);
		if (pidfd < 0)
			return -errno;
	} else
		return -errno;
	*ret_pid = cred.pid;
	*ret_uid = cred.uid;
	*ret_pidfd = pidfd;
	return 0;
}
