/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The object: TPMT_PUBLIC KEYEDHASH, nameAlg SHA-256, attributes noDA only (fixedTPM and
 * fixedParent must be clear for Import; userWithAuth clear so only the policy opens it;
 * sensitiveDataOrigin clear: the data comes from outside), scheme NULL, unique =
 * SHA-256(seedValue || data) as the TPM checks on load. The sensitive part: authValue empty,
 * a random seedValue, the data. Without an inner wrap the duplicate is the marshalled
 * TPM2B_SENSITIVE under the outer wrap of makecred.c with the label "DUPLICATE\0". */
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <tss2/tss2_mu.h>

#include "duplicate.h"
#include "makecred.h"
#include "public.h"

/* The duplicate around N secret bytes: outer HMAC (TPM2B, SHA-256), then the TPM2B_SENSITIVE:
 * its size, sensitiveType, an empty authValue, seedValue (TPM2B, 32), the data's size. */
#define DUP_OVERHEAD (2 + 32 + 2 + 2 + 2 + 2 + 32 + 2)

static int object_public(uint32_t mask, const uint8_t values[PCR_COUNT][32],
			 const TPMT_SENSITIVE *s, TPM2B_PUBLIC *pub)
{
	uint8_t buf[32 + TPM_SECRET_MAX], compact[PCR_COUNT][32];
	unsigned n = 32, k = 0;
	int r;

	for (unsigned i = 0; i < PCR_COUNT; i++)
		if (mask & (1u << i))
			memcpy(compact[k++], values[i], 32);

	*pub = (TPM2B_PUBLIC){ .publicArea = {
		.type = TPM2_ALG_KEYEDHASH,
		.nameAlg = TPM2_ALG_SHA256,
		.objectAttributes = TPMA_OBJECT_NODA,
		.authPolicy = { .size = 32 },
		.parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_NULL,
		.unique.keyedHash = { .size = 32 },
	} };
	memset(pub->publicArea.authPolicy.buffer, 0, 32);
	r = pcr_policy_pcr(pub->publicArea.authPolicy.buffer, mask,
			   (const uint8_t(*)[32])compact);
	if (r < 0)
		return r;
	memcpy(buf, s->seedValue.buffer, 32);
	memcpy(buf + 32, s->sensitive.bits.buffer, s->sensitive.bits.size);
	r = EVP_Digest(buf, 32 + s->sensitive.bits.size, pub->publicArea.unique.keyedHash.buffer, &n,
		       EVP_sha256(), NULL) == 1 ? 0 : -EIO;
	OPENSSL_cleanse(buf, sizeof(buf));
	return r;
}

int tpm_duplicate_sealed(const TPM2B_PUBLIC *ek, uint32_t mask,
			 const uint8_t values[PCR_COUNT][32], const void *secret, size_t secret_size, uint8_t **blob, size_t *blob_size)
{
	TPM2B_SENSITIVE s = { 0 };
	TPM2B_PUBLIC pub;
	TPM2B_PRIVATE dup = { 0 };
	TPM2B_ENCRYPTED_SECRET seed = { 0 };
	uint8_t name[TPM_PUBLIC_NAME_SIZE], plain[sizeof(TPM2B_SENSITIVE)];
	size_t plain_size = 0, n = 0, off = 0, cap;
	uint8_t *out = NULL;
	int r;

	if (secret_size == 0 || secret_size > TPM_SECRET_MAX || !mask || mask >> PCR_COUNT)
		return -EINVAL;
	s.sensitiveArea.sensitiveType = TPM2_ALG_KEYEDHASH;
	s.sensitiveArea.seedValue.size = 32;
	s.sensitiveArea.sensitive.bits.size = (UINT16)secret_size;
	memcpy(s.sensitiveArea.sensitive.bits.buffer, secret, secret_size);
	r = RAND_bytes(s.sensitiveArea.seedValue.buffer, 32) == 1 ? 0 : -EIO;
	if (r >= 0)
		r = object_public(mask, values, &s.sensitiveArea, &pub);
	if (r >= 0)
		r = tpm_public_name(&pub, name);
	if (r >= 0 && Tss2_MU_TPM2B_SENSITIVE_Marshal(&s, plain, sizeof(plain), &plain_size))
		r = -EINVAL;
	if (r >= 0)
		r = tpm_outer_wrap(ek, "DUPLICATE", sizeof("DUPLICATE"), name, plain, plain_size,
				   dup.buffer, sizeof(dup.buffer), &n, &seed);
	OPENSSL_cleanse(&s, sizeof(s));
	OPENSSL_cleanse(plain, sizeof(plain));
	if (r < 0)
		return r;
	dup.size = (UINT16)n;
	cap = sizeof(pub) + sizeof(dup) + sizeof(seed);
	out = malloc(cap);
	if (!out)
		return -ENOMEM;
	if (Tss2_MU_TPM2B_PUBLIC_Marshal(&pub, out, cap, &off) ||
	    Tss2_MU_TPM2B_PRIVATE_Marshal(&dup, out, cap, &off) ||
	    Tss2_MU_TPM2B_ENCRYPTED_SECRET_Marshal(&seed, out, cap, &off)) {
		free(out);
		return -EINVAL;
	}
	*blob = out;
	*blob_size = off;
	return 0;
}

int tpm_duplicate_parse(const uint8_t *blob, size_t size, TPM2B_PUBLIC *pub, TPM2B_PRIVATE *dup,
			TPM2B_ENCRYPTED_SECRET *seed)
{
	const TPMT_PUBLIC *p = &pub->publicArea;
	size_t off = 0;

	/* tss2-mu refuses to unmarshal into a TPM2B whose size is not 0 */
	*pub = (TPM2B_PUBLIC){ 0 };
	*dup = (TPM2B_PRIVATE){ 0 };
	*seed = (TPM2B_ENCRYPTED_SECRET){ 0 };
	if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(blob, size, &off, pub) ||
	    Tss2_MU_TPM2B_PRIVATE_Unmarshal(blob, size, &off, dup) ||
	    Tss2_MU_TPM2B_ENCRYPTED_SECRET_Unmarshal(blob, size, &off, seed) || off != size)
		return -EBADMSG;
	if (p->type != TPM2_ALG_KEYEDHASH || p->nameAlg != TPM2_ALG_SHA256 ||
	    (p->objectAttributes & (TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_SIGN_ENCRYPT |
				    TPMA_OBJECT_DECRYPT | TPMA_OBJECT_FIXEDTPM |
				    TPMA_OBJECT_FIXEDPARENT)) ||
	    p->authPolicy.size != 32 ||
	    p->parameters.keyedHashDetail.scheme.scheme != TPM2_ALG_NULL ||
	    dup->size < DUP_OVERHEAD || dup->size > DUP_OVERHEAD + TPM_SECRET_MAX ||
	    seed->size == 0)
		return -EBADMSG;
	return 0;
}
