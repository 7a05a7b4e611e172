/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Test images only (linked into kcc-update-test, never into kcc-update; update/test-fault.h): the
 * fw_cfg item opt/io.kcc-node/test-pause (run-vm.sh --test-pause apply-STEP, measured nowhere, so
 * the boots after the cut still unseal) holds an apply just before the slot writer's step STEP
 * (slot_step_names: mark-empty, remove-entry, write, verify, set-gpt, install, commit, staged) and
 * prints one line, so that a test can cut the power there (kill qemu) and prove what the node
 * boots next (tests/vm/long/66-apply-power-cut.bats). apply-write pauses before the 8th chunk
 * written: in the middle of root.erofs. The name space is kcc-init-test's (tests/vm/test-hooks.c),
 * whose steps have no "apply-" prefix. */
#include <stdio.h>
#include <unistd.h>

#include "test-fault.h"
#include "util.h"

#define FW_CFG_PAUSE "/sys/firmware/qemu_fw_cfg/by_name/opt/io.kcc-node/test-pause/raw"
#define PAUSE_WRITE_CHUNK 8u

static int pause_before(void *userdata, SlotStep step)
{
	static unsigned writes;
	_cleanup_free_ char *want = NULL;
	char name[64];

	(void)userdata;
	if (step == SLOT_STEP_MARK_EMPTY)
		writes = 0;
	if (step == SLOT_STEP_WRITE && ++writes != PAUSE_WRITE_CHUNK)
		return 0;
	if (read_small_file(FW_CFG_PAUSE, sizeof(name), &want) < 0)
		return 0;
	snprintf(name, sizeof(name), "apply-%s", slot_step_names[step]);
	if (!streq(want, name))
		return 0;
	fprintf(stderr, "kcc-update: test: pausing before apply step %s\n", slot_step_names[step]);
	sleep(600);
	return 0;
}

int (*const update_test_fault)(void *userdata, SlotStep step) = pause_before;
