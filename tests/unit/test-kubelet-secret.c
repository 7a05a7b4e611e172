/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kcc-kubelet's secret volumes (kubelet/secret-volume.c), as root in a mount namespace of its own
 * (skipped otherwise): the staged tmpfs holds the released secret as one 0444 file of the pod's
 * ids and is read-only; staging again replaces it; a secret that was not released is -ENOKEY
 * with its name; a symbolic link in the secrets folder is not followed. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "secret-volume.h"
#include "util.h"

#define IDS 0x40010000u

static void put(const char *path, const char *s)
{
	FILE *f = fopen(path, "we");
	assert_non_null(f);
	fputs(s, f);
	fclose(f);
}

static void test_stage(void **state)
{
	char dir[] = "/tmp/kcc-secret-XXXXXX", secrets[64], staging[64], file[96], err[256], buf[64];
	Volume v = { .name = (char *)"k", .kind = VOLUME_SECRET, .secret_name = (char *)"db-password" };
	struct stat st;
	ssize_t n;
	int fd;

	(void)state;
	if (geteuid() != 0 || unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		skip();
	assert_non_null(mkdtemp(dir));
	snprintf(secrets, sizeof(secrets), "%s/secrets", dir);
	snprintf(staging, sizeof(staging), "%s/staging", dir);
	assert_int_equal(mkdir(secrets, 0700), 0);
	/* not released yet */
	assert_int_equal(secret_volume_stage(&v, secrets, staging, IDS, err, sizeof(err)), -ENOKEY);
	assert_non_null(strstr(err, "secret \"db-password\" was not released to this node"));
	snprintf(file, sizeof(file), "%s/target", dir);
	put(file, "elsewhere");
	snprintf(buf, sizeof(buf), "%s/db-password", secrets);
	assert_int_equal(symlink(file, buf), 0);
	assert_true(secret_volume_stage(&v, secrets, staging, IDS, err, sizeof(err)) < 0);
	unlink(buf);
	unlink(file);
	snprintf(file, sizeof(file), "%s/db-password", staging);
	/* released */
	put(buf, "first");
	if (secret_volume_stage(&v, secrets, staging, IDS, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	put(buf, "second");
	assert_int_equal(secret_volume_stage(&v, secrets, staging, IDS, err, sizeof(err)), 0);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0444);
	assert_int_equal(st.st_uid, IDS);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	assert_int_equal(n, 6);
	assert_memory_equal(buf, "second", 6);
	assert_true(open(file, O_WRONLY | O_CLOEXEC) < 0);
	assert_true(mkdir(file, 0700) < 0 && (errno == EROFS || errno == EEXIST));
	snprintf(buf, sizeof(buf), "%s/new", staging);
	assert_true(open(buf, O_WRONLY | O_CREAT | O_CLOEXEC, 0600) < 0 && errno == EROFS);
	/* one mount after two stagings: the first came off */
	assert_int_equal(umount2(staging, MNT_DETACH), 0);
	assert_true(umount2(staging, MNT_DETACH) < 0 && errno == EINVAL);
	snprintf(buf, sizeof(buf), "%s/db-password", secrets);
	unlink(buf);
	rmdir(secrets);
	rmdir(staging);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_stage) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
