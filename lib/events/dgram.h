/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The local event socket's datagrams (docs/events.md, "The local event socket"): one catalogue
 * event per datagram, text lines "KEY=VALUE\n" in a fixed order:
 *   id=KCC-SERVICE-CRASH        the catalogue's MSGID (never KCC-EVENTS-LOST/-SUPPRESSED: those
 *                               are the forwarder's own)
 *   app=kcc-init                who reports it: RFC 5424 APP-NAME, printable ASCII, 48 at most
 *   message=TEXT                optional, 511 bytes at most
 *   field.KEY=VALUE             0 to EVENT_FIELDS_MAX, KEY as RFC 5424's PARAM-NAME, VALUE 255
 *                               bytes at most, no key twice
 * Values are bytes 0x20-0x7e and 0x80-0xff (no control character, so no line can be forged).
 * Whoever can reach the socket chooses these bytes: the parser is strict and bounded
 * (fuzz-events-dgram). */
#pragma once

#include <stddef.h>

#include "event.h"

#define EVENT_DGRAM_MAX 4096

/* Writes e's id, app, message and fields into buf: the length, or -E2BIG / -EINVAL (an id the
 * socket does not carry, a value with a control character). */
int event_dgram_format(const Event *e, char *buf, size_t size);
/* Parses one datagram into *ret (id, app, message, fields; the rest zeroed): 0, -EINVAL for a
 * malformed one, -EPERM for an id the socket does not carry. */
int event_dgram_parse(const char *buf, size_t len, Event *ret);
