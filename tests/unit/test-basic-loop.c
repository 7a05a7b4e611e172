/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/basic/loop.c: sources for input and for output (EPOLLOUT, changed with loop_mod), a source
 * removed by a handler earlier in the same batch is not dispatched, a failed add leaves the
 * source and the fd alone, and the timerfd helpers. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "unit.h"

#include "loop.h"
#include "util.h"

typedef struct Probe {
	Source src;
	unsigned calls;
	uint32_t last;
	Source *victim; /* removed by this handler */
} Probe;

static void on_event(Source *s, uint32_t events)
{
	Probe *p = container_of(s, Probe, src);

	p->calls++;
	p->last = events;
	if (p->victim)
		loop_del(p->victim);
}

static void test_in_out(void **state)
{
	Probe in = { 0 }, out = { 0 };
	int a[2], b[2];

	(void)state;
	assert_int_equal(loop_init(), 0);
	assert_int_equal(pipe2(a, O_CLOEXEC | O_NONBLOCK), 0);
	assert_int_equal(pipe2(b, O_CLOEXEC | O_NONBLOCK), 0);
	assert_int_equal(loop_add(&in.src, a[0], on_event), 0);
	/* nothing yet to read: no event */
	assert_int_equal(loop_run_once(0), 0);
	assert_int_equal(write(a[1], "x", 1), 1);
	assert_int_equal(loop_run_once(1000), 1);
	assert_int_equal(in.calls, 1);
	assert_true(in.last & EPOLLIN);
	/* a pipe's write end is writable at once */
	assert_int_equal(loop_add_events(&out.src, b[1], EPOLLOUT, on_event), 0);
	assert_int_equal(loop_run_once(1000), 2); /* a[0] still has its byte, b[1] writable */
	assert_int_equal(out.calls, 1);
	assert_true(out.last & EPOLLOUT);
	/* switched to input: the write end never becomes readable */
	assert_int_equal(loop_mod(&out.src, EPOLLIN), 0);
	loop_del(&in.src);
	assert_int_equal(in.src.fd, -EBADF);
	assert_int_equal(loop_run_once(0), 0);
	assert_int_equal(out.calls, 1);
	loop_del(&out.src);
	assert_int_equal(loop_mod(&out.src, EPOLLIN), -EBADF);
	/* an fd that cannot be watched: the source is left as it was */
	Probe bad = { .src = { .fd = 1234 } };
	assert_true(loop_add(&bad.src, 999, on_event) < 0);
	assert_int_equal(bad.src.fd, 1234);
	for (int i = 0; i < 2; i++) {
		close(a[i]);
		close(b[i]);
	}
}

static void test_removed_in_batch(void **state)
{
	Probe first = { 0 }, second = { 0 };
	int a[2], b[2];

	(void)state;
	assert_int_equal(loop_init(), 0);
	assert_int_equal(pipe2(a, O_CLOEXEC | O_NONBLOCK), 0);
	assert_int_equal(pipe2(b, O_CLOEXEC | O_NONBLOCK), 0);
	assert_int_equal(loop_add(&first.src, a[0], on_event), 0);
	assert_int_equal(loop_add(&second.src, b[0], on_event), 0);
	first.victim = &second.src;
	second.victim = &first.src;
	assert_int_equal(write(a[1], "x", 1), 1);
	assert_int_equal(write(b[1], "x", 1), 1);
	/* both are in one batch; whichever runs first removes the other */
	assert_int_equal(loop_run_once(1000), 2);
	assert_int_equal(first.calls + second.calls, 1);
	for (int i = 0; i < 2; i++) {
		close(a[i]);
		close(b[i]);
	}
}

static void test_timer(void **state)
{
	Probe t = { 0 };
	unsigned long long start = now_ms();
	int fd = timer_new();

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(loop_init(), 0);
	assert_int_equal(loop_add(&t.src, fd, on_event), 0);
	assert_int_equal(timer_arm(fd, 30), 0);
	while (t.calls == 0)
		assert_true(loop_run_once(5000) >= 0);
	assert_true(now_ms() - start >= 30);
	/* disarmed (and the expiry that was not read dropped): no event */
	assert_int_equal(timer_arm(fd, 0), 0);
	assert_int_equal(loop_run_once(60), 0);
	loop_del(&t.src);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_out),
		cmocka_unit_test(test_removed_in_batch),
		cmocka_unit_test(test_timer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
