/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* svc_signal_cgroup: SIGTERM reaches every process cgroup.procs lists (here a plain directory
 * standing in for the cgroup, with the pids of real children), not only the first. */
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include "unit.h"

#include "service-proc.h"
#include "util.h"

static pid_t idle_child(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		for (;;)
			pause();
	}
	return pid;
}

static void test_signal_every_process(void **state)
{
	char dir[] = "/tmp/kcc-unit-cgprocs-XXXXXX", path[64], text[64];
	pid_t kids[3];
	int fd, st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < ARRAY_SIZE(kids); i++)
		kids[i] = idle_child();
	snprintf(text, sizeof(text), "%d\n%d\n%d\n", (int)kids[0], (int)kids[1], (int)kids[2]);
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	assert_int_equal(write_new_file(path, text, 0644), 0);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(svc_signal_cgroup(fd, SIGTERM), 3);
	for (size_t i = 0; i < ARRAY_SIZE(kids); i++) {
		assert_int_equal(waitpid(kids[i], &st, 0), kids[i]);
		assert_true(WIFSIGNALED(st));
		assert_int_equal(WTERMSIG(st), SIGTERM);
	}
	/* no cgroup.procs: an error, not a silent success */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(svc_signal_cgroup(fd, SIGTERM), -ENOENT);
	close(fd);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signal_every_process),
	};
	return cmocka_run_group_tests_name("service-proc", tests, NULL, NULL);
}
