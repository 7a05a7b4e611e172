/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Quotes with a restricted ECC P-256 attestation key; the base of remote attestation. */
#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>
#include <tss2/tss2_mu.h>

#include "tpm-internal.h"

static const TPM2B_PUBLIC ak_template = {
	.publicArea = {
		.type = TPM2_ALG_ECC,
		.nameAlg = TPM2_ALG_SHA256,
		.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
				    TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
				    TPMA_OBJECT_NODA | TPMA_OBJECT_RESTRICTED |
				    TPMA_OBJECT_SIGN_ENCRYPT,
		.parameters.eccDetail = {
			.symmetric.algorithm = TPM2_ALG_NULL,
			.scheme = { .scheme = TPM2_ALG_ECDSA,
				    .details.ecdsa.hashAlg = TPM2_ALG_SHA256 },
			.curveID = TPM2_ECC_NIST_P256,
			.kdf.scheme = TPM2_ALG_NULL,
		},
	},
};

/* An ECC P-256 point from the TPM as SubjectPublicKeyInfo DER. */
static int ecc_to_der(const TPMS_ECC_POINT *pt, uint8_t **der, size_t *der_size)
{
	uint8_t oct[1 + 2 * 32];
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pk = NULL;
	unsigned char *out = NULL;
	int len, r = -EIO;

	if (pt->x.size != 32 || pt->y.size != 32)
		return -EINVAL;
	oct[0] = 4;
	memcpy(oct + 1, pt->x.buffer, 32);
	memcpy(oct + 33, pt->y.buffer, 32);
	bld = OSSL_PARAM_BLD_new();
	if (!bld || !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, oct, sizeof(oct)))
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		goto out;
	len = i2d_PUBKEY(pk, &out);
	if (len <= 0)
		goto out;
	*der = out;
	*der_size = (size_t)len;
	r = 0;
out:
	EVP_PKEY_free(pk);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return r;
}

int tpm_quote(Tpm *t, uint32_t mask, const uint8_t *nonce, size_t nonce_size, TpmQuote *q)
{
	TPM2B_DATA qualifying = { 0 };
	TPMT_SIG_SCHEME scheme = { .scheme = TPM2_ALG_NULL };
	TPML_PCR_SELECTION sel = { .count = 1 };
	TPM2B_ATTEST *attest = NULL;
	TPMT_SIGNATURE *sig = NULL;
	TPM2B_PUBLIC *pub = NULL;
	ESYS_TR ak = ESYS_TR_NONE;
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

	r = tpm_create_primary(t, &ak_template, &ak, &pub);
	if (r < 0)
		goto out;
	rc = Esys_Quote(t->esys, ak, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &qualifying,
			&scheme, &sel, &attest, &sig);
	if (rc != TSS2_RC_SUCCESS) {
		r = tpm_fail(t, "Esys_Quote", rc);
		goto out;
	}
	r = ecc_to_der(&pub->publicArea.unique.ecc, &q->ak_der, &q->ak_der_size);
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
