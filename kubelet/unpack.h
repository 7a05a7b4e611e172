/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What every unpack of untrusted tar data (image layers, `kcc-kubelet import`) goes through:
 * entry paths and whiteout names checked, a budget of bytes and entries, and a reader that hashes
 * exactly the bytes libarchive decompresses, from one descriptor. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Defaults (docs/kubelet.md): what one image may unpack to, what all containers of one pod may
 * unpack to together, what one `kcc-kubelet import` archive may hold; and the free space every
 * unpack leaves on the file system it writes to. */
#define UNPACK_IMAGE_BYTES (512ULL << 20)
#define UNPACK_IMAGE_FILES 65536ULL
#define UNPACK_POD_BYTES (1024ULL << 20)
#define UNPACK_POD_FILES 131072ULL
#define UNPACK_IMPORT_BYTES (512ULL << 20)
#define UNPACK_IMPORT_FILES 4096ULL
#define UNPACK_RESERVE_BYTES (32ULL << 20) /* or 10 % of the file system, the larger */

typedef struct UnpackLimits {
	uint64_t max_bytes, max_files;
} UnpackLimits;

/* The limits one unpack runs under, each with the name of the limit it came from, and what the
 * unpack has used so far. */
typedef struct UnpackBudget {
	uint64_t max_bytes, max_files;
	const char *bytes_what, *files_what;
	uint64_t bytes, files;
} UnpackBudget;

/* An unlimited budget, then lowered by each limit that applies ("the per-image limit"). */
void budget_init(UnpackBudget *b);
void budget_limit(UnpackBudget *b, uint64_t max_bytes, uint64_t max_files, const char *what);
/* Lowers the byte limit to the free space of dirfd's file system less the reserve. */
int budget_limit_free_space(UnpackBudget *b, int dirfd);
/* Accounts one entry of size bytes (its declared size, before any byte of it is written):
 * -EFBIG / -EMLINK with the limit named in err when it does not fit. */
int budget_charge(UnpackBudget *b, int64_t size, char *err, size_t errlen);

/* A relative path inside the folder it is unpacked into: not empty, not absolute, no ".."
 * component, no control characters. */
bool entry_path_is_safe(const char *path);

typedef enum WhiteoutKind {
	WHITEOUT_NONE,   /* an ordinary entry */
	WHITEOUT_FILE,   /* ".wh.NAME": removes NAME from the lower layers */
	WHITEOUT_OPAQUE, /* ".wh..wh..opq": empties its folder */
	_WHITEOUT_MAX,
	_WHITEOUT_INVALID = -22,
} WhiteoutKind;

/* Classifies an entry's last path component; for WHITEOUT_FILE *ret_target is NAME. A whiteout
 * whose NAME is empty, ".", "..", has a '/' or starts with ".wh." (aufs' other markers) is
 * _WHITEOUT_INVALID. */
WhiteoutKind whiteout_kind(const char *base, const char **ret_target);

struct archive;
/* Every entry of an archive before anything of it is written: its path and hard link target
 * safe, its declared size and one entry charged to the budget, and the decompressed stream not
 * much larger than what was charged. */
#define UNPACK_ENTRY_OVERHEAD 8192 /* tar header, pax records, padding */
struct archive_entry;
int unpack_check_entry(struct archive *a, struct archive_entry *e, UnpackBudget *b, char *err,
		       size_t errlen);

/* Reads one blob for libarchive (archive_read_open's callback) and hashes every byte handed out. */
typedef struct HashedReader HashedReader;
int hashed_reader_new(int fd, int64_t size, HashedReader **ret);
HashedReader *hashed_reader_free(HashedReader *h);
ssize_t hashed_reader_read(struct archive *a, void *h, const void **ret_buf);
/* Reads the rest of the blob (what libarchive did not need), then compares its size and sha256
 * with the descriptor's: -EBADMSG with the reason in err when they differ. */
int hashed_reader_finish(HashedReader *h, const char *digest, char *err, size_t errlen);
