/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The verifier's side of SEV-SNP (docs/attestation.md, "SEV-SNP reports"): the pinned ARK and
 * cached ASK, the cached VCEKs, and the appraisal of a node's report: the strict parse, the chain
 * VCEK <- ASK <- ARK, the VCEK's signature, REPORT_DATA equal to the quote's binding, then the
 * policy (debug refused, the launch measurement on the reference list, a minimum TCB). */
#include <errno.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "verifier.h"

static X509 *pem_cert(const char *path)
{
	FILE *f = fopen(path, "re");
	X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;

	if (f)
		fclose(f);
	return x;
}

int verifier_load_snp_chain(Verifier *v, const char *ark_path, const char *ask_path, char *err,
			    size_t err_size)
{
	EVP_PKEY *k;
	int ok;

	v->snp.ark = pem_cert(ark_path);
	if (!v->snp.ark)
		return errorf(err, err_size, -EINVAL, "%s: not a PEM certificate", ark_path);
	k = X509_get0_pubkey(v->snp.ark);
	ok = k && X509_check_issued(v->snp.ark, v->snp.ark) == X509_V_OK &&
	     X509_verify(v->snp.ark, k) == 1;
	if (!ok)
		return errorf(err, err_size, -EINVAL, "%s: the ARK is not self-signed", ark_path);
	if (!ask_path)
		return 0;
	v->snp.ask = pem_cert(ask_path);
	if (!v->snp.ask)
		return errorf(err, err_size, -EINVAL, "%s: not a PEM certificate", ask_path);
	if (X509_verify(v->snp.ask, k) != 1)
		return errorf(err, err_size, -EINVAL, "%s: the ASK is not signed by the ARK %s",
			      ask_path, ark_path);
	return 0;
}

int verifier_load_snp_measurements(Verifier *v, const char *path, json_object *arr, char *err,
				   size_t err_size)
{
	size_t n = arr ? json_object_array_length(arr) : 0;

	if (!arr || n > VERIFIER_REFERENCES_MAX)
		return errorf(err, err_size, -EINVAL, "%s: \"snp_measurement\" is not a list of at "
				   "most %d values", path, VERIFIER_REFERENCES_MAX);
	for (size_t i = 0; i < n; i++) {
		const char *hex = json_object_get_string(json_object_array_get_idx(arr, i));
		if (!json_object_is_type(json_object_array_get_idx(arr, i), json_type_string) ||
		    strlen(hex) != 2 * SNP_MEASUREMENT_SIZE ||
		    unhexify(hex, v->snp.measurements[i], SNP_MEASUREMENT_SIZE) < 0)
			return errorf(err, err_size, -EINVAL, "%s: snp_measurement[%zu] is not %d hex "
					   "digits", path, i, 2 * SNP_MEASUREMENT_SIZE);
	}
	v->snp.n_measurements = n;
	return 0;
}

/* The VCEK the node sent, else the cached one: VCEK_DIR/CHIPID_TCB.der (hex; AMD's KDS gives
 * it for the chip_id and reported TCB). NULL with the reason in err. */
static X509 *vcek_for(const Verifier *v, const AttestFinish *m, const SnpReport *r, char *err,
		      size_t err_size)
{
	const unsigned char *p = m->snp_vcek.p;
	char chip[2 * SNP_CHIP_ID_SIZE + 1], path[4096];
	_cleanup_free_ char *data = NULL;
	X509 *x;
	int n;

	if (m->snp_vcek.n) {
		x = d2i_X509(NULL, &p, (long)m->snp_vcek.n);
		if (!x || p != m->snp_vcek.p + m->snp_vcek.n) {
			X509_free(x);
			errorf(err, err_size, -EBADMSG, "\"snp_vcek\" is not one DER certificate");
			return NULL;
		}
		return x;
	}
	if (!v->snp.vcek_dir) {
		errorf(err, err_size, -ENOENT, "no VCEK: the node sent none and no cache is set");
		return NULL;
	}
	hexify(r->chip_id, SNP_CHIP_ID_SIZE, chip);
	snprintf(path, sizeof(path), "%s/%s_%016llx.der", v->snp.vcek_dir, chip,
		 (unsigned long long)r->reported_tcb_raw);
	n = read_small_file(path, 8192, &data);
	p = (const unsigned char *)data;
	x = n > 0 ? d2i_X509(NULL, &p, n) : NULL;
	if (!x)
		errorf(err, err_size, -ENOENT, "no cached VCEK for this chip and TCB (%s)", path);
	return x;
}

static void add_hex(json_object *o, const char *key, const uint8_t *p, size_t n)
{
	char hex[2 * SNP_CHIP_ID_SIZE + 1];

	hexify(p, n, hex);
	json_object_object_add(o, key, json_object_new_string(hex));
}

/* The policy on a verified report. */
static bool snp_policy(const Verifier *v, const SnpReport *r, json_object *reasons)
{
	bool ok = true, listed = v->snp.n_measurements == 0;
	char hex[2 * SNP_MEASUREMENT_SIZE + 1];

	if (r->policy & SNP_POLICY_DEBUG) {
		verifier_reason(reasons, "SEV-SNP guest policy allows debugging (0x%llx)",
				(unsigned long long)r->policy);
		ok = false;
	}
	for (size_t i = 0; i < v->snp.n_measurements; i++)
		listed |= memcmp(v->snp.measurements[i], r->measurement, SNP_MEASUREMENT_SIZE) == 0;
	if (!listed) {
		hexify(r->measurement, SNP_MEASUREMENT_SIZE, hex);
		verifier_reason(reasons, "SEV-SNP launch measurement not on the reference list: %s",
				hex);
		ok = false;
	}
	if (!snp_tcb_at_least(&r->reported_tcb, &v->snp.min_tcb)) {
		verifier_reason(reasons, "SEV-SNP TCB %u.%u.%u.%u below the minimum %u.%u.%u.%u",
				r->reported_tcb.bootloader, r->reported_tcb.tee, r->reported_tcb.snp,
				r->reported_tcb.microcode, v->snp.min_tcb.bootloader,
				v->snp.min_tcb.tee, v->snp.min_tcb.snp, v->snp.min_tcb.microcode);
		ok = false;
	}
	return ok;
}

bool verifier_appraise_snp(const Verifier *v, const AttestFinish *m,
			   const uint8_t report_data[SNP_REPORT_DATA_SIZE], json_object *claims,
			   json_object *reasons)
{
	SnpReport r;
	X509 *vcek;
	char err[200], tcb[20];
	bool ok;

	if (m->snp_report.n == 0) {
		json_object_object_add(claims, "tee", json_object_new_string("no TEE report"));
		if (v->snp.require)
			verifier_reason(reasons, "no TEE report: the policy requires a SEV-SNP report");
		return !v->snp.require;
	}
	json_object_object_add(claims, "tee", json_object_new_string("sev-snp"));
	if (snp_report_parse(m->snp_report.p, m->snp_report.n, &r, err, sizeof(err)) < 0) {
		verifier_reason(reasons, "SEV-SNP report malformed: %s", err);
		return false;
	}
	if (!v->snp.ark) {
		verifier_reason(reasons, "SEV-SNP report signed by the wrong chain: the verifier "
					 "pins no ARK (--snp-ark)");
		return false;
	}
	vcek = vcek_for(v, m, &r, err, sizeof(err));
	ok = vcek && snp_chain_verify(v->snp.ark, v->snp.ask, vcek, &r, err, sizeof(err)) >= 0 &&
	     snp_report_verify_sig(m->snp_report.p, X509_get0_pubkey(vcek), err, sizeof(err)) >= 0;
	X509_free(vcek);
	if (!ok) {
		verifier_reason(reasons, "SEV-SNP report signed by the wrong chain: %s", err);
		return false;
	}
	add_hex(claims, "snp_measurement", r.measurement, SNP_MEASUREMENT_SIZE);
	add_hex(claims, "snp_chip_id", r.chip_id, SNP_CHIP_ID_SIZE);
	snprintf(tcb, sizeof(tcb), "%u.%u.%u.%u", r.reported_tcb.bootloader, r.reported_tcb.tee,
		 r.reported_tcb.snp, r.reported_tcb.microcode);
	json_object_object_add(claims, "snp_tcb", json_object_new_string(tcb));
	json_object_object_add(claims, "snp_policy", json_object_new_int64((int64_t)r.policy));
	/* the privilege level that asked (kcc-attest asks at 0; under an SVSM the guest OS runs at
	 * a higher one): reported for the relying party, not judged */
	json_object_object_add(claims, "snp_vmpl", json_object_new_int64((int64_t)r.vmpl));
	if (memcmp(r.report_data, report_data, SNP_REPORT_DATA_SIZE) != 0) {
		verifier_reason(reasons, "SEV-SNP report not bound to this session: REPORT_DATA is "
					 "not the quote's qualifying data");
		return false;
	}
	return snp_policy(v, &r, reasons);
}
