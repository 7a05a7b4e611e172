/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kcc-update status-server: the node's update status, read-only over HTTP, for a rollout
 * pipeline that has no shell on the node (docs/upgrades.md, "A rollout"). It serves the file
 * `kcc-update serve` writes (status.h) and nothing else: GET /status answers 200 with that JSON,
 * 503 while there is none yet; any other path 404, any other method 405, a request that is not
 * HTTP/1.x 400. One connection at a time; a client has REQUEST_TIMEOUT_S for its request. It runs
 * as the kcc-update-status service: its own uid, no capability, reading only its two files.
 *   kcc-update status-server [--port-file PATH] [--file PATH] [--address IPV4]
 * Exit codes: 100 usage (also a bad port file), 111 system failure; it does not return otherwise. */
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>

#include "apply.h"
#include "commands.h"
#include "http-request.h"
#include "status.h"
#include "util.h"

#define DEFAULT_PORT_FILE "/run/kcc/update-status-port"
#define DEFAULT_STATUS "/run/" STATUS_DIR "/" STATUS_FILE
#define REQUEST_TIMEOUT_S 5
#define STATUS_MAX (64u << 10)

static void reply(int fd, const char *status, const char *type, const char *body)
{
	char head[256];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nCache-Control: no-store\r\n"
			 "Connection: close\r\n\r\n",
			 status, type, strlen(body));

	if (send(fd, head, (size_t)n, MSG_NOSIGNAL) == n)
		(void)send(fd, body, strlen(body), MSG_NOSIGNAL);
}

static void serve_one(int fd, const char *file)
{
	const struct timeval tv = { .tv_sec = REQUEST_TIMEOUT_S };
	char buf[HTTP_REQUEST_MAX];
	size_t have = 0;
	HttpRequest req;
	int r = -EAGAIN;

	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (r == -EAGAIN && have < sizeof(buf)) {
		ssize_t n = recv(fd, buf + have, sizeof(buf) - have, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* gone, or too slow: nothing to answer */
		have += (size_t)n;
		r = http_parse_request(buf, have, &req);
	}
	if (r < 0)
		reply(fd, "400 Bad Request", "text/plain", "bad request\n");
	else if (!streq(req.method, "GET"))
		reply(fd, "405 Method Not Allowed", "text/plain", "read-only: GET /status\n");
	else if (!streq(req.path, "/status"))
		reply(fd, "404 Not Found", "text/plain", "not found: GET /status\n");
	else {
		_cleanup_free_ char *data = NULL;

		r = read_small_file(file, STATUS_MAX, &data);
		if (r < 0)
			reply(fd, "503 Service Unavailable", "text/plain", "no update status yet\n");
		else
			reply(fd, "200 OK", "application/json", data);
	}
}

int cmd_status_server(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port-file", required_argument, NULL, 'p' },
		{ "file", required_argument, NULL, 'f' },
		{ "address", required_argument, NULL, 'a' },
		{},
	};
	const char *port_file = DEFAULT_PORT_FILE, *file = DEFAULT_STATUS, *address = "0.0.0.0";
	struct sockaddr_in sa = { .sin_family = AF_INET };
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int lfd = -EBADF;
	unsigned long port;
	const int one = 1;
	int c, r;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1)
		switch (c) {
		case 'p': port_file = optarg; break;
		case 'f': file = optarg; break;
		case 'a': address = optarg; break;
		default: goto usage;
		}
	if (optind != argc || inet_pton(AF_INET, address, &sa.sin_addr) != 1)
		goto usage;
	r = read_small_file(port_file, 16, &text);
	if (r < 0)
		return say_error(EXIT_USAGE, "status-server: cannot read the port from %s: %s", port_file, strerror(-r));
	text[strcspn(text, "\n")] = '\0';
	if (parse_uint(text, 1024, 65535, &port) < 0)
		return say_error(EXIT_USAGE, "status-server: %s: not a port of 1024 to 65535", port_file);
	sa.sin_port = htons((uint16_t)port);
	(void)signal(SIGPIPE, SIG_IGN);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 8) < 0)
		return say_error(EXIT_SYSTEM, "status-server: cannot listen on %s:%lu: %m", address, port);
	fprintf(stderr, "kcc-update status-server: GET /status on %s:%lu, read-only\n", address, port);
	for (;;) {
		_cleanup_close_ int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return say_error(EXIT_SYSTEM, "status-server: accept: %m");
		}
		serve_one(fd, file);
	}
usage:
	return say_error(EXIT_USAGE, "usage: kcc-update status-server [--port-file PATH] [--file PATH] [--address IPV4]");
}
