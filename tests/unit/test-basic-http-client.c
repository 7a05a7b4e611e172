/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/basic/http-client.c: the status line parser on complete, partial and malformed answers (its
 * libFuzzer target is tests/unit/fuzz-http-status.c), and whole GETs against a one-answer server
 * on 127.0.0.1 and on a Unix socket: the request sent, status and body, an oversized answer, a
 * refused connect, a target that would split the request. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"

#include "http-client.h"
#include "util.h"

static void test_status_parse(void **state)
{
	static const struct {
		const char *in;
		int r, code;
	} cases[] = {
		{ "HTTP/1.1 200 OK\r\n", 0, 200 },
		{ "HTTP/1.0 404 Not Found\r\n", 0, 404 },
		{ "HTTP/1.1 204\r\n", 0, 204 },
		{ "HTTP/1.1 503\n", 0, 503 },
		{ "HTTP/1.1 200", -EAGAIN, 0 },
		{ "HTTP/1.", -EAGAIN, 0 },
		{ "", -EAGAIN, 0 },
		{ "HTTP/2 200 OK\r\n", -EBADMSG, 0 },
		{ "HTTP/1.1 2000 OK\r\n", -EBADMSG, 0 },
		{ "HTTP/1.1 20 OK\r\n", -EBADMSG, 0 },
		{ "HTTP/1.1 099 x\r\n", -EBADMSG, 0 },
		{ "HTTP/1.1 600 x\r\n", -EBADMSG, 0 },
		{ "http/1.1 200 OK\r\n", -EBADMSG, 0 },
		{ " HTTP/1.1 200 OK\r\n", -EBADMSG, 0 },
		{ "HTTP/1.1  200 OK\r\n", -EBADMSG, 0 },
		{ "SSH-2.0-OpenSSH\r\n", -EBADMSG, 0 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int code = 0, r = http_status_parse(cases[i].in, strlen(cases[i].in), &code);
		if (r != cases[i].r || (r == 0 && code != cases[i].code))
			fail_msg("case %zu (%s): %d/%d, expected %d/%d", i, cases[i].in, r, code,
				 cases[i].r, cases[i].code);
	}
	/* only len bytes are looked at */
	assert_int_equal(http_status_parse("HTTP/1.1 200 OK", 12, &(int){ 0 }), -EAGAIN);
}

/* A server for one connection in a child: reads the request head, checks it, writes answer. */
static pid_t serve_once(int lfd, const char *answer, size_t len)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		char req[1024];
		size_t got = 0;
		ssize_t k;
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			_exit(2);
		while (got < sizeof(req) - 1 && (k = read(fd, req + got, sizeof(req) - 1 - got)) > 0) {
			got += (size_t)k;
			req[got] = '\0';
			if (strstr(req, "\r\n\r\n"))
				break;
		}
		if (!startswith(req, "GET /x?y HTTP/1.0\r\nHost: "))
			_exit(3);
		for (size_t off = 0; off < len;) {
			k = write(fd, answer + off, len - off);
			if (k <= 0)
				_exit(4);
			off += (size_t)k;
		}
		_exit(0);
	}
	return pid;
}

static void reap_ok(pid_t pid)
{
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static int listen_tcp(unsigned *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

static void test_get_tcp(void **state)
{
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
	static const char teapot[] = "HTTP/1.0 418 I'm a teapot\r\n\r\n";
	_cleanup_free_ char *body = NULL;
	unsigned port;
	int lfd = listen_tcp(&port), code = 0, fd;
	pid_t pid;

	(void)state;
	pid = serve_once(lfd, ok, strlen(ok));
	assert_int_equal(http_get(NULL, port, "/x?y", 5000, &code, &body), 0);
	reap_ok(pid);
	assert_int_equal(code, 200);
	assert_string_equal(body, "hello");
	/* only the status line of a probe's answer */
	pid = serve_once(lfd, teapot, strlen(teapot));
	fd = http_get_send(NULL, port, "/x?y", 5000);
	assert_true(fd >= 0);
	assert_int_equal(http_get_status(fd, &code), 0);
	assert_int_equal(code, 418);
	close(fd);
	reap_ok(pid);
	/* not HTTP at all */
	pid = serve_once(lfd, "SSH-2.0-x\r\n\r\n", 13);
	free(TAKE_PTR(body));
	assert_int_equal(http_get(NULL, port, "/x?y", 5000, &code, &body), -EBADMSG);
	reap_ok(pid);
	close(lfd);
	/* nobody listening */
	assert_int_equal(http_get_send(NULL, port, "/", 5000), -ECONNREFUSED);
	/* a target that is not one path, or would split the request */
	assert_int_equal(http_get_send(NULL, port, "x", 5000), -EINVAL);
	assert_int_equal(http_get_send(NULL, port, "/a b", 5000), -EINVAL);
	assert_int_equal(http_get_send(NULL, port, "/a\r\nX: y", 5000), -EINVAL);
}

static void test_get_unix_too_large(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char path[64], *big;
	_cleanup_free_ char *body = NULL;
	size_t n = HTTP_ANSWER_MAX + 100;
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), code;
	pid_t pid;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/kcc-http-client-%d.sock", (int)getpid());
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	(void)unlink(path);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	big = malloc(n);
	assert_non_null(big);
	memset(big, 'a', n);
	memcpy(big, "HTTP/1.1 200 OK\r\n\r\n", 19);
	pid = serve_once(lfd, big, n);
	assert_int_equal(http_get(path, 0, "/x?y", 5000, &code, &body), -E2BIG);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	pid = serve_once(lfd, big, 1000);
	assert_int_equal(http_get(path, 0, "/x?y", 5000, &code, &body), 0);
	reap_ok(pid);
	assert_int_equal(code, 200);
	assert_int_equal(strlen(body), 1000 - 19);
	free(big);
	close(lfd);
	unlink(path);
	assert_int_equal(http_get(path, 0, "/", 5000, &code, &body), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_parse),
		cmocka_unit_test(test_get_tcp),
		cmocka_unit_test(test_get_unix_too_large),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
