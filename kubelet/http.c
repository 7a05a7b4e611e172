/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kcc-kubelet's endpoints, read-only (GET only): /healthz ("ok", as the kubelet's healthz port)
 * and /pods (the status).
 *   127.0.0.1:PORT      for any local process: /healthz and a redacted /pods (no PIDs, no
 *                       messages or log lines)
 *   RUN/kubelet.sock    mode 0600, and a peer that is not root is refused: the full /pods,
 *                       which `kcc-kubelet pods` reads
 * Every connection is non-blocking in the one event loop: its whole request and answer must be
 * done within HTTP_DEADLINE_MS, at most HTTP_CONN_MAX are open (the oldest gives way to a new
 * one), so a slow or silent client holds nothing while /healthz keeps answering. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "http-request.h"
#include "kubelet.h"
#include "loop.h"
#include "util.h"

#define ACCEPT_BATCH 64

typedef struct Conn {
	Source src;
	bool used, full;
	unsigned long long deadline;
	size_t got;
	char *out;
	size_t out_len, out_off;
	char req[HTTP_REQUEST_MAX];
} Conn;

static Conn conns[HTTP_CONN_MAX];
static Source tcp_src = { .fd = -EBADF }, unix_src = { .fd = -EBADF };

static struct sockaddr_in loopback(unsigned port)
{
	return (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				     .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
}

static int unix_addr(const char *path, struct sockaddr_un *ret)
{
	*ret = (struct sockaddr_un){ .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(ret->sun_path))
		return -ENAMETOOLONG;
	strcpy(ret->sun_path, path);
	return 0;
}

static void conn_close(Conn *c)
{
	char sink[4096];
	int fd = c->src.fd;

	if (!c->used)
		return;
	/* what the client sent past its head (a body) is read first, so that the close does not
	 * turn into a reset that could drop the answer before the client read it */
	for (unsigned i = 0; i < 16 && recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0; i++)
		;
	loop_del(&c->src);
	close(fd);
	free(c->out);
	c->out = NULL;
	c->used = false;
}

/* Writes what the socket takes now; the connection ends when all is written. */
static void conn_flush(Conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t k = send(c->src.fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (k <= 0)
			break;
		c->out_off += (size_t)k;
	}
	conn_close(c);
}

static void conn_reply(Conn *c, int code, const char *reason, const char *type, const char *body)
{
	if (asprintf(&c->out,
		     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		     "X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n%s",
		     code, reason, type, strlen(body), body) < 0) {
		c->out = NULL;
		conn_close(c);
		return;
	}
	c->out_len = strlen(c->out);
	c->out_off = 0;
	(void)loop_mod(&c->src, EPOLLOUT);
	conn_flush(c);
}

static void conn_answer(Conn *c, int r, const HttpRequest *req)
{
	_cleanup_free_ char *body = NULL;

	if (r == -E2BIG)
		conn_reply(c, 431, "Request Header Fields Too Large", "text/plain",
			   "request too large\n");
	else if (r < 0)
		conn_reply(c, 400, "Bad Request", "text/plain", "bad request\n");
	else if (!streq(req->method, "GET"))
		conn_reply(c, 405, "Method Not Allowed", "text/plain", "read-only\n");
	else if (streq(req->path, "/healthz"))
		conn_reply(c, 200, "OK", "text/plain; charset=utf-8", "ok");
	else if (!streq(req->path, "/pods"))
		conn_reply(c, 404, "Not Found", "text/plain", "404 page not found\n");
	else if (!(body = status_json(c->full)))
		conn_reply(c, 500, "Internal Server Error", "text/plain", "out of memory\n");
	else
		conn_reply(c, 200, "OK", "application/json", body);
}

static void on_conn(Source *src, uint32_t events)
{
	(void)events;
	Conn *c = container_of(src, Conn, src);
	HttpRequest req;
	ssize_t k;
	int r;

	if (!c->used)
		return;
	if (c->out) {
		conn_flush(c);
		return;
	}
	for (;;) {
		k = recv(c->src.fd, c->req + c->got, sizeof(c->req) - c->got, MSG_DONTWAIT);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (k <= 0) { /* gone, or closed before its request was whole */
			conn_close(c);
			return;
		}
		c->got += (size_t)k;
		if (c->got == sizeof(c->req))
			break;
	}
	r = http_parse_request(c->req, c->got, &req);
	if (r == -EAGAIN)
		return; /* more to come, within the deadline */
	conn_answer(c, r, &req);
}

/* A slot for a new client: a free one, else the oldest connection it may
 * displace (closed). Clients of 127.0.0.1 use the first HTTP_CONN_MAX - HTTP_CONN_FULL_RESERVED
 * slots and displace only each other; clients of the root-only socket may use every slot and
 * displace a TCP client first. So no local user can push root's request out with a flood; a TCP
 * client finds no slot (NULL) only while socket clients hold all it may use. */
static Conn *conn_slot(bool full)
{
	size_t n = full ? ARRAY_SIZE(conns) : ARRAY_SIZE(conns) - HTTP_CONN_FULL_RESERVED;
	Conn *oldest = NULL;

	for (size_t i = 0; i < n; i++) {
		if (!conns[i].used)
			return &conns[i];
		/* a TCP client never displaces a socket client; a socket client prefers a TCP one */
		if (!full && conns[i].full)
			continue;
		if (!oldest || (oldest->full && !conns[i].full) ||
		    (oldest->full == conns[i].full && conns[i].deadline < oldest->deadline))
			oldest = &conns[i];
	}
	if (!oldest) /* a TCP client while socket clients hold every slot it may use */
		return NULL;
	conn_close(oldest);
	return oldest;
}

static bool peer_is_root(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 &&
	       (cred.uid == 0 || cred.uid == geteuid());
}

static void on_listen(Source *src, uint32_t events)
{
	bool full = src == &unix_src;

	(void)events;
	for (unsigned n = 0; n < ACCEPT_BATCH; n++) {
		int fd = accept4(src->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		Conn *c;
		if (fd < 0)
			return;
		if (full && !peer_is_root(fd)) {
			static const char no[] = "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n"
						 "Connection: close\r\n\r\n";
			(void)!send(fd, no, sizeof(no) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			close(fd);
			continue;
		}
		c = conn_slot(full);
		if (!c) {
			close(fd);
			continue;
		}
		*c = (Conn){ .src = { .fd = -EBADF }, .used = true, .full = full,
			     .deadline = now_ms() + HTTP_DEADLINE_MS };
		if (loop_add(&c->src, fd, on_conn) < 0) {
			close(fd);
			c->used = false;
		}
	}
}

void http_tick(unsigned long long now)
{
	static const char late[] = "HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n"
				   "Connection: close\r\n\r\n";

	for (size_t i = 0; i < ARRAY_SIZE(conns); i++)
		if (conns[i].used && now >= conns[i].deadline) {
			if (!conns[i].out)
				(void)!send(conns[i].src.fd, late, sizeof(late) - 1,
					    MSG_NOSIGNAL | MSG_DONTWAIT);
			conn_close(&conns[i]);
		}
}

static int listen_tcp(unsigned port)
{
	struct sockaddr_in sa = loopback(port);
	int one = 1;
	_cleanup_close_ int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -errno;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0)
		return -errno;
	return TAKE_FD(fd);
}

/* Created 0600 (the umask, then chmod), replacing a stale socket of an earlier run. */
static int listen_unix(const char *path)
{
	struct sockaddr_un sa;
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	mode_t old;
	int r;

	if (fd < 0)
		return -errno;
	r = unix_addr(path, &sa);
	if (r < 0)
		return r;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	old = umask(0177);
	r = RET_NERRNO(bind(fd, (struct sockaddr *)&sa, sizeof(sa)));
	umask(old);
	if (r < 0)
		return r;
	if (chmod(path, 0600) < 0 || listen(fd, 16) < 0)
		return -errno;
	return TAKE_FD(fd);
}

int http_start(unsigned port, const char *socket_path, char *err, size_t errlen)
{
	int r;

	_cleanup_close_ int tcp = -EBADF, unix_fd = -EBADF;

	for (size_t i = 0; i < ARRAY_SIZE(conns); i++)
		conns[i].src.fd = -EBADF;
	tcp = listen_tcp(port);
	if (tcp < 0)
		return errorf(err, errlen, tcp, "cannot listen on 127.0.0.1:%u: %s", port,
			      strerror(-tcp));
	unix_fd = listen_unix(socket_path);
	if (unix_fd < 0)
		return errorf(err, errlen, unix_fd, "cannot listen on %s: %s", socket_path,
			      strerror(-unix_fd));
	r = loop_add(&tcp_src, tcp, on_listen);
	if (r < 0)
		return errorf(err, errlen, r, "cannot watch the listeners: %s", strerror(-r));
	TAKE_FD(tcp);
	r = loop_add(&unix_src, unix_fd, on_listen);
	if (r < 0)
		return errorf(err, errlen, r, "cannot watch the listeners: %s", strerror(-r));
	TAKE_FD(unix_fd);
	return 0;
}
