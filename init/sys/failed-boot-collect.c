/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dgram.h"
#include "efivar.h"
#include "failed-boot-collect.h"
#include "failed-boot.h"
#include "log.h"
#include "node-config-files.h"
#include "util.h"

/* Records waiting in the inbox, or -errno. */
static int inbox_count(void)
{
	DIR *d = opendir(FAILED_BOOT_INBOX);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (strncmp(de->d_name, FAILED_BOOT_INBOX_PREFIX, strlen(FAILED_BOOT_INBOX_PREFIX)) == 0)
			n++;
	closedir(d);
	return n;
}

/* path written with data, owned like its folder (the forwarder's), fsync'd, renamed, folder
 * fsync'd. */
static int write_durably(const char *path, const char *data, size_t size)
{
	char tmp[256];
	struct stat st;
	_cleanup_close_ int fd = -EBADF, dfd = -EBADF;
	int r = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	dfd = open(FAILED_BOOT_INBOX, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (dfd < 0 || fstat(dfd, &st) < 0)
		return -errno;
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	if (fchown(fd, st.st_uid, st.st_gid) < 0 || write(fd, data, size) != (ssize_t)size ||
	    fsync(fd) < 0 || rename(tmp, path) < 0 || fsync(dfd) < 0)
		r = errno ? -errno : -EIO;
	if (r < 0)
		(void)unlink(tmp);
	return r;
}

void failed_boot_collect(void)
{
	char raw[FAILED_BOOT_RECORD_MAX], dgram[EVENT_DGRAM_MAX], path[256];
	_cleanup_free_ char *boot = NULL;
	FailedBoot fb;
	Event e;
	int n, r;

	n = efivar_read(FAILED_BOOT_VAR, raw, sizeof(raw));
	if (n == -ENOENT)
		return;
	if (n >= 0 && failed_boot_parse(raw, (size_t)n, &fb) == 0) {
		failed_boot_event(&fb, &e);
		log_warning("an earlier boot failed: stage '%s': %s (%u failed boot%s, boot %s; "
			    "read from an unauthenticated EFI variable)", fb.stage, fb.reason,
			    fb.count, fb.count == 1 ? "" : "s", fb.boot);
	} else if (n >= 0 || n == -E2BIG) {
		failed_boot_event_malformed(n >= 0 ? (size_t)n : sizeof(raw), &e);
		log_warning("an earlier boot left a failure record that is not well-formed "
			    "(EFI variable %s), reporting and deleting it", FAILED_BOOT_VAR_NAME);
		if (read_small_file("/proc/sys/kernel/random/boot_id", 64, &boot) < 0)
			return;
		snprintf(fb.boot, sizeof(fb.boot), "%.36s", boot);
	} else {
		log_warning_errno(n, "Failed to read the EFI variable %s, ignoring: %m",
				  FAILED_BOOT_VAR_NAME);
		return;
	}
	n = event_dgram_format(&e, dgram, sizeof(dgram));
	if (n < 0) {
		log_warning_errno(n, "Failed to format the earlier boot's event, ignoring: %m");
		return;
	}
	/* the forwarder's folder, as its service's sandbox would make it */
	if (access(FAILED_BOOT_INBOX, F_OK) < 0 &&
	    (mkdir_p(FAILED_BOOT_INBOX, 0755) < 0 ||
	     chown(FAILED_BOOT_INBOX, NODE_IDENTITY_GID, NODE_IDENTITY_GID) < 0)) {
		log_warning_errno(-errno, "Failed to create %s, the record stays in its EFI variable: %m",
				  FAILED_BOOT_INBOX);
		return;
	}
	r = inbox_count();
	if (r >= FAILED_BOOT_INBOX_MAX) {
		log_warning("%d earlier failures wait for kcc-forward already: the record stays in its "
			    "EFI variable (its count goes on)", r);
		return;
	}
	snprintf(path, sizeof(path), FAILED_BOOT_INBOX "/" FAILED_BOOT_INBOX_PREFIX "%s"
		 FAILED_BOOT_INBOX_SUFFIX, fb.boot);
	r = write_durably(path, dgram, (size_t)n);
	if (r < 0) {
		log_warning_errno(r, "Failed to write %s, the record stays in its EFI variable: %m", path);
		return;
	}
	r = efivar_delete(FAILED_BOOT_VAR);
	if (r < 0 && r != -ENOENT)
		log_warning_errno(r, "Failed to delete the EFI variable %s (the event may be sent "
			    "again): %m", FAILED_BOOT_VAR_NAME);
	else
		log_info("the earlier boot's failure waits for kcc-forward in %s; EFI variable deleted",
			 path);
}
