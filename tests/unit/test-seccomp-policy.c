/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The one seccomp policy of services and pods (lib/policy): the OCI rendering pods get, compiled
 * as crun compiles it, is the very filter kcc-init compiles for services; and that filter refuses
 * namespaces (clone flags, unshare, setns), clone3 (ENOSYS) and io_uring, run for real in a
 * child. */
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <linux/sched.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"

#include "seccomp-compile.h"
#include "seccomp-oci.h"
#include "seccomp-policy.h"

/* What crun does with linux.seccomp (libcrun/seccomp.c): the default action and errno, the
 * architectures, then each entry's names with its action, errnoRet and argument conditions. */
static uint32_t oci_action(json_object *rule, const char *key, const char *errno_key)
{
	json_object *a, *e;
	const char *name;

	assert_true(json_object_object_get_ex(rule, key, &a));
	name = json_object_get_string(a);
	if (strcmp(name, "SCMP_ACT_ALLOW") == 0)
		return SCMP_ACT_ALLOW;
	assert_string_equal(name, "SCMP_ACT_ERRNO");
	assert_true(json_object_object_get_ex(rule, errno_key, &e));
	return SCMP_ACT_ERRNO((uint32_t)json_object_get_int(e));
}

static scmp_filter_ctx oci_compile(const char *text)
{
	json_object *s = json_tokener_parse(text), *v;
	scmp_filter_ctx ctx;

	assert_non_null(s);
	ctx = seccomp_init(oci_action(s, "defaultAction", "defaultErrnoRet"));
	assert_non_null(ctx);
	assert_true(json_object_object_get_ex(s, "architectures", &v));
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		const char *arch = json_object_get_string(json_object_array_get_idx(v, i));
		assert_string_equal(arch, "SCMP_ARCH_X86_64");
		assert_true(seccomp_arch_add(ctx, SCMP_ARCH_X86_64) == 0 ||
			    seccomp_arch_exist(ctx, SCMP_ARCH_X86_64) == 0);
	}
	assert_true(json_object_object_get_ex(s, "syscalls", &v));
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		json_object *rule = json_object_array_get_idx(v, i), *names, *args = NULL;
		uint32_t action = oci_action(rule, "action", "errnoRet");
		struct scmp_arg_cmp cmp[6];
		unsigned n_cmp = 0;

		assert_true(json_object_object_get_ex(rule, "names", &names));
		if (json_object_object_get_ex(rule, "args", &args))
			for (; n_cmp < json_object_array_length(args); n_cmp++) {
				json_object *a = json_object_array_get_idx(args, n_cmp), *f;

				assert_true(n_cmp < 6);
				assert_true(json_object_object_get_ex(a, "op", &f));
				assert_string_equal(json_object_get_string(f),
						    "SCMP_CMP_MASKED_EQ");
				cmp[n_cmp].op = SCMP_CMP_MASKED_EQ;
				assert_true(json_object_object_get_ex(a, "index", &f));
				cmp[n_cmp].arg = (unsigned)json_object_get_int(f);
				assert_true(json_object_object_get_ex(a, "value", &f));
				cmp[n_cmp].datum_a = json_object_get_uint64(f);
				assert_true(json_object_object_get_ex(a, "valueTwo", &f));
				cmp[n_cmp].datum_b = json_object_get_uint64(f);
			}
		for (size_t k = 0; k < json_object_array_length(names); k++) {
			int nr = seccomp_syscall_resolve_name(
				json_object_get_string(json_object_array_get_idx(names, k)));
			if (nr == __NR_SCMP_ERROR)
				continue;
			assert_int_equal(seccomp_rule_add_array(ctx, action, nr, n_cmp, cmp), 0);
		}
	}
	json_object_put(s);
	return ctx;
}

/* The BPF program libseccomp generates for ctx. */
static char *export_bpf(scmp_filter_ctx ctx, size_t *ret_len)
{
	int fd = memfd_create("bpf", MFD_CLOEXEC);
	off_t len;
	char *buf;

	assert_true(fd >= 0);
	assert_int_equal(seccomp_export_bpf(ctx, fd), 0);
	len = lseek(fd, 0, SEEK_END);
	assert_true(len > 0);
	buf = malloc((size_t)len);
	assert_non_null(buf);
	assert_int_equal(pread(fd, buf, (size_t)len, 0), len);
	close(fd);
	*ret_len = (size_t)len;
	return buf;
}

static scmp_filter_ctx native(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(SECCOMP_POLICY_DEFAULT_ERRNO));

	assert_non_null(ctx);
	assert_int_equal(seccomp_policy_add(ctx, NULL, 0), 0);
	return ctx;
}

static void test_pods_and_services_get_the_same_filter(void **state)
{
	json_object *oci = seccomp_policy_oci();
	scmp_filter_ctx a = native(), b;
	size_t la, lb;
	char *pa, *pb;

	(void)state;
	assert_non_null(oci);
	b = oci_compile(json_object_to_json_string(oci));
	json_object_put(oci);
	pa = export_bpf(a, &la);
	pb = export_bpf(b, &lb);
	assert_int_equal(la, lb);
	assert_memory_equal(pa, pb, la);
	free(pa);
	free(pb);
	seccomp_release(a);
	seccomp_release(b);
}

enum {
	CHK_CLONE_PLAIN, CHK_CLONE_NEWUSER, CHK_CLONE_NEWNET, CHK_CLONE_NEWNS, CHK_CLONE_NEWPID,
	CHK_CLONE_NEWIPC, CHK_CLONE_NEWUTS, CHK_CLONE_NEWCGROUP, CHK_CLONE_USER_NET, CHK_CLONE3,
	CHK_UNSHARE_USER, CHK_UNSHARE_NET, CHK_SETNS, CHK_URING_SETUP, CHK_URING_ENTER,
	CHK_URING_REGISTER, CHK_MOUNT, CHK_GETPID, CHK_MAX
};

static const struct {
	const char *what;
	int want; /* errno, 0: allowed */
} expect[CHK_MAX] = {
	[CHK_CLONE_PLAIN] = { "clone without namespaces", 0 },
	[CHK_CLONE_NEWUSER] = { "clone(CLONE_NEWUSER)", EPERM },
	[CHK_CLONE_NEWNET] = { "clone(CLONE_NEWNET)", EPERM },
	[CHK_CLONE_NEWNS] = { "clone(CLONE_NEWNS)", EPERM },
	[CHK_CLONE_NEWPID] = { "clone(CLONE_NEWPID)", EPERM },
	[CHK_CLONE_NEWIPC] = { "clone(CLONE_NEWIPC)", EPERM },
	[CHK_CLONE_NEWUTS] = { "clone(CLONE_NEWUTS)", EPERM },
	[CHK_CLONE_NEWCGROUP] = { "clone(CLONE_NEWCGROUP)", EPERM },
	[CHK_CLONE_USER_NET] = { "clone(CLONE_NEWUSER|CLONE_NEWNET|CLONE_VM)", EPERM },
	[CHK_CLONE3] = { "clone3", ENOSYS },
	[CHK_UNSHARE_USER] = { "unshare(CLONE_NEWUSER)", EPERM },
	[CHK_UNSHARE_NET] = { "unshare(CLONE_NEWNET)", EPERM },
	[CHK_SETNS] = { "setns", EPERM },
	[CHK_URING_SETUP] = { "io_uring_setup", EPERM },
	[CHK_URING_ENTER] = { "io_uring_enter", EPERM },
	[CHK_URING_REGISTER] = { "io_uring_register", EPERM },
	[CHK_MOUNT] = { "mount", EPERM },
	[CHK_GETPID] = { "getpid", 0 },
};

static int clone_child(unsigned long flags)
{
	long pid = syscall(SYS_clone, flags | SIGCHLD, 0UL, NULL, NULL, 0UL);

	if (pid == 0)
		_exit(0);
	if (pid < 0)
		return errno;
	waitpid((pid_t)pid, NULL, 0);
	return 0;
}

static int rc(long r)
{
	return r < 0 ? errno : 0;
}

/* In a child: load ctx (and then stacked, when given), make each call, send back the errnos. */
static void run_under_stacked(scmp_filter_ctx ctx, scmp_filter_ctx stacked, int got[CHK_MAX])
{
	int pfd[2], st;
	pid_t pid;

	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct clone_args ca = { .exit_signal = SIGCHLD };
		struct io_uring_params up = { 0 };
		int r[CHK_MAX];
		long p;

		if (seccomp_load(ctx) < 0 || (stacked && seccomp_load(stacked) < 0))
			_exit(2);
		r[CHK_CLONE_PLAIN] = clone_child(0);
		r[CHK_CLONE_NEWUSER] = clone_child(CLONE_NEWUSER);
		r[CHK_CLONE_NEWNET] = clone_child(CLONE_NEWNET);
		r[CHK_CLONE_NEWNS] = clone_child(CLONE_NEWNS);
		r[CHK_CLONE_NEWPID] = clone_child(CLONE_NEWPID);
		r[CHK_CLONE_NEWIPC] = clone_child(CLONE_NEWIPC);
		r[CHK_CLONE_NEWUTS] = clone_child(CLONE_NEWUTS);
		r[CHK_CLONE_NEWCGROUP] = clone_child(CLONE_NEWCGROUP);
		r[CHK_CLONE_USER_NET] = clone_child(CLONE_NEWUSER | CLONE_NEWNET | CLONE_VFORK);
		p = syscall(SYS_clone3, &ca, sizeof(ca));
		if (p == 0)
			_exit(0);
		r[CHK_CLONE3] = rc(p);
		r[CHK_UNSHARE_USER] = rc(syscall(SYS_unshare, CLONE_NEWUSER));
		r[CHK_UNSHARE_NET] = rc(syscall(SYS_unshare, CLONE_NEWNET));
		r[CHK_SETNS] = rc(syscall(SYS_setns, 0, CLONE_NEWNET));
		r[CHK_URING_SETUP] = rc(syscall(SYS_io_uring_setup, 4, &up));
		r[CHK_URING_ENTER] = rc(syscall(SYS_io_uring_enter, -1, 0, 0, 0, NULL, 0));
		r[CHK_URING_REGISTER] = rc(syscall(SYS_io_uring_register, -1, 0, NULL, 0));
		r[CHK_MOUNT] = rc(syscall(SYS_mount, "none", "/", "tmpfs", 0UL, NULL));
		r[CHK_GETPID] = rc(syscall(SYS_getpid));
		_exit(write(pfd[1], r, sizeof(r)) == sizeof(r) ? 0 : 3);
	}
	close(pfd[1]);
	assert_int_equal(read(pfd[0], got, sizeof(int) * CHK_MAX),
			 (ssize_t)(sizeof(int) * CHK_MAX));
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void check_refusals_stacked(scmp_filter_ctx ctx, scmp_filter_ctx stacked,
				   const char *which)
{
	int got[CHK_MAX];
	int bad = 0;

	run_under_stacked(ctx, stacked, got);
	for (int i = 0; i < CHK_MAX; i++)
		if (got[i] != expect[i].want) {
			print_error("%s: %s: got %s, want %s\n", which, expect[i].what,
				    got[i] ? strerror(got[i]) : "allowed",
				    expect[i].want ? strerror(expect[i].want) : "allowed");
			bad++;
		}
	assert_int_equal(bad, 0);
}

static void check_refusals(scmp_filter_ctx ctx, const char *which)
{
	check_refusals_stacked(ctx, NULL, which);
}

static void test_services_filter_refuses(void **state)
{
	scmp_filter_ctx ctx;

	(void)state;
	assert_int_equal(seccomp_policy_compile(NULL, 0, &ctx), 0);
	check_refusals(ctx, "services");
	seccomp_release(ctx);
}

static void test_pods_filter_refuses(void **state)
{
	json_object *oci = seccomp_policy_oci();
	scmp_filter_ctx ctx;

	(void)state;
	ctx = oci_compile(json_object_to_json_string(oci));
	json_object_put(oci);
	check_refusals(ctx, "pods");
	seccomp_release(ctx);
}

/* A service's syscalls = cannot take back what the policy filters or refuses. */
static void test_extra_names(void **state)
{
	static const char *const refused[] = { "clone", "clone3", "unshare", "setns",
					       "io_uring_setup", "io_uring_enter",
					       "io_uring_register" };
	scmp_filter_ctx ctx;

	(void)state;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		assert_false(seccomp_policy_extra_ok(refused[i]));
		assert_int_equal(seccomp_policy_compile(&refused[i], 1, &ctx), -EPERM);
	}
	assert_true(seccomp_policy_extra_ok("ptrace"));
	assert_int_equal(seccomp_policy_compile((const char *[]){ "ptrace" }, 1, &ctx), 0);
	seccomp_release(ctx);
	assert_int_equal(seccomp_policy_compile((const char *[]){ "no_such_call" }, 1, &ctx),
			 -EINVAL);
	/* names already allowed are fine */
	assert_int_equal(seccomp_policy_compile((const char *[]){ "read" }, 1, &ctx), 0);
	seccomp_release(ctx);
}

static bool in_list(const char *name, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(name, v[i]) == 0)
			return true;
	return false;
}

/* Services stack the filter that logs the dangerous refusals (docs/events.md): the two together
 * allow and refuse exactly what the policy's filter alone does, with the same errors. */
static void test_services_stacked_log_filter_refuses_the_same(void **state)
{
	scmp_filter_ctx ctx, log;
	uint32_t v;

	(void)state;
	assert_int_equal(seccomp_policy_compile(NULL, 0, &ctx), 0);
	assert_int_equal(seccomp_policy_compile_log(NULL, 0, &log), 0);
	/* only the second filter carries SECCOMP_FILTER_FLAG_LOG */
	assert_int_equal(seccomp_attr_get(log, SCMP_FLTATR_CTL_LOG, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(seccomp_attr_get(ctx, SCMP_FLTATR_CTL_LOG, &v), 0);
	assert_int_equal(v, 0);
	check_refusals_stacked(ctx, log, "services, stacked");
	seccomp_release(log);
	seccomp_release(ctx);
}

/* What is logged is refused anyway: no logged name is allowed, and clone3 (libc's probe, ENOSYS)
 * is not logged. */
static void test_logged_calls_are_refused_ones(void **state)
{
	size_t n_logged, n_allowed, n_rules;
	const char *const *logged = seccomp_policy_logged(&n_logged);
	const char *const *allowed = seccomp_policy_allowed(&n_allowed);
	const SeccompPolicyRule *rules = seccomp_policy_rules(&n_rules);

	(void)state;
	assert_true(n_logged >= 40);
	for (size_t i = 0; i < n_logged; i++) {
		assert_false(in_list(logged[i], allowed, n_allowed));
		for (size_t j = 0; j < n_rules; j++)
			assert_string_not_equal(logged[i], rules[j].name);
	}
	assert_true(in_list("unshare", logged, n_logged));
	assert_true(in_list("mount", logged, n_logged));
	assert_false(in_list("clone3", logged, n_logged));
}

/* A service's own syscalls = is not refused by the log filter: ioperm(0, 0, 0) reaches the kernel
 * with "ioperm" allowed, and the filters refuse it (EPERM) without. */
static int ioperm_under(const char *extra)
{
	const char *const names[] = { extra };
	scmp_filter_ctx ctx, log;
	int pfd[2], r = -1, st;
	pid_t pid;

	assert_int_equal(seccomp_policy_compile(names, extra ? 1 : 0, &ctx), 0);
	assert_int_equal(seccomp_policy_compile_log(names, extra ? 1 : 0, &log), 0);
	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (seccomp_load(ctx) < 0 || seccomp_load(log) < 0)
			_exit(2);
		r = rc(syscall(SYS_ioperm, 0UL, 0UL, 0));
		_exit(write(pfd[1], &r, sizeof(r)) == sizeof(r) ? 0 : 3);
	}
	close(pfd[1]);
	assert_int_equal(read(pfd[0], &r, sizeof(r)), (ssize_t)sizeof(r));
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	seccomp_release(log);
	seccomp_release(ctx);
	return r;
}

static void test_log_filter_leaves_a_services_own_calls(void **state)
{
	int r;

	(void)state;
	assert_int_equal(ioperm_under(NULL), EPERM);
	/* the kernel's own answer: EINVAL, or ENOSYS without CONFIG_X86_IOPL_IOPERM */
	r = ioperm_under("ioperm");
	assert_true(r == EINVAL || r == ENOSYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pods_and_services_get_the_same_filter),
		cmocka_unit_test(test_services_filter_refuses),
		cmocka_unit_test(test_pods_filter_refuses),
		cmocka_unit_test(test_extra_names),
		cmocka_unit_test(test_services_stacked_log_filter_refuses_the_same),
		cmocka_unit_test(test_logged_calls_are_refused_ones),
		cmocka_unit_test(test_log_filter_leaves_a_services_own_calls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
