/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel side of running a service: creating its main process inside its cgroup and signalling
 * every process of that cgroup. supervise.c calls nothing else to touch processes, so that the
 * unit tests can drive the supervisor with fakes of these functions (tests/unit/fake-svc.c). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* Like fork(), but the child starts inside the cgroup cg_fd (clone3 with CLONE_INTO_CGROUP), so it
 * is never counted in PID 1's cgroup. On a kernel without it (ENOSYS, E2BIG) it falls back to
 * fork() and sets *ret_in_cgroup to false: the child must then join the cgroup itself. */
pid_t svc_clone(int cg_fd, bool *ret_in_cgroup);
/* Sends sig to every process of the cgroup cg_fd, re-reading cgroup.procs until a pass finds no
 * process it has not signalled yet (a process forking meanwhile gets it too). Returns the number
 * of processes signalled, or -errno. */
int svc_signal_cgroup(int cg_fd, int sig);
/* SIGKILL to every process of the cgroup and its descendants at once (cgroup.kill). */
int svc_kill_cgroup(int cg_fd);
