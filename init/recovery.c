/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <json-c/json.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <sys/random.h>
#include <unistd.h>

#include "hex.h"
#include "recovery.h"
#include "util.h"

bool recovery_enabled(const char *pem_path)
{
	return access(pem_path, F_OK) == 0;
}

static void pkey_freep(EVP_PKEY **p) { EVP_PKEY_free(*p); }
static void x509_freep(X509 **p) { X509_free(*p); }
static void cms_freep(CMS_ContentInfo **p) { CMS_ContentInfo_free(*p); }
static void bio_freep(BIO **p) { BIO_free(*p); }

static int read_pubkey(const char *path, EVP_PKEY **ret, char *err, size_t err_size)
{
	_cleanup_(bio_freep) BIO *b = BIO_new_file(path, "r");
	EVP_PKEY *pk;

	if (!b)
		return errorf(err, err_size, -ENOENT, "cannot read %s", path);
	pk = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
	if (!pk)
		return errorf(err, err_size, -EINVAL, "%s is not a PEM public key", path);
	if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA && EVP_PKEY_get_bits(pk) >= 2048)
		*ret = pk;
	else if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_EC)
		*ret = pk;
	else {
		EVP_PKEY_free(pk);
		return errorf(err, err_size, -EINVAL, "%s is neither an RSA key of 2048 bits or more "
				"nor an EC key", path);
	}
	return 0;
}

/* CMS names a recipient by a certificate. There is none, only the key: a certificate that is never
 * signed nor written carries it (the EnvelopedData keeps its issuer and serial; the private key
 * alone decrypts, `openssl cms -decrypt -inkey KEY` tries every recipient). */
static X509 *carrier_cert(EVP_PKEY *pk)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();

	if (!x || !n || !X509_set_pubkey(x, pk) ||
	    !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
					(const unsigned char *)"kcc-node recovery key", -1, -1, 0) ||
	    !X509_set_issuer_name(x, n) || !X509_set_subject_name(x, n) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(x), 1)) {
		X509_free(x);
		x = NULL;
	}
	X509_NAME_free(n);
	return x;
}

static int envelope(EVP_PKEY *pk, const uint8_t *pass, unsigned char **ret_der, int *ret_len)
{
	_cleanup_(x509_freep) X509 *x = carrier_cert(pk);
	_cleanup_(cms_freep) CMS_ContentInfo *cms = NULL;
	_cleanup_(bio_freep) BIO *in = NULL;
	CMS_RecipientInfo *ri;

	if (!x)
		return -ENOMEM;
	cms = CMS_encrypt(NULL, NULL, EVP_aes_256_cbc(), CMS_BINARY | CMS_PARTIAL);
	if (!cms)
		return -EIO;
	ri = CMS_add1_recipient_cert(cms, x, CMS_KEY_PARAM);
	if (!ri)
		return -EIO;
	if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA) {
		EVP_PKEY_CTX *pc = CMS_RecipientInfo_get0_pkey_ctx(ri);

		if (!pc || EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_OAEP_PADDING) <= 0 ||
		    EVP_PKEY_CTX_set_rsa_oaep_md(pc, EVP_sha256()) <= 0)
			return -EIO;
	}
	in = BIO_new_mem_buf(pass, RECOVERY_PASS_SIZE);
	if (!in || !CMS_final(cms, in, NULL, CMS_BINARY))
		return -EIO;
	*ret_len = i2d_CMS_ContentInfo(cms, ret_der);
	return *ret_len > 0 ? 0 : -EIO;
}

static int recipient_id(EVP_PKEY *pk, char out[65])
{
	unsigned char *spki = NULL, md[32];
	int n = i2d_PUBKEY(pk, &spki);
	int r = n > 0 && EVP_Digest(spki, (size_t)n, md, NULL, EVP_sha256(), NULL) ? 0 : -EIO;

	OPENSSL_free(spki);
	if (r == 0)
		hexify(md, sizeof(md), out);
	return r;
}

int recovery_token_new(const char *pem_path, uint8_t *pass, char **ret_json, char *err,
		       size_t err_size)
{
	_cleanup_(pkey_freep) EVP_PKEY *pk = NULL;
	unsigned char *der = NULL;
	_cleanup_free_ char *b64 = NULL;
	char id[65];
	json_object *o;
	int r, len = 0;

	r = read_pubkey(pem_path, &pk, err, err_size);
	if (r < 0)
		return r;
	if (getrandom(pass, RECOVERY_PASS_SIZE, 0) != RECOVERY_PASS_SIZE)
		return errorf(err, err_size, -errno, "no random bytes");
	r = envelope(pk, pass, &der, &len);
	if (r < 0) {
		OPENSSL_free(der);
		return errorf(err, err_size, r, "OpenSSL could not encrypt to the key");
	}
	b64 = malloc(4 * ((size_t)len / 3 + 1) + 1);
	if (b64)
		EVP_EncodeBlock((unsigned char *)b64, der, len);
	OPENSSL_free(der);
	if (!b64 || recipient_id(pk, id) < 0)
		return errorf(err, err_size, -ENOMEM, "out of memory");
	o = json_object_new_object();
	json_object_object_add(o, "kcc-cms", json_object_new_string(b64));
	json_object_object_add(o, "kcc-recipient", json_object_new_string(id));
	*ret_json = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return *ret_json ? 0 : errorf(err, err_size, -ENOMEM, "out of memory");
}
