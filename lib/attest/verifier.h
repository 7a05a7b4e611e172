/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kcc-verify's logic, for its CLI and its TLS service (docs/attestation.md): the verifier's
 * configuration, the sessions between start and finish (single-use, expiring nonces), the
 * appraisal of the evidence and the attestation result, and the client certificate it issues.
 * No TPM: everything is done in software with OpenSSL. */
#pragma once

#include <errno.h>
#include <json-c/json.h>
#include <openssl/x509.h>
#include <stdbool.h>

#include "duplicate.h"
#include "messages.h"
#include "public.h"
#include "secrets.h"
#include "snp.h"
#include "util.h"

#define VERIFIER_SESSIONS 256
#define VERIFIER_REFERENCES_MAX 64
#define VERIFIER_VALIDITY_MAX (24 * 3600)

typedef enum VerifierPolicy {
	VERIFIER_POLICY_PRODUCTION, /* refuses direct-boot events */
	VERIFIER_POLICY_TEST,       /* accepts them (development images booted with qemu -kernel) */
	_VERIFIER_POLICY_MAX,
	_VERIFIER_POLICY_INVALID = -EINVAL,
} VerifierPolicy;

typedef struct VerifierSession {
	bool used;
	unsigned long long expires_ms;
	char id[ATTEST_SESSION_HEX + 1];
	uint8_t nonce[ATTEST_NONCE_SIZE];
	uint8_t secret[32];
	TPM2B_PUBLIC ak;
	TPM2B_PUBLIC ek; /* what released secrets are wrapped to */
	char ek_identity[160]; /* how the EK was accepted, for the result */
} VerifierSession;

/* SEV-SNP reports (snp-appraise.c): the pinned ARK, the cached ASK and VCEKs, the policy. */
typedef struct VerifierSnp {
	X509 *ark, *ask;       /* NULL ark: a node's report is refused (nothing to check it with) */
	const char *vcek_dir;  /* cached VCEKs, CHIPID_TCB.der; NULL: the node must send it */
	uint8_t measurements[VERIFIER_REFERENCES_MAX][SNP_MEASUREMENT_SIZE];
	size_t n_measurements; /* 0: any launch measurement (reported in the claims) */
	SnpTcb min_tcb;
	bool require;          /* refuse a node without a report */
} VerifierSnp;

/* A secret released to every node the verifier affirms (--secret NAME=FILE). */
typedef struct VerifierSecret {
	char name[ATTEST_NODE_MAX + 1];
	uint8_t data[TPM_SECRET_MAX];
	size_t size;
} VerifierSecret;

typedef struct Verifier {
	VerifierPolicy policy;
	X509_STORE *ek_roots;                 /* NULL: no EK certificate is accepted */
	uint8_t (*ek_allow)[32];              /* SHA-256 of allow-listed EK public keys (DER) */
	size_t n_ek_allow;
	/* Reference values of PCR 11: UKI boots (every policy), direct boots (the test policy only:
	 * a direct boot's PCR 11 is a TPM fact, so production refuses it whatever its log says). */
	uint8_t pcr11[VERIFIER_REFERENCES_MAX][32];
	bool pcr11_direct[VERIFIER_REFERENCES_MAX];
	size_t n_pcr11;
	X509 *issuer;
	EVP_PKEY *issuer_key;
	unsigned validity_s;  /* of an issued certificate, at most VERIFIER_VALIDITY_MAX */
	unsigned nonce_ttl_ms;
	VerifierSecret secrets[ATTEST_SECRETS_MAX];
	size_t n_secrets;
	VerifierSnp snp;
	VerifierSession sessions[VERIFIER_SESSIONS];
	size_t next_session;
} Verifier;

/* Loaders: 0 or -errno with the reason in err. */
int verifier_load_ek_roots(Verifier *v, const char *pem_path, char *err, size_t err_size);
/* Lines of 64 hex digits (SHA-256 of the EK's SubjectPublicKeyInfo DER), '#' comments. */
int verifier_load_ek_allow(Verifier *v, const char *path, char *err, size_t err_size);
/* The reference-values file (docs/attestation.md):
 * {"version":1,"pcr11":["HEX64",...],"pcr11_direct":["HEX64",...]} ("pcr11_direct" optional); with
 * key_path (a PEM public key), only when path.sig is its SHA-256 signature over the file. */
int verifier_load_references(Verifier *v, const char *path, const char *key_path, char *err,
			     size_t err_size);
int verifier_load_issuer(Verifier *v, const char *cert_path, const char *key_path, char *err,
			 size_t err_size);
/* spec: NAME=FILE, NAME a Kubernetes secret name, FILE 1..TPM_SECRET_MAX bytes (release.c). */
int verifier_load_secret(Verifier *v, const char *spec, char *err, size_t err_size);
/* --snp-ark PEM (self-signed, the trust anchor) and --snp-ask PEM (signed by it). */
int verifier_load_snp_chain(Verifier *v, const char *ark_path, const char *ask_path, char *err,
			    size_t err_size);
/* The reference-values file's optional "snp_measurement": ["HEX96", ...]. */
int verifier_load_snp_measurements(Verifier *v, const char *path, json_object *arr, char *err,
				   size_t err_size);
/* The finish's SEV-SNP report, its claims and reasons; true when it passes the policy (or
 * there is none and none is required). report_data: the binding it must carry. */
bool verifier_appraise_snp(const Verifier *v, const AttestFinish *m,
			   const uint8_t report_data[SNP_REPORT_DATA_SIZE], json_object *claims,
			   json_object *reasons);
void verifier_done(Verifier *v);
/* Adds one refusal reason line to the result's "reasons" (appraise.c). */
void verifier_reason(json_object *reasons, const char *fmt, ...) _printf_(2, 3);
VerifierPolicy verifier_policy_from_string(const char *s);
const char *verifier_policy_to_string(VerifierPolicy p);

/* start: appraises the EK (certificate chain or allow-list) and the AK's attributes, then makes
 * a session: nonce and credential. 0 with *ret filled; -EPERM refused (reason in err);
 * -errno failure. */
int verifier_start(Verifier *v, const AttestStart *m, AttestChallenge *ret, char *err,
		   size_t err_size);
/* finish: appraises the evidence against the session it names; *ret gets the attestation
 * result (verdict, policy, claims, reasons, and on success "certificate": PEM). Returns 1
 * affirming, 0 refused, -errno when it could not appraise. */
int verifier_finish(Verifier *v, const AttestFinish *m, json_object **ret);
/* Adds "secrets" to an affirming result: each configured secret sealed to values (by PCR
 * index, the appraised ones of ATTEST_PCR_MASK) and wrapped to ek (release.c). */
int verifier_release(const Verifier *v, const TPM2B_PUBLIC *ek, const uint8_t values[PCR_COUNT][32],
		     json_object *result);
/* One call for a request body: path "/v1/start" or "/v1/finish"; *ret the answer's JSON body,
 * *status its HTTP status (200, 400 bad input, 403 refused, 404, 500). */
int verifier_handle(Verifier *v, const char *path, const char *body, size_t len, int *status,
		    char **ret);
