/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attest-keys.h"
#include "duplicate.h"
#include "released.h"
#include "secrets.h"
#include "util.h"

/* dir/.NAME.tmp, then renamed: a reader sees the old secret or the new one. */
static int write_secret(int dfd, const char *name, const uint8_t *data, size_t size)
{
	char tmp[ATTEST_NODE_MAX + 8];
	int fd, r = 0;

	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	(void)unlinkat(dfd, tmp, 0);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0400);
	if (fd < 0)
		return -errno;
	if (write(fd, data, size) != (ssize_t)size)
		r = -EIO;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && renameat(dfd, tmp, dfd, name) < 0)
		r = -errno;
	if (r < 0)
		(void)unlinkat(dfd, tmp, 0);
	return r;
}

int released_secrets_write(Tpm *t, TpmEkType ek, json_object *result, const char *dir, char *err,
			   size_t err_size)
{
	AttestSecrets s;
	TpmAttestKeys k = TPM_ATTEST_KEYS_NONE;
	uint8_t buf[TPM_SECRET_MAX];
	_cleanup_close_ int dfd = -EBADF;
	int r = attest_secrets_parse(result, &s, err, err_size);

	if (r < 0 || s.n == 0)
		return r;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		r = errorf(err, err_size, -errno, "%s: %s", dir, strerror(errno));
	if (r >= 0) {
		dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dfd < 0)
			r = errorf(err, err_size, -errno, "%s: %s", dir, strerror(errno));
	}
	/* The EK again: the join flushed it before going to the network. */
	if (r >= 0 && (r = tpm_attest_keys(t, ek, &k)) < 0)
		errorf(err, err_size, r, "cannot create the EK: %s", tpm_error(t));
	for (size_t i = 0; r >= 0 && i < s.n; i++) {
		size_t n = sizeof(buf);

		r = tpm_import_unseal(t, &k, s.s[i].blob.p, s.s[i].blob.n, ATTEST_PCR_MASK, buf, &n);
		if (r < 0) {
			errorf(err, err_size, r, "the TPM cannot open the released secret %s: %s",
			       s.s[i].name, tpm_error(t));
			break;
		}
		r = write_secret(dfd, s.s[i].name, buf, n);
		explicit_wipe(buf, sizeof(buf));
		if (r < 0)
			errorf(err, err_size, r, "%s/%s: %s", dir, s.s[i].name, strerror(-r));
	}
	tpm_attest_keys_done(t, &k);
	r = r < 0 ? r : (int)s.n;
	attest_secrets_done(&s);
	return r;
}
