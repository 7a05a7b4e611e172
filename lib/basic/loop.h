/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The one event loop of a program (kcc-init, kcc-kubelet): epoll over signalfd, timerfds, pipes
 * and sockets, each a Source with its handler. */
#pragma once

#include <stdint.h>

typedef struct Source Source;
typedef void (*source_fn)(Source *s, uint32_t events);
struct Source {
	source_fn fn;
	int fd;
};

int loop_init(void);
/* Watches fd for input; on failure s is left as it was and fd stays the caller's. */
int loop_add(Source *s, int fd, source_fn fn);
/* The same for the epoll events given (EPOLLIN, EPOLLOUT, ...). */
int loop_add_events(Source *s, int fd, uint32_t events, source_fn fn);
/* Changes the events a watched Source waits for. */
int loop_mod(Source *s, uint32_t events);
void loop_del(Source *s);
/* Waits for events and dispatches them; returns -errno on a loop failure. */
int loop_run_once(int timeout_ms);

/* timerfd helpers: arm with a relative delay in ms, disarm with 0. */
int timer_new(void);
int timer_arm(int fd, unsigned ms);

#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))
