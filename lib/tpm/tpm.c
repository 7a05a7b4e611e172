/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Opening the TPM, errors, banks, PCR extend and read. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tcti_device.h>
#include <tss2/tss2_tctildr.h>
#include <unistd.h>

#include "tpm-internal.h"

#define TPM_DEFAULT_TCTI "device:/dev/tpmrm0"

static int rc_to_errno(TSS2_RC rc)
{
	if ((rc & TSS2_RC_LAYER_MASK) != TSS2_TPM_RC_LAYER)
		return -EIO;
	if (rc & TPM2_RC_FMT1)
		switch (rc & (TPM2_RC_FMT1 | 0x3f)) {
		case TPM2_RC_POLICY_FAIL:
		case TPM2_RC_SIGNATURE:
		case TPM2_RC_TICKET:
		case TPM2_RC_VALUE:
			return -EPERM;
		case TPM2_RC_INTEGRITY:
		case TPM2_RC_SIZE:
		case TPM2_RC_BINDING:
			return -EBADMSG;
		default:
			return -EIO;
		}
	switch (rc & 0xfff) {
	case TPM2_RC_LOCKOUT:
		return -EBUSY;
	case TPM2_RC_POLICY:
	case TPM2_RC_PCR_CHANGED:
		return -EPERM;
	default:
		return -EIO;
	}
}

int tpm_fail(Tpm *t, const char *what, TSS2_RC rc)
{
	const char *why = Tss2_RC_Decode(rc);

	if ((rc & 0xfff) == TPM2_RC_LOCKOUT)
		why = "the TPM is in dictionary-attack lockout";
	snprintf(t->err, sizeof(t->err), "%s: %s (0x%x)", what, why, rc);
	return rc_to_errno(rc);
}

int tpm_failf(Tpm *t, int error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->err, sizeof(t->err), fmt, ap);
	va_end(ap);
	return -abs(error);
}

unsigned long tpm_commands(const Tpm *t)
{
	return t->n_commands;
}

void tpm_set_wire_hook(Tpm *t, TpmWireHook hook, void *data)
{
	t->hook = hook;
	t->hook_data = data;
}

const char *tpm_error(const Tpm *t)
{
	return t->err[0] ? t->err : "no error";
}

void tpm_flush(Tpm *t, ESYS_TR *h)
{
	if (*h != ESYS_TR_NONE)
		(void)Esys_FlushContext(t->esys, *h);
	*h = ESYS_TR_NONE;
}

/* A device path is opened directly, so PID 1 needs no dlopen()ed TCTI module. */
static int tcti_device(Tpm *t, const char *path, TSS2_TCTI_CONTEXT **ret)
{
	TSS2_TCTI_CONTEXT *tcti;
	size_t size = 0;
	TSS2_RC rc;

	if (access(path, F_OK) < 0)
		return tpm_failf(t, ENODEV, "no TPM: %s: %s", path, strerror(errno));
	rc = Tss2_Tcti_Device_Init(NULL, &size, path);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_fail(t, "Tss2_Tcti_Device_Init", rc);
	tcti = calloc(1, size);
	if (!tcti)
		return -ENOMEM;
	rc = Tss2_Tcti_Device_Init(tcti, &size, path);
	if (rc != TSS2_RC_SUCCESS) {
		free(tcti);
		return tpm_fail(t, path, rc);
	}
	*ret = tcti;
	return 0;
}

static int tpm_new(Tpm **ret)
{
	Tpm *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	*ret = t;
	return 0;
}

static TSS2_RC wire_transmit(TSS2_TCTI_CONTEXT *ctx, size_t size, const uint8_t *cmd)
{
	WireTcti *w = (WireTcti *)ctx;

	w->tpm->n_commands++;
	if (w->tpm->hook)
		w->tpm->hook(false, cmd, size, w->tpm->hook_data);
	return Tss2_Tcti_Transmit(w->inner, size, cmd);
}

static TSS2_RC wire_receive(TSS2_TCTI_CONTEXT *ctx, size_t *size, uint8_t *resp, int32_t timeout)
{
	WireTcti *w = (WireTcti *)ctx;
	TSS2_RC rc = Tss2_Tcti_Receive(w->inner, size, resp, timeout);

	if (rc == TSS2_RC_SUCCESS && resp && w->tpm->hook)
		w->tpm->hook(true, resp, *size, w->tpm->hook_data);
	return rc;
}

static void wire_finalize(TSS2_TCTI_CONTEXT *ctx)
{
	(void)ctx; /* the inner TCTI is finalized by tpm_close() */
}

static TSS2_RC wire_cancel(TSS2_TCTI_CONTEXT *ctx)
{
	return Tss2_Tcti_Cancel(((WireTcti *)ctx)->inner);
}

static TSS2_RC wire_poll(TSS2_TCTI_CONTEXT *ctx, TSS2_TCTI_POLL_HANDLE *h, size_t *n)
{
	return Tss2_Tcti_GetPollHandles(((WireTcti *)ctx)->inner, h, n);
}

static TSS2_RC wire_locality(TSS2_TCTI_CONTEXT *ctx, uint8_t locality)
{
	return Tss2_Tcti_SetLocality(((WireTcti *)ctx)->inner, locality);
}

static TSS2_RC wire_sticky(TSS2_TCTI_CONTEXT *ctx, TPM2_HANDLE *handle, uint8_t sticky)
{
	return Tss2_Tcti_MakeSticky(((WireTcti *)ctx)->inner, handle, sticky);
}

static int tpm_init_esys(Tpm *t)
{
	TSS2_RC rc;

	t->wire = (WireTcti){
		.common = { .v1 = { .magic = 0x6b63632d77697265ULL, .version = 2,
				    .transmit = wire_transmit, .receive = wire_receive,
				    .finalize = wire_finalize, .cancel = wire_cancel,
				    .getPollHandles = wire_poll, .setLocality = wire_locality },
			    .makeSticky = wire_sticky },
		.inner = t->tcti,
		.tpm = t,
	};
	rc = Esys_Initialize(&t->esys, (TSS2_TCTI_CONTEXT *)&t->wire, NULL);

	if (rc != TSS2_RC_SUCCESS)
		return tpm_fail(t, "Esys_Initialize", rc);
	return 0;
}

int tpm_open_tcti(TSS2_TCTI_CONTEXT *tcti, Tpm **ret)
{
	Tpm *t;
	int r = tpm_new(&t);

	if (r < 0)
		return r;
	t->tcti = tcti;
	r = tpm_init_esys(t);
	*ret = t;
	return r;
}

int tpm_open(const char *conf, Tpm **ret)
{
	const char *dev;
	Tpm *t;
	int r;

	if (!conf)
		conf = getenv("KCC_TPM2_TCTI");
	if (!conf || !*conf)
		conf = TPM_DEFAULT_TCTI;
	r = tpm_new(&t);
	if (r < 0)
		return r;
	*ret = t;
	t->own_tcti = true;
	dev = strncmp(conf, "device:", 7) == 0 ? conf + 7 : NULL;
	if (dev)
		r = tcti_device(t, dev, &t->tcti);
	else {
		TSS2_RC rc = Tss2_TctiLdr_Initialize(conf, &t->tcti);
		t->tcti_ldr = rc == TSS2_RC_SUCCESS;
		r = rc == TSS2_RC_SUCCESS ? 0 : tpm_fail(t, conf, rc);
		if (r < 0 && strncmp(conf, "swtpm", 5) == 0)
			r = -ENODEV;
	}
	if (r < 0)
		return r;
	return tpm_init_esys(t);
}

void tpm_close(Tpm *t)
{
	if (!t)
		return;
	if (t->esys)
		Esys_Finalize(&t->esys);
	if (t->own_tcti && t->tcti && t->tcti_ldr)
		Tss2_TctiLdr_Finalize(&t->tcti);
	else if (t->own_tcti && t->tcti) {
		Tss2_Tcti_Finalize(t->tcti);
		free(t->tcti);
	}
	free(t);
}

int tpm_banks(Tpm *t, const PcrBank **banks, size_t max, size_t *n)
{
	if (t->n_banks == 0) {
		TPMS_CAPABILITY_DATA *cap = NULL;
		TPMI_YES_NO more;
		TSS2_RC rc;

		rc = Esys_GetCapability(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
					TPM2_CAP_PCRS, 0, 1, &more, &cap);
		if (rc != TSS2_RC_SUCCESS)
			return tpm_fail(t, "Esys_GetCapability(PCRS)", rc);
		for (uint32_t i = 0; i < cap->data.assignedPCR.count; i++) {
			const TPMS_PCR_SELECTION *s = &cap->data.assignedPCR.pcrSelections[i];
			const PcrBank *b = pcr_bank_by_alg(s->hash);
			bool active = false;

			for (unsigned j = 0; j < s->sizeofSelect; j++)
				active |= s->pcrSelect[j] != 0;
			if (b && active && t->n_banks < PCR_BANKS_MAX)
				t->banks[t->n_banks++] = b;
		}
		Esys_Free(cap);
		if (t->n_banks == 0)
			return tpm_failf(t, ENODEV, "the TPM has no active PCR bank we know");
	}
	if (banks) {
		if (max < t->n_banks)
			return -ENOBUFS;
		memcpy(banks, t->banks, t->n_banks * sizeof(*banks));
	}
	if (n)
		*n = t->n_banks;
	return 0;
}

/* The remembered SHA-256 value follows our extend (or is forgotten without a SHA-256 digest). */
static void pcr_follow(Tpm *t, unsigned pcr, const PcrDigests *d)
{
	if (!(t->pcr_known & (1u << pcr)))
		return;
	for (size_t i = 0; i < d->n; i++)
		if (d->bank[i] == PCR_BANK_SHA256 &&
		    pcr_extend_value(PCR_BANK_SHA256, t->pcr[pcr], d->d[i]) >= 0)
			return;
	t->pcr_known &= ~(1u << pcr);
}

static void pcr_remember(Tpm *t, const PcrBank *bank, unsigned pcr, const uint8_t *value)
{
	if (bank != PCR_BANK_SHA256)
		return;
	memcpy(t->pcr[pcr], value, 32);
	t->pcr_known |= 1u << pcr;
}

void tpm_pcr_forget(Tpm *t)
{
	t->pcr_known = 0;
}

int tpm_extend_digests(Tpm *t, unsigned pcr, const PcrDigests *d)
{
	TPML_DIGEST_VALUES v = { .count = (uint32_t)d->n };
	TSS2_RC rc;
	char what[48];

	if (pcr >= PCR_COUNT || d->n == 0 || d->n > TPM2_NUM_PCR_BANKS)
		return tpm_failf(t, EINVAL, "bad PCR extend request");
	for (size_t i = 0; i < d->n; i++) {
		v.digests[i].hashAlg = d->bank[i]->alg;
		memcpy(&v.digests[i].digest, d->d[i], d->bank[i]->size);
	}
	rc = Esys_PCR_Extend(t->esys, ESYS_TR_PCR0 + pcr, ESYS_TR_PASSWORD, ESYS_TR_NONE,
			     ESYS_TR_NONE, &v);
	if (rc != TSS2_RC_SUCCESS) {
		t->pcr_known &= ~(1u << pcr); /* it may or may not have happened */
		snprintf(what, sizeof(what), "Esys_PCR_Extend(%u)", pcr);
		return tpm_fail(t, what, rc);
	}
	pcr_follow(t, pcr, d);
	return 0;
}

int tpm_extend(Tpm *t, unsigned pcr, const void *data, size_t len, PcrDigests *digests_out)
{
	PcrDigests d = { 0 };
	int r;

	r = tpm_banks(t, d.bank, PCR_BANKS_MAX, &d.n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < d.n; i++) {
		r = pcr_hash(d.bank[i], data, len, d.d[i]);
		if (r < 0)
			return tpm_failf(t, -r, "cannot hash with %s", d.bank[i]->name);
	}
	r = tpm_extend_digests(t, pcr, &d);
	if (r >= 0 && digests_out)
		*digests_out = d;
	return r;
}

int tpm_pcr_read(Tpm *t, const PcrBank *bank, unsigned pcr, uint8_t value[PCR_DIGEST_MAX])
{
	TPML_PCR_SELECTION sel = { .count = 1 };
	TPML_PCR_SELECTION *sel_out = NULL;
	TPML_DIGEST *vals = NULL;
	UINT32 counter;
	TSS2_RC rc;
	int r = 0;

	if (pcr >= PCR_COUNT)
		return tpm_failf(t, EINVAL, "no PCR %u", pcr);
	sel.pcrSelections[0].hash = bank->alg;
	sel.pcrSelections[0].sizeofSelect = 3;
	sel.pcrSelections[0].pcrSelect[pcr / 8] = 1u << (pcr % 8);
	rc = Esys_PCR_Read(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &sel, &counter,
			   &sel_out, &vals);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_fail(t, "Esys_PCR_Read", rc);
	if (vals->count != 1 || vals->digests[0].size != bank->size)
		r = tpm_failf(t, ENOENT, "PCR %u has no %s value", pcr, bank->name);
	else {
		memcpy(value, vals->digests[0].buffer, bank->size);
		pcr_remember(t, bank, pcr, value);
	}
	Esys_Free(sel_out);
	Esys_Free(vals);
	return r;
}

/* One PCR_Read of what is left in want[] (a PCR mask per bank, as tpm_banks() orders them);
 * clears what the TPM answered. */
static int pcr_read_round(Tpm *t, uint32_t want[PCR_BANKS_MAX], PcrDigests values[PCR_COUNT])
{
	TPML_PCR_SELECTION sel = { 0 }, *sel_out = NULL;
	TPML_DIGEST *vals = NULL;
	size_t k = 0, got = 0;
	UINT32 counter;
	TSS2_RC rc;
	int r = 0;

	for (size_t b = 0; b < t->n_banks; b++) {
		TPMS_PCR_SELECTION *s = &sel.pcrSelections[sel.count++];
		s->hash = t->banks[b]->alg;
		s->sizeofSelect = 3;
		for (unsigned i = 0; i < PCR_COUNT; i++)
			if (want[b] & (1u << i))
				s->pcrSelect[i / 8] |= 1u << (i % 8);
	}
	rc = Esys_PCR_Read(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &sel, &counter,
			   &sel_out, &vals);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_fail(t, "Esys_PCR_Read", rc);
	/* The digests come bank by bank as sel_out lists them, lowest PCR first. */
	for (uint32_t j = 0; r >= 0 && j < sel_out->count; j++) {
		const TPMS_PCR_SELECTION *s = &sel_out->pcrSelections[j];
		size_t b = 0;

		while (b < t->n_banks && t->banks[b]->alg != s->hash)
			b++;
		for (unsigned i = 0; r >= 0 && i < PCR_COUNT && i / 8 < s->sizeofSelect; i++) {
			if (!(s->pcrSelect[i / 8] & (1u << (i % 8))))
				continue;
			if (b == t->n_banks || k >= vals->count || !(want[b] & (1u << i)) ||
			    vals->digests[k].size != t->banks[b]->size) {
				r = tpm_failf(t, EIO, "the TPM answered PCR_Read with other PCRs");
				break;
			}
			memcpy(values[i].d[b], vals->digests[k++].buffer, t->banks[b]->size);
			pcr_remember(t, t->banks[b], i, values[i].d[b]);
			want[b] &= ~(1u << i);
			got++;
		}
	}
	if (r >= 0 && got == 0)
		r = tpm_failf(t, ENOENT, "the TPM has no value for some PCRs asked for");
	Esys_Free(sel_out);
	Esys_Free(vals);
	return r;
}

int tpm_pcr_read_banks(Tpm *t, uint32_t mask, PcrDigests values[PCR_COUNT])
{
	uint32_t want[PCR_BANKS_MAX] = { 0 }, left;
	int r;

	if (mask >> PCR_COUNT)
		return tpm_failf(t, EINVAL, "no PCR above %u", PCR_COUNT - 1);
	r = tpm_banks(t, NULL, 0, NULL);
	if (r < 0)
		return r;
	for (unsigned i = 0; i < PCR_COUNT; i++) {
		values[i].n = t->n_banks;
		memcpy(values[i].bank, t->banks, sizeof(t->banks));
	}
	for (size_t b = 0; b < t->n_banks; b++)
		want[b] = mask;
	do {
		r = pcr_read_round(t, want, values);
		left = 0;
		for (size_t b = 0; b < t->n_banks; b++)
			left |= want[b];
	} while (r >= 0 && left);
	return r;
}

int tpm_pcr_values(Tpm *t, uint32_t mask, uint8_t (*values)[32], bool *remembered)
{
	uint32_t missing = mask & ~t->pcr_known;
	TPML_PCR_SELECTION sel = { .count = 1 }, *sel_out = NULL;
	TPML_DIGEST *vals = NULL;
	UINT32 counter;
	size_t k = 0, n = 0;
	TSS2_RC rc;
	int r = 0;

	if (mask >> PCR_COUNT)
		return tpm_failf(t, EINVAL, "no PCR above %u", PCR_COUNT - 1);
	if (remembered)
		*remembered = (mask & t->pcr_known) != 0;
	if (missing) {
		/* At most 8 digests per answer: the SHA-256 PCRs kcc-node binds are fewer. */
		if (__builtin_popcount(missing) > 8)
			return tpm_failf(t, EINVAL, "too many PCRs for one PCR_Read");
		sel.pcrSelections[0].hash = TPM2_ALG_SHA256;
		sel.pcrSelections[0].sizeofSelect = 3;
		for (unsigned i = 0; i < PCR_COUNT; i++)
			if (missing & (1u << i))
				sel.pcrSelections[0].pcrSelect[i / 8] |= 1u << (i % 8);
		rc = Esys_PCR_Read(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &sel,
				   &counter, &sel_out, &vals);
		if (rc != TSS2_RC_SUCCESS)
			return tpm_fail(t, "Esys_PCR_Read", rc);
		if (sel_out->count != 1 || sel_out->pcrSelections[0].hash != TPM2_ALG_SHA256 ||
		    memcmp(sel_out->pcrSelections[0].pcrSelect, sel.pcrSelections[0].pcrSelect, 3) ||
		    vals->count != (uint32_t)__builtin_popcount(missing))
			r = tpm_failf(t, ENOENT, "the TPM has no SHA-256 value for some PCRs");
		for (unsigned i = 0; r >= 0 && i < PCR_COUNT; i++)
			if (missing & (1u << i)) {
				if (vals->digests[k].size != 32) {
					r = tpm_failf(t, EIO, "a SHA-256 PCR value of another size");
					break;
				}
				pcr_remember(t, PCR_BANK_SHA256, i, vals->digests[k++].buffer);
			}
		Esys_Free(sel_out);
		Esys_Free(vals);
		if (r < 0)
			return r;
	}
	for (unsigned i = 0; i < PCR_COUNT; i++)
		if (mask & (1u << i))
			memcpy(values[n++], t->pcr[i], 32);
	return 0;
}

int tpm_create_primary(Tpm *t, const TPM2B_PUBLIC *template, ESYS_TR *handle, TPM2B_PUBLIC **pub)
{
	return tpm_create_primary_in(t, ESYS_TR_RH_OWNER, template, handle, pub);
}

int tpm_create_primary_in(Tpm *t, ESYS_TR hierarchy, const TPM2B_PUBLIC *template,
			  ESYS_TR *handle, TPM2B_PUBLIC **pub)
{
	const TPM2B_SENSITIVE_CREATE sens = { 0 };
	const TPM2B_DATA outside = { 0 };
	const TPML_PCR_SELECTION creation_pcr = { 0 };
	TPM2B_CREATION_DATA *cd = NULL;
	TPM2B_DIGEST *ch = NULL;
	TPMT_TK_CREATION *ct = NULL;
	TSS2_RC rc;

	rc = Esys_CreatePrimary(t->esys, hierarchy, ESYS_TR_PASSWORD, ESYS_TR_NONE,
				ESYS_TR_NONE, &sens, template, &outside, &creation_pcr, handle, pub,
				&cd, &ch, &ct);
	Esys_Free(cd);
	Esys_Free(ch);
	Esys_Free(ct);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_fail(t, "Esys_CreatePrimary", rc);
	return 0;
}
