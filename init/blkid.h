/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libblkid adapter: the only file that calls blkid_*. Finds a GPT partition by type and UUID. */
#pragma once

#include <limits.h>

typedef struct PartitionMatch {
	const char *type_uuid; /* DPS type, lowercase */
	const char *part_uuid; /* expected partition UUID, lowercase; NULL: any */
	const char *disk;      /* only on this whole disk ("vda"); NULL: any */
	char ret_node[PATH_MAX];  /* /dev/NAME of the partition, filled on success */
	char ret_label[72];       /* GPT partition name */
	char ret_disk[32];        /* the whole disk it is on */
} PartitionMatch;

/* Probes every whole disk under /sys/class/block. Returns the number of matches filled (each match
 * is filled at most once), -ENOTUNIQ when one UUID occurs twice, or another -errno. */
int blkid_find_partitions(PartitionMatch *m, unsigned n);

/* What a device holds: a filesystem, LUKS or RAID superblock or a partition table ("ext4",
 * "crypto_LUKS", "gpt", …) into type; -ENOENT when blkid finds no signature at all (blank). */
int blkid_probe_content(const char *node, char *type, size_t size);
