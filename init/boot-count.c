/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "blkid.h"
#include "boot-count.h"
#include "epoch-raise.h"
#include "esp.h"
#include "log.h"
#include "util.h"

#define ESP_TYPE "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"

/* An EFI variable of the loader vendor GUID holding a NUL-terminated UCS-2 string, as ASCII. */
static int read_loader_var(const char *name, char *buf, size_t size)
{
	char path[160];
	uint8_t raw[4 + 2 * 512];
	_cleanup_close_ int fd = -EBADF;
	ssize_t n;
	size_t o = 0;

	snprintf(path, sizeof(path), EFIVARS "/%s-" LOADER_GUID, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, raw, sizeof(raw));
	if (n < 0)
		return -errno;
	/* 4 bytes of attributes, then UCS-2 little-endian; only printable ASCII is accepted */
	for (ssize_t i = 4; i + 1 < n; i += 2) {
		unsigned c = raw[i] | (unsigned)raw[i + 1] << 8;
		if (c == 0)
			break;
		if (c < 0x20 || c > 0x7e || o + 1 >= size)
			return -EBADMSG;
		buf[o++] = (char)c;
	}
	if (o == 0)
		return -EBADMSG;
	buf[o] = '\0';
	return 0;
}

int boot_count_path(char *buf, size_t size)
{
	return read_loader_var("LoaderBootCountPath", buf, size);
}

bool boot_is_counted(void)
{
	char p[256];

	return boot_count_path(p, sizeof(p)) == 0;
}

/* The ESP the loader started from (LoaderDevicePartUUID, upper case), mounted at BOOT_ESP_MOUNT. */
static int esp_mount(void)
{
	char uuid[64];
	PartitionMatch m = { .type_uuid = ESP_TYPE, .part_uuid = uuid };
	int r = read_loader_var("LoaderDevicePartUUID", uuid, sizeof(uuid));

	if (r < 0)
		return log_error_errno(r, "Failed to read LoaderDevicePartUUID: %m");
	for (char *c = uuid; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	r = blkid_find_partitions(&m, 1);
	if (r <= 0)
		return log_error_errno(r < 0 ? r : -ENXIO, "No ESP with PARTUUID %s: %m", uuid);
	r = mkdir_p(BOOT_ESP_MOUNT, 0700);
	if (r < 0)
		return log_error_errno(r, "Failed to create %s: %m", BOOT_ESP_MOUNT);
	if (mount(m.ret_node, BOOT_ESP_MOUNT, "vfat", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "umask=0077,shortname=mixed,flush") < 0)
		return log_error_errno(-errno, "Failed to mount the ESP %s on %s: %m", m.ret_node,
				       BOOT_ESP_MOUNT);
	return 0;
}

/* The file name of the entry the loader boots next instead of version's: 1, or 0 when there is none. */
static int next_entry(const char *version, char *buf, size_t size)
{
	EspEntry e;
	int r = esp_next(BOOT_ESP_MOUNT, version, &e);

	if (r <= 0)
		return r;
	return esp_entry_format(&e, buf, size) < 0 ? -EINVAL : 1;
}

int boot_count_act(BootVerdict v, const char *reason)
{
	char path[256], name[ESP_NAME_MAX], next[ESP_NAME_MAX];
	int r, u, fallback = 0;
	unsigned limit = 0;
	EspEntry e;

	r = boot_count_path(path, sizeof(path));
	if (r == -ENOENT) {
		log_info("boot not counted (no LoaderBootCountPath: direct kernel or blessed entry), "
			 "nothing to %s", v == BOOT_BLESS ? "bless" : "mark bad");
		return r;
	}
	if (r < 0)
		return log_error_errno(r, "Failed to read LoaderBootCountPath: %m");
	r = esp_mount();
	if (r < 0)
		return r;
	r = esp_check_writable(BOOT_ESP_MOUNT);
	if (r >= 0)
		r = v == BOOT_BLESS ? esp_bless(BOOT_ESP_MOUNT, path, &e) : esp_mark_bad(BOOT_ESP_MOUNT, path, &e);
	if (r >= 0 && v == BOOT_MARK_BAD)
		fallback = next_entry(e.version, next, sizeof(next));
	/* blessed: the lowest epoch still installed bounds the anti-rollback raise (after the unmount) */
	if (r >= 0 && v == BOOT_BLESS && epoch_installed_limit(BOOT_ESP_MOUNT, NULL, &limit) < 0)
		limit = 0;
	sync();
	u = umount2(BOOT_ESP_MOUNT, 0) < 0 ? -errno : 0;
	if (r == -EROFS)
		return log_error_errno(r, "boot %s failed: the ESP is read-only, %s stays as it is",
				       v == BOOT_BLESS ? "bless" : "mark-bad", path);
	if (r < 0)
		return log_error_errno(r, "boot %s of %s failed: %m", v == BOOT_BLESS ? "bless" : "mark-bad",
				       path);
	if (u < 0)
		log_warning_errno(u, "Failed to unmount %s, ignoring: %m", BOOT_ESP_MOUNT);
	if (esp_entry_format(&e, name, sizeof(name)) < 0)
		snprintf(name, sizeof(name), "?");
	if (v == BOOT_BLESS) {
		log_info("boot blessed: %s -> %s", path, name);
		(void)epoch_raise_to_limit(limit); /* logged; the boot stays blessed either way */
		return 0;
	}
	log_info("boot marked bad (%s): %s -> %s; %s%s", reason ? reason : "failure", path, name,
		 fallback > 0 ? "the loader boots next: " : "no other entry to fall back to",
		 fallback > 0 ? next : "");
	return fallback > 0 ? 1 : 0;
}

int boot_count_main(int argc, char **argv)
{
	int r;

	log_open_kmsg();
	if (argc == 2 && streq(argv[1], "bless"))
		r = boot_count_act(BOOT_BLESS, NULL);
	else if (argc == 3 && streq(argv[1], "mark-bad"))
		r = boot_count_act(BOOT_MARK_BAD, argv[2]);
	else {
		fprintf(stderr, "usage: kcc-init bless | mark-bad REASON\n");
		return 100;
	}
	/* mark-bad: 0 when another entry boots next, 3 when there is none */
	if (r == -ENOENT)
		return 2;
	if (r < 0)
		return 1;
	return argc == 3 && r == 0 ? 3 : 0;
}
