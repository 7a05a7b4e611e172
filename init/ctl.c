/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kcc-ctl: asks PID 1 to power off or reboot, or prints the service status.
 * Exit codes: 0 done, 100 usage, 111 system failure (no socket, refused, no answer). */
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "control.h"
#include "util.h"

static int usage(void)
{
	fprintf(stderr, "usage: kcc-ctl poweroff|reboot|status\n");
	return 100;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct sockaddr_un self = { .sun_family = AF_UNIX };
	char buf[CONTROL_MSG_MAX + 1];
	_cleanup_close_ int fd = -EBADF;
	struct pollfd pfd;
	ssize_t n;

	if (argc != 2 || control_request_from_string(argv[1]) < 0)
		return usage();
	strncpy(sa.sun_path, CONTROL_SOCKET, sizeof(sa.sun_path) - 1);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	/* Autobind an abstract address so that PID 1 can answer. */
	if (fd < 0 || bind(fd, (struct sockaddr *)&self, sizeof(sa_family_t)) < 0) {
		fprintf(stderr, "kcc-ctl: socket: %m\n");
		return 111;
	}
	if (sendto(fd, argv[1], strlen(argv[1]), 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "kcc-ctl: cannot reach PID 1 at %s: %m\n", CONTROL_SOCKET);
		return 111;
	}
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	if (poll(&pfd, 1, 5000) <= 0) {
		fprintf(stderr, "kcc-ctl: no answer from PID 1\n");
		return 111;
	}
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	if (n < 0) {
		fprintf(stderr, "kcc-ctl: %m\n");
		return 111;
	}
	buf[n] = '\0';
	if (startswith(buf, "error")) {
		fprintf(stderr, "kcc-ctl: %s\n", buf);
		return 111;
	}
	fputs(buf, stdout);
	if (n > 0 && buf[n - 1] != '\n')
		fputc('\n', stdout);
	return 0;
}
