/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: a node's SEV-SNP evidence as the verifier takes it: the first 1184 bytes (or
 * fewer) the report, the rest the VCEK certificate (DER). The strict parser, then the whole
 * appraisal against a pinned ARK made once (chain, signature, binding, policy). The same bytes
 * as the host's certificate table the node reads (snp_cert_table_vcek). */
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "verifier.h"

static X509 *ark(void)
{
	static X509 *x;
	EVP_PKEY *k;

	if (x)
		return x;
	k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	x = X509_new();
	if (!k || !x)
		abort();
	X509_set_version(x, X509_VERSION_3);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)"ARK-fuzz", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, k);
	if (X509_sign(x, k, EVP_sha384()) <= 0)
		abort();
	EVP_PKEY_free(k);
	return x;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static Verifier v;
	static const uint8_t binding[SNP_REPORT_DATA_SIZE];
	size_t n = size < SNP_REPORT_SIZE ? size : SNP_REPORT_SIZE;
	AttestFinish m = { .snp_report = { (uint8_t *)data, n },
			   .snp_vcek = { (uint8_t *)data + n, size - n } };
	json_object *claims = json_object_new_object(), *reasons = json_object_new_array();
	SnpReport r;
	const uint8_t *vcek;
	size_t vcek_size;
	char err[200];

	v.snp.ark = ark();
	v.snp.require = true;
	(void)snp_report_parse(data, size, &r, err, sizeof(err));
	(void)snp_cert_table_vcek(data, size, &vcek, &vcek_size);
	if (claims && reasons)
		(void)verifier_appraise_snp(&v, &m, binding, claims, reasons);
	json_object_put(claims);
	json_object_put(reasons);
	return 0;
}
