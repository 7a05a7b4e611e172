/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The messages of the join protocol (docs/attestation.md), JSON with base64 members: the node
 * builds them, the verifier parses them (untrusted: tests/unit/fuzz-attest-messages.c). Every
 * member has a type and a bound; an unknown member is refused.
 *
 *   POST /v1/start   {"ek_cert": B64?, "ek_pub": B64, "ak_pub": B64}
 *     -> 200         {"session": HEX32, "nonce": B64, "credential_blob": B64, "secret": B64}
 *   POST /v1/finish  {"session": HEX32, "node": NAME, "attest": B64, "signature": B64,
 *                     "pcrs": {"0": HEX64, ...}, "cel_log": B64, "firmware_log": B64?,
 *                     "csr": B64, "snp_report": B64?, "snp_vcek": B64?}
 *     -> 200         the attestation result (verdict, policy, claims, reasons, certificate,
 *                    and the released secrets: secrets.h)
 */
#pragma once

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include <tss2/tss2_tpm2_types.h>

#include "pcr.h"

#define ATTEST_SESSION_HEX 32
#define ATTEST_NONCE_SIZE 32
#define ATTEST_BODY_MAX (1024 * 1024)
#define ATTEST_LOG_MAX (512 * 1024)
#define ATTEST_NODE_MAX 253
/* The PCRs every quote covers: firmware 0-7, kcc-node's 11, 12 and 15. */
#define ATTEST_PCR_MASK (0xffu | (1u << 11) | (1u << 12) | (1u << 15))

typedef struct AttestBlob {
	uint8_t *p;
	size_t n;
} AttestBlob;

typedef struct AttestStart {
	AttestBlob ek_cert; /* DER; n 0 when the TPM has none */
	AttestBlob ek_pub, ak_pub; /* marshalled TPM2B_PUBLIC */
} AttestStart;

typedef struct AttestChallenge {
	char session[ATTEST_SESSION_HEX + 1];
	uint8_t nonce[ATTEST_NONCE_SIZE];
	AttestBlob blob, secret; /* TPM2B_ID_OBJECT, TPM2B_ENCRYPTED_SECRET */
} AttestChallenge;

typedef struct AttestFinish {
	char session[ATTEST_SESSION_HEX + 1];
	char node[ATTEST_NODE_MAX + 1];
	AttestBlob attest, sig, cel_log, fw_log, csr;
	AttestBlob snp_report, snp_vcek; /* optional: SEV-SNP report and the VCEK (DER) */
	uint32_t pcr_mask;
	uint8_t pcrs[PCR_COUNT][32]; /* SHA-256 values, by index */
} AttestFinish;

/* Parsers: 0, or -EBADMSG with the reason in err. The result's blobs are the caller's
 * (attest_*_done). */
int attest_start_parse(const char *json, size_t len, AttestStart *ret, char *err, size_t err_size);
int attest_challenge_parse(const char *json, size_t len, AttestChallenge *ret, char *err,
			   size_t err_size);
int attest_finish_parse(const char *json, size_t len, AttestFinish *ret, char *err, size_t err_size);
void attest_start_done(AttestStart *m);
void attest_challenge_done(AttestChallenge *m);
void attest_finish_done(AttestFinish *m);

/* Writers: a new JSON object (json_object_put it), NULL without memory. */
json_object *attest_start_json(const AttestStart *m);
json_object *attest_challenge_json(const AttestChallenge *m);
json_object *attest_finish_json(const AttestFinish *m);

/* A SEV-SNP report's REPORT_DATA: the quote's qualifying data, then 32 zero bytes. */
void attest_report_data(const uint8_t qualifying[32], uint8_t ret[64]);
/* The quote's qualifying data: SHA-256(nonce || activated secret || SHA-256(CSR DER)). */
int attest_qualifying(const uint8_t nonce[ATTEST_NONCE_SIZE], const uint8_t secret[32],
		      const uint8_t *csr, size_t csr_size, uint8_t ret[32]);
