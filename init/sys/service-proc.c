/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>

#include "service-proc.h"
#include "util.h"

#define SIGNAL_PASSES 8
#define SIGNALLED_MAX 1024

pid_t svc_clone(int cg_fd, bool *ret_in_cgroup)
{
	struct clone_args args = {
		.flags = CLONE_INTO_CGROUP,
		.exit_signal = SIGCHLD,
		.cgroup = (uint64_t)cg_fd,
	};
	long pid;

	pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid >= 0) {
		*ret_in_cgroup = true;
		return (pid_t)pid;
	}
	if (errno != ENOSYS && errno != E2BIG)
		return -errno;
	*ret_in_cgroup = false;
	pid = fork();
	return pid < 0 ? -errno : (pid_t)pid;
}

static bool seen(const pid_t *list, unsigned n, pid_t pid)
{
	for (unsigned i = 0; i < n; i++)
		if (list[i] == pid)
			return true;
	return false;
}

int svc_signal_cgroup(int cg_fd, int sig)
{
	static pid_t done[SIGNALLED_MAX];
	unsigned n = 0;

	for (int pass = 0; pass < SIGNAL_PASSES; pass++) {
		_cleanup_fclose_ FILE *f = NULL;
		unsigned before = n;
		int fd;
		char line[32];
		long pid;

		fd = openat(cg_fd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		f = fdopen(fd, "re");
		if (!f) {
			close(fd);
			return -errno;
		}
		while (fgets(line, sizeof(line), f)) {
			pid = strtol(line, NULL, 10);
			if (pid <= 1 || seen(done, n, (pid_t)pid))
				continue;
			if (kill((pid_t)pid, sig) < 0 && errno != ESRCH)
				return -errno;
			if (n < SIGNALLED_MAX)
				done[n++] = (pid_t)pid;
		}
		if (n == before)
			break;
	}
	return (int)n;
}

int svc_kill_cgroup(int cg_fd)
{
	return cg_fd < 0 ? -EBADF : write_string_fileat(cg_fd, "cgroup.kill", "1");
}
