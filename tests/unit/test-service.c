/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <sys/capability.h>

#include "unit.h"

#include "sandbox.h"
#include "service.h"
#include "util.h"

typedef struct Case {
	const char *text;
	int ret;
	const char *errmsg;
} Case;

static const Case cases[] = {
	{ "exec = /bin/true\n", 0, NULL },
	{ "# comment\n\n  exec=/bin/true  \n", 0, NULL },
	{ "exec = /bin/true", 0, NULL },
	{ "", -EINVAL, "no exec=" },
	{ "exec = true\n", -EINVAL, "line 1: exec= needs an absolute path" },
	{ "exec = \n", -EINVAL, "absolute path" },
	{ "exec = /bin/a\nexec = /bin/b\n", -EINVAL, "line 2: exec= given twice" },
	{ "exec = /bin/sh -c \"echo hi\n", -EINVAL, "unbalanced quote" },
	{ "exec = /bin/true\nbogus = 1\n", -EINVAL, "line 2: unknown key 'bogus'" },
	{ "exec = /bin/true\nnovalue\n", -EINVAL, "line 2: expected key = value" },
	{ "exec = /bin/true\nenv = FOO\n", -EINVAL, "env= needs KEY=VALUE" },
	{ "exec = /bin/true\nenv = =x\n", -EINVAL, "env= needs KEY=VALUE" },
	{ "exec = /bin/true\nenv = A-B=x\n", -EINVAL, "not a valid name" },
	{ "exec = /bin/true\nuser = root\n", -EINVAL, "UID:GID" },
	{ "exec = /bin/true\nuser = 1000:x\n", -EINVAL, "UID:GID" },
	{ "exec = /bin/true\nuser = 70000:1\n", -EINVAL, "UID:GID" },
	{ "exec = /bin/true\nuser = 61184:1\n", -ERANGE, "range of per-service uids" },
	{ "exec = /bin/true\nuser = 1:65519\n", -ERANGE, "range of per-service uids" },
	{ "exec = /bin/true\nuser = 0:0\n", 0, NULL },
	{ "exec = /bin/true\nstart_timeout_ms = 0\n", -ERANGE, "start_timeout_ms" },
	{ "exec = /bin/true\nstart_timeout_ms = 3600001\n", -ERANGE, "start_timeout_ms" },
	{ "exec = /bin/true\nafter = Bad\n", -EINVAL, "not a service name" },
	{ "exec = /bin/true\nafter = svc\n", -EINVAL, "names the service itself" },
	{ "exec = /bin/true\nstart_after_path = run/x\n", -EINVAL, "not an absolute path" },
	{ "exec = /bin/true\nstart_after_path = /x\n", -EINVAL, "of a file in a folder" },
	{ "exec = /bin/true\nstart_after_path = /run/x/\n", -EINVAL, "of a file in a folder" },
	{ "exec = /bin/true\nstart_after_path = /run/a\nstart_after_path = /run/b\n", -EINVAL,
	  "start_after_path= given twice" },
	{ "exec = /bin/true\nrestart = sometimes\n", -EINVAL, "always, on-failure or never" },
	{ "exec = /bin/true\nrestart_base_ms = 0\n", -ERANGE, "1..600000" },
	{ "exec = /bin/true\nrestart_max_ms = 10x\n", -ERANGE, "1..3600000" },
	{ "exec = /bin/true\nrestart_base_ms = 500\nrestart_max_ms = 100\n", -ERANGE,
	  "below restart_base_ms" },
	{ "exec = /bin/true\nready = fd:2\n", -EINVAL, "fd:N (3..99)" },
	{ "exec = /bin/true\nready = file:/x\n", -EINVAL, "fd:N" },
	{ "exec = /bin/true\nready = http:10248\n", -EINVAL, "is not http:PORT/PATH" },
	{ "exec = /bin/true\nready = http:/healthz\n", -EINVAL, "is not http:PORT/PATH" },
	{ "exec = /bin/true\nready = http:99999/healthz\n", -EINVAL, "the port must be 1..65535" },
	{ "exec = /bin/true\nready = http:80/a b\n", -EINVAL, "is not http:PORT/PATH" },
	{ "exec = /bin/true\nstop_timeout_ms = 9999999\n", -ERANGE, "1..600000" },
	{ "exec = /bin/true\ncapabilities = CAP_FLY\n", -EINVAL, "capability names" },
	{ "exec = /bin/true\nno_new_privs = maybe\n", -EINVAL, "yes or no" },
	{ "exec = /bin/true\nmemory_max = 10T\n", -EINVAL, "bytes with K, M or G" },
	{ "exec = /bin/true\nmemory_max = 0\n", -EINVAL, "memory_max=" },
	{ "exec = /bin/true\npids_max = 10M\n", -EINVAL, "max or a number" },
	{ "exec = /bin/true\ncpu_max = 50000\n", -EINVAL, "QUOTA_US PERIOD_US" },
	{ "exec = /bin/true\ncpu_max = 50000 100000 7\n", -EINVAL, "QUOTA_US PERIOD_US" },
	{ "exec = /bin/true\nseccomp = off\n", -EINVAL, "seccomp= 'off' is not yes or no" },
	{ "exec = /bin/true\nsyscalls_allow = read fly\n", -EINVAL, "known system calls" },
	{ "exec = /bin/true\nwritable_paths = var/lib\n", -EINVAL, "absolute paths" },
	{ "exec = /bin/true\nread_only_paths = /a/../etc\n", -EINVAL, "absolute paths" },
	{ "exec = /bin/true\nno_new_privs = no\n", -EINVAL, "needs seccomp = no and landlock = no" },
	{ "exec = /bin/true\nno_new_privs = no\nseccomp = no\nlandlock = no\n", 0, NULL },
};

static void test_profile(void **state)
{
	ServiceConfig c;
	char err[256];

	(void)state;
	assert_int_equal(service_config_parse("svc", "exec = /bin/true\n", &c, err, sizeof(err)), 0);
	/* Deny by default. */
	assert_int_equal(c.caps, 0);
	assert_true(c.no_new_privs && c.seccomp && c.landlock && c.private_tmp);
	assert_string_equal(c.pids_max, "1024");
	assert_string_equal(c.memory_max, "");
	service_config_done(&c);
	assert_int_equal(service_config_parse("svc",
					      "exec = /bin/true\n"
					      "capabilities = CAP_NET_BIND_SERVICE cap_chown\n"
					      "memory_max = 64M\npids_max = max\ncpu_max = 50000 100000\n"
					      "syscalls_allow = mount umount2\n"
					      "read_only_paths = /srv\nwritable_paths = /var/lib/svc /run/svc\n"
					      "private_tmp = no\n",
					      &c, err, sizeof(err)),
			 0);
	assert_int_equal(c.caps, (1ULL << 10) | (1ULL << 0));
	assert_string_equal(c.memory_max, "67108864");
	assert_string_equal(c.pids_max, "max");
	assert_string_equal(c.cpu_max, "50000 100000");
	assert_int_equal(c.n_syscalls, 2);
	assert_int_equal(c.n_ro, 1);
	assert_int_equal(c.n_rw, 2);
	assert_string_equal(c.rw[1], "/run/svc");
	assert_false(c.private_tmp);
	service_config_done(&c);
	assert_int_equal(service_config_parse("svc", "exec = /bin/true\ncapabilities = all\n", &c, err,
					      sizeof(err)),
			 0);
	assert_int_equal(c.caps, ~0ULL);
	service_config_done(&c);
}

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		ServiceConfig c;
		char err[256] = "";
		int r = service_config_parse("svc", cases[i].text, &c, err, sizeof(err));

		if (r != cases[i].ret)
			fail_msg("case %zu: returned %d, expected %d (%s)", i, r, cases[i].ret, err);
		if (cases[i].errmsg && !strstr(err, cases[i].errmsg))
			fail_msg("case %zu: error '%s' lacks '%s'", i, err, cases[i].errmsg);
		if (r == 0)
			service_config_done(&c);
	}
}

static void test_full(void **state)
{
	ServiceConfig c;
	char err[256];

	(void)state;
	assert_int_equal(service_config_parse("web",
					      "exec = /usr/bin/busybox sh -c \"echo \\\"hi\\\" x\"\n"
					      "env = A=1\nenv = B=two=2\nuser = 1000:1001\n"
					      "after = db\nafter = net\nrestart = on-failure\n"
					      "restart_base_ms = 50\nrestart_max_ms = 800\n"
					      "ready = fd:3\nstop_timeout_ms = 1500\n",
					      &c, err, sizeof(err)),
			 0);
	assert_string_equal(c.name, "web");
	assert_int_equal(c.n_args, 4);
	assert_string_equal(c.argv[0], "/usr/bin/busybox");
	assert_string_equal(c.argv[3], "echo \"hi\" x");
	assert_null(c.argv[4]);
	assert_int_equal(c.n_env, 2);
	assert_string_equal(c.env[1], "B=two=2");
	assert_int_equal(c.uid, 1000);
	assert_int_equal(c.gid, 1001);
	assert_int_equal(c.n_after, 2);
	assert_string_equal(c.after[1], "net");
	assert_int_equal(c.restart, RESTART_ON_FAILURE);
	assert_int_equal(c.restart_base_ms, 50);
	assert_int_equal(c.restart_max_ms, 800);
	assert_int_equal(c.ready_fd, 3);
	assert_int_equal(c.stop_timeout_ms, 1500);
	service_config_done(&c);
}

static void test_defaults_and_limits(void **state)
{
	ServiceConfig c;
	char err[256], big[SERVICE_FILE_MAX];
	size_t off = 0;

	(void)state;
	assert_int_equal(service_config_parse("a", "exec=/x", &c, err, sizeof(err)), 0);
	assert_int_equal(c.restart, RESTART_ALWAYS);
	assert_int_equal(c.ready_fd, -1);
	assert_int_equal(c.ready_http_port, 0);
	assert_int_equal(c.uid, SERVICE_UID_AUTO); /* the supervisor gives it its own */
	assert_int_equal(c.start_timeout_ms, 90000);
	service_config_done(&c);
	assert_int_equal(service_config_parse("a", "exec=/x\nready = http:10248/healthz", &c, err,
					      sizeof(err)),
			 0);
	assert_int_equal(c.ready_fd, -1);
	assert_int_equal(c.ready_http_port, 10248);
	assert_string_equal(c.ready_http_path, "/healthz");
	service_config_done(&c);

	assert_int_equal(service_config_parse("Bad", "exec=/x", &c, err, sizeof(err)), -EINVAL);
	assert_int_equal(service_config_parse("a/b", "exec=/x", &c, err, sizeof(err)), -EINVAL);
	assert_int_equal(service_config_parse("", "exec=/x", &c, err, sizeof(err)), -EINVAL);

	/* Too many words. */
	off += (size_t)snprintf(big + off, sizeof(big) - off, "exec = /x");
	for (int i = 0; i < SERVICE_ARGS_MAX + 1; i++)
		off += (size_t)snprintf(big + off, sizeof(big) - off, " a");
	assert_int_equal(service_config_parse("a", big, &c, err, sizeof(err)), -E2BIG);

	/* A line longer than the limit. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(service_config_parse("a", big, &c, err, sizeof(err)), -E2BIG);
}

/* A service without user= never runs as root: its own uid, in the documented range, the same on
 * every boot, and distinct from every other service's even when the first choices collide. */
static void test_uids(void **state)
{
	ServiceConfig a = { .name = "kcc-kubelet" }, b = { .name = "sleeper" }, c = { .name = "x" },
		      d = { .name = "x" }, root = { .name = "root", .uid = 0, .gid = 0 };
	ServiceConfig *all[] = { &a, &b, &c, &d, &root };
	uid_t u = service_default_uid("sleeper");

	(void)state;
	assert_true(u >= SERVICE_UID_MIN && u <= SERVICE_UID_MAX);
	assert_int_equal(service_default_uid("sleeper"), u);
	assert_int_not_equal(service_default_uid("sleeper"), service_default_uid("sleepers"));
	for (size_t i = 0; i < 4; i++)
		all[i]->uid = all[i]->gid = SERVICE_UID_AUTO;
	assert_int_equal(service_assign_uids(all, ARRAY_SIZE(all)), 0);
	assert_int_equal(b.uid, u);
	assert_int_equal(b.gid, u);
	assert_int_equal(root.uid, 0);
	for (size_t i = 0; i < 4; i++) {
		assert_true(all[i]->uid >= SERVICE_UID_MIN && all[i]->uid <= SERVICE_UID_MAX);
		for (size_t k = 0; k < i; k++)
			assert_int_not_equal(all[i]->uid, all[k]->uid);
	}
	/* the collision goes to the next number */
	assert_int_equal(c.uid, service_default_uid("x"));
	assert_int_equal(d.uid, c.uid == SERVICE_UID_MAX ? SERVICE_UID_MIN : c.uid + 1);
}

/* PID 1's own check, without libseccomp: words of [a-z0-9_] only (the image build and kcc-sandbox
 * check the names against the kernel's); and the capability table that replaces libcap's. */
static void test_pid1_checks(void **state)
{
	ServiceConfig c;
	char err[128];

	(void)state;
	service_syscall_check = NULL;
	assert_int_equal(service_config_parse("x", "exec = /bin/true\nsyscalls_allow = fly\n", &c, err,
					      sizeof(err)),
			 0);
	service_config_done(&c);
	assert_int_equal(service_config_parse("x", "exec = /bin/true\nsyscalls_allow = Fly\n", &c, err,
					      sizeof(err)),
			 -EINVAL);
	service_syscall_check = sandbox_syscall_known;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pid1_checks),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_defaults_and_limits),
		cmocka_unit_test(test_profile),
		cmocka_unit_test(test_uids),
	};
	service_syscall_check = sandbox_syscall_known; /* kcc-init check-services, kcc-sandbox */
	return cmocka_run_group_tests_name("service", tests, NULL, NULL);
}
