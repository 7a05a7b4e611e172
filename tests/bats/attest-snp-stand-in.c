/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kcc-attest-test's stand-in for the SEV-SNP device (snp-guest.h), for the host tests
 * (tests/bats/83-attest-snp.bats): a report of fixed fields signed with a key the test made. */
#include <errno.h>
#include <openssl/pem.h>
#include <stdio.h>

#include "snp-guest.h"
#include "snp.h"
#include "util.h"

static int stand_in(const char *key_path, const uint8_t report_data[SNP_REPORT_DATA_SIZE],
		    uint8_t ret[SNP_REPORT_SIZE], char *err, size_t err_size)
{
	FILE *f = fopen(key_path, "re");
	EVP_PKEY *key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
	int r;

	if (f)
		fclose(f);
	if (!key)
		return errorf(err, err_size, -EINVAL, "%s: not a PEM private key", key_path);
	r = snp_report_sign(/* template= */ NULL, report_data, key, ret);
	EVP_PKEY_free(key);
	return r < 0 ? errorf(err, err_size, r, "%s: cannot sign the stand-in report", key_path) : 0;
}

int (*const snp_stand_in_report)(const char *key_path,
				 const uint8_t report_data[SNP_REPORT_DATA_SIZE],
				 uint8_t ret[SNP_REPORT_SIZE], char *err, size_t err_size) = stand_in;
