/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PCR arithmetic in software: banks, extends, policy digests, key fingerprints. No TPM needed;
 * the predictor, the signer and the event-log replay are built on it. */
#pragma once

#include "hex.h"

#include <stddef.h>
#include <stdint.h>

#define PCR_COUNT 24
#define PCR_DIGEST_MAX 64
#define PCR_BANKS_MAX 4

typedef struct PcrBank {
	uint16_t alg;     /* TPM2_ALG_* */
	const char *name; /* "sha256", as the event log and systemd spell it */
	size_t size;
} PcrBank;

extern const PcrBank pcr_bank_table[PCR_BANKS_MAX];
#define PCR_BANK_SHA256 (&pcr_bank_table[1])
const PcrBank *pcr_bank_by_alg(uint16_t alg);
const PcrBank *pcr_bank_by_name(const char *name);

/* One digest per bank, for an extend in every active bank. */
typedef struct PcrDigests {
	size_t n;
	const PcrBank *bank[PCR_BANKS_MAX];
	uint8_t d[PCR_BANKS_MAX][PCR_DIGEST_MAX];
} PcrDigests;

int pcr_hash(const PcrBank *b, const void *data, size_t len, uint8_t *out);
/* HMAC with the bank's hash (the keyed identity of a volume in PCR 15). */
int pcr_hmac(const PcrBank *b, const void *key, size_t key_len, const void *data, size_t len,
	     uint8_t *out);
/* value = H(value || digest), the TPM's extend. */
int pcr_extend_value(const PcrBank *b, uint8_t *value, const uint8_t *digest);

/* policy = SHA-256(policy || cc || args): one policy command applied to a digest (args at most
 * 256 bytes), as the TPM does it. */
int pcr_policy_update(uint8_t policy[32], uint32_t cc, const uint8_t *args, size_t args_size);
/* PolicyPCR(mask, values) applied to policy (SHA-256): values holds one SHA-256 PCR value per
 * set bit of mask, lowest PCR first. */
int pcr_policy_pcr(uint8_t policy[32], uint32_t mask, const uint8_t (*values)[32]);
/* The policyRef of every PCR policy kcc-node signs and seals to (the bytes, no NUL). Signatures
 * made before it existed have an empty policyRef: a sealed object whose PolicyAuthorize names
 * this ref accepts none of them, whatever PCRs they approve. A new ref needs a new version. */
#define PCR_POLICY_REF "kcc-node/pcr-policy/v2"
#define PCR_POLICY_REF_SIZE (sizeof(PCR_POLICY_REF) - 1)
/* PolicyAuthorize(key_name, ref) applied to policy: the digest is reset, extended with the key's
 * name, then hashed with ref (ref_size 0: an empty policyRef). */
int pcr_policy_authorize(uint8_t policy[32], const uint8_t *key_name, size_t name_size,
			 const uint8_t *ref, size_t ref_size);
/* aHash = SHA-256(approved || ref): what the key signs and VerifySignature checks. */
int pcr_policy_ahash(const uint8_t approved[32], const uint8_t *ref, size_t ref_size,
		     uint8_t ahash[32]);
/* "pkfp" of systemd's signature JSON: SHA-256 of the key (given as SubjectPublicKeyInfo DER) in
 * its own encoding (PKCS#1 RSAPublicKey for RSA). */
int pcr_key_fingerprint(const uint8_t *der, size_t der_size, uint8_t fp[32]);

/* "11,15" <-> bit mask; -EINVAL on anything else. */
int pcr_mask_parse(const char *s, uint32_t *mask);
void pcr_mask_format(uint32_t mask, char *buf, size_t size);


/* Base64 (RFC 4648, with padding). b64_encode returns a malloc'ed string or NULL;
 * b64_decode gives -EBADMSG for anything that is not canonical base64. */
char *b64_encode(const uint8_t *p, size_t len);
int b64_decode(const char *s, uint8_t **out, size_t *len);
