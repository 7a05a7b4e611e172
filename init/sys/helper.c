/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include "helper.h"
#include "log.h"

int helper_run(const char *const argv[], int fd)
{
	static char *const envp[] = { (char *)"PATH=/usr/sbin:/usr/bin", NULL };
	sigset_t none;
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return log_error_errno(-errno, "Failed to fork for %s: %m", argv[1]);
	if (pid == 0) {
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* dup2() onto itself would keep O_CLOEXEC */
		if (fd >= 0 && (fd == 3 ? fcntl(fd, F_SETFD, 0) : dup2(fd, 3)) < 0)
			_exit(127);
		execve(argv[0], (char *const *)argv, envp);
		log_error_errno(-errno, "Failed to execute %s: %m", argv[0]);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return log_error_errno(-errno, "Failed to wait for %s: %m", argv[1]);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		log_error("%s %s failed (%s %d)", argv[0], argv[1],
			  WIFEXITED(status) ? "exit status" : "signal",
			  WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		return -EIO;
	}
	return 0;
}
