/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: a TPM2B_PUBLIC as kcc-verify receives it (the EK and the AK of /v1/start):
 * the strict parser, the AK and EK checks, the name and the OpenSSL key. */
#include <openssl/crypto.h>
#include <stdint.h>

#include "public.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t name[TPM_PUBLIC_NAME_SIZE], *der = NULL;
	TPM2B_PUBLIC p;
	size_t n;

	if (tpm_public_parse(data, size, &p) < 0)
		return 0;
	(void)tpm_public_is_ak(&p, NULL);
	(void)tpm_public_is_ek(&p, NULL);
	(void)tpm_public_name(&p, name);
	if (tpm_public_to_der(&p, &der, &n) == 0)
		OPENSSL_free(der);
	return 0;
}
