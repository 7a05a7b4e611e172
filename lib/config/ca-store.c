/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PEM CA certificates into a store (ca-store.h). */
#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "ca-store.h"

int ca_store_add_pem(X509_STORE *store, const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	X509 *x;
	int n = 0;

	while (bio && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
		n += X509_STORE_add_cert(store, x) == 1;
		X509_free(x);
	}
	BIO_free(bio);
	ERR_clear_error();
	return n > 0 ? 0 : -EINVAL;
}
