/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <linux/capability.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "control-server.h"
#include "log.h"
#include "loop.h"
#include "peer.h"
#include "supervise.h"

#define CONNS_MAX 8

typedef struct Conn {
	Source src;
	unsigned long long seq; /* accept order: when every slot is taken, the oldest goes */
} Conn;

static Source listener;
static Conn conns[CONNS_MAX];
static unsigned long long accepted;
static void (*request_cb)(ControlRequest req);

static void conn_close(Conn *c)
{
	int fd = c->src.fd;

	if (fd < 0)
		return;
	loop_del(&c->src);
	close(fd);
}

static bool hung_up(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLRDHUP };

	return poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLRDHUP | POLLERR));
}

/* The answer to one request from the process behind fd; reply holds it. */
static void handle(int fd, const char *req_text, char *reply, size_t len)
{
	_cleanup_close_ int pidfd = -EBADF;
	ControlRequest req = control_request_from_string(req_text);
	pid_t pid = 0;
	uid_t uid = (uid_t)-1;
	int r;

	if (req < 0) {
		snprintf(reply, len, "error: unknown request");
		return;
	}
	r = peer_socket_pidfd(fd, &pid, &uid, &pidfd);
	if (r < 0) {
		log_warning_errno(r, "control: refused %s: cannot identify the requester: %m",
				  req_text);
		snprintf(reply, len, "error: permission denied: cannot identify the requester");
		return;
	}
	if (req == CONTROL_STATUS) {
		if (uid != 0) {
			log_warning("control: refused status to pid %d (uid %u): not root", (int)pid,
				    (unsigned)uid);
			snprintf(reply, len, "error: permission denied: status needs uid 0");
		} else if (supervise_status(reply, len) < 0)
			snprintf(reply, len, "error: status too long");
		return;
	}
	r = peer_pidfd_has_cap(pidfd, pid, CAP_SYS_BOOT);
	if (r == 1 && hung_up(fd))
		r = -ESRCH; /* the requester is gone: its pid says nothing any more */
	if (r != 1) {
		if (r < 0)
			log_warning_errno(r, "control: refused %s from pid %d (uid %u): %m", req_text,
					  (int)pid, (unsigned)uid);
		else
			log_warning("control: refused %s from pid %d (uid %u): no CAP_SYS_BOOT in its "
				    "effective set", req_text, (int)pid, (unsigned)uid);
		snprintf(reply, len, "error: permission denied: %s needs CAP_SYS_BOOT", req_text);
		return;
	}
	snprintf(reply, len, "ok");
	request_cb(req);
}

static void on_conn(Source *src, uint32_t events)
{
	Conn *c = container_of(src, Conn, src);
	char buf[64], reply[CONTROL_MSG_MAX];
	ssize_t n;

	(void)events;
	n = recv(src->fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0) {
		buf[n] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		handle(src->fd, buf, reply, sizeof(reply));
		(void)send(src->fd, reply, strlen(reply), MSG_DONTWAIT | MSG_NOSIGNAL);
	}
	conn_close(c);
}

static void on_listen(Source *src, uint32_t events)
{
	Conn *slot = NULL;
	int fd, r;

	(void)events;
	fd = accept4(src->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	for (unsigned i = 0; i < CONNS_MAX; i++)
		if (conns[i].src.fd < 0) {
			slot = &conns[i];
			break;
		} else if (!slot || conns[i].seq < slot->seq)
			slot = &conns[i];
	conn_close(slot); /* a free slot, or the oldest connection that never asked */
	r = loop_add(&slot->src, fd, on_conn);
	if (r < 0) {
		log_warning_errno(r, "control: cannot watch a connection, closing it: %m");
		close(fd);
		return;
	}
	slot->seq = ++accepted;
}

int control_server_start(void (*on_request)(ControlRequest req))
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -EBADF;
	int r;

	request_cb = on_request;
	for (unsigned i = 0; i < CONNS_MAX; i++)
		conns[i].src.fd = -EBADF;
	strncpy(sa.sun_path, CONTROL_SOCKET, sizeof(sa.sun_path) - 1);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	(void)unlink(CONTROL_SOCKET);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(CONTROL_SOCKET, 0600) < 0 ||
	    listen(fd, 16) < 0)
		return -errno;
	r = loop_add(&listener, fd, on_listen);
	if (r < 0)
		return r;
	TAKE_FD(fd);
	return 0;
}
