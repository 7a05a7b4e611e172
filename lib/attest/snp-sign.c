/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A report signed by a given key: what the tests' fake AMD chain signs with, and the node's
 * stand-in for /dev/sev-guest (kcc-attest join --snp-stand-in-key, test only). Never a
 * production path: a real report comes from the AMD secure processor. */
#include <errno.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <string.h>

#include "snp.h"

int snp_report_sign(const uint8_t *template, const uint8_t report_data[SNP_REPORT_DATA_SIZE],
		    EVP_PKEY *key, uint8_t ret[SNP_REPORT_SIZE])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char der[160];
	const unsigned char *p = der;
	size_t der_size = sizeof(der);
	ECDSA_SIG *sig = NULL;
	const BIGNUM *r, *s;
	int rc = -EIO;

	if (template)
		memcpy(ret, template, SNP_REPORT_SIZE);
	else {
		memset(ret, 0, SNP_REPORT_SIZE);
		ret[0x000] = 2;                      /* version */
		ret[0x008 + 2] = 0x02;               /* policy bit 17 */
		ret[0x034] = SNP_SIG_ALGO_ECDSA_P384_SHA384;
	}
	memcpy(ret + 0x050, report_data, SNP_REPORT_DATA_SIZE);
	memset(ret + SNP_REPORT_SIGNED, 0, SNP_REPORT_SIZE - SNP_REPORT_SIGNED);
	if (ctx && EVP_DigestSignInit(ctx, NULL, EVP_sha384(), NULL, key) == 1 &&
	    EVP_DigestSign(ctx, der, &der_size, ret, SNP_REPORT_SIGNED) == 1 &&
	    (sig = d2i_ECDSA_SIG(NULL, &p, (long)der_size))) {
		ECDSA_SIG_get0(sig, &r, &s);
		if (BN_bn2lebinpad(r, ret + SNP_REPORT_SIGNED, 72) == 72 &&
		    BN_bn2lebinpad(s, ret + SNP_REPORT_SIGNED + 72, 72) == 72)
			rc = 0;
	}
	ECDSA_SIG_free(sig);
	EVP_MD_CTX_free(ctx);
	return rc;
}
