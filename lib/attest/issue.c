/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

#include "issue.h"
#include "util.h"

int csr_check(const uint8_t *der, size_t size, X509_REQ **ret, char *err, size_t err_size)
{
	const unsigned char *p = der;
	X509_REQ *req = d2i_X509_REQ(NULL, &p, (long)size);
	EVP_PKEY *pk;
	char group[32] = "";
	int r = -EPERM;

	if (!req || p != der + size) {
		errorf(err, err_size, -EPERM, "CSR: not one DER certificate request");
		goto out;
	}
	pk = X509_REQ_get0_pubkey(req);
	if (!pk || X509_REQ_verify(req, pk) != 1) {
		errorf(err, err_size, -EPERM, "CSR: its signature does not verify");
		goto out;
	}
	if (EVP_PKEY_is_a(pk, "EC"))
		(void)EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group,
						     sizeof(group), NULL);
	if (!(streq(group, "prime256v1") || (EVP_PKEY_is_a(pk, "RSA") && EVP_PKEY_get_bits(pk) >= 2048))) {
		errorf(err, err_size, -EPERM, "CSR: the key is neither ECC P-256 nor RSA >= 2048");
		goto out;
	}
	r = 0;
	if (ret)
		*ret = TAKE_PTR(req);
out:
	X509_REQ_free(req);
	return r;
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	ok = ext && X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -EIO;
}

int csr_issue(X509_REQ *req, const char *node, X509 *issuer, EVP_PKEY *issuer_key,
	      unsigned validity_s, char **ret_pem)
{
	X509 *cert = X509_new();
	X509_NAME *name = X509_NAME_new();
	BIGNUM *serial = BN_new();
	BIO *bio = NULL;
	char cn[300];
	uint8_t rnd[16];
	char *data;
	long n;
	int r = -EIO;

	snprintf(cn, sizeof(cn), "system:node:%s", node);
	if (!cert || !name || !serial || RAND_bytes(rnd, sizeof(rnd)) != 1)
		goto out;
	rnd[0] &= 0x7f; /* a positive serial of 127 random bits */
	if (!BN_bin2bn(rnd, sizeof(rnd), serial) || !BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert)) ||
	    !X509_set_version(cert, X509_VERSION_3) ||
	    !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)"system:nodes", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_subject_name(cert, name) ||
	    !X509_set_issuer_name(cert, X509_get_subject_name(issuer)) ||
	    !X509_gmtime_adj(X509_getm_notBefore(cert), -60) ||
	    !X509_gmtime_adj(X509_getm_notAfter(cert), (long)validity_s) ||
	    !X509_set_pubkey(cert, X509_REQ_get0_pubkey(req)))
		goto out;
	if (add_ext(cert, issuer, NID_basic_constraints, "critical,CA:FALSE") < 0 ||
	    add_ext(cert, issuer, NID_key_usage, "critical,digitalSignature") < 0 ||
	    add_ext(cert, issuer, NID_ext_key_usage, "clientAuth") < 0 ||
	    add_ext(cert, issuer, NID_subject_key_identifier, "hash") < 0 ||
	    add_ext(cert, issuer, NID_authority_key_identifier, "keyid:always") < 0)
		goto out;
	if (X509_sign(cert, issuer_key, EVP_sha256()) <= 0)
		goto out;
	bio = BIO_new(BIO_s_mem());
	if (!bio || !PEM_write_bio_X509(bio, cert))
		goto out;
	n = BIO_get_mem_data(bio, &data);
	*ret_pem = strndup(data, (size_t)n);
	r = *ret_pem ? 0 : -ENOMEM;
out:
	BIO_free(bio);
	BN_free(serial);
	X509_NAME_free(name);
	X509_free(cert);
	return r;
}
