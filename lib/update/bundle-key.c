/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The update-signing key: Ed25519 through OpenSSL's EVP_DigestSign/EVP_DigestVerify (one-shot:
 * PureEdDSA has no separate digest). The only OpenSSL caller of lib/update besides SHA-256. */
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>

#include "bundle.h"
#include "util.h"

struct BundleKey {
	EVP_PKEY *pkey;
};

int bundle_key_load(const char *path, bool private_key, BundleKey **ret, char *err, size_t errlen)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	EVP_PKEY *pkey;
	BundleKey *k;

	if (!f)
		return errorf(err, errlen, -errno, "cannot open %s: %m", path);
	pkey = private_key ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : PEM_read_PUBKEY(f, NULL, NULL, NULL);
	if (!pkey)
		return errorf(err, errlen, -EINVAL, "%s is not a PEM %s key", path, private_key ? "private" : "public");
	if (EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(pkey);
		return errorf(err, errlen, -EINVAL, "%s is not an Ed25519 key", path);
	}
	k = malloc(sizeof(*k));
	if (!k) {
		EVP_PKEY_free(pkey);
		return errorf(err, errlen, -ENOMEM, "out of memory");
	}
	k->pkey = pkey;
	*ret = k;
	return 0;
}

BundleKey *bundle_key_free(BundleKey *k)
{
	if (k) {
		EVP_PKEY_free(k->pkey);
		free(k);
	}
	return NULL;
}

int bundle_sign(const BundleKey *k, const uint8_t *msg, size_t len, uint8_t sig[BUNDLE_SIG_SIZE])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t n = BUNDLE_SIG_SIZE;
	int r = -EINVAL;

	if (!ctx)
		return -ENOMEM;
	if (EVP_DigestSignInit(ctx, NULL, NULL, NULL, k->pkey) == 1 &&
	    EVP_DigestSign(ctx, sig, &n, msg, len) == 1 && n == BUNDLE_SIG_SIZE)
		r = 0;
	EVP_MD_CTX_free(ctx);
	return r;
}

int bundle_verify(const BundleKey *k, const uint8_t *msg, size_t len, const uint8_t sig[BUNDLE_SIG_SIZE])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int r = -EKEYREJECTED;

	if (!ctx)
		return -ENOMEM;
	if (EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, k->pkey) == 1 &&
	    EVP_DigestVerify(ctx, sig, BUNDLE_SIG_SIZE, msg, len) == 1)
		r = 0;
	EVP_MD_CTX_free(ctx);
	return r;
}
