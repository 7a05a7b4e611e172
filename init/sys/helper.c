/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "helper.h"
#include "log.h"

static int helper_sock = -EBADF;
static unsigned pending; /* requests sent whose status byte is not read yet */

/* fork and exec, with fd (when >= 0) on fd 3. */
static pid_t spawn(const char *const argv[], int fd)
{
	static char *const envp[] = { (char *)"PATH=/usr/sbin:/usr/bin", NULL };
	sigset_t none;
	pid_t pid;

	pid = fork();
	if (pid != 0)
		return pid < 0 ? log_error_errno(-errno, "Failed to fork for %s: %m", argv[1]) : pid;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* dup2() onto itself would keep O_CLOEXEC */
	if (fd >= 0 && (fd == 3 ? fcntl(fd, F_SETFD, 0) : dup2(fd, 3)) < 0)
		_exit(127);
	execve(argv[0], (char *const *)argv, envp);
	log_error_errno(-errno, "Failed to execute %s: %m", argv[0]);
	_exit(127);
}

int helper_run_status(const char *const argv[])
{
	int status;
	pid_t pid = spawn(argv, -EBADF);

	if (pid < 0)
		return pid;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return log_error_errno(-errno, "Failed to wait for %s: %m", argv[1]);
	if (!WIFEXITED(status)) {
		log_error("%s %s failed (signal %d)", argv[0], argv[1], WTERMSIG(status));
		return -EIO;
	}
	return WEXITSTATUS(status);
}

int helper_run(const char *const argv[])
{
	int r = helper_run_status(argv);

	if (r > 0) {
		log_error("%s %s failed (exit status %d)", argv[0], argv[1], r);
		return -EIO;
	}
	return r;
}

int sysinit_helper_start(void)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return log_error_errno(-errno, "Failed to create the helper's socket pair: %m");
	pid = spawn((const char *const[]){ KCC_INIT_PATH, "sysinit-helper", NULL }, sv[1]);
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		return pid;
	}
	helper_sock = sv[0];
	return 0;
}

static int send_words(const char *const argv[])
{
	char buf[512];
	size_t n = 0;

	if (helper_sock < 0)
		return -ENOTCONN;
	for (size_t i = 0; argv[i]; i++) {
		size_t l = strlen(argv[i]) + 1;
		if (n + l > sizeof(buf))
			return -E2BIG;
		memcpy(buf + n, argv[i], l);
		n += l;
	}
	if (send(helper_sock, buf, n, MSG_NOSIGNAL) != (ssize_t)n)
		return log_error_errno(-errno, "Failed to send '%s' to kcc-init sysinit-helper: %m",
				       argv[0]);
	return 0;
}

int sysinit_helper_request(const char *const argv[])
{
	int r = send_words(argv);

	if (r >= 0)
		pending++;
	return r;
}

int sysinit_helper_flush(void)
{
	int r = 0;

	for (; pending > 0; pending--) {
		unsigned char status;
		ssize_t k;

		do
			k = recv(helper_sock, &status, 1, 0);
		while (k < 0 && errno == EINTR);
		if (k != 1 || status != HELPER_OK)
			r = log_error_errno(-EIO, "kcc-init sysinit-helper: a request failed%s",
					    k == 0 ? " (it exited)" : "");
	}
	return r;
}

int sysinit_helper_send(const char *const argv[])
{
	int r = sysinit_helper_flush();

	if (r >= 0)
		r = send_words(argv);
	return r < 0 ? r : helper_sock;
}

int sysinit_helper_call(const char *const argv[])
{
	int r = sysinit_helper_request(argv);

	return r < 0 ? r : sysinit_helper_flush();
}

void sysinit_helper_stop(void)
{
	if (helper_sock >= 0)
		close(helper_sock);
	helper_sock = -EBADF;
}
