/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kcc-ctl: asks PID 1 to power off or reboot, or prints the service status; rotate-key asks
 * kcc-init to rotate the state key at the next boot (state-rotate.h), rotate-key --volume to
 * rotate the volume key by re-encrypting /var (state-reencrypt.h).
 * Exit codes: 0 done, 100 usage, 111 system failure (no socket, no answer, an error answer),
 * 112 refused by PID 1 (poweroff and reboot need CAP_SYS_BOOT, status needs uid 0) or by /var's
 * permissions (rotate-key). */
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "control.h"
#include "state-reencrypt.h"
#include "state-rotate.h"
#include "util.h"

#define EXIT_REFUSED 112

static int usage(void)
{
	fprintf(stderr, "usage: kcc-ctl poweroff|reboot|status|rotate-key [--volume]\n");
	return 100;
}

/* The request is an empty file, made durable before kcc-ctl says it is recorded. */
static int rotate_key(const char *file, const char *what)
{
	_cleanup_close_ int dfd = -EBADF, fd = -EBADF;
	int r;

	r = mkdir_p("/var/" STATE_ROTATE_DIR, 0700);
	if (r >= 0 && (dfd = open("/var/" STATE_ROTATE_DIR,
				  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		r = -errno;
	if (r >= 0 && (fd = openat(dfd, file,
				   O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
		r = -errno;
	if (r >= 0 && (fsync(fd) < 0 || fsync(dfd) < 0))
		r = -errno;
	if (r < 0) {
		errno = -r;
		fprintf(stderr, "kcc-ctl: cannot record the request in /var/%s/%s: %m\n",
			STATE_ROTATE_DIR, file);
		return r == -EACCES || r == -EPERM ? EXIT_REFUSED : 111;
	}
	printf("%s requested: it happens at the next boot\n", what);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[CONTROL_MSG_MAX + 1];
	_cleanup_close_ int fd = -EBADF;
	struct pollfd pfd;
	ssize_t n;

	if (argc == 2 && streq(argv[1], "rotate-key"))
		return rotate_key(STATE_ROTATE_FILE, "state key rotation");
	if (argc == 3 && streq(argv[1], "rotate-key") && streq(argv[2], "--volume"))
		return rotate_key(STATE_REENCRYPT_FILE, "volume key rotation (re-encryption of /var, "
						      "a few seconds per boot until done)");
	if (argc != 2 || control_request_from_string(argv[1]) < 0)
		return usage();
	strncpy(sa.sun_path, CONTROL_SOCKET, sizeof(sa.sun_path) - 1);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "kcc-ctl: socket: %m\n");
		return 111;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		fprintf(stderr, "kcc-ctl: cannot reach PID 1 at %s: %m\n", CONTROL_SOCKET);
		return e == EACCES || e == EPERM ? EXIT_REFUSED : 111;
	}
	if (send(fd, argv[1], strlen(argv[1]), MSG_NOSIGNAL) < 0) {
		fprintf(stderr, "kcc-ctl: cannot send to PID 1: %m\n");
		return 111;
	}
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	if (poll(&pfd, 1, 5000) <= 0) {
		fprintf(stderr, "kcc-ctl: no answer from PID 1\n");
		return 111;
	}
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0) {
		fprintf(stderr, "kcc-ctl: %s\n", n < 0 ? strerror(errno) : "PID 1 closed the connection");
		return 111;
	}
	buf[n] = '\0';
	if (startswith(buf, "error")) {
		fprintf(stderr, "kcc-ctl: %s\n", buf);
		return startswith(buf, "error: permission denied") ? EXIT_REFUSED : 111;
	}
	fputs(buf, stdout);
	if (buf[n - 1] != '\n')
		fputc('\n', stdout);
	return 0;
}
