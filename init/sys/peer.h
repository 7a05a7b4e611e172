/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Who is asking PID 1: a process's effective capabilities, read so that the answer is about the
 * process that asked and not about a later one that got its pid. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* Whether the process behind pidfd (pid its number) holds cap in its effective set: reads
 * /proc/PID/status, then checks through the pidfd that the process is still the one that was
 * read (not reaped, so its pid was not reused). 1 yes, 0 no, -ESRCH gone, -errno. */
int peer_pidfd_has_cap(int pidfd, pid_t pid, int cap);
/* The same for a pid: opens a pidfd first. PID 1 itself and pid 0 are never a peer: -EPERM. */
int peer_pid_has_cap(pid_t pid, int cap);
/* The pidfd (and pid) of the process at the other end of a connected AF_UNIX socket, taken at
 * connect time (SO_PEERPIDFD) where the kernel has it, else from SO_PEERCRED's pid. */
int peer_socket_pidfd(int sock, pid_t *ret_pid, uid_t *ret_uid, int *ret_pidfd);
