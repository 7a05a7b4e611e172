/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* TPM2_MakeCredential in software (the verifier's side, OpenSSL; TPM 2.0 Part 1, "Credential
 * Protection"): only the TPM holding the EK's private part, with the AK of name ak_name loaded,
 * gets credential back from ActivateCredential. RSA and ECC EKs (public.h's templates). */
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

/* The outer wrap both use (TPM 2.0 Part 1, "Credential Protection" and "Duplication"): a seed
 * shared with the EK (label of label_size bytes, its NUL included) into seed_out: random and
 * RSA-OAEP(SHA-256) for an RSA EK, ECDH and KDFe (an ephemeral point) for an ECC EK; out (capacity out_cap) = TPM2B_DIGEST HMAC(KDFa(seed, "INTEGRITY"), enc || name) ||
 * enc, enc = AES-128-CFB(KDFa(seed, "STORAGE", name), zero IV, plain). */
int tpm_outer_wrap(const TPM2B_PUBLIC *ek, const char *label, size_t label_size,
		   const uint8_t name[TPM_PUBLIC_NAME_SIZE], const uint8_t *plain, size_t plain_size,
		   uint8_t *out, size_t out_cap, size_t *out_size, TPM2B_ENCRYPTED_SECRET *seed_out);
