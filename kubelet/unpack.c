/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "unpack.h"
#include "util.h"

void budget_init(UnpackBudget *b)
{
	*b = (UnpackBudget){ .max_bytes = UINT64_MAX, .max_files = UINT64_MAX };
}

void budget_limit(UnpackBudget *b, uint64_t max_bytes, uint64_t max_files, const char *what)
{
	if (max_bytes < b->max_bytes) {
		b->max_bytes = max_bytes;
		b->bytes_what = what;
	}
	if (max_files < b->max_files) {
		b->max_files = max_files;
		b->files_what = what;
	}
}

int budget_limit_free_space(UnpackBudget *b, int dirfd)
{
	struct statvfs sv;
	uint64_t avail, reserve;

	if (fstatvfs(dirfd, &sv) < 0)
		return -errno;
	avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	reserve = (uint64_t)sv.f_blocks * sv.f_frsize / 10;
	if (reserve < UNPACK_RESERVE_BYTES)
		reserve = UNPACK_RESERVE_BYTES;
	budget_limit(b, avail > reserve ? avail - reserve : 0, UINT64_MAX,
		     "the free space kept on the file system");
	return 0;
}

int budget_charge(UnpackBudget *b, int64_t size, char *err, size_t errlen)
{
	uint64_t sz = size > 0 ? (uint64_t)size : 0;

	if (b->files >= b->max_files)
		return errorf(err, errlen, -EMLINK, "more than %llu entries (%s)",
			      (unsigned long long)b->max_files, b->files_what);
	if (sz > b->max_bytes - b->bytes)
		return errorf(err, errlen, -EFBIG, "more than %llu bytes unpacked (%s)",
			      (unsigned long long)b->max_bytes, b->bytes_what);
	b->files++;
	b->bytes += sz;
	return 0;
}

bool entry_path_is_safe(const char *path)
{
	const char *p = path;

	if (!path || !*path || *path == '/')
		return false;
	for (const char *c = path; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return false;
	while (*p) {
		size_t n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return false;
		p += n;
		while (*p == '/')
			p++;
	}
	return true;
}

WhiteoutKind whiteout_kind(const char *base, const char **ret_target)
{
	const char *t = startswith(base, ".wh.");

	if (!t)
		return WHITEOUT_NONE;
	if (streq(t, ".wh..opq"))
		return WHITEOUT_OPAQUE;
	/* the target is one name in the same folder: never empty, ".", "..", a path, or another
	 * marker (".wh..wh.plnk" and the like are aufs internals, not lower-layer files) */
	if (!*t || streq(t, ".") || streq(t, "..") || strchr(t, '/') || startswith(t, ".wh."))
		return _WHITEOUT_INVALID;
	*ret_target = t;
	return WHITEOUT_FILE;
}

#define READ_CHUNK 65536

struct HashedReader {
	int fd;
	int64_t size;  /* the descriptor's; reading past it is an error at once */
	uint64_t read; /* bytes handed out, all of them hashed */
	EVP_MD_CTX *ctx;
	int error;
	unsigned char buf[READ_CHUNK];
};

int hashed_reader_new(int fd, int64_t size, HashedReader **ret)
{
	HashedReader *h = calloc(1, sizeof(*h));

	if (!h)
		return -ENOMEM;
	h->fd = fd;
	h->size = size;
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || !EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL)) {
		hashed_reader_free(h);
		return -ENOMEM;
	}
	*ret = h;
	return 0;
}

HashedReader *hashed_reader_free(HashedReader *h)
{
	if (h) {
		EVP_MD_CTX_free(h->ctx);
		free(h);
	}
	return NULL;
}

static ssize_t read_chunk(HashedReader *h)
{
	ssize_t k;

	do
		k = read(h->fd, h->buf, sizeof(h->buf));
	while (k < 0 && errno == EINTR);
	if (k < 0) {
		h->error = -errno;
		return -1;
	}
	h->read += (uint64_t)k;
	if (h->size >= 0 && h->read > (uint64_t)h->size) {
		h->error = -EFBIG;
		return -1;
	}
	if (k > 0 && !EVP_DigestUpdate(h->ctx, h->buf, (size_t)k)) {
		h->error = -EIO;
		return -1;
	}
	return k;
}

ssize_t hashed_reader_read(struct archive *a, void *data, const void **ret_buf)
{
	HashedReader *h = data;
	ssize_t k = read_chunk(h);

	if (k < 0) {
		archive_set_error(a, -h->error, "%s",
				  h->error == -EFBIG ? "the blob is larger than its descriptor says"
						     : strerror(-h->error));
		return -1;
	}
	*ret_buf = h->buf;
	return k;
}

int hashed_reader_finish(HashedReader *h, const char *digest, char *err, size_t errlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	char hex[65];
	ssize_t k;

	while (h->error == 0 && (k = read_chunk(h)) > 0)
		;
	if (h->error == -EFBIG)
		return errorf(err, errlen, -EBADMSG,
			      "blob %s is larger than its descriptor's %lld bytes", digest,
			      (long long)h->size);
	if (h->error < 0)
		return errorf(err, errlen, h->error, "blob %s: %s", digest, strerror(-h->error));
	if (h->size >= 0 && h->read != (uint64_t)h->size)
		return errorf(err, errlen, -EBADMSG, "blob %s: size %llu, the descriptor says %lld",
			      digest, (unsigned long long)h->read, (long long)h->size);
	if (!EVP_DigestFinal_ex(h->ctx, md, &mdlen) || mdlen != 32)
		return errorf(err, errlen, -EIO, "blob %s: cannot hash it", digest);
	for (unsigned i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	if (!startswith(digest, "sha256:") || strcmp(hex, digest + 7) != 0)
		return errorf(err, errlen, -EBADMSG, "blob %s: its content has digest sha256:%s",
			      digest, hex);
	return 0;
}

int unpack_check_entry(struct archive *a, struct archive_entry *e, UnpackBudget *b, char *err,
		       size_t errlen)
{
	const char *name = archive_entry_pathname(e), *hl = archive_entry_hardlink(e);
	int64_t in;
	int r;

	if (!name || !entry_path_is_safe(name))
		return errorf(err, errlen, -EINVAL,
			      "entry '%.200s' leaves the folder it is unpacked into", name ? name : "");
	if (hl && !entry_path_is_safe(hl))
		return errorf(err, errlen, -EINVAL,
			      "%.200s: hard link to '%.200s' leaves the folder", name, hl);
	r = budget_charge(b, archive_entry_size(e), err, errlen);
	if (r < 0)
		return r;
	/* The decompressed stream itself (headers, padding, what is skipped) stays near what was
	 * charged: a stream of nothing but headers or skipped data is a bomb too. */
	in = archive_filter_bytes(a, 0);
	if (in > 0 && (uint64_t)in > b->bytes + (b->files + 1) * UNPACK_ENTRY_OVERHEAD + (1 << 20))
		return errorf(err, errlen, -EFBIG,
			      "%llu bytes decompressed for %llu bytes of %llu entries",
			      (unsigned long long)in, (unsigned long long)b->bytes,
			      (unsigned long long)b->files);
	return 0;
}
