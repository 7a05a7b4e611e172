/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-harden exercises the configuration parser only; the BPF LSM loader is not run. */
#include <errno.h>

#include "lsm-events.h"

int lsm_events_load(const char *const args[])
{
	(void)args;
	return -EOPNOTSUPP;
}
