/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kcc-update serve: the node-local update socket, and its client (commands.h, request.h,
 * docs/upgrades.md "The update socket"). One connection at a time: an apply holds the slot
 * writer for as long as its bundle streams in; a second client waits in the listen queue. */
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "apply.h"
#include "commands.h"
#include "condition.h"
#include "pull.h"
#include "request.h"
#include "send.h"
#include "bundle-source.h"
#include "status.h"
#include "util.h"

#define HEADER_TIMEOUT_S 10

static int answer(int fd, int code, const char *text)
{
	char head[16];
	struct iovec iov[3] = {
		{ head, (size_t)snprintf(head, sizeof(head), "%d ", code) },
		{ (void *)text, strlen(text) },
		{ "\n", 1 },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 3 };

	return sendmsg(fd, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

/* The header, a byte at a time, so that the bundle's first byte stays in the socket. */
static int read_header(int fd, RequestCommand *ret)
{
	char buf[REQUEST_LINE_MAX];
	size_t have = 0, used;
	int r = -EAGAIN;

	while (r == -EAGAIN) {
		ssize_t n = read(fd, buf + have, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EPIPE;
		have++;
		r = request_parse(buf, have, ret, &used);
	}
	return r;
}

static void serve_one(int fd, const NodeArgs *a, const BundleKey *key)
{
	struct ucred cred;
	socklen_t sl = sizeof(cred);
	const struct timeval tv = { .tv_sec = HEADER_TIMEOUT_S };
	RequestCommand cmd;
	char err[300];
	Node n;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &sl) < 0 || cred.uid != 0) {
		(void)answer(fd, EXIT_REFUSED, "refused: only root may use the update socket");
		fprintf(stderr, "kcc-update serve: refused a client of uid %d\n", (int)cred.uid);
		return;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (read_header(fd, &cmd) < 0) {
		(void)answer(fd, EXIT_USAGE, "bad request: expected \"" REQUEST_MAGIC " status|apply|reboot\"");
		return;
	}
	if (node_open(&n, &a->paths, err, sizeof(err)) < 0) {
		(void)answer(fd, EXIT_SYSTEM, err);
		return;
	}
	if (cmd == REQUEST_STATUS) {
		struct json_object *o = status_json(&n);

		(void)answer(fd, 0, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else if (cmd == REQUEST_REBOOT) {
		/* An upgrade container's "upgrade" step: PID 1 reboots in order on kured's signal, and only
		 * while reboot-required exists; asked only when an update or a rollback waits. */
		if (!node_reboot_needed(&n))
			(void)answer(fd, EXIT_REFUSED, "reboot: refused: no update waits for a reboot");
		else if (kill(a->init_pid, SIGRTMIN + 5) < 0)
			(void)answer(fd, EXIT_SYSTEM, "reboot: cannot signal PID 1");
		else {
			fprintf(stderr, "kcc-update serve: reboot into %s asked for through the socket\n", node_next_boot(&n));
			(void)answer(fd, 0, "reboot: asked PID 1 for an orderly reboot");
		}
	} else {
		ApplyResult res;
		const struct timeval stream_tv = { .tv_sec = 60 };

		(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &stream_tv, sizeof(stream_tv));
		apply_stream(&n, key, fd, "the socket's bundle", &res);
		fprintf(stderr, "kcc-update serve: %s\n", res.line);
		(void)answer(fd, res.code, res.line);
		if (node_reload(&n, err, sizeof(err)) >= 0) {
			(void)condition_write(&n);
			(void)status_write(&n);
		}
	}
	node_close(&n);
}

int cmd_serve(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int lfd = -EBADF;
	BundleKey *key = NULL;
	NodeArgs a;
	char err[300];

	if (node_args_parse(argc, argv, &a) < 0 || a.operand)
		return say_error(EXIT_USAGE, "usage: kcc-update serve [--key PEM] [--socket PATH] [--pull [--interval S] "
					     "[--config JSON]] [NODE OPTIONS]");
	if (!a.socket)
		a.socket = DEFAULT_SOCKET;
	if (strlen(a.socket) >= sizeof(sa.sun_path))
		return say_error(EXIT_USAGE, "socket path too long: %s", a.socket);
	if (bundle_key_load(a.key, false, &key, err, sizeof(err)) < 0)
		return say_error(EXIT_USAGE, "%s", err);
	strcpy(sa.sun_path, a.socket);
	(void)signal(SIGPIPE, SIG_IGN);
	/* The service's output is a pipe to PID 1: line by line, so that the lines of a pull round
	 * that asked for the reboot are not lost in the buffer when PID 1 stops the service. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return say_error(EXIT_SYSTEM, "cannot create a socket: %m");
	if (streq(a.socket, DEFAULT_SOCKET))
		(void)mkdir_p("/run/kcc", 0755);
	(void)unlink(a.socket);
	/* mode 0600 from the start: the umask covers the window between bind and chmod */
	mode_t old = umask(0177);
	int b = bind(lfd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (b < 0 || chmod(a.socket, 0600) < 0 || listen(lfd, 4) < 0)
		return say_error(EXIT_SYSTEM, "cannot listen on %s: %m", a.socket);
	fprintf(stderr, "kcc-update serve: listening on %s%s\n", a.socket, a.pull ? ", pull mode on" : "");
	/* A rollback decided by the loader or PID 1 before this boot: reported at once (condition.h). */
	Node n;
	if (node_open(&n, &a.paths, err, sizeof(err)) < 0)
		fprintf(stderr, "kcc-update serve: %s\n", err);
	else {
		if (condition_write(&n) < 0)
			fprintf(stderr, "kcc-update serve: cannot write the update condition\n");
		if (status_write(&n) < 0)
			fprintf(stderr, "kcc-update serve: cannot write the update status\n");
		node_close(&n);
	}
	/* Pull rounds run between connections, in this one process: one writer of the slot at a time. */
	unsigned long long next_pull = 0;
	PullState st = {};
	for (;;) {
		struct pollfd pfd = { .fd = lfd, .events = POLLIN };
		_cleanup_close_ int fd = -EBADF;

		if (a.pull && now_ms() >= next_pull) {
			unsigned iv;

			(void)pull_round(&a, key, &st);
			fflush(stdout);
			iv = st.interval_s ?: a.interval_s; /* update.poll-seconds, else --interval */
			next_pull = now_ms() + (st.waiting && iv > PULL_RETRY_S ? PULL_RETRY_S : iv) * 1000ull;
		}
		if (a.pull && poll(&pfd, 1, (int)(next_pull - now_ms())) == 0)
			continue;
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			bundle_key_free(key);
			return say_error(EXIT_SYSTEM, "accept on %s: %m", a.socket);
		}
		serve_one(fd, &a, key);
	}
}

/* Sends the request (and for apply, the bundle), prints the answer's text, returns its code. */
int client_request(const char *socket_path, const char *command, const char *source)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -EBADF, in = -EBADF;
	_cleanup_free_ char *buf = malloc(64 << 10);
	char head[REQUEST_LINE_MAX], err[300];
	size_t have = 0;
	long code;
	char *sp, *end;

	if (!buf)
		return say_error(EXIT_SYSTEM, "out of memory");
	if (strlen(socket_path) >= sizeof(sa.sun_path))
		return say_error(EXIT_USAGE, "socket path too long: %s", socket_path);
	strcpy(sa.sun_path, socket_path);
	if (source) {
		in = source_open(source, err, sizeof(err));
		if (in < 0)
			return say_error(in == -EPROTONOSUPPORT || in == -EINVAL ? EXIT_USAGE : EXIT_SYSTEM, "%s", err);
	}
	(void)signal(SIGPIPE, SIG_IGN);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return say_error(EXIT_SYSTEM, "cannot connect to %s: %m", socket_path);
	snprintf(head, sizeof(head), REQUEST_MAGIC " %s\n", command);
	if (send(fd, head, strlen(head), MSG_NOSIGNAL) != (ssize_t)strlen(head)) {
		if (errno == EPIPE || errno == ECONNRESET) /* answered and closed first (a refused peer) */
			goto answer;
		return say_error(EXIT_SYSTEM, "cannot send to %s: %m", socket_path);
	}
	while (in >= 0) {
		ssize_t n = read(in, buf, 64 << 10), w = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return say_error(EXIT_SYSTEM, "cannot read %s: %m", source);
		if (n == 0)
			break;
		while (w < n) {
			ssize_t k = send(fd, buf + w, (size_t)(n - w), MSG_NOSIGNAL);

			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0) /* the server stopped reading: its answer says why */
				goto answer;
			w += k;
		}
	}
	(void)shutdown(fd, SHUT_WR);
answer:
	for (;;) {
		ssize_t n = read(fd, buf + have, (64 << 10) - 1 - have);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || have + (size_t)n >= (64 << 10) - 1) {
			have += n > 0 ? (size_t)n : 0;
			break;
		}
		have += (size_t)n;
	}
	buf[have] = 0;
	code = strtol(buf, &sp, 10);
	if (sp == buf || *sp != ' ' || (code != 0 && code != EXIT_REFUSED && code != EXIT_USAGE && code != EXIT_SYSTEM))
		return say_error(EXIT_SYSTEM, "no answer from %s", socket_path);
	end = strchr(sp + 1, '\n');
	if (end)
		*end = 0;
	if (code == 0)
		puts(sp + 1);
	else
		say_error((int)code, "%s", sp + 1);
	return (int)code;
}
