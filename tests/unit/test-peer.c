/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The control socket's rule: a requester's effective capabilities, read for the process that
 * connected; a process that is gone, PID 1 and our own pid never pass. */
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "unit.h"

#include "peer.h"
#include "util.h"

static unsigned long long my_cap_eff(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	unsigned long long v = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* A child that waits (made a user namespace of its own first, when asked): its pid once ready. */
static pid_t waiting_child(bool own_user_ns)
{
	int p[2];
	pid_t pid;
	char c;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* a failed assertion in the parent must not leave this child holding stdout */
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(p[0]);
		if (own_user_ns && unshare(CLONE_NEWUSER) < 0)
			_exit(1);
		(void)!write(p[1], "x", 1);
		for (;;)
			pause();
	}
	close(p[1]);
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	return pid;
}

static void test_caps_of_a_child(void **state)
{
	int want = !!(my_cap_eff() & (1ULL << CAP_SYS_BOOT)), st;
	pid_t pid = waiting_child(false);

	(void)state;
	assert_int_equal(peer_pid_has_cap(pid, CAP_SYS_BOOT), want);
	/* a zombie is still itself: its pid cannot be reused before it is reaped */
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitid(P_PID, pid, NULL, WEXITED | WNOWAIT), 0);
	assert_int_equal(peer_pid_has_cap(pid, CAP_SYS_BOOT), want);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	/* reaped: gone */
	assert_true(peer_pid_has_cap(pid, CAP_SYS_BOOT) < 0);
	assert_int_equal(peer_pid_has_cap(1, CAP_SYS_BOOT), -EPERM);
	assert_int_equal(peer_pid_has_cap(getpid(), CAP_SYS_BOOT), -EPERM);
}

/* A process in a user namespace of its own has every capability there (CapEff all ones) and none
 * here: the rule must not count them. */
static void test_caps_in_own_user_ns(void **state)
{
	int st;
	pid_t pid = waiting_child(true);

	(void)state;
	/* the kernel shows the namespace's full set... */
	{
		char path[48], line[256];
		unsigned long long eff = 0;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
		f = fopen(path, "re");
		assert_non_null(f);
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "CapEff: %llx", &eff) == 1)
				break;
		fclose(f);
		assert_true(eff & (1ULL << CAP_SYS_BOOT));
	}
	/* ...which counts for nothing in ours */
	assert_int_equal(peer_pid_has_cap(pid, CAP_SYS_BOOT), 0);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
}

static void test_socket_peer(void **state)
{
	int sv[2], pidfd = -EBADF;
	pid_t pid = 0;
	uid_t uid = 1;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(peer_socket_pidfd(sv[0], &pid, &uid, &pidfd), 0);
	assert_int_equal(pid, getpid());
	assert_int_equal(uid, getuid());
	assert_true(pidfd >= 0);
	/* the requester is ourselves here, which the rule never accepts */
	assert_int_equal(peer_pidfd_has_cap(pidfd, pid, CAP_SYS_BOOT), -EPERM);
	close(pidfd);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_caps_of_a_child),
		cmocka_unit_test(test_caps_in_own_user_ns),
		cmocka_unit_test(test_socket_peer),
	};
	return cmocka_run_group_tests_name("peer", tests, NULL, NULL);
}
