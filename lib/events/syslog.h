/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An event as RFC 5424 syslog with structured data, framed for RFC 5425 (syslog over TLS) by
 * octet counting: "LEN SP SYSLOG-MSG". The message part is a UTF-8 BOM and a JSON body in the
 * Elastic Common Schema's field names (docs/events.md has the table). */
#pragma once

#include <stddef.h>

#include "event.h"

/* Facility 13, "log audit". */
#define EVENT_FACILITY 13
/* The SD-IDs' enterprise number: 32473, the one RFC 5612 reserves for documentation, until
 * kcc-node has its own (docs/events.md). */
#define EVENT_SD_ID "kcc@32473"
#define EVENT_SD_FIELDS "kcc-fields@32473"

/* Writes the framed message into buf (size bytes, NUL-terminated) and returns its length without
 * the NUL; -E2BIG when it does not fit; -EINVAL for an event whose id is not in the catalogue. */
int event_to_syslog(const Event *e, char *buf, size_t size);
/* The JSON body alone (ECS field names), malloc'd; NULL on failure. */
char *event_to_json(const Event *e);
