/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <sys/mount.h>
#include <sys/stat.h>

#include "log.h"
#include "stage-early.h"

typedef struct EarlyMount {
	const char *what, *where, *type;
	unsigned long flags;
	const char *data;
	bool optional;
} EarlyMount;

static const EarlyMount early_mounts[] = {
	{ "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, false },
	{ "sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, false },
	{ "devtmpfs", "/dev", "devtmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755", false },
	{ "tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755,size=20%", false },
	{ "securityfs", "/sys/kernel/security", "securityfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL,
	  false },
	{ "efivarfs", "/sys/firmware/efi/efivars", "efivarfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	  NULL, true },
};

int stage_early_run(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(early_mounts); i++) {
		const EarlyMount *m = &early_mounts[i];

		if (m->optional && access(m->where, F_OK) < 0)
			continue; /* efivarfs: only under UEFI does the mount point exist */
		(void)mkdir(m->where, 0755);
		if (mount(m->what, m->where, m->type, m->flags, m->data) < 0 && errno != EBUSY) {
			if (m->optional)
				continue; /* efivarfs is a module: stage_early_efivarfs() retries */
			return log_error_errno(-errno, "Failed to mount %s on %s: %m", m->type,
					       m->where);
		}
	}
	/* The default kmsg rate limit would drop our lines; PID 1 owns the log. */
	(void)write_string_file("/proc/sys/kernel/printk_devkmsg", "on\n");
	log_open_kmsg();
	return 0;
}

int stage_early_efivarfs(void)
{
	const EarlyMount *m = &early_mounts[ARRAY_SIZE(early_mounts) - 1];

	if (access("/sys/firmware/efi", F_OK) < 0)
		return 0; /* not booted through UEFI */
	if (mount(m->what, m->where, m->type, m->flags, m->data) < 0 && errno != EBUSY)
		return log_error_errno(-errno, "Failed to mount efivarfs: %m");
	return 1;
}
