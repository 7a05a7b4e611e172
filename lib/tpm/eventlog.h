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

#include "pcr.h"

int eventlog_append(const char *path, unsigned pcr, const PcrDigests *d, const char *content_type,
		    const char *event_type, const char *string);

typedef struct EventlogReplay {
	size_t n_records;
	uint32_t touched[PCR_BANKS_MAX];                  /* PCRs seen, per bank */
	uint8_t value[PCR_BANKS_MAX][PCR_COUNT][PCR_DIGEST_MAX]; /* indexed like pcr_bank_table */
} EventlogReplay;

/* Replays the log; print (optional) gets one line per record. -EBADMSG (with line number in
 * err) for a malformed log. */
int eventlog_replay(const char *path, EventlogReplay *out, FILE *print, char *err, size_t err_size);
