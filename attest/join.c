/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "attest-keys.h"
#include "join.h"
#include "messages.h"
#include "node-key.h"
#include "released.h"
#include "snp-guest.h"
#include "tls-post.h"
#include "util.h"

#define LOG_MAX ATTEST_LOG_MAX

/* POSTs m (consumed) and parses the answer; 403 answers are results. */
static int exchange(const JoinConfig *c, const char *path, json_object *m, int *status,
		    json_object **answer, char *err, size_t err_size)
{
	char *body = NULL;
	json_tokener *tok;
	int r;

	if (!m)
		return -ENOMEM;
	r = tls_post(c->url, c->ca, c->ca_pem, path,
		     json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN |
							  JSON_C_TO_STRING_NOSLASHESCAPE),
		     status, &body, err, err_size);
	json_object_put(m);
	if (r < 0)
		return r;
	tok = json_tokener_new();
	*answer = tok ? json_tokener_parse_ex(tok, body, (int)strlen(body)) : NULL;
	json_tokener_free(tok);
	if (!*answer || !json_object_is_type(*answer, json_type_object)) {
		r = errorf(err, err_size, -EBADMSG, "%s answered %d without a JSON object", path,
			   *status);
		json_object_put(*answer);
		*answer = NULL;
	}
	free(body);
	return r;
}

static int read_blob(const char *path, bool optional, AttestBlob *b, char *err, size_t err_size)
{
	char *buf = NULL;
	int r;

	if (!path || (optional && access(path, F_OK) < 0 && errno == ENOENT))
		return 0;
	r = read_small_file(path, LOG_MAX, &buf);
	if (r < 0)
		return errorf(err, err_size, r, "%s: %s", path, strerror(-r));
	b->p = (uint8_t *)buf;
	b->n = (size_t)r;
	return 0;
}

static int write_file(const char *path, const char *s)
{
	int r = write_new_file(path, s, 0644);
	return r < 0 ? r : 0;
}

/* Replaced atomically: a reader sees the old certificate or the new one, never half of one. */
static int replace_file(const char *path, const char *s)
{
	char tmp[4096];
	int r;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	r = write_file(tmp, s);
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

/* A SEV-SNP guest's report, REPORT_DATA the quote's binding, and the VCEK when there is one;
 * the VCEK from --snp-vcek, else the host's copy; nothing without the device (the verifier's
 * result then says "no TEE report"). */
static int snp_evidence(const JoinConfig *c, const uint8_t q[32], AttestFinish *f, char *err,
			size_t err_size)
{
	uint8_t rd[SNP_REPORT_DATA_SIZE];
	char why[300];
	int r;

	attest_report_data(q, rd);
	f->snp_report.p = malloc(SNP_REPORT_SIZE);
	if (!f->snp_report.p)
		return -ENOMEM;
	if (c->snp_stand_in_key && snp_stand_in_report)
		r = snp_stand_in_report(c->snp_stand_in_key, rd, f->snp_report.p, why, sizeof(why));
	else
		r = snp_guest_report(c->snp_device ?: SNP_GUEST_DEVICE, rd, f->snp_report.p,
				     &f->snp_vcek.p, &f->snp_vcek.n, why, sizeof(why));
	if (r == -ENOENT) {
		free(f->snp_report.p);
		f->snp_report.p = NULL;
		return 0;
	}
	if (r < 0)
		return errorf(err, err_size, r, "cannot get the SEV-SNP report: %s", why);
	f->snp_report.n = SNP_REPORT_SIZE;
	if (!c->snp_vcek)
		return 0; /* the host's copy, if it gave one */
	free(f->snp_vcek.p);
	f->snp_vcek = (AttestBlob){ 0 };
	return read_blob(c->snp_vcek, false, &f->snp_vcek, err, err_size);
}

/* The finish request: keys and logs; consumes nothing of the caller's. */
static int evidence(Tpm *t, const JoinConfig *c, TpmAttestKeys *k, const AttestChallenge *ch,
		    const uint8_t *csr, size_t csr_size, AttestFinish *f, char *err,
		    size_t err_size)
{
	uint8_t secret[32], q[32];
	size_t n = 0;
	PcrDigests values[PCR_COUNT];
	const PcrBank *banks[PCR_BANKS_MAX];
	size_t n_banks, sha = PCR_BANKS_MAX;
	TpmQuote quote;
	int r;

	r = tpm_activate_credential(t, k, ch->blob.p, ch->blob.n, ch->secret.p, ch->secret.n,
				    secret, &n);
	if (r < 0 || n != 32)
		return errorf(err, err_size, r < 0 ? r : -EBADMSG,
			      "the TPM cannot activate the credential: %s", tpm_error(t));
	r = attest_qualifying(ch->nonce, secret, csr, csr_size, q);
	explicit_wipe(secret, sizeof(secret));
	if (r < 0)
		return errorf(err, err_size, r, "cannot hash the qualifying data");
	r = snp_evidence(c, q, f, err, err_size);
	if (r < 0)
		return r;
	/* The values first, then the quote: an extend in between makes the verifier refuse. */
	r = tpm_pcr_read_banks(t, ATTEST_PCR_MASK, values);
	if (r >= 0)
		r = tpm_banks(t, banks, PCR_BANKS_MAX, &n_banks);
	for (size_t i = 0; r >= 0 && i < n_banks; i++)
		if (banks[i] == PCR_BANK_SHA256)
			sha = i;
	if (r >= 0 && sha == PCR_BANKS_MAX)
		r = tpm_failf(t, ENODEV, "the TPM has no SHA-256 bank");
	if (r < 0)
		return errorf(err, err_size, r, "cannot read the PCRs: %s", tpm_error(t));
	for (unsigned i = 0; i < PCR_COUNT; i++)
		if (ATTEST_PCR_MASK & (1u << i))
			memcpy(f->pcrs[i], values[i].d[sha], 32);
	f->pcr_mask = ATTEST_PCR_MASK;
	r = tpm_attest_quote(t, k, ATTEST_PCR_MASK, q, sizeof(q), &quote);
	if (r < 0)
		return errorf(err, err_size, r, "cannot quote: %s", tpm_error(t));
	f->attest = (AttestBlob){ quote.attest, quote.attest_size };
	f->sig = (AttestBlob){ quote.sig, quote.sig_size };
	quote.attest = quote.sig = NULL;
	tpm_quote_done(&quote);
	memcpy(f->session, ch->session, sizeof(f->session));
	snprintf(f->node, sizeof(f->node), "%s", c->node);
	r = read_blob(c->cel_log, false, &f->cel_log, err, err_size);
	if (r >= 0)
		r = read_blob(c->firmware_log, true, &f->fw_log, err, err_size);
	if (r >= 0) {
		f->csr.p = malloc(csr_size);
		if (!f->csr.p)
			return -ENOMEM;
		memcpy(f->csr.p, csr, csr_size);
		f->csr.n = csr_size;
	}
	return r;
}

int join_ek_type(Tpm *t, const char *name, TpmEkType *ret, char *err, size_t err_size)
{
	int r;

	if (name) {
		*ret = tpm_ek_type_from_string(name);
		return *ret < 0 ? errorf(err, err_size, -EINVAL, "--ek: rsa or ecc, not '%s'", name)
				: 0;
	}
	r = tpm_ek_type_auto(t, ret);
	return r < 0 ? errorf(err, err_size, r, "cannot list the TPM's EK certificates: %s",
			      tpm_error(t)) : 0;
}

static int start(Tpm *t, const JoinConfig *c, TpmEkType ek, const TpmAttestKeys *k,
		 AttestChallenge *ch, json_object **ret, char *err, size_t err_size)
{
	AttestStart m = { .ek_pub = { k->ek_pub, k->ek_pub_size },
			  .ak_pub = { k->ak_pub, k->ak_pub_size } };
	json_object *answer = NULL;
	char *cert = NULL;
	int status, r;

	if (c->ek_cert) {
		r = read_blob(c->ek_cert, false, &m.ek_cert, err, err_size);
		if (r < 0)
			return r;
		cert = (char *)m.ek_cert.p;
	} else {
		r = tpm_ek_cert_read(t, tpm_ek_cert_index(ek), &m.ek_cert.p, &m.ek_cert.n);
		if (r < 0 && r != -ENOENT)
			return errorf(err, err_size, r, "cannot read the EK certificate: %s",
				      tpm_error(t));
		cert = (char *)m.ek_cert.p;
	}
	r = exchange(c, "/v1/start", attest_start_json(&m), &status, &answer, err, err_size);
	free(cert);
	if (r < 0)
		return r;
	if (status == 200) {
		const char *s = json_object_to_json_string(answer);
		r = attest_challenge_parse(s, strlen(s), ch, err, err_size);
		json_object_put(answer);
		return r < 0 ? r : 1;
	}
	if (status == 403) {
		*ret = answer;
		return 0;
	}
	r = errorf(err, err_size, -EPROTO, "/v1/start answered %d: %s", status,
		   json_object_to_json_string(answer));
	json_object_put(answer);
	return r;
}

/* The upstream kubelet's key and certificate (one file), the cluster CA and its kubeconfig. */
static int kubelet_files(const JoinConfig *c, EVP_PKEY *key, const char *cert_pem, char *err,
			 size_t err_size)
{
	BIO *b = BIO_new(BIO_s_secmem()); /* wiped when freed */
	char *data = NULL, *pem = NULL;
	long n = 0;
	int r = -ENOMEM;

	if (b && PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL) &&
	    (n = BIO_get_mem_data(b, &data)) > 0 && (pem = malloc((size_t)n + 1))) {
		memcpy(pem, data, (size_t)n);
		pem[n] = '\0';
		r = kubelet_creds_write(c->kubelet, c->node, pem, cert_pem, err, err_size);
		explicit_wipe(pem, (size_t)n);
		free(pem);
	} else
		errorf(err, err_size, r, "cannot encode the node's key");
	BIO_free(b);
	if (r < 0) {
		char why[300];
		snprintf(why, sizeof(why), "%s", err);
		errorf(err, err_size, r, "cannot write the kubelet's credentials: %s", why);
	}
	return r;
}

static int keep(const JoinConfig *c, EVP_PKEY *key, json_object *result, char *err,
		size_t err_size)
{
	const char *pem = json_object_get_string(
		json_object_object_get(result, "certificate"));
	int r;

	if (!pem || !startswith(pem, "-----BEGIN CERTIFICATE-----"))
		return errorf(err, err_size, -EBADMSG, "the affirming result carries no certificate");
	/* The key first, the certificate last: a reader that reloads when the certificate
	 * changes (kcc-forward) then finds the key that goes with it. */
	r = node_key_write(key, c->key_out, c->key_mode ? c->key_mode : 0600);
	if (r >= 0)
		r = replace_file(c->cert_out, pem);
	if (r < 0)
		return errorf(err, err_size, r, "cannot write the key and certificate: %s",
			      strerror(-r));
	return c->kubelet ? kubelet_files(c, key, pem, err, err_size) : 0;
}

int join(Tpm *t, const JoinConfig *c, json_object **ret, char *err, size_t err_size)
{
	TpmAttestKeys k;
	AttestChallenge ch = { 0 };
	AttestFinish f = { 0 };
	EVP_PKEY *key = NULL;
	uint8_t *csr = NULL;
	size_t csr_size = 0;
	json_object *fin = NULL, *answer = NULL;
	TpmEkType ek;
	int status, r;

	*ret = NULL;
	r = join_ek_type(t, c->ek, &ek, err, err_size);
	if (r < 0)
		return r;
	r = tpm_attest_keys(t, ek, &k);
	if (r < 0)
		return errorf(err, err_size, r, "cannot create the EK and the AK: %s", tpm_error(t));
	r = node_key_new(&key);
	if (r >= 0)
		r = node_csr(key, c->node, &csr, &csr_size);
	if (r < 0) {
		errorf(err, err_size, r, "cannot make the node's key and CSR");
		goto out;
	}
	r = start(t, c, ek, &k, &ch, ret, err, err_size);
	if (r <= 0)
		goto out;
	r = evidence(t, c, &k, &ch, csr, csr_size, &f, err, err_size);
	/* Nothing of the TPM is needed any more: flush before the network. */
	tpm_attest_keys_done(t, &k);
	if (r < 0)
		goto out;
	fin = attest_finish_json(&f);
	if (fin && c->save_finish)
		(void)write_file(c->save_finish, json_object_to_json_string_ext(
				     fin, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	r = exchange(c, "/v1/finish", fin, &status, &answer, err, err_size);
	if (r < 0)
		goto out;
	if (status != 200 && status != 403) {
		r = errorf(err, err_size, -EPROTO, "/v1/finish answered %d: %s", status,
			   json_object_to_json_string(answer));
		json_object_put(answer);
		goto out;
	}
	*ret = answer;
	r = status == 200 ? 1 : 0;
	if (r == 1) {
		int k2 = keep(c, key, answer, err, err_size);
		if (k2 >= 0 && c->secrets_dir)
			k2 = released_secrets_write(t, ek, answer, c->secrets_dir, err, err_size);
		if (k2 < 0)
			r = k2;
	}
out:
	tpm_attest_keys_done(t, &k);
	attest_challenge_done(&ch);
	attest_finish_done(&f);
	OPENSSL_free(csr);
	EVP_PKEY_free(key);
	return r;
}
