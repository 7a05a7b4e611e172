/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The measured-boot library against a real TPM: swtpm, started fresh by this test (fresh state:
 * PCRs at zero), reached through the same tctildr path kcc-pcr uses on a host. */
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"

#include "epoch.h"
#include "eventlog.h"
#include "pcrsig.h"
#include "quote.h"
#include "sealed.h"
#include "swtpm-fixture.h"
#include "tpm-internal.h"

#include <tss2/tss2_sys.h>

static SwtpmFixture swtpm;
static char keypath[300];
static uint8_t *key_der, *other_der;
static size_t key_der_size, other_der_size;
static const uint8_t secret[32] = "0123456789abcdef0123456789abcdef";

static int der_of_new_key(const char *pem_path, uint8_t **der, size_t *size)
{
	EVP_PKEY *pk = EVP_RSA_gen(2048);
	unsigned char *out = NULL;
	FILE *f;
	int n;

	if (!pk)
		return -1;
	if (pem_path) {
		f = fopen(pem_path, "we");
		if (!f || !PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL))
			return -1;
		fclose(f);
	}
	n = i2d_PUBKEY(pk, &out);
	EVP_PKEY_free(pk);
	if (n <= 0)
		return -1;
	*der = out;
	*size = (size_t)n;
	return 0;
}

static int group_setup(void **state)
{
	(void)state;
	setenv("TSS2_LOG", "all+none", 1);
	if (swtpm_fixture_start(&swtpm) < 0)
		return -1;
	snprintf(keypath, sizeof(keypath), "%s/pcr-key.pem", swtpm.dir);
	if (der_of_new_key(keypath, &key_der, &key_der_size) < 0 ||
	    der_of_new_key(NULL, &other_der, &other_der_size) < 0)
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	OPENSSL_free(key_der);
	OPENSSL_free(other_der);
	return swtpm_fixture_stop(&swtpm);
}

static Tpm *open_tpm(void)
{
	Tpm *t = NULL;

	assert_int_equal(tpm_open(swtpm.tcti, &t), 0);
	return t;
}

/* The signature JSON approving the PCR 11 value v, made as the builder makes it. */
static char *sign_value(const uint8_t v[32])
{
	uint8_t pol[32] = { 0 }, fp[32], *sig;
	size_t sig_size;
	json_object *root = json_object_new_object();
	char *out;

	assert_int_equal(pcr_policy_pcr(pol, 1u << 11, (const uint8_t(*)[32])v), 0);
	assert_int_equal(pcr_key_fingerprint(key_der, key_der_size, fp), 0);
	assert_int_equal(pcrsig_sign(keypath, pol, (const uint8_t *)PCR_POLICY_REF,
				     PCR_POLICY_REF_SIZE, &sig, &sig_size),
			 0);
	assert_int_equal(pcrsig_add(root, 1u << 11, fp, pol, sig, sig_size), 0);
	out = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));
	json_object_put(root);
	free(sig);
	return out;
}

/* The signature JSON approving PCR 11's current value. */
static char *sign_current(Tpm *t)
{
	uint8_t v[PCR_DIGEST_MAX];

	assert_int_equal(tpm_pcr_read(t, PCR_BANK_SHA256, 11, v), 0);
	return sign_value(v);
}

static void add_signed(json_object *root, const char *array, uint32_t mask, const uint8_t pol[32],
		       const char *ref, int epoch)
{
	uint8_t fp[32], *sig;
	size_t sig_size;

	assert_int_equal(pcr_key_fingerprint(key_der, key_der_size, fp), 0);
	assert_int_equal(pcrsig_sign(keypath, pol, (const uint8_t *)ref, strlen(ref), &sig,
				     &sig_size),
			 0);
	assert_int_equal(pcrsig_add_to(root, array, mask, fp, pol, sig, sig_size, epoch), 0);
	free(sig);
}

/* What `kcc-pcr sign --direct-cmdline … --epoch e` signs, for PCR 11 = v at enter-initrd and
 * ready at `ready`: the v2 entry (volumes sealed before the epoch), the v3 entry (PolicyNV), the
 * write approval, the provisioning's bit-less first write. */
static char *sign_epoch_value(const uint8_t v[32], unsigned e, const uint8_t ready[32])
{
	uint8_t pol[32] = { 0 }, nv[EPOCH_NAME_SIZE], cp[32], w[32] = { 0 }, i[32] = { 0 };
	json_object *root = json_object_new_object();
	char *out;

	assert_int_equal(epoch_nv_name(key_der, key_der_size, true, nv), 0);
	assert_int_equal(pcr_policy_pcr(pol, 1u << 11, (const uint8_t(*)[32])v), 0);
	add_signed(root, PCRSIG_BANK, 1u << 11, pol, PCR_POLICY_REF, -1);
	assert_int_equal(epoch_policy_nv(pol, nv, e), 0);
	add_signed(root, PCRSIG_BANK, 1u << 11, pol, EPOCH_POLICY_REF, (int)e);
	assert_int_equal(pcr_policy_pcr(w, 1u << 11, (const uint8_t(*)[32])ready), 0);
	assert_int_equal(epoch_policy_setbits(w), 0);
	add_signed(root, PCRSIG_EPOCH_WRITE, 1u << 11, w, EPOCH_WRITE_REF, -1);
	assert_int_equal(epoch_init_cphash(key_der, key_der_size, cp), 0);
	assert_int_equal(epoch_policy_init(i, cp), 0);
	add_signed(root, PCRSIG_EPOCH_WRITE, 0, i, EPOCH_WRITE_REF, -1);
	out = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));
	json_object_put(root);
	return out;
}

/* Two signature files merged as kcc-init merges every release's on the ESP
 * (init/pcrsig-files.c): each bank's entries of a, then of b. */
static char *merge_sigs(const char *a, const char *b)
{
	json_object *ra = json_tokener_parse(a), *rb = json_tokener_parse(b);
	char *out;

	assert_non_null(ra);
	assert_non_null(rb);
	json_object_object_foreach(rb, bank, entries)
	{
		json_object *dst;

		if (!json_object_object_get_ex(ra, bank, &dst)) {
			dst = json_object_new_array();
			json_object_object_add(ra, bank, dst);
		}
		for (size_t i = 0; i < json_object_array_length(entries); i++)
			json_object_array_add(dst, json_object_get(json_object_array_get_idx(entries, i)));
	}
	out = strdup(json_object_to_json_string_ext(ra, JSON_C_TO_STRING_PLAIN));
	json_object_put(ra);
	json_object_put(rb);
	return out;
}

static void seal(Tpm *t, Sealed *s)
{
	assert_int_equal(sealed_create(t, key_der, key_der_size, SEALED_SIGNED_DIRECT, 0, NULL,
				       secret, sizeof(secret), s),
			 0);
	assert_int_equal(s->literal_mask, 1u << 15);
}

static int unseal(Tpm *t, const Sealed *s, const char *sig)
{
	uint8_t out[64];
	size_t n = sizeof(out);
	int r = sealed_open(t, s, key_der, key_der_size, sig, out, &n);

	if (r == 0) {
		assert_int_equal(n, sizeof(secret));
		assert_memory_equal(out, secret, n);
	}
	return r;
}

/* PCR 11 and 15 start at zero and cannot be reset: the tests run in order, each reads the PCR
 * values it needs, and the PCR 15 test (after which nothing unseals) comes last of the sealing
 * tests. */
static void test_seal_unseal(void **state)
{
	Tpm *t = open_tpm();
	Sealed s;
	char *sig;

	(void)state;
	assert_int_equal(tpm_extend(t, 11, "enter-initrd", 12, NULL), 0);
	seal(t, &s);
	sig = sign_current(t);
	assert_int_equal(unseal(t, &s, sig), 0);
	/* Re-sealed under the same policy (a key rotation), another secret comes out. */
	{
		uint8_t out[64];
		size_t n = sizeof(out);
		Sealed again;
		assert_int_equal(sealed_reseal(t, &s, key_der, key_der_size, "rotated", 7, &again), 0);
		assert_memory_equal(again.policy, s.policy, 32);
		assert_int_equal(sealed_open(t, &again, key_der, key_der_size, sig, out, &n), 0);
		assert_int_equal(n, 7);
		assert_memory_equal(out, "rotated", 7);
		sealed_done(&again);
	}
	/* The JSON form (the LUKS2 token) round-trips. */
	{
		json_object *o = json_object_new_object();
		Sealed back;
		char err[128];
		assert_int_equal(sealed_to_json(&s, o), 0);
		assert_int_equal(sealed_from_json(o, &back, err, sizeof(err)), 0);
		assert_int_equal(unseal(t, &back, sig), 0);
		sealed_done(&back);
		json_object_put(o);
	}
	free(sig);
	sealed_done(&s);
	tpm_close(t);
}

static void test_extend_breaks_unseal_and_resign_restores(void **state)
{
	uint8_t pol[32], out[64], *raw;
	size_t raw_size, n = sizeof(out);
	Tpm *t = open_tpm();
	char *old_sig, *new_sig;
	Sealed s;

	(void)state;
	seal(t, &s);
	old_sig = sign_current(t);
	assert_int_equal(unseal(t, &s, old_sig), 0);
	/* leave-initrd: no signature approves PCR 11 any more ... */
	assert_int_equal(tpm_extend(t, 11, "leave-initrd", 12, NULL), 0);
	assert_int_equal(unseal(t, &s, old_sig), -ENOENT);
	/* ... and forcing the old approval on the TPM is refused by the TPM itself. */
	assert_int_equal(pcrsig_first(old_sig, 1u << 11, pol, &raw, &raw_size), 0);
	assert_int_equal(sealed_open_approved(t, &s, key_der, key_der_size, pol, raw, raw_size, 0,
					      out, &n),
			 -EPERM);
	free(raw);
	/* A new image signed with the same key: the old blob unseals again, no re-sealing. */
	new_sig = sign_current(t);
	assert_int_equal(unseal(t, &s, new_sig), 0);
	free(old_sig);
	free(new_sig);
	sealed_done(&s);
	tpm_close(t);
}

static void test_wrong_key_and_tampered_signature(void **state)
{
	uint8_t out[64];
	size_t n = sizeof(out);
	Tpm *t = open_tpm();
	char *sig, *p;
	Sealed s;

	(void)state;
	seal(t, &s);
	sig = sign_current(t);
	/* Another image's key: refused before the TPM is asked. */
	assert_int_equal(sealed_open(t, &s, other_der, other_der_size, sig, out, &n), -ENOKEY);
	/* A signature with one character changed: the TPM's VerifySignature refuses it. */
	p = strstr(sig, "\"sig\":\"") + 7;
	*p = *p == 'A' ? 'B' : 'A';
	assert_int_equal(unseal(t, &s, sig), -EPERM);
	assert_non_null(strstr(tpm_error(t), "signature"));
	free(sig);
	sealed_done(&s);
	tpm_close(t);
}

/* A further literal PCR (state.conf literal_pcrs=): bound at its value when sealing. PCR 16 (the
 * debug PCR) stands in for, say, PCR 7. */
static void test_extra_literal_pcr(void **state)
{
	uint8_t out[64];
	size_t n = sizeof(out);
	Tpm *t = open_tpm();
	char *sig;
	Sealed s;

	(void)state;
	assert_int_equal(sealed_create(t, key_der, key_der_size, SEALED_SIGNED_DIRECT, 1u << 16,
				       NULL, secret, sizeof(secret), &s),
			 0);
	assert_int_equal(s.literal_mask, (1u << 15) | (1u << 16));
	sig = sign_current(t);
	assert_int_equal(sealed_open(t, &s, key_der, key_der_size, sig, out, &n), 0);
	assert_int_equal(tpm_extend(t, 16, "changed", 7, NULL), 0);
	n = sizeof(out);
	assert_int_equal(sealed_open(t, &s, key_der, key_der_size, sig, out, &n), -EPERM);
	assert_non_null(strstr(tpm_error(t), "[PCR 15,16]"));
	/* A key rotation re-seals under the recorded values, not the current ones: the same policy. */
	{
		Sealed again;
		assert_int_equal(sealed_reseal(t, &s, key_der, key_der_size, "another", 7, &again), 0);
		assert_memory_equal(again.policy, s.policy, 32);
		assert_memory_equal(again.literal_values[16], s.literal_values[16], 32);
		assert_int_equal(again.literal_mask, s.literal_mask);
		assert_memory_not_equal(again.blob, s.blob, s.blob_size < again.blob_size ? s.blob_size : again.blob_size);
		sealed_done(&again);
	}
	free(sig);
	sealed_done(&s);
	tpm_close(t);
}

/* Puts the TPM into dictionary-attack lockout with wrong passwords on a DA-protected object. */
static TSS2_RC force_lockout(Tpm *t)
{
	static const TPM2B_PUBLIC srk_tmpl = {
		.publicArea = {
			.type = TPM2_ALG_ECC, .nameAlg = TPM2_ALG_SHA256,
			.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
					    TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
					    TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT,
			.parameters.eccDetail = { .symmetric = { .algorithm = TPM2_ALG_AES,
							 .keyBits.aes = 128, .mode.aes = TPM2_ALG_CFB },
						  .scheme.scheme = TPM2_ALG_NULL,
						  .curveID = TPM2_ECC_NIST_P256,
						  .kdf.scheme = TPM2_ALG_NULL } } };
	TPM2B_SENSITIVE_CREATE in = { .sensitive.userAuth = { .size = 4, .buffer = "good" },
				      .sensitive.data = { .size = 1, .buffer = "x" } };
	TPM2B_PUBLIC tmpl = { .publicArea = { .type = TPM2_ALG_KEYEDHASH, .nameAlg = TPM2_ALG_SHA256,
					      .objectAttributes = TPMA_OBJECT_FIXEDTPM |
								  TPMA_OBJECT_FIXEDPARENT |
								  TPMA_OBJECT_USERWITHAUTH } };
	const TPM2B_DATA outside = { 0 };
	const TPML_PCR_SELECTION none = { 0 };
	const TPM2B_AUTH wrong = { .size = 3, .buffer = "bad" };
	TPM2B_PRIVATE *priv = NULL;
	TPM2B_PUBLIC *pub = NULL, *ppub = NULL;
	ESYS_TR parent = ESYS_TR_NONE, obj = ESYS_TR_NONE;
	TPM2B_SENSITIVE_DATA *out = NULL;
	TSS2_RC rc = 0;

	tmpl.publicArea.parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_NULL;
	assert_int_equal(tpm_create_primary(t, &srk_tmpl, &parent, &ppub), 0);
	assert_int_equal(Esys_Create(t->esys, parent, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
				     &in, &tmpl, &outside, &none, &priv, &pub, NULL, NULL, NULL),
			 TSS2_RC_SUCCESS);
	assert_int_equal(Esys_Load(t->esys, parent, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
				   priv, pub, &obj),
			 TSS2_RC_SUCCESS);
	Esys_TR_SetAuth(t->esys, obj, &wrong);
	for (int i = 0; i < 64 && (rc & 0xfff) != TPM2_RC_LOCKOUT; i++) {
		rc = Esys_Unseal(t->esys, obj, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &out);
		Esys_Free(out);
		out = NULL;
	}
	tpm_flush(t, &obj);
	tpm_flush(t, &parent);
	Esys_Free(priv);
	Esys_Free(pub);
	Esys_Free(ppub);
	return rc;
}

/* ESAPI decrypts the Unseal response in place in its SAPI buffer; the library wipes it. The last
 * response there now is a FlushContext's, so the Unseal response's bytes would still follow its
 * short header if nothing wiped them. */
static void test_unseal_leaves_no_secret_in_tss_buffers(void **state)
{
	TSS2_SYS_CONTEXT *sys = NULL;
	const uint8_t *rp = NULL;
	size_t rp_size = 0;
	Tpm *t = open_tpm();
	char *sig;
	Sealed s;

	(void)state;
	seal(t, &s);
	sig = sign_current(t);
	assert_int_equal(unseal(t, &s, sig), 0);
	assert_int_equal(Esys_GetSysContext(t->esys, &sys), TSS2_RC_SUCCESS);
	assert_int_equal(Tss2_Sys_GetRpBuffer(sys, &rp_size, &rp), TSS2_RC_SUCCESS);
	/* rp is 10 bytes (the response header) into the buffer; look at its first KiB. */
	assert_null(memmem(rp - 10, 1024, secret, sizeof(secret)));
	free(sig);
	sealed_done(&s);
	tpm_close(t);
}

/* Lockout never locks the node out of its own disk: the sealed key is noDA. */
static void test_lockout_does_not_lock_the_disk(void **state)
{
	Tpm *t = open_tpm();
	char *sig;
	Sealed s;
	TSS2_RC rc;

	(void)state;
	seal(t, &s);
	sig = sign_current(t);
	rc = force_lockout(t);
	assert_int_equal(rc & 0xfff, TPM2_RC_LOCKOUT);
	assert_int_equal(tpm_fail(t, "probe", rc), -EBUSY);
	assert_non_null(strstr(tpm_error(t), "dictionary-attack lockout"));
	assert_int_equal(unseal(t, &s, sig), 0);
	free(sig);
	sealed_done(&s);
	tpm_close(t);
}

/* The signature JSON approving the current PCR 4 and 11 together, as the builder signs UKIs. */
static char *sign_current_uki(Tpm *t)
{
	uint8_t v[PCR_DIGEST_MAX], vals[2][32], pol[32] = { 0 }, fp[32], *sig;
	size_t sig_size;
	json_object *root = json_object_new_object();
	char *out;

	assert_int_equal(tpm_pcr_read(t, PCR_BANK_SHA256, 4, v), 0);
	memcpy(vals[0], v, 32);
	assert_int_equal(tpm_pcr_read(t, PCR_BANK_SHA256, 11, v), 0);
	memcpy(vals[1], v, 32);
	assert_int_equal(pcr_policy_pcr(pol, SEALED_SIGNED_UKI, (const uint8_t(*)[32])vals), 0);
	assert_int_equal(pcr_key_fingerprint(key_der, key_der_size, fp), 0);
	assert_int_equal(pcrsig_sign(keypath, pol, (const uint8_t *)PCR_POLICY_REF,
				     PCR_POLICY_REF_SIZE, &sig, &sig_size),
			 0);
	assert_int_equal(pcrsig_add(root, SEALED_SIGNED_UKI, fp, pol, sig, sig_size), 0);
	out = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));
	json_object_put(root);
	free(sig);
	return out;
}

/* PCR 11 replayed from zero after another kernel booted: PCR 11 is right, PCR 4 (the firmware's
 * digest of what it loaded) is not. A UKI's policy approves PCR 4 and 11 together, so the image's
 * own signature no longer approves, and forcing it on the TPM is refused by the TPM. A signature
 * of PCR 11 alone (what the builder made before) is not looked up for a UKI token. */
static void test_pcr4_refuses_replayed_pcr11(void **state)
{
	uint8_t pol[32], out[64], *raw;
	size_t raw_size, n = sizeof(out);
	Tpm *t = open_tpm();
	char *sig, *sig11;
	Sealed s;

	(void)state;
	assert_int_equal(tpm_extend(t, 4, "our UKI", 7, NULL), 0);
	assert_int_equal(sealed_create(t, key_der, key_der_size, SEALED_SIGNED_UKI, 0, NULL,
				       secret, sizeof(secret), &s),
			 0);
	sig = sign_current_uki(t);
	sig11 = sign_current(t);
	assert_int_equal(unseal(t, &s, sig), 0);
	assert_int_equal(unseal(t, &s, sig11), -ENOENT);
	/* The next boot ran another loader first: PCR 4 differs, PCR 11 is replayed as it was. */
	assert_int_equal(tpm_extend(t, 4, "another kernel", 14, NULL), 0);
	assert_int_equal(unseal(t, &s, sig), -ENOENT);
	assert_non_null(strstr(tpm_error(t), "no signature approves the current PCR 11"));
	assert_non_null(strstr(tpm_error(t), "PCR 4"));
	assert_int_equal(pcrsig_first(sig, SEALED_SIGNED_UKI, pol, &raw, &raw_size), 0);
	assert_int_equal(sealed_open_approved(t, &s, key_der, key_der_size, pol, raw, raw_size, 0,
					      out, &n),
			 -EPERM);
	free(raw);
	free(sig);
	free(sig11);
	sealed_done(&s);
	tpm_close(t);
}

/* Issue 12, second half: the sealed object's PolicyAuthorize accepts whatever its key signed, and
 * the same key signed policies of PCR 11 alone (systemd-measure's format, empty policyRef) in every
 * image before PCR 4 was added. Those approvals stay valid for ever; what retires them is the
 * policyRef: an object sealed now names PCR_POLICY_REF, and a signature over aHash =
 * H(policy || "") is not one over H(policy || ref). Both ways of presenting the old approval are
 * refused: through kcc-node's code (a token edited to claim [11]: VerifySignature fails), and as
 * an attacker's own tool would, with an empty policyRef in PolicyAuthorize (the ticket verifies,
 * the session's digest is not the object's). Control: an object sealed with an empty ref, as
 * before, is opened by exactly that second path. */
static void test_empty_ref_pcr11_signature_refused(void **state)
{
	uint8_t v[PCR_DIGEST_MAX], pol11[32] = { 0 }, out[64], *old_sig;
	size_t old_sig_size, n;
	TpmPolicy attacker = { .key_der = key_der, .key_der_size = key_der_size,
			       .literal_mask = 1u << 15 };
	TpmApproval a = { .signed_mask = SEALED_SIGNED_DIRECT };
	uint8_t *old_blob;
	TpmSrk old_srk;
	size_t old_blob_size;
	Tpm *t = open_tpm();
	Sealed s, s11;

	(void)state;
	assert_int_equal(sealed_create(t, key_der, key_der_size, SEALED_SIGNED_UKI, 0, NULL,
				       secret, sizeof(secret), &s),
			 0);
	/* The old release's approval of the current PCR 11 alone, same key, empty policyRef. */
	assert_int_equal(tpm_pcr_read(t, PCR_BANK_SHA256, 11, v), 0);
	assert_int_equal(pcr_policy_pcr(pol11, 1u << 11, (const uint8_t(*)[32])v), 0);
	assert_int_equal(pcrsig_sign(keypath, pol11, /* ref= */ NULL, 0, &old_sig, &old_sig_size),
			 0);
	/* Through our code, with the token claiming PCR 11 only. */
	s11 = s;
	s11.signed_mask = SEALED_SIGNED_DIRECT;
	n = sizeof(out);
	assert_int_equal(sealed_open_approved(t, &s11, key_der, key_der_size, pol11, old_sig,
					      old_sig_size, 0, out, &n),
			 -EPERM);
	assert_non_null(strstr(tpm_error(t), "signature does not verify"));
	/* As the attacker's own tool would: PolicyAuthorize with the empty ref the key signed. */
	memcpy(a.policy, pol11, 32);
	a.sig = old_sig;
	a.sig_size = old_sig_size;
	n = sizeof(out);
	assert_int_equal(tpm_unseal(t, &attacker, &a, s.blob, s.blob_size, &s.srk, out, &n),
			 -EPERM);
	assert_non_null(strstr(tpm_error(t), "refused to unseal"));
	/* Control: the same attack on an object sealed with an empty policyRef (before v2). */
	assert_int_equal(tpm_seal(t, &attacker, secret, sizeof(secret), &old_blob, &old_blob_size,
				  &old_srk),
			 0);
	n = sizeof(out);
	assert_int_equal(tpm_unseal(t, &attacker, &a, old_blob, old_blob_size, &old_srk, out, &n), 0);
	assert_memory_equal(out, secret, sizeof(secret));
	free(old_blob);
	free(old_sig);
	sealed_done(&s);
	tpm_close(t);
}

/* A token sealed before v2 has no kcc-policy-ref (or another one): refused by name. */
static void test_token_without_policy_ref_refused(void **state)
{
	Tpm *t = open_tpm();
	json_object *o = json_object_new_object();
	Sealed s, back;
	char err[160];

	(void)state;
	seal(t, &s);
	assert_int_equal(sealed_to_json(&s, o), 0);
	assert_string_equal(json_object_get_string(json_object_object_get(o, "kcc-policy-ref")),
			    PCR_POLICY_REF);
	json_object_object_add(o, "kcc-policy-ref", json_object_new_string(""));
	assert_int_equal(sealed_from_json(o, &back, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "kcc-policy-ref"));
	json_object_object_del(o, "kcc-policy-ref");
	assert_int_equal(sealed_from_json(o, &back, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "re-provision"));
	json_object_put(o);
	sealed_done(&s);
	tpm_close(t);
}

static void test_pcr15_breaks_unseal(void **state)
{
	Tpm *t = open_tpm();
	char *sig;
	Sealed s;

	(void)state;
	seal(t, &s);
	sig = sign_current(t);
	assert_int_equal(tpm_extend(t, 15, "cryptsetup:state:x", 18, NULL), 0);
	assert_int_equal(unseal(t, &s, sig), -EPERM);
	assert_non_null(strstr(tpm_error(t), "[PCR 15]"));
	free(sig);
	sealed_done(&s);
	tpm_close(t);
}

/* What a bus sniffer sees: sessions salted with the storage key, and never the secret. */
typedef struct Wire {
	size_t salted, unsalted, commands;
	bool secret_seen;
} Wire;

static void watch(bool is_response, const uint8_t *buf, size_t size, void *data)
{
	Wire *w = data;

	for (size_t i = 0; i + sizeof(secret) <= size; i++)
		if (memcmp(buf + i, secret, sizeof(secret)) == 0)
			w->secret_seen = true;
	if (is_response)
		return;
	w->commands++;
	if (size < 22)
		return;
	/* header: tag(2) size(4) code(4); StartAuthSession: tpmKey(4) bind(4) nonceCaller(TPM2B)
	 * encryptedSalt(TPM2B) … */
	if (((uint32_t)buf[6] << 24 | buf[7] << 16 | buf[8] << 8 | buf[9]) == TPM2_CC_StartAuthSession) {
		uint32_t key = (uint32_t)buf[10] << 24 | buf[11] << 16 | buf[12] << 8 | buf[13];
		size_t nonce = (size_t)(buf[18] << 8 | buf[19]);
		size_t salt = 20 + nonce + 2 <= size ? (size_t)(buf[20 + nonce] << 8 | buf[21 + nonce]) : 0;
		if (key != TPM2_RH_NULL && salt > 0)
			w->salted++;
		else
			w->unsalted++;
	}
}

/* Sealing and unsealing (PCR 15 still zero here), watched on the wire. */
static void test_sessions_are_salted(void **state)
{
	Tpm *t = open_tpm();
	Wire w = { 0 };
	char *sig;
	Sealed s;

	(void)state;
	tpm_set_wire_hook(t, watch, &w);
	seal(t, &s);
	assert_int_equal(w.salted, 1);
	sig = sign_current(t);
	assert_int_equal(unseal(t, &s, sig), 0);
	assert_int_equal(w.salted, 2);
	assert_int_equal(w.unsalted, 0);
	/* The secret went in (Create) and came out (Unseal) encrypted. */
	assert_false(w.secret_seen);
	assert_int_equal(tpm_commands(t), w.commands);
	free(sig);
	sealed_done(&s);
	tpm_close(t);
}

/* The commands of one unseal, in order, as the bus sees them. */
typedef struct Budget {
	size_t n;
	uint32_t cc[32];
	uint32_t salt_key;
} Budget;

static void count(bool is_response, const uint8_t *buf, size_t size, void *data)
{
	Budget *b = data;
	uint32_t cc;

	if (is_response || size < 14)
		return;
	cc = (uint32_t)buf[6] << 24 | buf[7] << 16 | buf[8] << 8 | buf[9];
	if (cc == TPM2_CC_StartAuthSession)
		b->salt_key = (uint32_t)buf[10] << 24 | buf[11] << 16 | buf[12] << 8 | buf[13];
	if (b->n < (sizeof(b->cc) / sizeof(b->cc[0])))
		b->cc[b->n] = cc;
	b->n++;
}

/* What a boot's kcc-init does before the unseal: the initial PCR values in one read, then its
 * extends (tpm_pcr_read_banks() and tpm_extend() keep the Tpm's knowledge of PCR 11). */
static Tpm *boot_tpm(void)
{
	PcrDigests v[PCR_COUNT];
	Tpm *t = open_tpm();

	/* kcc-init's measure_initial() */
	assert_int_equal(tpm_pcr_read_banks(t, (1u << 11) | (1u << 15), v), 0);
	assert_int_equal(tpm_extend(t, 11, "enter-initrd", 12, NULL), 0);
	return t;
}

static void assert_nothing_left(Tpm *t)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more;

	assert_int_equal(Esys_GetCapability(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
					    TPM2_CAP_HANDLES, 0x80000000u, 8, &more, &cap),
			 TSS2_RC_SUCCESS);
	assert_int_equal(cap->data.handles.count, 0);
	Esys_Free(cap);
	assert_int_equal(Esys_GetCapability(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
					    TPM2_CAP_HANDLES, 0x02000000u, 8, &more,
					    &cap),
			 TSS2_RC_SUCCESS);
	assert_int_equal(cap->data.handles.count, 0);
	Esys_Free(cap);
}

/* The unseal of an unlock boot needs at most 11 TPM commands (docs/measured-boot.md has the
 * table: 10 before the security epoch, whose PolicyNV is the 11th; the index's handle comes from
 * the token like the SRK's, without an NV_ReadPublic), leaves no object or session behind, and
 * still salts with the storage key. */
static void test_unseal_command_budget(void **state)
{
	json_object *o = json_object_new_object();
	Budget b = { 0 };
	unsigned long n0;
	char *sig, err[128];
	Sealed s, tok;
	TpmSrk nv;
	uint8_t v[PCR_DIGEST_MAX], d[32];
	Tpm *t = open_tpm();

	(void)state;
	/* The builder signs the value PCR 11 will have after the boot's extend. */
	assert_int_equal(tpm_pcr_read(t, PCR_BANK_SHA256, 11, v), 0);
	assert_int_equal(pcr_hash(PCR_BANK_SHA256, "enter-initrd", 12, d), 0);
	assert_int_equal(pcr_extend_value(PCR_BANK_SHA256, v, d), 0);
	sig = sign_epoch_value(v, 1, v);
	/* Provisioning: the epoch index, then the seal under it (v3). */
	assert_int_equal(sealed_epoch_define(t, key_der, key_der_size, SEALED_SIGNED_DIRECT, sig,
					     &nv),
			 0);
	assert_int_not_equal(nv.tr_size, 0);
	assert_int_equal(sealed_create(t, key_der, key_der_size, SEALED_SIGNED_DIRECT, 0, &nv,
				       secret, sizeof(secret), &s),
			 0);
	assert_true(s.epoch);
	assert_int_not_equal(s.srk.tr_size, 0); /* the SRK went to its persistent handle */
	assert_int_equal(sealed_to_json(&s, o), 0);
	tpm_close(t);
	/* The next boot: a new process, the token from the LUKS2 header. */
	t = boot_tpm();
	assert_int_equal(sealed_from_json(o, &tok, err, sizeof(err)), 0);
	tpm_set_wire_hook(t, count, &b);
	n0 = tpm_commands(t);
	assert_int_equal(unseal(t, &tok, sig), 0);
	for (size_t i = 0; i < b.n && i < (sizeof(b.cc) / sizeof(b.cc[0])); i++)
		printf("# unseal command %zu: 0x%03x\n", i + 1, b.cc[i]);
	assert_int_equal(tpm_commands(t) - n0, b.n);
	assert_true(b.n <= 11);
	assert_int_equal(b.salt_key, TPM_SRK_HANDLE);
	tpm_set_wire_hook(t, NULL, NULL);
	assert_nothing_left(t);
	/* Evicted from its handle (or a cleared TPM's new owner put nothing there): the key
	 * recreated from the seed still unseals, with more commands. */
	{
		ESYS_TR h = ESYS_TR_NONE, gone = ESYS_TR_NONE;
		assert_int_equal(Esys_TR_FromTPMPublic(t->esys, TPM_SRK_HANDLE, ESYS_TR_NONE,
						       ESYS_TR_NONE, ESYS_TR_NONE, &h),
				 TSS2_RC_SUCCESS);
		assert_int_equal(Esys_EvictControl(t->esys, ESYS_TR_RH_OWNER, h, ESYS_TR_PASSWORD,
						   ESYS_TR_NONE, ESYS_TR_NONE, TPM_SRK_HANDLE,
						   &gone),
				 TSS2_RC_SUCCESS);
		assert_int_equal(unseal(t, &tok, sig), 0);
		assert_nothing_left(t);
	}
	json_object_put(o);
	sealed_done(&tok);
	sealed_done(&s);
	free(sig);
	tpm_close(t);
}

static uint64_t epoch_bits(Tpm *t)
{
	uint64_t bits = ~0ull;

	assert_int_equal(tpm_epoch_read(t, &bits), 0);
	return bits;
}

static int raise_to(Tpm *t, const char *sig, unsigned n)
{
	return sealed_epoch_raise(t, key_der, key_der_size, sig, n, EPOCH_MAX, NULL);
}

/* Anti-rollback: an approval for epoch e unseals while no bit above e is set, the write approval
 * works only at its own PCR state, raising is idempotent and bounded by the image's own epoch,
 * an approval signed before the epoch (v2) opens no v3 object; the owner's view: undefining the
 * index stops every unseal, defining it again resets the epoch (docs/measured-boot.md). */
static void test_security_epoch(void **state)
{
	uint8_t v[PCR_DIGEST_MAX], ready[32], d[32], pol[32], fp[32], out[64], *raw;
	size_t raw_size, n;
	char *sig1, *sig2, *sig_ready;
	ESYS_TR h = ESYS_TR_NONE;
	Tpm *t = open_tpm();
	TpmSrk nv;
	Sealed s;

	(void)state;
	assert_int_equal(tpm_pcr_read(t, PCR_BANK_SHA256, 11, v), 0);
	memcpy(ready, v, 32);
	assert_int_equal(pcr_hash(PCR_BANK_SHA256, "ready", 5, d), 0);
	assert_int_equal(pcr_extend_value(PCR_BANK_SHA256, ready, d), 0);
	/* Images of epoch 1 and 2 whose `ready` is the current PCR 11; one whose `ready` is not. */
	sig1 = sign_epoch_value(v, 1, v);
	sig2 = sign_epoch_value(v, 2, v);
	sig_ready = sign_epoch_value(v, 2, ready);
	/* The index from the budget test (bits 0) is found again, not redefined. */
	assert_int_equal(sealed_epoch_define(t, key_der, key_der_size, SEALED_SIGNED_DIRECT, sig1,
					     &nv),
			 0);
	assert_int_equal(epoch_bits(t), 0);
	assert_int_equal(sealed_create(t, key_der, key_der_size, SEALED_SIGNED_DIRECT, 0, &nv,
				       secret, sizeof(secret), &s),
			 0);
	assert_int_equal(unseal(t, &s, sig1), 0);
	assert_int_equal(unseal(t, &s, sig2), 0);
	/* A staged release's signature (other PCR 11 values, epoch 2) merged before this image's
	 * (epoch 1): the approval of the current PCRs is found with its own epoch. */
	{
		char *sig_other = sign_epoch_value(ready, 2, ready), *merged = merge_sigs(sig_other, sig1);

		assert_int_equal(unseal(t, &s, merged), 0);
		free(merged);
		free(sig_other);
	}

	/* Outside its PCR state the write policy is refused by the TPM, and not looked for. */
	assert_int_equal(raise_to(t, sig_ready, 1), -ENOENT);
	assert_int_equal(pcr_key_fingerprint(key_der, key_der_size, fp), 0);
	assert_int_equal(pcrsig_find_in(sig_ready, PCRSIG_EPOCH_WRITE, 1u << 11, fp, NULL, &raw,
					&raw_size),
			 0);
	{
		TpmApproval a = { .signed_mask = 1u << 11, .sig = raw, .sig_size = raw_size,
				  .setbits = true };
		assert_int_equal(pcr_policy_pcr(a.policy, 1u << 11, (const uint8_t(*)[32])ready),
				 0);
		assert_int_equal(epoch_policy_setbits(a.policy), 0);
		assert_int_equal(tpm_epoch_set(t, key_der, key_der_size, &a, epoch_bits_upto(2)),
				 -EPERM);
	}
	free(raw);
	assert_int_equal(epoch_bits(t), 0);

	/* Raise to 1 (bit 1): epoch 1 still unseals; again: nothing written. Not above the
	 * image's own epoch. */
	assert_int_equal(raise_to(t, sig1, 1), 0);
	assert_int_equal(epoch_bits(t), 0x2);
	assert_int_equal(unseal(t, &s, sig1), 0);
	assert_int_equal(raise_to(t, sig1, 1), 1);
	assert_int_equal(raise_to(t, sig1, 2), -ERANGE);
	assert_int_equal(epoch_bits(t), 0x2);
	/* The image's own epoch (2), but the other slot holds epoch 1: refused, nothing written. */
	{
		unsigned got = 0;
		assert_int_equal(sealed_epoch_raise(t, key_der, key_der_size, sig2, SEALED_EPOCH_OWN,
						    1, &got),
				 -ERANGE);
		assert_int_equal(got, 2);
		assert_non_null(strstr(tpm_error(t), "above the limit 1"));
	}
	assert_int_equal(epoch_bits(t), 0x2);
	/* Raise to 2: the epoch-1 image is refused, with the reason; epoch 2 unseals. */
	assert_int_equal(raise_to(t, sig2, 2), 0);
	assert_int_equal(epoch_bits(t), 0x6);
	assert_int_equal(unseal(t, &s, sig1), -ESTALE);
	assert_non_null(strstr(tpm_error(t), "security epoch 1 is below the node's 2"));
	assert_int_equal(unseal(t, &s, sig2), 0);
	/* Forcing the epoch-1 approval on the TPM: its PolicyNV fails. */
	assert_int_equal(pcrsig_first_epoch(sig1, 1u << 11, pol, &raw, &raw_size, &(unsigned){ 0 }),
			 0);
	n = sizeof(out);
	assert_int_equal(sealed_open_approved(t, &s, key_der, key_der_size, pol, raw, raw_size, 1,
					      out, &n),
			 -ESTALE);
	free(raw);
	/* A pre-epoch image's approval (PCRs alone, policyRef v2) opens no v3 object. */
	assert_int_equal(pcrsig_first(sig2, 1u << 11, pol, &raw, &raw_size), 0);
	n = sizeof(out);
	assert_int_equal(sealed_open_approved(t, &s, key_der, key_der_size, pol, raw, raw_size,
					      EPOCH_MAX, out, &n),
			 -EPERM);
	free(raw);
	/* Provisioning again with the epoch-1 image is refused too. */
	assert_int_equal(sealed_epoch_define(t, key_der, key_der_size, SEALED_SIGNED_DIRECT, sig1,
					     &nv),
			 -ESTALE);

	/* The owner undefines the index: nothing unseals ... */
	assert_int_equal(Esys_TR_FromTPMPublic(t->esys, EPOCH_NV_INDEX, ESYS_TR_NONE, ESYS_TR_NONE,
					       ESYS_TR_NONE, &h),
			 TSS2_RC_SUCCESS);
	assert_int_equal(Esys_NV_UndefineSpace(t->esys, ESYS_TR_RH_OWNER, h, ESYS_TR_PASSWORD,
					       ESYS_TR_NONE, ESYS_TR_NONE),
			 TSS2_RC_SUCCESS);
	assert_int_equal(unseal(t, &s, sig2), -ENOENT);
	assert_non_null(strstr(tpm_error(t), "missing"));
	/* ... until it defines the same index again: the epoch is back at 0 and the epoch-1 image
	 * unseals. What anti-rollback rests on is the owner authorisation. */
	assert_int_equal(sealed_epoch_define(t, key_der, key_der_size, SEALED_SIGNED_DIRECT, sig1,
					     &nv),
			 0);
	assert_int_equal(epoch_bits(t), 0);
	assert_int_equal(unseal(t, &s, sig1), 0);
	free(sig1);
	free(sig2);
	free(sig_ready);
	sealed_done(&s);
	tpm_close(t);
}

/* Every PCR of every bank, in as many PCR_Reads as 8 digests per answer need, as one at a time;
 * the remembered SHA-256 values follow our own extends. */
static void test_pcr_read_banks_and_memory(void **state)
{
	PcrDigests all[PCR_COUNT];
	uint8_t v[PCR_DIGEST_MAX], mem[2][32];
	unsigned long n0;
	bool remembered;
	size_t nb;
	Tpm *t = open_tpm();

	(void)state;
	assert_int_equal(tpm_banks(t, NULL, 0, &nb), 0);
	n0 = tpm_commands(t);
	assert_int_equal(tpm_pcr_read_banks(t, 0xffffff, all), 0);
	assert_int_equal(tpm_commands(t) - n0, (PCR_COUNT * nb + 7) / 8);
	for (unsigned i = 0; i < PCR_COUNT; i++)
		for (size_t b = 0; b < nb; b++) {
			assert_int_equal(tpm_pcr_read(t, all[i].bank[b], i, v), 0);
			assert_memory_equal(all[i].d[b], v, all[i].bank[b]->size);
		}
	tpm_close(t);
	/* A new Tpm knows nothing: one read for both, then memory through an extend. */
	t = open_tpm();
	n0 = tpm_commands(t);
	assert_int_equal(tpm_pcr_values(t, (1u << 11) | (1u << 16), mem, &remembered), 0);
	assert_false(remembered);
	assert_int_equal(tpm_commands(t) - n0, 1);
	assert_int_equal(tpm_extend(t, 16, "followed", 8, NULL), 0);
	n0 = tpm_commands(t);
	assert_int_equal(tpm_pcr_values(t, (1u << 11) | (1u << 16), mem, &remembered), 0);
	assert_true(remembered);
	assert_int_equal(tpm_commands(t), n0);
	assert_int_equal(tpm_pcr_read(t, PCR_BANK_SHA256, 16, v), 0);
	assert_memory_equal(mem[1], v, 32);
	tpm_close(t);
}

static void test_eventlog_replays_to_tpm(void **state)
{
	char path[320];
	Tpm *t = open_tpm();
	PcrDigests d = { 0 };
	EventlogReplay rp;
	uint8_t v[PCR_DIGEST_MAX];
	char err[128];
	size_t bi = (size_t)(PCR_BANK_SHA256 - pcr_bank_table);

	(void)state;
	snprintf(path, sizeof(path), "%s/measure.log", swtpm.dir);
	assert_int_equal(tpm_banks(t, d.bank, PCR_BANKS_MAX, &d.n), 0);
	for (size_t i = 0; i < d.n; i++)
		assert_int_equal(tpm_pcr_read(t, d.bank[i], 11, d.d[i]), 0);
	assert_int_equal(eventlog_append(path, 11, &d, "kcc", "initial-value", NULL), 0);
	assert_int_equal(tpm_extend(t, 11, "sysinit", 7, &d), 0);
	assert_int_equal(eventlog_append(path, 11, &d, "systemd", "phase", "sysinit"), 0);
	assert_int_equal(tpm_extend(t, 11, "ready", 5, &d), 0);
	assert_int_equal(eventlog_append(path, 11, &d, "systemd", "phase", "ready"), 0);
	assert_int_equal(eventlog_replay(path, &rp, NULL, err, sizeof(err)), 0);
	assert_int_equal(rp.n_records, 3);
	assert_int_equal(tpm_pcr_read(t, PCR_BANK_SHA256, 11, v), 0);
	assert_memory_equal(rp.value[bi][11], v, 32);
	/* A log missing an event does not replay to the TPM's value. */
	assert_int_equal(tpm_extend(t, 11, "unlogged", 8, NULL), 0);
	assert_int_equal(tpm_pcr_read(t, PCR_BANK_SHA256, 11, v), 0);
	assert_memory_not_equal(rp.value[bi][11], v, 32);
	tpm_close(t);
}

static void test_quote(void **state)
{
	static const uint8_t nonce[16] = "fresh-nonce-1234";
	uint8_t vals[2][32], v[PCR_DIGEST_MAX];
	uint32_t mask = (1u << 11) | (1u << 15);
	char err[160];
	Tpm *t = open_tpm();
	TpmQuote q;

	(void)state;
	assert_int_equal(tpm_quote(t, mask, nonce, sizeof(nonce), &q), 0);
	assert_int_equal(tpm_pcr_read(t, PCR_BANK_SHA256, 11, v), 0);
	memcpy(vals[0], v, 32);
	assert_int_equal(tpm_pcr_read(t, PCR_BANK_SHA256, 15, v), 0);
	memcpy(vals[1], v, 32);
	assert_int_equal(quote_verify(q.attest, q.attest_size, q.sig, q.sig_size, q.ak_der,
				      q.ak_der_size, nonce, sizeof(nonce), mask,
				      (const uint8_t(*)[32])vals, err, sizeof(err)),
			 0);
	/* Another nonce (a replayed quote), and a forged PCR value, are both rejected. */
	assert_int_equal(quote_verify(q.attest, q.attest_size, q.sig, q.sig_size, q.ak_der,
				      q.ak_der_size, (const uint8_t *)"other-nonce-1234", 16, mask,
				      (const uint8_t(*)[32])vals, err, sizeof(err)),
			 -EPERM);
	vals[1][0] ^= 1;
	assert_int_equal(quote_verify(q.attest, q.attest_size, q.sig, q.sig_size, q.ak_der,
				      q.ak_der_size, nonce, sizeof(nonce), mask,
				      (const uint8_t(*)[32])vals, err, sizeof(err)),
			 -EPERM);
	tpm_quote_done(&q);
	tpm_close(t);
}

static void test_no_tpm(void **state)
{
	Tpm *t = NULL;

	(void)state;
	assert_int_equal(tpm_open("device:/nonexistent/tpmrm0", &t), -ENODEV);
	assert_non_null(strstr(tpm_error(t), "no TPM"));
	tpm_close(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_tpm),
		cmocka_unit_test(test_sessions_are_salted),
		cmocka_unit_test(test_seal_unseal),
		cmocka_unit_test(test_unseal_command_budget),
		cmocka_unit_test(test_security_epoch),
		cmocka_unit_test(test_pcr_read_banks_and_memory),
		cmocka_unit_test(test_extend_breaks_unseal_and_resign_restores),
		cmocka_unit_test(test_wrong_key_and_tampered_signature),
		cmocka_unit_test(test_extra_literal_pcr),
		cmocka_unit_test(test_lockout_does_not_lock_the_disk),
		cmocka_unit_test(test_unseal_leaves_no_secret_in_tss_buffers),
		cmocka_unit_test(test_pcr4_refuses_replayed_pcr11),
		cmocka_unit_test(test_empty_ref_pcr11_signature_refused),
		cmocka_unit_test(test_token_without_policy_ref_refused),
		cmocka_unit_test(test_pcr15_breaks_unseal),
		cmocka_unit_test(test_eventlog_replays_to_tpm),
		cmocka_unit_test(test_quote),
	};
	return cmocka_run_group_tests_name("tpm", tests, group_setup, group_teardown);
}
