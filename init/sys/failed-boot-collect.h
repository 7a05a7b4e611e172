/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The system stage's side of "Events of failed boots" (docs/events.md): the record an earlier
 * boot's initrd left in its EFI variable (lib/events/failed-boot.h) is parsed strictly, logged in
 * one line, and written durably as a KCC-BOOT-FAILED-EARLIER datagram into kcc-forward's inbox
 * on /var (its spool folder), which the forwarder spools and then deletes; only then is the
 * variable deleted. A power cut in between leaves the variable or the file: the event is sent
 * at worst twice (the collector de-duplicates on the field failed_boot). Runs before the
 * services start; never stops the boot. */
#pragma once

void failed_boot_collect(void);
/* The same for the kernel's own dumps of a panic in efi-pstore (UEFI only): pstore mounted on
 * /sys/fs/pstore, one KCC-BOOT-FAILED-EARLIER for its dmesg-efi-* files (the last "Kernel panic"
 * line), then the files deleted (which deletes their variables), pstore unmounted. */
void failed_boot_collect_pstore(void);
