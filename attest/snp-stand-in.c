/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Production: no stand-in for the SEV-SNP device (snp-guest.h). */
#include "snp-guest.h"

int (*const snp_stand_in_report)(const char *key_path,
				 const uint8_t report_data[SNP_REPORT_DATA_SIZE],
				 uint8_t ret[SNP_REPORT_SIZE], char *err, size_t err_size) = NULL;
