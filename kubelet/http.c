/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* 127.0.0.1 only: GET /healthz answers "ok" as the kubelet's healthz port does, GET /pods the
 * status (read-only: no other method, no other path). A client for `kcc-kubelet pods`. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "kubelet.h"
#include "util.h"

#define REQUEST_MAX 4096
#define RESPONSE_MAX (4 * 1024 * 1024)

static struct sockaddr_in loopback(unsigned port)
{
	return (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				     .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
}

int http_listen(unsigned port)
{
	struct sockaddr_in sa = loopback(port);
	int one = 1;
	_cleanup_close_ int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -errno;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0)
		return -errno;
	return TAKE_FD(fd);
}

static void reply(int fd, int code, const char *reason, const char *type, const char *body)
{
	char head[256];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
			 code, reason, type, strlen(body));
	(void)!write(fd, head, (size_t)n);
	(void)!write(fd, body, strlen(body));
}

static void handle(int fd)
{
	struct timeval tv = { .tv_sec = 0, .tv_usec = 500000 };
	char req[REQUEST_MAX + 1], method[8], path[256];
	size_t got = 0;
	ssize_t k;

	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (got < REQUEST_MAX && (k = read(fd, req + got, REQUEST_MAX - got)) > 0) {
		got += (size_t)k;
		req[got] = '\0';
		if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n"))
			break;
	}
	req[got] = '\0';
	if (sscanf(req, "%7s %255s HTTP/1.%*d", method, path) != 2) {
		reply(fd, 400, "Bad Request", "text/plain", "bad request\n");
		return;
	}
	if (!streq(method, "GET")) {
		reply(fd, 405, "Method Not Allowed", "text/plain", "read-only\n");
		return;
	}
	if (streq(path, "/healthz"))
		reply(fd, 200, "OK", "text/plain; charset=utf-8", "ok");
	else if (streq(path, "/pods")) {
		char *body = status_json();
		if (body)
			reply(fd, 200, "OK", "application/json", body);
		else
			reply(fd, 500, "Internal Server Error", "text/plain", "out of memory\n");
		free(body);
	} else
		reply(fd, 404, "Not Found", "text/plain", "404 page not found\n");
}

void http_serve(int lfd)
{
	int fd;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		handle(fd);
		close(fd);
	}
}

int http_get(unsigned port, const char *path, char **body, int *code)
{
	struct sockaddr_in sa = loopback(port);
	struct timeval tv = { .tv_sec = 5 };
	_cleanup_close_ int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	_cleanup_free_ char *buf = NULL;
	char req[400];
	size_t got = 0;
	ssize_t k;
	const char *sep;

	if (fd < 0)
		return -errno;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req))
		return -EIO;
	buf = malloc(RESPONSE_MAX + 1);
	if (!buf)
		return -ENOMEM;
	while (got < RESPONSE_MAX && (k = read(fd, buf + got, RESPONSE_MAX - got)) > 0)
		got += (size_t)k;
	buf[got] = '\0';
	if (sscanf(buf, "HTTP/1.%*d %d", code) != 1 || !(sep = strstr(buf, "\r\n\r\n")))
		return -EBADMSG;
	*body = strdup(sep + 4);
	return *body ? 0 : -ENOMEM;
}
