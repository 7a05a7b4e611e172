/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PID 1's catalogue events on the local event socket (docs/events.md): a service that died
 * unexpectedly, and, once the forwarder is ready (its socket bound), the boot measured (PCR 11,
 * 12, 15), which happened before it ran. (A refused node configuration is a kernel log line the
 * forwarder classifies itself: the initrd has no forwarder.)
 * Never blocks (lib/events/send.c): without a forwarder an event is a counted drop. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* The service that owns the socket; its readiness triggers the boot's events. */
#define BOOT_EVENTS_SINK "kcc-forward"

/* A service's main process ended while PID 1 did not stop it; st as waitpid() gives it. */
void boot_events_service_died(const char *name, pid_t pid, int st);
/* A service became ready: for the sink, the boot's events (once a boot). */
void boot_events_service_ready(const char *name);
