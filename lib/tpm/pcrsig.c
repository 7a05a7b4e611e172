/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json-get.h"
#include "pcr.h"
#include "pcrsig.h"

int pem_pubkey_to_der(const char *pem, size_t len, uint8_t **der, size_t *der_size)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *pk = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
	unsigned char *out = NULL;
	int n = pk ? i2d_PUBKEY(pk, &out) : -1;

	EVP_PKEY_free(pk);
	BIO_free(bio);
	if (n <= 0)
		return -EBADMSG;
	*der = out;
	*der_size = (size_t)n;
	return 0;
}

int pcrsig_sign(const char *key_path, const uint8_t pol[32], const uint8_t *ref, size_t ref_size,
		uint8_t **sig, size_t *sig_size)
{
	uint8_t msg[32 + 64];
	EVP_MD_CTX *ctx = NULL;
	EVP_PKEY *pk = NULL;
	uint8_t *out = NULL;
	size_t n = 0;
	FILE *f;
	int r = -EIO;

	if (ref_size > 64)
		return -EINVAL;
	memcpy(msg, pol, 32);
	if (ref_size)
		memcpy(msg + 32, ref, ref_size);
	f = fopen(key_path, "re");
	if (!f)
		return -errno;
	pk = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!pk)
		return -EBADMSG;
	if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA) {
		r = -EPROTONOSUPPORT;
		goto out;
	}
	ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, pk) <= 0 ||
	    EVP_DigestSign(ctx, NULL, &n, msg, 32 + ref_size) <= 0 || !(out = malloc(n)) ||
	    EVP_DigestSign(ctx, out, &n, msg, 32 + ref_size) <= 0)
		goto out;
	*sig = out;
	*sig_size = n;
	out = NULL;
	r = 0;
out:
	free(out);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pk);
	return r;
}

int pcrsig_add(json_object *root, uint32_t mask, const uint8_t fp[32], const uint8_t pol[32],
	       const uint8_t *sig, size_t sig_size)
{
	return pcrsig_add_to(root, PCRSIG_BANK, mask, fp, pol, sig, sig_size, -1);
}

int pcrsig_add_to(json_object *root, const char *array, uint32_t mask, const uint8_t fp[32],
		  const uint8_t pol[32], const uint8_t *sig, size_t sig_size, int epoch)
{
	json_object *arr, *e = json_object_new_object(), *pcrs = json_object_new_array();
	char hex[65];
	char *b64 = b64_encode(sig, sig_size);

	if (!b64 || !e || !pcrs)
		return -ENOMEM;
	if (!json_object_object_get_ex(root, array, &arr)) {
		arr = json_object_new_array();
		json_object_object_add(root, array, arr);
	}
	for (int i = 0; i < PCR_COUNT; i++)
		if (mask & (1u << i))
			json_object_array_add(pcrs, json_object_new_int(i));
	json_object_object_add(e, "pcrs", pcrs);
	hexify(fp, 32, hex);
	json_object_object_add(e, "pkfp", json_object_new_string(hex));
	hexify(pol, 32, hex);
	json_object_object_add(e, "pol", json_object_new_string(hex));
	json_object_object_add(e, "sig", json_object_new_string(b64));
	free(b64);
	if (epoch >= 0)
		json_object_object_add(e, "kcc-epoch", json_object_new_int(epoch));
	json_object_array_add(arr, e);
	return 0;
}

/* The entry's PCR mask; 0 for an empty, out-of-range or mistyped list. */
static uint32_t entry_mask(json_object *pcrs)
{
	uint32_t m = 0;

	for (size_t i = 0; i < json_object_array_length(pcrs); i++) {
		int v;
		if (json_array_int(pcrs, i, &v) < 0 || v < 0 || v >= PCR_COUNT)
			return 0;
		m |= 1u << v;
	}
	return m;
}

static int find_entry(const char *json, const char *array, uint32_t mask, const uint8_t *fp,
		      const uint8_t *pol, uint8_t *ret_pol, uint8_t **sig, size_t *sig_size,
		      unsigned *ret_epoch)
{
	json_object *root = json_tokener_parse(json), *arr;
	char fph[65], polh[65];
	int r = -ENOENT;

	if (!root || !json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		return -EBADMSG;
	}
	if (fp)
		hexify(fp, 32, fph);
	if (pol)
		hexify(pol, 32, polh);
	arr = json_get(root, array, json_type_array);
	if (!arr) {
		/* Images signed before the epoch have no write approvals. */
		r = strcmp(array, PCRSIG_BANK) == 0 ? -EBADMSG : -ENOENT;
		goto out;
	}
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *e = json_object_array_get_idx(arr, i), *jp;
		const char *jo, *js, *jf;
		bool has_fp = e && json_object_is_type(e, json_type_object) &&
			      json_object_object_get_ex(e, "pkfp", NULL);

		jp = json_get(e, "pcrs", json_type_array);
		jo = json_get_str(e, "pol");
		js = json_get_str(e, "sig");
		jf = json_get_str(e, "pkfp");
		if (!jp || !jo || !js || (has_fp && !jf)) {
			r = -EBADMSG;
			goto out;
		}
		if (entry_mask(jp) != mask || (pol && strcasecmp(jo, polh) != 0))
			continue;
		/* When present, the key fingerprint must match. */
		if (fp && jf && strcasecmp(jf, fph) != 0)
			continue;
		if (ret_epoch) {
			/* The security epoch the entry's policy checks (its PolicyNV). */
			json_object *je = json_get(e, "kcc-epoch", json_type_int);
			int v = je ? json_object_get_int(je) : -1;

			if (!je)
				continue;
			if (v < 0 || v > 63) {
				r = -EBADMSG;
				goto out;
			}
			*ret_epoch = (unsigned)v;
			r = 0;
			if (!sig)
				goto out;
		}
		if (ret_pol && unhexify(jo, ret_pol, 32) < 0) {
			r = -EBADMSG;
			goto out;
		}
		r = b64_decode(js, sig, sig_size);
		goto out;
	}
out:
	json_object_put(root);
	return r;
}

int pcrsig_find(const char *json, uint32_t mask, const uint8_t fp[32], const uint8_t pol[32],
		uint8_t **sig, size_t *sig_size)
{
	return find_entry(json, PCRSIG_BANK, mask, fp, pol, NULL, sig, sig_size, NULL);
}

int pcrsig_find_in(const char *json, const char *array, uint32_t mask, const uint8_t fp[32],
		   const uint8_t pol[32], uint8_t **sig, size_t *sig_size)
{
	return find_entry(json, array, mask, fp, pol, NULL, sig, sig_size, NULL);
}

int pcrsig_epoch(const char *json, uint32_t mask, const uint8_t fp[32], unsigned *epoch)
{
	return find_entry(json, PCRSIG_BANK, mask, fp, NULL, NULL, NULL, NULL, epoch);
}

int pcrsig_first(const char *json, uint32_t mask, uint8_t pol[32], uint8_t **sig,
		 size_t *sig_size)
{
	return find_entry(json, PCRSIG_BANK, mask, NULL, NULL, pol, sig, sig_size, NULL);
}

int pcrsig_first_epoch(const char *json, uint32_t mask, uint8_t pol[32], uint8_t **sig,
		       size_t *sig_size, unsigned *epoch)
{
	return find_entry(json, PCRSIG_BANK, mask, NULL, NULL, pol, sig, sig_size, epoch);
}
