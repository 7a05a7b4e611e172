/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The bundle writer (the image builder, the unit tests): hashes each part in chunks, renders and
 * signs the manifest, then copies the parts after it. Deterministic: the same parts, fields and
 * key give the same bytes (Ed25519 signatures are deterministic). */
#include <errno.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include "bundle.h"
#include "util.h"

static int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int read_full(int fd, uint8_t *buf, size_t len, uint64_t off)
{
	size_t have = 0;

	while (have < len) {
		ssize_t n = pread(fd, buf + have, len - have, (off_t)(off + have));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPIPE;
		have += (size_t)n;
	}
	return 0;
}

/* Hashes one part (chunks and the whole) into p, or with copy_fd >= 0 copies it there and checks
 * that it still has the hash the manifest says. */
static int hash_part(int fd, BundlePart *p, uint32_t chunk_size, uint8_t *buf, int copy_fd)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t d[EVP_MAX_MD_SIZE];
	unsigned dlen;
	int r = 0;

	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return -ENOMEM;
	}
	for (size_t i = 0; i < p->n_chunks && r == 0; i++) {
		uint64_t off = (uint64_t)i * chunk_size;
		size_t n = p->size - off < chunk_size ? (size_t)(p->size - off) : chunk_size;

		r = read_full(fd, buf, n, off);
		if (r == 0 && EVP_DigestUpdate(ctx, buf, n) != 1)
			r = -ENOMEM;
		if (r == 0 && copy_fd < 0 && EVP_Digest(buf, n, p->chunks[i], NULL, EVP_sha256(), NULL) != 1)
			r = -ENOMEM;
		if (r == 0 && copy_fd >= 0)
			r = write_all(copy_fd, buf, n);
	}
	if (r == 0 && EVP_DigestFinal_ex(ctx, d, &dlen) != 1)
		r = -ENOMEM;
	EVP_MD_CTX_free(ctx);
	if (r < 0)
		return r;
	if (copy_fd < 0)
		memcpy(p->sha256, d, BUNDLE_DIGEST_SIZE);
	else if (memcmp(p->sha256, d, BUNDLE_DIGEST_SIZE) != 0)
		return -ESTALE;
	return 0;
}

int bundle_write(int out_fd, const BundleManifest *in, const int part_fds[_BUNDLE_PART_MAX],
		 const BundleKey *key, char *err, size_t errlen)
{
	BundleManifest m = *in;
	_cleanup_free_ uint8_t *buf = NULL, *msg = NULL;
	struct json_object *o = NULL;
	const char *text;
	size_t tlen;
	int r = 0;

	for (int i = 0; i < _BUNDLE_PART_MAX; i++)
		m.parts[i] = (BundlePart){ .id = (BundlePartId)i, .name = bundle_part_names[i] };
	m.format = m.format ?: BUNDLE_FORMAT;
	m.chunk_size = m.chunk_size ?: BUNDLE_CHUNK_DEFAULT;
	if (m.chunk_size < BUNDLE_CHUNK_MIN || m.chunk_size > BUNDLE_CHUNK_MAX || (m.chunk_size & (m.chunk_size - 1)))
		return errorf(err, errlen, -EINVAL, "chunk size %u is not a power of two in %u..%u", m.chunk_size,
			      BUNDLE_CHUNK_MIN, BUNDLE_CHUNK_MAX);
	if (!bundle_version_valid(m.version))
		return errorf(err, errlen, -EINVAL, "invalid version '%s' (1..%u of A-Z a-z 0-9 . _ ~ -, no '+')",
			      m.version, BUNDLE_VERSION_MAX);
	buf = malloc(m.chunk_size);
	if (!buf)
		return errorf(err, errlen, -ENOMEM, "out of memory");
	for (int i = 0; i < _BUNDLE_PART_MAX && r == 0; i++) {
		BundlePart *p = &m.parts[i];
		struct stat st;

		if (fstat(part_fds[i], &st) < 0)
			r = errorf(err, errlen, -errno, "part %s: %m", p->name);
		else if (!S_ISREG(st.st_mode) || st.st_size <= 0 || (uint64_t)st.st_size > BUNDLE_PART_MAX)
			r = errorf(err, errlen, -EINVAL, "part %s: not a regular file of 1..%llu bytes", p->name,
				   (unsigned long long)BUNDLE_PART_MAX);
		if (r < 0)
			break;
		p->size = (uint64_t)st.st_size;
		p->n_chunks = (size_t)((p->size + m.chunk_size - 1) / m.chunk_size);
		p->chunks = calloc(p->n_chunks, sizeof(*p->chunks));
		if (!p->chunks)
			r = errorf(err, errlen, -ENOMEM, "out of memory");
		else if ((r = hash_part(part_fds[i], p, m.chunk_size, buf, -1)) < 0)
			errorf(err, errlen, r, "part %s: cannot read: %s", p->name, strerror(-r));
	}
	if (r < 0)
		goto out;
	o = bundle_manifest_to_json(&m, true);
	text = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &tlen);
	if (!text || tlen > BUNDLE_MANIFEST_MAX) {
		r = errorf(err, errlen, -EFBIG, "manifest of %zu bytes is larger than %u", tlen, BUNDLE_MANIFEST_MAX);
		goto out;
	}
	msg = malloc(BUNDLE_HEADER_SIZE + tlen + BUNDLE_SIG_SIZE);
	if (!msg) {
		r = errorf(err, errlen, -ENOMEM, "out of memory");
		goto out;
	}
	memcpy(msg, BUNDLE_MAGIC, BUNDLE_MAGIC_SIZE);
	for (int b = 0; b < 4; b++) {
		msg[8 + b] = (uint8_t)(m.format >> (24 - 8 * b));
		msg[12 + b] = (uint8_t)(tlen >> (24 - 8 * b));
	}
	memcpy(msg + BUNDLE_HEADER_SIZE, text, tlen);
	if (bundle_sign(key, msg, BUNDLE_HEADER_SIZE + tlen, msg + BUNDLE_HEADER_SIZE + tlen) < 0) {
		r = errorf(err, errlen, -EINVAL, "signing the manifest failed");
		goto out;
	}
	r = write_all(out_fd, msg, BUNDLE_HEADER_SIZE + tlen + BUNDLE_SIG_SIZE);
	if (r < 0) {
		errorf(err, errlen, r, "cannot write the bundle: %s", strerror(-r));
		goto out;
	}
	for (int i = 0; i < _BUNDLE_PART_MAX && r == 0; i++) {
		r = hash_part(part_fds[i], &m.parts[i], m.chunk_size, buf, out_fd);
		if (r < 0)
			errorf(err, errlen, r, "part %s: %s", m.parts[i].name,
			       r == -ESTALE ? "changed while the bundle was written" : strerror(-r));
	}
out:
	json_object_put(o);
	bundle_manifest_done(&m);
	return r;
}
