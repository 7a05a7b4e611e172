/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kcc-suc: the command of kcc-node's upgrade image for rancher's system-upgrade-controller
 * (docs/upgrades.md, "system-upgrade-controller"). Static, libc only: it runs in the upgrade
 * container, which mounts the host's root at /host, and talks to the node's kcc-update service
 * through its socket (/host/run/kcc/update.sock; the wire format of update/request.h).
 *   kcc-suc prepare   hands the bundle (/kcc-node.bundle) to kcc-update: it is verified and
 *                     staged in the other slot; again: "already staged"; on the new version:
 *                     "is the running version" (all exit 0)
 *   kcc-suc upgrade   the same, then asks for the reboot and waits for it (the job ends with the
 *                     node's reboot); after the reboot, re-run, it finds the bundle's version
 *                     running and reports success (exit 0)
 * Options: --socket PATH, --bundle PATH, --wait S (how long upgrade waits for the reboot, 600).
 * Exit codes: kcc-update's (0, 1 refused, 100 usage, 111 system failure). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAGIC "kcc-update/1" /* update/request.h */
#define ANSWER_MAX 65536

/* One request; the answer's text in answer, its code returned (111 when there is none). */
static int request(const char *sock, const char *cmd, const char *bundle, char *answer, size_t len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char head[64], buf[65536], *sp;
	int fd, in = -1, code;
	size_t have = 0;
	ssize_t n;

	snprintf(answer, len, "no answer from %s", sock);
	if (strlen(sock) >= sizeof(sa.sun_path))
		return 100;
	strcpy(sa.sun_path, sock);
	if (bundle && (in = open(bundle, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(answer, len, "cannot open %s: %s", bundle, strerror(errno));
		return 111;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		snprintf(answer, len, "cannot connect to %s: %s", sock, strerror(errno));
		goto fail;
	}
	n = snprintf(head, sizeof(head), MAGIC " %s\n", cmd);
	if (write(fd, head, (size_t)n) != n)
		goto fail;
	while (in >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		for (ssize_t w = 0, k; w < n; w += k)
			if ((k = send(fd, buf + w, (size_t)(n - w), MSG_NOSIGNAL)) < 0)
				goto answer; /* the server stopped reading: its answer says why */
	(void)shutdown(fd, SHUT_WR);
answer:
	while (have < sizeof(buf) - 1 && (n = read(fd, buf + have, sizeof(buf) - 1 - have)) > 0)
		have += (size_t)n;
	buf[have] = '\0';
	code = (int)strtol(buf, &sp, 10);
	if (sp == buf || *sp != ' ')
		goto fail;
	sp[strcspn(sp, "\n")] = '\0';
	snprintf(answer, len, "%s", sp + 1);
	close(fd);
	if (in >= 0)
		close(in);
	return code;
fail:
	if (fd >= 0)
		close(fd);
	if (in >= 0)
		close(in);
	return 111;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "bundle", required_argument, NULL, 'b' },
		{ "wait", required_argument, NULL, 'w' },
		{},
	};
	const char *sock = "/host/run/kcc/update.sock", *bundle = "/kcc-node.bundle", *step;
	static char answer[ANSWER_MAX];
	long wait_s = 600;
	int c, code;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 's')
			sock = optarg;
		else if (c == 'b')
			bundle = optarg;
		else if (c == 'w' && (wait_s = strtol(optarg, NULL, 10)) > 0)
			;
		else
			goto usage;
	}
	if (optind != argc - 1)
		goto usage;
	step = argv[optind];
	if (strcmp(step, "prepare") != 0 && strcmp(step, "upgrade") != 0)
		goto usage;
	code = request(sock, "apply", bundle, answer, sizeof(answer));
	if (code != 0) {
		fprintf(stderr, "kcc-suc: %s: %s\n", step, answer);
		return code;
	}
	if (strstr(answer, " is the running version")) {
		printf("kcc-suc: %s: done: %s\n", step, answer);
		return 0;
	}
	printf("kcc-suc: %s: %s\n", step, answer);
	if (strcmp(step, "prepare") == 0)
		return 0;
	code = request(sock, "reboot", NULL, answer, sizeof(answer));
	if (code != 0) {
		fprintf(stderr, "kcc-suc: upgrade: %s\n", answer);
		return code;
	}
	printf("kcc-suc: upgrade: %s; waiting for it\n", answer);
	fflush(stdout);
	sleep((unsigned)wait_s);
	fprintf(stderr, "kcc-suc: upgrade: the node did not reboot within %ld s\n", wait_s);
	return 111;
usage:
	fputs("usage: kcc-suc [--socket PATH] [--bundle PATH] [--wait S] prepare|upgrade\n", stderr);
	return 100;
}
