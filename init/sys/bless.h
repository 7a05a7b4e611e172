/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Boot counting in the system stage's PID 1 (docs/upgrades.md, "Boot counting and bless rules"). On
 * a counted boot (the loader set LoaderBootCountPath), PID 1 blesses the boot once the node is
 * healthy: every service started and ready (kcc-kubelet's /healthz answered 200) and none failed.
 * If that has not happened kcc.bless_timeout seconds (default 120) after PID 1 started, the entry is
 * marked bad and the node reboots: the loader then boots the previous entry. The ESP work (mount,
 * rename, sync, umount) runs in "kcc-init bless" / "kcc-init mark-bad REASON" (init/boot-count.h).
 * A boot that is not counted (direct kernel, a blessed entry) logs so once and does nothing. */
#pragma once

#include <stdbool.h>

#include "cmdline.h"

#define LOADER_VENDOR_GUID "4a67b082-0a4c-41cf-b6c7-440b29bb8c4f"
#define EFIVARS_DIR "/sys/firmware/efi/efivars"
#define LOADER_BOOT_COUNT_VAR EFIVARS_DIR "/LoaderBootCountPath-" LOADER_VENDOR_GUID

/* Arms the deadline of a counted boot; reboot(why) is called when the entry was marked bad. */
void bless_start(const KccCmdline *c, void (*reboot)(const char *why));
/* The supervisor's "all services started" (running, failed): blesses when failed is 0. */
void bless_on_ready(unsigned running, unsigned failed);
