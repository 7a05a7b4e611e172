/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <sys/socket.h>

#include "http-client.h"
#include "ready-http.h"
#include "util.h"

int ready_http_connect(unsigned port, const char *path)
{
	/* On loopback a connect completes or is refused within microseconds; the time-out bounds
	 * the wait should the listener's backlog be full. Only the answer is awaited in the loop. */
	_cleanup_close_ int fd = http_get_send(NULL, port, path, 50);

	if (fd < 0)
		return fd;
	if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0)
		return -errno;
	return TAKE_FD(fd);
}

int ready_http_answer(int fd)
{
	char buf[16];
	ssize_t k = recv(fd, buf, sizeof(buf), MSG_PEEK);
	int code, r;

	if (k < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	r = http_status_parse(buf, (size_t)k, &code);
	if (r == -EAGAIN && k > 0)
		return 0; /* the status line is not complete yet */
	return r == 0 && code == 200 ? 1 : -EPROTO;
}
