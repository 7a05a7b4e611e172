/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The update bundle (docs/upgrades.md, "Update bundle"): a signed manifest, then the parts of an
 * image (root erofs, its verity tree, the signed UKI, its PCR policy signature), so that a reader
 * can check everything while the bytes stream in. This library writes it (the builder) and reads
 * it in pieces of any size (kcc-update): no payload byte is handed out before the manifest's
 * signature is verified, and none before the hash of its chunk matched. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BUNDLE_MAGIC "KCCBNDL1"
#define BUNDLE_MAGIC_SIZE 8
#define BUNDLE_FORMAT 1u
#define BUNDLE_HEADER_SIZE 16u /* magic, u32 format, u32 manifest length (big-endian) */
#define BUNDLE_MANIFEST_MAX (256u << 10)
#define BUNDLE_SIG_SIZE 64u /* Ed25519 */
#define BUNDLE_CHUNK_MIN 4096u
#define BUNDLE_CHUNK_MAX (16u << 20)
#define BUNDLE_CHUNK_DEFAULT (1u << 20)
#define BUNDLE_PART_MAX (4ull << 30)
#define BUNDLE_VERSION_MAX 64u
#define BUNDLE_EPOCH_MAX 65535u
#define BUNDLE_DIGEST_SIZE 32u

/* The parts of format 1, in this order, each present exactly once. */
typedef enum BundlePartId {
	BUNDLE_PART_ROOT,
	BUNDLE_PART_VERITY,
	BUNDLE_PART_UKI,
	BUNDLE_PART_PCRSIG,
	_BUNDLE_PART_MAX,
} BundlePartId;
extern const char *const bundle_part_names[_BUNDLE_PART_MAX];

typedef struct BundlePart {
	BundlePartId id;
	const char *name;
	uint64_t size;
	uint8_t sha256[BUNDLE_DIGEST_SIZE];
	size_t n_chunks;
	uint8_t (*chunks)[BUNDLE_DIGEST_SIZE];
} BundlePart;

typedef struct BundleManifest {
	unsigned format;
	char image_id[32];
	char variant[16];
	char version[BUNDLE_VERSION_MAX + 1];
	unsigned security_epoch;
	char roothash[65];
	uint32_t chunk_size;
	BundlePart parts[_BUNDLE_PART_MAX];
} BundleManifest;

/* true when s is a valid image version: 1..64 of [A-Za-z0-9._~-], starting with an alphanumeric
 * (no '+': the boot loader's try counter follows it in a UKI's file name). */
bool bundle_version_valid(const char *s);

/* The manifest: parsed from its JSON text (len bytes, not NUL-terminated), with every field
 * checked (err: one line on failure); rendered as the canonical JSON text the writer signs. */
int bundle_manifest_parse(const char *text, size_t len, BundleManifest *ret, char *err, size_t errlen);
void bundle_manifest_done(BundleManifest *m);
/* A JSON object (json-c) of the manifest; with_chunks false leaves out the chunk hashes. */
struct json_object;
struct json_object *bundle_manifest_to_json(const BundleManifest *m, bool with_chunks);

/* Ed25519 keys in PEM files (OpenSSL). */
typedef struct BundleKey BundleKey;
int bundle_key_load(const char *path, bool private_key, BundleKey **ret, char *err, size_t errlen);
BundleKey *bundle_key_free(BundleKey *k);
int bundle_sign(const BundleKey *k, const uint8_t *msg, size_t len, uint8_t sig[BUNDLE_SIG_SIZE]);
/* 0 when sig is k's signature of msg, -EKEYREJECTED when not. */
int bundle_verify(const BundleKey *k, const uint8_t *msg, size_t len, const uint8_t sig[BUNDLE_SIG_SIZE]);

/* Writes a bundle to out_fd: parts[] are open files of the four parts, in BundlePartId order;
 * the manifest's fields other than the parts come from m (format, chunk_size: 0 for defaults). */
int bundle_write(int out_fd, const BundleManifest *m, const int part_fds[_BUNDLE_PART_MAX],
		 const BundleKey *key, char *err, size_t errlen);

/* The streaming reader. Callbacks return 0 to go on or -errno to stop the read with that error. */
typedef struct BundleCallbacks {
	/* the manifest, once its signature is verified (or, without a key, once parsed) */
	int (*manifest)(void *userdata, const BundleManifest *m);
	/* len verified bytes of part at offset (whole chunks, in order) */
	int (*data)(void *userdata, const BundlePart *part, uint64_t offset, const uint8_t *buf, size_t len);
} BundleCallbacks;

typedef struct BundleReader BundleReader;
/* key NULL: the manifest only, unverified (kcc-update info): the payload is skipped, never handed
 * out, and the data callback is never called. */
int bundle_reader_new(const BundleKey *key, const BundleCallbacks *cb, void *userdata, BundleReader **ret);
BundleReader *bundle_reader_free(BundleReader *r);
/* Feeds the next len bytes. 0, or -errno with bundle_reader_error() set; every later call fails
 * the same way. */
int bundle_reader_feed(BundleReader *r, const void *buf, size_t len);
/* The end of the stream: 0 when the bundle was complete, -EPIPE (truncated) otherwise. */
int bundle_reader_finish(BundleReader *r);
/* The manifest once it is known (verified unless the reader has no key), else NULL. */
const BundleManifest *bundle_reader_manifest(const BundleReader *r);
const char *bundle_reader_error(const BundleReader *r);
/* Bytes consumed so far. */
uint64_t bundle_reader_offset(const BundleReader *r);
