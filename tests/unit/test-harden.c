/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The parser of /etc/kcc/hardening.conf: only known steps can be weakened, by name. */
#include <errno.h>
#include <string.h>

#include "unit.h"

#include "stage-harden.h"

static HardenExtras x;
#define svc x.bpf_service
#define rt x.runtime_service
#define harden_conf_parse_(t, l, n, e, en) harden_conf_parse(t, l, n, &x, e, en)

static void test_parse(void **state)
{
	char list[256], err[200];

	(void)state;
	assert_int_equal(harden_conf_parse_("", list, sizeof(list), err, sizeof(err)), 0);
	assert_string_equal(list, " ");
	assert_int_equal(harden_conf_parse_("# comment\n\nallow_weaker = lockdown bpf-lsm\n"
					   "allow_weaker=kernel.kptr_restrict\n",
					   list, sizeof(list), err, sizeof(err)),
			 0);
	assert_string_equal(list, " lockdown bpf-lsm kernel.kptr_restrict ");
	assert_string_equal(svc, "");
	assert_int_equal(harden_conf_parse_("bpf_allow_service = netmon\n", list, sizeof(list), err,
					    sizeof(err)),
			 0);
	assert_string_equal(svc, "netmon");
	assert_string_equal(rt, "");
	assert_int_equal(harden_conf_parse_("runtime_service = kcc-kubelet\n", list, sizeof(list), err,
					    sizeof(err)),
			 0);
	assert_string_equal(rt, "kcc-kubelet");
	assert_string_equal(svc, "");
	assert_int_equal(harden_conf_parse_("runtime_service = a/b\n", list, sizeof(list), err,
					    sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "runtime_service= 'a/b' is not a service name"));
	assert_int_equal(harden_conf_parse_("sysctl = vm.overcommit_memory 1\nsysctl=kernel.panic 10\n",
					    list, sizeof(list), err, sizeof(err)),
			 0);
	assert_string_equal(x.sysctls, "vm.overcommit_memory 1\nkernel.panic 10\n");
	assert_int_equal(harden_conf_parse_("sysctl = kernel.kptr_restrict 0\n", list, sizeof(list), err,
					    sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "kernel.kptr_restrict is a hardening sysctl"));
	assert_int_equal(harden_conf_parse_("sysctl = ../../etc/x 1\n", list, sizeof(list), err,
					    sizeof(err)),
			 -EINVAL);
	assert_int_equal(harden_conf_parse_("sysctl = vm.x\n", list, sizeof(list), err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "needs a key and one value"));
	assert_int_equal(harden_conf_parse_("bpf_allow_service = ../x\n", list, sizeof(list), err,
					    sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "is not a service name"));
}

static void test_refuses(void **state)
{
	char list[256], err[200];

	(void)state;
	assert_int_equal(harden_conf_parse_("allow_weaker = everything\n", list, sizeof(list), err,
					   sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "'everything' is not a hardening step"));
	assert_int_equal(harden_conf_parse_("lockdown = none\n", list, sizeof(list), err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "unknown setting"));
	assert_int_equal(harden_conf_parse_("allow_weakerlockdown\n", list, sizeof(list), err,
					   sizeof(err)),
			 -EINVAL);
	assert_int_equal(harden_conf_parse_("allow_weaker = kernel.kptr_restrict.x\n", list,
					   sizeof(list), err, sizeof(err)),
			 -EINVAL);
	/* No room: refused, not truncated. */
	assert_int_equal(harden_conf_parse_("allow_weaker = lockdown bpf-lsm modules-disabled\n", list,
					   12, err, sizeof(err)),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_refuses),
	};
	return cmocka_run_group_tests_name("harden", tests, NULL, NULL);
}
