/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libbpf adapter: the only file of kcc-init that calls bpf_*. "kcc-init sysinit-helper", a
 * short-lived child of PID 1, loads and attaches the BPF LSM programs of init/bpf/kcc-lsm.bpf.c (a bpftool
 * skeleton, CO-RE) and hands their links and maps to PID 1, which holds them for the node's
 * lifetime and turns the denial records into log lines (init/sys/lsm-events.h). */
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
/* Sends PID 1 (over sock, fd 3 of "kcc-init sysinit-helper") the links and maps it keeps
 * (init/sys/lsm-events.h). After this the loader may exit: the links live on in PID 1. */
int bpf_lsm_hand_over(int sock);
