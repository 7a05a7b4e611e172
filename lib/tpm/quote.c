/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>
#include <tss2/tss2_mu.h>

#include "quote.h"
#include "util.h"

static int ecdsa_verify(const uint8_t *msg, size_t msg_size, const TPMS_SIGNATURE_ECC *s,
			const uint8_t *ak_der, size_t ak_der_size)
{
	const unsigned char *p = ak_der;
	EVP_PKEY *pk = d2i_PUBKEY(NULL, &p, (long)ak_der_size);
	ECDSA_SIG *es = ECDSA_SIG_new();
	unsigned char *der = NULL;
	EVP_MD_CTX *ctx = NULL;
	int n, r = -EBADMSG;

	if (!pk || !es)
		goto out;
	if (!ECDSA_SIG_set0(es, BN_bin2bn(s->signatureR.buffer, s->signatureR.size, NULL),
			    BN_bin2bn(s->signatureS.buffer, s->signatureS.size, NULL)))
		goto out;
	n = i2d_ECDSA_SIG(es, &der);
	ctx = EVP_MD_CTX_new();
	if (n <= 0 || !ctx || EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, pk) <= 0)
		goto out;
	r = EVP_DigestVerify(ctx, der, (size_t)n, msg, msg_size) == 1 ? 0 : -EPERM;
out:
	OPENSSL_free(der);
	EVP_MD_CTX_free(ctx);
	ECDSA_SIG_free(es);
	EVP_PKEY_free(pk);
	return r;
}

int quote_verify(const uint8_t *attest, size_t attest_size, const uint8_t *sig, size_t sig_size,
		 const uint8_t *ak_der, size_t ak_der_size, const uint8_t *nonce, size_t nonce_size,
		 uint32_t mask, const uint8_t (*values)[32], char *err, size_t err_size)
{
	TPMS_ATTEST a;
	TPMT_SIGNATURE s;
	TPML_PCR_SELECTION *sel;
	uint8_t want[32];
	size_t off = 0, n = 0;
	uint32_t got = 0;
	int r;

#define FAIL(e, ...) errorf(err, err_size, (e), __VA_ARGS__)
	if (Tss2_MU_TPMS_ATTEST_Unmarshal(attest, attest_size, &off, &a) != TSS2_RC_SUCCESS ||
	    off != attest_size)
		return FAIL(-EBADMSG, "the attestation structure is malformed");
	off = 0;
	if (Tss2_MU_TPMT_SIGNATURE_Unmarshal(sig, sig_size, &off, &s) != TSS2_RC_SUCCESS ||
	    off != sig_size)
		return FAIL(-EBADMSG, "the signature structure is malformed");
	if (s.sigAlg != TPM2_ALG_ECDSA || s.signature.ecdsa.hash != TPM2_ALG_SHA256)
		return FAIL(-EPERM, "the quote is not signed with ECDSA/SHA-256");
	r = ecdsa_verify(attest, attest_size, &s.signature.ecdsa, ak_der, ak_der_size);
	if (r == -EBADMSG)
		return FAIL(r, "the attestation key is not an ECC public key");
	if (r < 0)
		return FAIL(r, "the signature does not verify with the attestation key");
	if (a.magic != TPM2_GENERATED_VALUE || a.type != TPM2_ST_ATTEST_QUOTE)
		return FAIL(-EPERM, "the signed structure is not a TPM quote");
	if (a.extraData.size != nonce_size || memcmp(a.extraData.buffer, nonce, nonce_size) != 0)
		return FAIL(-EPERM, "the quote carries another nonce (replayed?)");
	sel = &a.attested.quote.pcrSelect;
	if (sel->count != 1 || sel->pcrSelections[0].hash != TPM2_ALG_SHA256)
		return FAIL(-EPERM, "the quote is not over the SHA-256 bank alone");
	for (unsigned i = 0; i < PCR_COUNT && i / 8 < sel->pcrSelections[0].sizeofSelect; i++)
		if (sel->pcrSelections[0].pcrSelect[i / 8] & (1u << (i % 8)))
			got |= 1u << i;
	if (got != mask)
		return FAIL(-EPERM, "the quote covers other PCRs than asked");
	n = (size_t)__builtin_popcount(mask);
	r = pcr_hash(PCR_BANK_SHA256, values, 32 * n, want);
	if (r < 0)
		return r;
	if (a.attested.quote.pcrDigest.size != 32 ||
	    memcmp(a.attested.quote.pcrDigest.buffer, want, 32) != 0)
		return FAIL(-EPERM, "the quoted PCR digest does not match the PCR values");
	return 0;
#undef FAIL
}
