/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kcc-kubelet's self-confinement, in a child with a mount namespace of its own (needs root, else
 * skipped): /proc/sys read-only (EROFS), a pod's user namespace can still mount its own proc, and
 * only the kept capabilities stay in the bounding and effective sets. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"

#include "confine.h"

/* In a child: what a container runtime does for a pod, a user and mount namespace whose root is
 * host uid 100000 (the map written from outside, as crun does) and a fresh proc in a new pid
 * namespace. Returns 0 when it mounted. */
static int pod_proc_mount(void)
{
	int up[2], down[2], st;
	char c = 0, path[64];
	pid_t pid;

	if (pipe2(up, O_CLOEXEC) < 0 || pipe2(down, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		char dir[] = "/tmp/kcc-confine-proc-XXXXXX";
		if (!mkdtemp(dir) || unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID) < 0 ||
		    write(up[1], &c, 1) != 1 || read(down[0], &c, 1) != 1 || c != 1)
			_exit(2);
		if (fork() == 0)
			_exit(mount("proc", dir, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 ? 5
												    : 0);
		if (wait(&st) < 0)
			_exit(6);
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 7);
	}
	if (pid < 0 || read(up[0], &c, 1) != 1)
		return -1;
	for (int k = 0; k < 2; k++) {
		int fd;
		snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, k ? "gid_map" : "uid_map");
		fd = open(path, O_WRONLY | O_CLOEXEC);
		c = fd >= 0 && write(fd, "0 100000 65536\n", 15) == 15;
		if (fd >= 0)
			close(fd);
		if (!c)
			break;
	}
	(void)!write(down[1], &c, 1);
	for (int k = 0; k < 2; k++)
		close(up[k]), close(down[k]);
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 8;
}

static unsigned long long status_hex(const char *key)
{
	char line[256];
	unsigned long long v = ~0ULL;
	FILE *f = fopen("/proc/self/status", "re");

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, key, strlen(key)) == 0)
			v = strtoull(line + strlen(key), NULL, 16);
	if (f)
		fclose(f);
	return v;
}

static void test_confine(void **state)
{
	pid_t pid;
	int st;

	(void)state;
	if (geteuid() != 0)
		skip();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char pids[] = "/tmp/kcc-confine-XXXXXX";
		int fd;
		if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    !mkdtemp(pids))
			_exit(10);
		if (pod_proc_mount() != 0)
			_exit(11); /* the environment cannot run the test at all */
		if (kubelet_proc_sys_read_only(pids) < 0)
			_exit(12);
		fd = open("/proc/sys/kernel/hostname", O_WRONLY | O_CLOEXEC);
		if (fd >= 0 || errno != EROFS)
			_exit(13);
		if (pod_proc_mount() != 0)
			_exit(14); /* pods could no longer mount their proc */
		/* what it keeps of what it had (this machine may lack one of them) */
		unsigned long long want = kubelet_kept_caps() & status_hex("CapPrm:");
		if (kubelet_drop_caps() < 0)
			_exit(15);
		if (status_hex("CapBnd:") != want || status_hex("CapEff:") != want ||
		    status_hex("CapPrm:") != want || status_hex("CapAmb:") != 0)
			_exit(16);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == 11)
		skip();
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(kubelet_kept_caps(), 0x812c11ebULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_confine),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
