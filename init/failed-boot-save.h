/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The initrd's fail-closed path keeps a record of the failure for the next boot (docs/events.md,
 * "Events of failed boots"): on a UEFI boot, one EFI variable of kcc-node's own GUID
 * (lib/events/failed-boot.h) with the stage, its one-line reason (the last error line logged),
 * the boot's ID, uptime and clock, the image version and a count of failed boots, overwritten by
 * the next failure. A direct kernel boot has no firmware variables: nothing is kept. */
#pragma once

/* Never fails the caller: the boot stops anyway; a record it cannot write is one warning. */
/* stage failed with error r (its reason: the last error line, else strerror). */
void failed_boot_save(const char *stage, int r);
