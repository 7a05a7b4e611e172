/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <string.h>
#include <tss2/tss2_mu.h>

#include "epoch.h"
#include "pcr.h"

int key_public_from_der(const uint8_t *der, size_t der_size, TPM2B_PUBLIC *pub)
{
	const unsigned char *p = der;
	BIGNUM *n = NULL, *e = NULL;
	EVP_PKEY *pk = d2i_PUBKEY(NULL, &p, (long)der_size);
	int r = 0;

	memset(pub, 0, sizeof(*pub));
	if (!pk)
		return -EINVAL;
	if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA ||
	    !EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &n) ||
	    !EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &e) ||
	    BN_num_bytes(n) > (int)sizeof(pub->publicArea.unique.rsa.buffer)) {
		r = -EINVAL;
		goto out;
	}
	pub->publicArea.type = TPM2_ALG_RSA;
	pub->publicArea.nameAlg = TPM2_ALG_SHA256;
	pub->publicArea.objectAttributes = TPMA_OBJECT_DECRYPT | TPMA_OBJECT_SIGN_ENCRYPT |
					   TPMA_OBJECT_USERWITHAUTH;
	pub->publicArea.parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
	pub->publicArea.parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
	pub->publicArea.parameters.rsaDetail.keyBits = (TPMI_RSA_KEY_BITS)BN_num_bits(n);
	pub->publicArea.parameters.rsaDetail.exponent =
		BN_get_word(e) == 65537 ? 0 : (UINT32)BN_get_word(e);
	pub->publicArea.unique.rsa.size = (UINT16)BN_bn2bin(n, pub->publicArea.unique.rsa.buffer);
out:
	BN_free(n);
	BN_free(e);
	EVP_PKEY_free(pk);
	return r;
}

/* nameAlg (SHA-256) then the SHA-256 of the marshalled public area. */
static int name_of(const uint8_t *buf, size_t size, uint8_t name[EPOCH_NAME_SIZE])
{
	name[0] = TPM2_ALG_SHA256 >> 8;
	name[1] = TPM2_ALG_SHA256 & 0xff;
	return pcr_hash(PCR_BANK_SHA256, buf, size, name + 2);
}

int key_name_from_der(const uint8_t *der, size_t der_size, uint8_t name[EPOCH_NAME_SIZE])
{
	TPM2B_PUBLIC pub;
	uint8_t buf[sizeof(TPMT_PUBLIC)];
	size_t off = 0;
	int r = key_public_from_der(der, der_size, &pub);

	if (r < 0)
		return r;
	if (Tss2_MU_TPMT_PUBLIC_Marshal(&pub.publicArea, buf, sizeof(buf), &off) != TSS2_RC_SUCCESS)
		return -EINVAL;
	return name_of(buf, off, name);
}

int epoch_nv_public(const uint8_t *key_der, size_t key_der_size, bool written, TPM2B_NV_PUBLIC *pub)
{
	uint8_t name[EPOCH_NAME_SIZE];
	int r = key_name_from_der(key_der, key_der_size, name);

	if (r < 0)
		return r;
	memset(pub, 0, sizeof(*pub));
	pub->nvPublic.nvIndex = EPOCH_NV_INDEX;
	pub->nvPublic.nameAlg = TPM2_ALG_SHA256;
	/* AUTHREAD with an empty authValue: anyone may read (PolicyNV needs read authorisation);
	 * POLICYWRITE alone: nothing but the signed write policy sets a bit, not the owner. */
	pub->nvPublic.attributes = (TPM2_NT_BITS << TPMA_NV_TPM2_NT_SHIFT) | TPMA_NV_POLICYWRITE |
				   TPMA_NV_AUTHREAD | TPMA_NV_NO_DA |
				   (written ? TPMA_NV_WRITTEN : 0);
	pub->nvPublic.authPolicy.size = 32;
	pub->nvPublic.dataSize = 8;
	return pcr_policy_authorize(pub->nvPublic.authPolicy.buffer, name, sizeof(name),
				    (const uint8_t *)EPOCH_WRITE_REF, EPOCH_WRITE_REF_SIZE);
}

int epoch_nv_name(const uint8_t *key_der, size_t key_der_size, bool written,
		  uint8_t name[EPOCH_NAME_SIZE])
{
	TPM2B_NV_PUBLIC pub;
	uint8_t buf[sizeof(TPMS_NV_PUBLIC)];
	size_t off = 0;
	int r = epoch_nv_public(key_der, key_der_size, written, &pub);

	if (r < 0)
		return r;
	if (Tss2_MU_TPMS_NV_PUBLIC_Marshal(&pub.nvPublic, buf, sizeof(buf), &off) !=
	    TSS2_RC_SUCCESS)
		return -EINVAL;
	return name_of(buf, off, name);
}

uint64_t epoch_bits_above(unsigned e)
{
	return e >= EPOCH_MAX ? 0 : ~0ull << (e + 1);
}

uint64_t epoch_bits_upto(unsigned n)
{
	if (n > EPOCH_MAX)
		n = EPOCH_MAX;
	return (n == EPOCH_MAX ? ~0ull : (1ull << (n + 1)) - 1) & ~1ull;
}

unsigned epoch_of_bits(uint64_t bits)
{
	return bits ? 63u - (unsigned)__builtin_clzll(bits) : 0;
}

void epoch_operand(uint64_t bits, uint8_t out[8])
{
	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(bits >> (56 - 8 * i));
}

int epoch_policy_nv(uint8_t policy[32], const uint8_t name[EPOCH_NAME_SIZE], unsigned e)
{
	/* args = H(operandB || offset || operation), then the index's name. */
	uint8_t in[8 + 2 + 2], args[32 + EPOCH_NAME_SIZE];
	int r;

	if (e > EPOCH_MAX)
		return -EINVAL;
	epoch_operand(epoch_bits_above(e), in);
	in[8] = in[9] = 0;
	in[10] = TPM2_EO_BITCLEAR >> 8;
	in[11] = TPM2_EO_BITCLEAR & 0xff;
	r = pcr_hash(PCR_BANK_SHA256, in, sizeof(in), args);
	if (r < 0)
		return r;
	memcpy(args + 32, name, EPOCH_NAME_SIZE);
	return pcr_policy_update(policy, TPM2_CC_PolicyNV, args, sizeof(args));
}

int epoch_policy_setbits(uint8_t policy[32])
{
	const uint8_t cc[4] = { 0, 0, TPM2_CC_NV_SetBits >> 8, TPM2_CC_NV_SetBits & 0xff };

	return pcr_policy_update(policy, TPM2_CC_PolicyCommandCode, cc, sizeof(cc));
}

int epoch_init_cphash(const uint8_t *key_der, size_t key_der_size, uint8_t cphash[32])
{
	/* cpHash = H(commandCode || authHandle's name || nvIndex's name || bits) */
	uint8_t buf[4 + 2 * EPOCH_NAME_SIZE + 8] = { 0, 0, TPM2_CC_NV_SetBits >> 8,
						     TPM2_CC_NV_SetBits & 0xff };
	int r = epoch_nv_name(key_der, key_der_size, false, buf + 4);

	if (r < 0)
		return r;
	memcpy(buf + 4 + EPOCH_NAME_SIZE, buf + 4, EPOCH_NAME_SIZE);
	return pcr_hash(PCR_BANK_SHA256, buf, sizeof(buf), cphash);
}

int epoch_policy_init(uint8_t policy[32], const uint8_t cphash[32])
{
	return pcr_policy_update(policy, TPM2_CC_PolicyCpHash, cphash, 32);
}
