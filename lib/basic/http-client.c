/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include "http-client.h"
#include "util.h"

int http_get_send(const char *unix_path, unsigned port, const char *target, unsigned timeout_ms)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = timeout_ms / 1000,
			      .tv_usec = (suseconds_t)(timeout_ms % 1000) * 1000 };
	_cleanup_close_ int fd = -EBADF;
	char req[600];
	int n;

	if (unix_path && strlen(unix_path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	if (unix_path)
		strcpy(sun.sun_path, unix_path);
	n = snprintf(req, sizeof(req),
		     "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: kcc-node\r\nAccept: */*\r\n\r\n",
		     target, unix_path ? "localhost" : "127.0.0.1");
	if (target[0] != '/' || n < 0 || (size_t)n >= sizeof(req) || strpbrk(target, " \r\n"))
		return -EINVAL;
	fd = socket(unix_path ? AF_UNIX : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* a connect, too, gives up after SO_SNDTIMEO (a full backlog) */
	if (timeout_ms && (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
			   setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0))
		return -errno;
	if (unix_path ? connect(fd, (struct sockaddr *)&sun, sizeof(sun))
		      : connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
		return -errno;
	if (send(fd, req, (size_t)n, MSG_NOSIGNAL) != n)
		return -EIO;
	return TAKE_FD(fd);
}

int http_status_parse(const char *buf, size_t len, int *ret_code)
{
	static const char proto[] = "HTTP/1.";
	size_t n = len < 13 ? len : 13;
	int code = 0;

	/* "HTTP/1." DIGIT SP DIGIT DIGIT DIGIT, then SP, CR or LF */
	for (size_t i = 0; i < n; i++) {
		char c = buf[i];
		bool ok = i < 7	  ? c == proto[i]
			  : i == 7 ? c >= '0' && c <= '9'
			  : i == 8 ? c == ' '
			  : i < 12 ? c >= '0' && c <= '9'
				   : c == ' ' || c == '\r' || c == '\n';
		if (!ok)
			return -EBADMSG;
		if (i >= 9 && i < 12)
			code = code * 10 + (c - '0');
	}
	if (len < 13)
		return -EAGAIN;
	if (code < 100 || code > 599)
		return -EBADMSG;
	*ret_code = code;
	return 0;
}

int http_get_status(int fd, int *ret_code)
{
	char buf[16];
	size_t got = 0;
	ssize_t k;
	int r = -EAGAIN;

	while (r == -EAGAIN && got < sizeof(buf)) {
		k = recv(fd, buf + got, sizeof(buf) - got, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			return -EBADMSG;
		got += (size_t)k;
		r = http_status_parse(buf, got, ret_code);
	}
	return r;
}

int http_get_read(int fd, size_t max, int *ret_code, char **ret_body)
{
	_cleanup_free_ char *buf = malloc(max + 1);
	const char *sep;
	size_t got = 0;
	ssize_t k;
	int r;

	if (!buf)
		return -ENOMEM;
	while (got < max && (k = recv(fd, buf + got, max - got, 0)) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		got += (size_t)k;
	}
	if (got == max)
		return -E2BIG;
	buf[got] = '\0';
	r = http_status_parse(buf, got, ret_code);
	if (r < 0)
		return -EBADMSG;
	sep = memmem(buf, got, "\r\n\r\n", 4);
	if (!sep)
		return -EBADMSG;
	*ret_body = strdup(sep + 4);
	return *ret_body ? 0 : -ENOMEM;
}

int http_get(const char *unix_path, unsigned port, const char *target, unsigned timeout_ms,
	     int *ret_code, char **ret_body)
{
	_cleanup_close_ int fd = http_get_send(unix_path, port, target, timeout_ms);

	if (fd < 0)
		return fd;
	return http_get_read(fd, HTTP_ANSWER_MAX, ret_code, ret_body);
}
