/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The update socket's request header (request.h). */
#include <errno.h>
#include <string.h>

#include "request.h"

static const char *const commands[_REQUEST_MAX] = {
	[REQUEST_STATUS] = "status",
	[REQUEST_APPLY] = "apply",
	[REQUEST_REBOOT] = "reboot",
};

int request_parse(const char *buf, size_t len, RequestCommand *ret, size_t *ret_len)
{
	const size_t ml = strlen(REQUEST_MAGIC);
	const char *nl = memchr(buf, '\n', len < REQUEST_LINE_MAX ? len : REQUEST_LINE_MAX);
	size_t cl;

	/* A prefix that cannot become the magic fails at once, not after REQUEST_LINE_MAX bytes. */
	if (memcmp(buf, REQUEST_MAGIC " ", len < ml + 1 ? len : ml + 1) != 0)
		return -EBADMSG;
	if (!nl)
		return len < REQUEST_LINE_MAX ? -EAGAIN : -EBADMSG;
	if ((size_t)(nl - buf) < ml + 1)
		return -EBADMSG;
	cl = (size_t)(nl - buf) - ml - 1;
	for (int c = 0; c < _REQUEST_MAX; c++)
		if (cl == strlen(commands[c]) && memcmp(buf + ml + 1, commands[c], cl) == 0) {
			*ret = (RequestCommand)c;
			*ret_len = (size_t)(nl - buf) + 1;
			return 0;
		}
	return -EBADMSG;
}
