/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Initrd stage: finds the root and verity partitions of the root hash on the command line (DPS
 * type UUIDs plus the partition UUIDs derived from the hash), opens dm-verity and mounts the erofs
 * root read-only on the target. */
#pragma once

#include "cmdline.h"

#define VERITY_ROOT_NAME "root"

/* ret_disk (32 bytes) gets the whole disk the root is on ("vda"), where the state partition is. */
int stage_verity_run(const KccCmdline *cmdline, const char *target, char *ret_disk);
