/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A STAND-IN for the kubelet in the REFERENCE image of make bench-compare (systemd 252 + dracut
 * on Debian 12), never in a kcc-node image. It marks, on the kernel log (so with the kernel's
 * clock), the moment it was exec'd and the moment it listens on 127.0.0.1:10248, tells systemd
 * it is ready (Type=notify), then answers every connection with "200 ok" as /healthz would. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

/* One record on the kernel log, one write(2) as the kernel wants it. */
static void mark(const char *what)
{
	char line[128];
	int n = snprintf(line, sizeof(line), "kcc-standin-kubelet: %s\n", what);
	int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);

	if (fd < 0) {
		perror("kcc-standin-kubelet: /dev/kmsg");
		return;
	}
	if (write(fd, line, (size_t)n) != n)
		perror("kcc-standin-kubelet: /dev/kmsg");
	close(fd);
}

int main(void)
{
	static const char answer[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(10248),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int one = 1, lfd;

	mark("exec (a stand-in for the kubelet)");
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(lfd, (struct sockaddr *)&in, sizeof(in)) < 0 || listen(lfd, 16) < 0) {
		perror("kcc-standin-kubelet: cannot listen on 127.0.0.1:10248");
		return 1;
	}
	mark("ready (listening on 127.0.0.1:10248)");
	sd_notify(0, "READY=1");
	for (;;) {
		char buf[512];
		int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		if (read(c, buf, sizeof(buf)) >= 0 && write(c, answer, sizeof(answer) - 1) < 0)
			perror("kcc-standin-kubelet: write");
		close(c);
	}
}
