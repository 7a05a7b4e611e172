/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <tss2/tss2_mu.h>

#include "attest-keys.h"
#include "duplicate.h"
#include "public.h"
#include "tpm-internal.h"
#include "util.h"

#define NV_CHUNK 512

int tpm_ek_cert_read(Tpm *t, uint32_t index, uint8_t **ret, size_t *ret_size)
{
	TPM2B_NV_PUBLIC *nvpub = NULL;
	TPM2B_NAME *name = NULL;
	ESYS_TR nv = ESYS_TR_NONE;
	uint8_t *buf = NULL;
	uint16_t size, off = 0;
	TSS2_RC rc;
	int r = 0;

	rc = Esys_TR_FromTPMPublic(t->esys, index, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &nv);
	if (rc != TSS2_RC_SUCCESS)
		return (rc & 0xfff) == TPM2_RC_HANDLE || (rc & 0xbf) == (TPM2_RC_HANDLE & 0xbf)
			       ? tpm_failf(t, ENOENT, "no EK certificate in NV 0x%08x", index)
			       : tpm_fail(t, "Esys_TR_FromTPMPublic(EK certificate)", rc);
	rc = Esys_NV_ReadPublic(t->esys, nv, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &nvpub, &name);
	if (rc != TSS2_RC_SUCCESS) {
		r = tpm_fail(t, "Esys_NV_ReadPublic", rc);
		goto out;
	}
	size = nvpub->nvPublic.dataSize;
	buf = malloc(size ?: 1);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	while (off < size) {
		TPM2B_MAX_NV_BUFFER *data = NULL;
		uint16_t n = size - off > NV_CHUNK ? NV_CHUNK : size - off;

		rc = Esys_NV_Read(t->esys, nv, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, n,
				  off, &data);
		if (rc != TSS2_RC_SUCCESS) {
			r = tpm_fail(t, "Esys_NV_Read(EK certificate)", rc);
			goto out;
		}
		if (data->size != n) {
			Esys_Free(data);
			r = tpm_failf(t, EIO, "short NV read of the EK certificate");
			goto out;
		}
		memcpy(buf + off, data->buffer, n);
		off += n;
		Esys_Free(data);
	}
	*ret = buf;
	*ret_size = size;
	buf = NULL;
out:
	free(buf);
	Esys_Free(nvpub);
	Esys_Free(name);
	(void)Esys_TR_Close(t->esys, &nv);
	return r;
}

void tpm_attest_keys_done(Tpm *t, TpmAttestKeys *k)
{
	ESYS_TR ek = k->ek, ak = k->ak;

	tpm_flush(t, &ek);
	tpm_flush(t, &ak);
	free(k->ek_pub);
	free(k->ak_pub);
	*k = (TpmAttestKeys){ .ek = ESYS_TR_NONE, .ak = ESYS_TR_NONE };
}

uint32_t tpm_ek_cert_index(TpmEkType type)
{
	return type == TPM_EK_ECC ? TPM_EK_CERT_ECC_NV : TPM_EK_CERT_RSA_NV;
}

TpmEkType tpm_ek_type_from_string(const char *s)
{
	return streq(s, "rsa") ? TPM_EK_RSA : streq(s, "ecc") ? TPM_EK_ECC : _TPM_EK_TYPE_INVALID;
}

/* Whether NV index is defined: 1 yes, 0 no, -errno. */
static int nv_defined(Tpm *t, uint32_t index)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more;
	TSS2_RC rc;
	int r = 0;

	rc = Esys_GetCapability(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				TPM2_CAP_HANDLES, index, 1, &more, &cap);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_fail(t, "Esys_GetCapability(NV)", rc);
	r = cap->data.handles.count == 1 && cap->data.handles.handle[0] == index;
	Esys_Free(cap);
	return r;
}

int tpm_ek_type_auto(Tpm *t, TpmEkType *ret)
{
	int r = nv_defined(t, TPM_EK_CERT_RSA_NV);

	if (r == 0)
		r = nv_defined(t, TPM_EK_CERT_ECC_NV);
	else if (r > 0)
		r = 0; /* the RSA certificate: RSA */
	if (r < 0)
		return r;
	*ret = r > 0 ? TPM_EK_ECC : TPM_EK_RSA;
	return 0;
}

int tpm_attest_keys(Tpm *t, TpmEkType type, TpmAttestKeys *ret)
{
	TpmAttestKeys k = { .ek = ESYS_TR_NONE, .ak = ESYS_TR_NONE };
	TPM2B_PUBLIC *ek_pub = NULL, *ak_pub = NULL;
	ESYS_TR ek = ESYS_TR_NONE, ak = ESYS_TR_NONE;
	int r;

	r = tpm_create_primary_in(t, ESYS_TR_RH_ENDORSEMENT,
				  type == TPM_EK_ECC ? &tpm_ek_ecc_template : &tpm_ek_rsa_template,
				  &ek, &ek_pub);
	k.ek = ek;
	if (r >= 0)
		r = tpm_create_primary_in(t, ESYS_TR_RH_ENDORSEMENT, &tpm_ak_template, &ak, &ak_pub);
	k.ak = ak;
	if (r >= 0)
		r = tpm_public_marshal(ek_pub, &k.ek_pub, &k.ek_pub_size);
	if (r >= 0)
		r = tpm_public_marshal(ak_pub, &k.ak_pub, &k.ak_pub_size);
	Esys_Free(ek_pub);
	Esys_Free(ak_pub);
	if (r < 0) {
		tpm_attest_keys_done(t, &k);
		return r;
	}
	*ret = k;
	return 0;
}

/* The EK's policy: PolicySecret(TPM_RH_ENDORSEMENT) in a policy session. */
static int ek_session(Tpm *t, ESYS_TR *session)
{
	const TPMT_SYM_DEF sym = { .algorithm = TPM2_ALG_NULL };
	TSS2_RC rc;

	rc = Esys_StartAuthSession(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				   ESYS_TR_NONE, NULL, TPM2_SE_POLICY, &sym, TPM2_ALG_SHA256,
				   session);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_fail(t, "Esys_StartAuthSession", rc);
	rc = Esys_PolicySecret(t->esys, ESYS_TR_RH_ENDORSEMENT, *session, ESYS_TR_PASSWORD,
			       ESYS_TR_NONE, ESYS_TR_NONE, NULL, NULL, NULL, 0, NULL, NULL);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_fail(t, "Esys_PolicySecret(endorsement)", rc);
	return 0;
}

int tpm_activate_credential(Tpm *t, const TpmAttestKeys *k, const uint8_t *blob, size_t blob_size,
			    const uint8_t *secret, size_t secret_size, uint8_t out[32],
			    size_t *out_size)
{
	TPM2B_ID_OBJECT id = { 0 };
	TPM2B_ENCRYPTED_SECRET es = { 0 };
	TPM2B_DIGEST *cred = NULL;
	ESYS_TR session = ESYS_TR_NONE;
	size_t off = 0;
	TSS2_RC rc;
	int r = 0;

	if (Tss2_MU_TPM2B_ID_OBJECT_Unmarshal(blob, blob_size, &off, &id) || off != blob_size)
		return tpm_failf(t, EBADMSG, "the credential blob is malformed");
	off = 0;
	if (Tss2_MU_TPM2B_ENCRYPTED_SECRET_Unmarshal(secret, secret_size, &off, &es) ||
	    off != secret_size)
		return tpm_failf(t, EBADMSG, "the credential secret is malformed");
	r = ek_session(t, &session);
	if (r < 0)
		goto out;
	rc = Esys_ActivateCredential(t->esys, k->ak, k->ek, ESYS_TR_PASSWORD, session, ESYS_TR_NONE,
				     &id, &es, &cred);
	if (rc != TSS2_RC_SUCCESS) {
		r = tpm_fail(t, "Esys_ActivateCredential", rc);
		if (r == -EIO || r == -EPERM)
			r = -EBADMSG;
		goto out;
	}
	if (cred->size > 32) {
		r = tpm_failf(t, EBADMSG, "the credential is longer than 32 bytes");
		goto out;
	}
	memcpy(out, cred->buffer, cred->size);
	*out_size = cred->size;
out:
	if (cred)
		explicit_bzero(cred->buffer, sizeof(cred->buffer));
	Esys_Free(cred);
	tpm_flush(t, &session);
	return r;
}

int tpm_attest_quote(Tpm *t, const TpmAttestKeys *k, uint32_t mask, const uint8_t *qualifying,
		     size_t qualifying_size, TpmQuote *q)
{
	TPM2B_PUBLIC pub;
	int r = tpm_public_parse(k->ak_pub, k->ak_pub_size, &pub);

	if (r < 0)
		return tpm_failf(t, -r, "the attestation key's public area is malformed");
	return tpm_quote_key(t, k->ak, &pub, mask, qualifying, qualifying_size, q);
}

/* Import and Load under the EK (each through a fresh EK policy session). */
static int import_load(Tpm *t, const TpmAttestKeys *k, const TPM2B_PUBLIC *pub,
		       const TPM2B_PRIVATE *dup, const TPM2B_ENCRYPTED_SECRET *seed, ESYS_TR *obj)
{
	const TPMT_SYM_DEF_OBJECT none = { .algorithm = TPM2_ALG_NULL };
	const TPM2B_DATA no_key = { 0 };
	TPM2B_PRIVATE *priv = NULL;
	ESYS_TR session = ESYS_TR_NONE;
	TSS2_RC rc;
	int r = ek_session(t, &session);

	if (r < 0)
		goto out;
	rc = Esys_Import(t->esys, k->ek, session, ESYS_TR_NONE, ESYS_TR_NONE, &no_key, pub, dup,
			 seed, &none, &priv);
	if (rc != TSS2_RC_SUCCESS) {
		r = tpm_fail(t, "Esys_Import(released secret)", rc);
		if (r == -EIO || r == -EPERM)
			r = -EBADMSG;
		goto out;
	}
	tpm_flush(t, &session);
	r = ek_session(t, &session);
	if (r < 0)
		goto out;
	rc = Esys_Load(t->esys, k->ek, session, ESYS_TR_NONE, ESYS_TR_NONE, priv, pub, obj);
	if (rc != TSS2_RC_SUCCESS)
		r = tpm_fail(t, "Esys_Load(released secret)", rc);
out:
	Esys_Free(priv);
	tpm_flush(t, &session);
	return r;
}

int tpm_import_unseal(Tpm *t, const TpmAttestKeys *k, const uint8_t *blob, size_t blob_size,
		      uint32_t mask, void *out, size_t *out_size)
{
	TPML_PCR_SELECTION sel = { .count = 1, .pcrSelections[0] = {
		.hash = TPM2_ALG_SHA256, .sizeofSelect = 3,
		.pcrSelect = { mask & 0xff, (mask >> 8) & 0xff, (mask >> 16) & 0xff } } };
	TPM2B_PUBLIC pub;
	TPM2B_PRIVATE dup;
	TPM2B_ENCRYPTED_SECRET seed;
	ESYS_TR obj = ESYS_TR_NONE, session = ESYS_TR_NONE;
	TSS2_RC rc;
	int r;

	if (tpm_duplicate_parse(blob, blob_size, &pub, &dup, &seed) < 0)
		return tpm_failf(t, EBADMSG, "the released secret is malformed");
	r = import_load(t, k, &pub, &dup, &seed, &obj);
	if (r < 0)
		return r;
	/* Salted with the EK, the answer encrypted: the secret does not cross the bus in clear.
	 * PolicyPCR takes the TPM's current values; the unseal compares the result with the
	 * object's authPolicy, the values the verifier appraised. */
	r = tpm_session_start(t, k->ek, TPM2_SE_POLICY, TPMA_SESSION_ENCRYPT, &session);
	if (r < 0)
		goto out;
	rc = Esys_PolicyPCR(t->esys, session, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, NULL, &sel);
	if (rc != TSS2_RC_SUCCESS) {
		r = tpm_fail(t, "Esys_PolicyPCR(released secret)", rc);
		goto out;
	}
	r = tpm_unseal_object(t, obj, &session,
			      "the TPM refused to unseal the released secret (PCRs changed?)", out,
			      out_size);
out:
	tpm_flush(t, &session);
	tpm_flush(t, &obj);
	return r;
}
