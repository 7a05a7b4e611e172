/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Credential activation and the AK's quotes against two fresh swtpms: MakeCredential in software
 * (lib/tpm/makecred.c) activates on the TPM it was made for, with the AK it names, and on no
 * other; a quote with the AK verifies with the AK's public area; the verifier (lib/attest) names
 * a quote from another TPM and a quote bound to another CSR. Released secrets (lib/tpm/duplicate.c,
 * tpm_import_unseal): a blob made in software for a TPM's EK and its current PCR values imports
 * and unseals there; another TPM cannot import it; an extend of a PCR of the policy after the
 * release makes the unseal fail; the blob's parser refuses what the verifier would not make. The
 * firmware's TCG log, when sent, replays to the quoted PCRs 0-7 or the node is refused. */
#include "unit.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#include "attest-keys.h"
#include "duplicate.h"
#include "makecred.h"
#include "public.h"
#include "swtpm-fixture.h"
#include "tcglog-build.h"
#include "quote.h"
#include "tpm-internal.h"
#include "tpm.h"
#include "verifier.h"

static SwtpmFixture tpms[2];

static int group_setup(void **state)
{
	(void)state;
	setenv("TSS2_LOG", "all+none", 1);
	return swtpm_fixture_start(&tpms[0]) < 0 || swtpm_fixture_start(&tpms[1]) < 0 ? -1 : 0;
}

static int group_teardown(void **state)
{
	(void)state;
	return swtpm_fixture_stop(&tpms[0]) < 0 || swtpm_fixture_stop(&tpms[1]) < 0 ? -1 : 0;
}

/* Transient objects and loaded sessions in the TPM: none once a flow is done. */
static unsigned handles(Tpm *t, TPM2_HANDLE first)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more;
	unsigned n;

	assert_int_equal(Esys_GetCapability(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
					    TPM2_CAP_HANDLES, first, 64, &more, &cap),
			 TSS2_RC_SUCCESS);
	n = cap->data.handles.count;
	Esys_Free(cap);
	return n;
}

/* The EK the tests make: RSA, then ECC for the test_ecc_* repeats. */
static TpmEkType ek_type = TPM_EK_RSA;

static Tpm *open_tpm(int i, TpmAttestKeys *k)
{
	Tpm *t = NULL;
	TPM2B_PUBLIC ek;

	assert_int_equal(tpm_open(tpms[i].tcti, &t), 0);
	assert_int_equal(tpm_attest_keys(t, ek_type, k), 0);
	assert_int_equal(tpm_public_parse(k->ek_pub, k->ek_pub_size, &ek), 0);
	assert_int_equal(ek.publicArea.type, ek_type == TPM_EK_ECC ? TPM2_ALG_ECC : TPM2_ALG_RSA);
	return t;
}

static void make_for(const TpmAttestKeys *k, const uint8_t *cred, uint8_t **blob, size_t *bs,
		     uint8_t **sec, size_t *ss)
{
	TPM2B_PUBLIC ek, ak;
	uint8_t name[TPM_PUBLIC_NAME_SIZE];

	assert_int_equal(tpm_public_parse(k->ek_pub, k->ek_pub_size, &ek), 0);
	assert_int_equal(tpm_public_parse(k->ak_pub, k->ak_pub_size, &ak), 0);
	assert_true(tpm_public_is_ek(&ek, NULL));
	assert_true(tpm_public_is_ak(&ak, NULL));
	assert_int_equal(tpm_public_name(&ak, name), 0);
	assert_int_equal(tpm_make_credential(&ek, name, cred, 32, blob, bs, sec, ss), 0);
}

static void test_activate_on_its_tpm_only(void **state)
{
	static const uint8_t cred[32] = "the activated secret, 32 bytes!";
	TpmAttestKeys a, b;
	Tpm *ta = open_tpm(0, &a), *tb = open_tpm(1, &b);
	uint8_t *blob, *sec, out[32];
	size_t bs, ss, n = 0;
	unsigned long before;

	(void)state;
	make_for(&a, cred, &blob, &bs, &sec, &ss);
	if (tpm_activate_credential(ta, &a, blob, bs, sec, ss, out, &n) < 0)
		fail_msg("%s", tpm_error(ta));
	assert_int_equal(n, 32);
	assert_memory_equal(out, cred, 32);
	/* The second TPM cannot: the seed is encrypted to the first one's EK. */
	assert_int_equal(tpm_activate_credential(tb, &b, blob, bs, sec, ss, out, &n), -EBADMSG);
	/* Nothing transient is left behind: the EK and the AK flushed, the policy sessions too. */
	before = tpm_commands(ta);
	tpm_attest_keys_done(ta, &a);
	assert_true(tpm_commands(ta) == before + 2);
	tpm_attest_keys_done(tb, &b);
	for (int i = 0; i < 2; i++) {
		Tpm *t = i ? tb : ta;
		assert_int_equal(handles(t, 0x80000000u), 0);
		assert_int_equal(handles(t, 0x02000000u), 0);
	}
	free(blob);
	free(sec);
	tpm_close(ta);
	tpm_close(tb);
}

static void test_quote_verifies_with_ak(void **state)
{
	static const uint8_t q[32] = "qualifying data, 32 bytes long!";
	uint8_t values[3][32];
	TpmAttestKeys k;
	Tpm *t = open_tpm(0, &k);
	TpmQuote quote;
	TPM2B_PUBLIC ak;
	uint8_t *der;
	size_t der_size;
	char err[200];
	uint32_t mask = (1u << 11) | (1u << 12) | (1u << 15);

	(void)state;
	assert_int_equal(tpm_extend(t, 11, "x", 1, NULL), 0);
	assert_int_equal(tpm_pcr_values(t, mask, values, NULL), 0);
	assert_int_equal(tpm_attest_quote(t, &k, mask, q, sizeof(q), &quote), 0);
	assert_int_equal(tpm_public_parse(k.ak_pub, k.ak_pub_size, &ak), 0);
	assert_int_equal(tpm_public_to_der(&ak, &der, &der_size), 0);
	assert_int_equal(der_size, quote.ak_der_size);
	assert_memory_equal(der, quote.ak_der, der_size);
	assert_int_equal(quote_verify(quote.attest, quote.attest_size, quote.sig, quote.sig_size,
				      der, der_size, q, sizeof(q), mask, values, err, sizeof(err)),
			 0);
	OPENSSL_free(der);
	tpm_quote_done(&quote);
	tpm_attest_keys_done(t, &k);
	tpm_close(t);
}

/* A verifier that knows TPM 0's EK by the allow-list, with an issuer of its own. */
static Verifier *verifier_for(const TpmAttestKeys *k)
{
	Verifier *v = calloc(1, sizeof(*v));
	TPM2B_PUBLIC ek;
	uint8_t *der;
	size_t n;
	X509_NAME *name;

	assert_non_null(v);
	assert_int_equal(tpm_public_parse(k->ek_pub, k->ek_pub_size, &ek), 0);
	assert_int_equal(tpm_public_to_der(&ek, &der, &n), 0);
	v->ek_allow = calloc(1, 32);
	assert_int_equal(pcr_hash(PCR_BANK_SHA256, der, n, v->ek_allow[0]), 0);
	v->n_ek_allow = 1;
	OPENSSL_free(der);
	v->policy = VERIFIER_POLICY_TEST;
	v->validity_s = 3600;
	v->nonce_ttl_ms = 60000;
	v->issuer_key = EVP_EC_gen("P-256");
	v->issuer = X509_new();
	name = X509_get_subject_name(v->issuer);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)"i", -1, -1, 0);
	X509_set_issuer_name(v->issuer, name);
	X509_set_pubkey(v->issuer, v->issuer_key);
	return v;
}

static const char *first_reason(json_object *res)
{
	return json_object_get_string(
		json_object_array_get_idx(json_object_object_get(res, "reasons"), 0));
}

/* finish for the session of ch with a quote by keys k of TPM t, bound to secret and csr. */
static AttestBlob fw_log_sent; /* the firmware log finish_with sends (none: empty) */

static json_object *finish_with(Verifier *v, Tpm *t, const TpmAttestKeys *k,
				const AttestChallenge *ch, const uint8_t *secret,
				const uint8_t *csr, size_t csr_size)
{
	AttestFinish f = { .pcr_mask = ATTEST_PCR_MASK };
	uint8_t q[32], values[PCR_COUNT][32];
	static char log[] = "";
	TpmQuote quote;
	json_object *res = NULL;
	size_t n = 0;

	assert_int_equal(attest_qualifying(ch->nonce, secret, csr, csr_size, q), 0);
	assert_int_equal(tpm_attest_quote(t, k, ATTEST_PCR_MASK, q, sizeof(q), &quote), 0);
	assert_int_equal(tpm_pcr_values(t, 0xff, values, NULL), 0);
	assert_int_equal(tpm_pcr_values(t, (1u << 11) | (1u << 12) | (1u << 15), values + 8, NULL), 0);
	for (unsigned i = 0; i < PCR_COUNT; i++)
		if (ATTEST_PCR_MASK & (1u << i))
			memcpy(f.pcrs[i], values[n++], 32);
	memcpy(f.session, ch->session, sizeof(f.session));
	strcpy(f.node, "n");
	f.attest = (AttestBlob){ quote.attest, quote.attest_size };
	f.sig = (AttestBlob){ quote.sig, quote.sig_size };
	f.cel_log = (AttestBlob){ (uint8_t *)log, 0 };
	f.csr = (AttestBlob){ (uint8_t *)csr, csr_size };
	f.fw_log = fw_log_sent;
	assert_true(verifier_finish(v, &f, &res) >= 0);
	tpm_quote_done(&quote);
	return res;
}

static void test_verifier_names_another_tpm_and_another_csr(void **state)
{
	static const uint8_t csr[] = "a CSR's bytes", other_csr[] = "another CSR";
	TpmAttestKeys a, b;
	Tpm *ta = open_tpm(0, &a), *tb = open_tpm(1, &b);
	AttestStart m = { .ek_pub = { a.ek_pub, a.ek_pub_size }, .ak_pub = { a.ak_pub, a.ak_pub_size } };
	AttestChallenge ch;
	Verifier *v = verifier_for(&a);
	uint8_t secret[32];
	size_t n;
	json_object *res;
	char err[300];

	(void)state;
	/* B's AK cannot stand in for A's: the credential names A's AK, and B's quote fails. */
	assert_int_equal(verifier_start(v, &m, &ch, err, sizeof(err)), 0);
	assert_int_equal(tpm_activate_credential(tb, &b, ch.blob.p, ch.blob.n, ch.secret.p,
						 ch.secret.n, secret, &n), -EBADMSG);
	assert_int_equal(tpm_activate_credential(ta, &a, ch.blob.p, ch.blob.n, ch.secret.p,
						 ch.secret.n, secret, &n), 0);
	res = finish_with(v, tb, &b, &ch, secret, csr, sizeof(csr));
	assert_string_equal(json_object_get_string(json_object_object_get(res, "verdict")),
			    "contraindicated");
	assert_non_null(strstr(first_reason(res), "quote from another TPM: "));
	json_object_put(res);
	/* A finish uses its session up, whatever the verdict (here: no DER CSR) */
	attest_challenge_done(&ch);
	assert_int_equal(verifier_start(v, &m, &ch, err, sizeof(err)), 0);
	assert_int_equal(tpm_activate_credential(ta, &a, ch.blob.p, ch.blob.n, ch.secret.p,
						 ch.secret.n, secret, &n), 0);
	res = finish_with(v, ta, &a, &ch, secret, other_csr, sizeof(other_csr));
	json_object_put(res);
	/* ... and the same session again: single use */
	res = finish_with(v, ta, &a, &ch, secret, csr, sizeof(csr));
	assert_non_null(strstr(first_reason(res), "replayed nonce"));
	json_object_put(res);
	attest_challenge_done(&ch);
	/* A quote without the activated secret (or of another CSR) is not bound to the session */
	assert_int_equal(verifier_start(v, &m, &ch, err, sizeof(err)), 0);
	assert_int_equal(tpm_activate_credential(ta, &a, ch.blob.p, ch.blob.n, ch.secret.p,
						 ch.secret.n, secret, &n), 0);
	memset(secret, 0, sizeof(secret)); /* what a TPM that could not activate would have */
	res = finish_with(v, ta, &a, &ch, secret, csr, sizeof(csr));
	assert_non_null(strstr(first_reason(res), "quote not bound to this session"));
	json_object_put(res);
	attest_challenge_done(&ch);
	tpm_attest_keys_done(ta, &a);
	tpm_attest_keys_done(tb, &b);
	tpm_close(ta);
	tpm_close(tb);
	verifier_done(v);
	free(v);
}

/* A join of TPM t (keys k) sending the firmware log b: the result. */
static json_object *join_with_fw_log(Verifier *v, Tpm *t, const TpmAttestKeys *k, const Buf *b)
{
	static const uint8_t csr[] = "a CSR's bytes";
	AttestStart m = { .ek_pub = { k->ek_pub, k->ek_pub_size },
			  .ak_pub = { k->ak_pub, k->ak_pub_size } };
	AttestChallenge ch;
	uint8_t secret[32];
	size_t n;
	char err[300];
	json_object *res;

	assert_int_equal(verifier_start(v, &m, &ch, err, sizeof(err)), 0);
	assert_int_equal(tpm_activate_credential(t, k, ch.blob.p, ch.blob.n, ch.secret.p,
						 ch.secret.n, secret, &n), 0);
	fw_log_sent = (AttestBlob){ (uint8_t *)b->b, b->n };
	res = finish_with(v, t, k, &ch, secret, csr, sizeof(csr));
	fw_log_sent = (AttestBlob){ NULL, 0 };
	attest_challenge_done(&ch);
	return res;
}

/* The result's reason that starts with prefix, or NULL. */
static const char *reason_with(json_object *res, const char *prefix)
{
	json_object *r = json_object_object_get(res, "reasons");

	for (size_t i = 0; i < json_object_array_length(r); i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(r, i));
		if (strncmp(s, prefix, strlen(prefix)) == 0)
			return s;
	}
	return NULL;
}

static const char *claim(json_object *res, const char *name)
{
	return json_object_get_string(
		json_object_object_get(json_object_object_get(res, "claims"), name));
}

/* The firmware's log replays to the quoted PCRs 0-7: one that does is claimed "replayed" with its
 * record count; an edited digest, a dropped record and a malformed log are each refused. */
static void test_verifier_replays_firmware_log(void **state)
{
	PcrDigests d = { .n = 1, .bank = { PCR_BANK_SHA256 } };
	TpmAttestKeys a;
	Tpm *ta = open_tpm(0, &a);
	Verifier *v = verifier_for(&a);
	Buf header = { .n = 0 }, log = { .n = 0 }, edited;
	json_object *res;

	(void)state;
	spec_header(&header, true);
	/* the firmware's measurements: what a boot loader's load would extend into PCR 4 */
	memset(d.d[0], 0x44, 32);
	assert_int_equal(tpm_extend_digests(ta, 4, &d), 0);
	log = header;
	event2(&log, 4, 0x80000003 /* EV_EFI_BOOT_SERVICES_APPLICATION */, d.d[0], "loader", 6);
	res = join_with_fw_log(v, ta, &a, &log);
	assert_null(reason_with(res, "firmware"));
	assert_string_equal(claim(res, "firmware_log"), "replayed");
	assert_string_equal(claim(res, "firmware_events"), "1");
	json_object_put(res);
	/* the boot loader's digest edited */
	edited = log;
	edited.b[edited.n - 6 - 4 - 1] ^= 1;
	res = join_with_fw_log(v, ta, &a, &edited);
	assert_string_equal(json_object_get_string(json_object_object_get(res, "verdict")),
			    "contraindicated");
	assert_non_null(reason_with(res, "firmware event log edited or truncated: PCR 4 does not "
					 "replay to the quoted value"));
	json_object_put(res);
	/* its record dropped: the header alone */
	res = join_with_fw_log(v, ta, &a, &header);
	assert_non_null(reason_with(res, "firmware event log edited or truncated: PCR 4"));
	json_object_put(res);
	/* a byte after the last record */
	edited = log;
	edited.b[edited.n++] = 0;
	res = join_with_fw_log(v, ta, &a, &edited);
	assert_non_null(reason_with(res, "firmware event log malformed: record 3: a record is "
					 "truncated"));
	json_object_put(res);
	tpm_attest_keys_done(ta, &a);
	tpm_close(ta);
	verifier_done(v);
	free(v);
}

static const char released[] = "db-password: correct horse battery staple";

/* What the verifier does with the PCR values it appraised: the blob for k's EK. */
static void release_for(Tpm *t, const TpmAttestKeys *k, uint8_t **blob, size_t *size)
{
	uint8_t values[PCR_COUNT][32] = { { 0 } }, low[8][32], high[3][32];
	TPM2B_PUBLIC ek;

	/* As the node reports them (at most 8 per PCR_Read). */
	tpm_pcr_forget(t);
	assert_int_equal(tpm_pcr_values(t, 0xff, low, NULL), 0);
	assert_int_equal(tpm_pcr_values(t, ATTEST_PCR_MASK & ~0xffu, high, NULL), 0);
	memcpy(values, low, sizeof(low));
	memcpy(values[11], high[0], 32);
	memcpy(values[12], high[1], 32);
	memcpy(values[15], high[2], 32);
	assert_int_equal(tpm_public_parse(k->ek_pub, k->ek_pub_size, &ek), 0);
	assert_int_equal(tpm_duplicate_sealed(&ek, ATTEST_PCR_MASK, (const uint8_t(*)[32])values,
					      released, strlen(released), blob, size), 0);
}

static void test_unseals_on_its_tpm_only(void **state)
{
	TpmAttestKeys a, b;
	Tpm *ta = open_tpm(0, &a), *tb = open_tpm(1, &b);
	uint8_t *blob = NULL, out[TPM_SECRET_MAX];
	size_t size = 0, n = sizeof(out);

	(void)state;
	release_for(ta, &a, &blob, &size);
	assert_int_equal(tpm_import_unseal(ta, &a, blob, size, ATTEST_PCR_MASK, out, &n), 0);
	assert_int_equal(n, strlen(released));
	assert_memory_equal(out, released, n);
	assert_int_equal(handles(ta, 0x80000000u), 2); /* the EK and the AK, nothing left behind */
	/* Another TPM: its EK cannot recover the seed, the import fails its integrity check. */
	n = sizeof(out);
	assert_int_equal(tpm_import_unseal(tb, &b, blob, size, ATTEST_PCR_MASK, out, &n), -EBADMSG);
	assert_int_equal(handles(tb, 0x80000000u), 2);
	/* Twice on the right TPM: nothing was consumed (the secret comes again at the next join). */
	n = sizeof(out);
	assert_int_equal(tpm_import_unseal(ta, &a, blob, size, ATTEST_PCR_MASK, out, &n), 0);
	assert_memory_equal(out, released, n);
	free(blob);
	tpm_attest_keys_done(ta, &a);
	tpm_attest_keys_done(tb, &b);
	tpm_close(ta);
	tpm_close(tb);
}

static void test_pcr_changed_after_release(void **state)
{
	TpmAttestKeys a;
	Tpm *ta = open_tpm(0, &a);
	uint8_t *blob = NULL, out[TPM_SECRET_MAX];
	size_t size = 0, n = sizeof(out);

	(void)state;
	release_for(ta, &a, &blob, &size);
	assert_int_equal(tpm_extend(ta, 15, "after the release", 17, NULL), 0);
	assert_int_equal(tpm_import_unseal(ta, &a, blob, size, ATTEST_PCR_MASK, out, &n), -EPERM);
	assert_non_null(strstr(tpm_error(ta), "refused to unseal"));
	assert_int_equal(handles(ta, 0x80000000u), 2);
	free(blob);
	tpm_attest_keys_done(ta, &a);
	tpm_close(ta);
}

/* An ECC P-256 EK (template L-2): the seed by ECDH and KDFe instead of RSA-OAEP. */
static int rsa_again(void **state)
{
	(void)state;
	ek_type = TPM_EK_RSA;
	return 0;
}

static void test_ecc_activate_on_its_tpm_only(void **state)
{
	ek_type = TPM_EK_ECC;
	test_activate_on_its_tpm_only(state);
}

static void test_ecc_unseals_on_its_tpm_only(void **state)
{
	ek_type = TPM_EK_ECC;
	test_unseals_on_its_tpm_only(state);
}

static void test_parser_refuses(void **state)
{
	TpmAttestKeys a;
	Tpm *ta = open_tpm(0, &a);
	TPM2B_PUBLIC pub;
	TPM2B_PRIVATE dup;
	TPM2B_ENCRYPTED_SECRET seed;
	uint8_t *blob = NULL, *longer;
	size_t size = 0;
	TPM2B_PUBLIC ek;
	uint8_t values[PCR_COUNT][32] = { { 0 } }, big[TPM_SECRET_MAX + 1] = { 0 };

	(void)state;
	release_for(ta, &a, &blob, &size);
	assert_int_equal(tpm_duplicate_parse(blob, size, &pub, &dup, &seed), 0);
	assert_int_equal(pub.publicArea.objectAttributes, TPMA_OBJECT_NODA);
	for (size_t cut = 0; cut < size; cut += 7)
		assert_int_equal(tpm_duplicate_parse(blob, cut, &pub, &dup, &seed), -EBADMSG);
	longer = malloc(size + 1);
	memcpy(longer, blob, size);
	longer[size] = 0;
	assert_int_equal(tpm_duplicate_parse(longer, size + 1, &pub, &dup, &seed), -EBADMSG);
	/* userWithAuth set (objectAttributes: bytes 4..7 after the sizes, type and nameAlg) */
	memcpy(longer, blob, size);
	longer[2 + 2 + 2 + 3] |= TPMA_OBJECT_USERWITHAUTH;
	assert_int_equal(tpm_duplicate_parse(longer, size, &pub, &dup, &seed), -EBADMSG);
	free(longer);
	free(blob);
	assert_int_equal(tpm_public_parse(a.ek_pub, a.ek_pub_size, &ek), 0);
	assert_int_equal(tpm_duplicate_sealed(&ek, ATTEST_PCR_MASK, (const uint8_t(*)[32])values,
					      big, sizeof(big), &blob, &size), -EINVAL);
	/* The largest secret makes a blob the parser takes. */
	assert_int_equal(tpm_duplicate_sealed(&ek, ATTEST_PCR_MASK, (const uint8_t(*)[32])values,
					      big, TPM_SECRET_MAX, &blob, &size), 0);
	assert_int_equal(tpm_duplicate_parse(blob, size, &pub, &dup, &seed), 0);
	free(blob);
	tpm_attest_keys_done(ta, &a);
	tpm_close(ta);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_activate_on_its_tpm_only),
		cmocka_unit_test_teardown(test_ecc_activate_on_its_tpm_only, rsa_again),
		cmocka_unit_test_teardown(test_ecc_unseals_on_its_tpm_only, rsa_again),
		cmocka_unit_test(test_quote_verifies_with_ak),
		cmocka_unit_test(test_verifier_names_another_tpm_and_another_csr),
		cmocka_unit_test(test_verifier_replays_firmware_log),
		cmocka_unit_test(test_unseals_on_its_tpm_only),
		cmocka_unit_test(test_pcr_changed_after_release),
		cmocka_unit_test(test_parser_refuses),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
