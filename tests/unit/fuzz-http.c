/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: kcc-kubelet's HTTP request parser (any local process can send it anything). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http-request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	HttpRequest req;
	/* a copy of exactly size bytes, so that any read past the end is caught */
	char *buf = malloc(size ? size : 1);
	int r;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	r = http_parse_request(buf, size, &req);
	if (r == 0 && (strlen(req.method) == 0 || req.path[0] != '/'))
		abort();
	if (r != 0 && r != -EAGAIN && r != -EBADMSG && r != -E2BIG)
		abort();
	free(buf);
	return 0;
}
