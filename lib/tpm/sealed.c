/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "epoch.h"
#include "json-get.h"
#include "pcrsig.h"
#include "sealed.h"
#include "tpm-internal.h"

void sealed_done(Sealed *s)
{
	free(s->blob);
	explicit_bzero(s, sizeof(*s));
}

static json_object *mask_array(uint32_t mask)
{
	json_object *a = json_object_new_array();

	for (int i = 0; i < PCR_COUNT; i++)
		if (mask & (1u << i))
			json_object_array_add(a, json_object_new_int(i));
	return a;
}

static void add_hex(json_object *obj, const char *key, const uint8_t *p, size_t n)
{
	char hex[2 * 64 + 1];

	hexify(p, n, hex);
	json_object_object_add(obj, key, json_object_new_string(hex));
}

/* A serialized ESYS_TR as base64, when there is one. */
static int add_tr(json_object *obj, const char *key, const TpmSrk *h)
{
	char *b64;

	if (!h->tr_size)
		return 0;
	b64 = b64_encode(h->tr, h->tr_size);
	if (!b64)
		return -ENOMEM;
	json_object_object_add(obj, key, json_object_new_string(b64));
	free(b64);
	return 0;
}

int sealed_to_json(const Sealed *s, json_object *obj)
{
	json_object *lit = json_object_new_object();
	char *b64 = b64_encode(s->blob, s->blob_size);

	if (!b64 || !lit)
		return -ENOMEM;
	json_object_object_add(obj, "kcc-blob", json_object_new_string(b64));
	free(b64);
	add_hex(obj, "kcc-srk", s->srk.name, TPM_NAME_SIZE);
	if (add_tr(obj, "kcc-srk-tr", &s->srk) < 0)
		return -ENOMEM;
	add_hex(obj, "kcc-pkfp", s->pkfp, 32);
	add_hex(obj, "kcc-policy", s->policy, 32);
	json_object_object_add(obj, "kcc-signed-pcrs", mask_array(s->signed_mask));
	json_object_object_add(obj, "kcc-policy-ref",
			       json_object_new_string(s->epoch ? EPOCH_POLICY_REF : PCR_POLICY_REF));
	if (s->epoch) {
		add_hex(obj, "kcc-epoch-nv", s->nv.name, TPM_NAME_SIZE);
		if (add_tr(obj, "kcc-epoch-nv-tr", &s->nv) < 0)
			return -ENOMEM;
	}
	for (int i = 0; i < PCR_COUNT; i++)
		if (s->literal_mask & (1u << i)) {
			char k[4];
			snprintf(k, sizeof(k), "%d", i);
			add_hex(lit, k, s->literal_values[i], 32);
		}
	json_object_object_add(obj, "kcc-literal", lit);
	return 0;
}

static int get_hex(json_object *obj, const char *key, uint8_t *out, size_t n)
{
	const char *v = json_get_str(obj, key);

	return v && unhexify(v, out, n) >= 0 ? 0 : -EBADMSG;
}

/* An optional serialized ESYS_TR. */
static int get_tr(json_object *obj, const char *key, TpmSrk *h)
{
	json_object *v = json_get(obj, key, json_type_string);
	const char *t64 = v ? json_object_get_string(v) : NULL;
	uint8_t *tr = NULL;
	size_t n = 0;

	if (!v)
		return 0;
	if (strlen(t64) > 4 * TPM_SRK_TR_MAX / 3 + 4 || b64_decode(t64, &tr, &n) < 0 || n == 0 ||
	    n > sizeof(h->tr)) {
		free(tr);
		return -EBADMSG;
	}
	memcpy(h->tr, tr, n);
	h->tr_size = n;
	free(tr);
	return 0;
}

int sealed_from_json(json_object *obj, Sealed *s, char *err, size_t err_size)
{
	json_object *v, *lit;
	const char *b64;

	memset(s, 0, sizeof(*s));
#define BAD(what) (snprintf(err, err_size, "%s", what), sealed_done(s), -EBADMSG)
	if (!json_object_is_type(obj, json_type_object))
		return BAD("not a JSON object");
	b64 = json_get_str(obj, "kcc-blob");
	if (!b64)
		return BAD("no kcc-blob");
	if (strlen(b64) > 8192 || b64_decode(b64, &s->blob, &s->blob_size) < 0)
		return BAD("kcc-blob is not base64");
	if (get_hex(obj, "kcc-srk", s->srk.name, TPM_NAME_SIZE) < 0)
		return BAD("kcc-srk missing or malformed");
	if (get_tr(obj, "kcc-srk-tr", &s->srk) < 0)
		return BAD("kcc-srk-tr is not a base64 ESYS_TR");
	if (get_hex(obj, "kcc-pkfp", s->pkfp, 32) < 0)
		return BAD("kcc-pkfp missing or malformed");
	if (get_hex(obj, "kcc-policy", s->policy, 32) < 0)
		return BAD("kcc-policy missing or malformed");
	v = json_get(obj, "kcc-signed-pcrs", json_type_array);
	if (!v)
		return BAD("kcc-signed-pcrs missing");
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		int p;
		if (json_array_int(v, i, &p) < 0 || p < 0 || p >= PCR_COUNT)
			return BAD("kcc-signed-pcrs out of range");
		s->signed_mask |= 1u << p;
	}
	if (s->signed_mask != SEALED_SIGNED_UKI && s->signed_mask != SEALED_SIGNED_DIRECT)
		return BAD("kcc-signed-pcrs must be [4,11] or [11]");
	/* Sealed with an empty policyRef (before v2): any policy the key ever signed unseals it. */
	v = json_get(obj, "kcc-policy-ref", json_type_string);
	s->epoch = v && strcmp(json_object_get_string(v), EPOCH_POLICY_REF) == 0;
	if (!s->epoch && (!v || strcmp(json_object_get_string(v), PCR_POLICY_REF) != 0))
		return BAD("kcc-policy-ref is not " PCR_POLICY_REF
			   " (sealed under an empty policyRef before v2: re-provision)");
	if (s->epoch && (get_hex(obj, "kcc-epoch-nv", s->nv.name, TPM_NAME_SIZE) < 0 ||
			 get_tr(obj, "kcc-epoch-nv-tr", &s->nv) < 0))
		return BAD("kcc-epoch-nv missing or malformed");
	lit = json_get(obj, "kcc-literal", json_type_object);
	if (!lit)
		return BAD("kcc-literal missing");
	json_object_object_foreach(lit, key, val)
	{
		const char *hex = json_str(val);
		char *end;
		long p = strtol(key, &end, 10);

		if (*end || end == key || p < 0 || p >= PCR_COUNT || !hex ||
		    (s->signed_mask & (1u << p)) || unhexify(hex, s->literal_values[p], 32) < 0)
			return BAD("kcc-literal has a bad entry");
		s->literal_mask |= 1u << p;
	}
	if (!(s->literal_mask & SEALED_ZERO_PCRS))
		return BAD("kcc-literal lacks PCR 15");
	return 0;
#undef BAD
}

static void policy_from(const Sealed *s, const uint8_t *der, size_t der_size, TpmPolicy *p)
{
	*p = (TpmPolicy){ .key_der = der, .key_der_size = der_size,
			  .policy_ref = (const uint8_t *)(s->epoch ? EPOCH_POLICY_REF : PCR_POLICY_REF),
			  .policy_ref_size = s->epoch ? EPOCH_POLICY_REF_SIZE : PCR_POLICY_REF_SIZE,
			  .literal_mask = s->literal_mask };
	memcpy(p->literal_values, s->literal_values, sizeof(p->literal_values));
}

int sealed_epoch_define(Tpm *t, const uint8_t *key_der, size_t key_der_size, uint32_t signed_mask,
			const char *sig_json, TpmSrk *nv)
{
	uint8_t fp[32], cp[32], pol[32] = { 0 }, *sig = NULL;
	size_t sig_size = 0;
	unsigned e;
	uint64_t bits;
	int r;

	if (pcr_key_fingerprint(key_der, key_der_size, fp) < 0 ||
	    epoch_init_cphash(key_der, key_der_size, cp) < 0 || epoch_policy_init(pol, cp) < 0)
		return tpm_failf(t, EINVAL, "the PCR signing key cannot be read");
	r = pcrsig_epoch(sig_json, signed_mask, fp, &e);
	if (r < 0)
		return tpm_failf(t, r == -EBADMSG ? EBADMSG : ENOENT,
				 "the image's signed policy has no security epoch (signed before "
				 "anti-rollback)");
	r = pcrsig_find_in(sig_json, PCRSIG_EPOCH_WRITE, 0, fp, pol, &sig, &sig_size);
	if (r < 0)
		return tpm_failf(t, r == -EBADMSG ? EBADMSG : ENOENT,
				 "the image's signed policy has no approval to define the "
				 "security-epoch index");
	{
		TpmApproval a = { .sig = sig, .sig_size = sig_size, .cphash = cp };

		memcpy(a.policy, pol, 32);
		r = tpm_epoch_define(t, key_der, key_der_size, &a, nv);
	}
	free(sig);
	if (r < 0)
		return r;
	r = tpm_epoch_read(t, &bits);
	if (r < 0)
		return r;
	if (bits & epoch_bits_above(e))
		return tpm_failf(t, ESTALE, "this image's security epoch %u is below the node's %u",
				 e, epoch_of_bits(bits));
	return 0;
}

/* Seals secret under the policy out already describes (signed PCRs, literal values, epoch). */
static int seal_under(Tpm *t, const uint8_t *key_der, size_t key_der_size, const void *secret,
		      size_t size, Sealed *out)
{
	TpmPolicy p;
	int r;

	r = pcr_key_fingerprint(key_der, key_der_size, out->pkfp);
	if (r < 0)
		return r;
	policy_from(out, key_der, key_der_size, &p);
	r = tpm_policy_digest(t, &p, out->policy);
	if (r < 0)
		return r;
	r = tpm_seal(t, &p, secret, size, &out->blob, &out->blob_size, &out->srk);
	if (r < 0)
		sealed_done(out);
	return r;
}

int sealed_create(Tpm *t, const uint8_t *key_der, size_t key_der_size, uint32_t signed_mask,
		  uint32_t extra_literal, const TpmSrk *nv, const void *secret, size_t size,
		  Sealed *out)
{
	int r;

	memset(out, 0, sizeof(*out));
	if (nv) {
		out->epoch = true;
		out->nv = *nv;
	}
	if (signed_mask != SEALED_SIGNED_UKI && signed_mask != SEALED_SIGNED_DIRECT)
		return tpm_failf(t, EINVAL, "the signed PCRs must be 4+11 or 11");
	out->signed_mask = signed_mask;
	out->literal_mask = SEALED_ZERO_PCRS | (extra_literal & ~signed_mask);
	for (unsigned i = 0; i < PCR_COUNT; i++)
		if ((out->literal_mask & (1u << i)) && i != 15) {
			uint8_t v[PCR_DIGEST_MAX];
			r = tpm_pcr_read(t, PCR_BANK_SHA256, i, v);
			if (r < 0)
				return r;
			memcpy(out->literal_values[i], v, 32);
		}
	return seal_under(t, key_der, key_der_size, secret, size, out);
}

int sealed_reseal(Tpm *t, const Sealed *like, const uint8_t *key_der, size_t key_der_size,
		  const void *secret, size_t size, Sealed *out)
{
	memset(out, 0, sizeof(*out));
	out->epoch = like->epoch;
	out->nv = like->nv;
	out->signed_mask = like->signed_mask;
	out->literal_mask = like->literal_mask;
	memcpy(out->literal_values, like->literal_values, sizeof(out->literal_values));
	return seal_under(t, key_der, key_der_size, secret, size, out);
}

/* The image's key must be the one the secret was sealed to. */
static int check_key(Tpm *t, const Sealed *s, const uint8_t *key_der, size_t key_der_size,
		     uint8_t fp[32])
{
	if (pcr_key_fingerprint(key_der, key_der_size, fp) < 0)
		return tpm_failf(t, EINVAL, "the PCR signing key cannot be read");
	if (memcmp(fp, s->pkfp, 32) != 0)
		return tpm_failf(t, ENOKEY,
				 "the image's PCR signing key is not the key this secret is sealed to");
	return 0;
}

int sealed_open_approved(Tpm *t, const Sealed *s, const uint8_t *key_der, size_t key_der_size,
			 const uint8_t pol[32], const uint8_t *sig, size_t sig_size, unsigned epoch,
			 void *out, size_t *out_size)
{
	TpmApproval a = { .signed_mask = s->signed_mask, .sig = sig, .sig_size = sig_size,
			  .nv = s->epoch ? &s->nv : NULL, .epoch = epoch };
	uint8_t fp[32];
	TpmPolicy p;
	int r;

	r = check_key(t, s, key_der, key_der_size, fp);
	if (r < 0)
		return r;
	memcpy(a.policy, pol, 32);
	policy_from(s, key_der, key_der_size, &p);
	return tpm_unseal(t, &p, &a, s->blob, s->blob_size, &s->srk, out, out_size);
}

/* One try with the PCR values the Tpm knows (read, or followed through its own extends). */
static int open_current(Tpm *t, const Sealed *s, const uint8_t *key_der, size_t key_der_size,
			const char *sig_json, void *out, size_t *out_size, bool *remembered)
{
	uint8_t fp[32], pol[32] = { 0 };
	_Alignas(8) uint8_t values[PCR_COUNT][32];
	char hex[65], have[200] = "";
	uint8_t *sig = NULL;
	size_t sig_size, n = (size_t)__builtin_popcount(s->signed_mask);
	uint64_t bits;
	unsigned e = 0;
	int r;

	r = check_key(t, s, key_der, key_der_size, fp);
	if (r < 0)
		return r;
	/* The policy the signature must approve: PolicyPCR over the current signed PCRs, lowest
	 * first; the reason names PCR 11 first ("PCR 11 (…) with PCR 4 (…)"). */
	r = tpm_pcr_values(t, s->signed_mask, values, remembered);
	if (r < 0)
		return r;
	for (unsigned i = PCR_COUNT, k = (unsigned)n; i-- > 0;)
		if (s->signed_mask & (1u << i)) {
			size_t len = strlen(have);
			hexify(values[--k], 32, hex);
			snprintf(have + len, sizeof(have) - len, "%sPCR %u (%s)",
				 len ? " with " : "", i, hex);
		}
	r = pcr_policy_pcr(pol, s->signed_mask, (const uint8_t(*)[32])values);
	if (r < 0)
		return r;
	if (s->epoch) {
		/* v3: the approval also checks that no bit above the image's epoch is set. The
		 * signatures of every release on the ESP come merged (a staged update's next to the
		 * running one's), each with its own epoch: the epoch is the one of the approval of
		 * the current PCRs, so each is tried; the TPM checks whichever is presented. */
		uint8_t pcr_pol[32];

		r = pcrsig_epoch(sig_json, s->signed_mask, fp, &e);
		if (r == -ENOENT)
			return tpm_failf(t, ENOENT, "the image's signed policy has no security epoch "
						    "(signed before anti-rollback); this volume "
						    "needs one");
		if (r < 0)
			return tpm_failf(t, EBADMSG, "the PCR signature JSON is malformed");
		memcpy(pcr_pol, pol, sizeof(pol));
		for (unsigned k = 0; k <= EPOCH_MAX; k++) {
			memcpy(pol, pcr_pol, sizeof(pol));
			r = epoch_policy_nv(pol, s->nv.name, k);
			if (r >= 0)
				r = pcrsig_find(sig_json, s->signed_mask, fp, pol, &sig, &sig_size);
			if (r != -ENOENT) {
				e = k;
				break;
			}
		}
	} else
		r = pcrsig_find(sig_json, s->signed_mask, fp, pol, &sig, &sig_size);
	if (r == -EBADMSG)
		return tpm_failf(t, EBADMSG, "the PCR signature JSON is malformed");
	if (r < 0)
		return tpm_failf(t, ENOENT, "no signature approves the current %s", have);
	r = sealed_open_approved(t, s, key_der, key_der_size, pol, sig, sig_size, e, out,
				 out_size);
	free(sig);
	if (r == -ESTALE && tpm_epoch_read(t, &bits) >= 0)
		tpm_failf(t, ESTALE, "this image's security epoch %u is below the node's %u (a "
				     "newer image was blessed on this node); refusing to unseal",
			  e, epoch_of_bits(bits));
	return r == -ESTALE ? -ESTALE : r;
}

int sealed_open(Tpm *t, const Sealed *s, const uint8_t *key_der, size_t key_der_size,
		const char *sig_json, void *out, size_t *out_size)
{
	size_t cap = *out_size;
	bool remembered = false;
	int r;

	r = open_current(t, s, key_der, key_der_size, sig_json, out, out_size, &remembered);
	/* Values from memory can be stale (another process extended since): the TPM refused, or
	 * no signature matched; read them and try once more. */
	if (remembered && (r == -ENOENT || r == -EPERM)) {
		tpm_pcr_forget(t);
		*out_size = cap;
		r = open_current(t, s, key_der, key_der_size, sig_json, out, out_size, NULL);
	}
	return r;
}

int sealed_epoch_raise(Tpm *t, const uint8_t *key_der, size_t key_der_size, const char *sig_json,
		       unsigned n, unsigned limit, unsigned *ret_n)
{
	static const uint32_t masks[] = { SEALED_SIGNED_UKI, SEALED_SIGNED_DIRECT };
	uint8_t fp[32], *sig = NULL;
	size_t sig_size = 0;
	uint64_t bits, want;
	unsigned own = 0;
	int r = -ENOENT;

	if (n > EPOCH_MAX && n != SEALED_EPOCH_OWN)
		return tpm_failf(t, EINVAL, "a security epoch is 0..%u", EPOCH_MAX);
	if (pcr_key_fingerprint(key_der, key_der_size, fp) < 0)
		return tpm_failf(t, EINVAL, "the PCR signing key cannot be read");
	for (size_t i = 0; i < sizeof(masks) / sizeof(*masks) && r == -ENOENT; i++)
		r = pcrsig_epoch(sig_json, masks[i], fp, &own);
	if (r < 0)
		return tpm_failf(t, r == -EBADMSG ? EBADMSG : ENOENT,
				 "the image's signed policy has no security epoch");
	if (n == SEALED_EPOCH_OWN)
		n = own;
	if (ret_n)
		*ret_n = n;
	/* The lowest epoch still installed: raising above it bricks the fallback slot. */
	if (n > limit)
		return tpm_failf(t, ERANGE, "refusing to raise the security epoch to %u: above the "
					    "limit %u (the lowest epoch installed)", n, limit);
	if (n > own)
		return tpm_failf(t, ERANGE, "refusing to raise the security epoch to %u, above this "
					    "image's own (%u)", n, own);
	want = epoch_bits_upto(n);
	if (n == 0)
		return 1;
	r = tpm_epoch_read(t, &bits);
	if (r < 0)
		return r;
	if ((bits & want) == want)
		return 1;
	/* The write approval of this image at `ready`: PolicyPCR(current) + NV_SetBits. */
	r = -ENOENT;
	for (size_t i = 0; i < sizeof(masks) / sizeof(*masks) && r == -ENOENT; i++) {
		_Alignas(8) uint8_t values[PCR_COUNT][32];
		uint8_t pol[32] = { 0 };

		r = tpm_pcr_values(t, masks[i], values, NULL);
		if (r < 0)
			return r;
		if (pcr_policy_pcr(pol, masks[i], (const uint8_t(*)[32])values) < 0 ||
		    epoch_policy_setbits(pol) < 0)
			return tpm_failf(t, EIO, "hashing failed");
		r = pcrsig_find_in(sig_json, PCRSIG_EPOCH_WRITE, masks[i], fp, pol, &sig, &sig_size);
		if (r >= 0) {
			TpmApproval a = { .signed_mask = masks[i], .sig = sig, .sig_size = sig_size,
					  .setbits = true };

			memcpy(a.policy, pol, 32);
			r = tpm_epoch_set(t, key_der, key_der_size, &a, want);
			free(sig);
			return r;
		}
	}
	return tpm_failf(t, r == -EBADMSG ? EBADMSG : ENOENT,
			 "no write approval of this image matches the current PCRs (only a running "
			 "image, at phase ready, may raise the security epoch)");
}
