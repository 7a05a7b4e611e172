/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: one image layer (any bytes: tar, gzip, zstd) unpacked as kcc-kubelet unpacks
 * it, into a folder with a file next to it. Whatever the layer says, nothing may appear or vanish
 * outside the folder, and the budget holds. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "oci-image.h"
#include "unpack.h"
#include "util.h"

static char top[] = "/tmp/kcc-fuzz-unpack-XXXXXX";
static int topfd = -1;

/* The folder holds exactly "root" and "sentinel" (with its content). */
static void check_outside(void)
{
	DIR *d = fdopendir(fcntl(topfd, F_DUPFD_CLOEXEC, 3));
	struct dirent *de;
	char buf[8] = "";
	int fd, n = 0;

	if (!d)
		abort();
	rewinddir(d);
	while ((de = readdir(d)))
		if (!streq(de->d_name, ".") && !streq(de->d_name, "..")) {
			if (!streq(de->d_name, "root") && !streq(de->d_name, "sentinel"))
				abort();
			n++;
		}
	closedir(d);
	fd = openat(topfd, "sentinel", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (n != 2 || fd < 0 || read(fd, buf, sizeof(buf)) != 4 || memcmp(buf, "keep", 4) != 0)
		abort();
	close(fd);
}

static void remove_top(void)
{
	(void)rm_rf(top);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char md[32];
	unsigned mdlen = 0;
	char digest[72] = "sha256:", err[512];
	UnpackBudget b;
	int fd, rootfd, r;

	if (topfd < 0) {
		if (!mkdtemp(top))
			abort();
		atexit(remove_top);
		topfd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		fd = openat(topfd, "sentinel", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (topfd < 0 || fd < 0 || write(fd, "keep", 4) != 4)
			abort();
		close(fd);
	}
	(void)rm_rf_at(topfd, "root");
	if (mkdirat(topfd, "root", 0755) < 0)
		abort();
	rootfd = openat(topfd, "root", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	fd = memfd_create("layer", MFD_CLOEXEC);
	if (rootfd < 0 || fd < 0 || write(fd, data, size) != (ssize_t)size || lseek(fd, 0, SEEK_SET))
		abort();
	EVP_Digest(data, size, md, &mdlen, EVP_sha256(), NULL);
	for (unsigned i = 0; i < 32; i++)
		snprintf(digest + 7 + 2 * i, 3, "%02x", md[i]);
	budget_init(&b);
	budget_limit(&b, 1 << 20, 256, "the fuzz limit");
	r = oci_unpack_layer(fd, (int64_t)size, digest, rootfd, &b, err, sizeof(err));
	if (b.bytes > b.max_bytes || b.files > b.max_files || r == -EBADMSG)
		abort(); /* the digest is the data's: a mismatch would be a hashing bug */
	close(fd);
	close(rootfd);
	check_outside();
	return 0;
}
