/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Link-time fakes for driving init/supervise.c in a unit test: the event loop (timers are eventfds
 * the test fires by hand), the clock (--wrap=now_ms), service-proc.c (no process is ever created:
 * each "clone" returns a made-up pid) and the HTTP readiness probe. Every call is counted in
 * fake_svc, which the test compares with what each action of the state machine must do. */
#include <sys/eventfd.h>

#include "util.h"

#include "fake-svc.h"
#include "loop.h"
#include "ready-http.h"
#include "service-proc.h"

FakeSvc fake_svc;

static Source *sources[FAKE_SOURCES_MAX];

unsigned long long __wrap_now_ms(void);
unsigned long long __wrap_now_ms(void)
{
	return fake_svc.now;
}

int loop_init(void)
{
	return 0;
}

int loop_add(Source *s, int fd, source_fn fn)
{
	if (fake_svc.fail_loop_add)
		return -ENOMEM;
	if (fd < 0 || fd >= FAKE_SOURCES_MAX)
		return -EBADF;
	s->fn = fn;
	s->fd = fd;
	sources[fd] = s;
	fake_svc.watched++;
	return 0;
}

void loop_del(Source *s)
{
	if (s->fd >= 0 && s->fd < FAKE_SOURCES_MAX && sources[s->fd] == s) {
		sources[s->fd] = NULL;
		fake_svc.watched--;
	}
	s->fd = -EBADF;
}

int loop_run_once(int timeout_ms)
{
	(void)timeout_ms;
	return 0;
}

int timer_new(void)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	return fd < 0 ? -errno : fd;
}

int timer_arm(int fd, unsigned ms)
{
	uint64_t n;

	if (fake_svc.fail_timer_arm)
		return -EINVAL;
	(void)!read(fd, &n, sizeof(n));
	if (fd >= 0 && fd < FAKE_SOURCES_MAX)
		fake_svc.armed[fd] = ms;
	fake_svc.arms++;
	fake_svc.last_arm_fd = fd;
	fake_svc.last_arm_ms = ms;
	return 0;
}

void fake_fire(int fd)
{
	uint64_t one = 1;

	if (fd < 0 || fd >= FAKE_SOURCES_MAX || !sources[fd])
		return;
	fake_svc.armed[fd] = 0;
	(void)!write(fd, &one, sizeof(one));
	sources[fd]->fn(sources[fd], 0);
}

pid_t svc_clone(int cg_fd, bool *ret_in_cgroup)
{
	if (fake_svc.fail_clone)
		return -EAGAIN;
	fake_svc.clones++;
	fake_svc.clone_cg_fd = cg_fd;
	*ret_in_cgroup = true;
	return (pid_t)(1000 + fake_svc.clones);
}

int svc_signal_cgroup(int cg_fd, int sig)
{
	(void)cg_fd;
	fake_svc.signals++;
	fake_svc.last_signal = sig;
	return 1;
}

int svc_kill_cgroup(int cg_fd)
{
	(void)cg_fd;
	fake_svc.kills++;
	return 0;
}

int ready_http_connect(unsigned port, const char *path)
{
	(void)port;
	(void)path;
	return -ECONNREFUSED;
}

int ready_http_answer(int fd)
{
	(void)fd;
	return -ECONNREFUSED;
}
