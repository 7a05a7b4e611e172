/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/policy/caps.c: capability names without libcap, checked against libcap's own table, and the
 * pod rules. */
#include <errno.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>

#include "unit.h"

#include "caps.h"

static void test_names_match_libcap(void **state)
{
	(void)state;
	assert_int_equal(cap_last(), CAP_LAST_CAP);
	for (int c = 0; c <= cap_last(); c++) {
		char *n = cap_to_name(c);
		int v = -1;

		assert_non_null(n);
		assert_non_null(cap_to_string(c));
		/* libcap spells them in lower case */
		assert_int_equal(strcasecmp(cap_to_string(c), n), 0);
		assert_int_equal(cap_from_string(n, &v), 0);
		cap_free(n);
		assert_int_equal(v, c);
	}
}

static void test_spellings(void **state)
{
	int v;

	(void)state;
	assert_int_equal(cap_from_string("CAP_NET_ADMIN", &v), 0);
	assert_int_equal(v, CAP_NET_ADMIN);
	assert_int_equal(cap_from_string("net_admin", &v), 0);
	assert_int_equal(v, CAP_NET_ADMIN);
	assert_int_equal(cap_from_string("NET_BIND_SERVICE", &v), 0);
	assert_int_equal(v, CAP_NET_BIND_SERVICE);
	assert_int_equal(cap_from_string("", &v), -EINVAL);
	assert_int_equal(cap_from_string("CAP_", &v), -EINVAL);
	assert_int_equal(cap_from_string("CAP_NET", &v), -EINVAL);
	assert_int_equal(cap_from_string("12", &v), -EINVAL);
	assert_int_equal(cap_from_string("CAP_NET_ADMINX", &v), -EINVAL);
	assert_null(cap_to_string(-1));
	assert_null(cap_to_string(cap_last() + 1));
}

static void test_pod_rules(void **state)
{
	(void)state;
	assert_true(cap_pod_default(CAP_NET_BIND_SERVICE));
	assert_false(cap_pod_default(CAP_NET_ADMIN));
	assert_true(cap_pod_never(CAP_SYS_ADMIN));
	assert_true(cap_pod_never(CAP_BPF));
	assert_false(cap_pod_never(CAP_NET_ADMIN));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_match_libcap),
		cmocka_unit_test(test_spellings),
		cmocka_unit_test(test_pod_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
