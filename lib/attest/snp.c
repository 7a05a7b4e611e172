/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The SEV-SNP attestation report: strict parser, signature, chain (snp.h). Offsets from the AMD
 * SEV-SNP ABI specification, table "ATTESTATION_REPORT Structure". */
#include <errno.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snp.h"
#include "util.h"

#define OFF_VERSION 0x000
#define OFF_GUEST_SVN 0x004
#define OFF_POLICY 0x008
#define OFF_VMPL 0x030
#define OFF_SIG_ALGO 0x034
#define OFF_KEY_INFO 0x048 /* bit 0 author key, bit 1 mask chip key, bits 2-4 signing key */
#define OFF_RESERVED1 0x04c
#define OFF_REPORT_DATA 0x050
#define OFF_MEASUREMENT 0x090
#define OFF_REPORTED_TCB 0x180
#define OFF_RESERVED2 0x188 /* to 0x1a0; version 3: CPUID family, model, stepping first */
#define OFF_CHIP_ID 0x1a0
#define OFF_RESERVED3 0x1f8 /* to the signature */
#define OFF_SIG 0x2a0       /* r (72 bytes LE), s (72 bytes LE), reserved to the end */
#define SIG_COMPONENT 72
#define P384_BYTES 48

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static bool zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

void snp_tcb_from_raw(uint64_t raw, SnpTcb *ret)
{
	*ret = (SnpTcb){ .bootloader = (uint8_t)raw, .tee = (uint8_t)(raw >> 8),
			 .snp = (uint8_t)(raw >> 48), .microcode = (uint8_t)(raw >> 56) };
}

bool snp_tcb_at_least(const SnpTcb *t, const SnpTcb *min)
{
	return t->bootloader >= min->bootloader && t->tee >= min->tee && t->snp >= min->snp &&
	       t->microcode >= min->microcode;
}

int snp_tcb_parse(const char *s, SnpTcb *ret)
{
	unsigned v[4];
	int end = 0;

	if (sscanf(s, "%3u.%3u.%3u.%3u%n", &v[0], &v[1], &v[2], &v[3], &end) != 4 ||
	    s[end] != '\0' || v[0] > 255 || v[1] > 255 || v[2] > 255 || v[3] > 255)
		return -EINVAL;
	*ret = (SnpTcb){ (uint8_t)v[0], (uint8_t)v[1], (uint8_t)v[2], (uint8_t)v[3] };
	return 0;
}

int snp_report_parse(const uint8_t *buf, size_t n, SnpReport *ret, char *err, size_t err_size)
{
	const uint8_t *sig = buf + OFF_SIG;
	uint32_t version, key_info;
	uint64_t tcb_raw;

	if (n != SNP_REPORT_SIZE)
		return errorf(err, err_size, -EBADMSG, "%zu bytes, not %d", n, SNP_REPORT_SIZE);
	version = le32(buf + OFF_VERSION);
	if (version != 2 && version != 3)
		return errorf(err, err_size, -EBADMSG, "version %u, not 2 or 3", version);
	if (le32(buf + OFF_SIG_ALGO) != SNP_SIG_ALGO_ECDSA_P384_SHA384)
		return errorf(err, err_size, -EBADMSG, "signature algorithm %u, not ECDSA P-384",
			      le32(buf + OFF_SIG_ALGO));
	key_info = le32(buf + OFF_KEY_INFO);
	if (key_info & ~0x1fu)
		return errorf(err, err_size, -EBADMSG, "reserved bits set at 0x48");
	if (key_info & 0x2u)
		return errorf(err, err_size, -EBADMSG, "the chip key is masked (no signature)");
	if ((key_info >> 2) & 0x7u)
		return errorf(err, err_size, -EBADMSG, "not signed by the VCEK (signing key %u)",
			      (key_info >> 2) & 0x7u);
	if (!(le64(buf + OFF_POLICY) & SNP_POLICY_RESERVED_ONE) ||
	    (le64(buf + OFF_POLICY) >> 26))
		return errorf(err, err_size, -EBADMSG, "guest policy 0x%llx has reserved bits wrong",
			      (unsigned long long)le64(buf + OFF_POLICY));
	tcb_raw = le64(buf + OFF_REPORTED_TCB);
	if (!zero(buf + OFF_RESERVED1, 4) ||
	    !zero(buf + OFF_RESERVED2 + (version == 3 ? 3 : 0), version == 3 ? 21 : 24) ||
	    !zero(buf + 0x1eb, 1) || !zero(buf + 0x1ef, 1) ||
	    !zero(buf + OFF_RESERVED3, OFF_SIG - OFF_RESERVED3) ||
	    !zero(sig + 2 * SIG_COMPONENT, SNP_REPORT_SIZE - OFF_SIG - 2 * SIG_COMPONENT))
		return errorf(err, err_size, -EBADMSG, "a reserved field is not zero");
	if (!zero(sig + P384_BYTES, SIG_COMPONENT - P384_BYTES) ||
	    !zero(sig + SIG_COMPONENT + P384_BYTES, SIG_COMPONENT - P384_BYTES))
		return errorf(err, err_size, -EBADMSG, "the signature's r or s is wider than 384 bits");
	if ((tcb_raw >> 16) & 0xffffffffu)
		return errorf(err, err_size, -EBADMSG, "the reported TCB has reserved bytes set");
	*ret = (SnpReport){ .version = version, .guest_svn = le32(buf + OFF_GUEST_SVN),
			    .vmpl = le32(buf + OFF_VMPL), .policy = le64(buf + OFF_POLICY),
			    .reported_tcb_raw = tcb_raw };
	memcpy(ret->report_data, buf + OFF_REPORT_DATA, SNP_REPORT_DATA_SIZE);
	memcpy(ret->measurement, buf + OFF_MEASUREMENT, SNP_MEASUREMENT_SIZE);
	memcpy(ret->chip_id, buf + OFF_CHIP_ID, SNP_CHIP_ID_SIZE);
	snp_tcb_from_raw(tcb_raw, &ret->reported_tcb);
	return 0;
}

int snp_report_verify_sig(const uint8_t buf[SNP_REPORT_SIZE], EVP_PKEY *vcek, char *err,
			  size_t err_size)
{
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *r = BN_lebin2bn(buf + OFF_SIG, SIG_COMPONENT, NULL),
	       *s = BN_lebin2bn(buf + OFF_SIG + SIG_COMPONENT, SIG_COMPONENT, NULL);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *der = NULL;
	char curve[32] = "";
	int der_size = -1, ok = 0;

	if (sig && r && s && ECDSA_SIG_set0(sig, r, s) == 1) {
		r = s = NULL;
		der_size = i2d_ECDSA_SIG(sig, &der);
	}
	if (EVP_PKEY_get_base_id(vcek) != EVP_PKEY_EC ||
	    EVP_PKEY_get_utf8_string_param(vcek, "group", curve, sizeof(curve), NULL) != 1 ||
	    !streq(curve, "secp384r1"))
		ok = -1;
	else if (ctx && der_size > 0 &&
		 EVP_DigestVerifyInit(ctx, NULL, EVP_sha384(), NULL, vcek) == 1)
		ok = EVP_DigestVerify(ctx, der, (size_t)der_size, buf, SNP_REPORT_SIGNED);
	OPENSSL_free(der);
	EVP_MD_CTX_free(ctx);
	ECDSA_SIG_free(sig);
	BN_free(r);
	BN_free(s);
	ERR_clear_error();
	if (ok == -1)
		return errorf(err, err_size, -EPERM, "the VCEK is not an EC P-384 key");
	if (ok != 1)
		return errorf(err, err_size, -EPERM, "the report's signature does not verify with "
						     "the VCEK");
	return 0;
}

int snp_cert_table_vcek(const uint8_t *buf, size_t n, const uint8_t **ret, size_t *ret_size)
{
	static const uint8_t vcek[16] = { 0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64,
					  0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8, 0xac, 0xcd };
	const uint8_t *found = NULL;
	size_t found_size = 0;

	for (size_t off = 0; off + 24 <= n; off += 24) {
		uint32_t o = le32(buf + off + 16), len = le32(buf + off + 20);

		if (zero(buf + off, 24)) {
			if (!found)
				return -ENOENT;
			*ret = found;
			*ret_size = found_size;
			return 0;
		}
		if (o > n || len > n - o || len == 0)
			return -EBADMSG;
		if (memcmp(buf + off, vcek, sizeof(vcek)) == 0 && !found) {
			found = buf + o;
			found_size = len;
		}
	}
	return -EBADMSG;
}

/* The value of the VCEK's extension oid: 0 found, -ENOENT none. */
static int extension(X509 *x, const char *oid, const ASN1_OCTET_STRING **ret)
{
	ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);
	int i = o ? X509_get_ext_by_OBJ(x, o, -1) : -1;

	ASN1_OBJECT_free(o);
	if (i < 0)
		return -ENOENT;
	*ret = X509_EXTENSION_get_data(X509_get_ext(x, i));
	return 0;
}

/* AMD's VCEK: hwID (1.3.6.1.4.1.3704.1.4, the chip_id's 64 bytes) and the TCB it was made for
 * (1.3.6.1.4.1.3704.1.3.{1,2,3,8}: boot loader, TEE, SNP, microcode; DER INTEGERs). */
static int vcek_matches(X509 *vcek, const SnpReport *r, char *err, size_t err_size)
{
	static const struct {
		const char *oid;
		size_t offset;
	} tcb[] = {
		{ "1.3.6.1.4.1.3704.1.3.1", offsetof(SnpTcb, bootloader) },
		{ "1.3.6.1.4.1.3704.1.3.2", offsetof(SnpTcb, tee) },
		{ "1.3.6.1.4.1.3704.1.3.3", offsetof(SnpTcb, snp) },
		{ "1.3.6.1.4.1.3704.1.3.8", offsetof(SnpTcb, microcode) },
	};
	const ASN1_OCTET_STRING *v;

	if (extension(vcek, "1.3.6.1.4.1.3704.1.4", &v) == 0) {
		const unsigned char *p = ASN1_STRING_get0_data(v);
		int len = ASN1_STRING_length(v);
		/* raw bytes (AMD's KDS), or a DER OCTET STRING of them */
		if (len == SNP_CHIP_ID_SIZE + 2 && p[0] == 0x04 && p[1] == SNP_CHIP_ID_SIZE) {
			p += 2;
			len -= 2;
		}
		if (len != SNP_CHIP_ID_SIZE || memcmp(p, r->chip_id, SNP_CHIP_ID_SIZE) != 0)
			return errorf(err, err_size, -EPERM, "the VCEK is another chip's (hwID)");
	}
	for (size_t i = 0; i < ARRAY_SIZE(tcb); i++) {
		const unsigned char *p;
		ASN1_INTEGER *n;
		long want = ((const uint8_t *)&r->reported_tcb)[tcb[i].offset], got;

		if (extension(vcek, tcb[i].oid, &v) < 0)
			continue;
		p = ASN1_STRING_get0_data(v);
		n = d2i_ASN1_INTEGER(NULL, &p, ASN1_STRING_length(v));
		got = n ? ASN1_INTEGER_get(n) : -1;
		ASN1_INTEGER_free(n);
		if (got != want)
			return errorf(err, err_size, -EPERM, "the VCEK is for another TCB (%s is %ld, "
							     "the report's %ld)", tcb[i].oid, got, want);
	}
	return 0;
}

int snp_chain_verify(X509 *ark, X509 *ask, X509 *vcek, const SnpReport *r, char *err,
		     size_t err_size)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	int ok = 0, e = 0;

	if (store && ctx && untrusted && X509_STORE_add_cert(store, ark) == 1 &&
	    (!ask || sk_X509_push(untrusted, ask) > 0) &&
	    X509_STORE_CTX_init(ctx, store, vcek, untrusted) == 1) {
		/* the ARK is the only anchor: no partial chain, no system roots */
		ok = X509_verify_cert(ctx);
		e = X509_STORE_CTX_get_error(ctx);
		/* exactly VCEK, ASK, ARK */
		if (ok == 1 && sk_X509_num(X509_STORE_CTX_get0_chain(ctx)) != 3) {
			ok = 0;
			e = -1;
		}
	}
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	sk_X509_free(untrusted);
	ERR_clear_error();
	if (ok != 1)
		return errorf(err, err_size, -EPERM, "%s",
			      e == -1 ? "the chain is not VCEK <- ASK <- ARK"
			      : e ? X509_verify_cert_error_string(e) : "cannot verify the chain");
	return vcek_matches(vcek, r, err, err_size);
}
