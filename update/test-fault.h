/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The slot writer's fault hook in kcc-update (slot.h), reachable in test images only. Production
 * kcc-update links update/test-fault.c, where it is NULL: no code reads a test setting. The test
 * image's kcc-update-test links tests/vm/update-test-fault.c instead, which holds an apply before
 * a named step so that a VM test can cut the power there (tests/vm/long/66-apply-power-cut.bats). */
#pragma once

#include "slot.h"

extern int (*const update_test_fault)(void *userdata, SlotStep step);
