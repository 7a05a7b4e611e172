/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Sending a catalogue event to the forwarder's local socket (docs/events.md). One function for
 * every program (kcc-init, kcc-attest, kcc-update, kcc-kubelet); libc only, so PID 1 links it.
 * It never blocks: a full socket buffer, a missing socket or a forwarder that is not running
 * counts a drop, and the caller goes on. */
#pragma once

#include <stdint.h>

#include "event.h"

#define EVENTS_SOCKET "/run/kcc-events/events.sock"

/* Sends e (id, app, message, fields) to path (NULL: EVENTS_SOCKET): 0 sent, or -errno (the drop
 * is counted: -EAGAIN full, -ENOENT/-ECONNREFUSED no forwarder, -E2BIG/-EINVAL a bad event). */
int event_send(const char *path, const Event *e);
/* Events this process could not send. */
uint64_t event_send_drops(void);
/* Builds and sends one event: app, message (printf-style), then up to EVENT_FIELDS_MAX pairs
 * of key and value strings, ended by NULL. */
int event_sendf(EventId id, const char *app, const char *fields[], const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
