/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The node's side of attestation, on the TPM: the EK certificate from NV, the EK (TCG EK profile
 * RSA 2048 or ECC P-256 template) and the AK (tpm_ak_template) as primaries of the endorsement hierarchy,
 * ActivateCredential through the EK's policy (PolicySecret(TPM_RH_ENDORSEMENT)) and quotes with
 * the AK. Every transient object is flushed by tpm_attest_keys_done(). */
#pragma once

#include <errno.h>

#include "tpm.h"

#define TPM_EK_CERT_RSA_NV 0x01c00002u
#define TPM_EK_CERT_ECC_NV 0x01c0000au

/* The certificate (DER, malloc'ed) in NV index; -ENOENT when the TPM has none. */
int tpm_ek_cert_read(Tpm *t, uint32_t index, uint8_t **ret, size_t *ret_size);

typedef enum TpmEkType {
	TPM_EK_RSA, /* template L-1, certificate in NV TPM_EK_CERT_RSA_NV */
	TPM_EK_ECC, /* template L-2 (ECC P-256), certificate in NV TPM_EK_CERT_ECC_NV */
	_TPM_EK_TYPE_MAX,
	_TPM_EK_TYPE_INVALID = -EINVAL,
} TpmEkType;

/* The EK a node uses when not told: RSA when its certificate is there, else ECC when its
 * certificate is, else RSA (then the verifier's allow-list). Deterministic for a TPM, so a later
 * unseal makes the EK the join used. */
int tpm_ek_type_auto(Tpm *t, TpmEkType *ret);
uint32_t tpm_ek_cert_index(TpmEkType type);
TpmEkType tpm_ek_type_from_string(const char *s);

typedef struct TpmAttestKeys {
	uint32_t ek, ak;            /* ESYS_TR handles */
	uint8_t *ek_pub, *ak_pub; /* marshalled TPM2B_PUBLIC, malloc'ed */
	size_t ek_pub_size, ak_pub_size;
} TpmAttestKeys;

/* No keys yet (ESYS_TR_NONE): tpm_attest_keys_done() on it does nothing. */
#define TPM_ATTEST_KEYS_NONE { .ek = 0xfffu, .ak = 0xfffu }

int tpm_attest_keys(Tpm *t, TpmEkType type, TpmAttestKeys *ret);
void tpm_attest_keys_done(Tpm *t, TpmAttestKeys *k);
/* ActivateCredential: blob (TPM2B_ID_OBJECT) and secret (TPM2B_ENCRYPTED_SECRET) as
 * tpm_make_credential() made them; out gets the credential (at most 32 bytes). -EBADMSG when
 * they were made for another TPM or another AK. */
int tpm_activate_credential(Tpm *t, const TpmAttestKeys *k, const uint8_t *blob, size_t blob_size,
			    const uint8_t *secret, size_t secret_size, uint8_t out[32],
			    size_t *out_size);
/* A quote with the AK over the SHA-256 PCRs of mask, with qualifying data. */
int tpm_attest_quote(Tpm *t, const TpmAttestKeys *k, uint32_t mask, const uint8_t *qualifying,
		     size_t qualifying_size, TpmQuote *q);
/* A secret the verifier released (duplicate.h): TPM2_Import under the EK, Load, then Unseal
 * through PolicyPCR over mask (the SHA-256 bank) in a session salted with the EK whose response
 * is encrypted. out (capacity *out_size) gets the secret. -EBADMSG: made for another TPM or
 * malformed; -EPERM: the PCRs no longer hold the values it was released for. */
int tpm_import_unseal(Tpm *t, const TpmAttestKeys *k, const uint8_t *blob, size_t blob_size,
		      uint32_t mask, void *out, size_t *out_size);
