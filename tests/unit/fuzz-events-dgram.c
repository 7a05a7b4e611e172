/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the forwarder's parser of the local event socket's datagrams (whoever can
 * reach the socket chooses their bytes), and the way back: what it accepts formats again to the
 * same datagram, and renders as RFC 5424. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dgram.h"
#include "syslog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static Event e;
	static char buf[EVENT_DGRAM_MAX + 1], out[8192];
	int n;

	if (event_dgram_parse((const char *)data, size, &e) < 0)
		return 0;
	n = event_dgram_format(&e, buf, sizeof(buf));
	if (n < 0 || (size_t)n != size || memcmp(buf, data, size) != 0)
		abort();
	n = event_to_syslog(&e, out, sizeof(out));
	if (n > 0 && strlen(out) != (size_t)n)
		abort();
	return 0;
}
