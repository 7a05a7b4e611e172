/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

#include "node-key.h"
#include "util.h"

int node_key_new(EVP_PKEY **ret)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	if (!k)
		return -EIO;
	*ret = k;
	return 0;
}

int node_csr(EVP_PKEY *key, const char *node, uint8_t **ret, size_t *ret_size)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = X509_NAME_new();
	unsigned char *der = NULL;
	char cn[300];
	int n, r = -EIO;

	snprintf(cn, sizeof(cn), "system:node:%s", node);
	if (req && name &&
	    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)"system:nodes", -1, -1, 0) &&
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0) &&
	    X509_REQ_set_subject_name(req, name) && X509_REQ_set_pubkey(req, key) &&
	    X509_REQ_sign(req, key, EVP_sha256()) > 0 && (n = i2d_X509_REQ(req, &der)) > 0) {
		*ret = der;
		*ret_size = (size_t)n;
		r = 0;
	}
	X509_NAME_free(name);
	X509_REQ_free(req);
	return r;
}

int node_key_write(EVP_PKEY *key, const char *path, mode_t mode)
{
	char tmp[4096];
	FILE *f;
	int fd, r = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return -errno;
	}
	if (!PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL))
		r = -EIO;
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}
