/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A STAND-IN for the upstream kubelet, for the upstream-mode VM test only (the real kubelet is
 * not among Debian's packages): `make image KUBELET=build/bin/kcc-test-standin-kubelet`. It reports
 * how kcc-init started it (arguments, the configuration file's settings, the bootstrap kubeconfig),
 * waits for containerd's socket, then answers /healthz on 127.0.0.1:10248 as the kubelet does. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static const char *arg(int argc, char **argv, const char *name)
{
	size_t n = strlen(name);
	for (int i = 1; i < argc; i++)
		if (strncmp(argv[i], name, n) == 0 && argv[i][n] == '=')
			return argv[i] + n + 1;
	return NULL;
}

static void on_term(int sig)
{
	(void)sig;
	_exit(0);
}

int main(int argc, char **argv)
{
	const char *config = arg(argc, argv, "--config"), *boot = arg(argc, argv, "--bootstrap-kubeconfig");
	struct sockaddr_un un = { .sun_family = AF_UNIX, .sun_path = "/run/containerd/containerd.sock" };
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(10248),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	char line[512];
	FILE *f;
	int one = 1, lfd, ok = 0;

	signal(SIGTERM, on_term);
	fprintf(stderr, "kubelet stand-in (test only, not the upstream kubelet): argv:");
	for (int i = 1; i < argc; i++)
		fprintf(stderr, " %s", argv[i]);
	fputc('\n', stderr);
	f = config ? fopen(config, "r") : NULL;
	if (!f)
		fprintf(stderr, "kubelet stand-in: no configuration file\n");
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] != '#' && line[0])
			fprintf(stderr, "kubelet stand-in: config: %s\n", line);
	}
	if (f)
		fclose(f);
	fprintf(stderr, "kubelet stand-in: bootstrap kubeconfig %s: %s\n", boot ? boot : "-",
		boot && access(boot, R_OK) == 0 ? "present" : "absent (the node waits for it)");
	for (int i = 0; i < 300 && !ok; i++) {
		int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		ok = s >= 0 && connect(s, (struct sockaddr *)&un, sizeof(un)) == 0;
		if (s >= 0)
			close(s);
		if (!ok)
			usleep(100000);
	}
	fprintf(stderr, "kubelet stand-in: containerd socket %s\n",
		ok ? "accepts connections" : "never answered");
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&in, sizeof(in)) < 0 || listen(lfd, 8) < 0) {
		perror("kubelet stand-in: listen");
		return 1;
	}
	for (;;) {
		char req[1024];
		static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
		int c = accept(lfd, NULL, NULL);
		if (c < 0)
			continue;
		if (read(c, req, sizeof(req)) > 0)
			(void)!write(c, resp, sizeof(resp) - 1);
		close(c);
	}
}
