/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the PE parsers of kcc-pcr predict and sign (a UKI, a boot loader): the
 * section table walk of the PCR 11 predictor and the Authenticode hash of the PCR 4 predictor. */
#include <stdint.h>

#include "authenticode.h"
#include "uki.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t v[PCR_DIGEST_MAX] = { 0 };
	char err[160];

	(void)uki_measure(data, size, PCR_BANK_SHA256, v, err, sizeof(err));
	(void)pe_authenticode(data, size, PCR_BANK_SHA256, v, err, sizeof(err));
	return 0;
}
