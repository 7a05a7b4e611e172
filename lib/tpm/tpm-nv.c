/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The security-epoch NV index (epoch.h): define, read, set bits. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "epoch.h"
#include "tpm-internal.h"

static bool rc_is_handle(TSS2_RC rc)
{
	return (rc & TPM2_RC_FMT1) && (rc & (TPM2_RC_FMT1 | 0x3f)) == TPM2_RC_HANDLE;
}

static bool name_is(Tpm *t, ESYS_TR h, const uint8_t want[EPOCH_NAME_SIZE])
{
	TPM2B_NAME *n = NULL;
	bool same = Esys_TR_GetName(t->esys, h, &n) == TSS2_RC_SUCCESS &&
		    n->size == EPOCH_NAME_SIZE && memcmp(n->name, want, EPOCH_NAME_SIZE) == 0;

	Esys_Free(n);
	return same;
}

/* The index as the TPM has it now (one NV_ReadPublic); -ENOENT if it is not defined. */
static int lookup(Tpm *t, ESYS_TR *h)
{
	TSS2_RC rc = Esys_TR_FromTPMPublic(t->esys, EPOCH_NV_INDEX, ESYS_TR_NONE, ESYS_TR_NONE,
					   ESYS_TR_NONE, h);

	if (rc == TSS2_RC_SUCCESS)
		return 0;
	*h = ESYS_TR_NONE;
	if (rc_is_handle(rc))
		return tpm_failf(t, ENOENT, "the security-epoch NV index 0x%08x is not defined",
				 EPOCH_NV_INDEX);
	return tpm_fail(t, "Esys_TR_FromTPMPublic(security-epoch index)", rc);
}

int tpm_epoch_open(Tpm *t, const TpmSrk *nv, ESYS_TR *h)
{
	TPM2_HANDLE handle = 0;
	int r;

	if (nv->tr_size) {
		if (Esys_TR_Deserialize(t->esys, nv->tr, nv->tr_size, h) != TSS2_RC_SUCCESS)
			return tpm_failf(t, EBADMSG, "the token's security-epoch index handle is "
						     "malformed");
	} else {
		r = lookup(t, h);
		if (r < 0)
			return r;
	}
	if (Esys_TR_GetTpmHandle(t->esys, *h, &handle) != TSS2_RC_SUCCESS ||
	    handle != EPOCH_NV_INDEX || !name_is(t, *h, nv->name)) {
		(void)Esys_TR_Close(t->esys, h);
		return tpm_failf(t, EBADMSG, "the security-epoch NV index is not the one the key "
					     "was sealed with");
	}
	return 0;
}

int tpm_epoch_read(Tpm *t, uint64_t *bits)
{
	TPM2B_MAX_NV_BUFFER *data = NULL;
	ESYS_TR h;
	TSS2_RC rc;
	int r = lookup(t, &h);

	if (r < 0)
		return r;
	rc = Esys_NV_Read(t->esys, h, h, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, 8, 0, &data);
	(void)Esys_TR_Close(t->esys, &h);
	if ((rc & 0xfff) == TPM2_RC_NV_UNINITIALIZED)
		return tpm_failf(t, ENODATA, "the security-epoch NV index was never written");
	if (rc != TSS2_RC_SUCCESS)
		return tpm_fail(t, "Esys_NV_Read(security-epoch index)", rc);
	r = data->size == 8 ? 0 : tpm_failf(t, EIO, "the security-epoch index holds %u bytes",
					     data->size);
	*bits = 0;
	for (unsigned i = 0; r == 0 && i < 8; i++)
		*bits = *bits << 8 | data->buffer[i];
	Esys_Free(data);
	return r;
}

/* NV_SetBits in a policy session that satisfies the index's authPolicy with approval a. */
static int write_bits(Tpm *t, const uint8_t *key_der, size_t key_der_size, const TpmApproval *a,
		      ESYS_TR h, uint64_t bits)
{
	const TpmPolicy p = { .key_der = key_der, .key_der_size = key_der_size,
			      .policy_ref = (const uint8_t *)EPOCH_WRITE_REF,
			      .policy_ref_size = EPOCH_WRITE_REF_SIZE };
	ESYS_TR session = ESYS_TR_NONE;
	TSS2_RC rc;
	int r;

	r = tpm_session_start(t, ESYS_TR_NONE, TPM2_SE_POLICY, 0, &session);
	if (r >= 0)
		r = tpm_policy_signed(t, session, &p, a);
	if (r < 0)
		goto out;
	rc = Esys_NV_SetBits(t->esys, h, h, session, ESYS_TR_NONE, ESYS_TR_NONE, bits);
	if (rc != TSS2_RC_SUCCESS) {
		r = tpm_fail(t, "the TPM refused to set the security-epoch bits", rc);
		r = r == -EIO ? r : -EPERM;
		goto out;
	}
	/* continueSession off: the TPM flushed it. */
	(void)Esys_TR_Close(t->esys, &session);
	session = ESYS_TR_NONE;
out:
	tpm_flush(t, &session);
	return r;
}

int tpm_epoch_define(Tpm *t, const uint8_t *key_der, size_t key_der_size, const TpmApproval *init,
		     TpmSrk *nv)
{
	uint8_t n0[EPOCH_NAME_SIZE], n1[EPOCH_NAME_SIZE], *buf = NULL;
	const TPM2B_AUTH empty = { 0 };
	TPM2B_NV_PUBLIC pub;
	ESYS_TR h = ESYS_TR_NONE;
	size_t size = 0;
	TSS2_RC rc;
	int r;

	if (epoch_nv_public(key_der, key_der_size, false, &pub) < 0 ||
	    epoch_nv_name(key_der, key_der_size, false, n0) < 0 ||
	    epoch_nv_name(key_der, key_der_size, true, n1) < 0)
		return tpm_failf(t, EINVAL, "the PCR signing key must be RSA (2048..4096 bits)");
	memset(nv, 0, sizeof(*nv));
	memcpy(nv->name, n1, EPOCH_NAME_SIZE);
	r = lookup(t, &h);
	if (r == -ENOENT) {
		rc = Esys_NV_DefineSpace(t->esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE,
					 ESYS_TR_NONE, &empty, &pub, &h);
		if (rc != TSS2_RC_SUCCESS)
			return tpm_fail(t, "Esys_NV_DefineSpace(security-epoch index)", rc);
		r = 0;
	}
	if (r < 0)
		return r;
	/* Defined but never written (provisioning cut short): the bit-less first write. */
	if (name_is(t, h, n0))
		r = write_bits(t, key_der, key_der_size, init, h, 0);
	if (r >= 0 && !name_is(t, h, n1))
		r = tpm_failf(t, EEXIST, "another NV index is at 0x%08x (not the security-epoch "
					 "index of this PCR signing key); refusing to touch it",
			      EPOCH_NV_INDEX);
	if (r >= 0 && (Esys_TR_Serialize(t->esys, h, &buf, &size) != TSS2_RC_SUCCESS ||
		       size > sizeof(nv->tr)))
		r = tpm_failf(t, EIO, "cannot serialize the security-epoch index handle");
	if (r >= 0) {
		memcpy(nv->tr, buf, size);
		nv->tr_size = size;
	}
	free(buf);
	(void)Esys_TR_Close(t->esys, &h);
	return r;
}

int tpm_epoch_set(Tpm *t, const uint8_t *key_der, size_t key_der_size, const TpmApproval *a,
		  uint64_t bits)
{
	uint8_t n1[EPOCH_NAME_SIZE];
	ESYS_TR h;
	int r;

	if (epoch_nv_name(key_der, key_der_size, true, n1) < 0)
		return tpm_failf(t, EINVAL, "the PCR signing key must be RSA (2048..4096 bits)");
	r = lookup(t, &h);
	if (r < 0)
		return r;
	if (!name_is(t, h, n1))
		r = tpm_failf(t, EEXIST, "the NV index at 0x%08x is not the security-epoch index "
					 "of this PCR signing key", EPOCH_NV_INDEX);
	else
		r = write_bits(t, key_der, key_der_size, a, h, bits);
	(void)Esys_TR_Close(t->esys, &h);
	return r;
}
