/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The finish of an exchange: the appraisal of the evidence against its session and the
 * attestation result (docs/attestation.md, "Appraisal"). Every failed check adds its own reason;
 * a certificate is issued only when there is none. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eventlog.h"
#include "hex.h"
#include "issue.h"
#include "quote.h"
#include "tcglog.h"
#include "util.h"
#include "verifier.h"

#define KCC_PCRS ((1u << 11) | (1u << 12) | (1u << 15))

void verifier_reason(json_object *reasons, const char *fmt, ...)
{
	char buf[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_object_array_add(reasons, json_object_new_string(buf));
}

static VerifierSession *session_take(Verifier *v, const char *id, json_object *reasons)
{
	for (size_t i = 0; i < VERIFIER_SESSIONS; i++) {
		VerifierSession *s = &v->sessions[i];
		if (!streq(s->id, id))
			continue;
		if (s->used) {
			verifier_reason(reasons, "replayed nonce: session %s was used already", id);
			return NULL;
		}
		s->used = true; /* single use, whatever the outcome */
		if (s->expires_ms <= now_ms()) {
			verifier_reason(reasons, "expired nonce: session %s is older than %u ms", id,
			       v->nonce_ttl_ms);
			return NULL;
		}
		return s;
	}
	verifier_reason(reasons, "replayed nonce: no open session %s (unknown or expired)", id);
	return NULL;
}

static void add_hex(json_object *o, const char *key, const uint8_t *p)
{
	char hex[65];

	hexify(p, 32, hex);
	json_object_object_add(o, key, json_object_new_string(hex));
}

/* The quote: signed by the session's AK over ATTEST_PCR_MASK with the binding qualifying data,
 * its PCR digest equal to the values sent. */
static bool appraise_quote(const VerifierSession *s, const AttestFinish *m, json_object *reasons)
{
	uint8_t q[32], values[PCR_COUNT][32], *der = NULL;
	size_t n = 0, der_size;
	char err[200];
	int r;

	if ((m->pcr_mask & ATTEST_PCR_MASK) != ATTEST_PCR_MASK) {
		verifier_reason(reasons, "evidence: the PCR values of 0-7, 11, 12 and 15 are not all there");
		return false;
	}
	for (unsigned i = 0; i < PCR_COUNT; i++)
		if (ATTEST_PCR_MASK & (1u << i))
			memcpy(values[n++], m->pcrs[i], 32);
	if (attest_qualifying(s->nonce, s->secret, m->csr.p, m->csr.n, q) < 0 ||
	    tpm_public_to_der(&s->ak, &der, &der_size) < 0) {
		verifier_reason(reasons, "internal: cannot compute the qualifying data or the AK");
		return false;
	}
	r = quote_verify(m->attest.p, m->attest.n, m->sig.p, m->sig.n, der, der_size, q, sizeof(q),
			 ATTEST_PCR_MASK, (const uint8_t(*)[32])values, err, sizeof(err));
	OPENSSL_free(der);
	if (r >= 0)
		return true;
	if (strstr(err, "signature does not verify"))
		verifier_reason(reasons, "quote from another TPM: %s of this session", err);
	else if (strstr(err, "nonce"))
		verifier_reason(reasons, "quote not bound to this session: its qualifying data is not "
				"SHA-256(nonce || activated secret || SHA-256(CSR))");
	else
		verifier_reason(reasons, "quote: %s", err);
	return false;
}

/* The logs replayed equal to the quoted PCRs: CEL-JSON for 11, 12, 15; the firmware's TCG log
 * for 0-7 when there is one. */
static bool appraise_logs(const AttestFinish *m, EventlogReplay *cel, json_object *claims,
			  json_object *reasons)
{
	static const uint8_t zero[32];
	size_t sha256 = (size_t)(PCR_BANK_SHA256 - pcr_bank_table);
	char err[200];
	bool ok = true;

	if (eventlog_replay_buf((const char *)m->cel_log.p, m->cel_log.n, cel, NULL, err,
				sizeof(err)) < 0) {
		verifier_reason(reasons, "event log edited or truncated: %s", err);
		return false;
	}
	for (unsigned i = 0; i < PCR_COUNT; i++) {
		const uint8_t *want;

		if (!(KCC_PCRS & (1u << i)))
			continue;
		want = cel->touched[sha256] & (1u << i) ? cel->value[sha256][i] : zero;
		if (memcmp(want, m->pcrs[i], 32) != 0) {
			verifier_reason(reasons, "event log edited or truncated: PCR %u does not replay to the "
					"quoted value", i);
			ok = false;
		}
	}
	if (m->fw_log.n == 0)
		json_object_object_add(claims, "firmware_log", json_object_new_string("absent"));
	else {
		uint8_t fw[PCR_COUNT][32];
		int n = tcglog_replay(m->fw_log.p, m->fw_log.n, fw, err, sizeof(err));
		if (n < 0) {
			verifier_reason(reasons, "firmware event log malformed: %s", err);
			return false;
		}
		for (unsigned i = 0; i < 8; i++)
			if (memcmp(fw[i], m->pcrs[i], 32) != 0) {
				verifier_reason(reasons, "firmware event log edited or truncated: PCR %u does "
						"not replay to the quoted value", i);
				ok = false;
			}
		json_object_object_add(claims, "firmware_log", json_object_new_string("replayed"));
		json_object_object_add(claims, "firmware_events", json_object_new_int(n));
	}
	return ok;
}

static bool appraise_policy(const Verifier *v, const AttestFinish *m, const EventlogReplay *cel,
			    json_object *claims, json_object *reasons)
{
	static const uint8_t zero[32];
	bool ok = true, listed = false, unlocked;
	char hex[65];

	for (size_t i = 0; i < v->n_pcr11; i++)
		listed |= memcmp(v->pcr11[i], m->pcrs[11], 32) == 0 &&
			  (!v->pcr11_direct[i] || v->policy == VERIFIER_POLICY_TEST);
	if (!listed) {
		hexify(m->pcrs[11], 32, hex);
		verifier_reason(reasons, "PCR 11 not on the reference list: %s", hex);
		ok = false;
	}
	json_object_object_add(claims, "direct_boot", json_object_new_boolean(cel->direct_boot > 0));
	if (cel->direct_boot && v->policy == VERIFIER_POLICY_PRODUCTION) {
		verifier_reason(reasons, "direct-boot events: the kernel command line was measured by "
				"kcc-init, refused by the production policy");
		ok = false;
	}
	/* PCR 15 from zero (kcc-init records the zero it found) with the state volume's identity. */
	unlocked = cel->volume_key > 0 && !(cel->initial_nonzero & (1u << 15)) &&
		   memcmp(m->pcrs[15], zero, 32) != 0;
	json_object_object_add(claims, "state_unlocked", json_object_new_boolean(unlocked));
	if (!unlocked) {
		verifier_reason(reasons, "state volume not unlocked: PCR 15 holds no volume-key event from zero");
		ok = false;
	}
	return ok;
}

int verifier_finish(Verifier *v, const AttestFinish *m, json_object **ret)
{
	json_object *res = json_object_new_object(), *claims = json_object_new_object(),
		    *reasons = json_object_new_array();
	EventlogReplay *cel = calloc(1, sizeof(*cel));
	VerifierSession *s;
	X509_REQ *req = NULL;
	char err[200], *pem = NULL;
	bool ok;
	int r = 0;

	if (!res || !claims || !reasons || !cel) {
		json_object_put(res);
		json_object_put(claims);
		json_object_put(reasons);
		free(cel);
		return -ENOMEM;
	}
	json_object_object_add(res, "policy",
			       json_object_new_string(verifier_policy_to_string(v->policy)));
	json_object_object_add(res, "node", json_object_new_string(m->node));
	json_object_object_add(res, "session", json_object_new_string(m->session));
	json_object_object_add(res, "time", json_object_new_int64((int64_t)time(NULL)));
	s = session_take(v, m->session, reasons);
	ok = s != NULL;
	if (ok) {
		json_object_object_add(claims, "ek", json_object_new_string(s->ek_identity));
		json_object_object_add(claims, "ek_type", json_object_new_string(
			s->ek.publicArea.type == TPM2_ALG_ECC ? "ecc-p256" : "rsa-2048"));
		ok = appraise_quote(s, m, reasons);
	}
	/* The rest only means something for a quote that holds. */
	if (ok) {
		uint8_t q[32], rd[SNP_REPORT_DATA_SIZE];
		add_hex(claims, "pcr11", m->pcrs[11]);
		add_hex(claims, "pcr12", m->pcrs[12]);
		add_hex(claims, "pcr15", m->pcrs[15]);
		ok = appraise_logs(m, cel, claims, reasons);
		ok = appraise_policy(v, m, cel, claims, reasons) && ok;
		/* the report carries the quote's binding: the same TEE answered this session */
		if (attest_qualifying(s->nonce, s->secret, m->csr.p, m->csr.n, q) < 0) {
			verifier_reason(reasons, "internal: cannot compute the qualifying data");
			ok = false;
		} else {
			attest_report_data(q, rd);
			ok = verifier_appraise_snp(v, m, rd, claims, reasons) && ok;
		}
	}
	if (csr_check(m->csr.p, m->csr.n, &req, err, sizeof(err)) < 0) {
		verifier_reason(reasons, "%s", err);
		ok = false;
	}
	if (ok) {
		r = csr_issue(req, m->node, v->issuer, v->issuer_key, v->validity_s, &pem);
		if (r < 0)
			verifier_reason(reasons, "internal: cannot issue the certificate");
		ok = r >= 0;
	}
	/* Only the TPM that answered the credential, in the state just appraised, can open them. */
	if (ok && v->n_secrets &&
	    verifier_release(v, &s->ek, (const uint8_t(*)[32])m->pcrs, res) < 0) {
		verifier_reason(reasons, "internal: cannot wrap the released secrets");
		free(pem);
		pem = NULL;
		ok = false;
	}
	json_object_object_add(res, "verdict",
			       json_object_new_string(ok ? "affirming" : "contraindicated"));
	json_object_object_add(res, "claims", claims);
	json_object_object_add(res, "reasons", reasons);
	if (pem)
		json_object_object_add(res, "certificate", json_object_new_string(pem));
	free(pem);
	X509_REQ_free(req);
	free(cel);
	*ret = res;
	return ok ? 1 : 0;
}
