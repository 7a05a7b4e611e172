/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the forwarder's reading of kernel log records (anyone who can make the
 * kernel or a service log chooses part of them), their classification, and the RFC 5424
 * rendering of what comes out. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kmsg.h"
#include "syslog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static KmsgRecord r;
	static Event e;
	static char buf[4096];

	if (kmsg_parse((const char *)data, size, &r) < 0)
		return 0;
	if (strlen(r.text) != r.text_len)
		abort();
	memset(&e, 0, sizeof(e));
	if (kmsg_classify(&r, &e) != EV_INVALID) {
		int n = event_to_syslog(&e, buf, sizeof(buf));
		if (n > 0 && strlen(buf) != (size_t)n)
			abort();
	}
	return 0;
}
