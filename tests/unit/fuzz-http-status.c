/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the status line parser of lib/basic's HTTP client (the answer comes from
 * whatever listens on the port: a service, a pod). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http-client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly size bytes, so that any read past the end is caught */
	char *buf = malloc(size ? size : 1);
	int code = -1, r;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	r = http_status_parse(buf, size, &code);
	if (r == 0 && (code < 100 || code > 599 || size < 13))
		abort();
	if (r != 0 && r != -EAGAIN && r != -EBADMSG)
		abort();
	free(buf);
	return 0;
}
