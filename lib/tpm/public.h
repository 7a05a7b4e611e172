/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* TPM public areas in software (the verifier's side, no TPM needed): the strict parser of a
 * marshalled TPM2B_PUBLIC (untrusted: tests/unit/fuzz-tpm-public.c), its name, its key as an
 * OpenSSL key, and the TCG EK Credential Profile's EK templates (RSA 2048 L-1, ECC P-256 L-2). */
#pragma once

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <tss2/tss2_tpm2_types.h>

#define TPM_PUBLIC_NAME_SIZE 34 /* nameAlg (SHA-256) + digest */

/* The EK template of the TCG EK Credential Profile 2.0, RSA 2048 (L-1): its authPolicy is
 * PolicySecret(TPM_RH_ENDORSEMENT). */
extern const TPM2B_PUBLIC tpm_ek_rsa_template;
/* The same profile's ECC NIST P-256 EK (L-2), the same policy. */
extern const TPM2B_PUBLIC tpm_ek_ecc_template;
/* The attestation key: a restricted ECC P-256 ECDSA/SHA-256 signing key. */
extern const TPM2B_PUBLIC tpm_ak_template;

/* Parses buf (exactly one marshalled TPM2B_PUBLIC, nothing after it) into ret: RSA or ECC keys
 * with a SHA-256 name only. -EBADMSG otherwise. */
int tpm_public_parse(const uint8_t *buf, size_t size, TPM2B_PUBLIC *ret);
/* Marshals pub; *ret is malloc'ed. */
int tpm_public_marshal(const TPM2B_PUBLIC *pub, uint8_t **ret, size_t *ret_size);
/* The name: nameAlg (big-endian) || SHA-256 of the marshalled TPMT_PUBLIC. */
int tpm_public_name(const TPM2B_PUBLIC *pub, uint8_t name[TPM_PUBLIC_NAME_SIZE]);
/* The key as an OpenSSL public key (RSA with its exponent, ECC P-256). */
int tpm_public_to_pkey(const TPM2B_PUBLIC *pub, EVP_PKEY **ret);
/* The key as SubjectPublicKeyInfo DER (OPENSSL_free it). */
int tpm_public_to_der(const TPM2B_PUBLIC *pub, uint8_t **ret, size_t *ret_size);
/* An ECC P-256 point as SubjectPublicKeyInfo DER (OPENSSL_free it). */
int tpm_ecc_point_to_der(const TPMS_ECC_POINT *pt, uint8_t **ret, size_t *ret_size);
/* Whether pub is an attestation key kcc-node accepts: restricted, sign, no decrypt, fixedTPM,
 * fixedParent, sensitiveDataOrigin, ECC P-256 with ECDSA/SHA-256. why gets the first reason. */
bool tpm_public_is_ak(const TPM2B_PUBLIC *pub, const char **why);
/* Whether pub is an EK made from tpm_ek_rsa_template or tpm_ek_ecc_template (same attributes,
 * policy, parameters). */
bool tpm_public_is_ek(const TPM2B_PUBLIC *pub, const char **why);
