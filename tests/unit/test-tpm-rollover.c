/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A PCR-signing-key rollover against swtpm (docs/measured-boot.md, "PCR-signing-key rollover"):
 * a secret sealed under key A (with A's security-epoch index) re-sealed under key B keeps A's
 * index; B's approvals naming that index unseal it (what `kcc-pcr sign --epoch-index-of A`
 * signs), A's approvals do not, B's approvals naming only B's own index do not, and the epoch
 * still holds: once the node moves past B's image's epoch, B's image is refused too. */
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#include "epoch.h"
#include "pcrsig.h"
#include "sealed.h"
#include "swtpm-fixture.h"

static SwtpmFixture swtpm;
static const uint8_t secret[64] = "0123456789abcdef0123456789abcdef-and-the-volume-binding-after-it";

typedef struct Key {
	char pem[300];
	uint8_t *der;
	size_t der_size;
	uint8_t fp[32];
} Key;

static void key_new(Key *k, const char *name)
{
	EVP_PKEY *pk = EVP_RSA_gen(2048);
	unsigned char *out = NULL;
	FILE *f;
	int n;

	assert_non_null(pk);
	snprintf(k->pem, sizeof(k->pem), "%s/%s.pem", swtpm.dir, name);
	f = fopen(k->pem, "we");
	assert_non_null(f);
	assert_true(PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL));
	fclose(f);
	n = i2d_PUBKEY(pk, &out);
	EVP_PKEY_free(pk);
	assert_true(n > 0);
	k->der = out;
	k->der_size = (size_t)n;
	assert_int_equal(pcr_key_fingerprint(k->der, k->der_size, k->fp), 0);
}

static void add(json_object *root, const char *array, uint32_t mask, const Key *k,
		const uint8_t pol[32], const char *ref, int epoch)
{
	uint8_t *sig;
	size_t sig_size;

	assert_int_equal(pcrsig_sign(k->pem, pol, (const uint8_t *)ref, strlen(ref), &sig,
				     &sig_size),
			 0);
	assert_int_equal(pcrsig_add_to(root, array, mask, k->fp, pol, sig, sig_size, epoch), 0);
	free(sig);
}

/* Signed by k for PCR 11 = v, epoch e, the PolicyNV naming index_of's index; with the
 * provisioning's bit-less first write and the write approval at v (init: k's own index). */
static char *sign(const Key *k, const Key *index_of, const uint8_t v[32], unsigned e)
{
	uint8_t pol[32] = { 0 }, nv[EPOCH_NAME_SIZE], cp[32], i[32] = { 0 }, w[32] = { 0 };
	json_object *root = json_object_new_object();
	char *out;

	assert_int_equal(epoch_nv_name(index_of->der, index_of->der_size, true, nv), 0);
	assert_int_equal(pcr_policy_pcr(pol, 1u << 11, (const uint8_t(*)[32])v), 0);
	assert_int_equal(epoch_policy_nv(pol, nv, e), 0);
	add(root, PCRSIG_BANK, 1u << 11, k, pol, EPOCH_POLICY_REF, (int)e);
	assert_int_equal(pcr_policy_pcr(w, 1u << 11, (const uint8_t(*)[32])v), 0);
	assert_int_equal(epoch_policy_setbits(w), 0);
	add(root, PCRSIG_EPOCH_WRITE, 1u << 11, k, w, EPOCH_WRITE_REF, -1);
	assert_int_equal(epoch_init_cphash(k->der, k->der_size, cp), 0);
	assert_int_equal(epoch_policy_init(i, cp), 0);
	add(root, PCRSIG_EPOCH_WRITE, 0, k, i, EPOCH_WRITE_REF, -1);
	out = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));
	json_object_put(root);
	return out;
}

static int open_with(Tpm *t, const Sealed *s, const Key *k, const char *sig)
{
	uint8_t out[64];
	size_t n = sizeof(out);
	int r = sealed_open(t, s, k->der, k->der_size, sig, out, &n);

	if (r == 0) {
		assert_int_equal(n, sizeof(secret));
		assert_memory_equal(out, secret, n);
	}
	return r;
}

static void test_rollover(void **state)
{
	uint8_t v[PCR_DIGEST_MAX];
	char *a1, *b_prev1, *b_own1, *b_prev0;
	Key a, b;
	Tpm *t = NULL;
	TpmSrk nv;
	Sealed sa, sb;

	(void)state;
	key_new(&a, "a");
	key_new(&b, "b");
	assert_int_equal(tpm_open(swtpm.tcti, &t), 0);
	assert_int_equal(tpm_pcr_read(t, PCR_BANK_SHA256, 11, v), 0);
	a1 = sign(&a, &a, v, 1);
	b_prev1 = sign(&b, &a, v, 1);
	b_own1 = sign(&b, &b, v, 1);
	b_prev0 = sign(&b, &a, v, 0);
	/* Provisioned by A's image: A's index, A's policy. */
	assert_int_equal(sealed_epoch_define(t, a.der, a.der_size, SEALED_SIGNED_DIRECT, a1, &nv), 0);
	assert_int_equal(sealed_create(t, a.der, a.der_size, SEALED_SIGNED_DIRECT, 0, &nv, secret,
				       sizeof(secret), &sa),
			 0);
	assert_int_equal(open_with(t, &sa, &a, a1), 0);
	/* The rollover image re-seals under B: same signed PCRs, literal values and index. */
	assert_int_equal(sealed_reseal(t, &sa, b.der, b.der_size, secret, sizeof(secret), &sb), 0);
	assert_memory_equal(sb.nv.name, sa.nv.name, EPOCH_NAME_SIZE);
	assert_memory_equal(sb.pkfp, b.fp, 32);
	assert_int_equal(sb.signed_mask, sa.signed_mask);
	/* B's image (approvals naming A's index) unseals it; A's image does not. */
	assert_int_equal(open_with(t, &sb, &b, b_prev1), 0);
	assert_int_equal(open_with(t, &sb, &a, a1), -ENOKEY);
	/* B's approvals of its own index only: no entry names the token's index. */
	assert_int_equal(open_with(t, &sb, &b, b_own1), -ENOENT);
	/* A's approval handed to the TPM as if B had signed it: the TPM refuses it. */
	{
		uint8_t *sig, pol[32], out[64];
		size_t sig_size, n = sizeof(out);
		unsigned e;

		assert_int_equal(pcrsig_first_epoch(a1, 1u << 11, pol, &sig, &sig_size, &e), 0);
		assert_true(sealed_open_approved(t, &sb, b.der, b.der_size, pol, sig, sig_size, e,
						 out, &n) < 0);
		free(sig);
	}
	/* The epoch holds across the rollover: the node moves to 1 (A's write approval), and B's
	 * epoch-0 image is refused, its epoch-1 image still unseals. */
	assert_int_equal(sealed_epoch_raise(t, a.der, a.der_size, a1, 1, EPOCH_MAX, NULL), 0);
	assert_int_equal(open_with(t, &sb, &b, b_prev0), -ESTALE);
	assert_int_equal(open_with(t, &sb, &b, b_prev1), 0);
	sealed_done(&sa);
	sealed_done(&sb);
	free(a1);
	free(b_prev1);
	free(b_own1);
	free(b_prev0);
	OPENSSL_free(a.der);
	OPENSSL_free(b.der);
	tpm_close(t);
}

static int group_setup(void **state)
{
	(void)state;
	setenv("TSS2_LOG", "all+none", 1);
	return swtpm_fixture_start(&swtpm);
}

static int group_teardown(void **state)
{
	(void)state;
	return swtpm_fixture_stop(&swtpm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rollover),
	};
	return cmocka_run_group_tests_name("tpm-rollover", tests, group_setup, group_teardown);
}
