/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the PE section table walk of kcc-pcr predict (a UKI is a build input). */
#include <stdint.h>

#include "uki.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t v[PCR_DIGEST_MAX] = { 0 };
	char err[160];

	(void)uki_measure(data, size, PCR_BANK_SHA256, v, err, sizeof(err));
	return 0;
}
