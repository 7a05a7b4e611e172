/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kcc-test-hostile: a hostile service of the test image (tests/vm/55-hostile-service.bats). It runs
 * as a service would, tries each escape of the checks table below and prints one line per check:
 *     hostile: NAME RESULT detail
 * RESULT is "ok" (the attempt went through), an errno name (EPERM, EACCES, EROFS, ...),
 * "refused" (PID 1 answered no) or "survived" (kill-all: the victim is still there). Then it
 * signals readiness on fd 3 (so the test agent runs after it) and waits. Static, test images only.
 * To add a check: one function, one row in checks[]; "kcc-test-hostile --list" prints the names. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define CONTROL_SOCKET "/run/kcc/control"
#define VICTIM_PROCS "/sys/fs/cgroup/services/sleeper/cgroup.procs"
#define VICTIM_LIMIT "/sys/fs/cgroup/services/sleeper/pids.max"

typedef struct Check {
	const char *name;
	/* Writes the result word and a detail; returns nothing: every outcome is reported. */
	void (*run)(char *result, size_t rlen, char *detail, size_t dlen);
} Check;

static const char *errname(int e)
{
	switch (e) {
	case 0: return "ok";
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case EROFS: return "EROFS";
	case ENOENT: return "ENOENT";
	case ESRCH: return "ESRCH";
	case EINVAL: return "EINVAL";
	case ENOSYS: return "ENOSYS";
	case ECONNREFUSED: return "ECONNREFUSED";
	default: return strerror(e);
	}
}

static void result_errno(char *result, size_t rlen, int rc)
{
	snprintf(result, rlen, "%s", errname(rc < 0 ? errno : 0));
}

static pid_t victim_pid(void)
{
	FILE *f = fopen(VICTIM_PROCS, "re");
	long pid = 0;

	if (f) {
		if (fscanf(f, "%ld", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	return (pid_t)pid;
}

/* kill(1, SIGTERM): as PID 1's handler of SIGTERM is a reboot, the attempt to reboot the node. */
static void check_kill_pid1(char *result, size_t rlen, char *detail, size_t dlen)
{
	result_errno(result, rlen, kill(1, SIGTERM));
	snprintf(detail, dlen, "kill(1, SIGTERM)");
}

/* kill(-1, SIGKILL): every process the caller may signal. Returns 0 even when it may signal none,
 * so the result is whether another service (sleeper's main process) survived it. */
static void check_kill_all(char *result, size_t rlen, char *detail, size_t dlen)
{
	pid_t v = victim_pid();
	int rc, e;

	rc = kill(-1, SIGKILL);
	e = errno;
	usleep(200 * 1000); /* the victim is checked, not waited for: SIGKILL is immediate */
	if (v > 0 && kill(v, 0) < 0 && errno == ESRCH)
		snprintf(result, rlen, "killed");
	else
		snprintf(result, rlen, "survived");
	snprintf(detail, dlen, "kill(-1, SIGKILL) = %d (%s), sleeper pid %d", rc,
		 rc < 0 ? errname(e) : "ok", (int)v);
}

/* poweroff on the control socket. */
static void check_ctl_poweroff(char *result, size_t rlen, char *detail, size_t dlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct pollfd p;
	char reply[256];
	ssize_t n;
	int fd;

	strncpy(sa.sun_path, CONTROL_SOCKET, sizeof(sa.sun_path) - 1);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		result_errno(result, rlen, -1);
		snprintf(detail, dlen, "connect %s", CONTROL_SOCKET);
		if (fd >= 0)
			close(fd);
		return;
	}
	if (send(fd, "poweroff", 8, MSG_NOSIGNAL) < 0) {
		result_errno(result, rlen, -1);
		snprintf(detail, dlen, "send");
		close(fd);
		return;
	}
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	n = poll(&p, 1, 5000) > 0 ? recv(fd, reply, sizeof(reply) - 1, 0) : -1;
	close(fd);
	if (n < 0) {
		snprintf(result, rlen, "no-answer");
		snprintf(detail, dlen, "-");
		return;
	}
	reply[n] = '\0';
	snprintf(result, rlen, "%s", strncmp(reply, "error: permission denied", 24) == 0 ? "refused" :
				     strcmp(reply, "ok") == 0 ? "ok" : "error");
	snprintf(detail, dlen, "reply '%s'", reply);
}

/* The same through kcc-ctl: its exit code for a refusal is 112 (init/ctl.c). */
static void check_kcc_ctl(char *result, size_t rlen, char *detail, size_t dlen)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (null >= 0)
			dup2(null, STDOUT_FILENO);
		execl("/usr/bin/kcc-ctl", "kcc-ctl", "poweroff", (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid) {
		result_errno(result, rlen, -1);
		snprintf(detail, dlen, "fork");
		return;
	}
	snprintf(result, rlen, "exit-%d", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	snprintf(detail, dlen, "kcc-ctl poweroff");
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), e;
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	e = errno;
	close(fd);
	errno = e;
	return n < 0 ? -1 : 0;
}

/* Raising another service's limit. */
static void check_cgroup_write(char *result, size_t rlen, char *detail, size_t dlen)
{
	result_errno(result, rlen, write_file(VICTIM_LIMIT, "max"));
	snprintf(detail, dlen, "write max to %s", VICTIM_LIMIT);
}

/* Moving itself into another service's cgroup (out of its own limits). */
static void check_cgroup_move(char *result, size_t rlen, char *detail, size_t dlen)
{
	result_errno(result, rlen, write_file(VICTIM_PROCS, "0"));
	snprintf(detail, dlen, "write 0 to %s", VICTIM_PROCS);
}

static const Check checks[] = {
	{ "kill-pid1-term", check_kill_pid1 },
	{ "ctl-poweroff", check_ctl_poweroff },
	{ "kcc-ctl-poweroff", check_kcc_ctl },
	{ "cgroup-write", check_cgroup_write },
	{ "cgroup-move", check_cgroup_move },
	{ "kill-all", check_kill_all }, /* last: without the BPF LSM, as uid 0 it kills every root process */
};

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && strcmp(argv[1], "--list") == 0) {
		for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++)
			printf("%s\n", checks[i].name);
		return 0;
	}
	printf("hostile: uid %d gid %d\n", (int)getuid(), (int)getgid());
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		char result[32] = "", detail[256] = "";

		checks[i].run(result, sizeof(result), detail, sizeof(detail));
		printf("hostile: %s %s %s\n", checks[i].name, result, detail);
	}
	printf("hostile: done\n");
	/* readiness: the test agent starts after this service */
	if (write(3, "\n", 1) < 0)
		printf("hostile: no readiness fd: %s\n", strerror(errno));
	for (;;)
		sleep(3600); /* pause(2) is not in the services' seccomp allowlist */
}
