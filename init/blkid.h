/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libblkid adapter: the only file that calls blkid_*. Finds a GPT partition by type and UUID. */
#pragma once

#include <limits.h>

typedef struct PartitionMatch {
	const char *type_uuid; /* DPS type, lowercase */
	const char *part_uuid; /* expected partition UUID, lowercase */
	char ret_node[PATH_MAX];  /* /dev/NAME of the partition, filled on success */
	char ret_label[72];       /* GPT partition name */
} PartitionMatch;

/* Probes every whole disk under /sys/class/block. Returns the number of matches filled (each match
 * is filled at most once), -ENOTUNIQ when one UUID occurs twice, or another -errno. */
int blkid_find_partitions(PartitionMatch *m, unsigned n);
