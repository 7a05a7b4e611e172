/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The exitrd re-exec is recognised by a sealed memfd on fd 3, never by anything the kernel command
 * line can put into PID 1's argv, environment or descriptors. */
#include <fcntl.h>
#include <sys/mman.h>

#include "unit.h"

#include "exitrd-handoff.h"
#include "util.h"

static void test_round_trip(void **state)
{
	char action[16];

	(void)state;
	assert_int_equal(exitrd_handoff_give("reboot"), EXITRD_HANDOFF_FD);
	assert_int_equal(fcntl(EXITRD_HANDOFF_FD, F_GETFD) & FD_CLOEXEC, 0); /* survives exec */
	assert_int_equal(exitrd_handoff_take(action, sizeof(action)), 1);
	assert_string_equal(action, "reboot");
	assert_true(fcntl(EXITRD_HANDOFF_FD, F_GETFD) < 0); /* closed */
	assert_int_equal(exitrd_handoff_take(action, sizeof(action)), 0);
}

/* What an attacker at the boot loader can arrange is never the handoff. */
static void test_forgeries(void **state)
{
	const char text[] = "kcc-exitrd poweroff";
	char action[16];
	int fd;

	(void)state;
	/* nothing on fd 3: the normal boot */
	(void)close(EXITRD_HANDOFF_FD);
	assert_int_equal(exitrd_handoff_take(action, sizeof(action)), 0);
	/* a regular file with the right text */
	fd = open("/tmp", O_TMPFILE | O_RDWR, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	assert_int_equal(dup2(fd, EXITRD_HANDOFF_FD), EXITRD_HANDOFF_FD);
	close(fd);
	assert_int_equal(exitrd_handoff_take(action, sizeof(action)), 0);
	/* a memfd with the text but without the seals */
	fd = memfd_create("kcc-exitrd", MFD_ALLOW_SEALING);
	assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	assert_int_equal(dup2(fd, EXITRD_HANDOFF_FD), EXITRD_HANDOFF_FD);
	close(fd);
	assert_int_equal(exitrd_handoff_take(action, sizeof(action)), 0);
	/* sealed, but another text */
	fd = memfd_create("kcc-exitrd", MFD_ALLOW_SEALING);
	assert_int_equal(write(fd, "exitrd poweroff", 15), 15);
	assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW |
						F_SEAL_WRITE), 0);
	assert_int_equal(dup2(fd, EXITRD_HANDOFF_FD), EXITRD_HANDOFF_FD);
	close(fd);
	assert_int_equal(exitrd_handoff_take(action, sizeof(action)), 0);
	close(EXITRD_HANDOFF_FD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_forgeries),
	};
	return cmocka_run_group_tests_name("exitrd-handoff", tests, NULL, NULL);
}
