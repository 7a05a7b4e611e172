/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Boot counting (docs/upgrades.md, "Boot counting and bless rules"): systemd-boot 252 renames a
 * counted UKI \EFI\Linux\kcc-node_<V>+LEFT-DONE.efi to one try less before it starts it and names the
 * new path in the EFI variable LoaderBootCountPath. kcc-init blesses that entry once the node is
 * healthy (the counter goes) or marks it bad on a deterministic failure (+0: the loader boots the
 * next entry). The ESP (found by LoaderDevicePartUUID) is mounted at /run/kcc/esp only for the
 * rename, which is synced before the unmount. A boot without LoaderBootCountPath (direct kernel,
 * a blessed entry, firmware booting a UKI itself) is not counted: nothing to do. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define BOOT_ESP_MOUNT "/run/kcc/esp"
#define LOADER_GUID "4a67b082-0a4c-41cf-b6c7-440b29bb8c4f"
#define EFIVARS "/sys/firmware/efi/efivars"

/* LoaderBootCountPath as ASCII ("\EFI\Linux\kcc-node_2+2-1.efi"); -ENOENT when the boot is not
 * counted (or efivarfs is not mounted), -EBADMSG when the variable is malformed. */
int boot_count_path(char *buf, size_t size);
/* true when LoaderBootCountPath exists: the loader counts this boot. */
bool boot_is_counted(void);

typedef enum BootVerdict {
	BOOT_BLESS,
	BOOT_MARK_BAD,
} BootVerdict;

/* Blesses or marks bad the counted entry of this boot, with one log line ("boot blessed: ...",
 * "boot marked bad (REASON): ..."). Returns 0 when done (mark-bad: 1 when another entry that is not
 * bad boots next, 0 when there is none, so a reboot would boot this one again), -ENOENT when the boot
 * is not counted (logged as such), -EROFS when the ESP is read-only, another -errno (logged). */
int boot_count_act(BootVerdict v, const char *reason);
/* kcc-init bless | mark-bad REASON: boot_count_act() as a tool of the system stage's PID 1.
 * Exit 0 done (mark-bad: another entry boots next), 3 marked bad but nothing to fall back to,
 * 2 not counted, 1 failure. */
int boot_count_main(int argc, char **argv);
