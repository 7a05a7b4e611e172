/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The hardware watchdog (/dev/watchdog; qemu's i6300esb in the tests): armed by the initrd's PID 1
 * once its driver is loaded, kept armed across switch_root (closed without the magic 'V', the
 * timer goes on), then petted by the system stage's PID 1 from its event loop. A hang of PID 1, or
 * of a helper PID 1 waits for, resets the machine; on a counted boot the loader then tries the
 * entry again with one try less, or falls back (docs/upgrades.md). kcc.watchdog=S sets the
 * time-out (default 60, 0: off). Machines without a watchdog device boot as before. */
#pragma once

/* Opens /dev/watchdog, sets the time-out and pets it once. Returns the open fd (the module keeps
 * it), -ENOENT when there is no watchdog, another -errno on failure. timeout_s 0: does nothing
 * (-ENOENT). */
int watchdog_open(unsigned timeout_s);
/* Pets the watchdog opened by watchdog_open(), if any. */
void watchdog_ping(void);
/* Closes it without disarming it (no magic close): the timer keeps running for the next PID 1. */
void watchdog_handover(void);
/* The time-out in effect (s), 0 when no watchdog is open. */
unsigned watchdog_timeout(void);
