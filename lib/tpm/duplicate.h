/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A sealed secret for one TPM in one boot state, made in software (the verifier's side, OpenSSL;
 * TPM 2.0 Part 1, "Duplication", outer wrap only): a KEYEDHASH sealed-data object whose
 * sensitive part is the secret and whose authPolicy is PolicyPCR over the given SHA-256 values,
 * wrapped to the node's EK (a restricted storage parent). Only the TPM holding the EK's private
 * part can TPM2_Import it, and only while those PCRs hold those values can it be unsealed
 * (tpm_import_unseal, tpm.h). RSA and ECC EKs.
 *
 * The blob, as it travels: TPM2B_PUBLIC || TPM2B_PRIVATE (the duplicate) ||
 * TPM2B_ENCRYPTED_SECRET (the seed), marshalled back to back. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <tss2/tss2_tpm2_types.h>

#include "pcr.h"

#define TPM_SECRET_MAX 128

/* values: the SHA-256 values by PCR index (those of mask are used). *blob is malloc'ed. */
int tpm_duplicate_sealed(const TPM2B_PUBLIC *ek, uint32_t mask,
			 const uint8_t values[PCR_COUNT][32], const void *secret, size_t secret_size, uint8_t **blob, size_t *blob_size);

/* Splits a blob (untrusted: tests/unit/fuzz-attest-secrets.c) into its three parts: exactly
 * three, nothing after them, a KEYEDHASH data object (no sign, no decrypt) with a SHA-256 name,
 * userWithAuth clear and an authPolicy, a duplicate of at most TPM_SECRET_MAX secret bytes plus
 * its wrapping. -EBADMSG otherwise. */
int tpm_duplicate_parse(const uint8_t *blob, size_t size, TPM2B_PUBLIC *pub, TPM2B_PRIVATE *dup,
			TPM2B_ENCRYPTED_SECRET *seed);
