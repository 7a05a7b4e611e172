/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Files below a folder without following links: removing trees (image whiteouts, a removed pod's
 * folder), opening beneath a folder, reading manifest files that may be anything. */
#pragma once

#include "rm-rf.h"

/* openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS), O_CLOEXEC | O_NOFOLLOW:
 * path cannot leave dirfd or pass through any symbolic link (-ELOOP, -EXDEV). */
int open_beneath(int dirfd, const char *path, int flags);
/* Reads the regular file name below dirfd (at most max bytes) into a NUL-terminated buffer:
 * opened with O_NONBLOCK | O_NOFOLLOW, so a FIFO, a device, a socket or a link never blocks
 * and is refused; err says what it is instead. -ELOOP link, -EBADFD not a regular file, -EFBIG
 * larger than max. */
int read_regular_fileat(int dirfd, const char *name, size_t max, char **ret, char *err,
			size_t errlen);
