/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "kubelet-creds.h"
#include "util.h"

/* What a YAML double-quoted scalar carries as it is: printable ASCII without '"' and '\'. */
static bool yaml_plain(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e || *s == '"' || *s == '\\')
			return false;
	return true;
}

int kubelet_kubeconfig(const KubeletCreds *k, const char *node, char **ret)
{
	if (!yaml_plain(k->api_server) || !yaml_plain(k->ca_path) || !yaml_plain(k->cert_path) ||
	    !yaml_plain(node) || !startswith(k->api_server, "https://"))
		return -EINVAL;
	if (asprintf(ret,
		     "# Written by kcc-attest after each join (docs/kubelet.md): the attested client\n"
		     "# certificate, renewed by the same join; not by the kubelet.\n"
		     "apiVersion: v1\n"
		     "kind: Config\n"
		     "clusters:\n"
		     "- name: cluster\n"
		     "  cluster:\n"
		     "    server: \"%s\"\n"
		     "    certificate-authority: \"%s\"\n"
		     "users:\n"
		     "- name: \"system:node:%s\"\n"
		     "  user:\n"
		     "    client-certificate: \"%s\"\n"
		     "    client-key: \"%s\"\n"
		     "contexts:\n"
		     "- name: default\n"
		     "  context:\n"
		     "    cluster: cluster\n"
		     "    user: \"system:node:%s\"\n"
		     "current-context: default\n",
		     k->api_server, k->ca_path, node, k->cert_path, k->cert_path, node) < 0) {
		*ret = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* The certificate is for the key and valid now; the CA holds at least one certificate. */
static int check(const char *key_pem, const char *cert_pem, const char *ca_pem, char *err,
		 size_t err_size)
{
	BIO *b = BIO_new_mem_buf(cert_pem, -1), *kb = BIO_new_mem_buf(key_pem, -1),
	    *cb = BIO_new_mem_buf(ca_pem, -1);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	X509 *ca = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
	EVP_PKEY *key = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
	int r = 0;

	if (!x || !key)
		r = errorf(err, err_size, -EBADMSG, "no PEM %s", !x ? "certificate" : "private key");
	else if (!ca)
		r = errorf(err, err_size, -EBADMSG, "kubelet.cluster-ca: no PEM certificate");
	else if (X509_check_private_key(x, key) != 1)
		r = errorf(err, err_size, -EBADMSG, "the certificate is not for the node's key");
	else if (X509_cmp_current_time(X509_get0_notBefore(x)) > 0 ||
		 X509_cmp_current_time(X509_get0_notAfter(x)) <= 0)
		r = errorf(err, err_size, -EKEYEXPIRED, "the certificate is not valid now (is the "
			   "clock right?)");
	X509_free(x);
	X509_free(ca);
	EVP_PKEY_free(key);
	BIO_free(b);
	BIO_free(kb);
	BIO_free(cb);
	return r;
}

int kubelet_creds_write(const KubeletCreds *k, const char *node, const char *key_pem,
			const char *cert_pem, char *err, size_t err_size)
{
	_cleanup_free_ char *kubeconfig = NULL;
	size_t nk = strlen(key_pem), nc = strlen(cert_pem);
	char *both;
	int r;

	r = kubelet_kubeconfig(k, node, &kubeconfig);
	if (r < 0)
		return errorf(err, err_size, r, "cannot write a kubeconfig for the API server '%s'",
			      k->api_server);
	r = check(key_pem, cert_pem, k->cluster_ca, err, err_size);
	if (r < 0)
		return r;
	r = replace_file_durably(k->ca_path, k->cluster_ca, strlen(k->cluster_ca), 0644);
	if (r < 0)
		return errorf(err, err_size, r, "%s: %s", k->ca_path, strerror(-r));
	both = malloc(nk + nc + 1);
	if (!both)
		return errorf(err, err_size, -ENOMEM, "out of memory");
	memcpy(both, key_pem, nk);
	memcpy(both + nk, cert_pem, nc + 1);
	r = replace_file_durably(k->cert_path, both, nk + nc, 0600);
	explicit_wipe(both, nk + nc);
	free(both);
	if (r < 0)
		return errorf(err, err_size, r, "%s: %s", k->cert_path, strerror(-r));
	r = replace_file_durably(k->kubeconfig_path, kubeconfig, strlen(kubeconfig), 0600);
	if (r < 0)
		return errorf(err, err_size, r, "%s: %s", k->kubeconfig_path, strerror(-r));
	return 0;
}

long attest_renew_delay(long left_s, uint32_t rnd)
{
	long at = left_s / 3 * 2, jitter = left_s / 15;

	if (jitter > 0)
		at -= (long)(rnd % (uint32_t)(jitter + 1));
	return at < ATTEST_RENEW_MIN_S ? ATTEST_RENEW_MIN_S : at;
}

unsigned attest_retry_delay(unsigned backoff_s, long left_s)
{
	long half = left_s / 2;

	if (left_s <= 0) /* nothing left to keep: the plain backoff */
		return backoff_s;
	if (half < 5)
		half = 5;
	return (long)backoff_s > half ? (unsigned)half : backoff_s;
}
