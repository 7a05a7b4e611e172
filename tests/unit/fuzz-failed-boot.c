/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the parser of a failed boot's record, read from an EFI variable that anything
 * running before the verified kernel can write; what it accepts formats back to the same bytes and
 * makes an event the datagram format carries; and the panic line of a kernel log dump (pstore). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dgram.h"
#include "failed-boot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FailedBoot r;
	static Event e;
	static char buf[FAILED_BOOT_RECORD_MAX + 1], dgram[EVENT_DGRAM_MAX], line[200];
	int n;

	/* the same bytes as a kernel log dump from pstore */
	if (failed_boot_panic_line((const char *)data, size, line, sizeof(line)) == 0) {
		failed_boot_event_panic("pstore-x", 1, line, &e);
		if (event_dgram_format(&e, dgram, sizeof(dgram)) <= 0)
			abort();
	}
	if (failed_boot_parse((const char *)data, size, &r) < 0)
		return 0;
	n = failed_boot_format(&r, buf, sizeof(buf));
	if (n < 0 || (size_t)n != size || memcmp(buf, data, size) != 0)
		abort();
	failed_boot_event(&r, &e);
	if (event_dgram_format(&e, dgram, sizeof(dgram)) <= 0)
		abort();
	return 0;
}
