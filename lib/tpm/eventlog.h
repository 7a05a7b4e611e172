/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The event log of every extend kcc-init makes, in the CEL-JSON shape systemd writes to
 * /run/log/systemd/tpm2-measure.log: JSON text sequences (RFC 7464: RS, object, LF), one
 * record per extend:
 *   {"pcr":11,"digests":[{"hashAlg":"sha256","digest":"…"}],
 *    "content_type":"systemd","content":{"string":"enter-initrd","eventType":"phase"}}
 * kcc-init also records, before its first extend of a PCR, the value that PCR had when it took
 * over (the firmware and the UKI stub measured before it) as a record with content_type "kcc"
 * and eventType "initial-value"; replay starts from that value instead of zeros. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "pcr.h"

int eventlog_append(const char *path, unsigned pcr, const PcrDigests *d, const char *content_type,
		    const char *event_type, const char *string);

#define EVENTLOG_MAX (512 * 1024)

typedef struct EventlogReplay {
	size_t n_records;
	unsigned direct_boot;  /* records "kcc"/"direct-boot" (kcc-init measured a command line) */
	unsigned volume_key;   /* records "systemd"/"volume-key" in PCR 15 (the state volume) */
	uint32_t initial;      /* PCRs with an "initial-value" record (before their first event) */
	uint32_t initial_nonzero; /* ... whose value is not zero in some bank */
	uint32_t touched[PCR_BANKS_MAX];                  /* PCRs seen, per bank */
	uint8_t value[PCR_BANKS_MAX][PCR_COUNT][PCR_DIGEST_MAX]; /* indexed like pcr_bank_table */
} EventlogReplay;

/* Replays the log (at most EVENTLOG_MAX bytes); print (optional) gets one line per record.
 * -EBADMSG (with line number in err) for a malformed log. */
int eventlog_replay(const char *path, EventlogReplay *out, FILE *print, char *err, size_t err_size);
/* The same for a log in memory (untrusted: the verifier's input; tests/unit/fuzz-cel-log.c):
 * every record is one JSON object on its own line, ended by a newline. */
int eventlog_replay_buf(const char *buf, size_t size, EventlogReplay *out, FILE *print, char *err,
			size_t err_size);
