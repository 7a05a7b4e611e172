/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "ready-http.h"
#include "util.h"

int ready_http_connect(unsigned port, const char *path)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { .tv_usec = 50000 };
	_cleanup_close_ int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	char req[160];
	int n;

	if (fd < 0)
		return -errno;
	/* On loopback a connect completes or is refused within microseconds; the time-out bounds
	 * the wait should the listener's backlog be full. Only the answer is awaited in the loop. */
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
	if (write(fd, req, (size_t)n) != n || fcntl(fd, F_SETFL, O_NONBLOCK) < 0)
		return -EIO;
	return TAKE_FD(fd);
}

int ready_http_answer(int fd)
{
	char buf[32];
	ssize_t k = recv(fd, buf, sizeof(buf) - 1, MSG_PEEK);

	if (k < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	buf[k] = '\0';
	if (k < 12 && k > 0 && !memchr(buf, '\n', (size_t)k))
		return 0; /* the status line is not complete yet */
	if (k >= 12 && (startswith(buf, "HTTP/1.0 200") || startswith(buf, "HTTP/1.1 200")))
		return 1;
	return -EPROTO;
}
