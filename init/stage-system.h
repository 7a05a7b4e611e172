/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* System stage set-up on the verity root: /tmp, cgroup2 with the controllers services use, the
 * writable places services need, and the host name. */
#pragma once

#include "cmdline.h"

#define CGROUP_SERVICES "/sys/fs/cgroup/services"

int stage_system_run(const KccCmdline *cmdline);
