/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <linux/capability.h>
#include <string.h>
#include <strings.h>

#include "caps.h"
#include "util.h"

static const char *const names[] = {
	[CAP_CHOWN] = "CAP_CHOWN",
	[CAP_DAC_OVERRIDE] = "CAP_DAC_OVERRIDE",
	[CAP_DAC_READ_SEARCH] = "CAP_DAC_READ_SEARCH",
	[CAP_FOWNER] = "CAP_FOWNER",
	[CAP_FSETID] = "CAP_FSETID",
	[CAP_KILL] = "CAP_KILL",
	[CAP_SETGID] = "CAP_SETGID",
	[CAP_SETUID] = "CAP_SETUID",
	[CAP_SETPCAP] = "CAP_SETPCAP",
	[CAP_LINUX_IMMUTABLE] = "CAP_LINUX_IMMUTABLE",
	[CAP_NET_BIND_SERVICE] = "CAP_NET_BIND_SERVICE",
	[CAP_NET_BROADCAST] = "CAP_NET_BROADCAST",
	[CAP_NET_ADMIN] = "CAP_NET_ADMIN",
	[CAP_NET_RAW] = "CAP_NET_RAW",
	[CAP_IPC_LOCK] = "CAP_IPC_LOCK",
	[CAP_IPC_OWNER] = "CAP_IPC_OWNER",
	[CAP_SYS_MODULE] = "CAP_SYS_MODULE",
	[CAP_SYS_RAWIO] = "CAP_SYS_RAWIO",
	[CAP_SYS_CHROOT] = "CAP_SYS_CHROOT",
	[CAP_SYS_PTRACE] = "CAP_SYS_PTRACE",
	[CAP_SYS_PACCT] = "CAP_SYS_PACCT",
	[CAP_SYS_ADMIN] = "CAP_SYS_ADMIN",
	[CAP_SYS_BOOT] = "CAP_SYS_BOOT",
	[CAP_SYS_NICE] = "CAP_SYS_NICE",
	[CAP_SYS_RESOURCE] = "CAP_SYS_RESOURCE",
	[CAP_SYS_TIME] = "CAP_SYS_TIME",
	[CAP_SYS_TTY_CONFIG] = "CAP_SYS_TTY_CONFIG",
	[CAP_MKNOD] = "CAP_MKNOD",
	[CAP_LEASE] = "CAP_LEASE",
	[CAP_AUDIT_WRITE] = "CAP_AUDIT_WRITE",
	[CAP_AUDIT_CONTROL] = "CAP_AUDIT_CONTROL",
	[CAP_SETFCAP] = "CAP_SETFCAP",
	
	[CAP_MAC_OVERRIDE] = "CAP_MAC_OVERRIDE",
	[CAP_MAC_ADMIN] = "CAP_MAC_ADMIN",
	[CAP_SYSLOG] = "CAP_SYSLOG",
	[CAP_WAKE_ALARM] = "CAP_WAKE_ALARM",
	[CAP_BLOCK_SUSPEND] = "CAP_BLOCK_SUSPEND",
	[CAP_AUDIT_READ] = "CAP_AUDIT_READ",
	[CAP_PERFMON] = "CAP_PERFMON",
	[CAP_BPF] = "CAP_BPF",
	[CAP_CHECKPOINT_RESTORE] = "CAP_CHECKPOINT_RESTORE",
};

static const int pod_never[] = {
	CAP_SYS_ADMIN, CAP_SYS_MODULE,	  CAP_SYS_RAWIO,       CAP_SYS_BOOT,	       CAP_BPF,
	CAP_PERFMON,   CAP_MAC_ADMIN,	  CAP_MAC_OVERRIDE,    CAP_SYS_PTRACE,	       CAP_SYS_TIME,
	CAP_SYSLOG,    CAP_AUDIT_CONTROL, CAP_LINUX_IMMUTABLE, CAP_CHECKPOINT_RESTORE,
};

int cap_from_string(const char *name, int *ret)
{
	const char *n = name;

	if (strncasecmp(n, "CAP_", 4) == 0)
		n += 4;
	if (!*n || strlen(n) > 32)
		return -EINVAL;
	for (int i = 0; i < (int)ARRAY_SIZE(names); i++)
		if (names[i] && strcasecmp(names[i] + 4, n) == 0) {
			*ret = i;
			return 0;
		}
	return -EINVAL;
}

const char *cap_to_string(int cap)
{
	return cap >= 0 && cap < (int)ARRAY_SIZE(names) ? names[cap] : NULL;
}

int cap_last(void)
{
	return (int)ARRAY_SIZE(names) - 1;
}

bool cap_pod_default(int cap)
{
	return cap == CAP_NET_BIND_SERVICE;
}

bool cap_pod_never(int cap)
{
	for (size_t i = 0; i < ARRAY_SIZE(pod_never); i++)
		if (pod_never[i] == cap)
			return true;
	return false;
}
