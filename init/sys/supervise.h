/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Runs the services of /etc/kcc/services: each in its own cgroup, output into the log, restarts
 * with exponential backoff, readiness, dependencies and ordered stop. State is private here. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* Parses every NAME.conf in dir and checks names, dependencies and cycles. */
int supervise_load(const char *dir, const char *cgroup_root);
/* Starts the services whose dependencies are met; on_ready runs once every service is running
 * (or has failed for good). */
int supervise_start(void (*on_ready)(unsigned running, unsigned failed));
/* Feeds the exit of a child; returns false when pid belongs to no service (an orphan). */
bool supervise_child_exited(pid_t pid, int wait_status);
/* Stops the services in reverse start order; on_stopped runs when the last one is down. */
void supervise_stop_all(void (*on_stopped)(void));
unsigned supervise_count(void);
/* Validates a directory of service files without running anything (used by the image build). */
int supervise_check_dir(const char *dir);
/* One line per service: "NAME STATE pid=N restarts=N". */
int supervise_status(char *buf, size_t len);
/* For the unit tests (tests/unit/test-supervise.c), which drive this file with fakes of the loop,
 * the clock and service-proc.c: feeds an SvcEvent to a service, reads its SvcState. */
int supervise_feed_event(const char *name, int event);
int supervise_state_of(const char *name);
/* The inotify descriptor of the start_after_path= folders (-EBADF: none), for the unit tests. */
int supervise_path_watch_fd(void);
