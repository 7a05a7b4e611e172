/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* AMD SEV-SNP attestation reports (AMD SEV-SNP ABI specification, "ATTESTATION_REPORT"): the
 * strict parser of the 1184 bytes a node sends (untrusted: tests/unit/fuzz-snp-report.c), the
 * VCEK's ECDSA P-384/SHA-384 signature, the VCEK <- ASK <- ARK chain against a pinned ARK, and a
 * signer for tests (the stand-in for /dev/sev-guest, snp-sign.c). OpenSSL does the crypto. */
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SNP_REPORT_SIZE 1184
#define SNP_REPORT_SIGNED 0x2a0 /* the signature covers bytes 0 .. 0x29f */
#define SNP_REPORT_DATA_SIZE 64
#define SNP_MEASUREMENT_SIZE 48
#define SNP_CHIP_ID_SIZE 64
#define SNP_SIG_ALGO_ECDSA_P384_SHA384 1
#define SNP_POLICY_SMT (1ull << 16)
#define SNP_POLICY_RESERVED_ONE (1ull << 17) /* must be 1 */
#define SNP_POLICY_MIGRATE_MA (1ull << 18)
#define SNP_POLICY_DEBUG (1ull << 19)

/* TCB_VERSION of Milan and Genoa: byte 0 boot loader, 1 TEE, 6 SNP firmware, 7 microcode. */
typedef struct SnpTcb {
	uint8_t bootloader, tee, snp, microcode;
} SnpTcb;

typedef struct SnpReport {
	uint32_t version, guest_svn, vmpl;
	uint64_t policy;
	uint8_t report_data[SNP_REPORT_DATA_SIZE];
	uint8_t measurement[SNP_MEASUREMENT_SIZE];
	uint8_t chip_id[SNP_CHIP_ID_SIZE];
	uint64_t reported_tcb_raw;
	SnpTcb reported_tcb;
} SnpReport;

/* 0, or -EBADMSG with the reason in err: exactly SNP_REPORT_SIZE bytes, version 2 or 3, the
 * ECDSA P-384 algorithm, signed by the VCEK (not a VLEK, not masked), every reserved field and
 * bit zero (policy bit 17 one), r and s below 2^384. */
int snp_report_parse(const uint8_t *buf, size_t n, SnpReport *ret, char *err, size_t err_size);
/* The report's signature (buf parsed already) with the VCEK's key: 0, or -EPERM. */
int snp_report_verify_sig(const uint8_t buf[SNP_REPORT_SIZE], EVP_PKEY *vcek, char *err,
			  size_t err_size);
/* VCEK <- ASK <- ARK, with the ARK the only trust anchor (self-signed; RSA-PSS in AMD's chain),
 * and the VCEK's hwID and TCB extensions, when present, equal to the report's chip_id and
 * reported TCB. 0, or -EPERM with OpenSSL's reason in err. */
int snp_chain_verify(X509 *ark, X509 *ask, X509 *vcek, const SnpReport *r, char *err,
		     size_t err_size);
void snp_tcb_from_raw(uint64_t raw, SnpTcb *ret);
bool snp_tcb_at_least(const SnpTcb *t, const SnpTcb *min);
/* "BL.TEE.SNP.MICROCODE", each 0-255: 0 or -EINVAL. */
int snp_tcb_parse(const char *s, SnpTcb *ret);

/* The certificate table an extended report request returns (the host's: untrusted; GHCB
 * specification, "SNP Extended Guest Request"): entries of a GUID (16 bytes, printed order), an
 * offset and a length (LE32, from the table's start), ended by an all-zero entry. *ret points at
 * the VCEK's DER (GUID 63da758d-e664-4564-adc5-f4b93be8accd) inside buf. 0; -ENOENT no VCEK;
 * -EBADMSG no terminator within n, or an entry outside buf. */
int snp_cert_table_vcek(const uint8_t *buf, size_t n, const uint8_t **ret, size_t *ret_size);

/* The test's report (snp-sign.c): template (or zeros with version 2, policy bit 17 and the
 * algorithm) with report_data, signed with key (EC P-384). 0 or -errno. */
int snp_report_sign(const uint8_t *template, const uint8_t report_data[SNP_REPORT_DATA_SIZE],
		    EVP_PKEY *key, uint8_t ret[SNP_REPORT_SIZE]);
