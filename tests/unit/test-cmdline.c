/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "unit.h"

#include "cmdline.h"
#include "util.h"

#define HASH64 "27dabf0a6d8a1a625098e0af3fccaecb2afebd6f4c98be9dddb0929a305af685"

typedef struct Case {
	const char *line;
	int ret;            /* expected return */
	const char *errmsg; /* substring of the error, when ret < 0 */
} Case;

static const Case cases[] = {
	{ "", 0, NULL },
	{ "console=ttyS0 quiet", 0, NULL },
	{ "kcc.roothash=" HASH64, 0, NULL },
	{ "kcc.roothash=" HASH64 HASH64, 0, NULL },
	{ "kcc.roothash=abc", -EINVAL, "not 64 or 128 hex" },
	{ "kcc.roothash=" HASH64 "0", -EINVAL, "not 64 or 128 hex" },
	{ "kcc.roothash=zzdabf0a6d8a1a625098e0af3fccaecb2afebd6f4c98be9dddb0929a305af685", -EINVAL,
	  "not 64 or 128 hex" },
	{ "kcc.roothash", -EINVAL, "needs a value" },
	{ "kcc.roothash=", -EINVAL, "needs a value" },
	{ "kcc.slot=a", 0, NULL },
	{ "kcc.slot=c", -EINVAL, "not 'a' or 'b'" },
	{ "kcc.slot", -EINVAL, "not 'a' or 'b'" },
	{ "kcc.debug", 0, NULL },
	{ "kcc.debug=maybe", -EINVAL, "not a boolean" },
	{ "kcc.on_failure=reboot", 0, NULL },
	{ "kcc.on_failure=shell", -EINVAL, "not 'poweroff' or 'reboot'" },
	{ "kcc.rootwait=5", 0, NULL },
	{ "kcc.rootwait=0", -ERANGE, "1..600" },
	{ "kcc.rootwait=601", -ERANGE, "1..600" },
	{ "kcc.rootwait=-1", -EINVAL, "1..600" },
	{ "kcc.rootwait=5s", -EINVAL, "1..600" },
	{ "kcc.bless_timeout=30", 0, NULL },
	{ "kcc.bless_timeout=9", -ERANGE, "10..3600" },
	{ "kcc.bless_timeout=", -EINVAL, "10..3600" },
	{ "kcc.watchdog=0", 0, NULL },
	{ "kcc.watchdog=30", 0, NULL },
	{ "kcc.watchdog=5", -ERANGE, "10..600" },
	{ "kcc.watchdog=601", -ERANGE, "10..600" },
	{ "kcc.hostname=node-1", 0, NULL },
	{ "kcc.hostname=-bad", -EINVAL, "not a valid host name" },
	{ "kcc.hostname=a..b", -EINVAL, "not a valid host name" },
	{ "kcc.typo=1", -EINVAL, "unknown option kcc.typo" },
	{ "\"kcc.slot=b\"", 0, NULL },
	{ "foo=\"a b\" kcc.slot=b", 0, NULL },
	{ "foo=\"unbalanced", -EINVAL, "unbalanced quote" },
};

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		KccCmdline c;
		char err[160] = "";
		int r = cmdline_parse(cases[i].line, &c, err, sizeof(err));

		if (r != cases[i].ret)
			fail_msg("'%s': returned %d, expected %d (%s)", cases[i].line, r, cases[i].ret,
				 err);
		if (cases[i].errmsg && !strstr(err, cases[i].errmsg))
			fail_msg("'%s': error '%s' lacks '%s'", cases[i].line, err, cases[i].errmsg);
	}
}

static void test_values(void **state)
{
	KccCmdline c;
	char err[160];

	(void)state;
	assert_int_equal(cmdline_parse("ro kcc.roothash=" HASH64 " kcc.slot=b kcc.debug=0 "
				       "kcc.on_failure=reboot kcc.rootwait=7 kcc.hostname=n1",
				       &c, err, sizeof(err)),
			 0);
	assert_int_equal(c.roothash_size, 32);
	assert_int_equal(c.roothash[0], 0x27);
	assert_int_equal(c.roothash[31], 0x85);
	assert_int_equal(c.slot, 'b');
	assert_false(c.debug);
	assert_int_equal(c.on_failure, FAILURE_REBOOT);
	assert_int_equal(c.rootwait_s, 7);
	assert_string_equal(c.hostname, "n1");

	/* Defaults. */
	assert_int_equal(cmdline_parse("quiet", &c, err, sizeof(err)), 0);
	assert_int_equal(c.roothash_size, 0);
	assert_int_equal(c.slot, 0);
	assert_int_equal(c.on_failure, FAILURE_POWEROFF);
	assert_int_equal(c.rootwait_s, 30);
}

static void test_long_word(void **state)
{
	char line[2048], err[160];
	KccCmdline c;

	(void)state;
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	memcpy(line, "kcc.", 4);
	assert_int_equal(cmdline_parse(line, &c, err, sizeof(err)), -E2BIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_long_word),
	};
	return cmocka_run_group_tests_name("cmdline", tests, NULL, NULL);
}
