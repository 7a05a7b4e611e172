/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "efivar.h"
#include "failed-boot-save.h"
#include "failed-boot.h"
#include "log.h"
#include "stage-early.h"
#include "util.h"

/* IMAGE_VERSION= of the initrd's os-release, or "-". */
static void image_version(char *buf, size_t size)
{
	_cleanup_free_ char *s = NULL;
	const char *p;

	snprintf(buf, size, "-");
	if (read_small_file("/etc/initrd-release", 8192, &s) < 0)
		return;
	for (p = s; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, "IMAGE_VERSION=", 14) == 0) {
			char v[64];
			snprintf(v, sizeof(v), "%.*s", (int)strcspn(p + 14, "\n\""), p + 14);
			if (v[0])
				failed_boot_text(buf, size, v);
			return;
		}
}

void failed_boot_save(const char *stage, int error)
{
	char old[FAILED_BOOT_RECORD_MAX], rec[FAILED_BOOT_RECORD_MAX + 1];
	_cleanup_free_ char *boot = NULL;
	FailedBoot prev, r = { .count = 1 };
	struct timespec ts;
	int n, k;

	/* first: whatever is logged below must not become the reason */
	failed_boot_text(r.reason, sizeof(r.reason),
			 log_last_error()[0] ? log_last_error() : strerror(error < 0 ? -error : error));
	failed_boot_text(r.stage, sizeof(r.stage), stage);
	if (access("/sys/firmware/efi", F_OK) < 0) {
		log_info("no EFI variables (direct kernel boot): this failure is kept nowhere");
		return;
	}
	if (stage_early_efivarfs() < 0) /* a failure before the efivarfs step mounted it */
		return;
	n = efivar_read(FAILED_BOOT_VAR, old, sizeof(old));
	if (n > 0 && failed_boot_parse(old, (size_t)n, &prev) == 0)
		r.count = prev.count < FAILED_BOOT_COUNT_MAX ? prev.count + 1 : FAILED_BOOT_COUNT_MAX;
	if (read_small_file("/proc/sys/kernel/random/boot_id", 64, &boot) >= 0)
		snprintf(r.boot, sizeof(r.boot), "%.36s", boot);
	clock_gettime(CLOCK_BOOTTIME, &ts);
	r.uptime_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	clock_gettime(CLOCK_REALTIME, &ts);
	r.time_s = ts.tv_sec > 0 ? (uint64_t)ts.tv_sec : 0;
	image_version(r.version, sizeof(r.version));
	n = failed_boot_format(&r, rec, sizeof(rec));
	k = n < 0 ? n : efivar_write(FAILED_BOOT_VAR, FAILED_BOOT_VAR_ATTRS, rec, (size_t)n);
	if (k < 0) {
		log_warning_errno(k, "Failed to keep this failure in an EFI variable, ignoring: %m");
		return;
	}
	log_info("failure kept for the next boot in the EFI variable %s (%u failed boot%s)",
		 FAILED_BOOT_VAR_NAME, r.count, r.count == 1 ? "" : "s");
}
