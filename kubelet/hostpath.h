/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hostPath volumes, race-free: the path (canonical and admitted by policy.c) is resolved from a
 * descriptor of "/" with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS),
 * its type checked on that descriptor, and that descriptor (never the string) is cloned with
 * open_tree() and moved onto a staging point in the pod's folder, which crun then binds. */
#pragma once

#include <stdbool.h>

#include "manifest.h"

/* An O_PATH descriptor of the host path, created first for the *OrCreate types (one level: its
 * parent must exist). -errno with "hostPathType: ..." or "hostPath: ..." in err: a symbolic link
 * anywhere on the way (-ELOOP), a device or FIFO, a type mismatch, a kernel file system. */
int host_path_open(const char *canonical, HostPathType type, char *err, size_t errlen);
/* Clones fd's mount (not its submounts) read-only or not, nosuid, nodev, and moves it onto
 * staging (created as an empty folder or file to match). */
int host_path_stage(int fd, const char *staging, bool read_only, char *err, size_t errlen);
/* Detaches what host_path_stage() mounted on staging; 0 when nothing was there. */
int host_path_unstage(const char *staging);
