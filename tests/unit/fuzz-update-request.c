/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the request header of kcc-update's node-local socket (update/request.c), fed
 * the way the server feeds it (one byte more at a time) and whole; the URL parser of
 * `kcc-update apply http://...` (update/bundle-source.c) and the FleetLock server's answer
 * (update/fleetlock.c) on the same bytes. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleetlock.h"
#include "request.h"
#include "bundle-source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1), *url, host[256], port[8], err[200];
	const char *path;
	RequestCommand c;
	size_t used = 0;
	int r = -EAGAIN, code;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	for (size_t n = 1; n <= size && r == -EAGAIN; n++) {
		r = request_parse(buf, n, &c, &used);
		if (r == 0 && (used != n || buf[n - 1] != '\n' || used > REQUEST_LINE_MAX || c < 0 || c >= _REQUEST_MAX))
			abort();
		if (r != 0 && r != -EAGAIN && r != -EBADMSG)
			abort();
		if (r == -EAGAIN && n >= REQUEST_LINE_MAX)
			abort();
	}
	free(buf);
	url = strndup((const char *)data, size);
	if (url && source_parse_url(url, host, sizeof(host), port, sizeof(port), &path) == 0 &&
	    (!host[0] || path[0] != '/' || !port[0]))
		abort();
	free(url);
	err[0] = '\0';
	r = fleetlock_answer_parse((const char *)data, size, &code, err, sizeof(err));
	if (r == 0 && (code < 100 || code > 599 || (code != 200 && !err[0]) || strlen(err) >= sizeof(err)))
		abort();
	if (r != 0 && r != -EBADMSG)
		abort();
	return 0;
}
