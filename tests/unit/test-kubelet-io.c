/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kcc-kubelet's I/O with untrusted local peers: the HTTP endpoints in lib/basic's event loop (slow
 * clients, the connection cap, /healthz meanwhile, redaction, the root-only socket), and manifest
 * files that are not regular files. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"

#include "fs.h"
#include "http-request.h"
#include "kubelet.h"
#include "loop.h"
#include "manifest-watch.h"
#include "util.h"

/* ---- what http.c needs from the kubelet: the loop (lib/basic) and a status ---- */

char *status_json(bool full)
{
	return strdup(full ? "{\"pods\":[{\"pid\":4242,\"message\":\"a log line\"}]}"
			   : "{\"pods\":[{}]}");
}

/* Runs the real loop for ms milliseconds, with the tick of main.c at least every 200 ms. */
static void run_loop(unsigned ms)
{
	unsigned long long end = now_ms() + ms;

	for (unsigned long long now = now_ms(); now < end; now = now_ms()) {
		assert_true(loop_run_once((int)(end - now < 50 ? end - now : 50)) >= 0);
		http_tick(now_ms());
	}
}

static unsigned port;
static char sock[64];

static int setup(void **state)
{
	char err[256];
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(loop_init(), 0);
	snprintf(sock, sizeof(sock), "/tmp/kcc-http-%d.sock", (int)getpid());
	for (unsigned tries = 0; tries < 50; tries++) {
		port = 20000 + (unsigned)((getpid() * 7 + tries * 131) % 30000);
		if (http_start(port, sock, err, sizeof(err)) == 0)
			return 0;
	}
	fail_msg("%s", err);
	return -1;
}

static int client_tcp(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	assert_true(fd >= 0);
	assert_true(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno == EINPROGRESS);
	return fd;
}

static int client_unix(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	assert_true(fd >= 0);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

/* Sends a request and runs the loop until the answer is whole (at most ms): the answer, or "". */
static char *ask(int fd, const char *req, unsigned ms)
{
	static char buf[8192];
	size_t got = 0;
	unsigned long long end = now_ms() + ms;

	if (req)
		assert_int_equal(send(fd, req, strlen(req), MSG_NOSIGNAL), (ssize_t)strlen(req));
	buf[0] = '\0';
	while (now_ms() < end) {
		ssize_t k;
		run_loop(20);
		while ((k = recv(fd, buf + got, sizeof(buf) - 1 - got, MSG_DONTWAIT)) > 0)
			got += (size_t)k;
		buf[got] = '\0';
		if (k == 0)
			break;
	}
	close(fd);
	return buf;
}

/* 40 clients (more than the cap) each sending a byte every 0.4 s: /healthz is answered at once
 * all along, and each slow client is cut off by its deadline. */
static void test_slow_clients(void **state)
{
	enum { SLOW = HTTP_CONN_MAX + 8 };
	int slow[SLOW];
	static const char req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
	unsigned long long start = now_ms(), t;
	unsigned sent = 0, answered_408 = 0;

	(void)state;
	for (int i = 0; i < SLOW; i++)
		slow[i] = client_tcp();
	run_loop(50);
	/* four rounds of one byte each: 1.6 s, while /healthz is asked every round */
	for (unsigned round = 0; round < 4; round++, sent++) {
		for (int i = 0; i < SLOW; i++)
			(void)send(slow[i], req + sent, 1, MSG_NOSIGNAL);
		t = now_ms();
		char *a = ask(client_tcp(), req, 1000);
		if (!strstr(a, "200 OK") || !strstr(a, "\r\n\r\nok"))
			fail_msg("round %u: /healthz answered '%s'", round, a);
		assert_true(now_ms() - t < 500);
		run_loop(400 - (unsigned)((now_ms() - t) % 400));
	}
	/* past the deadline every slow client has been answered 408 or closed */
	run_loop(HTTP_DEADLINE_MS + 300 - (unsigned)(now_ms() - start) % 1000);
	for (int i = 0; i < SLOW; i++) {
		char buf[256];
		ssize_t k = recv(slow[i], buf, sizeof(buf) - 1, MSG_DONTWAIT);
		if (k > 0) {
			buf[k] = '\0';
			answered_408 += !!strstr(buf, "408 Request Timeout");
		} else if (k < 0 && errno == EAGAIN)
			fail_msg("slow client %d still connected after %llu ms", i, now_ms() - start);
		close(slow[i]);
	}
	assert_true(answered_408 > 0);
	assert_true(now_ms() - start < 4000);
}

/* A flood of 127.0.0.1 clients never displaces a client of the root-only socket: root's request,
 * sent slowly while 40 TCP clients connect, is still answered in full. */
static void test_flood_spares_socket(void **state)
{
	enum { FLOOD = HTTP_CONN_MAX + 8 };
	static const char req[] = "GET /pods HTTP/1.0\r\n\r\n";
	int flood[FLOOD], root = client_unix();

	(void)state;
	assert_true(root >= 0);
	run_loop(20);
	assert_int_equal(send(root, req, 4, MSG_NOSIGNAL), 4); /* "GET " */
	for (int i = 0; i < FLOOD; i++) {
		flood[i] = client_tcp();
		run_loop(5);
	}
	char *a = ask(root, req + 4, 1000);
	assert_non_null(strstr(a, "200 OK"));
	assert_non_null(strstr(a, "\"pid\":4242"));
	for (int i = 0; i < FLOOD; i++)
		close(flood[i]);
	run_loop(50);
}

/* A client that sends nothing, and one that never reads its answer, hold nothing either. */
static void test_silent_clients(void **state)
{
	int silent = client_tcp();
	char buf[64];

	(void)state;
	run_loop(HTTP_DEADLINE_MS + 300);
	assert_true(recv(silent, buf, sizeof(buf), MSG_DONTWAIT) >= 0); /* 408, or closed */
	close(silent);
	assert_non_null(strstr(ask(client_tcp(), "GET /healthz HTTP/1.0\r\n\r\n", 1000), "200 OK"));
}

static void test_answers(void **state)
{
	(void)state;
	/* 127.0.0.1: redacted; the socket: full */
	char *a = ask(client_tcp(), "GET /pods HTTP/1.1\r\n\r\n", 1000);
	assert_non_null(strstr(a, "200 OK"));
	assert_null(strstr(a, "pid"));
	assert_null(strstr(a, "a log line"));
	a = ask(client_unix(), "GET /pods HTTP/1.0\r\n\r\n", 1000);
	assert_non_null(strstr(a, "\"pid\":4242"));
	assert_non_null(strstr(ask(client_tcp(), "POST /pods HTTP/1.1\r\n\r\n", 1000), "405"));
	assert_non_null(strstr(ask(client_tcp(), "GET /x HTTP/1.1\r\n\r\n", 1000), "404"));
	assert_non_null(strstr(ask(client_tcp(), "GET /pods?x=1 HTTP/1.1\r\n\r\n", 1000), "200 OK"));
	assert_non_null(strstr(ask(client_tcp(), "GARBAGE\r\n\r\n", 1000), "400"));
	char big[HTTP_REQUEST_MAX + 100];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "GET /healthz HTTP/1.1\r\nX: ", 26);
	assert_non_null(strstr(ask(client_tcp(), big, 1000), "431"));
}

/* The socket is 0600: another user cannot connect; and if its mode were opened up, a peer that
 * is not root is still refused (SO_PEERCRED). */
static void test_socket_root_only(void **state)
{
	struct stat st;

	(void)state;
	assert_int_equal(stat(sock, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	for (int open_mode = 0; open_mode < 2; open_mode++) {
		pid_t pid;
		int status;
		if (open_mode)
			assert_int_equal(chmod(sock, 0666), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			if (setgid(65534) < 0 || setuid(65534) < 0)
				_exit(77);
			int fd = client_unix();
			if (fd < 0)
				_exit(fd == -EACCES ? 10 : 2);
			(void)!write(fd, "GET /pods HTTP/1.0\r\n\r\n", 22);
			char buf[512] = "";
			for (int i = 0; i < 100; i++) {
				ssize_t k = read(fd, buf, sizeof(buf) - 1);
				if (k > 0) {
					buf[k] = '\0';
					break;
				}
				usleep(20000);
			}
			_exit(strstr(buf, "403 Forbidden") ? 11 : strstr(buf, "4242") ? 3 : 4);
		}
		/* serve the child while it asks */
		pid_t done = 0;
		for (int i = 0; i < 200 && (done = waitpid(pid, &status, WNOHANG)) == 0; i++)
			run_loop(20);
		if (done == 0)
			assert_int_equal(waitpid(pid, &status, 0), pid);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
			skip();
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), open_mode ? 11 : 10);
	}
	assert_int_equal(chmod(sock, 0600), 0);
}

static unsigned changes;

static void manifests_changed(void)
{
	changes++;
}

/* Runs the loop until the manifest folders' watch reported a change (at most 5 s). */
static void wait_change(void)
{
	unsigned before = changes;
	unsigned long long end = now_ms() + 5000;

	while (changes == before && now_ms() < end)
		assert_true(loop_run_once(100) >= 0);
	assert_int_equal(changes, before + 1);
}

/* The manifest folders under inotify: a file written, one renamed in, one removed, each reported
 * by the loop at once (no periodic re-read); a hidden file (an editor's temporary) is not. */
static void test_manifest_watch(void **state)
{
	char d1[] = "/tmp/kcc-mw1-XXXXXX", d2[] = "/tmp/kcc-mw2-XXXXXX", p1[64], p2[64];
	const char *dirs[] = { d1, d2, "/nonexistent-kcc", NULL };

	(void)state;
	assert_non_null(mkdtemp(d1));
	assert_non_null(mkdtemp(d2));
	assert_int_equal(manifest_watch_start(dirs, manifests_changed), 0);
	snprintf(p1, sizeof(p1), "%s/web.yaml", d2);
	assert_int_equal(write_new_file(p1, "kind: Pod\n", 0600), 0);
	wait_change();
	/* inotify queues the event before write() returns: the loop sees it without waiting */
	snprintf(p2, sizeof(p2), "%s/.web.yaml.swp", d1);
	assert_int_equal(write_new_file(p2, "x", 0600), 0);
	assert_true(loop_run_once(0) >= 0);
	assert_int_equal(changes, 1);
	snprintf(p1, sizeof(p1), "%s/moved.yaml", d1);
	assert_int_equal(rename(p2, p1), 0);
	wait_change();
	assert_int_equal(unlink(p1), 0);
	wait_change();
	(void)rm_rf(d1);
	(void)rm_rf(d2);
}

/* Manifest folders: a FIFO, a device, a socket, a link, a folder or a huge file named x.yaml is
 * refused at once with what it is; a regular file is read. */
static void test_manifest_files(void **state)
{
	char d[] = "/tmp/kcc-manifests-XXXXXX", path[128], err[128], *text = NULL;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int dfd, devfd, sfd;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(d));
	dfd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	snprintf(path, sizeof(path), "%s/ok.yaml", d);
	assert_int_equal(write_new_file(path, "kind: Pod\n", 0644), 0);
	snprintf(path, sizeof(path), "%s/fifo.yaml", d);
	assert_int_equal(mkfifo(path, 0644), 0);
	snprintf(path, sizeof(path), "%s/link.yaml", d);
	assert_int_equal(symlink("ok.yaml", path), 0);
	snprintf(path, sizeof(path), "%s/dir.yaml", d);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/huge.yaml", d);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_int_equal(ftruncate(fd, MANIFEST_FILE_MAX + 1), 0);
	close(fd);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/sock.yaml", d);
	sfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(sfd, (struct sockaddr *)&sa, sizeof(sa)), 0);

	alarm(10); /* a blocking open would hang here: fail instead */
	assert_int_equal(read_regular_fileat(dfd, "ok.yaml", MANIFEST_FILE_MAX, &text, err,
					     sizeof(err)), 10);
	assert_string_equal(text, "kind: Pod\n");
	free(text);
	assert_int_equal(read_regular_fileat(dfd, "fifo.yaml", MANIFEST_FILE_MAX, &text, err,
					     sizeof(err)), -EBADFD);
	assert_string_equal(err, "a FIFO");
	assert_int_equal(read_regular_fileat(dfd, "link.yaml", MANIFEST_FILE_MAX, &text, err,
					     sizeof(err)), -ELOOP);
	assert_string_equal(err, "a symbolic link");
	assert_int_equal(read_regular_fileat(dfd, "dir.yaml", MANIFEST_FILE_MAX, &text, err,
					     sizeof(err)), -EBADFD);
	assert_string_equal(err, "a folder");
	assert_int_equal(read_regular_fileat(dfd, "sock.yaml", MANIFEST_FILE_MAX, &text, err,
					     sizeof(err)), -EBADFD);
	assert_string_equal(err, "a socket"); /* open() says ENXIO: refused just the same */
	assert_int_equal(read_regular_fileat(dfd, "huge.yaml", MANIFEST_FILE_MAX, &text, err,
					     sizeof(err)), -EFBIG);
	assert_non_null(strstr(err, "larger than 1048576 bytes"));
	devfd = open("/dev", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_int_equal(read_regular_fileat(devfd, "null", MANIFEST_FILE_MAX, &text, err,
					     sizeof(err)), -EBADFD);
	assert_string_equal(err, "a character device");
	alarm(0);
	close(dfd);
	close(devfd);
	close(sfd);
	(void)rm_rf(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_manifest_files),
		cmocka_unit_test(test_manifest_watch),
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_socket_root_only),
		cmocka_unit_test(test_slow_clients),
		cmocka_unit_test(test_flood_spares_socket),
		cmocka_unit_test(test_silent_clients),
	};
	int r = cmocka_run_group_tests(tests, setup, NULL);
	(void)unlink(sock);
	return r;
}
