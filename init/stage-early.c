/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <sys/mount.h>
#include <sys/stat.h>

#include "log.h"
#include "stage-early.h"

typedef struct EarlyMount {
	const char *what, *where, *type;
	unsigned long flags;
	const char *data;
} EarlyMount;

static const EarlyMount early_mounts[] = {
	{ "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL },
	{ "sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL },
	{ "devtmpfs", "/dev", "devtmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755" },
	{ "tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755,size=20%" },
	{ "securityfs", "/sys/kernel/security", "securityfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL },
};

int stage_early_run(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(early_mounts); i++) {
		const EarlyMount *m = &early_mounts[i];

		(void)mkdir(m->where, 0755);
		if (mount(m->what, m->where, m->type, m->flags, m->data) < 0 && errno != EBUSY)
			return log_error_errno(-errno, "Failed to mount %s on %s: %m", m->type,
					       m->where);
	}
	/* The default kmsg rate limit would drop our lines; PID 1 owns the log. */
	(void)write_string_file("/proc/sys/kernel/printk_devkmsg", "on\n");
	log_open_kmsg();
	return 0;
}

/* efivarfs is a module in Debian's kernel, so it is mounted after the modules stage. */
int stage_early_efivarfs(void)
{
	if (access("/sys/firmware/efi", F_OK) < 0)
		return 0; /* not booted through UEFI */
	if (mount("efivarfs", "/sys/firmware/efi/efivars", "efivarfs",
		  MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 &&
	    errno != EBUSY)
		return log_error_errno(-errno, "Failed to mount efivarfs: %m");
	return 1;
}
