/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the streaming bundle reader (lib/update), fed in pieces whose sizes follow
 * from the input's first byte. Odd first byte: the harness signs the input's header and manifest
 * with its own key and inserts the signature, so the manifest parser and the chunk checks of the
 * payload are reached too; even: the input as it is, read with that key (nothing may get past the
 * signature) and without a key (kcc-update info). */
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bundle.h"

static BundleKey *priv, *pub;
static bool signed_input;

static int on_data(void *userdata, const BundlePart *part, uint64_t offset, const uint8_t *buf, size_t len)
{
	(void)userdata;
	(void)buf;
	/* nothing unsigned is ever handed out, and what is stays inside its part */
	if (!signed_input || offset + len > part->size)
		__builtin_trap();
	return 0;
}

static BundleKey *load(EVP_PKEY *k, bool private_key)
{
	int fd = memfd_create("key", MFD_CLOEXEC);
	FILE *f = fdopen(dup(fd), "w");
	char path[64], err[200];
	BundleKey *ret = NULL;

	if (private_key)
		PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
	else
		PEM_write_PUBKEY(f, k);
	fclose(f);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (bundle_key_load(path, private_key, &ret, err, sizeof(err)) < 0)
		abort();
	close(fd);
	return ret;
}

static void read_in_pieces(const BundleKey *key, const uint8_t *data, size_t size, unsigned seed)
{
	const BundleCallbacks cb = { .data = on_data };
	BundleReader *r = NULL;
	size_t off = 0;

	if (bundle_reader_new(key, &cb, NULL, &r) < 0)
		return;
	while (off < size) {
		size_t n = 1 + (seed = seed * 1103515245u + 12345u) % 97;

		n = n < size - off ? n : size - off;
		if (bundle_reader_feed(r, data + off, n) < 0)
			break;
		off += n;
	}
	(void)bundle_reader_finish(r);
	(void)bundle_reader_error(r);
	bundle_reader_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!priv) {
		EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");

		priv = load(k, true);
		pub = load(k, false);
		EVP_PKEY_free(k);
	}
	if (size < 1)
		return 0;
	signed_input = data[0] & 1;
	if (!signed_input) {
		read_in_pieces(pub, data + 1, size - 1, data[0]);
		read_in_pieces(NULL, data + 1, size - 1, data[0]);
		return 0;
	}
	/* header, manifest, [signature made here], payload */
	size_t in = size - 1, mlen;
	const uint8_t *p = data + 1;
	if (in < BUNDLE_HEADER_SIZE)
		return 0;
	mlen = (size_t)p[12] << 24 | (size_t)p[13] << 16 | (size_t)p[14] << 8 | p[15];
	if (mlen > in - BUNDLE_HEADER_SIZE)
		mlen = in - BUNDLE_HEADER_SIZE;
	uint8_t *b = malloc(in + BUNDLE_SIG_SIZE);
	size_t signed_len = BUNDLE_HEADER_SIZE + mlen;
	memcpy(b, p, signed_len);
	if (bundle_sign(priv, b, signed_len, b + signed_len) < 0)
		abort();
	memcpy(b + signed_len + BUNDLE_SIG_SIZE, p + signed_len, in - signed_len);
	read_in_pieces(pub, b, in + BUNDLE_SIG_SIZE, data[0]);
	free(b);
	return 0;
}
