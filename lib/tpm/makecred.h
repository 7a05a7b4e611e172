/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* TPM2_MakeCredential in software (the verifier's side, OpenSSL; TPM 2.0 Part 1, "Credential
 * Protection"): only the TPM holding the EK's private part, with the AK of name ak_name loaded,
 * gets credential back from ActivateCredential. RSA EKs (tpm_ek_rsa_template) only. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <tss2/tss2_tpm2_types.h>

#include "public.h"

/* blob: marshalled TPM2B_ID_OBJECT; secret: marshalled TPM2B_ENCRYPTED_SECRET; both malloc'ed.
 * credential: at most 32 bytes. */
int tpm_make_credential(const TPM2B_PUBLIC *ek, const uint8_t ak_name[TPM_PUBLIC_NAME_SIZE],
			const uint8_t *credential, size_t credential_size, uint8_t **blob,
			size_t *blob_size, uint8_t **secret, size_t *secret_size);
