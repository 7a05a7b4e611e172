/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What kcc-kubelet gives up once it is set up: a writable /proc/sys in its own mount namespace
 * (it could undo the hardening sysctls), and every capability but those it and crun need to run
 * pods (docs/kubelet.md lists them and why). */
#pragma once

#include <stdint.h>

/* The capabilities kept, as a mask of 1 << CAP_x. */
uint64_t kubelet_kept_caps(void);
/* Binds /proc/sys read-only onto itself in our mount namespace, after mounting a proc of process
 * folders only on pids_proc (so that pods' user namespaces may still mount their own); -errno. */
int kubelet_proc_sys_read_only(const char *pids_proc);
/* Drops every other capability from the bounding, permitted, effective and inheritable sets and
 * clears the ambient set; -errno. */
int kubelet_drop_caps(void);
