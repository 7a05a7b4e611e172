/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Quotes with a restricted ECC P-256 attestation key; the base of remote attestation. */
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <tss2/tss2_mu.h>

#include "public.h"
#include "tpm-internal.h"

int tpm_quote_key(Tpm *t, ESYS_TR ak, const TPM2B_PUBLIC *pub, uint32_t mask,
		  const uint8_t *nonce, size_t nonce_size, TpmQuote *q)
{
	TPM2B_DATA qualifying = { 0 };
	TPMT_SIG_SCHEME scheme = { .scheme = TPM2_ALG_NULL };
	TPML_PCR_SELECTION sel = { .count = 1 };
	TPM2B_ATTEST *attest = NULL;
	TPMT_SIGNATURE *sig = NULL;
	size_t off = 0;
	TSS2_RC rc;
	int r;

	*q = (TpmQuote){ 0 };
	if (nonce_size > sizeof(qualifying.buffer))
		return tpm_failf(t, EINVAL, "the nonce is longer than %zu bytes",
				 sizeof(qualifying.buffer));
	qualifying.size = (UINT16)nonce_size;
	memcpy(qualifying.buffer, nonce, nonce_size);
	sel.pcrSelections[0].hash = TPM2_ALG_SHA256;
	sel.pcrSelections[0].sizeofSelect = 3;
	for (unsigned i = 0; i < PCR_COUNT; i++)
		if (mask & (1u << i))
			sel.pcrSelections[0].pcrSelect[i / 8] |= 1u << (i % 8);

	rc = Esys_Quote(t->esys, ak, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &qualifying,
			&scheme, &sel, &attest, &sig);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_fail(t, "Esys_Quote", rc);
	r = tpm_ecc_point_to_der(&pub->publicArea.unique.ecc, &q->ak_der, &q->ak_der_size);
	if (r < 0) {
		r = tpm_failf(t, -r, "cannot export the attestation key");
		goto out;
	}
	q->attest = malloc(attest->size);
	q->sig = malloc(sizeof(*sig));
	if (!q->attest || !q->sig) {
		r = -ENOMEM;
		goto out;
	}
	memcpy(q->attest, attest->attestationData, attest->size);
	q->attest_size = attest->size;
	if (Tss2_MU_TPMT_SIGNATURE_Marshal(sig, q->sig, sizeof(*sig), &off) != TSS2_RC_SUCCESS) {
		r = tpm_failf(t, EIO, "cannot marshal the quote signature");
		goto out;
	}
	q->sig_size = off;
out:
	if (r < 0)
		tpm_quote_done(q);
	Esys_Free(attest);
	Esys_Free(sig);
	return r;
}

int tpm_quote(Tpm *t, uint32_t mask, const uint8_t *nonce, size_t nonce_size, TpmQuote *q)
{
	TPM2B_PUBLIC *pub = NULL;
	ESYS_TR ak = ESYS_TR_NONE;
	int r;

	*q = (TpmQuote){ 0 };
	r = tpm_create_primary(t, &tpm_ak_template, &ak, &pub);
	if (r >= 0)
		r = tpm_quote_key(t, ak, pub, mask, nonce, nonce_size, q);
	Esys_Free(pub);
	tpm_flush(t, &ak);
	return r;
}

void tpm_quote_done(TpmQuote *q)
{
	free(q->attest);
	free(q->sig);
	OPENSSL_free(q->ak_der);
	*q = (TpmQuote){ 0 };
}
