/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <linux/watchdog.h>
#include <sys/ioctl.h>

#include "util.h"
#include "watchdog.h"

static int wd_fd = -EBADF;
static unsigned wd_timeout;

int watchdog_open(unsigned timeout_s)
{
	int t = (int)timeout_s;

	if (timeout_s == 0)
		return -ENOENT;
	if (wd_fd < 0) {
		wd_fd = open("/dev/watchdog", O_WRONLY | O_CLOEXEC);
		if (wd_fd < 0)
			return errno == ENOENT || errno == ENODEV || errno == ENXIO ? -ENOENT : -errno;
	}
	if (ioctl(wd_fd, WDIOC_SETTIMEOUT, &t) < 0) {
		int r = -errno;
		watchdog_handover();
		return r;
	}
	wd_timeout = t > 0 ? (unsigned)t : timeout_s;
	watchdog_ping();
	return wd_fd;
}

void watchdog_ping(void)
{
	if (wd_fd >= 0)
		(void)ioctl(wd_fd, WDIOC_KEEPALIVE, 0);
}

void watchdog_handover(void)
{
	if (wd_fd >= 0)
		close(wd_fd);
	wd_fd = -EBADF;
	wd_timeout = 0;
}

unsigned watchdog_timeout(void)
{
	return wd_fd >= 0 ? wd_timeout : 0;
}
