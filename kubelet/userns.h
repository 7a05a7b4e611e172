/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* User namespaces for pods: every pod gets its own range of POD_IDS host uids and gids (the same
 * numbers for both), from POD_ID_BASE + slot * POD_IDS, the slot being the pod's place in the
 * kubelet's table; container id N is host id base + N, so container root is never host root.
 * Image files get their owners by shifting them by the base when the root is unpacked. */
#pragma once

#include <sys/types.h>

#include "policy.h"

#define POD_ID_BASE 0x40000000U /* 1073741824; 64 pods end below 2^31 */

static inline uid_t pod_id_base(unsigned slot)
{
	return (uid_t)(POD_ID_BASE + slot * POD_IDS);
}

/* Chowns everything below root (without following links or crossing mounts) from id N to
 * base + N; ids outside 0..POD_IDS-1 become base + 65534 (nobody). Set-id bits are kept. */
int rootfs_shift_owners(const char *root, uid_t base);
