/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libbpf adapter: the only file of kcc-init that calls bpf_* / ring_buffer__*. Loads and attaches
 * the BPF LSM programs of init/bpf/kcc-lsm.bpf.c (a bpftool skeleton, CO-RE) and turns their
 * denial records into log lines. PID 1 holds the links for the node's lifetime. */
#pragma once

#include <stdint.h>

/* root: the verity root's mount point ("/"); services, pods and bpf_allowed (the cgroup of the
 * service allowed to load BPF programs): cgroup directories (pods and bpf_allowed may be absent or
 * NULL). */
int bpf_lsm_load(const char *root, const char *services, const char *pods, const char *bpf_allowed,
		 const char *runtime);
/* Checks and logs that BPF loads and get-by-id are locked (a read-only setting in force since
 * attach), -ENOTRECOVERABLE when they are not. */
int bpf_lsm_lock(void);
/* The ring buffer's epoll fd for PID 1's loop, or -EBADF when nothing is loaded. */
int bpf_lsm_events_fd(void);
/* Logs the pending denials. */
void bpf_lsm_consume(void);
/* Detaches the programs: at shutdown, when nothing but PID 1 is left and it is about to execute
 * itself from the exit root (a tmpfs, which the policy would refuse). */
void bpf_lsm_unload(void);
