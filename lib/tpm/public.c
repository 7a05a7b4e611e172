/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>
#include <tss2/tss2_mu.h>

#include "pcr.h"
#include "public.h"

#define EK_ATTRS                                                                               \
	(TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |     \
	 TPMA_OBJECT_ADMINWITHPOLICY | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT)
#define AK_ATTRS                                                                               \
	(TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |     \
	 TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT)

/* PolicySecret(TPM_RH_ENDORSEMENT): TCG EK Credential Profile, B.3.3. */
#define EK_POLICY                                                                              \
	{ .size = 32,                                                                          \
	  .buffer = { 0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8, 0x1a, 0x90, 0xcc,        \
		      0x8d, 0x46, 0xa5, 0xd7, 0x24, 0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52,        \
		      0x0b, 0x64, 0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa } }
/* The EK's symmetric algorithm, for either key type. */
#define EK_SYMMETRIC { .algorithm = TPM2_ALG_AES, .keyBits.aes = 128, .mode.aes = TPM2_ALG_CFB }

const TPM2B_PUBLIC tpm_ek_rsa_template = {
	.publicArea = {
		.type = TPM2_ALG_RSA,
		.nameAlg = TPM2_ALG_SHA256,
		.objectAttributes = EK_ATTRS,
		.authPolicy = EK_POLICY,
		.parameters.rsaDetail = {
			.symmetric = EK_SYMMETRIC,
			.scheme.scheme = TPM2_ALG_NULL,
			.keyBits = 2048,
			.exponent = 0,
		},
		.unique.rsa.size = 256,
	},
};

/* TCG EK Credential Profile 2.0, template L-2: ECC NIST P-256, the same policy and attributes;
 * unique x and y 32 zero bytes each. */
const TPM2B_PUBLIC tpm_ek_ecc_template = {
	.publicArea = {
		.type = TPM2_ALG_ECC,
		.nameAlg = TPM2_ALG_SHA256,
		.objectAttributes = EK_ATTRS,
		.authPolicy = EK_POLICY,
		.parameters.eccDetail = {
			.symmetric = EK_SYMMETRIC,
			.scheme.scheme = TPM2_ALG_NULL,
			.curveID = TPM2_ECC_NIST_P256,
			.kdf.scheme = TPM2_ALG_NULL,
		},
		.unique.ecc = { .x.size = 32, .y.size = 32 },
	},
};

const TPM2B_PUBLIC tpm_ak_template = {
	.publicArea = {
		.type = TPM2_ALG_ECC,
		.nameAlg = TPM2_ALG_SHA256,
		.objectAttributes = AK_ATTRS | TPMA_OBJECT_NODA,
		.parameters.eccDetail = {
			.symmetric.algorithm = TPM2_ALG_NULL,
			.scheme = { .scheme = TPM2_ALG_ECDSA,
				    .details.ecdsa.hashAlg = TPM2_ALG_SHA256 },
			.curveID = TPM2_ECC_NIST_P256,
			.kdf.scheme = TPM2_ALG_NULL,
		},
	},
};

int tpm_public_parse(const uint8_t *buf, size_t size, TPM2B_PUBLIC *ret)
{
	TPM2B_PUBLIC p = { 0 };
	size_t off = 0;

	if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(buf, size, &off, &p) != TSS2_RC_SUCCESS || off != size)
		return -EBADMSG;
	if (p.publicArea.nameAlg != TPM2_ALG_SHA256)
		return -EBADMSG;
	switch (p.publicArea.type) {
	case TPM2_ALG_RSA:
		if (p.publicArea.unique.rsa.size == 0 ||
		    p.publicArea.unique.rsa.size * 8u != p.publicArea.parameters.rsaDetail.keyBits)
			return -EBADMSG;
		break;
	case TPM2_ALG_ECC:
		if (p.publicArea.parameters.eccDetail.curveID != TPM2_ECC_NIST_P256 ||
		    p.publicArea.unique.ecc.x.size != 32 || p.publicArea.unique.ecc.y.size != 32)
			return -EBADMSG;
		break;
	default:
		return -EBADMSG;
	}
	*ret = p;
	return 0;
}

int tpm_public_marshal(const TPM2B_PUBLIC *pub, uint8_t **ret, size_t *ret_size)
{
	uint8_t *buf = malloc(sizeof(*pub));
	size_t off = 0;

	if (!buf)
		return -ENOMEM;
	if (Tss2_MU_TPM2B_PUBLIC_Marshal(pub, buf, sizeof(*pub), &off) != TSS2_RC_SUCCESS) {
		free(buf);
		return -EINVAL;
	}
	*ret = buf;
	*ret_size = off;
	return 0;
}

int tpm_public_name(const TPM2B_PUBLIC *pub, uint8_t name[TPM_PUBLIC_NAME_SIZE])
{
	uint8_t buf[sizeof(TPMT_PUBLIC)];
	size_t off = 0;

	if (pub->publicArea.nameAlg != TPM2_ALG_SHA256 ||
	    Tss2_MU_TPMT_PUBLIC_Marshal(&pub->publicArea, buf, sizeof(buf), &off) != TSS2_RC_SUCCESS)
		return -EINVAL;
	name[0] = TPM2_ALG_SHA256 >> 8;
	name[1] = TPM2_ALG_SHA256 & 0xff;
	return pcr_hash(PCR_BANK_SHA256, buf, off, name + 2);
}

static int pkey_from_params(const char *type, OSSL_PARAM_BLD *bld, EVP_PKEY **ret)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *pk = NULL;
	int r = -EBADMSG;

	if (params && ctx && EVP_PKEY_fromdata_init(ctx) > 0 &&
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) > 0) {
		*ret = pk;
		r = 0;
	}
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return r;
}

static int ecc_pkey(const TPMS_ECC_POINT *pt, EVP_PKEY **ret)
{
	uint8_t oct[1 + 2 * 32];
	OSSL_PARAM_BLD *bld;
	int r = -EBADMSG;

	if (pt->x.size != 32 || pt->y.size != 32)
		return -EBADMSG;
	oct[0] = 4;
	memcpy(oct + 1, pt->x.buffer, 32);
	memcpy(oct + 33, pt->y.buffer, 32);
	bld = OSSL_PARAM_BLD_new();
	if (bld && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) &&
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, oct, sizeof(oct)))
		r = pkey_from_params("EC", bld, ret);
	OSSL_PARAM_BLD_free(bld);
	return r;
}

static int rsa_pkey(const TPM2B_PUBLIC *pub, EVP_PKEY **ret)
{
	const TPM2B_PUBLIC_KEY_RSA *m = &pub->publicArea.unique.rsa;
	uint32_t e = pub->publicArea.parameters.rsaDetail.exponent ?: 65537;
	BIGNUM *n = BN_bin2bn(m->buffer, m->size, NULL), *be = BN_new();
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	int r = -EBADMSG;

	if (n && be && bld && BN_set_word(be, e) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be))
		r = pkey_from_params("RSA", bld, ret);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(be);
	return r;
}

int tpm_public_to_pkey(const TPM2B_PUBLIC *pub, EVP_PKEY **ret)
{
	switch (pub->publicArea.type) {
	case TPM2_ALG_ECC:
		if (pub->publicArea.parameters.eccDetail.curveID != TPM2_ECC_NIST_P256)
			return -EBADMSG;
		return ecc_pkey(&pub->publicArea.unique.ecc, ret);
	case TPM2_ALG_RSA:
		return rsa_pkey(pub, ret);
	default:
		return -EBADMSG;
	}
}

static int pkey_to_der(EVP_PKEY *pk, uint8_t **ret, size_t *ret_size)
{
	unsigned char *out = NULL;
	int len = i2d_PUBKEY(pk, &out);

	EVP_PKEY_free(pk);
	if (len <= 0)
		return -EIO;
	*ret = out;
	*ret_size = (size_t)len;
	return 0;
}

int tpm_public_to_der(const TPM2B_PUBLIC *pub, uint8_t **ret, size_t *ret_size)
{
	EVP_PKEY *pk = NULL;
	int r = tpm_public_to_pkey(pub, &pk);

	return r < 0 ? r : pkey_to_der(pk, ret, ret_size);
}

int tpm_ecc_point_to_der(const TPMS_ECC_POINT *pt, uint8_t **ret, size_t *ret_size)
{
	EVP_PKEY *pk = NULL;
	int r = ecc_pkey(pt, &pk);

	return r < 0 ? r : pkey_to_der(pk, ret, ret_size);
}

#define WHY(s) ({ if (why) *why = (s); false; })

bool tpm_public_is_ak(const TPM2B_PUBLIC *pub, const char **why)
{
	const TPMT_PUBLIC *p = &pub->publicArea;
	const TPMS_ECC_PARMS *e = &p->parameters.eccDetail;

	if ((p->objectAttributes & AK_ATTRS) != AK_ATTRS)
		return WHY("the attestation key is not restricted, signing, fixedTPM and fixedParent");
	if (p->objectAttributes & TPMA_OBJECT_DECRYPT)
		return WHY("the attestation key can decrypt");
	if (p->type != TPM2_ALG_ECC || e->curveID != TPM2_ECC_NIST_P256 ||
	    e->scheme.scheme != TPM2_ALG_ECDSA || e->scheme.details.ecdsa.hashAlg != TPM2_ALG_SHA256)
		return WHY("the attestation key is not ECC P-256 with ECDSA/SHA-256");
	return true;
}

static bool ek_sym_ok(const TPMT_SYM_DEF_OBJECT *p, const TPMT_SYM_DEF_OBJECT *t)
{
	return p->algorithm == t->algorithm && p->keyBits.aes == t->keyBits.aes &&
	       p->mode.aes == t->mode.aes;
}

bool tpm_public_is_ek(const TPM2B_PUBLIC *pub, const char **why)
{
	const TPMT_PUBLIC *p = &pub->publicArea, *t = &tpm_ek_rsa_template.publicArea,
			  *te = &tpm_ek_ecc_template.publicArea;
	const TPMS_RSA_PARMS *pr = &p->parameters.rsaDetail, *tr = &t->parameters.rsaDetail;
	const TPMS_ECC_PARMS *pe = &p->parameters.eccDetail;

	if (p->objectAttributes != t->objectAttributes || p->authPolicy.size != 32 ||
	    memcmp(p->authPolicy.buffer, t->authPolicy.buffer, 32))
		return WHY("the endorsement key does not have the TCG profile's attributes and policy");
	if (p->type == TPM2_ALG_ECC) {
		if (!ek_sym_ok(&pe->symmetric, &te->parameters.eccDetail.symmetric) ||
		    pe->scheme.scheme != TPM2_ALG_NULL || pe->curveID != TPM2_ECC_NIST_P256 ||
		    pe->kdf.scheme != TPM2_ALG_NULL)
			return WHY("the endorsement key is not the TCG profile's ECC P-256 EK");
		return true;
	}
	if (p->type != TPM2_ALG_RSA || !ek_sym_ok(&pr->symmetric, &tr->symmetric) ||
	    pr->scheme.scheme != TPM2_ALG_NULL || pr->keyBits != tr->keyBits ||
	    (pr->exponent != 0 && pr->exponent != 65537))
		return WHY("the endorsement key is not the TCG profile's RSA 2048 EK");
	return true;
}
