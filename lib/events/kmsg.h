/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel log as /dev/kmsg hands it out, one record per read(): "PRI,SEQ,USEC,FLAGS[,...];TEXT"
 * then continuation lines " KEY=VALUE". The forwarder's source of kernel events and of the lines
 * kcc-init writes to /dev/kmsg; anyone who can make the kernel or a service log chooses part of
 * TEXT, so the parser is strict about the prefix and bounded everywhere (fuzz-events). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

typedef struct KmsgRecord {
	int facility, level;
	uint64_t seq, usec; /* usec: CLOCK_MONOTONIC of the record */
	bool continuation;  /* flags 'c' or '+' */
	char text[1024];    /* \xNN escapes decoded; cut at 1023 bytes; never contains a NUL */
	size_t text_len;
	char subsystem[32], device[64]; /* from the continuation lines, when given */
} KmsgRecord;

/* Parses one record of len bytes: 0, or -EINVAL for a malformed prefix. */
int kmsg_parse(const char *rec, size_t len, KmsgRecord *ret);

/* Maps a record to a catalogue event (docs/events.md, "From the kernel log"): the id, message
 * and fields of *e are filled (not its seq, boot, time or host). EV_INVALID when the record is
 * not a security event. */
EventId kmsg_classify(const KmsgRecord *r, Event *e);
