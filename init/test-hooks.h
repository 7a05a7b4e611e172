/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Test fault injection, reachable in test images only. Production kcc-init links the no-op
 * init/test-hooks.c; the test image's kcc-init-test links tests/vm/test-hooks.c instead, which
 * holds the boot after STEP when the command line says kcc_test.pause=STEP so that a VM test can
 * cut the power there (tests/vm/40-state.bats). A production image has no code that reads it. */
#pragma once

void test_checkpoint(const char *step);
