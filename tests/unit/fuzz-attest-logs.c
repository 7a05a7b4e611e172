/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the two event logs kcc-verify replays: the firmware's TCG log (binary) and
 * kcc-init's CEL-JSON log, one input for both. */
#include <stdint.h>

#include "eventlog.h"
#include "tcglog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static EventlogReplay r;
	uint8_t out[PCR_COUNT][32];
	char err[200];

	(void)tcglog_replay(data, size, out, err, sizeof(err));
	(void)eventlog_replay_buf((const char *)data, size, &r, NULL, err, sizeof(err));
	return 0;
}
