/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The construction: a seed (the size of the EK's name hash), for an RSA EK random and encrypted
 * to it with RSA-OAEP(SHA-256, label "IDENTITY\0"), for an ECC EK from ECDH (ecdh_seed);
 * symKey = KDFa(seed, "STORAGE", AK name) for the EK's AES-128-CFB with a zero IV over the marshalled TPM2B_DIGEST of the credential; HMACkey =
 * KDFa(seed, "INTEGRITY") and the outer HMAC over encIdentity || AK name. KDFa is SP 800-108
 * counter mode with HMAC-SHA-256, OpenSSL's KBKDF (its 0x00 separator is the label's NUL).
 * The same outer wrap protects a duplicated object (Part 1, "Duplication", label "DUPLICATE\0",
 * the object's name instead of the AK's): tpm_outer_wrap(), used by duplicate.c too. */
#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/bn.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>
#include <tss2/tss2_mu.h>

#include "makecred.h"

static int kdfa(const uint8_t *key, size_t key_size, const char *label, const uint8_t *context,
		size_t context_size, uint8_t *out, size_t out_size)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "KBKDF", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM p[6], *q = p;
	int r = -EIO;

	*q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MAC, (char *)"HMAC", 0);
	*q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, key_size);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)label, strlen(label));
	if (context_size)
		*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)context,
							 context_size);
	*q = OSSL_PARAM_construct_end();
	if (ctx && EVP_KDF_derive(ctx, out, out_size, p) > 0)
		r = 0;
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return r;
}

static int oaep_encrypt(const TPM2B_PUBLIC *ek, const char *label, size_t label_size,
			const uint8_t *seed, size_t seed_size, TPM2B_ENCRYPTED_SECRET *out)
{
	EVP_PKEY *pk = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	size_t n = sizeof(out->secret);
	char *l = NULL;
	int r = tpm_public_to_pkey(ek, &pk);

	if (r < 0)
		return r;
	r = -EIO;
	ctx = EVP_PKEY_CTX_new(pk, NULL);
	l = OPENSSL_memdup(label, label_size);
	if (!ctx || !l || EVP_PKEY_encrypt_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) <= 0 ||
	    EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, l, label_size) <= 0)
		goto out;
	l = NULL; /* owned by ctx */
	if (EVP_PKEY_encrypt(ctx, out->secret, &n, seed, seed_size) <= 0)
		goto out;
	out->size = (UINT16)n;
	r = 0;
out:
	OPENSSL_free(l);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pk);
	return r;
}

/* The ECC EK's seed (TPM 2.0 Part 1, Annex C "Secret Sharing", ECDH): an ephemeral P-256 key
 * (d_e, Q_e); Z = x(d_e * Q_ek) by OpenSSL's ECDH; seed = KDFe(SHA-256, Z, label, x(Q_e),
 * x(Q_ek)): SP 800-56C's one-step KDF, OpenSSL's SSKDF (Hash(counter || Z || label || U || V),
 * the counter from 1). The encrypted secret is the marshalled TPMS_ECC_POINT Q_e. */
static int ecdh_seed(const TPM2B_PUBLIC *ek, const char *label, size_t label_size, uint8_t seed[32],
		     TPM2B_ENCRYPTED_SECRET *out)
{
	const TPMS_ECC_POINT *qv = &ek->publicArea.unique.ecc;
	EVP_PKEY *peer = NULL, *eph = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_KDF *kdf = NULL;
	EVP_KDF_CTX *kctx = NULL;
	TPMS_ECC_POINT qu = { .x.size = 32, .y.size = 32 };
	uint8_t z[32], info[64 + 2 * 32];
	size_t z_size = sizeof(z), off = 0, info_size = label_size + 2 * 32;
	BIGNUM *x = NULL, *y = NULL;
	OSSL_PARAM p[4];
	int r = tpm_public_to_pkey(ek, &peer);

	if (r < 0)
		return r;
	r = -EIO;
	if (label_size > 64 || qv->x.size != 32)
		goto out;
	eph = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	ctx = eph ? EVP_PKEY_CTX_new(eph, NULL) : NULL;
	if (!ctx || EVP_PKEY_derive_init(ctx) <= 0 || EVP_PKEY_derive_set_peer(ctx, peer) <= 0 ||
	    EVP_PKEY_derive(ctx, z, &z_size) <= 0 || z_size != sizeof(z) ||
	    EVP_PKEY_get_bn_param(eph, OSSL_PKEY_PARAM_EC_PUB_X, &x) <= 0 ||
	    EVP_PKEY_get_bn_param(eph, OSSL_PKEY_PARAM_EC_PUB_Y, &y) <= 0 ||
	    BN_bn2binpad(x, qu.x.buffer, 32) != 32 || BN_bn2binpad(y, qu.y.buffer, 32) != 32)
		goto out;
	memcpy(info, label, label_size);
	memcpy(info + label_size, qu.x.buffer, 32);
	memcpy(info + label_size + 32, qv->x.buffer, 32);
	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	p[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, z, sizeof(z));
	p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, info_size);
	p[3] = OSSL_PARAM_construct_end();
	kdf = EVP_KDF_fetch(NULL, "SSKDF", NULL);
	kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	if (!kctx || EVP_KDF_derive(kctx, seed, 32, p) <= 0 ||
	    Tss2_MU_TPMS_ECC_POINT_Marshal(&qu, out->secret, sizeof(out->secret), &off))
		goto out;
	out->size = (UINT16)off;
	r = 0;
out:
	OPENSSL_cleanse(z, sizeof(z));
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	BN_free(x);
	BN_free(y);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(eph);
	EVP_PKEY_free(peer);
	return r;
}

static int aes_cfb(const uint8_t key[16], const uint8_t *in, size_t size, uint8_t *out)
{
	static const uint8_t iv[16];
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n = 0, m = 0, r = -EIO;

	if (c && EVP_EncryptInit_ex(c, EVP_aes_128_cfb(), NULL, key, iv) > 0 &&
	    EVP_EncryptUpdate(c, out, &n, in, (int)size) > 0 && EVP_EncryptFinal_ex(c, out + n, &m) > 0 &&
	    (size_t)(n + m) == size)
		r = 0;
	EVP_CIPHER_CTX_free(c);
	return r;
}

static int dup_out(const uint8_t *buf, size_t off, uint8_t **ret, size_t *ret_size)
{
	*ret = malloc(off);
	if (!*ret)
		return -ENOMEM;
	memcpy(*ret, buf, off);
	*ret_size = off;
	return 0;
}

int tpm_outer_wrap(const TPM2B_PUBLIC *ek, const char *label, size_t label_size,
		   const uint8_t name[TPM_PUBLIC_NAME_SIZE], const uint8_t *plain, size_t plain_size,
		   uint8_t *out, size_t out_cap, size_t *out_size, TPM2B_ENCRYPTED_SECRET *seed_out)
{
	TPM2B_DIGEST hmac = { .size = 32 };
	uint8_t seed[32], sym[16], hkey[32], *msg = NULL;
	const size_t enc_off = 2 + 32;
	size_t off = 0;
	unsigned hlen = 32;
	int r;

	const TPMT_SYM_DEF_OBJECT *sd = ek->publicArea.type == TPM2_ALG_ECC
		? &ek->publicArea.parameters.eccDetail.symmetric
		: &ek->publicArea.parameters.rsaDetail.symmetric;

	if ((ek->publicArea.type != TPM2_ALG_RSA && ek->publicArea.type != TPM2_ALG_ECC) ||
	    ek->publicArea.nameAlg != TPM2_ALG_SHA256 || sd->algorithm != TPM2_ALG_AES ||
	    sd->keyBits.aes != 128 || sd->mode.aes != TPM2_ALG_CFB)
		return -EOPNOTSUPP;
	if (out_cap < enc_off + plain_size)
		return -ENOBUFS;
	if (ek->publicArea.type == TPM2_ALG_ECC)
		r = ecdh_seed(ek, label, label_size, seed, seed_out);
	else if (RAND_bytes(seed, sizeof(seed)) != 1)
		r = -EIO;
	else
		r = oaep_encrypt(ek, label, label_size, seed, sizeof(seed), seed_out);
	if (r >= 0)
		r = kdfa(seed, sizeof(seed), "STORAGE", name, TPM_PUBLIC_NAME_SIZE, sym, sizeof(sym));
	if (r >= 0)
		r = kdfa(seed, sizeof(seed), "INTEGRITY", NULL, 0, hkey, sizeof(hkey));
	/* out = TPM2B outerHMAC || encrypted plain */
	if (r >= 0)
		r = aes_cfb(sym, plain, plain_size, out + enc_off);
	if (r >= 0) {
		msg = malloc(plain_size + TPM_PUBLIC_NAME_SIZE);
		r = msg ? 0 : -ENOMEM;
	}
	if (r >= 0) {
		memcpy(msg, out + enc_off, plain_size);
		memcpy(msg + plain_size, name, TPM_PUBLIC_NAME_SIZE);
		if (!HMAC(EVP_sha256(), hkey, sizeof(hkey), msg, plain_size + TPM_PUBLIC_NAME_SIZE,
			  hmac.buffer, &hlen))
			r = -EIO;
	}
	if (r >= 0 && Tss2_MU_TPM2B_DIGEST_Marshal(&hmac, out, enc_off, &off))
		r = -EINVAL;
	if (r >= 0)
		*out_size = enc_off + plain_size;
	free(msg);
	OPENSSL_cleanse(seed, sizeof(seed));
	OPENSSL_cleanse(sym, sizeof(sym));
	OPENSSL_cleanse(hkey, sizeof(hkey));
	return r;
}

int tpm_make_credential(const TPM2B_PUBLIC *ek, const uint8_t ak_name[TPM_PUBLIC_NAME_SIZE],
			const uint8_t *credential, size_t credential_size, uint8_t **blob,
			size_t *blob_size, uint8_t **secret, size_t *secret_size)
{
	static const char label[] = "IDENTITY"; /* with its NUL */
	TPM2B_DIGEST cred = { .size = (UINT16)credential_size };
	TPM2B_ENCRYPTED_SECRET es = { 0 };
	TPM2B_ID_OBJECT id = { 0 };
	uint8_t plain[2 + sizeof(cred.buffer)];
	uint8_t buf[sizeof(TPM2B_ID_OBJECT) + sizeof(TPM2B_ENCRYPTED_SECRET)];
	size_t plain_size = 0, off = 0, n = 0;
	int r;

	if (credential_size > 32)
		return -EOPNOTSUPP;
	memcpy(cred.buffer, credential, credential_size);
	r = Tss2_MU_TPM2B_DIGEST_Marshal(&cred, plain, sizeof(plain), &plain_size) ? -EINVAL : 0;
	if (r >= 0)
		r = tpm_outer_wrap(ek, label, sizeof(label), ak_name, plain, plain_size,
				   id.credential, sizeof(id.credential), &n, &es);
	OPENSSL_cleanse(plain, sizeof(plain));
	if (r >= 0) {
		id.size = (UINT16)n;
		r = Tss2_MU_TPM2B_ID_OBJECT_Marshal(&id, buf, sizeof(buf), &off) ? -EINVAL
			: dup_out(buf, off, blob, blob_size);
	}
	if (r >= 0) {
		off = 0;
		r = Tss2_MU_TPM2B_ENCRYPTED_SECRET_Marshal(&es, buf, sizeof(buf), &off) ? -EINVAL
			: dup_out(buf, off, secret, secret_size);
		if (r < 0)
			free(*blob);
	}
	return r;
}
