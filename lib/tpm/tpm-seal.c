/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The storage key, policies, sealing and unsealing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_sys.h>

#include "epoch.h"
#include "tpm-internal.h"

/* The ECC P-256 storage root key template of the TCG provisioning guidance. */
static const TPM2B_PUBLIC srk_template = {
	.publicArea = {
		.type = TPM2_ALG_ECC,
		.nameAlg = TPM2_ALG_SHA256,
		.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
				    TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
				    TPMA_OBJECT_NODA | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT,
		.parameters.eccDetail = {
			.symmetric = { .algorithm = TPM2_ALG_AES, .keyBits.aes = 128,
				       .mode.aes = TPM2_ALG_CFB },
			.scheme.scheme = TPM2_ALG_NULL,
			.curveID = TPM2_ECC_NIST_P256,
			.kdf.scheme = TPM2_ALG_NULL,
		},
	},
};

static const TPMT_SYM_DEF session_sym = {
	.algorithm = TPM2_ALG_AES, .keyBits.aes = 128, .mode.aes = TPM2_ALG_CFB,
};

static int srk_open(Tpm *t, ESYS_TR *srk, uint8_t name[TPM_NAME_SIZE])
{
	TPM2B_PUBLIC *pub = NULL;
	TPM2B_NAME *n = NULL;
	TSS2_RC rc;
	int r;

	r = tpm_create_primary(t, &srk_template, srk, &pub);
	Esys_Free(pub);
	if (r < 0)
		return r;
	rc = Esys_TR_GetName(t->esys, *srk, &n);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_fail(t, "Esys_TR_GetName", rc);
	if (n->size != TPM_NAME_SIZE)
		r = tpm_failf(t, EIO, "unexpected storage key name size %u", n->size);
	else
		memcpy(name, n->name, TPM_NAME_SIZE);
	Esys_Free(n);
	return r;
}

int tpm_srk_name(Tpm *t, uint8_t name[TPM_NAME_SIZE])
{
	ESYS_TR srk = ESYS_TR_NONE;
	int r = srk_open(t, &srk, name);

	tpm_flush(t, &srk);
	return r;
}

/* Makes the transient SRK persistent at TPM_SRK_HANDLE, or finds it there already, and fills
 * srk->tr. Best effort: another key at the handle, or an owner hierarchy with a password, leaves
 * tr_size 0 (the unseal then recreates the key). */
static void srk_persist(Tpm *t, ESYS_TR transient, TpmSrk *srk)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	ESYS_TR persistent = ESYS_TR_NONE;
	TPM2B_NAME *name = NULL;
	uint8_t *buf = NULL;
	size_t size = 0;
	TPMI_YES_NO more;
	bool present;
	TSS2_RC rc;

	srk->tr_size = 0;
	rc = Esys_GetCapability(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				TPM2_CAP_HANDLES, TPM_SRK_HANDLE, 1, &more, &cap);
	if (rc != TSS2_RC_SUCCESS)
		return;
	present = cap->data.handles.count > 0 && cap->data.handles.handle[0] == TPM_SRK_HANDLE;
	Esys_Free(cap);
	if (present)
		rc = Esys_TR_FromTPMPublic(t->esys, TPM_SRK_HANDLE, ESYS_TR_NONE, ESYS_TR_NONE,
					   ESYS_TR_NONE, &persistent);
	else
		rc = Esys_EvictControl(t->esys, ESYS_TR_RH_OWNER, transient, ESYS_TR_PASSWORD,
				       ESYS_TR_NONE, ESYS_TR_NONE, TPM_SRK_HANDLE, &persistent);
	if (rc != TSS2_RC_SUCCESS)
		return;
	/* The same key (same seed, same template) or none. */
	if (Esys_TR_GetName(t->esys, persistent, &name) == TSS2_RC_SUCCESS &&
	    name->size == TPM_NAME_SIZE && memcmp(name->name, srk->name, TPM_NAME_SIZE) == 0 &&
	    Esys_TR_Serialize(t->esys, persistent, &buf, &size) == TSS2_RC_SUCCESS &&
	    size <= sizeof(srk->tr)) {
		memcpy(srk->tr, buf, size);
		srk->tr_size = size;
	}
	free(buf);
	Esys_Free(name);
	(void)Esys_TR_Close(t->esys, &persistent);
}

/* The SRK for an unseal: the persistent one the token names (no command), whose public area must
 * give the sealed name, else a transient one from CreatePrimary. */
static int srk_for_unseal(Tpm *t, const TpmSrk *srk, bool persistent, ESYS_TR *h)
{
	uint8_t name[TPM_NAME_SIZE];
	TPM2B_NAME *n = NULL;
	TPM2_HANDLE handle = 0;
	int r = 0;

	if (!persistent) {
		r = srk_open(t, h, name);
		if (r >= 0 && memcmp(name, srk->name, TPM_NAME_SIZE) != 0)
			r = tpm_failf(t, EKEYREJECTED, "this TPM's storage key is not the one the "
						       "key was sealed under");
		return r;
	}
	if (Esys_TR_Deserialize(t->esys, srk->tr, srk->tr_size, h) != TSS2_RC_SUCCESS)
		return tpm_failf(t, EBADMSG, "the token's storage key handle is malformed");
	/* ESAPI computes the name from the public area the salt will be encrypted to. */
	if (Esys_TR_GetTpmHandle(t->esys, *h, &handle) != TSS2_RC_SUCCESS ||
	    handle >> TPM2_HR_SHIFT != TPM2_HT_PERSISTENT ||
	    Esys_TR_GetName(t->esys, *h, &n) != TSS2_RC_SUCCESS || n->size != TPM_NAME_SIZE ||
	    memcmp(n->name, srk->name, TPM_NAME_SIZE) != 0)
		r = tpm_failf(t, EBADMSG, "the token's storage key handle is not the key it names");
	Esys_Free(n);
	if (r < 0)
		(void)Esys_TR_Close(t->esys, h);
	return r;
}

int tpm_session_start(Tpm *t, ESYS_TR salt_key, TPM2_SE type, TPMA_SESSION attrs,
			 ESYS_TR *session)
{
	TSS2_RC rc;

	rc = Esys_StartAuthSession(t->esys, salt_key, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				   ESYS_TR_NONE, NULL, type, &session_sym, TPM2_ALG_SHA256,
				   session);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_fail(t, "Esys_StartAuthSession", rc);
	rc = Esys_TRSess_SetAttributes(t->esys, *session, attrs, 0xff);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_fail(t, "Esys_TRSess_SetAttributes", rc);
	return 0;
}

/* The PCR signing key (RSA public key, DER), loaded into the owner hierarchy: a key in the null
 * hierarchy gets null tickets, which PolicyAuthorize refuses. */
static int signing_key_load(Tpm *t, const TpmPolicy *p, ESYS_TR *key, TPM2B_NAME **name)
{
	TPM2B_PUBLIC pub;
	TSS2_RC rc;

	if (key_public_from_der(p->key_der, p->key_der_size, &pub) < 0)
		return tpm_failf(t, EINVAL, "the PCR signing key must be RSA (2048..4096 bits)");
	rc = Esys_LoadExternal(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, NULL, &pub,
			       ESYS_TR_RH_OWNER, key);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_fail(t, "Esys_LoadExternal(PCR signing key)", rc);
	rc = Esys_TR_GetName(t->esys, *key, name);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_fail(t, "Esys_TR_GetName", rc);
	return 0;
}

static void literal_values(const TpmPolicy *p, uint8_t (*v)[32])
{
	size_t n = 0;

	for (unsigned i = 0; i < PCR_COUNT; i++)
		if (p->literal_mask & (1u << i))
			memcpy(v[n++], p->literal_values[i], 32);
}

int tpm_policy_digest(Tpm *t, const TpmPolicy *p, uint8_t digest[32])
{
	uint8_t values[PCR_COUNT][32];
	ESYS_TR key = ESYS_TR_NONE;
	TPM2B_NAME *name = NULL;
	int r;

	r = signing_key_load(t, p, &key, &name);
	tpm_flush(t, &key);
	if (r < 0)
		goto out;
	r = pcr_policy_authorize(digest, name->name, name->size, p->policy_ref, p->policy_ref_size);
	if (r < 0 || p->literal_mask == 0)
		goto out;
	literal_values(p, values);
	r = pcr_policy_pcr(digest, p->literal_mask, (const uint8_t(*)[32])values);
out:
	Esys_Free(name);
	return r;
}

int tpm_seal(Tpm *t, const TpmPolicy *p, const void *secret, size_t size, uint8_t **blob,
	     size_t *blob_size, TpmSrk *srk_out)
{
	TPM2B_SENSITIVE_CREATE in = { 0 };
	TPM2B_PUBLIC tmpl = { 0 };
	const TPM2B_DATA outside = { 0 };
	const TPML_PCR_SELECTION creation_pcr = { 0 };
	TPM2B_PRIVATE *priv = NULL;
	TPM2B_PUBLIC *pub = NULL;
	TPM2B_CREATION_DATA *cd = NULL;
	TPM2B_DIGEST *ch = NULL;
	TPMT_TK_CREATION *ct = NULL;
	ESYS_TR srk = ESYS_TR_NONE, session = ESYS_TR_NONE;
	uint8_t *buf = NULL;
	size_t off = 0, max;
	TSS2_RC rc;
	int r;

	if (size == 0 || size > sizeof(in.sensitive.data.buffer))
		return tpm_failf(t, EINVAL, "a sealed secret holds 1..%zu bytes",
				 sizeof(in.sensitive.data.buffer));
	tmpl.publicArea.type = TPM2_ALG_KEYEDHASH;
	tmpl.publicArea.nameAlg = TPM2_ALG_SHA256;
	/* No userWithAuth: only the policy releases it. noDA: a lockout never bricks the disk. */
	tmpl.publicArea.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
					   TPMA_OBJECT_NODA;
	tmpl.publicArea.parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_NULL;
	tmpl.publicArea.authPolicy.size = 32;

	r = srk_open(t, &srk, srk_out->name);
	if (r < 0)
		goto out;
	srk_persist(t, srk, srk_out);
	r = tpm_policy_digest(t, p, tmpl.publicArea.authPolicy.buffer);
	if (r < 0)
		goto out;
	r = tpm_session_start(t, srk, TPM2_SE_HMAC,
			  TPMA_SESSION_DECRYPT | TPMA_SESSION_CONTINUESESSION, &session);
	if (r < 0)
		goto out;
	in.sensitive.data.size = (UINT16)size;
	memcpy(in.sensitive.data.buffer, secret, size);
	rc = Esys_Create(t->esys, srk, session, ESYS_TR_NONE, ESYS_TR_NONE, &in, &tmpl, &outside,
			 &creation_pcr, &priv, &pub, &cd, &ch, &ct);
	explicit_bzero(&in, sizeof(in));
	if (rc != TSS2_RC_SUCCESS) {
		r = tpm_fail(t, "Esys_Create(sealed key)", rc);
		goto out;
	}
	max = sizeof(*priv) + sizeof(*pub);
	buf = malloc(max);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	if (Tss2_MU_TPM2B_PRIVATE_Marshal(priv, buf, max, &off) != TSS2_RC_SUCCESS ||
	    Tss2_MU_TPM2B_PUBLIC_Marshal(pub, buf, max, &off) != TSS2_RC_SUCCESS) {
		r = tpm_failf(t, EIO, "cannot marshal the sealed object");
		goto out;
	}
	*blob = buf;
	*blob_size = off;
	buf = NULL;
out:
	free(buf);
	Esys_Free(priv);
	Esys_Free(pub);
	Esys_Free(cd);
	Esys_Free(ch);
	Esys_Free(ct);
	tpm_flush(t, &session);
	tpm_flush(t, &srk);
	return r;
}

static TPML_PCR_SELECTION selection(uint32_t mask)
{
	TPML_PCR_SELECTION s = { .count = 1 };

	s.pcrSelections[0].hash = TPM2_ALG_SHA256;
	s.pcrSelections[0].sizeofSelect = 3;
	for (unsigned i = 0; i < PCR_COUNT; i++)
		if (mask & (1u << i))
			s.pcrSelections[0].pcrSelect[i / 8] |= 1u << (i % 8);
	return s;
}

/* PolicyNV: no bit above the image's security epoch is set in the index. */
static int policy_epoch(Tpm *t, ESYS_TR session, const TpmApproval *a)
{
	TPM2B_OPERAND operand = { .size = 8 };
	ESYS_TR nv = ESYS_TR_NONE;
	TSS2_RC rc;
	int r;

	if (a->epoch > EPOCH_MAX)
		return tpm_failf(t, EINVAL, "security epoch %u is above %u", a->epoch, EPOCH_MAX);
	epoch_operand(epoch_bits_above(a->epoch), operand.buffer);
	r = tpm_epoch_open(t, a->nv, &nv);
	if (r < 0)
		return r;
	rc = Esys_PolicyNV(t->esys, nv, nv, session, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
			   &operand, 0, TPM2_EO_BITCLEAR);
	(void)Esys_TR_Close(t->esys, &nv);
	if (rc == TSS2_RC_SUCCESS)
		return 0;
	if ((rc & 0xfff) == TPM2_RC_POLICY)
		return tpm_failf(t, ESTALE, "the node's security epoch is above this image's (%u): "
					    "a newer image was blessed on it", a->epoch);
	if ((rc & (TPM2_RC_FMT1 | 0x3f)) == TPM2_RC_HANDLE || (rc & 0xfff) == TPM2_RC_NV_UNINITIALIZED)
		return tpm_failf(t, ENOENT, "the security-epoch NV index 0x%08x is missing or was "
					    "never written (undefined by the TPM owner?)",
				 EPOCH_NV_INDEX);
	return tpm_fail(t, "Esys_PolicyNV(security epoch)", rc);
}

/* The approved policy's commands after PolicyPCR (TpmApproval). */
static int policy_approved_rest(Tpm *t, ESYS_TR session, const TpmApproval *a)
{
	TSS2_RC rc;
	int r;

	if (a->nv) {
		r = policy_epoch(t, session, a);
		if (r < 0)
			return r;
	}
	if (a->setbits) {
		rc = Esys_PolicyCommandCode(t->esys, session, ESYS_TR_NONE, ESYS_TR_NONE,
					    ESYS_TR_NONE, TPM2_CC_NV_SetBits);
		if (rc != TSS2_RC_SUCCESS)
			return tpm_fail(t, "Esys_PolicyCommandCode", rc);
	}
	if (a->cphash) {
		TPM2B_DIGEST cp = { .size = 32 };

		memcpy(cp.buffer, a->cphash, 32);
		rc = Esys_PolicyCpHash(t->esys, session, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				       &cp);
		if (rc != TSS2_RC_SUCCESS)
			return tpm_fail(t, "Esys_PolicyCpHash", rc);
	}
	return 0;
}

/* The signed part: the TPM checks the signature, then PolicyPCR (+ the approval's other
 * commands) + PolicyAuthorize. */
int tpm_policy_signed(Tpm *t, ESYS_TR session, const TpmPolicy *p, const TpmApproval *a)
{
	const TPM2B_DIGEST empty = { 0 };
	TPM2B_NONCE ref = { .size = (UINT16)p->policy_ref_size };
	TPM2B_DIGEST approved = { .size = 32 }, ahash = { .size = 32 };
	TPMT_SIGNATURE sig = { .sigAlg = TPM2_ALG_RSASSA };
	TPML_PCR_SELECTION sel = selection(a->signed_mask);
	TPMT_TK_VERIFIED *ticket = NULL;
	ESYS_TR key = ESYS_TR_NONE;
	TPM2B_NAME *name = NULL;
	TSS2_RC rc;
	int r;

	if (a->sig_size > sizeof(sig.signature.rsassa.sig.buffer))
		return tpm_failf(t, EBADMSG, "the PCR policy signature is too long");
	if (p->policy_ref_size > sizeof(ref.buffer))
		return tpm_failf(t, EINVAL, "the policyRef is too long");
	if (p->policy_ref_size)
		memcpy(ref.buffer, p->policy_ref, p->policy_ref_size);
	memcpy(approved.buffer, a->policy, 32);
	/* The key signed aHash = H(approved || policyRef); PolicyAuthorize checks the ticket
	 * against the same pair, and extends the session with the ref. */
	r = pcr_policy_ahash(a->policy, ref.buffer, ref.size, ahash.buffer);
	if (r < 0)
		return r;
	sig.signature.rsassa.hash = TPM2_ALG_SHA256;
	sig.signature.rsassa.sig.size = (UINT16)a->sig_size;
	memcpy(sig.signature.rsassa.sig.buffer, a->sig, a->sig_size);

	r = signing_key_load(t, p, &key, &name);
	if (r < 0)
		goto out;
	rc = Esys_VerifySignature(t->esys, key, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &ahash,
				  &sig, &ticket);
	if (rc != TSS2_RC_SUCCESS) {
		r = tpm_fail(t, "the PCR policy signature does not verify with the image's key", rc);
		r = r == -EIO ? r : -EPERM;
		goto out;
	}
	if (a->signed_mask) {
		rc = Esys_PolicyPCR(t->esys, session, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				    &empty, &sel);
		if (rc != TSS2_RC_SUCCESS) {
			r = tpm_fail(t, "Esys_PolicyPCR(signed PCRs)", rc);
			goto out;
		}
	}
	r = policy_approved_rest(t, session, a);
	if (r < 0)
		goto out;
	rc = Esys_PolicyAuthorize(t->esys, session, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				  &approved, &ref, name, ticket);
	if (rc != TSS2_RC_SUCCESS) {
		/* TPM_RC_VALUE: the PCRs now differ from the ones the signature approves. */
		r = tpm_fail(t, "the signed PCRs do not have the values the signature approves", rc);
		r = r == -EIO ? r : -EPERM;
	}
out:
	Esys_Free(ticket);
	Esys_Free(name);
	tpm_flush(t, &key);
	return r;
}

/* ESAPI decrypts an encrypted response parameter in place, in the SAPI context's response buffer,
 * before it unmarshals it: after Unseal the plaintext secret sits there until a later response
 * happens to overwrite it. Wipe the parameter area of the last response. */
void tpm_wipe_response(Tpm *t)
{
	TSS2_SYS_CONTEXT *sys = NULL;
	const uint8_t *rp = NULL;
	size_t n = 0;

	if (Esys_GetSysContext(t->esys, &sys) == TSS2_RC_SUCCESS && sys &&
	    Tss2_Sys_GetRpBuffer(sys, &n, &rp) == TSS2_RC_SUCCESS && rp && n)
		explicit_bzero((void *)rp, n);
}

int tpm_unseal_object(Tpm *t, ESYS_TR obj, ESYS_TR *session, const char *refused, void *out,
		      size_t *out_size)
{
	TPM2B_SENSITIVE_DATA *data = NULL;
	TSS2_RC rc;
	int r = 0;

	rc = Esys_Unseal(t->esys, obj, *session, ESYS_TR_NONE, ESYS_TR_NONE, &data);
	tpm_wipe_response(t);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_fail(t, refused, rc);
	/* Flushed by the TPM (continueSession off): forget it without a command. */
	(void)Esys_TR_Close(t->esys, session);
	*session = ESYS_TR_NONE;
	if (data->size > *out_size)
		r = tpm_failf(t, ENOBUFS, "the unsealed secret is larger than expected");
	else {
		memcpy(out, data->buffer, data->size);
		*out_size = data->size;
	}
	explicit_bzero(data, sizeof(*data));
	Esys_Free(data);
	return r;
}

static int blob_parse(Tpm *t, const uint8_t *blob, size_t size, TPM2B_PRIVATE *priv,
		      TPM2B_PUBLIC *pub)
{
	size_t off = 0;

	if (Tss2_MU_TPM2B_PRIVATE_Unmarshal(blob, size, &off, priv) != TSS2_RC_SUCCESS ||
	    Tss2_MU_TPM2B_PUBLIC_Unmarshal(blob, size, &off, pub) != TSS2_RC_SUCCESS ||
	    off != size)
		return tpm_failf(t, EBADMSG, "the sealed blob is malformed");
	return 0;
}

/* The policy session, the sealed object loaded below srk, Unseal. The session goes away with the
 * Unseal that uses it (continueSession off): the TPM flushes it itself. */
static int unseal_below(Tpm *t, ESYS_TR srk, const TpmPolicy *p, const TpmApproval *a,
			const TPM2B_PRIVATE *priv, const TPM2B_PUBLIC *pub, void *out,
			size_t *out_size)
{
	uint8_t values[PCR_COUNT][32];
	ESYS_TR session = ESYS_TR_NONE, obj = ESYS_TR_NONE;
	TSS2_RC rc;
	int r;

	r = tpm_session_start(t, srk, TPM2_SE_POLICY, TPMA_SESSION_ENCRYPT, &session);
	if (r < 0)
		goto out;
	if (a) {
		r = tpm_policy_signed(t, session, p, a);
		if (r < 0)
			goto out;
	}
	if (p->literal_mask) {
		TPML_PCR_SELECTION sel = selection(p->literal_mask);
		TPM2B_DIGEST want = { .size = 32 };

		literal_values(p, values);
		r = pcr_hash(PCR_BANK_SHA256, values, 32 * (size_t)__builtin_popcount(p->literal_mask),
			     want.buffer);
		if (r < 0)
			goto out;
		/* Passing the expected digest makes a mismatch fail here, with a clear reason. */
		rc = Esys_PolicyPCR(t->esys, session, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				    &want, &sel);
		if (rc != TSS2_RC_SUCCESS) {
			char m[24];
			pcr_mask_format(p->literal_mask, m, sizeof(m));
			r = tpm_fail(t, "PCRs bound by value do not match", rc);
			snprintf(t->err + strlen(t->err), sizeof(t->err) - strlen(t->err),
				 " [PCR %s]", m);
			r = r == -EIO ? r : -EPERM;
			goto out;
		}
	}
	rc = Esys_Load(t->esys, srk, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, priv, pub,
		       &obj);
	if (rc != TSS2_RC_SUCCESS) {
		r = tpm_fail(t, "Esys_Load(sealed key)", rc);
		goto out;
	}
	r = tpm_unseal_object(t, obj, &session, "the TPM refused to unseal the key", out, out_size);
out:
	explicit_bzero(values, sizeof(values));
	tpm_flush(t, &obj);
	tpm_flush(t, &session);
	return r;
}

int tpm_unseal(Tpm *t, const TpmPolicy *p, const TpmApproval *a, const uint8_t *blob,
	       size_t blob_size, const TpmSrk *srk, void *out, size_t *out_size)
{
	bool persistent = srk->tr_size > 0;
	ESYS_TR h = ESYS_TR_NONE;
	TPM2B_PRIVATE priv = { 0 };
	TPM2B_PUBLIC pub = { 0 };
	int r;

	r = blob_parse(t, blob, blob_size, &priv, &pub);
	if (r < 0)
		return r;
	r = srk_for_unseal(t, srk, persistent, &h);
	if (r >= 0)
		r = unseal_below(t, h, p, a, &priv, &pub, out, out_size);
	if (persistent && h != ESYS_TR_NONE)
		(void)Esys_TR_Close(t->esys, &h); /* a persistent handle stays in the TPM */
	else
		tpm_flush(t, &h);
	/* Gone from the persistent handle (a cleared TPM, another TPM, an evicted key): the key
	 * recreated from the seed says whether this TPM can unseal it at all. */
	if (persistent && r < 0 && r != -EPERM && r != -ENOBUFS && r != -ESTALE && r != -ENOENT) {
		r = srk_for_unseal(t, srk, false, &h);
		if (r >= 0)
			r = unseal_below(t, h, p, a, &priv, &pub, out, out_size);
		tpm_flush(t, &h);
	}
	return r;
}
