/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The UAPI Discoverable Partitions Specification: type UUIDs for x86-64, and the partition UUIDs
 * of a root/verity pair derived from its root hash (first and last 128 bits, systemd's rule). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define DPS_UUID_STRING_MAX 37

#define DPS_TYPE_ESP "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"
#define DPS_TYPE_ROOT_X86_64 "4f68bce3-e8cd-4db1-96e7-fbcaf984b709"
#define DPS_TYPE_ROOT_X86_64_VERITY "2c7357ed-ebd2-46d9-aec1-23d437ec2bf5"
#define DPS_TYPE_VAR "4d21b016-b534-45c2-a9fb-5c16e091fd2d"

/* Formats 16 bytes as a lowercase 8-4-4-4-12 UUID string. */
void dps_uuid_format(const uint8_t b[16], char out[DPS_UUID_STRING_MAX]);
/* Writes the expected partition UUIDs of the root (data) and verity (hash) partitions. */
int dps_verity_partition_uuids(const uint8_t *roothash, size_t size,
			       char ret_root[DPS_UUID_STRING_MAX],
			       char ret_verity[DPS_UUID_STRING_MAX]);
