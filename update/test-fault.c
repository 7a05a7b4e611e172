/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Production: no fault hook in the slot writer (test-fault.h). */
#include "test-fault.h"

int (*const update_test_fault)(void *userdata, SlotStep step) = NULL;
