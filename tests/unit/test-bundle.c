/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/update: the bundle writer and the streaming reader. A bundle read in pieces of any size gives
 * back its parts byte for byte; no byte is handed out before the signature is verified, nor a
 * byte of a chunk whose hash does not match; every malformed bundle is refused with its own
 * error (bad signature, flipped byte in each part, truncation, trailing data, format versions,
 * oversize fields, part and chunk counts). */
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "unit.h"

#include "bundle.h"
#include "util.h"

#define CHUNK 4096u
static const size_t part_sizes[_BUNDLE_PART_MAX] = { 10000, CHUNK, 2 * CHUNK + 1, 20 };

static BundleKey *priv, *pub, *wrong_pub;
static uint8_t *parts[_BUNDLE_PART_MAX];
static uint8_t *bundle;
static size_t bundle_len, manifest_len;

static void keypair(BundleKey **ret_priv, BundleKey **ret_pub)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	char path[] = "/tmp/test-bundle-XXXXXX";
	char err[200];
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	assert_non_null(k);
	assert_non_null(f);
	if (ret_priv) {
		assert_int_equal(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
		fflush(f);
		assert_int_equal(bundle_key_load(path, true, ret_priv, err, sizeof(err)), 0);
		assert_int_equal(ftruncate(fd, 0), 0);
		rewind(f);
	}
	assert_int_equal(PEM_write_PUBKEY(f, k), 1);
	fflush(f);
	assert_int_equal(bundle_key_load(path, false, ret_pub, err, sizeof(err)), 0);
	/* a public key is not a private key */
	BundleKey *x = NULL;
	assert_int_equal(bundle_key_load(path, true, &x, err, sizeof(err)), -EINVAL);
	fclose(f);
	unlink(path);
	EVP_PKEY_free(k);
}

static int mem_fd(const uint8_t *p, size_t n)
{
	int fd = memfd_create("part", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	return fd;
}

static uint8_t *read_fd(int fd, size_t *ret_len)
{
	off_t n = lseek(fd, 0, SEEK_END);
	uint8_t *b = malloc((size_t)n);

	assert_non_null(b);
	assert_int_equal(pread(fd, b, (size_t)n, 0), n);
	*ret_len = (size_t)n;
	return b;
}

static BundleManifest fields(void)
{
	BundleManifest m = { .chunk_size = CHUNK, .security_epoch = 7 };

	strcpy(m.image_id, "kcc-node");
	strcpy(m.variant, "test");
	strcpy(m.version, "20261207.120000.gabcdef0");
	memset(m.roothash, 'a', 64);
	return m;
}

static int setup(void **state)
{
	BundleManifest m = fields();
	int fds[_BUNDLE_PART_MAX], out;
	char err[256];

	(void)state;
	keypair(&priv, &pub);
	keypair(NULL, &wrong_pub);
	for (int i = 0; i < _BUNDLE_PART_MAX; i++) {
		parts[i] = malloc(part_sizes[i]);
		for (size_t k = 0; k < part_sizes[i]; k++)
			parts[i][k] = (uint8_t)(k * 31 + (size_t)i * 7 + k / 251);
		fds[i] = mem_fd(parts[i], part_sizes[i]);
	}
	out = memfd_create("bundle", MFD_CLOEXEC);
	assert_int_equal(bundle_write(out, &m, fds, priv, err, sizeof(err)), 0);
	bundle = read_fd(out, &bundle_len);
	manifest_len = (size_t)bundle[12] << 24 | (size_t)bundle[13] << 16 | (size_t)bundle[14] << 8 | bundle[15];
	for (int i = 0; i < _BUNDLE_PART_MAX; i++)
		close(fds[i]);
	close(out);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < _BUNDLE_PART_MAX; i++)
		free(parts[i]);
	free(bundle);
	bundle_key_free(priv);
	bundle_key_free(pub);
	bundle_key_free(wrong_pub);
	return 0;
}

/* What a read handed out. */
typedef struct Out {
	bool manifest_seen, data_before_manifest;
	uint8_t *got[_BUNDLE_PART_MAX];
	size_t got_len[_BUNDLE_PART_MAX];
	size_t calls;
	int refuse_after; /* data calls before the consumer refuses; 0: never */
	char err[256];
} Out;

static int on_manifest(void *userdata, const BundleManifest *m)
{
	Out *o = userdata;

	o->manifest_seen = true;
	assert_int_equal(m->security_epoch, 7);
	return 0;
}

static int on_data(void *userdata, const BundlePart *part, uint64_t offset, const uint8_t *buf, size_t len)
{
	Out *o = userdata;
	int id = part->id;

	if (!o->manifest_seen)
		o->data_before_manifest = true;
	assert_int_equal(offset, o->got_len[id]);
	o->got[id] = realloc(o->got[id], o->got_len[id] + len);
	memcpy(o->got[id] + o->got_len[id], buf, len);
	o->got_len[id] += len;
	o->calls++;
	if (o->refuse_after && o->calls >= (size_t)o->refuse_after)
		return -ENOSPC;
	return 0;
}

static void out_free(Out *o)
{
	for (int i = 0; i < _BUNDLE_PART_MAX; i++)
		free(o->got[i]);
}

/* Feeds b in pieces of piece bytes (0: pseudo-random sizes 1..9000) and finishes. */
static int read_in_pieces(const BundleKey *key, const uint8_t *b, size_t len, size_t piece, Out *o)
{
	const BundleCallbacks cb = { .manifest = on_manifest, .data = on_data };
	BundleReader *r = NULL;
	unsigned seed = 1;
	size_t off = 0;
	int k = 0;

	assert_int_equal(bundle_reader_new(key, &cb, o, &r), 0);
	while (off < len && k == 0) {
		size_t n = piece ? piece : 1 + (size_t)(rand_r(&seed) % 9000);

		n = n < len - off ? n : len - off;
		k = bundle_reader_feed(r, b + off, n);
		off += n;
	}
	if (k == 0)
		k = bundle_reader_finish(r);
	if (k < 0) {
		snprintf(o->err, sizeof(o->err), "%s", bundle_reader_error(r));
		/* sticky: more input fails the same way */
		assert_int_equal(bundle_reader_feed(r, "x", 1), k);
	}
	bundle_reader_free(r);
	return k;
}

static void test_round_trip_any_pieces(void **state)
{
	static const size_t pieces[] = { 0, 1, 3, 16, 17, CHUNK - 1, CHUNK, CHUNK + 1, 1 << 20 };

	(void)state;
	for (size_t p = 0; p < ARRAY_SIZE(pieces); p++) {
		Out o = {};

		assert_int_equal(read_in_pieces(pub, bundle, bundle_len, pieces[p], &o), 0);
		assert_true(o.manifest_seen);
		assert_false(o.data_before_manifest);
		for (int i = 0; i < _BUNDLE_PART_MAX; i++) {
			assert_int_equal(o.got_len[i], part_sizes[i]);
			assert_memory_equal(o.got[i], parts[i], part_sizes[i]);
		}
		/* whole chunks: 3 + 1 + 3 + 1 */
		assert_int_equal(o.calls, 8);
		out_free(&o);
	}
}

static void test_deterministic(void **state)
{
	BundleManifest m = fields();
	int fds[_BUNDLE_PART_MAX], out = memfd_create("again", MFD_CLOEXEC);
	char err[256];
	size_t n;
	uint8_t *again;

	(void)state;
	for (int i = 0; i < _BUNDLE_PART_MAX; i++)
		fds[i] = mem_fd(parts[i], part_sizes[i]);
	assert_int_equal(bundle_write(out, &m, fds, priv, err, sizeof(err)), 0);
	again = read_fd(out, &n);
	assert_int_equal(n, bundle_len);
	assert_memory_equal(again, bundle, n);
	free(again);
	/* an invalid version is refused by the writer */
	strcpy(m.version, "1.0+3-0");
	assert_int_equal(bundle_write(out, &m, fds, priv, err, sizeof(err)), -EINVAL);
	for (int i = 0; i < _BUNDLE_PART_MAX; i++)
		close(fds[i]);
	close(out);
}

static void test_wrong_key_hands_out_nothing(void **state)
{
	Out o = {};

	(void)state;
	assert_int_equal(read_in_pieces(wrong_pub, bundle, bundle_len, 0, &o), -EKEYREJECTED);
	assert_false(o.manifest_seen);
	assert_int_equal(o.calls, 0);
	assert_non_null(strstr(o.err, "bad signature"));
}

static uint8_t *copy_flip(size_t at)
{
	uint8_t *b = malloc(bundle_len);

	memcpy(b, bundle, bundle_len);
	b[at] ^= 0x01;
	return b;
}

static void test_flipped_byte(void **state)
{
	size_t payload = BUNDLE_HEADER_SIZE + manifest_len + BUNDLE_SIG_SIZE, start = payload;

	(void)state;
	/* in the manifest and in the signature: nothing is handed out */
	size_t meta[] = { BUNDLE_HEADER_SIZE + 2, BUNDLE_HEADER_SIZE + manifest_len - 1,
			  BUNDLE_HEADER_SIZE + manifest_len + 5 };
	for (size_t i = 0; i < ARRAY_SIZE(meta); i++) {
		_cleanup_free_ uint8_t *b = copy_flip(meta[i]);
		Out o = {};

		assert_int_equal(read_in_pieces(pub, b, bundle_len, 0, &o), -EKEYREJECTED);
		assert_int_equal(o.calls, 0);
	}
	/* in the second chunk of each part (or its only one): the chunks before it only */
	for (int i = 0; i < _BUNDLE_PART_MAX; i++) {
		size_t in_part = part_sizes[i] > CHUNK ? CHUNK + 10 : part_sizes[i] - 1;
		_cleanup_free_ uint8_t *b = copy_flip(start + in_part);
		char want[64];
		Out o = {};

		assert_int_equal(read_in_pieces(pub, b, bundle_len, 0, &o), -EBADMSG);
		snprintf(want, sizeof(want), "part %s: chunk %zu ", bundle_part_names[i], in_part / CHUNK);
		assert_non_null(strstr(o.err, want));
		assert_int_equal(o.got_len[i], in_part / CHUNK * CHUNK);
		for (int k = 0; k < i; k++)
			assert_int_equal(o.got_len[k], part_sizes[k]);
		out_free(&o);
		start += part_sizes[i];
	}
}

static void test_truncated(void **state)
{
	size_t payload = BUNDLE_HEADER_SIZE + manifest_len + BUNDLE_SIG_SIZE;
	const struct {
		size_t len;
		const char *where;
	} cuts[] = {
		{ 0, "in the header" },
		{ 7, "in the header" },
		{ BUNDLE_HEADER_SIZE + 1, "in the manifest" },
		{ payload - 1, "in the signature" },
		{ payload, "in part root.erofs (0 of 10000" },
		{ payload + 5000, "in part root.erofs (5000 of 10000" },
		{ bundle_len - 1, "in part tpm2-pcr-signature.json (19 of 20" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cuts); i++) {
		Out o = {};

		assert_int_equal(read_in_pieces(pub, bundle, cuts[i].len, 0, &o), -EPIPE);
		assert_non_null(strstr(o.err, "truncated"));
		assert_non_null(strstr(o.err, cuts[i].where));
		out_free(&o);
	}
}

static void test_trailing(void **state)
{
	_cleanup_free_ uint8_t *b = malloc(bundle_len + 1);
	Out o = {};

	(void)state;
	memcpy(b, bundle, bundle_len);
	b[bundle_len] = 0;
	assert_int_equal(read_in_pieces(pub, b, bundle_len + 1, 0, &o), -EBADMSG);
	assert_non_null(strstr(o.err, "trailing data after the last part"));
	out_free(&o);
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void test_header(void **state)
{
	_cleanup_free_ uint8_t *b = malloc(bundle_len);
	Out o = {};

	(void)state;
	memcpy(b, bundle, bundle_len);
	put_be32(b + 8, 0);
	assert_int_equal(read_in_pieces(pub, b, bundle_len, 0, &o), -EPROTONOSUPPORT);
	assert_non_null(strstr(o.err, "unsupported bundle format version 0"));
	put_be32(b + 8, 2);
	assert_int_equal(read_in_pieces(pub, b, bundle_len, 0, &o), -EPROTONOSUPPORT);
	memcpy(b, bundle, 16);
	b[0] = 'X';
	assert_int_equal(read_in_pieces(pub, b, bundle_len, 0, &o), -EBADMSG);
	assert_non_null(strstr(o.err, "bad magic"));
	/* a manifest length above the limit is refused at the header, before anything is buffered */
	memcpy(b, bundle, 16);
	put_be32(b + 12, BUNDLE_MANIFEST_MAX + 1);
	assert_int_equal(read_in_pieces(pub, b, 16, 0, &o), -EFBIG);
	assert_non_null(strstr(o.err, "manifest length"));
	put_be32(b + 12, 0);
	assert_int_equal(read_in_pieces(pub, b, 16, 0, &o), -EFBIG);
	assert_int_equal(o.calls, 0);
}

/* The reference bundle with its manifest text edited (from -> to) and signed again: what a
 * signer with a bug, or an attacker with the key, could produce. */
static int resigned(const char *from, const char *to, Out *o)
{
	const char *mt = (const char *)bundle + BUNDLE_HEADER_SIZE;
	const char *at = memmem(mt, manifest_len, from, strlen(from));
	size_t payload = BUNDLE_HEADER_SIZE + manifest_len + BUNDLE_SIG_SIZE;
	size_t nm = manifest_len - strlen(from) + strlen(to);
	size_t n = BUNDLE_HEADER_SIZE + nm + BUNDLE_SIG_SIZE + (bundle_len - payload);
	_cleanup_free_ uint8_t *b = malloc(n);
	size_t pre;
	int r;

	assert_non_null(at);
	pre = (size_t)(at - mt);
	memcpy(b, bundle, BUNDLE_HEADER_SIZE);
	put_be32(b + 12, (uint32_t)nm);
	memcpy(b + BUNDLE_HEADER_SIZE, mt, pre);
	memcpy(b + BUNDLE_HEADER_SIZE + pre, to, strlen(to));
	memcpy(b + BUNDLE_HEADER_SIZE + pre + strlen(to), at + strlen(from), manifest_len - pre - strlen(from));
	assert_int_equal(bundle_sign(priv, b, BUNDLE_HEADER_SIZE + nm, b + BUNDLE_HEADER_SIZE + nm), 0);
	memcpy(b + BUNDLE_HEADER_SIZE + nm + BUNDLE_SIG_SIZE, bundle + payload, bundle_len - payload);
	r = read_in_pieces(pub, b, n, 0, o);
	return r;
}

static void test_signed_but_malformed(void **state)
{
	const struct {
		const char *from, *to, *err;
		int r;
	} cases[] = {
		{ "\"format\":1", "\"format\":2", "manifest: format 2, this reader knows 1", -EPROTONOSUPPORT },
		{ "\"chunk_size\":4096", "\"chunk_size\":4097", "\"chunk_size\" 4097 is not a power of two", -EBADMSG },
		{ "\"chunk_size\":4096", "\"chunk_size\":2048", "not a power of two in 4096..", -EBADMSG },
		{ "\"chunk_size\":4096", "\"chunk_size\":1073741824", "\"chunk_size\" is out of range", -EBADMSG },
		{ "\"size\":10000", "\"size\":10001", "part root.erofs: chunk 2 ", -EBADMSG },
		{ "\"size\":10000", "\"size\":5000", "chunk hashes needed for 5000 bytes, 3 given", -EBADMSG },
		{ "\"size\":10000", "\"size\":0", "part root.erofs is empty", -EBADMSG },
		{ "\"size\":10000", "\"size\":99999999999", "\"size\" is missing or out of range", -EBADMSG },
		{ "\"size\":10000", "\"size\":\"10000\"", "\"size\" is missing or out of range", -EBADMSG },
		{ "{\"name\":\"root.verity\"", "{\"name\":\"root.other\"", "part 1 must be root.verity, not root.other", -EBADMSG },
		{ ",{\"name\":\"tpm2-pcr-signature.json\"", "],\"x\":[{\"name\":\"tpm2-pcr-signature.json\"",
		  "manifest: 3 parts, format 1 has 4", -EBADMSG },
		{ "\"security_epoch\":7", "\"security_epoch\":70000", "\"security_epoch\" is out of range", -EBADMSG },
		{ "\"security_epoch\":7", "\"security_epoch\":-1", "\"security_epoch\" is out of range", -EBADMSG },
		{ "\"version\":\"20261207.120000.gabcdef0\"", "\"version\":\"1+2\"", "invalid \"version\"", -EBADMSG },
		{ "\"variant\":\"test\"", "\"variant\":\"tes\\u0000t\"", "\"variant\" holds a NUL byte", -EBADMSG },
		{ "\"variant\":\"test\"", "\"variant\":\"testtesttesttesttest\"", "\"variant\" is too long", -EBADMSG },
		{ "\"roothash\":\"aaaa", "\"roothash\":\"aaaaa", "\"roothash\" is too long", -EBADMSG },
		{ "\"roothash\":\"aaaa", "\"roothash\":\"aaa", "\"roothash\" is not 64 hex digits", -EBADMSG },
		{ "\"roothash\":\"aaaa", "\"roothash\":\"zaaa", "\"roothash\" is not 64 hex digits", -EBADMSG },
		{ "{\"format\"", "[{\"format\"", "not one JSON object", -EBADMSG },
		{ "\"image_id\":\"kcc-node\",", "", "\"image_id\" is missing", -EBADMSG },
	};

	(void)state;
	/* the edit machinery itself: a no-op edit reads fine */
	Out ok = {};
	assert_int_equal(resigned("\"format\":1", "\"format\":1", &ok), 0);
	out_free(&ok);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		Out o = {};
		int r = resigned(cases[i].from, cases[i].to, &o);

		print_message("%s -> %s: %d %s\n", cases[i].from, cases[i].to, r, o.err);
		assert_int_equal(r, cases[i].r);
		assert_non_null(strstr(o.err, cases[i].err));
		out_free(&o);
	}
}

static void test_no_key_manifest_only(void **state)
{
	const BundleCallbacks cb = { .manifest = on_manifest, .data = on_data };
	BundleReader *r = NULL;
	Out o = {};

	(void)state;
	assert_int_equal(bundle_reader_new(NULL, &cb, &o, &r), 0);
	assert_null(bundle_reader_manifest(r));
	assert_int_equal(bundle_reader_feed(r, bundle, bundle_len), 0);
	assert_int_equal(bundle_reader_finish(r), 0);
	assert_true(o.manifest_seen);
	assert_int_equal(o.calls, 0);
	assert_string_equal(bundle_reader_manifest(r)->version, "20261207.120000.gabcdef0");
	bundle_reader_free(r);
}

static void test_consumer_refuses(void **state)
{
	Out o = { .refuse_after = 2 };

	(void)state;
	assert_int_equal(read_in_pieces(pub, bundle, bundle_len, 0, &o), -ENOSPC);
	assert_int_equal(o.calls, 2);
	assert_non_null(strstr(o.err, "refused by the reader"));
	out_free(&o);
}

static void test_version_valid(void **state)
{
	(void)state;
	assert_true(bundle_version_valid("1"));
	assert_true(bundle_version_valid("20261207.073728.gad8b891-dirty-3b81da04"));
	assert_false(bundle_version_valid(""));
	assert_false(bundle_version_valid("-1"));
	assert_false(bundle_version_valid("1+3"));
	assert_false(bundle_version_valid("a/b"));
	assert_false(bundle_version_valid("a b"));
	assert_true(bundle_version_valid("1234567890123456789012345678901234567890123456789012345678901234"));
	assert_false(bundle_version_valid("12345678901234567890123456789012345678901234567890123456789012345"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_any_pieces),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_wrong_key_hands_out_nothing),
		cmocka_unit_test(test_flipped_byte),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_trailing),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_signed_but_malformed),
		cmocka_unit_test(test_no_key_manifest_only),
		cmocka_unit_test(test_consumer_refuses),
		cmocka_unit_test(test_version_valid),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
