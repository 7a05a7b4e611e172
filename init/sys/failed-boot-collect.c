/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/mount.h>
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

/* e as a datagram into the forwarder's inbox under KEY: 0, or -errno (logged) when it is not
 * there and its source must stay. */
static int inbox_put(const char *key, const Event *e)
{
	char dgram[EVENT_DGRAM_MAX], path[256];
	struct stat st;
	int n, r;

	n = event_dgram_format(e, dgram, sizeof(dgram));
	if (n < 0)
		return log_warning_errno(n, "Failed to format the earlier boot's event, ignoring: %m");
	/* the forwarder's folder, as its service's sandbox would make it */
	if (access(FAILED_BOOT_INBOX, F_OK) < 0 &&
	    (mkdir_p(FAILED_BOOT_INBOX, 0755) < 0 ||
	     chown(FAILED_BOOT_INBOX, NODE_IDENTITY_GID, NODE_IDENTITY_GID) < 0))
		return log_warning_errno(-errno, "Failed to create %s, the record stays where it is: %m",
					 FAILED_BOOT_INBOX);
	r = inbox_count();
	if (r >= FAILED_BOOT_INBOX_MAX)
		return log_warning_errno(-ENOSPC, "%d earlier failures wait for kcc-forward already: "
					 "the record stays where it is", r);
	snprintf(path, sizeof(path), FAILED_BOOT_INBOX "/" FAILED_BOOT_INBOX_PREFIX "%s"
		 FAILED_BOOT_INBOX_SUFFIX, key);
	/* owned like its folder, the forwarder's (a folder, not a symbolic link) */
	r = lstat(FAILED_BOOT_INBOX, &st) < 0 ? -errno : !S_ISDIR(st.st_mode) ? -ENOTDIR :
		replace_file_durably_owned(path, dgram, (size_t)n, 0600, st.st_uid, st.st_gid);
	if (r < 0)
		return log_warning_errno(r, "Failed to write %s, the record stays where it is: %m", path);
	log_info("the earlier boot's failure waits for kcc-forward in %s", path);
	return 0;
}

void failed_boot_collect(void)
{
	char raw[FAILED_BOOT_RECORD_MAX];
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
	if (inbox_put(fb.boot, &e) < 0)
		return;
	r = efivar_delete(FAILED_BOOT_VAR);
	if (r < 0 && r != -ENOENT)
		log_warning_errno(r, "Failed to delete the EFI variable %s (the event may be sent "
			    "again): %m", FAILED_BOOT_VAR_NAME);
	else
		log_info("EFI variable %s deleted", FAILED_BOOT_VAR_NAME);
}

/* The kernel's dumps of a panic (efi-pstore, docs/events.md): one event for all of them, then
 * the files (and so their variables) deleted. */
#define PSTORE "/sys/fs/pstore"
#define PSTORE_DUMP_PREFIX "dmesg-efi-"
#define PSTORE_DUMP_MAX (16 * 1024)
#define PSTORE_FILES_MAX 64

void failed_boot_collect_pstore(void)
{
	_cleanup_free_ char *buf = NULL;
	char reason[200] = "", key[64] = "", names[PSTORE_FILES_MAX][64];
	unsigned files = 0;
	struct dirent *de;
	Event e;
	DIR *d;

	if (access("/sys/firmware/efi", F_OK) < 0)
		return;
	if (mount("pstore", PSTORE, "pstore", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 &&
	    errno != EBUSY) {
		log_warning_errno(-errno, "Failed to mount pstore, ignoring: %m");
		return;
	}
	buf = malloc(PSTORE_DUMP_MAX);
	d = buf ? opendir(PSTORE) : NULL;
	if (!d)
		goto out;
	while ((de = readdir(d)) && files < PSTORE_FILES_MAX) {
		char p[320], line[200];
		_cleanup_close_ int fd = -EBADF;
		ssize_t n;

		if (strncmp(de->d_name, PSTORE_DUMP_PREFIX, strlen(PSTORE_DUMP_PREFIX)) != 0)
			continue;
		failed_boot_text(names[files], sizeof(names[files]), de->d_name);
		snprintf(p, sizeof(p), PSTORE "/%s", de->d_name);
		fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		n = fd < 0 ? -1 : read(fd, buf, PSTORE_DUMP_MAX);
		if (n > 0 && failed_boot_panic_line(buf, (size_t)n, line, sizeof(line)) == 0 &&
		    !reason[0]) {
			snprintf(reason, sizeof(reason), "%s", line);
			snprintf(key, sizeof(key), "pstore-%s", names[files]);
		}
		files++;
	}
	closedir(d);
	if (files == 0)
		goto out;
	if (!key[0])
		snprintf(key, sizeof(key), "pstore-%s", names[0]);
	failed_boot_event_panic(key, files, reason, &e);
	log_warning("an earlier boot ended in a kernel panic: %s (%u pstore dump file%s, from "
		    "unauthenticated EFI variables)", reason[0] ? reason : "no panic line", files,
		    files == 1 ? "" : "s");
	if (inbox_put(key, &e) < 0)
		goto out;
	for (unsigned i = 0; i < files; i++) {
		char p[320];
		snprintf(p, sizeof(p), PSTORE "/%s", names[i]);
		if (unlink(p) < 0)
			log_warning_errno(-errno, "Failed to delete %s (the event may be sent again): %m",
					  p);
	}
	log_info("%u pstore dump file%s deleted", files, files == 1 ? "" : "s");
out:
	(void)umount2(PSTORE, MNT_DETACH);
}
