/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* OCI image layouts (index.json + blobs/sha256/...): finding an image by name:tag, reading its
 * manifest and config, unpacking its layers (tar, gzip or zstd; libarchive) into a root file system.
 * Every blob is checked against its descriptor's digest and size as it is read. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "unpack.h"

#define OCI_ARGS_MAX 64
#define OCI_JSON_MAX (4 * 1024 * 1024)

typedef struct OciImage {
	char layout[256];    /* the layout's directory */
	char manifest[72];   /* "sha256:<hex>" of the image manifest */
	char ref[160];       /* the name it was found by */
} OciImage;

#define OCI_LAYERS_MAX 128

typedef struct OciLayer {
	char digest[72]; /* "sha256:<hex>", checked by oci_digest_valid */
	int64_t size;
} OciLayer;

/* What one start of a container takes from its image: the config, and the layer descriptors of
 * the manifest it was read from (the manifest is read and verified once, here). */
typedef struct OciConfig {
	char *entrypoint[OCI_ARGS_MAX + 1], *cmd[OCI_ARGS_MAX + 1], *env[OCI_ARGS_MAX + 1];
	char *workdir, *user;
	OciLayer *layers;
	size_t n_layers;
} OciConfig;

/* Looks ref ("busybox:1.36", a name without a tag means ":latest") up in every layout below each
 * of dirs (a layout directory, or a directory of layouts). The name matches the annotation
 * org.opencontainers.image.ref.name (or io.containerd.image.name) of a manifest in index.json.
 * -ENOENT when no layout has it. */
int oci_find(const char *const *dirs, const char *ref, OciImage *ret, char *err, size_t errlen);
/* Reads the image manifest (its digest checked), its layer descriptors (digest, size, media type)
 * and its config blob (entrypoint, cmd, env, working dir, user). */
int oci_config(const OciImage *img, OciConfig *ret, char *err, size_t errlen);
void oci_config_done(OciConfig *c);
/* Unpacks every layer of ic (oci_config of img) in order into ROOTFS.unpack, whiteouts applied, device nodes skipped, no
 * path leaving it, within budget (and the free-space reserve); each layer blob is opened once and
 * the bytes libarchive reads are the bytes hashed. Only when every layer's digest and size matched
 * is the folder renamed to rootfs (which must not exist); otherwise it is removed and err says
 * why. budget->bytes and ->files tell what was unpacked. */
int oci_unpack(const OciImage *img, const OciConfig *ic, const char *rootfs, UnpackBudget *budget,
	       char *err, size_t errlen);
/* One layer blob from fd (size and digest of its descriptor) into the folder rootfd, as
 * oci_unpack does it for each layer; nothing is committed or removed here. */
int oci_unpack_layer(int fd, int64_t size, const char *digest, int rootfd, UnpackBudget *b,
		     char *err, size_t errlen);
/* Checks a whole layout: oci-layout and index.json present, every manifest (through image
 * indexes), config and layer blob matching its digest and size. Returns the number of manifests. */
int oci_verify_layout(const char *layout, char *err, size_t errlen);
/* Tar with gzip or zstd in; written to disk with libarchive's SECURE_* path checks plus flags. */
struct archive;
void oci_archive_setup(struct archive *in, struct archive *out, int flags);
/* Copies the current entry's data; ARCHIVE_OK or libarchive's error. */
int oci_archive_copy(struct archive *in, struct archive *out);
/* Checks a digest string "sha256:" + 64 lowercase hex digits. */
int oci_digest_valid(const char *digest);
