/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <tss2/tss2_mu.h>

#include "hex.h"
#include "pcr.h"

const PcrBank pcr_bank_table[PCR_BANKS_MAX] = {
	{ TPM2_ALG_SHA1, "sha1", 20 },
	{ TPM2_ALG_SHA256, "sha256", 32 },
	{ TPM2_ALG_SHA384, "sha384", 48 },
	{ TPM2_ALG_SHA512, "sha512", 64 },
};

const PcrBank *pcr_bank_by_alg(uint16_t alg)
{
	for (size_t i = 0; i < PCR_BANKS_MAX; i++)
		if (pcr_bank_table[i].alg == alg)
			return &pcr_bank_table[i];
	return NULL;
}

const PcrBank *pcr_bank_by_name(const char *name)
{
	for (size_t i = 0; i < PCR_BANKS_MAX; i++)
		if (strcasecmp(pcr_bank_table[i].name, name) == 0)
			return &pcr_bank_table[i];
	return NULL;
}

static const EVP_MD *bank_md(const PcrBank *b)
{
	return EVP_get_digestbyname(b->name);
}

int pcr_hash(const PcrBank *b, const void *data, size_t len, uint8_t *out)
{
	const EVP_MD *md = bank_md(b);
	unsigned n;

	if (!md || !EVP_Digest(data, len, out, &n, md, NULL) || n != b->size)
		return -EIO;
	return 0;
}

int pcr_hmac(const PcrBank *b, const void *key, size_t key_len, const void *data, size_t len,
	     uint8_t *out)
{
	const EVP_MD *md = bank_md(b);
	unsigned n;

	if (!md || !HMAC(md, key, (int)key_len, data, len, out, &n) || n != b->size)
		return -EIO;
	return 0;
}

int pcr_extend_value(const PcrBank *b, uint8_t *value, const uint8_t *digest)
{
	uint8_t buf[2 * PCR_DIGEST_MAX];

	memcpy(buf, value, b->size);
	memcpy(buf + b->size, digest, b->size);
	return pcr_hash(b, buf, 2 * b->size, value);
}

/* policy = SHA-256(policy || cc || args) */
int pcr_policy_update(uint8_t policy[32], uint32_t cc, const uint8_t *args, size_t args_size)
{
	uint8_t buf[32 + 4 + 256];

	if (args_size > 256)
		return -EINVAL;
	memcpy(buf, policy, 32);
	buf[32] = cc >> 24;
	buf[33] = cc >> 16;
	buf[34] = cc >> 8;
	buf[35] = cc;
	memcpy(buf + 36, args, args_size);
	return pcr_hash(PCR_BANK_SHA256, buf, 36 + args_size, policy);
}

int pcr_policy_pcr(uint8_t policy[32], uint32_t mask, const uint8_t (*values)[32])
{
	TPML_PCR_SELECTION sel = { .count = 1 };
	uint8_t args[128], concat[PCR_COUNT * 32];
	size_t off = 0, n = 0;
	int r;

	sel.pcrSelections[0].hash = TPM2_ALG_SHA256;
	sel.pcrSelections[0].sizeofSelect = 3;
	for (unsigned i = 0; i < PCR_COUNT; i++)
		if (mask & (1u << i)) {
			sel.pcrSelections[0].pcrSelect[i / 8] |= 1u << (i % 8);
			memcpy(concat + 32 * n, values[n], 32);
			n++;
		}
	if (Tss2_MU_TPML_PCR_SELECTION_Marshal(&sel, args, sizeof(args), &off) != TSS2_RC_SUCCESS)
		return -EINVAL;
	r = pcr_hash(PCR_BANK_SHA256, concat, 32 * n, args + off);
	if (r < 0)
		return r;
	return pcr_policy_update(policy, TPM2_CC_PolicyPCR, args, off + 32);
}

/* H(a || b), b at most 64 bytes (a policyRef is a TPM2B_NONCE). */
static int hash_with_ref(const uint8_t a[32], const uint8_t *ref, size_t ref_size, uint8_t out[32])
{
	uint8_t buf[32 + 64];

	if (ref_size > 64)
		return -EINVAL;
	memcpy(buf, a, 32);
	if (ref_size)
		memcpy(buf + 32, ref, ref_size);
	return pcr_hash(PCR_BANK_SHA256, buf, 32 + ref_size, out);
}

int pcr_policy_authorize(uint8_t policy[32], const uint8_t *key_name, size_t name_size,
			 const uint8_t *ref, size_t ref_size)
{
	int r;

	/* PolicyAuthorize resets the digest, then adds the key's name, then the policyRef. */
	memset(policy, 0, 32);
	r = pcr_policy_update(policy, TPM2_CC_PolicyAuthorize, key_name, name_size);
	if (r < 0)
		return r;
	return hash_with_ref(policy, ref, ref_size, policy);
}

int pcr_policy_ahash(const uint8_t approved[32], const uint8_t *ref, size_t ref_size,
		     uint8_t ahash[32])
{
	return hash_with_ref(approved, ref, ref_size, ahash);
}

int pcr_key_fingerprint(const uint8_t *der, size_t der_size, uint8_t fp[32])
{
	const unsigned char *p = der;
	EVP_PKEY *pk = d2i_PUBKEY(NULL, &p, (long)der_size);
	unsigned char *raw = NULL;
	int n, r;

	/* systemd hashes the key in its own encoding (for RSA: PKCS#1 RSAPublicKey), not the
	 * SubjectPublicKeyInfo around it. */
	n = pk ? i2d_PublicKey(pk, &raw) : -1;
	EVP_PKEY_free(pk);
	if (n <= 0)
		return -EINVAL;
	r = pcr_hash(PCR_BANK_SHA256, raw, (size_t)n, fp);
	OPENSSL_free(raw);
	return r;
}

int pcr_mask_parse(const char *s, uint32_t *mask)
{
	uint32_t m = 0;

	if (!*s) {
		*mask = 0;
		return 0;
	}
	for (;;) {
		char *end;
		unsigned long v;

		if (*s < '0' || *s > '9')
			return -EINVAL;
		errno = 0;
		v = strtoul(s, &end, 10);
		if (errno || v >= PCR_COUNT)
			return -EINVAL;
		m |= 1u << v;
		if (*end == '\0')
			break;
		if (*end != ',' && *end != '+')
			return -EINVAL;
		s = end + 1;
	}
	*mask = m;
	return 0;
}

void pcr_mask_format(uint32_t mask, char *buf, size_t size)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < PCR_COUNT && off < size; i++)
		if (mask & (1u << i))
			off += (size_t)snprintf(buf + off, size - off, "%s%u", off ? "," : "", i);
}

char *b64_encode(const uint8_t *p, size_t len)
{
	char *s = malloc(4 * ((len + 2) / 3) + 1);

	if (s)
		EVP_EncodeBlock((unsigned char *)s, p, (int)len);
	return s;
}

int b64_decode(const char *s, uint8_t **out, size_t *len)
{
	size_t n = strlen(s), pad;
	uint8_t *buf;
	int k;

	if (n == 0 || n % 4 != 0 || n > (1u << 24))
		return -EBADMSG;
	pad = (s[n - 1] == '=') + (s[n - 2] == '=');
	buf = malloc(n / 4 * 3 + 1);
	if (!buf)
		return -ENOMEM;
	k = EVP_DecodeBlock(buf, (const unsigned char *)s, (int)n);
	if (k < 0 || (size_t)k < pad) {
		free(buf);
		return -EBADMSG;
	}
	*out = buf;
	*len = (size_t)k - pad;
	return 0;
}
