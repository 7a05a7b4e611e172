/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kcc-kubelet: a container without a readiness probe is ready exactly while its process is known
 * (crun's pid file read): not before the file names it, and never latched without a pid, so the
 * status never shows a container ready without its pid. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"

#include "fs.h"
#include "kubelet.h"
#include "util.h"

static char dir[] = "/tmp/kcc-ready-XXXXXX";

/* pods[0]: one running container "c" without probes, crun's pid file not written yet */
static PodState *running_pod(void)
{
	PodState *p = &pods[0];

	memset(p, 0, sizeof(*p));
	p->used = true;
	snprintf(p->uid, sizeof(p->uid), "0123456789ab-cdef");
	snprintf(p->ns_name, sizeof(p->ns_name), "t/p");
	p->pod.n_containers = 1;
	p->pod.containers[0].name = (char *)"c";
	p->ctrs[0].phase = CTR_RUNNING;
	return p;
}

static void pid_file(PodState *p, const char *text)
{
	char id[80], path[200];

	ctr_id(p, 0, id, sizeof(id));
	snprintf(path, sizeof(path), "%s/%s.pid", dir, id);
	if (text)
		assert_int_equal(write_new_file(path, text, 0644), 0);
	else
		(void)unlink(path);
}

static void test_ready_after_pid_file(void **state)
{
	PodState *p = running_pod();
	(void)state;

	for (int t = 0; t < 3; t++) {
		probes_tick(p, 0, 1000 + t * 200);
		assert_false(p->ctrs[0].ready);
		assert_int_equal(p->ctrs[0].init_pid, 0);
	}
	pid_file(p, "4242");
	probes_tick(p, 0, 2000);
	assert_true(p->ctrs[0].ready);
	assert_int_equal(p->ctrs[0].init_pid, 4242);
	pid_file(p, NULL);
}

/* Ready with no pid known (as the status showed on kcc-node's kernel): the next tick takes it
 * back and reads the pid file, so the status shows the pid as soon as crun wrote it. */
static void test_not_latched_without_pid(void **state)
{
	PodState *p = running_pod();
	(void)state;

	p->ctrs[0].ready = true;
	probes_tick(p, 0, 1000);
	assert_false(p->ctrs[0].ready);
	assert_int_equal(p->ctrs[0].init_pid, 0);
	pid_file(p, "4343\n");
	p->ctrs[0].ready = true;
	probes_tick(p, 0, 1200);
	assert_true(p->ctrs[0].ready);
	assert_int_equal(p->ctrs[0].init_pid, 4343);
	pid_file(p, NULL);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	cfg.run_dir = dir;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ready_after_pid_file),
		cmocka_unit_test(test_not_latched_without_pid),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
