/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The upstream kubelet's credentials as kcc-attest writes them after a join
 * (lib/attest/kubelet-creds.c): the kubeconfig's text, the files and their modes, what is refused
 * before anything is replaced (a certificate for another key, an expired one, a CA that is not
 * PEM, a server URL YAML would misread), and the renewal schedule's bounds. */
#include "unit.h"

#include <errno.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kubelet-creds.h"
#include "util.h"

static char dir[64], cert_path[128], ca_path[128], kc_path[128];

/* A key and a self-signed certificate for it, valid from not_before to not_after (seconds from
 * now), both PEM (malloc'ed). */
static void make_pair(long not_before, long not_after, char **key_pem, char **cert_pem)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	BIO *kb = BIO_new(BIO_s_mem()), *cb = BIO_new(BIO_s_mem());
	char *p;
	long n;

	assert_non_null(k);
	assert_true(X509_set_version(x, 2) && X509_set_pubkey(x, k));
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), not_before));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), not_after));
	assert_true(X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_UTF8,
					       (const unsigned char *)"system:node:n1", -1, -1, 0));
	assert_true(X509_set_issuer_name(x, X509_get_subject_name(x)));
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	assert_true(PEM_write_bio_PrivateKey(kb, k, NULL, NULL, 0, NULL, NULL));
	assert_true(PEM_write_bio_X509(cb, x));
	n = BIO_get_mem_data(kb, &p);
	*key_pem = strndup(p, (size_t)n);
	n = BIO_get_mem_data(cb, &p);
	*cert_pem = strndup(p, (size_t)n);
	BIO_free(kb);
	BIO_free(cb);
	X509_free(x);
	EVP_PKEY_free(k);
}

static KubeletCreds creds(const char *ca)
{
	return (KubeletCreds){ .cert_path = cert_path, .ca_path = ca_path,
			       .kubeconfig_path = kc_path, .api_server = "https://10.0.2.100:6443",
			       .cluster_ca = ca };
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/kcc-unit-kubelet-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(cert_path, sizeof(cert_path), "%s/kubelet-client-current.pem", dir);
	snprintf(ca_path, sizeof(ca_path), "%s/ca.crt", dir);
	snprintf(kc_path, sizeof(kc_path), "%s/kubeconfig", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_kubeconfig(void **state)
{
	KubeletCreds k = creds("");
	char *t = NULL;

	(void)state;
	assert_int_equal(kubelet_kubeconfig(&k, "n1", &t), 0);
	assert_non_null(strstr(t, "    server: \"https://10.0.2.100:6443\"\n"));
	assert_non_null(strstr(t, "    certificate-authority: \""));
	assert_non_null(strstr(t, "- name: \"system:node:n1\"\n"));
	assert_non_null(strstr(t, "/kubelet-client-current.pem\"\n    client-key: \""));
	assert_non_null(strstr(t, "current-context: default\n"));
	free(t);
}

static void test_kubeconfig_refusals(void **state)
{
	const char *bad[] = { "https://a\"b", "https://a\\b", "http://a", "https://a\nb" };
	KubeletCreds k = creds("");
	char *t = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		k.api_server = bad[i];
		assert_int_equal(kubelet_kubeconfig(&k, "n1", &t), -EINVAL);
	}
}

static void test_write(void **state)
{
	char *key, *cert, *ca_key, *ca, *got = NULL, err[256] = "";
	KubeletCreds k;
	struct stat st;

	(void)state;
	make_pair(-60, 3600, &key, &cert);
	make_pair(-60, 86400, &ca_key, &ca);
	k = creds(ca);
	assert_int_equal(kubelet_creds_write(&k, "n1", key, cert, err, sizeof(err)), 0);
	assert_int_equal(stat(cert_path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(stat(kc_path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(stat(ca_path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	/* the key, then the certificate, in one file */
	assert_true(read_small_file(cert_path, 65536, &got) > 0);
	assert_int_equal(strncmp(got, key, strlen(key)), 0);
	assert_string_equal(got + strlen(key), cert);
	free(got);
	assert_true(read_small_file(ca_path, 65536, &got) > 0);
	assert_string_equal(got, ca);
	free(got);
	free(key);
	free(cert);
	free(ca_key);
	free(ca);
}

/* Each refusal leaves the files of the last good write as they were. */
static void test_refusals_keep_files(void **state)
{
	char *key, *cert, *k2, *c2, *old, *ca_key, *ca, *now = NULL, err[256];
	KubeletCreds k;

	(void)state;
	make_pair(-60, 3600, &key, &cert);
	make_pair(-60, 86400, &ca_key, &ca);
	k = creds(ca);
	assert_int_equal(kubelet_creds_write(&k, "n1", key, cert, err, sizeof(err)), 0);
	assert_true(read_small_file(cert_path, 65536, &old) > 0);
	/* a certificate for another key */
	make_pair(-60, 3600, &k2, &c2);
	assert_int_equal(kubelet_creds_write(&k, "n1", key, c2, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "not for the node's key"));
	assert_null(strstr(err, "PRIVATE KEY"));
	free(k2);
	free(c2);
	/* an expired one, and one not valid yet */
	make_pair(-7200, -3600, &k2, &c2);
	assert_int_equal(kubelet_creds_write(&k, "n1", k2, c2, err, sizeof(err)), -EKEYEXPIRED);
	free(k2);
	free(c2);
	make_pair(3600, 7200, &k2, &c2);
	assert_int_equal(kubelet_creds_write(&k, "n1", k2, c2, err, sizeof(err)), -EKEYEXPIRED);
	/* a CA that is not PEM */
	k.cluster_ca = "not a certificate";
	assert_int_equal(kubelet_creds_write(&k, "n1", key, cert, err, sizeof(err)), -EBADMSG);
	assert_true(read_small_file(cert_path, 65536, &now) > 0);
	assert_string_equal(now, old);
	free(now);
	free(old);
	free(k2);
	free(c2);
	free(key);
	free(cert);
	free(ca_key);
	free(ca);
}

static void test_renew_delay(void **state)
{
	(void)state;
	/* two thirds of the time left, brought forward by at most a fifteenth */
	assert_int_equal(attest_renew_delay(86400, 0), 57600);
	assert_int_equal(attest_renew_delay(86400, 5760), 57600 - 5760);
	assert_int_equal(attest_renew_delay(86400, 5761), 57600);
	for (uint32_t r = 0; r < 100000; r += 7) {
		long d = attest_renew_delay(86400, r * 2654435761u);
		assert_true(d >= 57600 - 5760 && d <= 57600);
	}
	assert_int_equal(attest_renew_delay(60, 0), 40);
	assert_int_equal(attest_renew_delay(60, 4), 36);
	assert_int_equal(attest_renew_delay(30, 0), ATTEST_RENEW_MIN_S);
	assert_int_equal(attest_renew_delay(-5, 0), ATTEST_RENEW_MIN_S);
	/* a retry comes before the certificate expires */
	assert_int_equal(attest_retry_delay(300, 100), 50);
	assert_int_equal(attest_retry_delay(5, 100), 5);
	assert_int_equal(attest_retry_delay(80, 6), 5);
	assert_int_equal(attest_retry_delay(300, 0), 300);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kubeconfig),
		cmocka_unit_test(test_kubeconfig_refusals),
		cmocka_unit_test(test_write),
		cmocka_unit_test(test_refusals_keep_files),
		cmocka_unit_test(test_renew_delay),
	};
	return cmocka_run_group_tests_name("attest-kubelet", tests, setup, teardown);
}
