/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by the tpm*.c files only. */
#pragma once

#include <tss2/tss2_esys.h>

#include "tpm.h"

/* A pass-through TCTI between ESAPI and the real one: counts commands and shows the bytes on the
 * wire to an optional hook. */
typedef struct WireTcti {
	TSS2_TCTI_CONTEXT_COMMON_V2 common;
	TSS2_TCTI_CONTEXT *inner;
	Tpm *tpm;
} WireTcti;

struct Tpm {
	ESYS_CONTEXT *esys;
	WireTcti wire;
	unsigned long n_commands;
	TpmWireHook hook;
	void *hook_data;
	TSS2_TCTI_CONTEXT *tcti; /* ours to finalize when own_tcti */
	bool own_tcti, tcti_ldr;
	char err[320];
	size_t n_banks;
	const PcrBank *banks[PCR_BANKS_MAX];
	uint32_t pcr_known; /* SHA-256 values read or followed through our own extends */
	uint8_t pcr[PCR_COUNT][32];
};

/* Records "what: TPM reason" and returns the mapped -errno. */
int tpm_fail(Tpm *t, const char *what, TSS2_RC rc);
void tpm_flush(Tpm *t, ESYS_TR *h);
/* A primary key in the owner hierarchy from template. */
int tpm_create_primary(Tpm *t, const TPM2B_PUBLIC *template, ESYS_TR *handle, TPM2B_PUBLIC **pub);
/* A session salted with salt_key, AES-128-CFB parameter encryption. */
int tpm_session_start(Tpm *t, ESYS_TR salt_key, TPM2_SE type, TPMA_SESSION attrs,
		      ESYS_TR *session);
/* Verifies a's signature over H(approved || p's policyRef) in the TPM, runs the approved
 * policy's commands (TpmApproval) and PolicyAuthorize in session. */
int tpm_policy_signed(Tpm *t, ESYS_TR session, const TpmPolicy *p, const TpmApproval *a);
/* The ESYS_TR of the epoch index from nv (serialized, name checked), else looked up. */
int tpm_epoch_open(Tpm *t, const TpmSrk *nv, ESYS_TR *h);
/* The same in another hierarchy (ESYS_TR_RH_ENDORSEMENT for the EK and the AK of attestation). */
int tpm_create_primary_in(Tpm *t, ESYS_TR hierarchy, const TPM2B_PUBLIC *template,
			  ESYS_TR *handle, TPM2B_PUBLIC **pub);
/* A quote with the loaded ECC attestation key ak (pub: its public area). */
int tpm_quote_key(Tpm *t, ESYS_TR ak, const TPM2B_PUBLIC *pub, uint32_t mask,
		  const uint8_t *nonce, size_t nonce_size, TpmQuote *q);
/* Zeroes ESAPI's copy of the last response (it held a secret in clear). */
void tpm_wipe_response(Tpm *t);
/* Unseal obj through *session (its continueSession off: forgotten on success) into out
 * (capacity *out_size); refused: the message when the TPM says no. */
int tpm_unseal_object(Tpm *t, ESYS_TR obj, ESYS_TR *session, const char *refused, void *out,
		      size_t *out_size);
