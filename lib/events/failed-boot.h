/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The record of a boot that failed before /var was open (docs/events.md, "Events of failed
 * boots"). kcc-init's fail-closed path in the initrd keeps it in ONE EFI variable of kcc-node's
 * own vendor GUID, overwritten by the next failure (its count goes up), never more than
 * FAILED_BOOT_RECORD_MAX bytes; the next boot that reaches the system stage turns it into a
 * KCC-BOOT-FAILED-EARLIER event. The variable is written by whoever runs before the verified
 * kernel (firmware, another OS on the machine) as well: it is untrusted input, read only for the
 * report, by the strict, bounded parser below (fuzz-failed-boot).
 *
 * The record is ASCII text, lines in this order, every key once:
 *   kcc-failed-boot 1              magic and version
 *   count=N                        failed boots since the last report, 1..999999
 *   boot=UUID                      the failed boot's kernel boot ID (lower-case, 36 characters)
 *   uptime_ms=N                    CLOCK_BOOTTIME at the failure
 *   time=N                         CLOCK_REALTIME at the failure (seconds; the RTC's, unsynchronised)
 *   version=TEXT                   the image's IMAGE_VERSION ("-" when unknown)
 *   stage=TEXT                     the stage that failed ("state partition", "verity root", ...)
 *   reason=TEXT                    its one-line reason (the stage's error line)
 * TEXT is printable ASCII (0x20-0x7e), bounded below. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "event.h"

/* kcc-node's own vendor GUID for its EFI variables; the variable's efivarfs name. */
#define KCC_EFI_VENDOR_GUID "a6e394e7-7c43-4618-b754-86513fd5c9ba"
#define FAILED_BOOT_VAR_NAME "KccFailedBoot-" KCC_EFI_VENDOR_GUID
#define EFIVARFS_DIR "/sys/firmware/efi/efivars"
#define FAILED_BOOT_VAR EFIVARFS_DIR "/" FAILED_BOOT_VAR_NAME
/* EFI_VARIABLE_NON_VOLATILE | BOOTSERVICE_ACCESS | RUNTIME_ACCESS */
#define FAILED_BOOT_VAR_ATTRS 0x7u

#define FAILED_BOOT_RECORD_MAX 512
#define FAILED_BOOT_COUNT_MAX 999999u

/* Where the system stage leaves the record as a datagram (lib/events/dgram.h) for kcc-forward,
 * which spools it, then deletes the file: INBOX/failed-boot-BOOTID.event, at most
 * FAILED_BOOT_INBOX_MAX files (more, and the variable stays and keeps counting). */
#define FAILED_BOOT_INBOX "/var/lib/kcc-forward"
#define FAILED_BOOT_INBOX_PREFIX "failed-boot-"
#define FAILED_BOOT_INBOX_SUFFIX ".event"
#define FAILED_BOOT_INBOX_MAX 16

typedef struct FailedBoot {
	uint32_t count;
	char boot[37];
	uint64_t uptime_ms;
	uint64_t time_s;
	char version[64];
	char stage[48];
	char reason[200];
} FailedBoot;

/* Renders r as the record into buf: the length, or -EINVAL (a field the parser would refuse)
 * or -E2BIG. */
int failed_boot_format(const FailedBoot *r, char *buf, size_t size);
/* Parses a record (the variable's data, without the 4 attribute bytes): 0, or -EBADMSG. */
int failed_boot_parse(const char *buf, size_t len, FailedBoot *ret);
/* The KCC-BOOT-FAILED-EARLIER event of r (app "kcc-init"), its fields marked as read from an
 * unauthenticated firmware variable. */
void failed_boot_event(const FailedBoot *r, Event *ret);
/* The same for a variable the parser refused: size bytes, nothing of it repeated. */
void failed_boot_event_malformed(size_t size, Event *ret);
/* The kernel's own record of a panic (efi-pstore: its log's last lines, "<L>[T] text" after a
 * "Panic#N PartM" line, kept in EFI variables by the kernel, as unauthenticated as the above):
 * the text of its last "Kernel panic - not syncing: " line, printable ASCII, cut at size.
 * 0, or -ENOENT when there is none. */
int failed_boot_panic_line(const char *buf, size_t len, char *ret, size_t size);
/* The KCC-BOOT-FAILED-EARLIER event of a panic found in pstore: files dump files, the first
 * named name (the de-duplication key), reason its panic line or "". */
void failed_boot_event_panic(const char *name, unsigned files, const char *reason, Event *ret);
/* Copies src into dst (size bytes) keeping printable ASCII only (others become '?'), cut at the
 * size: for a reason taken from a log line. */
void failed_boot_text(char *dst, size_t size, const char *src);
