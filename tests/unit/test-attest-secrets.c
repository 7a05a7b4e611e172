/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Released secrets (lib/tpm/duplicate.c, tpm_import_unseal) against two fresh swtpms: a blob made
 * in software for a TPM's EK and its current PCR values imports and unseals there; another TPM
 * cannot import it; an extend of a PCR of the policy after the release makes the unseal fail;
 * the blob's parser refuses what the verifier would not make. */
#include "unit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "attest-keys.h"
#include "duplicate.h"
#include "messages.h"
#include "public.h"
#include "swtpm-fixture.h"
#include "tpm-internal.h"
#include "tpm.h"

static SwtpmFixture tpms[2];
static const char secret[] = "db-password: correct horse battery staple";

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

static Tpm *open_tpm(int i, TpmAttestKeys *k)
{
	Tpm *t = NULL;

	assert_int_equal(tpm_open(tpms[i].tcti, &t), 0);
	assert_int_equal(tpm_attest_keys(t, k), 0);
	return t;
}

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
					      secret, strlen(secret), blob, size), 0);
}

static unsigned transient_handles(Tpm *t)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more;
	unsigned n;

	assert_int_equal(Esys_GetCapability(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
					    TPM2_CAP_HANDLES, 0x80000000u, 64, &more, &cap),
			 TSS2_RC_SUCCESS);
	n = cap->data.handles.count;
	Esys_Free(cap);
	return n;
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
	assert_int_equal(n, strlen(secret));
	assert_memory_equal(out, secret, n);
	assert_int_equal(transient_handles(ta), 2); /* the EK and the AK, nothing left behind */
	/* Another TPM: its EK cannot recover the seed, the import fails its integrity check. */
	n = sizeof(out);
	assert_int_equal(tpm_import_unseal(tb, &b, blob, size, ATTEST_PCR_MASK, out, &n), -EBADMSG);
	assert_int_equal(transient_handles(tb), 2);
	/* Twice on the right TPM: nothing was consumed (the secret comes again at the next join). */
	n = sizeof(out);
	assert_int_equal(tpm_import_unseal(ta, &a, blob, size, ATTEST_PCR_MASK, out, &n), 0);
	assert_memory_equal(out, secret, n);
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
	assert_int_equal(transient_handles(ta), 2);
	free(blob);
	tpm_attest_keys_done(ta, &a);
	tpm_close(ta);
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
		cmocka_unit_test(test_unseals_on_its_tpm_only),
		cmocka_unit_test(test_pcr_changed_after_release),
		cmocka_unit_test(test_parser_refuses),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
