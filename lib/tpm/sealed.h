/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A secret sealed to this node's TPM under kcc-node's policy, and its JSON form (the body of the
 * LUKS2 token "kcc-tpm2", and what `kcc-pcr seal` prints):
 *   "kcc-blob"    base64 of TPM2B_PRIVATE + TPM2B_PUBLIC
 *   "kcc-srk"     name of the storage key it was sealed under (checked before every unseal)
 *   "kcc-srk-tr"  optional: base64 of ESAPI's serialized ESYS_TR of that key at its persistent
 *                 handle (TpmSrk in tpm.h); its public area must give "kcc-srk"
 *   "kcc-pkfp"    SHA-256 of the PCR signing key (the image's key must be this one)
 *   "kcc-policy"  the sealed object's policy digest
 *   "kcc-signed-pcrs"  [4,11] (UKI boots) or [11] (direct kernel boots): PCRs approved by a
 *                      signature
 *   "kcc-policy-ref"  "kcc-node/pcr-policy/v3" (EPOCH_POLICY_REF): approvals also check the
 *                     security-epoch index; "kcc-node/pcr-policy/v2" (PCR_POLICY_REF): sealed
 *                     before the epoch, still unsealed, without anti-rollback; a token without
 *                     it was sealed under an empty ref and is refused
 *   "kcc-epoch-nv"     v3: the name of the security-epoch NV index (as written)
 *   "kcc-epoch-nv-tr"  v3, optional: base64 of ESAPI's serialized ESYS_TR of that index
 *   "kcc-literal" {"15": "<sha256 value>", …}: PCRs bound by value */
#pragma once

#include <json-c/json.h>

#include "tpm.h"

/* The PCRs a signature approves. A UKI's policy also covers PCR 4, which the firmware extends with
 * every PE image it loads before any of them runs: replaying PCR 11 from user space after
 * booting another kernel leaves PCR 4 with that kernel's digest. Direct kernel boots have no
 * firmware measurement of the kernel and sign PCR 11 alone, with another key. */
#define SEALED_SIGNED_UKI ((1u << 4) | (1u << 11))
#define SEALED_SIGNED_DIRECT (1u << 11)
#define SEALED_ZERO_PCRS (1u << 15)

typedef struct Sealed {
	uint8_t *blob;
	size_t blob_size;
	TpmSrk srk;
	uint8_t pkfp[32];
	uint8_t policy[32];
	uint32_t signed_mask;
	uint32_t literal_mask;
	uint8_t literal_values[PCR_COUNT][32];
	bool epoch;	/* v3: approvals check the security-epoch index nv */
	TpmSrk nv;
} Sealed;

void sealed_done(Sealed *s);
int sealed_to_json(const Sealed *s, json_object *obj);
/* -EBADMSG with the reason in err for a missing or malformed field. */
int sealed_from_json(json_object *obj, Sealed *s, char *err, size_t err_size);

/* Defines the security-epoch index of key_der if it is missing (with the bit-less write the image
 * approves in sig_json) and checks that the node's epoch is not above the image's (-ESTALE).
 * nv gets what sealed_create() needs. */
int sealed_epoch_define(Tpm *t, const uint8_t *key_der, size_t key_der_size, uint32_t signed_mask,
			const char *sig_json, TpmSrk *nv);
/* Seals secret under PolicyAuthorize(key) (whose signatures approve signed_mask, one of
 * SEALED_SIGNED_*) plus PCR 15 = zeros plus the current values of extra_literal (configurable,
 * empty by default). key_der: the PCR signing key. nv (from sealed_epoch_define()): the
 * approvals must also check the security epoch (policyRef v3); NULL: v2, PCRs alone (tests of
 * volumes sealed before the epoch). */
int sealed_create(Tpm *t, const uint8_t *key_der, size_t key_der_size, uint32_t signed_mask,
		  uint32_t extra_literal, const TpmSrk *nv, const void *secret, size_t size,
		  Sealed *out);
/* Seals a new secret under exactly like's policy (signed PCRs, the literal values it recorded,
 * the security-epoch index): a key rotation after unlock, when PCR 15 is no longer zero. */
int sealed_reseal(Tpm *t, const Sealed *like, const uint8_t *key_der, size_t key_der_size,
		  const void *secret, size_t size, Sealed *out);
/* Finds the signature in sig_json that approves the current values of the signed PCRs for
 * key_der, and unseals.
 * -ENOKEY: key_der is not the key the secret was sealed to; -ENOENT: no signature approves the
 * current PCR values (or the epoch index is gone); -ESTALE: the node's security epoch is above
 * the image's; otherwise tpm_unseal()'s errors. The reason is in tpm_error(t). */
int sealed_open(Tpm *t, const Sealed *s, const uint8_t *key_der, size_t key_der_size,
		const char *sig_json, void *out, size_t *out_size);
/* Raises the node's security epoch to n (sets bits 1..n; SEALED_EPOCH_OWN: the image's own epoch,
 * from sig_json) with the write approval in sig_json that matches the current PCRs (a running
 * image at `ready`). *ret_n (optional) gets n. 1: already there, or n is 0 (no NV write);
 * -ERANGE: n is above limit or above the image's own epoch; -ENOENT: no approval matches. */
#define SEALED_EPOCH_OWN (~0u)
int sealed_epoch_raise(Tpm *t, const uint8_t *key_der, size_t key_der_size, const char *sig_json,
		       unsigned n, unsigned limit, unsigned *ret_n);
/* Unseals with the given approval (policy digest and signature; epoch: the security epoch it
 * checks, for a v3 token), whatever the PCRs are now: the TPM alone decides. For tests and recovery tools. */
int sealed_open_approved(Tpm *t, const Sealed *s, const uint8_t *key_der, size_t key_der_size,
			 const uint8_t pol[32], const uint8_t *sig, size_t sig_size, unsigned epoch,
			 void *out, size_t *out_size);
