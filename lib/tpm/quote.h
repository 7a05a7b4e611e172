/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Checking a TPM quote in software (the verifier's side; no TPM needed). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "pcr.h"

/* Checks that attest is a quote signed by the ECC key ak_der, carrying nonce, over the SHA-256
 * PCRs of mask, and that they had the given values (one per set bit, lowest first).
 * 0 when all holds; -EPERM with the reason in err when not; -EBADMSG for malformed input. */
int quote_verify(const uint8_t *attest, size_t attest_size, const uint8_t *sig, size_t sig_size,
		 const uint8_t *ak_der, size_t ak_der_size, const uint8_t *nonce, size_t nonce_size,
		 uint32_t mask, const uint8_t (*values)[32], char *err, size_t err_size);
