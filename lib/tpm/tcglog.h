/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The firmware's TCG event log (/sys/kernel/security/tpm0/binary_bios_measurements), the
 * crypto-agile format of the TCG PC Client Platform Firmware Profile: a first TCG_PCR_EVENT with
 * the "Spec ID Event03" header naming the banks and digest sizes, then TCG_PCR_EVENT2 records,
 * little-endian. A strict parser (untrusted: the verifier's input; tests/unit/fuzz-attest-logs.c):
 * every length is checked against what is left, every record carries every bank of the header,
 * nothing follows the last record. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "pcr.h"

#define TCGLOG_MAX (512 * 1024)

/* Replays the SHA-256 bank: out[pcr] the value every PCR ends with (zero, or the startup
 * locality for PCR 0, when no record extends it). The number of records after the header (all
 * of them: EV_NO_ACTION ones too), or -EBADMSG with the reason in err. */
int tcglog_replay(const uint8_t *buf, size_t size, uint8_t out[PCR_COUNT][32], char *err,
		  size_t err_size);
