/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The GPT of the node's disk (libfdisk; the only fdisk_* caller): read the partitions, change a
 * partition's name, UUID and "no auto" attribute (GUID:63). Works on a disk image file as on a
 * block device. The kernel's view of the partitions is not re-read: nothing that changes here is
 * used before the next boot (docs/upgrades.md, "Slots"). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GPT_TYPE_ESP "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
#define GPT_TYPE_ROOT "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709"        /* root, x86-64 */
#define GPT_TYPE_ROOT_VERITY "2C7357ED-EBD2-46D9-AEC1-23D437EC2BF5" /* root verity, x86-64 */
#define GPT_ATTR_NO_AUTO 63u
#define GPT_UUID_LEN 36
#define GPT_NAME_MAX 72
#define GPT_PARTS_MAX 16

typedef struct GptPart {
	size_t partno; /* 0-based, as libfdisk counts */
	uint64_t start; /* bytes */
	uint64_t size;  /* bytes */
	char type[GPT_UUID_LEN + 1]; /* upper case */
	char uuid[GPT_UUID_LEN + 1]; /* lower case */
	char name[GPT_NAME_MAX + 1];
	bool no_auto;
} GptPart;

typedef struct GptTable {
	size_t n;
	GptPart parts[GPT_PARTS_MAX];
} GptTable;

/* Reads the partitions of the GPT on disk (a file or a block device), in partition order. */
int gpt_read(const char *disk, GptTable *ret, char *err, size_t errlen);
/* Sets name, UUID (NULL: unchanged) and the no-auto attribute of each of n partitions (partno
 * from gpt_read), in one write of the table (primary and backup), then fsyncs the disk. */
typedef struct GptChange {
	size_t partno;
	const char *name;
	const char *uuid;
	bool no_auto;
} GptChange;
int gpt_change(const char *disk, const GptChange *changes, size_t n, char *err, size_t errlen);
