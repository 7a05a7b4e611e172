/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The recovery keyslot's envelope (init/recovery.c): the passphrase encrypted to an operator's RSA
 * or EC public key comes back out of the CMS EnvelopedData with the private key alone, and with no
 * other key; keys too weak or not keys at all are refused. */
#include <json-c/json.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "recovery.h"

static char pem[] = "/tmp/kcc-recovery-key.XXXXXX";

static void write_pub(EVP_PKEY *k)
{
	FILE *f = fopen(pem, "w");

	assert_non_null(f);
	assert_int_equal(PEM_write_PUBKEY(f, k), 1);
	fclose(f);
}

/* Decrypts the token's envelope with k: the 32 bytes, or -1. */
static int open_token(const char *json, EVP_PKEY *k, uint8_t out[RECOVERY_PASS_SIZE])
{
	json_object *o = json_tokener_parse(json), *v;
	const char *b64;
	unsigned char der[4096], plain[RECOVERY_PASS_SIZE + 1];
	const unsigned char *p = der;
	CMS_ContentInfo *cms;
	BIO *mem;
	int n, r = -1;

	assert_true(json_object_object_get_ex(o, "kcc-cms", &v));
	b64 = json_object_get_string(v);
	assert_true(strlen(b64) < sizeof(der));
	n = EVP_DecodeBlock(der, (const unsigned char *)b64, (int)strlen(b64));
	assert_true(n > 0);
	n -= (int)(strlen(b64) - strcspn(b64, "=")); /* EVP_DecodeBlock counts the padding */
	cms = d2i_CMS_ContentInfo(NULL, &p, n);
	assert_non_null(cms);
	mem = BIO_new(BIO_s_mem());
	/* one byte more than the passphrase, to see a longer content, into a buffer that holds it
	 * (another key may "decrypt" to random bytes of any length) */
	if (CMS_decrypt(cms, k, NULL, NULL, mem, CMS_BINARY) == 1 &&
	    BIO_read(mem, plain, sizeof(plain)) == RECOVERY_PASS_SIZE) {
		memcpy(out, plain, RECOVERY_PASS_SIZE);
		r = 0;
	}
	BIO_free(mem);
	CMS_ContentInfo_free(cms);
	json_object_put(o);
	return r;
}

static void round_trip(EVP_PKEY *k, EVP_PKEY *other)
{
	uint8_t pass[RECOVERY_PASS_SIZE], out[RECOVERY_PASS_SIZE];
	char *json = NULL, err[200];

	write_pub(k);
	assert_true(recovery_enabled(pem));
	assert_int_equal(recovery_token_new(pem, pass, &json, err, sizeof(err)), 0);
	assert_null(strstr(json, "BEGIN")); /* the envelope, not a PEM of anything */
	assert_int_equal(open_token(json, k, out), 0);
	assert_memory_equal(out, pass, sizeof(pass));
	/* Another private key does not get the passphrase. */
	memset(out, 0, sizeof(out));
	assert_true(open_token(json, other, out) < 0 || memcmp(out, pass, sizeof(pass)) != 0);
	free(json);
}

static void test_rsa(void **state)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	EVP_PKEY *o = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);

	(void)state;
	round_trip(k, o);
	EVP_PKEY_free(k);
	EVP_PKEY_free(o);
}

static void test_ec(void **state)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *o = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	(void)state;
	round_trip(k, o);
	EVP_PKEY_free(k);
	EVP_PKEY_free(o);
}

static void test_refused(void **state)
{
	EVP_PKEY *weak = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	uint8_t pass[RECOVERY_PASS_SIZE];
	char *json = NULL, err[200];
	FILE *f;

	(void)state;
	write_pub(weak);
	assert_int_equal(recovery_token_new(pem, pass, &json, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "neither an RSA key of 2048 bits"));
	f = fopen(pem, "w");
	fputs("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", f);
	fclose(f);
	assert_int_equal(recovery_token_new(pem, pass, &json, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "is not a PEM public key"));
	unlink(pem);
	assert_false(recovery_enabled(pem));
	assert_null(json);
	EVP_PKEY_free(weak);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rsa),
		cmocka_unit_test(test_ec),
		cmocka_unit_test(test_refused),
	};
	int fd = mkstemp(pem), r;

	close(fd);
	r = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(pem);
	return r;
}
