/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* System stage set-up on the verity root: /tmp, cgroup2 with the controllers services use, the
 * writable places services need, and the host name. */
#pragma once

#include "cmdline.h"

#define CGROUP_SERVICES "/sys/fs/cgroup/services"
/* The kubelet's pods (issue 5): out of the BPF LSM's scope, their runtime confines them. */
#define CGROUP_PODS "/sys/fs/cgroup/kubepods"

int stage_system_run(const KccCmdline *cmdline);
