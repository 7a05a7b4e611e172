/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>

#include "loop.h"
#include "util.h"

static int epfd = -EBADF;

int loop_init(void)
{
	if (epfd >= 0)
		return 0;
	epfd = epoll_create1(EPOLL_CLOEXEC);
	return epfd < 0 ? -errno : 0;
}

int loop_add(Source *s, int fd, source_fn fn)
{
	return loop_add_events(s, fd, EPOLLIN, fn);
}

int loop_add_events(Source *s, int fd, uint32_t events, source_fn fn)
{
	struct epoll_event ev = { .events = events, .data.ptr = s };

	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno; /* s untouched: the caller still owns fd */
	s->fn = fn;
	s->fd = fd;
	return 0;
}

int loop_mod(Source *s, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = s };

	if (s->fd < 0)
		return -EBADF;
	return RET_NERRNO(epoll_ctl(epfd, EPOLL_CTL_MOD, s->fd, &ev));
}

void loop_del(Source *s)
{
	if (s->fd >= 0)
		(void)epoll_ctl(epfd, EPOLL_CTL_DEL, s->fd, NULL);
	s->fd = -EBADF;
}

int loop_run_once(int timeout_ms)
{
	struct epoll_event evs[16];
	int n;

	n = epoll_wait(epfd, evs, (int)ARRAY_SIZE(evs), timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		Source *s = evs[i].data.ptr;
		if (s->fd >= 0) /* a handler earlier in this batch may have closed it */
			s->fn(s, evs[i].events);
	}
	return n;
}

int timer_new(void)
{
	return RET_NERRNO(timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
}

int timer_arm(int fd, unsigned ms)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L },
	};
	uint64_t expirations;

	(void)!read(fd, &expirations, sizeof(expirations)); /* drop a stale expiry */
	return RET_NERRNO(timerfd_settime(fd, 0, &its, NULL));
}
