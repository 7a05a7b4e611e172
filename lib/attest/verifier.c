/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The verifier's configuration, its sessions and the start of an exchange. */
#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "json-get.h"
#include "makecred.h"
#include "verifier.h"
#include "util.h"

static const char *const policy_names[_VERIFIER_POLICY_MAX] = {
	[VERIFIER_POLICY_PRODUCTION] = "production",
	[VERIFIER_POLICY_TEST] = "test",
};

VerifierPolicy verifier_policy_from_string(const char *s)
{
	return (VerifierPolicy)string_table_lookup(policy_names, _VERIFIER_POLICY_MAX, s);
}

const char *verifier_policy_to_string(VerifierPolicy p)
{
	return p >= 0 && p < _VERIFIER_POLICY_MAX ? policy_names[p] : NULL;
}

int verifier_load_ek_roots(Verifier *v, const char *pem_path, char *err, size_t err_size)
{
	X509_STORE *s = X509_STORE_new();

	if (!s)
		return -ENOMEM;
	if (X509_STORE_load_file(s, pem_path) != 1) {
		X509_STORE_free(s);
		return errorf(err, err_size, -EINVAL, "%s: no PEM certificates", pem_path);
	}
	X509_STORE_free(v->ek_roots);
	v->ek_roots = s;
	return 0;
}

int verifier_load_ek_allow(Verifier *v, const char *path, char *err, size_t err_size)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	char line[256];
	unsigned n = 0;

	if (!f)
		return errorf(err, err_size, -errno, "%s: %m", path);
	while (fgets(line, sizeof(line), f)) {
		uint8_t (*a)[32];
		size_t l = strcspn(line, "\r\n");

		n++;
		line[l] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		a = realloc(v->ek_allow, (v->n_ek_allow + 1) * sizeof(*a));
		if (!a)
			return -ENOMEM;
		v->ek_allow = a;
		if (l != 64 || unhexify(line, a[v->n_ek_allow], 32) < 0)
			return errorf(err, err_size, -EINVAL, "%s:%u: not 64 hex digits", path, n);
		v->n_ek_allow++;
	}
	return 0;
}

/* The detached signature path.sig over data (the file's bytes): ECDSA or RSA with SHA-256. */
static int references_verify(const char *path, const char *data, size_t n, const char *key_path,
			     char *err, size_t err_size)
{
	char sig_path[4096], *sig = NULL;
	_cleanup_fclose_ FILE *f = fopen(key_path, "re");
	EVP_PKEY *key = f ? PEM_read_PUBKEY(f, NULL, NULL, NULL) : NULL;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int m, r = -EPERM;

	snprintf(sig_path, sizeof(sig_path), "%s.sig", path);
	m = key ? read_small_file(sig_path, 1024, &sig) : 0;
	if (!key)
		r = errorf(err, err_size, -EINVAL, "%s: no PEM public key", key_path);
	else if (m < 0)
		r = errorf(err, err_size, m, "%s: %s", sig_path, strerror(-m));
	else if (!ctx || EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
		 EVP_DigestVerify(ctx, (uint8_t *)sig, (size_t)m, (const uint8_t *)data, n) != 1)
		r = errorf(err, err_size, -EPERM, "%s: the signature %s does not verify with %s",
			   path, sig_path, key_path);
	else
		r = 0;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	free(sig);
	return r;
}

static int load_values(Verifier *v, const char *path, json_object *arr, bool direct, char *err,
		       size_t err_size)
{
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		const char *hex = json_str(json_object_array_get_idx(arr, i));

		if (v->n_pcr11 == VERIFIER_REFERENCES_MAX)
			return errorf(err, err_size, -E2BIG, "%s: more than %d values", path,
				      VERIFIER_REFERENCES_MAX);
		if (!hex || strlen(hex) != 64 || unhexify(hex, v->pcr11[v->n_pcr11], 32) < 0)
			return errorf(err, err_size, -EINVAL, "%s: %s[%zu] is not 64 hex digits", path,
				      direct ? "pcr11_direct" : "pcr11", i);
		v->pcr11_direct[v->n_pcr11++] = direct;
	}
	return 0;
}

int verifier_load_references(Verifier *v, const char *path, const char *key_path, char *err,
			     size_t err_size)
{
	_cleanup_free_ char *data = NULL;
	json_object *o = NULL, *arr;
	int version = 0, r;

	r = read_small_file(path, 1 << 20, &data);
	if (r < 0)
		return errorf(err, err_size, r, "%s: %s", path, strerror(-r));
	if (key_path) {
		r = references_verify(path, data, (size_t)r, key_path, err, err_size);
		if (r < 0)
			return r;
	}
	r = 0;
	o = json_tokener_parse(data);
	arr = json_get(o, "pcr11", json_type_array);
	if (!o || json_get_int(o, "version", &version) < 0 || version != 1 || !arr ||
	    (!json_get(o, "pcr11_direct", json_type_array) &&
	     json_object_object_get_ex(o, "pcr11_direct", NULL)))
		r = errorf(err, err_size, -EINVAL, "%s: not a reference-values file of version 1",
			   path);
	v->n_pcr11 = 0;
	if (r >= 0)
		r = load_values(v, path, arr, false, err, err_size);
	if (r >= 0)
		r = load_values(v, path, json_get(o, "pcr11_direct", json_type_array), true, err,
				err_size);
	if (r >= 0 && json_object_object_get_ex(o, "snp_measurement", NULL))
		r = verifier_load_snp_measurements(v, path, json_get(o, "snp_measurement",
								     json_type_array), err, err_size);
	json_object_put(o);
	return r;
}

int verifier_load_issuer(Verifier *v, const char *cert_path, const char *key_path, char *err,
			 size_t err_size)
{
	_cleanup_fclose_ FILE *c = fopen(cert_path, "re");
	_cleanup_fclose_ FILE *k = fopen(key_path, "re");

	if (!c || !k)
		return errorf(err, err_size, -errno, "%s: %m", !c ? cert_path : key_path);
	v->issuer = PEM_read_X509(c, NULL, NULL, NULL);
	v->issuer_key = PEM_read_PrivateKey(k, NULL, NULL, NULL);
	if (!v->issuer || !v->issuer_key)
		return errorf(err, err_size, -EINVAL, "%s: no PEM %s", !v->issuer ? cert_path : key_path,
			      !v->issuer ? "certificate" : "private key");
	if (X509_check_private_key(v->issuer, v->issuer_key) != 1)
		return errorf(err, err_size, -EINVAL, "%s does not belong to %s", key_path, cert_path);
	return 0;
}

void verifier_done(Verifier *v)
{
	X509_STORE_free(v->ek_roots);
	free(v->ek_allow);
	X509_free(v->issuer);
	EVP_PKEY_free(v->issuer_key);
	X509_free(v->snp.ark);
	X509_free(v->snp.ask);
	explicit_wipe(v->sessions, sizeof(v->sessions));
	explicit_wipe(v->secrets, sizeof(v->secrets));
	*v = (Verifier){ 0 };
}

static void fingerprint(const uint8_t *der, size_t n, uint8_t fp[32], char hex[65])
{
	(void)pcr_hash(PCR_BANK_SHA256, der, n, fp);
	hexify(fp, 32, hex);
}

/* The EK certificate: its chain to a configured root, its key equal to the EK's. */
static int ek_by_cert(Verifier *v, const AttestStart *m, EVP_PKEY *ek, char *identity,
		      size_t id_size, char *err, size_t err_size)
{
	const unsigned char *p = m->ek_cert.p;
	X509 *cert = d2i_X509(NULL, &p, (long)m->ek_cert.n);
	X509_STORE_CTX *ctx = NULL;
	char issuer[96] = "";
	int r = -EPERM;

	if (!cert || p != m->ek_cert.p + m->ek_cert.n) {
		errorf(err, err_size, -EPERM, "EK certificate: not one DER certificate");
		goto out;
	}
	if (!v->ek_roots) {
		errorf(err, err_size, -EPERM, "unknown EK root: no EK roots are configured");
		goto out;
	}
	ctx = X509_STORE_CTX_new();
	if (!ctx || X509_STORE_CTX_init(ctx, v->ek_roots, cert, NULL) != 1) {
		r = -ENOMEM;
		goto out;
	}
	if (X509_verify_cert(ctx) != 1) {
		errorf(err, err_size, -EPERM, "unknown EK root: %s",
		       X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
		goto out;
	}
	if (EVP_PKEY_eq(X509_get0_pubkey(cert), ek) != 1) {
		errorf(err, err_size, -EPERM, "EK public key does not match its certificate");
		goto out;
	}
	X509_NAME_oneline(X509_get_issuer_name(cert), issuer, sizeof(issuer));
	snprintf(identity, id_size, "certificate issued by %s", issuer);
	r = 0;
out:
	X509_STORE_CTX_free(ctx);
	X509_free(cert);
	return r;
}

static int ek_by_allow_list(Verifier *v, const TPM2B_PUBLIC *ek, char *identity, size_t id_size,
			    char *err, size_t err_size)
{
	uint8_t *der = NULL, fp[32];
	size_t n;
	char hex[65];
	int r = tpm_public_to_der(ek, &der, &n);

	if (r < 0)
		return errorf(err, err_size, -EPERM, "EK public key: not an RSA key");
	fingerprint(der, n, fp, hex);
	OPENSSL_free(der);
	for (size_t i = 0; i < v->n_ek_allow; i++)
		if (memcmp(v->ek_allow[i], fp, 32) == 0) {
			snprintf(identity, id_size, "allow-list sha256:%s", hex);
			return 0;
		}
	return errorf(err, err_size, -EPERM,
		      "unknown EK: no certificate and sha256:%s is not on the allow-list", hex);
}

static VerifierSession *session_new(Verifier *v)
{
	VerifierSession *s = NULL;
	unsigned long long now = now_ms();

	/* A free slot (used or expired), else the oldest. */
	for (size_t i = 0; i < VERIFIER_SESSIONS && !s; i++) {
		VerifierSession *c = &v->sessions[(v->next_session + i) % VERIFIER_SESSIONS];
		if (c->used || c->expires_ms <= now)
			s = c;
	}
	if (!s)
		s = &v->sessions[v->next_session];
	v->next_session = (size_t)(s - v->sessions + 1) % VERIFIER_SESSIONS;
	explicit_wipe(s, sizeof(*s));
	s->expires_ms = now + (v->nonce_ttl_ms ?: 60000);
	return s;
}

int verifier_start(Verifier *v, const AttestStart *m, AttestChallenge *ret, char *err,
		   size_t err_size)
{
	TPM2B_PUBLIC ek, ak;
	EVP_PKEY *ek_key = NULL;
	uint8_t name[TPM_PUBLIC_NAME_SIZE], raw[ATTEST_SESSION_HEX / 2];
	char identity[sizeof(((VerifierSession *)0)->ek_identity)];
	const char *why = NULL;
	VerifierSession *s;
	int r;

	*ret = (AttestChallenge){ 0 };
	if (tpm_public_parse(m->ek_pub.p, m->ek_pub.n, &ek) < 0 || !tpm_public_is_ek(&ek, &why))
		return errorf(err, err_size, -EPERM, "EK: %s",
			      why ?: "the EK public area is malformed");
	if (tpm_public_parse(m->ak_pub.p, m->ak_pub.n, &ak) < 0 || !tpm_public_is_ak(&ak, &why))
		return errorf(err, err_size, -EPERM, "attestation key: %s",
			      why ?: "the AK public area is malformed");
	r = tpm_public_to_pkey(&ek, &ek_key);
	if (r < 0)
		return errorf(err, err_size, -EPERM, "EK: not an RSA key");
	r = m->ek_cert.n ? ek_by_cert(v, m, ek_key, identity, sizeof(identity), err, err_size)
			 : ek_by_allow_list(v, &ek, identity, sizeof(identity), err, err_size);
	EVP_PKEY_free(ek_key);
	if (r < 0)
		return r;
	s = session_new(v);
	if (RAND_bytes(raw, sizeof(raw)) != 1 || RAND_bytes(s->nonce, sizeof(s->nonce)) != 1 ||
	    RAND_bytes(s->secret, sizeof(s->secret)) != 1)
		return errorf(err, err_size, -EIO, "no random bytes");
	hexify(raw, sizeof(raw), s->id);
	s->ak = ak;
	s->ek = ek;
	snprintf(s->ek_identity, sizeof(s->ek_identity), "%s", identity);
	r = tpm_public_name(&ak, name);
	if (r >= 0)
		r = tpm_make_credential(&ek, name, s->secret, sizeof(s->secret), &ret->blob.p,
					&ret->blob.n, &ret->secret.p, &ret->secret.n);
	if (r < 0) {
		s->used = true;
		return errorf(err, err_size, r, "MakeCredential failed");
	}
	memcpy(ret->session, s->id, sizeof(ret->session));
	memcpy(ret->nonce, s->nonce, sizeof(ret->nonce));
	return 0;
}
