/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>

#include "dps.h"

void dps_uuid_format(const uint8_t b[16], char out[DPS_UUID_STRING_MAX])
{
	snprintf(out, DPS_UUID_STRING_MAX,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
		 b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
		 b[15]);
}

int dps_verity_partition_uuids(const uint8_t *roothash, size_t size,
			       char ret_root[DPS_UUID_STRING_MAX],
			       char ret_verity[DPS_UUID_STRING_MAX])
{
	/* Both halves must be distinct bytes, so the hash has to hold at least 32 of them. */
	if (!roothash || size < 32)
		return -EINVAL;
	dps_uuid_format(roothash, ret_root);
	dps_uuid_format(roothash + size - 16, ret_verity);
	return 0;
}
