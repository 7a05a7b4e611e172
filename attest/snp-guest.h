/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The node's SEV-SNP report (docs/attestation.md, "SEV-SNP reports"): from /dev/sev-guest (the
 * Linux SNP_GET_REPORT ioctl), or, in tests only, from the stand-in. */
#pragma once

#include <stdint.h>

#include "snp.h"

#define SNP_GUEST_DEVICE "/dev/sev-guest"

/* report_data into the secure processor's report: the extended request first (SNP_GET_EXT_REPORT,
 * with the certificates the host provides), the plain one when the kernel or the host does not
 * serve it. *ret_vcek (malloc'ed, NULL when the host gave none) the VCEK's DER from the host's
 * certificate table. 0; -ENOENT when there is no device (not an SEV-SNP guest: nothing is sent);
 * -errno with the reason in err otherwise. */
int snp_guest_report(const char *device, const uint8_t report_data[SNP_REPORT_DATA_SIZE],
		     uint8_t ret[SNP_REPORT_SIZE], uint8_t **ret_vcek, size_t *ret_vcek_size,
		     char *err, size_t err_size);
/* The tests' stand-in for the device (kcc-attest join --snp-stand-in-key): a report of fixed
 * fields signed with the PEM private key at key_path. NULL in kcc-attest (attest/snp-stand-in.c):
 * only the host tests' kcc-attest-test links one (tests/bats/attest-snp-stand-in.c), so no image
 * carries it. */
extern int (*const snp_stand_in_report)(const char *key_path,
					const uint8_t report_data[SNP_REPORT_DATA_SIZE],
					uint8_t ret[SNP_REPORT_SIZE], char *err, size_t err_size);
