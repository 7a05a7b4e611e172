/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The streaming bundle reader: a state machine fed bytes in pieces of any size. Header, manifest
 * and signature are collected whole (bounded by BUNDLE_MANIFEST_MAX); the signature is verified
 * before the manifest is even parsed; then each part's bytes are collected one chunk at a time and
 * handed out only once the chunk's SHA-256 matches the manifest. */
#include <errno.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <string.h>

#include "bundle.h"
#include "util.h"

typedef enum State {
	ST_HEADER,
	ST_MANIFEST,
	ST_SIGNATURE,
	ST_PART,
	ST_DONE,
	ST_MANIFEST_ONLY,
	ST_FAILED,
} State;

struct BundleReader {
	const BundleKey *key;
	BundleCallbacks cb;
	void *userdata;
	State state;
	int error;
	char err[256];
	uint64_t offset;
	/* header, manifest and signature, in one buffer: the signed message is its first bytes */
	uint8_t *msg;
	size_t msg_have, manifest_len;
	BundleManifest m;
	bool have_manifest;
	/* the part being read */
	int part;
	uint64_t part_off;
	size_t chunk_idx, chunk_len, chunk_have;
	uint8_t *chunk;
	EVP_MD_CTX *part_hash;
};

static int fail(BundleReader *r, int error, const char *fmt, ...) _printf_(3, 4);
static int fail(BundleReader *r, int error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	r->state = ST_FAILED;
	r->error = error;
	return error;
}

int bundle_reader_new(const BundleKey *key, const BundleCallbacks *cb, void *userdata, BundleReader **ret)
{
	BundleReader *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->msg = malloc(BUNDLE_HEADER_SIZE);
	r->part_hash = EVP_MD_CTX_new();
	if (!r->msg || !r->part_hash) {
		bundle_reader_free(r);
		return -ENOMEM;
	}
	r->key = key;
	if (cb)
		r->cb = *cb;
	r->userdata = userdata;
	r->state = ST_HEADER;
	*ret = r;
	return 0;
}

BundleReader *bundle_reader_free(BundleReader *r)
{
	if (!r)
		return NULL;
	bundle_manifest_done(&r->m);
	EVP_MD_CTX_free(r->part_hash);
	free(r->chunk);
	free(r->msg);
	free(r);
	return NULL;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int header_done(BundleReader *r)
{
	uint32_t format = be32(r->msg + 8), mlen = be32(r->msg + 12);
	uint8_t *n;

	if (memcmp(r->msg, BUNDLE_MAGIC, BUNDLE_MAGIC_SIZE) != 0)
		return fail(r, -EBADMSG, "not a kcc-node update bundle (bad magic)");
	if (format != BUNDLE_FORMAT)
		return fail(r, -EPROTONOSUPPORT, "unsupported bundle format version %" PRIu32 " (this reader knows %u)",
			    format, BUNDLE_FORMAT);
	if (mlen == 0 || mlen > BUNDLE_MANIFEST_MAX)
		return fail(r, -EFBIG, "manifest length %" PRIu32 " out of range (1..%u)", mlen, BUNDLE_MANIFEST_MAX);
	n = realloc(r->msg, BUNDLE_HEADER_SIZE + mlen + BUNDLE_SIG_SIZE);
	if (!n)
		return fail(r, -ENOMEM, "out of memory");
	r->msg = n;
	r->manifest_len = mlen;
	r->state = ST_MANIFEST;
	return 0;
}

static int start_chunk(BundleReader *r)
{
	const BundlePart *p = &r->m.parts[r->part];
	uint64_t left = p->size - r->part_off;

	r->chunk_len = left < r->m.chunk_size ? (size_t)left : r->m.chunk_size;
	r->chunk_have = 0;
	return 0;
}

static int start_part(BundleReader *r, int part)
{
	r->part = part;
	r->part_off = 0;
	r->chunk_idx = 0;
	if (EVP_DigestInit_ex(r->part_hash, EVP_sha256(), NULL) != 1)
		return fail(r, -ENOMEM, "cannot start SHA-256");
	r->state = ST_PART;
	return start_chunk(r);
}

static int signature_done(BundleReader *r)
{
	size_t signed_len = BUNDLE_HEADER_SIZE + r->manifest_len;
	char err[200];
	int k;

	/* The signature first: no byte of an unsigned manifest reaches the JSON parser. */
	if (r->key && bundle_verify(r->key, r->msg, signed_len, r->msg + signed_len) < 0)
		return fail(r, -EKEYREJECTED, "bad signature: the manifest is not signed by this update key");
	k = bundle_manifest_parse((const char *)r->msg + BUNDLE_HEADER_SIZE, r->manifest_len, &r->m, err, sizeof(err));
	if (k < 0)
		return fail(r, k, "%s", err);
	r->have_manifest = true;
	if (r->cb.manifest) {
		k = r->cb.manifest(r->userdata, &r->m);
		if (k < 0)
			return fail(r, k, "refused by the reader: %s", strerror(-k));
	}
	if (!r->key) {
		r->state = ST_MANIFEST_ONLY;
		return 0;
	}
	r->chunk = malloc(r->m.chunk_size);
	if (!r->chunk)
		return fail(r, -ENOMEM, "out of memory");
	return start_part(r, 0);
}

static int chunk_done(BundleReader *r)
{
	const BundlePart *p = &r->m.parts[r->part];
	uint8_t d[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	int k;

	if (EVP_Digest(r->chunk, r->chunk_len, d, &dlen, EVP_sha256(), NULL) != 1 || dlen != BUNDLE_DIGEST_SIZE)
		return fail(r, -ENOMEM, "cannot compute SHA-256");
	if (memcmp(d, p->chunks[r->chunk_idx], BUNDLE_DIGEST_SIZE) != 0)
		return fail(r, -EBADMSG, "part %s: chunk %zu (bytes %" PRIu64 "..%" PRIu64 ") does not match its hash",
			    p->name, r->chunk_idx, r->part_off, r->part_off + r->chunk_len);
	if (EVP_DigestUpdate(r->part_hash, r->chunk, r->chunk_len) != 1)
		return fail(r, -ENOMEM, "cannot compute SHA-256");
	if (r->cb.data) {
		k = r->cb.data(r->userdata, p, r->part_off, r->chunk, r->chunk_len);
		if (k < 0)
			return fail(r, k, "refused by the reader: %s", strerror(-k));
	}
	r->part_off += r->chunk_len;
	r->chunk_idx++;
	if (r->part_off < p->size)
		return start_chunk(r);
	if (EVP_DigestFinal_ex(r->part_hash, d, &dlen) != 1)
		return fail(r, -ENOMEM, "cannot compute SHA-256");
	if (memcmp(d, p->sha256, BUNDLE_DIGEST_SIZE) != 0)
		return fail(r, -EBADMSG, "part %s: its SHA-256 does not match the manifest", p->name);
	if (r->part + 1 < _BUNDLE_PART_MAX)
		return start_part(r, r->part + 1);
	r->state = ST_DONE;
	return 0;
}

/* Copies up to want - *have bytes from the input into dst + *have; returns the count taken. */
static size_t take(uint8_t *dst, size_t *have, size_t want, const uint8_t *in, size_t len)
{
	size_t n = want - *have < len ? want - *have : len;

	memcpy(dst + *have, in, n);
	*have += n;
	return n;
}

int bundle_reader_feed(BundleReader *r, const void *buf, size_t len)
{
	const uint8_t *in = buf;
	int k = 0;

	while (len > 0 && k == 0) {
		size_t n = 0;

		switch (r->state) {
		case ST_HEADER:
			n = take(r->msg, &r->msg_have, BUNDLE_HEADER_SIZE, in, len);
			if (r->msg_have == BUNDLE_HEADER_SIZE)
				k = header_done(r);
			break;
		case ST_MANIFEST:
			n = take(r->msg, &r->msg_have, BUNDLE_HEADER_SIZE + r->manifest_len, in, len);
			if (r->msg_have == BUNDLE_HEADER_SIZE + r->manifest_len)
				r->state = ST_SIGNATURE;
			break;
		case ST_SIGNATURE:
			n = take(r->msg, &r->msg_have, BUNDLE_HEADER_SIZE + r->manifest_len + BUNDLE_SIG_SIZE, in, len);
			if (r->msg_have == BUNDLE_HEADER_SIZE + r->manifest_len + BUNDLE_SIG_SIZE)
				k = signature_done(r);
			break;
		case ST_PART:
			n = take(r->chunk, &r->chunk_have, r->chunk_len, in, len);
			if (r->chunk_have == r->chunk_len)
				k = chunk_done(r);
			break;
		case ST_DONE:
			return fail(r, -EBADMSG, "trailing data after the last part (at byte %" PRIu64 ")", r->offset);
		case ST_MANIFEST_ONLY:
			/* no key: the payload is never handed out, only skipped */
			n = len;
			break;
		case ST_FAILED:
			return r->error;
		}
		r->offset += n;
		in += n;
		len -= n;
	}
	return k < 0 ? k : (r->state == ST_FAILED ? r->error : 0);
}

int bundle_reader_finish(BundleReader *r)
{
	switch (r->state) {
	case ST_DONE:
	case ST_MANIFEST_ONLY:
		return 0;
	case ST_FAILED:
		return r->error;
	case ST_HEADER:
		return fail(r, -EPIPE, "truncated: the stream ends in the header (at byte %" PRIu64 ")", r->offset);
	case ST_MANIFEST:
		return fail(r, -EPIPE, "truncated: the stream ends in the manifest (at byte %" PRIu64 ")", r->offset);
	case ST_SIGNATURE:
		return fail(r, -EPIPE, "truncated: the stream ends in the signature (at byte %" PRIu64 ")", r->offset);
	case ST_PART:
		return fail(r, -EPIPE, "truncated: the stream ends in part %s (%" PRIu64 " of %" PRIu64 " bytes)",
			    r->m.parts[r->part].name, r->part_off + r->chunk_have, r->m.parts[r->part].size);
	}
	return -EINVAL;
}

const BundleManifest *bundle_reader_manifest(const BundleReader *r)
{
	return r->have_manifest && r->state != ST_FAILED ? &r->m : NULL;
}

const char *bundle_reader_error(const BundleReader *r)
{
	return r->state == ST_FAILED ? r->err : NULL;
}

uint64_t bundle_reader_offset(const BundleReader *r)
{
	return r->offset;
}
