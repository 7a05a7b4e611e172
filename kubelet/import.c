/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "fs.h"
#include "import.h"
#include "manifest.h"
#include "oci-image.h"
#include "unpack.h"
#include "util.h"

/* Regular files and folders only, paths kept inside dirfd (checked, then libarchive's SECURE_*
 * checks), within the budget. */
static int extract(const char *archive, int dirfd, UnpackBudget *b, char *err, size_t errlen)
{
	struct archive *a = archive_read_new(), *w = archive_write_disk_new();
	struct archive_entry *e;
	_cleanup_close_ int cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char why[400];
	int r = 0, ar;

	if (!a || !w || cwd < 0) {
		r = -ENOMEM;
		goto out;
	}
	oci_archive_setup(a, w, 0);
	if (archive_read_open_filename(a, archive, 65536) != ARCHIVE_OK) {
		r = errorf(err, errlen, -EINVAL, "%s: %s", archive, archive_error_string(a));
		goto out;
	}
	if (fchdir(dirfd) < 0) {
		r = -errno;
		goto out;
	}
	while ((ar = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		mode_t t = archive_entry_filetype(e);
		r = unpack_check_entry(a, e, b, why, sizeof(why));
		if (r < 0) {
			errorf(err, errlen, r, "%s: %s", archive, why);
			goto out;
		}
		if (t != AE_IFREG && t != AE_IFDIR) {
			r = errorf(err, errlen, -EINVAL, "%s: %s is not a file or folder", archive,
				 archive_entry_pathname(e));
			goto out;
		}
		archive_entry_set_perm(e, t == AE_IFDIR ? 0755 : 0644);
		if (archive_write_header(w, e) != ARCHIVE_OK || oci_archive_copy(a, w) != ARCHIVE_OK ||
		    archive_write_finish_entry(w) != ARCHIVE_OK) {
			r = errorf(err, errlen, -EINVAL, "%s: %s: %s", archive, archive_entry_pathname(e),
				 archive_error_string(w));
			goto out;
		}
	}
	if (ar != ARCHIVE_EOF)
		r = errorf(err, errlen, -EINVAL, "%s: %s", archive, archive_error_string(a));
out:
	if (cwd >= 0 && fchdir(cwd) < 0 && r >= 0)
		r = -errno;
	if (w) {
		archive_write_close(w);
		archive_write_free(w);
	}
	if (a)
		archive_read_free(a);
	return r;
}

int image_import(const char *archive, const char *images_dir, const char *name,
		 const UnpackLimits *limits, char *err, size_t errlen)
{
	UnpackBudget b;
	char tmp[512], dst[512];
	_cleanup_close_ int dfd = -EBADF;
	struct stat st;
	int r;

	if (!dns_label_is_valid(name))
		return errorf(err, errlen, -EINVAL, "'%s' is not a valid image folder name (a DNS label)",
			    name);
	snprintf(dst, sizeof(dst), "%s/%s", images_dir, name);
	if (lstat(dst, &st) == 0)
		return errorf(err, errlen, -EEXIST, "%s exists already; remove it first", dst);
	r = mkdir_p(images_dir, 0700);
	if (r < 0)
		return errorf(err, errlen, r, "cannot create %s: %s", images_dir, strerror(-r));
	snprintf(tmp, sizeof(tmp), "%s/.import-%s-%d", images_dir, name, (int)getpid());
	(void)rm_rf(tmp);
	if (mkdir(tmp, 0700) < 0)
		return errorf(err, errlen, -errno, "cannot create %s: %s", tmp, strerror(errno));
	dfd = open(tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	budget_init(&b);
	budget_limit(&b, limits->max_bytes, limits->max_files, "the per-import limit");
	r = dfd < 0 ? -errno : budget_limit_free_space(&b, dfd);
	if (r >= 0)
		r = extract(archive, dfd, &b, err, errlen);
	if (r >= 0)
		r = oci_verify_layout(tmp, err, errlen);
	if (r >= 0 && rename(tmp, dst) < 0)
		r = errorf(err, errlen, -errno, "cannot rename into %s: %s", dst, strerror(errno));
	if (r < 0)
		(void)rm_rf(tmp);
	return r;
}
