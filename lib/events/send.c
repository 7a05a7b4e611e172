/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "dgram.h"
#include "send.h"

static uint64_t drops;

uint64_t event_send_drops(void)
{
	return drops;
}

int event_send(const char *path, const Event *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[EVENT_DGRAM_MAX];
	int fd, n, r = 0;

	if (!path)
		path = EVENTS_SOCKET;
	n = event_dgram_format(e, buf, sizeof(buf));
	if (n < 0 || strlen(path) >= sizeof(sa.sun_path)) {
		drops++;
		return n < 0 ? n : -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		drops++;
		return -errno;
	}
	/* MSG_DONTWAIT as well as the non-blocking socket: a full receive queue is a drop, never a
	 * wait, so PID 1 and the kubelet never block on the forwarder. */
	if (sendto(fd, buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&sa,
		   sizeof(sa)) != n) {
		r = -errno;
		drops++;
	}
	close(fd);
	return r;
}

int event_sendf(EventId id, const char *app, const char *fields[], const char *fmt, ...)
{
	Event e = { .id = id };
	va_list ap;

	snprintf(e.app, sizeof(e.app), "%s", app);
	va_start(ap, fmt);
	vsnprintf(e.message, sizeof(e.message), fmt, ap);
	va_end(ap);
	for (size_t i = 0; fields && fields[i] && fields[i + 1]; i += 2)
		if (event_add_field(&e, fields[i], fields[i + 1]) < 0) {
			drops++;
			return -EINVAL;
		}
	return event_send(NULL, &e);
}
