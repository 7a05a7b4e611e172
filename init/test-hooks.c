/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Production: no test hooks (test-hooks.h). */
#include "test-hooks.h"

void test_checkpoint(const char *step)
{
	(void)step;
}
