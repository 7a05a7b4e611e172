/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Test images only (linked into kcc-init-test, never into kcc-init): kcc_test.pause=STEP on the
 * command line holds the boot after STEP so that a test can cut the power there (kill qemu) and
 * prove the next boot recovers (tests/vm/40-state.bats); kcc_test.hang=STEP hangs there for good,
 * so that the hardware watchdog has to reset the machine (tests/vm/35-boot-counting.bats). */
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "test-hooks.h"
#include "util.h"

void test_checkpoint(const char *step)
{
	_cleanup_free_ char *line = NULL;
	char want[64], hang[64];

	if (read_small_file("/proc/cmdline", 4096, &line) < 0)
		return;
	snprintf(want, sizeof(want), "kcc_test.pause=%s", step);
	snprintf(hang, sizeof(hang), "kcc_test.hang=%s", step);
	for (char *w = strtok(line, " \n"); w; w = strtok(NULL, " \n")) {
		if (streq(w, want)) {
			log_info("test: pausing after %s", step);
			sleep(60);
		}
		if (streq(w, hang)) {
			log_info("test: hanging after %s", step);
			for (;;)
				pause();
		}
	}
}
